import Foundation
import Logging
import Testing
import VigilClient
import VigilCrypto
import VigilRelay
import VigilRelayAPI
import VigilStorage

/// Dead man's switch timers end to end: the real relay on a real store, the real client, and a
/// relay clock the test moves.
@Suite struct TimerTests {
    /// A fast scheduler, so that a test waits milliseconds for a due timer, not a second.
    static func fast(_ configuration: inout RelayConfiguration) {
        configuration.timerCheckInterval = .milliseconds(20)
        configuration.timerCreationBurst = 1000
        configuration.timerCreationsPerHour = 100_000
    }

    /// A sealed alert (to the relay, random bytes) bound for `mailboxID`.
    static func alert(_ mailboxID: String, size: Int = 300) -> TimerBlobPayload {
        TimerBlobPayload(mailboxID: mailboxID, blob: Data(blob(size)))
    }

    /// Several scheduler rounds, for checks that something did *not* happen.
    static func settle() async throws {
        try await Task.sleep(for: .milliseconds(200))
    }

    /// A request signed by `key`, with a body the client would refuse to build.
    static func signedRaw(
        _ relay: RelayHarness, _ method: String, _ path: String, body: [UInt8] = [], key: SigningKeyPair,
        timestamp: UInt64? = nil
    ) async throws -> RawResponse {
        let signed = RequestAuthentication.sign(
            method: method, path: path, query: "", body: body, timestamp: timestamp ?? relay.clock.now, ownerKey: key)
        var headers = [
            RequestAuthentication.timestampHeader: String(signed.timestamp),
            RequestAuthentication.nonceHeader: signed.nonce,
            RequestAuthentication.signatureHeader: signed.signature,
        ]
        if !body.isEmpty { headers["Content-Type"] = "application/json" }
        return try await relay.raw(method: method, target: path, headers: headers, body: body)
    }

    static func json(_ value: some Encodable) throws -> [UInt8] {
        Array(try JSONEncoder().encode(value))
    }

    @Test("A timer fires exactly once at its deadline, into each mailbox, and wakes a waiting fetch")
    func firesOnceAtDeadline() async throws {
        try await withRelay(Self.fast) { relay in
            let (first, firstOwner) = try await relay.makeMailbox()
            let (second, _) = try await relay.makeMailbox()
            let key = SigningKeyPair()
            let deadline = relay.clock.now + 3_600
            let alerts = [Self.alert(first), Self.alert(second)]
            let id = try await relay.client.armTimer(timerKey: key, deadline: deadline, blobs: alerts)
            #expect(MailboxIDs.isWellFormed(id) && id.utf8.count == 24)
            #expect(try await relay.client.timerStatus(timerID: id, timerKey: key) == TimerStatusResponse(deadline: deadline, blobs: 2))
            #expect(try await Hostile.metric("vigil_relay_armed_timers", port: relay.port) == 1)

            let client = relay.client
            let poll = Task {
                try await client.fetch(mailboxID: first, ownerKey: firstOwner, wait: 30)
            }
            try await Hostile.eventually { try await Hostile.metric("vigil_relay_waiting_fetches", port: relay.port) == 1 }

            relay.clock.advance(by: 3_599)
            try await Self.settle()
            #expect(try await relay.storedBlobCount() == 0)

            relay.clock.advance(by: 1)
            let woken = try await poll.value
            #expect(woken.messages.map(\.blob) == [alerts[0].blob])
            #expect(woken.messages.first?.receivedAt == deadline)
            try await Hostile.eventually { try await relay.stored(second).count == 1 }
            #expect(try await relay.stored(second).map { Data($0.blob) } == [alerts[1].blob])

            try await Self.settle()
            #expect(try await relay.storedBlobCount() == 2)
            let gone = await relayError { () async throws(RelayClientError) in
                try await relay.client.timerStatus(timerID: id, timerKey: key)
            }
            #expect(gone?.relayCode == .notFound)
            #expect(try await Hostile.metric("vigil_relay_armed_timers", port: relay.port) == 0)
            #expect(try await Hostile.metric("vigil_relay_timers_fired_total", port: relay.port) == 1)
            #expect(try await Hostile.metric("vigil_relay_timer_blobs_delivered_total", port: relay.port) == 2)
        }
    }

