import Foundation
import Testing

/// The dead man's switch end to end: the built `vigil` arms timers on a real `vigil-relay`,
/// whose real clock fires them. Durations are seconds, so each test waits a few seconds.
@Suite("dead man's switch against a real relay")
struct DeadMansSwitchTests {
    /// A defender (Alice) and a contact (Bob) on one relay, who verified each other; Bob watches.
    struct Setup {
        let world: ProcessWorld
        let alice: VigilRunner
        let bob: VigilRunner

        init(_ label: String, relays: [String] = ["a"]) throws {
            world = try ProcessWorld(label)
            for relay in relays { try world.startRelay(relay) }
            alice = try world.person("Alice", relays: ["a"])
            bob = try world.person("Bob", relays: ["a"])
            try world.exchangeCards(alice, as: "alice", bob, as: "bob")
        }
    }

    @Test func theRelayAlertsTheContactWhenTheDeadlinePassesWhileTheDefenderIsOffline() throws {
        let setup = try Setup("dms-fires")
        defer { setup.world.tearDown() }
        let watcher = try setup.bob.watch()

        let armed = try setup.alice.run(["arm", "--every", "2s", "--grace", "1s", "--message", "call my lawyer", "--json"])
        #expect(armed.status == 0, "\(armed)")
        let report = try armed.json()
        let deadline = try #require(report["next_deadline"] as? UInt64)
        let timers = try #require(report["timers"] as? [[String: Any]])
        #expect(timers.count == 1)
        #expect(timers.first?["action"] as? String == "armed")
        #expect(timers.first?["alerts"] as? Int == 1)
        #expect(report["due_at"] as? UInt64 == deadline - 1)

        let status = try setup.alice.run(["status", "--json"])
        #expect(status.status == 0, "\(status)")
        #expect(try status.json()["armed"] as? Bool == true)
        #expect(try status.json()["next_deadline"] as? UInt64 == deadline)
        let human = try setup.alice.run(["status"])
        #expect(human.stdout.contains("Dead man's switch ARMED"), "\(human)")
        #expect(human.stdout.contains("unless you check in"), "\(human)")

        // Alice runs nothing more: the relay alone delivers the alert.
        try watcher.waitFor("missed check-in", timeout: 15) { !$0.messages(kind: "missed-check-in").isEmpty }
        let alert = try #require(watcher.messages(kind: "missed-check-in").first)
        #expect(sender(alert)["alias"] as? String == "alice")
        #expect(sender(alert)["verified"] as? Bool == true)
        #expect(alert["is_alert"] as? Bool == true)
        #expect(alert["message"] as? String == "call my lawyer")
        #expect(alert["due_at"] as? UInt64 == deadline - 1)
        #expect(try #require(alert["received_at"] as? UInt64) >= deadline)
        #expect(alert["last_check_in_at"] == nil)
        watcher.stop()

        let shown = try setup.bob.run(["inbox", "--all"])
        #expect(shown.stdout.contains("!! MISSED CHECK-IN: alice did not check in"), "\(shown)")
    }

    @Test func aCheckInRenewsTheTimerSoNothingArrivesAtTheOldDeadline() throws {
        let setup = try Setup("dms-renew")
        defer { setup.world.tearDown() }
        let watcher = try setup.bob.watch()

        // Wide margins: on a loaded 2-core machine each command can take a second or more.
        let armed = try setup.alice.run(["arm", "--every", "10s", "--grace", "2s", "--json"])
        #expect(armed.status == 0, "\(armed)")
        let oldDeadline = try #require(try armed.json()["next_deadline"] as? UInt64)

        usleep(3_000_000)
        let checkIn = try setup.alice.run(["checkin", "--json"])
        #expect(checkIn.status == 0, "\(checkIn)")
        let checkInReport = try checkIn.json()
        #expect(checkInReport["all_delivered"] as? Bool == true)
        let renewal = try #require(checkInReport["dead_mans_switch"] as? [String: Any])
        let newDeadline = try #require(renewal["next_deadline"] as? UInt64)
        #expect(newDeadline >= oldDeadline + 3)
        #expect((renewal["timers"] as? [[String: Any]])?.first?["action"] as? String == "renewed")
        let human = try setup.alice.run(["status"])
        #expect(human.stdout.contains("last check-in"), "\(human)")

        // Past the old deadline (the relay looks every second), before the new one: nothing.
        let quietUntil = Double(oldDeadline) + 1.5
        while Date().timeIntervalSince1970 < quietUntil { usleep(50_000) }
        #expect(Date().timeIntervalSince1970 < Double(newDeadline), "the test ran too slowly to tell the deadlines apart")
        #expect(watcher.messages(kind: "missed-check-in").isEmpty, "\(watcher.transcript)")
        #expect(watcher.messages(kind: "check-in").count == 1)

        // Then the renewed timer fires, with alerts that name the check-in.
        try watcher.waitFor("missed check-in", timeout: 15) { !$0.messages(kind: "missed-check-in").isEmpty }
        let alerts = watcher.messages(kind: "missed-check-in")
        #expect(alerts.count == 1)
        #expect(alerts.first?["last_check_in_at"] as? UInt64 == checkInReport["created_at"] as? UInt64)
        #expect(alerts.first?["due_at"] as? UInt64 == newDeadline - 2)
        #expect(try #require(alerts.first?["received_at"] as? UInt64) >= newDeadline)
    }

