public import Foundation
import VigilProcess
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the user's `watch --on-alert` command for one alert.
///
/// The command runs through `/bin/sh -c`, with the alert as one JSON document on its standard
/// input. Message content never goes into its arguments or environment (where other users could
/// read it through `ps` or `/proc`), and `VIGIL_PASSPHRASE` is removed from its environment. It
/// inherits no other descriptor of `vigil`'s. Its output goes where `vigil`'s goes. A command that
/// fails or runs longer than the timeout (then it and whatever it started get SIGTERM) is
/// reported, never fatal.
public struct AlertHook: Sendable {
    /// The shell command, run with `/bin/sh -c`.
    public let command: String
    /// Seconds the command may run before it is terminated.
    public let timeout: TimeInterval
    /// The shell that runs it.
    public let shell: String

    /// A hook for `command`, run by `shell`, terminated after `timeout` seconds.
    public init(command: String, timeout: TimeInterval = 60, shell: String = "/bin/sh") {
        self.command = command
        self.timeout = timeout
        self.shell = shell
    }

    /// Runs the command with `json` on its standard input; nil on success, else what went wrong.
    public func run(_ json: [UInt8]) async -> String? {
        // A command that exits without reading its input must not kill vigil with SIGPIPE.
        // (The command itself starts with every signal at its default action.)
        signal(SIGPIPE, SIG_IGN)
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "VIGIL_PASSPHRASE")
        let process: ChildProcess
        let started = ContinuousClock.now
        do {
            process = try ChildProcess(
                executable: shell, arguments: ["-c", command], environment: environment,
                standardInput: .pipe, standardOutput: .inherit, standardError: .inherit)
        } catch {
            return "the alert command could not be started: \(shell): \(error.reason)"
        }
        // Armed before writing: a command that neither reads nor exits must not hold vigil here.
        // One that ignores SIGTERM gets SIGKILL 5 s later.
        process.signal(SIGTERM, group: true, ifRunningAfter: timeout, killAfter: 5)
        if let input = process.standardInput {
            // Written by a thread of its own, never past the timeout: whatever holds the pipe
            // without reading it (the command, or something it left behind) cannot hold vigil.
            let deadline = Date(timeIntervalSinceNow: timeout)
            let writer = Thread {
                Self.write(json, to: input.fileDescriptor, until: deadline)
                try? input.close()
            }
            writer.name = "vigil-alert-input"
            writer.start()
        }
        let ended = await process.terminated()
        switch ended {
        case .exited(0):
            return nil
        case .exited(let status):
            return "the alert command failed with exit status \(status)"
        case .signalled(let signal):
            let late = ContinuousClock.now - started >= .seconds(timeout)
            return "the alert command was stopped by signal \(signal)" + (late ? " (it ran longer than \(Int(timeout)) s)" : "")
        case .unobserved:
            return "the alert command ended, but its exit status could not be read"
        }
    }

    /// Writes `bytes` to the non-blocking pipe `fd` until done, the reader is gone, or `deadline`.
    private static func write(_ bytes: [UInt8], to fd: Int32, until deadline: Date) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written >= 0 {
                offset += written
            } else if errno == EAGAIN {
                let remaining = deadline.timeIntervalSinceNow
                guard remaining > 0 else { return }
                var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&ready, 1, Int32(min(remaining, 1) * 1000) + 1)
            } else if errno != EINTR {
                return  // EPIPE: the command does not read its input; that is its choice.
            }
        }
    }
}
