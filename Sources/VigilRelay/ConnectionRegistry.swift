internal import NIOCore
internal import Synchronization

/// The open client connections: the connection cap, and the list graceful shutdown walks.
final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var isShuttingDown = false
    }

    private let maxConnections: Int
    private let state = Mutex(State())

    init(maxConnections: Int) {
        self.maxConnections = max(maxConnections, 1)
    }

    /// Admits a new connection unless the relay is at its cap or shutting down.
    func admit(_ channel: any Channel) -> Bool {
        state.withLock { state in
            guard !state.isShuttingDown, state.channels.count < maxConnections else { return false }
            state.channels[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func remove(_ channel: any Channel) {
        _ = state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    var count: Int { state.withLock { $0.channels.count } }

    /// Refuses new connections from now on and returns the open ones.
    func beginShutdown() -> [any Channel] {
        state.withLock { state in
            state.isShuttingDown = true
            return Array(state.channels.values)
        }
    }

    var openChannels: [any Channel] { state.withLock { Array($0.channels.values) } }
}
