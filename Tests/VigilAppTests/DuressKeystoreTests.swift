import Foundation
import Testing
@testable import VigilApp
import VigilCrypto
import VigilProtocol

/// The keystore's duress slot: always there, the same size, opened by one derivation and two
/// tries, bound to its name.
@Suite("Keystore: the duress passphrase")
struct DuressKeystoreTests {
    private static let real = "the real passphrase"
    private static let duress = "the duress passphrase"

    private static func secret(_ text: String) -> SecureBytes { SecureBytes(copying: Array(text.utf8)) }

    private static func created() throws -> (UnlockedKeys, [UInt8]) {
        try Keystore.create(protection: .passphrase(secret(real), .minimum))
    }

    /// `bytes` rewritten by whoever knows `passphrase`, with `duress` as the duress passphrase (nil: removed).
    private static func withDuress(_ bytes: [UInt8], _ duress: String?, unlockingWith passphrase: String = real) throws -> [UInt8] {
        let opened = try Keystore.open(bytes) { secret(passphrase) }
        return try Keystore.rewritten(opened, duressPassphrase: duress.map(secret))
    }

    private static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    private static func slotSizes(_ bytes: [UInt8]) throws -> [Int?] {
        let file = try object(bytes)
        return ["secrets", "duressSecrets"].map { key in (file[key] as? String).flatMap { Data(base64Encoded: $0)?.count } }
    }

    @Test func aVersion2KeystoreAlwaysHasTwoSlotsOfTheSameSizeWhetherOrNotADuressPassphraseIsSet() throws {
        let (_, fresh) = try Self.created()
        let set = try Self.withDuress(fresh, Self.duress)
        let removed = try Self.withDuress(set, nil)
        for bytes in [fresh, set, removed] {
            #expect(try Self.object(bytes)["version"] as? Int == 2)
            let sizes = try Self.slotSizes(bytes)
            #expect(sizes.count == 2 && sizes[0] != nil && sizes[0] == sizes[1], "\(sizes)")
            #expect(Set(try Self.object(bytes).keys) == Set(try Self.object(fresh).keys))
        }
        // A write seals the duress copy anew and keeps the other, as a write under duress does.
        for (before, after) in [(fresh, set), (set, removed)] {
            #expect(try Self.object(before)["secrets"] as? String == Self.object(after)["secrets"] as? String)
            #expect(try Self.object(before)["duressSecrets"] as? String != Self.object(after)["duressSecrets"] as? String)
        }
    }

    @Test func theDuressPassphraseOpensTheSameIdentityUnderDuressAndTheRealOneWithout() throws {
        let (keys, fresh) = try Self.created()
        let bytes = try Self.withDuress(fresh, Self.duress)
        let real = try Keystore.unlock(bytes) { Self.secret(Self.real) }
        let underDuress = try Keystore.unlock(bytes) { Self.secret(Self.duress) }
        #expect(real.underDuress == false)
        #expect(underDuress.underDuress == true)
        for opened in [real, underDuress] {
            #expect(opened.identity.publicIdentity == keys.identity.publicIdentity)
            #expect(opened.stateKey.constantTimeEquals(keys.stateKey))
        }
        #expect(throws: VigilError.wrongPassphrase) { _ = try Keystore.unlock(bytes) { Self.secret("a third passphrase") } }
        // Without a duress passphrase set, the filler slot opens with nothing.
        #expect(throws: VigilError.wrongPassphrase) { _ = try Keystore.unlock(fresh) { Self.secret(Self.duress) } }
        #expect(try Keystore.unlock(fresh) { Self.secret(Self.real) }.underDuress == false)
    }

    @Test func printingKeysOpenedUnderDuressLooksTheSameAsPrintingTheRealOnes() throws {
        let bytes = try Self.withDuress(try Self.created().1, Self.duress)
        let real = try Keystore.unlock(bytes) { Self.secret(Self.real) }
        let underDuress = try Keystore.unlock(bytes) { Self.secret(Self.duress) }
        #expect(String(describing: real) == String(describing: underDuress))
        #expect(String(reflecting: real) == String(reflecting: underDuress))
        var dumpedReal = "", dumpedDuress = ""
        dump(real, to: &dumpedReal)
        dump(underDuress, to: &dumpedDuress)
        #expect(dumpedReal == dumpedDuress)
        #expect(!dumpedDuress.lowercased().contains("duress"))
    }

