import Foundation
internal import CSQLite

/// The relay database's identity, settings and schema, and how a file is opened into it.
enum RelaySchema {
    /// `PRAGMA application_id` of a Vigil relay database: "VRLY" in ASCII. A database with
    /// another ID belongs to some other program and is refused.
    static let applicationID: Int32 = 0x5652_4C59

    /// Forward migrations, in order: entry `n` takes `PRAGMA user_version` from `n` to `n + 1`.
    /// Each runs in a transaction of its own with the version bump, so a crash leaves the
    /// database at one version or the next. Never edit a released entry; append a new one.
    static let migrations: [String] = [
        // 1: mailboxes, and messages whose acknowledged rows keep only their digest.
        // A mailbox's pending totals are kept by triggers, so that a deposit checks its quota
        // with one row lookup instead of a scan of up to the whole quota.
        """
        CREATE TABLE mailboxes (
            id TEXT PRIMARY KEY NOT NULL,
            owner_key BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            pending_blobs INTEGER NOT NULL DEFAULT 0 CHECK (pending_blobs >= 0),
            pending_bytes INTEGER NOT NULL DEFAULT 0 CHECK (pending_bytes >= 0)
        ) STRICT;
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            mailbox_id TEXT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
            digest BLOB NOT NULL,
            received_at INTEGER NOT NULL,
            blob BLOB,
            acknowledged_at INTEGER,
            UNIQUE (mailbox_id, digest),
            CHECK ((blob IS NULL) = (acknowledged_at IS NOT NULL))
        ) STRICT;
        CREATE INDEX messages_pending ON messages(mailbox_id, id) WHERE blob IS NOT NULL;
        CREATE INDEX messages_received ON messages(received_at) WHERE blob IS NOT NULL;
        CREATE INDEX messages_acknowledged ON messages(acknowledged_at) WHERE blob IS NULL;
        CREATE TRIGGER messages_count_insert AFTER INSERT ON messages WHEN NEW.blob IS NOT NULL BEGIN
            UPDATE mailboxes SET pending_blobs = pending_blobs + 1, pending_bytes = pending_bytes + length(NEW.blob)
            WHERE id = NEW.mailbox_id;
        END;
        CREATE TRIGGER messages_count_acknowledge AFTER UPDATE OF blob ON messages
        WHEN OLD.blob IS NOT NULL AND NEW.blob IS NULL BEGIN
            UPDATE mailboxes SET pending_blobs = pending_blobs - 1, pending_bytes = pending_bytes - length(OLD.blob)
            WHERE id = OLD.mailbox_id;
        END;
        CREATE TRIGGER messages_count_delete AFTER DELETE ON messages WHEN OLD.blob IS NOT NULL BEGIN
            UPDATE mailboxes SET pending_blobs = pending_blobs - 1, pending_bytes = pending_bytes - length(OLD.blob)
            WHERE id = OLD.mailbox_id;
        END;
        """,
        // 2: dead man's switch timers. Each holds a bundle of blobs, each bound for one mailbox,
        // delivered into those mailboxes when the deadline passes. A target mailbox is not a
        // foreign key: one deleted since arming is skipped when the timer fires.
        """
        CREATE TABLE timers (
            id TEXT PRIMARY KEY NOT NULL,
            timer_key BLOB NOT NULL,
            deadline INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX timers_deadline ON timers(deadline);
        CREATE TABLE timer_blobs (
            id INTEGER PRIMARY KEY,
            timer_id TEXT NOT NULL REFERENCES timers(id) ON DELETE CASCADE,
            mailbox_id TEXT NOT NULL,
            digest BLOB NOT NULL,
            blob BLOB NOT NULL
        ) STRICT;
        CREATE INDEX timer_blobs_timer ON timer_blobs(timer_id, id);
        """,
    ]

    /// The schema version this build writes and reads.
    static var currentVersion: Int { migrations.count }

    /// Opens (creating if needed) the relay database at `path`, refuses a file that is not one,
    /// applies the connection settings and brings the schema up to ``currentVersion``.
    static func openDatabase(path: String) throws(StoreError) -> SQLiteDatabase {
        try createPrivateFile(at: path)
        let database = try SQLiteDatabase(
            path: path, flags: [.readWrite, .create, .noMutex, .extendedResultCodes])
        do throws(StoreError) {
            // Identify the file before changing anything in it: a foreign database is left as
            // it was (switching it to WAL would already write to it).
            let version = try identify(database)
            try configure(database)
            try migrate(database, from: version)
            return database
        } catch {
            database.close()
            throw error
        }
    }

