/// An alarm: the defender needs help now.
///
/// Layout: `flags u8 (bit 0 location, bit 1 escalation, bit 2 escalated) | message (u16 length,
/// UTF-8) | [location] | [escalation]`.
public struct Panic: Hashable, Sendable {
    /// Free text, at most 1024 UTF-8 bytes; empty means none.
    public var message: String?
    public var location: Location?
    /// In an alert to the first circle: when and how the second is reached unless someone
    /// acknowledges.
    public var escalation: Escalation?
    /// True in the copy sent to the second circle because nobody in the first acknowledged.
    public var escalated: Bool

    public init(message: String? = nil, location: Location? = nil, escalation: Escalation? = nil, escalated: Bool = false) {
        self.message = message?.isEmpty == true ? nil : message
        self.location = location
        self.escalation = escalation
        self.escalated = escalated
    }

    private static let hasLocation: UInt8 = 0x01

    func encode(into writer: inout ByteWriter) throws(BodyError) {
        try EscalationFlags.check(escalation: escalation, escalated: escalated)
        writer.write((location == nil ? 0 : Self.hasLocation) | EscalationFlags.flags(escalation: escalation, escalated: escalated))
        try BodyFields.writeText(message, field: "message", into: &writer)
        if let location { BodyFields.write(location, into: &writer) }
        try escalation?.encode(into: &writer)
    }

    init(from reader: inout ByteReader) throws {
        let flags = try BodyFields.readFlags(
            allowed: Self.hasLocation | EscalationFlags.hasEscalation | EscalationFlags.escalated, from: &reader)
        let message = try BodyFields.readText(field: "message", from: &reader)
        let location = flags & Self.hasLocation != 0 ? try BodyFields.readLocation(from: &reader) : nil
        let (escalation, escalated) = try EscalationFlags.read(flags: flags, from: &reader)
        self.init(message: message, location: location, escalation: escalation, escalated: escalated)
    }
}
