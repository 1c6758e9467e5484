import Foundation
import Testing
@testable import VigilApp
import VigilCrypto
import VigilProtocol

@Suite("Files: atomic writes, permissions, the sealed state file")
struct FileStorageTests {
    private func mode(_ path: String) -> mode_t {
        var info = stat()
        _ = stat(path, &info)
        return info.st_mode & 0o777
    }

    private func leftovers(in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.contains(".tmp-") }
    }

    @Test func anAtomicWriteCreatesAPrivateFileWithTheBytes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.sub("file")
        try AtomicFile.write([1, 2, 3], to: path)
        #expect(try AtomicFile.read(path) == [1, 2, 3])
        #expect(mode(path) == 0o600)
        try AtomicFile.write([4], to: path)
        #expect(try AtomicFile.read(path) == [4])
        #expect(try leftovers(in: directory.path).isEmpty)
    }

    @Test(arguments: [AtomicFile.FaultPoint.afterWrite, .beforeRename])
    func aFailedWriteLeavesTheOldFileIntactAndNoTemporaryFile(fault: AtomicFile.FaultPoint) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.sub("file")
        try AtomicFile.write(Array("old contents".utf8), to: path)
        #expect(throws: VigilError.self) { try AtomicFile.write(Array("new".utf8), to: path, fault: fault) }
        #expect(try AtomicFile.read(path) == Array("old contents".utf8))
        #expect(try leftovers(in: directory.path).isEmpty)
    }

    @Test func readingAMissingFileGivesNilAndAnOversizedOneIsRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(try AtomicFile.read(directory.sub("absent")) == nil)
        try AtomicFile.write([UInt8](repeating: 7, count: 100), to: directory.sub("big"))
        let error = try #require(throws: VigilError.self) { _ = try AtomicFile.read(directory.sub("big"), limit: 10) }
        #expect(error.exitCode == .damaged)
    }

    @Test func theHomeDirectoryIsCreatedPrivateAndTightenedWhenWidened() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let home = VigilHome(path: directory.sub("nested/home/"))
        try home.prepare()
        #expect(mode(home.path) == 0o700)
        chmod(home.path, 0o755)
        try home.prepare()
        #expect(mode(home.path) == 0o700)
    }

    @Test func everyFileOfAnInitialisedHomeIsPrivate() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        _ = try await alice.configure(ConfigChange(graceSeconds: 60))
        let home = alice.context.home
        #expect(mode(home.path) == 0o700)
        for path in [home.keystorePath, home.statePath, home.previousStatePath, home.lockPath] {
            #expect(mode(path) == 0o600, "\(path)")
        }
    }

    @Test func eachStateWriteKeepsThePreviousVersion() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        _ = try await alice.configure(ConfigChange(name: "First"))
        _ = try await alice.configure(ConfigChange(name: "Second"))
        let previous = try #require(try AtomicFile.read(alice.context.home.previousStatePath))
        #expect(try alice.store.decode(previous).profile.displayName == "First")
        #expect(try alice.state().profile.displayName == "Second")
    }

    @Test func aStateWriteThatFailsLeavesTheStateAsItWas() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        var store = alice.store
        store.fault = .beforeRename
        #expect(throws: VigilError.self) {
            try store.update(now: world.clock.now) { $0.profile.displayName = "Changed" }
        }
        #expect(try alice.state().profile.displayName == "alice")
    }

    @Test func aTamperedStateFileIsReportedAsDamagedNamingBothFilesAndIsNotOverwritten() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        let home = alice.context.home
        var bytes = try #require(try AtomicFile.read(home.statePath))
        bytes[bytes.count / 2] ^= 0x40
        try AtomicFile.write(bytes, to: home.statePath)

        let error = try #require(throws: VigilError.self) { _ = try alice.state() }
        #expect(error.exitCode == .damaged)
        #expect(error.message.contains(home.statePath))
        #expect(error.message.contains(home.previousStatePath))
        await #expect(throws: VigilError.self) { _ = try await alice.configure(ConfigChange(name: "Other")) }
        #expect(try AtomicFile.read(home.statePath) == bytes)
        #expect(throws: VigilError.self) { _ = try world.reopen("alice") }
    }

    @Test func aStateFileSealedForAnotherKeyOrVersionIsRefused() async throws {
        let world = try World()
        defer { world.remove() }
        let alice = try await world.person("alice")
        let other = StateStore(home: alice.context.home, key: SecureBytes.random(count: 32))
        let sealed = try other.encode(try alice.state())
        #expect(throws: VigilError.self) { _ = try alice.store.decode(sealed) }
        var newer = try alice.store.encode(try alice.state())
        newer[4] = 2
        let error = try #require(throws: VigilError.self) { _ = try alice.store.decode(newer) }
        #expect(error.message.contains("version 2"))
    }
}
