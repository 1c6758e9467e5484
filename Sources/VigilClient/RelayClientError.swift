public import VigilRelayAPI

/// Every way a relay request can fail, as seen by the client.
///
/// The cases carry no keys, no blob content and no request URLs: only the relay's status, its
/// stable error code and its (sanitised) message, or a description written by this client.
/// Mailbox IDs never appear either, so an error may be logged or shown as it is.
public enum RelayClientError: Error, Hashable, Sendable {
    /// The relay answered with a refusal (a 4xx or 5xx status). See ``RelayRefusal``.
    case relay(RelayRefusal)
    /// The request did not complete: no connection, a name that does not resolve, a failed TLS
    /// handshake, a proxy that refused, a connection dropped mid-answer. Whether the relay acted
    /// on the request is unknown, so only idempotent requests (all of the API's, thanks to
    /// idempotent deposits and fresh nonces) should be retried.
    case transport(String)
    /// No answer within the request timeout (plus the long-poll wait for a fetch).
    case timedOut
    /// The relay's answer is not what the API promises: an unexpected status (a redirect, which is
    /// never followed), a body that is not the documented JSON, or one over the size cap.
    case invalidResponse(String)
    /// A proxy is configured, but this client cannot make URLSession use it for this relay.
    /// Nothing was sent: the client fails closed rather than connect directly.
    case proxyUnavailable(String)
    /// An argument the client checks before sending anything: a base URL that is not plain
    /// http(s), a malformed mailbox ID, an empty blob.
    case invalidArgument(String)
    /// The calling task was cancelled; the request was abandoned.
    case cancelled
}

/// A refusal from the relay: the HTTP status and, when the body is the documented error JSON,
/// its stable code and message (Protocol/relay-api.md, "Errors").
public struct RelayRefusal: Hashable, Sendable {
    /// The HTTP status, 400 to 599.
    public var status: Int
    /// The error code, when it is one this client knows; nil for a code from a newer relay (kept
    /// in ``rawCode``) and for answers without an error body (a proxy's error page, say).
    public var code: RelayErrorCode?
    /// The `code` string exactly as the relay sent it (after sanitising); nil when the answer
    /// had no well-formed error body.
    public var rawCode: String?
    /// The relay's message for people, with control characters removed and the length capped,
    /// so that a hostile relay cannot drive a terminal. Empty when there was none.
    public var message: String
    /// Seconds to wait before retrying, from a `Retry-After: <seconds>` header (sent with 429
    /// and sometimes 503); nil when absent or not in delta-seconds form.
    public var retryAfterSeconds: UInt64?

    public init(status: Int, code: RelayErrorCode?, rawCode: String?, message: String, retryAfterSeconds: UInt64? = nil) {
        self.status = status
        self.code = code
        self.rawCode = rawCode
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }
}

extension RelayClientError {
    /// The relay's error code, when the relay refused with one this client knows.
    public var relayCode: RelayErrorCode? {
        if case .relay(let refusal) = self { return refusal.code }
        return nil
    }

    /// The HTTP status of a refusal; nil for other failures.
    public var status: Int? {
        if case .relay(let refusal) = self { return refusal.status }
        return nil
    }

    /// Seconds the relay asked the client to wait before retrying (`Retry-After`), if it did.
    public var retryAfterSeconds: UInt64? {
        if case .relay(let refusal) = self { return refusal.retryAfterSeconds }
        return nil
    }

    /// Whether retrying the same request later may succeed: transport failures, timeouts, and
    /// refusals that describe a passing condition (408, 429, 5xx, including a full mailbox or
    /// disk). Refusals caused by the request itself (400, 401, 404, 405, 409, 411, 413, 431) are
    /// not temporary; a stale request needs the clock fixed first.
    public var isTemporary: Bool {
        switch self {
        case .transport, .timedOut: return true
        case .relay(let refusal): return refusal.status == 408 || refusal.status == 429 || refusal.status >= 500
        case .invalidResponse, .proxyUnavailable, .invalidArgument, .cancelled: return false
        }
    }
}

extension RelayClientError: CustomStringConvertible {
    /// One line: what went wrong and what to do next.
    public var description: String {
        switch self {
        case .relay(let refusal): return refusal.description
        case .transport(let detail): return "could not reach the relay: \(detail)"
        case .timedOut: return "the relay did not answer in time: check the network (and Tor, if used) and retry"
        case .invalidResponse(let detail):
            return "the relay's answer was not understood (\(detail)): check the relay URL; the relay may run another version"
        case .proxyUnavailable(let detail): return "nothing was sent: \(detail)"
        case .invalidArgument(let detail): return "nothing was sent: \(detail)"
        case .cancelled: return "the request was cancelled"
        }
    }
}

extension RelayRefusal: CustomStringConvertible {
    /// One line: what the relay refused and what to do next.
    public var description: String {
        let said = message.isEmpty ? "" : " (relay says: \(message))"
        let wait = retryAfterSeconds.map { " after \($0) s" } ?? " later"
        guard let code else {
            if let rawCode {
                return "the relay refused the request with HTTP \(status), code \"\(rawCode)\" unknown to this client\(said): the relay may be newer; update Vigil"
            }
            return "the relay (or a proxy in front of it) answered HTTP \(status) without a Vigil error body: check the relay URL; retry\(wait)"
        }
        let advice: String
        switch code {
        case .badRequest:
            advice = "the relay found the request malformed: this client and the relay may be of different versions"
        case .missingAuthentication:
            advice = "the relay found the request's signature headers missing or malformed: this client and the relay may be of different versions"
        case .staleRequest:
            advice = "this computer's clock differs from the relay's by more than the allowed window: set the clock right (enable network time) and retry"
        case .notFound:
            advice = "the relay has no such mailbox, or it is not owned by this key: check the mailbox address"
        case .methodNotAllowed:
            advice = "the relay does not allow this method here: this client and the relay may be of different versions"
        case .requestTimeout:
            advice = "the relay gave up waiting for the request: the connection is slow; retry"
        case .replayedRequest:
            advice = "the relay has already seen this signed request: retry, which signs it afresh"
        case .timerExists:
            advice = "the relay already holds a timer armed with this key: renew or disarm it"
        case .lengthRequired:
            advice = "the relay wants a Content-Length: this client and the relay may be of different versions"
        case .bodyTooLarge:
            advice = "the request is larger than the relay accepts: messages must be sealed envelopes"
        case .rateLimited:
            advice = "too many requests from this address: retry\(wait)"
        case .headersTooLarge:
            advice = "the request headers are larger than the relay accepts: check any proxy in between"
        case .internalError:
            advice = "the relay failed internally and stored nothing: retry later, and tell its operator if it persists"
        case .unavailable:
            advice = "the relay is shutting down or overloaded: retry\(wait)"
        case .quotaExceeded:
            advice = "the mailbox is full until its owner fetches and acknowledges messages: retry later"
        case .storageFull:
            advice = "the relay's disk is full and nothing was stored: retry later, and tell its operator"
        }
        return "\(advice) [HTTP \(status) \(code.rawValue)]\(said)"
    }
}
