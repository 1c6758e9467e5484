internal import Foundation
internal import Logging
internal import NIOCore
internal import Synchronization
internal import VigilCrypto
internal import VigilRelayAPI
internal import VigilStorage

/// The relay's endpoints, as functions from a complete request to a response: no sockets here.
/// ``RelayConnectionHandler`` moves the bytes; this type decides what they mean.
final class RelayService: Sendable {
    let configuration: RelayConfiguration
    let store: any RelayStore
    let clock: @Sendable () -> UInt64
    let logger: Logger

    let nonces: NonceCache
    let longPolls = LongPollRegistry()
    let metrics = RelayMetrics()
    let depositLimiter: RateLimiter
    let creationLimiter: RateLimiter
    let timerLimiter: RateLimiter
    let connections: ConnectionRegistry
    let inFlight = InFlightTracker()
    private let shuttingDown = Atomic<Bool>(false)

    /// A well-formed mailbox ID the relay never generates (generated IDs have 24 characters),
    /// looked up by the health check to see that the database answers.
    private static let healthProbeID = "vigil-health-probe"

    init(configuration: RelayConfiguration, store: any RelayStore, clock: @escaping @Sendable () -> UInt64, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.clock = clock
        self.logger = logger
        self.nonces = NonceCache(window: configuration.authenticationWindowSeconds)
        self.depositLimiter = RateLimiter(
            count: configuration.depositsPerMinute, per: .seconds(60), burst: configuration.depositBurst)
        self.creationLimiter = RateLimiter(
            count: configuration.mailboxCreationsPerHour, per: .seconds(3600), burst: configuration.mailboxCreationBurst)
        self.timerLimiter = RateLimiter(
            count: configuration.timerCreationsPerHour, per: .seconds(3600), burst: configuration.timerCreationBurst)
        self.connections = ConnectionRegistry(maxConnections: configuration.maxConnections)
    }

    var isShuttingDown: Bool { shuttingDown.load(ordering: .acquiring) }

    /// From now on health answers 503 and every response closes its connection.
    func markShuttingDown() {
        shuttingDown.store(true, ordering: .releasing)
    }

    /// Marks the relay as shutting down and answers waiting fetches at once.
    func beginShutdown() {
        markShuttingDown()
        longPolls.shutdown()
    }

    /// Largest body a route accepts.
    func bodyLimit(for route: Route) -> Int {
        Self.bodyLimit(for: route, configuration: configuration)
    }

    /// Largest body a route accepts under `configuration` (``RequestParsingProbe`` needs it
    /// without a service).
    static func bodyLimit(for route: Route, configuration: RelayConfiguration) -> Int {
        switch route {
        case .deposit:
            return configuration.maxBlobBytes
        case .armTimer, .renewTimer:
            // A bundle in base64 (4 characters per 3 bytes, up to 4 more per blob), plus the JSON.
            return configuration.maxJSONBodyBytes + 4 * ((configuration.maxTimerBundleBytes + 2) / 3)
                + 4 * configuration.maxTimerBlobs
        default:
            return configuration.maxJSONBodyBytes
        }
    }

    /// The rate limiter for a route, if it has one.
    func rateLimiter(for route: Route) -> RateLimiter? {
        switch route {
        case .deposit: return depositLimiter
        case .createMailbox: return creationLimiter
        case .armTimer: return timerLimiter
        default: return nil
        }
    }

    // MARK: - Dispatch

    /// A refusal raised inside an endpoint.
    private struct Refusal: Error {
        var response: RelayHTTPResponse
        init(_ code: RelayErrorCode, _ message: String, retryAfter: Int? = nil) {
            response = .error(code, message, retryAfter: retryAfter)
        }
    }

