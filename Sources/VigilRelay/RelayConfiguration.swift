public import VigilCrypto

/// Everything an operator can set about a relay, with safe defaults.
public struct RelayConfiguration: Sendable {
    /// Address to listen on. Loopback by default: expose a relay through a TLS terminator or a
    /// Tor onion service, not directly.
    public var host: String = "127.0.0.1"
    /// Port to listen on; 0 picks a free one (tests).
    public var port: Int = 8080
    /// Directory holding the database. Created 0700 if missing.
    public var dataDirectory: String

    /// Largest deposit body: the largest sealed envelope (16 384 + 48 bytes) by default.
    public var maxBlobBytes: Int = 16_432
    /// Largest JSON request body.
    public var maxJSONBodyBytes: Int = 64 << 10
    /// Largest request line plus headers.
    public var maxHeaderBytes: Int = 8 << 10
    /// Most blobs and bytes one mailbox may hold.
    public var mailboxMaxBlobs: Int = 1000
    public var mailboxMaxBytes: Int = 16 << 20
    /// How long an unacknowledged blob is kept, in seconds (14 days).
    public var retentionSeconds: UInt64 = 14 * 24 * 3600
    /// How often the retention sweep runs, in seconds.
    public var sweepIntervalSeconds: UInt64 = 300
    /// Deposits per client address: sustained per minute, and burst.
    public var depositsPerMinute: Int = 600
    public var depositBurst: Int = 60
    /// Mailbox creations per client address: sustained per hour, and burst.
    public var mailboxCreationsPerHour: Int = 10
    public var mailboxCreationBurst: Int = 10
    /// Most simultaneous connections; more are answered 503 and closed.
    public var maxConnections: Int = 1024
    /// Seconds a client has to send the request line and headers, and then the body.
    public var headerTimeoutSeconds: Int64 = 10
    public var bodyTimeoutSeconds: Int64 = 30
    /// Seconds an idle keep-alive connection is kept open.
    public var idleTimeoutSeconds: Int64 = 75
    /// Seconds a client has to read a response (a full fetch is about 2 MB); a client that reads
    /// slower is cut off, so it cannot pin the response's memory and its connection for longer.
    public var writeTimeoutSeconds: Int64 = 60
    /// How far a signed request's timestamp may be from the relay's clock, in seconds.
    public var authenticationWindowSeconds: UInt64 = 120
    /// Longest long-poll a fetch may ask for, in seconds.
    public var maxLongPollSeconds: Int = 60

    /// Most blobs in one dead man's switch timer's bundle (one per contact mailbox).
    public var maxTimerBlobs: Int = 64
    /// Most bytes (sum of blob sizes) in one timer's bundle; each blob is also limited by
    /// ``maxBlobBytes``. 256 KiB holds 64 alerts of the 1 KiB size bucket, or 60 of the 4 KiB one.
    public var maxTimerBundleBytes: Int = 256 << 10
    /// How far ahead a timer's deadline may be, in seconds (31 days).
    public var maxTimerHorizonSeconds: UInt64 = 31 * 24 * 3600
    /// Most timers armed on the relay at once.
    public var maxTimers: Int = 100_000
    /// Timers armed per client address: sustained per hour, and burst.
    public var timerCreationsPerHour: Int = 20
    public var timerCreationBurst: Int = 20
    /// How often the relay looks for timers whose deadline has passed (it also looks at start).
    public var timerCheckInterval: Duration = .seconds(1)

    /// Who may read `GET /metrics`. Nobody by default: its counters show when the relay is busy
    /// and when dead man's switch timers fire, which can itself tell that an alarm went off.
    public var metrics: MetricsAccess = .off

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }
}

/// Who may read the relay's metrics.
public enum MetricsAccess: Sendable {
    /// Nobody: `/metrics` answers `404`, as a path that does not exist.
    case off
    /// Requests with `Authorization: Bearer TOKEN`; any other gets the same `404`.
    case token(SecureBytes)
    /// Anyone who can reach the relay: for a relay whose front blocks `/metrics`, or on a
    /// private network.
    case everyone

    /// Shortest accepted token, in characters.
    public static let minimumTokenLength = 32

    /// Why a token cannot be used.
    public struct TokenError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The token in `contents` (a token file's bytes; a final line break is ignored): at least
    /// ``minimumTokenLength`` visible ASCII characters, so that it survives an HTTP header.
    public static func token(fromFileContents contents: [UInt8]) throws(TokenError) -> MetricsAccess {
        var end = contents.endIndex
        while end > contents.startIndex, contents[end - 1] == 0x0A || contents[end - 1] == 0x0D { end -= 1 }
        let token = contents[contents.startIndex..<end]
        guard token.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw TokenError(description: "the metrics token must be one line of visible ASCII characters, without spaces")
        }
        guard token.count >= minimumTokenLength else {
            throw TokenError(description: "the metrics token must be at least \(minimumTokenLength) characters long (e.g. `openssl rand -hex 32`)")
        }
        return .token(SecureBytes(copying: token))
    }

    /// Whether a request with this `Authorization` header value (nil: none, or repeated) may
    /// read the metrics. The token is compared in constant time.
    func allows(authorization: String?) -> Bool {
        switch self {
        case .off:
            return false
        case .everyone:
            return true
        case .token(let expected):
            // The scheme is case-insensitive (RFC 9110); the token is not.
            guard let authorization, authorization.utf8.count > 7, authorization.prefix(7).lowercased() == "bearer " else {
                return false
            }
            let offered = SecureBytes(copying: authorization.utf8.dropFirst(7))
            return offered.constantTimeEquals(expected)
        }
    }
}
