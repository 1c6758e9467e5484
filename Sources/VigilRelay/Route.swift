internal import VigilRelayAPI

/// The relay's endpoints (Protocol/relay-api.md). The raw values are the fixed route labels used
/// in metrics and logs, so a request's path (which holds a mailbox ID) never reaches either.
enum Route: String, CaseIterable, Sendable {
    case createMailbox = "create_mailbox"
    case deposit
    case fetch
    case acknowledge
    case deleteMailbox = "delete_mailbox"
    case armTimer = "arm_timer"
    case renewTimer = "renew_timer"
    case disarmTimer = "disarm_timer"
    case timerStatus = "timer_status"
    case health
    case metrics
    /// No route: unknown path or method, or a request refused before it was routed.
    case unknown

    /// Whether handling it is little work besides the database: it can run on the event loop.
    /// A fetch encodes up to a few megabytes, timer bundles are decoded and signature-checked
    /// whole, and the metrics are rendered in full; those run on the global pool.
    var isLight: Bool {
        switch self {
        case .createMailbox, .deposit, .acknowledge, .deleteMailbox, .disarmTimer, .timerStatus, .health, .unknown:
            return true
        case .fetch, .armTimer, .renewTimer, .metrics:
            return false
        }
    }

    /// Routes whose requests must carry a body with a `Content-Length`.
    var requiresBody: Bool {
        switch self {
        case .createMailbox, .deposit, .acknowledge, .armTimer, .renewTimer: return true
        case .fetch, .deleteMailbox, .disarmTimer, .timerStatus, .health, .metrics, .unknown: return false
        }
    }

    /// Routes signed by the mailbox owner key or the timer key.
    var isSigned: Bool {
        switch self {
        case .createMailbox, .fetch, .acknowledge, .deleteMailbox, .armTimer, .renewTimer, .disarmTimer, .timerStatus:
            return true
        case .deposit, .health, .metrics, .unknown: return false
        }
    }
}

/// Where a request target leads: a route (with the mailbox or timer ID from the path), or a
/// refusal.
struct RouteMatch: Sendable, Equatable {
    var route: Route
    var mailboxID: String?
    var timerID: String? = nil

    enum Failure: Error, Equatable {
        /// No such path: `404 not_found`. A path with a malformed mailbox ID is no path at all.
        case notFound
        /// Known path, other method: `405 method_not_allowed`, with the methods that are allowed.
        case methodNotAllowed(allowed: String)
    }

    /// Matches a method and the path exactly as sent (no decoding: mailbox IDs never need any).
    static func match(method: String, path: String) -> Result<RouteMatch, Failure> {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        // A path starts with "/", so the first segment is empty.
        guard segments.count >= 2, segments[0].isEmpty else { return .failure(.notFound) }
        let rest = Array(segments.dropFirst())

        func only(_ allowed: String, _ route: Route, mailboxID: String? = nil) -> Result<RouteMatch, Failure> {
            method == allowed
                ? .success(RouteMatch(route: route, mailboxID: mailboxID))
                : .failure(.methodNotAllowed(allowed: allowed))
        }

        switch rest.count {
        case 1 where rest[0] == "metrics":
            return only("GET", .metrics)
        case 2 where rest[0] == "v1" && rest[1] == "health":
            return only("GET", .health)
        case 2 where rest[0] == "v1" && rest[1] == "mailboxes":
            return only("POST", .createMailbox)
        case 3 where rest[0] == "v1" && rest[1] == "mailboxes" && MailboxIDs.isWellFormed(rest[2]):
            return only("DELETE", .deleteMailbox, mailboxID: String(rest[2]))
        case 4 where rest[0] == "v1" && rest[1] == "mailboxes" && MailboxIDs.isWellFormed(rest[2]) && rest[3] == "messages":
            let id = String(rest[2])
            switch method {
            case "POST": return .success(RouteMatch(route: .deposit, mailboxID: id))
            case "GET": return .success(RouteMatch(route: .fetch, mailboxID: id))
            default: return .failure(.methodNotAllowed(allowed: "GET, POST"))
            }
        case 2 where rest[0] == "v1" && rest[1] == "timers":
            return only("POST", .armTimer)
        case 3 where rest[0] == "v1" && rest[1] == "timers" && MailboxIDs.isWellFormed(rest[2]):
            // Timer IDs have the shape of mailbox IDs.
            let id = String(rest[2])
            switch method {
            case "GET": return .success(RouteMatch(route: .timerStatus, timerID: id))
            case "DELETE": return .success(RouteMatch(route: .disarmTimer, timerID: id))
            default: return .failure(.methodNotAllowed(allowed: "DELETE, GET"))
            }
        case 4 where rest[0] == "v1" && rest[1] == "timers" && MailboxIDs.isWellFormed(rest[2]) && rest[3] == "renew":
            return method == "POST"
                ? .success(RouteMatch(route: .renewTimer, timerID: String(rest[2])))
                : .failure(.methodNotAllowed(allowed: "POST"))
        case 5 where rest[0] == "v1" && rest[1] == "mailboxes" && MailboxIDs.isWellFormed(rest[2])
            && rest[3] == "messages" && rest[4] == "ack":
            return only("POST", .acknowledge, mailboxID: String(rest[2]))
        default:
            return .failure(.notFound)
        }
    }
}
