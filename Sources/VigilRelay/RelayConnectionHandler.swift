internal import Logging
internal import NIOCore
internal import NIOHTTP1
internal import VigilRelayAPI

/// Sent to every connection when the relay shuts down.
struct RelayShutdownEvent: Sendable {}

/// One client connection: deadlines, limits, and one request at a time.
///
/// Pipeline: ``RequestFramer`` → NIO's HTTP/1 decoder → this handler (responses go out through
/// NIO's encoder). Checks that need only the head — framing, route, body size, rate limit — are
/// made before the body is read, so a refused body is never stored, and a body that is too large
/// is never read. The endpoint itself runs in a task (``RelayService``); its response is written
/// back on the event loop.
///
/// Deadlines: the header deadline runs from the connection's start, or from the first byte of a
/// later request; the body deadline from the end of the head; the idle deadline between requests;
/// a write deadline bounds a client that does not read its response. A refusal that closes the
/// connection half-closes it first and drains what the client is still sending for a moment
/// (lingering close), so the client reads the refusal instead of a reset.
final class RelayConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private struct PendingRequest {
        var route: Route
        var mailboxID: String?
        var timerID: String?
        var method: String
        var path: String
        var query: String
        var timestamp: String?
        var nonce: String?
        var signature: String?
        var authorization: String?
        var expected: Int
        var received = 0
        var limit: Int
        var body: [UInt8]
        /// A refusal decided from the head; the body is read (and dropped) before it is sent,
        /// so the connection can stay open.
        var early: RelayHTTPResponse?
        var keepAlive: Bool
        var started: NIODeadline
    }

    private enum State {
        case awaitingHead
        case receivingBody(PendingRequest)
        case processing(route: Route, started: NIODeadline, keepAlive: Bool)
        case writing(keepAlive: Bool)
        case closing
        case closed
    }

    private enum TimerKind {
        case header, body, idle, write, linger
    }

    /// How long a closing connection drains the client's bytes before it is closed anyway.
    private static let lingerSeconds: Int64 = 2

    private let framer: RequestFramer
    private let service: RelayService
    private var configuration: RelayConfiguration { service.configuration }
    private var logger: Logger { service.logger }

    private var state = State.awaitingHead
    private var context: ChannelHandlerContext?
    private var timer: Scheduled<Void>?
    private var timerKind: TimerKind?
    private var headInProgress = false
    private var peerInputEnded = false
    /// The relay is shutting down: no new requests, every response closes the connection.
    private var isShuttingDown: Bool { service.isShuttingDown }
    private var task: Task<Void, Never>?
    private var remoteAddress: SocketAddress?
    /// Where request tasks run: this connection's event loop.
    private var executor: EventLoopTaskExecutor?

    init(framer: RequestFramer, service: RelayService) {
        self.framer = framer
        self.service = service
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        executor = EventLoopTaskExecutor(context.eventLoop)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        remoteAddress = context.channel.remoteAddress
        setTimer(.header, seconds: configuration.headerTimeoutSeconds)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        task?.cancel()
        task = nil
        state = .closed
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            receivedHead(head)
        case .body(let buffer):
            receivedBody(buffer)
        case .end:
            receivedEnd()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? FramerEvent {
            switch event {
            case .headStarted:
                headInProgress = true
                if timerKind == .idle {
                    setTimer(.header, seconds: configuration.headerTimeoutSeconds)
                }
            case .headTooLarge:
                refuseHead(.headersTooLarge, "the request line and headers exceed \(configuration.maxHeaderBytes) bytes")
            case .headNotDecoded:
                refuseHead(.badRequest, "malformed request")
            case .inputEnded:
                peerInputEnded = true
                switch state {
                case .awaitingHead, .receivingBody, .closing:
                    context.close(promise: nil)
                case .processing, .writing, .closed:
                    break
                }
            }
        } else if event is RelayShutdownEvent {
            if case .awaitingHead = state, !headInProgress {
                context.close(promise: nil)
            }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch state {
        case .awaitingHead, .receivingBody:
            if let parserError = error as? HTTPParserError {
                if case .headerOverflow = parserError {
                    refuseHead(.headersTooLarge, "too many header fields")
                } else {
                    refuseHead(.badRequest, "malformed request")
                }
            } else {
                context.close(promise: nil)
            }
        case .closing, .closed:
            break
        case .processing, .writing:
            context.close(promise: nil)
        }
    }

    // MARK: - Request

    private func receivedHead(_ head: HTTPRequestHead) {
        guard case .awaitingHead = state else { return }
        headInProgress = false
        cancelTimer()
        let started = NIODeadline.now()

        let uri = head.uri
        let path: String
        let query: String
        if let mark = uri.firstIndex(of: "?") {
            path = String(uri[..<mark])
            query = String(uri[uri.index(after: mark)...])
        } else {
            path = uri
            query = ""
        }
        let method = head.method.rawValue
        let matched = RouteMatch.match(method: method, path: path)
        let route = (try? matched.get())?.route ?? .unknown
        let limit = service.bodyLimit(for: route)

        // Framing: a length given up front, or no body at all.
        if head.headers.contains(name: "transfer-encoding") {
            return refuse(.lengthRequired, "send the body with a Content-Length; chunked bodies are not accepted",
                          route: route, started: started)
        }
        var contentLength: Int?
        let lengths = head.headers["content-length"]
        if !lengths.isEmpty {
            guard lengths.count == 1, let length = Self.parseLength(lengths[0]) else {
                return refuse(.badRequest, "malformed Content-Length", route: route, started: started)
            }
            contentLength = length
        }
        if route.requiresBody && contentLength == nil {
            return refuse(.lengthRequired, "this request needs a body with a Content-Length", route: route, started: started)
        }
        let length = contentLength ?? 0
        if length > limit {
            return refuse(.bodyTooLarge, "the body exceeds \(limit) bytes", route: route, started: started)
        }

        // Refusals that leave the connection usable once the (small) body is read.
        var early: RelayHTTPResponse?
        switch matched {
        case .failure(let failure):
            early = .routeFailure(failure)
        case .success(let match):
            if isShuttingDown {
                early = .error(.unavailable, "the relay is shutting down", retryAfter: 5, closesConnection: true)
            } else if let limiter = service.rateLimiter(for: route),
                case .limited(let seconds) = limiter.take(
                    ClientAddressKey(remoteAddress, scope: route == .deposit ? match.mailboxID : nil))
            {
                early = .error(.rateLimited, "too many requests from this address; try again later", retryAfter: seconds)
            }
        }

        if length > 0, head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            if var early {
                // The client waits before sending the body: answer now and close.
                early.closesConnection = true
                return writeResponse(early, route: route, started: started, keepAlive: false)
            }
            context?.writeAndFlush(
                Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
        }

        // NIO's decoder parses nothing after a CONNECT or an upgrade request (it expects the
        // connection to switch protocols), and its encoder sends any answer to CONNECT without a
        // length or a body: close after answering one, so that neither the end of the answer nor
        // what the client sends next is ambiguous.
        let switchesProtocols = head.method == .CONNECT || head.headers.contains(name: "upgrade")
        var pending = PendingRequest(
            route: route, mailboxID: (try? matched.get())?.mailboxID, timerID: (try? matched.get())?.timerID,
            method: method, path: path, query: query,
            timestamp: Self.single(head.headers, RequestAuthentication.timestampHeader),
            nonce: Self.single(head.headers, RequestAuthentication.nonceHeader),
            signature: Self.single(head.headers, RequestAuthentication.signatureHeader),
            authorization: route == .metrics ? Self.single(head.headers, "Authorization") : nil,
            expected: length, limit: limit, body: [], early: early,
            keepAlive: head.isKeepAlive && !isShuttingDown && !switchesProtocols, started: started)
        if early == nil {
            pending.body.reserveCapacity(length)
        }
        state = .receivingBody(pending)
        framer.expectBody(length: length)
        if length > 0 {
            setTimer(.body, seconds: configuration.bodyTimeoutSeconds)
        }
    }

    private func receivedBody(_ buffer: ByteBuffer) {
        guard case .receivingBody(var pending) = state else { return }
        state = .closed  // placeholder while `pending` is mutated, so its body is not copied
        // The framer passes exactly Content-Length bytes; count them anyway.
        pending.received += buffer.readableBytes
        guard pending.received <= min(pending.expected, pending.limit) else {
            return refuse(.bodyTooLarge, "the body exceeds its Content-Length or \(pending.limit) bytes",
                          route: pending.route, started: pending.started)
        }
        if pending.early == nil {
            pending.body.append(contentsOf: buffer.readableBytesView)
        }
        state = .receivingBody(pending)
    }

    private func receivedEnd() {
        guard case .receivingBody(let pending) = state else { return }
        cancelTimer()
        if let early = pending.early {
            return writeResponse(early, route: pending.route, started: pending.started, keepAlive: pending.keepAlive)
        }
        dispatch(pending)
    }

    private func dispatch(_ pending: PendingRequest) {
        guard let context else { return }
        state = .processing(route: pending.route, started: pending.started, keepAlive: pending.keepAlive)
        let request = RelayHTTPRequest(
            route: pending.route, method: pending.method, path: pending.path, query: pending.query,
            mailboxID: pending.mailboxID, timerID: pending.timerID, timestampHeader: pending.timestamp, nonceHeader: pending.nonce,
            signatureHeader: pending.signature, authorizationHeader: pending.authorization, body: pending.body)
        let service = self.service
        let eventLoop = context.eventLoop
        let handler = NIOLoopBound(self, eventLoop: eventLoop)
        service.inFlight.enter()
        // Light requests run on this connection's event loop; those that decode, sign-check or
        // encode up to megabytes run on the global pool, so that they never hold up the loop's
        // other connections.
        task = Task(executorPreference: pending.route.isLight ? executor : nil) {
            let response = await service.respond(to: request)
            eventLoop.execute {
                handler.value.processed(response)
            }
            service.inFlight.leave()
        }
    }

    private func processed(_ response: RelayHTTPResponse) {
        guard case .processing(let route, let started, let keepAlive) = state else { return }
        task = nil
        writeResponse(response, route: route, started: started, keepAlive: keepAlive)
    }

    // MARK: - Response

    /// Refuses a request whose head (or part of it) was read: the answer closes the connection.
    private func refuse(_ code: RelayErrorCode, _ message: String, route: Route, started: NIODeadline) {
        writeResponse(.error(code, message, closesConnection: true), route: route, started: started, keepAlive: false)
    }

    /// Refuses what arrived while a head was expected (nothing was routed).
    private func refuseHead(_ code: RelayErrorCode, _ message: String) {
        switch state {
        case .awaitingHead, .receivingBody:
            refuse(code, message, route: .unknown, started: .now())
        case .processing, .writing, .closing, .closed:
            break
        }
    }

    private func writeResponse(_ response: RelayHTTPResponse, route: Route, started: NIODeadline, keepAlive: Bool) {
        guard let context else { return }
        let keepAlive = keepAlive && !response.closesConnection && !isShuttingDown
        state = .writing(keepAlive: keepAlive)
        if !keepAlive {
            // Whatever the client sends after this request will not be read. (In `.writing`, an
            // end of input this reveals is remembered, not acted on, until the response is out.)
            framer.discard()
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        headers.add(name: "Cache-Control", value: "no-store")
        if let seconds = response.retryAfterSeconds {
            headers.add(name: "Retry-After", value: String(seconds))
        }
        if let allow = response.allow {
            headers.add(name: "Allow", value: allow)
        }
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")

        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        if !response.body.isEmpty {
            let buffer = context.channel.allocator.buffer(bytes: response.body)
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: written)

        let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
        service.metrics.record(route: route, status: response.status, seconds: seconds)
        logger.debug(
            "request",
            metadata: ["route": "\(route.rawValue)", "status": "\(response.status)", "duration": "\(seconds)"])

        // A client that does not read its response is cut off (a full fetch is about 2 MB).
        setTimer(.write, seconds: configuration.writeTimeoutSeconds)
        written.futureResult.assumeIsolated().whenComplete { result in
            self.responseWritten(success: (try? result.get()) != nil)
        }
    }

    private func responseWritten(success: Bool) {
        guard case .writing(let keepAlive) = state, let context else { return }
        cancelTimer()
        guard success else {
            state = .closed
            context.close(promise: nil)
            return
        }
        if keepAlive && !isShuttingDown {
            state = .awaitingHead
            setTimer(.idle, seconds: configuration.idleTimeoutSeconds)
            framer.requestFinished()
        } else {
            beginClosing()
        }
    }

    /// Half-closes, drains the client's remaining bytes briefly, then closes.
    private func beginClosing() {
        guard let context else { return }
        state = .closing
        framer.discard()
        if peerInputEnded {
            context.close(promise: nil)
            return
        }
        setTimer(.linger, seconds: Self.lingerSeconds)
        let outputClosed = context.eventLoop.makePromise(of: Void.self)
        context.close(mode: .output, promise: outputClosed)
        outputClosed.futureResult.assumeIsolated().whenFailure { _ in
            self.context?.close(promise: nil)
        }
    }

    // MARK: - Deadlines

    private func setTimer(_ kind: TimerKind, seconds: Int64) {
        timer?.cancel()
        timerKind = kind
        guard let context else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(max(seconds, 1))) {
            self.timerFired(kind)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
        timerKind = nil
    }

    private func timerFired(_ kind: TimerKind) {
        guard timerKind == kind, let context else { return }
        timer = nil
        timerKind = nil
        switch (kind, state) {
        case (.header, .awaitingHead):
            refuse(.requestTimeout, "the request headers did not arrive in time", route: .unknown, started: .now())
        case (.body, .receivingBody(let pending)):
            refuse(.requestTimeout, "the request body did not arrive in time", route: pending.route, started: pending.started)
        case (.idle, .awaitingHead) where !headInProgress:
            context.close(promise: nil)
        case (.idle, .awaitingHead):
            setTimer(.header, seconds: configuration.headerTimeoutSeconds)
        case (.write, _), (.linger, _):
            state = .closed
            context.close(promise: nil)
        default:
            break
        }
    }

    // MARK: - Helpers

    /// A Content-Length value: plain decimal digits (the decoder has already refused worse).
    static func parseLength(_ text: String) -> Int? {
        let trimmed = text.trimmingASCIISpaces
        guard (1...18).contains(trimmed.utf8.count), trimmed.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            return nil
        }
        return Int(trimmed)
    }

    /// A header's value when it appears exactly once.
    static func single(_ headers: HTTPHeaders, _ name: String) -> String? {
        let values = headers[name]
        return values.count == 1 ? values[0] : nil
    }
}

extension String {
    fileprivate var trimmingASCIISpaces: Substring {
        var text = self[...]
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return text
    }
}
