// vigil-relay: parses options, opens the data directory and runs the relay until SIGINT/SIGTERM.
// Everything else lives in the VigilRelay library.
import ArgumentParser
import Dispatch
import Foundation
import Logging
import VigilRelay

struct VigilRelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-relay",
        abstract: "The Vigil mailbox relay: stores sealed messages until their owner fetches them.",
        discussion: """
            The relay only ever sees ciphertext. Run it behind a TLS terminator or a Tor onion \
            service; by default it listens on 127.0.0.1 only.
            """,
        subcommands: [Serve.self]
    )
}

extension VigilRelayCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the relay until SIGINT or SIGTERM.",
            discussion: """
                Every option can also be set in the environment as VIGIL_RELAY_<OPTION> \
                (for example VIGIL_RELAY_DATA_DIR, VIGIL_RELAY_HOST, VIGIL_RELAY_PORT); \
                an option given on the command line wins. Once listening, the relay prints \
                one line, "vigil-relay listening on http://HOST:PORT". SIGINT or SIGTERM stops \
                it gracefully (exit 0); a second signal stops it at once. /metrics answers \
                404 unless --metrics-token-file or --public-metrics is given: its counters \
                show when the relay is busy and when dead man's switch timers fire.
                """
        )

        @Option(help: "Directory for the database (created with mode 0700). [VIGIL_RELAY_DATA_DIR]")
        var dataDir: String?

        @Option(help: "Address to listen on. Default 127.0.0.1. [VIGIL_RELAY_HOST]")
        var host: String?

        @Option(help: "Port to listen on; 0 picks a free one. Default 8080. [VIGIL_RELAY_PORT]")
        var port: Int?

        @Option(help: "Days an unacknowledged message is kept. Default 14. [VIGIL_RELAY_RETENTION_DAYS]")
        var retentionDays: Int?

        @Option(help: "Largest message in bytes. Default 16432. [VIGIL_RELAY_MAX_BLOB_BYTES]")
        var maxBlobBytes: Int?

        @Option(help: "Most messages one mailbox holds. Default 1000. [VIGIL_RELAY_MAILBOX_MAX_BLOBS]")
        var mailboxMaxBlobs: Int?

        @Option(help: "Most bytes one mailbox holds. Default 16777216. [VIGIL_RELAY_MAILBOX_MAX_BYTES]")
        var mailboxMaxBytes: Int?

        @Option(help: "Deposits per minute per client address. Default 600. [VIGIL_RELAY_DEPOSITS_PER_MINUTE]")
        var depositsPerMinute: Int?

        @Option(help: "Deposit burst per client address. Default 60. [VIGIL_RELAY_DEPOSIT_BURST]")
        var depositBurst: Int?

        @Option(help: "Mailbox creations per hour per client address. Default 10. [VIGIL_RELAY_CREATIONS_PER_HOUR]")
        var creationsPerHour: Int?

        @Option(help: "Mailbox creation burst per client address. Default 10. [VIGIL_RELAY_CREATION_BURST]")
        var creationBurst: Int?

        @Option(help: "Most simultaneous connections. Default 1024. [VIGIL_RELAY_MAX_CONNECTIONS]")
        var maxConnections: Int?

        @Option(help: "Seconds a client has to send request headers. Default 10. [VIGIL_RELAY_HEADER_TIMEOUT]")
        var headerTimeout: Int?

        @Option(help: "Seconds a client has to send a request body. Default 30. [VIGIL_RELAY_BODY_TIMEOUT]")
        var bodyTimeout: Int?

        @Option(help: "Seconds an idle connection stays open. Default 75. [VIGIL_RELAY_IDLE_TIMEOUT]")
        var idleTimeout: Int?

        @Option(help: "Most dead man's switch timers armed at once. Default 100000. [VIGIL_RELAY_MAX_TIMERS]")
        var maxTimers: Int?

        @Option(help: "Timers armed per hour per client address (also the burst). Default 20. [VIGIL_RELAY_TIMERS_PER_HOUR]")
        var timersPerHour: Int?

        @Option(help: "Days ahead a timer's deadline may be. Default 31. [VIGIL_RELAY_MAX_TIMER_DAYS]")
        var maxTimerDays: Int?

        @Option(help: "Most messages in one timer. Default 64. [VIGIL_RELAY_MAX_TIMER_BLOBS]")
        var maxTimerBlobs: Int?

        @Option(help: "trace, debug, info, notice, warning, error or critical. Default info. [VIGIL_RELAY_LOG_LEVEL]")
        var logLevel: String?

        @Option(help: ArgumentHelp(
            "Serve /metrics to requests with 'Authorization: Bearer TOKEN', TOKEN being this file's one line (32 characters or more). [VIGIL_RELAY_METRICS_TOKEN_FILE]",
            valueName: "FILE"))
        var metricsTokenFile: String?

        @Flag(help: "Serve /metrics to anyone who can reach the relay. [VIGIL_RELAY_PUBLIC_METRICS=1]")
        var publicMetrics = false

        func validate() throws {
            _ = try settings()
        }

        func run() async throws {
            let (configuration, level) = try settings()
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let logger = Logger(label: "vigil.relay")

            // Signals are handled by dispatch sources, not by the default (terminating) handler.
            let (signals, signalContinuation) = AsyncStream<Int32>.makeStream()
            let signalQueue = DispatchQueue(label: "vigil-relay.signals")
            let sources = [SIGINT, SIGTERM].map { number in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: signalQueue)
                source.setEventHandler { signalContinuation.yield(number) }
                source.resume()
                return source
            }
            defer { sources.forEach { $0.cancel() } }

            let server: RelayServer
            do {
                let directory = try RelayDataDirectory.prepare(configuration.dataDirectory)
                if directory.isAccessibleToOthers {
                    logger.warning("the data directory is accessible to other users: chmod 700 it")
                }
                if let tokenFile = metricsTokenFile ?? ProcessInfo.processInfo.environment["VIGIL_RELAY_METRICS_TOKEN_FILE"],
                    let mode = (try? FileManager.default.attributesOfItem(atPath: tokenFile))?[.posixPermissions] as? NSNumber,
                    mode.intValue & 0o077 != 0
                {
                    logger.warning("the metrics token file is readable by other users: chmod 600 it")
                }
                server = RelayServer(configuration: configuration, store: try directory.openStore(logger: logger), logger: logger)
            } catch {
                Self.fail("\(error)")
            }

            do {
                try await server.start()
            } catch {
                await server.shutdown()
                Self.fail("\(error)")
            }
            let shownHost = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
            FileHandle.standardOutput.write(Data("vigil-relay listening on http://\(shownHost):\(server.localPort)\n".utf8))

            var iterator = signals.makeAsyncIterator()
            _ = await iterator.next()
            // A second signal while shutting down stops at once.
            let forceExit = Task {
                if await iterator.next() != nil {
                    FileHandle.standardError.write(Data("vigil-relay: stopped without finishing requests\n".utf8))
                    Foundation.exit(1)
                }
            }
            await server.shutdown()
            forceExit.cancel()
        }

        /// The relay configuration from options, then environment, then defaults.
        private func settings() throws -> (RelayConfiguration, Logger.Level) {
            let environment = ProcessInfo.processInfo.environment
            func integer(_ flag: Int?, _ variable: String, option: String, _ range: ClosedRange<Int>) throws -> Int? {
                let value: Int
                let source: String
                if let flag {
                    value = flag
                    source = "--\(option)"
                } else if let text = environment[variable] {
                    guard let parsed = Int(text.trimmingCharacters(in: .whitespaces)) else {
                        throw ValidationError("\(variable) must be a whole number")
                    }
                    value = parsed
                    source = variable
                } else {
                    return nil
                }
                guard range.contains(value) else {
                    throw ValidationError("\(source) must be between \(range.lowerBound) and \(range.upperBound)")
                }
                return value
            }

            guard let dataDirectory = dataDir ?? environment["VIGIL_RELAY_DATA_DIR"], !dataDirectory.isEmpty else {
                throw ValidationError("give the data directory with --data-dir DIR or VIGIL_RELAY_DATA_DIR")
            }
            var configuration = RelayConfiguration(dataDirectory: dataDirectory)
            if let host = host ?? environment["VIGIL_RELAY_HOST"] {
                guard !host.isEmpty else { throw ValidationError("--host must not be empty") }
                configuration.host = host
            }
            if let value = try integer(port, "VIGIL_RELAY_PORT", option: "port", 0...65535) {
                configuration.port = value
            }
            if let value = try integer(retentionDays, "VIGIL_RELAY_RETENTION_DAYS", option: "retention-days", 1...3650) {
                configuration.retentionSeconds = UInt64(value) * 86_400
            }
            if let value = try integer(maxBlobBytes, "VIGIL_RELAY_MAX_BLOB_BYTES", option: "max-blob-bytes", 1...(1 << 20)) {
                configuration.maxBlobBytes = value
            }
            if let value = try integer(mailboxMaxBlobs, "VIGIL_RELAY_MAILBOX_MAX_BLOBS", option: "mailbox-max-blobs", 1...1_000_000) {
                configuration.mailboxMaxBlobs = value
            }
            if let value = try integer(mailboxMaxBytes, "VIGIL_RELAY_MAILBOX_MAX_BYTES", option: "mailbox-max-bytes", 1...(1 << 40)) {
                configuration.mailboxMaxBytes = value
            }
            if let value = try integer(depositsPerMinute, "VIGIL_RELAY_DEPOSITS_PER_MINUTE", option: "deposits-per-minute", 1...100_000_000) {
                configuration.depositsPerMinute = value
            }
            if let value = try integer(depositBurst, "VIGIL_RELAY_DEPOSIT_BURST", option: "deposit-burst", 1...100_000_000) {
                configuration.depositBurst = value
            }
            if let value = try integer(creationsPerHour, "VIGIL_RELAY_CREATIONS_PER_HOUR", option: "creations-per-hour", 1...100_000_000) {
                configuration.mailboxCreationsPerHour = value
            }
            if let value = try integer(creationBurst, "VIGIL_RELAY_CREATION_BURST", option: "creation-burst", 1...100_000_000) {
                configuration.mailboxCreationBurst = value
            }
            if let value = try integer(maxConnections, "VIGIL_RELAY_MAX_CONNECTIONS", option: "max-connections", 1...1_000_000) {
                configuration.maxConnections = value
            }
            if let value = try integer(headerTimeout, "VIGIL_RELAY_HEADER_TIMEOUT", option: "header-timeout", 1...3600) {
                configuration.headerTimeoutSeconds = Int64(value)
            }
            if let value = try integer(bodyTimeout, "VIGIL_RELAY_BODY_TIMEOUT", option: "body-timeout", 1...3600) {
                configuration.bodyTimeoutSeconds = Int64(value)
            }
            if let value = try integer(idleTimeout, "VIGIL_RELAY_IDLE_TIMEOUT", option: "idle-timeout", 1...3600) {
                configuration.idleTimeoutSeconds = Int64(value)
            }
            if let value = try integer(maxTimers, "VIGIL_RELAY_MAX_TIMERS", option: "max-timers", 0...100_000_000) {
                configuration.maxTimers = value
            }
            if let value = try integer(timersPerHour, "VIGIL_RELAY_TIMERS_PER_HOUR", option: "timers-per-hour", 1...100_000_000) {
                configuration.timerCreationsPerHour = value
                configuration.timerCreationBurst = value
            }
            if let value = try integer(maxTimerDays, "VIGIL_RELAY_MAX_TIMER_DAYS", option: "max-timer-days", 1...366) {
                configuration.maxTimerHorizonSeconds = UInt64(value) * 86_400
            }
            if let value = try integer(maxTimerBlobs, "VIGIL_RELAY_MAX_TIMER_BLOBS", option: "max-timer-blobs", 1...1_000) {
                configuration.maxTimerBlobs = value
            }
            let tokenFile = metricsTokenFile ?? environment["VIGIL_RELAY_METRICS_TOKEN_FILE"]
            let everyone = publicMetrics || environment["VIGIL_RELAY_PUBLIC_METRICS"] == "1"
            if let tokenFile {
                guard !everyone else { throw ValidationError("give either a metrics token file or --public-metrics, not both") }
                guard let contents = FileManager.default.contents(atPath: tokenFile) else {
                    throw ValidationError("cannot read the metrics token file \(tokenFile)")
                }
                do {
                    configuration.metrics = try MetricsAccess.token(fromFileContents: Array(contents))
                } catch {
                    throw ValidationError("\(tokenFile): \(error.description)")
                }
            } else if everyone {
                configuration.metrics = .everyone
            }
            var level = Logger.Level.info
            if let text = logLevel ?? environment["VIGIL_RELAY_LOG_LEVEL"] {
                guard let parsed = Logger.Level(rawValue: text.lowercased()) else {
                    throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
                }
                level = parsed
            }
            return (configuration, level)
        }

        private static func fail(_ message: String) -> Never {
            FileHandle.standardError.write(Data("vigil-relay: error: \(message)\n".utf8))
            Foundation.exit(1)
        }
    }
}

// Top-level code (this file is main.swift, so no `@main`).
await VigilRelayCommand.runAsync()

extension VigilRelayCommand {
    /// Parses the arguments and runs the command. Like `AsyncParsableCommand.main()`, except
    /// that a bad option is reported in one line rather than with the whole usage text.
    static func runAsync() async {
        var command: any ParsableCommand
        do {
            command = try await asyncParseAsRoot(nil)
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }  // --help, --version
            let message = self.message(for: error).split(whereSeparator: \.isNewline).joined(separator: " ")
            FileHandle.standardError.write(Data("vigil-relay: error: \(message) (see vigil-relay serve --help)\n".utf8))
            Foundation.exit(code.rawValue)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