    @Test func swappedSlotsOpenWithNeitherPassphrase() throws {
        let bytes = try Self.withDuress(try Self.created().1, Self.duress)
        var file = try Self.object(bytes)
        (file["secrets"], file["duressSecrets"]) = (file["duressSecrets"], file["secrets"])
        let swapped = Array(try JSONSerialization.data(withJSONObject: file))
        for passphrase in [Self.real, Self.duress] {
            #expect(throws: VigilError.wrongPassphrase) { _ = try Keystore.unlock(swapped) { Self.secret(passphrase) } }
        }
    }

    @Test func aVersion2KeystoreWithoutItsDuressSlotIsDamaged() throws {
        var file = try Self.object(try Self.created().1)
        file["duressSecrets"] = nil
        let error = try #require(throws: VigilError.self) {
            _ = try Keystore.unlock(Array(try JSONSerialization.data(withJSONObject: file))) { Self.secret(Self.real) }
        }
        #expect(error.exitCode == .damaged)
    }

    @Test func aVersion1KeystoreStillOpensAndIsWrittenAsVersion2WithADuressSlot() throws {
        let (identity, stateKey, v1) = try Self.version1Keystore(passphrase: Self.real)
        let opened = try Keystore.unlock(v1) { Self.secret(Self.real) }
        #expect(opened.identity.publicIdentity == identity.publicIdentity)
        #expect(opened.stateKey.constantTimeEquals(stateKey))
        #expect(opened.underDuress == false)
        #expect(throws: VigilError.wrongPassphrase) { _ = try Keystore.unlock(v1) { Self.secret(Self.duress) } }

        let upgraded = try Self.withDuress(v1, Self.duress)
        #expect(try Self.object(upgraded)["version"] as? Int == 2)
        // The associated data of version 2 names the slot, so the first copy is sealed anew too.
        #expect(try Self.object(upgraded)["secrets"] as? String != Self.object(v1)["secrets"] as? String)
        #expect(try Self.object(upgraded)["keyDerivation"] as? NSDictionary == Self.object(v1)["keyDerivation"] as? NSDictionary)
        #expect(try Keystore.unlock(upgraded) { Self.secret(Self.real) }.underDuress == false)
        let underDuress = try Keystore.unlock(upgraded) { Self.secret(Self.duress) }
        #expect(underDuress.underDuress == true)
        #expect(underDuress.identity.publicIdentity == identity.publicIdentity)
    }

    @Test func removingTheDuressPassphraseMakesItAWrongPassphrase() throws {
        let bytes = try Self.withDuress(try Self.withDuress(try Self.created().1, Self.duress), nil)
        #expect(throws: VigilError.wrongPassphrase) { _ = try Keystore.unlock(bytes) { Self.secret(Self.duress) } }
        #expect(try Keystore.unlock(bytes) { Self.secret(Self.real) }.underDuress == false)
    }

    @Test func aKeystoreWithoutPassphraseHasNoDuressSlotAndCannotGetOne() throws {
        let (_, bytes) = try Keystore.create(protection: .none)
        #expect(try Self.object(bytes)["duressSecrets"] == nil)
        let opened = try Keystore.open(bytes) { () throws(VigilError) in throw VigilError(.locked, "not asked") }
        #expect(throws: Keystore.noPassphraseForDuress) { _ = try Keystore.rewritten(opened, duressPassphrase: Self.secret(Self.duress)) }
    }

    /// A keystore as version 1 wrote it: one slot, associated data without a slot name.
    static func version1Keystore(passphrase: String) throws -> (Identity, SecureBytes, [UInt8]) {
        let identity = Identity()
        let stateKey = SecureBytes.random(count: 32)
        var plain = [UInt8]()
        for secret in [identity.signing.seed, identity.encryption.secretKey, stateKey] {
            secret.withUnsafeBytes { plain.append(contentsOf: $0) }
        }
        let salt = SecureRandom.bytes(count: Argon2id.saltByteCount)
        let key = try Argon2id.deriveKey(from: secret(passphrase), salt: salt, parameters: .minimum)
        let sealed = try XChaCha20Poly1305.seal(
            SecureBytes(wiping: &plain), key: key, associatedData: Array("Vigil keystore v1".utf8) + [0] + Array("passphrase".utf8))
        let file: [String: Any] = [
            "format": "vigil-keystore", "version": 1, "protection": "passphrase",
            "signingKey": Hex.encode(identity.signing.publicKey.rawRepresentation),
            "encryptionKey": Hex.encode(identity.encryption.publicKey.rawRepresentation),
            "keyDerivation": [
                "algorithm": "argon2id13", "salt": Hex.encode(salt),
                "iterations": Argon2id.Parameters.minimum.iterations, "memoryBytes": Argon2id.Parameters.minimum.memoryBytes,
            ] as [String: Any],
            "secrets": Data(sealed).base64EncodedString(),
        ]
        return (identity, stateKey, Array(try JSONSerialization.data(withJSONObject: file)))
    }
}

