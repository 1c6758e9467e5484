import Foundation
import Testing
@testable import VigilApp
import VigilCrypto
import VigilProtocol
import VigilRelayAPI

/// What strangers and misbehaving relays can do to receiving: neither hides a contact's alert.
@Suite("Receiving limits: floods, endless relays, impossible IDs")
struct ReceivingLimitsTests {
    static let relayA = "http://relay-a.test"
    static let relayB = "http://relay-b.test"

    /// Bob reads mailboxes on relays a and b; Alice and Bob know each other.
    private func people(_ world: World) async throws -> (alice: VigilSession, bob: VigilSession) {
        let alice = try await world.person("alice")
        let bob = try await world.person("bob", relays: [Self.relayA, Self.relayB])
        try await world.introduce(alice, to: bob, as: "bob")
        try await world.introduce(bob, to: alice, as: "alice", verified: true)
        return (alice, bob)
    }

    @Test func aStrangersFloodCannotPushAnUnshownPanicOutAndItsOtherCopyIsNotAReplay() async throws {
        let world = try World()
        defer { world.remove() }
        let (alice, bob) = try await people(world)
        world.relays.setDown(Self.relayB, true)
        _ = try await alice.panic(message: "taken to the station", location: nil)

        // A throwaway identity with Bob's card fills his mailbox behind the panic.
        let stranger = Identity()
        let mailboxA = try #require(try bob.state().relays.first { $0.url == Self.relayA }?.mailboxID)
        for _ in 0..<1100 {
            let blob = try Envelope.seal(
                .checkIn(CheckIn(status: .ok)), from: stranger, to: bob.keys.identity.publicIdentity, createdAt: world.clock.now)
            _ = world.relays.inject(blob, mailboxID: mailboxA)
        }
        let first = try await bob.inbox(all: false)
        #expect(first.messages.filter { $0.kind == "panic" && $0.from.alias == "alice" }.count == 1)
        #expect(try bob.state().inbox.count == AppState.maxInbox)

        world.relays.setDown(Self.relayB, false)
        _ = try await alice.flushOutbox()
        let second = try await bob.inbox(all: false)
        #expect(second.messages.isEmpty)
        #expect(second.duplicates == 1)
        #expect(second.refused.isEmpty)
    }

    @Test func aRelayThatAlwaysHasMoreCannotHoldUpTheInbox() async throws {
        let world = try World()
        defer { world.remove() }
        let (alice, bob) = try await people(world)
        world.relays.setFetchAnswer(Self.relayA) { after, _ in
            FetchResponse(messages: [FetchedMessage(id: after + 1, receivedAt: 0, blob: Data([1, 2, 3]))], more: true)
        }
        _ = try await alice.panic(message: "help", location: nil)

        let inbox = try await bob.inbox(all: false)
        #expect(world.relays.fetchCount(Self.relayA) == VigilSession.maxPagesPerPass)
        #expect(inbox.messages.map(\.kind) == ["panic"])
        #expect(try bob.state().relays.first { $0.url == Self.relayA }?.lastFetchedID == Int64(VigilSession.maxPagesPerPass))
    }

    @Test(arguments: [[Int64(1) << 53], [0], [-5], [3, 3], [4, 2]])
    func aFetchAnswerWithImpossibleIDsIsRefusedAndNotKeptAsThePosition(ids: [Int64]) async throws {
        let world = try World()
        defer { world.remove() }
        let (alice, bob) = try await people(world)
        world.relays.setFetchAnswer(Self.relayA) { _, _ in
            FetchResponse(messages: ids.map { FetchedMessage(id: $0, receivedAt: 0, blob: Data([1, 2, 3])) }, more: false)
        }
        _ = try await alice.panic(message: "help", location: nil)

        let inbox = try await bob.inbox(all: false)
        #expect(inbox.relayErrors.map(\.relay) == [Self.relayA])
        #expect(inbox.relayErrors.first?.error.contains("not understood") == true)
        #expect(inbox.messages.map(\.kind) == ["panic"])
        #expect(inbox.refused.isEmpty)
        #expect(try bob.state().relays.first { $0.url == Self.relayA }?.lastFetchedID == 0)

        // Once the relay behaves, its mailbox is read from where it was.
        world.relays.setFetchAnswer(Self.relayA, nil)
        let next = try await bob.inbox(all: false)
        #expect(next.relayErrors.isEmpty)
        #expect(next.duplicates == 1)
    }
}
