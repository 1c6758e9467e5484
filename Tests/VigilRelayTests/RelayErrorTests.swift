import Foundation
import NIOCore
import Testing
import VigilClient
import VigilCrypto
import VigilRelayAPI
import VigilStorage

/// Hand-signs a request with arbitrary parts, for requests the client would never build.
func signedHeaders(
    method: String, path: String, query: String = "", body: [UInt8] = [], owner: SigningKeyPair, timestamp: UInt64
) -> [String: String] {
    let signed = RequestAuthentication.sign(
        method: method, path: path, query: query, body: body, timestamp: timestamp, ownerKey: owner)
    return [
        RequestAuthentication.timestampHeader: String(signed.timestamp),
        RequestAuthentication.nonceHeader: signed.nonce,
        RequestAuthentication.signatureHeader: signed.signature,
    ]
}

/// Every error code of Protocol/relay-api.md that a client can provoke, with the typed error the
/// client reports, and proof that a refusal stored nothing.
@Suite struct RelayErrorTests {
    // MARK: 400 bad_request

    @Test(arguments: [
        #"{"owner_key": "#,
        #"not json"#,
        #"{"owner_key": 42}"#,
        #"{}"#,
        #"["owner_key"]"#,
    ])
    func creatingAMailboxWithMalformedJSONIsABadRequest(body: String) async throws {
        try await withRelay { relay in
            let owner = SigningKeyPair()
            let bytes = Array(body.utf8)
            let response = try await relay.raw(
                method: "POST", target: "/v1/mailboxes",
                headers: signedHeaders(method: "POST", path: "/v1/mailboxes", body: bytes, owner: owner, timestamp: relay.clock.now)
                    .merging(["Content-Type": "application/json"]) { a, _ in a },
                body: bytes)
            #expect(response.status == 400)
            #expect(response.errorCode == "bad_request")
            #expect(try await relay.store.statistics().mailboxes == 0)
        }
    }

    @Test(arguments: [
        String(repeating: "00", count: 32),  // the identity point: low order
        "01" + String(repeating: "00", count: 31),  // low order as well
        String(repeating: "ff", count: 32),  // not canonical
        String(repeating: "ab", count: 31),  // too short
        String(repeating: "zz", count: 32),  // not hex
    ])
    func creatingAMailboxWithAnInvalidOwnerKeyIsABadRequest(ownerKey: String) async throws {
        try await withRelay { relay in
            let body = Array(#"{"owner_key":"\#(ownerKey)"}"#.utf8)
            let signer = SigningKeyPair()
            let response = try await relay.raw(
                method: "POST", target: "/v1/mailboxes",
                headers: signedHeaders(method: "POST", path: "/v1/mailboxes", body: body, owner: signer, timestamp: relay.clock.now),
                body: body)
            #expect(response.status == 400)
            #expect(response.errorCode == "bad_request")
            #expect(try await relay.store.statistics().mailboxes == 0)
        }
    }

    @Test func creatingAMailboxSignedByAnotherKeyIsRefused() async throws {
        try await withRelay { relay in
            let claimed = SigningKeyPair()
            let body = Array(#"{"owner_key":"\#(Hex.encode(claimed.publicKey.rawRepresentation))"}"#.utf8)
            let response = try await relay.raw(
                method: "POST", target: "/v1/mailboxes",
                headers: signedHeaders(method: "POST", path: "/v1/mailboxes", body: body, owner: SigningKeyPair(), timestamp: relay.clock.now),
                body: body)
            #expect((400...404).contains(response.status))
            #expect(try await relay.store.statistics().mailboxes == 0)
        }
    }

    @Test(arguments: [(0, 0), (101, 0), (1, 61), (100, 1000)])
    func fetchWithLimitOrWaitOutOfRangeIsABadRequest(limit: Int, wait: Int) async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let error = await relayError { () async throws(RelayClientError) in
                try await relay.client.fetch(mailboxID: id, ownerKey: owner, limit: limit, wait: wait)
            }
            #expect(error?.relayCode == .badRequest)
            #expect(error?.status == 400)
            #expect(error?.isTemporary == false)
        }
    }

