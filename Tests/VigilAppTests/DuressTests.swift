import Foundation
import Testing
@testable import VigilApp

/// Duress check-ins end to end: the built `vigil` against a real `vigil-relay`. On the defender's
/// device a duress check-in must look exactly like an ordinary one; the contact must get it as
/// an alarm, and must not answer it by accident.
@Suite("Duress check-ins against a real relay", .serialized)
struct DuressTests {
    static let duressPassphrase = "let me go"

    /// Amal (the defender, with a duress passphrase) and Sam (her contact), verified; Amal's
    /// clock is fixed, so that every time in her output is the same from one run to the next.
    struct Setup {
        let world: ProcessWorld
        /// Amal with her real passphrase.
        let amal: VigilRunner
        /// Amal's device opened with the duress passphrase.
        let coerced: VigilRunner
        let sam: VigilRunner

        init(_ label: String) throws {
            world = try ProcessWorld(label)
            try world.startRelay("main")
            var amal = try world.person("Amal", relays: ["main"])
            sam = try world.person("Sam", relays: ["main"])
            try world.exchangeCards(amal, as: "amal", sam, as: "sam")
            let file = world.directory.sub("duress-passphrase")
            _ = FileManager.default.createFile(atPath: file, contents: Data((DuressTests.duressPassphrase + "\n").utf8), attributes: [.posixPermissions: 0o600])
            let set = try amal.run(["duress", "set", "--duress-passphrase-file", file])
            #expect(set.status == 0, "\(set)")
            #expect(set.stdout.contains("Duress passphrase set"), "\(set)")
            try FileManager.default.removeItem(atPath: file)
            amal.now = unixNow()
            self.amal = amal
            var coerced = amal
            coerced.passphrase = DuressTests.duressPassphrase
            self.coerced = coerced
        }
    }

    // MARK: Masking what differs from one message to the next

