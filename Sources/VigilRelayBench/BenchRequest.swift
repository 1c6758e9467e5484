import NIOHTTP1

/// What a request does, for per-kind figures.
enum RequestKind: UInt8, CaseIterable, Sendable {
    case create, deposit, fetch, ack, post

    var name: String {
        switch self {
        case .create: return "create"
        case .deposit: return "deposit"
        case .fetch: return "fetch"
        case .ack: return "ack"
        case .post: return "post"
        }
    }
}

/// One request as a workload hands it to a connection.
struct BenchRequest: Sendable {
    var kind: RequestKind
    var method: HTTPMethod
    /// Path and query, as sent.
    var uri: String
    /// Headers besides `Host` and `Content-Length`, which the connection sets.
    var headers: HTTPHeaders
    var body: [UInt8]
}
