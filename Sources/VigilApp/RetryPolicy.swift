public import VigilProtocol

/// When a failed delivery is tried again: exponential backoff with a cap, as a pure function of
/// the number of failures and the clock, so that tests need no sleeps.
///
/// The first retry waits ``initialDelay`` seconds, each further one twice as long, never more
/// than ``maxDelay``; a relay's `Retry-After` is honoured when it asks for longer (up to the
/// cap). The cap is short because what waits may be a panic alert.
public struct RetryPolicy: Sendable, Equatable {
    /// Seconds before the first retry.
    public var initialDelay: UInt64
    /// Longest wait between retries, in seconds.
    public var maxDelay: UInt64

    /// The default waits 5 s, then doubles, up to 5 minutes.
    public init(initialDelay: UInt64 = 5, maxDelay: UInt64 = 300) {
        self.initialDelay = max(1, initialDelay)
        self.maxDelay = max(self.initialDelay, maxDelay)
    }

    /// Seconds to wait after the `failures`-th failure in a row (1 or more).
    public func delay(afterFailures failures: Int) -> UInt64 {
        guard failures > 0 else { return 0 }
        let doublings = min(failures - 1, 62)
        let (product, overflow) = initialDelay.multipliedReportingOverflow(by: UInt64(1) << UInt64(doublings))
        return overflow ? maxDelay : min(product, maxDelay)
    }

    /// When to try again after the `failures`-th failure at `now`.
    public func nextAttempt(afterFailures failures: Int, now: Timestamp, retryAfter: UInt64? = nil) -> Timestamp {
        let wait = max(delay(afterFailures: failures), min(retryAfter ?? 0, maxDelay))
        return Timestamp(secondsSince1970: now.secondsSince1970.addingReportingOverflow(wait).partialValue)
    }

    /// Whether a pending delivery should be attempted at `now`: it never failed, or its wait is over.
    func isDue(_ delivery: Delivery, now: Timestamp) -> Bool {
        guard delivery.status == .pending else { return false }
        guard let next = delivery.nextAttemptAt else { return true }
        return next <= now
    }
}
