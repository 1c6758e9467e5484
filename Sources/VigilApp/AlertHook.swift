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
        do {
            process = try ChildProcess(
                executable: shell, arguments: ["-c", command], environment: environment,
                standardInput: .pipe, standardOutput: .inherit, standardError: .inherit)
        } catch {
            return "the alert command could not be started: \(shell): \(error.reason)"
        }
        // Armed before writing: a command that neither reads nor exits must not hold vigil here.
        process.signal(SIGTERM, group: true, ifRunningAfter: timeout)
        if let input = process.standardInput {
            let fd = input.fileDescriptor
            var offset = 0
            while offset < json.count {
                let written = json.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    break  // EPIPE: the command does not read its input; that is its choice.
                }
                offset += written
            }
            try? input.close()
        }
        let ended = await process.terminated()
        switch ended {
        case .exited(0):
            return nil
        case .exited(let status):
            return "the alert command failed with exit status \(status)"
        case .signalled(let signal):
            return "the alert command was stopped by signal \(signal)" + (signal == SIGTERM ? " (it ran longer than \(Int(timeout)) s)" : "")
        }
    }
}
