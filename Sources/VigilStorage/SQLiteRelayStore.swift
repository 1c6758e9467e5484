import VigilCrypto

/// The relay's embedded store: one SQLite database file.
///
/// - All SQLite work runs on one thread that the store owns; callers suspend, they never block
///   a thread of the Swift concurrency pool.
/// - Writes are group-committed: every write queued while the previous commit was on its way
///   to disk goes into the next transaction, each in a savepoint of its own, and that
///   transaction is committed (and fsynced, `synchronous=FULL` in WAL mode) once. A write
///   returns only after its group's commit is durable. When one operation fails (a full
///   mailbox, say) only it is rolled back and only its caller fails; when the commit fails,
///   every operation of the group fails and nothing of it is stored.
/// - The write-ahead log is copied into the database file on a second connection and thread
///   (``WALCheckpointer``), never inside a commit; see there for when, and for the bound on the
///   log's size.
/// - `secure_delete` is on: acknowledged, purged and deleted blobs are overwritten with zeros
///   in the database file, and ``purge(before:)`` and ``close()`` truncate the write-ahead log
///   after copying it into the database, so that old copies do not linger there either. (What
///   the file system or the disk keeps of overwritten blocks is beyond the store's reach.)
/// - The file is created 0600 (its directory 0700) and refused unless it is empty or a Vigil
///   relay database (`PRAGMA application_id`) of a schema version this build knows.
///
/// Dropping the store without ``close()`` still finishes the queued work and closes the
/// database on the store's thread, which then ends.
public final class SQLiteRelayStore: RelayStore {
    private let thread: DatabaseThread

    /// Opens the database at `path`, creating it (and its directory) if needed, and upgrades
    /// its schema. Blocks the calling thread until the database is open (the opening itself
    /// runs on the store's thread): call it at start-up, not per request.
    ///
    /// - Throws: ``StoreError/corrupted(_:)`` for a file that is not a SQLite database, is
    ///   damaged, belongs to another program, or was written by a newer version;
    ///   ``StoreError/storageFull``; ``StoreError/database(operation:code:)``.
    ///
    /// - Parameter checkpointFailureHandler: called, on the store's checkpoint thread, when
    ///   copying the write-ahead log into the database file in the background fails (a full
    ///   disk, an I/O error). Nothing is lost: the log keeps every commit, and the checkpoint
    ///   is retried later. The error names no mailbox, message or key.
    public init(
        path: String, checkpointFailureHandler: @escaping @Sendable (StoreError) -> Void = { _ in }
    ) throws(StoreError) {
        thread = try DatabaseThread.start(path: path, checkpointFailureHandler: checkpointFailureHandler)
    }

    /// A store whose checkpointer runs at other limits than a relay's, so that a test can see
    /// checkpoints after a few hundred pages.
    init(
        path: String, checkpointLimits: WALCheckpointer.Limits,
        checkpointFailureHandler: @escaping @Sendable (StoreError) -> Void
    ) throws(StoreError) {
        thread = try DatabaseThread.start(
            path: path, checkpointLimits: checkpointLimits, checkpointFailureHandler: checkpointFailureHandler)
    }

    deinit {
        thread.requestClose()
    }

    /// Commits and writes so far; see ``GroupCommitStatistics``.
    public var groupCommitStatistics: GroupCommitStatistics {
        thread.statistics
    }

    // MARK: RelayStore

    public func createMailbox(id: String, ownerKey: [UInt8], createdAt: UInt64) async throws(StoreError) {
        let createdAt = Int64(clamping: createdAt)
        try await thread.write { database throws(StoreError) in
            let inserted = try database.execute(
                SQL.insertMailbox, [.text(id), .blob(ownerKey), .integer(createdAt)], operation: "create a mailbox")
            guard inserted == 1 else { throw .mailboxExists }
        }
    }

    public func ownerKey(ofMailbox id: String) async throws(StoreError) -> [UInt8]? {
        try await thread.read { database throws(StoreError) in
            try database.firstRow(SQL.ownerKey, [.text(id)], operation: "look up a mailbox") { $0.blob(0) } ?? nil
        }
    }

