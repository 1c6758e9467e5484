import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
import VigilCrypto
import VigilRelay
import VigilRelayAPI
import VigilStorage

/// Hostile clients against a real relay (in process, 127.0.0.1 port 0, real SQLite store): bytes
/// that are not HTTP, heads and bodies over the limits, framing the relay refuses, clients too
/// slow or too many. Every refusal must be the spec's JSON error, store nothing, and leave the
/// relay serving everyone else.
@Suite("Hostile HTTP")
struct HostileHTTPTests {
    // MARK: - Malformed requests

    static let malformedRequests: [String] = [
        "GARBAGE\r\n\r\n",
        "GET\r\n\r\n",
        "GET /v1/health HTTP/9.9\r\n\r\n",
        "GET /v1/health HTTP/1.1\r\nNo colon in this header\r\n\r\n",
        "GET /v1/health HTTP/1.1\r\n: empty name\r\n\r\n",
        "GET /v1/health\tHTTP/1.1 x\r\n\r\n",
        "POST /v1/mailboxes HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        "POST /v1/mailboxes HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
        "\u{01}\u{02}\u{03}\u{7F} / HTTP/1.1\r\n\r\n",
    ]

    @Test("A malformed request is refused with 400 bad_request and the connection closed",
          arguments: malformedRequests)
    func malformedRequestIsRefused(request: String) async throws {
        try await Hostile.Relay.with { relay in
            let connection = try await relay.connect()
            try await connection.send(Array(request.utf8))
            let response = try await connection.readResponse()
            #expect(response.status == 400, "\(response)")
            #expect(response.errorCode == "bad_request")
            #expect(await connection.waitUntilClosed())
            try await relay.expectServing()
        }
    }

    @Test("Random bytes ending in a blank line are refused with 400, and the relay keeps serving")
    func garbageIsRefused() async throws {
        try await Hostile.Relay.with { relay in
            for _ in 0..<5 {
                // Anything but CR and LF, so the blank line at the end is the first one.
                let garbage = SecureRandom.bytes(count: 2000).map { $0 == 10 || $0 == 13 ? 0x41 : $0 }
                let connection = try await relay.connect()
                try await connection.send(garbage + Array("\r\n\r\n".utf8))
                let response = try await connection.readResponse()
                #expect(response.status == 400, "\(response)")
                #expect(response.errorCode == "bad_request")
                #expect(await connection.waitUntilClosed())
            }
            try await relay.expectServing()
        }
    }

    // MARK: - Head limit

    /// A health request whose request line and headers are exactly `size` bytes.
    static func head(ofSize size: Int) -> [UInt8] {
        let start = "GET /v1/health HTTP/1.1\r\nHost: relay\r\nX-Pad: "
        let end = "\r\n\r\n"
        let padding = size - start.utf8.count - end.utf8.count
        return Array((start + String(repeating: "a", count: padding) + end).utf8)
    }

    @Test("A request line and headers of exactly 8 KiB are served")
    func headAtTheLimitIsServed() async throws {
        try await Hostile.Relay.with { relay in
            let connection = try await relay.connect()
            try await connection.send(Self.head(ofSize: 8192))
            let response = try await connection.readResponse()
            #expect(response.status == 200, "\(response)")
        }
    }

    @Test("A request line and headers over 8 KiB are refused with 431 and the connection closed",
          arguments: [8193, 9000, 64 << 10, 1 << 20])
    func headOverTheLimitIsRefused(size: Int) async throws {
        try await Hostile.Relay.with { relay in
            let connection = try await relay.connect()
            try await connection.send(Self.head(ofSize: size))
            let response = try await connection.readResponse()
            #expect(response.status == 431, "\(response)")
            #expect(response.errorCode == "headers_too_large")
            #expect(await connection.waitUntilClosed())
            try await relay.expectServing()
        }
    }

