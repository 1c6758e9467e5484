public import Foundation
public import Logging
internal import NIOCore
internal import NIOHTTP1
internal import NIOPosix
internal import Synchronization
public import VigilStorage

/// The Vigil mailbox relay: an HTTP/1.1 server (SwiftNIO) in front of a ``RelayStore``,
/// implementing Protocol/relay-api.md.
///
/// Security contract:
/// * Only opaque blobs are stored; the relay never parses them.
/// * Owner-signed requests are checked in the spec's order (headers, time window, mailbox and
///   signature with one answer for both, nonce); nonces live in memory for the window.
/// * Every refusal is a JSON error with the spec's code and stores nothing; limits on heads,
///   bodies, deadlines, connections and per-address rates are enforced before bodies are read
///   where possible.
/// * Logs carry route names, statuses and durations only: never addresses, mailbox IDs, keys,
///   nonces or blob contents. Rate limits keep addresses only as keyed digests.
public final class RelayServer: Sendable {
    private enum Phase {
        case idle
        case starting
        case running(channel: any Channel, sweep: Task<Void, Never>, timers: Task<Void, Never>, port: Int)
        case stopping
        case stopped
    }

    private let configuration: RelayConfiguration
    private let service: RelayService
    private let logger: Logger
    private let phase = Mutex(Phase.idle)
    private let boundPort = Atomic<Int>(0)

