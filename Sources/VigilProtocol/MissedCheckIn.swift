/// The alarm a defender prepares in advance: "I did not check in by the time I said I would".
///
/// Layout: `flags u8 (bit 0 last check-in, bit 1 escalation, bit 2 escalated) | [last check-in:
/// u64 seconds] | due: u64 seconds | message (u16 length, UTF-8) | [escalation]`.
public struct MissedCheckIn: Hashable, Sendable {
    /// When the defender last checked in, if ever.
    public var lastCheckInAt: Timestamp?
    /// When the missed check-in was due.
    public var dueAt: Timestamp
    /// The defender's own words for this case, at most 1024 UTF-8 bytes; empty means none.
    public var message: String?
    /// In an alert to the first circle: when and how the second is reached unless someone
    /// acknowledges.
    public var escalation: Escalation?
    /// True in the copy sent to the second circle because nobody in the first acknowledged.
    public var escalated: Bool

    public init(
        lastCheckInAt: Timestamp?, dueAt: Timestamp, message: String? = nil, escalation: Escalation? = nil, escalated: Bool = false
    ) {
        self.lastCheckInAt = lastCheckInAt
        self.dueAt = dueAt
        self.message = message?.isEmpty == true ? nil : message
        self.escalation = escalation
        self.escalated = escalated
    }

    private static let hasLastCheckIn: UInt8 = 0x01

    func encode(into writer: inout ByteWriter) throws(BodyError) {
        try EscalationFlags.check(escalation: escalation, escalated: escalated)
        writer.write((lastCheckInAt == nil ? 0 : Self.hasLastCheckIn) | EscalationFlags.flags(escalation: escalation, escalated: escalated))
        if let lastCheckInAt { writer.write(lastCheckInAt.secondsSince1970) }
        writer.write(dueAt.secondsSince1970)
        try BodyFields.writeText(message, field: "message", into: &writer)
        try escalation?.encode(into: &writer)
    }

    init(from reader: inout ByteReader) throws {
        let flags = try BodyFields.readFlags(
            allowed: Self.hasLastCheckIn | EscalationFlags.hasEscalation | EscalationFlags.escalated, from: &reader)
        let last = flags & Self.hasLastCheckIn != 0 ? Timestamp(secondsSince1970: try reader.readUInt64()) : nil
        let due = Timestamp(secondsSince1970: try reader.readUInt64())
        let message = try BodyFields.readText(field: "message", from: &reader)
        let (escalation, escalated) = try EscalationFlags.read(flags: flags, from: &reader)
        self.init(lastCheckInAt: last, dueAt: due, message: message, escalation: escalation, escalated: escalated)
    }
}