    @Test("A timer renewed before its deadline does not fire then, and fires at the new deadline")
    func renewalPostpones() async throws {
        try await withRelay(Self.fast) { relay in
            let (mailbox, _) = try await relay.makeMailbox()
            let key = SigningKeyPair()
            let id = try await relay.client.armTimer(timerKey: key, deadline: relay.clock.now + 100, blobs: [Self.alert(mailbox)])
            relay.clock.advance(by: 90)
            let newDeadline = relay.clock.now + 100
            #expect(try await relay.client.renewTimer(timerID: id, timerKey: key, deadline: newDeadline) == newDeadline)
            #expect(try await relay.client.timerStatus(timerID: id, timerKey: key).deadline == newDeadline)

            relay.clock.advance(by: 50)  // past the first deadline
            try await Self.settle()
            #expect(try await relay.stored(mailbox).isEmpty)

            relay.clock.advance(by: 50)  // at the new one
            try await Hostile.eventually { try await relay.stored(mailbox).count == 1 }
            try await Self.settle()
            #expect(try await relay.stored(mailbox).count == 1)
        }
    }

    @Test("A disarmed timer never fires, and is then unknown")
    func disarmedNeverFires() async throws {
        try await withRelay(Self.fast) { relay in
            let (mailbox, _) = try await relay.makeMailbox()
            let key = SigningKeyPair()
            let id = try await relay.client.armTimer(timerKey: key, deadline: relay.clock.now + 60, blobs: [Self.alert(mailbox)])
            #expect(try await relay.client.disarmTimer(timerID: id, timerKey: key))
            relay.clock.advance(by: 3_600)
            try await Self.settle()
            #expect(try await relay.stored(mailbox).isEmpty)
            let again = await relayError { () async throws(RelayClientError) in
                try await relay.client.disarmTimer(timerID: id, timerKey: key)
            }
            #expect(again?.relayCode == .notFound)
        }
    }

    @Test("A renewal that replaces the bundle delivers only the new blobs")
    func renewalReplacesBundle() async throws {
        try await withRelay(Self.fast) { relay in
            let (old, _) = try await relay.makeMailbox()
            let (new, _) = try await relay.makeMailbox()
            let key = SigningKeyPair()
            let id = try await relay.client.armTimer(timerKey: key, deadline: relay.clock.now + 60, blobs: [Self.alert(old)])
            let replacement = [Self.alert(new), Self.alert(new)]
            try await relay.client.renewTimer(timerID: id, timerKey: key, deadline: relay.clock.now + 120, blobs: replacement)
            #expect(try await relay.client.timerStatus(timerID: id, timerKey: key).blobs == 2)

            relay.clock.advance(by: 120)
            try await Hostile.eventually { try await relay.stored(new).count == 2 }
            #expect(try await relay.stored(new).map { Data($0.blob) } == replacement.map(\.blob))
            #expect(try await relay.stored(old).isEmpty)
        }
    }

    @Test("An alarm is delivered into a full mailbox")
    func deliveredIntoFullMailbox() async throws {
        try await withRelay({ Self.fast(&$0); $0.mailboxMaxBlobs = 1 }) { relay in
            let (mailbox, _) = try await relay.makeMailbox()
            _ = try await relay.client.deposit(mailboxID: mailbox, blob: blob())
            let full = await relayError { () async throws(RelayClientError) in
                try await relay.client.deposit(mailboxID: mailbox, blob: blob())
            }
            #expect(full?.relayCode == .quotaExceeded)
            _ = try await relay.client.armTimer(timerKey: SigningKeyPair(), deadline: relay.clock.now + 1, blobs: [Self.alert(mailbox)])
            relay.clock.advance(by: 1)
            try await Hostile.eventually { try await relay.stored(mailbox).count == 2 }
        }
    }

    // MARK: Refusals

