/// Why a message body was refused, when decoding one received or encoding one to send.
///
/// Names a field, never its content.
public enum BodyError: Error, Hashable, Sendable {
    /// The body ends before a field it must contain.
    case truncated
    /// Bytes follow the last field.
    case trailingBytes
    /// A flags byte has a bit set that this version does not define.
    case reservedBitsSet
    /// A text or list field is longer than its limit.
    case fieldTooLong(field: String, limit: Int)
    /// A text field is not valid UTF-8 or holds a forbidden character.
    case invalidText(field: String)
    /// A field holds a value outside its range (a status, a coordinate, a count).
    case invalidValue(field: String)
}

extension BodyError {
    /// A stable identifier, as used by Protocol/bodies.md and the test vectors.
    public var code: String {
        switch self {
        case .truncated: return "truncated"
        case .trailingBytes: return "trailing_bytes"
        case .reservedBitsSet: return "reserved_bits"
        case .fieldTooLong: return "field_too_long"
        case .invalidText: return "invalid_text"
        case .invalidValue: return "invalid_value"
        }
    }

    /// The field concerned, by its name in Protocol/bodies.md, if the error names one.
    public var field: String? {
        switch self {
        case .truncated, .trailingBytes, .reservedBitsSet: return nil
        case .fieldTooLong(let field, _), .invalidText(let field), .invalidValue(let field): return field
        }
    }
}

extension BodyError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .truncated: return "the body ends too early"
        case .trailingBytes: return "the body has extra bytes after its last field"
        case .reservedBitsSet: return "the body sets flags this version does not define"
        case .fieldTooLong(let field, let limit): return "\(field) is longer than \(limit)"
        case .invalidText(let field): return "\(field) is not valid text"
        case .invalidValue(let field): return "\(field) is out of range"
        }
    }
}
