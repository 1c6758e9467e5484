import Foundation
import VigilProcess
#if canImport(Glibc)
import Glibc
#endif

/// A real `vigil-relay serve` process on 127.0.0.1, on a port the OS picks (or the one given,
/// to restart a relay where it was), with its data in a directory the test owns.
final class RelayProcess: @unchecked Sendable {
    let process: ChildProcess
    let port: Int
    let dataDirectory: String
    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts the relay and waits for its "listening on" line.
    static func start(dataDirectory: String, port: Int = 0, timeout: TimeInterval = 15) throws -> RelayProcess {
        let process = try ChildProcess(
            executable: try BuiltProducts.path("vigil-relay"),
            arguments: ["serve", "--data-dir", dataDirectory, "--host", "127.0.0.1", "--port", String(port), "--public-metrics"],
            environment: ["PATH": "/usr/bin:/bin", "VIGIL_RELAY_LOG_LEVEL": "warning"],
            standardOutput: .pipe, standardError: .nullDevice)
        guard let output = process.standardOutput,
            let line = Self.readLine(containing: "listening on", from: output, timeout: timeout),
            let portText = line.split(separator: ":").last, let bound = Int(portText.trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            process.signal(SIGTERM)
            process.waitUntilExit()
            throw SupportError("vigil-relay did not report a listening address within \(timeout) s")
        }
        return RelayProcess(process: process, port: bound, dataDirectory: dataDirectory)
    }

    private init(process: ChildProcess, port: Int, dataDirectory: String) {
        self.process = process
        self.port = port
        self.dataDirectory = dataDirectory
    }

    /// Stops the relay gracefully (SIGTERM) and waits for it to exit.
    func stop() {
        guard process.isRunning else { return }
        process.signal(SIGTERM)
        process.waitUntilExit()
    }

    /// Starts a relay again on the same port and data, as after a restart.
    func restart() throws -> RelayProcess {
        stop()
        return try RelayProcess.start(dataDirectory: dataDirectory, port: port)
    }

    deinit { stop() }

    /// Reads from `handle` on a background thread until a line containing `marker` arrives.
    private static func readLine(containing marker: String, from handle: FileHandle, timeout: TimeInterval) -> String? {
        let found = LockedBox<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                if let text = String(data: buffer, encoding: .utf8),
                    let line = text.split(separator: "\n").first(where: { $0.contains(marker) })
                {
                    found.value = String(line)
                    break
                }
            }
            done.signal()
        }
        _ = done.wait(timeout: .now() + timeout)
        return found.value
    }
}

/// A value behind a lock.
final class LockedBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
