import Foundation
import Testing
import VigilCrypto
@testable import VigilProtocol

@Suite("Identities") struct IdentityTests {
    private static func secrets(of identity: Identity) -> [[UInt8]] {
        [
            identity.signing.seed.withUnsafeBytes { Array($0) },
            identity.encryption.secretKey.withUnsafeBytes { Array($0) },
        ]
    }

    @Test("Printing or dumping an identity never shows its secret keys")
    func printingOrDumpingAnIdentityNeverShowsItsSecretKeys() {
        for identity in [Identity(), Identity(), Fixture.alice] {
            let secrets = Self.secrets(of: identity)
            for rendering in renderings(of: identity) + renderings(of: [identity]) {
                for secret in secrets {
                    #expect(!reveals(secret, in: rendering), "\(rendering)")
                }
            }
        }
    }

    @Test("The reveal check would see a secret in hex or as numbers")
    func theRevealCheckWouldSeeASecretInHexOrAsNumbers() {
        // Without this, the test above could pass by never finding anything.
        let secret = Self.secrets(of: Fixture.alice)[0]
        #expect(reveals(secret, in: "key " + Hex.encode(secret).uppercased()))
        #expect(reveals(secret, in: "\(secret)"))
        #expect(!reveals(secret, in: "\(Fixture.alice)"))
    }

    @Test("Printing an identity shows its fingerprint and says secrets are redacted")
    func printingAnIdentityShowsItsFingerprintAndSaysSecretsAreRedacted() {
        let text = "\(Fixture.alice)"
        #expect(text.contains(Fixture.alice.publicIdentity.fingerprint.description))
        #expect(text.contains("redacted"))
        #expect(String(reflecting: Fixture.alice) == text)
    }

    @Test("The public identity holds both public keys")
    func thePublicIdentityHoldsBothPublicKeys() {
        let identity = Identity()
        #expect(identity.publicIdentity.signingKey == identity.signing.publicKey)
        #expect(identity.publicIdentity.encryptionKey == identity.encryption.publicKey)
        let keys = identity.signing.publicKey.rawRepresentation + identity.encryption.publicKey.rawRepresentation
        #expect(identity.publicIdentity.keyBytes == keys)
    }

    @Test("New identities are distinct")
    func newIdentitiesAreDistinct() {
        let identities = (0..<8).map { _ in Identity().publicIdentity }
        #expect(Set(identities.map(\.signingKey)).count == 8)
        #expect(Set(identities.map(\.encryptionKey)).count == 8)
    }

    @Test("An identity restored from its secrets is the same")
    func anIdentityRestoredFromItsSecretsIsTheSame() throws {
        let identity = Identity()
        let restored = Identity(
            signing: try SigningKeyPair(seed: identity.signing.seed),
            encryption: try EncryptionKeyPair(secretKey: identity.encryption.secretKey))
        #expect(restored.publicIdentity == identity.publicIdentity)
        let sealed = try Envelope.seal(.allClear(AllClear()), from: Fixture.alice, to: identity.publicIdentity, createdAt: Fixture.now)
        #expect(try Envelope.open(sealed, as: restored).body == .allClear(AllClear()))
    }
}