    @Test("A deadline not in the future or beyond the horizon is refused")
    func deadlineRange() async throws {
        try await withRelay({ Self.fast(&$0); $0.maxTimerHorizonSeconds = 86_400 }) { relay in
            let (mailbox, _) = try await relay.makeMailbox()
            let now = relay.clock.now
            for deadline in [0, now - 1, now, now + 86_401] {
                let error = await relayError { () async throws(RelayClientError) in
                    try await relay.client.armTimer(timerKey: SigningKeyPair(), deadline: deadline, blobs: [Self.alert(mailbox)])
                }
                #expect(error?.relayCode == .badRequest, "deadline \(deadline)")
                #expect(error?.status == 400)
            }
            let key = SigningKeyPair()
            let id = try await relay.client.armTimer(timerKey: key, deadline: now + 86_400, blobs: [Self.alert(mailbox)])
            for deadline in [now, now + 86_401] {
                let error = await relayError { () async throws(RelayClientError) in
                    try await relay.client.renewTimer(timerID: id, timerKey: key, deadline: deadline)
                }
                #expect(error?.relayCode == .badRequest)
            }
            #expect(try await relay.client.timerStatus(timerID: id, timerKey: key).deadline == now + 86_400)
            #expect(try await relay.store.statistics().timers == 1)
        }
    }

    @Test("Bundles with too many blobs, oversized blobs or too many bytes are refused")
    func bundleLimits() async throws {
        try await withRelay({
            Self.fast(&$0)
            $0.maxTimerBlobs = 3
            $0.maxBlobBytes = 1_000
            $0.maxTimerBundleBytes = 2_000
        }) { relay in
            let (mailbox, _) = try await relay.makeMailbox()
            let deadline = relay.clock.now + 60
            let cases: [([TimerBlobPayload], RelayErrorCode)] = [
                (Array(repeating: Self.alert(mailbox), count: 4), .badRequest),
                ([Self.alert(mailbox, size: 1_001)], .bodyTooLarge),
                ([Self.alert(mailbox, size: 1_000), Self.alert(mailbox, size: 1_000), Self.alert(mailbox, size: 1)], .bodyTooLarge),
            ]
            for (blobs, code) in cases {
                let error = await relayError { () async throws(RelayClientError) in
                    try await relay.client.armTimer(timerKey: SigningKeyPair(), deadline: deadline, blobs: blobs)
                }
                #expect(error?.relayCode == code)
            }
            // What the client will not send, the relay refuses as well.
            let key = SigningKeyPair()
            let hex = Hex.encode(key.publicKey.rawRepresentation)
            let empty = try Self.json(ArmTimerRequest(timerKey: hex, deadline: deadline, blobs: []))
            #expect(try await Self.signedRaw(relay, "POST", "/v1/timers", body: empty, key: key).errorCode == "bad_request")
            let emptyBlob = try Self.json(ArmTimerRequest(
                timerKey: hex, deadline: deadline, blobs: [TimerBlobPayload(mailboxID: mailbox, blob: Data())]))
            #expect(try await Self.signedRaw(relay, "POST", "/v1/timers", body: emptyBlob, key: key).errorCode == "bad_request")
            let badMailbox = try Self.json(ArmTimerRequest(
                timerKey: hex, deadline: deadline, blobs: [TimerBlobPayload(mailboxID: "not/a/mailbox", blob: Data([1]))]))
            #expect(try await Self.signedRaw(relay, "POST", "/v1/timers", body: badMailbox, key: key).errorCode == "bad_request")
            let badKey = try Self.json(ArmTimerRequest(timerKey: "00", deadline: deadline, blobs: [Self.alert(mailbox)]))
            #expect(try await Self.signedRaw(relay, "POST", "/v1/timers", body: badKey, key: key).errorCode == "bad_request")
            let notJSON = Array("{\"timer_key\": ".utf8)
            #expect(try await Self.signedRaw(relay, "POST", "/v1/timers", body: notJSON, key: key).errorCode == "bad_request")
            #expect(try await relay.store.statistics().timers == 0)
        }
    }

