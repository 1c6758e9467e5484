import Foundation
public import VigilCrypto
public import VigilProtocol

/// The keys that unlock one person's Vigil: their identity and the key of the state file.
///
/// Holds every secret in ``SecureBytes``, wiped when the last copy is released; printing it
/// shows only the public identity, never whether it was opened under duress.
public struct UnlockedKeys: Sendable {
    /// The person's signing and encryption key pairs.
    public let identity: Identity
    /// The 32-byte key that seals `state.json.enc`.
    let stateKey: SecureBytes
    /// Whether the keystore was opened with the duress passphrase: check-ins then go out marked
    /// as sent under duress, and nothing else shows it.
    let underDuress: Bool

    init(identity: Identity, stateKey: SecureBytes, underDuress: Bool = false) {
        self.identity = identity
        self.stateKey = stateKey
        self.underDuress = underDuress
    }
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
/// anyone who copies the file then holds the keys. The associated data binds the format version,
/// the protection mode and (from version 2) the slot; after opening, the public keys are
/// re-derived from the secrets and compared with those in the file, so a file whose keys were
/// swapped or altered is refused as damaged. An altered ciphertext cannot be told apart from a
/// wrong passphrase (both fail authentication), and is reported as "wrong passphrase (or altered
/// file)".
///
/// **Duress slot.** From version 2 a keystore with a passphrase has a second sealed copy,
/// `duressSecrets`: the same 96 bytes sealed under a key derived from the duress passphrase with
/// the same salt and cost, or, when none is set, 96 random bytes sealed under a random key. It is
/// always there and always the same size, so the file does not say whether a duress passphrase
/// is set. Unlocking derives one key from what was typed and tries both slots, always both, so
/// that the time taken does not say which passphrase was used. Version 1 files (no duress slot)
/// are still read; the next write makes them version 2.
public enum Keystore {
    /// The format name written into the file.
    static let formatName = "vigil-keystore"
    /// The format version this implementation writes.
    static let version = 2
    /// The format versions this implementation reads.
    static let readableVersions = 1...2
    /// Bytes of the sealed secrets' plaintext.
    static let secretsByteCount = 96

    /// Where a keystore with a passphrase seals the secrets; named in the associated data, so
    /// that the two sealed copies cannot be swapped.
    enum Slot: String {
        /// Under the passphrase (`secrets`).
        case primary
        /// Under the duress passphrase, or filler (`duressSecrets`).
        case duress
    }

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
        /// Version 2 with protection `passphrase` (always there): the duress slot, base64 of
        /// `nonce || ciphertext || tag`.
        var duressSecrets: String?
    }

    /// What opened a keystore with a passphrase: the passphrase typed, the key derived from it,
    /// and the salt and cost it was derived with.
    struct PassphraseSealing {
        let passphrase: SecureBytes
        let key: SecureBytes
        let salt: [UInt8]
        let cost: Argon2id.Parameters
    }

    /// A keystore opened: the keys, and what writing the file again needs.
    struct Opened {
        let keys: UnlockedKeys
        let file: File
        /// Nil without passphrase protection.
        let sealing: PassphraseSealing?
    }

    /// Makes a new identity and state key and returns them with the file bytes that hold them.
    public static func create(protection: Protection) throws(VigilError) -> (UnlockedKeys, [UInt8]) {
        let identity = Identity()
        let keys = UnlockedKeys(identity: identity, stateKey: SecureBytes.random(count: 32))
        var file = File(
            format: formatName, version: version, protection: "none",
            signingKey: Hex.encode(identity.signing.publicKey.rawRepresentation),
            encryptionKey: Hex.encode(identity.encryption.publicKey.rawRepresentation),
            keyDerivation: nil, unprotectedKey: nil, secrets: "", duressSecrets: nil)
        let sealingKey: SecureBytes
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
        return (keys, try written(keys, as: file, primaryKey: sealingKey, duressKey: nil))
    }

