import Foundation
import Testing

/// A few end-to-end runs of the built `vigil` against a real `vigil-relay` process, with two
/// people in two `$VIGIL_HOME`s. Kept few and fast; the library tests cover the details.
@Suite("vigil against a real relay", .serialized)
struct ProcessTests {
    /// Two people, each set up on the relay, who have added each other's cards.
    struct Pair {
        let directory: TemporaryDirectory
        let relay: RelayProcess
        let alice: VigilRunner
        let bob: VigilRunner

        init() throws {
            directory = try TemporaryDirectory("vigil-process")
            relay = try RelayProcess.start(dataDirectory: directory.sub("relay"))
            alice = VigilRunner(home: directory.sub("alice"), passphrase: "alice passphrase")
            bob = VigilRunner(home: directory.sub("bob"), passphrase: "bob passphrase")
            _ = try alice.initialize(name: "Alice", relays: [relay.url])
            _ = try bob.initialize(name: "Bob", relays: [relay.url])
            let aliceCard = try alice.card()
            let bobCard = try bob.card()
            try expectSuccess(alice.run(["contacts", "add", bobCard, "--alias", "bob"]))
            try expectSuccess(bob.run(["contacts", "add", "--alias", "alice"], stdin: aliceCard + "\n"))
        }

        func tearDown() {
            relay.stop()
            directory.remove()
        }
    }

    @Test func aVerifiedContactsCheckInArrivesMarkedVerifiedAndAnUnverifiedOneIsMarked() throws {
        let pair = try Pair()
        defer { pair.tearDown() }

        // Both see the same safety number; Bob confirms it.
        let bobSees = try pair.bob.run(["contacts", "show", "alice", "--json"]).json()["safety_number"] as? String
        let aliceSees = try pair.alice.run(["contacts", "show", "bob", "--json"]).json()["safety_number"] as? String
        #expect(bobSees != nil && bobSees == aliceSees)
        try expectSuccess(pair.bob.run(["contacts", "verify", "alice", "--yes"]))

        let sent = try pair.alice.run(["checkin", "--status", "support", "--note", "at the station", "--next-in", "2h", "--json"])
        #expect(sent.status == 0, "\(sent)")
        #expect(try sent.json()["all_delivered"] as? Bool == true)

        let inbox = try pair.bob.run(["inbox", "--json"])
        #expect(inbox.status == 0, "\(inbox)")
        let messages = try #require(try inbox.json()["messages"] as? [[String: Any]])
        #expect(messages.count == 1)
        let message = try #require(messages.first)
        let from = try #require(message["from"] as? [String: Any])
        #expect(message["kind"] as? String == "check-in")
        #expect(message["status"] as? String == "support")
        #expect(message["note"] as? String == "at the station")
        #expect(from["alias"] as? String == "alice")
        #expect(from["verified"] as? Bool == true)
        #expect(message["is_alert"] as? Bool == true)

        // Alice has not verified Bob: his acknowledgement is shown as "(unverified)".
        let id = try #require(message["message_id"] as? String)
        try expectSuccess(pair.bob.run(["ack", String(id.prefix(12)), "calling", "you"]))
        let aliceInbox = try pair.alice.run(["inbox"])
        #expect(aliceInbox.status == 0, "\(aliceInbox)")
        #expect(aliceInbox.stdout.contains("bob (unverified) ACKNOWLEDGED your check-in"), "\(aliceInbox)")
        #expect(aliceInbox.stdout.contains("calling you"))

        // The contact list knows Alice's announced next check-in.
        let contacts = try pair.bob.run(["contacts", "list", "--json"])
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(contacts.stdout.utf8)) as? [[String: Any]])
        let lastCheckIn = listed.first?["last_check_in"] as? [String: Any]
        #expect(lastCheckIn?["status"] as? String == "support")
    }

    @Test func aPanicSentWhileTheRelayIsDownIsQueuedAndDeliveredExactlyOnceByFlush() throws {
        var pair = try Pair()
        defer { pair.tearDown() }
        pair.relay.stop()

        let panic = try pair.alice.run(["panic", "stopped", "at", "the", "checkpoint"])
        #expect(panic.status == 3, "\(panic)")
        #expect(panic.stdout.contains("NOT yet delivered"))
        #expect(try pair.alice.run(["outbox"]).status == 3)

        let relay = try pair.relay.restart()
        pair = Pair(directory: pair.directory, relay: relay, alice: pair.alice, bob: pair.bob)
        let flushed = try pair.alice.run(["outbox", "--flush", "--json"])
        #expect(flushed.status == 0, "\(flushed)")
        #expect(try flushed.json()["delivered_now"] as? Int == 1)
        let again = try pair.alice.run(["outbox", "--flush", "--json"])
        #expect(again.status == 0)
        #expect(try again.json()["delivered_now"] as? Int == 0)

        let inbox = try pair.bob.run(["inbox", "--json"])
        #expect(inbox.status == 0, "\(inbox)")
        let messages = try #require(try inbox.json()["messages"] as? [[String: Any]])
        #expect(messages.count == 1)
        #expect(messages.first?["kind"] as? String == "panic")
        #expect(messages.first?["message"] as? String == "stopped at the checkpoint")
        #expect(try inbox.json()["duplicates"] as? Int == 0)
        let second = try pair.bob.run(["inbox", "--json"])
        #expect((try second.json()["messages"] as? [Any])?.isEmpty == true)
    }

    @Test func aWrongPassphraseExitsWith2AndADamagedStateWith4ChangingNothing() throws {
        let directory = try TemporaryDirectory("vigil-exit")
        defer { directory.remove() }
        let runner = VigilRunner(home: directory.sub("home"))
        _ = try runner.initialize(name: "Carol", relays: [])
        let statePath = directory.sub("home/state.json.enc")
        let before = try Data(contentsOf: URL(fileURLWithPath: statePath))

        var wrong = runner
        wrong.passphrase = "not it"
        let refused = try wrong.run(["config", "--name", "Mallory"])
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr.contains("passphrase is wrong"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: statePath)) == before)

        var damaged = before
        damaged[damaged.count - 1] ^= 0x01
        try damaged.write(to: URL(fileURLWithPath: statePath))
        let broken = try runner.run(["config", "--name", "Mallory"])
        #expect(broken.status == 4, "\(broken)")
        #expect(broken.stderr.contains("state.json.enc"))
        #expect(broken.stderr.contains("state.json.enc.previous"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: statePath)) == damaged)
    }
}

extension ProcessTests.Pair {
    init(directory: TemporaryDirectory, relay: RelayProcess, alice: VigilRunner, bob: VigilRunner) {
        self.directory = directory
        self.relay = relay
        self.alice = alice
        self.bob = bob
    }
}

/// Fails the test with the run's output unless it exited 0.
func expectSuccess(_ run: VigilRun, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(run.status == 0, "\(run)", sourceLocation: sourceLocation)
}
