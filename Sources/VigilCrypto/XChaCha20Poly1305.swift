internal import CSodium

/// XChaCha20-Poly1305 authenticated encryption (IETF construction,
/// `crypto_aead_xchacha20poly1305_ietf_*`), used to keep secret keys encrypted at rest.
///
/// The 24-byte nonce is drawn at random for every message, which is safe with this cipher.
/// A ciphertext is laid out as `nonce (24) || encrypted message || tag (16)`.
public enum XChaCha20Poly1305 {
    /// Key length in bytes.
    public static let keyByteCount = 32
    /// Nonce length in bytes.
    public static let nonceByteCount = 24
    /// Authentication tag length in bytes.
    public static let tagByteCount = 16

    /// Encrypts and authenticates `plaintext` and `associatedData` under `key`.
    /// - Throws: ``CryptoError/invalidKeyLength(expected:actual:)`` for a key that is not 32 bytes.
    public static func seal(
        _ plaintext: SecureBytes, key: SecureBytes, associatedData: [UInt8] = []
    ) throws(CryptoError) -> [UInt8] {
        try checkKey(key)
        let nonce = SecureRandom.bytes(count: nonceByteCount)
        let total = nonceByteCount + plaintext.count + tagByteCount
        return [UInt8](unsafeUninitializedByteCount: total) { out in
            out.initialize(from: nonce, count: nonceByteCount)
            plaintext.withUnsafeBytes { m in
                key.withUnsafeBytes { k in
                    _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                        out + nonceByteCount, nil,
                        m.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(m.count),
                        associatedData, UInt64(associatedData.count),
                        nil, nonce, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
    }

    /// Checks and decrypts a ciphertext made by ``seal(_:key:associatedData:)``.
    ///
    /// The plaintext goes straight into ``SecureBytes``; nothing is returned unless the tag verifies.
    /// - Throws: ``CryptoError/ciphertextTooShort(minimum:actual:)``,
    ///   ``CryptoError/authenticationFailed``, or a key length error.
    public static func open(
        _ ciphertext: [UInt8], key: SecureBytes, associatedData: [UInt8] = []
    ) throws(CryptoError) -> SecureBytes {
        try checkKey(key)
        let minimum = nonceByteCount + tagByteCount
        guard ciphertext.count >= minimum else {
            throw .ciphertextTooShort(minimum: minimum, actual: ciphertext.count)
        }
        var status: Int32 = 0
        let plaintext = ciphertext.withUnsafeBufferPointer { c in
            SecureBytes(count: c.count - minimum) { m in
                key.withUnsafeBytes { k in
                    status = crypto_aead_xchacha20poly1305_ietf_decrypt(
                        m.baseAddress!.assumingMemoryBound(to: UInt8.self), nil, nil,
                        c.baseAddress! + nonceByteCount, UInt64(c.count - nonceByteCount),
                        associatedData, UInt64(associatedData.count),
                        c.baseAddress!, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        guard status == 0 else { throw .authenticationFailed }
        return plaintext
    }

    private static func checkKey(_ key: SecureBytes) throws(CryptoError) {
        guard key.count == keyByteCount else {
            throw .invalidKeyLength(expected: keyByteCount, actual: key.count)
        }
        Sodium.ensureInitialized()
    }
}