    func respond(to request: RelayHTTPRequest) async -> RelayHTTPResponse {
        do {
            switch request.route {
            case .createMailbox: return try await createMailbox(request)
            case .deposit: return try await deposit(request)
            case .fetch: return try await fetch(request)
            case .acknowledge: return try await acknowledge(request)
            case .deleteMailbox: return try await deleteMailbox(request)
            case .armTimer: return try await armTimer(request)
            case .renewTimer: return try await renewTimer(request)
            case .disarmTimer: return try await disarmTimer(request)
            case .timerStatus: return try await timerStatus(request)
            case .health: return await health()
            case .metrics:
                guard configuration.metrics.allows(authorization: request.authorizationHeader) else {
                    return .error(.notFound, "no such route or mailbox")
                }
                return await renderMetrics()
            case .unknown: return .error(.notFound, "no such route or mailbox")
            }
        } catch let refusal as Refusal {
            return refusal.response
        } catch let error as StoreError {
            return response(for: error, route: request.route)
        } catch {
            logger.error("unexpected failure", metadata: ["route": "\(request.route.rawValue)"])
            return .error(.internalError, "the relay failed; nothing was stored")
        }
    }

    private func response(for error: StoreError, route: Route) -> RelayHTTPResponse {
        switch error {
        case .mailboxNotFound:
            return .error(.notFound, "no such route or mailbox")
        case .quotaExceeded:
            return .error(.quotaExceeded, "the mailbox is full: acknowledge messages to make room")
        case .storageFull:
            return .error(.storageFull, "the relay's disk is full; nothing was stored")
        case .tooManyTimers:
            return .error(.quotaExceeded, "the relay holds as many timers as it allows; try again later or use another relay")
        case .closed:
            return .error(.unavailable, "the relay is shutting down", retryAfter: 5)
        case .mailboxExists, .corrupted, .database:
            // StoreError carries no identifiers, so it may be logged.
            logger.error("store failure", metadata: ["route": "\(route.rawValue)", "error": "\(error)"])
            return .error(.internalError, "the relay failed; nothing was stored")
        }
    }

    // MARK: - Authentication

    private func authenticationHeaders(_ request: RelayHTTPRequest) throws -> RequestAuthentication.Headers {
        guard let headers = RequestAuthentication.Headers(
            timestamp: request.timestampHeader, nonce: request.nonceHeader, signature: request.signatureHeader)
        else {
            throw Refusal(.missingAuthentication, "sign the request: Vigil-Timestamp, Vigil-Nonce and Vigil-Signature are required")
        }
        return headers
    }

    private func checkWindow(_ headers: RequestAuthentication.Headers, now: UInt64) throws {
        guard RequestAuthentication.isFresh(headers.timestamp, now: now, window: configuration.authenticationWindowSeconds) else {
            throw Refusal(.staleRequest, "the request's time is too far from the relay's clock: check the device clock")
        }
    }

    private func checkSignature(
        _ headers: RequestAuthentication.Headers, _ request: RelayHTTPRequest, key: SigningPublicKey,
        refusal: String = "no such route or mailbox"
    ) throws {
        guard RequestAuthentication.isValid(
            headers, method: request.method, path: request.path, query: request.query, body: request.body, ownerKey: key)
        else { throw Refusal(.notFound, refusal) }
    }

    private func checkNonce(_ headers: RequestAuthentication.Headers, key: SigningPublicKey, now: UInt64) throws {
        switch nonces.check(key: key.rawRepresentation, nonce: headers.nonce, timestamp: headers.timestamp, now: now) {
        case .accepted:
            return
        case .replayed:
            throw Refusal(.replayedRequest, "this request was already received: sign every request with a fresh nonce")
        case .full(let seconds):
            throw Refusal(.unavailable, "too many signed requests for this key; try again later", retryAfter: seconds)
        }
    }