    public func deposit(
        mailboxID: String, blob: [UInt8], receivedAt: UInt64, quota: MailboxQuota
    ) async throws(StoreError) -> DepositOutcome {
        // Hash on the caller's thread: the database thread only does database work.
        let digest = BLAKE2b.hash(blob, outputByteCount: 32)
        let receivedAt = Int64(clamping: receivedAt)
        return try await thread.write { database throws(StoreError) in
            let operation = "deposit a message"
            guard let (blobs, bytes) = try database.firstRow(
                SQL.pendingTotals, [.text(mailboxID)], operation: operation, { ($0.int64(0), $0.int64(1)) })
            else { throw .mailboxNotFound }

            if let id = try database.firstRow(
                SQL.messageWithDigest, [.text(mailboxID), .blob(digest)], operation: operation, { $0.int64(0) })
            {
                return .duplicate(id: id)
            }

            guard blobs < Int64(clamping: quota.maxBlobs),
                bytes + Int64(blob.count) <= Int64(clamping: quota.maxBytes)
            else { throw .quotaExceeded }

            try database.execute(
                SQL.insertMessage, [.text(mailboxID), .blob(digest), .integer(receivedAt), .blob(blob)],
                operation: operation)
            return .stored(id: database.lastInsertRowID)
        }
    }

    public func pending(mailboxID: String, after: Int64, limit: Int) async throws(StoreError) -> (messages: [StoredMessage], more: Bool) {
        let limit = max(0, min(limit, Int(Int32.max)))
        // One row beyond the limit tells whether there are more.
        let messages = try await thread.read { database throws(StoreError) in
            try database.rows(
                SQL.pending, [.text(mailboxID), .integer(after), .integer(Int64(limit) + 1)],
                operation: "fetch messages"
            ) { row in
                StoredMessage(id: row.int64(0), receivedAt: UInt64(clamping: row.int64(1)), blob: row.blob(2) ?? [])
            }
        }
        return (Array(messages.prefix(limit)), messages.count > limit)
    }

    public func acknowledge(mailboxID: String, ids: [Int64], at time: UInt64) async throws(StoreError) -> Int {
        guard !ids.isEmpty else {
            try thread.checkOpen()
            return 0
        }
        let time = Int64(clamping: time)
        let ids = Set(ids)
        return try await thread.write { database throws(StoreError) in
            var acknowledged = 0
            for id in ids {
                acknowledged += try database.execute(
                    SQL.acknowledge, [.integer(time), .text(mailboxID), .integer(id)],
                    operation: "acknowledge a message")
            }
            return acknowledged
        }
    }

    public func deleteMailbox(id: String) async throws(StoreError) -> Bool {
        try await thread.write { database throws(StoreError) in
            try database.execute(SQL.deleteMailbox, [.text(id)], operation: "delete a mailbox") == 1
        }
    }

    public func purge(before cutoff: UInt64) async throws(StoreError) -> Int {
        let cutoff = Int64(clamping: cutoff)
        let purged = try await thread.write { database throws(StoreError) in
            let blobs = try database.execute(SQL.purgeBlobs, [.integer(cutoff)], operation: "purge expired messages")
            try database.execute(SQL.purgeDigests, [.integer(cutoff)], operation: "purge expired digests")
            return blobs
        }
        // Between groups, outside a transaction: copy the log into the database file and
        // truncate it, so that deleted content does not stay in old log frames.
        try await thread.truncateLog()
        return purged
    }

    public func statistics() async throws(StoreError) -> StoreStatistics {
        try await thread.read { database throws(StoreError) in
            let (mailboxes, blobs, bytes, timers) = try database.firstRow(SQL.statistics, operation: "count stored messages") {
                (Int($0.int64(0)), Int($0.int64(1)), Int($0.int64(2)), Int($0.int64(3)))
            } ?? (0, 0, 0, 0)
            return StoreStatistics(mailboxes: mailboxes, blobs: blobs, bytes: bytes, timers: timers)
        }
    }

    // MARK: Timers

    public func armTimer(
        id: String, timerKey: [UInt8], deadline: UInt64, blobs: [TimerBlob], createdAt: UInt64, maxTimers: Int
    ) async throws(StoreError) -> Bool {
        let bundle = Self.prepare(blobs)
        let deadline = Int64(clamping: deadline)
        let createdAt = Int64(clamping: createdAt)
        let maxTimers = Int64(clamping: maxTimers)
        return try await thread.write { database throws(StoreError) in
            let operation = "arm a timer"
            let armed = try database.firstRow(SQL.timerCount, operation: operation) { $0.int64(0) } ?? 0
            guard armed < maxTimers else { throw .tooManyTimers }
            guard try database.execute(
                SQL.insertTimer, [.text(id), .blob(timerKey), .integer(deadline), .integer(createdAt)],
                operation: operation) == 1
            else { return false }
            try Self.insert(bundle, timerID: id, database, operation: operation)
            return true
        }
    }