    @Test("A head that never ends is refused with 431 once it passes 8 KiB")
    func endlessHeadIsRefused() async throws {
        // A generous header deadline: this is about the size limit, and on a loaded machine ten
        // sends may take longer than the suite's short default deadline.
        try await Hostile.Relay.with({ $0.headerTimeoutSeconds = 60 }) { relay in
            let connection = try await relay.connect()
            try await connection.send(Array("GET /v1/health HTTP/1.1\r\n".utf8))
            for _ in 0..<10 {
                try? await connection.send(Array(("X-Endless: " + String(repeating: "b", count: 1000) + "\r\n").utf8))
            }
            let response = try await connection.readResponse()
            #expect(response.status == 431, "\(response)")
            #expect(await connection.waitUntilClosed())
            try await relay.expectServing()
        }
    }

    // MARK: - Body limits and framing

    @Test("A deposit over the blob limit is refused with 413 and nothing is stored")
    func oversizedDepositIsRefused() async throws {
        try await Hostile.Relay.with { relay in
            let mailbox = try await relay.makeMailbox()
            let limit = relay.configuration.maxBlobBytes

            // The whole oversized body, sent at once.
            let connection = try await relay.connect()
            try await connection.send(
                Hostile.request("POST", "/v1/mailboxes/\(mailbox)/messages", body: [UInt8](repeating: 7, count: limit + 1)))
            let response = try await connection.readResponse()
            #expect(response.status == 413, "\(response)")
            #expect(response.errorCode == "body_too_large")
            #expect(await connection.waitUntilClosed())

            // A huge Content-Length with no body: refused from the head alone.
            let liar = try await relay.connect()
            try await liar.send(Array(
                "POST /v1/mailboxes/\(mailbox)/messages HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n".utf8))
            let refused = try await liar.readResponse()
            #expect(refused.status == 413, "\(refused)")
            #expect(await liar.waitUntilClosed())

            #expect(try await relay.store.statistics().blobs == 0)

            // The limit itself is fine.
            let fits = try await relay.connect()
            try await fits.send(Hostile.request("POST", "/v1/mailboxes/\(mailbox)/messages", body: [UInt8](repeating: 7, count: limit)))
            #expect(try await fits.readResponse().status == 201)
            #expect(try await relay.store.statistics().blobs == 1)
        }
    }

    @Test("A JSON body over 64 KiB is refused with 413")
    func oversizedJSONBodyIsRefused() async throws {
        try await Hostile.Relay.with { relay in
            let connection = try await relay.connect()
            try await connection.send(Hostile.request("POST", "/v1/mailboxes", body: [UInt8](repeating: 0x20, count: (64 << 10) + 1)))
            let response = try await connection.readResponse()
            #expect(response.status == 413, "\(response)")
            #expect(response.errorCode == "body_too_large")
            #expect(try await relay.store.statistics().mailboxes == 0)
            try await relay.expectServing()
        }
    }

    static let unframedBodies: [String] = [
        "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "Connection: close\r\n\r\nhello",
    ]

    @Test("A deposit that is chunked or has no Content-Length is refused with 411 and nothing is stored",
          arguments: unframedBodies)
    func unframedDepositIsRefused(rest: String) async throws {
        try await Hostile.Relay.with { relay in
            let mailbox = try await relay.makeMailbox()
            let connection = try await relay.connect()
            try await connection.send(Array("POST /v1/mailboxes/\(mailbox)/messages HTTP/1.1\r\nHost: relay\r\n\(rest)".utf8))
            let response = try await connection.readResponse()
            #expect(response.status == 411, "\(response)")
            #expect(response.errorCode == "length_required")
            #expect(await connection.waitUntilClosed())
            #expect(try await relay.store.statistics().blobs == 0)
            try await relay.expectServing()
        }
    }

    // MARK: - Deadlines

