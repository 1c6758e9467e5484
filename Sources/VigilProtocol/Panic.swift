/// An alarm: the defender needs help now.
///
/// Layout: `flags u8 (bit 0 location) | message (u16 length, UTF-8) | [location]`.
public struct Panic: Hashable, Sendable {
    /// Free text, at most 1024 UTF-8 bytes; empty means none.
    public var message: String?
    public var location: Location?

    public init(message: String? = nil, location: Location? = nil) {
        self.message = message?.isEmpty == true ? nil : message
        self.location = location
    }

    private static let hasLocation: UInt8 = 0x01

    func encode(into writer: inout ByteWriter) throws(BodyError) {
        writer.write(location == nil ? 0 : Self.hasLocation)
        try BodyFields.writeText(message, field: "message", into: &writer)
        if let location { BodyFields.write(location, into: &writer) }
    }

    init(from reader: inout ByteReader) throws {
        let flags = try BodyFields.readFlags(allowed: Self.hasLocation, from: &reader)
        let message = try BodyFields.readText(field: "message", from: &reader)
        let location = flags & Self.hasLocation != 0 ? try BodyFields.readLocation(from: &reader) : nil
        self.init(message: message, location: location)
    }
}
