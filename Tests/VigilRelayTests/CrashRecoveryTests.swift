import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
import VigilCrypto
import VigilProcess
import VigilRelayAPI

/// The built `vigil-relay` binary as an operator runs it: killed mid-load it loses no
/// acknowledged deposit, SIGTERM stops it cleanly, bad start-ups fail in one line.
@Suite("Crash recovery")
struct CrashRecoveryTests {
    @Test("Every deposit answered 201 survives SIGKILL mid-load, byte for byte, and so does the mailbox")
    func acknowledgedDepositsSurviveSIGKILL() async throws {
        let directory = try CrashTestRelay.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let arguments = ["--deposits-per-minute", "100000000", "--deposit-burst", "100000000"]

        let first = try CrashTestRelay.launch(dataDirectory: directory, extraArguments: arguments)
        defer { first.kill() }
        let port = try await first.listeningPort()
        let owner = SigningKeyPair()
        let mailbox = try await CrashTestRelay.createMailbox(port: port, owner: owner)

        // 8 clients deposit distinct blobs as fast as they can; every 201 is recorded.
        struct Deposit: Sendable {
            var id: Int64
            var blob: [UInt8]
        }
        let acknowledged = Hostile.Locked<[Deposit]>([])
        let clients = (0..<8).map { _ in
            Task {
                guard let connection = try? await Hostile.Connection.connect(port: port) else { return }
                while !Task.isCancelled {
                    let blob = SecureRandom.bytes(count: Int.random(in: 1...4096))
                    do {
                        try await connection.send(Hostile.request("POST", "/v1/mailboxes/\(mailbox)/messages", body: blob))
                        let response = try await connection.readResponse(timeout: .seconds(10))
                        guard response.status == 201 else { continue }
                        let id = try JSONDecoder().decode(DepositResponse.self, from: Data(response.body)).id
                        acknowledged.withLock { $0.append(Deposit(id: id, blob: blob)) }
                    } catch {
                        return  // the relay is gone
                    }
                }
            }
        }
        try await Hostile.eventually { acknowledged.withLock { $0.count } >= 300 }
        first.kill()  // SIGKILL, with deposits in flight
        for client in clients { await client.value }
        #expect(await first.waitForExit() != nil)
        let survivors = acknowledged.value
        #expect(survivors.count >= 300)

        // Same data directory, new process.
        let second = try CrashTestRelay.launch(dataDirectory: directory, extraArguments: arguments)
        defer { second.kill() }
        let newPort = try await second.listeningPort()
        var stored: [Int64: [UInt8]] = [:]
        var after: Int64 = 0
        while true {
            let connection = try await Hostile.Connection.connect(port: newPort)
            try await connection.send(Hostile.signedRequest(
                "GET", "/v1/mailboxes/\(mailbox)/messages", query: "after=\(after)&limit=100", key: owner))
            let response = try await connection.readResponse()
            await connection.close()
            try #require(response.status == 200, "the mailbox must survive: \(response)")
            let page = try JSONDecoder().decode(FetchResponse.self, from: Data(response.body))
            for message in page.messages { stored[message.id] = Array(message.blob) }
            guard page.more, let last = page.messages.last else { break }
            after = last.id
        }
        let lost = survivors.filter { stored[$0.id] != $0.blob }
        #expect(lost.isEmpty, "\(lost.count) of \(survivors.count) acknowledged deposits lost or changed")
        second.terminate()
        #expect(await second.waitForExit() == 0)
    }

    @Test("SIGTERM answers a waiting long-poll, exits 0, and leaves a database the next start opens")
    func sigtermShutsDownCleanly() async throws {
        let directory = try CrashTestRelay.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Configured from the environment only.
        let environment = [
            "VIGIL_RELAY_DATA_DIR": directory, "VIGIL_RELAY_HOST": "127.0.0.1", "VIGIL_RELAY_PORT": "0",
            "VIGIL_RELAY_PUBLIC_METRICS": "1",
        ]
        let relay = try CrashTestRelay.launch(environment: environment)
        defer { relay.kill() }
        let port = try await relay.listeningPort()
        let owner = SigningKeyPair()
        let mailbox = try await CrashTestRelay.createMailbox(port: port, owner: owner)

        let poller = try await Hostile.Connection.connect(port: port)
        try await poller.send(Hostile.signedRequest("GET", "/v1/mailboxes/\(mailbox)/messages", query: "wait=60", key: owner))
        try await Hostile.eventually { try await Hostile.metric("vigil_relay_waiting_fetches", port: port) == 1 }

        relay.terminate()
        let answer = try await poller.readResponse(timeout: .seconds(10))
        #expect(answer.status == 200, "\(answer)")
        #expect(String(decoding: answer.body, as: UTF8.self) == #"{"messages":[],"more":false}"#)
        #expect(await relay.waitForExit() == 0)
        #expect(relay.standardError.contains("relay stopped"))
        #expect(relay.standardOutput == "vigil-relay listening on http://127.0.0.1:\(port)\n")

        // The data survives a clean stop, too.
        let again = try CrashTestRelay.launch(dataDirectory: directory)
        defer { again.kill() }
        let newPort = try await again.listeningPort()
        let connection = try await Hostile.Connection.connect(port: newPort)
        try await connection.send(Hostile.signedRequest("GET", "/v1/mailboxes/\(mailbox)/messages", key: owner))
        #expect(try await connection.readResponse().status == 200)
        again.interrupt()
        #expect(await again.waitForExit() == 0)
    }