    /// Opens a second connection to the relay database that ``openDatabase(path:)`` has opened
    /// (and so identified, switched to WAL and migrated), for checkpoints only.
    ///
    /// It never creates a file: the database, its log and its shared-memory index exist with
    /// the database's permissions. `synchronous=FULL` matters here too: the log is fsynced
    /// before it is copied and the database file after, so that the log is never written over
    /// while its content is not yet safely in the database file.
    static func openCheckpointConnection(path: String) throws(StoreError) -> SQLiteDatabase {
        let database = try SQLiteDatabase(path: path, flags: [.readWrite, .noMutex, .extendedResultCodes])
        do throws(StoreError) {
            try database.executeScript("PRAGMA synchronous=FULL", operation: "set synchronous=FULL")
            try require(database, "PRAGMA synchronous", equals: 2, operation: "set synchronous=FULL")
            try require(database, "PRAGMA wal_autocheckpoint=0", equals: 0, operation: "turn off automatic checkpoints")
            return database
        } catch {
            database.close()
            throw error
        }
    }

    /// Checks that the file is an empty database or a Vigil relay database this build can
    /// read, and returns its schema version.
    private static func identify(_ database: SQLiteDatabase) throws(StoreError) -> Int {
        let operation = "read the database header"
        let fileApplicationID = try database.firstRow("PRAGMA application_id", operation: operation) { $0.int64(0) } ?? 0
        let version = Int(try database.firstRow("PRAGMA user_version", operation: operation) { $0.int64(0) } ?? 0)
        let objects = try database.firstRow("SELECT count(*) FROM sqlite_schema", operation: operation) { $0.int64(0) } ?? 0

        switch fileApplicationID {
        case Int64(applicationID):
            break
        case 0 where version == 0 && objects == 0:
            return 0  // a new, empty file
        default:
            throw .corrupted("the database file belongs to another program, not to vigil-relay; choose another data directory")
        }
        guard version <= currentVersion else {
            throw .corrupted(
                "the database was written by a newer version of vigil-relay (schema \(version), this version knows up to \(currentVersion)); run the newer version or restore a backup")
        }
        return version
    }

    /// Per-connection settings; WAL mode is also recorded in the file.
    private static func configure(_ database: SQLiteDatabase) throws(StoreError) {
        let journalMode = try database.firstRow("PRAGMA journal_mode=WAL", operation: "enable write-ahead logging") {
            $0.text(0)
        } ?? nil
        guard journalMode?.lowercased() == "wal" else {
            throw .database(operation: "enable write-ahead logging", code: SQLITE_ERROR)
        }
        // FULL: a commit has reached the disk (the log is fsynced) when COMMIT returns.
        try database.executeScript("PRAGMA synchronous=FULL", operation: "set synchronous=FULL")
        try require(database, "PRAGMA synchronous", equals: 2, operation: "set synchronous=FULL")
        // No checkpoint inside COMMIT: the log is copied into the database file by another
        // connection on another thread (WALCheckpointer), so that a commit costs one fsync.
        try require(database, "PRAGMA wal_autocheckpoint=0", equals: 0, operation: "turn off automatic checkpoints")
        // Deleted and overwritten content is zeroed on disk, not just unlinked from the b-tree.
        try require(database, "PRAGMA secure_delete=ON", equals: 1, operation: "enable secure_delete")
        try database.executeScript("PRAGMA foreign_keys=ON", operation: "enable foreign keys")
        try require(database, "PRAGMA foreign_keys", equals: 1, operation: "enable foreign keys")
    }

    /// Fails when a pragma does not read back as expected (a SQLite built without the feature).
    private static func require(
        _ database: SQLiteDatabase, _ pragma: String, equals expected: Int64, operation: String
    ) throws(StoreError) {
        let value = try database.firstRow(pragma, operation: operation) { $0.int64(0) }
        guard value == expected else { throw .database(operation: operation, code: SQLITE_ERROR) }
    }

    private static func migrate(_ database: SQLiteDatabase, from version: Int) throws(StoreError) {
        for next in version..<currentVersion {
            let operation = "migrate the schema to version \(next + 1)"
            try database.executeScript("BEGIN IMMEDIATE", operation: operation)
            do throws(StoreError) {
                try database.executeScript(migrations[next], operation: operation)
                try database.executeScript(
                    "PRAGMA application_id=\(applicationID); PRAGMA user_version=\(next + 1)", operation: operation)
                try database.executeScript("COMMIT", operation: operation)
            } catch {
                database.rollbackIfInTransaction()
                throw error
            }
        }
    }

    /// Creates the database's directory (0700) and the file itself (0600) when they do not
    /// exist, so that SQLite, which gives its `-wal` and `-shm` files the database file's
    /// permissions, never makes a world-readable file. Existing ones are left as they are.
    private static func createPrivateFile(at path: String) throws(StoreError) {
        let operation = "create the database file"
        let directory = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        if !directory.isEmpty && !(FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && isDirectory.boolValue) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
            } catch {
                throw .database(operation: "create the database directory", code: SQLITE_CANTOPEN)
            }
        }
        let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            // The umask may have taken bits away, never added any; set exactly 0600.
            let changed = fchmod(descriptor, 0o600)
            close(descriptor)
            guard changed == 0 else { throw .database(operation: operation, code: SQLITE_CANTOPEN) }
        } else if errno == ENOSPC || errno == EDQUOT {
            throw .storageFull
        } else if errno != EEXIST {
            throw .database(operation: operation, code: SQLITE_CANTOPEN)
        }
    }
}
