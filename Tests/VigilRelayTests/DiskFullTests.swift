import Foundation
import Testing
import VigilCrypto
import VigilProcess
import VigilRelayAPI

#if canImport(Glibc)
import Glibc
#endif

/// The built `vigil-relay` on a real, small file system (a tmpfs with a size limit) that fills
/// up: deposits are refused with `507 storage_full` and nothing else, the relay keeps answering,
/// nothing it accepted is lost or damaged, and it takes deposits again once space returns.
///
/// Mounting needs root (and a sandbox that allows mount(2)); where it cannot be done, the suite
/// is skipped with the reason, so a "not run" is visible rather than silent.
@Suite(
    "Disk full: the relay on a size-limited file system", .serialized,
    .enabled(if: SizeLimitedFilesystem.probe.isAvailable, SizeLimitedFilesystem.probe.comment))
struct DiskFullTests {
    /// Room for the relay: the rest of the 16 MiB is taken by a filler file that a test can
    /// delete to give space back. Freeing 8 MiB is enough for SQLite to fold the write-ahead
    /// log into the database file: at this test's pace, the relay's background checkpoints leave
    /// at most about 4 MiB of it uncopied.
    static let filesystemBytes = 16 << 20
    static let fillerBytes = 8 << 20

    static let relayArguments = [
        "--deposits-per-minute", "100000000", "--deposit-burst", "100000000",
        "--mailbox-max-blobs", "1000000", "--mailbox-max-bytes", String(1 << 40),
    ]

    @Test("A relay whose disk fills refuses deposits with 507 storage_full, keeps answering, and loses nothing")
    func fillingTheDiskRefusesDepositsAndKeepsEverythingAccepted() async throws {
        let filesystem = try SizeLimitedFilesystem(bytes: Self.filesystemBytes)
        defer { filesystem.unmount() }
        let dataDirectory = filesystem.path + "/data"
        let relay = try CrashTestRelay.launch(dataDirectory: dataDirectory, extraArguments: Self.relayArguments)
        defer { relay.kill() }
        let client = DiskFullClient(port: try await relay.listeningPort())
        let owners = [SigningKeyPair(), SigningKeyPair()]
        var mailboxes: [String] = []
        for owner in owners {
            mailboxes.append(try await CrashTestRelay.createMailbox(port: client.port, owner: owner))
        }
        try filesystem.addFiller(bytes: Self.fillerBytes)

        let fill = try await client.depositUntilFull(into: mailboxes)
        try #require(!fill.refusals.isEmpty, "the disk never filled")
        #expect(fill.refusals.allSatisfy { $0.status == 507 && $0.errorCode == "storage_full" },
                "a full disk must be 507 storage_full: \(fill.refusals.map(\.description))")
        try #require(fill.accepted.count >= 100, "the relay took only \(fill.accepted.count) deposits")
        #expect(filesystem.availableBytes < 64 << 10, "the file system is not full: \(filesystem.availableBytes) bytes free")

        // Still answering, and still refusing with the same clear status.
        let health = try await client.send(Hostile.request("GET", "/v1/health"))
        #expect(health.status == 200, "\(health)")
        let again = try await client.send(Hostile.request("POST", "/v1/mailboxes/\(mailboxes[0])/messages", body: [1, 2, 3]))
        #expect(again.status == 507 && again.errorCode == "storage_full", "\(again)")
        #expect(try await Hostile.metric("vigil_relay_stored_blobs", port: client.port) == fill.accepted.count)

        // Everything answered 201 is there, byte for byte, and nothing else.
        var stored: [Int64: [UInt8]] = [:]
        for (mailbox, owner) in zip(mailboxes, owners) {
            stored.merge(try await client.fetchAll(mailbox: mailbox, owner: owner)) { first, _ in first }
        }
        #expect(stored == fill.acceptedByID, "\(DiskFullClient.difference(stored, fill.acceptedByID))")

        // A client retrying an accepted deposit gets its ID back: the answer needs no new space.
        let accepted = try #require(fill.accepted.first)
        let retry = try await client.send(Hostile.request("POST", "/v1/mailboxes/\(accepted.mailbox)/messages", body: accepted.blob))
        #expect(retry.status == 201, "\(retry)")
        #expect((try? JSONDecoder().decode(DepositResponse.self, from: Data(retry.body)).id) == accepted.id)

