internal import NIOCore
internal import Synchronization

/// A token bucket per client address (``ClientAddressKey``), on the monotonic clock.
///
/// Memory is bounded: at most `maxTrackedClients` buckets. When the map is full, buckets that
/// have refilled completely (indistinguishable from a client never seen) are dropped first, then
/// arbitrary ones, down to 90 % of the bound, so the scan is amortised.
final class RateLimiter: Sendable {
    enum Decision: Equatable {
        case allowed
        /// Refused; a token will be available after this many seconds (at least 1).
        case limited(retryAfterSeconds: Int)
    }

    private struct Bucket {
        var tokens: Double
        var updated: NIODeadline
    }

    private let tokensPerSecond: Double
    private let burst: Double
    private let maxTrackedClients: Int
    private let buckets = Mutex<[ClientAddressKey: Bucket]>([:])

    /// - Parameters:
    ///   - count: tokens added per `period`.
    ///   - burst: bucket capacity.
    init(count: Int, per period: TimeAmount, burst: Int, maxTrackedClients: Int = 100_000) {
        self.tokensPerSecond = Double(max(count, 1)) / (Double(period.nanoseconds) / 1e9)
        self.burst = Double(max(burst, 1))
        self.maxTrackedClients = max(maxTrackedClients, 16)
    }

    /// Takes one token for `client` if it has one.
    func take(_ client: ClientAddressKey, now: NIODeadline = .now()) -> Decision {
        buckets.withLock { buckets in
            var bucket = buckets[client] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = refilled(bucket, now: now)
            bucket.updated = now
            let decision: Decision
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                decision = .allowed
            } else {
                let seconds = ((1 - bucket.tokens) / tokensPerSecond).rounded(.up)
                decision = .limited(retryAfterSeconds: max(1, Int(min(seconds, 86_400))))
            }
            if buckets[client] == nil && buckets.count >= maxTrackedClients {
                prune(&buckets, now: now)
            }
            buckets[client] = bucket
            return decision
        }
    }

    /// How many clients are tracked (tests, metrics).
    var trackedClients: Int { buckets.withLock { $0.count } }

    private func refilled(_ bucket: Bucket, now: NIODeadline) -> Double {
        let elapsed = Double(max((now - bucket.updated).nanoseconds, 0)) / 1e9
        return min(burst, bucket.tokens + elapsed * tokensPerSecond)
    }

    private func prune(_ buckets: inout [ClientAddressKey: Bucket], now: NIODeadline) {
        buckets = buckets.filter { refilled($0.value, now: now) < burst }
        let target = maxTrackedClients * 9 / 10
        while buckets.count > target, let first = buckets.first {
            buckets.removeValue(forKey: first.key)
        }
    }
}