    /// The spec's order: headers, window, mailbox and signature (one answer for both), nonce.
    private func authenticate(_ request: RelayHTTPRequest, mailboxID: String) async throws {
        let headers = try authenticationHeaders(request)
        let now = clock()
        try checkWindow(headers, now: now)
        guard let raw = try await store.ownerKey(ofMailbox: mailboxID),
            let key = try? SigningPublicKey(rawRepresentation: raw)
        else { throw Refusal(.notFound, "no such route or mailbox") }
        try checkSignature(headers, request, key: key)
        try checkNonce(headers, key: key, now: now)
    }

    /// The same answer for an unknown (disarmed, fired, due) timer and a bad signature, so timer
    /// IDs cannot be probed.
    private static let noSuchTimer = "no such route or timer"

    /// Like ``authenticate(_:mailboxID:)``, with the timer key.
    private func authenticate(_ request: RelayHTTPRequest, timerID: String) async throws {
        let headers = try authenticationHeaders(request)
        let now = clock()
        try checkWindow(headers, now: now)
        guard let raw = try await store.timerKey(of: timerID),
            let key = try? SigningPublicKey(rawRepresentation: raw)
        else { throw Refusal(.notFound, Self.noSuchTimer) }
        try checkSignature(headers, request, key: key, refusal: Self.noSuchTimer)
        try checkNonce(headers, key: key, now: now)
    }

    private func decodeJSON<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws -> T {
        // JSON is UTF-8 (RFC 8259 §8.1), and the decoder does not check the strings it skips.
        guard String(validating: body, as: UTF8.self) != nil else {
            throw Refusal(.badRequest, "the body is not the JSON this endpoint takes")
        }
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch {
            throw Refusal(.badRequest, "the body is not the JSON this endpoint takes")
        }
    }

    // MARK: - Endpoints

    private func createMailbox(_ request: RelayHTTPRequest) async throws -> RelayHTTPResponse {
        let headers = try authenticationHeaders(request)
        let now = clock()
        try checkWindow(headers, now: now)
        let body = try decodeJSON(CreateMailboxRequest.self, from: request.body)
        guard body.ownerKey.utf8.count == 2 * SigningPublicKey.byteCount,
            body.ownerKey.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
            let raw = Hex.decode(body.ownerKey),
            let key = try? SigningPublicKey(rawRepresentation: raw)
        else {
            throw Refusal(.badRequest, "owner_key must be 64 lower-case hex digits of a valid Ed25519 public key")
        }
        try checkSignature(headers, request, key: key)
        try checkNonce(headers, key: key, now: now)
        // 144 random bits do not collide in practice; retrying costs nothing if they ever do.
        for _ in 0..<3 {
            let id = MailboxIDs.generate()
            if try await createMailbox(id: id, ownerKey: key.rawRepresentation, createdAt: now) {
                return .json(201, CreateMailboxResponse(mailboxID: id))
            }
        }
        throw StoreError.mailboxExists
    }

    /// False when the ID is taken.
    private func createMailbox(id: String, ownerKey: [UInt8], createdAt: UInt64) async throws(StoreError) -> Bool {
        do {
            try await store.createMailbox(id: id, ownerKey: ownerKey, createdAt: createdAt)
            return true
        } catch {
            if error == .mailboxExists { return false }
            throw error
        }
    }

    private func deposit(_ request: RelayHTTPRequest) async throws -> RelayHTTPResponse {
        guard let mailboxID = request.mailboxID else { throw Refusal(.notFound, "no such route or mailbox") }
        guard !request.body.isEmpty else {
            throw Refusal(.badRequest, "a deposit is a blob of 1 to \(configuration.maxBlobBytes) bytes")
        }
        guard request.body.count <= configuration.maxBlobBytes else {
            throw Refusal(.bodyTooLarge, "a deposit is a blob of 1 to \(configuration.maxBlobBytes) bytes")
        }
        let quota = MailboxQuota(maxBlobs: configuration.mailboxMaxBlobs, maxBytes: configuration.mailboxMaxBytes)
        let outcome = try await store.deposit(mailboxID: mailboxID, blob: request.body, receivedAt: clock(), quota: quota)
        if case .stored = outcome {
            longPolls.notify(mailboxID: mailboxID)
        }
        return .json(201, DepositResponse(id: outcome.id))
    }

