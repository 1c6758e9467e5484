import Foundation
import Testing
@_spi(Testing) import VigilStorage

@Suite("Closing")
struct LifecycleTests {
    @Test("Every operation on a closed store fails with closed, and closing again is harmless")
    func closedStore() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteRelayStore(path: directory + "/relay.sqlite")
            try await store.createFixtureMailboxes()
            await store.close()
            await store.close()

            await #expect(throws: StoreError.closed) {
                try await store.createMailbox(id: "CCCCCCCCCCCCCCCCCCCCCCCC", ownerKey: Fixture.ownerKey, createdAt: 1)
            }
            await #expect(throws: StoreError.closed) { _ = try await store.ownerKey(ofMailbox: Fixture.mailbox) }
            await #expect(throws: StoreError.closed) {
                _ = try await store.deposit(mailboxID: Fixture.mailbox, blob: Fixture.blob(1), receivedAt: 1, quota: .default)
            }
            await #expect(throws: StoreError.closed) {
                _ = try await store.pending(mailboxID: Fixture.mailbox, after: 0, limit: 10)
            }
            await #expect(throws: StoreError.closed) {
                _ = try await store.acknowledge(mailboxID: Fixture.mailbox, ids: [1], at: 1)
            }
            await #expect(throws: StoreError.closed) {
                _ = try await store.acknowledge(mailboxID: Fixture.mailbox, ids: [], at: 1)
            }
            await #expect(throws: StoreError.closed) { _ = try await store.deleteMailbox(id: Fixture.mailbox) }
            await #expect(throws: StoreError.closed) { _ = try await store.purge(before: 1) }
            await #expect(throws: StoreError.closed) { _ = try await store.statistics() }
            #expect(store.threadForTesting.hasExited)
        }
    }

    @Test("Closing finishes deposits queued before it", .timeLimit(.minutes(1)))
    func closeDrainsQueue() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/relay.sqlite"
            let store = try SQLiteRelayStore(path: path)
            try await store.createFixtureMailboxes()
            let pause = try await store.pauseForTesting()
            defer { pause.resume() }  // also when the test fails early
            let deposits = Task {
                try await withThrowingTaskGroup(of: Int64.self) { group in
                    for index in 0..<10 {
                        group.addTask { try await store.store(Fixture.blob(index)) }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            try await store.waitUntilQueued(10)
            let closing = Task { await store.close() }
            try await store.waitUntilQueued(11)
            pause.resume()
            await closing.value
            let ids = try await deposits.value
            #expect(Set(ids).count == 10)

            let reopened = try SQLiteRelayStore(path: path)
            #expect(try await reopened.allPending().map(\.id) == ids.sorted())
            await reopened.close()
        }
    }

    @Test("Dropping an open store closes its database and ends its thread", .timeLimit(.minutes(1)))
    func deinitEndsThread() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/relay.sqlite"
            var store: SQLiteRelayStore? = try SQLiteRelayStore(path: path)
            try await store?.createFixtureMailboxes()
            let id = try #require(try await store?.store(Fixture.blob(1)))
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
            let thread = try #require(store?.threadForTesting)
            #expect(thread.hasExited == false)

            store = nil
            await thread.waitUntilExited()
            #expect(thread.hasExited)
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "the database was closed")

            let reopened = try SQLiteRelayStore(path: path)
            #expect(try await reopened.allPending().map(\.id) == [id])
            await reopened.close()
        }
    }
}