        // Creating a mailbox and acknowledging need space too: done, or refused as storage_full,
        // never a 500 and never half done.
        let newOwner = SigningKeyPair()
        let created = try await client.send(Hostile.signedRequest(
            "POST", "/v1/mailboxes",
            body: Array(try JSONEncoder().encode(CreateMailboxRequest(ownerKey: Hex.encode(newOwner.publicKey.rawRepresentation)))),
            key: newOwner))
        #expect(created.status == 201 || (created.status == 507 && created.errorCode == "storage_full"), "\(created)")
        let firstMailbox = fill.accepted.filter { $0.mailbox == mailboxes[0] }
        let acknowledged = Array(firstMailbox.prefix(50))
        let ack = try await client.acknowledge(mailbox: mailboxes[0], owner: owners[0], ids: acknowledged.map(\.id))
        #expect(ack.status == 200 || (ack.status == 507 && ack.errorCode == "storage_full"), "\(ack)")
        let remaining = try await client.fetchAll(mailbox: mailboxes[0], owner: owners[0])
        let expected = ack.status == 200 ? Array(firstMailbox.dropFirst(acknowledged.count)) : firstMailbox
        #expect(remaining == Dictionary(uniqueKeysWithValues: expected.map { ($0.id, $0.blob) }),
                "after an acknowledgement answered \(ack.status)")

        // A clean stop on the full disk, and a database that is whole.
        relay.terminate()
        #expect(await relay.waitForExit() == 0, "\(relay.standardError)")
        // A database error other than a full disk would have been logged as a store failure.
        #expect(!relay.standardError.contains("store failure"), "\(relay.standardError)")
        let integrity = try SQLiteCheck.run(database: dataDirectory + "/relay.sqlite", "PRAGMA integrity_check")
        #expect(integrity == "ok")
    }

    @Test("After a crash on a full disk the relay restarts, serves everything, and takes deposits again once space returns")
    func restartOnAFullDiskAndRecoverWhenSpaceReturns() async throws {
        let filesystem = try SizeLimitedFilesystem(bytes: Self.filesystemBytes)
        defer { filesystem.unmount() }
        let dataDirectory = filesystem.path + "/data"
        let first = try CrashTestRelay.launch(dataDirectory: dataDirectory, extraArguments: Self.relayArguments)
        defer { first.kill() }
        let owner = SigningKeyPair()
        var client = DiskFullClient(port: try await first.listeningPort())
        let mailbox = try await CrashTestRelay.createMailbox(port: client.port, owner: owner)
        try filesystem.addFiller(bytes: Self.fillerBytes)
        let fill = try await client.depositUntilFull(into: [mailbox])
        try #require(fill.accepted.count >= 100 && !fill.refusals.isEmpty)
        #expect(fill.refusals.allSatisfy { $0.status == 507 && $0.errorCode == "storage_full" })

        // SIGKILL with the disk full: the write-ahead log cannot even be checkpointed.
        first.kill()
        _ = await first.waitForExit()
        let second = try CrashTestRelay.launch(dataDirectory: dataDirectory, extraArguments: Self.relayArguments)
        defer { second.kill() }
        client = DiskFullClient(port: try await second.listeningPort())
        #expect(try await client.send(Hostile.request("GET", "/v1/health")).status == 200)
        #expect(try await client.fetchAll(mailbox: mailbox, owner: owner) == fill.acceptedByID)
        let stillFull = try await client.send(Hostile.request("POST", "/v1/mailboxes/\(mailbox)/messages", body: Array(repeating: 7, count: 4144)))
        #expect(stillFull.status == 507 && stillFull.errorCode == "storage_full", "\(stillFull)")

        // The operator frees space: deposits are taken again.
        try filesystem.removeFiller()
        var later: [Int64: [UInt8]] = [:]
        for _ in 0..<50 {
            let blob = SecureRandom.bytes(count: 4144)
            let response = try await client.send(Hostile.request("POST", "/v1/mailboxes/\(mailbox)/messages", body: blob))
            try #require(response.status == 201, "after space returned: \(response)")
            later[try JSONDecoder().decode(DepositResponse.self, from: Data(response.body)).id] = blob
        }
        let everything = fill.acceptedByID.merging(later) { first, _ in first }
        let stored = try await client.fetchAll(mailbox: mailbox, owner: owner)
        #expect(stored == everything, "\(DiskFullClient.difference(stored, everything))")

        // The owner can drain the mailbox, and the freed room takes new deposits.
        var deleted = 0
        let ids = everything.keys.sorted()
        for start in stride(from: 0, to: ids.count, by: 100) {
            let response = try await client.acknowledge(mailbox: mailbox, owner: owner, ids: Array(ids[start..<min(start + 100, ids.count)]))
            try #require(response.status == 200, "\(response)")
            deleted += try JSONDecoder().decode(AcknowledgeResponse.self, from: Data(response.body)).deleted
        }
        #expect(deleted == everything.count)
        #expect(try await Hostile.metric("vigil_relay_stored_blobs", port: client.port) == 0)
        let last = try await client.send(Hostile.request("POST", "/v1/mailboxes/\(mailbox)/messages", body: [42]))
        #expect(last.status == 201, "\(last)")

        // Not wedged: the clean stop folds the log into the database and removes it.
        second.terminate()
        #expect(await second.waitForExit() == 0, "\(second.standardError)")
        #expect(!(first.standardError + second.standardError).contains("store failure"))
        #expect(!FileManager.default.fileExists(atPath: dataDirectory + "/relay.sqlite-wal"),
                "the write-ahead log was not checkpointed at stop")
        let database = dataDirectory + "/relay.sqlite"
        #expect(try SQLiteCheck.run(database: database, "PRAGMA integrity_check") == "ok")
        #expect(try SQLiteCheck.run(database: database, "SELECT count(*) FROM messages WHERE blob IS NOT NULL") == "1")
    }
}

