// vigil-relay-bench: closed-loop HTTP load on a running relay (or any HTTP server), with
// per-request latency. Build in release mode; Tools/relay-bench.sh runs it against the relay,
// Redis and nginx side by side.
import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

@main
struct RelayBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-relay-bench",
        abstract: "Load a running vigil-relay (or any HTTP server) and print throughput and latency percentiles.",
        discussion: """
            Each connection sends one request, waits for the whole response, and sends the next \
            (closed loop), for the warm-up and then the measured duration. Latency is measured \
            on the monotonic clock from writing a request to reading the end of its response. \
            Start the relay with raised rate limits and mailbox quotas (Tools/relay-bench.sh \
            shows the flags), or the figures measure refusals.
            """,
        subcommands: [Deposit.self, FetchAck.self, Post.self]
    )
}

/// Options every mode shares.
struct LoadOptions: ParsableArguments {
    @Option(help: "The server: http://HOST:PORT (the relay), or the full URL to POST to (post).")
    var url: String = "http://127.0.0.1:8080"

    @Option(help: "Keep-alive connections, each running one request at a time.")
    var connections: Int = 64

    @Option(help: "Seconds measured, after the warm-up.")
    var seconds: Double = 10

    @Option(help: "Seconds of load before measuring starts.")
    var warmup: Double = 2

    @Option(help: "Blob (request body) size in bytes. 4144 is a sealed envelope of the 4096 bucket (a 1 KiB body), 1072 one of the 1024 bucket.")
    var blobBytes: Int = 4144

    @Option(help: "Event-loop threads of the load generator (it shares the machine with the server).")
    var threads: Int = 1

