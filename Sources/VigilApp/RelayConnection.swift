public import Foundation
public import VigilClient
public import VigilCrypto
public import VigilRelayAPI

/// What Vigil needs from one relay. ``RelayClient`` is the real one; tests substitute their own.
public protocol RelayConnection: Sendable {
    func createMailbox(ownerKey: SigningKeyPair) async throws(RelayClientError) -> String
    func deposit(mailboxID: String, blob: [UInt8]) async throws(RelayClientError) -> Int64
    func fetch(mailboxID: String, ownerKey: SigningKeyPair, after: Int64, limit: Int, wait: Int) async throws(RelayClientError) -> FetchResponse
    func acknowledge(mailboxID: String, ownerKey: SigningKeyPair, ids: [Int64]) async throws(RelayClientError) -> Int
    func deleteMailbox(mailboxID: String, ownerKey: SigningKeyPair) async throws(RelayClientError) -> Bool
    func armTimer(timerKey: SigningKeyPair, deadline: UInt64, blobs: [TimerBlobPayload]) async throws(RelayClientError) -> String
    func renewTimer(timerID: String, timerKey: SigningKeyPair, deadline: UInt64, blobs: [TimerBlobPayload]?) async throws(RelayClientError) -> UInt64
    func disarmTimer(timerID: String, timerKey: SigningKeyPair) async throws(RelayClientError) -> Bool
}

extension RelayConnection {
    // Connections that hold no timers (test doubles written before the dead man's switch)
    // refuse the timer calls as a relay without the timer API would.
    public func armTimer(timerKey: SigningKeyPair, deadline: UInt64, blobs: [TimerBlobPayload]) async throws(RelayClientError) -> String {
        throw Self.noTimers
    }

    public func renewTimer(timerID: String, timerKey: SigningKeyPair, deadline: UInt64, blobs: [TimerBlobPayload]?) async throws(RelayClientError) -> UInt64 {
        throw Self.noTimers
    }

    public func disarmTimer(timerID: String, timerKey: SigningKeyPair) async throws(RelayClientError) -> Bool {
        throw Self.noTimers
    }

    private static var noTimers: RelayClientError {
        .relay(RelayRefusal(status: 404, code: nil, rawCode: nil, message: "this relay does not hold timers"))
    }
}

extension RelayClient: RelayConnection {}

/// Makes connections to relays by URL. One connector serves one command, and hands out one
/// connection per relay.
public protocol RelayConnector: Sendable {
    /// A connection to the relay at `url`.
    /// - Throws: ``RelayClientError`` when the URL or the proxy cannot be used; nothing is sent.
    func connection(to url: String) throws(RelayClientError) -> any RelayConnection
}

/// The real connector: a ``RelayClient`` per relay URL, all through the same proxy (or none).
///
/// On Linux the proxy must also be in the process environment (see ``RelayClient``); the
/// command line arranges that before it makes this connector.
public final class URLSessionRelayConnector: RelayConnector {
    /// The proxy every request must use, or nil for the environment's (normally none).
    public let proxy: URL?
    /// Seconds without progress before a request is abandoned.
    public let requestTimeout: TimeInterval
    private let clients = LockedDictionary<String, RelayClient>()

    /// A connector whose clients all go through `proxy` (nil: whatever the environment says).
    public init(proxy: URL?, requestTimeout: TimeInterval = 20) {
        self.proxy = proxy
        self.requestTimeout = requestTimeout
    }

    /// The client of the relay at `url`, made on first use.
    public func connection(to url: String) throws(RelayClientError) -> any RelayConnection {
        if let existing = clients[url] { return existing }
        guard let parsed = URL(string: url) else { throw .invalidArgument("the relay URL cannot be parsed") }
        // Requests are signed with the real clock: the relay compares it with its own.
        let client = try RelayClient(baseURL: parsed, proxy: proxy, requestTimeout: requestTimeout)
        clients[url] = client
        return client
    }
}

/// A small dictionary behind a lock, for caches shared between tasks.
final class LockedDictionary<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Key: Value] = [:]

    subscript(key: Key) -> Value? {
        get { lock.withLock { storage[key] } }
        set { lock.withLock { storage[key] = newValue } }
    }
}
