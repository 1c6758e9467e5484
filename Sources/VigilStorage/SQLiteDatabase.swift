internal import CSQLite

/// One connection to a SQLite database file.
///
/// A small wrapper of our own so that the rest of the module never sees C types and every
/// failure takes one path to a ``StoreError`` (``error(code:operation:)``). Errors name the
/// operation and SQLite's extended result code, never a bound value: no blob, key or mailbox ID
/// can end up in a log through them.
///
/// Not thread-safe: the store's database thread opens, uses and closes it, and nothing else
/// touches it.
final class SQLiteDatabase {
    /// Flags for `sqlite3_open_v2`.
    struct OpenFlags: OptionSet {
        let rawValue: Int32

        static let readWrite = OpenFlags(rawValue: SQLITE_OPEN_READWRITE)
        static let create = OpenFlags(rawValue: SQLITE_OPEN_CREATE)
        /// One thread uses the connection at a time, so it needs no mutex of its own.
        static let noMutex = OpenFlags(rawValue: SQLITE_OPEN_NOMUTEX)
        /// Errors carry extended result codes (`SQLITE_IOERR_FSYNC`, not just `SQLITE_IOERR`),
        /// from the open call on.
        static let extendedResultCodes = OpenFlags(rawValue: SQLITE_OPEN_EXRESCODE)
    }

    private var handle: OpaquePointer?
    /// Prepared statements for the hot paths, by SQL text.
    private var cache: [String: SQLiteStatement] = [:]
    /// What ``setWriteAheadLogHook(_:)`` installed.
    private var logHook: LogHookBox?

    init(path: String, flags: OpenFlags) throws(StoreError) {
        var handle: OpaquePointer?
        let code = sqlite3_open_v2(path, &handle, flags.rawValue, nil)
        guard code == SQLITE_OK, let handle else {
            // SQLite returns a handle even when opening fails; it must be closed.
            sqlite3_close_v2(handle)
            throw Self.error(code: code, operation: "open the database")
        }
        self.handle = handle
        sqlite3_extended_result_codes(handle, 1)
        // Only the store's own thread writes, but an operator's backup tool might hold a lock
        // for a moment; wait for it rather than fail at once.
        sqlite3_busy_timeout(handle, 5_000)
    }

    deinit {
        close()
    }

    /// How long a statement or checkpoint waits for a lock another connection holds before it
    /// fails with `SQLITE_BUSY` (5 s unless set).
    func setBusyTimeout(milliseconds: Int) {
        guard let handle else { return }
        sqlite3_busy_timeout(handle, Int32(clamping: milliseconds))
    }

    /// The one mapping from SQLite result codes to ``StoreError``.
    ///
    /// A full disk (or a full database size limit) is ``StoreError/storageFull``; a damaged
    /// file or one that is not a database is ``StoreError/corrupted(_:)``; anything else is
    /// ``StoreError/database(operation:code:)`` with the extended code.
    static func error(code: Int32, operation: String) -> StoreError {
        switch code & 0xFF {
        case SQLITE_FULL:
            return .storageFull
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            return .corrupted(
                "the database file is damaged or is not a SQLite database (SQLite code \(code) while trying to \(operation)); restore it from a backup or move it aside")
        default:
            return .database(operation: operation, code: code)
        }
    }

    // MARK: Running statements

    /// Runs one or more statements without parameters or results (schema, pragmas that
    /// change a setting, transaction control).
    func executeScript(_ sql: String, operation: String) throws(StoreError) {
        let code = sqlite3_exec(try connection(operation), sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw Self.error(code: code, operation: operation) }
    }

    /// Runs a cached statement with `bindings` that returns no rows, and answers how many rows
    /// it inserted, changed or deleted (not counting foreign-key cascades).
    @discardableResult
    func execute(_ sql: String, _ bindings: [SQLiteValue] = [], operation: String) throws(StoreError) -> Int {
        try withStatement(sql, bindings, operation: operation) { statement throws(StoreError) in
            while try statement.step(operation: operation) != nil {}
        }
        return Int(sqlite3_changes64(handle))
    }

    /// Runs a cached statement with `bindings` and transforms each result row.
    func rows<T>(
        _ sql: String, _ bindings: [SQLiteValue] = [], operation: String, _ transform: (SQLiteRow) -> T
    ) throws(StoreError) -> [T] {
        try withStatement(sql, bindings, operation: operation) { statement throws(StoreError) in
            var results: [T] = []
            while let row = try statement.step(operation: operation) {
                results.append(transform(row))
            }
            return results
        }
    }

    /// Runs a cached statement with `bindings` and transforms its first row; nil when there is
    /// none.
    func firstRow<T>(
        _ sql: String, _ bindings: [SQLiteValue] = [], operation: String, _ transform: (SQLiteRow) -> T
    ) throws(StoreError) -> T? {
        try withStatement(sql, bindings, operation: operation) { statement throws(StoreError) in
            try statement.step(operation: operation).map(transform)
        }
    }

