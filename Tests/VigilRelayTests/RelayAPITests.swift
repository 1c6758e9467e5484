import Foundation
import Testing
import VigilClient
import VigilCrypto
import VigilRelay
import VigilRelayAPI

/// Each endpoint of Protocol/relay-api.md, through the real client against the real relay.
@Suite struct RelayAPITests {
    @Test func aNewMailboxHasAWellFormedUnguessableIDAndIsEmpty() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            #expect(id.utf8.count == 24)
            #expect(MailboxIDs.isWellFormed(id))
            let (other, _) = try await relay.makeMailbox()
            #expect(other != id)
            let fetched = try await relay.client.fetch(mailboxID: id, ownerKey: owner)
            #expect(fetched.messages.isEmpty)
            #expect(fetched.more == false)
        }
    }

    @Test func aDepositIsFetchedByItsOwnerWithItsIDAndArrivalTime() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let bytes = blob(1234)
            let messageID = try await relay.client.deposit(mailboxID: id, blob: bytes)
            #expect(messageID > 0)

            let fetched = try await relay.client.fetch(mailboxID: id, ownerKey: owner)
            #expect(fetched.messages.count == 1)
            #expect(fetched.messages.first?.id == messageID)
            #expect(fetched.messages.first?.blob == Data(bytes))
            #expect(fetched.messages.first?.receivedAt == relay.clock.now)
            #expect(fetched.more == false)
            // The deposit was durable before it was answered: the store holds it.
            #expect(try await relay.stored(id).map(\.blob) == [bytes])
        }
    }

    @Test func messageIDsIncreaseInArrivalOrderAcrossMailboxes() async throws {
        try await withRelay { relay in
            let (first, _) = try await relay.makeMailbox()
            let (second, _) = try await relay.makeMailbox()
            let a = try await relay.client.deposit(mailboxID: first, blob: blob())
            let b = try await relay.client.deposit(mailboxID: second, blob: blob())
            let c = try await relay.client.deposit(mailboxID: first, blob: blob())
            #expect(a < b && b < c)
        }
    }

    @Test func blobsOfTheSmallestAndLargestAllowedSizeAreAccepted() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let largest = blob(relay.configuration.maxBlobBytes)
            _ = try await relay.client.deposit(mailboxID: id, blob: [0x42])
            _ = try await relay.client.deposit(mailboxID: id, blob: largest)
            let fetched = try await relay.client.fetch(mailboxID: id, ownerKey: owner)
            #expect(fetched.messages.map(\.blob) == [Data([0x42]), Data(largest)])
        }
    }

    @Test func depositingTheSameBytesAgainStoresNothingAndAnswersTheSameID() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let bytes = blob()
            let first = try await relay.client.deposit(mailboxID: id, blob: bytes)
            let again = try await relay.client.deposit(mailboxID: id, blob: bytes)
            #expect(again == first)
            #expect(try await relay.stored(id).count == 1)

            // Also after it was acknowledged, within the retention period.
            #expect(try await relay.client.acknowledge(mailboxID: id, ownerKey: owner, ids: [first]) == 1)
            relay.clock.advance(by: 3600)
            #expect(try await relay.client.deposit(mailboxID: id, blob: bytes) == first)
            #expect(try await relay.stored(id).isEmpty)
            #expect(try await relay.client.fetch(mailboxID: id, ownerKey: owner).messages.isEmpty)

            // The same bytes in another mailbox are a different deposit.
            let (other, _) = try await relay.makeMailbox()
            #expect(try await relay.client.deposit(mailboxID: other, blob: bytes) != first)
        }
    }

    @Test func aRetriedDepositAnswersExactlyAsTheFirstTime() async throws {
        try await withRelay { relay in
            let (id, _) = try await relay.makeMailbox()
            let request = try relay.request(.deposit(mailboxID: id, blob: blob()))
            let first = try await relay.raw(request)
            let second = try await relay.raw(request)
            #expect(first.status == 201)
            #expect(second.status == first.status)
            #expect(second.body == first.body)
        }
    }

    @Test func fetchPagesWithAfterLimitAndMore() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            var ids: [Int64] = []
            for index in 0..<5 { ids.append(try await relay.client.deposit(mailboxID: id, blob: blob(seed: UInt8(index)))) }

            let page1 = try await relay.client.fetch(mailboxID: id, ownerKey: owner, limit: 2)
            #expect(page1.messages.map(\.id) == Array(ids[0..<2]))
            #expect(page1.more)
            let page2 = try await relay.client.fetch(mailboxID: id, ownerKey: owner, after: ids[1], limit: 2)
            #expect(page2.messages.map(\.id) == Array(ids[2..<4]))
            #expect(page2.more)
            let page3 = try await relay.client.fetch(mailboxID: id, ownerKey: owner, after: ids[3], limit: 2)
            #expect(page3.messages.map(\.id) == [ids[4]])
            #expect(page3.more == false)
            let empty = try await relay.client.fetch(mailboxID: id, ownerKey: owner, after: ids[4])
            #expect(empty.messages.isEmpty && empty.more == false)

            let exact = try await relay.client.fetch(mailboxID: id, ownerKey: owner, limit: 5)
            #expect(exact.messages.count == 5 && exact.more == false)
            let one = try await relay.client.fetch(mailboxID: id, ownerKey: owner, limit: 1)
            #expect(one.messages.map(\.id) == [ids[0]] && one.more)
            let all = try await relay.client.fetch(mailboxID: id, ownerKey: owner, limit: 100)
            #expect(all.messages.map(\.id) == ids && all.more == false)
        }
    }

    @Test func fetchWithoutAQueryUsesTheDefaults() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            for _ in 0..<3 { _ = try await relay.client.deposit(mailboxID: id, blob: blob()) }
            // A hand-built signed GET with no query at all: after=0, limit=100, wait=0.
            let path = "/v1/mailboxes/\(id)/messages"
            let headers = RequestAuthentication.sign(
                method: "GET", path: path, query: "", body: [], timestamp: relay.clock.now, ownerKey: owner)
            let response = try await relay.raw(method: "GET", target: path, headers: [
                RequestAuthentication.timestampHeader: String(headers.timestamp),
                RequestAuthentication.nonceHeader: headers.nonce,
                RequestAuthentication.signatureHeader: headers.signature,
            ])
            #expect(response.status == 200)
            let fetched = try JSONDecoder().decode(FetchResponse.self, from: Data(response.body))
            #expect(fetched.messages.count == 3 && fetched.more == false)
            #expect(response.header("Content-Type")?.hasPrefix("application/json") == true)
        }
    }

    @Test func aLongPollReturnsAsSoonAsABlobArrives() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let bytes = blob()
            let started = ContinuousClock.now
            async let fetched = relay.client.fetch(mailboxID: id, ownerKey: owner, wait: 10)
            try await Task.sleep(for: .milliseconds(300))
            let depositID = try await relay.client.deposit(mailboxID: id, blob: bytes)
            let response = try await fetched
            let elapsed = ContinuousClock.now - started
            #expect(response.messages.map(\.id) == [depositID])
            #expect(response.messages.first?.blob == Data(bytes))
            #expect(elapsed < .seconds(10), "the long-poll waited out its full wait instead of waking up")
        }
    }

    @Test func aLongPollAfterTheLastSeenIDWakesOnlyForNewerBlobs() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let old = try await relay.client.deposit(mailboxID: id, blob: blob())
            async let fetched = relay.client.fetch(mailboxID: id, ownerKey: owner, after: old, wait: 10)
            try await Task.sleep(for: .milliseconds(300))
            let new = try await relay.client.deposit(mailboxID: id, blob: blob())
            #expect(try await fetched.messages.map(\.id) == [new])
        }
    }

    @Test func aLongPollWithNothingArrivingReturnsEmptyWhenTheWaitIsOver() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let started = ContinuousClock.now
            let fetched = try await relay.client.fetch(mailboxID: id, ownerKey: owner, wait: 1)
            #expect(fetched.messages.isEmpty)
            #expect(fetched.more == false)
            // It did hold the request (a loose lower bound, not a timing assertion).
            #expect(ContinuousClock.now - started >= .milliseconds(500))
        }
    }

    @Test func aDepositIntoAnotherMailboxDoesNotWakeALongPoll() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let (other, _) = try await relay.makeMailbox()
            async let fetched = relay.client.fetch(mailboxID: id, ownerKey: owner, wait: 1)
            try await Task.sleep(for: .milliseconds(200))
            _ = try await relay.client.deposit(mailboxID: other, blob: blob())
            #expect(try await fetched.messages.isEmpty)
        }
    }

    @Test func acknowledgedBlobsAreGoneForGood() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let a = try await relay.client.deposit(mailboxID: id, blob: blob())
            let b = try await relay.client.deposit(mailboxID: id, blob: blob())
            let c = try await relay.client.deposit(mailboxID: id, blob: blob())

            #expect(try await relay.client.acknowledge(mailboxID: id, ownerKey: owner, ids: [a, c]) == 2)
            #expect(try await relay.client.fetch(mailboxID: id, ownerKey: owner).messages.map(\.id) == [b])
            #expect(try await relay.stored(id).map(\.id) == [b])
            // Already gone, unknown, or another mailbox's: not counted.
            let (other, otherOwner) = try await relay.makeMailbox()
            let foreign = try await relay.client.deposit(mailboxID: other, blob: blob())
            #expect(try await relay.client.acknowledge(mailboxID: id, ownerKey: owner, ids: [a, foreign, 999_999]) == 0)
            #expect(try await relay.client.fetch(mailboxID: other, ownerKey: otherOwner).messages.map(\.id) == [foreign])
        }
    }

    @Test func aDeletedMailboxAndItsBlobsAreGone() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            _ = try await relay.client.deposit(mailboxID: id, blob: blob())
            _ = try await relay.client.deposit(mailboxID: id, blob: blob())
            #expect(try await relay.client.deleteMailbox(mailboxID: id, ownerKey: owner))

            #expect(try await relay.stored(id).isEmpty)
            #expect(try await relay.storedBlobCount() == 0)
            #expect(try await relay.store.ownerKey(ofMailbox: id) == nil)
            let fetch = await relayError { () async throws(RelayClientError) in try await relay.client.fetch(mailboxID: id, ownerKey: owner) }
            #expect(fetch?.relayCode == .notFound)
            let deposit = await relayError { () async throws(RelayClientError) in try await relay.client.deposit(mailboxID: id, blob: blob()) }
            #expect(deposit?.relayCode == .notFound)
            let again = await relayError { () async throws(RelayClientError) in try await relay.client.deleteMailbox(mailboxID: id, ownerKey: owner) }
            #expect(again?.relayCode == .notFound)
        }
    }

    @Test func deletingOneMailboxLeavesOthersAlone() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let (other, otherOwner) = try await relay.makeMailbox()
            let kept = try await relay.client.deposit(mailboxID: other, blob: blob())
            _ = try await relay.client.deposit(mailboxID: id, blob: blob())
            #expect(try await relay.client.deleteMailbox(mailboxID: id, ownerKey: owner))
            #expect(try await relay.client.fetch(mailboxID: other, ownerKey: otherOwner).messages.map(\.id) == [kept])
        }
    }

    @Test func blobsOlderThanTheRetentionPeriodAreSweptAway() async throws {
        try await withRelay({ configuration in
            configuration.retentionSeconds = 600
            configuration.sweepIntervalSeconds = 1
        }) { relay in
            let (id, owner) = try await relay.makeMailbox()
            let old = blob()
            let oldID = try await relay.client.deposit(mailboxID: id, blob: old)
            relay.clock.advance(by: 300)
            let young = try await relay.client.deposit(mailboxID: id, blob: blob())

            relay.clock.advance(by: 301)  // `old` is now 601 s old, `young` 301 s.
            try await eventually { try await relay.stored(id).map(\.id) == [young] }
            #expect(try await relay.client.fetch(mailboxID: id, ownerKey: owner).messages.map(\.id) == [young])

            // Its digest expired with it: the same bytes are a new deposit now.
            let redeposit = try await relay.client.deposit(mailboxID: id, blob: old)
            #expect(redeposit != oldID)
        }
    }

    @Test func digestsOfAcknowledgedBlobsExpireWithTheRetentionPeriod() async throws {
        try await withRelay({ configuration in
            configuration.retentionSeconds = 600
            configuration.sweepIntervalSeconds = 1
        }) { relay in
            let (id, owner) = try await relay.makeMailbox()
            let bytes = blob()
            let first = try await relay.client.deposit(mailboxID: id, blob: bytes)
            _ = try await relay.client.acknowledge(mailboxID: id, ownerKey: owner, ids: [first])
            relay.clock.advance(by: 601)
            try await eventually {
                // Until the sweep runs, the retry is recognised (and stores nothing); once the
                // digest is gone, the same bytes are a new deposit with a new ID.
                let id2 = try await relay.client.deposit(mailboxID: id, blob: bytes)
                return id2 != first
            }
        }
    }

    @Test func healthSaysOK() async throws {
        try await withRelay { relay in
            #expect(try await relay.client.health() == HealthResponse(status: "ok"))
            let raw = try await relay.raw(method: "GET", target: "/v1/health")
            #expect(raw.status == 200)
            #expect(raw.header("Content-Type")?.hasPrefix("application/json") == true)
        }
    }

    @Test func metricsCountRequestsAndBlobsWithoutNamingMailboxes() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            _ = try await relay.client.deposit(mailboxID: id, blob: blob(100))
            _ = try await relay.client.deposit(mailboxID: id, blob: blob(50))
            _ = try await relay.client.fetch(mailboxID: id, ownerKey: owner)
            let metrics = try await relay.raw(method: "GET", target: "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.header("Content-Type")?.hasPrefix("text/plain") == true)
            let text = metrics.bodyText
            #expect(text.contains(#"vigil_relay_requests_total{route="deposit",status="201"} 2"#))
            #expect(text.contains("vigil_relay_request_duration_seconds_bucket{route=\"deposit\",le=\""))
            #expect(text.contains("\nvigil_relay_stored_blobs 2\n") || text.hasPrefix("vigil_relay_stored_blobs 2\n"))
            #expect(text.contains("vigil_relay_stored_bytes 150"))
            #expect(!text.contains(id))
            #expect(!text.contains(Hex.encode(owner.publicKey.rawRepresentation)))
            #expect(!text.contains("127.0.0.1"))
        }
    }
}

