internal import CSodium

/// Argon2id password hashing (`crypto_pwhash` with `crypto_pwhash_ALG_ARGON2ID13`), used to turn
/// a passphrase into the key that encrypts secret keys at rest.
///
/// The costs are explicit, stored next to what they protect, and validated against libsodium's
/// bounds, so raising them later does not lock anyone out of older files.
public enum Argon2id {
    /// Salt length in bytes.
    public static let saltByteCount = 16

    /// Argon2id cost parameters.
    public struct Parameters: Hashable, Sendable, Codable {
        /// Number of passes over memory (libsodium `opslimit`), at least 1.
        public var iterations: UInt64
        /// Memory to use, in bytes (libsodium `memlimit`), at least 8 KiB.
        public var memoryBytes: UInt64

        public init(iterations: UInt64, memoryBytes: UInt64) {
            self.iterations = iterations
            self.memoryBytes = memoryBytes
        }

        /// libsodium's "moderate" level: 3 passes over 256 MiB. For keys at rest on a laptop.
        public static let moderate = Parameters(iterations: 3, memoryBytes: 256 << 20)
        /// libsodium's "interactive" level: 2 passes over 64 MiB.
        public static let interactive = Parameters(iterations: 2, memoryBytes: 64 << 20)
        /// The cheapest parameters libsodium accepts. Only for tests.
        public static let minimum = Parameters(iterations: 1, memoryBytes: 8 << 10)
    }

    /// Derives `outputByteCount` key bytes from `passphrase` and `salt`.
    /// - Throws: ``CryptoError/invalidSaltLength(expected:actual:)``,
    ///   ``CryptoError/invalidKeyDerivationParameters`` for costs or a length outside libsodium's
    ///   bounds, ``CryptoError/keyDerivationFailed`` when the memory cannot be had.
    public static func deriveKey(
        from passphrase: SecureBytes, salt: [UInt8], parameters: Parameters, outputByteCount: Int = 32
    ) throws(CryptoError) -> SecureBytes {
        guard salt.count == saltByteCount else {
            throw .invalidSaltLength(expected: saltByteCount, actual: salt.count)
        }
        Sodium.ensureInitialized()
        guard parameters.iterations >= UInt64(crypto_pwhash_argon2id_opslimit_min()),
            parameters.iterations <= UInt64(crypto_pwhash_argon2id_opslimit_max()),
            parameters.memoryBytes >= UInt64(crypto_pwhash_argon2id_memlimit_min()),
            parameters.memoryBytes <= UInt64(crypto_pwhash_argon2id_memlimit_max()),
            outputByteCount >= Int(crypto_pwhash_argon2id_bytes_min()),
            UInt64(outputByteCount) <= UInt64(min(crypto_pwhash_argon2id_bytes_max(), 1 << 20)),
            UInt64(passphrase.count) <= UInt64(crypto_pwhash_argon2id_passwd_max())
        else { throw .invalidKeyDerivationParameters }
        var status: Int32 = 0
        let key = passphrase.withUnsafeBytes { p in
            SecureBytes(count: outputByteCount) { out in
                status = crypto_pwhash(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(outputByteCount),
                    p.baseAddress!.assumingMemoryBound(to: CChar.self), UInt64(p.count),
                    salt, parameters.iterations, Int(parameters.memoryBytes),
                    crypto_pwhash_ALG_ARGON2ID13)
            }
        }
        guard status == 0 else { throw .keyDerivationFailed }
        return key
    }
}
