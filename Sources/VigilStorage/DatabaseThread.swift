import Foundation

/// The one thread on which a ``SQLiteRelayStore`` uses SQLite, and its queue of work.
///
/// Blocking disk I/O stays off the Swift concurrency pool: callers enqueue a job and suspend on
/// a continuation that this thread resumes. The thread takes everything queued at once; the
/// writes among it run as one group in a single transaction, committed (and fsynced) once,
/// before any of their callers is resumed. Then the reads run, outside any transaction.
///
/// The thread never checkpoints the write-ahead log inside a commit: a ``WALCheckpointer``
/// does that on a connection and thread of its own. Only when the log has grown past its
/// limit does this thread wait for a checkpoint, between groups (see ``WALCheckpointer``).
///
/// The thread holds this object, never the store, so that dropping the store can end it.
final class DatabaseThread: @unchecked Sendable {
    /// Work for the thread.
    enum Job {
        /// Runs outside a transaction and resumes its own caller.
        case read(@Sendable (SQLiteDatabase) -> Void)
        case write(WriteJob)
        /// Finish everything queued before it, checkpoint, close, and end the thread.
        case close
    }

    /// One write operation in a group.
    ///
    /// The thread resolves each job exactly once: by calling `fail`, or by calling the
    /// completion `perform` returned with the group's commit outcome. `perform` may run more
    /// than once when SQLite rolls back a transaction because of another job (see
    /// ``commitGroup(_:on:)``); only the completion of its last run is called. Operations are
    /// therefore functions of the database and their own inputs.
    struct WriteJob: Sendable {
        typealias Completion = @Sendable (_ commitError: StoreError?) -> Void
        /// Runs the operation inside the group's transaction (in a savepoint of its own).
        /// On success, returns what resumes its caller once the commit outcome is known.
        let perform: @Sendable (SQLiteDatabase) -> Result<Completion, StoreError>
        let fail: @Sendable (StoreError) -> Void
    }

    private enum Lifecycle {
        case starting, open, closing, exited
    }

    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var lifecycle = Lifecycle.starting
    private var openFailure: StoreError?
    private var queue: [Job] = []
    private var counters = GroupCommitStatistics(commits: 0, writes: 0)
    private var exitWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiterID = 0

    private let checkpointLimits: WALCheckpointer.Limits
    private let checkpointFailureHandler: @Sendable (StoreError) -> Void
    /// Set by the thread before the database counts as open; never changed afterwards.
    private var checkpointer: WALCheckpointer?
    /// Only on the thread: the log hook said the log should start over before the next group.
    private var logRestartDue = false

    private init(
        checkpointLimits: WALCheckpointer.Limits, checkpointFailureHandler: @escaping @Sendable (StoreError) -> Void
    ) {
        self.checkpointLimits = checkpointLimits
        self.checkpointFailureHandler = checkpointFailureHandler
    }

    /// Starts the thread, which opens the database at `path` and starts its checkpointer;
    /// returns once it is open, or throws why it could not be opened (the thread has then
    /// ended). `checkpointFailureHandler` hears of failed background checkpoints.
    static func start(
        path: String, checkpointLimits: WALCheckpointer.Limits = .default,
        checkpointFailureHandler: @escaping @Sendable (StoreError) -> Void
    ) throws(StoreError) -> DatabaseThread {
        let worker = DatabaseThread(
            checkpointLimits: checkpointLimits, checkpointFailureHandler: checkpointFailureHandler)
        let thread = Thread {
            // Named from inside: on Linux, Thread.name set before start is not applied.
            setCurrentThreadName("vigil-storage")
            worker.main(path: path)
        }
        thread.start()

        worker.condition.lock()
        while worker.lifecycle == .starting {
            worker.condition.wait()
        }
        let failure = worker.openFailure
        worker.condition.unlock()
        if let failure { throw failure }
        return worker
    }

    // MARK: Callers' side

    /// Runs `body` on the thread between write groups, outside a transaction.
    func read<T: Sendable>(
        _ body: @escaping @Sendable (SQLiteDatabase) throws(StoreError) -> T
    ) async throws(StoreError) -> T {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, StoreError>, Never>) in
            let job = Job.read { database in
                do throws(StoreError) {
                    continuation.resume(returning: .success(try body(database)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            if !enqueue(job) {
                continuation.resume(returning: .failure(.closed))
            }
        }
        return try result.get()
    }

    /// Runs `body` in the next write group, in a savepoint of its own: when `body` throws, only
    /// its changes are rolled back and only its caller fails. Returns after the group has
    /// committed; if the commit fails, every operation of the group fails with its error.
    func write<T: Sendable>(
        _ body: @escaping @Sendable (SQLiteDatabase) throws(StoreError) -> T
    ) async throws(StoreError) -> T {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, StoreError>, Never>) in
            let job = WriteJob(
                perform: { database in
                    do throws(StoreError) {
                        let value = try body(database)
                        return .success({ commitError in
                            continuation.resume(returning: commitError.map { .failure($0) } ?? .success(value))
                        })
                    } catch {
                        return .failure(error)
                    }
                },
                fail: { error in continuation.resume(returning: .failure(error)) })
            if !enqueue(.write(job)) {
                continuation.resume(returning: .failure(.closed))
            }
        }
        return try result.get()
    }