    /// - Parameters:
    ///   - configuration: addresses and limits.
    ///   - store: where mailboxes and blobs live; closed by ``shutdown()``.
    ///   - clock: Unix seconds, for authentication windows, `received_at`, retention and timer
    ///     deadlines.
    ///   - logger: receives startup, shutdown and (at debug) one line per request.
    public init(
        configuration: RelayConfiguration,
        store: any RelayStore,
        clock: @escaping @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970) },
        logger: Logger = Logger(label: "vigil.relay")
    ) {
        self.configuration = configuration
        self.logger = logger
        self.service = RelayService(configuration: configuration, store: store, clock: clock, logger: logger)
    }

    /// The port the relay listens on, once ``start()`` returned (useful with port 0); 0 before.
    public var localPort: Int { boundPort.load(ordering: .acquiring) }

    /// Binds `host:port` and starts serving, the retention sweep and the timer scheduler (which
    /// first fires every timer that fell due while the relay was not running).
    /// - Throws: ``RelayStartupError/cannotListen(host:port:reason:)`` when the address cannot be
    ///   bound (in use, not local, no permission), ``RelayStartupError/alreadyStarted``.
    public func start() async throws {
        try phase.withLock { phase throws(RelayStartupError) in
            guard case .idle = phase else { throw .alreadyStarted }
            phase = .starting
        }
        let service = self.service
        let configuration = self.configuration
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.configure(channel, service: service, configuration: configuration)
                }
            }

        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            phase.withLock { $0 = .idle }
            throw RelayStartupError.cannotListen(
                host: configuration.host, port: configuration.port, reason: Self.describe(error))
        }
        let port = channel.localAddress?.port ?? configuration.port
        boundPort.store(port, ordering: .releasing)

        let interval = max(configuration.sweepIntervalSeconds, 1)
        let sweep = Task {
            while !Task.isCancelled {
                await service.sweep()
                try? await Task.sleep(for: .seconds(interval))
            }
        }
        // Dead man's switch timers: at once (anything that fell due while the relay was down),
        // then every interval.
        let timerInterval = max(configuration.timerCheckInterval, .milliseconds(10))
        let timers = Task {
            while !Task.isCancelled {
                await service.fireDueTimers()
                try? await Task.sleep(for: timerInterval)
            }
        }
        phase.withLock { $0 = .running(channel: channel, sweep: sweep, timers: timers, port: port) }
        logger.info("relay started", metadata: ["port": "\(port)"])
    }

    /// Stops accepting connections, answers waiting long-polls at once (with what there is),
    /// lets requests in progress finish (bounded by the header and body deadlines), closes idle
    /// connections, then closes the store. Safe to call more than once (later calls return once
    /// the relay has stopped), or without ``start()`` (it then only closes the store).
    public func shutdown() async {
        enum Step {
            case closeStoreOnly
            case stop(channel: any Channel, sweep: Task<Void, Never>, timers: Task<Void, Never>)
            case wait
            case done
        }
        while true {
            let step = phase.withLock { phase -> Step in
                switch phase {
                case .idle:
                    phase = .stopping
                    return .closeStoreOnly
                case .running(let channel, let sweep, let timers, _):
                    phase = .stopping
                    return .stop(channel: channel, sweep: sweep, timers: timers)
                case .starting, .stopping:
                    // start() is binding, or another call is shutting down: wait for it.
                    return .wait
                case .stopped:
                    return .done
                }
            }
            switch step {
            case .closeStoreOnly:
                service.beginShutdown()
                await service.store.close()
                phase.withLock { $0 = .stopped }
                return
            case .stop(let channel, let sweep, let timers):
                await stop(channel: channel, sweep: sweep, timers: timers)
                return
            case .wait:
                try? await Task.sleep(for: .milliseconds(10))
            case .done:
                return
            }
        }
    }

    private func stop(channel: any Channel, sweep: Task<Void, Never>, timers: Task<Void, Never>) async {
        logger.info("relay shutting down")
        try? await channel.close()
        // First the flag (responses written from now on close their connection), then idle
        // connections are closed, then waiting fetches are answered.
        service.markShuttingDown()
        for connection in service.connections.beginShutdown() {
            connection.pipeline.fireUserInboundEventTriggered(RelayShutdownEvent())
        }
        service.beginShutdown()
        // Requests in progress finish within their deadlines; then whatever is left is closed.
        let drain = max(configuration.headerTimeoutSeconds, configuration.bodyTimeoutSeconds) + 5
        let deadline = ContinuousClock.now + .seconds(drain)
        while service.connections.count > 0 || service.inFlight.count > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for connection in service.connections.openChannels {
            connection.close(promise: nil)
        }
        while service.inFlight.count > 0 {
            try? await Task.sleep(for: .milliseconds(10))
        }
        sweep.cancel()
        timers.cancel()
        await sweep.value
        await timers.value
        await service.store.close()
        phase.withLock { $0 = .stopped }
        logger.info("relay stopped")
    }

    // MARK: - Pipeline

    private static func configure(
        _ channel: any Channel, service: RelayService, configuration: RelayConfiguration
    ) throws {
        let pipeline = channel.pipeline.syncOperations
        guard service.connections.admit(channel) else {
            try pipeline.addHandler(HTTPResponseEncoder())
            try pipeline.addHandler(OverCapacityHandler(metrics: service.metrics))
            return
        }
        channel.closeFuture.whenComplete { _ in
            service.connections.remove(channel)
        }
        let framer = try addHTTPHandlers(to: pipeline, configuration: configuration)
        try pipeline.addHandler(RelayConnectionHandler(framer: framer, service: service))
    }

    /// The HTTP/1 codec with ``RequestFramer`` in front of its decoder, as every connection gets
    /// it (``RequestParsingProbe`` parses through the same handlers). Returns the framer.
    static func addHTTPHandlers(
        to pipeline: ChannelPipeline.SynchronousOperations, configuration: RelayConfiguration
    ) throws -> RequestFramer {
        // The framer enforces the head limit exactly; the decoder's own limits are a backstop
        // (and bound the number of header fields).
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = configuration.maxHeaderBytes
        limits.maxHeaderListSize = configuration.maxHeaderBytes
        try pipeline.configureHTTPServerPipeline(
            position: .last,
            withPipeliningAssistance: false,
            withServerUpgrade: nil,
            withErrorHandling: false,
            withOutboundHeaderValidation: true,
            withEncoderConfiguration: HTTPResponseEncoder.Configuration(),
            withDecoderLimitConfiguration: limits)
        let framer = RequestFramer(maxHeadBytes: configuration.maxHeaderBytes)
        try pipeline.addHandler(framer, position: .first)
        return framer
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? IOError {
            switch error.errnoCode {
            case EADDRINUSE: return "the address is already in use (is another relay running?)"
            case EACCES: return "permission denied (ports below 1024 need privileges)"
            case EADDRNOTAVAIL: return "the address is not available on this machine"
            default: return String(cString: strerror(error.errnoCode))
            }
        }
        return "\(error)"
    }
}
