#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive advisory lock (`flock`) on `$VIGIL_HOME/lock`, held while one process reads,
/// changes and writes the state, and never across network I/O, so that `vigil watch` and other
/// commands can run at the same time without losing each other's changes.
///
/// `flock` locks belong to the open file description, so two threads of one process that each
/// take the lock exclude each other too. The kernel releases it if the process dies.
enum FileLock {
    /// Runs `body` while holding the lock, waiting for other holders to finish.
    static func withExclusiveLock<R>(_ path: String, _ body: () throws -> R) throws -> R {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw VigilError.io("open the lock file", path: path, errno: errno) }
        defer { close(fd) }
        _ = fchmod(fd, 0o600)
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw VigilError.io("lock", path: path, errno: errno) }
        }
        defer { _ = flock(fd, LOCK_UN) }
        return try body()
    }
}