    private func fetch(_ request: RelayHTTPRequest) async throws -> RelayHTTPResponse {
        guard let mailboxID = request.mailboxID else { throw Refusal(.notFound, "no such route or mailbox") }
        let query: FetchQuery
        switch Result(catching: { () throws(FetchQuery.Failure) in try FetchQuery(parsing: request.query) }) {
        case .success(let parsed):
            query = parsed
        case .failure(.malformed):
            throw Refusal(.badRequest, "the query takes after, limit and wait as plain decimal numbers")
        case .failure(.outOfRange(let message)):
            throw Refusal(.badRequest, message)
        }
        try await authenticate(request, mailboxID: mailboxID)

        var result = try await store.pending(mailboxID: mailboxID, after: query.after, limit: query.limit)
        let wait = min(query.wait, configuration.maxLongPollSeconds)
        if result.messages.isEmpty && wait > 0 {
            let deadline = ContinuousClock.now + .seconds(wait)
            while result.messages.isEmpty {
                // Register before looking again, so a deposit in between is not missed.
                guard let ticket = longPolls.register(mailboxID: mailboxID) else { break }
                result = try await store.pending(mailboxID: mailboxID, after: query.after, limit: query.limit)
                guard result.messages.isEmpty else {
                    longPolls.cancel(ticket)
                    break
                }
                let remaining = deadline - ContinuousClock.now
                guard remaining > .zero else {
                    longPolls.cancel(ticket)
                    break
                }
                let wake = await longPolls.wait(ticket, timeout: remaining)
                guard wake == .notified else { break }
                result = try await store.pending(mailboxID: mailboxID, after: query.after, limit: query.limit)
            }
        }
        let messages = result.messages.map {
            FetchedMessage(id: $0.id, receivedAt: $0.receivedAt, blob: Data($0.blob))
        }
        return .json(200, FetchResponse(messages: messages, more: result.more))
    }

    private func acknowledge(_ request: RelayHTTPRequest) async throws -> RelayHTTPResponse {
        guard let mailboxID = request.mailboxID else { throw Refusal(.notFound, "no such route or mailbox") }
        try await authenticate(request, mailboxID: mailboxID)
        let body = try decodeJSON(AcknowledgeRequest.self, from: request.body)
        guard (1...AcknowledgeRequest.maxIDs).contains(body.ids.count),
            body.ids.allSatisfy({ $0 > 0 && $0 < 1 << 53 })
        else {
            throw Refusal(.badRequest, "ids must list 1 to \(AcknowledgeRequest.maxIDs) message IDs")
        }
        let deleted = try await store.acknowledge(mailboxID: mailboxID, ids: body.ids, at: clock())
        return .json(200, AcknowledgeResponse(deleted: deleted))
    }

    private func deleteMailbox(_ request: RelayHTTPRequest) async throws -> RelayHTTPResponse {
        guard let mailboxID = request.mailboxID else { throw Refusal(.notFound, "no such route or mailbox") }
        try await authenticate(request, mailboxID: mailboxID)
        guard try await store.deleteMailbox(id: mailboxID) else {
            throw Refusal(.notFound, "no such route or mailbox")
        }
        // Waiting fetches of a deleted mailbox answer now (with nothing).
        longPolls.notify(mailboxID: mailboxID)
        return .json(200, DeleteMailboxResponse(deleted: true))
    }

    // MARK: - Timers

