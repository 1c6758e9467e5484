extension StoreError: CustomStringConvertible {
    /// One line for an operator's log: what went wrong and, where there is one, what to do.
    /// Like the error itself, it never contains a mailbox ID, key or blob content.
    public var description: String {
        switch self {
        case .mailboxNotFound:
            return "no such mailbox"
        case .mailboxExists:
            return "a mailbox with this ID already exists"
        case .quotaExceeded:
            return "the mailbox is full: its owner must acknowledge messages to make room"
        case .storageFull:
            return "the disk or the database size limit is full; nothing was stored: free space on the relay's disk"
        case .tooManyTimers:
            return "the relay holds as many timers as it allows"
        case .closed:
            return "the store is closed"
        case .corrupted(let reason):
            return reason
        case .database(let operation, let code):
            return "database error while trying to \(operation) (SQLite code \(code))"
        }
    }
}