    /// The bytes of an opened keystore written again as the current version (same salt and
    /// cost), with the duress slot sealed anew under `duressPassphrase`, or filled with random
    /// bytes under a random key when it is nil. The primary slot is kept as it is, unless the file
    /// was version 1 (its associated data changes).
    ///
    /// Opened under duress, the real passphrase's slot cannot be touched: the duress slot is
    /// sealed anew for the duress passphrase that opened it, whatever was asked, so that the file
    /// changes as it would and that passphrase keeps working. `duressPassphrase` is derived all
    /// the same, so that the command takes as long.
    /// - Throws: ``VigilError`` (usage) for a keystore without a passphrase.
    static func rewritten(_ opened: Opened, duressPassphrase: SecureBytes?, path: String = VigilHome.keystoreName) throws(VigilError) -> [UInt8] {
        guard let sealing = opened.sealing else { throw noPassphraseForDuress }
        let chosenKey = try duressPassphrase.map { (phrase) throws(VigilError) in
            try derive(phrase, salt: sealing.salt, cost: sealing.cost, path: path)
        }
        return try written(
            opened.keys, as: opened.file, primaryKey: opened.file.version < version ? sealing.key : nil,
            duressKey: opened.keys.underDuress ? sealing.key : chosenKey)
    }

    /// Why a keystore without a passphrase cannot have a duress passphrase.
    static let noPassphraseForDuress = VigilError.usage(
        "your keys are stored without a passphrase (set up with --no-passphrase), so there is no passphrase for a duress passphrase to stand in for: nothing was changed")

