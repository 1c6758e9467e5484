/// A trusted contact's answer to one message: "seen, on my way".
///
/// Layout: `message ID (16 bytes) | note (u16 length, UTF-8)`.
public struct Acknowledgement: Hashable, Sendable {
    /// The message being acknowledged.
    public var messageID: MessageID
    /// Free text, at most 1024 UTF-8 bytes; empty means none.
    public var note: String?

    public init(messageID: MessageID, note: String? = nil) {
        self.messageID = messageID
        self.note = note?.isEmpty == true ? nil : note
    }

    func encode(into writer: inout ByteWriter) throws(BodyError) {
        writer.write(messageID.bytes)
        try BodyFields.writeText(note, field: "note", into: &writer)
    }

    init(from reader: inout ByteReader) throws {
        let id = try BodyFields.readMessageID(from: &reader)
        let note = try BodyFields.readText(field: "note", from: &reader)
        self.init(messageID: id, note: note)
    }
}
