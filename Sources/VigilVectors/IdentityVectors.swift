import VigilCrypto
import VigilProtocol

/// Builds `identity.json`: fingerprints of single identities and safety numbers of pairs.
func makeIdentityVectors() -> JSON {
    // Dave has Alice's signing key and another encryption key: the two 64-byte key strings then
    // differ only in their second half, which exercises the ordering rule of safety numbers.
    let dave = Party("dave", encryptionLabel: "dave", signingLabel: "alice")
    let parties: [Party] = [.alice, .bob, .carol, dave]

    let fingerprints: [JSON] = parties.map { party in
        let fingerprint = party.identity.publicIdentity.fingerprint
        return .object([
            ("identity", party.publicKeysJSON),
            ("digest_hex", .hex(fingerprint.digest)),
            ("display", .string(fingerprint.description)),
        ])
    }

    let pairs: [(Party, Party)] = [(.alice, .bob), (.bob, .alice), (.alice, .carol), (.carol, .bob), (.alice, dave)]
    let safetyNumbers: [JSON] = pairs.map { a, b in
        let number = SafetyNumber(a.identity.publicIdentity, b.identity.publicIdentity)
        guard number == SafetyNumber(b.identity.publicIdentity, a.identity.publicIdentity) else {
            fatalError("safety number depends on the order")
        }
        let keysA = a.signingPublicKey + a.encryptionPublicKey
        let keysB = b.signingPublicKey + b.encryptionPublicKey
        let aFirst = keysA.lexicographicallyPrecedes(keysB)
        let tag = Array("Vigil safety number v1".utf8) + [0]
        let digest = BLAKE2b.hash(tag, aFirst ? keysA : keysB, aFirst ? keysB : keysA)
        return .object([
            ("a", a.publicKeysJSON),
            ("b", b.publicKeysJSON),
            ("lower", .string(aFirst ? "a" : "b")),
            ("digest_hex", .hex(digest)),
            ("safety_number", .string(number.description)),
        ])
    }

    return .object([
        ("format", .string("""
            Vigil fingerprint and safety number test vectors (Protocol/identity.md). For each \
            fingerprint, BLAKE2b-256 of the domain-separation prefix, the signing key and the \
            encryption key is `digest_hex`, shown as `display`. For each pair, `lower` says which \
            identity's 64-byte key string sorts first, `digest_hex` is the BLAKE2b-256 the safety \
            number is cut from, and `safety_number` must come out the same with `a` and `b` swapped.
            """)),
        ("generator", .string(generatorName)),
        ("spec", .string("Protocol/identity.md")),
        ("fingerprints", .array(fingerprints)),
        ("safety_numbers", .array(safetyNumbers)),
    ])
}
