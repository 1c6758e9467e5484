import NIOCore
import NIOHTTP1

/// POSTs a distinct blob, again and again, to its paths in turn: relay deposits, or the same
/// requests to any HTTP server (nginx answering 204, the machine's HTTP ceiling).
struct BlobPostWorkload: Workload {
    private let kind: RequestKind
    private let uris: [String]
    private var next = 0
    private let accepted: ClosedRange<Int>
    private var blobs: BlobSource
    private let headers: HTTPHeaders = ["Content-Type": "application/octet-stream"]

    /// - Parameter accepted: the statuses that mean success (201 for a relay deposit).
    init(kind: RequestKind, uris: [String], blobs: BlobSource, accepted: ClosedRange<Int>) {
        precondition(!uris.isEmpty, "a workload needs a path to POST to")
        self.kind = kind
        self.uris = uris
        self.blobs = blobs
        self.accepted = accepted
    }

    /// Deposits into relay mailboxes, round-robin.
    static func deposits(base: String, mailboxes: [Mailbox], blobs: BlobSource) -> Self {
        Self(kind: .deposit, uris: mailboxes.map { "\(base)/v1/mailboxes/\($0.id)/messages" }, blobs: blobs, accepted: 201...201)
    }

    mutating func nextRequest() -> BenchRequest? {
        let uri = uris[next]
        next = (next + 1) % uris.count
        return BenchRequest(kind: kind, method: .POST, uri: uri, headers: headers, body: blobs.next())
    }

    mutating func received(status: Int, body: ByteBuffer) -> ResponseOutcome {
        accepted.contains(status) ? .completed(units: 1) : .failed("\(kind.name) \(status)")
    }
}
