import Foundation

/// CPU time over the measurement window, from /proc (Linux): the whole machine, this load
/// generator, the server's processes if given, and kernel threads (journal commits and
/// writeback after fsync land there, not in the server). Because the benchmark shares the
/// machine with the server, a run is only comparable with another when `others` (other
/// programs) stays near zero.
struct CPUUsage: Sendable, Encodable {
    /// Busy CPUs on average (1.0 = one CPU fully busy), of `cpus`.
    var machine: Double
    var cpus: Int
    var generator: Double
    /// Nil when no server process was given.
    var server: Double?
    /// Kernel threads (children of kthreadd).
    var kernel: Double
    /// Whatever else was busy: other programs (nil when no server process was given).
    var others: Double?

    /// A point-in-time reading of the counters.
    struct Reading: Sendable {
        var time: UInt64
        var machineBusyTicks: UInt64
        var generatorTicks: UInt64
        var serverTicks: UInt64?
        var kernelTicks: UInt64

        /// Nil where /proc is not available.
        static func now(serverPIDs: [Int32]) -> Reading? {
            guard let machine = CPUUsage.machineBusyTicks(), let generator = CPUUsage.processTicks("self") else { return nil }
            let server: UInt64? = serverPIDs.isEmpty
                ? nil : serverPIDs.reduce(UInt64(0)) { $0 + (CPUUsage.processTicks(String($1)) ?? 0) }
            return Reading(
                time: LoadConnection.now(), machineBusyTicks: machine, generatorTicks: generator, serverTicks: server,
                kernelTicks: CPUUsage.kernelThreadTicks())
        }
    }

    init?(from start: Reading?, to end: Reading?) {
        guard let start, let end, end.time > start.time else { return nil }
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        let seconds = Double(end.time - start.time) / 1e9
        func cpus(_ ticks: UInt64, _ before: UInt64) -> Double { Double(ticks &- before) / ticksPerSecond / seconds }
        machine = cpus(end.machineBusyTicks, start.machineBusyTicks)
        self.cpus = ProcessInfo.processInfo.activeProcessorCount
        generator = cpus(end.generatorTicks, start.generatorTicks)
        kernel = Swift.max(0, cpus(end.kernelTicks, start.kernelTicks))
        if let before = start.serverTicks, let after = end.serverTicks {
            let server = cpus(after, before)
            self.server = server
            others = Swift.max(0, machine - generator - server - kernel)
        }
    }

    /// "machine 1.95 of 2 CPUs busy: server 0.95, generator 0.60, kernel threads 0.10, other programs 0.30"
    var line: String {
        var text = "machine \(LoadReport.decimal(machine, 2)) of \(cpus) CPUs busy: "
        if let server { text += "server \(LoadReport.decimal(server, 2)), " }
        text += "generator \(LoadReport.decimal(generator, 2)), kernel threads \(LoadReport.decimal(kernel, 2))"
        if let others { text += ", other programs \(LoadReport.decimal(others, 2))" }
        return text
    }

    /// user + nice + system + irq + softirq + steal of the "cpu" line of /proc/stat.
    private static func machineBusyTicks() -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard fields.count >= 8 else { return nil }
        return fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
    }

    /// utime + stime of a process, all its threads (fields 14 and 15 of /proc/PID/stat).
    private static func processTicks(_ pid: String) -> UInt64? {
        statFields(pid).flatMap { fields in
            guard let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
            return user + system
        }
    }

    /// utime + stime of kthreadd (PID 2) and its children, the kernel threads.
    private static func kernelThreadTicks() -> UInt64 {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { $0.allSatisfy(\.isNumber) } ?? []
        return pids.reduce(0) { total, pid in
            guard let fields = statFields(pid), pid == "2" || fields[1] == "2",
                let user = UInt64(fields[11]), let system = UInt64(fields[12])
            else { return total }
            return total + user + system
        }
    }

    /// The fields of /proc/PID/stat after the command name (which may contain spaces), so
    /// that index 0 is field 3 (state) and index 1 field 4 (parent PID); nil if unreadable.
    private static func statFields(_ pid: String) -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 13 ? fields : nil
    }
}