    enum StartupFailure: String, CaseIterable, Sendable {
        case portOutOfRange, unknownOption, missingDataDirectory, dataDirectoryIsAFile, portInUse, badEnvironment
        case timerHorizonOutOfRange
        case metricsTokenTooShort, metricsTokenFileMissing, metricsTokenAndPublic
    }

    @Test("The binary serves /metrics to the bearer of the token in its file, and warns when others can read the file",
          arguments: [0o600, 0o644])
    func metricsTokenFromAFile(mode: Int) async throws {
        let temporary = try CrashTestRelay.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        let token = String(repeating: "5a", count: 24)
        let file = temporary + "/metrics-token"
        #expect(FileManager.default.createFile(atPath: file, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: mode]))
        let relay = try CrashTestRelay.launch(arguments: ["serve", "--data-dir", temporary + "/data", "--port", "0", "--metrics-token-file", file])
        defer { relay.kill() }
        let port = try await relay.listeningPort()

        func status(_ headers: [(String, String)]) async throws -> Int {
            let connection = try await Hostile.Connection.connect(port: port)
            defer { Task { await connection.close() } }
            try await connection.send(Hostile.request("GET", "/metrics", headers: headers))
            return try await connection.readResponse().status
        }
        #expect(try await status([("Authorization", "Bearer " + token)]) == 200)
        #expect(try await status([]) == 404)
        #expect(try await status([("Authorization", "Bearer " + String(token.dropLast()))]) == 404)
        let warned = relay.standardError.contains("the metrics token file is readable by other users: chmod 600 it")
        #expect(warned == (mode == 0o644), "\(relay.standardError)")
        #expect(!relay.standardError.contains(token))
    }

    @Test("A relay that cannot start says why in one line and exits non-zero",
          arguments: StartupFailure.allCases)
    func startupFailure(_ failure: StartupFailure) async throws {
        let temporary = try CrashTestRelay.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        let directory = temporary + "/data"  // created 0700 by the relay, so no permission warning
        var arguments: [String] = []
        var environment: [String: String] = [:]
        var expected = ""
        var listener: (any Channel)?
        switch failure {
        case .portOutOfRange:
            arguments = ["--data-dir", directory, "--port", "70000"]
            expected = "--port"
        case .unknownOption:
            arguments = ["--data-dir", directory, "--colour", "blue"]
            expected = "--colour"
        case .missingDataDirectory:
            expected = "--data-dir"
        case .dataDirectoryIsAFile:
            let file = temporary + "/file"
            _ = FileManager.default.createFile(atPath: file, contents: Data())
            arguments = ["--data-dir", file]
            expected = "not a directory"
        case .portInUse:
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: 0).get()
            listener = channel
            arguments = ["--data-dir", directory, "--port", String(channel.localAddress!.port!)]
            expected = "in use"
        case .timerHorizonOutOfRange:
            arguments = ["--data-dir", directory, "--max-timer-days", "400"]
            expected = "--max-timer-days"
        case .badEnvironment:
            arguments = ["--data-dir", directory]
            environment = ["VIGIL_RELAY_PORT": "eighty"]
            expected = "VIGIL_RELAY_PORT"
        case .metricsTokenTooShort:
            let file = temporary + "/token"
            _ = FileManager.default.createFile(atPath: file, contents: Data("short\n".utf8))
            arguments = ["--data-dir", directory, "--metrics-token-file", file]
            expected = "at least 32 characters"
        case .metricsTokenFileMissing:
            arguments = ["--data-dir", directory, "--metrics-token-file", temporary + "/no-such-token"]
            expected = "cannot read the metrics token file"
        case .metricsTokenAndPublic:
            let file = temporary + "/token"
            _ = FileManager.default.createFile(atPath: file, contents: Data(String(repeating: "t", count: 40).utf8))
            arguments = ["--data-dir", directory, "--public-metrics"]
            environment = ["VIGIL_RELAY_METRICS_TOKEN_FILE": file]
            expected = "not both"
        }
        let relay = try CrashTestRelay.launch(arguments: ["serve"] + arguments, environment: environment)
        defer { relay.kill() }
        let status = await relay.waitForExit()
        try? await listener?.close()
        #expect(status != nil && status != 0)
        let lines = relay.standardError.split(separator: "\n")
        #expect(lines.count == 1, "\(relay.standardError)")
        #expect(lines.first?.hasPrefix("vigil-relay: error:") == true, "\(relay.standardError)")
        #expect(relay.standardError.contains(expected), "\(relay.standardError)")
        #expect(relay.standardOutput.isEmpty)
    }
}

