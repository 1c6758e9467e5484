/// "These messages reached me": sent back automatically by a receiving client.
///
/// Layout: `count u16 (1...256) | count × message ID (16 bytes)`.
public struct Receipt: Hashable, Sendable {
    /// Most message IDs one receipt may list.
    public static let maxMessageIDs = 256

    public var messageIDs: [MessageID]

    public init(messageIDs: [MessageID]) {
        self.messageIDs = messageIDs
    }

    func encode(into writer: inout ByteWriter) throws(BodyError) {
        guard !messageIDs.isEmpty else { throw .invalidValue(field: "message_ids") }
        guard messageIDs.count <= Self.maxMessageIDs else {
            throw .fieldTooLong(field: "message_ids", limit: Self.maxMessageIDs)
        }
        writer.write(UInt16(messageIDs.count))
        for id in messageIDs { writer.write(id.bytes) }
    }

    init(from reader: inout ByteReader) throws {
        let count = Int(try reader.readUInt16())
        guard count >= 1 else { throw BodyError.invalidValue(field: "message_ids") }
        guard count <= Self.maxMessageIDs else {
            throw BodyError.fieldTooLong(field: "message_ids", limit: Self.maxMessageIDs)
        }
        var ids: [MessageID] = []
        ids.reserveCapacity(count)
        for _ in 0..<count { ids.append(try BodyFields.readMessageID(from: &reader)) }
        self.init(messageIDs: ids)
    }
}
