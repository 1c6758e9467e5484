import Foundation
import Testing
@testable import VigilApp
import VigilCrypto
import VigilProtocol

@Suite("Outbox: one message, sealed per contact, delivered per mailbox")
struct OutboxTests {
    let me = Identity()
    let now = Timestamp(secondsSince1970: 1_795_600_000)

    private func contact(_ identity: Identity, _ alias: String, relays: [String]) throws -> Contact {
        let card = try ContactCard(
            identity: identity, displayName: alias,
            mailboxes: relays.map { try MailboxAddress(relayURL: $0, mailboxID: MailboxIDsForTests.next()) }, createdAt: now)
        return Contact(alias: alias, card: card, addedAt: now)
    }

    @Test func aMessageIsSealedOncePerContactAndQueuedForEveryMailboxOnTheirCard() throws {
        let alice = Identity()
        let bob = Identity()
        var state = AppState(displayName: "me", now: now)
        state.contacts = [
            try contact(alice, "alice", relays: ["http://a.test", "http://b.test"]), try contact(bob, "bob", relays: ["http://a.test"]),
        ]
        let item = try Outbox.enqueue(.panic(Panic(message: "now")), summary: "PANIC", to: state.contacts, from: me, now: now, record: true, into: &state)
        #expect(item.deliveries.count == 3)
        #expect(state.outbox.count == 1 && state.sent.count == 1)
        let toAlice = item.deliveries.filter { $0.contactKey == state.contacts[0].signingKeyHex }
        #expect(toAlice.count == 2 && toAlice[0].blob == toAlice[1].blob)
        let openedByAlice = try Envelope.open(Array(toAlice[0].blob), as: alice)
        let toBob = try #require(item.deliveries.first { $0.contactKey == state.contacts[1].signingKeyHex })
        let openedByBob = try Envelope.open(Array(toBob.blob), as: bob)
        #expect(openedByAlice.id == openedByBob.id)
        #expect(openedByAlice.id.description == item.messageID)
        #expect(openedByAlice.sender == me.signing.publicKey)
    }

    @Test func resultsMarkDeliveriesScheduleRetriesAndCompleteItemsLeave() throws {
        var state = AppState(displayName: "me", now: now)
        state.contacts = [try contact(Identity(), "alice", relays: ["http://a.test", "http://b.test"])]
        let item = try Outbox.enqueue(.panic(Panic()), summary: "PANIC", to: state.contacts, from: me, now: now, record: true, into: &state)
        let policy = RetryPolicy(initialDelay: 5, maxDelay: 300)
        let attempts = Outbox.due(in: state, now: now, policy: policy, force: false)
        #expect(attempts.count == 2)
        let a = try #require(attempts.first { $0.relayURL == "http://a.test" })
        let b = try #require(attempts.first { $0.relayURL == "http://b.test" })

        let updated = Outbox.apply([(a, .delivered(relayMessageID: 9)), (b, .failed(reason: "down", retryAfter: nil))], to: &state, now: now, policy: policy)
        #expect(updated[item.messageID]?.isComplete == false)
        #expect(state.outbox.count == 1)
        #expect(state.sent[0].recipients[0].deliveredAt == now)
        let failed = try #require(state.outbox[0].deliveries.first { $0.relayURL == "http://b.test" })
        #expect(failed.attempts == 1 && failed.lastError == "down")
        #expect(failed.nextAttemptAt == Timestamp(secondsSince1970: now.secondsSince1970 + 5))

        #expect(Outbox.due(in: state, now: now, policy: policy, force: false).isEmpty)
        #expect(Outbox.due(in: state, now: now, policy: policy, force: true).map(\.blob) == [b.blob])
        let later = Timestamp(secondsSince1970: now.secondsSince1970 + 5)
        let retry = Outbox.due(in: state, now: later, policy: policy, force: false)
        #expect(retry.map(\.blob) == [b.blob])

        // A late failure report for the delivered one changes nothing; success completes the item.
        Outbox.apply([(a, .failed(reason: "late", retryAfter: nil)), (b, .delivered(relayMessageID: 10))], to: &state, now: later, policy: policy)
        #expect(state.outbox.isEmpty)
        #expect(state.sent.count == 1)
    }

    @Test func notesThatCannotBeSentAreRefusedBeforeAnythingIsQueued() throws {
        var state = AppState(displayName: "me", now: now)
        state.contacts = [try contact(Identity(), "alice", relays: ["http://a.test"])]
        for note in [String(repeating: "x", count: 1025), "line\r\nbreak", "evil \u{202E}txt"] {
            let error = try #require(throws: VigilError.self) {
                _ = try Outbox.enqueue(.checkIn(CheckIn(status: .ok, note: note)), summary: "", to: state.contacts, from: me, now: now, record: true, into: &state)
            }
            #expect(error.exitCode == .usage)
        }
        #expect(state.outbox.isEmpty)
    }
}
