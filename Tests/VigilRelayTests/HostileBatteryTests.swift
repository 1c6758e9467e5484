import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
import VigilClient
import VigilCrypto
import VigilRelay
import VigilRelayAPI
import VigilStorage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One relay (in process, 127.0.0.1 port 0, real SQLite store) against a whole battery of
/// hostile inputs, run after legitimate clients stored messages and followed by a normal client.
/// The narrower hostile tests (HostileHTTPTests, EnumerationResistanceTests) each start a fresh
/// relay for one kind of abuse; this one checks that abuse of every kind, much of it at the same
/// time, leaves one relay serving, every accepted message intact byte for byte, and nothing of
/// the battery stored.
///
/// About 2 500 hostile inputs in all (the exact figure is printed as "hostile battery: N hostile
/// inputs"): 160 table cases, about 330 mailbox-ID probes, 1 000 idle connections held at the
/// cap and 1 000 more refused over it, and 30 fetches pipelined by a reader that reads nothing.
@Suite("Hostile battery")
struct HostileBatteryTests {
    @Test("After a battery of hostile inputs the relay still serves normal clients, every accepted message is intact, and nothing hostile was stored")
    func hostileBatteryLeavesTheRelayServingAndTheMessagesIntact() async throws {
        try await withRelay(Battery.configure) { relay in
            let fixture = try await Battery.Fixture.store(on: relay)
            try await fixture.expectIntact(relay, "before the battery")

            // Everything but the idle connections runs at once: quick refusals, deadlines that
            // take seconds, probes and a stalled reader all share the relay, as they would.
            let table = Battery.table(fixture, relay: relay)
            let tableFailures = Battery.Locked<[String]>([])
            async let probes = Battery.probeMailboxIDs(fixture, relay: relay)
            async let slowReader = Battery.slowReader(fixture, relay: relay)
            await withTaskGroup(of: Void.self) { group in
                for input in table {
                    group.addTask {
                        if let failure = await Battery.run(input, port: relay.port) {
                            tableFailures.withLock { $0.append("\(input.name): \(failure)") }
                        }
                    }
                }
            }
            for failure in tableFailures.value.sorted() {
                Issue.record(Comment(rawValue: failure))
            }
            let probeCount = try await probes
            let slowReaderCount = try await slowReader

            // Last, alone: the connection cap needs to know what else is open.
            let idle = try await Battery.idleConnections(relay: relay)

            // The relay answers a normal client, and nothing changed.
            #expect(try await relay.client.health().status == "ok")
            try await fixture.expectIntact(relay, "after the battery")
            #expect(try await relay.store.statistics().mailboxes == fixture.mailboxes.count, "the battery created a mailbox")

            // A normal deposit gets the next message ID: message IDs are AUTOINCREMENT, so nothing
            // was stored during the battery, not even for a moment.
            let a = fixture.mailboxes[0]
            let fresh = blob(777, seed: 0xA5)
            let freshID = try await relay.client.deposit(mailboxID: a.id, blob: fresh)
            #expect(freshID == fixture.lastMessageID + 1, "a message was stored (or an ID used) during the battery")
            let fetched = try await relay.client.fetch(mailboxID: a.id, ownerKey: a.owner)
            #expect(fetched.messages.map(\.id) == a.messages.map(\.id) + [freshID])
            let freshSame = fetched.messages.last.map { Array($0.blob) } == fresh
            #expect(freshSame, "the new message came back different")

            // The full mailbox: refused until its owner acknowledges, then there is room again.
            let full = fixture.mailboxes[2]
            let refused = await relayError { () async throws(RelayClientError) in
                try await relay.client.deposit(mailboxID: full.id, blob: blob(100, seed: 0xA6))
            }
            #expect(refused?.relayCode == .quotaExceeded)
            #expect(try await relay.client.acknowledge(mailboxID: full.id, ownerKey: full.owner, ids: [full.messages[0].id]) == 1)
            let replacement = blob(100, seed: 0xA7)
            let replacementID = try await relay.client.deposit(mailboxID: full.id, blob: replacement)
            #expect(replacementID == freshID + 1)

            // Every message stored before the battery, byte for byte, except the one acknowledged.
            for (index, mailbox) in fixture.mailboxes.enumerated() {
                let stored = try await relay.stored(mailbox.id)
                var expected = mailbox.messages
                if index == 0 { expected.append(.init(id: freshID, blob: fresh)) }
                if index == 2 { expected = Array(expected.dropFirst()) + [.init(id: replacementID, blob: replacement)] }
                #expect(stored.map(\.id) == expected.map(\.id), "mailbox \(index)")
                let same = stored.map(\.blob) == expected.map(\.blob)
                #expect(same, "mailbox \(index): stored blobs differ")
            }
            #expect(try await relay.storedBlobCount() == fixture.messageCount + 1)

            let total = table.count + probeCount + slowReaderCount + idle.inputs
            // Printed, not asserted: how much abuse this run put the relay through.
            print(
                "hostile battery: \(total) hostile inputs (\(table.count) table cases, \(probeCount) mailbox-ID probes, "
                    + "\(idle.held) idle connections held at the cap of \(relay.configuration.maxConnections), "
                    + "\(idle.refused) refused over the cap, \(slowReaderCount) pipelined fetches from a stalled reader)")
        }
    }
}

// MARK: - Battery

/// Inputs, runner and fixtures of the battery (namespaced: other test files have their own).
enum Battery {
    /// Short deadlines so the whole battery takes seconds; small quotas so they can be reached.
    static func configure(_ configuration: inout RelayConfiguration) {
        configuration.maxConnections = 1000
        // Long enough to open a thousand idle connections before the first is timed out.
        configuration.headerTimeoutSeconds = 8
        configuration.bodyTimeoutSeconds = 2
        configuration.idleTimeoutSeconds = 3
        configuration.writeTimeoutSeconds = 2
        configuration.mailboxMaxBlobs = 20
        // 18 blobs of the largest size fit, a 19th does not: the byte quota, before the count.
        configuration.mailboxMaxBytes = 300_000
    }

    /// A value shared between tasks.
    final class Locked<Value: Sendable>: Sendable {
        private let mutex: Mutex<Value>
        init(_ value: Value) { mutex = Mutex(value) }
        func withLock<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
        var value: Value { mutex.withLock { $0 } }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    // MARK: Fixture

    /// Mailboxes and the messages legitimate clients stored before the battery.
    struct Fixture: Sendable {
        struct Message: Sendable {
            var id: Int64
            var blob: [UInt8]
        }

        struct Mailbox: Sendable {
            var id: String
            var owner: SigningKeyPair
            var messages: [Message]
        }

        /// `[0]` and `[1]` ordinary; `[2]` at the blob-count quota; `[3]` at the byte quota,
        /// with blobs of the largest size (the slow reader fetches it).
        var mailboxes: [Mailbox]

        var messageCount: Int { mailboxes.reduce(0) { $0 + $1.messages.count } }
        var lastMessageID: Int64 { mailboxes.flatMap(\.messages).map(\.id).max() ?? 0 }

        /// Stores the messages with the real client.
        static func store(on relay: RelayHarness) async throws -> Fixture {
            let maxBlob = relay.configuration.maxBlobBytes
            let fullCount = relay.configuration.mailboxMaxBlobs
            let heavyCount = relay.configuration.mailboxMaxBytes / maxBlob
            let sizes: [[Int]] = [
                [1, 2, 300, 4096, maxBlob],
                [48, 1000, 16_000],
                Array(repeating: 64, count: fullCount),
                Array(repeating: maxBlob, count: heavyCount),
            ]
            var mailboxes: [Mailbox] = []
            for (index, sizes) in sizes.enumerated() {
                let owner = SigningKeyPair()
                let id = try await relay.client.createMailbox(ownerKey: owner)
                var messages: [Message] = []
                for size in sizes {
                    let bytes = blob(size, seed: UInt8(index))
                    messages.append(Message(id: try await relay.client.deposit(mailboxID: id, blob: bytes), blob: bytes))
                }
                mailboxes.append(Mailbox(id: id, owner: owner, messages: messages))
            }
            let ids = mailboxes.flatMap(\.messages).map(\.id)
            #expect(Set(ids).count == ids.count)
            return Fixture(mailboxes: mailboxes)
        }