/// Deposits, fetches and acknowledgements over one keep-alive connection (a new one if the
/// relay closed it).
struct DiskFullClient {
    struct Deposit: Sendable {
        var mailbox: String
        var id: Int64
        var blob: [UInt8]
    }

    struct Fill {
        var accepted: [Deposit] = []
        var refusals: [Hostile.Response] = []
        var acceptedByID: [Int64: [UInt8]] {
            Dictionary(uniqueKeysWithValues: accepted.map { ($0.id, $0.blob) })
        }
    }

    let port: Int
    private let connection = Hostile.Locked<Hostile.Connection?>(nil)

    init(port: Int) {
        self.port = port
    }

    func send(_ request: [UInt8]) async throws -> Hostile.Response {
        for attempt in 0..<2 {
            let current: Hostile.Connection
            if let open = connection.value {
                current = open
            } else {
                current = try await Hostile.Connection.connect(port: port)
                connection.withLock { $0 = current }
            }
            do {
                try await current.send(request)
                return try await current.readResponse()
            } catch {
                connection.withLock { $0 = nil }
                await current.close()
                if attempt == 1 { throw error }
            }
        }
        throw Hostile.Failure(description: "unreachable")
    }

    /// Deposits random blobs of the envelope sizes, largest first, into the mailboxes in turn;
    /// each refusal moves to the next smaller size, and the refusal of the smallest ends it.
    /// Stops at the first answer that is neither 201 nor a refusal.
    func depositUntilFull(into mailboxes: [String]) async throws -> Fill {
        var fill = Fill()
        var sizes = [16_432, 4_144, 1_072, 304, 1][...]
        var turn = 0
        while let size = sizes.first, turn < 100_000 {
            let mailbox = mailboxes[turn % mailboxes.count]
            turn += 1
            let blob = SecureRandom.bytes(count: size)
            let response = try await send(Hostile.request("POST", "/v1/mailboxes/\(mailbox)/messages", body: blob))
            if response.status == 201 {
                let id = try JSONDecoder().decode(DepositResponse.self, from: Data(response.body)).id
                fill.accepted.append(Deposit(mailbox: mailbox, id: id, blob: blob))
            } else {
                fill.refusals.append(response)
                guard response.status == 507 else { break }
                sizes = sizes.dropFirst()
            }
        }
        return fill
    }

    /// Every pending blob of a mailbox, by ID.
    func fetchAll(mailbox: String, owner: SigningKeyPair) async throws -> [Int64: [UInt8]] {
        var stored: [Int64: [UInt8]] = [:]
        var after: Int64 = 0
        while true {
            let response = try await send(Hostile.signedRequest(
                "GET", "/v1/mailboxes/\(mailbox)/messages", query: "after=\(after)&limit=100", key: owner))
            guard response.status == 200 else { throw Hostile.Failure(description: "fetch: \(response)") }
            let page = try JSONDecoder().decode(FetchResponse.self, from: Data(response.body))
            for message in page.messages {
                stored[message.id] = Array(message.blob)
            }
            guard page.more, let last = page.messages.last else { return stored }
            after = last.id
        }
    }

    func acknowledge(mailbox: String, owner: SigningKeyPair, ids: [Int64]) async throws -> Hostile.Response {
        let body = Array(try JSONEncoder().encode(AcknowledgeRequest(ids: ids)))
        return try await send(Hostile.signedRequest("POST", "/v1/mailboxes/\(mailbox)/messages/ack", body: body, key: owner))
    }

    /// What differs between what the relay has and what it accepted, in a few words.
    static func difference(_ stored: [Int64: [UInt8]], _ accepted: [Int64: [UInt8]]) -> String {
        let missing = accepted.keys.filter { stored[$0] == nil }.count
        let extra = stored.keys.filter { accepted[$0] == nil }.count
        let changed = accepted.keys.filter { stored[$0] != nil && stored[$0] != accepted[$0] }.count
        return "\(missing) missing, \(extra) never accepted, \(changed) changed, of \(accepted.count)"
    }
}

