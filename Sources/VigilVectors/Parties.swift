import VigilCrypto
import VigilProtocol

/// A fixed identity for the vectors. Its secrets are derived from its name, so every run of the
/// generator uses the same keys; only sealed boxes are random (see ``PreviousBoxes``).
///
/// `signing seed = BLAKE2b-256("Vigil test vector key: " || name || " signing")` and
/// `encryption secret key = BLAKE2b-256("Vigil test vector key: " || name || " encryption")`:
/// the derivation only makes the keys reproducible; the files list the resulting bytes.
struct Party {
    let name: String
    let signingSeed: [UInt8]
    let encryptionSecretKey: [UInt8]
    let identity: Identity

    init(_ name: String, encryptionLabel: String? = nil, signingLabel: String? = nil) {
        self.name = name
        signingSeed = BLAKE2b.hash(Array("Vigil test vector key: \(signingLabel ?? name) signing".utf8))
        encryptionSecretKey = BLAKE2b.hash(Array("Vigil test vector key: \(encryptionLabel ?? name) encryption".utf8))
        do {
            identity = Identity(
                signing: try SigningKeyPair(seed: SecureBytes(copying: signingSeed)),
                encryption: try EncryptionKeyPair(secretKey: SecureBytes(copying: encryptionSecretKey)))
        } catch {
            fatalError("fixed test keys have the right lengths: \(error)")
        }
    }

    var signingPublicKey: [UInt8] { identity.signing.publicKey.rawRepresentation }
    var encryptionPublicKey: [UInt8] { identity.encryption.publicKey.rawRepresentation }

    /// Everything a recipient needs to open a vector, and the public keys to check it derived.
    var recipientJSON: JSON {
        .object([
            ("name", .string(name)),
            ("encryption_secret_key_hex", .hex(encryptionSecretKey)),
            ("encryption_public_key_hex", .hex(encryptionPublicKey)),
            ("signing_seed_hex", .hex(signingSeed)),
            ("signing_public_key_hex", .hex(signingPublicKey)),
        ])
    }

    /// The sender's seed is listed so that implementers can reproduce the signed inner message
    /// byte for byte (Ed25519 signatures are deterministic).
    var senderJSON: JSON {
        .object([
            ("name", .string(name)),
            ("signing_seed_hex", .hex(signingSeed)),
            ("signing_public_key_hex", .hex(signingPublicKey)),
        ])
    }

    /// Both public keys, as identity vectors list them.
    var publicKeysJSON: JSON {
        .object([
            ("name", .string(name)),
            ("signing_public_key_hex", .hex(signingPublicKey)),
            ("encryption_public_key_hex", .hex(encryptionPublicKey)),
        ])
    }

    static let alice = Party("alice")
    static let bob = Party("bob")
    static let carol = Party("carol")
}

/// A message ID derived from a label: `BLAKE2b-128(label)`, so that vectors are reproducible.
/// A fixed 32-byte key seed for a vector (an escalation timer's key).
func fixedSeed(_ label: String) -> [UInt8] {
    BLAKE2b.hash(Array("Vigil test vector seed: \(label)".utf8), outputByteCount: 32)
}

func fixedMessageID(_ label: String) -> MessageID {
    MessageID(bytes: BLAKE2b.hash(Array("Vigil test vector message: \(label)".utf8), outputByteCount: 16))!
}

/// 2026-11-25T08:10:00Z, the creation time of most vectors.
let baseTime: UInt64 = 1_795_594_200
