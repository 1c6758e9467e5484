import Testing
@_spi(Testing) import VigilStorage

@Suite("Mailboxes")
struct MailboxTests {
    @Test("A created mailbox answers with its owner key; an unknown one with nil")
    func ownerKeyLookup() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            #expect(try await store.ownerKey(ofMailbox: Fixture.mailbox) == Fixture.ownerKey)
            #expect(try await store.ownerKey(ofMailbox: Fixture.otherMailbox) == Fixture.otherOwnerKey)
            #expect(try await store.ownerKey(ofMailbox: "CCCCCCCCCCCCCCCCCCCCCCCC") == nil)
        }
    }

    @Test("Creating a mailbox with a taken ID fails and keeps the first owner key")
    func duplicateMailbox() async throws {
        try await withStore { store, _ in
            try await store.createMailbox(id: Fixture.mailbox, ownerKey: Fixture.ownerKey, createdAt: 1)
            await #expect(throws: StoreError.mailboxExists) {
                try await store.createMailbox(id: Fixture.mailbox, ownerKey: Fixture.otherOwnerKey, createdAt: 2)
            }
            #expect(try await store.ownerKey(ofMailbox: Fixture.mailbox) == Fixture.ownerKey)
            #expect(try await store.statistics().mailboxes == 1)
        }
    }

    @Test("Deleting a mailbox deletes its messages and digests, and nothing of other mailboxes")
    func deleteCascades() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            let first = try await store.store(Fixture.blob(1))
            let acknowledged = try await store.store(Fixture.blob(2))
            #expect(try await store.acknowledge(mailboxID: Fixture.mailbox, ids: [acknowledged], at: 3_000) == 1)
            _ = try await store.store(Fixture.blob(1), in: Fixture.otherMailbox)

            #expect(try await store.deleteMailbox(id: Fixture.mailbox))

            #expect(try await store.ownerKey(ofMailbox: Fixture.mailbox) == nil)
            #expect(try await store.allPending().isEmpty)
            #expect(try await store.statistics() == StoreStatistics(mailboxes: 1, blobs: 1, bytes: 64))
            #expect(try await store.allPending(Fixture.otherMailbox).map(\.blob) == [Fixture.blob(1)])
            await #expect(throws: StoreError.mailboxNotFound) {
                try await store.deposit(
                    mailboxID: Fixture.mailbox, blob: Fixture.blob(3), receivedAt: 4_000, quota: .default)
            }

            // A mailbox created again under the same ID starts empty: the old digests are gone,
            // so the same bytes are new messages with new IDs.
            try await store.createMailbox(id: Fixture.mailbox, ownerKey: Fixture.otherOwnerKey, createdAt: 5_000)
            let again = try await store.store(Fixture.blob(1))
            let ackedAgain = try await store.store(Fixture.blob(2))
            #expect(again > first)
            #expect(ackedAgain > again)
        }
    }

    @Test("Deleting a mailbox that does not exist answers false")
    func deleteUnknown() async throws {
        try await withStore { store, _ in
            #expect(try await store.deleteMailbox(id: Fixture.mailbox) == false)
            try await store.createMailbox(id: Fixture.mailbox, ownerKey: Fixture.ownerKey, createdAt: 1)
            #expect(try await store.deleteMailbox(id: Fixture.mailbox))
            #expect(try await store.deleteMailbox(id: Fixture.mailbox) == false)
        }
    }
}
