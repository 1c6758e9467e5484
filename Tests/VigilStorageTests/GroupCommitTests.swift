import Testing
@_spi(Testing) import VigilStorage

@Suite("Group commit")
struct GroupCommitTests {
    /// Starts `count` tasks that call `operation` one after another, each only once the
    /// previous one is queued, so that they run in this order when the store is resumed.
    private func queueInOrder<T: Sendable>(
        _ store: SQLiteRelayStore, count: Int, _ operation: @escaping @Sendable (Int) async throws(StoreError) -> T
    ) async throws -> [Task<T, any Error>] {
        var tasks: [Task<T, any Error>] = []
        let alreadyQueued = store.queuedJobCountForTesting
        for index in 0..<count {
            tasks.append(Task { try await operation(index) })
            try await store.waitUntilQueued(alreadyQueued + index + 1)
        }
        return tasks
    }

    @Test("Two hundred deposits queued together are stored with one commit", .timeLimit(.minutes(1)))
    func queuedDepositsShareOneCommit() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            let before = store.groupCommitStatistics
            let pause = try await store.pauseForTesting()
            defer { pause.resume() }  // also when the test fails early
            let deposits = Task {
                try await withThrowingTaskGroup(of: Int64.self) { group in
                    for index in 0..<200 {
                        group.addTask {
                            try await store.store(
                                Fixture.blob(index), in: index.isMultiple(of: 2) ? Fixture.mailbox : Fixture.otherMailbox)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            try await store.waitUntilQueued(200)
            pause.resume()
            let ids = try await deposits.value

            let after = store.groupCommitStatistics
            #expect(after.commits - before.commits == 1)
            #expect(after.writes - before.writes == 200)
            #expect(Set(ids).count == 200)
            let pending = try await store.allPending() + store.allPending(Fixture.otherMailbox)
            #expect(Set(pending.map(\.id)) == Set(ids))
        }
    }

    @Test("Two hundred concurrent deposits are all stored, with fewer commits than deposits", .timeLimit(.minutes(1)))
    func concurrentDeposits() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            let before = store.groupCommitStatistics
            let outcomes = try await withThrowingTaskGroup(of: DepositOutcome.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        try await store.deposit(
                            mailboxID: index < 100 ? Fixture.mailbox : Fixture.otherMailbox,
                            blob: Fixture.blob(index, size: 1_024), receivedAt: 1, quota: .default)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let after = store.groupCommitStatistics

            #expect(outcomes.allSatisfy { if case .stored = $0 { true } else { false } })
            #expect(Set(outcomes.map(\.id)).count == 200)
            #expect(try await store.statistics() == StoreStatistics(mailboxes: 2, blobs: 200, bytes: 200 * 1_024))
            #expect(after.writes - before.writes == 200)
            #expect(after.commits - before.commits < 200)
        }
    }

    @Test("An operation that fails in a group fails alone; the others of the group are stored", .timeLimit(.minutes(1)))
    func failureInGroupFailsAlone() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            let quota = MailboxQuota(maxBlobs: 2, maxBytes: 1 << 20)
            let before = store.groupCommitStatistics
            let pause = try await store.pauseForTesting()
            defer { pause.resume() }  // also when the test fails early
            // In this order: two fit the quota, the third does not, then a deposit into an
            // unknown mailbox, then one into the other mailbox.
            let tasks = try await queueInOrder(store, count: 5) { index throws(StoreError) in
                let mailbox = switch index {
                case 0...2: Fixture.mailbox
                case 3: "CCCCCCCCCCCCCCCCCCCCCCCC"
                default: Fixture.otherMailbox
                }
                return try await store.deposit(mailboxID: mailbox, blob: Fixture.blob(index), receivedAt: 1, quota: quota)
            }
            pause.resume()

            let first = try await tasks[0].value
            let second = try await tasks[1].value
            await #expect(throws: StoreError.quotaExceeded) { try await tasks[2].value }
            await #expect(throws: StoreError.mailboxNotFound) { try await tasks[3].value }
            let fifth = try await tasks[4].value

            #expect(try await store.allPending().map(\.id) == [first.id, second.id])
            #expect(try await store.allPending(Fixture.otherMailbox).map(\.id) == [fifth.id])
            let after = store.groupCommitStatistics
            #expect(after.commits - before.commits == 1)
            #expect(after.writes - before.writes == 3)
        }
    }

    @Test("When a deposit in a group finds the disk full, only it fails; the others of the group are stored", .timeLimit(.minutes(1)))
    func storageFullInGroup() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            _ = try await store.setMaximumPageCount(1)
            let before = store.groupCommitStatistics
            let pause = try await store.pauseForTesting()
            defer { pause.resume() }  // also when the test fails early
            // Small, too large for the space left, small again. (SQLite rolls back the whole
            // transaction when the large one fails; the store runs the first one again.)
            let sizes = [8, 16_432, 8]
            let tasks = try await queueInOrder(store, count: 3) { index throws(StoreError) in
                try await store.deposit(
                    mailboxID: Fixture.mailbox, blob: Fixture.blob(index, size: sizes[index]), receivedAt: 1, quota: .default)
            }
            pause.resume()

            let first = try await tasks[0].value
            await #expect(throws: StoreError.storageFull) { try await tasks[1].value }
            let third = try await tasks[2].value
            #expect(try await store.allPending() == [
                StoredMessage(id: first.id, receivedAt: 1, blob: Fixture.blob(0, size: 8)),
                StoredMessage(id: third.id, receivedAt: 1, blob: Fixture.blob(2, size: 8)),
            ])
            let after = store.groupCommitStatistics
            #expect(after.commits - before.commits == 1)
            #expect(after.writes - before.writes == 2)
        }
    }
}
