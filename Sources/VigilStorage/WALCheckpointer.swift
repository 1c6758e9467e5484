import Foundation

/// Copies the write-ahead log into the database file from a connection and a thread of its own,
/// so that the writer's COMMIT costs one fsync of the log and never a checkpoint.
///
/// - The writer connection has `wal_autocheckpoint=0` and reports, after every commit, how
///   many pages the log holds (``logDidGrow(toPages:)``). While the log holds at least
///   ``Limits/passiveAfter`` pages and not all of them are copied, this thread runs a PASSIVE
///   checkpoint, at most every ``Limits/passiveInterval``: it copies what no reader still needs
///   and never waits for the writer. After one that copied everything, the writer's next
///   transaction starts the log over.
/// - A passive checkpoint lets the log start over only if no commit came in while it ran, which
///   under steady load may not happen. So the writer stops, between two groups (its callers
///   already answered), and waits for a RESTART checkpoint that makes its next transaction
///   write the log from its start again: as soon as passive checkpoints have copied all but
///   ``Limits/restartBacklog`` pages (a wait of a few milliseconds), and whatever is left at
///   ``Limits/restartAt`` pages (under heavy load, where a passive checkpoint never ends that
///   close to the end of the log). That bounds the -wal file unless a reader outside the relay
///   holds an old snapshot; then the RESTART gives up after the busy timeout, and the writer
///   waits again only when the log has started over or grown by as many pages more.
/// - Durability is the writer's: a commit is on disk when COMMIT returns. A failed checkpoint
///   (a full disk, an I/O error) loses nothing, since the log keeps everything; it is reported
///   (``failureHandler``, without identifiers) and retried later, backing off up to 30 s.
final class WALCheckpointer: @unchecked Sendable {
    /// When checkpoints run.
    struct Limits: Sendable {
        /// Pages in the log from which passive checkpoints run.
        var passiveAfter: Int
        /// The least time from the start of one passive checkpoint to the start of the next.
        var passiveInterval: TimeInterval
        /// Pages in the log at which the writer waits for a RESTART checkpoint.
        var restartAt: Int
        /// Pages not yet copied that the writer waits for, so that the log starts over, when
        /// passive checkpoints have copied all the rest (see ``WALCheckpointer/logDidGrow(toPages:)``).
        var restartBacklog: Int
        /// How long a RESTART or TRUNCATE checkpoint waits for readers and the writer.
        var busyTimeoutMilliseconds: Int

        /// 4 MiB, 0.2 s and 256 MiB of log with 4 KiB pages.
        ///
        /// Each checkpoint costs two fsyncs whatever its size, and its flush of the database
        /// file slows the writer's fsyncs meanwhile; so under heavy load checkpoints are paced
        /// to five a second, each larger, and under ordinary load one runs after every 4 MiB
        /// of log, as SQLite's automatic checkpoint would, so that freeing about that much room
        /// on a full disk is enough to fold the log into the database.
        ///
        /// A RESTART stops the writer for tens of milliseconds, so it should come rarely: under
        /// sustained load (some 30,000 pages a second at 18,000 deposits a second of 4 KiB)
        /// passive checkpoints never let the log start over by themselves, and 65,536 pages
        /// means one RESTART every two seconds or so. Under ordinary load the log starts over
        /// after each passive checkpoint.
        static let `default` = Limits(
            passiveAfter: 1_024, passiveInterval: 0.2, restartAt: 65_536, restartBacklog: 256,
            busyTimeoutMilliseconds: 5_000)
    }

    /// Checkpoints so far (for tests).
    struct Counts: Sendable, Equatable {
        var passive = 0
        /// RESTART and TRUNCATE checkpoints.
        var restart = 0
        var failed = 0
    }

    private let limits: Limits
    private let failureHandler: @Sendable (StoreError) -> Void
    /// Used only on this object's thread, and by ``stop()`` after that thread has ended.
    private var database: SQLiteDatabase?

    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    /// Pages in the log after the writer's last commit.
    private var logPages = 0
    /// Counts up each time the log starts over, so that a checkpoint that began before knows its
    /// figures are stale.
    private var logGeneration = 0
    /// Pages of this generation of the log already copied into the database file.
    private var checkpointedPages = 0
    /// Pages in the log at which the writer waits for a RESTART.
    private var restartThreshold: Int
    /// A blocking checkpoint the database thread asked for, and its outcome once done.
    private var request: SQLiteDatabase.CheckpointMode?
    private var requestOutcome: Result<SQLiteDatabase.CheckpointResult, StoreError>?
    /// After a failed passive checkpoint: none before this time.
    /// No passive checkpoint before this time: pacing, or backing off after a failure.
    private var passiveNotBefore: Date?
    private var failureBackoff: TimeInterval = 0
    private var stopping = false
    private var exited = false
    private var counts = Counts()
    /// A passive checkpoint is running.
    private var passiveRunning = false
    /// A RESTART for a short backlog failed in this generation of the log: no more of those.
    private var shortRestartFailed = false

    /// Opens the checkpoint connection to the database at `path`, which the writer already
    /// has open, and starts the thread.
    static func start(
        path: String, limits: Limits, failureHandler: @escaping @Sendable (StoreError) -> Void
    ) throws(StoreError) -> WALCheckpointer {
        let database = try RelaySchema.openCheckpointConnection(path: path)
        database.setBusyTimeout(milliseconds: limits.busyTimeoutMilliseconds)
        let checkpointer = WALCheckpointer(database: database, limits: limits, failureHandler: failureHandler)
        let thread = Thread { checkpointer.main() }
        thread.start()
        return checkpointer
    }

