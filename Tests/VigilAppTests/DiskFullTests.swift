import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built `vigil` with its `$VIGIL_HOME` on a real, small file system (a tmpfs with a size
/// limit) that is full: a state-changing command fails with one line about the space and a
/// non-zero exit, leaves the keystore and the state as they were, sends nothing it has not
/// recorded, and works once space returns.
///
/// Mounting needs root (and a sandbox that allows mount(2)); where it cannot be done, the suite
/// is skipped with the reason, so a "not run" is visible rather than silent.
@Suite(
    "Disk full: vigil with its home on a size-limited file system", .serialized,
    .enabled(if: SizeLimitedFilesystem.probe.isAvailable, SizeLimitedFilesystem.probe.comment))
struct DiskFullTests {
    /// Alice, with her home on a 1 MiB tmpfs, and Bob, on the ordinary disk, on one real relay.
    struct People {
        let directory: TemporaryDirectory
        let filesystem: SizeLimitedFilesystem
        let relay: RelayProcess
        let alice: VigilRunner
        let bob: VigilRunner

        init() throws {
            directory = try TemporaryDirectory("vigil-diskfull")
            filesystem = try SizeLimitedFilesystem(bytes: 1 << 20)
            do {
                relay = try RelayProcess.start(dataDirectory: directory.sub("relay"))
                alice = VigilRunner(home: filesystem.path + "/alice", passphrase: "alice passphrase")
                bob = VigilRunner(home: directory.sub("bob"), passphrase: "bob passphrase")
                _ = try alice.initialize(name: "Alice", relays: [relay.url])
                _ = try bob.initialize(name: "Bob", relays: [relay.url])
            } catch {
                filesystem.unmount()
                directory.remove()
                throw error
            }
        }

        /// Stops the relay, unmounts Alice's file system and removes the rest.
        func tearDown() {
            relay.stop()
            filesystem.unmount()
            directory.remove()
        }

        /// Every regular file in Alice's home, by name. (`$HOME` is there too, so Foundation's
        /// `.cache` directory is, and is not Vigil's.)
        func aliceFiles() throws -> [String: [UInt8]] {
            var files: [String: [UInt8]] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: alice.home) {
                let path = alice.home + "/" + name
                var info = stat()
                guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
                files[name] = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            }
            return files
        }
    }

    /// A failed run's files against those before it: the keystore and the state unchanged, no
    /// temporary file left behind, and the previous state either unchanged or a copy of the
    /// (unchanged) current state, since it is written first.
    static func expectUnchanged(_ after: [String: [UInt8]], _ before: [String: [UInt8]]) {
        #expect(after["keystore.json"] != nil && after["keystore.json"] == before["keystore.json"], "keystore.json changed")
        #expect(after["state.json.enc"] != nil && after["state.json.enc"] == before["state.json.enc"], "state.json.enc changed")
        let previous = after["state.json.enc.previous"]
        #expect(previous == before["state.json.enc.previous"] || previous == before["state.json.enc"],
                "state.json.enc.previous is neither what it was nor the current state")
        let unexpected = Set(after.keys).subtracting(before.keys).subtracting(["state.json.enc.previous"])
        #expect(unexpected.isEmpty, "left behind: \(unexpected.sorted())")
    }

    /// One line, naming the lack of space.
    static func expectSpaceError(_ run: VigilRun) {
        #expect(run.status != 0, "\(run)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(run)")
        #expect(run.stderr.hasPrefix("vigil: "), "\(run)")
        #expect(run.stderr.contains("No space left on device — free some space on that disk and run the command again"), "\(run)")
    }

    /// 0: nothing at all can be written. 1 page: the previous state's copy fits, the new state
    /// does not.
    @Test("On a full disk `vigil contacts add` fails in one line about the space and changes no file; with space it works",
          arguments: [0, 4096])
    func addingAContactOnAFullDisk(headroom: Int) throws {
        let people = try People()
        defer { people.tearDown() }
        let card = try people.bob.card()
        let before = try people.aliceFiles()
        try people.filesystem.fill(leaving: headroom)

        let refused = try people.alice.run(["contacts", "add", card, "--alias", "bob"])
        Self.expectSpaceError(refused)
        Self.expectUnchanged(try people.aliceFiles(), before)
        // Reading needs no space: the state still opens, without the contact.
        let listed = try people.alice.run(["contacts", "list", "--json"])
        #expect(listed.status == 0, "\(listed)")
        #expect(!listed.stdout.contains("\"bob\""), "\(listed)")

        try people.filesystem.removeFiller()
        let added = try people.alice.run(["contacts", "add", card, "--alias", "bob"])
        #expect(added.status == 0, "\(added)")
        let now = try people.alice.run(["contacts", "list", "--json"])
        #expect(now.stdout.contains("\"bob\""), "\(now)")
    }

    @Test("On a full disk `vigil init` and `vigil relays add` fail and delete the mailbox they made on the relay")
    func mailboxesMadeOnAFullDiskAreDeleted() async throws {
        let people = try People()
        defer { people.tearDown() }
        let second = try RelayProcess.start(dataDirectory: people.directory.sub("relay-2"))
        defer { second.stop() }
        // Carol's home exists already; there is no room in it for her state.
        let carol = VigilRunner(home: people.filesystem.path + "/carol", passphrase: "carol passphrase")
        #expect(mkdir(carol.home, 0o700) == 0)
        #expect(try await Self.mailboxes(on: people.relay) == 2)
        let before = try people.aliceFiles()
        try people.filesystem.fill(leaving: 0)

        let initialised = try carol.run(["init", "--name", "Carol", "--relay", people.relay.url])
        Self.expectSpaceError(initialised)
        #expect(initialised.stderr.hasSuffix("(the mailbox it had made was deleted again)\n"), "\(initialised)")
        #expect(try await Self.mailboxes(on: people.relay) == 2)
        #expect(!FileManager.default.fileExists(atPath: carol.home + "/keystore.json"))

        let added = try people.alice.run(["relays", "add", second.url])
        Self.expectSpaceError(added)
        #expect(added.stderr.hasSuffix("(the mailbox it had made was deleted again)\n"), "\(added)")
        #expect(try await Self.mailboxes(on: second) == 0)
        Self.expectUnchanged(try people.aliceFiles(), before)

        try people.filesystem.removeFiller()
        #expect(try people.alice.run(["relays", "add", second.url]).status == 0)
        #expect(try await Self.mailboxes(on: second) == 1)
    }

    /// The relay's count of mailboxes, from its metrics.
    static func mailboxes(on relay: RelayProcess) async throws -> Int {
        let (data, _) = try await URLSession.shared.data(from: URL(string: relay.url + "/metrics")!)
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("vigil_relay_mailboxes ") }
        return try #require(line.flatMap { Int($0.split(separator: " ")[1]) })
    }

    @Test("On a full disk `vigil checkin` fails before sending anything; with space it is delivered once")
    func checkingInOnAFullDisk() throws {
        let people = try People()
        defer { people.tearDown() }
        let (alice, bob) = (people.alice, people.bob)
        #expect(try alice.run(["contacts", "add", try bob.card(), "--alias", "bob"]).status == 0)
        #expect(try bob.run(["contacts", "add", try alice.card(), "--alias", "alice"]).status == 0)
        let before = try people.aliceFiles()
        try people.filesystem.fill(leaving: 0)

        let refused = try alice.run(["checkin", "--status", "ok", "--note", "on the full disk"])
        Self.expectSpaceError(refused)
        Self.expectUnchanged(try people.aliceFiles(), before)
        // The message was to be written to the outbox before it went out: it did not go out.
        let empty = try bob.run(["inbox", "--json"])
        #expect(empty.status == 0, "\(empty)")
        #expect((try empty.json()["messages"] as? [Any])?.count == 0, "\(empty)")

        try people.filesystem.removeFiller()
        let sent = try alice.run(["checkin", "--status", "ok", "--note", "space again", "--json"])
        #expect(sent.status == 0, "\(sent)")
        #expect(try sent.json()["all_delivered"] as? Bool == true, "\(sent)")
        let inbox = try bob.run(["inbox", "--json"])
        let messages = try #require(try inbox.json()["messages"] as? [[String: Any]], "\(inbox)")
        #expect(messages.count == 1, "\(inbox)")
        #expect(messages.first?["note"] as? String == "space again")
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
        guard let created = mkdtemp(&buffer) else { throw SupportError("mkdtemp: \(String(cString: strerror(errno)))") }
        path = String(cString: created)
        let result = "size=\(bytes),mode=0700".withCString { mount("tmpfs", path, "tmpfs", 0, $0) }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            rmdir(path)
            throw SupportError("mount -t tmpfs on \(path) failed: \(reason)")
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

    /// Fills the file system with a filler file of real (not sparse) bytes until only
    /// `headroom` bytes are free.
    func fill(leaving headroom: Int) throws {
        let fd = open(fillerPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SupportError("filler: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0xA5, count: 64 << 10)
        var remaining = availableBytes - headroom
        while remaining > 0 {
            let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress, min(remaining, $0.count)) }
            if written < 0 {
                if errno == EINTR { continue }
                if errno == ENOSPC { break }
                throw SupportError("filler: \(String(cString: strerror(errno)))")
            }
            remaining -= written
        }
        guard availableBytes == headroom else {
            throw SupportError("the filler left \(availableBytes) bytes free, not \(headroom)")
        }
    }

    func removeFiller() throws {
        guard unlink(fillerPath) == 0 else { throw SupportError("remove the filler: \(String(cString: strerror(errno)))") }
    }
}