    /// Throws ``StoreError/closed`` once closing has begun.
    func checkOpen() throws(StoreError) {
        condition.lock()
        defer { condition.unlock() }
        guard lifecycle == .open else { throw .closed }
    }

    /// Lets queued work finish, then checkpoints and closes the database and ends the thread.
    /// Returns when that is done; at once if it already is.
    func close() async {
        requestClose()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if lifecycle == .exited {
                condition.unlock()
                continuation.resume()
            } else {
                nextWaiterID += 1
                exitWaiters[nextWaiterID] = continuation
                condition.unlock()
            }
        }
    }

    /// Returns when the thread has closed the database and is ending, or when the calling task
    /// is cancelled.
    func waitUntilExited() async {
        let id = makeWaiterID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                condition.lock()
                if lifecycle == .exited || Task.isCancelled {
                    condition.unlock()
                    continuation.resume()
                } else {
                    exitWaiters[id] = continuation
                    condition.unlock()
                }
            }
        } onCancel: {
            condition.lock()
            let continuation = exitWaiters.removeValue(forKey: id)
            condition.unlock()
            continuation?.resume()
        }
    }

    private func makeWaiterID() -> Int {
        condition.lock()
        defer { condition.unlock() }
        nextWaiterID += 1
        return nextWaiterID
    }

    /// Like ``close()`` without waiting: for the store's deinit.
    func requestClose() {
        condition.lock()
        defer { condition.unlock() }
        if lifecycle == .open {
            lifecycle = .closing
            queue.append(.close)
            condition.broadcast()
        }
    }

    /// Checkpoints the background checkpointer has run (for tests).
    var checkpointCounts: WALCheckpointer.Counts {
        condition.lock()
        let checkpointer = checkpointer
        condition.unlock()
        return checkpointer?.checkpointCounts ?? WALCheckpointer.Counts()
    }

    /// Copies the whole write-ahead log into the database file and truncates it, between
    /// groups.
    func truncateLog() async throws(StoreError) {
        try await read { _ throws(StoreError) in
            guard let checkpointer = self.checkpointer else { throw .closed }
            try checkpointer.truncateLog()
        }
    }

    var statistics: GroupCommitStatistics {
        condition.lock()
        defer { condition.unlock() }
        return counters
    }

    /// Jobs waiting for the thread (for tests that need to know a group is assembled).
    var queuedJobCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
    }

    var hasExited: Bool {
        condition.lock()
        defer { condition.unlock() }
        return lifecycle == .exited
    }

    /// Queues `job`; false (and nothing queued) once closing has begun.
    func enqueue(_ job: Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard lifecycle == .open else { return false }
        queue.append(job)
        condition.broadcast()
        return true
    }

    // MARK: The thread

    private func main(path: String) {
        let database: SQLiteDatabase
        do throws(StoreError) {
            database = try RelaySchema.openDatabase(path: path)
        } catch {
            finish(lifecycle: .exited, openFailure: error)
            return
        }
        let checkpointer: WALCheckpointer
        do throws(StoreError) {
            checkpointer = try WALCheckpointer.start(
                path: path, limits: checkpointLimits, failureHandler: checkpointFailureHandler)
        } catch {
            database.close()
            finish(lifecycle: .exited, openFailure: error)
            return
        }
        database.setWriteAheadLogHook { [unowned self] pages in
            if checkpointer.logDidGrow(toPages: pages) {
                self.logRestartDue = true
            }
        }
        condition.lock()
        self.checkpointer = checkpointer
        condition.unlock()
        finish(lifecycle: .open, openFailure: nil)

        var closing = false
        while !closing {
            condition.lock()
            while queue.isEmpty {
                condition.wait()
            }
            let jobs = queue
            queue.removeAll(keepingCapacity: true)
            condition.unlock()

            var writes: [WriteJob] = []
            var reads: [@Sendable (SQLiteDatabase) -> Void] = []
            for job in jobs {
                switch job {
                case .read(let read): reads.append(read)
                case .write(let write): writes.append(write)
                case .close: closing = true
                }
            }
            if !writes.isEmpty {
                commitGroup(writes[...], on: database)
            }
            for read in reads {
                read(database)
            }
            if logRestartDue {
                // Every caller of the group is answered; the next group waits.
                logRestartDue = false
                checkpointer.restartLog()
            }
        }

        // The checkpointer's connection goes first, so that this one is the last and its
        // closing removes the log. Fold the log into the database file so that nothing is left
        // in a -wal file.
        checkpointer.stop()
        try? database.checkpoint()
        database.close()

        condition.lock()
        lifecycle = .exited
        let waiters = exitWaiters
        exitWaiters.removeAll()
        condition.unlock()
        for waiter in waiters.values {
            waiter.resume()
        }
    }

    private func finish(lifecycle: Lifecycle, openFailure: StoreError?) {
        condition.lock()
        self.lifecycle = lifecycle
        self.openFailure = openFailure
        condition.broadcast()
        condition.unlock()
    }

    /// Runs `writes` as one group: one transaction, one commit.
    ///
    /// That is all, unless SQLite abandons the transaction midway: after `SQLITE_FULL` or an
    /// I/O error it may roll back all of it, not just the failing statement. Then the operation
    /// that failed fails, and the ones before it, which did nothing wrong, run again with the
    /// rest in a new transaction. Each round takes at least one operation out, so this ends.
    private func commitGroup(_ writes: ArraySlice<WriteJob>, on database: SQLiteDatabase) {
        var remaining = writes
        while !remaining.isEmpty {
            remaining = runTransaction(remaining, on: database)
        }
    }

    /// Runs writes in one transaction until they are done or one of them breaks the
    /// transaction; returns those still to run (none when the transaction committed or
    /// failed as a whole). Every job it does not return has been resolved.
    private func runTransaction(
        _ writes: ArraySlice<WriteJob>, on database: SQLiteDatabase
    ) -> ArraySlice<WriteJob> {
        do throws(StoreError) {
            try database.execute("BEGIN IMMEDIATE", operation: "begin a transaction")
        } catch {
            for write in writes { write.fail(error) }
            return []
        }

        var succeeded: [(write: WriteJob, completion: WriteJob.Completion)] = []
        var index = writes.startIndex
        while index < writes.endIndex {
            let write = writes[index]
            index += 1
            switch runInSavepoint(write, on: database) {
            case .succeeded(let completion):
                succeeded.append((write, completion))
            case .failedAlone:
                continue
            case .rolledBackByFailure:
                // The earlier operations were undone through no fault of their own: run them
                // again. Their completions from this round are dropped, never called.
                return ArraySlice(succeeded.map(\.write)) + writes[index...]
            case .brokeTransaction(let error):
                database.rollbackIfInTransaction()
                for (_, completion) in succeeded { completion(error) }
                return writes[index...]
            }
        }

        do throws(StoreError) {
            try database.execute("COMMIT", operation: "commit")
        } catch {
            // Nothing of the group is stored; all of it fails.
            database.rollbackIfInTransaction()
            for (_, completion) in succeeded { completion(error) }
            return []
        }

        condition.lock()
        counters.commits += 1
        counters.writes += succeeded.count
        condition.unlock()
        for (_, completion) in succeeded { completion(nil) }
        return []
    }

    private enum SavepointOutcome {
        /// Done; to be resumed with the commit outcome.
        case succeeded(WriteJob.Completion)
        /// Failed and rolled back alone; its caller has been resumed with the error.
        case failedAlone
        /// Failed, and SQLite rolled back the whole transaction because of it; its caller has
        /// been resumed with the error.
        case rolledBackByFailure
        /// Starting or ending the savepoint failed: the transaction is unusable. This job's
        /// caller has been resumed with the error; the others of the transaction still have to
        /// be.
        case brokeTransaction(StoreError)
    }

    private func runInSavepoint(_ write: WriteJob, on database: SQLiteDatabase) -> SavepointOutcome {
        do throws(StoreError) {
            try database.execute("SAVEPOINT operation", operation: "begin an operation")
        } catch {
            write.fail(error)
            return .brokeTransaction(error)
        }
        switch write.perform(database) {
        case .success(let completion):
            do throws(StoreError) {
                try database.execute("RELEASE operation", operation: "end an operation")
            } catch {
                completion(error)
                return .brokeTransaction(error)
            }
            return .succeeded(completion)
        case .failure(let error):
            write.fail(error)
            guard database.isInTransaction else {
                return .rolledBackByFailure
            }
            do throws(StoreError) {
                try database.execute("ROLLBACK TO operation", operation: "roll back an operation")
                try database.execute("RELEASE operation", operation: "end an operation")
            } catch {
                return .brokeTransaction(error)
            }
            return .failedAlone
        }
    }
}
