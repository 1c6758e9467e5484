public import Foundation
public import VigilCrypto
public import VigilRelayAPI

/// A client of one relay (Protocol/relay-api.md), on Foundation's URLSession.
///
/// Owner requests are signed with the mailbox's owner key over exactly the method, path and
/// query as sent and the body bytes, with a timestamp from the injected clock and a fresh
/// nonce. Answers are parsed strictly (see ``RelayResponse``) and capped in size; redirects are
/// never followed; no cookies, cache or credentials are kept. Keys and blob contents never
/// appear in errors.
///
/// ## Proxies and Tor
///
/// When a proxy is configured, every request goes through it or is not sent at all
/// (``RelayClientError/proxyUnavailable(_:)``); the client never falls back to a direct
/// connection. A proxy is configured by the `proxy` argument, or else by the environment
/// (`ALL_PROXY=socks5h://127.0.0.1:9050` for Tor, or `https_proxy`/`http_proxy` for the relay's
/// scheme). `socks5h://` makes the proxy resolve the relay's name; `socks5://` would resolve it
/// on this machine, leaking it and failing for `.onion` relays, so it is refused for host names.
///
/// How it works on Linux: swift-corelibs-foundation's URLSession is built on libcurl and never
/// sets a proxy on its curl handles (`EasyHandle.swift` has only a `TODO: Proxy setting`), and it
/// ignores `URLSessionConfiguration.connectionProxyDictionary` entirely, SOCKS or not. libcurl
/// itself reads `<scheme>_proxy`, `ALL_PROXY`/`all_proxy` and `NO_PROXY`/`no_proxy` from the
/// process environment for every transfer (but not the upper-case `HTTP_PROXY`). So on Linux:
/// * `ALL_PROXY` from the environment works, `socks5h` included;
/// * an explicit `proxy` **cannot be handed to URLSession**: it is accepted only when the
///   environment already routes the relay's URL through that same proxy (start the program with
///   `ALL_PROXY=<proxy>`); otherwise every request fails with `proxyUnavailable`;
/// * before each request the client re-reads the environment as libcurl will, and refuses when
///   `NO_PROXY` exempts the relay's host or the variables name no proxy or another one.
///
/// On Apple platforms URLSession ignores the environment; the client reads it itself and passes
/// the proxy in `connectionProxyDictionary` (SOCKS5 or HTTP proxies, no credentials).
public final class RelayClient: Sendable {
    /// The relay's checked base URL.
    public let baseURL: RelayBaseURL
    /// The route requests take, fixed when the client is made.
    public let route: ProxyRoute
    /// Seconds to wait for progress on a request; a fetch adds its long-poll `wait`.
    public let requestTimeout: TimeInterval
    /// Largest answer body read, in bytes; larger answers are ``RelayClientError/invalidResponse(_:)``.
    public let maxResponseBytes: Int

    private let clock: @Sendable () -> UInt64
    private let transport: HTTPTransport

    /// The system clock in Unix seconds.
    public static let systemClock: @Sendable () -> UInt64 = { UInt64(max(0, Date().timeIntervalSince1970)) }

    /// Makes a client of the relay at `baseURL` (`https://host[:port][/prefix]`).
    /// - Parameters:
    ///   - proxy: a proxy every request must go through, such as `socks5h://127.0.0.1:9050`; see
    ///     the type's documentation for what works on Linux. Nil: the environment decides.
    ///   - requestTimeout: seconds without progress before ``RelayClientError/timedOut``.
    ///   - maxResponseBytes: cap on an answer's body; the default, 64 MiB, fits a full fetch.
    ///   - clock: Unix seconds for request timestamps; injectable for tests.
    /// - Throws: ``RelayClientError/invalidArgument(_:)`` for a base URL, proxy or limit that is
    ///   not usable; ``RelayClientError/proxyUnavailable(_:)`` when the environment's proxy
    ///   settings would send requests directly or cannot be honoured.
    public init(
        baseURL: URL, proxy: URL? = nil, requestTimeout: TimeInterval = 30, maxResponseBytes: Int = 64 << 20,
        clock: @escaping @Sendable () -> UInt64 = RelayClient.systemClock
    ) throws(RelayClientError) {
        guard requestTimeout.isFinite, requestTimeout > 0, requestTimeout <= 3600 else {
            throw .invalidArgument("the request timeout must be between 0 and 3600 seconds")
        }
        guard maxResponseBytes > 0 else { throw .invalidArgument("the response size cap must be positive") }
        let base = try RelayBaseURL(baseURL)
        let route = try ProxyPolicy.intendedRoute(
            explicit: proxy, environment: ProcessInfo.processInfo.environment, target: base)
        #if canImport(FoundationNetworking)
        let dictionary: [String: Any]? = nil
        #else
        let dictionary = try ProxyPolicy.sessionDictionary(for: route)
        #endif
        self.baseURL = base
        self.route = route
        self.requestTimeout = requestTimeout
        self.maxResponseBytes = maxResponseBytes
        self.clock = clock
        self.transport = HTTPTransport(requestTimeout: requestTimeout, proxyDictionary: dictionary)
    }