/// The `vigil-relay` executable, run as a child process.
final class CrashTestRelay: Sendable {
    private let process: ChildProcess
    private let output: Hostile.Locked<[UInt8]>
    private let errorPath: String

    /// The built binary: next to the test bundle (`.build/<config>/`).
    static func binary() throws -> URL {
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent())
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for bundle in Bundle.allBundles {
            candidates.append(bundle.bundleURL.deletingLastPathComponent())
        }
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug"))
        for directory in candidates {
            let binary = directory.appendingPathComponent("vigil-relay")
            if FileManager.default.isExecutableFile(atPath: binary.path) { return binary }
        }
        throw Hostile.Failure(description: "vigil-relay not found next to the tests: run `swift build --build-tests`")
    }

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-crash-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return path
    }

    static func launch(dataDirectory: String, extraArguments: [String] = []) throws -> CrashTestRelay {
        // The tests read the relay's counters from /metrics.
        try launch(arguments: ["serve", "--data-dir", dataDirectory, "--port", "0", "--public-metrics"] + extraArguments)
    }

    static func launch(arguments: [String] = ["serve"], environment: [String: String]) throws -> CrashTestRelay {
        try CrashTestRelay(arguments: arguments, environment: environment)
    }

    static func launch(arguments: [String]) throws -> CrashTestRelay {
        try CrashTestRelay(arguments: arguments, environment: [:])
    }

    private init(arguments: [String], environment overrides: [String: String]) throws {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("VIGIL_RELAY_") }
        environment.merge(overrides) { $1 }
        errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-relay-\(UUID().uuidString).err").path
        _ = FileManager.default.createFile(atPath: errorPath, contents: Data())
        guard let errorFile = FileHandle(forWritingAtPath: errorPath) else {
            throw Hostile.Failure(description: "cannot open \(errorPath)")
        }
        defer { try? errorFile.close() }
        process = try ChildProcess(
            executable: try Self.binary().path, arguments: arguments, environment: environment,
            standardInput: .nullDevice, standardOutput: .pipe, standardError: .fileDescriptor(errorFile.fileDescriptor))
        let output = Hostile.Locked<[UInt8]>([])
        self.output = output
        // A thread of its own reads until the relay's end closes the pipe (no dispatch source:
        // closing a descriptor that one still watches is what crashes libdispatch on Linux).
        if let pipe = process.standardOutput {
            let reader = Thread {
                while true {
                    let data = pipe.availableData
                    if data.isEmpty { break }
                    output.withLock { $0.append(contentsOf: data) }
                }
            }
            reader.name = "vigil-relay-stdout"
            reader.start()
        }
    }

    deinit {
        process.signal(SIGKILL)
        try? FileManager.default.removeItem(atPath: errorPath)
    }

    var standardOutput: String { output.withLock { String(decoding: $0, as: UTF8.self) } }

    var standardError: String {
        (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
    }

    /// The port from the one line the relay prints once it listens.
    func listeningPort(timeout: Duration = .seconds(60)) async throws -> Int {
        let prefix = "vigil-relay listening on http://127.0.0.1:"
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let text = standardOutput
            if let line = text.split(separator: "\n").first, text.contains("\n") {
                guard line.hasPrefix(prefix), let port = Int(line.dropFirst(prefix.count)) else {
                    throw Hostile.Failure(description: "unexpected output: \(line)")
                }
                return port
            }
            guard process.isRunning else {
                throw Hostile.Failure(description: "vigil-relay exited: \(standardError)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Hostile.Failure(description: "vigil-relay did not start listening: \(standardError)")
    }

    func kill() { process.signal(SIGKILL) }

    func terminate() { process.signal(SIGTERM) }

    func interrupt() { process.signal(SIGINT) }

    /// The exit status, or nil if the process is still running after `timeout` (or was
    /// killed by a signal, which is reported as a negative number).
    func waitForExit(timeout: Duration = .seconds(20)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        switch process.exit {
        case .exited(let status): return status
        case .signalled(let signal): return -signal
        case .unobserved, nil: return nil
        }
    }

    /// Creates a mailbox with a signed request, as a client does.
    static func createMailbox(port: Int, owner: SigningKeyPair) async throws -> String {
        let body = try JSONEncoder().encode(CreateMailboxRequest(ownerKey: Hex.encode(owner.publicKey.rawRepresentation)))
        let connection = try await Hostile.Connection.connect(port: port)
        defer { Task { await connection.close() } }
        try await connection.send(Hostile.signedRequest("POST", "/v1/mailboxes", body: Array(body), key: owner))
        let response = try await connection.readResponse()
        guard response.status == 201 else { throw Hostile.Failure(description: "create: \(response)") }
        return try JSONDecoder().decode(CreateMailboxResponse.self, from: Data(response.body)).mailboxID
    }
}
