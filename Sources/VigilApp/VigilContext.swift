public import Foundation
public import VigilCrypto
public import VigilProtocol

/// What a front end decides before Vigil runs: where the state is, what time it is, how relays
/// are reached. The command line builds it from the environment and its options; tests build
/// their own.
public struct VigilContext: Sendable {
    /// `$VIGIL_HOME`.
    public var home: VigilHome
    /// The application clock: message times, the accepted window, overdue detection, retry
    /// times. (Relay requests are always signed with the real clock, which the relay checks.)
    public var clock: @Sendable () -> Timestamp
    /// Makes the relay connector for a proxy (nil: none configured). The command line's version
    /// also puts the proxy into the process environment, where URLSession on Linux reads it.
    public var makeConnector: @Sendable (_ proxy: URL?) throws -> any RelayConnector
    /// A proxy given for this run (`--proxy`), overriding the stored setting.
    public var proxyOverride: URL?
    /// A grace period given for this run, overriding the stored setting.
    public var graceOverride: UInt64?
    /// When failed deliveries are retried.
    public var retryPolicy: RetryPolicy
    /// The Argon2id cost for a new keystore.
    public var keyDerivationCost: VigilCrypto.Argon2id.Parameters
    /// Seconds a long-poll waits at the relay (at most 60).
    public var longPollSeconds: Int

    /// A context; only the home is required, the rest defaults to real clocks and relays.
    public init(
        home: VigilHome, clock: @escaping @Sendable () -> Timestamp = VigilContext.systemClock,
        makeConnector: @escaping @Sendable (_ proxy: URL?) throws -> any RelayConnector = { URLSessionRelayConnector(proxy: $0) },
        proxyOverride: URL? = nil, graceOverride: UInt64? = nil, retryPolicy: RetryPolicy = RetryPolicy(),
        keyDerivationCost: VigilCrypto.Argon2id.Parameters = KeyDerivationCost.standard, longPollSeconds: Int = 25
    ) {
        self.home = home
        self.clock = clock
        self.makeConnector = makeConnector
        self.proxyOverride = proxyOverride
        self.graceOverride = graceOverride
        self.retryPolicy = retryPolicy
        self.keyDerivationCost = keyDerivationCost
        self.longPollSeconds = longPollSeconds
    }

    /// The system clock.
    public static let systemClock: @Sendable () -> Timestamp = { Timestamp(Date()) }

    /// The environment variable that replaces the clock, for tests: Unix seconds.
    public static let clockVariable = "VIGIL_NOW"

    /// The clock `VIGIL_NOW` names (a fixed time, for tests and demonstrations), or the system clock.
    /// - Throws: ``VigilError`` (usage) when it is set but not a number of seconds.
    public static func clock(environment: [String: String]) throws(VigilError) -> @Sendable () -> Timestamp {
        guard let text = environment[clockVariable], !text.isEmpty else { return systemClock }
        guard let seconds = UInt64(text) else {
            throw .usage("\(clockVariable) must be Unix seconds (a testing aid); unset it for normal use")
        }
        let fixed = Timestamp(secondsSince1970: seconds)
        return { fixed }
    }
}


