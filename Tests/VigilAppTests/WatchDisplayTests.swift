import Foundation
import Testing
@testable import VigilApp
import VigilCrypto

/// `watch` shows every message it stores, even when the relay fails right after handing it
/// over: a stored message counts as shown, so one that is not printed then is never printed.
@Suite("Watch: what is stored is shown")
struct WatchDisplayTests {
    @Test func aPanicIsShownByWatchEvenWhenItsAcknowledgementToTheRelayFails() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        let bob = try await world.person("bob")
        try await world.introduce(alice, to: bob, as: "bob")
        try await world.introduce(bob, to: alice, as: "alice", verified: true)
        _ = try await alice.panic(message: "taken to the station", location: nil)

        world.relays.setAcknowledgementsFail(true)
        var context = world.context("bob")
        context.longPollSeconds = 1
        let watcher = try VigilSession.open(context) { SecureBytes(copying: Array(World.passphrase.utf8)) }
        let events = LockedBox<[WatchEvent]>([])
        let watching = Task { try await watcher.watch(WatchOptions(tickSeconds: 1)) { events.value.append($0) } }
        func panics() -> [MessageView] {
            events.value.compactMap { if case .message(let view) = $0, view.kind == "panic" { view } else { nil } }
        }
        // Until the failed acknowledgement is reported (and the panic shown, unless it is lost).
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline
            && (panics().isEmpty || !events.value.contains { if case .relayProblem = $0 { true } else { false } })
        {
            try await Task.sleep(for: .milliseconds(20))
        }
        watching.cancel()
        try await watching.value

        #expect(events.value.contains { if case .relayProblem = $0 { true } else { false } })
        #expect(panics().map(\.message) == ["taken to the station"])
        // It was stored, and its acknowledgement is still owed to the relay.
        let account = try #require(try bob.state().relays.first)
        #expect(account.unacknowledged.count == 1)
        #expect(world.relays.pendingCount(account.mailboxID) == 1)

        // Once the relay acknowledges again, the copy still waiting there is cleared, not shown again.
        world.relays.setAcknowledgementsFail(false)
        let inbox = try await bob.inbox(all: false)
        #expect(inbox.messages.isEmpty)
        #expect(inbox.relayErrors.isEmpty)
        #expect(world.relays.pendingCount(account.mailboxID) == 0)
        #expect(try bob.state().relays.first?.unacknowledged.isEmpty == true)
    }
}