    @Test("A bundle naming a mailbox that does not exist is refused, storing nothing")
    func unknownTargetMailbox() async throws {
        try await withRelay(Self.fast) { relay in
            let (mailbox, _) = try await relay.makeMailbox()
            let blobs = [Self.alert(mailbox), Self.alert(MailboxIDs.generate())]
            let error = await relayError { () async throws(RelayClientError) in
                try await relay.client.armTimer(timerKey: SigningKeyPair(), deadline: relay.clock.now + 60, blobs: blobs)
            }
            #expect(error?.relayCode == .notFound)
            #expect(try await relay.store.statistics().timers == 0)

            let key = SigningKeyPair()
            let id = try await relay.client.armTimer(timerKey: key, deadline: relay.clock.now + 60, blobs: [Self.alert(mailbox)])
            let renewal = await relayError { () async throws(RelayClientError) in
                try await relay.client.renewTimer(timerID: id, timerKey: key, deadline: relay.clock.now + 120, blobs: blobs)
            }
            #expect(renewal?.relayCode == .notFound)
            #expect(try await relay.client.timerStatus(timerID: id, timerKey: key) == TimerStatusResponse(deadline: relay.clock.now + 60, blobs: 1))
        }
    }

    @Test("A wrong key, an unknown timer and a fired timer get the same answer")
    func sameAnswerForUnknownAndUnauthorised() async throws {
        try await withRelay(Self.fast) { relay in
            let (mailbox, _) = try await relay.makeMailbox()
            let key = SigningKeyPair()
            let id = try await relay.client.armTimer(timerKey: key, deadline: relay.clock.now + 60, blobs: [Self.alert(mailbox)])
            let firedKey = SigningKeyPair()
            let fired = try await relay.client.armTimer(timerKey: firedKey, deadline: relay.clock.now + 30, blobs: [Self.alert(mailbox)])
            let unknown = MailboxIDs.generate()
            let deadline = relay.clock.now + 50

            let operations: [(String, SigningKeyPair)] = [(id, SigningKeyPair()), (unknown, key)]
            var answers: [RelayClientError?] = []
            for (timerID, signer) in operations {
                answers.append(await relayError { () async throws(RelayClientError) in
                    try await relay.client.renewTimer(timerID: timerID, timerKey: signer, deadline: deadline)
                })
                answers.append(await relayError { () async throws(RelayClientError) in
                    try await relay.client.timerStatus(timerID: timerID, timerKey: signer)
                })
                answers.append(await relayError { () async throws(RelayClientError) in
                    try await relay.client.disarmTimer(timerID: timerID, timerKey: signer)
                })
            }
            relay.clock.advance(by: 30)
            try await Hostile.eventually { try await relay.stored(mailbox).count == 1 }
            answers.append(await relayError { () async throws(RelayClientError) in
                try await relay.client.renewTimer(timerID: fired, timerKey: firedKey, deadline: relay.clock.now + 10)
            })
            #expect(answers.allSatisfy { $0?.relayCode == .notFound })
            #expect(Set(answers).count == 1, "\(answers)")
            // Nothing changed.
            #expect(try await relay.client.timerStatus(timerID: id, timerKey: key).deadline == relay.clock.now + 30)
        }
    }

    @Test("A timer that is due cannot be renewed or disarmed any more, even before it fired")
    func dueTimerCannotBeStopped() async throws {
        // A scheduler that never looks during the test.
        try await withRelay({ Self.fast(&$0); $0.timerCheckInterval = .seconds(3600) }) { relay in
            let (mailbox, _) = try await relay.makeMailbox()
            let key = SigningKeyPair()
            let id = try await relay.client.armTimer(timerKey: key, deadline: relay.clock.now + 10, blobs: [Self.alert(mailbox)])
            relay.clock.advance(by: 10)
            for error in [
                await relayError { () async throws(RelayClientError) in
                    try await relay.client.renewTimer(timerID: id, timerKey: key, deadline: relay.clock.now + 60)
                },
                await relayError { () async throws(RelayClientError) in try await relay.client.disarmTimer(timerID: id, timerKey: key) },
            ] {
                #expect(error?.relayCode == .notFound)
            }
            #expect(try await relay.store.statistics().timers == 1)
        }
    }