    /// `POST /v1/timers`: signed by the new timer key, like mailbox creation.
    private func armTimer(_ request: RelayHTTPRequest) async throws -> RelayHTTPResponse {
        let headers = try authenticationHeaders(request)
        let now = clock()
        try checkWindow(headers, now: now)
        let body = try decodeJSON(ArmTimerRequest.self, from: request.body)
        guard body.timerKey.utf8.count == 2 * SigningPublicKey.byteCount,
            body.timerKey.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
            let raw = Hex.decode(body.timerKey),
            let key = try? SigningPublicKey(rawRepresentation: raw)
        else {
            throw Refusal(.badRequest, "timer_key must be 64 lower-case hex digits of a valid Ed25519 public key")
        }
        try checkSignature(headers, request, key: key, refusal: Self.noSuchTimer)
        try checkNonce(headers, key: key, now: now)
        try checkDeadline(body.deadline, now: now)
        let blobs = try bundle(body.blobs)
        let id = TimerIDs.derive(timerKey: key)
        guard try await targetingMailboxes({ () async throws(StoreError) in
            try await store.armTimer(
                id: id, timerKey: key.rawRepresentation, deadline: body.deadline, blobs: blobs, createdAt: now,
                maxTimers: configuration.maxTimers)
        }) else {
            throw Refusal(.timerExists, "a timer with this key is already armed: renew or disarm it")
        }
        return .json(201, ArmTimerResponse(timerID: id))
    }

    /// `POST /v1/timers/{id}/renew`: a new deadline, and a new bundle when one is given.
    private func renewTimer(_ request: RelayHTTPRequest) async throws -> RelayHTTPResponse {
        guard let timerID = request.timerID else { throw Refusal(.notFound, Self.noSuchTimer) }
        try await authenticate(request, timerID: timerID)
        let body = try decodeJSON(RenewTimerRequest.self, from: request.body)
        let now = clock()
        try checkDeadline(body.deadline, now: now)
        let blobs = try body.blobs.map(bundle)
        guard try await targetingMailboxes({ () async throws(StoreError) in
            try await store.renewTimer(id: timerID, deadline: body.deadline, blobs: blobs, now: now)
        }) else {
            throw Refusal(.notFound, Self.noSuchTimer)
        }
        return .json(200, RenewTimerResponse(deadline: body.deadline))
    }

    /// `DELETE /v1/timers/{id}`.
    private func disarmTimer(_ request: RelayHTTPRequest) async throws -> RelayHTTPResponse {
        guard let timerID = request.timerID else { throw Refusal(.notFound, Self.noSuchTimer) }
        try await authenticate(request, timerID: timerID)
        guard try await store.disarmTimer(id: timerID, now: clock()) else {
            throw Refusal(.notFound, Self.noSuchTimer)
        }
        return .json(200, DisarmTimerResponse(deleted: true))
    }

    /// `GET /v1/timers/{id}`.
    private func timerStatus(_ request: RelayHTTPRequest) async throws -> RelayHTTPResponse {
        guard let timerID = request.timerID else { throw Refusal(.notFound, Self.noSuchTimer) }
        try await authenticate(request, timerID: timerID)
        guard let status = try await store.timerStatus(id: timerID, now: clock()) else {
            throw Refusal(.notFound, Self.noSuchTimer)
        }
        return .json(200, TimerStatusResponse(deadline: status.deadline, blobs: status.blobs))
    }

    /// Runs a store call that stores a bundle, saying which refusal an unknown target mailbox is.
    private func targetingMailboxes<T>(_ body: () async throws(StoreError) -> T) async throws -> T {
        do {
            return try await body()
        } catch .mailboxNotFound {
            throw Refusal(.notFound, "every mailbox_id must name a mailbox on this relay; nothing was stored")
        }
    }

    private func checkDeadline(_ deadline: UInt64, now: UInt64) throws {
        let horizon = configuration.maxTimerHorizonSeconds
        guard deadline > now, deadline - now <= horizon else {
            throw Refusal(
                .badRequest,
                "deadline must be after the relay's current time (\(now)) and at most \(horizon) seconds ahead")
        }
    }

