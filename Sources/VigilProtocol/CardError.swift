/// Why a contact card was refused. Each case says what to do about it.
public enum CardError: Error, Hashable, Sendable {
    /// The text does not start with `VIGIL1:`: it is not a Vigil card, or only part was copied.
    case missingPrefix
    /// A character that cannot appear in a card, at this 0-based position after the prefix.
    case invalidCharacter(position: Int)
    /// The card text is shorter than the length it declares: it was cut off.
    case truncated
    /// The card text is longer than the length it declares: something was added.
    case trailingData
    /// The checksum does not match: a character was mistyped or changed.
    case checksumMismatch
    /// A card format version this implementation does not read.
    case unsupportedVersion(UInt8)
    /// A field breaks the format; names the field, never its content.
    case invalidField(String)
    /// The self-signature does not verify: the card was forged or altered.
    case badSignature

    /// A stable identifier, as used by Protocol/ and the test vectors.
    public var code: String {
        switch self {
        case .missingPrefix: return "prefix"
        case .invalidCharacter: return "character"
        case .truncated: return "truncated"
        case .trailingData: return "trailing_data"
        case .checksumMismatch: return "checksum"
        case .unsupportedVersion: return "version"
        case .invalidField: return "field"
        case .badSignature: return "signature"
        }
    }
}

extension CardError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .missingPrefix:
            return "this is not a Vigil contact card: a card starts with VIGIL1: — copy the whole card again"
        case .invalidCharacter(let position):
            return "the card has a character that cannot be part of a card at position \(position + 1) — copy it again"
        case .truncated:
            return "the card is incomplete: it was cut off — copy the whole card again"
        case .trailingData:
            return "the card has extra characters at the end — copy exactly the card"
        case .checksumMismatch:
            return "the card is mistyped or damaged (its checksum does not match) — copy it again"
        case .unsupportedVersion(let version):
            return "the card uses format version \(version), which this version of Vigil cannot read — update Vigil"
        case .invalidField(let field):
            return "the card's \(field) is not valid"
        case .badSignature:
            return "the card's signature is not valid: it was forged or altered — do not trust it"
        }
    }
}
