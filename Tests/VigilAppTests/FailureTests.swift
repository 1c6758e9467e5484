import Foundation
import Testing
import VigilProtocol
#if canImport(Glibc)
import Glibc
#endif

/// What goes wrong, with the built `vigil` and real relays: damaged cards and files, wrong
/// passphrases, strangers and replays. Each must end in a clear message, the documented exit
/// code, and nothing lost: files that should not change stay byte for byte the same.
@Suite("Failures: vigil and real relays", .serialized)
struct FailureTests {
    /// The three files of a `$VIGIL_HOME`, as bytes (nil when missing).
    struct Snapshot: Equatable {
        var keystore: Data?
        var state: Data?
        var previous: Data?

        init(_ runner: VigilRunner) {
            keystore = fileBytes(runner.home + "/keystore.json")
            state = fileBytes(runner.home + "/state.json.enc")
            previous = fileBytes(runner.home + "/state.json.enc.previous")
        }
    }

    // MARK: Cards

    /// Ways a card arrives damaged, and what `vigil` must say about each.
    enum CardDamage: String, CaseIterable, Sendable {
        case cutOff
        case characterChanged
        case extraCharacters
        case notACard
        case ownCard

        func apply(to card: String) -> String {
            switch self {
            case .cutOff:
                return String(card.prefix(card.count - 12))
            case .characterChanged:
                // A valid Crockford character replaced by another valid one: only the checksum notices.
                var characters = Array(card)
                let index = characters.count / 2
                characters[index] = characters[index] == "7" ? "8" : "7"
                return String(characters)
            case .extraCharacters:
                return card + "00"
            case .notACard:
                return "Hi, here is my card: https://example.org/card"
            case .ownCard:
                return card
            }
        }

        /// Words the one-line error must contain.
        var explanation: String {
            switch self {
            case .cutOff: return "the card was refused: the card is incomplete: it was cut off"
            case .characterChanged: return "the card was refused: the card is mistyped or damaged (its checksum does not match)"
            case .extraCharacters: return "the card was refused: the card has extra characters at the end"
            case .notACard: return "the card was refused: this is not a Vigil contact card"
            case .ownCard: return "this is your own card"
            }
        }
    }

    @Test(arguments: CardDamage.allCases)
    func aDamagedCardIsRefusedWithAClearMessageAndChangesNothing(damage: CardDamage) throws {
        let world = try ProcessWorld("vigil-card")
        defer { world.tearDown() }
        try world.startRelay("main")
        let amal = try world.person("Amal", relays: ["main"])
        let sam = try world.person("Sam", relays: ["main"])
        let card = try (damage == .ownCard ? sam : amal).card()
        let before = Snapshot(sam)

        // As an argument and pasted on standard input.
        let damaged = damage.apply(to: card)
        for run in [
            try sam.run(["contacts", "add", damaged, "--alias", "amal"]),
            try sam.run(["contacts", "add", "--alias", "amal"], stdin: damaged + "\n\n"),
        ] {
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.hasPrefix("vigil: "), "\(run)")
            #expect(run.stderr.contains(damage.explanation), "\(run)")
            #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run)")
            #expect(run.stdout.isEmpty, "\(run)")
        }
        #expect(Snapshot(sam) == before)
        #expect(try sam.run(["contacts", "list", "--json"]).jsonArray().isEmpty)

