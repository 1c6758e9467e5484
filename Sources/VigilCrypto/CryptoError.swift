/// Every way a VigilCrypto operation can fail.
///
/// The cases never carry key material, plaintext or any other secret: only lengths and the
/// name of what failed, so an error may be logged or shown as it is.
public enum CryptoError: Error, Equatable, Hashable, Sendable {
    /// Raw bytes for a key (or seed) had the wrong length.
    case invalidKeyLength(expected: Int, actual: Int)
    /// The bytes have the right length but are not a usable public key (not a canonical point
    /// of the main subgroup, or one of low order).
    case invalidPublicKey
    /// A sealed box could not be opened: it was not sealed to this key, or it was changed.
    case sealedBoxOpenFailed
    /// An AEAD ciphertext failed authentication: wrong key, wrong associated data, or changed.
    case authenticationFailed
    /// An AEAD ciphertext is shorter than its nonce and tag.
    case ciphertextTooShort(minimum: Int, actual: Int)
    /// ISO/IEC 7816-4 padding is missing or malformed.
    case invalidPadding
    /// A salt had the wrong length.
    case invalidSaltLength(expected: Int, actual: Int)
    /// Argon2id cost parameters outside what libsodium accepts.
    case invalidKeyDerivationParameters
    /// Argon2id could not run with the requested memory (the system refused the allocation).
    case keyDerivationFailed
}

extension CryptoError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidKeyLength(let expected, let actual):
            return "key has \(actual) bytes, expected \(expected)"
        case .invalidPublicKey:
            return "not a valid public key"
        case .sealedBoxOpenFailed:
            return "sealed box could not be opened: not sealed to this key, or altered"
        case .authenticationFailed:
            return "authentication failed: wrong key or altered data"
        case .ciphertextTooShort(let minimum, let actual):
            return "ciphertext has \(actual) bytes, at least \(minimum) are needed"
        case .invalidPadding:
            return "padding is missing or malformed"
        case .invalidSaltLength(let expected, let actual):
            return "salt has \(actual) bytes, expected \(expected)"
        case .invalidKeyDerivationParameters:
            return "key derivation cost parameters are out of range"
        case .keyDerivationFailed:
            return "key derivation failed: not enough memory for the requested cost"
        }
    }
}
