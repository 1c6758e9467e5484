import Foundation
import Testing
@testable import VigilApp
import VigilCrypto
import VigilProtocol

/// Escalation rules of the library, over in-memory relays.
@Suite("Escalation: library rules")
struct EscalationSessionTests {
    @Test func anAcknowledgementUsesATimerKeyOnlyWithARelayOnTheSendersCard() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        let bob = try await world.person("bob")
        try await world.introduce(bob, to: alice, as: "alice")
        let aliceRelay = try #require(try alice.state().relays.first?.url)

        // An alert, signed by Alice, naming a timer on her relay and one on a server she does not use.
        let escalation = Escalation(alertsAt: Timestamp(secondsSince1970: world.clock.now.secondsSince1970 + 600), timers: [
            EscalationTimer(relayURL: "http://elsewhere.test", keySeed: Array(repeating: 1, count: 32)),
            EscalationTimer(relayURL: aliceRelay, keySeed: Array(repeating: 2, count: 32)),
        ])
        let sealed = try Envelope.seal(
            .panic(Panic(message: "help", escalation: escalation)), from: alice.keys.identity, to: bob.keys.identity.publicIdentity,
            createdAt: world.clock.now, messageID: .random())
        let bobsMailbox = try #require(try bob.state().relays.first)
        _ = try await world.relays.connection(to: bobsMailbox.url).deposit(mailboxID: bobsMailbox.mailboxID, blob: sealed)

