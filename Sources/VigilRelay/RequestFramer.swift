internal import NIOCore

/// What the framer tells the connection handler, as user inbound events.
enum FramerEvent: Sendable, Equatable {
    /// The first byte of a request arrived: the header deadline starts (after an idle spell).
    case headStarted
    /// The request line and headers exceed the limit: answer `431` and close.
    case headTooLarge
    /// A blank line ended a head but the decoder produced no request from it: answer `400`.
    case headNotDecoded
    /// The client closed its side and no complete request is left to answer.
    case inputEnded
}

/// Sits in front of NIO's HTTP/1 decoder and hands it one request at a time.
///
/// It does not parse HTTP. It counts the bytes of each request head up to the blank line that
/// ends it, so that the head limit covers the request line and headers exactly as sent (NIO's
/// decoder limits count only the URL, names and values, and llhttp skips whitespace uncounted),
/// and it holds the head back until it is complete. The connection handler, which sees the
/// decoded head, says how many body bytes follow (``expectBody(length:)``); those are passed
/// through, and anything after them — a pipelined next request — is held until the response to
/// this one is written (``requestFinished()``). While bytes are held, reading stops once a bound
/// is reached, so a client cannot make the relay buffer without limit.
final class RequestFramer: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// Where the blank line that ends a head may be. A bare LF ends a line too, as in the
    /// decoder, and empty lines before the request line are skipped (RFC 9112 §2.2).
    private enum Scan {
        case start
        case inLine
        case afterLF
        case afterLFCR
    }

    private enum State {
        /// Reading a head: `scanned` bytes of `pending` are part of it.
        case head(scanned: Int, scan: Scan)
        /// The head went to the decoder; the handler is deciding what follows.
        case awaitingHeadDecision
        case body(remaining: Int)
        /// A request is complete; its response is being produced.
        case held
        /// The connection is being closed: everything is dropped.
        case discarding
    }

    private let maxHeadBytes: Int
    private let holdLimit: Int
    private var state = State.head(scanned: 0, scan: .start)
    private var pending: ByteBuffer?
    private var context: ChannelHandlerContext?
    private var isProcessing = false
    private var inputClosed = false
    private var inputEndedSent = false
    private var readSuppressed = false

    init(maxHeadBytes: Int, holdLimit: Int = 64 << 10) {
        self.maxHeadBytes = maxHeadBytes
        self.holdLimit = holdLimit
    }

    // MARK: - Handler interface

    /// After the decoded head: `length` body bytes follow.
    func expectBody(length: Int) {
        guard case .awaitingHeadDecision = state else { return }
        state = length > 0 ? .body(remaining: length) : .held
    }

    /// The response to the current request was written and the connection stays open.
    func requestFinished() {
        guard case .held = state else { return }
        state = .head(scanned: 0, scan: .start)
        process()
    }

    /// The connection is closing: drop everything from now on.
    func discard() {
        state = .discarding
        pending = nil
        process()
    }

    // MARK: - ChannelHandler

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = Self.unwrapInboundIn(data)
        if case .discarding = state { return }
        if pending == nil || pending!.readableBytes == 0 {
            pending = buffer
        } else {
            pending!.discardReadBytes()
            pending!.writeBuffer(&buffer)
        }
        process()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // Not passed on: the decoder must not see a partial request as complete.
            inputClosed = true
            process()
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func read(context: ChannelHandlerContext) {
        if case .held = state, (pending?.readableBytes ?? 0) >= holdLimit {
            readSuppressed = true
            return
        }
        context.read()
    }

    // MARK: - Framing

    private func process() {
        guard !isProcessing, let context else { return }
        isProcessing = true
        defer { isProcessing = false }

        loop: while true {
            switch state {
            case .head(let scanned, let scan):
                guard var buffer = pending, buffer.readableBytes > scanned else { break loop }
                if scanned == 0 {
                    context.fireUserInboundEventTriggered(FramerEvent.headStarted)
                    guard case .head = state else { continue loop }
                }
                var scan = scan
                var headLength: Int?
                let available = buffer.readableBytes
                let limit = min(available, maxHeadBytes + 1)
                buffer.withUnsafeReadableBytes { bytes in
                    var index = scanned
                    while index < limit {
                        let byte = bytes[index]
                        switch (scan, byte) {
                        case (.start, 0x0D), (.start, 0x0A): break
                        case (.start, _): scan = .inLine
                        case (.inLine, 0x0A): scan = .afterLF
                        case (.inLine, _): break
                        case (.afterLF, 0x0D): scan = .afterLFCR
                        case (.afterLF, 0x0A), (.afterLFCR, 0x0A):
                            headLength = index + 1
                            return
                        case (.afterLF, _), (.afterLFCR, _): scan = .inLine
                        }
                        index += 1
                    }
                }
                if let headLength, headLength <= maxHeadBytes {
                    let head = buffer.readSlice(length: headLength)!
                    pending = buffer
                    state = .awaitingHeadDecision
                    context.fireChannelRead(Self.wrapInboundOut(head))
                    if case .awaitingHeadDecision = state {
                        state = .discarding
                        pending = nil
                        context.fireUserInboundEventTriggered(FramerEvent.headNotDecoded)
                    }
                } else if limit > maxHeadBytes {
                    state = .discarding
                    pending = nil
                    context.fireUserInboundEventTriggered(FramerEvent.headTooLarge)
                } else {
                    state = .head(scanned: limit, scan: scan)
                    break loop
                }

            case .body(let remaining):
                guard var buffer = pending, buffer.readableBytes > 0 else { break loop }
                let count = min(remaining, buffer.readableBytes)
                let slice = buffer.readSlice(length: count)!
                pending = buffer
                state = count == remaining ? .held : .body(remaining: remaining - count)
                context.fireChannelRead(Self.wrapInboundOut(slice))

            case .awaitingHeadDecision, .held:
                break loop

            case .discarding:
                pending = nil
                break loop
            }
        }

        switch state {
        case .head, .body, .discarding:
            // Everything that arrived was used; if no more can come, say so once.
            if inputClosed && !inputEndedSent {
                inputEndedSent = true
                context.fireUserInboundEventTriggered(FramerEvent.inputEnded)
            }
            if readSuppressed {
                readSuppressed = false
                context.read()
            }
        case .awaitingHeadDecision, .held:
            break
        }
    }
}
