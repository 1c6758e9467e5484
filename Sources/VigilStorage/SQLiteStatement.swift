internal import CSQLite

/// A prepared statement of a ``SQLiteDatabase``.
///
/// Not thread-safe, like its database. A statement is either cached by the database and reused
/// (reset after every use) or used once; the database finalizes every cached statement when it
/// closes.
final class SQLiteStatement {
    /// SQLite's `SQLITE_TRANSIENT`: SQLite copies bound text and blobs before the bind returns,
    /// so Swift buffers only need to live for the call. The C macro does not import into Swift.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private var handle: OpaquePointer?

    /// Prepares `sql` (exactly one statement). `persistent` tells SQLite the statement will be
    /// reused many times.
    init(database: OpaquePointer, sql: String, persistent: Bool, operation: String) throws(StoreError) {
        var handle: OpaquePointer?
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let code = sqlite3_prepare_v3(database, sql, -1, flags, &handle, nil)
        guard code == SQLITE_OK, let handle else {
            sqlite3_finalize(handle)
            throw SQLiteDatabase.error(code: code, operation: operation)
        }
        self.handle = handle
    }

    deinit {
        finalize()
    }

    /// Binds `values` to parameters 1, 2, … in order.
    func bind(_ values: [SQLiteValue], operation: String) throws(StoreError) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .integer(let integer):
                code = sqlite3_bind_int64(handle, index, integer)
            case .text(let text):
                code = sqlite3_bind_text(handle, index, text, Int32(text.utf8.count), Self.transient)
            case .blob(let bytes) where bytes.isEmpty:
                // A nil pointer would bind NULL; an empty blob is a zero-length blob, not NULL.
                code = sqlite3_bind_zeroblob(handle, index, 0)
            case .blob(let bytes):
                code = bytes.withUnsafeBytes { buffer in
                    sqlite3_bind_blob(handle, index, buffer.baseAddress, Int32(buffer.count), Self.transient)
                }
            case .null:
                code = sqlite3_bind_null(handle, index)
            }
            guard code == SQLITE_OK else { throw SQLiteDatabase.error(code: code, operation: operation) }
        }
    }

    /// Steps once: a row when one is available, nil when the statement has finished.
    ///
    /// The row is valid until the next call on this statement.
    func step(operation: String) throws(StoreError) -> SQLiteRow? {
        guard let handle else { throw SQLiteDatabase.error(code: SQLITE_MISUSE, operation: operation) }
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return SQLiteRow(statement: handle)
        case SQLITE_DONE: return nil
        case let code: throw SQLiteDatabase.error(code: code, operation: operation)
        }
    }

    /// Makes the statement ready for its next use: ends its read of the database and clears
    /// its bindings, so that no copy of a bound blob stays in SQLite's memory.
    func reset() {
        // sqlite3_reset repeats the error of the last step, which step already reported.
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Releases the statement. Safe to call more than once.
    func finalize() {
        if let handle {
            sqlite3_finalize(handle)
            self.handle = nil
        }
    }
}
