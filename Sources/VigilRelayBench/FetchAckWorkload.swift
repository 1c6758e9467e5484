import Foundation
import NIOCore
import VigilRelayAPI

/// The owners' side of mailboxes: a signed fetch of up to `limit` pending blobs, then a signed
/// acknowledgement of exactly those, taking the mailboxes in turn, until every one of them is
/// drained (the relay said there are no more).
///
/// Responses are scanned for their IDs rather than decoded: decoding 100 base64 blobs on the
/// client would take CPU from the relay on the same machine. The first fetch of each
/// connection is also decoded in full to check that the scan agrees with the JSON decoder.
struct FetchAckWorkload: Workload {
    private var mailboxes: [Mailbox]
    private var current = 0
    private let base: String
    private let query: String
    private var unacknowledged: [Int64] = []
    /// Whether the current mailbox has more pending than its last fetch returned.
    private var more = false
    private var checkedScan = false

    init(mailboxes: [Mailbox], base: String, limit: Int) {
        self.mailboxes = mailboxes
        self.base = base
        self.query = "limit=\(limit)"
    }

    private var path: String { "\(base)/v1/mailboxes/\(mailboxes[current].id)/messages" }

    mutating func nextRequest() -> BenchRequest? {
        guard !mailboxes.isEmpty else { return nil }
        let owner = mailboxes[current].owner
        if unacknowledged.isEmpty {
            return owner.signedRequest(.fetch, method: .GET, path: path, query: query)
        }
        // Encoding a list of integers cannot fail.
        let body = try! JSONEncoder().encode(AcknowledgeRequest(ids: unacknowledged))
        return owner.signedRequest(
            .ack, method: .POST, path: "\(path)/ack", body: Array(body), contentType: "application/json")
    }

    mutating func received(status: Int, body: ByteBuffer) -> ResponseOutcome {
        if unacknowledged.isEmpty {
            guard status == 200 else { return .failed("fetch \(status)") }
            let ids = JSONScan.integers(forKey: "id", in: body)
            more = JSONScan.isTrue(forKey: "more", in: body)
            if !checkedScan {
                checkedScan = true
                guard let decoded = try? JSONDecoder().decode(FetchResponse.self, from: Data(body.readableBytesView)),
                    decoded.messages.map(\.id) == ids, decoded.more == more
                else { return .failed("fetch response the scan does not understand") }
            }
            unacknowledged = ids
            if ids.isEmpty { finishMailbox() }
            return .completed(units: ids.count)
        }
        guard status == 200 else { return .failed("ack \(status)") }
        let deleted = JSONScan.integers(forKey: "deleted", in: body).first ?? -1
        let expected = unacknowledged.count
        unacknowledged = []
        if more {
            current = (current + 1) % mailboxes.count
        } else {
            finishMailbox()
        }
        guard deleted == Int64(expected) else { return .failed("ack deleted \(deleted) of \(expected)") }
        return .completed(units: expected)
    }

    /// Drops the current mailbox from the rotation: it is drained.
    private mutating func finishMailbox() {
        mailboxes.remove(at: current)
        if current == mailboxes.count { current = 0 }
    }
}