        /// Every mailbox holds exactly its messages, byte for byte, in the store and as its owner
        /// fetches them; the relay holds nothing else.
        func expectIntact(_ relay: RelayHarness, _ when: String) async throws {
            for (index, mailbox) in mailboxes.enumerated() {
                let stored = try await relay.stored(mailbox.id)
                #expect(stored.map(\.id) == mailbox.messages.map(\.id), "mailbox \(index), \(when)")
                // Compared as one Bool: a failure must not print megabytes of blob.
                let storedSame = stored.map(\.blob) == mailbox.messages.map(\.blob)
                #expect(storedSame, "mailbox \(index), \(when): stored blobs differ")
                let fetched = try await relay.client.fetch(mailboxID: mailbox.id, ownerKey: mailbox.owner)
                #expect(fetched.messages.map(\.id) == mailbox.messages.map(\.id), "mailbox \(index), \(when)")
                let fetchedSame = fetched.messages.map { Array($0.blob) } == mailbox.messages.map(\.blob)
                #expect(fetchedSame, "mailbox \(index), \(when): fetched blobs differ")
                #expect(!fetched.more)
            }
            #expect(try await relay.storedBlobCount() == messageCount, "\(when)")
        }
    }

    // MARK: Requests

    /// A request from a request line and header lines exactly as given.
    static func raw(_ requestLine: String, _ headers: [String] = [], body: [UInt8] = []) -> [UInt8] {
        Array((([requestLine] + headers).map { $0 + "\r\n" }.joined() + "\r\n").utf8) + body
    }

    /// A well-formed request with `Host`, `Connection: close` and `Content-Length` (for a body or
    /// a POST), and `extra` header lines.
    static func request(_ method: String, _ target: String, _ extra: [String] = [], body: [UInt8] = []) -> [UInt8] {
        var headers = ["Host: 127.0.0.1", "Connection: close"] + extra
        if !body.isEmpty || method == "POST" { headers.append("Content-Length: \(body.count)") }
        return raw("\(method) \(target) HTTP/1.1", headers, body: body)
    }

    /// The three authentication header lines for a request, signed by `key`.
    static func signature(
        _ method: String, _ path: String, query: String = "", body: [UInt8] = [], key: SigningKeyPair,
        timestamp: UInt64, nonce: String? = nil
    ) -> (timestamp: String, nonce: String, signature: String) {
        let nonce = nonce ?? Hex.encode(SecureRandom.bytes(count: RequestAuthentication.nonceByteCount))
        let message = RequestAuthentication.signedBytes(
            method: method, path: path, query: query, body: body, timestamp: timestamp, nonce: nonce)
        return (String(timestamp), nonce, Hex.encode(key.signature(for: message)))
    }

    /// A signed request; `edit` changes its header lines (all of them: Host, Connection, the
    /// `Vigil-` ones and Content-Length) before they are sent.
    static func signed(
        _ method: String, _ path: String, query: String = "", body: [UInt8] = [], key: SigningKeyPair,
        timestamp: UInt64, nonce: String? = nil, keepAlive: Bool = false, edit: ([String]) -> [String] = { $0 }
    ) -> [UInt8] {
        let auth = signature(method, path, query: query, body: body, key: key, timestamp: timestamp, nonce: nonce)
        var headers = [
            "Host: 127.0.0.1", "Connection: \(keepAlive ? "keep-alive" : "close")",
            "Vigil-Timestamp: \(auth.timestamp)", "Vigil-Nonce: \(auth.nonce)", "Vigil-Signature: \(auth.signature)",
        ]
        if !body.isEmpty || method == "POST" { headers.append("Content-Length: \(body.count)") }
        return raw("\(method) \(query.isEmpty ? path : path + "?" + query) HTTP/1.1", edit(headers), body: body)
    }

    /// `headers` with the line starting with `prefix` repeated (`value` replaces the copy's value).
    static func duplicating(_ prefix: String, value: String? = nil) -> ([String]) -> [String] {
        { headers in
            headers.flatMap { line -> [String] in
                guard line.hasPrefix(prefix + ":") else { return [line] }
                return [line, value.map { "\(prefix): \($0)" } ?? line]
            }
        }
    }

    static func removing(_ prefix: String) -> ([String]) -> [String] {
        { $0.filter { !$0.hasPrefix(prefix + ":") } }
    }

    static func replacing(_ prefix: String, with line: String) -> ([String]) -> [String] {
        { $0.map { $0.hasPrefix(prefix + ":") ? line : $0 } }
    }

    // MARK: Table

    /// What a client does on its connection.
    enum Step: Sendable {
        case send([UInt8])
        /// One byte at a time, `every` apart, until done or the relay closes.
        case drip([UInt8], every: Duration)
        /// Shuts the client's sending side (FIN), still reading.
        case halfClose
        /// Closes the connection at once: nothing is observed; the final store check is the test.
        case abort
    }

    struct Reply: Sendable, Equatable, CustomStringConvertible {
        var status: Int
        var code: String?
        /// The body exactly, when it matters.
        var body: String?
        /// The `Connection` header, when it matters.
        var connection: String?

        init(_ status: Int, _ code: String? = nil, body: String? = nil, connection: String? = nil) {
            self.status = status
            self.code = code
            self.body = body
            self.connection = connection
        }

        func matches(_ response: RawResponse) -> Bool {
            response.status == status && (code == nil || response.errorCode == code)
                && (body == nil || response.bodyText == body)
                && (connection == nil || response.header("Connection") == connection)
        }

        var description: String {
            "\(status)" + (code.map { " \($0)" } ?? "") + (body.map { " body \($0.debugDescription)" } ?? "")
                + (connection.map { " Connection: \($0)" } ?? "")
        }
    }

    enum Outcome: Sendable, CustomStringConvertible {
        /// Exactly these responses, then the relay closes the connection (or, when `closes` is
        /// false, keeps it open).
        case replies([Reply], closes: Bool)
        /// The relay closes the connection without answering.
        case closedWithoutAnswer
        /// The client went away; only the final store check can tell.
        case unobserved

        static func refused(_ status: Int, _ code: String) -> Outcome { .replies([Reply(status, code)], closes: true) }
        static func answered(_ status: Int, _ code: String? = nil, body: String? = nil, connection: String? = nil) -> Outcome {
            .replies([Reply(status, code, body: body, connection: connection)], closes: true)
        }

        var description: String {
            switch self {
            case .replies(let replies, let closes): "\(replies) then \(closes ? "closed" : "kept open")"
            case .closedWithoutAnswer: "closed without an answer"
            case .unobserved: "unobserved"
            }
        }
    }

    /// A named hostile input and what the relay must do with it.
    struct Input: Sendable {
        var name: String
        var steps: [Step]
        var expected: Outcome

        init(_ name: String, _ bytes: [UInt8], _ expected: Outcome) {
            self.init(name, steps: [.send(bytes)], expected)
        }

        init(_ name: String, steps: [Step], _ expected: Outcome) {
            self.name = name
            self.steps = steps
            self.expected = expected
        }
    }

