internal import Synchronization

/// Fetches waiting for a deposit, per mailbox (long-poll).
///
/// A fetch registers *before* it looks at the store a last time, so a deposit that lands between
/// that look and the wait still wakes it: ``notify(mailboxID:)`` marks a registered waiter as
/// woken even if it has not started waiting yet.
final class LongPollRegistry: Sendable {
    enum Wake: Equatable, Sendable {
        /// Something was deposited into (or happened to) the mailbox.
        case notified
        case timedOut
        /// The relay is shutting down: answer now, with what there is.
        case shutdown
        /// The waiting task was cancelled (its connection went away).
        case cancelled
    }

    /// A registration, returned by ``register(mailboxID:)``.
    struct Ticket: Hashable, Sendable {
        fileprivate let mailboxID: String
        fileprivate let id: UInt64
    }

    private struct Waiter {
        var continuation: CheckedContinuation<Wake, Never>?
        var wake: Wake?
    }

    private struct State {
        var waiters: [String: [UInt64: Waiter]] = [:]
        var nextID: UInt64 = 0
        var isShutDown = false
    }

    private let state = Mutex(State())

    /// Registers a waiter; nil once the relay is shutting down.
    func register(mailboxID: String) -> Ticket? {
        state.withLock { state in
            guard !state.isShutDown else { return nil }
            state.nextID += 1
            state.waiters[mailboxID, default: [:]][state.nextID] = Waiter()
            return Ticket(mailboxID: mailboxID, id: state.nextID)
        }
    }

    /// Waits until the mailbox is notified, `timeout` passes, the relay shuts down or the task
    /// is cancelled; then forgets the ticket.
    func wait(_ ticket: Ticket, timeout: Duration) async -> Wake {
        await withTaskGroup(of: Wake.self) { group in
            group.addTask { await self.waitForWake(ticket) }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                    return .timedOut
                } catch {
                    return .cancelled
                }
            }
            let first = await group.next() ?? .cancelled
            // Whichever finished first, end the other one.
            self.fire(ticket, first)
            group.cancelAll()
            return first
        }
    }

    /// Forgets a ticket that will not be waited on.
    func cancel(_ ticket: Ticket) {
        fire(ticket, .cancelled)
    }

    /// Wakes every waiter of a mailbox.
    func notify(mailboxID: String) {
        let continuations = state.withLock { state -> [CheckedContinuation<Wake, Never>] in
            guard var waiters = state.waiters[mailboxID] else { return [] }
            var resumed: [CheckedContinuation<Wake, Never>] = []
            for (id, var waiter) in waiters where waiter.wake == nil {
                waiter.wake = .notified
                if let continuation = waiter.continuation {
                    resumed.append(continuation)
                    waiter.continuation = nil
                }
                waiters[id] = waiter
            }
            state.waiters[mailboxID] = waiters
            return resumed
        }
        for continuation in continuations { continuation.resume(returning: .notified) }
    }

    /// Wakes every waiter with ``Wake/shutdown`` and refuses new registrations.
    func shutdown() {
        let continuations = state.withLock { state -> [CheckedContinuation<Wake, Never>] in
            state.isShutDown = true
            var resumed: [CheckedContinuation<Wake, Never>] = []
            for (mailboxID, var waiters) in state.waiters {
                for (id, var waiter) in waiters where waiter.wake == nil {
                    waiter.wake = .shutdown
                    if let continuation = waiter.continuation {
                        resumed.append(continuation)
                        waiter.continuation = nil
                    }
                    waiters[id] = waiter
                }
                state.waiters[mailboxID] = waiters
            }
            return resumed
        }
        for continuation in continuations { continuation.resume(returning: .shutdown) }
    }

    /// How many fetches are registered (tests, metrics).
    var count: Int { state.withLock { $0.waiters.values.reduce(0) { $0 + $1.count } } }

    private func waitForWake(_ ticket: Ticket) async -> Wake {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
                let immediate = state.withLock { state -> Wake? in
                    guard var waiter = state.waiters[ticket.mailboxID]?[ticket.id] else { return .cancelled }
                    if let wake = waiter.wake { return wake }
                    waiter.continuation = continuation
                    state.waiters[ticket.mailboxID]?[ticket.id] = waiter
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            self.fire(ticket, .cancelled)
        }
    }

    /// Wakes one waiter (if it is still waiting) and removes it.
    private func fire(_ ticket: Ticket, _ wake: Wake) {
        let continuation = state.withLock { state -> CheckedContinuation<Wake, Never>? in
            guard let waiter = state.waiters[ticket.mailboxID]?.removeValue(forKey: ticket.id) else { return nil }
            if state.waiters[ticket.mailboxID]?.isEmpty == true {
                state.waiters.removeValue(forKey: ticket.mailboxID)
            }
            return waiter.continuation
        }
        continuation?.resume(returning: wake)
    }
}
