import VigilCrypto

/// A 32-byte secret seed stored inside the encrypted state (a mailbox owner key), held in
/// ``SecureBytes`` while in memory and never shown.
///
/// It is encoded as hex only inside the state file's plaintext, which is sealed before it
/// reaches the disk.
struct SecretSeed: Codable, Sendable, CustomStringConvertible {
    let bytes: SecureBytes

    init(_ bytes: SecureBytes) { self.bytes = bytes }

    /// A fresh random seed.
    static func random() -> SecretSeed { SecretSeed(SecureBytes.random(count: SigningKeyPair.seedByteCount)) }

    /// The Ed25519 key pair of this seed.
    func signingKeyPair() throws -> SigningKeyPair { try SigningKeyPair(seed: bytes) }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard var raw = Hex.decode(try container.decode(String.self)), raw.count == SigningKeyPair.seedByteCount else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "a seed is 64 hex digits")
        }
        bytes = SecureBytes(wiping: &raw)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(bytes.withUnsafeBytes { Hex.encode($0) })
    }

    var description: String { "SecretSeed(redacted)" }
}
