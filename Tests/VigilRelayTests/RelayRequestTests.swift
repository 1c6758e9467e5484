import Foundation
import Testing
import VigilClient
import VigilCrypto
import VigilRelayAPI

/// Building requests is pure: these check paths, queries, bodies and signatures without a relay.
@Suite struct RelayRequestTests {
    static let mailboxID = "AbCdEfGhIjKlMnOpQrStUvWx"

    @Test(arguments: [
        ("https://relay.example.org", "/v1/mailboxes/\(mailboxID)/messages"),
        ("https://relay.example.org/", "/v1/mailboxes/\(mailboxID)/messages"),
        ("https://relay.example.org/relay", "/relay/v1/mailboxes/\(mailboxID)/messages"),
        ("https://relay.example.org/relay//", "/relay/v1/mailboxes/\(mailboxID)/messages"),
        ("http://127.0.0.1:8080/a/b%20c", "/a/b%20c/v1/mailboxes/\(mailboxID)/messages"),
        ("HTTP://[::1]:8080/x", "/x/v1/mailboxes/\(mailboxID)/messages"),
    ])
    func pathsAreComposedUnderTheBaseURLAndSignedAsSent(base: String, expectedPath: String) throws {
        let owner = SigningKeyPair()
        let request = try RelayRequest(
            .fetch(mailboxID: Self.mailboxID, ownerKey: owner, after: 7, limit: 50, wait: 30),
            base: RelayBaseURL(URL(string: base)!), timestamp: 1_795_600_000)
        #expect(request.method == "GET")
        #expect(request.path == expectedPath)
        #expect(request.query == "after=7&limit=50&wait=30")
        #expect(request.url.absoluteString.hasSuffix(expectedPath + "?after=7&limit=50&wait=30"))
        #expect(request.holdSeconds == 30)
        let headers = RequestAuthentication.Headers(
            timestamp: request.headers["Vigil-Timestamp"], nonce: request.headers["Vigil-Nonce"], signature: request.headers["Vigil-Signature"])
        let parsed = try #require(headers)
        #expect(parsed.timestamp == 1_795_600_000)
        #expect(RequestAuthentication.isValid(parsed, method: "GET", path: expectedPath, query: request.query, body: [], ownerKey: owner.publicKey))
        // Not valid for the path without the prefix, nor for another query.
        #expect(!RequestAuthentication.isValid(parsed, method: "GET", path: expectedPath + "x", query: request.query, body: [], ownerKey: owner.publicKey))
        #expect(!RequestAuthentication.isValid(parsed, method: "GET", path: expectedPath, query: "", body: [], ownerKey: owner.publicKey))
    }

    @Test(arguments: [
        "ftp://relay.example.org", "relay.example.org", "https://", "https://user:pw@relay.example.org",
        "https://relay.example.org/?x=1", "https://relay.example.org/#frag", "https://relay.example.org/a/../b",
        "https://relay.example.org/./b", "https://relay.example.org/%2e%2e/b", "file:///etc/passwd",
    ])
    func unusableBaseURLsAreRefused(base: String) {
        guard let url = URL(string: base) else { return }
        #expect(throws: RelayClientError.self) { try RelayBaseURL(url) }
        #expect(throws: RelayClientError.self) { try RelayClient(baseURL: url) }
    }

    @Test func everySignedRequestHasAFreshNonce() throws {
        let owner = SigningKeyPair()
        let base = try RelayBaseURL(URL(string: "https://relay.example.org")!)
        let nonces = try (0..<20).map { _ in
            try RelayRequest(.deleteMailbox(mailboxID: Self.mailboxID, ownerKey: owner), base: base, timestamp: 1).headers["Vigil-Nonce"]
        }
        #expect(Set(nonces).count == 20)
    }

    @Test func bodiesAreTheDocumentedJSONAndTheBlobAsIs() throws {
        let owner = SigningKeyPair()
        let base = try RelayBaseURL(URL(string: "https://relay.example.org")!)
        let create = try RelayRequest(.createMailbox(ownerKey: owner), base: base, timestamp: 1)
        #expect(create.method == "POST" && create.path == "/v1/mailboxes" && create.successStatus == 201)
        #expect(create.body == Array(#"{"owner_key":"\#(Hex.encode(owner.publicKey.rawRepresentation))"}"#.utf8))
        #expect(create.headers["Content-Type"] == "application/json")

        let ack = try RelayRequest(.acknowledge(mailboxID: Self.mailboxID, ownerKey: owner, ids: [1, 2]), base: base, timestamp: 1)
        #expect(ack.body == Array(#"{"ids":[1,2]}"#.utf8))

        let deposit = try RelayRequest(.deposit(mailboxID: Self.mailboxID, blob: [0, 1, 2, 255]), base: base, timestamp: 1)
        #expect(deposit.body == [0, 1, 2, 255])
        #expect(deposit.headers["Vigil-Signature"] == nil)
        #expect(deposit.headers["Content-Type"] == "application/octet-stream")

        let delete = try RelayRequest(.deleteMailbox(mailboxID: Self.mailboxID, ownerKey: owner), base: base, timestamp: 1)
        #expect(delete.method == "DELETE" && delete.body.isEmpty && delete.query.isEmpty)
    }

    @Test func negativeFetchArgumentsAreRefusedBeforeSending() throws {
        let base = try RelayBaseURL(URL(string: "https://relay.example.org")!)
        for (after, limit, wait) in [(-1, 1, 0), (0, -1, 0), (0, 1, -1)] as [(Int64, Int, Int)] {
            #expect(throws: RelayClientError.self) {
                try RelayRequest(.fetch(mailboxID: Self.mailboxID, ownerKey: SigningKeyPair(), after: after, limit: limit, wait: wait), base: base, timestamp: 1)
            }
        }
    }

    @Test func errorDescriptionsSayWhatToDo() {
        let stale = RelayClientError.relay(RelayRefusal(status: 401, code: .staleRequest, rawCode: "stale_request", message: ""))
        #expect("\(stale)".contains("clock"))
        let limited = RelayClientError.relay(RelayRefusal(status: 429, code: .rateLimited, rawCode: "rate_limited", message: "", retryAfterSeconds: 30))
        #expect("\(limited)".contains("after 30 s"))
        #expect("\(RelayClientError.timedOut)".contains("retry"))
        #expect("\(RelayClientError.proxyUnavailable("x"))".hasPrefix("nothing was sent"))
    }
}
