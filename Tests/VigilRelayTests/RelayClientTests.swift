import Foundation
import Testing
import VigilClient
import VigilCrypto
import VigilRelayAPI

/// The client's handling of answers a healthy relay never gives, and of failures below HTTP,
/// against a canned loopback server.
@Suite struct RelayClientTests {
    static let mailboxID = MailboxIDs.generate()

    func client(
        _ server: CannedHTTPServer, path: String = "", timeout: TimeInterval = 10, maxResponseBytes: Int = 64 << 20
    ) throws(RelayClientError) -> RelayClient {
        try RelayClient(
            baseURL: URL(string: "http://127.0.0.1:\(server.port)\(path)")!, requestTimeout: timeout,
            maxResponseBytes: maxResponseBytes, clock: { 1_795_600_000 })
    }

    @Test(arguments: RelayErrorCode.allCases)
    func everyRefusalBecomesATypedErrorWithItsCodeStatusAndRetryAfter(code: RelayErrorCode) async throws {
        let server = try await CannedHTTPServer.start(replying: .http(
            code.status, #"{"error":{"code":"\#(code.rawValue)","message":"said the relay"}}"#,
            headers: ["Content-Type": "application/json; charset=utf-8", "Retry-After": "17"]))
        defer { Task { await server.stop() } }
        let error = await relayError { () async throws(RelayClientError) in
            try await client(server).deposit(mailboxID: Self.mailboxID, blob: [1, 2, 3])
        }
        #expect(error == .relay(RelayRefusal(status: code.status, code: code, rawCode: code.rawValue, message: "said the relay", retryAfterSeconds: 17)))
        #expect(error?.relayCode == code)
        #expect(error?.status == code.status)
        #expect(error?.retryAfterSeconds == 17)
        let description = error.map { "\($0)" } ?? ""
        #expect(description.contains(code.rawValue))
        #expect(description.contains("said the relay"))
        #expect(!description.contains(Self.mailboxID))
        #expect(error?.isTemporary == [.requestTimeout, .rateLimited, .internalError, .unavailable, .quotaExceeded, .storageFull].contains(code))
    }

