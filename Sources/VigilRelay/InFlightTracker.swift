internal import Synchronization

/// Counts requests being processed off the event loop, so shutdown can wait for them before it
/// closes the store.
final class InFlightTracker: Sendable {
    private let state = Mutex(0)

    func enter() { state.withLock { $0 += 1 } }
    func leave() { state.withLock { $0 -= 1 } }
    var count: Int { state.withLock { $0 } }
}
