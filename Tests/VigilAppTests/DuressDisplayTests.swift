import Foundation
import Testing
@testable import VigilApp
import VigilCrypto

/// How a contact's Vigil shows a check-in sent under duress: an alarm, in the inbox, in `watch`
/// and to its alert command, never with a suggestion to answer it.
@Suite("Duress check-ins as the contact sees them")
struct DuressDisplayTests {
    /// Alice and Bob, each the other's verified contact.
    private static func pair() async throws -> (world: World, alice: VigilSession, bob: VigilSession) {
        let world = try World()
        let alice = try await world.person("alice")
        let bob = try await world.person("bob")
        try await world.introduce(alice, to: bob, as: "bob", verified: true)
        try await world.introduce(bob, to: alice, as: "alice", verified: true)
        return (world, alice, bob)
    }

    /// Alice sends a check-in typed as ok, opened with her duress passphrase; Bob reads it.
    private static func received() async throws -> (World, MessageView) {
        let (world, alice, bob) = try await pair()
        _ = try VigilSession.setDuressPassphrase(
            alice.context, passphrase: { SecureBytes(copying: Array(World.passphrase.utf8)) },
            duressPassphrase: { SecureBytes(copying: Array("duress".utf8)) })
        let coerced = try world.reopen("alice", passphrase: "duress")
        let sent = try await coerced.checkIn(status: .ok, note: "all good", location: nil, nextIn: 3600)
        #expect(sent.summary == "check-in: ok — all good")
        let inbox = try await bob.inbox(all: false)
        return (world, try #require(inbox.messages.first { $0.kind == "check-in" }))
    }

    @Test func itIsAnAlertWhoseTextSaysSentUnderDuressAndDoesNotSuggestAnAcknowledgement() async throws {
        let (world, view) = try await Self.received()
        defer { world.remove() }
        #expect(view.status == "danger")
        #expect(view.duress == true)
        #expect(view.isAlert)
        #expect(view.note == "all good")
        for text in [HumanText.message(view), HumanText.watchEvent(.message(view))] {
            #expect(text.hasPrefix("!! CHECK-IN: alice is IN DANGER — sent under duress at "), "\(text)")
            #expect(text.contains("Do NOT answer through Vigil"), "\(text)")
            #expect(!text.contains("vigil ack"), "\(text)")
        }
    }

    @Test func theAlertCommandGetsItWithDuressTrue() async throws {
        let (world, view) = try await Self.received()
        defer { world.remove() }
        let json = try #require(WatchEvent.message(view).alertJSON)
        let alert = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        #expect(alert["type"] as? String == "check-in")
        let message = try #require(alert["message"] as? [String: Any])
        #expect(message["duress"] as? Bool == true)
        #expect(message["status"] as? String == "danger")
    }

    @Test func anOrdinaryCheckInSaysDuressFalseAndOtherKindsDoNotSayIt() async throws {
        let (world, alice, bob) = try await Self.pair()
        defer { world.remove() }
        _ = try await alice.checkIn(status: .ok, note: nil, location: nil, nextIn: nil)
        _ = try await alice.panic(message: "help", location: nil)
        let messages = try await bob.inbox(all: false).messages
        #expect(messages.first { $0.kind == "check-in" }?.duress == false)
        #expect(messages.first { $0.kind == "panic" }?.duress == nil)
        let text = HumanText.inbox(try await bob.inbox(all: true), all: true)
        #expect(!text.contains("duress"), "\(text)")
    }
}