/// `vigil duress set` and `remove` as the library runs them, with every way they can fail.
@Suite("Setting and removing the duress passphrase")
struct DuressPassphraseTests {
    private static func secret(_ text: String) -> SecureBytes { SecureBytes(copying: Array(text.utf8)) }

    /// The closure for a passphrase that must not be asked.
    private static func notAsked(_ what: String) -> () throws(VigilError) -> SecureBytes {
        { () throws(VigilError) in Issue.record("\(what) was asked"); throw VigilError(.locked, "\(what) was asked") }
    }

    private static func set(_ context: VigilContext, unlocking: String, duress: String) throws -> DuressReport {
        try VigilSession.setDuressPassphrase(context, passphrase: { secret(unlocking) }, duressPassphrase: { secret(duress) })
    }

    @Test func aSetDuressPassphraseOpensTheSessionUnderDuressAndRemoveUndoesIt() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        #expect(try Self.set(alice.context, unlocking: World.passphrase, duress: "duress") == DuressReport(duressPassphrase: "set"))
        #expect(try world.reopen("alice", passphrase: "duress").keys.underDuress == true)
        #expect(try world.reopen("alice").keys.underDuress == false)
        let removed = try VigilSession.removeDuressPassphrase(alice.context) { Self.secret(World.passphrase) }
        #expect(removed == DuressReport(duressPassphrase: "removed"))
        #expect(throws: VigilError.wrongPassphrase) { _ = try world.reopen("alice", passphrase: "duress") }
    }

    @Test func theDuressPassphraseCannotBeTheRealOne() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        let before = try AtomicFile.read(alice.context.home.keystorePath)
        let error = try #require(throws: VigilError.self) { _ = try Self.set(alice.context, unlocking: World.passphrase, duress: World.passphrase) }
        #expect(error.exitCode == .usage)
        #expect(error.message.contains("must differ from your passphrase"))
        #expect(try AtomicFile.read(alice.context.home.keystorePath) == before)
    }

    @Test func anEmptyDuressPassphraseIsRefused() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        let error = try #require(throws: VigilError.self) { _ = try Self.set(alice.context, unlocking: World.passphrase, duress: "") }
        #expect(error.exitCode == .usage)
        #expect(error.message.contains("must not be empty"))
    }

    @Test func aWrongPassphraseIsRefusedBeforeTheDuressPassphraseIsAsked() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        let before = try AtomicFile.read(alice.context.home.keystorePath)
        #expect(throws: VigilError.wrongPassphrase) {
            _ = try VigilSession.setDuressPassphrase(
                alice.context, passphrase: { Self.secret("not it") }, duressPassphrase: Self.notAsked("the duress passphrase"))
        }
        #expect(throws: VigilError.wrongPassphrase) {
            _ = try VigilSession.removeDuressPassphrase(alice.context) { Self.secret("not it") }
        }
        #expect(try AtomicFile.read(alice.context.home.keystorePath) == before)
    }

    @Test func withoutAPassphraseThereIsNoDuressPassphraseAndNothingIsAsked() async throws {
        let world = try World()
        defer { world.remove() }
        let context = world.context("open")
        _ = try await VigilSession.initialize(context, name: "Open", relays: ["http://relay-a.test"], protection: .none)
        let setting = try #require(throws: VigilError.self) {
            _ = try VigilSession.setDuressPassphrase(
                context, passphrase: Self.notAsked("the passphrase"), duressPassphrase: Self.notAsked("the duress passphrase"))
        }
        let removing = try #require(throws: VigilError.self) {
            _ = try VigilSession.removeDuressPassphrase(context, passphrase: Self.notAsked("the passphrase"))
        }
        for error in [setting, removing] {
            #expect(error == Keystore.noPassphraseForDuress)
            #expect(error.exitCode == .usage)
            #expect(error.message.contains("--no-passphrase"))
        }
    }

    @Test func underDuressSetAndRemoveReportSuccessRewriteTheFileAsUsualAndKeepTheDuressPassphrase() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        let path = alice.context.home.keystorePath
        _ = try Self.set(alice.context, unlocking: World.passphrase, duress: "duress")
        func slots() throws -> [String?] {
            let file = try #require(try JSONSerialization.jsonObject(with: Data(try AtomicFile.read(path) ?? [])) as? [String: Any])
            return [file["secrets"] as? String, file["duressSecrets"] as? String]
        }
        let operations: [(DuressReport, () throws -> DuressReport)] = [
            (DuressReport(duressPassphrase: "set"), { try Self.set(alice.context, unlocking: "duress", duress: "another") }),
            (DuressReport(duressPassphrase: "removed"), { try VigilSession.removeDuressPassphrase(alice.context) { Self.secret("duress") } }),
        ]
        for (expected, operation) in operations {
            let before = try slots()
            #expect(try operation() == expected)
            // As after a real `set` or `remove`: the first copy kept, the duress copy sealed anew.
            let after = try slots()
            #expect(after[0] == before[0])
            #expect(after[1] != before[1])
            #expect(try world.reopen("alice", passphrase: "duress").keys.underDuress == true)
            #expect(try world.reopen("alice").keys.underDuress == false)
            #expect(throws: VigilError.wrongPassphrase) { _ = try world.reopen("alice", passphrase: "another") }
        }
        // The checks still apply, against the passphrase that was typed.
        let error = try #require(throws: VigilError.self) { _ = try Self.set(alice.context, unlocking: "duress", duress: "duress") }
        #expect(error.message.contains("must differ from your passphrase"))
    }

    @Test func aKeystoreChangedWhileTheCommandRanIsNotOverwritten() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        let path = alice.context.home.keystorePath
        var meanwhile: [UInt8] = []
        let error = try #require(throws: VigilError.self) {
            _ = try VigilSession.setDuressPassphrase(alice.context, passphrase: { Self.secret(World.passphrase) }) { () throws(VigilError) in
                // Another command rewrites the keystore while this one waits for the duress passphrase.
                _ = try VigilSession.removeDuressPassphrase(alice.context) { Self.secret(World.passphrase) }
                meanwhile = try AtomicFile.read(path) ?? []
                return Self.secret("duress")
            }
        }
        #expect(error.exitCode == .usage)
        #expect(error.message.contains("changed while this command ran"))
        #expect(!meanwhile.isEmpty)
        #expect(try AtomicFile.read(path) == meanwhile)
        #expect(throws: VigilError.wrongPassphrase) { _ = try world.reopen("alice", passphrase: "duress") }
    }

    @Test func aNewPassphraseTypedTwiceMustMatchAndNotBeEmpty() throws {
        let chosen = try PassphraseInput.confirmed(Self.secret("same"), repeated: Self.secret("same"), what: "duress passphrase")
        #expect(chosen.constantTimeEquals(Self.secret("same")))
        let mismatch = try #require(throws: VigilError.self) {
            _ = try PassphraseInput.confirmed(Self.secret("same"), repeated: Self.secret("sane"), what: "duress passphrase")
        }
        #expect(mismatch.exitCode == .usage)
        #expect(mismatch.message == "the two duress passphrases you typed differ: nothing was changed. Run the command again")
        let empty = try #require(throws: VigilError.self) {
            _ = try PassphraseInput.confirmed(Self.secret(""), repeated: Self.secret(""), what: "duress passphrase")
        }
        #expect(empty.message.contains("must not be empty"))
    }
}
