internal import Synchronization

/// Nonces of accepted signed requests, per owner key, remembered for as long as a request
/// carrying them could pass the time-window check (Protocol/relay-api.md, "Request
/// authentication"). In memory only: a restart forgets them, as the spec says.
///
/// Memory is bounded per key and overall. When a bound is reached after expired entries are
/// dropped, the request is refused rather than an unexpired nonce forgotten: forgetting one
/// would allow a replay.
final class NonceCache: Sendable {
    enum Decision: Equatable {
        case accepted
        case replayed
        /// Too many unexpired nonces; try again after this many seconds.
        case full(retryAfterSeconds: Int)
    }

    private struct State {
        /// owner key → nonce → the relay time after which the nonce can no longer pass the window.
        var entries: [[UInt8]: [String: UInt64]] = [:]
        var total = 0
        var lastFullPrune: UInt64 = 0
    }

    private let window: UInt64
    private let maxPerKey: Int
    private let maxTotal: Int
    private let state = Mutex(State())

    init(window: UInt64, maxPerKey: Int = 4096, maxTotal: Int = 200_000) {
        self.window = window
        self.maxPerKey = maxPerKey
        self.maxTotal = maxTotal
    }

    /// Records `nonce` for `key` unless it was seen within the window. `timestamp` is the
    /// request's (already checked to be within the window of `now`).
    func check(key: [UInt8], nonce: String, timestamp: UInt64, now: UInt64) -> Decision {
        state.withLock { state in
            if now >= state.lastFullPrune &+ window {
                prune(&state, now: now)
            }
            if let expiry = state.entries[key]?[nonce], expiry >= now {
                return .replayed
            }
            if state.entries[key, default: [:]].count >= maxPerKey {
                pruneKey(key, &state, now: now)
            }
            if state.total >= maxTotal {
                prune(&state, now: now)
            }
            let keyNonces = state.entries[key] ?? [:]
            if keyNonces.count >= maxPerKey {
                // Room for this key again when its oldest nonce expires.
                let soonest = keyNonces.values.min() ?? now
                return .full(retryAfterSeconds: Int(min(soonest - now + 1, window + 1)))
            }
            if state.total >= maxTotal {
                return .full(retryAfterSeconds: 1)
            }
            // A request stamped `timestamp` passes the window until `timestamp + window`.
            let expiry = timestamp &+ window
            if state.entries[key, default: [:]].updateValue(expiry, forKey: nonce) == nil {
                state.total += 1
            }
            return .accepted
        }
    }

    /// How many nonces are remembered (tests).
    var count: Int { state.withLock { $0.total } }

    private func pruneKey(_ key: [UInt8], _ state: inout State, now: UInt64) {
        guard let nonces = state.entries[key] else { return }
        let kept = nonces.filter { $0.value >= now }
        state.total -= nonces.count - kept.count
        state.entries[key] = kept.isEmpty ? nil : kept
    }

    private func prune(_ state: inout State, now: UInt64) {
        var total = 0
        var entries: [[UInt8]: [String: UInt64]] = [:]
        for (key, nonces) in state.entries {
            let kept = nonces.filter { $0.value >= now }
            if !kept.isEmpty {
                entries[key] = kept
                total += kept.count
            }
        }
        state.entries = entries
        state.total = total
        state.lastFullPrune = now
    }
}