    /// `file` as the current version with `keys` sealed into it, encoded: the primary slot under
    /// `primaryKey` (kept as it is when nil), the duress slot under `duressKey` or filler.
    private static func written(_ keys: UnlockedKeys, as file: File, primaryKey: SecureBytes?, duressKey: SecureBytes?) throws(VigilError) -> [UInt8] {
        var file = file
        file.version = version
        let secrets = secretBytes(keys)
        if let primaryKey { file.secrets = try sealed(secrets, key: primaryKey, file: file, slot: .primary) }
        if file.protection == "passphrase" {
            // Without a duress passphrase: random bytes of the same length under a random key,
            // which nobody can tell from a real copy.
            let copy = duressKey == nil ? SecureBytes.random(count: secretsByteCount) : secrets
            let key = duressKey ?? SecureBytes.random(count: XChaCha20Poly1305.keyByteCount)
            file.duressSecrets = try sealed(copy, key: key, file: file, slot: .duress)
        } else {
            file.duressSecrets = nil
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(file) else { throw VigilError(.usage, "could not encode the keystore") }
        return Array(data) + [0x0A]
    }

    /// `secrets` sealed for `slot` of `file`, as base64.
    private static func sealed(_ secrets: SecureBytes, key: SecureBytes, file: File, slot: Slot) throws(VigilError) -> String {
        do {
            let box = try XChaCha20Poly1305.seal(secrets, key: key, associatedData: associatedData(file, slot: slot))
            return Data(box).base64EncodedString()
        } catch {
            throw VigilError(.usage, "could not seal the keys: \(error)")
        }
    }

    /// Whether the keystore in `bytes` needs a passphrase to open.
    /// - Throws: ``VigilError`` (damaged) when it is not a readable keystore.
    public static func needsPassphrase(_ bytes: [UInt8], path: String = VigilHome.keystoreName) throws(VigilError) -> Bool {
        try parse(bytes, path: path).protection == "passphrase"
    }

    /// Opens the keystore in `bytes`, asking `passphrase` only if it is protected by one. The
    /// keys say whether the duress passphrase opened it (``UnlockedKeys/underDuress``).
    /// - Throws: ``VigilError/wrongPassphrase`` (exit 2) when the passphrase opens neither slot;
    ///   a damaged error (exit 4) for a file that is malformed, altered or of an unknown version;
    ///   whatever `passphrase` throws.
    public static func unlock(
        _ bytes: [UInt8], path: String = VigilHome.keystoreName, passphrase: () throws(VigilError) -> SecureBytes
    ) throws(VigilError) -> UnlockedKeys {
        try open(bytes, path: path, passphrase: passphrase).keys
    }

    /// ``unlock(_:path:passphrase:)``, keeping what writing the file again needs.
    static func open(
        _ bytes: [UInt8], path: String = VigilHome.keystoreName, passphrase: () throws(VigilError) -> SecureBytes
    ) throws(VigilError) -> Opened {
        let file = try parse(bytes, path: path)
        func damaged(_ detail: String) -> VigilError { Keystore.damaged(detail, path: path) }
        func box(_ base64: String?) -> [UInt8]? {
            base64.flatMap { Data(base64Encoded: $0) }.map(Array.init).flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let primary = box(file.secrets) else { throw damaged("the sealed keys are not base64") }
        let secrets: SecureBytes
        let underDuress: Bool
        var sealing: PassphraseSealing?
        switch file.protection {
        case "passphrase":
            guard let kdf = file.keyDerivation, kdf.algorithm == "argon2id13",
                let salt = Hex.decode(kdf.salt), salt.count == Argon2id.saltByteCount
            else { throw damaged("its key-derivation settings are missing or malformed") }
            let duress = box(file.duressSecrets)
            guard file.version < 2 || duress != nil else { throw damaged("its second sealed copy of the keys is missing or malformed") }
            let cost = Argon2id.Parameters(iterations: kdf.iterations, memoryBytes: kdf.memoryBytes)
            try KeyDerivationCost.validate(cost, path: path)
            let phrase = try passphrase()
            let key = try derive(phrase, salt: salt, cost: cost, path: path)
            // Both slots, always: the time taken must not say which passphrase was typed.
            let openedPrimary = try? XChaCha20Poly1305.open(primary, key: key, associatedData: associatedData(file, slot: .primary))
            let openedDuress = duress.flatMap { try? XChaCha20Poly1305.open($0, key: key, associatedData: associatedData(file, slot: .duress)) }
            if let openedPrimary {
                (secrets, underDuress) = (openedPrimary, false)
            } else if let openedDuress {
                (secrets, underDuress) = (openedDuress, true)
            } else {
                throw .wrongPassphrase
            }
            sealing = PassphraseSealing(passphrase: phrase, key: key, salt: salt, cost: cost)
        case "none":
            guard var raw = file.unprotectedKey.flatMap(Hex.decode), raw.count == XChaCha20Poly1305.keyByteCount else {
                throw damaged("its stored key is missing or malformed")
            }
            let key = SecureBytes(wiping: &raw)
            guard let opened = try? XChaCha20Poly1305.open(primary, key: key, associatedData: associatedData(file, slot: .primary)) else {
                throw damaged("the sealed keys do not authenticate")
            }
            (secrets, underDuress) = (opened, false)
        default:
            throw damaged("its protection \"\(file.protection.prefix(20))\" is unknown")
        }
        guard secrets.count == secretsByteCount else { throw damaged("the sealed keys have the wrong length") }
        let keys: UnlockedKeys
        do {
            let (seed, encryptionSecret, stateKey) = secrets.withUnsafeBytes { raw in
                (SecureBytes(copying: raw[0..<32]), SecureBytes(copying: raw[32..<64]), SecureBytes(copying: raw[64..<96]))
            }
            let identity = Identity(signing: try SigningKeyPair(seed: seed), encryption: try EncryptionKeyPair(secretKey: encryptionSecret))
            keys = UnlockedKeys(identity: identity, stateKey: stateKey, underDuress: underDuress)
        } catch {
            throw damaged("the sealed keys are malformed")
        }
        guard Hex.encode(keys.identity.signing.publicKey.rawRepresentation) == file.signingKey.lowercased(),
            Hex.encode(keys.identity.encryption.publicKey.rawRepresentation) == file.encryptionKey.lowercased()
        else { throw damaged("the public keys do not match the sealed keys") }
        return Opened(keys: keys, file: file, sealing: sealing)
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
        guard readableVersions.contains(file.version) else {
            throw damaged(
                "it has format version \(file.version), this Vigil reads versions \(readableVersions.lowerBound) to \(readableVersions.upperBound)",
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

    /// `Vigil keystore v1 \0 protection` in version 1; from version 2 also `\0 slot`.
    private static func associatedData(_ file: File, slot: Slot) -> [UInt8] {
        let common = Array("Vigil keystore v\(file.version)".utf8) + [0] + Array(file.protection.utf8)
        return file.version == 1 ? common : common + [0] + Array(slot.rawValue.utf8)
    }

    private static func damaged(_ detail: String, path: String, advice: String? = nil) -> VigilError {
        .damaged(path, detail, advice: advice)
    }
}
