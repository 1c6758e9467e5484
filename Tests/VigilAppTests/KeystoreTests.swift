import Foundation
import Testing
@testable import VigilApp
import VigilCrypto
import VigilProtocol

@Suite("Keystore: secrets sealed with the passphrase")
struct KeystoreTests {
    private let passphrase = SecureBytes(copying: Array("a good passphrase".utf8))

    private func created(_ protection: Keystore.Protection? = nil) throws -> (UnlockedKeys, [UInt8]) {
        try Keystore.create(protection: protection ?? .passphrase(passphrase, .minimum))
    }

    private func edited(_ bytes: [UInt8], _ change: (inout [String: any Sendable]) -> Void) throws -> [UInt8] {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: any Sendable])
        change(&object)
        return Array(try JSONSerialization.data(withJSONObject: object))
    }

    @Test func theRightPassphraseOpensTheSameKeys() throws {
        let (keys, bytes) = try created()
        let opened = try Keystore.unlock(bytes) { passphrase }
        #expect(opened.identity.publicIdentity == keys.identity.publicIdentity)
        #expect(opened.stateKey.constantTimeEquals(keys.stateKey))
        #expect(try Keystore.needsPassphrase(bytes))
    }

    @Test func theFileHoldsNoSecretInTheClear() throws {
        let (keys, bytes) = try created()
        let text = String(decoding: bytes, as: UTF8.self)
        for secret in [keys.identity.signing.seed, keys.identity.encryption.secretKey, keys.stateKey] {
            #expect(!text.contains(secret.withUnsafeBytes { Hex.encode($0) }))
            #expect(!text.contains(secret.withUnsafeBytes { Data($0).base64EncodedString() }))
        }
    }

    @Test func aWrongPassphraseIsAClearLockedError() throws {
        let (_, bytes) = try created()
        let error = try #require(throws: VigilError.self) {
            _ = try Keystore.unlock(bytes) { SecureBytes(copying: Array("wrong".utf8)) }
        }
        #expect(error == .wrongPassphrase)
        #expect(error.exitCode == .locked)
    }

    @Test func openingWithAWrongPassphraseChangesNoFile() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        let home = alice.context.home
        let before = try [home.keystorePath, home.statePath].map { try AtomicFile.read($0) }
        #expect(throws: VigilError.wrongPassphrase) { _ = try world.reopen("alice", passphrase: "nope") }
        #expect(try [home.keystorePath, home.statePath].map { try AtomicFile.read($0) } == before)
        #expect(FileManager.default.fileExists(atPath: home.previousStatePath) == false)
    }

    @Test func swappedPublicKeysAreReportedAsDamaged() throws {
        let (_, bytes) = try created()
        let other = Identity().publicIdentity
        let tampered = try edited(bytes) { $0["signingKey"] = Hex.encode(other.signingKey.rawRepresentation) }
        let error = try #require(throws: VigilError.self) { _ = try Keystore.unlock(tampered) { passphrase } }
        #expect(error.exitCode == .damaged)
        #expect(error.message.contains("keystore.json"))
    }

    @Test func anAlteredCiphertextDoesNotOpen() throws {
        let (_, bytes) = try created()
        let tampered = try edited(bytes) { object in
            var sealed = [UInt8](Data(base64Encoded: object["secrets"] as! String)!)
            sealed[30] ^= 1
            object["secrets"] = Data(sealed).base64EncodedString()
        }
        #expect(throws: VigilError.wrongPassphrase) { _ = try Keystore.unlock(tampered) { passphrase } }
    }

    static let costsOutsideTheCaps: [(UInt64, UInt64)] = [
        (11, 64 << 20), (0, 64 << 20), (3, (1 << 30) + 1), (3, 1 << 40), (1_000_000, 8 << 10), (3, 1024),
    ]

    @Test(arguments: costsOutsideTheCaps)
    func aStoredCostOutsideTheCapsIsRefusedBeforeAnyWork(iterations: UInt64, memory: UInt64) throws {
        let (_, bytes) = try created()
        let tampered = try edited(bytes) { object in
            var kdf = object["keyDerivation"] as! [String: any Sendable]
            kdf["iterations"] = iterations
            kdf["memoryBytes"] = memory
            object["keyDerivation"] = kdf
        }
        var asked = false
        let error = try #require(throws: VigilError.self) {
            _ = try Keystore.unlock(tampered) {
                asked = true
                return passphrase
            }
        }
        #expect(error.exitCode == .damaged)
        #expect(error.message.contains("cost"))
        #expect(!asked)
    }

    @Test func theCapsThemselvesAndTheDefaultCostAreAccepted() throws {
        for cost in [KeyDerivationCost.standard, .moderate, .interactive, .minimum,
                     Argon2id.Parameters(iterations: KeyDerivationCost.maxIterations, memoryBytes: KeyDerivationCost.maxMemoryBytes)] {
            #expect(throws: Never.self) { try KeyDerivationCost.validate(cost, path: "keystore.json") }
        }
    }

    @Test func theCostForNewKeystoresComesFromVIGIL_KDF() throws {
        #expect(try KeyDerivationCost.forNewKeystore(environment: [:]) == KeyDerivationCost.standard)
        #expect(try KeyDerivationCost.forNewKeystore(environment: ["VIGIL_KDF": "minimum"]) == .minimum)
        #expect(throws: VigilError.self) { _ = try KeyDerivationCost.forNewKeystore(environment: ["VIGIL_KDF": "fast"]) }
    }

    @Test func withoutAPassphraseTheFileSaysSoAndOpensWithoutAsking() throws {
        let (keys, bytes) = try created(Keystore.Protection.none)
        #expect(String(decoding: bytes, as: UTF8.self).contains("\"protection\" : \"none\""))
        #expect(try Keystore.needsPassphrase(bytes) == false)
        let opened = try Keystore.unlock(bytes) { () throws(VigilError) in throw VigilError(.locked, "should not be asked") }
        #expect(opened.identity.publicIdentity == keys.identity.publicIdentity)
    }

    @Test(arguments: ["not json", "{\"format\":\"other\"}", "{}"])
    func somethingThatIsNotAKeystoreIsDamaged(text: String) {
        let error = #expect(throws: VigilError.self) {
            _ = try Keystore.unlock(Array(text.utf8)) { () throws(VigilError) in passphrase }
        }
        #expect(error?.exitCode == .damaged)
    }

    @Test func aNewerFormatVersionIsNamed() throws {
        let (_, bytes) = try created()
        let newer = try edited(bytes) { $0["version"] = 3 }
        let error = try #require(throws: VigilError.self) { _ = try Keystore.unlock(newer) { passphrase } }
        #expect(error.exitCode == .damaged)
        #expect(error.message.contains("version 3"))
    }

    @Test func anEmptyPassphraseIsRefused() {
        #expect(throws: VigilError.self) {
            _ = try Keystore.create(protection: .passphrase(SecureBytes(copying: []), .minimum))
        }
    }

    @Test func printingUnlockedKeysShowsNoSecret() throws {
        let (keys, _) = try created()
        let seed = keys.identity.signing.seed.withUnsafeBytes { Hex.encode($0) }
        #expect(!String(describing: keys).contains(seed))
        #expect(!String(reflecting: keys).contains(seed))
    }
}
