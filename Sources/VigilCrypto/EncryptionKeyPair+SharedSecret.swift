internal import CSodium

extension EncryptionKeyPair {
    /// The raw X25519 output of this pair's secret key and `publicKey` (`crypto_scalarmult`,
    /// RFC 7748 section 5: the scalar is clamped, the top bit of the u-coordinate is ignored and
    /// non-canonical u-coordinates are reduced modulo p; points on the twist are computed, not
    /// refused).
    ///
    /// Internal, for known-answer tests (Project Wycheproof): Vigil never uses a raw X25519
    /// output as a key; sealed boxes hash it first. The result is secret and lives in
    /// ``SecureBytes``.
    /// - Throws: ``CryptoError/invalidPublicKey`` when the output would be all zeros, which
    ///   happens exactly when `publicKey` has small order (libsodium reports it as -1) — the same
    ///   keys that ``EncryptionPublicKey/init(validating:)`` and sealing refuse.
    func sharedSecret(with publicKey: EncryptionPublicKey) throws(CryptoError) -> SecureBytes {
        Sodium.ensureInitialized()
        var status: Int32 = 0
        let shared = SecureBytes(count: EncryptionPublicKey.byteCount) { out in
            status = secretKey.withUnsafeBytes { sk in
                crypto_scalarmult(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    sk.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    publicKey.rawRepresentation)
            }
        }
        guard status == 0 else { throw .invalidPublicKey }
        return shared
    }
}
