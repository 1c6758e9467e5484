/// The alarm a defender prepares in advance: "I did not check in by the time I said I would".
///
/// Layout: `flags u8 (bit 0 last check-in) | [last check-in: u64 seconds] | due: u64 seconds |
/// message (u16 length, UTF-8)`.
public struct MissedCheckIn: Hashable, Sendable {
    /// When the defender last checked in, if ever.
    public var lastCheckInAt: Timestamp?
    /// When the missed check-in was due.
    public var dueAt: Timestamp
    /// The defender's own words for this case, at most 1024 UTF-8 bytes; empty means none.
    public var message: String?

    public init(lastCheckInAt: Timestamp?, dueAt: Timestamp, message: String? = nil) {
        self.lastCheckInAt = lastCheckInAt
        self.dueAt = dueAt
        self.message = message?.isEmpty == true ? nil : message
    }

    private static let hasLastCheckIn: UInt8 = 0x01

    func encode(into writer: inout ByteWriter) throws(BodyError) {
        writer.write(lastCheckInAt == nil ? 0 : Self.hasLastCheckIn)
        if let lastCheckInAt { writer.write(lastCheckInAt.secondsSince1970) }
        writer.write(dueAt.secondsSince1970)
        try BodyFields.writeText(message, field: "message", into: &writer)
    }

    init(from reader: inout ByteReader) throws {
        let flags = try BodyFields.readFlags(allowed: Self.hasLastCheckIn, from: &reader)
        let last = flags & Self.hasLastCheckIn != 0 ? Timestamp(secondsSince1970: try reader.readUInt64()) : nil
        let due = Timestamp(secondsSince1970: try reader.readUInt64())
        let message = try BodyFields.readText(field: "message", from: &reader)
        self.init(lastCheckInAt: last, dueAt: due, message: message)
    }
}