    /// Creates a mailbox owned by `ownerKey` (a key made for this mailbox only) and returns its ID.
    public func createMailbox(ownerKey: SigningKeyPair) async throws(RelayClientError) -> String {
        try await send(.createMailbox(ownerKey: ownerKey)).mailboxID()
    }

    /// Deposits a blob (a sealed envelope) and returns its message ID once the relay holds it
    /// durably. Retrying with the same bytes is safe: the relay stores it once and answers with
    /// the same ID.
    public func deposit(mailboxID: String, blob: [UInt8]) async throws(RelayClientError) -> Int64 {
        try await send(.deposit(mailboxID: mailboxID, blob: blob)).depositID()
    }

    /// Pending blobs with IDs above `after`, oldest first, at most `limit`. With `wait` > 0 the
    /// relay holds the request until a blob arrives or `wait` seconds pass (long-poll); the
    /// request timeout is extended by `wait`.
    public func fetch(
        mailboxID: String, ownerKey: SigningKeyPair, after: Int64 = 0, limit: Int = 100, wait: Int = 0
    ) async throws(RelayClientError) -> FetchResponse {
        if wait > 0 {
            // URLSession on Linux keeps watching a socket for writability while a transfer that
            // opened a new connection waits for its answer, and spins a CPU core doing so until
            // the answer comes. A short request first opens (or reuses) the connection, so that
            // the long-poll goes out on an established one and waits idle.
            _ = try? await send(.health)
        }
        return try await send(.fetch(mailboxID: mailboxID, ownerKey: ownerKey, after: after, limit: limit, wait: wait))
            .fetched(after: after, limit: limit)
    }

    /// Deletes blobs for good; returns how many were pending and are now gone.
    public func acknowledge(mailboxID: String, ownerKey: SigningKeyPair, ids: [Int64]) async throws(RelayClientError) -> Int {
        try await send(.acknowledge(mailboxID: mailboxID, ownerKey: ownerKey, ids: ids))
            .deletedCount(requested: Set(ids).count)
    }

    /// Deletes the mailbox and everything in it.
    public func deleteMailbox(mailboxID: String, ownerKey: SigningKeyPair) async throws(RelayClientError) -> Bool {
        try await send(.deleteMailbox(mailboxID: mailboxID, ownerKey: ownerKey)).mailboxDeleted()
    }

    // MARK: Dead man's switch timers

    /// Arms a dead man's switch on the relay and returns its ID once the relay holds it durably.
    ///
    /// `blobs` are alerts already sealed, each to one contact, and each bound for one of that
    /// contact's mailboxes on this relay; the relay never sees their content. If `deadline`
    /// (Unix seconds, by the relay's clock) passes without ``renewTimer(timerID:timerKey:deadline:blobs:)``,
    /// the relay delivers each into its mailbox, once. `timerKey` must be a key made for this
    /// timer only, so that timers cannot be linked to mailboxes or to each other by key.
    /// - Throws: ``RelayClientError/relay(_:)`` with `bad_request` (deadline in the past or too
    ///   far ahead, too many blobs), `body_too_large`, `not_found` (a target mailbox does not
    ///   exist), `rate_limited` or `quota_exceeded` (the relay's timer cap).
    public func armTimer(
        timerKey: SigningKeyPair, deadline: UInt64, blobs: [TimerBlobPayload]
    ) async throws(RelayClientError) -> String {
        let id = try await send(.armTimer(timerKey: timerKey, deadline: deadline, blobs: blobs)).timerID()
        guard id == TimerIDs.derive(timerKey: timerKey.publicKey) else {
            throw .invalidResponse("the relay answered with a timer ID that is not derived from the timer key")
        }
        return id
    }

