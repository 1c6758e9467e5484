import Foundation
import Testing

/// The built `vigil` against real `vigil-relay` processes, with a defender and trusted contacts
/// in their own `$VIGIL_HOME`s: what a person would do, start to finish, including relays that
/// are down and clocks that have moved on.
@Suite("End to end: vigil and real relays", .serialized)
struct EndToEndTests {
    // MARK: The whole flow

    @Test func aPanicReachesBothContactsWatchesAndTheDefenderSeesWhoAcknowledgedIt() throws {
        let world = try ProcessWorld("vigil-e2e")
        defer { world.tearDown() }
        try world.startRelay("main")
        let amal = try world.person("Amal", relays: ["main"])
        let sam = try world.person("Sam", relays: ["main"])
        let noor = try world.person("Noor", relays: ["main"])
        try world.exchangeCards(amal, as: "amal", sam, as: "sam")
        try world.exchangeCards(amal, as: "amal", noor, as: "noor")

        let contacts = try amal.run(["contacts", "list", "--json"]).jsonArray()
        #expect(contacts.compactMap { $0["alias"] as? String }.sorted() == ["noor", "sam"])
        #expect(contacts.allSatisfy { $0["verified"] as? Bool == true })

        // Both contacts keep watch; Noor's watch also runs an alert command.
        let alertLog = world.directory.sub("noor-alerts.jsonl")
        let samWatch = try sam.watch()
        defer { samWatch.stop() }
        let noorWatch = try noor.watch(["--on-alert", "cat >> '\(alertLog)'"])
        defer { noorWatch.stop() }

        // A check-in: shown live to both, from their verified contact.
        let checkIn = try amal.run(["checkin", "--note", "leaving the office", "--next-in", "3h", "--json"])
        #expect(checkIn.status == 0, "\(checkIn)")
        #expect(try checkIn.json()["all_delivered"] as? Bool == true)
        let checkInID = try #require(try checkIn.json()["message_id"] as? String)
        for watcher in [samWatch, noorWatch] {
            try watcher.waitFor("the check-in") { !$0.messages(kind: "check-in").isEmpty }
            let shown = try #require(watcher.messages(kind: "check-in").first)
            #expect(shown["message_id"] as? String == checkInID)
            #expect(shown["status"] as? String == "ok")
            #expect(shown["note"] as? String == "leaving the office")
            #expect(shown["is_alert"] as? Bool == false)
            #expect(sender(shown)["alias"] as? String == "amal")
            #expect(sender(shown)["verified"] as? Bool == true)
        }

        // The panic: both watches show it, from Amal, verified, with the place.
        let panic = try amal.run(["panic", "taken", "to", "the", "north", "station", "--location", "36.72,-4.42", "--json"])
        #expect(panic.status == 0, "\(panic)")
        #expect(try panic.json()["all_delivered"] as? Bool == true)
        let panicID = try #require(try panic.json()["message_id"] as? String)
        for watcher in [samWatch, noorWatch] {
            try watcher.waitFor("the panic") { !$0.messages(kind: "panic").isEmpty }
            let shown = try #require(watcher.messages(kind: "panic").first)
            #expect(shown["message_id"] as? String == panicID)
            #expect(shown["message"] as? String == "taken to the north station")
            #expect(shown["is_alert"] as? Bool == true)
            let location = try #require(shown["location"] as? [String: Any])
            #expect(location["text"] as? String == "36.7200000,-4.4200000")
            #expect(sender(shown)["alias"] as? String == "amal")
            #expect(sender(shown)["known"] as? Bool == true)
            #expect(sender(shown)["verified"] as? Bool == true)
        }
        // Noor's alert command got the panic (and only alerts: not the ok check-in) as JSON.
        try waitUntil("the alert command's output") { String(decoding: fileBytes(alertLog) ?? Data(), as: UTF8.self).hasSuffix("\n") }
        let alerts = String(decoding: try #require(fileBytes(alertLog)), as: UTF8.self).split(separator: "\n")
        #expect(alerts.count == 1)
        let alert = try #require(try JSONSerialization.jsonObject(with: Data(alerts[0].utf8)) as? [String: Any])
        #expect(alert["type"] as? String == "panic")
        #expect((alert["message"] as? [String: Any])?["message_id"] as? String == panicID)

        // Both answer, with the short ID the watch showed, while their watch keeps running.
        try expectSuccess(sam.run(["ack", String(panicID.prefix(12)), "calling", "the", "lawyer"]))
        try expectSuccess(noor.run(["ack", String(panicID.prefix(12)), "on my way"]))

        // Amal sees who acknowledged, with their notes.
        let inbox = try amal.run(["inbox", "--json"])
        #expect(inbox.status == 0, "\(inbox)")
        let acknowledgements = try #require(try inbox.json()["acknowledgements"] as? [[String: Any]])
        var notes: [String: String] = [:]
        for ack in acknowledgements {
            #expect(ack["message_id"] as? String == panicID)
            #expect(ack["kind"] as? String == "panic")
            #expect(sender(ack, key: "by")["verified"] as? Bool == true)
            if let alias = sender(ack, key: "by")["alias"] as? String { notes[alias] = ack["note"] as? String }
        }
        #expect(acknowledgements.count == 2)
        #expect(notes == ["sam": "calling the lawyer", "noor": "on my way"])
        #expect(try inbox.inboxMessages(kind: "acknowledgement").count == 2)

        let history = try amal.run(["inbox", "--all"])
        #expect(history.status == 0, "\(history)")
        #expect(history.stdout.contains("acknowledged by sam: calling the lawyer"), "\(history)")
        #expect(history.stdout.contains("acknowledged by noor: on my way"), "\(history)")
        #expect(history.stdout.contains("sam ACKNOWLEDGED your PANIC"), "\(history)")
        let sent = try #require(try amal.run(["inbox", "--all", "--json"]).json()["sent"] as? [[String: Any]])
        let sentPanic = try #require(sent.first { $0["message_id"] as? String == panicID })
        #expect((sentPanic["delivered_to"] as? [String])?.sorted() == ["noor", "sam"])
        #expect((sentPanic["received_by"] as? [String])?.sorted() == ["noor", "sam"])

        // Each watch showed each message once, and nothing was refused.
        samWatch.stop()
        noorWatch.stop()
        for watcher in [samWatch, noorWatch] {
            #expect(watcher.messages(kind: "panic").count == 1, "\(watcher.transcript)")
            #expect(watcher.messages(kind: "check-in").count == 1, "\(watcher.transcript)")
            #expect(watcher.events("refused").isEmpty, "\(watcher.transcript)")
            #expect(watcher.events("hook_failed").isEmpty, "\(watcher.transcript)")
        }
        // What a watch showed does not come back as new in the inbox.
        let samInbox = try sam.run(["inbox", "--json"])
        #expect(samInbox.status == 0, "\(samInbox)")
        #expect(try samInbox.inboxMessages().isEmpty, "\(samInbox)")
    }

    // MARK: A relay that is down

    /// How a queued panic is retried once the relay is back.
    enum Retry: String, CaseIterable, Sendable {
        /// `vigil outbox --flush`.
        case flush
        /// The next command (`vigil inbox`) retries what is due.
        case nextCommand
        /// A running `vigil watch` retries what is due.
        case watch
    }

    @Test(arguments: Retry.allCases)
    func aPanicSentWhileTheRelayIsDownIsQueuedAndDeliveredExactlyOnceWhenItIsBack(retry: Retry) throws {
        let world = try ProcessWorld("vigil-down")
        defer { world.tearDown() }
        try world.startRelay("main")
        let amal = try world.person("Amal", relays: ["main"])
        let sam = try world.person("Sam", relays: ["main"])
        try world.exchangeCards(amal, as: "amal", sam, as: "sam")

        world.stopRelay("main")
        let panic = try amal.run(["panic", "they", "are", "at", "the", "door"])
        #expect(panic.status == 3, "\(panic)")
        #expect(panic.stdout.contains("PANIC ALERT NOT yet delivered everywhere"), "\(panic)")
        #expect(panic.stdout.contains("sam: QUEUED"), "\(panic)")
        #expect(panic.stdout.contains("could not connect"), "\(panic)")
        let outbox = try amal.run(["outbox", "--json"])
        #expect(outbox.status == 3, "\(outbox)")
        let queued = try #require(try outbox.json()["messages"] as? [[String: Any]])
        #expect(queued.count == 1)
        let panicID = try #require(queued.first?["message_id"] as? String)
        #expect(queued.first?["kind"] as? String == "panic")

        try world.restartRelay("main")
        // Automatic retries wait out the backoff: the clock is moved past it.
        var later = amal
        later.now = unixNow() + 60
        switch retry {
        case .flush:
            let flushed = try amal.run(["outbox", "--flush", "--json"])
            #expect(flushed.status == 0, "\(flushed)")
            #expect(try flushed.json()["delivered_now"] as? Int == 1)
        case .nextCommand:
            let inbox = try later.run(["inbox", "--json"])
            #expect(inbox.status == 0, "\(inbox)")
            #expect(try inbox.json()["queued"] as? Int == 0, "\(inbox)")
        case .watch:
            let watcher = try later.watch()
            defer { watcher.stop() }
            try watcher.waitFor("the delivery of the queued panic") { watcher in
                watcher.events("delivery").contains {
                    let report = $0["delivery"] as? [String: Any]
                    return report?["message_id"] as? String == panicID && report?["all_delivered"] as? Bool == true
                }
            }
        }

        // Retrying again finds nothing to send.
        for _ in 0..<2 {
            let again = try amal.run(["outbox", "--flush", "--json"])
            #expect(again.status == 0, "\(again)")
            #expect(try again.json()["delivered_now"] as? Int == 0)
            #expect((try again.json()["messages"] as? [Any])?.isEmpty == true)
        }

        // Sam sees it once, however often he looks and Amal retries.
        let first = try sam.run(["inbox", "--json"])
        #expect(first.status == 0, "\(first)")
        let messages = try first.inboxMessages()
        #expect(messages.count == 1, "\(first)")
        #expect(messages.first?["message_id"] as? String == panicID)
        #expect(messages.first?["message"] as? String == "they are at the door")
        #expect(try first.json()["duplicates"] as? Int == 0)
        #expect((try first.json()["refused"] as? [String: Any])?.isEmpty == true)
        for _ in 0..<2 {
            try expectSuccess(amal.run(["outbox", "--flush"]))
            let again = try sam.run(["inbox", "--json"])
            #expect(again.status == 0, "\(again)")
            #expect(try again.inboxMessages().isEmpty, "\(again)")
            #expect((try again.json()["refused"] as? [String: Any])?.isEmpty == true, "\(again)")
        }
        #expect(try sam.run(["inbox", "--all", "--json"]).inboxMessages(kind: "panic").count == 1)
    }

    // MARK: Two relays, one down

    @Test func withOneOfTwoRelaysDownThePanicArrivesThroughTheOtherAndTheLateCopyIsNotShownAgain() throws {
        let world = try ProcessWorld("vigil-two")
        defer { world.tearDown() }
        try world.startRelay("a")
        try world.startRelay("b")
        let amal = try world.person("Amal", relays: ["a"])
        let sam = try world.person("Sam", relays: ["a", "b"])
        try world.exchangeCards(amal, as: "amal", sam, as: "sam")
        let (urlA, urlB) = (world.url("a"), world.url("b"))

        world.stopRelay("a")
        let panic = try amal.run(["panic", "at", "the", "border", "post", "--json"])
        #expect(panic.status == 3, "\(panic)")
        let recipient = try #require((try panic.json()["recipients"] as? [[String: Any]])?.first)
        #expect(recipient["reached"] as? Bool == true)
        #expect(recipient["complete"] as? Bool == false)
        let panicID = try #require(try panic.json()["message_id"] as? String)

        // Sam reads while relay a is down: the copy on b is shown, the failure named.
        let whileDown = try sam.run(["inbox"])
        #expect(whileDown.status == 5, "\(whileDown)")
        #expect(whileDown.stdout.contains("!! PANIC from amal"), "\(whileDown)")
        #expect(whileDown.stdout.contains("Could not read your mailbox on \(urlA)"), "\(whileDown)")

        // Relay a is back and Amal's retry puts the second copy there; it is not shown again.
        try world.restartRelay("a")
        let flushed = try amal.run(["outbox", "--flush", "--json"])
        #expect(flushed.status == 0, "\(flushed)")
        #expect(try flushed.json()["delivered_now"] as? Int == 1)
        let afterwards = try sam.run(["inbox", "--json"])
        #expect(afterwards.status == 0, "\(afterwards)")
        #expect(try afterwards.inboxMessages().isEmpty, "\(afterwards)")
        #expect(try afterwards.json()["duplicates"] as? Int == 1, "\(afterwards)")
        #expect((try afterwards.json()["refused"] as? [String: Any])?.isEmpty == true, "\(afterwards)")
        let stored = try sam.run(["inbox", "--all", "--json"]).inboxMessages(kind: "panic")
        #expect(stored.count == 1)
        #expect(stored.first?["message_id"] as? String == panicID)
        #expect((stored.first?["relays"] as? [String]).map(Set.init) == [urlA, urlB])
        #expect(try sam.run(["inbox", "--all"]).stdout.contains("arrived through 2 relays"))
    }

    @Test func aWatchShowsAPanicFromTheRelayThatIsUpAndNotAgainWhenTheOtherComesBack() throws {
        let world = try ProcessWorld("vigil-two-watch")
        defer { world.tearDown() }
        try world.startRelay("a")
        try world.startRelay("b")
        let amal = try world.person("Amal", relays: ["a"])
        let sam = try world.person("Sam", relays: ["a", "b"])
        try world.exchangeCards(amal, as: "amal", sam, as: "sam")
        let (urlA, urlB) = (world.url("a"), world.url("b"))

        world.stopRelay("a")
        let watcher = try sam.watch()
        defer { watcher.stop() }
        let panic = try amal.run(["panic", "at", "the", "border", "post", "--json"])
        #expect(panic.status == 3, "\(panic)")
        let panicID = try #require(try panic.json()["message_id"] as? String)
        try watcher.waitFor("the panic through relay b") { !$0.messages(kind: "panic").isEmpty }
        #expect(watcher.messages(kind: "panic").first?["relays"] as? [String] == [urlB])
        try watcher.waitFor("the problem with relay a") { watcher in
            watcher.events("relay_problem").contains { $0["relay"] as? String == urlA }
        }

        try world.restartRelay("a")
        let flushed = try amal.run(["outbox", "--flush", "--json"])
        #expect(flushed.status == 0, "\(flushed)")
        #expect(try flushed.json()["delivered_now"] as? Int == 1)
        // Whichever reads relay a first (the watch after its backoff, or this inbox) merges the
        // copy into the message already shown.
        let inbox = try sam.run(["inbox", "--json"])
        #expect(inbox.status == 0, "\(inbox)")
        #expect(try inbox.inboxMessages().isEmpty, "\(inbox)")
        let stored = try sam.run(["inbox", "--all", "--json"]).inboxMessages(kind: "panic")
        #expect(stored.count == 1)
        #expect(stored.first?["message_id"] as? String == panicID)
        #expect((stored.first?["relays"] as? [String]).map(Set.init) == [urlA, urlB])

        watcher.stop()
        #expect(watcher.messages(kind: "panic").count == 1, "\(watcher.transcript)")
        #expect(watcher.events("refused").isEmpty, "\(watcher.transcript)")
    }

    // MARK: Overdue

    @Test func aContactIsReportedOverdueOnlyOnceTheirDueTimePlusGraceHasPassed() throws {
        let world = try ProcessWorld("vigil-overdue")
        defer { world.tearDown() }
        try world.startRelay("main")
        let amal = try world.person("Amal", relays: ["main"])
        let noor = try world.person("Noor", relays: ["main"])
        let sam = try world.person("Sam", relays: ["main"])
        try world.exchangeCards(amal, as: "amal", sam, as: "sam")
        try world.exchangeCards(noor, as: "noor", sam, as: "sam")

        // Both check in at T: Amal's next is due in 1 h, Noor's in 30 min. Grace: 15 min.
        let start = unixNow()
        func at(_ runner: VigilRunner, _ offset: UInt64) -> VigilRunner {
            var moved = runner
            moved.now = start + offset
            return moved
        }
        try expectSuccess(at(amal, 0).run(["checkin", "--next-in", "1h"]))
        try expectSuccess(at(noor, 0).run(["checkin", "--next-in", "30m"]))
        let minute: UInt64 = 60

        func overdue(at offset: UInt64, _ extra: [String] = []) throws -> [String] {
            let inbox = try at(sam, offset).run(["inbox", "--json"] + extra)
            #expect(inbox.status == 0, "\(inbox)")
            return (try inbox.json()["overdue"] as? [[String: Any]] ?? []).compactMap { $0["alias"] as? String }
        }
        func flagged(at offset: UInt64) throws -> [String] {
            try at(sam, offset).run(["contacts", "list", "--json"]).jsonArray()
                .filter { $0["overdue"] as? Bool == true }.compactMap { $0["alias"] as? String }
        }

        #expect(try overdue(at: minute).isEmpty)
        #expect(try flagged(at: minute).isEmpty)
        let listed = try at(sam, minute).run(["contacts", "list", "--json"]).jsonArray()
        let amalListed = try #require(listed.first { $0["alias"] as? String == "amal" })
        #expect((amalListed["last_check_in"] as? [String: Any])?["next_due_at"] as? UInt64 == start + 60 * minute)

        // Exactly at Noor's due time plus grace she is not overdue yet; a second later she is.
        #expect(try overdue(at: 45 * minute).isEmpty)
        #expect(try overdue(at: 45 * minute + 1) == ["noor"])
        #expect(try flagged(at: 45 * minute + 1) == ["noor"])
        let text = try at(sam, 45 * minute + 1).run(["inbox"])
        #expect(text.stdout.contains("!! OVERDUE: noor has not checked in"), "\(text)")
        #expect(!text.stdout.contains("OVERDUE: amal"), "\(text)")

        // A watch at that time reports Noor; Amal, checked in the same pass, is not reported.
        let earlyWatch = try at(sam, 45 * minute + 1).watch()
        defer { earlyWatch.stop() }
        try earlyWatch.waitFor("Noor overdue") { !$0.events("overdue").isEmpty }
        earlyWatch.stop()
        #expect(earlyWatch.events("overdue").compactMap { ($0["overdue"] as? [String: Any])?["alias"] as? String } == ["noor"])

        // Amal: not at 1 h 15 min, overdue after it, unless the grace period is longer.
        #expect(try overdue(at: 75 * minute) == ["noor"])
        #expect(try overdue(at: 75 * minute + 1) == ["noor", "amal"])
        #expect(try flagged(at: 75 * minute + 1).sorted() == ["amal", "noor"])
        #expect(try overdue(at: 75 * minute + 1, ["--grace", "30m"]) == ["noor"])
        var patient = at(sam, 75 * minute + 1)
        patient.extraEnvironment["VIGIL_GRACE"] = "30m"
        #expect((try patient.run(["inbox", "--json"]).json()["overdue"] as? [Any])?.count == 1)

        let lateWatch = try at(sam, 75 * minute + 1).watch()
        defer { lateWatch.stop() }
        try lateWatch.waitFor("both overdue") { $0.events("overdue").count >= 2 }
        lateWatch.stop()
        let reported = lateWatch.events("overdue").compactMap { $0["overdue"] as? [String: Any] }
        #expect(reported.compactMap { $0["alias"] as? String }.sorted() == ["amal", "noor"])
        let amalReport = try #require(reported.first { $0["alias"] as? String == "amal" })
        #expect(amalReport["due_at"] as? UInt64 == start + 60 * minute)
        #expect(amalReport["overdue_seconds"] as? UInt64 == 15 * minute + 1)

        // A new check-in from Amal ends it.
        try expectSuccess(at(amal, 80 * minute).run(["checkin", "--next-in", "1h"]))
        #expect(try overdue(at: 81 * minute) == ["noor"])
    }
}
