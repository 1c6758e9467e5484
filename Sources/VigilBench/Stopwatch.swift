/// Runs an operation repeatedly for a while and reports its rate, on the monotonic clock.
enum Stopwatch {
    /// Operations per second of `operation`, run back to back for at least `duration`.
    ///
    /// The clock is read after every call; at about 50 ns per read against operations of about
    /// 100 µs, that costs both sides the same 0.05 %.
    static func rate(for duration: Duration, _ operation: () -> Int) -> Double {
        let clock = ContinuousClock()
        var sink = 0
        var count = 0
        let start = clock.now
        var elapsed = Duration.zero
        repeat {
            sink &+= operation()
            count += 1
            elapsed = start.duration(to: clock.now)
        } while elapsed < duration
        consume(sink)
        return Double(count) / elapsed.inSeconds
    }

    /// Keeps a result alive so that the optimiser cannot drop the work that produced it.
    @inline(never) @_optimize(none)
    static func consume(_ value: Int) {}
}

extension Duration {
    var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    init(seconds: Double) {
        self = .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}

/// Median of a non-empty list (mean of the middle two for an even count).
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
