/// The typed content of an envelope.
public enum MessageBody: Hashable, Sendable {
    case checkIn(CheckIn)
    case panic(Panic)
    case receipt(Receipt)
    case acknowledgement(Acknowledgement)
    case missedCheckIn(MissedCheckIn)
    case allClear(AllClear)
    /// A kind this version does not understand, from a sender running a newer one. The envelope
    /// was authenticated like any other; only the body is not interpreted.
    case unknown(kind: MessageKind, payload: [UInt8])

    /// The kind byte this body is sent with.
    public var kind: MessageKind {
        switch self {
        case .checkIn: return .checkIn
        case .panic: return .panic
        case .receipt: return .receipt
        case .acknowledgement: return .acknowledgement
        case .missedCheckIn: return .missedCheckIn
        case .allClear: return .allClear
        case .unknown(let kind, _): return kind
        }
    }

    /// The body's bytes.
    ///
    /// An ``unknown(kind:payload:)`` body whose kind is in fact known must decode as that kind.
    /// - Throws: ``BodyError`` when a field breaks its limits.
    public func encoded() throws(BodyError) -> [UInt8] {
        var writer = ByteWriter()
        switch self {
        case .checkIn(let body): try body.encode(into: &writer)
        case .panic(let body): try body.encode(into: &writer)
        case .receipt(let body): try body.encode(into: &writer)
        case .acknowledgement(let body): try body.encode(into: &writer)
        case .missedCheckIn(let body): try body.encode(into: &writer)
        case .allClear(let body): try body.encode(into: &writer)
        case .unknown(let kind, let payload):
            // A known kind travels only in its checked form, never as raw bytes.
            if MessageKind.known.contains(kind) { _ = try MessageBody.decode(kind: kind, from: payload) }
            writer.write(payload)
        }
        return writer.bytes
    }

    /// Decodes a body of `kind` strictly: every field within its limits, nothing left over.
    /// A kind this version does not know is returned as ``unknown(kind:payload:)``.
    public static func decode(kind: MessageKind, from bytes: [UInt8]) throws(BodyError) -> MessageBody {
        var reader = ByteReader(bytes)
        let body: MessageBody
        do {
            switch kind {
            case .checkIn: body = .checkIn(try CheckIn(from: &reader))
            case .panic: body = .panic(try Panic(from: &reader))
            case .receipt: body = .receipt(try Receipt(from: &reader))
            case .acknowledgement: body = .acknowledgement(try Acknowledgement(from: &reader))
            case .missedCheckIn: body = .missedCheckIn(try MissedCheckIn(from: &reader))
            case .allClear: body = .allClear(try AllClear(from: &reader))
            default: return .unknown(kind: kind, payload: bytes)
            }
        } catch let error as BodyError {
            throw error
        } catch {
            throw .truncated
        }
        guard reader.isAtEnd else { throw .trailingBytes }
        return body
    }
}

/// Shared field codecs of the bodies.
enum BodyFields {
    /// Longest text field (notes, messages), in UTF-8 bytes.
    static let maxTextBytes = 1024

    static func writeText(_ text: String?, field: String, into writer: inout ByteWriter) throws(BodyError) {
        let bytes: [UInt8]
        do {
            bytes = try TextRules.encode(text ?? "", maxBytes: maxTextBytes, singleLine: false)
        } catch .tooLong {
            throw .fieldTooLong(field: field, limit: maxTextBytes)
        } catch {
            throw .invalidText(field: field)
        }
        writer.write(UInt16(bytes.count))
        writer.write(bytes)
    }

    /// A u16-length-prefixed text; the empty text reads as nil.
    static func readText(field: String, from reader: inout ByteReader) throws -> String? {
        let length = Int(try reader.readUInt16())
        guard length <= maxTextBytes else { throw BodyError.fieldTooLong(field: field, limit: maxTextBytes) }
        let bytes = try reader.readBytes(length)
        do {
            let text = try TextRules.decode(bytes, maxBytes: maxTextBytes, singleLine: false)
            return text.isEmpty ? nil : text
        } catch {
            throw BodyError.invalidText(field: field)
        }
    }

    static func write(_ location: Location, into writer: inout ByteWriter) {
        writer.write(location.latitudeE7)
        writer.write(location.longitudeE7)
    }

    static func readLocation(from reader: inout ByteReader) throws -> Location {
        let latitude = try reader.readInt32()
        let longitude = try reader.readInt32()
        guard let location = Location(latitudeE7: latitude, longitudeE7: longitude) else {
            throw BodyError.invalidValue(field: "location")
        }
        return location
    }

    static func readFlags(allowed: UInt8, from reader: inout ByteReader) throws -> UInt8 {
        let flags = try reader.readUInt8()
        guard flags & ~allowed == 0 else { throw BodyError.reservedBitsSet }
        return flags
    }

    static func readMessageID(from reader: inout ByteReader) throws -> MessageID {
        MessageID(validated: try reader.readBytes(MessageID.byteCount))
    }
}