@Suite("Who may read /metrics")
struct MetricsAccessTests {
    private static let token = String(repeating: "7f", count: 20)

    /// A relay's answer to GET /metrics with these headers.
    private func metrics(_ access: MetricsAccess, headers: [String: String] = [:]) async throws -> (Int, String) {
        var answer = (0, "")
        try await withRelay({ $0.metrics = access }) { relay in
            let response = try await relay.raw(method: "GET", target: "/metrics", headers: headers)
            answer = (response.status, response.bodyText)
        }
        return answer
    }

    @Test func byDefaultNobodyAndTheAnswerIsThatOfAPathThatDoesNotExist() async throws {
        #expect(RelayConfiguration(dataDirectory: "/x").metrics.isOff)
        var unknown = (0, "")
        try await withRelay { relay in
            let response = try await relay.raw(method: "GET", target: "/nothing-here")
            unknown = (response.status, response.bodyText)
        }
        let (status, body) = try await metrics(.off, headers: ["Authorization": "Bearer " + Self.token])
        #expect(status == 404)
        #expect(body == unknown.1)
        #expect(!body.contains("vigil_relay"))
    }

    @Test func withATokenOnlyItsBearerReadsThem() async throws {
        let access = try MetricsAccess.token(fromFileContents: Array((Self.token + "\n").utf8))
        for scheme in ["Bearer ", "bearer ", "BEARER "] {
            let (status, body) = try await metrics(access, headers: ["Authorization": scheme + Self.token])
            #expect(status == 200, "\(scheme)")
            #expect(body.contains("vigil_relay_requests_total"))
        }
        let refused: [[String: String]] = [
            [:],
            ["Authorization": "Bearer " + String(Self.token.dropLast()) + "0"],
            ["Authorization": "Bearer " + String(Self.token.dropLast())],
            ["Authorization": "Bearer " + Self.token + "0"],
            ["Authorization": "Basic " + Self.token],
            ["Authorization": "Bearer " + Self.token.uppercased()],
            ["Authorization": "Bearer  " + Self.token],
            ["Authorization": Self.token],
        ]
        for headers in refused {
            let (status, body) = try await metrics(access, headers: headers)
            #expect(status == 404, "\(headers)")
            #expect(!body.contains("vigil_relay"), "\(headers)")
        }
    }

