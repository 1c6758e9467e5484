import Foundation
@testable import VigilApp
import VigilCrypto
import VigilProtocol

/// A clock tests move by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds: UInt64

    init(_ start: UInt64 = 1_795_600_000) { seconds = start }

    var now: Timestamp { lock.withLock { Timestamp(secondsSince1970: seconds) } }

    func advance(_ delta: UInt64) { lock.withLock { seconds += delta } }

    var function: @Sendable () -> Timestamp { { self.now } }
}

/// People with sessions on fake relays, in one temporary directory.
struct World {
    static let passphrase = "test passphrase"

    let directory: TemporaryDirectory
    let relays = FakeRelays()
    let clock = ManualClock()

    init() throws {
        directory = try TemporaryDirectory("vigil-lib")
    }

    func context(_ name: String) -> VigilContext {
        let relays = self.relays
        return VigilContext(
            home: VigilHome(path: directory.sub(name)), clock: clock.function, makeConnector: { _ in relays },
            keyDerivationCost: .minimum)
    }

    /// A new person with a mailbox on each relay URL.
    func person(_ name: String, relays urls: [String] = ["http://relay-a.test"]) async throws -> VigilSession {
        let protection = Keystore.Protection.passphrase(SecureBytes(copying: Array(Self.passphrase.utf8)), .minimum)
        return try await VigilSession.initialize(context(name), name: name, relays: urls, protection: protection).0
    }

    /// Opens an existing person's session again (as a second process would).
    func reopen(_ name: String, passphrase: String = World.passphrase) throws -> VigilSession {
        try VigilSession.open(context(name)) { SecureBytes(copying: Array(passphrase.utf8)) }
    }

    /// `a` adds `b` (and `b` adds `a` when `mutual`), optionally verified.
    func introduce(_ a: VigilSession, to b: VigilSession, as alias: String, verified: Bool = false) async throws {
        let card = try #require(try b.card().card)
        _ = try await a.addContact(cardText: card, alias: alias)
        if verified { _ = try await a.markVerified(alias) }
    }

    func remove() { directory.remove() }
}

import Testing
