internal import Foundation
public import Logging
public import VigilStorage

/// The relay's data directory: created private (0700) when missing; holds `relay.sqlite`.
public struct RelayDataDirectory: Sendable {
    /// The directory's path.
    public let path: String

    /// The database file inside it.
    public var databasePath: String {
        (path as NSString).appendingPathComponent("relay.sqlite")
    }

    /// Creates the directory (mode 0700, with missing parents) or checks an existing one is a
    /// writable directory.
    public static func prepare(_ path: String) throws(RelayStartupError) -> RelayDataDirectory {
        guard !path.isEmpty else {
            throw .dataDirectoryUnusable(path: path, reason: "the path is empty")
        }
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw .dataDirectoryUnusable(path: path, reason: "it exists and is not a directory")
            }
        } else {
            do {
                try manager.createDirectory(
                    atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw .dataDirectoryUnusable(path: path, reason: "it cannot be created (check the parent's permissions)")
            }
        }
        guard manager.isWritableFile(atPath: path), manager.isExecutableFile(atPath: path) else {
            throw .dataDirectoryUnusable(path: path, reason: "it is not writable by this user")
        }
        return RelayDataDirectory(path: path)
    }

    /// Whether group or others may read or enter the directory (the operator should fix that).
    public var isAccessibleToOthers: Bool {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let mode = attributes[.posixPermissions] as? NSNumber
        else { return false }
        return mode.intValue & 0o077 != 0
    }

    /// Opens (or creates) the SQLite store in this directory. Failed background checkpoints go
    /// to `logger` as errors (they name no mailbox or message; the store retries them).
    public func openStore(logger: Logger = Logger(label: "vigil.relay")) throws(RelayStartupError) -> any RelayStore {
        do {
            return try SQLiteRelayStore(path: databasePath) { error in
                logger.error(
                    "checkpoint of the write-ahead log failed; nothing is lost, retrying later",
                    metadata: ["error": "\(error)"])
            }
        } catch {
            throw .databaseUnavailable(path: databasePath, reason: "\(error)")
        }
    }
}
