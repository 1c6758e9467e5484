import VigilCrypto

/// The number two people compare, out loud or side by side, to know that each holds the other's
/// real keys.
///
/// Both sides compute the same 30 digits whatever the order of the two identities: the two
/// 64-byte key strings (`signing key || encryption key`) are sorted bytewise, hashed as
/// `BLAKE2b-256("Vigil safety number v1" || 0x00 || lower || higher)`, and the first 30 bytes of
/// the digest become six groups of five digits (each 5-byte big-endian chunk modulo 100000).
public struct SafetyNumber: Hashable, Sendable, CustomStringConvertible {
    /// Six groups of five decimal digits.
    public let groups: [String]

    public init(_ a: PublicIdentity, _ b: PublicIdentity) {
        let first = a.keyBytes
        let second = b.keyBytes
        let (lower, higher) = first.lexicographicallyPrecedes(second) ? (first, second) : (second, first)
        let digest = BLAKE2b.hash(DomainSeparation.safetyNumber, lower, higher, outputByteCount: 32)
        groups = (0..<6).map { group in
            var chunk: UInt64 = 0
            for byte in digest[group * 5..<group * 5 + 5] { chunk = chunk << 8 | UInt64(byte) }
            let digits = String(chunk % 100_000)
            return String(repeating: "0", count: 5 - digits.count) + digits
        }
    }

    /// E.g. `04719 88230 51726 00315 97462 13057`.
    public var description: String { groups.joined(separator: " ") }
}
