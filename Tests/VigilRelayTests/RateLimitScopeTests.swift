import Testing
import VigilClient
import VigilCrypto

/// Behind a TLS terminator or a Tor onion service every client shares one address: one client
/// flooding deposits must not use up the deposits of everyone else's mailboxes.
@Suite("Deposit rate limits are counted per address and mailbox")
struct RateLimitScopeTests {
    @Test func aFloodAtMadeUpMailboxesDoesNotBlockDepositsIntoARealOne() async throws {
        try await withRelay({ configuration in
            configuration.depositBurst = 3
            configuration.depositsPerMinute = 1
        }) { relay in
            let (id, _) = try await relay.makeMailbox()
            let madeUp = String(repeating: "A", count: 24)
            for _ in 0..<10 {
                _ = await relayError { () async throws(RelayClientError) in
                    try await relay.client.deposit(mailboxID: madeUp, blob: blob())
                }
            }
            let flooded = await relayError { () async throws(RelayClientError) in
                try await relay.client.deposit(mailboxID: madeUp, blob: blob())
            }
            #expect(flooded?.relayCode == .rateLimited)
            // Same address, another mailbox: its own budget is untouched.
            _ = try await relay.client.deposit(mailboxID: id, blob: blob(seed: 1))
            #expect(try await relay.storedBlobCount() == 1)
        }
    }

    @Test func oneMailboxStillHasItsLimit() async throws {
        try await withRelay({ configuration in
            configuration.depositBurst = 1
            configuration.depositsPerMinute = 1
        }) { relay in
            let (id, _) = try await relay.makeMailbox()
            _ = try await relay.client.deposit(mailboxID: id, blob: blob(seed: 1))
            let error = await relayError { () async throws(RelayClientError) in
                try await relay.client.deposit(mailboxID: id, blob: blob(seed: 2))
            }
            #expect(error?.relayCode == .rateLimited)
        }
    }
}
