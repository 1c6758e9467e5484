import Testing
@_spi(Testing) import VigilStorage

@Suite("Retention and statistics")
struct PurgeTests {
    @Test("Purge deletes pending blobs received before the cutoff, and no others")
    func purgeBlobs() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            let old = try await store.store(Fixture.blob(1), at: 100)
            let atCutoff = try await store.store(Fixture.blob(2), at: 200)
            let other = try await store.store(Fixture.blob(3), in: Fixture.otherMailbox, at: 150)

            #expect(try await store.purge(before: 200) == 2)
            #expect(try await store.allPending().map(\.id) == [atCutoff])
            #expect(try await store.statistics() == StoreStatistics(mailboxes: 2, blobs: 1, bytes: 64))
            #expect(try await store.allPending(Fixture.otherMailbox).isEmpty)
            #expect(try await store.purge(before: 200) == 0)
            #expect(old < atCutoff && other > atCutoff)

            // A purged blob's digest is gone with it: the same bytes are a new message.
            let again = try await store.store(Fixture.blob(1), at: 300)
            #expect(again > other)
        }
    }

    @Test("Purge forgets the digests of acknowledgements made before the cutoff")
    func purgeTombstones() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            let early = try await store.store(Fixture.blob(1), at: 100)
            let late = try await store.store(Fixture.blob(2), at: 100)
            #expect(try await store.acknowledge(mailboxID: Fixture.mailbox, ids: [early], at: 200) == 1)
            #expect(try await store.acknowledge(mailboxID: Fixture.mailbox, ids: [late], at: 300) == 1)

            // No blobs left to count; the digest acknowledged at 200 goes, the one at 300 stays.
            #expect(try await store.purge(before: 201) == 0)
            let lateAgain = try await store.deposit(
                mailboxID: Fixture.mailbox, blob: Fixture.blob(2), receivedAt: 400, quota: .default)
            #expect(lateAgain == .duplicate(id: late))
            let earlyAgain = try await store.deposit(
                mailboxID: Fixture.mailbox, blob: Fixture.blob(1), receivedAt: 400, quota: .default)
            guard case .stored(let newID) = earlyAgain else {
                Issue.record("expected a new message once the digest expired, got \(earlyAgain)")
                return
            }
            #expect(newID > late)
            #expect(try await store.statistics() == StoreStatistics(mailboxes: 2, blobs: 1, bytes: 64))
        }
    }

    @Test("Statistics count mailboxes, pending blobs and their bytes")
    func statistics() async throws {
        try await withStore { store, _ in
            #expect(try await store.statistics() == StoreStatistics(mailboxes: 0, blobs: 0, bytes: 0))
            try await store.createFixtureMailboxes()
            let first = try await store.store(Fixture.blob(1, size: 100))
            _ = try await store.store(Fixture.blob(2, size: 200))
            _ = try await store.store(Fixture.blob(3, size: 300), in: Fixture.otherMailbox)
            #expect(try await store.statistics() == StoreStatistics(mailboxes: 2, blobs: 3, bytes: 600))

            #expect(try await store.acknowledge(mailboxID: Fixture.mailbox, ids: [first], at: 3_000) == 1)
            #expect(try await store.statistics() == StoreStatistics(mailboxes: 2, blobs: 2, bytes: 500))

            #expect(try await store.deleteMailbox(id: Fixture.otherMailbox))
            #expect(try await store.statistics() == StoreStatistics(mailboxes: 1, blobs: 1, bytes: 200))
        }
    }
}
