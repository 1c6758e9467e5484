import Foundation
import Testing
@_spi(Testing) import VigilStorage

/// A fresh directory for one test, removed afterwards.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("vigil-storage-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// A new store in a fresh directory, closed and removed afterwards. `body` gets the store and
/// its database path.
func withStore<T>(_ body: (SQLiteRelayStore, String) async throws -> T) async throws -> T {
    try await withTemporaryDirectory { directory in
        let path = directory + "/relay.sqlite"
        let store = try SQLiteRelayStore(path: path)
        do {
            let result = try await body(store, path)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }
}

/// Test data.
enum Fixture {
    static let mailbox = "AAAAAAAAAAAAAAAAAAAAAAAA"
    static let otherMailbox = "BBBBBBBBBBBBBBBBBBBBBBBB"
    static let ownerKey = [UInt8](repeating: 0x11, count: 32)
    static let otherOwnerKey = [UInt8](repeating: 0x22, count: 32)
    static let unlimited = MailboxQuota(maxBlobs: .max, maxBytes: .max)

    static func blob(_ index: Int, size: Int = 64) -> [UInt8] {
        var bytes = Array("blob \(index) ".utf8)
        while bytes.count < size { bytes.append(UInt8(truncatingIfNeeded: index &* 31 &+ bytes.count)) }
        return Array(bytes.prefix(size))
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}

extension SQLiteRelayStore {
    /// Creates the two fixture mailboxes.
    func createFixtureMailboxes() async throws {
        try await createMailbox(id: Fixture.mailbox, ownerKey: Fixture.ownerKey, createdAt: 1_000)
        try await createMailbox(id: Fixture.otherMailbox, ownerKey: Fixture.otherOwnerKey, createdAt: 1_000)
    }

    /// Deposits without a quota and returns the new message's ID; fails the test on a duplicate.
    func store(_ blob: [UInt8], in mailbox: String = Fixture.mailbox, at time: UInt64 = 2_000) async throws -> Int64 {
        let outcome = try await deposit(mailboxID: mailbox, blob: blob, receivedAt: time, quota: Fixture.unlimited)
        guard case .stored(let id) = outcome else {
            Issue.record("expected a new message, got \(outcome)")
            return outcome.id
        }
        return id
    }

    /// Returns once at least `count` jobs wait for the store's thread (paused by a test).
    /// Throws when the test's time is up, rather than spinning forever.
    func waitUntilQueued(_ count: Int) async throws {
        while queuedJobCountForTesting < count {
            try Task.checkCancellation()
            await Task.yield()
        }
    }

    /// All pending blobs of a mailbox, in order.
    func allPending(_ mailbox: String = Fixture.mailbox) async throws -> [StoredMessage] {
        try await pending(mailboxID: mailbox, after: 0, limit: .max).messages
    }
}

/// The SQLite database header, read and changed directly in a closed database file.
enum DatabaseHeader {
    static let userVersionOffset: UInt64 = 60
    static let applicationIDOffset: UInt64 = 68

    static func field(at offset: UInt64, in path: String) throws -> UInt32 {
        let handle = try #require(FileHandle(forReadingAtPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        let bytes = try #require(try handle.read(upToCount: 4))
        try #require(bytes.count == 4)
        return bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func setField(at offset: UInt64, to value: UInt32, in path: String) throws {
        // A closed relay database has no write-ahead log: everything is in the main file.
        try #require(!FileManager.default.fileExists(atPath: path + "-wal"))
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: Data([24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) }))
    }
}

func permissions(of path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return try #require(attributes[.posixPermissions] as? Int) & 0o777
}