    /// Text output with message IDs (`id 639f7fa74b6f`) replaced, for comparing two runs.
    static func masked(_ text: String) -> String {
        text.replacingOccurrences(of: #"id [0-9a-f]{12}"#, with: "id <ID>", options: .regularExpression)
    }

    /// A JSON document without its message IDs (`message_id`, at any depth).
    static func masked(_ json: Any) -> NSObject {
        switch json {
        case let object as [String: Any]:
            var copy: [String: Any] = [:]
            for (key, value) in object where key != "message_id" { copy[key] = masked(value) }
            return copy as NSDictionary
        case let array as [Any]:
            return array.map(masked) as NSArray
        default:
            return json as? NSObject ?? NSNull()
        }
    }

    static func maskedJSON(_ run: VigilRun) throws -> NSObject {
        masked(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)))
    }

    // MARK: Tests

    @Test func aDuressCheckInLooksOrdinaryOnTheDefendersDeviceAndReachesTheContactAsAnAlarm() throws {
        let setup = try Setup("vigil-duress")
        defer { setup.world.tearDown() }
        let (amal, coerced, sam) = (setup.amal, setup.coerced, setup.sam)
        try expectSuccess(amal.run(["arm", "--every", "6h"]))

        // The same check-in, typed as "ok": ordinary, with --duress, and with the duress passphrase.
        let typed = ["checkin", "--status", "ok", "--note", "all fine, home by nine", "--next-in", "3h"]
        let variants: [(name: String, runner: VigilRunner, arguments: [String], duress: Bool)] = [
            ("ordinary", amal, typed, false), ("--duress", amal, typed + ["--duress"], true),
            ("duress passphrase", coerced, typed, true),
        ]
        var human: [String: VigilRun] = [:]
        var json: [String: VigilRun] = [:]
        var statuses: [String: VigilRun] = [:]
        var sentIDs: [(id: String, duress: Bool)] = []
        for variant in variants {
            let text = try variant.runner.run(variant.arguments)
            #expect(text.status == 0, "\(variant.name): \(text)")
            human[variant.name] = text
            let document = try variant.runner.run(variant.arguments + ["--json"])
            #expect(document.status == 0, "\(variant.name): \(document)")
            json[variant.name] = document
            sentIDs.append((try #require(try document.json()["message_id"] as? String), variant.duress))
            statuses[variant.name] = try amal.run(["status", "--json"])
        }
        let ordinary = try #require(human["ordinary"])
        #expect(ordinary.stdout.contains("Check-in (ok) delivered to all 1 contact(s)"), "\(ordinary)")
        #expect(ordinary.stdout.contains("Dead man's switch ARMED"), "\(ordinary)")
        for name in ["--duress", "duress passphrase"] {
            let text = try #require(human[name])
            #expect(Self.masked(text.stdout) == Self.masked(ordinary.stdout), "\(name):\n\(text.stdout)\nordinary:\n\(ordinary.stdout)")
            #expect(text.stderr == ordinary.stderr, "\(name)")
            #expect(try Self.maskedJSON(try #require(json[name])) == Self.maskedJSON(try #require(json["ordinary"])), "\(name)")
            #expect(try Self.maskedJSON(try #require(statuses[name])) == Self.maskedJSON(try #require(statuses["ordinary"])), "\(name)")
        }
        #expect(try #require(json["ordinary"]).json()["summary"] as? String == "check-in: ok — all fine, home by nine")

        // Sam reads them: the ordinary one as ok, the others as an alarm sent under duress.
        let inbox = try sam.run(["inbox", "--json"])
        #expect(inbox.status == 0, "\(inbox)")
        let received = try inbox.inboxMessages(kind: "check-in")
        // Each variant ran twice (text and --json); the IDs of the --json runs are known.
        #expect(received.count == 2 * sentIDs.count, "\(inbox)")
        #expect(received.filter { $0["duress"] as? Bool == true }.count == 4, "\(inbox)")
        for (id, duress) in sentIDs {
            let message = try #require(received.first { $0["message_id"] as? String == id }, "\(id) did not arrive")
            #expect(message["status"] as? String == (duress ? "danger" : "ok"))
            #expect(message["duress"] as? Bool == duress)
            #expect(message["is_alert"] as? Bool == duress)
            #expect(message["note"] as? String == "all fine, home by nine")
            #expect(sender(message)["alias"] as? String == "amal")
        }
        let shown = try sam.run(["inbox", "--all"])
        #expect(shown.stdout.components(separatedBy: "!! CHECK-IN: amal is IN DANGER — sent under duress at ").count - 1 == 4, "\(shown)")
        #expect(shown.stdout.contains("Do NOT answer through Vigil"), "\(shown)")
        #expect(shown.stdout.contains("Check-in: amal is ok"), "\(shown)")
        let contacts = try sam.run(["contacts", "list"])
        #expect(contacts.stdout.contains("(IN DANGER — sent under duress)"), "\(contacts)")
        let listed = try #require(try sam.run(["contacts", "list", "--json"]).jsonArray().first)
        #expect((listed["last_check_in"] as? [String: Any])?["duress"] as? Bool == true)

        // Sam's client sent receipts for all of them: Amal's sent log is the same for each.
        let sent = try #require(try amal.run(["inbox", "--all", "--json"]).json()["sent"] as? [[String: Any]])
        let records = sentIDs.map { entry in sent.first { $0["message_id"] as? String == entry.id } }
        #expect(records.allSatisfy { $0 != nil })
        let maskedRecords = records.compactMap { $0.map(Self.masked) }
        #expect(Set(maskedRecords).count == 1, "\(maskedRecords)")
        #expect((records.first??["received_by"] as? [String]) == ["sam"])

        // Nothing on Amal's device says "duress", even decrypted.
        let state = try HomeInspector(amal).session.state()
        #expect(!String(decoding: try JSONEncoder().encode(state), as: UTF8.self).lowercased().contains("duress"))
    }

    @Test func aDuressCheckInWaitingInTheOutboxLooksLikeAnOrdinaryOne() throws {
        let setup = try Setup("vigil-duress-queued")
        defer { setup.world.tearDown() }
        let (amal, coerced, sam) = (setup.amal, setup.coerced, setup.sam)

        setup.world.stopRelay("main")
        let typed = ["checkin", "--status", "support", "--note", "slow day", "--json"]
        let ordinary = try amal.run(typed)
        let forced = try coerced.run(typed)
        #expect(ordinary.status == 3, "\(ordinary)")
        #expect(forced.status == 3, "\(forced)")
        #expect(try Self.maskedJSON(forced) == Self.maskedJSON(ordinary))
        let ordinaryID = try #require(try ordinary.json()["message_id"] as? String)
        let forcedID = try #require(try forced.json()["message_id"] as? String)

        for command in [["outbox"], ["status"]] {
            let asAmal = try amal.run(command + ["--json"])
            let asCoerced = try coerced.run(command + ["--json"])
            #expect(asAmal.status == asCoerced.status)
            #expect(asAmal.stdout == asCoerced.stdout, "\(command)")
            #expect(try amal.run(command).stdout == coerced.run(command).stdout, "\(command)")
        }
        let queued = try #require(try amal.run(["outbox", "--json"]).json()["messages"] as? [[String: Any]])
        #expect(queued.count == 2)
        #expect(Set(queued.map(Self.masked)).count == 1, "\(queued)")
        #expect(queued.allSatisfy { $0["summary"] as? String == "check-in: NEEDS SUPPORT — slow day" })
        // The sealed envelopes, which hold the truth, are the same size.
        let outbox = try HomeInspector(amal).session.state().outbox
        #expect(Set(outbox.flatMap { $0.deliveries.map(\.blob.count) }).count == 1)

        try setup.world.restartRelay("main")
        try expectSuccess(amal.run(["outbox", "--flush"]))
        let messages = try sam.run(["inbox", "--json"]).inboxMessages(kind: "check-in")
        #expect(messages.first { $0["message_id"] as? String == ordinaryID }?["status"] as? String == "support")
        #expect(messages.first { $0["message_id"] as? String == forcedID }?["status"] as? String == "danger")
        #expect(messages.first { $0["message_id"] as? String == forcedID }?["duress"] as? Bool == true)
    }

    @Test func anAllClearAskedForUnderDuressLooksOrdinaryHereAndReachesTheContactAsAnAlarm() throws {
        let setup = try Setup("vigil-duress-all-clear")
        defer { setup.world.tearDown() }
        let ordinary = try setup.amal.run(["all-clear", "released, all fine"])
        let forced = try setup.coerced.run(["all-clear", "released, all fine"])
        #expect(ordinary.status == 0 && forced.status == 0, "\(ordinary)\n\(forced)")
        #expect(Self.masked(forced.stdout) == Self.masked(ordinary.stdout), "\(forced.stdout)\nordinary:\n\(ordinary.stdout)")
        let ordinaryJSON = try setup.amal.run(["all-clear", "released, all fine", "--json"])
        let forcedJSON = try setup.coerced.run(["all-clear", "released, all fine", "--json"])
        #expect(try Self.maskedJSON(forcedJSON) == Self.maskedJSON(ordinaryJSON))
        let sent = try setup.amal.run(["inbox", "--all", "--json"]).json()["sent"] as? [[String: Any]] ?? []
        #expect(sent.filter { $0["kind"] as? String == "all-clear" }.count == 4, "\(sent)")

        // Sam gets two all-clears, and in place of the other two, alarms sent under duress.
        let received = try setup.sam.run(["inbox", "--json"])
        #expect(try received.inboxMessages(kind: "all-clear").count == 2, "\(received)")
        let alarms = try received.inboxMessages(kind: "check-in")
        #expect(alarms.count == 2, "\(received)")
        #expect(alarms.allSatisfy { $0["duress"] as? Bool == true && $0["status"] as? String == "danger" && $0["note"] as? String == "released, all fine" })
    }

    @Test func theContactCannotAcknowledgeADuressCheckInByAccident() throws {
        let setup = try Setup("vigil-duress-ack")
        defer { setup.world.tearDown() }
        let (amal, sam) = (setup.amal, setup.sam)
        let ordinaryID = try #require(try amal.run(["checkin", "--json"]).json()["message_id"] as? String)
        let duressID = try #require(try amal.run(["checkin", "--duress", "--json"]).json()["message_id"] as? String)
        try expectSuccess(sam.run(["inbox"]))

        let refused = try sam.run(["ack", String(duressID.prefix(12)), "on my way"])
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("amal sent this check-in UNDER DURESS"), "\(refused)")
        #expect(refused.stderr.contains("Nothing was sent"), "\(refused)")
        #expect(refused.stderr.contains("--even-under-duress"), "\(refused)")
        #expect(refused.stdout.isEmpty, "\(refused)")
        let refusedJSON = try sam.run(["ack", String(duressID.prefix(12)), "--json"])
        #expect(refusedJSON.status == 1)
        #expect((try refusedJSON.json()["error"] as? [String: Any])?["exit_code"] as? Int == 1)
        #expect((try amal.run(["inbox", "--json"]).json()["acknowledgements"] as? [Any])?.isEmpty == true)

        try expectSuccess(sam.run(["ack", String(ordinaryID.prefix(12)), "seen"]))
        try expectSuccess(sam.run(["ack", String(duressID.prefix(12)), "calling you", "--even-under-duress"]))
        let acknowledgements = try #require(try amal.run(["inbox", "--json"]).json()["acknowledgements"] as? [[String: Any]])
        #expect(Set(acknowledgements.compactMap { $0["message_id"] as? String }) == [ordinaryID, duressID])
    }

    @Test func settingADuressPassphraseIsRefusedWithAReasonWhenItCannotWork() throws {
        let world = try ProcessWorld("vigil-duress-set")
        defer { world.tearDown() }
        let amal = try world.person("Amal", relays: [])
        let file = world.directory.sub("duress")
        func write(_ text: String) {
            _ = FileManager.default.createFile(atPath: file, contents: Data((text + "\n").utf8), attributes: [.posixPermissions: 0o600])
        }
        let keystore = world.directory.sub("amal/keystore.json")
        let before = fileBytes(keystore)

        // The duress passphrase must not be the real one.
        write(try #require(amal.passphrase))
        let same = try amal.run(["duress", "set", "--duress-passphrase-file", file])
        #expect(same.status == 1, "\(same)")
        #expect(same.stderr.contains("must differ from your passphrase"), "\(same)")

        // A wrong passphrase: refused as for any command.
        write("a good duress passphrase")
        var wrong = amal
        wrong.passphrase = "not it"
        for command in [["duress", "set", "--duress-passphrase-file", file], ["duress", "remove"]] {
            let refused = try wrong.run(command)
            #expect(refused.status == 2, "\(refused)")
            #expect(refused.stderr.contains("passphrase is wrong"), "\(refused)")
        }
        #expect(fileBytes(keystore) == before)

        // Without a terminal and without a file, the duress passphrase cannot be asked.
        let untyped = try amal.run(["duress", "set"])
        #expect(untyped.status == 2, "\(untyped)")
        #expect(untyped.stderr.contains("no terminal"), "\(untyped)")
        #expect(fileBytes(keystore) == before)

        // Keys without a passphrase have no duress passphrase.
        let open = VigilRunner(home: world.directory.sub("open"), passphrase: nil)
        try expectSuccess(open.run(["init", "--name", "Open", "--no-passphrase"]))
        let unprotected = try open.run(["duress", "set", "--duress-passphrase-file", file])
        #expect(unprotected.status == 1, "\(unprotected)")
        #expect(unprotected.stderr.contains("without a passphrase"), "\(unprotected)")
        #expect(try open.run(["duress", "remove"]).status == 1)

        // Set, then removed: the duress passphrase no longer opens Vigil.
        try expectSuccess(amal.run(["duress", "set", "--duress-passphrase-file", file]))
        var coerced = amal
        coerced.passphrase = "a good duress passphrase"
        try expectSuccess(coerced.run(["status"]))
        let removed = try amal.run(["duress", "remove"])
        #expect(removed.status == 0, "\(removed)")
        #expect(removed.stdout.contains("only your passphrase opens Vigil"), "\(removed)")
        #expect(try coerced.run(["status"]).status == 2)
    }
}
