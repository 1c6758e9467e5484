internal import CSodium

/// An X25519 public key to which sealed boxes are sealed.
public struct EncryptionPublicKey: Hashable, Sendable {
    /// Length of the raw key in bytes.
    public static let byteCount = 32
    /// How many bytes a sealed box adds to its plaintext (ephemeral public key and tag).
    public static let sealOverhead = 48

    /// The 32-byte X25519 encoding of the key.
    public let rawRepresentation: [UInt8]

    /// Wraps a raw X25519 public key.
    ///
    /// Only the length is checked here; a key of low order is refused when sealing to it.
    /// - Throws: ``CryptoError/invalidKeyLength(expected:actual:)``.
    public init(rawRepresentation: [UInt8]) throws(CryptoError) {
        guard rawRepresentation.count == Self.byteCount else {
            throw .invalidKeyLength(expected: Self.byteCount, actual: rawRepresentation.count)
        }
        self.rawRepresentation = rawRepresentation
    }

    /// Wraps a raw X25519 public key after checking that envelopes can be sealed to it: a key
    /// of small order (which would make every shared secret all zeros) is refused. Use this for
    /// keys that arrive from outside, such as those on a contact card.
    /// - Throws: ``CryptoError/invalidKeyLength(expected:actual:)`` or ``CryptoError/invalidPublicKey``.
    public init(validating rawRepresentation: [UInt8]) throws(CryptoError) {
        try self.init(rawRepresentation: rawRepresentation)
        Sodium.ensureInitialized()
        // Any clamped scalar is a multiple of the cofactor 8, so the product is the identity
        // (all zeros, which crypto_scalarmult reports as -1) exactly when the key has small order.
        let scalar = [UInt8](repeating: 0x5a, count: 32)
        var product = [UInt8](repeating: 0, count: 32)
        guard crypto_scalarmult(&product, scalar, rawRepresentation) == 0 else { throw .invalidPublicKey }
        secureWipe(&product)
    }

    init(trusted raw: [UInt8]) {
        self.rawRepresentation = raw
    }

    /// Seals `plaintext` to this key with an anonymous sealed box (`crypto_box_seal`): a fresh
    /// ephemeral key pair per call, so the result reveals nothing about who sealed it.
    /// - Throws: ``CryptoError/invalidPublicKey`` when the key is of low order.
    public func seal(_ plaintext: [UInt8]) throws(CryptoError) -> [UInt8] {
        try plaintext.withUnsafeBufferPointer { (m) throws(CryptoError) -> [UInt8] in
            try seal(UnsafeRawBufferPointer(m))
        }
    }

    /// Seals the bytes `plaintext` points to; see ``seal(_:)-([UInt8])``.
    public func seal(_ plaintext: UnsafeRawBufferPointer) throws(CryptoError) -> [UInt8] {
        Sodium.ensureInitialized()
        var status: Int32 = 0
        let sealed = [UInt8](unsafeUninitializedByteCount: plaintext.count + Self.sealOverhead) { c in
            status = crypto_box_seal(
                c, plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(plaintext.count),
                rawRepresentation)
        }
        guard status == 0 else { throw .invalidPublicKey }
        return sealed
    }
}

/// An X25519 key pair for opening sealed boxes.
///
/// The secret key lives in ``SecureBytes`` and is wiped when released; printing or dumping the
/// pair shows only the public key.
public struct EncryptionKeyPair: Sendable {
    /// Length of the secret key in bytes.
    public static let secretKeyByteCount = 32

    /// The 32-byte secret scalar, for storing it encrypted.
    public let secretKey: SecureBytes
    /// The public half.
    public let publicKey: EncryptionPublicKey

    /// A new key pair from the secure random source (`crypto_box_keypair`).
    public init() {
        Sodium.ensureInitialized()
        var pk = [UInt8](repeating: 0, count: EncryptionPublicKey.byteCount)
        secretKey = SecureBytes(count: Self.secretKeyByteCount) { sk in
            _ = crypto_box_keypair(&pk, sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        publicKey = EncryptionPublicKey(trusted: pk)
    }

    /// The key pair of a stored 32-byte secret key; the public key is derived from it.
    /// - Throws: ``CryptoError/invalidKeyLength(expected:actual:)``.
    public init(secretKey: SecureBytes) throws(CryptoError) {
        guard secretKey.count == Self.secretKeyByteCount else {
            throw .invalidKeyLength(expected: Self.secretKeyByteCount, actual: secretKey.count)
        }
        Sodium.ensureInitialized()
        var pk = [UInt8](repeating: 0, count: EncryptionPublicKey.byteCount)
        _ = secretKey.withUnsafeBytes { sk in
            crypto_scalarmult_base(&pk, sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        self.secretKey = secretKey
        self.publicKey = EncryptionPublicKey(trusted: pk)
    }

    /// Opens a sealed box addressed to this key pair (`crypto_box_seal_open`).
    ///
    /// The plaintext is returned only when the box authenticates; nothing partial is ever returned.
    /// - Throws: ``CryptoError/sealedBoxOpenFailed`` when the box is too short, was sealed to
    ///   another key, or was altered.
    public func open(_ sealed: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard sealed.count >= EncryptionPublicKey.sealOverhead else { throw .sealedBoxOpenFailed }
        Sodium.ensureInitialized()
        var status: Int32 = 0
        var plaintext = [UInt8](unsafeUninitializedByteCount: sealed.count - EncryptionPublicKey.sealOverhead) { m in
            status = secretKey.withUnsafeBytes { sk in
                crypto_box_seal_open(
                    m, sealed, UInt64(sealed.count), publicKey.rawRepresentation,
                    sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        guard status == 0 else {
            secureWipe(&plaintext)
            throw .sealedBoxOpenFailed
        }
        return plaintext
    }
}

extension EncryptionKeyPair: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "EncryptionKeyPair(publicKey: \(publicKey), secret redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["publicKey": publicKey]) }
}

extension EncryptionPublicKey: CustomStringConvertible {
    public var description: String { "X25519:" + hexString(rawRepresentation) }
}