    /// Moves a timer's deadline and, when `blobs` is not nil, replaces its bundle (contacts
    /// changed). Returns the new deadline. A timer that fired, was disarmed or whose deadline has
    /// passed is `not_found`, as is a wrong key.
    @discardableResult
    public func renewTimer(
        timerID: String, timerKey: SigningKeyPair, deadline: UInt64, blobs: [TimerBlobPayload]? = nil
    ) async throws(RelayClientError) -> UInt64 {
        try await send(.renewTimer(timerID: timerID, timerKey: timerKey, deadline: deadline, blobs: blobs))
            .renewedDeadline(expected: deadline)
    }

    /// Disarms a timer: its bundle is deleted and will never be delivered.
    @discardableResult
    public func disarmTimer(timerID: String, timerKey: SigningKeyPair) async throws(RelayClientError) -> Bool {
        try await send(.disarmTimer(timerID: timerID, timerKey: timerKey)).timerDisarmed()
    }

    /// An armed timer's deadline and how many blobs it holds.
    public func timerStatus(timerID: String, timerKey: SigningKeyPair) async throws(RelayClientError) -> TimerStatusResponse {
        try await send(.timerStatus(timerID: timerID, timerKey: timerKey)).timerStatus()
    }

    /// The relay's health; `status` is `"ok"` while it accepts requests.
    public func health() async throws(RelayClientError) -> HealthResponse {
        try await send(.health).health()
    }

    /// Builds, signs (now, by the injected clock) and sends the request for `endpoint`, and
    /// returns the raw answer, whatever its status.
    public func send(_ endpoint: RelayEndpoint) async throws(RelayClientError) -> RelayResponse {
        try await send(RelayRequest(endpoint, base: baseURL, timestamp: clock()))
    }

    /// Sends a request built earlier, as it is (a signed request keeps its nonce), along
    /// ``route``, and returns the raw answer, whatever its status.
    /// - Throws: ``RelayClientError/proxyUnavailable(_:)`` before sending when the proxy
    ///   cannot be used; transport failures, timeouts, cancellation and oversized answers.
    public func send(_ request: RelayRequest) async throws(RelayClientError) -> RelayResponse {
        #if canImport(FoundationNetworking)
        try ProxyPolicy.verifyLibcurl(route, environment: ProcessInfo.processInfo.environment, target: baseURL)
        #endif
        if Task.isCancelled { throw .cancelled }
        // URLSession on Linux truncates timeouts to whole seconds; never let that reach zero.
        let timeout = max(1, requestTimeout.rounded(.up)) + TimeInterval(request.holdSeconds)
        switch await transport.send(request, timeout: timeout, maxResponseBytes: maxResponseBytes) {
        case .answered(let response):
            return response
        case .oversized:
            throw .invalidResponse("the answer is larger than \(maxResponseBytes) bytes")
        case .failed(let code):
            throw Self.error(for: code, route: route)
        }
    }

    /// A description of a URLSession failure without the URL (which holds the mailbox ID).
    static func error(for code: URLError.Code, route: ProxyRoute) -> RelayClientError {
        var proxyHint = ""
        var proxyName: String?
        if case .proxy(let proxy) = route {
            proxyHint = " through the proxy \(proxy)"
            proxyName = "\(proxy)"
        }
        switch code {
        case .timedOut:
            return .timedOut
        case .cancelled:
            return .cancelled
        case .cannotFindHost, .dnsLookupFailed:
            return .transport("the relay's host name could not be resolved\(proxyHint): check the relay URL")
        case .cannotConnectToHost:
            if let proxyName {
                return .transport("could not connect through the proxy \(proxyName): check that it (Tor) is running and reaches the relay")
            }
            return .transport("could not connect: check the relay URL and that the relay is running")
        case .networkConnectionLost:
            return .transport("the connection was lost before the answer was complete\(proxyHint): retry")
        case .notConnectedToInternet:
            return .transport("this computer is not connected to a network")
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
            .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .clientCertificateRejected,
            .clientCertificateRequired:
            return .transport("the TLS connection to the relay failed (untrusted certificate or failed handshake): check the relay URL")
        case .badServerResponse, .cannotParseResponse, .zeroByteResource, .cannotDecodeRawData, .cannotDecodeContentData:
            return .invalidResponse("not a well-formed HTTP answer")
        case .dataLengthExceedsMaximum:
            return .invalidResponse("the answer is too large")
        case .unsupportedURL, .badURL:
            return .invalidArgument("URLSession cannot use this relay URL")
        default:
            return .transport("URLSession failed with error \(code.rawValue)\(proxyHint)")
        }
    }
}