        let inbox = try await bob.inbox(all: false)
        let alert = try #require(inbox.messages.first { $0.kind == "panic" })
        #expect(alert.escalatesAt == escalation.alertsAt.secondsSince1970)
        #expect(alert.escalationStopped == false)
        let ack = try await bob.acknowledge(alert.messageID, note: nil)
        #expect(ack.stoppedEscalation?.map(\.relay) == [aliceRelay])
        #expect(!world.relays.connectedURLs.contains("http://elsewhere.test"))
        // The keys are kept sealed in the state, never in what is shown.
        let shown = String(decoding: try JSONOutput.encode(try await bob.inbox(all: true)), as: UTF8.self)
        #expect(!shown.contains(Hex.encode(Array(repeating: 2, count: 32))))
    }

    @Test func withoutTier2ContactsAPanicGoesToEveryoneAndArmsNothing() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        let bob = try await world.person("bob")
        try await world.introduce(alice, to: bob, as: "bob")
        let report = try await alice.panic(message: "help", location: nil)
        #expect(report.escalation == nil)
        #expect(try alice.state().escalations == nil)

        // Only tier-2 contacts: nobody would be alerted first, so everyone is alerted at once.
        _ = try await alice.setTier("bob", tier: 2)
        let again = try await alice.panic(message: "help", location: nil)
        #expect(again.escalation == nil)
        #expect(again.recipients.map(\.alias) == ["bob"])
    }

    @Test func theDefendersClientStopsOnAnAcknowledgementAndEscalatesOnlyAfterTheTime() async throws {
        let world = try World()
        defer { world.remove() }
        let (alice, bob, carol) = try await Self.circle(world)

        // The in-memory relays hold no timers: the client alone escalates.
        let first = try await alice.panic(message: "one", location: nil, escalateAfter: 300)
        let escalation = try #require(first.escalation)
        #expect(escalation.tier2 == ["carol"] && escalation.phase == "waiting")
        #expect(escalation.timers.map(\.action) == ["failed"])
        world.clock.advance(299)
        #expect(try await alice.advanceEscalations().isEmpty)
        #expect(try await carol.inbox(all: false).messages.isEmpty)
        world.clock.advance(1)
        let escalated = try await alice.advanceEscalations()
        #expect(escalated.map(\.phase) == ["escalated"])
        let carols = try await carol.inbox(all: false).messages
        #expect(carols.count == 1 && carols.first?.escalated == true && carols.first?.message == "one")

        // A second panic, acknowledged by Bob in time: stopped, and never escalated.
        let second = try await alice.panic(message: "two", location: nil, escalateAfter: 300)
        let id = try #require(try await bob.inbox(all: false).messages.first { $0.message == "two" }?.messageID)
        _ = try await bob.acknowledge(id, note: "coming")
        _ = try await alice.inbox(all: false)
        #expect(try alice.state().escalations?.first { $0.alertID == second.messageID }?.phase == .stopped)
        world.clock.advance(600)
        #expect(try await alice.advanceEscalations().isEmpty)
        #expect(try await carol.inbox(all: false).messages.isEmpty)
    }

    /// Alice (the defender), Bob in tier 1 and Carol in tier 2, over in-memory relays (which hold
    /// no timers: only Alice's client can escalate).
    static func circle(_ world: World) async throws -> (alice: VigilSession, bob: VigilSession, carol: VigilSession) {
        let alice = try await world.person("alice")
        let bob = try await world.person("bob")
        let carol = try await world.person("carol")
        try await world.introduce(alice, to: bob, as: "bob")
        try await world.introduce(alice, to: carol, as: "carol")
        try await world.introduce(bob, to: alice, as: "alice")
        _ = try await alice.setTier("carol", tier: 2)
        return (alice, bob, carol)
    }

    @Test func anAcknowledgementWaitingUnfetchedStillStopsTheEscalationWhenAnotherCommandRuns() async throws {
        let world = try World()
        defer { world.remove() }
        let (alice, bob, carol) = try await Self.circle(world)
        let panic = try await alice.panic(message: "help", location: nil, escalateAfter: 300)
        let id = try #require(try await bob.inbox(all: false).messages.first?.messageID)
        _ = try await bob.acknowledge(id, note: "on my way")

        // Alice has not fetched Bob's acknowledgement when the time passes and she flushes her
        // outbox: her client fetches first, and stops.
        world.clock.advance(400)
        _ = try await alice.flushOutbox()
        #expect(try alice.state().escalations?.first { $0.alertID == panic.messageID }?.phase == .stopped)
        #expect(try await carol.inbox(all: false).messages.isEmpty)
    }

    @Test func whenAMailboxCannotBeReadTheClientLeavesAnArmedEscalationToItsRelay() async throws {
        let world = try World()
        defer { world.remove() }
        let (alice, _, carol) = try await Self.circle(world)
        let panic = try await alice.panic(message: "help", location: nil, escalateAfter: 300)
        // As if a relay held the timer (the in-memory relays hold none).
        try await alice.update { state in
            for index in state.escalations![0].timers.indices { state.escalations![0].timers[index].lastError = nil }
        }
        world.clock.advance(400)
        world.relays.setDown("http://relay-a.test", true)
        #expect(try await alice.advanceEscalations().isEmpty)
        #expect(try alice.state().escalations?.first { $0.alertID == panic.messageID }?.phase == .waiting)
        world.relays.setDown("http://relay-a.test", false)
        #expect(try await alice.advanceEscalations().map(\.phase) == ["escalated"])
        #expect(try await carol.inbox(all: false).messages.count == 1)
    }

    @Test func anAllClearStopsTheEscalationSoTier2NeverGetsTheAlarmAfterItsEnd() async throws {
        let world = try World()
        defer { world.remove() }
        let (alice, _, carol) = try await Self.circle(world)
        let panic = try await alice.panic(message: "help", location: nil, escalateAfter: 300)
        _ = try await alice.allClear(message: "false alarm")
        let stopped = try #require(try alice.state().escalations?.first { $0.alertID == panic.messageID })
        #expect(stopped.phase == .stopped && stopped.stoppedBy == "you (all clear)")
        world.clock.advance(400)
        #expect(try await alice.advanceEscalations().isEmpty)
        #expect(try await carol.inbox(all: false).messages.map(\.kind) == ["all-clear"])
    }
}
