/// Why an envelope could not be sealed or opened.
///
/// When opening, the checks run in a fixed order (sealed box, padding, version, lengths,
/// signature, recipient binding, body) and the first failure is reported; nothing of a message
/// that fails any check is returned. Cases never include plaintext or key material.
public enum EnvelopeError: Error, Hashable, Sendable {
    /// The sealed box did not open: it was sealed to another key, or changed, or is too short.
    case sealedBoxOpenFailed
    /// The opened plaintext is not one of the size buckets or its padding is malformed.
    case badPadding
    /// The inner message has a format version this implementation does not read.
    case unsupportedVersion(UInt8)
    /// The inner message's length does not match its length fields.
    case invalidLength
    /// The sender's signature does not verify (or the sender key is not a valid Ed25519 key).
    case badSignature
    /// The message is validly signed but was addressed to someone else: it was re-sealed.
    case wrongRecipient
    /// The body of a known kind breaks the format.
    case invalidBody(kind: MessageKind, BodyError)
    /// Sealing: the body does not fit in the largest size bucket.
    case bodyTooLarge(byteCount: Int, limit: Int)
    /// Sealing: the recipient's encryption key cannot be sealed to (a key of low order).
    case invalidRecipientKey

    /// A stable identifier, as used by Protocol/ and the test vectors.
    public var code: String {
        switch self {
        case .sealedBoxOpenFailed: return "sealed_box"
        case .badPadding: return "padding"
        case .unsupportedVersion: return "version"
        case .invalidLength: return "length"
        case .badSignature: return "signature"
        case .wrongRecipient: return "recipient"
        case .invalidBody: return "body"
        case .bodyTooLarge: return "body_too_large"
        case .invalidRecipientKey: return "recipient_key"
        }
    }
}

extension EnvelopeError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .sealedBoxOpenFailed:
            return "the envelope is not for this identity, or it was altered"
        case .badPadding:
            return "the envelope's padding is malformed"
        case .unsupportedVersion(let version):
            return "the envelope uses format version \(version), which this version of Vigil cannot read"
        case .invalidLength:
            return "the envelope's length fields do not match its size"
        case .badSignature:
            return "the envelope's signature is not valid: it was forged or altered"
        case .wrongRecipient:
            return "the envelope was signed for someone else and passed on: refused"
        case .invalidBody(let kind, let error):
            return "the \(kind) message is malformed: \(error)"
        case .bodyTooLarge(let byteCount, let limit):
            return "the message body has \(byteCount) bytes, at most \(limit) fit"
        case .invalidRecipientKey:
            return "the recipient's encryption key is not usable"
        }
    }
}
