public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the user's `watch --on-alert` command for one alert.
///
/// The command runs through `/bin/sh -c`, with the alert as one JSON document on its standard
/// input. Message content never goes into its arguments or environment (where other users could
/// read it through `ps` or `/proc`), and `VIGIL_PASSPHRASE` is removed from its environment. Its
/// output goes where `vigil`'s goes. A command that fails or runs longer than the timeout is
/// reported, never fatal.
public struct AlertHook: Sendable {
    /// The shell command, run with `/bin/sh -c`.
    public let command: String
    /// Seconds the command may run before it is terminated.
    public let timeout: TimeInterval

    /// A hook for `command`, terminated after `timeout` seconds.
    public init(command: String, timeout: TimeInterval = 60) {
        self.command = command
        self.timeout = timeout
    }

    /// Runs the command with `json` on its standard input; nil on success, else what went wrong.
    public func run(_ json: [UInt8]) async -> String? {
        // A command that exits without reading its input must not kill vigil with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "VIGIL_PASSPHRASE")
        process.environment = environment
        let input = Pipe()
        process.standardInput = input
        let finished = Completion()
        process.terminationHandler = { _ in finished.signal() }
        do {
            try process.run()
        } catch {
            return "the alert command could not be started: \(error.localizedDescription)"
        }
        let fd = input.fileHandleForWriting.fileDescriptor
        var offset = 0
        while offset < json.count {
            let written = json.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                break  // EPIPE: the command does not read its input; that is its choice.
            }
            offset += written
        }
        try? input.fileHandleForWriting.close()
        let timeout = self.timeout
        let timer = Task {
            try? await Task.sleep(for: .seconds(timeout))
            if !Task.isCancelled, process.isRunning { process.terminate() }
        }
        await finished.wait()
        timer.cancel()
        if process.terminationReason == .uncaughtSignal {
            return "the alert command was stopped by signal \(process.terminationStatus)" + (process.terminationStatus == SIGTERM ? " (it ran longer than \(Int(timeout)) s)" : "")
        }
        return process.terminationStatus == 0 ? nil : "the alert command failed with exit status \(process.terminationStatus)"
    }
}

/// A one-shot signal that one task awaits and a callback on another thread fires.
final class Completion: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    private var waiter: CheckedContinuation<Void, Never>?

    func signal() {
        let continuation: CheckedContinuation<Void, Never>? = lock.withLock {
            done = true
            defer { waiter = nil }
            return waiter
        }
        continuation?.resume()
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow: Bool = lock.withLock {
                if done { return true }
                waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
