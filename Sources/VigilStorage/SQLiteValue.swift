/// A value bound to a statement parameter. Our own type, so that callers never see SQLite's C
/// API; the three kinds the relay's schema uses, and NULL.
enum SQLiteValue {
    case integer(Int64)
    case text(String)
    case blob([UInt8])
    case null
}
