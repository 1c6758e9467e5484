internal import Synchronization
internal import VigilStorage

/// Request counters and latency histograms for `GET /metrics` (Prometheus text format 0.0.4).
///
/// Labels are only fixed route names and status codes: no paths, mailbox IDs, keys or addresses.
final class RelayMetrics: Sendable {
    /// Histogram upper bounds in seconds. Long-polls land in the top buckets.
    static let bucketBounds: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    private struct Histogram {
        var counts = [Int](repeating: 0, count: RelayMetrics.bucketBounds.count)
        var sum = 0.0
        var count = 0
    }

    private struct StatusKey: Hashable {
        var route: Route
        var status: Int
    }

    private struct State {
        var requests: [StatusKey: Int] = [:]
        var durations: [Route: Histogram] = [:]
        var firedTimers = 0
        var deliveredTimerBlobs = 0
    }

    private let state = Mutex(State())

    /// Records one answered request.
    func record(route: Route, status: Int, seconds: Double) {
        state.withLock { state in
            state.requests[StatusKey(route: route, status: status), default: 0] += 1
            var histogram = state.durations[route] ?? Histogram()
            for (index, bound) in Self.bucketBounds.enumerated() where seconds <= bound {
                histogram.counts[index] += 1
            }
            histogram.sum += seconds
            histogram.count += 1
            state.durations[route] = histogram
        }
    }

    /// Records timers that fired and the blobs they delivered.
    func recordFired(timers: Int, blobs: Int) {
        guard timers > 0 || blobs > 0 else { return }
        state.withLock { state in
            state.firedTimers += timers
            state.deliveredTimerBlobs += blobs
        }
    }

    /// How many requests were answered on a route with a status (tests).
    func requestCount(route: Route, status: Int) -> Int {
        state.withLock { $0.requests[StatusKey(route: route, status: status)] ?? 0 }
    }

    /// The exposition text. `statistics` is nil when the store did not answer.
    func render(statistics: StoreStatistics?, openConnections: Int, longPolls: Int) -> String {
        let snapshot = state.withLock { $0 }
        var out = ""
        out += "# HELP vigil_relay_requests_total Requests answered, by route and HTTP status.\n"
        out += "# TYPE vigil_relay_requests_total counter\n"
        let keys = snapshot.requests.keys.sorted { ($0.route.rawValue, $0.status) < ($1.route.rawValue, $1.status) }
        for key in keys {
            out += "vigil_relay_requests_total{route=\"\(key.route.rawValue)\",status=\"\(key.status)\"} \(snapshot.requests[key]!)\n"
        }
        out += "# HELP vigil_relay_request_duration_seconds Time from request head to response, by route.\n"
        out += "# TYPE vigil_relay_request_duration_seconds histogram\n"
        for route in Route.allCases {
            guard let histogram = snapshot.durations[route] else { continue }
            let label = "route=\"\(route.rawValue)\""
            for (index, bound) in Self.bucketBounds.enumerated() {
                out += "vigil_relay_request_duration_seconds_bucket{\(label),le=\"\(format(bound))\"} \(histogram.counts[index])\n"
            }
            out += "vigil_relay_request_duration_seconds_bucket{\(label),le=\"+Inf\"} \(histogram.count)\n"
            out += "vigil_relay_request_duration_seconds_sum{\(label)} \(histogram.sum)\n"
            out += "vigil_relay_request_duration_seconds_count{\(label)} \(histogram.count)\n"
        }
        out += "# HELP vigil_relay_open_connections Client connections currently open.\n"
        out += "# TYPE vigil_relay_open_connections gauge\n"
        out += "vigil_relay_open_connections \(openConnections)\n"
        out += "# HELP vigil_relay_waiting_fetches Long-poll fetches currently waiting.\n"
        out += "# TYPE vigil_relay_waiting_fetches gauge\n"
        out += "vigil_relay_waiting_fetches \(longPolls)\n"
        out += "# HELP vigil_relay_timers_fired_total Dead man's switch timers that fired.\n"
        out += "# TYPE vigil_relay_timers_fired_total counter\n"
        out += "vigil_relay_timers_fired_total \(snapshot.firedTimers)\n"
        out += "# HELP vigil_relay_timer_blobs_delivered_total Blobs that fired timers delivered into mailboxes.\n"
        out += "# TYPE vigil_relay_timer_blobs_delivered_total counter\n"
        out += "vigil_relay_timer_blobs_delivered_total \(snapshot.deliveredTimerBlobs)\n"
        out += "# HELP vigil_relay_store_up Whether the database answered this scrape.\n"
        out += "# TYPE vigil_relay_store_up gauge\n"
        out += "vigil_relay_store_up \(statistics == nil ? 0 : 1)\n"
        if let statistics {
            out += "# HELP vigil_relay_mailboxes Mailboxes on the relay.\n"
            out += "# TYPE vigil_relay_mailboxes gauge\n"
            out += "vigil_relay_mailboxes \(statistics.mailboxes)\n"
            out += "# HELP vigil_relay_stored_blobs Blobs waiting to be fetched and acknowledged.\n"
            out += "# TYPE vigil_relay_stored_blobs gauge\n"
            out += "vigil_relay_stored_blobs \(statistics.blobs)\n"
            out += "# HELP vigil_relay_stored_bytes Total size of the stored blobs.\n"
            out += "# TYPE vigil_relay_stored_bytes gauge\n"
            out += "vigil_relay_stored_bytes \(statistics.bytes)\n"
            out += "# HELP vigil_relay_armed_timers Dead man's switch timers armed and not yet fired.\n"
            out += "# TYPE vigil_relay_armed_timers gauge\n"
            out += "vigil_relay_armed_timers \(statistics.timers)\n"
        }
        return out
    }

    private func format(_ bound: Double) -> String {
        bound == bound.rounded() ? String(Int(bound)) : String(bound)
    }
}
