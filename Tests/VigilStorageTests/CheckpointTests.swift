import Foundation
import Testing
@_spi(Testing) import VigilStorage

/// The write-ahead log is copied into the database file in the background, on real files; the
/// limits are a relay's scaled down so that a few thousand deposits cross them.
@Suite("Background checkpoints")
struct CheckpointTests {
    /// A sealed envelope of the 4096 bucket: a row with an overflow page.
    static let blobSize = 4_144
    static let pageSize = 4_096

    @Test("The write-ahead log stays bounded under many deposits, without closing the store")
    func logStaysBounded() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/relay.sqlite"
            let store = try SQLiteRelayStore(path: path, passiveCheckpointAfterPages: 100, restartLogAtPages: 800)
            try await store.createFixtureMailboxes()

            // About two pages of log each: some 5,000 pages (20 MB) if nothing were copied.
            let deposits = 2_500
            try await Self.deposit(deposits, startingAt: 0, into: store)

            let logBytes = try Self.size(of: path + "-wal")
            // The limit, plus what the groups committed while the writer's RESTART was due.
            #expect(logBytes <= (800 + 400) * Self.pageSize, "the log holds \(logBytes / Self.pageSize) pages")
            let counts = store.checkpointCountsForTesting
            #expect(counts.passive > 0)
            #expect(counts.failed == 0)
            #expect(try await store.statistics().blobs == deposits)

            await store.close()
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
            let reopened = try SQLiteRelayStore(path: path)
            #expect(try await reopened.statistics().blobs == deposits)
            await reopened.close()
        }
    }

    @Test("A checkpoint that fails, because a reader holds an old snapshot, fails no deposit and is reported; checkpoints resume once the reader lets go")
    func failedCheckpointFailsNoDeposit() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/relay.sqlite"
            let failures = FailureLog()
            let store = try SQLiteRelayStore(
                path: path, passiveCheckpointAfterPages: 50, restartLogAtPages: 300,
                checkpointBusyTimeoutMilliseconds: 50, checkpointFailureHandler: failures.record)
            try await store.createFixtureMailboxes()

            // Another connection to the same file keeps a read transaction open.
            let reader = try SQLiteRelayStore(path: path)
            let snapshot = try await reader.holdReadSnapshotForTesting()

            try await Self.deposit(600, startingAt: 0, into: store)
            #expect(try await store.statistics().blobs == 600)
            #expect(store.checkpointCountsForTesting.failed > 0)
            let reported = failures.errors
            #expect(!reported.isEmpty)
            #expect(reported.allSatisfy { "\($0)".contains("checkpoint the write-ahead log") })
            // Everything the reader could not let be copied is still in the log.
            #expect(try Self.size(of: path + "-wal") > 300 * Self.pageSize)

            snapshot.resume()
            await reader.close()
            let restartsBefore = store.checkpointCountsForTesting.restart
            try await Self.deposit(600, startingAt: 600, into: store)
            #expect(store.checkpointCountsForTesting.restart > restartsBefore, "the log started over")
            #expect(try await store.statistics().blobs == 1_200)

            await store.close()
            let reopened = try SQLiteRelayStore(path: path)
            #expect(try await reopened.allPending().count == 1_200)
            await reopened.close()
        }
    }

    /// Deposits `count` distinct blobs, 50 at a time so that they are group-committed.
    static func deposit(_ count: Int, startingAt first: Int, into store: SQLiteRelayStore) async throws {
        for batch in stride(from: first, to: first + count, by: 50) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in batch..<min(batch + 50, first + count) {
                    group.addTask {
                        _ = try await store.store(Fixture.blob(index, size: blobSize))
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    static func size(of path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }
}

/// What a store's checkpoint failure handler heard, from its thread.
private final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [StoreError] = []

    var errors: [StoreError] {
        lock.withLock { recorded }
    }

    @Sendable func record(_ error: StoreError) {
        lock.withLock { recorded.append(error) }
    }
}