    /// The table: every input runs on its own connection, all at once.
    static func table(_ fixture: Fixture, relay: RelayHarness) -> [Input] {
        let now = relay.clock.now
        let window = relay.configuration.authenticationWindowSeconds
        let maxBlob = relay.configuration.maxBlobBytes
        let a = fixture.mailboxes[0]
        let b = fixture.mailboxes[1]
        let full = fixture.mailboxes[2]
        let heavy = fixture.mailboxes[3]
        let stranger = SigningKeyPair()
        let deposit = "/v1/mailboxes/\(a.id)/messages"
        let fetchA = "/v1/mailboxes/\(a.id)/messages"
        let ackA = "/v1/mailboxes/\(a.id)/messages/ack"
        let unknownID = MailboxIDs.generate()
        let hello = Array("hello".utf8)
        let badRequest = Outcome.refused(400, "bad_request")
        let missingAuth = Outcome.answered(400, "missing_authentication")
        let notFound = Outcome.answered(404, "not_found")
        let stale = Outcome.answered(401, "stale_request")
        let ok = Outcome.answered(200)

        func signedFetch(_ timestamp: UInt64? = nil, key: SigningKeyPair? = nil, keepAlive: Bool = false,
                         edit: ([String]) -> [String] = { $0 }) -> [UInt8] {
            signed("GET", fetchA, query: "limit=1", key: key ?? a.owner, timestamp: timestamp ?? now, keepAlive: keepAlive, edit: edit)
        }
        func signedAck(_ body: String, key: SigningKeyPair? = nil, path: String? = nil) -> [UInt8] {
            signed("POST", path ?? ackA, body: Array(body.utf8), key: key ?? a.owner, timestamp: now)
        }
        func signedAck(bytes body: [UInt8]) -> [UInt8] {
            signed("POST", ackA, body: body, key: a.owner, timestamp: now)
        }
        /// A create-mailbox request with a well-formed, fresh signature header set over `body`
        /// (by some key: the body is checked before the signature).
        func create(_ body: [UInt8], timestamp: UInt64? = nil) -> [UInt8] {
            signed("POST", "/v1/mailboxes", body: body, key: stranger, timestamp: timestamp ?? now)
        }
        let deepArrays = "{\"ids\":" + String(repeating: "[", count: 30_000) + String(repeating: "]", count: 30_000) + "}"
        let deepObjects = String(repeating: "{\"a\":", count: 10_000) + "1" + String(repeating: "}", count: 10_000)

        var inputs: [Input] = [
            // Request line.
            Input("garbage request line", raw("GARBAGE"), badRequest),
            Input("request line of random bytes", SecureRandom.bytes(count: 3000).map { $0 == 10 || $0 == 13 ? 0x20 : $0 }
                + Array("\r\n\r\n".utf8), badRequest),
            Input("NUL in the method", raw("GE\u{0}T /v1/health HTTP/1.1", ["Host: x"]), badRequest),
            Input("NUL in the target", raw("GET /v1/hea\u{0}lth HTTP/1.1", ["Host: x"]), badRequest),
            Input("NUL in a header value", raw("GET /v1/health HTTP/1.1", ["Host: x", "X-A: a\u{0}b"]), badRequest),
            Input("NUL in a header name", raw("GET /v1/health HTTP/1.1", ["Host: x", "X\u{0}A: b"]), badRequest),
            Input("NUL before the request line", [0] + request("GET", "/v1/health"), badRequest),
            Input("request line over the head limit",
                  raw("GET /v1/" + String(repeating: "a", count: 9000) + " HTTP/1.1", ["Host: x"]),
                  .refused(431, "headers_too_large")),
            Input("request line of 100 KiB", raw("GET /" + String(repeating: "%41", count: 35_000) + " HTTP/1.1"),
                  .refused(431, "headers_too_large")),
            Input("long target under the head limit",
                  request("GET", "/v1/mailboxes/" + String(repeating: "A", count: 7000) + "/messages"), notFound),
            Input("long malformed fetch query", request("GET", fetchA + "?after=" + String(repeating: "9", count: 5000)),
                  .answered(400, "bad_request")),
            Input("unsupported HTTP version 9.9", raw("GET /v1/health HTTP/9.9", ["Host: x"]), badRequest),
            Input("unsupported HTTP version 1.2", raw("GET /v1/health HTTP/1.2", ["Host: x"]), badRequest),
            Input("HTTP/2 version in an HTTP/1 request line", raw("GET /v1/health HTTP/2.0", ["Host: x"]), badRequest),
            Input("HTTP/2 connection preface", Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8), badRequest),
            Input("HTTP/0.9 request without a version", raw("GET /v1/health"), badRequest),
            Input("lower-case protocol name", raw("GET /v1/health http/1.1", ["Host: x"]), badRequest),
            Input("two-digit minor version", raw("GET /v1/health HTTP/1.10", ["Host: x"]), badRequest),
            Input("lower-case method", raw("get /v1/health HTTP/1.1", ["Host: x"]), badRequest),
            Input("unknown method", raw("BREW /v1/health HTTP/1.1", ["Host: x"]), badRequest),
            Input("known method, wrong for the path", request("PATCH", "/v1/health"),
                  .answered(405, "method_not_allowed")),
            // RFC 9112 §3 lets a server split the request line on runs of whitespace.
            Input("two spaces in the request line", raw("GET  /v1/health HTTP/1.1", ["Host: x", "Connection: close"]), ok),
            Input("tab in the request line", raw("GET\t/v1/health HTTP/1.1", ["Host: x"]), badRequest),
            Input("trailing words after the version", raw("GET /v1/health HTTP/1.1 please", ["Host: x"]), badRequest),
            Input("bare CR inside the head", Array("GET /v1/health HTTP/1.1\rHost: x\r\n\r\n".utf8), badRequest),
            Input("absolute-form target", request("GET", "http://127.0.0.1/v1/health"), notFound),
            Input("absolute-form deposit", request("POST", "http://127.0.0.1" + deposit, body: hello), notFound),
            Input("asterisk-form target", request("OPTIONS", "*"), notFound),
            // NIO sends any answer to CONNECT without a body or a length (its end is the
            // connection's end), and parses nothing after a CONNECT or an upgrade request.
            Input("authority-form target", request("CONNECT", "127.0.0.1:443"), .answered(404, body: "", connection: "close")),
            Input("CONNECT, then a pipelined request", raw("CONNECT 127.0.0.1:443 HTTP/1.1", ["Host: x"]) + request("GET", "/v1/health"),
                  .answered(404, body: "", connection: "close")),
            Input("CONNECT with a body, then a pipelined request",
                  raw("CONNECT /v1/health HTTP/1.1", ["Host: x", "Content-Length: 5"], body: hello) + request("GET", "/v1/health"),
                  .answered(405, body: "", connection: "close")),
            Input("upgrade to WebSocket, then a pipelined request",
                  raw("GET /v1/health HTTP/1.1", ["Host: x", "Connection: Upgrade", "Upgrade: websocket"]) + request("GET", "/v1/health"),
                  .answered(200, connection: "close")),
            Input("upgrade to h2c, then a pipelined request",
                  raw("GET /v1/health HTTP/1.1", ["Host: x", "Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c",
                                                  "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA"]) + request("GET", "/v1/health"),
                  .answered(200, connection: "close")),
            Input("target without the leading slash", request("GET", "v1/health"), badRequest),
            Input("dot segments in the target", request("POST", "/v1/mailboxes/../mailboxes/\(a.id)/messages", body: hello),
                  notFound),
            Input("percent-encoded mailbox ID", request("POST", "/v1/mailboxes/%\(a.id.utf8.map { String(format: "%02X", $0) }.joined(separator: "%"))/messages", body: hello),
                  notFound),
            Input("mailbox ID with one letter's case changed",
                  request("POST", "/v1/mailboxes/\(flipCase(a.id))/messages", body: hello), notFound),
            Input("deposit path with a trailing slash", request("POST", deposit + "/", body: hello), notFound),

            // Header lines.
            Input("header line without a colon", raw("GET /v1/health HTTP/1.1", ["Host: x", "No colon here"]), badRequest),
            Input("header with an empty name", raw("GET /v1/health HTTP/1.1", ["Host: x", ": value"]), badRequest),
            Input("space before the colon", raw("GET /v1/health HTTP/1.1", ["Host : x"]), badRequest),
            Input("invalid character in a header name", raw("GET /v1/health HTTP/1.1", ["Host: x", "X(A): b"]), badRequest),
            Input("header continuation line (obs-fold)",
                  raw("GET /v1/health HTTP/1.1", ["Host: x", "X-A: a", "  folded"]), badRequest),
            Input("obs-fold inside Vigil-Signature", signedFetch(edit: { lines in
                lines.flatMap { line -> [String] in
                    guard line.hasPrefix("Vigil-Signature:") else { return [line] }
                    return [String(line.prefix(60)), " " + line.dropFirst(60)]
                }
            }), badRequest),
            Input("header block starting with whitespace", raw("GET /v1/health HTTP/1.1", [" Host: x"]), badRequest),
            Input("header value over the head limit",
                  raw("GET /v1/health HTTP/1.1", ["Host: x", "X-A: " + String(repeating: "b", count: 9000)]),
                  .refused(431, "headers_too_large")),
            Input("two thousand tiny header fields",
                  raw("GET /v1/health HTTP/1.1", ["Host: x", "Connection: close"] + Array(repeating: "A:", count: 2000)),
                  .answered(200)),
            // Served, although RFC 9112 §3.2 says a server MUST answer 400. The relay uses Host for
            // nothing (it routes by path, and signatures do not cover Host), so nothing can be
            // misrouted; refusing would also refuse the Host-less requests other tests send.
            Input("missing Host", raw("GET /v1/health HTTP/1.1", ["Connection: close"]), ok),
            Input("duplicated Host", raw("GET /v1/health HTTP/1.1", ["Host: x", "Host: y", "Connection: close"]), ok),
            Input("HTTP/1.0 without Host is fine", raw("GET /v1/health HTTP/1.0"), ok),

            // Content-Length (on deposits into a real mailbox: nothing may be stored).
            Input("duplicated Content-Length, same value",
                  raw("POST \(deposit) HTTP/1.1", ["Host: x", "Content-Length: 5", "Content-Length: 5"], body: hello),
                  badRequest),
            Input("duplicated Content-Length, different values",
                  raw("POST \(deposit) HTTP/1.1", ["Host: x", "Content-Length: 5", "Content-Length: 3"], body: hello),
                  badRequest),
            Input("Content-Length as a list", raw("POST \(deposit) HTTP/1.1", ["Host: x", "Content-Length: 5, 5"], body: hello),
                  badRequest),
            Input("Content-Length with a plus sign", raw("POST \(deposit) HTTP/1.1", ["Host: x", "Content-Length: +5"], body: hello),
                  badRequest),
            Input("Content-Length with a minus sign", raw("POST \(deposit) HTTP/1.1", ["Host: x", "Content-Length: -5"], body: hello),
                  badRequest),
            Input("Content-Length in hex", raw("POST \(deposit) HTTP/1.1", ["Host: x", "Content-Length: 0x5"], body: hello),
                  badRequest),
            Input("Content-Length in exponent form", raw("POST \(deposit) HTTP/1.1", ["Host: x", "Content-Length: 5e0"], body: hello),
                  badRequest),
            Input("Content-Length that overflows 64 bits",
                  raw("POST \(deposit) HTTP/1.1", ["Host: x", "Content-Length: 18446744073709551621"], body: hello),
                  badRequest),
            Input("Content-Length of 30 digits",
                  raw("POST \(deposit) HTTP/1.1", ["Host: x", "Content-Length: " + String(repeating: "9", count: 30)], body: hello),
                  badRequest),
            Input("empty Content-Length", raw("POST \(deposit) HTTP/1.1", ["Host: x", "Content-Length:"], body: hello), badRequest),
            Input("Content-Length with an inner space", raw("POST \(deposit) HTTP/1.1", ["Host: x", "Content-Length: 1 2"], body: hello),
                  badRequest),
            Input("Content-Length over the blob limit, no body",
                  raw("POST \(deposit) HTTP/1.1", ["Host: x", "Content-Length: 999999999999"]), .refused(413, "body_too_large")),
            Input("deposit one byte over the blob limit",
                  request("POST", deposit, body: [UInt8](repeating: 1, count: maxBlob + 1)), .refused(413, "body_too_large")),
            Input("JSON body over 64 KiB", create([UInt8](repeating: 0x20, count: (64 << 10) + 1)), .refused(413, "body_too_large")),
            Input("empty deposit", request("POST", deposit), .answered(400, "bad_request")),
            Input("deposit without Content-Length", raw("POST \(deposit) HTTP/1.1", ["Host: x", "Connection: close"], body: hello),
                  .refused(411, "length_required")),

            // Transfer-Encoding.
            Input("chunked deposit", raw("POST \(deposit) HTTP/1.1", ["Host: x", "Transfer-Encoding: chunked"],
                                         body: Array("5\r\nhello\r\n0\r\n\r\n".utf8)), .refused(411, "length_required")),
            Input("chunked with a non-hex size", raw("POST \(deposit) HTTP/1.1", ["Host: x", "Transfer-Encoding: chunked"],
                                                     body: Array("zz\r\nhello\r\n0\r\n\r\n".utf8)), .refused(411, "length_required")),
            Input("chunked with an overflowing size", raw("POST \(deposit) HTTP/1.1", ["Host: x", "Transfer-Encoding: chunked"],
                                                          body: Array("ffffffffffffffffffff\r\nhello\r\n".utf8)),
                  .refused(411, "length_required")),
            Input("chunked with a negative size", raw("POST \(deposit) HTTP/1.1", ["Host: x", "Transfer-Encoding: chunked"],
                                                      body: Array("-5\r\nhello\r\n0\r\n\r\n".utf8)), .refused(411, "length_required")),
            Input("chunked with a size shorter than the chunk", raw("POST \(deposit) HTTP/1.1", ["Host: x", "Transfer-Encoding: chunked"],
                                                                    body: Array("2\r\nhello\r\n0\r\n\r\n".utf8)),
                  .refused(411, "length_required")),
            Input("chunked and Content-Length together",
                  raw("POST \(deposit) HTTP/1.1", ["Host: x", "Content-Length: 5", "Transfer-Encoding: chunked"],
                      body: Array("5\r\nhello\r\n0\r\n\r\n".utf8)), badRequest),
            Input("Content-Length and chunked together",
                  raw("POST \(deposit) HTTP/1.1", ["Host: x", "Transfer-Encoding: chunked", "Content-Length: 5"],
                      body: Array("5\r\nhello\r\n0\r\n\r\n".utf8)), badRequest),
            Input("Transfer-Encoding: identity", raw("POST \(deposit) HTTP/1.1", ["Host: x", "Transfer-Encoding: identity", "Content-Length: 5"],
                                                     body: hello), badRequest),
            Input("unknown transfer coding", raw("POST \(deposit) HTTP/1.1", ["Host: x", "Transfer-Encoding: x-vigil"], body: hello),
                  .refused(411, "length_required")),
            Input("chunked, then another coding", raw("POST \(deposit) HTTP/1.1", ["Host: x", "Transfer-Encoding: chunked, gzip"],
                                                      body: hello), badRequest),
            Input("gzip, then chunked", raw("POST \(deposit) HTTP/1.1", ["Host: x", "Transfer-Encoding: gzip, chunked"],
                                            body: Array("5\r\nhello\r\n0\r\n\r\n".utf8)), .refused(411, "length_required")),
            Input("duplicated Transfer-Encoding", raw("POST \(deposit) HTTP/1.1", ["Host: x", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked"],
                                                      body: Array("5\r\nhello\r\n0\r\n\r\n".utf8)), badRequest),
            Input("upper-case CHUNKED", raw("POST \(deposit) HTTP/1.1", ["Host: x", "Transfer-Encoding: CHUNKED"],
                                            body: Array("5\r\nhello\r\n0\r\n\r\n".utf8)), .refused(411, "length_required")),
            Input("chunked on a request without a body", raw("GET /v1/health HTTP/1.1", ["Host: x", "Transfer-Encoding: chunked"],
                                                             body: Array("0\r\n\r\n".utf8)), .refused(411, "length_required")),

            // Bodies that do not match their Content-Length.
            Input("body shorter than declared, then silence",
                  raw("POST \(deposit) HTTP/1.1", ["Host: x", "Content-Length: 100"], body: hello),
                  .refused(408, "request_timeout")),
            Input("body shorter than declared, then the client half-closes",
                  steps: [.send(raw("POST \(deposit) HTTP/1.1", ["Host: x", "Content-Length: 100"], body: hello)), .halfClose],
                  .closedWithoutAnswer),
            Input("body shorter than declared, then the client disappears",
                  steps: [.send(raw("POST \(deposit) HTTP/1.1", ["Host: x", "Content-Length: 100"], body: hello)), .abort],
                  .unobserved),
            Input("head without its blank line, then the client half-closes",
                  steps: [.send(Array("POST \(deposit) HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n".utf8)), .halfClose],
                  .closedWithoutAnswer),
            Input("body longer than declared",
                  raw("POST /v1/mailboxes/\(unknownID)/messages HTTP/1.1", ["Host: x", "Content-Length: 5"],
                      body: hello + Array("EXTRA BYTES THAT ARE NOT A REQUEST\r\n\r\n".utf8)),
                  .replies([Reply(404, "not_found"), Reply(400, "bad_request")], closes: true)),
            Input("signed fetch with an unsigned body", signed("GET", fetchA, key: a.owner, timestamp: now, edit: {
                $0 + ["Content-Length: 5"]
            }) + hello, notFound),
            Input("body sent one byte a second",
                  steps: [.send(raw("POST \(deposit) HTTP/1.1", ["Host: x", "Content-Length: 40"])),
                          .drip(Array(repeating: 0x42, count: 40), every: .seconds(1))],
                  .refused(408, "request_timeout")),
            Input("head sent one byte a second",
                  steps: [.drip(Array("GET /v1/health HTTP/1.1\r\nX-Slow: one byte a second\r\n".utf8), every: .seconds(1))],
                  .refused(408, "request_timeout")),
            Input("a connection that sends nothing", steps: [], .refused(408, "request_timeout")),
            Input("Expect: 100-continue on a deposit to no such path",
                  raw("POST /v1/mailboxes/short/messages HTTP/1.1", ["Host: x", "Content-Length: 5", "Expect: 100-continue"]),
                  .refused(404, "not_found")),

            // Authentication headers.
            Input("duplicated Vigil-Signature, same value", signedFetch(edit: duplicating("Vigil-Signature")), missingAuth),
            Input("duplicated Vigil-Signature, other value",
                  signedFetch(edit: duplicating("Vigil-Signature", value: String(repeating: "0", count: 128))), missingAuth),
            Input("duplicated Vigil-Timestamp, same value", signedFetch(edit: duplicating("Vigil-Timestamp")), missingAuth),
            Input("duplicated Vigil-Timestamp, other value", signedFetch(edit: duplicating("Vigil-Timestamp", value: "1")), missingAuth),
            Input("duplicated Vigil-Nonce, same value", signedFetch(edit: duplicating("Vigil-Nonce")), missingAuth),
            Input("duplicated Vigil-Nonce, other value",
                  signedFetch(edit: duplicating("Vigil-Nonce", value: String(repeating: "a", count: 32))), missingAuth),
            Input("Vigil-Nonce twice, in different case", signedFetch(edit: { lines in
                lines + lines.filter { $0.hasPrefix("Vigil-Nonce:") }.map { "vigil-nonce" + $0.dropFirst("Vigil-Nonce".count) }
            }), missingAuth),
            Input("Vigil-Signature missing", signedFetch(edit: removing("Vigil-Signature")), missingAuth),
            Input("Vigil-Timestamp missing", signedFetch(edit: removing("Vigil-Timestamp")), missingAuth),
            Input("Vigil-Nonce missing", signedFetch(edit: removing("Vigil-Nonce")), missingAuth),
            Input("upper-case hex signature", signedFetch(edit: { $0.map { $0.hasPrefix("Vigil-Signature:") ? $0.uppercased() : $0 } }),
                  missingAuth),
            Input("short nonce", signedFetch(edit: replacing("Vigil-Nonce", with: "Vigil-Nonce: " + String(repeating: "a", count: 31))),
                  missingAuth),
            Input("timestamp with a leading zero", signedFetch(edit: replacing("Vigil-Timestamp", with: "Vigil-Timestamp: 0\(now)")),
                  missingAuth),
            Input("timestamp with a sign", signedFetch(edit: replacing("Vigil-Timestamp", with: "Vigil-Timestamp: +\(now)")),
                  missingAuth),
            Input("negative timestamp", signedFetch(edit: replacing("Vigil-Timestamp", with: "Vigil-Timestamp: -5")), missingAuth),
            Input("timestamp over 64 bits",
                  signedFetch(edit: replacing("Vigil-Timestamp", with: "Vigil-Timestamp: 18446744073709551616")), missingAuth),
            Input("mailbox creation without authentication headers", request("POST", "/v1/mailboxes",
                  body: Array(#"{"owner_key":"\#(Hex.encode(stranger.publicKey.rawRepresentation))"}"#.utf8)), missingAuth),

            // Signatures by another key: the same answer as no such mailbox.
            Input("fetch signed by a stranger", signedFetch(key: stranger), notFound),
            Input("acknowledge signed by a stranger", signedAck("{\"ids\":[\(a.messages[0].id)]}", key: stranger), notFound),
            Input("delete signed by a stranger", signed("DELETE", "/v1/mailboxes/\(a.id)", key: stranger, timestamp: now), notFound),
            Input("delete signed by another mailbox's owner", signed("DELETE", "/v1/mailboxes/\(a.id)", key: b.owner, timestamp: now),
                  notFound),
            Input("all-zero signature", signedFetch(edit: replacing("Vigil-Signature", with: "Vigil-Signature: " + String(repeating: "0", count: 128))),
                  notFound),
            Input("a fetch's signature on an acknowledgement", {
                let auth = signature("GET", fetchA, key: a.owner, timestamp: now)
                return raw("POST \(ackA) HTTP/1.1", [
                    "Host: x", "Connection: close", "Vigil-Timestamp: \(auth.timestamp)", "Vigil-Nonce: \(auth.nonce)",
                    "Vigil-Signature: \(auth.signature)", "Content-Length: 11",
                ], body: Array(#"{"ids":[1]}"#.utf8))
            }(), notFound),
            Input("create mailbox for one key, signed by another",
                  create(Array(#"{"owner_key":"\#(Hex.encode(SigningKeyPair().publicKey.rawRepresentation))"}"#.utf8)), notFound),
            Input("acknowledge another mailbox's messages", signedAck("{\"ids\":[\(a.messages.map { String($0.id) }.joined(separator: ","))]}",
                                                                      key: b.owner, path: "/v1/mailboxes/\(b.id)/messages/ack"),
                  .answered(200, body: #"{"deleted":0}"#)),

            // Timestamps, at and beyond the window's edges (the relay's clock stands still).
            Input("timestamp at the window's past edge", signedFetch(now - window), ok),
            Input("timestamp at the window's future edge", signedFetch(now + window), ok),
            Input("timestamp one second past the window", signedFetch(now - window - 1), stale),
            Input("timestamp one second beyond the window", signedFetch(now + window + 1), stale),
            Input("timestamp zero", signedFetch(0), stale),
            Input("timestamp a year ago", signedFetch(now - 365 * 86_400), stale),
            Input("timestamp in the year 2500", signedFetch(16_725_225_600), stale),
            Input("largest timestamp", signedFetch(UInt64.max), stale),
            Input("stale mailbox creation", create(Array(#"{"owner_key":"\#(Hex.encode(stranger.publicKey.rawRepresentation))"}"#.utf8),
                                                   timestamp: now - window - 1), stale),
            Input("stale delete by the owner", signed("DELETE", "/v1/mailboxes/\(a.id)", key: a.owner, timestamp: now + window + 1),
                  stale),

            // Replays: the second copy of a validly signed request is refused.
            Input("replayed fetch", {
                let bytes = signedFetch(keepAlive: true)
                return bytes + bytes
            }(), .replies([Reply(200), Reply(409, "replayed_request")], closes: false)),
            Input("replayed acknowledgement", {
                let bytes = signed("POST", ackA, body: Array(#"{"ids":[999999999]}"#.utf8), key: a.owner, timestamp: now, keepAlive: true)
                return bytes + bytes
            }(), .replies([Reply(200, body: #"{"deleted":0}"#), Reply(409, "replayed_request")], closes: false)),
            Input("nonce reused with a fresh signature", {
                let nonce = Hex.encode(SecureRandom.bytes(count: RequestAuthentication.nonceByteCount))
                return signed("GET", fetchA, query: "limit=1", key: a.owner, timestamp: now, nonce: nonce, keepAlive: true)
                    + signed("GET", fetchA, query: "limit=2", key: a.owner, timestamp: now - 1, nonce: nonce, keepAlive: true)
            }(), .replies([Reply(200), Reply(409, "replayed_request")], closes: false)),

            // JSON bodies (correctly signed, so the JSON itself is what is refused).
            // IDs no message has, so that a body wrongly accepted shows as `{"deleted":0}`.
            Input("acknowledgement that is not UTF-8", signedAck(bytes: Array(#"{"ids":["#.utf8) + [0xFF, 0xFE] + Array("]}".utf8)),
                  .answered(400, "bad_request")),
            Input("invalid UTF-8 in a string the decoder skips",
                  signedAck(bytes: Array(#"{"ids":[999999999],"x":""#.utf8) + [0xFF] + Array(#""}"#.utf8)),
                  .answered(400, "bad_request")),
            Input("overlong UTF-8 encoding in a string the decoder skips",
                  signedAck(bytes: Array(#"{"ids":[999999999],"x":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8)),
                  .answered(400, "bad_request")),
            Input("UTF-16 surrogate encoded as UTF-8 in a skipped string",
                  signedAck(bytes: Array(#"{"ids":[999999999],"x":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8)),
                  .answered(400, "bad_request")),
            Input("create mailbox, invalid UTF-8 in the owner key",
                  create(Array(#"{"owner_key":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)),
                  .answered(400, "bad_request")),
            Input("acknowledgement that is not JSON", signedAck("ids=1,2"), .answered(400, "bad_request")),
            Input("truncated JSON", signedAck(#"{"ids":[1,"#), .answered(400, "bad_request")),
            Input("empty acknowledgement body", signedAck(""), .answered(400, "bad_request")),
            Input("JSON null", signedAck("null"), .answered(400, "bad_request")),
            Input("ids as strings", signedAck(#"{"ids":["1"]}"#), .answered(400, "bad_request")),
            Input("30 000 nested arrays", signedAck(deepArrays), .answered(400, "bad_request")),
            Input("10 000 nested objects", signedAck(deepObjects), .answered(400, "bad_request")),
            Input("number with 400 digits", signedAck("{\"ids\":[" + String(repeating: "9", count: 400) + "]}"),
                  .answered(400, "bad_request")),
            Input("number 1e400", signedAck(#"{"ids":[1e400]}"#), .answered(400, "bad_request")),
            Input("number 2^64", signedAck(#"{"ids":[18446744073709551616]}"#), .answered(400, "bad_request")),
            Input("number 2^53", signedAck(#"{"ids":[9007199254740992]}"#), .answered(400, "bad_request")),
            Input("fractional ID", signedAck(#"{"ids":[1.5]}"#), .answered(400, "bad_request")),
            Input("negative ID", signedAck(#"{"ids":[-1]}"#), .answered(400, "bad_request")),
            Input("ID zero", signedAck(#"{"ids":[0]}"#), .answered(400, "bad_request")),
            Input("no IDs", signedAck(#"{"ids":[]}"#), .answered(400, "bad_request")),
            Input("1001 IDs", signedAck("{\"ids\":[" + (1...1001).map { String($0 + 1_000_000_000) }.joined(separator: ",") + "]}"),
                  .answered(400, "bad_request")),
            Input("create mailbox, body not UTF-8", create([0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D]), .answered(400, "bad_request")),
            Input("create mailbox, invalid UTF-8 in a skipped field", create(
                Array(#"{"owner_key":"\#(Hex.encode(stranger.publicKey.rawRepresentation))","x":""#.utf8) + [0xFF] + Array(#""}"#.utf8)),
                  .answered(400, "bad_request")),
            Input("create mailbox, owner key a huge number", create(Array(#"{"owner_key":1e99999}"#.utf8)), .answered(400, "bad_request")),
            Input("create mailbox, deeply nested", create(Array(deepArrays.utf8)), .answered(400, "bad_request")),
            Input("create mailbox, owner key not a curve point", create(Array(#"{"owner_key":"\#(String(repeating: "ff", count: 32))"}"#.utf8)),
                  .answered(400, "bad_request")),
            Input("create mailbox, owner key in upper case",
                  create(Array(#"{"owner_key":"\#(Hex.encode(stranger.publicKey.rawRepresentation).uppercased())"}"#.utf8)),
                  .answered(400, "bad_request")),

            // Quotas (configured small).
            Input("deposit into a mailbox at its blob quota", request("POST", "/v1/mailboxes/\(full.id)/messages", body: blob(10, seed: 0xEE)),
                  .answered(507, "quota_exceeded")),
            Input("largest deposit into a mailbox at its byte quota",
                  request("POST", "/v1/mailboxes/\(heavy.id)/messages", body: blob(maxBlob, seed: 0xEF)), .answered(507, "quota_exceeded")),
            Input("repeated deposit into a full mailbox answers as the first time, storing nothing",
                  request("POST", "/v1/mailboxes/\(full.id)/messages", body: full.messages[3].blob),
                  .answered(201, body: "{\"id\":\(full.messages[3].id)}")),
        ]
        // More deposits into the full mailboxes, pipelined on kept-alive connections.
        for (index, mailbox) in [full, heavy].enumerated() {
            let body = blob(index == 0 ? 10 : maxBlob, seed: 0xF0 + UInt8(index))
            let one = raw("POST /v1/mailboxes/\(mailbox.id)/messages HTTP/1.1", ["Host: x", "Content-Length: \(body.count)"], body: body)
            inputs.append(Input("ten pipelined deposits into mailbox \(index == 0 ? "at its blob quota" : "at its byte quota")",
                                Array([[UInt8]](repeating: one, count: 10).joined()),
                                .replies(Array(repeating: Reply(507, "quota_exceeded"), count: 10), closes: false)))
        }
        return inputs
    }

    static func flipCase(_ id: String) -> String {
        var flipped = false
        return String(id.map { character -> Character in
            guard !flipped, character.isLetter else { return character }
            flipped = true
            return Character(character.isUppercase ? character.lowercased() : character.uppercased())
        })
    }

    // MARK: Runner

    /// Runs one input on a new connection; nil when the relay did what was expected, else what
    /// it did instead.
    static func run(_ input: Input, port: Int) async -> String? {
        let connection: Connection
        do {
            connection = try await Connection.connect(port: port)
        } catch {
            return "could not connect: \(error)"
        }
        defer { connection.close() }
        for step in input.steps {
            switch step {
            case .send(let bytes):
                await connection.send(bytes)
            case .drip(let bytes, let every):
                for byte in bytes {
                    if connection.isClosed { break }
                    await connection.send([byte])
                    try? await Task.sleep(for: every)
                }
            case .halfClose:
                await connection.halfClose()
            case .abort:
                connection.close()
                return nil
            }
        }

        // Deadlines in the battery are 8 s at most; allow for a loaded machine.
        let bound = Duration.seconds(25)
        switch input.expected {
        case .unobserved:
            return nil
        case .closedWithoutAnswer:
            guard await connection.waitUntilClosed(timeout: bound) else { return "still open after \(bound)" }
            let (bytes, _) = connection.snapshot()
            return bytes.isEmpty ? nil : "answered \(String(decoding: bytes.prefix(600), as: UTF8.self).debugDescription)"
        case .replies(let replies, let closes):
            if closes {
                guard await connection.waitUntilClosed(timeout: bound) else {
                    return "still open after \(bound), having answered \(parseAll(connection.snapshot().bytes).responses)"
                }
            } else {
                let deadline = ContinuousClock.now + bound
                while parseAll(connection.snapshot().bytes).responses.count < replies.count,
                    !connection.isClosed, ContinuousClock.now < deadline
                {
                    try? await Task.sleep(for: .milliseconds(10))
                }
                // A relay that meant to close would have sent its FIN right behind the answer.
                try? await Task.sleep(for: .milliseconds(200))
            }
            let (bytes, closed) = connection.snapshot()
            let parsed = parseAll(bytes, atEOF: closed)
            let matches = parsed.responses.count == replies.count && parsed.rest.isEmpty
                && zip(replies, parsed.responses).allSatisfy { $0.matches($1) }
            guard matches, closed == closes else {
                let rest = parsed.rest.isEmpty ? "" : " + \(String(decoding: parsed.rest.prefix(200), as: UTF8.self).debugDescription)"
                return "expected \(input.expected), got \(parsed.responses)\(rest) then \(closed ? "closed" : "kept open")"
            }
            return nil
        }
    }

    /// The complete responses at the start of `bytes`, and what follows them. With `atEOF`, a
    /// last response without a length ends where the bytes end.
    static func parseAll(_ bytes: [UInt8], atEOF: Bool = false) -> (responses: [RawResponse], rest: [UInt8]) {
        var responses: [RawResponse] = []
        var rest = bytes[...]
        while let response = RawResponse.parse(Array(rest), atEOF: false),
            let end = rest.firstRange(of: [13, 10, 13, 10] as [UInt8])
        {
            responses.append(response)
            rest = rest[(end.upperBound + response.body.count)...]
        }
        if atEOF, !rest.isEmpty, let last = RawResponse.parse(Array(rest), atEOF: true) {
            responses.append(last)
            rest = []
        }
        return (responses, Array(rest))
    }

    // MARK: Mailbox-ID probing

    /// Random and real mailbox IDs, unknown keys and wrong signatures: every answer must be
    /// the same bytes. Returns the number of probes.
    static func probeMailboxIDs(_ fixture: Fixture, relay: RelayHarness) async throws -> Int {
        let now = relay.clock.now
        let stranger = SigningKeyPair()
        var probes: [(name: String, bytes: [UInt8])] = []
        for index in 0..<300 {
            // Well-formed IDs of every allowed length, most of them the relay's own shape.
            let length = index % 3 == 0 ? 16 + index % 49 : 24
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
            let id = index % 3 == 0
                ? String((0..<length).map { _ in alphabet[Int(SecureRandom.bytes(count: 1)[0]) % alphabet.count] })
                : MailboxIDs.generate()
            let key = index % 2 == 0 ? stranger : fixture.mailboxes[index % fixture.mailboxes.count].owner
            switch index % 4 {
            case 0: probes.append(("fetch \(id)", signed("GET", "/v1/mailboxes/\(id)/messages", key: key, timestamp: now)))
            case 1: probes.append(("ack \(id)", signed("POST", "/v1/mailboxes/\(id)/messages/ack", body: Array(#"{"ids":[1]}"#.utf8), key: key, timestamp: now)))
            case 2: probes.append(("delete \(id)", signed("DELETE", "/v1/mailboxes/\(id)", key: key, timestamp: now)))
            default: probes.append(("deposit \(id)", request("POST", "/v1/mailboxes/\(id)/messages", body: blob(32))))
            }
        }
        // Real mailboxes, wrong keys.
        for mailbox in fixture.mailboxes {
            for key in [stranger, SigningKeyPair()] {
                probes.append(("fetch real, wrong key", signed("GET", "/v1/mailboxes/\(mailbox.id)/messages", key: key, timestamp: now)))
                probes.append(("ack real, wrong key", signed("POST", "/v1/mailboxes/\(mailbox.id)/messages/ack",
                                                             body: Array("{\"ids\":[\(mailbox.messages[0].id)]}".utf8), key: key, timestamp: now)))
                probes.append(("delete real, wrong key", signed("DELETE", "/v1/mailboxes/\(mailbox.id)", key: key, timestamp: now)))
            }
        }
        // IDs that are not IDs at all: no such path, the same answer.
        for id in ["", "short", String(repeating: "A", count: 65), "AAAAAAAAAAAAAAAAAAAAAA.A", "AAAAAAAAAAAAAAAAAAAAAA%2F"] {
            probes.append(("malformed ID \(id)", signed("GET", "/v1/mailboxes/\(id)/messages", key: stranger, timestamp: now)))
        }

        let reference = try await RawHTTP.exchange(port: relay.port, signed(
            "GET", "/v1/mailboxes/\(MailboxIDs.generate())/messages", key: stranger, timestamp: now))
        #expect(reference.status == 404 && reference.errorCode == "not_found", "\(reference)")
        let mismatches = Locked<[String]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Eight at a time: enough to overlap with the table, not so many as to need the cap.
            for (offset, probe) in probes.enumerated() {
                if offset >= 8 { try await group.next() }
                group.addTask {
                    let response = try await RawHTTP.exchange(port: relay.port, probe.bytes)
                    if response.status != reference.status || response.body != reference.body
                        || response.headers.map(\.name) != reference.headers.map(\.name)
                        || response.headers.map(\.value) != reference.headers.map(\.value)
                    {
                        mismatches.withLock { $0.append("\(probe.name): \(response) vs \(reference)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        for mismatch in mismatches.value {
            Issue.record(Comment(rawValue: "mailbox-ID probe answered differently: \(mismatch)"))
        }
        return probes.count
    }

    // MARK: Slow reader

    /// A client pipelines fetches of the largest mailbox (several megabytes of answers in all,
    /// more than the loopback socket buffers hold) and reads nothing. The relay must keep serving
    /// others and cut the reader off at its write deadline, rather than hold the unsent answer
    /// (and the connection) for as long as the reader likes. Returns the number of fetches sent.
    static func slowReader(_ fixture: Fixture, relay: RelayHarness) async throws -> Int {
        let heavy = fixture.mailboxes[3]
        let now = relay.clock.now
        let count = 30
        let path = "/v1/mailboxes/\(heavy.id)/messages"
        let requests = (0..<count).map { _ in signed("GET", path, key: heavy.owner, timestamp: now, keepAlive: true) }
        let reader = try await Connection.connect(port: relay.port, reading: false)
        defer { reader.close() }
        await reader.send(Array(requests.joined()))

        // Meanwhile others are served, the same mailbox included.
        try await Task.sleep(for: .milliseconds(500))
        for _ in 0..<3 {
            let health = try await RawHTTP.exchange(port: relay.port, request("GET", "/v1/health"))
            #expect(health.status == 200, "health while a reader is stalled: \(health)")
            let fetch = try await RawHTTP.exchange(port: relay.port, signed("GET", path, key: heavy.owner, timestamp: now))
            #expect(fetch.status == 200, "fetch while a reader is stalled: \(fetch)")
        }

        // Well past the write deadline (2 s), start reading: a relay without one would now
        // deliver every answer; this one has closed the connection part way.
        try await Task.sleep(for: .seconds(3 * relay.configuration.writeTimeoutSeconds + 2))
        reader.startReading()
        let closed = await reader.waitUntilClosed(timeout: .seconds(20))
        #expect(closed, "a reader that read nothing for over the write deadline was not cut off")
        let answered = parseAll(reader.snapshot().bytes).responses
        #expect(answered.allSatisfy { $0.status == 200 })
        #expect(answered.count < count, "every answer was delivered: the reader was never cut off")
        #expect(answered.count >= 1)
        return count
    }

    // MARK: Idle connections

    struct IdleResult {
        var held: Int
        var refused: Int
        var inputs: Int { held + refused }
    }

    /// Fills the relay to its connection cap with connections that send nothing, checks that a
    /// thousand more are refused with 503 at once (not left hanging), then lets them go and
    /// checks the relay serves again. The cap is 1000, two descriptors each in this process
    /// (client and relay side), so the soft descriptor limit is raised if needed; when the hard
    /// limit is too low for that, as many as it allows are held and the cap itself is not
    /// reached (said on the output).
    static func idleConnections(relay: RelayHarness) async throws -> IdleResult {
        let cap = relay.configuration.maxConnections
        let overCap = 1000
        let batch = 50
        let available = raiseDescriptorLimit(to: 2 * (cap + batch) + 1024)
        let target = min(cap, max(0, (available - 1024) / 2 - batch))
        if target < cap {
            print("hostile battery: the descriptor limit allows \(target) idle connections, not \(cap): the cap is not reached")
        }

        // Start from a quiet relay: kept-alive client connections close at the idle deadline.
        try await eventuallyOrThrow(timeout: .seconds(30)) {
            (try? await Hostile.metric("vigil_relay_open_connections", port: relay.port)) == 1
        }

        // Open until `target` are admitted. An admitted connection hears nothing until its header
        // deadline (8 s); one refused over the cap (a probe of ours still closing) is answered at
        // once, and replaced.
        var idle: [Connection] = []
        defer { for connection in idle { connection.close() } }
        var opened = 0
        while idle.count < target, opened < target + 100 {
            let count = min(batch, target - idle.count)
            idle += try await withThrowingTaskGroup(of: Connection.self) { group in
                for _ in 0..<count {
                    group.addTask { try await Connection.connect(port: relay.port) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            opened += count
            if idle.count == target {
                try await Task.sleep(for: .milliseconds(200))
            }
            for connection in idle where !connection.snapshot().bytes.isEmpty { connection.close() }
            idle = idle.filter { $0.snapshot().bytes.isEmpty }
        }
        #expect(idle.count == target, "only \(idle.count) of \(target) idle connections were admitted")

        var refused = 0
        if target == cap {
            // Every one beyond the cap is answered 503 at once and closed, without being read.
            let refusals = Locked<[String]>([])
            while refused < overCap {
                let count = min(batch, overCap - refused)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<count {
                        group.addTask {
                            let response = try await RawHTTP.exchange(port: relay.port, request("GET", "/v1/health"), timeout: .seconds(20))
                            if response.status != 503 || response.errorCode != "unavailable" || response.header("Retry-After") == nil {
                                refusals.withLock { $0.append("\(response)") }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                refused += count
            }
            #expect(refusals.value.isEmpty, "over the cap, \(refusals.value.count) not refused: \(refusals.value.prefix(3))")
            // The held ones are still held: none was answered or timed out meanwhile.
            let answered = idle.filter { !$0.snapshot().bytes.isEmpty }.count
            #expect(answered == 0, "\(answered) idle connections were answered while the cap was tested")
        }

        // Once they go, normal clients are served again.
        for connection in idle { connection.close() }
        idle = []
        try await eventuallyOrThrow(timeout: .seconds(20)) {
            (try? await RawHTTP.exchange(port: relay.port, request("GET", "/v1/health"), timeout: .seconds(5)))?.status == 200
        }
        try await eventuallyOrThrow(timeout: .seconds(20)) {
            (try? await Hostile.metric("vigil_relay_open_connections", port: relay.port)) == 1
        }
        return IdleResult(held: target, refused: refused)
    }

    /// Raises the soft limit on open descriptors towards `wanted` (never above the hard limit);
    /// returns how many more descriptors this process may open.
    static func raiseDescriptorLimit(to wanted: Int) -> Int {
        var limit = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        if limit.rlim_cur < rlim_t(wanted) {
            var raised = limit
            raised.rlim_cur = min(rlim_t(wanted), limit.rlim_max)
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 256
        return Int(clamping: min(limit.rlim_cur, rlim_t(Int.max))) - open
    }

    static func eventuallyOrThrow(timeout: Duration, _ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "condition not met within \(timeout)")
    }

    // MARK: Connection

    /// A raw client connection (NIO); optionally one that reads nothing until told to.
    final class Connection: Sendable {
        private struct Inbox {
            var bytes: [UInt8] = []
            var closed = false
        }

        private final class Collector: ChannelInboundHandler, Sendable {
            typealias InboundIn = ByteBuffer
            let inbox = Mutex(Inbox())

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

        /// With `reading` false the connection reads nothing, into a small receive buffer.
        static func connect(port: Int, reading: Bool = true) async throws -> Connection {
            let collector = Collector()
            var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.allowRemoteHalfClosure, value: false)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(collector)
                    }
                }
            if !reading {
                bootstrap = bootstrap
                    .channelOption(.autoRead, value: false)
                    .channelOption(.socketOption(.so_rcvbuf), value: 4096)
            }
            let channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
            return Connection(channel: channel, collector: collector)
        }

        /// Sends; a failure (the relay closed first) is ignored: what it answered is the test.
        func send(_ bytes: [UInt8]) async {
            try? await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
        }

        func halfClose() async {
            try? await channel.close(mode: .output).get()
        }

        func startReading() {
            let channel = self.channel
            channel.eventLoop.execute {
                channel.setOption(.autoRead, value: true).whenSuccess { channel.read() }
            }
        }

        func snapshot() -> (bytes: [UInt8], closed: Bool) {
            collector.inbox.withLock { ($0.bytes, $0.closed) }
        }

        var isClosed: Bool { snapshot().closed }

        func waitUntilClosed(timeout: Duration) async -> Bool {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if isClosed { return true }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return isClosed
        }

        func close() {
            channel.close(promise: nil)
        }
    }
}
