/// Why a relay could not start, in one line an operator can act on.
public enum RelayStartupError: Error, CustomStringConvertible, Sendable {
    /// The data directory could not be created or used.
    case dataDirectoryUnusable(path: String, reason: String)
    /// The database could not be opened.
    case databaseUnavailable(path: String, reason: String)
    /// The address could not be bound.
    case cannotListen(host: String, port: Int, reason: String)
    /// ``RelayServer/start()`` was called twice, or after shutdown.
    case alreadyStarted

    public var description: String {
        switch self {
        case .dataDirectoryUnusable(let path, let reason):
            return "cannot use the data directory \(path): \(reason)"
        case .databaseUnavailable(let path, let reason):
            return "cannot open the database \(path): \(reason)"
        case .cannotListen(let host, let port, let reason):
            return "cannot listen on \(host):\(port): \(reason)"
        case .alreadyStarted:
            return "the relay was already started"
        }
    }
}
