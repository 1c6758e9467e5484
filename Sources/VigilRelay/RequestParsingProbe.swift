internal import NIOCore
internal import NIOEmbedded
internal import NIOHTTP1
internal import VigilCrypto
internal import VigilRelayAPI

/// The relay's request parsing without a socket, a store or a task: for the fuzzers in Fuzz/
/// and their regression tests. Not for applications.
///
/// The bytes a client sends on one connection go through the relay's own handlers — the
/// ``RequestFramer`` in front of NIO's HTTP/1 decoder, configured as ``RelayServer`` configures
/// every connection — and each decoded request through the checks the relay makes before an
/// endpoint runs: the route, `Transfer-Encoding` and `Content-Length`, the body limit, the fetch
/// query, the signature headers (parsed, and verified against a fixed owner key) and the nonce
/// cache. A harness signature of every request to a signed route is also made and checked.
///
/// What the relay would answer is not produced here; the connection handler's head checks are
/// mirrored, using its helpers.
@_spi(Fuzzing)
public enum RequestParsingProbe {
    /// What the relay made of one connection's bytes.
    public struct Report: Equatable, Sendable {
        /// One line per event, in order: requests, refusals, framer events, parser errors. The
        /// same bytes delivered in chunks of any size give the same lines.
        public var events: [String]
        /// Broken invariants: what the framer or a parser did that it promises never to do.
        /// Empty unless there is a bug.
        public var violations: [String]
    }

    /// Feeds `bytes` to a fresh connection `chunkSize` bytes at a time (at least 1), then, when
    /// `closeInput`, ends the client's input.
    public static func run(_ bytes: [UInt8], chunkSize: Int, closeInput: Bool = true) -> Report {
        let configuration = RelayConfiguration(dataDirectory: "")
        let channel = EmbeddedChannel()
        let recorder: Recorder
        do {
            let framer = try RelayServer.addHTTPHandlers(to: channel.pipeline.syncOperations, configuration: configuration)
            recorder = Recorder(framer: framer, configuration: configuration)
            try channel.pipeline.syncOperations.addHandler(recorder)
        } catch {
            return Report(events: [], violations: ["the pipeline could not be set up: \(error)"])
        }
        var offset = 0
        let step = max(1, chunkSize)
        while offset < bytes.count && !recorder.stopped {
            let end = min(bytes.count, offset + step)
            do {
                try channel.writeInbound(channel.allocator.buffer(bytes: bytes[offset..<end]))
            } catch {
                recorder.violations.append("an error reached the end of the pipeline: \(error)")
            }
            offset = end
        }
        if closeInput {
            channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
        if let leftOver = try? channel.readInbound(as: HTTPServerRequestPart.self) {
            recorder.violations.append("a request part passed the relay's handlers: \(leftOver)")
        }
        _ = try? channel.finish()
        return Report(events: recorder.events, violations: recorder.violations)
    }

    /// The owner key the probe verifies signatures with and signs requests with.
    static let ownerKey = try! SigningKeyPair(seed: SecureBytes(copying: [UInt8](repeating: 0x5E, count: 32)))
}

/// Stands where ``RelayConnectionHandler`` stands and makes the same decisions about each head,
/// but records them instead of answering, and finishes each request at once.
private final class Recorder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart

    private struct Current {
        var head: HTTPRequestHead
        var route: Route
        var mailboxID: String?
        var timerID: String?
        var path: String
        var query: String
        var expected: Int
        var body: [UInt8] = []
    }

    let framer: RequestFramer
    let configuration: RelayConfiguration
    var events: [String] = []
    var violations: [String] = []
    /// The connection would be closed: nothing more is read.
    private(set) var stopped = false
    private var current: Current?
    private let nonces: NonceCache