    @Test func aDisarmedSwitchSendsNothingAndAContactOnAnotherRelayIsReportedUnreachable() throws {
        let setup = try Setup("dms-disarm", relays: ["a", "b"])
        defer { setup.world.tearDown() }
        let carol = try setup.world.person("Carol", relays: ["b"])
        try setup.world.exchangeCards(setup.alice, as: "alice", carol, as: "carol", verify: false)

        // Disarmed long before the deadline, even on a loaded machine.
        let armed = try setup.alice.run(["arm", "--every", "8s", "--grace", "1s"])
        #expect(armed.status == 0, "\(armed)")
        #expect(armed.stdout.contains("Dead man's switch ARMED"), "\(armed)")
        #expect(armed.stdout.contains("CANNOT reach carol"), "\(armed)")
        let deadline = try #require(try setup.alice.run(["status", "--json"]).json()["next_deadline"] as? UInt64)

        let disarmed = try setup.alice.run(["disarm"])
        #expect(disarmed.status == 0, "\(disarmed)")
        #expect(disarmed.stdout.contains("DISARMED"), "\(disarmed)")
        let status = try setup.alice.run(["status", "--json"]).json()
        #expect(status["armed"] as? Bool == false)
        #expect((status["timers"] as? [Any])?.isEmpty == true)
        let again = try setup.alice.run(["disarm"])
        #expect(again.status == 1, "\(again)")

        // Well past the deadline the relay would have used: nothing arrived.
        while Date().timeIntervalSince1970 < Double(deadline) + 2 { usleep(50_000) }
        let inbox = try setup.bob.run(["inbox", "--json"])
        #expect(inbox.status == 0, "\(inbox)")
        #expect(try inbox.inboxMessages(kind: "missed-check-in").isEmpty, "\(inbox)")
    }

    @Test func aRenewalThatFailsIsReportedLoudlyWithExit3AndTheCheckInStaysQueued() throws {
        let setup = try Setup("dms-down")
        defer { setup.world.tearDown() }
        try expectSuccess(setup.alice.run(["arm", "--every", "1h", "--message", "find me"]))
        setup.world.stopRelay("a")

        let checkIn = try setup.alice.run(["checkin"])
        #expect(checkIn.status == 3, "\(checkIn)")
        #expect(checkIn.stdout.contains("NOT yet delivered"), "\(checkIn)")
        #expect(checkIn.stdout.contains("OLD deadline"), "\(checkIn)")
        #expect(checkIn.stderr.contains("NOT renewed"), "\(checkIn)")

        let status = try setup.alice.run(["status", "--json"])
        let view = try status.json()
        #expect(view["armed"] as? Bool == true)
        #expect((view["timers"] as? [[String: Any]])?.first?["action"] as? String == "failed")
        #expect((view["outbox"] as? [Any])?.count == 1)
        let human = try setup.alice.run(["status"])
        #expect(human.stdout.contains("last renewal FAILED"), "\(human)")
        #expect(human.stdout.contains("1 message(s) not yet delivered"), "\(human)")

        // Once the relay is back, the next check-in renews it.
        try setup.world.restartRelay("a")
        let retried = try setup.alice.run(["checkin", "--json"])
        #expect(retried.status == 0, "\(retried)")
        let timers = try #require((try retried.json()["dead_mans_switch"] as? [String: Any])?["timers"] as? [[String: Any]])
        #expect(timers.first?["action"] as? String == "renewed")
        try expectSuccess(setup.alice.run(["disarm"]))
    }

    @Test func removingTheOnlyReachableContactTakesTheTimerOff() throws {
        let setup = try Setup("dms-contacts")
        defer { setup.world.tearDown() }
        try expectSuccess(setup.alice.run(["arm", "--every", "1h"]))
        let removed = try setup.alice.run(["contacts", "remove", "bob"])
        #expect(removed.status == 0, "\(removed)")
        #expect(removed.stdout.contains("Dead man's switch updated"), "\(removed)")
        #expect(removed.stdout.contains("disarmed"), "\(removed)")
        let status = try setup.alice.run(["status"])
        #expect(status.stdout.contains("no relay holds a timer"), "\(status)")
    }
}