    @Test func everyoneReadsThemWhenTheOperatorSaysSo() async throws {
        let (status, body) = try await metrics(.everyone)
        #expect(status == 200)
        #expect(body.contains("vigil_relay_requests_total"))
    }

    @Test func tokenFilesAreCheckedBeforeTheRelayStarts() throws {
        let good = String(repeating: "a", count: MetricsAccess.minimumTokenLength)
        for contents in [good, good + "\n", good + "\r\n"] {
            #expect(throws: Never.self) { _ = try MetricsAccess.token(fromFileContents: Array(contents.utf8)) }
        }
        for contents in ["", "\n", String(good.dropLast()), good + " x", "é" + good, good + "\nsecond line"] {
            #expect(throws: MetricsAccess.TokenError.self, "\(contents.debugDescription)") {
                _ = try MetricsAccess.token(fromFileContents: Array(contents.utf8))
            }
        }
        let tooShort = #expect(throws: MetricsAccess.TokenError.self) { _ = try MetricsAccess.token(fromFileContents: Array("abc".utf8)) }
        #expect(tooShort?.description.contains("at least 32 characters") == true)
        // The token is a secret: nothing that describes the configuration shows it.
        let access = try MetricsAccess.token(fromFileContents: Array(good.utf8))
        #expect(!"\(access)".contains(good))
        #expect(!String(reflecting: access).contains(good))
    }
}

extension MetricsAccess {
    fileprivate var isOff: Bool { if case .off = self { true } else { false } }
}