    init(framer: RequestFramer, configuration: RelayConfiguration) {
        self.framer = framer
        self.configuration = configuration
        self.nonces = NonceCache(window: configuration.authenticationWindowSeconds, maxPerKey: 16, maxTotal: 64)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = Self.unwrapInboundIn(data)
        guard !stopped else {
            // The rest of a refused request the decoder already holds may follow; nothing new.
            if case .head = part { violations.append("a request arrived after the connection was closed") }
            return
        }
        switch part {
        case .head(let head): received(head)
        case .body(let buffer): received(buffer)
        case .end: receivedEnd()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? FramerEvent else { return }
        switch event {
        case .headStarted:
            if current != nil { violations.append("a head started inside a request") }
        case .headTooLarge:
            stop("431 head too large")
        case .headNotDecoded:
            stop("400 head not decoded")
        case .inputEnded:
            events.append("input ended")
            stopped = true
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !stopped else { return }
        if let parserError = error as? HTTPParserError {
            if case .headerOverflow = parserError {
                stop("431 parser error \(parserError)")
            } else {
                stop("400 parser error \(parserError)")
            }
        } else {
            stop("error \(error)")
        }
    }

    /// A refusal that closes the connection.
    private func stop(_ event: String) {
        events.append(event)
        stopped = true
        current = nil
        framer.discard()
    }

    // RelayConnectionHandler.receivedHead, without the answers.
    private func received(_ head: HTTPRequestHead) {
        guard current == nil else { return violations.append("a head arrived inside a request") }
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
        let limit = RelayService.bodyLimit(for: route, configuration: configuration)

        if head.headers.contains(name: "transfer-encoding") { return stop("411 transfer-encoding") }
        var contentLength: Int?
        let lengths = head.headers["content-length"]
        if !lengths.isEmpty {
            guard lengths.count == 1, let length = RelayConnectionHandler.parseLength(lengths[0]) else {
                return stop("400 malformed content-length")
            }
            contentLength = length
        }
        if route.requiresBody && contentLength == nil { return stop("411 no content-length") }
        let length = contentLength ?? 0
        if length > limit { return stop("413 body of \(length) bytes") }

        var line = "head \(method) \(route.rawValue) keep-alive=\(head.isKeepAlive) length=\(length)"
        if case .failure(let failure) = matched {
            // A client waiting for "100 Continue" is answered at once, and the connection closed.
            if length > 0, head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                return stop("\(failure) before a 100-continue body")
            }
            line += " refused=\(failure)"
        }
        events.append(line)
        current = Current(
            head: head, route: route, mailboxID: (try? matched.get())?.mailboxID,
            timerID: (try? matched.get())?.timerID, path: path, query: query, expected: length)
        framer.expectBody(length: length)
    }

    private func received(_ buffer: ByteBuffer) {
        guard current != nil else { return violations.append("a body part arrived outside a request") }
        current!.body.append(contentsOf: buffer.readableBytesView)
        if current!.body.count > current!.expected {
            violations.append("the framer passed more than the Content-Length")
        }
    }

    private func receivedEnd() {
        guard let request = current else { return violations.append("a request ended that did not start") }
        current = nil
        if request.body.count != request.expected {
            violations.append("a body of \(request.body.count) bytes ended, \(request.expected) were announced")
        }
        events.append(
            "request \(request.route.rawValue) mailbox=\(request.mailboxID ?? "-") timer=\(request.timerID ?? "-")"
                + " body=\(request.body.count)")
        check(query: request.query)
        authenticate(request)
        if request.head.isKeepAlive {
            framer.requestFinished()
        } else {
            stop("connection: close")
        }
    }

    // RelayService.fetch's query parsing, for every route (it is the only parser of the query).
    private func check(query: String) {
        let parsed: FetchQuery
        do {
            parsed = try FetchQuery(parsing: query)
        } catch {
            return events.append("query \(error)")
        }
        events.append("query after=\(parsed.after) limit=\(parsed.limit) wait=\(parsed.wait)")
        guard parsed.after >= 0, parsed.after < 1 << 53, FetchQuery.limitRange.contains(parsed.limit),
            FetchQuery.waitRange.contains(parsed.wait)
        else { return violations.append("the query parsed to values out of range") }
        let canonical = "after=\(parsed.after)&limit=\(parsed.limit)&wait=\(parsed.wait)"
        if (try? FetchQuery(parsing: canonical)) != parsed {
            violations.append("the canonical form of a parsed query does not parse to it")
        }
    }

    // RelayService.authenticate, with a fixed owner key and the time the request claims.
    private func authenticate(_ request: Current) {
        let method = request.head.method.rawValue
        let timestamp = RelayConnectionHandler.single(request.head.headers, RequestAuthentication.timestampHeader)
        let nonce = RelayConnectionHandler.single(request.head.headers, RequestAuthentication.nonceHeader)
        let signature = RelayConnectionHandler.single(request.head.headers, RequestAuthentication.signatureHeader)
        if let headers = RequestAuthentication.Headers(timestamp: timestamp, nonce: nonce, signature: signature) {
            if headers.timestamp.description != timestamp || headers.nonce != nonce || headers.signature != signature {
                violations.append("parsed signature headers differ from the header values")
            }
            let valid = RequestAuthentication.isValid(
                headers, method: method, path: request.path, query: request.query, body: request.body,
                ownerKey: RequestParsingProbe.ownerKey.publicKey)
            let decision = nonces.check(
                key: RequestParsingProbe.ownerKey.publicKey.rawRepresentation, nonce: headers.nonce,
                timestamp: headers.timestamp, now: headers.timestamp)
            events.append("signature headers valid=\(valid) nonce=\(decision)")
        } else {
            events.append("signature headers absent or malformed")
        }

        // What a client makes must pass, and only for this request.
        guard request.route.isSigned else { return }
        let signed = RequestAuthentication.sign(
            method: method, path: request.path, query: request.query, body: request.body,
            timestamp: 1_764_058_200, ownerKey: RequestParsingProbe.ownerKey)
        let reparsed = RequestAuthentication.Headers(
            timestamp: String(signed.timestamp), nonce: signed.nonce, signature: signed.signature)
        if reparsed != signed { violations.append("signed headers do not parse back") }
        let key = RequestParsingProbe.ownerKey.publicKey
        if !RequestAuthentication.isValid(
            signed, method: method, path: request.path, query: request.query, body: request.body, ownerKey: key)
        {
            violations.append("a signed request does not verify")
        }
        if RequestAuthentication.isValid(
            signed, method: method, path: request.path, query: request.query, body: request.body + [0], ownerKey: key)
        {
            violations.append("a signature verifies for another body")
        }
    }
}
