import Foundation

/// The figures of one measured phase, in the measurement window only.
struct LoadReport: Sendable, Encodable {
    struct KindFigures: Sendable, Encodable {
        var kind: String
        var requests: Int
        var requestsPerSecond: Double
        var latencyMs: LatencySummary?
    }

    var mode: String
    var title: String
    var target: String
    var connections: Int
    var blobBytes: Int
    /// Length of the measurement window: the requested duration, or less when a workload ran
    /// out first (fetch-ack stops measuring when the first mailbox is drained).
    var seconds: Double
    var requests: Int
    var requestsPerSecond: Double
    /// Deposits stored, POSTs answered, or messages fetched and acknowledged, per second.
    var messagesPerSecond: Double
    /// Latency of every successful request in the window.
    var latencyMs: LatencySummary?
    var kinds: [KindFigures]
    /// Failed requests in the window.
    var errors: Int
    /// Failures by kind over the whole phase, warm-up included.
    var failureCounts: [String: Int]
    var lostConnections: Int
    /// CPU use over the measurement window (from its start to the stop time).
    var cpu: CPUUsage?
    var notes: [String]

    /// Summarises a phase that sent from the start of warm-up until `stopAt`.
    ///
    /// The window runs from `measureFrom` to `stopAt`, or to the moment the first connection
    /// ran out of work if that is earlier, so that all connections are busy throughout it. A
    /// request counts when it was sent and answered inside the window.
    init(
        mode: String, title: String, target: BenchTarget, blobBytes: Int, unitKind: RequestKind?,
        results: [ConnectionResult], schedule: PhaseSchedule, cpu: CPUUsage?
    ) {
        let windowEnd = results.compactMap(\.exhaustedAt).min().map { Swift.min($0, schedule.stopAt) } ?? schedule.stopAt
        let start = schedule.measureFrom
        let seconds = Double(windowEnd > start ? windowEnd - start : 0) / 1e9
        let inWindow = results.flatMap(\.samples).filter { $0.sent >= start && $0.completed <= windowEnd }
        let succeeded = inWindow.filter { !$0.failed }
        func perSecond(_ count: Int) -> Double { seconds > 0 ? Double(count) / seconds : 0 }

        self.mode = mode
        self.title = title
        self.target = target.description
        self.connections = results.count
        self.blobBytes = blobBytes
        self.seconds = seconds
        requests = succeeded.count
        requestsPerSecond = perSecond(succeeded.count)
        let units = succeeded.filter { unitKind == nil || $0.kind == unitKind }.reduce(0) { $0 + Int($1.units) }
        messagesPerSecond = perSecond(units)
        latencyMs = LatencySummary(nanoseconds: succeeded.map(\.latency))
        let kindsPresent = RequestKind.allCases.filter { kind in succeeded.contains { $0.kind == kind } }
        kinds = kindsPresent.count < 2 ? [] : kindsPresent.map { kind in
            let ofKind = succeeded.filter { $0.kind == kind }
            return KindFigures(
                kind: kind.name, requests: ofKind.count, requestsPerSecond: perSecond(ofKind.count),
                latencyMs: LatencySummary(nanoseconds: ofKind.map(\.latency)))
        }
        errors = inWindow.count - succeeded.count
        failureCounts = results.reduce(into: [:]) { counts, result in
            counts.merge(result.failures, uniquingKeysWith: +)
        }
        lostConnections = results.filter { $0.lost != nil }.count
        self.cpu = cpu
        var notes: [String] = []
        if let firstLost = results.compactMap(\.lost).first {
            notes.append("\(lostConnections) connection(s) ended early: \(firstLost)")
        }
        self.notes = notes
    }

    /// Human-readable lines.
    func render() -> String {
        var lines = [title, "  target       \(target), \(connections) connections, \(Self.decimal(seconds, 1)) s measured"]
        lines.append("  requests/s   \(Self.decimal(requestsPerSecond, 0))  (\(requests) requests)")
        if mode == "fetch-ack" {
            lines.append("  messages/s   \(Self.decimal(messagesPerSecond, 0))  (fetched and acknowledged)")
        }
        if let latencyMs { lines.append("  latency      \(latencyMs.line)") }
        for kind in kinds {
            let padded = kind.kind.padding(toLength: 7, withPad: " ", startingAt: 0)
            lines.append("    \(padded)    \(Self.decimal(kind.requestsPerSecond, 0))/s  \(kind.latencyMs?.line ?? "")")
        }
        lines.append("  errors       \(errors)" + (lostConnections > 0 ? ", \(lostConnections) connections lost" : ""))
        for (failure, count) in failureCounts.sorted(by: { $0.key < $1.key }) {
            lines.append("    \(failure): \(count)")
        }
        if let cpu { lines.append("  cpu          \(cpu.line)") }
        lines += notes.map { "  note: \($0)" }
        return lines.joined(separator: "\n")
    }

    /// One JSON object, snake_case keys, for scripts.
    func renderJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    static func decimal(_ value: Double, _ places: Int) -> String {
        String(format: "%.\(places)f", value)
    }
}