    @Test("A client sending its head one byte a second gets 408 and is closed, while others are served")
    func slowHeadIsCutOff() async throws {
        try await Hostile.Relay.with({ $0.headerTimeoutSeconds = 2 }) { relay in
            let slow = try await relay.connect()
            let dripping = Task {
                for byte in Array("GET /v1/health HTTP/1.1\r\nX-Slow: yes, very slow indeed\r\n".utf8) {
                    do { try await slow.send([byte]) } catch { return }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            defer { dripping.cancel() }

            // Served meanwhile, on fresh connections and on a kept-alive one.
            let other = try await relay.connect()
            for _ in 0..<3 {
                try await other.send(Hostile.request("GET", "/v1/health"))
                #expect(try await other.readResponse().status == 200)
                try await relay.expectServing()
            }

            let response = try await slow.readResponse(timeout: .seconds(20))
            #expect(response.status == 408, "\(response)")
            #expect(response.errorCode == "request_timeout")
            #expect(await slow.waitUntilClosed(timeout: .seconds(20)))
            try await relay.expectServing()
        }
    }

    @Test("A client sending its body one byte a second gets 408, is closed, and nothing is stored")
    func slowBodyIsCutOff() async throws {
        try await Hostile.Relay.with({ $0.bodyTimeoutSeconds = 2 }) { relay in
            let mailbox = try await relay.makeMailbox()
            let slow = try await relay.connect()
            try await slow.send(Array("POST /v1/mailboxes/\(mailbox)/messages HTTP/1.1\r\nContent-Length: 100\r\n\r\n".utf8))
            let dripping = Task {
                for _ in 0..<100 {
                    do { try await slow.send([0x42]) } catch { return }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            defer { dripping.cancel() }

            let response = try await slow.readResponse(timeout: .seconds(20))
            #expect(response.status == 408, "\(response)")
            #expect(response.errorCode == "request_timeout")
            #expect(await slow.waitUntilClosed(timeout: .seconds(20)))
            #expect(try await relay.store.statistics().blobs == 0)
            try await relay.expectServing()
        }
    }

    @Test("A connection that sends nothing gets 408 after the header deadline")
    func silentConnectionIsCutOff() async throws {
        try await Hostile.Relay.with({ $0.headerTimeoutSeconds = 1 }) { relay in
            let silent = try await relay.connect()
            let response = try await silent.readResponse(timeout: .seconds(20))
            #expect(response.status == 408, "\(response)")
            #expect(await silent.waitUntilClosed(timeout: .seconds(20)))
        }
    }

    @Test("An idle kept-alive connection is closed after the idle timeout")
    func idleConnectionIsClosed() async throws {
        try await Hostile.Relay.with({ $0.idleTimeoutSeconds = 1 }) { relay in
            let connection = try await relay.connect()
            try await connection.send(Hostile.request("GET", "/v1/health"))
            #expect(try await connection.readResponse().status == 200)
            #expect(await connection.waitUntilClosed(timeout: .seconds(20)))
        }
    }

    // MARK: - Connections, pipelining, rates

    @Test("Connections over the cap get 503 unavailable and are closed; the relay serves again once they go")
    func connectionCapIsEnforced() async throws {
        try await Hostile.Relay.with({ $0.maxConnections = 3 }) { relay in
            var held: [Hostile.Connection] = []
            for _ in 0..<3 {
                let connection = try await relay.connect()
                try await connection.send(Hostile.request("GET", "/v1/health"))
                #expect(try await connection.readResponse().status == 200)
                held.append(connection)
            }
            let extra = try await relay.connect()
            try? await extra.send(Hostile.request("GET", "/v1/health"))
            let response = try await extra.readResponse()
            #expect(response.status == 503, "\(response)")
            #expect(response.errorCode == "unavailable")
            #expect(response.header("Retry-After") != nil)
            #expect(await extra.waitUntilClosed())

            for connection in held { await connection.close() }
            try await relay.expectServing()
        }
    }

    @Test("Pipelined requests are answered in order, one at a time")
    func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await Hostile.Relay.with { relay in
            let mailbox = try await relay.makeMailbox()
            let connection = try await relay.connect()
            let first: [UInt8] = Array("first".utf8)
            let second: [UInt8] = Array("second".utf8)
            try await connection.send(
                Hostile.request("GET", "/v1/health")
                    + Hostile.request("POST", "/v1/mailboxes/\(mailbox)/messages", body: first)
                    + Hostile.request("POST", "/v1/mailboxes/AAAAAAAAAAAAAAAAAAAAAAAA/messages", body: second)
                    + Hostile.request("POST", "/v1/mailboxes/\(mailbox)/messages", body: second)
                    + Hostile.request("DELETE", "/v1/health")
                    + Hostile.request("GET", "/v1/health"))
            let statuses = try await (0..<6).asyncMap { _ in try await connection.readResponse().status }
            #expect(statuses == [200, 201, 404, 201, 405, 200])
            let stored = try await relay.store.pending(mailboxID: mailbox, after: 0, limit: 10).messages
            #expect(stored.map(\.blob) == [first, second])
        }
    }

    @Test("Deposits over the per-address rate get 429 with Retry-After, and are not stored")
    func depositRateIsLimited() async throws {
        try await Hostile.Relay.with({ $0.depositBurst = 3; $0.depositsPerMinute = 1 }) { relay in
            let mailbox = try await relay.makeMailbox()
            let connection = try await relay.connect()
            for index in 0..<3 {
                try await connection.send(Hostile.request("POST", "/v1/mailboxes/\(mailbox)/messages", body: [UInt8(index)]))
                #expect(try await connection.readResponse().status == 201)
            }
            try await connection.send(Hostile.request("POST", "/v1/mailboxes/\(mailbox)/messages", body: [9]))
            let response = try await connection.readResponse()
            #expect(response.status == 429, "\(response)")
            #expect(response.errorCode == "rate_limited")
            #expect((response.header("Retry-After").flatMap { Int($0) } ?? 0) >= 1)
            #expect(try await relay.store.statistics().blobs == 3)
            // The connection stays usable.
            try await connection.send(Hostile.request("GET", "/v1/health"))
            #expect(try await connection.readResponse().status == 200)
        }
    }

    // MARK: - Long-poll and shutdown

    @Test("A deposit wakes a long-polling fetch of its mailbox")
    func depositWakesLongPoll() async throws {
        try await Hostile.Relay.with { relay in
            let owner = SigningKeyPair()
            let mailbox = try await relay.makeMailbox(owner: owner)
            let poller = try await relay.connect()
            try await poller.send(Hostile.signedRequest("GET", "/v1/mailboxes/\(mailbox)/messages", query: "wait=60", key: owner))
            try await Hostile.eventually { try await relay.waitingFetches() == 1 }

            let depositor = try await relay.connect()
            try await depositor.send(Hostile.request("POST", "/v1/mailboxes/\(mailbox)/messages", body: Array("help".utf8)))
            #expect(try await depositor.readResponse().status == 201)

            // Well before the 60 s wait ends.
            let response = try await poller.readResponse(timeout: .seconds(20))
            #expect(response.status == 200, "\(response)")
            let fetched = try JSONDecoder().decode(FetchResponse.self, from: Data(response.body))
            #expect(fetched.messages.map { Array($0.blob) } == [Array("help".utf8)])
        }
    }

    @Test("Shutdown answers a waiting long-poll at once, closes idle connections and closes the store")
    func shutdownIsGraceful() async throws {
        try await Hostile.Relay.with { relay in
            let owner = SigningKeyPair()
            let mailbox = try await relay.makeMailbox(owner: owner)
            let poller = try await relay.connect()
            try await poller.send(Hostile.signedRequest("GET", "/v1/mailboxes/\(mailbox)/messages", query: "wait=60", key: owner))
            try await Hostile.eventually { try await relay.waitingFetches() == 1 }
            let idle = try await relay.connect()
            try await idle.send(Hostile.request("GET", "/v1/health"))
            #expect(try await idle.readResponse().status == 200)

            await relay.server.shutdown()

            let response = try await poller.readResponse(timeout: .seconds(5))
            #expect(response.status == 200, "\(response)")
            #expect(String(decoding: response.body, as: UTF8.self) == #"{"messages":[],"more":false}"#)
            #expect(response.header("Connection") == "close")
            #expect(await poller.waitUntilClosed())
            #expect(await idle.waitUntilClosed())
            await #expect(throws: StoreError.closed) { try await relay.store.statistics() }
            await #expect(throws: (any Error).self) {
                let late = try await Hostile.Connection.connect(port: relay.port)
                try await late.send(Hostile.request("GET", "/v1/health"))
                _ = try await late.readResponse(timeout: .seconds(2))
            }
        }
    }
}

// MARK: - Test support

/// Helpers of the hostile-HTTP and crash tests (namespaced: other test files have their own).
enum Hostile {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// A value shared between tasks (a `Mutex` cannot be captured by escaping closures).
    final class Locked<Value: Sendable>: Sendable {
        private let mutex: Mutex<Value>
        init(_ value: Value) { mutex = Mutex(value) }
        func withLock<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
        var value: Value { mutex.withLock { $0 } }
    }

    /// Polls `condition` until it holds or `timeout` passes.
    static func eventually(
        timeout: Duration = .seconds(20), _ condition: @Sendable () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Failure(description: "condition not met within \(timeout)")
    }

    /// A value from the relay's metrics, read over a new connection.
    static func metric(_ name: String, port: Int) async throws -> Int {
        let connection = try await Connection.connect(port: port)
        defer { Task { await connection.close() } }
        try await connection.send(request("GET", "/metrics"))
        let text = String(decoding: try await connection.readResponse().body, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            if let value = Int(line.dropFirst(name.count + 1)) { return value }
        }
        throw Failure(description: "no metric \(name)")
    }

    /// An unsigned request's bytes.
    static func request(
        _ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) -> [UInt8] {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        return Array((head + "\r\n").utf8) + body
    }

    /// A request signed by `key` (Protocol/relay-api.md, "Request authentication").
    static func signedRequest(
        _ method: String, _ path: String, query: String = "", body: [UInt8] = [], key: SigningKeyPair,
        timestamp: UInt64 = UInt64(Date().timeIntervalSince1970)
    ) -> [UInt8] {
        let signed = RequestAuthentication.sign(
            method: method, path: path, query: query, body: body, timestamp: timestamp, ownerKey: key)
        return request(
            method, query.isEmpty ? path : "\(path)?\(query)",
            headers: [
                (RequestAuthentication.timestampHeader, String(signed.timestamp)),
                (RequestAuthentication.nonceHeader, signed.nonce),
                (RequestAuthentication.signatureHeader, signed.signature),
            ],
            body: body)
    }

    /// One HTTP response, parsed from raw bytes.
    struct Response: Sendable, CustomStringConvertible {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        var errorCode: String? {
            (try? JSONDecoder().decode(ErrorResponse.self, from: Data(body)))?.error.code
        }

        var description: String { "HTTP \(status) \(String(decoding: body, as: UTF8.self))" }

        /// Parses one response from the start of `bytes`: the response and how many bytes it took.
        static func parse(_ bytes: [UInt8]) -> (Response, Int)? {
            guard let end = bytes.firstRange(of: [13, 10, 13, 10] as [UInt8]) else { return nil }
            var lines = String(decoding: bytes[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
            guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
            let headers = lines.compactMap { line -> (name: String, value: String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
            guard bytes.count - end.upperBound >= length else { return nil }
            let body = Array(bytes[end.upperBound..<(end.upperBound + length)])
            return (Response(status: status, headers: headers, body: body), end.upperBound + length)
        }
    }

    /// A raw TCP connection (NIO, so no thread of the concurrency pool blocks on a socket).
    final class Connection: Sendable {
        private struct Inbox {
            var bytes: [UInt8] = []
            var closed = false
        }

        private final class Collector: ChannelInboundHandler, Sendable {
            typealias InboundIn = ByteBuffer
            let inbox: Mutex<Inbox>
            init() { inbox = Mutex(Inbox()) }

            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                let buffer = Self.unwrapInboundIn(data)
                inbox.withLock { $0.bytes.append(contentsOf: buffer.readableBytesView) }
            }

            func channelInactive(context: ChannelHandlerContext) {
                inbox.withLock { $0.closed = true }
            }

            func errorCaught(context: ChannelHandlerContext, error: any Error) {
                context.close(promise: nil)
            }
        }

        private let channel: any Channel
        private let collector: Collector

        private init(channel: any Channel, collector: Collector) {
            self.channel = channel
            self.collector = collector
        }

        static func connect(port: Int) async throws -> Connection {
            let collector = Collector()
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(collector)
                    }
                }
                .connect(host: "127.0.0.1", port: port).get()
            return Connection(channel: channel, collector: collector)
        }

        func send(_ bytes: [UInt8]) async throws {
            try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
        }

        /// The next final response (1xx responses are skipped).
        func readResponse(timeout: Duration = .seconds(10)) async throws -> Response {
            let deadline = ContinuousClock.now + timeout
            while true {
                let (parsed, closed) = collector.inbox.withLock { inbox -> (Response?, Bool) in
                    guard let (response, used) = Response.parse(inbox.bytes) else { return (nil, inbox.closed) }
                    inbox.bytes.removeFirst(used)
                    return (response, inbox.closed)
                }
                if let parsed {
                    if (100..<200).contains(parsed.status) { continue }
                    return parsed
                }
                if closed { throw Failure(description: "connection closed without a (complete) response") }
                guard ContinuousClock.now < deadline else { throw Failure(description: "no response within \(timeout)") }
                try await Task.sleep(for: .milliseconds(10))
            }
        }

        /// Whether the relay closed the connection within `timeout`.
        func waitUntilClosed(timeout: Duration = .seconds(10)) async -> Bool {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if collector.inbox.withLock({ $0.closed }) { return true }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return false
        }

        func close() async {
            try? await channel.close()
        }
    }

    /// A relay in this process, on a real SQLite store in a temporary directory.
    struct Relay: Sendable {
        let server: RelayServer
        let store: SQLiteRelayStore
        let configuration: RelayConfiguration
        let port: Int

        /// Runs `body` against a fresh relay with short deadlines, then shuts it down.
        static func with(
            _ configure: (inout RelayConfiguration) -> Void = { _ in },
            _ body: (Relay) async throws -> Void
        ) async throws {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("vigil-hostile-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var configuration = RelayConfiguration(dataDirectory: directory)
            configuration.port = 0
            configuration.metrics = .everyone  // the tests read the waiting long-polls there
            // Deadlines far above scheduling delays on a loaded machine; tests about deadlines
            // set their own.
            configuration.headerTimeoutSeconds = 60
            configuration.bodyTimeoutSeconds = 60
            configuration.idleTimeoutSeconds = 60
            configuration.depositBurst = 10_000
            configuration.depositsPerMinute = 1_000_000
            configure(&configuration)
            let store = try SQLiteRelayStore(path: directory + "/relay.sqlite")
            let server = RelayServer(
                configuration: configuration, store: store,
                logger: Logger(label: "vigil-hostile-test", factory: { _ in SwiftLogNoOpLogHandler() }))
            try await server.start()
            let relay = Relay(server: server, store: store, configuration: configuration, port: server.localPort)
            do {
                try await body(relay)
            } catch {
                await server.shutdown()
                throw error
            }
            await server.shutdown()
        }

        func connect() async throws -> Connection {
            try await Connection.connect(port: port)
        }

        /// A mailbox created in the store directly (creation itself is tested elsewhere).
        func makeMailbox(owner: SigningKeyPair = SigningKeyPair()) async throws -> String {
            let id = MailboxIDs.generate()
            try await store.createMailbox(
                id: id, ownerKey: owner.publicKey.rawRepresentation, createdAt: UInt64(Date().timeIntervalSince1970))
            return id
        }

        /// Expects the relay to answer a health check on a new connection, eventually.
        func expectServing() async throws {
            try await Hostile.eventually {
                guard let connection = try? await connect() else { return false }
                defer { Task { await connection.close() } }
                guard (try? await connection.send(Hostile.request("GET", "/v1/health"))) != nil else { return false }
                return (try? await connection.readResponse())?.status == 200
            }
        }

        /// Long-polls waiting now, from the metrics endpoint.
        func waitingFetches() async throws -> Int {
            try await Hostile.metric("vigil_relay_waiting_fetches", port: port)
        }
    }
}

extension Sequence {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
