/// The defender says an earlier alarm is over and they are safe.
///
/// Layout: `message (u16 length, UTF-8)`.
public struct AllClear: Hashable, Sendable {
    /// Free text, at most 1024 UTF-8 bytes; empty means none.
    public var message: String?

    public init(message: String? = nil) {
        self.message = message?.isEmpty == true ? nil : message
    }

    func encode(into writer: inout ByteWriter) throws(BodyError) {
        try BodyFields.writeText(message, field: "message", into: &writer)
    }

    init(from reader: inout ByteReader) throws {
        self.init(message: try BodyFields.readText(field: "message", from: &reader))
    }
}
