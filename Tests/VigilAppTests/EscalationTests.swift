import Foundation
import Testing
@testable import VigilApp

/// Escalation from tier 1 to tier 2, end to end: the built `vigil` of three people against a
/// real `vigil-relay`, whose real clock fires the escalation timers. Times are seconds, with wide
/// margins: on a loaded 2-core machine one command can take a second or more.
@Suite("escalation from tier 1 to tier 2")
struct EscalationTests {
    /// Alice, the defender; Bob in her tier 1; Carol in her tier 2 (on `carolRelay`).
    struct Setup {
        let world: ProcessWorld
        let alice: VigilRunner
        let bob: VigilRunner
        let carol: VigilRunner

        init(_ label: String, carolRelay: String = "a") throws {
            world = try ProcessWorld(label)
            try world.startRelay("a")
            if carolRelay != "a" { try world.startRelay(carolRelay) }
            alice = try world.person("Alice", relays: ["a"])
            bob = try world.person("Bob", relays: ["a"])
            carol = try world.person("Carol", relays: [carolRelay])
            try world.exchangeCards(alice, as: "alice", bob, as: "bob")
            try world.exchangeCards(alice, as: "alice", carol, as: "carol")
            let tiered = try alice.run(["contacts", "tier", "carol", "2", "--json"])
            #expect(tiered.status == 0, "\(tiered)")
            #expect(try tiered.json()["tier"] as? Int == 2)
        }
    }

    /// The escalation of a panic report.
    static func escalation(_ run: VigilRun) throws -> [String: Any] {
        try #require(try run.json()["escalation"] as? [String: Any], "\(run)")
    }

