#if canImport(Glibc)
import Glibc
private let systemRead = Glibc.read
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemRead = Darwin.read
private let systemWrite = Darwin.write
#endif
import VigilCrypto

/// Whole-file reads and crash-safe whole-file writes.
///
/// A write goes to a fresh temporary file in the same directory (mode 0600, created
/// exclusively), is flushed to disk (`fsync`), renamed over the target, and the directory is
/// flushed too. A crash at any point leaves either the old file or the new one, never a mix;
/// a failure removes the temporary file and leaves the old file untouched.
enum AtomicFile {
    /// Where a write can be made to fail, for tests of the guarantee above.
    enum FaultPoint: Sendable {
        case none
        /// After the data is written to the temporary file, before it is flushed.
        case afterWrite
        /// After the temporary file is complete, before it replaces the target.
        case beforeRename
    }

    /// Largest file read: far above any real state, low enough that a planted file cannot
    /// exhaust memory.
    static let maxReadBytes = 256 << 20

    /// Replaces `path` with `bytes`, mode 0600.
    static func write(_ bytes: [UInt8], to path: String, fault: FaultPoint = .none) throws(VigilError) {
        let directory = parentDirectory(of: path)
        let temporary = path + ".tmp-" + Hex.encode(SecureRandom.bytes(count: 6))
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .io("create a temporary file for", path: path, errno: errno) }
        var completed = false
        defer {
            if !completed { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            // The mode asked for at creation is reduced by the umask, never widened; make sure.
            guard fchmod(fd, 0o600) == 0 else { throw VigilError.io("set the permissions of", path: temporary, errno: errno) }
            try writeAll(fd, bytes, path: path)
            if fault == .afterWrite { throw VigilError.io("write", path: path, errno: EIO) }
            guard fsync(fd) == 0 else { throw VigilError.io("flush to disk", path: path, errno: errno) }
        }
        if fault == .beforeRename { throw .io("replace", path: path, errno: EIO) }
        guard rename(temporary, path) == 0 else { throw .io("replace", path: path, errno: errno) }
        completed = true
        syncDirectory(directory)
    }

    /// The contents of `path`, or nil when it does not exist.
    /// - Throws: ``VigilError`` when it exists but cannot be read, or is larger than `limit`.
    static func read(_ path: String, limit: Int = maxReadBytes) throws(VigilError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw .io("open", path: path, errno: errno)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io("read", path: path, errno: errno) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw VigilError(.damaged, "\(path) is not a regular file: move it away; nothing was changed")
        }
        guard Int(info.st_size) <= limit else {
            throw VigilError(.damaged, "\(path) is far larger than Vigil ever writes it: it is damaged or not Vigil's; nothing was changed")
        }
        var out = [UInt8]()
        out.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .io("read", path: path, errno: errno)
            }
            if count == 0 { break }
            out.append(contentsOf: chunk[0..<count])
            guard out.count <= limit else {
                throw VigilError(.damaged, "\(path) is far larger than Vigil ever writes it; nothing was changed")
            }
        }
        return out
    }

    /// Removes `path` if it exists and flushes the directory.
    static func remove(_ path: String) {
        if unlink(path) == 0 { syncDirectory(parentDirectory(of: path)) }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(VigilError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw .io("write", path: path, errno: errno)
            }
            offset += written
        }
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    /// Makes a rename in `directory` durable. Best effort: some file systems refuse to fsync a
    /// directory, and the rename has already happened.
    static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
