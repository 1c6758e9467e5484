/// Percentiles of a set of latencies, in milliseconds (nearest rank).
struct LatencySummary: Sendable, Encodable {
    var p50: Double
    var p99: Double
    var p999: Double
    var max: Double
    var mean: Double

    /// Nil for no latencies.
    init?(nanoseconds latencies: [UInt64]) {
        guard !latencies.isEmpty else { return nil }
        let sorted = latencies.sorted()
        func rank(_ fraction: Double) -> Double {
            let index = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
            return Double(sorted[Swift.max(0, Swift.min(index, sorted.count - 1))]) / 1e6
        }
        p50 = rank(0.50)
        p99 = rank(0.99)
        p999 = rank(0.999)
        max = Double(sorted[sorted.count - 1]) / 1e6
        mean = Double(sorted.reduce(0, +)) / Double(sorted.count) / 1e6
    }

    /// "p50 1.23 ms  p99 4.56 ms  p99.9 7.89 ms  max 9.99 ms"
    var line: String {
        "p50 \(Self.format(p50)) ms  p99 \(Self.format(p99)) ms  p99.9 \(Self.format(p999)) ms  max \(Self.format(max)) ms"
    }

    static func format(_ milliseconds: Double) -> String {
        let hundredths = (milliseconds * 100).rounded()
        let whole = Int(hundredths) / 100
        let fraction = Int(hundredths) % 100
        return "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
