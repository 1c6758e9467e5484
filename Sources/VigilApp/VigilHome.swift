import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The directory that holds one person's Vigil: `$VIGIL_HOME`, by default `~/.vigil`.
///
/// It holds exactly three things: `keystore.json` (the keys, sealed with the passphrase),
/// `state.json.enc` (everything else, sealed with a key from the keystore) with its previous
/// version `state.json.enc.previous`, and `lock`, which serialises changes between processes.
/// The directory is kept at mode 0700 and every file at 0600.
public struct VigilHome: Sendable, Hashable {
    /// The directory's path, without a trailing slash.
    public let path: String

    /// File names inside the directory.
    public static let keystoreName = "keystore.json"
    public static let stateName = "state.json.enc"
    public static let previousStateName = "state.json.enc.previous"
    public static let lockName = "lock"

    /// The directory at `path` (a trailing slash is dropped).
    public init(path: String) {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        self.path = path
    }

    /// `$VIGIL_HOME` when set and not empty, otherwise `~/.vigil` (from `$HOME`, or the user
    /// database when `HOME` is not set).
    public static func resolve(environment: [String: String]) -> VigilHome {
        if let explicit = environment["VIGIL_HOME"], !explicit.isEmpty {
            return VigilHome(path: explicit)
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return VigilHome(path: home + "/.vigil")
    }

    /// Full paths of the files.
    public var keystorePath: String { path + "/" + Self.keystoreName }
    public var statePath: String { path + "/" + Self.stateName }
    public var previousStatePath: String { path + "/" + Self.previousStateName }
    public var lockPath: String { path + "/" + Self.lockName }

    /// Whether a keystore exists here (the last file `init` writes).
    public var isInitialised: Bool {
        var info = stat()
        return lstat(keystorePath, &info) == 0
    }

    /// Creates the directory with mode 0700 when missing, and takes away any access by others
    /// when it exists (a copy or an archive tool may have widened it).
    /// - Throws: ``VigilError`` when it cannot be created, or the path is not a directory.
    public func prepare() throws(VigilError) {
        var info = stat()
        if stat(path, &info) != 0 {
            guard errno == ENOENT else { throw .io("open the directory", path: path, errno: errno) }
            // Create missing parents with default permissions, the directory itself private.
            let parent = (path as NSString).deletingLastPathComponent
            if !parent.isEmpty, !FileManager.default.fileExists(atPath: parent) {
                do {
                    try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
                } catch {
                    throw VigilError(.usage, "could not create the directory \(parent): \(error.localizedDescription)")
                }
            }
            guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
                throw .io("create the directory", path: path, errno: errno)
            }
            guard stat(path, &info) == 0 else { throw .io("open the directory", path: path, errno: errno) }
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw VigilError(.usage, "\(path) is not a directory: set VIGIL_HOME to a directory for Vigil")
        }
        if info.st_mode & 0o777 != 0o700 {
            guard chmod(path, 0o700) == 0 else { throw .io("make private (chmod 700)", path: path, errno: errno) }
        }
    }
}