    /// The cached statement for `sql`, bound, handed to `body`, and reset afterwards whatever
    /// happens, so that it holds no read snapshot and no bound values between uses.
    private func withStatement<T>(
        _ sql: String, _ bindings: [SQLiteValue], operation: String,
        _ body: (SQLiteStatement) throws(StoreError) -> T
    ) throws(StoreError) -> T {
        let statement: SQLiteStatement
        if let cached = cache[sql] {
            statement = cached
        } else {
            statement = try SQLiteStatement(
                database: try connection(operation), sql: sql, persistent: true, operation: operation)
            cache[sql] = statement
        }
        defer { statement.reset() }
        try statement.bind(bindings, operation: operation)
        return try body(statement)
    }

    // MARK: State

    /// The row ID of the last successful insert on this connection.
    var lastInsertRowID: Int64 {
        sqlite3_last_insert_rowid(handle)
    }

    /// True while a transaction is open. SQLite ends a transaction by itself after some errors
    /// (`SQLITE_FULL`, `SQLITE_IOERR`, `SQLITE_NOMEM`, `SQLITE_BUSY`), rolling back all of it.
    var isInTransaction: Bool {
        guard let handle else { return false }
        return sqlite3_get_autocommit(handle) == 0
    }

    /// Rolls back the open transaction, if SQLite has not already done so. A failure here
    /// leaves nothing to do: SQLite rolls back an unfinished transaction when the connection
    /// closes, and the next BEGIN reports a connection that is still stuck.
    func rollbackIfInTransaction() {
        if isInTransaction {
            _ = try? execute("ROLLBACK", operation: "roll back a transaction")
        }
    }

    /// How much a checkpoint waits for, from `sqlite3_wal_checkpoint_v2`.
    enum CheckpointMode {
        /// Copies what it can without waiting for the writer or readers.
        case passive
        /// Waits (up to the busy timeout) for the writer and for readers, copies everything, and
        /// makes the next transaction write the log from its start again.
        case restart
        /// As ``restart``, and truncates the log file to zero bytes.
        case truncate

        fileprivate var rawValue: Int32 {
            switch self {
            case .passive: SQLITE_CHECKPOINT_PASSIVE
            case .restart: SQLITE_CHECKPOINT_RESTART
            case .truncate: SQLITE_CHECKPOINT_TRUNCATE
            }
        }
    }

    /// A checkpoint's outcome, in pages (log frames).
    struct CheckpointResult: Equatable {
        /// Frames in the log.
        var logPages: Int
        /// Frames of those now copied into the database file.
        var checkpointedPages: Int
    }

    /// Copies the write-ahead log into the database file and truncates the log to zero bytes,
    /// so that overwritten (deleted) content no longer lingers in the log.
    func checkpoint() throws(StoreError) {
        _ = try checkpoint(mode: .truncate)
    }

    /// Copies the write-ahead log into the database file as far as `mode` allows.
    ///
    /// `SQLITE_BUSY` (another connection is checkpointing, or a reader or the writer did not
    /// let go within the busy timeout) is thrown like any other failure; the log is then
    /// copied as far as a passive checkpoint could.
    func checkpoint(mode: CheckpointMode) throws(StoreError) -> CheckpointResult {
        let operation = "checkpoint the write-ahead log"
        var logPages: Int32 = 0
        var checkpointedPages: Int32 = 0
        let code = sqlite3_wal_checkpoint_v2(
            try connection(operation), nil, mode.rawValue, &logPages, &checkpointedPages)
        guard code == SQLITE_OK else { throw Self.error(code: code, operation: operation) }
        return CheckpointResult(logPages: Int(logPages), checkpointedPages: Int(checkpointedPages))
    }

    /// Calls `hook` on this connection's thread after every commit, with the number of pages
    /// now in the write-ahead log. Replaces SQLite's automatic checkpoint (as does
    /// `PRAGMA wal_autocheckpoint`, which must therefore not be set afterwards). Nil removes it.
    func setWriteAheadLogHook(_ hook: ((Int) -> Void)?) {
        guard let handle else { return }
        guard let hook else {
            sqlite3_wal_hook(handle, nil, nil)
            logHook = nil
            return
        }
        let box = LogHookBox(hook)
        // The connection keeps the box alive for as long as SQLite holds a pointer to it.
        logHook = box
        sqlite3_wal_hook(
            handle,
            { context, _, _, pages in
                guard let context else { return SQLITE_OK }
                Unmanaged<LogHookBox>.fromOpaque(context).takeUnretainedValue().hook(Int(pages))
                return SQLITE_OK
            },
            Unmanaged.passUnretained(box).toOpaque())
    }

    /// Finalizes every cached statement and closes the connection. Safe to call more than
    /// once; later calls to anything else fail.
    func close() {
        setWriteAheadLogHook(nil)
        for statement in cache.values {
            statement.finalize()
        }
        cache.removeAll()
        if let handle {
            // All our statements are finalized, so this closes at once.
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    private func connection(_ operation: String) throws(StoreError) -> OpaquePointer {
        guard let handle else { throw .closed }
        return handle
    }
}

/// The closure behind a connection's write-ahead log hook, for SQLite's context pointer.
private final class LogHookBox {
    let hook: (Int) -> Void

    init(_ hook: @escaping (Int) -> Void) {
        self.hook = hook
    }
}
