import Foundation
import VigilProcess
#if canImport(Glibc)
import Glibc
#endif

/// A `vigil` process left running (`vigil watch --json`), its standard output collected line by
/// line as it arrives, so that a test can wait for an event without sleeping a fixed time.
///
/// Stopped by ``stop()``, and in any case when the last reference goes away, so that a failing
/// test leaves no process behind.
final class BackgroundVigil: @unchecked Sendable {
    let arguments: [String]
    private let process: ChildProcess
    private let lines = LockedBox<[String]>([])
    private let errors = LockedBox(Data())
    private let readersDone = DispatchGroup()

    /// Starts `vigil arguments…` with the runner's environment.
    init(_ runner: VigilRunner, _ arguments: [String]) throws {
        self.arguments = arguments
        process = try ChildProcess(
            executable: try BuiltProducts.path("vigil"), arguments: arguments, environment: runner.environment,
            standardInput: .nullDevice, standardOutput: .pipe, standardError: .pipe)
        let output = process.standardOutput!
        let errorOutput = process.standardError!

        let lines = self.lines
        readersDone.enter()
        DispatchQueue.global().async { [readersDone] in
            let handle = output
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    lines.value.append(line)
                }
            }
            if !pending.isEmpty { lines.value.append(String(decoding: pending, as: UTF8.self)) }
            readersDone.leave()
        }
        let errors = self.errors
        readersDone.enter()
        DispatchQueue.global().async { [readersDone] in
            errors.value = errorOutput.readDataToEndOfFile()
            readersDone.leave()
        }
    }

    deinit { stop() }

    /// Every complete line printed so far.
    var output: [String] { lines.value }

    /// What it printed on standard error (complete once it has stopped).
    var errorOutput: String { String(decoding: errors.value, as: UTF8.self) }

    /// The lines printed so far that are JSON objects (`watch --json` prints one per line).
    var events: [[String: Any]] {
        output.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    /// The `message` objects of `message` events, optionally of one kind only.
    func messages(kind: String? = nil) -> [[String: Any]] {
        events.filter { $0["event"] as? String == "message" }
            .compactMap { $0["message"] as? [String: Any] }
            .filter { kind == nil || $0["kind"] as? String == kind }
    }

    /// The events named `name` (`overdue`, `refused`, `relay_problem`, …).
    func events(_ name: String) -> [[String: Any]] {
        events.filter { $0["event"] as? String == name }
    }

    /// Polls until `condition` holds for the events printed so far.
    /// - Throws: when it does not hold within `timeout` seconds, or the process ended first;
    ///   the error shows what was printed.
    func waitFor(_ what: String, timeout: TimeInterval = 30, _ condition: (BackgroundVigil) -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition(self) {
            if !process.isRunning {
                // The last lines may still be in the pipe: look once more after they are read.
                _ = readersDone.wait(timeout: .now() + 5)
                if condition(self) { return }
                throw SupportError("vigil \(arguments.joined(separator: " ")) exited (\(process.exit.map { "\($0)" } ?? "?")) before \(what)\n\(transcript)")
            }
            guard Date() < deadline else {
                throw SupportError("no \(what) within \(Int(timeout)) s from vigil \(arguments.joined(separator: " "))\n\(transcript)")
            }
            usleep(20_000)
        }
    }

    /// Waits until the process has written its first line (for `watch`: the `started` event).
    func waitUntilStarted(timeout: TimeInterval = 30) throws {
        try waitFor("first line", timeout: timeout) { !$0.output.isEmpty }
    }

    /// Stops the process (SIGINT, as Ctrl-C; SIGKILL if it does not end within 10 s) and waits
    /// until its output is read completely. Harmless when it has already stopped.
    func stop() {
        if process.isRunning {
            process.signal(SIGINT)
            if process.waitUntilExit(timeout: 10) == nil { process.signal(SIGKILL) }
            process.waitUntilExit()
        }
        _ = readersDone.wait(timeout: .now() + 10)
    }

    /// Everything printed, for failure messages.
    var transcript: String {
        "stdout:\n" + output.joined(separator: "\n") + "\nstderr:\n" + errorOutput
    }
}

extension VigilRunner {
    /// Starts `vigil arguments…` in the background (see ``BackgroundVigil``).
    func start(_ arguments: [String]) throws -> BackgroundVigil {
        try BackgroundVigil(self, arguments)
    }

    /// Starts `vigil watch --json` (plus `extra` options) and waits for its `started` line.
    func watch(_ extra: [String] = []) throws -> BackgroundVigil {
        let watcher = try start(["watch", "--json"] + extra)
        try watcher.waitFor("started event") { !$0.events("started").isEmpty }
        return watcher
    }
}
