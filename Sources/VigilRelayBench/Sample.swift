/// One completed request: when it was sent and answered, on the monotonic clock (nanoseconds).
struct Sample: Sendable {
    var sent: UInt64
    var completed: UInt64
    var kind: RequestKind
    var failed: Bool
    /// Work done by the request (see ``ResponseOutcome``); 0 when it failed.
    var units: Int32

    var latency: UInt64 { completed - sent }
}

/// What one connection did in one phase.
struct ConnectionResult: Sendable {
    var samples: [Sample] = []
    /// Failures by description ("deposit 429"), over the whole phase.
    var failures: [String: Int] = [:]
    /// When the workload had nothing more to do, if it ran out before the deadline.
    var exhaustedAt: UInt64?
    /// Why the connection ended early (closed by the server, a socket error).
    var lost: String?
    /// The workload as the phase left it.
    var workload: any Workload
}

/// When a phase starts measuring and when it stops sending, on the monotonic clock (ns).
struct PhaseSchedule: Sendable {
    var measureFrom: UInt64
    var stopAt: UInt64
}
