import Foundation
import Testing
@testable import VigilApp
import VigilCrypto
import VigilProtocol

/// The library as a front end uses it, over in-memory relays.
@Suite("Sessions: sending, receiving, contacts, relays, watch")
struct SessionTests {
    @Test func aRelayThatIsDownLeavesTheMessageQueuedAndARetryDepositsTheIdenticalBytes() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        let bob = try await world.person("bob", relays: ["http://relay-a.test", "http://relay-b.test"])
        try await world.introduce(alice, to: bob, as: "bob")

        world.relays.setDown("http://relay-b.test", true)
        let report = try await alice.panic(message: "help", location: nil)
        #expect(report.allDelivered == false)
        #expect(report.recipients.first?.reached == true)
        #expect(report.recipients.first?.complete == false)
        let queued = try alice.outbox()
        #expect(queued.messages.count == 1)
        let waiting = try #require(try alice.state().outbox.first?.deliveries.first { $0.relayURL == "http://relay-b.test" })
        #expect(waiting.attempts == 1 && waiting.nextAttemptAt != nil)

        world.relays.setDown("http://relay-b.test", false)
        let flushed = try await alice.flushOutbox()
        #expect(flushed.isEmpty)
        #expect(flushed.deliveredNow == 1)
        let toB = world.relays.deposits.filter { $0.0 == "http://relay-b.test" }
        #expect(toB.count == 1)
        #expect(toB.first?.2 == Array(waiting.blob))
        #expect(try await alice.flushOutbox().deliveredNow == 0)
    }

    @Test func sendingToNobodyIsRefusedAndQueuesNothing() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        let error = await #expect(throws: VigilError.self) { _ = try await alice.panic(message: nil, location: nil) }
        #expect(error?.exitCode == .usage)
        #expect(try alice.state().outbox.isEmpty)
    }

    @Test func aMessageIsAcknowledgedToTheRelayOnlyAfterItIsStoredLocally() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        let bob = try await world.person("bob")
        try await world.introduce(alice, to: bob, as: "bob")
        _ = try await alice.panic(message: "help", location: nil)

        let storedAtAck = LockedBox<[Bool]>([])
        let bobMailbox = try #require(try bob.state().relays.first?.mailboxID)
        let bobStore = bob.store
        world.relays.onAcknowledge = { mailbox, _ in
            guard mailbox == bobMailbox else { return }
            let stored = (try? bobStore.read())?.inbox.contains { $0.kind == "panic" } ?? false
            storedAtAck.value.append(stored)
        }
        let inbox = try await bob.inbox(all: false)
        #expect(inbox.messages.map(\.kind) == ["panic"])
        #expect(storedAtAck.value == [true])
        #expect(world.relays.pendingCount(bobMailbox) == 0)
    }

    @Test func aMessageInTwoMailboxesIsShownOnceAndBothCopiesAreAcknowledged() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        let bob = try await world.person("bob", relays: ["http://relay-a.test", "http://relay-b.test"])
        try await world.introduce(alice, to: bob, as: "bob")
        try await world.introduce(bob, to: alice, as: "alice", verified: true)
        _ = try await alice.checkIn(status: .ok, note: "fine", location: nil, nextIn: 3600)

        let inbox = try await bob.inbox(all: false)
        #expect(inbox.messages.count == 1)
        #expect(inbox.duplicates == 1)
        #expect(inbox.messages.first?.from.verified == true)
        #expect(Set(inbox.messages.first?.relays ?? []) == ["http://relay-a.test", "http://relay-b.test"])
        for account in try bob.state().relays {
            #expect(world.relays.pendingCount(account.mailboxID) == 0)
            #expect(account.unacknowledged.isEmpty)
        }
        #expect(try await bob.inbox(all: false).messages.isEmpty)
        #expect(try await bob.inbox(all: true).messages.count == 1)
    }

    @Test func receiptsAndAcknowledgementsReachTheSender() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        let bob = try await world.person("bob")
        try await world.introduce(alice, to: bob, as: "bob", verified: true)
        try await world.introduce(bob, to: alice, as: "alice")
        let panic = try await alice.panic(message: "help", location: nil)

        let received = try await bob.inbox(all: false)
        let id = try #require(received.messages.first?.messageID)
        #expect(try bob.state().outbox.isEmpty)  // the receipt went out with the inbox command
        _ = try await bob.acknowledge(String(id.prefix(8)), note: "on my way")

        let aliceInbox = try await alice.inbox(all: true)
        #expect(aliceInbox.acknowledgements.map(\.note) == ["on my way"])
        let sent = try #require(aliceInbox.sent.first { $0.messageID == panic.messageID })
        #expect(sent.receivedBy == ["bob"])
        #expect(sent.acknowledgements.first?.by.alias == "bob")
        #expect(HumanText.inbox(aliceInbox, all: true).contains("bob ACKNOWLEDGED your PANIC — help"))
    }

    @Test func onlyMessagesFromContactsCanBeAcknowledged() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        let bob = try await world.person("bob")
        try await world.introduce(alice, to: bob, as: "bob")
        _ = try await alice.panic(message: "who am I to you", location: nil)
        let inbox = try await bob.inbox(all: false)
        #expect(inbox.messages.first?.from.known == false)
        let id = try #require(inbox.messages.first?.messageID)
        let error = await #expect(throws: VigilError.self) { _ = try await bob.acknowledge(id, note: nil) }
        #expect(error?.message.contains("UNKNOWN SENDER") == true)
        await #expect(throws: VigilError.self) { _ = try await bob.acknowledge("ffffffffff", note: nil) }
    }

    @Test func contactsAreAddedUnverifiedAndUpdatedOnlyByANewerCardOfTheSameKeys() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        let bob = try await world.person("bob")
        let oldCard = try #require(try bob.card().card)

        let ownCard = try #require(try alice.card().card)
        await #expect(throws: VigilError.self) { _ = try await alice.addContact(cardText: ownCard, alias: nil) }
        await #expect(throws: VigilError.self) { _ = try await alice.addContact(cardText: "VIGIL1:ABC", alias: nil) }

        let added = try await alice.addContact(cardText: oldCard, alias: nil)
        #expect(added.change == "added" && added.contact.alias == "bob" && added.contact.verified == false)
        _ = try await alice.markVerified("BOB")
        #expect(try await alice.addContact(cardText: oldCard, alias: nil).change == "unchanged")

        world.clock.advance(60)
        let newCard = try #require(try await bob.addRelay("http://relay-b.test").card)
        #expect(newCard != oldCard)
        let updated = try await alice.addContact(cardText: newCard, alias: nil)
        #expect(updated.change == "updated")
        #expect(updated.contact.verified)
        #expect(updated.contact.relays == ["http://relay-a.test", "http://relay-b.test"])
        let error = await #expect(throws: VigilError.self) { _ = try await alice.addContact(cardText: oldCard, alias: nil) }
        #expect(error?.message.contains("older") == true)

        let carol = try await world.person("carol")
        let clash = await #expect(throws: VigilError.self) {
            _ = try await alice.addContact(cardText: try #require(try carol.card().card), alias: "Bob")
        }
        #expect(clash?.message.contains("--alias") == true)
        _ = try await alice.removeContact("bob")
        #expect(try alice.contacts().isEmpty)
    }

    @Test func theLastRelayCannotBeRemovedAndRemovingOneChangesTheCard() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice", relays: ["http://relay-a.test", "http://relay-b.test"])
        let before = try alice.card()
        world.clock.advance(10)
        let report = try await alice.removeRelay("http://relay-b.test")
        #expect(report.card.relays == ["http://relay-a.test"])
        #expect(report.card.createdAt > before.createdAt)
        await #expect(throws: VigilError.self) { _ = try await alice.removeRelay("http://relay-a.test") }
        await #expect(throws: VigilError.self) { _ = try await alice.addRelay("http://relay-a.test/") }
    }

    @Test func initWritesNothingWhenNoRelayCanBeReached() async throws {
        let world = try World()
        defer { world.remove() }
        world.relays.setDown("http://relay-a.test", true)
        let error = await #expect(throws: VigilError.self) { _ = try await world.person("alice") }
        #expect(error?.exitCode == .unreachable)
        #expect(!world.context("alice").home.isInitialised)
        world.relays.setDown("http://relay-a.test", false)
        _ = try await world.person("alice")
        await #expect(throws: VigilError.self) { _ = try await world.person("alice") }
    }

    @Test func watchShowsAnAlertOnceRunsTheHookWithJSONOnStdinAndReportsAnOverdueContactOnce() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        let bob = try await world.person("bob")
        try await world.introduce(alice, to: bob, as: "bob")
        try await world.introduce(bob, to: alice, as: "alice", verified: true)
        // Alice said her next check-in is due in a minute; then an hour passes.
        _ = try await alice.checkIn(status: .ok, note: nil, location: nil, nextIn: 60)
        world.clock.advance(3600)
        _ = try await alice.panic(message: "taken to the station", location: try InputRules.location("36.72,-4.42"))

        var context = world.context("bob")
        context.longPollSeconds = 1
        let watcher = try VigilSession.open(context) { SecureBytes(copying: Array(World.passphrase.utf8)) }
        let hookOutput = world.directory.sub("hook.json")
        let events = LockedBox<[WatchEvent]>([])
        try await watcher.watch(WatchOptions(alertCommand: "cat >> '\(hookOutput)'", duration: 3, tickSeconds: 1)) { event in
            events.value.append(event)
        }

        let messages = events.value.compactMap { if case .message(let view) = $0 { view } else { nil } }
        #expect(messages.map(\.kind).sorted() == ["check-in", "panic"])
        let overdue = events.value.compactMap { if case .overdue(let contact) = $0 { contact } else { nil } }
        #expect(overdue.map(\.alias) == ["alice"])
        #expect(!events.value.contains { if case .hookFailed = $0 { true } else { false } })

        let lines = try String(contentsOfFile: hookOutput, encoding: .utf8).split(separator: "\n")
        let alerts = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(alerts.compactMap { $0["type"] as? String }.sorted() == ["overdue", "panic"])
        let panic = try #require(alerts.first { $0["type"] as? String == "panic" }?["message"] as? [String: Any])
        #expect(panic["message"] as? String == "taken to the station")
        #expect((panic["from"] as? [String: Any])?["verified"] as? Bool == true)
        #expect(((panic["location"] as? [String: Any])?["latitude"] as? Double) == 36.72)

        // Shown by watch: not shown again by inbox.
        #expect(try await bob.inbox(all: false).messages.isEmpty)
    }

    /// Alice and Bob, each the other's contact; Alice sends what `send` sends; Bob's session
    /// (long-polling 1 s at a time) to watch with. The caller removes the world.
    private func bobWatchingAlice(after send: (VigilSession) async throws -> Void) async throws -> (World, VigilSession) {
        let world = try World()
        do {
            let alice = try await world.person("alice")
            let bob = try await world.person("bob")
            try await world.introduce(alice, to: bob, as: "bob")
            try await world.introduce(bob, to: alice, as: "alice")
            try await send(alice)
            var context = world.context("bob")
            context.longPollSeconds = 1
            return (world, try VigilSession.open(context) { SecureBytes(copying: Array(World.passphrase.utf8)) })
        } catch {
            world.remove()
            throw error
        }
    }

    @Test func aSlowAlertCommandDoesNotHoldBackTheAlertsThatFollow() async throws {
        let (world, watcher) = try await bobWatchingAlice { alice in
            _ = try await alice.panic(message: "first", location: nil)
            _ = try await alice.panic(message: "second", location: nil)
        }
        defer { world.remove() }
        let hookOutput = world.directory.sub("hook.json")
        let release = world.directory.sub("release")
        // The command for the first alert waits until the second alert has been shown: were the
        // second held back until the first command ended, the first would run into its timeout.
        let command = "cat >> '\(hookOutput)'; echo >> '\(hookOutput)'; while [ ! -e '\(release)' ]; do sleep 0.05; done"
        let events = LockedBox<[WatchEvent]>([])
        try await watcher.watch(WatchOptions(alertCommand: command, duration: 3, tickSeconds: 1)) { event in
            events.value.append(event)
            let shown = events.value.filter { if case .message = $0 { true } else { false } }.count
            if shown == 2 { _ = FileManager.default.createFile(atPath: release, contents: nil) }
        }
        let messages = events.value.compactMap { if case .message(let view) = $0 { view } else { nil } }
        #expect(messages.compactMap(\.message).sorted() == ["first", "second"])
        #expect(!events.value.contains { if case .hookFailed = $0 { true } else { false } }, "\(events.value)")
        // Both commands ran, one after the other, in the order the alerts were shown.
        let lines = try String(contentsOfFile: hookOutput, encoding: .utf8).split(separator: "\n")
        let alerts = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(alerts.compactMap { ($0["message"] as? [String: Any])?["message"] as? String } == messages.compactMap(\.message))
    }

    @Test func aFailingHookIsReportedNotFatal() async throws {
        let (world, watcher) = try await bobWatchingAlice { alice in _ = try await alice.panic(message: nil, location: nil) }
        defer { world.remove() }
        let events = LockedBox<[WatchEvent]>([])
        try await watcher.watch(WatchOptions(alertCommand: "exit 7", duration: 1)) { events.value.append($0) }
        let failures = events.value.compactMap { if case .hookFailed(let error) = $0 { error } else { nil } }
        #expect(failures == ["the alert command failed with exit status 7"])
    }
}