    @Option(help: "A process of the server (repeat for several), to report its CPU use beside the generator's and the machine's.")
    var serverPid: [Int32] = []

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard BenchTarget(url) != nil else {
            throw ValidationError("--url must be an http:// URL such as http://127.0.0.1:8080")
        }
        guard (1...10_000).contains(connections) else { throw ValidationError("--connections must be 1 to 10000") }
        guard seconds.isFinite, seconds > 0, seconds <= 3600 else { throw ValidationError("--seconds must be above 0 and at most 3600") }
        guard warmup.isFinite, warmup >= 0, warmup <= 600 else { throw ValidationError("--warmup must be 0 to 600") }
        guard (BlobSource.minimumByteCount...(1 << 20)).contains(blobBytes) else {
            throw ValidationError("--blob-bytes must be 16 to 1048576")
        }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1 to 64") }
    }

    var target: BenchTarget { BenchTarget(url)! }

    /// What a blob of `blobBytes` stands for.
    var blobDescription: String {
        switch blobBytes {
        case 304: return "304-byte blobs (sealed envelopes of the 256 bucket: bodies up to 97 bytes)"
        case 1072: return "1072-byte blobs (sealed envelopes of the 1024 bucket: bodies of 98-865 bytes)"
        case 4144: return "4144-byte blobs (sealed envelopes of the 4096 bucket: bodies of 866-3937 bytes, e.g. 1 KiB)"
        case 16432: return "16432-byte blobs (sealed envelopes of the 16384 bucket, the largest)"
        default: return "\(blobBytes)-byte blobs"
        }
    }

    /// Runs the measured phase: warm-up, then the measured seconds, with CPU readings at the
    /// start of the window and at its end (or when the connections stopped, if earlier).
    func runMeasured(
        _ workloads: [any Workload], _ generator: LoadGenerator, _ channels: [any Channel]
    ) async throws -> (results: [ConnectionResult], schedule: PhaseSchedule, cpu: CPUUsage?) {
        let now = LoadConnection.now()
        let measureFrom = now + UInt64(warmup * 1e9)
        let schedule = PhaseSchedule(measureFrom: measureFrom, stopAt: measureFrom + UInt64(seconds * 1e9))
        let pids = serverPid
        let sampler = Task { () -> CPUUsage? in
            func sleep(until deadline: UInt64) async {
                let now = LoadConnection.now()
                if deadline > now { try? await Task.sleep(nanoseconds: deadline - now) }
            }
            await sleep(until: schedule.measureFrom)
            let start = CPUUsage.Reading.now(serverPIDs: pids)
            await sleep(until: schedule.stopAt)
            return CPUUsage(from: start, to: CPUUsage.Reading.now(serverPIDs: pids))
        }
        let results = try await generator.run(workloads, on: channels, schedule: schedule)
        if LoadConnection.now() < schedule.stopAt { sampler.cancel() }
        return (results, schedule, await sampler.value)
    }

    /// Runs `body` with an event-loop group and `connections` open connections, and closes
    /// both afterwards; prints the report.
    func withConnections(
        _ body: (LoadGenerator, [any Channel]) async throws -> LoadReport
    ) async throws {
        #if DEBUG
        progress("warning: this is a debug build, its figures mean nothing; build with -c release")
        #endif
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let generator = LoadGenerator(target: target, group: group)
        let report: LoadReport
        do {
            let channels = try await generator.connect(count: connections)
            do {
                report = try await body(generator, channels)
                await generator.close(channels)
            } catch {
                await generator.close(channels)
                throw error
            }
            try await group.shutdownGracefully()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        print(json ? try report.renderJSON() : report.render())
    }

    /// Creates `perConnection` mailboxes for each connection, each prefilled with `prefill` blobs.
    func setUpMailboxes(
        _ generator: LoadGenerator, _ channels: [any Channel], perConnection: Int, prefill: Int
    ) async throws -> [[Mailbox]] {
        let base = target.path
        let setups = channels.indices.map { index in
            MailboxSetupWorkload(
                base: base, count: perConnection, blobs: BlobSource(byteCount: blobBytes, stream: index), prefill: prefill)
        }
        let started = LoadConnection.now()
        // Generous, but bounded: a stuck relay ends the benchmark rather than hanging it.
        let schedule = PhaseSchedule(measureFrom: started, stopAt: started + 900 * 1_000_000_000)
        let results = try await generator.run(setups, on: channels, schedule: schedule)
        var mailboxes: [[Mailbox]] = []
        for result in results {
            guard let setup = result.workload as? MailboxSetupWorkload, setup.isComplete else {
                let reason = (result.workload as? MailboxSetupWorkload)?.failure ?? result.lost ?? "it did not finish in time"
                throw BenchFailure(
                    "setting up the mailboxes failed: \(reason). Are the relay's rate limits and quotas raised (see Tools/relay-bench.sh)?")
            }
            mailboxes.append(setup.mailboxes)
        }
        if prefill > 0 {
            let seconds = Double(LoadConnection.now() - started) / 1e9
            let total = prefill * perConnection * channels.count
            progress(
                "prefilled \(perConnection * channels.count) mailboxes with \(prefill) blobs each in \(LoadReport.decimal(seconds, 1)) s (\(LoadReport.decimal(Double(total) / seconds, 0)) deposits/s)")
        }
        return mailboxes
    }
}

func progress(_ line: String) {
    FileHandle.standardError.write(Data("… \(line)\n".utf8))
}

extension RelayBenchCommand {
    struct Deposit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deposits of distinct blobs into fresh mailboxes (POST /v1/mailboxes/ID/messages).")

        @OptionGroup var options: LoadOptions

        @Option(help: "Mailboxes each connection deposits into, in turn. Each deposit's cost may grow with the blobs pending in its mailbox; more mailboxes keep that number low.")
        var mailboxesPerConnection: Int = 1

        func validate() throws {
            guard (1...1000).contains(mailboxesPerConnection) else {
                throw ValidationError("--mailboxes-per-connection must be 1 to 1000")
            }
        }

