import Foundation
import Testing
@_spi(Testing) import VigilStorage

@Suite("The database file")
struct DatabaseFileTests {
    @Test("Everything survives closing and reopening the store")
    func reopen() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/relay.sqlite"
            let store = try SQLiteRelayStore(path: path)
            try await store.createFixtureMailboxes()
            let kept = try await store.store(Fixture.blob(1), at: 10)
            let acknowledged = try await store.store(Fixture.blob(2), at: 11)
            #expect(try await store.acknowledge(mailboxID: Fixture.mailbox, ids: [acknowledged], at: 12) == 1)
            await store.close()
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "close folds the log into the file")

            let reopened = try SQLiteRelayStore(path: path)
            #expect(try await reopened.ownerKey(ofMailbox: Fixture.mailbox) == Fixture.ownerKey)
            #expect(try await reopened.allPending() == [StoredMessage(id: kept, receivedAt: 10, blob: Fixture.blob(1))])
            #expect(try await reopened.statistics() == StoreStatistics(mailboxes: 2, blobs: 1, bytes: 64))
            let again = try await reopened.deposit(
                mailboxID: Fixture.mailbox, blob: Fixture.blob(2), receivedAt: 13, quota: .default)
            #expect(again == .duplicate(id: acknowledged))
            #expect(try await reopened.store(Fixture.blob(3)) > acknowledged)
            await reopened.close()
        }
    }

    @Test("A new database gets the Vigil relay application ID and the current schema version")
    func newDatabaseHeader() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/relay.sqlite"
            let store = try SQLiteRelayStore(path: path)
            await store.close()
            #expect(try DatabaseHeader.field(at: DatabaseHeader.applicationIDOffset, in: path) == 0x5652_4C59)
            #expect(try DatabaseHeader.field(at: DatabaseHeader.userVersionOffset, in: path) == 2)
        }
    }

    @Test("An empty existing file is migrated into a working database")
    func migrateEmptyFile() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/relay.sqlite"
            #expect(FileManager.default.createFile(atPath: path, contents: Data()))
            let store = try SQLiteRelayStore(path: path)
            try await store.createFixtureMailboxes()
            _ = try await store.store(Fixture.blob(1))
            await store.close()
            #expect(try DatabaseHeader.field(at: DatabaseHeader.userVersionOffset, in: path) == 2)
            #expect(try DatabaseHeader.field(at: DatabaseHeader.applicationIDOffset, in: path) == 0x5652_4C59)
        }
    }

    @Test("A database from a newer version is refused, and left as it was")
    func newerSchemaRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/relay.sqlite"
            try await SQLiteRelayStore(path: path).close()
            try DatabaseHeader.setField(at: DatabaseHeader.userVersionOffset, to: 3, in: path)
            let before = try Data(contentsOf: URL(fileURLWithPath: path))

            let error = #expect(throws: StoreError.self) { _ = try SQLiteRelayStore(path: path) }
            guard case .corrupted(let message) = error else {
                Issue.record("expected .corrupted, got \(String(describing: error))")
                return
            }
            #expect(message.contains("newer version"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        }
    }

    @Test("A file of random bytes is refused as corrupted, and left as it was")
    func randomBytesRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/relay.sqlite"
            let bytes = Data(Fixture.randomBytes(8_192))
            try bytes.write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: StoreError.self) { _ = try SQLiteRelayStore(path: path) }
            guard case .corrupted = error else {
                Issue.record("expected .corrupted, got \(String(describing: error))")
                return
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
        }
    }

    @Test("A SQLite database of another program is refused, and left as it was")
    func foreignApplicationRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/relay.sqlite"
            try await SQLiteRelayStore(path: path).close()
            try DatabaseHeader.setField(at: DatabaseHeader.applicationIDOffset, to: 0x1234_5678, in: path)
            let before = try Data(contentsOf: URL(fileURLWithPath: path))

            let error = #expect(throws: StoreError.self) { _ = try SQLiteRelayStore(path: path) }
            guard case .corrupted(let message) = error else {
                Issue.record("expected .corrupted, got \(String(describing: error))")
                return
            }
            #expect(message.contains("another program"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        }
    }

    @Test("A SQLite database without application ID that already has tables is refused")
    func unmarkedDatabaseWithTablesRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/relay.sqlite"
            try await SQLiteRelayStore(path: path).close()
            try DatabaseHeader.setField(at: DatabaseHeader.applicationIDOffset, to: 0, in: path)
            try DatabaseHeader.setField(at: DatabaseHeader.userVersionOffset, to: 0, in: path)

            let error = #expect(throws: StoreError.self) { _ = try SQLiteRelayStore(path: path) }
            guard case .corrupted = error else {
                Issue.record("expected .corrupted, got \(String(describing: error))")
                return
            }
        }
    }

    @Test("The database, its log and a directory made for it are private to the relay's user")
    func permissions() async throws {
        try await withTemporaryDirectory { directory in
            let dataDirectory = directory + "/data/relay"
            let path = dataDirectory + "/relay.sqlite"
            let store = try SQLiteRelayStore(path: path)
            try await store.createFixtureMailboxes()
            _ = try await store.store(Fixture.blob(1))
            #expect(try VigilStorageTests.permissions(of: path) == 0o600)
            #expect(try VigilStorageTests.permissions(of: path + "-wal") == 0o600)
            #expect(try VigilStorageTests.permissions(of: dataDirectory) == 0o700)
            #expect(try VigilStorageTests.permissions(of: directory + "/data") == 0o700)
            await store.close()
        }
    }

    @Test("Acknowledged blobs are overwritten in the database file, and the log keeps no copy after a purge")
    func acknowledgedContentIsOverwritten() async throws {
        try await withStore { store, path in
            try await store.createFixtureMailboxes()
            let kept = Fixture.randomBytes(16_432)
            let acknowledged = Fixture.randomBytes(16_432)
            _ = try await store.store(kept)
            let id = try await store.store(acknowledged)
            #expect(try await store.acknowledge(mailboxID: Fixture.mailbox, ids: [id], at: 3_000) == 1)
            // Nothing is old enough to purge; the purge still folds the log into the file.
            #expect(try await store.purge(before: 0) == 0)

            let wal = try Data(contentsOf: URL(fileURLWithPath: path + "-wal"))
            #expect(wal.isEmpty)
            let file = try Data(contentsOf: URL(fileURLWithPath: path))
            // Slices from the start, the middle and the end (a blob spans several pages).
            func slices(_ bytes: [UInt8]) -> [Data] {
                [0, 4_000, 8_000, 12_000, 16_000].map { Data(bytes[$0..<$0 + 64]) }
            }
            #expect(slices(kept).allSatisfy { file.range(of: $0) != nil }, "a pending blob is in the file")
            #expect(slices(acknowledged).allSatisfy { file.range(of: $0) == nil })
        }
    }

    @Test("A path that cannot hold a database fails with a database error")
    func unusablePath() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory + "/not-a-directory"
            #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
            #expect(throws: StoreError.database(operation: "create the database directory", code: 14)) {
                _ = try SQLiteRelayStore(path: file + "/relay.sqlite")
            }
            let error = #expect(throws: StoreError.self) { _ = try SQLiteRelayStore(path: directory) }
            guard case .database(_, let code) = error else {
                Issue.record("expected .database, got \(String(describing: error))")
                return
            }
            #expect(code & 0xFF == 14, "SQLITE_CANTOPEN")
        }
    }
}
