import VigilProtocol

/// A contact whose announced next check-in has not come.
public struct OverdueContact: Sendable, Equatable, Codable {
    public var alias: String
    public var contactKey: String
    public var verified: Bool
    /// When their next check-in was due (Unix seconds).
    public var dueAt: UInt64
    /// When they last checked in (their clock, Unix seconds).
    public var lastCheckInAt: UInt64
    /// Seconds since `dueAt`.
    public var overdueSeconds: UInt64
}

/// Finds contacts who are overdue: their last check-in said the next is due at T, and T plus the
/// grace period has passed. A pure function of the contacts and the clock passed in.
enum OverdueDetector {
    /// The contacts overdue at `now`, most overdue first.
    static func overdue(_ contacts: [Contact], now: Timestamp, graceSeconds: UInt64) -> [OverdueContact] {
        contacts.compactMap { contact -> OverdueContact? in
            guard let record = contact.lastCheckIn, let due = record.nextDueAt else { return nil }
            let deadline = due.secondsSince1970.addingReportingOverflow(graceSeconds)
            guard !deadline.overflow, deadline.partialValue < now.secondsSince1970 else { return nil }
            return OverdueContact(
                alias: contact.alias, contactKey: contact.signingKeyHex, verified: contact.verified, dueAt: due.secondsSince1970,
                lastCheckInAt: record.sentAt.secondsSince1970, overdueSeconds: now.secondsSince1970 - due.secondsSince1970)
        }
        .sorted { $0.overdueSeconds > $1.overdueSeconds }
    }
}
