/// A defender's regular sign of life.
///
/// Layout: `status u8 | flags u8 (bit 0 location, bit 1 next due) | note (u16 length, UTF-8)
/// | [location: lat i32, lon i32] | [next due: u64 seconds]`.
public struct CheckIn: Hashable, Sendable {
    /// How the defender is.
    public enum Status: UInt8, Hashable, Sendable, CaseIterable {
        case ok = 0
        case needSupport = 1
        case inDanger = 2
    }

    public var status: Status
    /// Free text, at most 1024 UTF-8 bytes; empty means none.
    public var note: String?
    public var location: Location?
    /// When the next check-in is due; contacts treat the defender as overdue after it.
    public var nextDueAt: Timestamp?

    public init(status: Status, note: String? = nil, location: Location? = nil, nextDueAt: Timestamp? = nil) {
        self.status = status
        self.note = note?.isEmpty == true ? nil : note
        self.location = location
        self.nextDueAt = nextDueAt
    }

    private static let hasLocation: UInt8 = 0x01
    private static let hasNextDue: UInt8 = 0x02

    func encode(into writer: inout ByteWriter) throws(BodyError) {
        writer.write(status.rawValue)
        writer.write((location == nil ? 0 : Self.hasLocation) | (nextDueAt == nil ? 0 : Self.hasNextDue))
        try BodyFields.writeText(note, field: "note", into: &writer)
        if let location { BodyFields.write(location, into: &writer) }
        if let nextDueAt { writer.write(nextDueAt.secondsSince1970) }
    }

    init(from reader: inout ByteReader) throws {
        guard let status = Status(rawValue: try reader.readUInt8()) else {
            throw BodyError.invalidValue(field: "status")
        }
        let flags = try BodyFields.readFlags(allowed: Self.hasLocation | Self.hasNextDue, from: &reader)
        let note = try BodyFields.readText(field: "note", from: &reader)
        let location = flags & Self.hasLocation != 0 ? try BodyFields.readLocation(from: &reader) : nil
        let nextDue = flags & Self.hasNextDue != 0 ? Timestamp(secondsSince1970: try reader.readUInt64()) : nil
        self.init(status: status, note: note, location: location, nextDueAt: nextDue)
    }
}

extension CheckIn.Status: CustomStringConvertible {
    /// `ok`, `need support` or `in danger`.
    public var description: String {
        switch self {
        case .ok: return "ok"
        case .needSupport: return "need support"
        case .inDanger: return "in danger"
        }
    }
}
