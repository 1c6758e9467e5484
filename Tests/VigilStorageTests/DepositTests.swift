import Testing
@_spi(Testing) import VigilStorage

@Suite("Deposits")
struct DepositTests {
    @Test("A deposit is stored under a new, larger ID and comes back byte for byte")
    func depositAndFetch() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            let first = try await store.deposit(
                mailboxID: Fixture.mailbox, blob: Fixture.blob(1), receivedAt: 2_000, quota: .default)
            let second = try await store.deposit(
                mailboxID: Fixture.mailbox, blob: Fixture.blob(2, size: 16_432), receivedAt: 2_001, quota: .default)
            guard case .stored(let firstID) = first, case .stored(let secondID) = second else {
                Issue.record("expected two stored messages, got \(first) and \(second)")
                return
            }
            #expect(firstID > 0)
            #expect(secondID > firstID)
            #expect(try await store.allPending() == [
                StoredMessage(id: firstID, receivedAt: 2_000, blob: Fixture.blob(1)),
                StoredMessage(id: secondID, receivedAt: 2_001, blob: Fixture.blob(2, size: 16_432)),
            ])
        }
    }

    @Test("A deposit into an unknown mailbox fails and stores nothing")
    func unknownMailbox() async throws {
        try await withStore { store, _ in
            await #expect(throws: StoreError.mailboxNotFound) {
                try await store.deposit(mailboxID: Fixture.mailbox, blob: Fixture.blob(1), receivedAt: 1, quota: .default)
            }
            let statistics = try await store.statistics()
            #expect(statistics == StoreStatistics(mailboxes: 0, blobs: 0, bytes: 0))
        }
    }

    @Test("The same bytes deposited again while pending answer the first ID and store nothing")
    func duplicateWhilePending() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            let id = try await store.store(Fixture.blob(1))
            let again = try await store.deposit(
                mailboxID: Fixture.mailbox, blob: Fixture.blob(1), receivedAt: 9_000, quota: .default)
            #expect(again == .duplicate(id: id))
            #expect(try await store.allPending().map(\.id) == [id])
            #expect(try await store.allPending().first?.receivedAt == 2_000)
        }
    }

    @Test("The same bytes deposited again after acknowledgement answer the first ID and store nothing")
    func duplicateAfterAcknowledgement() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            let id = try await store.store(Fixture.blob(1))
            #expect(try await store.acknowledge(mailboxID: Fixture.mailbox, ids: [id], at: 3_000) == 1)
            let again = try await store.deposit(
                mailboxID: Fixture.mailbox, blob: Fixture.blob(1), receivedAt: 4_000, quota: .default)
            #expect(again == .duplicate(id: id))
            #expect(try await store.allPending().isEmpty)
        }
    }

    @Test("The same bytes in another mailbox are a new message")
    func sameBytesOtherMailbox() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            let first = try await store.store(Fixture.blob(1))
            let other = try await store.store(Fixture.blob(1), in: Fixture.otherMailbox)
            #expect(other > first)
            #expect(try await store.allPending(Fixture.otherMailbox).map(\.id) == [other])
        }
    }

    @Test("A repeated deposit into a full mailbox still answers its first ID")
    func duplicateBeatsQuota() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            let quota = MailboxQuota(maxBlobs: 1, maxBytes: 1_000)
            let outcome = try await store.deposit(mailboxID: Fixture.mailbox, blob: Fixture.blob(1), receivedAt: 1, quota: quota)
            let again = try await store.deposit(mailboxID: Fixture.mailbox, blob: Fixture.blob(1), receivedAt: 2, quota: quota)
            #expect(again == .duplicate(id: outcome.id))
        }
    }

    @Test("A mailbox at its blob count refuses the next deposit, and takes it after an acknowledgement")
    func quotaByCount() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            let quota = MailboxQuota(maxBlobs: 3, maxBytes: 1 << 20)
            var ids: [Int64] = []
            for index in 0..<3 {
                ids.append(try await store.deposit(
                    mailboxID: Fixture.mailbox, blob: Fixture.blob(index), receivedAt: 1, quota: quota).id)
            }
            await #expect(throws: StoreError.quotaExceeded) {
                try await store.deposit(mailboxID: Fixture.mailbox, blob: Fixture.blob(3), receivedAt: 1, quota: quota)
            }
            #expect(try await store.allPending().map(\.id) == ids)
            // Another mailbox has a quota of its own.
            _ = try await store.deposit(mailboxID: Fixture.otherMailbox, blob: Fixture.blob(3), receivedAt: 1, quota: quota)

            #expect(try await store.acknowledge(mailboxID: Fixture.mailbox, ids: [ids[0]], at: 2) == 1)
            let outcome = try await store.deposit(
                mailboxID: Fixture.mailbox, blob: Fixture.blob(3), receivedAt: 3, quota: quota)
            guard case .stored = outcome else {
                Issue.record("expected the deposit to be stored after room was made, got \(outcome)")
                return
            }
            #expect(try await store.allPending().count == 3)
        }
    }

    @Test("A mailbox refuses a deposit that would take its pending bytes over the limit, and takes it after an acknowledgement")
    func quotaByBytes() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            let quota = MailboxQuota(maxBlobs: 100, maxBytes: 250)
            let first = try await store.deposit(
                mailboxID: Fixture.mailbox, blob: Fixture.blob(1, size: 100), receivedAt: 1, quota: quota)
            _ = try await store.deposit(
                mailboxID: Fixture.mailbox, blob: Fixture.blob(2, size: 100), receivedAt: 1, quota: quota)
            await #expect(throws: StoreError.quotaExceeded) {
                try await store.deposit(
                    mailboxID: Fixture.mailbox, blob: Fixture.blob(3, size: 51), receivedAt: 1, quota: quota)
            }
            // Exactly up to the limit is allowed.
            _ = try await store.deposit(
                mailboxID: Fixture.mailbox, blob: Fixture.blob(4, size: 50), receivedAt: 1, quota: quota)
            await #expect(throws: StoreError.quotaExceeded) {
                try await store.deposit(
                    mailboxID: Fixture.mailbox, blob: Fixture.blob(5, size: 1), receivedAt: 1, quota: quota)
            }
            #expect(try await store.statistics().bytes == 250)

            #expect(try await store.acknowledge(mailboxID: Fixture.mailbox, ids: [first.id], at: 2) == 1)
            let outcome = try await store.deposit(
                mailboxID: Fixture.mailbox, blob: Fixture.blob(3, size: 51), receivedAt: 3, quota: quota)
            guard case .stored = outcome else {
                Issue.record("expected the deposit to be stored after room was made, got \(outcome)")
                return
            }
            #expect(try await store.statistics().bytes == 201)
        }
    }

    @Test("Message IDs are never reused, even after the newest message was deleted")
    func idsNeverReused() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            _ = try await store.store(Fixture.blob(1))
            let newest = try await store.store(Fixture.blob(2), at: 100)
            #expect(try await store.purge(before: 101) == 1)
            #expect(try await store.deleteMailbox(id: Fixture.mailbox))
            #expect(try await store.statistics().blobs == 0)
            let next = try await store.store(Fixture.blob(3), in: Fixture.otherMailbox)
            #expect(next > newest)
        }
    }

    @Test("An empty blob is stored as an empty blob, not as an acknowledged one")
    func emptyBlob() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            let id = try await store.store([])
            #expect(try await store.allPending() == [StoredMessage(id: id, receivedAt: 2_000, blob: [])])
        }
    }
}