    @Test("A replayed timer request is refused")
    func replay() async throws {
        try await withRelay(Self.fast) { relay in
            let (mailbox, _) = try await relay.makeMailbox()
            let key = SigningKeyPair()
            let arm = try relay.request(.armTimer(timerKey: key, deadline: relay.clock.now + 60, blobs: [Self.alert(mailbox)]))
            #expect(try await relay.raw(arm).status == 201)
            let replayed = try await relay.raw(arm)
            #expect(replayed.status == 409 && replayed.errorCode == "replayed_request")
            #expect(try await relay.store.statistics().timers == 1)

            let second = SigningKeyPair()
            let id = try await relay.client.armTimer(timerKey: second, deadline: relay.clock.now + 60, blobs: [Self.alert(mailbox)])
            let renew = try relay.request(.renewTimer(timerID: id, timerKey: second, deadline: relay.clock.now + 90, blobs: nil))
            #expect(try await relay.raw(renew).status == 200)
            #expect(try await relay.raw(renew).errorCode == "replayed_request")
            let disarm = try relay.request(.disarmTimer(timerID: id, timerKey: second))
            #expect(try await relay.raw(disarm).status == 200)
            // Replayed after the timer is gone: the timer is unknown first.
            #expect(try await relay.raw(disarm).errorCode == "not_found")
        }
    }

    @Test("A timer's ID is derived from its key; arming again with the key of an armed timer is refused, once it fired the key may arm again")
    func derivedIDs() async throws {
        try await withRelay(Self.fast) { relay in
            let (mailbox, _) = try await relay.makeMailbox()
            let key = SigningKeyPair()
            let id = try await relay.client.armTimer(timerKey: key, deadline: relay.clock.now + 60, blobs: [Self.alert(mailbox)])
            #expect(id == TimerIDs.derive(timerKey: key.publicKey))
            // The example of Protocol/relay-api.md, computed independently of this code.
            let zero = try SigningKeyPair(seed: SecureBytes(copying: [UInt8](repeating: 0, count: 32)))
            #expect(Hex.encode(zero.publicKey.rawRepresentation) == "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29")
            #expect(TimerIDs.derive(timerKey: zero.publicKey) == "E70q_nRfBkah__hZN6yq7vSC")
            #expect(id != TimerIDs.derive(timerKey: SigningKeyPair().publicKey))
            #expect(MailboxIDs.isWellFormed(id) && id.count == 24)

            // A fresh request (new nonce) with the same key: refused, the first timer unchanged.
            let again = await relayError { () async throws(RelayClientError) in
                try await relay.client.armTimer(timerKey: key, deadline: relay.clock.now + 5, blobs: [Self.alert(mailbox), Self.alert(mailbox)])
            }
            #expect(again?.relayCode == .timerExists && again?.status == 409)
            let status = try await relay.client.timerStatus(timerID: id, timerKey: key)
            #expect(status.deadline == relay.clock.now + 60 && status.blobs == 1)
            #expect(try await relay.store.statistics().timers == 1)

            // Fired: the ID is free again, and the key arms a new timer under it.
            relay.clock.advance(by: 61)
            try await Hostile.eventually { try await relay.stored(mailbox).count == 1 }
            #expect(try await relay.client.armTimer(timerKey: key, deadline: relay.clock.now + 60, blobs: [Self.alert(mailbox)]) == id)
        }
    }