    @Test(arguments: [
        "after=abc", "after=-1", "limit=", "limit=1x", "wait=-1", "after=1.5", "after=99999999999999999999",
        "limit=%31", "after=0&after=1",
    ])
    func fetchWithAMalformedQueryIsABadRequest(query: String) async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let path = "/v1/mailboxes/\(id)/messages"
            let response = try await relay.raw(
                method: "GET", target: path + "?" + query,
                headers: signedHeaders(method: "GET", path: path, query: query, owner: owner, timestamp: relay.clock.now))
            #expect(response.status == 400, "query \(query)")
            #expect(response.errorCode == "bad_request")
        }
    }

    @Test(arguments: [
        #"{"ids": []}"#, #"{"ids": [0]}"#, #"{"ids": [-3]}"#, #"{"ids": "1"}"#, #"{"ids": [1.5]}"#, #"{"#, "",
    ])
    func acknowledgingWithAMalformedBodyIsABadRequestAndDeletesNothing(body: String) async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            _ = try await relay.client.deposit(mailboxID: id, blob: blob())
            let path = "/v1/mailboxes/\(id)/messages/ack"
            let bytes = Array(body.utf8)
            let response = try await relay.raw(
                method: "POST", target: path,
                headers: signedHeaders(method: "POST", path: path, body: bytes, owner: owner, timestamp: relay.clock.now),
                body: bytes)
            #expect(response.status == 400, "body \(body)")
            #expect(response.errorCode == "bad_request")
            #expect(try await relay.stored(id).count == 1)
        }
    }

    @Test func acknowledgingMoreThanAThousandIDsIsABadRequest() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let kept = try await relay.client.deposit(mailboxID: id, blob: blob())
            let error = await relayError { () async throws(RelayClientError) in
                try await relay.client.acknowledge(mailboxID: id, ownerKey: owner, ids: [kept] + (1...1000).map { Int64($0) + 1_000_000 })
            }
            #expect(error?.relayCode == .badRequest)
            #expect(try await relay.stored(id).count == 1)
        }
    }

    @Test func anEmptyDepositIsABadRequest() async throws {
        try await withRelay { relay in
            let (id, _) = try await relay.makeMailbox()
            let response = try await relay.raw(method: "POST", target: "/v1/mailboxes/\(id)/messages", body: [])
            #expect(response.status == 400)
            #expect(response.errorCode == "bad_request")
            #expect(try await relay.storedBlobCount() == 0)
        }
    }

    // MARK: 400 missing_authentication

    @Test func anOwnerRequestWithoutSignatureHeadersLacksAuthentication() async throws {
        try await withRelay { relay in
            let (id, _) = try await relay.makeMailbox()
            _ = try await relay.client.deposit(mailboxID: id, blob: blob())
            let fetch = try await relay.raw(method: "GET", target: "/v1/mailboxes/\(id)/messages")
            #expect(fetch.status == 400)
            #expect(fetch.errorCode == "missing_authentication")
            let delete = try await relay.raw(method: "DELETE", target: "/v1/mailboxes/\(id)")
            #expect(delete.errorCode == "missing_authentication")
            let body = Array(#"{"owner_key":"\#(Hex.encode(SigningKeyPair().publicKey.rawRepresentation))"}"#.utf8)
            let create = try await relay.raw(method: "POST", target: "/v1/mailboxes", body: body)
            #expect(create.errorCode == "missing_authentication")
            #expect(try await relay.stored(id).count == 1)
            #expect(try await relay.store.statistics().mailboxes == 1)
        }
    }

    /// One header of a valid signed request replaced by a malformed value, or dropped.
    @Test(arguments: [
        (RequestAuthentication.timestampHeader, nil),
        (RequestAuthentication.nonceHeader, nil),
        (RequestAuthentication.signatureHeader, nil),
        (RequestAuthentication.timestampHeader, "0\(TestClock().now)"),  // leading zero
        (RequestAuthentication.timestampHeader, "+\(TestClock().now)"),
        (RequestAuthentication.timestampHeader, "\(TestClock().now).0"),
        (RequestAuthentication.nonceHeader, String(repeating: "A", count: 32)),  // upper case
        (RequestAuthentication.nonceHeader, String(repeating: "a", count: 30)),
        (RequestAuthentication.signatureHeader, String(repeating: "0", count: 127)),
        (RequestAuthentication.signatureHeader, String(repeating: "g", count: 128)),
    ] as [(String, String?)])
    func aMalformedSignatureHeaderLacksAuthentication(header: String, value: String?) async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let path = "/v1/mailboxes/\(id)/messages"
            var headers = signedHeaders(method: "GET", path: path, owner: owner, timestamp: relay.clock.now)
            headers[header] = value
            let response = try await relay.raw(method: "GET", target: path, headers: headers)
            #expect(response.status == 400)
            #expect(response.errorCode == "missing_authentication")
        }
    }

    // MARK: 401 stale_request

    @Test(arguments: [-121, 121, -100_000, 100_000] as [Int64])
    func aRequestFromAClockOutsideTheWindowIsStale(skew: Int64) async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            _ = try await relay.client.deposit(mailboxID: id, blob: blob())
            let clock = relay.clock
            let skewed = try relay.makeClient(clock: { UInt64(Int64(clock.now) + skew) })

            let fetch = await relayError { () async throws(RelayClientError) in try await skewed.fetch(mailboxID: id, ownerKey: owner) }
            #expect(fetch?.relayCode == .staleRequest)
            #expect(fetch?.status == 401)
            let ack = await relayError { () async throws(RelayClientError) in
                try await skewed.acknowledge(mailboxID: id, ownerKey: owner, ids: [1, 2, 3])
            }
            #expect(ack?.relayCode == .staleRequest)
            let create = await relayError { () async throws(RelayClientError) in try await skewed.createMailbox(ownerKey: SigningKeyPair()) }
            #expect(create?.relayCode == .staleRequest)
            let delete = await relayError { () async throws(RelayClientError) in try await skewed.deleteMailbox(mailboxID: id, ownerKey: owner) }
            #expect(delete?.relayCode == .staleRequest)

            #expect(try await relay.stored(id).count == 1)
            #expect(try await relay.store.statistics().mailboxes == 1)
            #expect(fetch.map { "\($0)" }?.contains("clock") == true)
        }
    }

    @Test(arguments: [-120, 120, 0] as [Int64])
    func aRequestFromAClockJustInsideTheWindowIsAccepted(skew: Int64) async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let clock = relay.clock
            let skewed = try relay.makeClient(clock: { UInt64(Int64(clock.now) + skew) })
            #expect(try await skewed.fetch(mailboxID: id, ownerKey: owner).messages.isEmpty)
        }
    }

    @Test func theWindowFollowsTheRelaysClock() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let request = try relay.request(.fetch(mailboxID: id, ownerKey: owner, after: 0, limit: 10, wait: 0))
            relay.clock.advance(by: 121)
            let response = try await relay.client.send(request)
            #expect(response.status == 401)
            #expect(response.refusal.code == .staleRequest)
        }
    }

    // MARK: 409 replayed_request

    @Test func aReplayedSignedRequestIsRefused() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let request = try relay.request(.fetch(mailboxID: id, ownerKey: owner, after: 0, limit: 10, wait: 0))
            #expect(try await relay.client.send(request).status == 200)
            let replay = try await relay.client.send(request)
            #expect(replay.status == 409)
            #expect(replay.refusal.code == .replayedRequest)
            let error = await relayError { () async throws(RelayClientError) in try replay.decode(FetchResponse.self, successStatus: 200) }
            #expect(error?.relayCode == .replayedRequest)
        }
    }

    @Test func aReplayedAcknowledgementDeletesNothingMore() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let a = try await relay.client.deposit(mailboxID: id, blob: blob())
            let request = try relay.request(.acknowledge(mailboxID: id, ownerKey: owner, ids: [a]))
            #expect(try await relay.raw(request).status == 200)
            let replay = try await relay.raw(request)
            #expect(replay.status == 409)
            #expect(replay.errorCode == "replayed_request")
        }
    }

    @Test func aReplayedMailboxCreationCreatesNoSecondMailbox() async throws {
        try await withRelay { relay in
            let request = try relay.request(.createMailbox(ownerKey: SigningKeyPair()))
            #expect(try await relay.raw(request).status == 201)
            let replay = try await relay.raw(request)
            #expect(replay.status == 409)
            #expect(replay.errorCode == "replayed_request")
            #expect(try await relay.store.statistics().mailboxes == 1)
        }
    }

    @Test func aReplayedDeletionIsNotFoundOnceTheMailboxIsGone() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let request = try relay.request(.deleteMailbox(mailboxID: id, ownerKey: owner))
            #expect(try await relay.raw(request).status == 200)
            // The mailbox (and its key) is gone, so the signature check fails first.
            #expect(try await relay.raw(request).errorCode == "not_found")
        }
    }

    // MARK: 404 not_found (see also EnumerationResistanceTests)

    @Test(arguments: ["/", "/v1", "/v1/", "/v2/health", "/v1/mailboxes/short/messages", "/v1/health/", "/v1/mailboxes/\(MailboxIDs.generate())/messages/other", "/V1/health"])
    func unknownPathsAreNotFound(path: String) async throws {
        try await withRelay { relay in
            let response = try await relay.raw(method: "GET", target: path)
            #expect(response.status == 404, "path \(path)")
            #expect(response.errorCode == "not_found")
        }
    }

    @Test func depositingIntoAnUnknownMailboxIsNotFoundAndStoresNothing() async throws {
        try await withRelay { relay in
            let error = await relayError { () async throws(RelayClientError) in
                try await relay.client.deposit(mailboxID: MailboxIDs.generate(), blob: blob())
            }
            #expect(error?.relayCode == .notFound)
            #expect(error?.status == 404)
            #expect(error?.isTemporary == false)
            let stored = try await relay.storedBlobCount()
            #expect(stored == 0)
        }
    }

    // MARK: 405 method_not_allowed

    @Test(arguments: [
        ("PUT", "/v1/mailboxes"), ("GET", "/v1/mailboxes"), ("POST", "/v1/health"), ("DELETE", "/v1/health"),
        ("POST", "/metrics"), ("PUT", "/v1/mailboxes/\(MailboxIDs.generate())/messages"),
        ("GET", "/v1/mailboxes/\(MailboxIDs.generate())"), ("GET", "/v1/mailboxes/\(MailboxIDs.generate())/messages/ack"),
    ])
    func aKnownPathWithAnotherMethodIsNotAllowed(method: String, path: String) async throws {
        try await withRelay { relay in
            let response = try await relay.raw(method: method, target: path)
            #expect(response.status == 405, "\(method) \(path)")
            #expect(response.errorCode == "method_not_allowed")
            #expect(response.header("Allow") != nil)
        }
    }

    // MARK: 411 length_required

    @Test func aChunkedDepositIsRefusedWithLengthRequired() async throws {
        try await withRelay { relay in
            let (id, _) = try await relay.makeMailbox()
            let head = "POST /v1/mailboxes/\(id)/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
            let response = try await RawHTTP.exchange(port: relay.port, Array((head + "5\r\nhello\r\n0\r\n\r\n").utf8))
            #expect(response.status == 411)
            #expect(response.errorCode == "length_required")
            #expect(try await relay.storedBlobCount() == 0)
        }
    }

    @Test func aDepositWithoutContentLengthIsRefusedWithLengthRequired() async throws {
        try await withRelay { relay in
            let (id, _) = try await relay.makeMailbox()
            let bytes = RawHTTP.format(method: "POST", target: "/v1/mailboxes/\(id)/messages", contentLength: false)
            let response = try await RawHTTP.exchange(port: relay.port, bytes)
            #expect(response.status == 411)
            #expect(response.errorCode == "length_required")
            #expect(try await relay.storedBlobCount() == 0)
        }
    }

    // MARK: 413 body_too_large

    @Test func aBlobOverTheLimitIsTooLargeAndNotStored() async throws {
        try await withRelay { relay in
            let (id, _) = try await relay.makeMailbox()
            let error = await relayError { () async throws(RelayClientError) in
                try await relay.client.deposit(mailboxID: id, blob: blob(relay.configuration.maxBlobBytes + 1))
            }
            #expect(error?.relayCode == .bodyTooLarge)
            #expect(error?.status == 413)
            #expect(try await relay.storedBlobCount() == 0)
            // The connection pool recovers: the next request works.
            _ = try await relay.client.deposit(mailboxID: id, blob: blob())
        }
    }

    @Test func aJSONBodyOverItsLimitIsTooLarge() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            _ = try await relay.client.deposit(mailboxID: id, blob: blob())
            // 1 000 IDs is allowed, but not padded out beyond 64 KiB with whitespace.
            let body = Array(("{\"ids\": [1" + String(repeating: " ", count: relay.configuration.maxJSONBodyBytes) + "]}").utf8)
            let path = "/v1/mailboxes/\(id)/messages/ack"
            let response = try await relay.raw(
                method: "POST", target: path,
                headers: signedHeaders(method: "POST", path: path, body: body, owner: owner, timestamp: relay.clock.now), body: body)
            #expect(response.status == 413)
            #expect(response.errorCode == "body_too_large")
            #expect(try await relay.stored(id).count == 1)
        }
    }

    // MARK: 429 rate_limited

    @Test func depositsBeyondTheBurstAreRateLimitedWithRetryAfter() async throws {
        try await withRelay({ configuration in
            configuration.depositBurst = 2
            configuration.depositsPerMinute = 1
        }) { relay in
            let (id, _) = try await relay.makeMailbox()
            _ = try await relay.client.deposit(mailboxID: id, blob: blob())
            _ = try await relay.client.deposit(mailboxID: id, blob: blob())
            let error = await relayError { () async throws(RelayClientError) in try await relay.client.deposit(mailboxID: id, blob: blob()) }
            #expect(error?.relayCode == .rateLimited)
            #expect(error?.status == 429)
            #expect((error?.retryAfterSeconds ?? 0) > 0)
            #expect(error?.isTemporary == true)
            #expect(try await relay.storedBlobCount() == 2)
        }
    }

    @Test func mailboxCreationsBeyondTheBurstAreRateLimited() async throws {
        try await withRelay({ configuration in
            configuration.mailboxCreationBurst = 1
            configuration.mailboxCreationsPerHour = 1
        }) { relay in
            _ = try await relay.makeMailbox()
            let error = await relayError { () async throws(RelayClientError) in try await relay.client.createMailbox(ownerKey: SigningKeyPair()) }
            #expect(error?.relayCode == .rateLimited)
            #expect((error?.retryAfterSeconds ?? 0) > 0)
            #expect(try await relay.store.statistics().mailboxes == 1)
        }
    }

    // MARK: 507 quota_exceeded

    @Test func aMailboxFullByCountRefusesMoreUntilAcknowledged() async throws {
        try await withRelay({ configuration in configuration.mailboxMaxBlobs = 2 }) { relay in
            let (id, owner) = try await relay.makeMailbox()
            let first = try await relay.client.deposit(mailboxID: id, blob: blob())
            let secondBytes = blob()
            let second = try await relay.client.deposit(mailboxID: id, blob: secondBytes)
            let error = await relayError { () async throws(RelayClientError) in try await relay.client.deposit(mailboxID: id, blob: blob()) }
            #expect(error?.relayCode == .quotaExceeded)
            #expect(error?.status == 507)
            #expect(error?.isTemporary == true)
            #expect(try await relay.stored(id).map(\.id) == [first, second])

            // A retry of a blob it holds still answers as the first time, full or not.
            #expect(try await relay.client.deposit(mailboxID: id, blob: secondBytes) == second)

            _ = try await relay.client.acknowledge(mailboxID: id, ownerKey: owner, ids: [first])
            _ = try await relay.client.deposit(mailboxID: id, blob: blob())
            #expect(try await relay.stored(id).count == 2)
        }
    }

    @Test func aMailboxFullByBytesRefusesWhatWouldNotFit() async throws {
        try await withRelay({ configuration in configuration.mailboxMaxBytes = 1000 }) { relay in
            let (id, _) = try await relay.makeMailbox()
            _ = try await relay.client.deposit(mailboxID: id, blob: blob(600))
            let error = await relayError { () async throws(RelayClientError) in try await relay.client.deposit(mailboxID: id, blob: blob(401)) }
            #expect(error?.relayCode == .quotaExceeded)
            #expect(try await relay.stored(id).count == 1)
            _ = try await relay.client.deposit(mailboxID: id, blob: blob(400))  // exactly full
            #expect(try await relay.stored(id).map(\.blob.count) == [600, 400])
        }
    }

    @Test func oneFullMailboxDoesNotAffectAnother() async throws {
        try await withRelay({ configuration in configuration.mailboxMaxBlobs = 1 }) { relay in
            let (full, _) = try await relay.makeMailbox()
            let (other, _) = try await relay.makeMailbox()
            _ = try await relay.client.deposit(mailboxID: full, blob: blob())
            _ = try await relay.client.deposit(mailboxID: other, blob: blob())
            #expect(try await relay.storedBlobCount() == 2)
        }
    }

    // MARK: 431 headers_too_large, 408 request_timeout, 503 unavailable

    @Test func headersOverTheLimitAreRefused() async throws {
        try await withRelay { relay in
            let response = try await relay.raw(
                method: "GET", target: "/v1/health", headers: ["X-Padding": String(repeating: "a", count: relay.configuration.maxHeaderBytes)])
            #expect(response.status == 431)
            #expect(response.errorCode == "headers_too_large")
        }
    }

    @Test func aRequestWhoseHeadersNeverFinishTimesOut() async throws {
        try await withRelay({ configuration in configuration.headerTimeoutSeconds = 1 }) { relay in
            let connection = try await RawHTTP.connect(port: relay.port)
            defer { connection.close() }
            await connection.write(Array("GET /v1/health HTTP/1.1\r\nHost: x\r\n".utf8))
            let response = try await connection.response(timeout: .seconds(10))
            #expect(response.status == 408)
            #expect(response.errorCode == "request_timeout")
        }
    }

    @Test func aDepositWhoseBodyNeverFinishesTimesOutAndStoresNothing() async throws {
        try await withRelay({ configuration in configuration.bodyTimeoutSeconds = 1 }) { relay in
            let (id, _) = try await relay.makeMailbox()
            let connection = try await RawHTTP.connect(port: relay.port)
            defer { connection.close() }
            await connection.write(Array("POST /v1/mailboxes/\(id)/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789".utf8))
            let response = try await connection.response(timeout: .seconds(10))
            #expect(response.status == 408)
            #expect(response.errorCode == "request_timeout")
            #expect(try await relay.storedBlobCount() == 0)
        }
    }

    @Test func connectionsOverTheCapAreToldTheRelayIsUnavailable() async throws {
        try await withRelay({ configuration in configuration.maxConnections = 1 }) { relay in
            let holder = try await RawHTTP.connect(port: relay.port)
            defer { holder.close() }
            // The first connection is accepted asynchronously: retry until the cap is in force.
            var refused: RawResponse?
            try await eventually {
                let response = try await relay.raw(method: "GET", target: "/v1/health")
                if response.status == 503 { refused = response }
                return refused != nil
            }
            #expect(refused?.errorCode == "unavailable")
            holder.close()
            try await eventually { (try? await relay.client.health()) != nil }
        }
    }

    // MARK: 507 storage_full, 500 internal_error

    @Test func aFullDiskRefusesDepositsWithStorageFullAndRecovers() async throws {
        try await withRelay { relay in
            let (id, _) = try await relay.makeMailbox()
            relay.faults.failDeposits(with: .storageFull)
            let error = await relayError { () async throws(RelayClientError) in try await relay.client.deposit(mailboxID: id, blob: blob()) }
            #expect(error?.relayCode == .storageFull)
            #expect(error?.status == 507)
            #expect(error?.isTemporary == true)
            #expect(try await relay.storedBlobCount() == 0)
            relay.faults.failDeposits(with: nil)
            _ = try await relay.client.deposit(mailboxID: id, blob: blob())
        }
    }

    @Test(arguments: [StoreError.database(operation: "insert blob", code: 10), .corrupted("bad page"), .mailboxExists])
    func aDatabaseFailureIsAnInternalErrorThatNamesNothing(fault: StoreError) async throws {
        try await withRelay { relay in
            let (id, _) = try await relay.makeMailbox()
            relay.faults.failDeposits(with: fault)
            let response = try await relay.raw(method: "POST", target: "/v1/mailboxes/\(id)/messages", body: blob())
            #expect(response.status == 500)
            #expect(response.errorCode == "internal_error")
            #expect(!response.bodyText.contains("insert blob") && !response.bodyText.contains("bad page"))
            let error = await relayError { () async throws(RelayClientError) in try await relay.client.deposit(mailboxID: id, blob: blob()) }
            #expect(error?.relayCode == .internalError)
            #expect(try await relay.storedBlobCount() == 0)
        }
    }
}