    public func timerKey(of id: String) async throws(StoreError) -> [UInt8]? {
        try await thread.read { database throws(StoreError) in
            try database.firstRow(SQL.timerKey, [.text(id)], operation: "look up a timer") { $0.blob(0) } ?? nil
        }
    }

    public func renewTimer(id: String, deadline: UInt64, blobs: [TimerBlob]?, now: UInt64) async throws(StoreError) -> Bool {
        let bundle = blobs.map(Self.prepare)
        let deadline = Int64(clamping: deadline)
        let now = Int64(clamping: now)
        return try await thread.write { database throws(StoreError) in
            let operation = "renew a timer"
            guard try database.execute(
                SQL.renewTimer, [.integer(deadline), .text(id), .integer(now)], operation: operation) == 1
            else { return false }
            if let bundle {
                try database.execute(SQL.deleteTimerBlobs, [.text(id)], operation: operation)
                try Self.insert(bundle, timerID: id, database, operation: operation)
            }
            return true
        }
    }

    public func disarmTimer(id: String, now: UInt64) async throws(StoreError) -> Bool {
        let now = Int64(clamping: now)
        return try await thread.write { database throws(StoreError) in
            // Its bundle goes with it (ON DELETE CASCADE), overwritten on disk (secure_delete).
            try database.execute(SQL.disarmTimer, [.text(id), .integer(now)], operation: "disarm a timer") == 1
        }
    }

    public func timerStatus(id: String, now: UInt64) async throws(StoreError) -> TimerStatus? {
        let now = Int64(clamping: now)
        return try await thread.read { database throws(StoreError) in
            try database.firstRow(SQL.timerStatus, [.text(id), .integer(now)], operation: "look up a timer") {
                TimerStatus(deadline: UInt64(clamping: $0.int64(0)), blobs: Int($0.int64(1)))
            }
        }
    }

    public func fireDueTimers(now: UInt64, limit: Int) async throws(StoreError) -> FiredTimers {
        let now = Int64(clamping: now)
        let limit = Int64(max(0, min(limit, Int(Int32.max))))
        return try await thread.write { database throws(StoreError) in
            let operation = "fire due timers"
            let due = try database.rows(SQL.dueTimers, [.integer(now), .integer(limit)], operation: operation) {
                $0.text(0) ?? ""
            }
            var woken: [String] = []
            var seen: Set<String> = []
            var delivered = 0
            for timerID in due {
                let bundle = try database.rows(SQL.timerBlobs, [.text(timerID)], operation: operation) {
                    PreparedBlob(mailboxID: $0.text(0) ?? "", digest: $0.blob(1) ?? [], blob: $0.blob(2) ?? [])
                }
                for item in bundle {
                    // A mailbox deleted since arming: its owner asked for nothing more to be kept.
                    guard try database.firstRow(SQL.mailboxExists, [.text(item.mailboxID)], operation: operation, { _ in true }) != nil
                    else { continue }
                    // The same bytes already in the mailbox (or acknowledged there): delivered.
                    guard try database.firstRow(
                        SQL.messageWithDigest, [.text(item.mailboxID), .blob(item.digest)], operation: operation, { _ in true }) == nil
                    else { continue }
                    try database.execute(
                        SQL.insertMessage, [.text(item.mailboxID), .blob(item.digest), .integer(now), .blob(item.blob)],
                        operation: operation)
                    delivered += 1
                    if seen.insert(item.mailboxID).inserted { woken.append(item.mailboxID) }
                }
                // In the same transaction as the deliveries: delivered exactly once.
                try database.execute(SQL.deleteTimer, [.text(timerID)], operation: operation)
            }
            return FiredTimers(timers: due.count, deliveredBlobs: delivered, mailboxIDs: woken)
        }
    }

    public func nextTimerDeadline() async throws(StoreError) -> UInt64? {
        try await thread.read { database throws(StoreError) in
            try database.firstRow(SQL.nextTimerDeadline, operation: "look up the next timer deadline") { row -> UInt64? in
                row.isNull(0) ? nil : UInt64(clamping: row.int64(0))
            } ?? nil
        }
    }

    /// A bundle blob with its digest, hashed on the caller's thread.
    private struct PreparedBlob: Sendable {
        var mailboxID: String
        var digest: [UInt8]
        var blob: [UInt8]
    }