    @Test func aPanicReachesTier2ThroughTheRelayOnlyWhenNobodyInTier1Acknowledges() throws {
        let setup = try Setup("esc-panic")
        defer { setup.world.tearDown() }

        let panic = try setup.alice.run(["panic", "taken to the station", "--escalate-after", "4s", "--json"])
        #expect(panic.status == 0, "\(panic)")
        let escalation = try Self.escalation(panic)
        let alertsAt = try #require(escalation["alerts_at"] as? UInt64)
        #expect(escalation["phase"] as? String == "waiting")
        #expect(escalation["tier2"] as? [String] == ["carol"])
        let timers = try #require(escalation["timers"] as? [[String: Any]])
        #expect(timers.count == 1 && timers.first?["action"] as? String == "armed", "\(timers)")
        #expect(try panic.json()["recipients"].map { ($0 as? [[String: Any]])?.map { $0["alias"] as? String } } == ["bob"])

        // Tier 1 has it at once, with the time tier 2 will be alerted; tier 2 has nothing.
        let bobsPanic = try #require(try setup.bob.run(["inbox", "--json"]).inboxMessages(kind: "panic").first)
        #expect(bobsPanic["escalates_at"] as? UInt64 == alertsAt)
        #expect(bobsPanic["escalated"] as? Bool == false)
        #expect(try setup.carol.run(["inbox", "--json"]).inboxMessages(kind: "panic").isEmpty)
        let human = try setup.bob.run(["inbox", "--all"])
        #expect(human.stdout.contains("their second circle of contacts will be alerted"), "\(human)")

        // Alice's device is gone: nobody runs her vigil again. The relay alerts Carol.
        var carolsPanic: [String: Any]?
        try waitUntil("the escalated panic reaching Carol", timeout: 30) {
            carolsPanic = try setup.carol.run(["inbox", "--json"]).inboxMessages(kind: "panic").first
            return carolsPanic != nil
        }
        let escalated = try #require(carolsPanic)
        #expect(escalated["escalated"] as? Bool == true)
        #expect(escalated["message"] as? String == "taken to the station")
        #expect(sender(escalated)["alias"] as? String == "alice" && sender(escalated)["verified"] as? Bool == true)
        #expect(try #require(escalated["received_at"] as? UInt64) >= alertsAt)
        let shown = try setup.carol.run(["inbox", "--all"])
        #expect(shown.stdout.contains("!! ESCALATED, nobody in their first circle answered in time: PANIC from alice"), "\(shown)")

        // Bob acknowledges too late: he is told so.
        let late = try setup.bob.run(["ack", String(try #require(bobsPanic["message_id"] as? String).prefix(12)), "--json"])
        #expect((try late.json()["stopped_escalation"] as? [[String: Any]])?.map { $0["action"] as? String } == ["fired"], "\(late)")
        #expect(try setup.bob.run(["inbox", "--all"]).stdout.contains("their second circle of contacts will be alerted"))

        // When Alice's client runs again it records the escalation, and Carol sees the alert once.
        let status = try setup.alice.run(["inbox", "--json"])
        #expect((try status.json()["escalations"] as? [[String: Any]])?.first?["phase"] as? String == "escalated", "\(status)")
        #expect(try setup.carol.run(["inbox", "--all", "--json"]).inboxMessages(kind: "panic").count == 1)
    }

    @Test func anAcknowledgementFromTier1DisarmsTheEscalationSoTier2HearsNothing() throws {
        let setup = try Setup("esc-ack")
        defer { setup.world.tearDown() }

        let panic = try setup.alice.run(["panic", "--escalate-after", "10s", "--json"])
        #expect(panic.status == 0, "\(panic)")
        let alertsAt = try #require(try Self.escalation(panic)["alerts_at"] as? UInt64)
        let id = try #require(try setup.bob.run(["inbox", "--json"]).inboxMessages(kind: "panic").first?["message_id"] as? String)

        // Bob acknowledges: his client disarms the escalation timer with the key in the alert.
        let ack = try setup.bob.run(["ack", String(id.prefix(12)), "on my way", "--json"])
        #expect(ack.status == 0, "\(ack)")
        let stopped = try #require(try ack.json()["stopped_escalation"] as? [[String: Any]], "\(ack)")
        #expect(stopped.map { $0["action"] as? String } == ["disarmed"], "\(stopped)")
        let human = try setup.bob.run(["inbox", "--all"])
        #expect(human.stdout.contains("your acknowledgement disarmed the escalation: their second circle of contacts will not be alerted"), "\(human)")
        #expect(Date().timeIntervalSince1970 < Double(alertsAt), "the test ran too slowly: the escalation time passed before the acknowledgement")

        // Past the escalation time, and after Alice's client ran too: Carol has nothing.
        while Date().timeIntervalSince1970 < Double(alertsAt) + 2.5 { usleep(50_000) }
        let alice = try setup.alice.run(["inbox", "--json"])
        let escalations = try #require(try alice.json()["escalations"] as? [[String: Any]], "\(alice)")
        #expect(escalations.first?["phase"] as? String == "stopped")
        #expect(escalations.first?["stopped_by"] as? String == "bob")
        #expect(try setup.carol.run(["inbox", "--all", "--json"]).inboxMessages(kind: "panic").isEmpty)
        let flushed = try setup.alice.run(["outbox", "--flush", "--json"])
        #expect(flushed.status == 0, "\(flushed)")
        #expect(try setup.carol.run(["inbox", "--all", "--json"]).inboxMessages(kind: "panic").isEmpty)
    }

    @Test func aContactWhoseDisarmFailsIsToldSoAndStopsTheEscalationByAcknowledgingAgain() throws {
        let setup = try Setup("esc-ack-down")
        defer { setup.world.tearDown() }
        let panic = try setup.alice.run(["panic", "--escalate-after", "2m", "--json"])
        #expect(panic.status == 0, "\(panic)")
        let id = try #require(try setup.bob.run(["inbox", "--json"]).inboxMessages(kind: "panic").first?["message_id"] as? String)

        setup.world.stopRelay("a")
        let failed = try setup.bob.run(["ack", String(id.prefix(12)), "on my way"])
        #expect(failed.status == 3, "the acknowledgement is queued: \(failed)")
        #expect(failed.stdout.contains("Escalation NOT stopped on \(setup.world.url("a"))"), "\(failed)")
        #expect(failed.stdout.contains("run `vigil ack` again"), "\(failed)")
        #expect(try setup.bob.run(["inbox", "--all"]).stdout.contains("their second circle of contacts will be alerted"))

        try setup.world.restartRelay("a")
        let again = try setup.bob.run(["ack", String(id.prefix(12)), "on my way", "--json"])
        #expect(again.status == 0, "\(again)")
        #expect((try again.json()["stopped_escalation"] as? [[String: Any]])?.map { $0["action"] as? String } == ["disarmed"], "\(again)")
    }

    @Test func withoutATimerOnAnyRelayTheDefendersClientEscalatesWhenItRuns() throws {
        // Carol's mailbox is on relay b, where Alice has none: no relay of Alice's can hold a
        // timer for her, so only Alice's own client can reach her.
        let setup = try Setup("esc-client", carolRelay: "b")
        defer { setup.world.tearDown() }

        let panic = try setup.alice.run(["panic", "--escalate-after", "3s"])
        #expect(panic.status == 0, "\(panic)")
        #expect(panic.stdout.contains("No relay holds the escalation: only this device can alert tier 2"), "\(panic)")
        let alertsAt = try #require(try setup.alice.run(["status", "--json"]).json()["escalations"]
            .flatMap { ($0 as? [[String: Any]])?.first?["alerts_at"] as? UInt64 })

        while Date().timeIntervalSince1970 < Double(alertsAt) + 2 { usleep(50_000) }
        #expect(try setup.carol.run(["inbox", "--json"]).inboxMessages(kind: "panic").isEmpty, "no relay timer, so nothing yet")

        let flushed = try setup.alice.run(["outbox", "--flush"])
        #expect(flushed.status == 0, "\(flushed)")
        let carols = try setup.carol.run(["inbox", "--json"]).inboxMessages(kind: "panic")
        #expect(carols.count == 1 && carols.first?["escalated"] as? Bool == true, "\(carols)")
        // Bob is not alerted a second time.
        #expect(try setup.bob.run(["inbox", "--all", "--json"]).inboxMessages(kind: "panic").count == 1)
    }

    @Test func aMissedCheckInEscalatesToTier2AndTheNextCheckInSendsBothTheAllClear() throws {
        let setup = try Setup("esc-switch")
        defer { setup.world.tearDown() }
        try expectSuccess(setup.alice.run(["config", "--escalate-after", "3s"]))
        let bobWatches = try setup.bob.watch()

        let armed = try setup.alice.run(["arm", "--every", "2s", "--grace", "1s", "--message", "call Amparo", "--json"])
        #expect(armed.status == 0, "\(armed)")
        let timers = try #require(try armed.json()["timers"] as? [[String: Any]])
        #expect(timers.map { $0["tier"] as? Int } == [nil, 2], "\(timers)")
        let deadline = try #require(try armed.json()["next_deadline"] as? UInt64)
        let escalationDeadline = try #require(timers.last?["deadline"] as? UInt64)
        #expect(escalationDeadline == deadline + 3)

        // Bob, watching, gets the alert with the escalation time; Carol only later, escalated.
        try bobWatches.waitFor("missed check-in", timeout: 20) { !$0.messages(kind: "missed-check-in").isEmpty }
        let alert = try #require(bobWatches.messages(kind: "missed-check-in").first)
        #expect(alert["message"] as? String == "call Amparo")
        #expect(alert["escalates_at"] as? UInt64 == escalationDeadline)
        #expect(sender(alert)["verified"] as? Bool == true)
        var carols: [[String: Any]] = []
        try waitUntil("the escalated missed check-in reaching Carol", timeout: 30) {
            carols = try setup.carol.run(["inbox", "--json"]).inboxMessages(kind: "missed-check-in")
            return !carols.isEmpty
        }
        #expect(carols.first?["escalated"] as? Bool == true)
        #expect(try #require(carols.first?["received_at"] as? UInt64) >= escalationDeadline)

        // Alice is back: her check-in finds both timers gone off and sends both the all-clear; the
        // escalation timer gets a new key, so the one in the alert Bob holds no longer works.
        let keyBefore = try HomeInspector(setup.alice).session.state().deadMansSwitch?.timers.filter(\.isEscalation).map(\.timerID)
        let checkIn = try setup.alice.run(["checkin", "--note", "phone was dead", "--json"])
        #expect(checkIn.status == 0, "\(checkIn)")
        let allClear = try #require((try checkIn.json()["dead_mans_switch"] as? [String: Any])?["all_clear"] as? [String: Any], "\(checkIn)")
        #expect(Set((allClear["recipients"] as? [[String: Any]] ?? []).compactMap { $0["alias"] as? String }) == ["bob", "carol"])
        let keyAfter = try HomeInspector(setup.alice).session.state().deadMansSwitch?.timers.filter(\.isEscalation).map(\.timerID)
        #expect(keyBefore?.count == 1 && keyAfter?.count == 1 && keyBefore != keyAfter, "\(String(describing: keyBefore)) \(String(describing: keyAfter))")
        try bobWatches.waitFor("all clear", timeout: 20) { !$0.messages(kind: "all-clear").isEmpty }
        bobWatches.stop()
        #expect(try setup.carol.run(["inbox", "--json"]).inboxMessages(kind: "all-clear").count == 1)
    }

    @Test func aTier1AcknowledgementOfAMissedCheckInKeepsTier2Quiet() throws {
        let setup = try Setup("esc-switch-ack")
        defer { setup.world.tearDown() }
        try expectSuccess(setup.alice.run(["config", "--escalate-after", "12s"]))
        let armed = try setup.alice.run(["arm", "--every", "2s", "--grace", "1s", "--json"])
        let escalationDeadline = try #require((try armed.json()["timers"] as? [[String: Any]])?.last?["deadline"] as? UInt64)

        var alert: [String: Any]?
        try waitUntil("the missed check-in reaching Bob", timeout: 30) {
            alert = try setup.bob.run(["inbox", "--json"]).inboxMessages(kind: "missed-check-in").first
            return alert != nil
        }
        let id = try #require(alert?["message_id"] as? String)
        let ack = try setup.bob.run(["ack", String(id.prefix(12)), "--json"])
        #expect(ack.status == 0, "\(ack)")
        #expect((try ack.json()["stopped_escalation"] as? [[String: Any]])?.map { $0["action"] as? String } == ["disarmed"], "\(ack)")
        #expect(Date().timeIntervalSince1970 < Double(escalationDeadline), "the test ran too slowly to acknowledge before the escalation")

        while Date().timeIntervalSince1970 < Double(escalationDeadline) + 2.5 { usleep(50_000) }
        #expect(try setup.carol.run(["inbox", "--all", "--json"]).inboxMessages(kind: "missed-check-in").isEmpty)
    }

    @Test func tiersAndTheEscalationTimeRefuseWhatTheyCannotMean() throws {
        let world = try ProcessWorld("esc-usage")
        defer { world.tearDown() }
        try world.startRelay("a")
        let alice = try world.person("Alice", relays: ["a"])
        let bob = try world.person("Bob", relays: ["a"])
        let card = try bob.card()

        for tier in ["0", "3"] {
            let refused = try alice.run(["contacts", "add", card, "--tier", tier])
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.stderr.contains("a tier is 1 (alerted at once) or 2"), "\(refused)")
        }
        #expect(try alice.run(["contacts", "list", "--json"]).jsonArray().isEmpty, "a refused add adds nothing")
        try expectSuccess(alice.run(["contacts", "add", card, "--alias", "bob", "--tier", "2"]))
        #expect(try alice.run(["contacts", "show", "bob", "--json"]).json()["tier"] as? Int == 2)
        #expect(try alice.run(["contacts", "tier", "bob", "7"]).status == 1)
        #expect(try alice.run(["contacts", "tier", "nobody", "1"]).status == 1)
        try expectSuccess(alice.run(["contacts", "tier", "bob", "1"]))
        #expect(try alice.run(["contacts", "show", "bob", "--json"]).json()["tier"] as? Int == 1)

        let zero = try alice.run(["config", "--escalate-after", "0s"])
        #expect(zero.status == 1 && zero.stderr.contains("is not a duration"), "\(zero)")
        let long = try alice.run(["config", "--escalate-after", "8d"])
        #expect(long.status == 1 && long.stderr.contains("at most 7 days"), "\(long)")
        #expect(try alice.run(["config", "--json"]).json()["escalate_after_seconds"] as? UInt64 == 900)
        try expectSuccess(alice.run(["contacts", "tier", "bob", "2"]))
        try expectSuccess(alice.run(["contacts", "add", try world.person("Carol", relays: ["a"]).card(), "--alias", "carol"]))
        let panic = try alice.run(["panic", "--escalate-after", "8d"])
        #expect(panic.status == 1 && panic.stderr.contains("at most 7 days"), "\(panic)")
        #expect(try alice.run(["outbox", "--json"]).json()["messages"].map { ($0 as? [Any])?.isEmpty } == true, "a refused panic queues nothing")
    }
}
