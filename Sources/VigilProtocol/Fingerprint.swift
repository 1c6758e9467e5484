import VigilCrypto

/// A short, stable name for one identity's pair of public keys.
///
/// `BLAKE2b-256("Vigil fingerprint v1" || 0x00 || signing key || encryption key)`; shown as its
/// first 16 bytes in eight groups of four upper-case hex digits. Use it to recognise an
/// identity; to verify a contact, compare the pairwise ``SafetyNumber`` instead.
public struct Fingerprint: Hashable, Sendable, CustomStringConvertible {
    /// The full 32-byte digest.
    public let digest: [UInt8]

    public init(of identity: PublicIdentity) {
        digest = BLAKE2b.hash(DomainSeparation.fingerprint, identity.keyBytes, outputByteCount: 32)
    }

    /// E.g. `3F2A 91C0 77DE 0B14 5A6C E2F0 1D93 8847`.
    public var description: String {
        let hex = Hex.encode(digest.prefix(16)).uppercased()
        return stride(from: 0, to: hex.count, by: 4).map { start in
            let lower = hex.index(hex.startIndex, offsetBy: start)
            return String(hex[lower..<hex.index(lower, offsetBy: 4)])
        }.joined(separator: " ")
    }
}
