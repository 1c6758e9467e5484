public import Foundation

/// A point in time as whole seconds since 1970-01-01T00:00:00Z, the unit every Vigil format uses.
///
/// Protocol code never reads the clock: callers pass the current time in, so tests control it.
public struct Timestamp: Hashable, Comparable, Sendable, Codable {
    /// Seconds since the Unix epoch, UTC.
    public var secondsSince1970: UInt64

    public init(secondsSince1970: UInt64) {
        self.secondsSince1970 = secondsSince1970
    }

    /// The time `date` falls in, rounded down to the second; dates before 1970 (and a NaN date)
    /// become 0.
    public init(_ date: Date) {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        // `!(seconds > 0)` also holds for NaN, which `UInt64(_:)` would trap on.
        self.secondsSince1970 = !(seconds > 0) ? 0 : (seconds >= 1.8e19 ? UInt64.max : UInt64(seconds))
    }

    /// The same instant as a `Date`.
    public var date: Date { Date(timeIntervalSince1970: TimeInterval(secondsSince1970)) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.secondsSince1970 < rhs.secondsSince1970
    }
}

extension Timestamp: CustomStringConvertible {
    /// ISO 8601 in UTC, e.g. `2026-11-25T08:10:00Z`.
    public var description: String {
        date.formatted(.iso8601)
    }
}
