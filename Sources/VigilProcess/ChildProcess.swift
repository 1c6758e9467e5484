import CVigilSpawn
public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process: started with nothing of ours but what is given to it, reaped by a thread of
/// its own, and signalled only while it has not been reaped (so a recycled process ID is never
/// hit).
///
/// Foundation's `Process` is not used because on Linux it lists `/proc/self/fd` in the parent
/// before each start and that listing crashes a parent holding more than about 1,350 descriptors
/// (see `CVigilSpawn.h`). Here the child closes every descriptor from 3 up itself.
public final class ChildProcess: @unchecked Sendable {
    /// How a child ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        /// It exited with this status.
        case exited(Int32)
        /// A signal with this number ended it.
        case signalled(Int32)
        /// It ended, but something else in this process collected its status first.
        case unobserved

        public var description: String {
            switch self {
            case .exited(let status): "exit status \(status)"
            case .signalled(let signal): "signal \(signal)"
            case .unobserved: "an unknown status"
            }
        }
    }

    /// Where one of the child's standard streams goes.
    public enum Stream: Sendable {
        /// `/dev/null`.
        case nullDevice
        /// The same as this process's.
        case inherit
        /// A new pipe; this process keeps the other end (``standardInput``, ``standardOutput``,
        /// ``standardError``).
        case pipe
        /// A descriptor of this process, duplicated into the child; the caller still owns it.
        case fileDescriptor(Int32)
    }

    /// Why a child could not be started.
    public struct StartError: Error, CustomStringConvertible {
        /// The executable.
        public let path: String
        /// The `errno` value.
        public let code: Int32

        /// What `code` means, as `strerror` says it ("No such file or directory").
        public var reason: String { String(cString: strerror(code)) }

        public var description: String { "\(path) could not be started: \(reason)" }
    }

    /// The child's process ID.
    public let processIdentifier: Int32
    /// The write end of the child's standard input, when it is a pipe.
    public let standardInput: FileHandle?
    /// The read end of the child's standard output, when it is a pipe.
    public let standardOutput: FileHandle?
    /// The read end of the child's standard error, when it is a pipe.
    public let standardError: FileHandle?

    private let condition = NSCondition()
    /// Set, under `condition`, once the child has exited and been reaped.
    private var termination: Termination?
    /// Tasks waiting in ``terminated()``, resumed under `condition` when it ends.
    private var waiters: [CheckedContinuation<Termination, Never>] = []

    /// Starts `executable` with `arguments` (without the program name) and exactly
    /// `environment`, in a process group of its own.
    ///
    /// - Throws: ``StartError`` when it cannot be started (no such file, not executable, no
    ///   process slot); nothing is left behind then.
    public init(
        executable: String, arguments: [String] = [], environment: [String: String],
        standardInput: Stream = .nullDevice, standardOutput: Stream = .inherit, standardError: Stream = .inherit,
        directory: String? = nil
    ) throws(StartError) {
        var parentEnds: [FileHandle?] = [nil, nil, nil]
        var childEnds: [Int32] = []
        var standard: [Int32] = [-1, -1, -1]
        defer { for fd in childEnds { close(fd) } }
        for (target, stream) in [standardInput, standardOutput, standardError].enumerated() {
            switch stream {
            case .nullDevice: standard[target] = -1
            case .inherit: standard[target] = Int32(target)
            case .fileDescriptor(let fd): standard[target] = fd
            case .pipe:
                var ends: [Int32] = [-1, -1]
                let failure = vigil_pipe_cloexec(&ends)
                guard failure == 0 else { throw StartError(path: executable, code: failure) }
                let (childEnd, parentEnd) = target == 0 ? (ends[0], ends[1]) : (ends[1], ends[0])
                childEnds.append(childEnd)
                parentEnds[target] = FileHandle(fileDescriptor: parentEnd, closeOnDealloc: true)
                standard[target] = childEnd
            }
        }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let result = standard.withUnsafeBufferPointer { standardPointer in
            if let directory {
                vigil_spawn(&pid, executable, argv, envp, standardPointer.baseAddress, directory)
            } else {
                vigil_spawn(&pid, executable, argv, envp, standardPointer.baseAddress, nil)
            }
        }
        guard result == 0 else { throw StartError(path: executable, code: result) }

        processIdentifier = pid
        self.standardInput = parentEnds[0]
        self.standardOutput = parentEnds[1]
        self.standardError = parentEnds[2]
        let reaper = Thread { [self] in reap() }
        reaper.name = "vigil-reaper"
        reaper.start()
    }

    /// Blocks this (dedicated) thread until the child exits, then reaps it.
    private func reap() {
        // Wait without reaping first: until `waitpid` below, the process ID stays ours, so
        // `signal` cannot reach another process that was given the same ID.
        var info = siginfo_t()
        while waitid(P_PID, id_t(processIdentifier), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        condition.lock()
        var status: Int32 = 0
        var reaped: pid_t
        repeat { reaped = waitpid(processIdentifier, &status, 0) } while reaped < 0 && errno == EINTR
        let ended: Termination =
            reaped != processIdentifier ? .unobserved
            : status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
        termination = ended
        let resumed = waiters
        waiters = []
        condition.broadcast()
        condition.unlock()
        for waiter in resumed { waiter.resume(returning: ended) }
    }

    /// Whether the child has not yet exited (or has exited and is about to be reaped).
    public var isRunning: Bool {
        condition.withLock { termination == nil }
    }

    /// How it ended, or nil while it runs.
    public var exit: Termination? {
        condition.withLock { termination }
    }

    /// Sends `signal` to the child unless it has already been reaped; with `group`, also to the
    /// processes it started (its process group).
    public func signal(_ signal: Int32, group: Bool = false) {
        condition.withLock {
            if termination == nil { _ = kill(group ? -processIdentifier : processIdentifier, signal) }
        }
    }

    /// Sends `signal` (to the group, with `group`) if the child still runs `seconds` from now,
    /// and SIGKILL if it still runs `killAfter` seconds after that.
    ///
    /// The timer is a thread of its own: a task pool kept busy by other work cannot delay it.
    public func signal(_ signal: Int32, group: Bool = false, ifRunningAfter seconds: TimeInterval, killAfter: TimeInterval? = nil) {
        let timer = Thread { [self] in
            guard waitUntilExit(timeout: seconds) == nil else { return }
            self.signal(signal, group: group)
            if let killAfter, waitUntilExit(timeout: killAfter) == nil { self.signal(SIGKILL, group: group) }
        }
        timer.name = "vigil-child-timer"
        timer.start()
    }

    /// Blocks until the child ends.
    @discardableResult
    public func waitUntilExit() -> Termination {
        condition.lock()
        defer { condition.unlock() }
        while termination == nil { condition.wait() }
        return termination!
    }

    /// Blocks until the child ends or `timeout` seconds pass; nil if it still runs.
    public func waitUntilExit(timeout: TimeInterval) -> Termination? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while termination == nil {
            if !condition.wait(until: deadline) { break }
        }
        return termination
    }

    /// Suspends until the child ends, without holding a thread.
    public func terminated() async -> Termination {
        await withCheckedContinuation { (continuation: CheckedContinuation<Termination, Never>) in
            condition.lock()
            if let termination {
                condition.unlock()
                continuation.resume(returning: termination)
            } else {
                waiters.append(continuation)
                condition.unlock()
            }
        }
    }
}
