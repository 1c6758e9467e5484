import Foundation
import NIOCore
import NIOPosix
import Testing

/// An HTTP response as bytes, split into its parts, for byte-for-byte comparisons.
struct RawResponse: Sendable, CustomStringConvertible {
    var status: Int
    /// Header fields in order, names as sent.
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The `error.code` of a refusal body, or nil.
    var errorCode: String? {
        struct Body: Decodable { struct Detail: Decodable { var code: String }; var error: Detail }
        return (try? JSONDecoder().decode(Body.self, from: Data(body)))?.error.code
    }

    var description: String { "HTTP \(status) \(bodyText)" }

    /// Parses one complete response from the start of `bytes`; nil when more bytes are needed
    /// (or, with `atEOF`, when the bytes are not a response).
    static func parse(_ bytes: [UInt8], atEOF: Bool) -> RawResponse? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = bytes.firstRange(of: separator) else { return nil }
        let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else { return nil }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let bodyStart = end.upperBound
        let available = Array(bytes[bodyStart...])
        if let lengthText = headers.first(where: { $0.name.lowercased() == "content-length" })?.value,
            let length = Int(lengthText)
        {
            guard available.count >= length else { return nil }
            return RawResponse(status: status, headers: headers, body: Array(available.prefix(length)))
        }
        return atEOF ? RawResponse(status: status, headers: headers, body: available) : nil
    }
}

enum RawHTTPError: Error {
    case noResponse(received: Int)
    case timedOut
}

/// Talks to a server over a plain TCP connection with bytes of our choosing: malformed requests,
/// replays, partial requests.
enum RawHTTP {
    /// Writes `request` (ignoring a write failure: a server may close after refusing the head)
    /// and reads one response.
    static func exchange(port: Int, _ request: [UInt8], timeout: TimeAmount = .seconds(60)) async throws -> RawResponse {
        let connection = try await connect(port: port)
        defer { connection.close() }
        return try await connection.exchange(request, timeout: timeout)
    }

    /// A request with `Connection: close` and a correct `Content-Length` (when there is a body).
    static func exchange(
        port: Int, method: String, target: String, headers: [String: String] = [:], body: [UInt8] = []
    ) async throws -> RawResponse {
        try await exchange(port: port, format(method: method, target: target, headers: headers, body: body))
    }

    static func format(method: String, target: String, headers: [String: String] = [:], body: [UInt8] = [], contentLength: Bool = true) -> [UInt8] {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        if contentLength && (!body.isEmpty || method == "POST") { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }

    /// An open connection, for tests that hold one or send in pieces.
    static func connect(port: Int) async throws -> RawConnection {
        let collector = ResponseCollector.Box()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(box: collector))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, box: collector)
    }
}

/// A client connection and the bytes received on it.
struct RawConnection: Sendable {
    let channel: any Channel
    let box: ResponseCollector.Box

    func write(_ bytes: [UInt8]) async {
        try? await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    func exchange(_ request: [UInt8], timeout: TimeAmount = .seconds(15)) async throws -> RawResponse {
        await write(request)
        return try await response(timeout: timeout)
    }

    /// Waits for one complete response, or for the server to close the connection.
    func response(timeout: TimeAmount = .seconds(15)) async throws -> RawResponse {
        let deadline = ContinuousClock.now + .nanoseconds(timeout.nanoseconds)
        while ContinuousClock.now < deadline {
            let (bytes, closed) = box.snapshot()
            if let response = RawResponse.parse(bytes, atEOF: closed) { return response }
            if closed { throw RawHTTPError.noResponse(received: bytes.count) }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw RawHTTPError.timedOut
    }

    /// Whether the server has closed the connection.
    var isClosed: Bool { box.snapshot().closed }

    func close() {
        channel.close(promise: nil)
    }
}

/// Accumulates everything the server sends.
final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    final class Box: @unchecked Sendable {
        private let lock = NSLock()
        private var bytes: [UInt8] = []
        private var closed = false

        func append(_ more: [UInt8]) { lock.withLock { bytes += more } }
        func close() { lock.withLock { closed = true } }
        func snapshot() -> (bytes: [UInt8], closed: Bool) { lock.withLock { (bytes, closed) } }
    }

    private let box: Box
    init(box: Box) { self.box = box }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        box.append(buffer.readBytes(length: buffer.readableBytes) ?? [])
    }

    func channelInactive(context: ChannelHandlerContext) {
        box.close()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Polls `condition` until it holds or `timeout` passes; for waiting on background work (the
/// retention sweep) without fixed sleeps.
func eventually(
    timeout: Duration = .seconds(10), _ condition: () async throws -> Bool, sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("condition not met within \(timeout)", sourceLocation: sourceLocation)
}
