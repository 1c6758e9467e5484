import Foundation
public import VigilCrypto
public import VigilProtocol

/// The keys that unlock one person's Vigil: their identity and the key of the state file.
///
/// Holds every secret in ``SecureBytes``, wiped when the last copy is released; printing it
/// shows only the public identity.
public struct UnlockedKeys: Sendable {
    /// The person's signing and encryption key pairs.
    public let identity: Identity
    /// The 32-byte key that seals `state.json.enc`.
    let stateKey: SecureBytes
}

extension UnlockedKeys: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "UnlockedKeys(\(identity.publicIdentity.fingerprint), secrets redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["identity": identity]) }
}

/// `keystore.json`: the identity's public keys in the clear, and its secrets sealed.
///
/// The secrets are 96 bytes, `signing seed (32) || encryption secret key (32) || state key (32)`,
/// sealed with XChaCha20-Poly1305. With a passphrase (the default) the sealing key comes from
/// Argon2id over the passphrase with the stored salt and cost. Without one (`init
/// --no-passphrase`, chosen explicitly) the sealing key is stored in the file, which says so:
/// anyone who copies the file then holds the keys. The associated data binds the format and the
/// protection mode; after opening, the public keys are re-derived from the secrets and compared
/// with those in the file, so a file whose keys were swapped or altered is refused as damaged.
/// An altered ciphertext cannot be told apart from a wrong passphrase (both fail
/// authentication), and is reported as "wrong passphrase (or altered file)".
public enum Keystore {
    /// The format name written into the file.
    static let formatName = "vigil-keystore"
    /// The format version this implementation writes and reads.
    static let version = 1
    /// Bytes of the sealed secrets' plaintext.
    static let secretsByteCount = 96

    /// How the secrets are protected at rest.
    public enum Protection: Sendable {
        /// Sealed under a key derived from this passphrase with this cost.
        case passphrase(SecureBytes, Argon2id.Parameters)
        /// Sealed under a key stored next to them: no protection against whoever reads the file.
        case none
    }

    struct File: Codable {
        struct KeyDerivation: Codable {
            var algorithm: String
            var salt: String
            var iterations: UInt64
            var memoryBytes: UInt64
        }
        var format: String
        var version: Int
        /// `passphrase` or `none`.
        var protection: String
        var signingKey: String
        var encryptionKey: String
        var keyDerivation: KeyDerivation?
        /// Only with protection `none`: the key the secrets are sealed with, in hex.
        var unprotectedKey: String?
        /// Base64 of `nonce || ciphertext || tag`.
        var secrets: String
    }

    /// Makes a new identity and state key and returns them with the file bytes that hold them.
    public static func create(protection: Protection) throws(VigilError) -> (UnlockedKeys, [UInt8]) {
        let identity = Identity()
        let stateKey = SecureBytes.random(count: 32)
        let keys = UnlockedKeys(identity: identity, stateKey: stateKey)
        return (keys, try seal(keys, protection: protection))
    }

