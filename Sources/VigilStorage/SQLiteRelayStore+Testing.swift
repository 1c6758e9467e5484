import Foundation

// Hooks for the store's own tests, behind `@_spi(Testing)`: not part of the API a relay uses.

extension SQLiteRelayStore {
    /// A store whose background checkpoints run after `passiveCheckpointAfterPages` new pages
    /// of log, whose writer waits for a RESTART at `restartLogAtPages`, and whose RESTART waits
    /// `checkpointBusyTimeoutMilliseconds` for readers: a relay's limits scaled down.
    @_spi(Testing) public convenience init(
        path: String, passiveCheckpointAfterPages: Int, restartLogAtPages: Int,
        checkpointBusyTimeoutMilliseconds: Int = 5_000,
        checkpointFailureHandler: @escaping @Sendable (StoreError) -> Void = { _ in }
    ) throws(StoreError) {
        try self.init(
            path: path,
            checkpointLimits: WALCheckpointer.Limits(
                passiveAfter: passiveCheckpointAfterPages, passiveInterval: 0.01, restartAt: restartLogAtPages,
                restartBacklog: max(1, passiveCheckpointAfterPages / 4),
                busyTimeoutMilliseconds: checkpointBusyTimeoutMilliseconds),
            checkpointFailureHandler: checkpointFailureHandler)
    }

    /// Background checkpoints so far: passive ones, RESTART or TRUNCATE ones, failed ones.
    @_spi(Testing) public var checkpointCountsForTesting: (passive: Int, restart: Int, failed: Int) {
        let counts = databaseThread.checkpointCounts
        return (counts.passive, counts.restart, counts.failed)
    }

    /// Opens a read transaction on this store's connection and keeps it (and its snapshot of
    /// the database) until the returned pause is resumed: a reader that does not let go, as an
    /// operator's backup tool might be, which no checkpoint can copy past. The store's thread
    /// does nothing else meanwhile; use a second store on the same file for the writes.
    @_spi(Testing) public func holdReadSnapshotForTesting() async throws(StoreError) -> StorePause {
        let pause = StorePause()
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<StoreError?, Never>) in
            let job = DatabaseThread.Job.read { database in
                do throws(StoreError) {
                    try database.executeScript("BEGIN; SELECT count(*) FROM messages", operation: "begin a read")
                } catch {
                    database.rollbackIfInTransaction()
                    continuation.resume(returning: error)
                    return
                }
                continuation.resume(returning: nil)
                pause.block()
                database.rollbackIfInTransaction()
            }
            if !databaseThread.enqueue(job) {
                continuation.resume(returning: .closed)
            }
        }
        if let result { throw result }
        return pause
    }

    /// Sets SQLite's `max_page_count` for this connection and returns the limit now in force
    /// (SQLite never sets it below the database's current size; asking for 1 sets it to that).
    /// Lets a test fill the "disk" for real and see ``StoreError/storageFull``.
    @_spi(Testing) public func setMaximumPageCount(_ pages: Int) async throws(StoreError) -> Int {
        let pages = max(1, min(pages, Int(UInt32.max)))
        return try await databaseThread.read { database throws(StoreError) in
            Int(try database.firstRow("PRAGMA max_page_count=\(pages)", operation: "set max_page_count") { $0.int64(0) } ?? 0)
        }
    }

    /// Stops the database thread until the returned pause is resumed, so that a test can queue
    /// work and know that it will run as one group. Returns once the thread has stopped.
    @_spi(Testing) public func pauseForTesting() async throws(StoreError) -> StorePause {
        let pause = StorePause()
        let queued = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let job = DatabaseThread.Job.read { _ in
                continuation.resume(returning: true)
                pause.block()
            }
            if !databaseThread.enqueue(job) {
                continuation.resume(returning: false)
            }
        }
        guard queued else { throw .closed }
        return pause
    }

    /// Reads, writes and closes waiting for the database thread.
    @_spi(Testing) public var queuedJobCountForTesting: Int {
        databaseThread.queuedJobCount
    }

    /// A handle on the store's thread that outlives the store, to see that dropping the store
    /// ends the thread.
    @_spi(Testing) public var threadForTesting: StoreThreadHandle {
        StoreThreadHandle(thread: databaseThread)
    }
}

/// See ``SQLiteRelayStore/pauseForTesting()``.
@_spi(Testing) public final class StorePause: @unchecked Sendable {
    private let condition = NSCondition()
    private var resumed = false

    init() {}

    /// Lets the database thread go on. Calling it again is harmless.
    public func resume() {
        condition.lock()
        resumed = true
        condition.broadcast()
        condition.unlock()
    }

    /// On the database thread: waits for ``resume()``.
    fileprivate func block() {
        condition.lock()
        while !resumed {
            condition.wait()
        }
        condition.unlock()
    }
}

/// See ``SQLiteRelayStore/threadForTesting``.
@_spi(Testing) public struct StoreThreadHandle: Sendable {
    fileprivate let thread: DatabaseThread

    /// Returns when the store's thread has closed the database and is ending, or when the
    /// calling task is cancelled (a test's time limit).
    public func waitUntilExited() async {
        await thread.waitUntilExited()
    }

    /// True once the thread has closed the database and is ending.
    public var hasExited: Bool {
        thread.hasExited
    }
}
