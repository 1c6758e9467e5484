import Testing
@_spi(Testing) import VigilStorage

/// The "disk" is filled for real: SQLite's `max_page_count` caps the database file.
@Suite("A full disk")
struct StorageFullTests {
    static let largeBlobSize = 16_432

    @Test("A deposit that does not fit fails with storageFull and leaves earlier data intact; it fits once the limit is raised")
    func fullThenRaised() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            let small = try await store.store(Fixture.blob(1))
            // Asking for 1 page sets the limit to the database's current size.
            let pages = try await store.setMaximumPageCount(1)
            #expect(pages > 1)

            let large = Fixture.randomBytes(Self.largeBlobSize)
            await #expect(throws: StoreError.storageFull) {
                _ = try await store.deposit(mailboxID: Fixture.mailbox, blob: large, receivedAt: 3_000, quota: .default)
            }
            await #expect(throws: StoreError.storageFull) {
                _ = try await store.deposit(mailboxID: Fixture.mailbox, blob: large, receivedAt: 3_001, quota: .default)
            }
            #expect(try await store.allPending() == [StoredMessage(id: small, receivedAt: 2_000, blob: Fixture.blob(1))])
            #expect(try await store.statistics() == StoreStatistics(mailboxes: 2, blobs: 1, bytes: 64))

            #expect(try await store.setMaximumPageCount(1_000_000) == 1_000_000)
            let outcome = try await store.deposit(mailboxID: Fixture.mailbox, blob: large, receivedAt: 3_002, quota: .default)
            guard case .stored(let id) = outcome else {
                Issue.record("expected the deposit to be stored once there is room, got \(outcome)")
                return
            }
            #expect(id > small)
            #expect(try await store.allPending().map(\.blob) == [Fixture.blob(1), large])
        }
    }

    @Test("Once the database is full, acknowledging messages frees room for new deposits")
    func fullThenFreed() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            let pages = try await store.setMaximumPageCount(1)
            _ = try await store.setMaximumPageCount(pages + 40)

            var stored: [Int64] = []
            var full = false
            for index in 0..<100 where !full {
                do {
                    stored.append(try await store.store(Fixture.blob(index, size: Self.largeBlobSize)))
                } catch StoreError.storageFull {
                    full = true
                }
            }
            try #require(full, "the database never filled up")
            #expect(stored.count > 0)
            #expect(try await store.allPending().map(\.id) == stored)

            #expect(try await store.acknowledge(mailboxID: Fixture.mailbox, ids: stored, at: 5_000) == stored.count)
            let next = try await store.store(Fixture.blob(1_000, size: Self.largeBlobSize))
            #expect(try await store.allPending().map(\.id) == [next])
        }
    }
}