    /// The file bytes that hold `keys` under `protection`.
    static func seal(_ keys: UnlockedKeys, protection: Protection) throws(VigilError) -> [UInt8] {
        let secrets = secretBytes(keys)
        let sealingKey: SecureBytes
        var file = File(
            format: formatName, version: version, protection: "none",
            signingKey: Hex.encode(keys.identity.signing.publicKey.rawRepresentation),
            encryptionKey: Hex.encode(keys.identity.encryption.publicKey.rawRepresentation),
            keyDerivation: nil, unprotectedKey: nil, secrets: "")
        switch protection {
        case .passphrase(let passphrase, let cost):
            guard passphrase.count > 0 else { throw .usage("the passphrase must not be empty") }
            try KeyDerivationCost.validate(cost, path: VigilHome.keystoreName)
            let salt = SecureRandom.bytes(count: Argon2id.saltByteCount)
            sealingKey = try derive(passphrase, salt: salt, cost: cost, path: VigilHome.keystoreName)
            file.protection = "passphrase"
            file.keyDerivation = .init(
                algorithm: "argon2id13", salt: Hex.encode(salt), iterations: cost.iterations, memoryBytes: cost.memoryBytes)
        case .none:
            sealingKey = SecureBytes.random(count: XChaCha20Poly1305.keyByteCount)
            file.unprotectedKey = sealingKey.withUnsafeBytes { Hex.encode($0) }
        }
        do {
            let sealed = try XChaCha20Poly1305.seal(secrets, key: sealingKey, associatedData: associatedData(file))
            file.secrets = Data(sealed).base64EncodedString()
        } catch {
            throw VigilError(.usage, "could not seal the keys: \(error)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(file) else { throw VigilError(.usage, "could not encode the keystore") }
        return Array(data) + [0x0A]
    }

    /// Whether the keystore in `bytes` needs a passphrase to open.
    /// - Throws: ``VigilError`` (damaged) when it is not a readable keystore.
    public static func needsPassphrase(_ bytes: [UInt8], path: String = VigilHome.keystoreName) throws(VigilError) -> Bool {
        try parse(bytes, path: path).protection == "passphrase"
    }

    /// Opens the keystore in `bytes`, asking `passphrase` only if it is protected by one.
    /// - Throws: ``VigilError/wrongPassphrase`` (exit 2) when the passphrase does not open it;
    ///   a damaged error (exit 4) for a file that is malformed, altered or of an unknown version;
    ///   whatever `passphrase` throws.
    public static func unlock(
        _ bytes: [UInt8], path: String = VigilHome.keystoreName, passphrase: () throws(VigilError) -> SecureBytes
    ) throws(VigilError) -> UnlockedKeys {
        let file = try parse(bytes, path: path)
        func damaged(_ detail: String) -> VigilError { Keystore.damaged(detail, path: path) }
        let sealed = Data(base64Encoded: file.secrets).map(Array.init) ?? []
        guard !sealed.isEmpty else { throw damaged("the sealed keys are not base64") }
        let sealingKey: SecureBytes
        switch file.protection {
        case "passphrase":
            guard let kdf = file.keyDerivation, kdf.algorithm == "argon2id13",
                let salt = Hex.decode(kdf.salt), salt.count == Argon2id.saltByteCount
            else { throw damaged("its key-derivation settings are missing or malformed") }
            let cost = Argon2id.Parameters(iterations: kdf.iterations, memoryBytes: kdf.memoryBytes)
            try KeyDerivationCost.validate(cost, path: path)
            let phrase = try passphrase()
            sealingKey = try derive(phrase, salt: salt, cost: cost, path: path)
        case "none":
            guard var raw = file.unprotectedKey.flatMap(Hex.decode), raw.count == XChaCha20Poly1305.keyByteCount else {
                throw damaged("its stored key is missing or malformed")
            }
            sealingKey = SecureBytes(wiping: &raw)
        default:
            throw damaged("its protection \"\(file.protection.prefix(20))\" is unknown")
        }
        let secrets: SecureBytes
        do {
            secrets = try XChaCha20Poly1305.open(sealed, key: sealingKey, associatedData: associatedData(file))
        } catch {
            if file.protection == "passphrase" { throw .wrongPassphrase }
            throw damaged("the sealed keys do not authenticate")
        }
        guard secrets.count == secretsByteCount else { throw damaged("the sealed keys have the wrong length") }
        let keys: UnlockedKeys
        do {
            let (seed, encryptionSecret, stateKey) = secrets.withUnsafeBytes { raw in
                (SecureBytes(copying: raw[0..<32]), SecureBytes(copying: raw[32..<64]), SecureBytes(copying: raw[64..<96]))
            }
            let identity = Identity(signing: try SigningKeyPair(seed: seed), encryption: try EncryptionKeyPair(secretKey: encryptionSecret))
            keys = UnlockedKeys(identity: identity, stateKey: stateKey)
        } catch {
            throw damaged("the sealed keys are malformed")
        }
        guard Hex.encode(keys.identity.signing.publicKey.rawRepresentation) == file.signingKey.lowercased(),
            Hex.encode(keys.identity.encryption.publicKey.rawRepresentation) == file.encryptionKey.lowercased()
        else { throw damaged("the public keys do not match the sealed keys") }
        return keys
    }

    /// The public identity a keystore file names, without opening it.
    public static func publicIdentity(_ bytes: [UInt8], path: String = VigilHome.keystoreName) throws(VigilError) -> PublicIdentity {
        let file = try parse(bytes, path: path)
        func damaged(_ detail: String) -> VigilError { Keystore.damaged(detail, path: path) }
        guard let signing = Hex.decode(file.signingKey), let encryption = Hex.decode(file.encryptionKey),
            let signingKey = try? SigningPublicKey(rawRepresentation: signing),
            let encryptionKey = try? EncryptionPublicKey(rawRepresentation: encryption)
        else { throw damaged("its public keys are malformed") }
        return PublicIdentity(signingKey: signingKey, encryptionKey: encryptionKey)
    }

    static func parse(_ bytes: [UInt8], path: String) throws(VigilError) -> File {
        func damaged(_ detail: String, advice: String? = nil) -> VigilError { Keystore.damaged(detail, path: path, advice: advice) }
        guard bytes.count < 1 << 20, let file = try? JSONDecoder().decode(File.self, from: Data(bytes)) else {
            throw damaged("it is not a Vigil keystore")
        }
        guard file.format == formatName else { throw damaged("it is not a Vigil keystore") }
        guard file.version == version else {
            throw damaged(
                "it has format version \(file.version), this Vigil reads version \(version)",
                advice: "use the Vigil version that wrote it; nothing was changed")
        }
        return file
    }

    private static func derive(_ passphrase: SecureBytes, salt: [UInt8], cost: Argon2id.Parameters, path: String) throws(VigilError) -> SecureBytes {
        do {
            return try Argon2id.deriveKey(from: passphrase, salt: salt, parameters: cost)
        } catch .keyDerivationFailed {
            throw VigilError(.usage, "not enough memory to derive the key from the passphrase (\(cost.memoryBytes >> 20) MiB needed): close other programs and retry")
        } catch {
            throw Keystore.damaged("its key-derivation settings are not usable (\(error))", path: path)
        }
    }

    private static func secretBytes(_ keys: UnlockedKeys) -> SecureBytes {
        var buffer = [UInt8]()
        buffer.reserveCapacity(secretsByteCount)
        keys.identity.signing.seed.withUnsafeBytes { buffer.append(contentsOf: $0) }
        keys.identity.encryption.secretKey.withUnsafeBytes { buffer.append(contentsOf: $0) }
        keys.stateKey.withUnsafeBytes { buffer.append(contentsOf: $0) }
        return SecureBytes(wiping: &buffer)
    }

    private static func associatedData(_ file: File) -> [UInt8] {
        Array("Vigil keystore v1".utf8) + [0] + Array(file.protection.utf8)
    }

    private static func damaged(_ detail: String, path: String, advice: String? = nil) -> VigilError {
        .damaged(path, detail, advice: advice)
    }
}
