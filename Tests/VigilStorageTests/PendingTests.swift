import Testing
@_spi(Testing) import VigilStorage

@Suite("Fetching and acknowledging")
struct PendingTests {
    /// Five messages in the first mailbox, interleaved with three in the other.
    private func depositInterleaved(_ store: SQLiteRelayStore) async throws -> [Int64] {
        try await store.createFixtureMailboxes()
        var ids: [Int64] = []
        for index in 0..<5 {
            ids.append(try await store.store(Fixture.blob(index), at: 100 + UInt64(index)))
            if index < 3 { _ = try await store.store(Fixture.blob(index), in: Fixture.otherMailbox) }
        }
        return ids
    }

    @Test("Pending messages come oldest first, only from the asked mailbox")
    func order() async throws {
        try await withStore { store, _ in
            let ids = try await depositInterleaved(store)
            let (messages, more) = try await store.pending(mailboxID: Fixture.mailbox, after: 0, limit: 100)
            #expect(messages.map(\.id) == ids)
            #expect(messages.map(\.blob) == (0..<5).map { Fixture.blob($0) })
            #expect(messages.map(\.receivedAt) == [100, 101, 102, 103, 104])
            #expect(more == false)
        }
    }

    @Test("A limit cuts the list and says there is more; after continues from an ID")
    func pagination() async throws {
        try await withStore { store, _ in
            let ids = try await depositInterleaved(store)
            let page1 = try await store.pending(mailboxID: Fixture.mailbox, after: 0, limit: 2)
            #expect(page1.messages.map(\.id) == Array(ids[0..<2]))
            #expect(page1.more)
            let page2 = try await store.pending(mailboxID: Fixture.mailbox, after: ids[1], limit: 2)
            #expect(page2.messages.map(\.id) == Array(ids[2..<4]))
            #expect(page2.more)
            let page3 = try await store.pending(mailboxID: Fixture.mailbox, after: ids[3], limit: 2)
            #expect(page3.messages.map(\.id) == [ids[4]])
            #expect(page3.more == false)
            let exact = try await store.pending(mailboxID: Fixture.mailbox, after: ids[2], limit: 2)
            #expect(exact.messages.map(\.id) == Array(ids[3..<5]))
            #expect(exact.more == false)
            let none = try await store.pending(mailboxID: Fixture.mailbox, after: ids[4], limit: 2)
            #expect(none.messages.isEmpty)
            #expect(none.more == false)
            // A limit of zero returns nothing but still says whether something is waiting.
            let zero = try await store.pending(mailboxID: Fixture.mailbox, after: 0, limit: 0)
            #expect(zero.messages.isEmpty)
            #expect(zero.more)
        }
    }

    @Test("An unknown mailbox has no pending messages")
    func unknownMailbox() async throws {
        try await withStore { store, _ in
            let (messages, more) = try await store.pending(mailboxID: "CCCCCCCCCCCCCCCCCCCCCCCC", after: 0, limit: 100)
            #expect(messages.isEmpty)
            #expect(more == false)
        }
    }

    @Test("Acknowledged messages are no longer pending and count once")
    func acknowledge() async throws {
        try await withStore { store, _ in
            let ids = try await depositInterleaved(store)
            #expect(try await store.acknowledge(mailboxID: Fixture.mailbox, ids: [ids[1], ids[3], ids[1]], at: 500) == 2)
            #expect(try await store.allPending().map(\.id) == [ids[0], ids[2], ids[4]])
            // Already acknowledged, or never existed: not counted.
            #expect(try await store.acknowledge(mailboxID: Fixture.mailbox, ids: [ids[1], 9_999, -1], at: 501) == 0)
            #expect(try await store.acknowledge(mailboxID: Fixture.mailbox, ids: [], at: 502) == 0)
            #expect(try await store.statistics().blobs == 3 + 3)
        }
    }

    @Test("A mailbox cannot acknowledge another mailbox's messages")
    func acknowledgeOnlyOwnMessages() async throws {
        try await withStore { store, _ in
            let ids = try await depositInterleaved(store)
            let others = try await store.allPending(Fixture.otherMailbox).map(\.id)
            #expect(try await store.acknowledge(mailboxID: Fixture.otherMailbox, ids: ids, at: 500) == 0)
            #expect(try await store.acknowledge(mailboxID: "CCCCCCCCCCCCCCCCCCCCCCCC", ids: ids, at: 500) == 0)
            #expect(try await store.allPending().map(\.id) == ids)
            #expect(try await store.acknowledge(mailboxID: Fixture.otherMailbox, ids: others + ids, at: 500) == 3)
            #expect(try await store.allPending(Fixture.otherMailbox).isEmpty)
            #expect(try await store.allPending().map(\.id) == ids)
        }
    }
}
