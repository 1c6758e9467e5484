public import VigilCrypto

/// A Vigil identity: an Ed25519 key pair that signs and an independent X25519 key pair that
/// receives sealed envelopes.
///
/// The two pairs are generated separately; neither is derived from the other. Both secrets are
/// held in wiped-on-release storage, and printing an identity shows only its public half.
public struct Identity: Sendable {
    /// Signs envelopes and contact cards.
    public let signing: SigningKeyPair
    /// Opens envelopes sealed to this identity.
    public let encryption: EncryptionKeyPair

    /// A new identity from the secure random source.
    public init() {
        self.init(signing: SigningKeyPair(), encryption: EncryptionKeyPair())
    }

    /// An identity from existing key pairs, e.g. ones loaded from an encrypted keystore.
    public init(signing: SigningKeyPair, encryption: EncryptionKeyPair) {
        self.signing = signing
        self.encryption = encryption
    }

    /// What others may know: both public keys.
    public var publicIdentity: PublicIdentity {
        PublicIdentity(signingKey: signing.publicKey, encryptionKey: encryption.publicKey)
    }
}

extension Identity: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "Identity(\(publicIdentity.fingerprint), secrets redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["publicIdentity": publicIdentity]) }
}

/// The public half of an identity: what a contact card carries and what a sender seals to.
public struct PublicIdentity: Hashable, Sendable {
    /// Verifies the identity's signatures; also names it inside envelopes.
    public let signingKey: SigningPublicKey
    /// Envelopes for this identity are sealed to this key.
    public let encryptionKey: EncryptionPublicKey

    public init(signingKey: SigningPublicKey, encryptionKey: EncryptionPublicKey) {
        self.signingKey = signingKey
        self.encryptionKey = encryptionKey
    }

    /// The 64 bytes `signing key || encryption key` that fingerprints and safety numbers hash.
    var keyBytes: [UInt8] {
        signingKey.rawRepresentation + encryptionKey.rawRepresentation
    }

    /// This identity's fingerprint.
    public var fingerprint: Fingerprint { Fingerprint(of: self) }
}

extension PublicIdentity: CustomStringConvertible {
    public var description: String { "PublicIdentity(\(fingerprint))" }
}
