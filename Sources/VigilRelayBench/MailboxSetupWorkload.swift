import Foundation
import NIOCore
import VigilCrypto
import VigilRelayAPI

/// Creates `count` mailboxes with signed `POST /v1/mailboxes`, each under an owner key of its
/// own, then optionally deposits `prefill` distinct blobs into each, round-robin. Stops at the
/// first refusal, which `failure` then describes.
struct MailboxSetupWorkload: Workload {
    private let base: String
    private let count: Int
    private var blobs: BlobSource
    private var deposited = 0
    private let prefill: Int
    private var creating: MailboxOwner?
    private(set) var mailboxes: [Mailbox] = []
    private(set) var failure: String?

    init(base: String, count: Int, blobs: BlobSource, prefill: Int) {
        self.base = base
        self.count = count
        self.blobs = blobs
        self.prefill = prefill
    }

    /// Whether every mailbox exists and holds every prefilled blob.
    var isComplete: Bool { failure == nil && mailboxes.count == count && deposited == count * prefill }

    mutating func nextRequest() -> BenchRequest? {
        guard failure == nil else { return nil }
        if mailboxes.count < count {
            let owner = MailboxOwner()
            creating = owner
            // Encoding a struct of one string cannot fail.
            let request = CreateMailboxRequest(ownerKey: Hex.encode(owner.key.publicKey.rawRepresentation))
            return owner.signedRequest(
                .create, method: .POST, path: "\(base)/v1/mailboxes", body: Array(try! JSONEncoder().encode(request)),
                contentType: "application/json")
        }
        guard deposited < count * prefill else { return nil }
        return BenchRequest(
            kind: .deposit, method: .POST, uri: "\(base)/v1/mailboxes/\(mailboxes[deposited % count].id)/messages",
            headers: ["Content-Type": "application/octet-stream"], body: blobs.next())
    }

    mutating func received(status: Int, body: ByteBuffer) -> ResponseOutcome {
        if let owner = creating {
            creating = nil
            guard status == 201,
                let created = try? JSONDecoder().decode(CreateMailboxResponse.self, from: Data(body.readableBytesView))
            else {
                failure = "creating a mailbox answered \(status): \(String(buffer: body))"
                return .failed("create \(status)")
            }
            mailboxes.append(Mailbox(owner: owner, id: created.mailboxID))
            return .completed(units: 1)
        }
        guard status == 201 else {
            failure = "a prefill deposit answered \(status): \(String(buffer: body))"
            return .failed("deposit \(status)")
        }
        deposited += 1
        return .completed(units: 1)
    }
}
