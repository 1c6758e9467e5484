internal import CSodium

/// An Ed25519 public key for verifying signatures.
///
/// Creating one checks the length and that the bytes encode a canonical point of the main
/// subgroup (`crypto_core_ed25519_is_valid_point`), so low-order and malformed keys are refused
/// before any signature is checked against them.
public struct SigningPublicKey: Hashable, Sendable {
    /// Length of the raw key in bytes.
    public static let byteCount = 32
    /// Length of a detached signature in bytes.
    public static let signatureByteCount = 64

    /// The 32-byte Ed25519 encoding of the key.
    public let rawRepresentation: [UInt8]

    /// Validates and wraps a raw Ed25519 public key.
    /// - Throws: ``CryptoError/invalidKeyLength(expected:actual:)`` or ``CryptoError/invalidPublicKey``.
    public init(rawRepresentation: [UInt8]) throws(CryptoError) {
        guard rawRepresentation.count == Self.byteCount else {
            throw .invalidKeyLength(expected: Self.byteCount, actual: rawRepresentation.count)
        }
        Sodium.ensureInitialized()
        guard crypto_core_ed25519_is_valid_point(rawRepresentation) == 1 else {
            throw .invalidPublicKey
        }
        self.rawRepresentation = rawRepresentation
    }

    /// Keys made by libsodium itself are valid by construction.
    init(trusted raw: [UInt8]) {
        self.rawRepresentation = raw
    }

    /// Checks a detached Ed25519 signature (`crypto_sign_verify_detached`).
    ///
    /// A signature of the wrong length is simply invalid.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard signature.count == Self.signatureByteCount else { return false }
        Sodium.ensureInitialized()
        return message.withUnsafeBufferPointer { m in
            crypto_sign_verify_detached(signature, m.baseAddress, UInt64(m.count), rawRepresentation) == 0
        }
    }
}

/// An Ed25519 key pair for signing.
///
/// The 64-byte secret key lives in ``SecureBytes`` and is wiped when the last copy of the pair is
/// released. Printing or dumping the pair shows only the public key.
public struct SigningKeyPair: Sendable {
    /// Length of a seed in bytes.
    public static let seedByteCount = 32

    private let secretKey: SecureBytes
    /// The public half.
    public let publicKey: SigningPublicKey

    /// A new key pair from the secure random source (`crypto_sign_keypair`).
    public init() {
        Sodium.ensureInitialized()
        var pk = [UInt8](repeating: 0, count: SigningPublicKey.byteCount)
        secretKey = SecureBytes(count: Int(crypto_sign_secretkeybytes())) { sk in
            _ = crypto_sign_keypair(&pk, sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        publicKey = SigningPublicKey(trusted: pk)
    }

    /// The key pair determined by a 32-byte seed (`crypto_sign_seed_keypair`).
    /// - Throws: ``CryptoError/invalidKeyLength(expected:actual:)`` for a seed of another length.
    public init(seed: SecureBytes) throws(CryptoError) {
        guard seed.count == Self.seedByteCount else {
            throw .invalidKeyLength(expected: Self.seedByteCount, actual: seed.count)
        }
        Sodium.ensureInitialized()
        var pk = [UInt8](repeating: 0, count: SigningPublicKey.byteCount)
        secretKey = seed.withUnsafeBytes { s in
            SecureBytes(count: Int(crypto_sign_secretkeybytes())) { sk in
                _ = crypto_sign_seed_keypair(
                    &pk, sk.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    s.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        publicKey = SigningPublicKey(trusted: pk)
    }

    /// The 32-byte seed from which this pair can be re-created, for storing it encrypted.
    public var seed: SecureBytes {
        secretKey.withUnsafeBytes { sk in
            SecureBytes(count: Self.seedByteCount) { out in
                _ = crypto_sign_ed25519_sk_to_seed(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
    }

    /// A detached Ed25519 signature of `message` (`crypto_sign_detached`), 64 bytes.
    public func signature(for message: [UInt8]) -> [UInt8] {
        message.withUnsafeBufferPointer { m in
            signature(for: UnsafeRawBufferPointer(m))
        }
    }

    /// A detached Ed25519 signature of the bytes `message` points to.
    public func signature(for message: UnsafeRawBufferPointer) -> [UInt8] {
        secretKey.withUnsafeBytes { sk in
            [UInt8](unsafeUninitializedByteCount: SigningPublicKey.signatureByteCount) { sig in
                _ = crypto_sign_detached(
                    sig, nil, message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
                    sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
    }
}

extension SigningKeyPair: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SigningKeyPair(publicKey: \(publicKey), secret redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["publicKey": publicKey]) }
}

extension SigningPublicKey: CustomStringConvertible {
    public var description: String { "Ed25519:" + hexString(rawRepresentation) }
}