        func run() async throws {
            try await options.withConnections { generator, channels in
                let mailboxes = try await options.setUpMailboxes(
                    generator, channels, perConnection: mailboxesPerConnection, prefill: 0)
                let workloads: [any Workload] = mailboxes.enumerated().map { index, mailboxes in
                    BlobPostWorkload.deposits(
                        base: options.target.path, mailboxes: mailboxes,
                        blobs: BlobSource(byteCount: options.blobBytes, stream: index))
                }
                let (results, schedule, cpu) = try await options.runMeasured(workloads, generator, channels)
                let spread = mailboxesPerConnection == 1
                    ? "one mailbox per connection" : "\(mailboxesPerConnection) mailboxes per connection"
                return LoadReport(
                    mode: "deposit", title: "relay deposit, \(options.blobDescription), \(spread)", target: options.target,
                    blobBytes: options.blobBytes, unitKind: .deposit, results: results, schedule: schedule, cpu: cpu)
            }
        }
    }

    struct FetchAck: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fetch-ack",
            abstract: "Owners fetching pending blobs (signed GET) and acknowledging them (signed POST).",
            discussion: """
                Each connection owns several mailboxes, prefilled first (not measured), and \
                takes them in turn: fetch up to --limit, acknowledge those, next mailbox, until \
                all are drained. Measuring stops when the first connection has drained all of \
                its mailboxes, so that every connection is busy throughout; prefill enough for the \
                warm-up and the measured seconds, or the window is shorter (it is reported).
                """)

        @OptionGroup var options: LoadOptions

        @Option(help: "Mailboxes each connection owns.")
        var mailboxesPerConnection: Int = 32

        @Option(help: "Blobs deposited into each mailbox before measuring.")
        var prefill: Int = 100

        @Option(help: "Most messages per fetch (1 to 100).")
        var limit: Int = 100

        func validate() throws {
            guard (1...1000).contains(mailboxesPerConnection) else {
                throw ValidationError("--mailboxes-per-connection must be 1 to 1000")
            }
            guard (1...1_000_000).contains(prefill) else { throw ValidationError("--prefill must be 1 to 1000000") }
            guard (1...100).contains(limit) else { throw ValidationError("--limit must be 1 to 100") }
        }

        func run() async throws {
            try await options.withConnections { generator, channels in
                let mailboxes = try await options.setUpMailboxes(
                    generator, channels, perConnection: mailboxesPerConnection, prefill: prefill)
                let workloads: [any Workload] = mailboxes.map { mailboxes in
                    FetchAckWorkload(mailboxes: mailboxes, base: options.target.path, limit: limit)
                }
                let (results, schedule, cpu) = try await options.runMeasured(workloads, generator, channels)
                var report = LoadReport(
                    mode: "fetch-ack",
                    title: "relay fetch+ack, \(options.blobDescription), up to \(limit) per fetch, \(mailboxesPerConnection) mailboxes of \(prefill) per connection",
                    target: options.target, blobBytes: options.blobBytes, unitKind: .ack, results: results,
                    schedule: schedule, cpu: cpu)
                if report.seconds + 0.05 < options.seconds {
                    report.notes.append(
                        "the first connection ran out of messages after \(LoadReport.decimal(report.seconds, 1)) of \(LoadReport.decimal(options.seconds, 1)) s measured; raise --prefill or --mailboxes-per-connection")
                }
                return report
            }
        }
    }

    struct Post: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The same POSTs of distinct blobs to any URL (e.g. nginx answering 204): the HTTP ceiling.")

        @OptionGroup var options: LoadOptions

        func run() async throws {
            try await options.withConnections { generator, channels in
                let target = options.target
                let workloads: [any Workload] = channels.indices.map { index in
                    BlobPostWorkload(
                        kind: .post, uris: [target.path.isEmpty ? "/" : target.path],
                        blobs: BlobSource(byteCount: options.blobBytes, stream: index), accepted: 200...299)
                }
                let (results, schedule, cpu) = try await options.runMeasured(workloads, generator, channels)
                return LoadReport(
                    mode: "post", title: "POST \(target), \(options.blobDescription)", target: target,
                    blobBytes: options.blobBytes, unitKind: .post, results: results, schedule: schedule, cpu: cpu)
            }
        }
    }
}