    private static func prepare(_ blobs: [TimerBlob]) -> [PreparedBlob] {
        blobs.map { PreparedBlob(mailboxID: $0.mailboxID, digest: BLAKE2b.hash($0.blob, outputByteCount: 32), blob: $0.blob) }
    }

    /// Stores a timer's bundle, in order; every target mailbox must exist.
    private static func insert(
        _ bundle: [PreparedBlob], timerID: String, _ database: SQLiteDatabase, operation: String
    ) throws(StoreError) {
        for item in bundle {
            guard try database.firstRow(SQL.mailboxExists, [.text(item.mailboxID)], operation: operation, { _ in true }) != nil
            else { throw .mailboxNotFound }
            try database.execute(
                SQL.insertTimerBlob, [.text(timerID), .text(item.mailboxID), .blob(item.digest), .blob(item.blob)],
                operation: operation)
        }
    }

    public func close() async {
        await thread.close()
    }

    /// For the testing hooks in another file.
    var databaseThread: DatabaseThread { thread }
}

/// The store's statements. Each is prepared once and cached by the connection.
private enum SQL {
    static let insertMailbox = """
        INSERT INTO mailboxes (id, owner_key, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING
        """
    static let ownerKey = "SELECT owner_key FROM mailboxes WHERE id = ?1"
    /// Pending or acknowledged: either way the deposit is a repeat.
    static let messageWithDigest = "SELECT id FROM messages WHERE mailbox_id = ?1 AND digest = ?2"
    /// No row: no such mailbox.
    static let pendingTotals = "SELECT pending_blobs, pending_bytes FROM mailboxes WHERE id = ?1"
    static let insertMessage = """
        INSERT INTO messages (mailbox_id, digest, received_at, blob) VALUES (?1, ?2, ?3, ?4)
        """
    static let pending = """
        SELECT id, received_at, blob FROM messages
        WHERE mailbox_id = ?1 AND blob IS NOT NULL AND id > ?2 ORDER BY id LIMIT ?3
        """
    /// Keeps only the digest (a tombstone), so that a retried deposit is still recognised.
    static let acknowledge = """
        UPDATE messages SET blob = NULL, acknowledged_at = ?1 WHERE mailbox_id = ?2 AND id = ?3 AND blob IS NOT NULL
        """
    /// Its messages go with it (ON DELETE CASCADE).
    static let deleteMailbox = "DELETE FROM mailboxes WHERE id = ?1"
    static let purgeBlobs = "DELETE FROM messages WHERE blob IS NOT NULL AND received_at < ?1"
    static let purgeDigests = "DELETE FROM messages WHERE blob IS NULL AND acknowledged_at < ?1"
    static let statistics = """
        SELECT count(*), coalesce(sum(pending_blobs), 0), coalesce(sum(pending_bytes), 0),
            (SELECT count(*) FROM timers) FROM mailboxes
        """
    static let mailboxExists = "SELECT 1 FROM mailboxes WHERE id = ?1"
    static let timerCount = "SELECT count(*) FROM timers"
    static let insertTimer = """
        INSERT INTO timers (id, timer_key, deadline, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (id) DO NOTHING
        """
    static let insertTimerBlob = """
        INSERT INTO timer_blobs (timer_id, mailbox_id, digest, blob) VALUES (?1, ?2, ?3, ?4)
        """
    static let timerKey = "SELECT timer_key FROM timers WHERE id = ?1"
    /// A timer whose deadline has passed is due: it fires, and cannot be renewed or disarmed.
    static let renewTimer = "UPDATE timers SET deadline = ?1 WHERE id = ?2 AND deadline > ?3"
    static let deleteTimerBlobs = "DELETE FROM timer_blobs WHERE timer_id = ?1"
    static let disarmTimer = "DELETE FROM timers WHERE id = ?1 AND deadline > ?2"
    static let timerStatus = """
        SELECT deadline, (SELECT count(*) FROM timer_blobs WHERE timer_id = ?1) FROM timers
        WHERE id = ?1 AND deadline > ?2
        """
    static let dueTimers = "SELECT id FROM timers WHERE deadline <= ?1 ORDER BY deadline, id LIMIT ?2"
    static let timerBlobs = "SELECT mailbox_id, digest, blob FROM timer_blobs WHERE timer_id = ?1 ORDER BY id"
    /// Its bundle goes with it (ON DELETE CASCADE).
    static let deleteTimer = "DELETE FROM timers WHERE id = ?1"
    static let nextTimerDeadline = "SELECT min(deadline) FROM timers"
}
