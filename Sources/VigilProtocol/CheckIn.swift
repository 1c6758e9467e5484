/// A defender's regular sign of life.
///
/// Layout: `status u8 | flags u8 (bit 0 location, bit 1 next due, bit 2 duress) | note (u16
/// length, UTF-8) | [location: lat i32, lon i32] | [next due: u64 seconds]`.
///
/// A check-in sent under duress carries the duress flag and always the status ``Status/inDanger``,
/// whatever the coerced defender chose: encoding refuses any other status with the duress flag,
/// and decoding refuses it as `invalid_value` (field `status`).
public struct CheckIn: Hashable, Sendable {
    /// How the defender is.
    public enum Status: UInt8, Hashable, Sendable, CaseIterable {
        case ok = 0
        case needSupport = 1
        case inDanger = 2
    }

    public var status: Status
    /// Whether the defender sent it under duress (with `--duress` or the duress passphrase): their
    /// own screen showed a normal check-in, their contacts must treat it as an alarm.
    public var duress: Bool
    /// Free text, at most 1024 UTF-8 bytes; empty means none.
    public var note: String?
    public var location: Location?
    /// When the next check-in is due; contacts treat the defender as overdue after it.
    public var nextDueAt: Timestamp?

    /// A check-in; with `duress`, `status` must be ``Status/inDanger`` for it to be encoded.
    public init(status: Status, duress: Bool = false, note: String? = nil, location: Location? = nil, nextDueAt: Timestamp? = nil) {
        self.status = status
        self.duress = duress
        self.note = note?.isEmpty == true ? nil : note
        self.location = location
        self.nextDueAt = nextDueAt
    }

    private static let hasLocation: UInt8 = 0x01
    private static let hasNextDue: UInt8 = 0x02
    private static let underDuress: UInt8 = 0x04

    func encode(into writer: inout ByteWriter) throws(BodyError) {
        guard !duress || status == .inDanger else { throw .invalidValue(field: "status") }
        writer.write(status.rawValue)
        writer.write(
            (location == nil ? 0 : Self.hasLocation) | (nextDueAt == nil ? 0 : Self.hasNextDue) | (duress ? Self.underDuress : 0))
        try BodyFields.writeText(note, field: "note", into: &writer)
        if let location { BodyFields.write(location, into: &writer) }
        if let nextDueAt { writer.write(nextDueAt.secondsSince1970) }
    }

    init(from reader: inout ByteReader) throws {
        guard let status = Status(rawValue: try reader.readUInt8()) else {
            throw BodyError.invalidValue(field: "status")
        }
        let flags = try BodyFields.readFlags(allowed: Self.hasLocation | Self.hasNextDue | Self.underDuress, from: &reader)
        let duress = flags & Self.underDuress != 0
        guard !duress || status == .inDanger else { throw BodyError.invalidValue(field: "status") }
        let note = try BodyFields.readText(field: "note", from: &reader)
        let location = flags & Self.hasLocation != 0 ? try BodyFields.readLocation(from: &reader) : nil
        let nextDue = flags & Self.hasNextDue != 0 ? Timestamp(secondsSince1970: try reader.readUInt64()) : nil
        self.init(status: status, duress: duress, note: note, location: location, nextDueAt: nextDue)
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
