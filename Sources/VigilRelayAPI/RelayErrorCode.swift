/// The stable error codes of the relay API, with their HTTP status (Protocol/relay-api.md).
public enum RelayErrorCode: String, CaseIterable, Codable, Hashable, Sendable {
    case badRequest = "bad_request"
    case missingAuthentication = "missing_authentication"
    case staleRequest = "stale_request"
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    case requestTimeout = "request_timeout"
    case replayedRequest = "replayed_request"
    case timerExists = "timer_exists"
    case lengthRequired = "length_required"
    case bodyTooLarge = "body_too_large"
    case rateLimited = "rate_limited"
    case headersTooLarge = "headers_too_large"
    case internalError = "internal_error"
    case unavailable = "unavailable"
    case quotaExceeded = "quota_exceeded"
    case storageFull = "storage_full"

    /// The HTTP status this code is sent with.
    public var status: Int {
        switch self {
        case .badRequest, .missingAuthentication: return 400
        case .staleRequest: return 401
        case .notFound: return 404
        case .methodNotAllowed: return 405
        case .requestTimeout: return 408
        case .replayedRequest, .timerExists: return 409
        case .lengthRequired: return 411
        case .bodyTooLarge: return 413
        case .rateLimited: return 429
        case .headersTooLarge: return 431
        case .internalError: return 500
        case .unavailable: return 503
        case .quotaExceeded, .storageFull: return 507
        }
    }
}
