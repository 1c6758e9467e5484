internal import CSQLite

/// The current result row of a statement, read by column index (0-based).
struct SQLiteRow {
    /// Valid only until the statement steps again or is reset.
    let statement: OpaquePointer

    func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(statement, column)
    }

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(statement, column) == SQLITE_NULL
    }

    /// The column's bytes; nil when it is NULL.
    func blob(_ column: Int32) -> [UInt8]? {
        if isNull(column) { return nil }
        // sqlite3_column_blob first, then sqlite3_column_bytes, as SQLite documents.
        guard let pointer = sqlite3_column_blob(statement, column) else { return [] }
        let count = Int(sqlite3_column_bytes(statement, column))
        return [UInt8](UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// The column as UTF-8 text; nil when it is NULL.
    func text(_ column: Int32) -> String? {
        if isNull(column) { return nil }
        guard let pointer = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }
}
