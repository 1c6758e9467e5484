public import VigilProtocol

/// Which creation times a received message may carry: not older than ``maxAge`` and not
/// further than ``maxFuture`` ahead of the receiver's clock (which the caller passes).
///
/// Together with refusing message IDs already seen (kept for ``maxAge``), this refuses replays:
/// an old envelope re-deposited by a relay is either remembered or too old.
public struct AcceptWindow: Sendable, Equatable {
    /// Seconds a message may be old.
    public var maxAge: UInt64
    /// Seconds a message may be dated ahead of the receiver's clock.
    public var maxFuture: UInt64

    /// The default window is 14 days back and 5 minutes ahead.
    public init(maxAge: UInt64 = 14 * 24 * 3600, maxFuture: UInt64 = 5 * 60) {
        self.maxAge = maxAge
        self.maxFuture = maxFuture
    }

    init(_ settings: Settings) {
        self.init(maxAge: settings.maxAgeSeconds, maxFuture: settings.maxFutureSeconds)
    }

    /// Whether a creation time is accepted.
    public enum Verdict: Sendable, Equatable {
        case accepted
        /// Older than the window: refused as a possible replay.
        case tooOld
        /// Further in the future than clocks plausibly differ: refused.
        case inFuture
    }

    /// Checks `createdAt` against the receiver's clock `now`.
    public func check(createdAt: Timestamp, now: Timestamp) -> Verdict {
        let created = createdAt.secondsSince1970
        let current = now.secondsSince1970
        if created > current { return created - current > maxFuture ? .inFuture : .accepted }
        return current - created > maxAge ? .tooOld : .accepted
    }
}