    @Test("Timer requests need fresh signatures and known methods")
    func authenticationAndMethods() async throws {
        try await withRelay(Self.fast) { relay in
            let (mailbox, _) = try await relay.makeMailbox()
            let key = SigningKeyPair()
            let id = try await relay.client.armTimer(timerKey: key, deadline: relay.clock.now + 600, blobs: [Self.alert(mailbox)])
            let skewed = try relay.makeClient(clock: { relay.clock.now - 1_000 })
            let stale = await relayError { () async throws(RelayClientError) in
                try await skewed.armTimer(timerKey: SigningKeyPair(), deadline: relay.clock.now + 60, blobs: [Self.alert(mailbox)])
            }
            #expect(stale?.relayCode == .staleRequest)
            let staleRenew = await relayError { () async throws(RelayClientError) in
                try await skewed.renewTimer(timerID: id, timerKey: key, deadline: relay.clock.now + 60)
            }
            #expect(staleRenew?.relayCode == .staleRequest)
            #expect(try await relay.raw(method: "GET", target: "/v1/timers/\(id)").errorCode == "missing_authentication")
            #expect(try await relay.raw(method: "PUT", target: "/v1/timers/\(id)").status == 405)
            #expect(try await relay.raw(method: "GET", target: "/v1/timers/\(id)/renew").status == 405)
            #expect(try await relay.raw(method: "GET", target: "/v1/timers").status == 405)
            #expect(try await relay.raw(method: "GET", target: "/v1/timers/bad!id").status == 404)
            #expect(try await relay.client.timerStatus(timerID: id, timerKey: key).deadline == relay.clock.now + 600)
        }
    }

    @Test("Arming is rate-limited per client address")
    func rateLimited() async throws {
        try await withRelay({ Self.fast(&$0); $0.timerCreationBurst = 2; $0.timerCreationsPerHour = 1 }) { relay in
            let (mailbox, _) = try await relay.makeMailbox()
            for _ in 0..<2 {
                _ = try await relay.client.armTimer(timerKey: SigningKeyPair(), deadline: relay.clock.now + 60, blobs: [Self.alert(mailbox)])
            }
            let error = await relayError { () async throws(RelayClientError) in
                try await relay.client.armTimer(timerKey: SigningKeyPair(), deadline: relay.clock.now + 60, blobs: [Self.alert(mailbox)])
            }
            #expect(error?.relayCode == .rateLimited)
            #expect((error?.retryAfterSeconds ?? 0) > 0)
            // Mailbox creation has its own budget.
            _ = try await relay.makeMailbox()
            #expect(try await relay.store.statistics().timers == 2)
        }
    }

    @Test("The relay-wide timer cap is a quota refusal")
    func timerCap() async throws {
        try await withRelay({ Self.fast(&$0); $0.maxTimers = 2 }) { relay in
            let (mailbox, _) = try await relay.makeMailbox()
            let key = SigningKeyPair()
            let first = try await relay.client.armTimer(timerKey: key, deadline: relay.clock.now + 60, blobs: [Self.alert(mailbox)])
            _ = try await relay.client.armTimer(timerKey: SigningKeyPair(), deadline: relay.clock.now + 60, blobs: [Self.alert(mailbox)])
            let error = await relayError { () async throws(RelayClientError) in
                try await relay.client.armTimer(timerKey: SigningKeyPair(), deadline: relay.clock.now + 60, blobs: [Self.alert(mailbox)])
            }
            #expect(error?.relayCode == .quotaExceeded)
            #expect(error?.status == 507)
            try await relay.client.disarmTimer(timerID: first, timerKey: key)
            _ = try await relay.client.armTimer(timerKey: SigningKeyPair(), deadline: relay.clock.now + 60, blobs: [Self.alert(mailbox)])
        }
    }

    // MARK: Restarts

