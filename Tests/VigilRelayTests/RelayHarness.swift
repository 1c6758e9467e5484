import Foundation
import Logging
import Synchronization
import Testing
import VigilClient
import VigilCrypto
import VigilRelay
import VigilRelayAPI
import VigilStorage

/// The relay's clock in tests: Unix seconds that only move when a test moves them.
final class TestClock: Sendable {
    private let seconds: Mutex<UInt64>

    init(_ start: UInt64 = 1_795_600_000) { seconds = Mutex(start) }

    var now: UInt64 { seconds.withLock { $0 } }

    func advance(by delta: UInt64) { seconds.withLock { $0 += delta } }

    /// The clock as the server and clients take it.
    var function: @Sendable () -> UInt64 { { self.now } }
}

/// A real relay on 127.0.0.1 (port 0) over a real SQLite store in a fresh directory, with a
/// client pointed at it and a clock the test controls.
struct RelayHarness: Sendable {
    let clock: TestClock
    let store: SQLiteRelayStore
    /// The store the server uses: `store`, behind switchable failures.
    let faults: FaultInjectingStore
    let server: RelayServer
    let configuration: RelayConfiguration
    let port: Int
    let client: RelayClient

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }
    var base: RelayBaseURL { client.baseURL }

    /// Another client of this relay, e.g. with a skewed clock or a short timeout.
    func makeClient(clock: (@Sendable () -> UInt64)? = nil, requestTimeout: TimeInterval = 120) throws -> RelayClient {
        try RelayClient(baseURL: baseURL, requestTimeout: requestTimeout, clock: clock ?? self.clock.function)
    }

    /// A new mailbox and its owner key.
    func makeMailbox() async throws -> (id: String, owner: SigningKeyPair) {
        let owner = SigningKeyPair()
        return (try await client.createMailbox(ownerKey: owner), owner)
    }

    /// The bytes of `request` as a raw HTTP/1.1 request with `Connection: close`.
    func rawBytes(_ request: RelayRequest) -> [UInt8] {
        let target = request.query.isEmpty ? request.path : request.path + "?" + request.query
        return RawHTTP.format(method: request.method, target: target, headers: request.headers, body: request.body)
    }

    /// Sends `request` over a raw connection, exactly as built.
    func raw(_ request: RelayRequest) async throws -> RawResponse {
        try await RawHTTP.exchange(port: port, rawBytes(request))
    }

    /// A signed request for `endpoint`, timestamped by the relay's clock unless told otherwise.
    func request(_ endpoint: RelayEndpoint, timestamp: UInt64? = nil) throws -> RelayRequest {
        try RelayRequest(endpoint, base: base, timestamp: timestamp ?? clock.now)
    }

    func raw(method: String, target: String, headers: [String: String] = [:], body: [UInt8] = []) async throws -> RawResponse {
        try await RawHTTP.exchange(port: port, method: method, target: target, headers: headers, body: body)
    }

    /// Pending blobs of a mailbox, read from the store directly.
    func stored(_ mailboxID: String) async throws -> [StoredMessage] {
        try await store.pending(mailboxID: mailboxID, after: 0, limit: 10_000).messages
    }

    /// Blobs held by the whole relay, read from the store directly.
    func storedBlobCount() async throws -> Int {
        try await store.statistics().blobs
    }
}

/// Test defaults: generous rate limits (each test has its own relay, all from 127.0.0.1) and
/// read deadlines (hundreds of tests share two cores, so a client task may wait seconds to be
/// scheduled between connecting and writing), so only tests that are about limits or deadlines
/// meet them.
private func testConfiguration(directory: String) -> RelayConfiguration {
    var configuration = RelayConfiguration(dataDirectory: directory)
    configuration.port = 0
    // The tests read the counters; a relay's own default is `.off`.
    configuration.metrics = .everyone
    configuration.headerTimeoutSeconds = 60
    configuration.bodyTimeoutSeconds = 60
    configuration.mailboxCreationBurst = 1000
    configuration.mailboxCreationsPerHour = 100_000
    configuration.depositBurst = 1000
    configuration.depositsPerMinute = 100_000
    return configuration
}

/// Runs `body` against a fresh relay, then shuts it down and removes its directory.
func withRelay(
    _ configure: (inout RelayConfiguration) -> Void = { _ in },
    clock: TestClock = TestClock(),
    _ body: (RelayHarness) async throws -> Void
) async throws {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("vigil-relay-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }

    var configuration = testConfiguration(directory: directory)
    configure(&configuration)
    let store = try SQLiteRelayStore(path: directory + "/relay.sqlite")
    let faults = FaultInjectingStore(store)
    let server = RelayServer(
        configuration: configuration, store: faults, clock: clock.function,
        logger: Logger(label: "vigil-relay-test", factory: { _ in SwiftLogNoOpLogHandler() }))
    try await server.start()
    let port = server.localPort
    let harness = RelayHarness(
        clock: clock, store: store, faults: faults, server: server, configuration: configuration, port: port,
        client: try RelayClient(baseURL: URL(string: "http://127.0.0.1:\(port)")!, requestTimeout: 120, clock: clock.function))
    do {
        try await body(harness)
    } catch {
        await server.shutdown()
        await store.close()
        throw error
    }
    await server.shutdown()
    await store.close()
}

/// Bytes that differ per call, so deposits are not idempotent repeats of each other.
func blob(_ size: Int = 300, seed: UInt8 = 0) -> [UInt8] {
    var bytes = SecureRandom.bytes(count: size)
    if size > 0 { bytes[0] = seed }
    return bytes
}

/// The typed error `operation` throws, or nil (with an issue recorded) when it succeeds.
func relayError<T>(
    _ operation: () async throws(RelayClientError) -> T, sourceLocation: SourceLocation = #_sourceLocation
) async -> RelayClientError? {
    do {
        let value = try await operation()
        Issue.record("expected a RelayClientError, got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}
