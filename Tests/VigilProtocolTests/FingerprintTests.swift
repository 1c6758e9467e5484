import Testing
import VigilCrypto
@testable import VigilProtocol

@Suite("Fingerprints") struct FingerprintTests {
    @Test("The fingerprint is the documented hash of both keys")
    func theFingerprintIsTheDocumentedHashOfBothKeys() {
        let identity = Fixture.alice.publicIdentity
        let expected = BLAKE2b.hash(
            Array("Vigil fingerprint v1".utf8) + [0] + identity.signingKey.rawRepresentation + identity.encryptionKey.rawRepresentation,
            outputByteCount: 32)
        #expect(Fingerprint(of: identity).digest == expected)
        #expect(identity.fingerprint == Fingerprint(of: identity))
    }

    @Test("It is shown as eight groups of four upper-case hex digits of the first 16 bytes")
    func itIsShownAsEightGroupsOfFourUpperCaseHexDigitsOfTheFirst16Bytes() {
        let fingerprint = Fixture.alice.publicIdentity.fingerprint
        let text = fingerprint.description
        let groups = text.split(separator: " ", omittingEmptySubsequences: false)
        #expect(groups.count == 8)
        #expect(groups.allSatisfy { $0.count == 4 && $0.allSatisfy { "0123456789ABCDEF".contains($0) } })
        #expect(text.replacingOccurrences(of: " ", with: "") == Hex.encode(fingerprint.digest.prefix(16)).uppercased())
    }

    @Test("It changes when either key changes")
    func itChangesWhenEitherKeyChanges() {
        let alice = Fixture.alice.publicIdentity
        let carol = Fixture.carol.publicIdentity
        let original = alice.fingerprint
        #expect(PublicIdentity(signingKey: carol.signingKey, encryptionKey: alice.encryptionKey).fingerprint != original)
        #expect(PublicIdentity(signingKey: alice.signingKey, encryptionKey: carol.encryptionKey).fingerprint != original)
        #expect(carol.fingerprint != original)
    }

    @Test("It is the same for the same keys")
    func itIsStableForTheSameKeys() {
        let again = PublicIdentity(signingKey: Fixture.alice.signing.publicKey, encryptionKey: Fixture.alice.encryption.publicKey)
        #expect(again.fingerprint == Fixture.alice.publicIdentity.fingerprint)
    }

    @Test("It is domain separated from a plain hash of the keys")
    func itDiffersFromTheSafetyNumberHash() {
        // Domain separation: the same keys hashed for another purpose give another digest.
        let identity = Fixture.alice.publicIdentity
        let undomained = BLAKE2b.hash(identity.signingKey.rawRepresentation + identity.encryptionKey.rawRepresentation, outputByteCount: 32)
        #expect(identity.fingerprint.digest != undomained)
    }
}
