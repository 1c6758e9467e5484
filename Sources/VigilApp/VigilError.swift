/// What a command's outcome means to a script: the process exit status of `vigil`.
///
/// Documented in `vigil --help` and README.md; scripts may rely on these numbers.
public enum VigilExitCode: Int32, Sendable, CaseIterable {
    /// Everything worked; everything sent was delivered.
    case ok = 0
    /// The command or its input was wrong (or another failure the message names).
    case usage = 1
    /// Wrong passphrase, or no passphrase available for a protected keystore.
    case locked = 2
    /// Something sent is not (yet) delivered to every mailbox; it stays queued and is retried.
    case undelivered = 3
    /// The keystore or state file is damaged or was altered; nothing was changed.
    case damaged = 4
    /// A relay could not be reached or refused while receiving or setting up; nothing was lost.
    case unreachable = 5
}

/// A failure a person can act on: one line that says what went wrong and what to do next, and
/// the exit code it maps to.
///
/// Messages never contain secrets, message content or key material.
public struct VigilError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What kind of failure this is, which decides the exit code.
    public let exitCode: VigilExitCode
    /// One line for a person.
    public let message: String

    /// A failure with its exit code and one line for people.
    public init(_ exitCode: VigilExitCode, _ message: String) {
        self.exitCode = exitCode
        self.message = message
    }

    public var description: String { message }

    /// A wrong command, option or argument.
    public static func usage(_ message: String) -> VigilError { VigilError(.usage, message) }

    /// A damaged or altered file: names it, and says that nothing was changed.
    public static func damaged(_ file: String, _ detail: String, advice: String? = nil) -> VigilError {
        let next = advice ?? "restore it from a backup; nothing was changed"
        return VigilError(.damaged, "\(file) is damaged or was altered (\(detail)): \(next)")
    }

    /// A file-system failure on a named file, such as a full disk (which gets advice).
    static func io(_ what: String, path: String, errno code: Int32) -> VigilError {
        let full = code == ENOSPC || code == EDQUOT
        let advice = full ? " — free some space on that disk and run the command again" : ""
        return VigilError(.usage, "could not \(what) \(path): \(String(cString: strerror(code)))\(advice)")
    }

    /// The passphrase did not open the keystore.
    public static let wrongPassphrase = VigilError(
        .locked, "the passphrase is wrong (or keystore.json was altered); nothing was changed. Try again, checking the keyboard layout and Caps Lock")

    /// `$VIGIL_HOME` has no keystore yet.
    static func notInitialised(_ home: String) -> VigilError {
        VigilError(.usage, "Vigil is not set up in \(home) yet: run `vigil init --name NAME --relay URL` first (or set VIGIL_HOME)")
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