    @Test("A timer that fell due while the relay was stopped is delivered once at start-up")
    func deliveredAfterRestart() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("vigil-relay-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = TestClock()
        var configuration = RelayConfiguration(dataDirectory: directory)
        configuration.port = 0
        Self.fast(&configuration)
        let logger = Logger(label: "vigil-relay-test", factory: { _ in SwiftLogNoOpLogHandler() })

        func start() async throws -> (RelayServer, RelayClient) {
            let store = try SQLiteRelayStore(path: directory + "/relay.sqlite")
            let server = RelayServer(configuration: configuration, store: store, clock: clock.function, logger: logger)
            try await server.start()
            let client = try RelayClient(baseURL: URL(string: "http://127.0.0.1:\(server.localPort)")!, clock: clock.function)
            return (server, client)
        }

        let (first, client) = try await start()
        let owner = SigningKeyPair()
        let mailbox = try await client.createMailbox(ownerKey: owner)
        let alert = Self.alert(mailbox)
        _ = try await client.armTimer(timerKey: SigningKeyPair(), deadline: clock.now + 60, blobs: [alert])
        await first.shutdown()  // closes the store

        clock.advance(by: 3_600)
        let (second, secondClient) = try await start()
        try await Hostile.eventually {
            try await secondClient.fetch(mailboxID: mailbox, ownerKey: owner).messages.count == 1
        }
        try await Self.settle()
        #expect(try await secondClient.fetch(mailboxID: mailbox, ownerKey: owner).messages.map(\.blob) == [alert.blob])
        await second.shutdown()

        let (third, thirdClient) = try await start()
        try await Self.settle()
        #expect(try await thirdClient.fetch(mailboxID: mailbox, ownerKey: owner).messages.count == 1)
        await third.shutdown()
    }

    @Test("The relay binary killed before a deadline delivers the bundle exactly once after restarting")
    func binaryKilledBeforeDeadline() async throws {
        let directory = try CrashTestRelay.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let first = try CrashTestRelay.launch(dataDirectory: directory)
        defer { first.kill() }
        let port = try await first.listeningPort()
        let client = try RelayClient(baseURL: URL(string: "http://127.0.0.1:\(port)")!)
        let owners = [SigningKeyPair(), SigningKeyPair()]
        var mailboxes: [String] = []
        for owner in owners { mailboxes.append(try await client.createMailbox(ownerKey: owner)) }
        // The binary runs on the real clock: a deadline some seconds ahead, with room for the
        // arming below on a loaded machine.
        let deadline = RelayClient.systemClock() + 10
        var expected: [[Data]] = [[], []]
        for _ in 0..<3 {
            let alerts = mailboxes.map { Self.alert($0) }
            _ = try await client.armTimer(timerKey: SigningKeyPair(), deadline: deadline, blobs: alerts)
            for index in alerts.indices { expected[index].append(alerts[index].blob) }
        }
        first.kill()  // SIGKILL, before the deadline
        #expect(await first.waitForExit() != nil)
        #expect(RelayClient.systemClock() < deadline, "the relay must be killed before the deadline")
        while RelayClient.systemClock() <= deadline {
            try await Task.sleep(for: .milliseconds(100))
        }

        let targets = mailboxes
        @Sendable func fetchAll(_ client: RelayClient) async throws -> [[Data]] {
            var result: [[Data]] = []
            for (mailbox, owner) in zip(targets, owners) {
                result.append(try await client.fetch(mailboxID: mailbox, ownerKey: owner).messages.map(\.blob))
            }
            return result
        }

        let second = try CrashTestRelay.launch(dataDirectory: directory)
        defer { second.kill() }
        let secondClient = try RelayClient(baseURL: URL(string: "http://127.0.0.1:\(try await second.listeningPort())")!)
        try await Hostile.eventually { try await fetchAll(secondClient).map(\.count) == [3, 3] }
        // Well past another scheduler round: nothing more arrives.
        try await Task.sleep(for: .milliseconds(1_500))
        #expect(try await fetchAll(secondClient).map { Set($0) } == expected.map { Set($0) })
        #expect(try await fetchAll(secondClient).map(\.count) == [3, 3])
        second.kill()
        #expect(await second.waitForExit() != nil)

        // Killed again after delivering: a third start delivers nothing twice.
        let third = try CrashTestRelay.launch(dataDirectory: directory)
        defer { third.kill() }
        let thirdClient = try RelayClient(baseURL: URL(string: "http://127.0.0.1:\(try await third.listeningPort())")!)
        try await Task.sleep(for: .milliseconds(1_500))
        #expect(try await fetchAll(thirdClient).map(\.count) == [3, 3])
        #expect(try await Hostile.metric("vigil_relay_armed_timers", port: third.listeningPort()) == 0)
        third.terminate()
        #expect(await third.waitForExit() == 0)
    }
}