        // The intact card still works afterwards.
        if damage != .ownCard {
            try expectSuccess(sam.run(["contacts", "add", card, "--alias", "amal"]))
        }
    }

    // MARK: Passphrase

    @Test func aWrongPassphraseSendsNothingChangesNothingAndTheRightOneStillWorks() throws {
        let world = try ProcessWorld("vigil-passphrase")
        defer { world.tearDown() }
        try world.startRelay("main")
        let amal = try world.person("Amal", relays: ["main"])
        let sam = try world.person("Sam", relays: ["main"])
        try world.exchangeCards(amal, as: "amal", sam, as: "sam", verify: false)
        let before = Snapshot(amal)

        var wrong = amal
        wrong.passphrase = "the passphrase of someone else"
        let refused = try wrong.run(["panic", "help"])
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr.contains("the passphrase is wrong"), "\(refused)")
        #expect(refused.stderr.contains("nothing was changed"), "\(refused)")
        #expect(refused.stdout.isEmpty, "\(refused)")

        let asJSON = try wrong.run(["checkin", "--json"])
        #expect(asJSON.status == 2, "\(asJSON)")
        let error = try #require(try asJSON.json()["error"] as? [String: Any])
        #expect(error["exit_code"] as? Int == 2)
        #expect((error["message"] as? String)?.contains("the passphrase is wrong") == true)

        // The same through --passphrase-file, and a file that is not there.
        let file = world.directory.sub("wrong-passphrase")
        try Data("not it\n".utf8).write(to: URL(fileURLWithPath: file))
        chmod(file, 0o600)
        var fromFile = amal
        fromFile.passphrase = nil
        let wrongFile = try fromFile.run(["panic", "--passphrase-file", file])
        #expect(wrongFile.status == 2, "\(wrongFile)")
        #expect(wrongFile.stderr.contains("the passphrase is wrong"), "\(wrongFile)")
        let missingFile = try fromFile.run(["panic", "--passphrase-file", file + "-missing"])
        #expect(missingFile.status == 2, "\(missingFile)")
        #expect(missingFile.stderr.contains("the passphrase file \(file)-missing does not exist"), "\(missingFile)")

        #expect(Snapshot(amal) == before)
        let samInbox = try sam.run(["inbox", "--json"])
        #expect(try samInbox.inboxMessages().isEmpty, "nothing was sent: \(samInbox)")

        let panic = try amal.run(["panic", "help"])
        #expect(panic.status == 0, "\(panic)")
        #expect(try sam.run(["inbox", "--json"]).inboxMessages(kind: "panic").count == 1)
    }

    @Test(.enabled(if: FailureTests.hasNoTerminal, "a terminal would be asked for the passphrase"))
    func withoutAnyPassphraseSourceVigilSaysHowToGiveOne() throws {
        let world = try ProcessWorld("vigil-nopass")
        defer { world.tearDown() }
        var carol = VigilRunner(home: world.directory.sub("carol"), passphrase: "carol's passphrase")
        _ = try carol.initialize(name: "Carol", relays: [])
        let before = Snapshot(carol)
        carol.passphrase = nil
        let refused = try carol.run(["config", "--name", "Mallory"])
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr.contains("set VIGIL_PASSPHRASE or use --passphrase-file"), "\(refused)")
        #expect(Snapshot(carol) == before)
    }

    static var hasNoTerminal: Bool {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY)
        if fd >= 0 { close(fd) }
        return fd < 0
    }

    // MARK: Damaged files

    /// Ways the files of a `$VIGIL_HOME` get damaged, and what `vigil` must say.
    enum FileDamage: String, CaseIterable, Sendable {
        case stateBitFlipped
        case stateTruncated
        case stateReplaced
        case stateDeleted
        case keystoreTruncated

        var file: String { self == .keystoreTruncated ? "keystore.json" : "state.json.enc" }

        func apply(to path: String) throws {
            let url = URL(fileURLWithPath: path)
            var bytes = try Data(contentsOf: url)
            switch self {
            case .stateBitFlipped: bytes[bytes.count / 2] ^= 0x04
            case .stateTruncated, .keystoreTruncated: bytes = bytes.prefix(bytes.count / 2)
            case .stateReplaced: bytes = Data("{\"contacts\": []}\n".utf8)
            case .stateDeleted:
                try FileManager.default.removeItem(at: url)
                return
            }
            try bytes.write(to: url)
        }

        /// Words the one-line error must contain.
        var explanations: [String] {
            switch self {
            case .stateBitFlipped: return ["state.json.enc is damaged or was altered", "cannot be decrypted", "state.json.enc.previous"]
            case .stateTruncated: return ["state.json.enc is damaged or was altered", "state.json.enc.previous"]
            case .stateReplaced: return ["state.json.enc is damaged or was altered", "not a Vigil state file", "state.json.enc.previous"]
            case .stateDeleted: return ["state.json.enc is damaged or was altered", "it is missing", "state.json.enc.previous"]
            case .keystoreTruncated: return ["keystore.json is damaged or was altered", "not a Vigil keystore"]
            }
        }
    }

    @Test(arguments: FileDamage.allCases)
    func aDamagedFileStopsEveryCommandWithExit4AndLosesNoMessage(damage: FileDamage) throws {
        let world = try ProcessWorld("vigil-damage")
        defer { world.tearDown() }
        try world.startRelay("main")
        let amal = try world.person("Amal", relays: ["main"])
        let sam = try world.person("Sam", relays: ["main"])
        try world.exchangeCards(amal, as: "amal", sam, as: "sam")
        // A panic waits for Sam at the relay.
        try expectSuccess(amal.run(["panic", "stopped", "by", "police"]))

        let path = sam.home + "/" + damage.file
        let original = try #require(fileBytes(path))
        try damage.apply(to: path)
        let damaged = Snapshot(sam)

        for arguments in [["inbox"], ["watch", "--json"], ["checkin"], ["contacts", "list"], ["outbox", "--flush"]] {
            let run = try sam.run(arguments)
            #expect(run.status == 4, "vigil \(arguments.joined(separator: " ")): \(run)")
            for words in damage.explanations {
                #expect(run.stderr.contains(words), "vigil \(arguments.joined(separator: " ")): \(run)")
            }
            #expect(run.stderr.contains("nothing was changed"), "\(run)")
            #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run)")
            #expect(Snapshot(sam) == damaged, "vigil \(arguments.joined(separator: " ")) changed a file")
        }

        // Nothing was fetched meanwhile: once the file is restored, the panic is there.
        try original.write(to: URL(fileURLWithPath: path))
        let inbox = try sam.run(["inbox", "--json"])
        #expect(inbox.status == 0, "\(inbox)")
        #expect(try inbox.inboxMessages(kind: "panic").first?["message"] as? String == "stopped by police")
    }

    @Test func goingBackToThePreviousStateFileAsAdvisedWorks() throws {
        let world = try ProcessWorld("vigil-previous")
        defer { world.tearDown() }
        try world.startRelay("main")
        let amal = try world.person("Amal", relays: ["main"])
        let sam = try world.person("Sam", relays: ["main"])
        try world.exchangeCards(amal, as: "amal", sam, as: "sam")

        let state = sam.home + "/state.json.enc"
        var bytes = try #require(fileBytes(state))
        bytes[bytes.count - 1] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: state))
        let broken = try sam.run(["inbox"])
        #expect(broken.status == 4, "\(broken)")
        #expect(broken.stderr.contains("copy it over state.json.enc"), "\(broken)")

        try FileManager.default.removeItem(atPath: state)
        try FileManager.default.copyItem(atPath: sam.home + "/state.json.enc.previous", toPath: state)
        try expectSuccess(amal.run(["panic", "after", "the", "restore"]))
        let inbox = try sam.run(["inbox", "--json"])
        #expect(inbox.status == 0, "\(inbox)")
        let panic = try #require(try inbox.inboxMessages(kind: "panic").first)
        #expect(panic["message"] as? String == "after the restore")
        #expect(sender(panic)["alias"] as? String == "amal")
    }

    // MARK: Strangers

    @Test func aMessageFromSomeoneWhoIsNotAContactIsShownAsUnknownNeverAsAContact() throws {
        let world = try ProcessWorld("vigil-unknown")
        defer { world.tearDown() }
        try world.startRelay("main")
        let amal = try world.person("Amal", relays: ["main"])
        let sam = try world.person("Sam", relays: ["main"])
        try world.exchangeCards(amal, as: "amal", sam, as: "sam")
        // Someone with Sam's card, calling themselves Amal too; Sam never added them.
        let mallory = try world.person("Amal", home: "mallory", relays: ["main"])
        try expectSuccess(mallory.run(["contacts", "add", sam.card(), "--alias", "sam"]))

        let watcher = try sam.watch()
        defer { watcher.stop() }
        try expectSuccess(mallory.run(["panic", "come", "to", "the", "warehouse", "alone"]))
        try watcher.waitFor("the stranger's panic") { !$0.messages(kind: "panic").isEmpty }
        let live = try #require(watcher.messages(kind: "panic").first)
        #expect(sender(live)["known"] as? Bool == false)
        #expect(sender(live)["alias"] == nil)
        #expect(sender(live)["verified"] as? Bool == false)
        watcher.stop()

        try expectSuccess(mallory.run(["checkin", "--next-in", "1m", "--note", "all fine"]))
        let inbox = try sam.run(["inbox"])
        #expect(inbox.status == 0, "\(inbox)")
        #expect(inbox.stdout.contains("Check-in: UNKNOWN SENDER (key "), "\(inbox)")
        #expect(inbox.stdout.contains("not one of your contacts"), "\(inbox)")
        #expect(!inbox.stdout.contains("amal"), "\(inbox)")
        let history = try sam.run(["inbox", "--all", "--json"]).inboxMessages()
        #expect(history.count == 2)
        #expect(history.allSatisfy { sender($0)["known"] as? Bool == false && sender($0)["alias"] == nil })
        let text = try sam.run(["inbox", "--all"]).stdout
        #expect(text.contains("!! PANIC from UNKNOWN SENDER (key "), "\(text)")
        #expect(!text.contains("PANIC from amal"), "\(text)")
        #expect(!text.contains("vigil ack"), "no answer is suggested to a stranger: \(text)")

        // The stranger's check-in did not become Amal's, and cannot make her overdue.
        var later = sam
        later.now = unixNow() + 3600
        let contacts = try later.run(["contacts", "list", "--json"]).jsonArray()
        #expect(contacts.count == 1)
        #expect(contacts.first?["last_check_in"] == nil)
        #expect(contacts.first?["overdue"] as? Bool == false)

        // A stranger gets no acknowledgement.
        let id = try #require(history.first?["message_id"] as? String)
        let ack = try sam.run(["ack", String(id.prefix(12))])
        #expect(ack.status == 1, "\(ack)")
        #expect(ack.stderr.contains("UNKNOWN SENDER (not a contact)"), "\(ack)")

        // Amal's own panic is still hers.
        try expectSuccess(amal.run(["panic", "really", "me"]))
        let real = try #require(try sam.run(["inbox", "--json"]).inboxMessages(kind: "panic").first)
        #expect(sender(real)["alias"] as? String == "amal")
        #expect(sender(real)["known"] as? Bool == true)
    }

    // MARK: Replays

    @Test func aReplayedEnvelopeIsShownOnceAndANewEnvelopeReusingAMessageIDIsRefusedAndReported() async throws {
        let world = try ProcessWorld("vigil-replay")
        defer { world.tearDown() }
        try world.startRelay("a")
        try world.startRelay("b")
        let (urlA, urlB) = (world.url("a"), world.url("b"))
        let amal = try world.person("Amal", relays: ["a"])
        let sam = try world.person("Sam", relays: ["a"])
        try world.exchangeCards(amal, as: "amal", sam, as: "sam")
        // Sam adds a second mailbox later; Amal still has his card that lists only relay a.
        try expectSuccess(sam.run(["relays", "add", urlB]))

        try expectSuccess(amal.run(["panic", "stopped", "at", "the", "checkpoint"]))
        let samKeys = try HomeInspector(sam)
        let deposited = try await samKeys.peek(on: urlA)
        #expect(deposited.count == 1)
        let captured = try #require(deposited.first)
        let first = try sam.run(["inbox", "--json"])
        let panicID = try #require(try first.inboxMessages(kind: "panic").first?["message_id"] as? String)

        // 1. The same bytes into the same mailbox: the relay keeps nothing new.
        let (mailboxA, _) = try samKeys.mailbox(on: urlA)
        #expect(try await deposit(Array(captured.blob), into: mailboxA, at: urlA) == captured.id)
        let afterSame = try sam.run(["inbox", "--json"])
        #expect(try afterSame.inboxMessages().isEmpty, "\(afterSame)")
        #expect((try afterSame.json()["refused"] as? [String: Any])?.isEmpty == true, "\(afterSame)")

        // 2. The same bytes into his other mailbox: one message through two relays, shown once.
        let (mailboxB, _) = try samKeys.mailbox(on: urlB)
        _ = try await deposit(Array(captured.blob), into: mailboxB, at: urlB)
        let afterOther = try sam.run(["inbox", "--json"])
        #expect(try afterOther.inboxMessages().isEmpty, "\(afterOther)")
        #expect(try afterOther.json()["duplicates"] as? Int == 1, "\(afterOther)")

        // 3. A new envelope, validly signed by Amal, reusing the panic's message ID: to Sam's
        //    client the same as a stored copy served again under a new relay ID. Refused, reported.
        let amalIdentity = try HomeInspector(amal).identity
        let messageID = try #require(MessageID(hex: panicID))
        func reuse(_ text: String) throws -> [UInt8] {
            try Envelope.seal(
                .panic(Panic(message: text)), from: amalIdentity, to: samKeys.identity.publicIdentity,
                createdAt: Timestamp(Date()), messageID: messageID)
        }
        _ = try await deposit(reuse("false alarm, stand down"), into: mailboxA, at: urlA)
        let refused = try sam.run(["inbox", "--json"])
        #expect(refused.status == 0, "\(refused)")
        #expect(try refused.inboxMessages().isEmpty, "\(refused)")
        #expect((try refused.json()["refused"] as? [String: Any])?["replay"] as? Int == 1, "\(refused)")

        _ = try await deposit(reuse("false alarm, stand down"), into: mailboxB, at: urlB)
        let told = try sam.run(["inbox"])
        #expect(told.status == 0, "\(told)")
        #expect(told.stdout.contains("Discarded 1 envelope(s) that could not be trusted: 1 replayed."), "\(told)")
        #expect(!told.stdout.contains("false alarm"), "\(told)")

        let watcher = try sam.watch()
        defer { watcher.stop() }
        _ = try await deposit(reuse("false alarm, stand down"), into: mailboxA, at: urlA)
        try watcher.waitFor("the refusal") { !$0.events("refused").isEmpty }
        #expect((watcher.events("refused").first?["refused"] as? [String: Any])?["replay"] as? Int == 1)
        #expect(watcher.messages().isEmpty, "\(watcher.transcript)")
        watcher.stop()

        // Nothing is stuck or lost: refused envelopes left the mailboxes, new messages arrive,
        // and the stored panic is the original.
        #expect(try await samKeys.peek(on: urlA).isEmpty)
        #expect(try await samKeys.peek(on: urlB).isEmpty)
        try expectSuccess(amal.run(["all-clear", "safe", "now"]))
        let next = try sam.run(["inbox", "--json"])
        #expect(try next.inboxMessages(kind: "all-clear").count == 1, "\(next)")
        let stored = try sam.run(["inbox", "--all", "--json"]).inboxMessages(kind: "panic")
        #expect(stored.count == 1)
        #expect(stored.first?["message"] as? String == "stopped at the checkpoint")
    }
}