/// A tmpfs of a fixed size mounted on a fresh temporary directory, and a filler file in it.
/// Unmounting detaches it even while a (killed) process still has files open in it.
final class SizeLimitedFilesystem: Sendable {
    /// Whether this process can mount one, and if not, why (shown when the suite is skipped).
    struct Probe: Sendable {
        var isAvailable: Bool
        var reason: String
        var comment: Comment { Comment(rawValue: reason) }
    }

    static let probe: Probe = {
        guard geteuid() == 0 else {
            return Probe(isAvailable: false, reason: "not run: mounting a size-limited tmpfs needs root (run the tests as root, as CI does)")
        }
        do {
            let filesystem = try SizeLimitedFilesystem(bytes: 1 << 20)
            filesystem.unmount()
            return Probe(isAvailable: true, reason: "a size-limited tmpfs can be mounted")
        } catch {
            return Probe(isAvailable: false, reason: "not run: this sandbox does not allow mounting a tmpfs (\(error))")
        }
    }()

    let path: String
    private var fillerPath: String { path + "/filler" }

    init(bytes: Int) throws {
        let template = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-diskfull-XXXXXX").path
        var buffer = Array(template.utf8CString)
        guard let created = mkdtemp(&buffer) else { throw Hostile.Failure(description: "mkdtemp: \(String(cString: strerror(errno)))") }
        path = String(cString: created)
        let result = "size=\(bytes),mode=0700".withCString { mount("tmpfs", path, "tmpfs", 0, $0) }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            rmdir(path)
            throw Hostile.Failure(description: "mount -t tmpfs on \(path) failed: \(reason)")
        }
    }

    /// Detaches the mount (lazily, so a process that still holds a file open cannot keep it
    /// mounted) and removes the mount point.
    func unmount() {
        _ = umount2(path, Int32(MNT_DETACH))
        rmdir(path)
    }

    /// Free bytes, as an unprivileged writer sees them.
    var availableBytes: Int {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return -1 }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    /// Writes a file of `bytes` real (not sparse) bytes, or of everything that fits.
    func addFiller(bytes: Int) throws {
        let fd = open(fillerPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Hostile.Failure(description: "filler: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0xA5, count: 64 << 10)
        var remaining = bytes
        while remaining > 0 {
            let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress, min(remaining, $0.count)) }
            if written < 0 {
                if errno == EINTR { continue }
                if errno == ENOSPC { return }
                throw Hostile.Failure(description: "filler: \(String(cString: strerror(errno)))")
            }
            remaining -= written
        }
    }

    func removeFiller() throws {
        guard unlink(fillerPath) == 0 else { throw Hostile.Failure(description: "remove the filler: \(String(cString: strerror(errno)))") }
    }
}

/// Reads a SQLite database read-only with the `sqlite3` command-line tool (or Python's sqlite3
/// module where the tool is missing): the tests do not link SQLite themselves.
enum SQLiteCheck {
    /// The first column of the first row of `query`, trimmed.
    static func run(database: String, _ query: String) throws -> String {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
            + ["/usr/bin", "/bin", "/usr/local/bin"]
        func find(_ name: String) -> String? {
            paths.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
        let executable: String
        let arguments: [String]
        if let sqlite3 = find("sqlite3") {
            executable = sqlite3
            arguments = ["-readonly", database, query]
        } else if let python = find("python3") {
            executable = python
            arguments = [
                "-c",
                "import sqlite3, sys; c = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True); print(c.execute(sys.argv[2]).fetchone()[0])",
                database, query,
            ]
        } else {
            throw Hostile.Failure(description: "neither sqlite3 nor python3 is installed: install the sqlite3 package to check the database")
        }
        var output: [Int32] = [-1, -1]
        guard pipe(&output) == 0 else { throw Hostile.Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        let reader = FileHandle(fileDescriptor: output[0], closeOnDealloc: true)
        let process: ChildProcess
        do {
            defer { close(output[1]) }
            process = try ChildProcess(
                executable: executable, arguments: arguments, environment: ProcessInfo.processInfo.environment,
                standardOutput: .fileDescriptor(output[1]), standardError: .fileDescriptor(output[1]))
        }
        let data = reader.readDataToEndOfFile()
        let ended = process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard ended == .exited(0) else {
            throw Hostile.Failure(description: "\(URL(fileURLWithPath: executable).lastPathComponent) \(query): \(text)")
        }
        return text
    }
}
