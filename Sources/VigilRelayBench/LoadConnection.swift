import NIOCore
import NIOHTTP1

/// Starts a phase on a connection: sent down the pipeline as a user event.
struct StartPhase: Sendable {
    var workload: any Workload
    var schedule: PhaseSchedule
    var promise: EventLoopPromise<ConnectionResult>
}

/// One keep-alive HTTP/1.1 connection running a workload in a closed loop: send a request,
/// read the whole response, record its latency, send the next, until the schedule's stop time
/// or until the workload has nothing more to send.
final class LoadConnection: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private struct Phase {
        var workload: any Workload
        let schedule: PhaseSchedule
        let promise: EventLoopPromise<ConnectionResult>
        var result: ConnectionResult
    }

    private struct InFlight {
        var kind: RequestKind
        var sent: UInt64
        var status = 0
    }

    private let hostHeader: String
    private var phase: Phase?
    private var inFlight: InFlight?
    private var responseBody: ByteBuffer

    init(hostHeader: String, allocator: ByteBufferAllocator) {
        self.hostHeader = hostHeader
        self.responseBody = allocator.buffer(capacity: 4096)
    }

    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let start = event as? StartPhase else {
            return context.fireUserInboundEventTriggered(event)
        }
        precondition(phase == nil, "a phase is already running on this connection")
        var result = ConnectionResult(workload: start.workload)
        result.samples.reserveCapacity(16_384)
        phase = Phase(workload: start.workload, schedule: start.schedule, promise: start.promise, result: result)
        sendNext(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            inFlight?.status = Int(head.status.code)
            responseBody.clear()
        case .body(var buffer):
            responseBody.writeBuffer(&buffer)
        case .end:
            responseEnded(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(lost: "the server closed the connection")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(lost: "connection error: \(error)")
        context.close(promise: nil)
    }

    private func responseEnded(context: ChannelHandlerContext) {
        guard var phase, let request = inFlight else { return }
        inFlight = nil
        let completed = Self.now()
        let outcome = phase.workload.received(status: request.status, body: responseBody)
        var sample = Sample(sent: request.sent, completed: completed, kind: request.kind, failed: false, units: 0)
        switch outcome {
        case .completed(let units):
            sample.units = Int32(clamping: units)
        case .failed(let description):
            sample.failed = true
            phase.result.failures[description, default: 0] += 1
        }
        phase.result.samples.append(sample)
        self.phase = phase
        if completed >= phase.schedule.stopAt {
            finish(lost: nil)
        } else {
            sendNext(context: context)
        }
    }

    private func sendNext(context: ChannelHandlerContext) {
        guard var phase else { return }
        guard let request = phase.workload.nextRequest() else {
            self.phase = phase
            self.phase?.result.exhaustedAt = Self.now()
            return finish(lost: nil)
        }
        self.phase = phase

        var headers = request.headers
        headers.add(name: "Host", value: hostHeader)
        if request.method != .GET || !request.body.isEmpty {
            headers.add(name: "Content-Length", value: String(request.body.count))
        }
        let head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.uri, headers: headers)
        inFlight = InFlight(kind: request.kind, sent: Self.now())
        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        if !request.body.isEmpty {
            let body = context.channel.allocator.buffer(bytes: request.body)
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func finish(lost: String?) {
        guard var phase else { return }
        self.phase = nil
        inFlight = nil
        phase.result.lost = lost
        phase.result.workload = phase.workload
        phase.promise.succeed(phase.result)
    }
}
