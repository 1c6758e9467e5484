import NIOCore
import NIOHTTP1
import NIOPosix

/// Opens the connections and runs phases of workloads on them, one workload per connection.
struct LoadGenerator {
    let target: BenchTarget
    let group: MultiThreadedEventLoopGroup

    /// Opens `count` keep-alive connections (TCP_NODELAY), each with the HTTP/1.1 client
    /// pipeline and a ``LoadConnection``.
    func connect(count: Int) async throws -> [any Channel] {
        let hostHeader = target.hostHeader
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        LoadConnection(hostHeader: hostHeader, allocator: channel.allocator))
                }
            }
        var channels: [any Channel] = []
        do {
            for _ in 0..<count {
                channels.append(try await bootstrap.connect(host: target.host, port: target.port).get())
            }
        } catch {
            await close(channels)
            throw BenchFailure("cannot connect to \(target): \(error); is the server running?")
        }
        return channels
    }

    /// Runs `workloads[i]` on `channels[i]`, all at once; each stops at `stopAt` or when its
    /// workload runs out. Returns when every connection has stopped.
    func run(_ workloads: [any Workload], on channels: [any Channel], schedule: PhaseSchedule) async throws -> [ConnectionResult] {
        precondition(workloads.count == channels.count, "one workload per connection")
        var futures: [EventLoopFuture<ConnectionResult>] = []
        for (channel, workload) in zip(channels, workloads) {
            let promise = channel.eventLoop.makePromise(of: ConnectionResult.self)
            let start = StartPhase(workload: workload, schedule: schedule, promise: promise)
            // On the channel's loop, where it is closed, so that a start never falls into a
            // pipeline that is already gone and leaves its promise pending.
            channel.eventLoop.execute {
                if channel.isActive {
                    channel.pipeline.fireUserInboundEventTriggered(start)
                } else {
                    promise.succeed(ConnectionResult(lost: "the server closed the connection", workload: workload))
                }
            }
            futures.append(promise.futureResult)
        }
        var results: [ConnectionResult] = []
        for future in futures {
            results.append(try await future.get())
        }
        return results
    }

    func close(_ channels: [any Channel]) async {
        for channel in channels {
            try? await channel.close()
        }
    }
}

/// A benchmark that cannot go on; `message` says why and what to do.
struct BenchFailure: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
