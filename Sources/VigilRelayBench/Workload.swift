import NIOCore

/// What one connection does, one request at a time (closed loop): a value the connection
/// drives, with no I/O of its own.
protocol Workload: Sendable {
    /// The next request, or nil when this connection has nothing more to do.
    mutating func nextRequest() -> BenchRequest?
    /// Takes the response to the request `nextRequest` returned last.
    mutating func received(status: Int, body: ByteBuffer) -> ResponseOutcome
}

/// How a response went.
enum ResponseOutcome: Sendable {
    /// Done; `units` is the work it represents (messages stored, fetched or acknowledged).
    case completed(units: Int)
    /// Not what the protocol promises; counted as an error.
    case failed(String)
}