    private init(
        database: SQLiteDatabase, limits: Limits, failureHandler: @escaping @Sendable (StoreError) -> Void
    ) {
        self.database = database
        self.limits = limits
        self.failureHandler = failureHandler
        self.restartThreshold = limits.restartAt
    }

    // MARK: The writer's side (the database thread)

    /// The writer's log hook: the log now holds `pages` pages. Wakes the thread when a passive
    /// checkpoint is due; returns true when the writer should wait for a RESTART
    /// (``restartLog()``) before its next transaction.
    func logDidGrow(toPages pages: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if pages < logPages {
            // The log started over.
            logGeneration += 1
            checkpointedPages = 0
            restartThreshold = limits.restartAt
            shortRestartFailed = false
        }
        logPages = pages
        if passiveCheckpointDue {
            condition.broadcast()
        }
        // Under a steady trickle of commits some usually land while a passive checkpoint runs,
        // and the log never starts over by itself; once passive checkpoints have copied all but
        // a short stretch, the writer waits for that stretch (a few milliseconds) instead.
        let shortRestart = pages >= limits.passiveAfter && checkpointedPages > 0 && !passiveRunning
            && !shortRestartFailed && pages - checkpointedPages <= limits.restartBacklog
        return shortRestart || pages >= restartThreshold
    }

    /// Blocks until a RESTART checkpoint has run, so that the next transaction starts the log
    /// over. When it fails, the writer goes on: no more RESTARTs for a short backlog until the
    /// log starts over, and the one at the limit only after as many pages more. Call it between
    /// transactions.
    func restartLog() {
        let outcome = run(.restart)
        if case .failure = outcome {
            condition.lock()
            if logPages >= restartThreshold {
                restartThreshold = logPages + limits.restartAt
            }
            shortRestartFailed = true
            condition.unlock()
        }
    }

    /// Blocks until a TRUNCATE checkpoint has run: the whole log is in the database file and
    /// the -wal file is empty. Call it between transactions.
    func truncateLog() throws(StoreError) {
        _ = try run(.truncate).get()
    }

    /// Ends the thread and closes its connection; returns when that is done. Checkpoints
    /// asked for afterwards fail with ``StoreError/closed``.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !exited {
            condition.wait()
        }
        condition.unlock()
    }

    var checkpointCounts: Counts {
        condition.lock()
        defer { condition.unlock() }
        return counts
    }

    private func run(_ mode: SQLiteDatabase.CheckpointMode) -> Result<SQLiteDatabase.CheckpointResult, StoreError> {
        condition.lock()
        defer { condition.unlock() }
        guard !exited, !stopping else { return .failure(.closed) }
        request = mode
        requestOutcome = nil
        condition.broadcast()
        while requestOutcome == nil && !exited {
            condition.wait()
        }
        let outcome = requestOutcome ?? .failure(.closed)
        requestOutcome = nil
        return outcome
    }

    // MARK: The thread

    /// Guarded by `condition`.
    private var passiveCheckpointDue: Bool {
        passiveCheckpointWanted && (passiveNotBefore.map { $0 <= Date() } ?? true)
    }

    /// Guarded by `condition`. The log has ``Limits/passiveAfter`` pages and some are not
    /// copied yet. Not "that many pages uncopied": a checkpoint during which a commit came in
    /// leaves the log unable to start over, and the next one, a short one, soon after, is what
    /// lets it (at the next transaction after a checkpoint that copied everything).
    private var passiveCheckpointWanted: Bool {
        logPages >= limits.passiveAfter && logPages > checkpointedPages
    }

    private func main() {
        setCurrentThreadName("vigil-wal-ckpt")
        condition.lock()
        while true {
            while !stopping && request == nil && !passiveCheckpointDue {
                if let passiveNotBefore, passiveCheckpointWanted {
                    _ = condition.wait(until: passiveNotBefore)
                } else {
                    condition.wait()
                }
            }
            if stopping { break }
            let requested = request
            request = nil
            let mode = requested ?? .passive
            let generation = logGeneration
            if requested == nil {
                passiveNotBefore = Date(timeIntervalSinceNow: limits.passiveInterval)
            }
            passiveRunning = requested == nil
            condition.unlock()

            let outcome: Result<SQLiteDatabase.CheckpointResult, StoreError>
            if let database {
                do throws(StoreError) {
                    outcome = .success(try database.checkpoint(mode: mode))
                } catch {
                    outcome = .failure(error)
                }
            } else {
                outcome = .failure(.closed)
            }

            condition.lock()
            passiveRunning = false
            switch outcome {
            case .success(let result):
                switch mode {
                case .passive: counts.passive += 1
                case .restart, .truncate: counts.restart += 1
                }
                if generation == logGeneration {
                    checkpointedPages = result.checkpointedPages
                }
                failureBackoff = 0
            case .failure:
                counts.failed += 1
                if requested == nil {
                    // Passive: try again later rather than at the next commit.
                    failureBackoff = min(max(failureBackoff * 2, 1), 30)
                    passiveNotBefore = Date(timeIntervalSinceNow: failureBackoff)
                }
            }
            if requested != nil {
                requestOutcome = outcome
                condition.broadcast()
            }
            condition.unlock()
            // A failed TRUNCATE is its caller's to report.
            if case .failure(let error) = outcome, mode != .truncate {
                failureHandler(error)
            }
            condition.lock()
        }
        database?.close()
        database = nil
        exited = true
        condition.broadcast()
        condition.unlock()
    }
}
