import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A request as a test server received it, bytes untouched.
struct ReceivedRequest: Sendable {
    var method: String
    /// The request target exactly as sent.
    var target: String
    var headers: [String: String]
    var body: [UInt8]

    var path: String { target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? target }
    var query: String {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count == 2 ? String(parts[1]) : ""
    }

    /// Parses one complete request (with a `Content-Length` body, if any) from `bytes`.
    static func parse(_ bytes: [UInt8]) -> ReceivedRequest? {
        guard let end = bytes.firstRange(of: [13, 10, 13, 10] as [UInt8]) else { return nil }
        var lines = String(decoding: bytes[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3 else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        let body = Array(bytes[end.upperBound...])
        guard body.count >= length else { return nil }
        return ReceivedRequest(method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: Array(body.prefix(length)))
    }
}

/// What the test server does with a request.
enum CannedReply: Sendable {
    /// Sends these bytes (after a delay, if given) and closes the connection.
    case bytes([UInt8], delay: Duration = .zero)
    /// Says nothing and keeps the connection open.
    case silence

    /// A complete HTTP/1.1 response with `Content-Length` and `Connection: close`.
    static func http(
        _ status: Int, _ body: String, headers: [String: String] = ["Content-Type": "application/json; charset=utf-8"],
        delay: Duration = .zero
    ) -> CannedReply {
        .bytes(httpBytes(status, Array(body.utf8), headers: headers), delay: delay)
    }

    static func httpBytes(_ status: Int, _ body: [UInt8], headers: [String: String] = [:], contentLength: Bool = true) -> [UInt8] {
        var head = "HTTP/1.1 \(status) Status\r\nConnection: close\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        if contentLength { head += "Content-Length: \(body.count)\r\n" }
        return Array((head + "\r\n").utf8) + body
    }
}

/// A loopback HTTP server that answers every request with a canned reply and records what it
/// received: for client behaviour a real relay never shows (garbage, redirects, silence).
final class CannedHTTPServer: Sendable {
    let port: Int
    private let channel: any Channel
    private let log: Mutex<(requests: [ReceivedRequest], connections: Int)>

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
        self.log = Mutex(([], 0))
    }

    var requests: [ReceivedRequest] { log.withLock { $0.requests } }
    var connections: Int { log.withLock { $0.connections } }

    static func start(_ respond: @escaping @Sendable (ReceivedRequest) -> CannedReply) async throws -> CannedHTTPServer {
        let server = Box()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(server: server, respond: respond))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let instance = CannedHTTPServer(channel: channel, port: channel.localAddress!.port!)
        server.set(instance)
        return instance
    }

    /// Serves with a fixed reply.
    static func start(replying reply: CannedReply) async throws -> CannedHTTPServer {
        try await start { _ in reply }
    }

    func stop() async {
        try? await channel.close().get()
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    fileprivate func record(connection: Bool = false, request: ReceivedRequest? = nil) {
        log.withLock { log in
            if connection { log.connections += 1 }
            if let request { log.requests.append(request) }
        }
    }

    /// Late binding of the server to its handlers (they are made before it exists).
    fileprivate final class Box: Sendable {
        private let server = Mutex<CannedHTTPServer?>(nil)
        func set(_ value: CannedHTTPServer) { server.withLock { $0 = value } }
        func get() -> CannedHTTPServer? { server.withLock { $0 } }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private let server: Box
        private let respond: @Sendable (ReceivedRequest) -> CannedReply
        private var received: [UInt8] = []
        private var answered = false

        init(server: Box, respond: @escaping @Sendable (ReceivedRequest) -> CannedReply) {
            self.server = server
            self.respond = respond
        }

        func channelActive(context: ChannelHandlerContext) {
            server.get()?.record(connection: true)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            received += buffer.readBytes(length: buffer.readableBytes) ?? []
            guard !answered, let request = ReceivedRequest.parse(received) else { return }
            answered = true
            server.get()?.record(request: request)
            switch respond(request) {
            case .silence:
                break
            case .bytes(let bytes, let delay):
                let channel = context.channel
                let send: @Sendable () -> Void = {
                    channel.writeAndFlush(ByteBuffer(bytes: bytes)).whenComplete { _ in channel.close(promise: nil) }
                }
                if delay == .zero {
                    send()
                } else {
                    let (seconds, attoseconds) = delay.components
                    let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
                    context.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds), send)
                }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