    /// The bundle, checked against the limits. Target mailboxes are checked by the store.
    private func bundle(_ payloads: [TimerBlobPayload]) throws -> [TimerBlob] {
        let maxBlobs = configuration.maxTimerBlobs
        guard (1...max(maxBlobs, 1)).contains(payloads.count) else {
            throw Refusal(.badRequest, "blobs must list 1 to \(maxBlobs) blobs, one per contact mailbox")
        }
        var total = 0
        var blobs: [TimerBlob] = []
        blobs.reserveCapacity(payloads.count)
        for payload in payloads {
            guard MailboxIDs.isWellFormed(payload.mailboxID) else {
                throw Refusal(.badRequest, "every mailbox_id must be a mailbox ID on this relay")
            }
            guard !payload.blob.isEmpty else {
                throw Refusal(.badRequest, "every blob must hold 1 to \(configuration.maxBlobBytes) bytes")
            }
            guard payload.blob.count <= configuration.maxBlobBytes else {
                throw Refusal(.bodyTooLarge, "every blob must hold 1 to \(configuration.maxBlobBytes) bytes")
            }
            total += payload.blob.count
            guard total <= configuration.maxTimerBundleBytes else {
                throw Refusal(.bodyTooLarge, "the blobs of a timer may hold \(configuration.maxTimerBundleBytes) bytes in all")
            }
            blobs.append(TimerBlob(mailboxID: payload.mailboxID, blob: Array(payload.blob)))
        }
        return blobs
    }

    /// Timers fired per transaction; a backlog (a relay that was down) takes several.
    private static let timersPerFiring = 500

    /// Delivers the bundles of every timer whose deadline has passed and wakes the fetches
    /// waiting on their mailboxes. Looks with a read first, so an idle relay commits nothing.
    func fireDueTimers() async {
        let now = clock()
        do {
            guard let next = try await store.nextTimerDeadline(), next <= now else { return }
            // A full batch may leave more due; a partial one leaves none.
            var fired: FiredTimers
            repeat {
                fired = try await store.fireDueTimers(now: now, limit: Self.timersPerFiring)
                metrics.recordFired(timers: fired.timers, blobs: fired.deliveredBlobs)
                for mailboxID in fired.mailboxIDs {
                    longPolls.notify(mailboxID: mailboxID)
                }
                // Counts only: which timers and mailboxes is nobody's business.
                logger.debug("timers fired", metadata: ["timers": "\(fired.timers)", "blobs": "\(fired.deliveredBlobs)"])
            } while fired.timers == Self.timersPerFiring && !Task.isCancelled
        } catch {
            if error != .closed {
                logger.error("firing timers failed; retrying", metadata: ["error": "\(error)"])
            }
        }
    }

    private func health() async -> RelayHTTPResponse {
        guard !isShuttingDown else {
            return .error(.unavailable, "the relay is shutting down", retryAfter: 5)
        }
        do {
            _ = try await store.ownerKey(ofMailbox: Self.healthProbeID)
            return .json(200, HealthResponse(status: "ok"))
        } catch {
            logger.error("health check: the database did not answer", metadata: ["error": "\(error)"])
            return .error(.unavailable, "the relay's database does not answer", retryAfter: 5)
        }
    }

    private func renderMetrics() async -> RelayHTTPResponse {
        let statistics = try? await store.statistics()
        let text = metrics.render(
            statistics: statistics, openConnections: connections.count, longPolls: longPolls.count)
        return RelayHTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: Array(text.utf8))
    }

    // MARK: - Retention

    /// Deletes blobs and deposit digests older than the retention period.
    func sweep() async {
        let now = clock()
        guard now > configuration.retentionSeconds else { return }
        do {
            let deleted = try await store.purge(before: now - configuration.retentionSeconds)
            logger.debug("retention sweep", metadata: ["deleted_blobs": "\(deleted)"])
        } catch {
            if error != .closed {
                logger.error("retention sweep failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