    @Test func anUnknownErrorCodeIsKeptAsSentAndDoesNotCrash() async throws {
        let server = try await CannedHTTPServer.start(replying: .http(418, #"{"error":{"code":"teapot_overflow","message":"short and stout"}}"#))
        defer { Task { await server.stop() } }
        let error = await relayError { () async throws(RelayClientError) in try await client(server).health() }
        #expect(error == .relay(RelayRefusal(status: 418, code: nil, rawCode: "teapot_overflow", message: "short and stout")))
        #expect(error.map { "\($0)" }?.contains("teapot_overflow") == true)
    }

    @Test func aKnownCodeWithAnotherStatusKeepsBoth() async throws {
        let server = try await CannedHTTPServer.start(replying: .http(500, #"{"error":{"code":"not_found","message":""}}"#))
        defer { Task { await server.stop() } }
        let error = await relayError { () async throws(RelayClientError) in try await client(server).health() }
        #expect(error?.relayCode == .notFound)
        #expect(error?.status == 500)
    }

    @Test(arguments: [
        "<html><body>502 Bad Gateway</body></html>", "", #"{"error":"nope"}"#, #"{"error":{"code":"Not A Code!","message":"x"}}"#,
    ])
    func anErrorStatusWithoutAnErrorBodyIsARefusalWithoutCode(body: String) async throws {
        let server = try await CannedHTTPServer.start(replying: .http(502, body, headers: ["Content-Type": "text/html", "Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"]))
        defer { Task { await server.stop() } }
        let error = await relayError { () async throws(RelayClientError) in try await client(server).health() }
        #expect(error == .relay(RelayRefusal(status: 502, code: nil, rawCode: nil, message: "", retryAfterSeconds: nil)))
        #expect(error?.isTemporary == true)
    }

    @Test func theRelaysMessageIsStrippedOfControlCharactersAndCapped() async throws {
        let hostile = #"{"error":{"code":"bad_request","message":"\u001b[2J\u001b]0;pwned\u0007line\nbreak \u202eevil\#(String(repeating: "x", count: 1000))"}}"#
        let server = try await CannedHTTPServer.start(replying: .http(400, hostile))
        defer { Task { await server.stop() } }
        let error = await relayError { () async throws(RelayClientError) in try await client(server).health() }
        guard case .relay(let refusal) = error else { Issue.record("expected a refusal"); return }
        #expect(!refusal.message.unicodeScalars.contains { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format })
        #expect(refusal.message.hasPrefix("[2J ]0;pwned line break evil"))
        #expect(refusal.message.count <= 200)
    }

    @Test(arguments: [
        (201, "not json at all"),
        (201, #"{"id": "42"}"#),
        (201, #"{"id": 0}"#),
        (201, #"{"id": -5}"#),
        (201, #"{"identifier": 42}"#),
        (201, #"{"id": 1e400}"#),
        (200, #"{"id": 42}"#),  // right body, wrong status
        (204, ""),
    ])
    func aGarbledSuccessAnswerIsAnInvalidResponse(status: Int, body: String) async throws {
        let server = try await CannedHTTPServer.start(replying: .http(status, body))
        defer { Task { await server.stop() } }
        let error = await relayError { () async throws(RelayClientError) in
            try await client(server).deposit(mailboxID: Self.mailboxID, blob: [1])
        }
        guard case .invalidResponse = error else { Issue.record("expected invalidResponse, got \(String(describing: error))"); return }
    }

    @Test(arguments: [
        #"{"messages": [{"id": 5, "received_at": 1, "blob": "AQ=="}, {"id": 4, "received_at": 1, "blob": "AQ=="}], "more": false}"#,
        #"{"messages": [{"id": 0, "received_at": 1, "blob": "AQ=="}], "more": false}"#,
        #"{"messages": [{"id": 5, "received_at": 1, "blob": "not base64!"}], "more": false}"#,
        #"{"messages": [{"id": 5, "received_at": 1, "blob": "AQ"}], "more": false}"#,
        #"{"messages": [{"id": 5, "received_at": 1, "blob": ""}], "more": false}"#,
        #"{"messages": [{"id": 5, "received_at": -1, "blob": "AQ=="}], "more": false}"#,
        #"{"messages": [], "more": "no"}"#,
        #"{"messages": null, "more": false}"#,
    ])
    func aFetchAnswerThatBreaksTheContractIsAnInvalidResponse(body: String) async throws {
        let server = try await CannedHTTPServer.start(replying: .http(200, body))
        defer { Task { await server.stop() } }
        let error = await relayError { () async throws(RelayClientError) in
            try await client(server).fetch(mailboxID: Self.mailboxID, ownerKey: SigningKeyPair())
        }
        guard case .invalidResponse = error else { Issue.record("expected invalidResponse, got \(String(describing: error))"); return }
    }

    @Test func aMalformedNewMailboxIDIsAnInvalidResponse() async throws {
        let server = try await CannedHTTPServer.start(replying: .http(201, #"{"mailbox_id": "../../etc/passwd?x=1"}"#))
        defer { Task { await server.stop() } }
        let error = await relayError { () async throws(RelayClientError) in try await client(server).createMailbox(ownerKey: SigningKeyPair()) }
        guard case .invalidResponse = error else { Issue.record("expected invalidResponse, got \(String(describing: error))"); return }
    }

    @Test func aTimerIDNotDerivedFromTheKeyIsAnInvalidResponse() async throws {
        let other = TimerIDs.derive(timerKey: SigningKeyPair().publicKey)
        let server = try await CannedHTTPServer.start(replying: .http(201, #"{"timer_id": "\#(other)"}"#))
        defer { Task { await server.stop() } }
        let error = await relayError { () async throws(RelayClientError) in
            try await client(server).armTimer(
                timerKey: SigningKeyPair(), deadline: 2_000_000_000,
                blobs: [TimerBlobPayload(mailboxID: Self.mailboxID, blob: Data([1]))])
        }
        guard case .invalidResponse = error else { Issue.record("expected invalidResponse, got \(String(describing: error))"); return }
    }

    @Test func anAcknowledgementCountingMoreThanAskedIsAnInvalidResponse() async throws {
        let server = try await CannedHTTPServer.start(replying: .http(200, #"{"deleted": 3}"#))
        defer { Task { await server.stop() } }
        let error = await relayError { () async throws(RelayClientError) in
            try await client(server).acknowledge(mailboxID: Self.mailboxID, ownerKey: SigningKeyPair(), ids: [1, 2, 2])
        }
        guard case .invalidResponse = error else { Issue.record("expected invalidResponse, got \(String(describing: error))"); return }
    }

    @Test(arguments: [true, false])
    func anAnswerOverTheSizeCapIsAnInvalidResponse(declaresLength: Bool) async throws {
        let body = Array(#"{"status":"ok","padding":""#.utf8) + [UInt8](repeating: 0x61, count: 5000) + Array(#""}"#.utf8)
        let server = try await CannedHTTPServer.start(replying: .bytes(CannedReply.httpBytes(200, body, contentLength: declaresLength)))
        defer { Task { await server.stop() } }
        let error = await relayError { () async throws(RelayClientError) in
            try await client(server, maxResponseBytes: 1000).health()
        }
        guard case .invalidResponse(let detail) = error else { Issue.record("expected invalidResponse, got \(String(describing: error))"); return }
        #expect(detail.contains("1000"))
        // Under the cap, the same answer is fine.
        #expect(try await client(server, maxResponseBytes: 10_000).health().status == "ok")
    }

    @Test(arguments: [301, 302, 307, 308])
    func redirectsAreNeverFollowed(status: Int) async throws {
        let target = try await CannedHTTPServer.start(replying: .http(201, #"{"id": 7}"#))
        defer { Task { await target.stop() } }
        let server = try await CannedHTTPServer.start(replying: .http(status, "", headers: ["Location": "\(target.url)/v1/mailboxes/\(Self.mailboxID)/messages"]))
        defer { Task { await server.stop() } }
        let error = await relayError { () async throws(RelayClientError) in
            try await client(server).deposit(mailboxID: Self.mailboxID, blob: [1])
        }
        guard case .invalidResponse(let detail) = error else { Issue.record("expected invalidResponse, got \(String(describing: error))"); return }
        #expect(detail.contains("redirect"))
        #expect(target.connections == 0)
    }

    @Test func aRelayThatNeverAnswersTimesOut() async throws {
        let server = try await CannedHTTPServer.start(replying: .silence)
        defer { Task { await server.stop() } }
        let error = await relayError { () async throws(RelayClientError) in try await client(server, timeout: 1).health() }
        #expect(error == .timedOut)
        #expect(error?.isTemporary == true)
    }

    @Test func aLongPollGetsItsWaitOnTopOfTheRequestTimeout() async throws {
        // The answer comes after 2 s: past the 1 s request timeout, within timeout + wait.
        let server = try await CannedHTTPServer.start(replying: .http(200, #"{"messages": [], "more": false}"#, delay: .seconds(2)))
        defer { Task { await server.stop() } }
        let fetched = try await client(server, timeout: 1).fetch(mailboxID: Self.mailboxID, ownerKey: SigningKeyPair(), wait: 3)
        #expect(fetched.messages.isEmpty)
    }

    @Test func aClosedPortIsATransportErrorThatNamesNoMailbox() async throws {
        let server = try await CannedHTTPServer.start(replying: .silence)
        let port = server.port
        await server.stop()
        let client = try RelayClient(baseURL: URL(string: "http://127.0.0.1:\(port)")!, requestTimeout: 5)
        let error = await relayError { () async throws(RelayClientError) in try await client.deposit(mailboxID: Self.mailboxID, blob: [1]) }
        guard case .transport(let detail) = error else { Issue.record("expected transport, got \(String(describing: error))"); return }
        #expect(!detail.contains(Self.mailboxID))
        #expect(error?.isTemporary == true)
    }

    @Test func aConnectionClosedWithoutAnswerIsATransportOrResponseError() async throws {
        let server = try await CannedHTTPServer.start(replying: .bytes([]))
        defer { Task { await server.stop() } }
        let error = await relayError { () async throws(RelayClientError) in try await client(server).health() }
        switch error {
        case .transport?, .invalidResponse?: break
        default: Issue.record("expected transport or invalidResponse, got \(String(describing: error))")
        }
    }

    @Test func cancellingTheCallingTaskAbandonsTheRequest() async throws {
        let server = try await CannedHTTPServer.start(replying: .silence)
        defer { Task { await server.stop() } }
        let client = try client(server, timeout: 30)
        let task = Task { () async throws(RelayClientError) -> HealthResponse in try await client.health() }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let result = await task.result
        guard case .failure(let error) = result, error as? RelayClientError == .cancelled else {
            Issue.record("expected cancelled, got \(result)")
            return
        }
    }

    @Test func nothingIsSentForAMalformedMailboxIDOrAnEmptyBlob() async throws {
        let server = try await CannedHTTPServer.start(replying: .http(201, #"{"id": 1}"#))
        defer { Task { await server.stop() } }
        let client = try client(server)
        for id in ["short", "has/slash/in/it/long", "query?x=1&y=2&z=3", "../../../../v1/health", String(repeating: "a", count: 65), "spaces are not ok here"] {
            let error = await relayError { () async throws(RelayClientError) in try await client.deposit(mailboxID: id, blob: [1]) }
            guard case .invalidArgument = error else { Issue.record("expected invalidArgument for \(id), got \(String(describing: error))"); continue }
        }
        let empty = await relayError { () async throws(RelayClientError) in try await client.deposit(mailboxID: Self.mailboxID, blob: []) }
        guard case .invalidArgument = empty else { Issue.record("expected invalidArgument, got \(String(describing: empty))"); return }
        #expect(server.connections == 0)
    }

    @Test func signedRequestsVerifyAgainstExactlyWhatTheServerReceivedUnderAPathPrefix() async throws {
        let server = try await CannedHTTPServer.start { request in
            request.method == "GET"
                ? .http(200, #"{"messages": [], "more": false}"#)
                : request.target.hasSuffix("/ack") ? .http(200, #"{"deleted": 0}"#)
                : request.method == "DELETE" ? .http(200, #"{"deleted": true}"#)
                : .http(201, #"{"mailbox_id": "\#(Self.mailboxID)"}"#)
        }
        defer { Task { await server.stop() } }
        let owner = SigningKeyPair()
        let client = try client(server, path: "/relay%20one/")
        _ = try await client.createMailbox(ownerKey: owner)
        _ = try await client.fetch(mailboxID: Self.mailboxID, ownerKey: owner, after: 12, limit: 34, wait: 0)
        _ = try await client.acknowledge(mailboxID: Self.mailboxID, ownerKey: owner, ids: [3, 4])
        _ = try await client.deleteMailbox(mailboxID: Self.mailboxID, ownerKey: owner)

        let received = server.requests
        #expect(received.map(\.method) == ["POST", "GET", "POST", "DELETE"])
        #expect(received.map(\.path) == [
            "/relay%20one/v1/mailboxes",
            "/relay%20one/v1/mailboxes/\(Self.mailboxID)/messages",
            "/relay%20one/v1/mailboxes/\(Self.mailboxID)/messages/ack",
            "/relay%20one/v1/mailboxes/\(Self.mailboxID)",
        ])
        #expect(received[1].query == "after=12&limit=34&wait=0")
        #expect(received[0].body == Array(#"{"owner_key":"\#(Hex.encode(owner.publicKey.rawRepresentation))"}"#.utf8))
        #expect(received[2].body == Array(#"{"ids":[3,4]}"#.utf8))
        var nonces = Set<String>()
        for request in received {
            let headers = RequestAuthentication.Headers(
                timestamp: request.headers["vigil-timestamp"], nonce: request.headers["vigil-nonce"],
                signature: request.headers["vigil-signature"])
            guard let headers else { Issue.record("missing signature headers on \(request.method)"); continue }
            #expect(headers.timestamp == 1_795_600_000)
            #expect(RequestAuthentication.isValid(
                headers, method: request.method, path: request.path, query: request.query, body: request.body,
                ownerKey: owner.publicKey))
            nonces.insert(headers.nonce)
        }
        #expect(nonces.count == received.count)
    }

    @Test func depositsAndHealthChecksAreNotSigned() async throws {
        let server = try await CannedHTTPServer.start { request in
            request.method == "GET" ? .http(200, #"{"status": "ok"}"#) : .http(201, #"{"id": 9}"#)
        }
        defer { Task { await server.stop() } }
        let client = try client(server)
        #expect(try await client.deposit(mailboxID: Self.mailboxID, blob: [9, 8, 7]) == 9)
        #expect(try await client.health().status == "ok")
        for request in server.requests {
            #expect(request.headers["vigil-signature"] == nil)
            #expect(request.headers["vigil-nonce"] == nil)
        }
        #expect(server.requests.first?.body == [9, 8, 7])
        #expect(server.requests.first?.headers["content-type"] == "application/octet-stream")
    }
}
