/// The command line of vigil-bench.
struct BenchOptions {
    /// Seconds each side runs each operation per round.
    var secondsPerRound = 1.5
    var rounds = 5
    /// Print one JSON object instead of the table.
    var json = false

    static let usage = """
        usage: vigil-bench [--seconds N] [--rounds N] [--json]

        Measures envelope seal (sign + seal) and open (open + verify) for a 1 KiB check-in body,
        Swift (VigilProtocol.Envelope) against the same libsodium calls made directly from C,
        and prints the Swift/C ratio. Build it in release mode: Tools/bench.sh does.

          --seconds N   seconds each side runs each operation per round (default 1.5)
          --rounds N    rounds, Swift and C alternating which goes first (default 5)
          --json        one JSON object on standard output instead of the table
          --help        this text
        """

    /// What the arguments asked for.
    enum Parsed {
        case run(BenchOptions)
        case help
    }

    /// A command line the benchmark cannot run with; `message` says what to change.
    struct UsageError: Error {
        let message: String
    }

    static func parse(_ arguments: some Sequence<String>) throws(UsageError) -> Parsed {
        var options = BenchOptions()
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--seconds":
                guard let text = iterator.next(), let value = Double(text), value.isFinite, value > 0, value <= 600 else {
                    throw UsageError(message: "--seconds needs a number of seconds above 0 and at most 600, e.g. --seconds 1.5")
                }
                options.secondsPerRound = value
            case "--rounds":
                guard let text = iterator.next(), let value = Int(text), (1...1000).contains(value) else {
                    throw UsageError(message: "--rounds needs a whole number from 1 to 1000, e.g. --rounds 5")
                }
                options.rounds = value
            case "--json":
                options.json = true
            case "--help", "-h":
                return .help
            default:
                throw UsageError(message: "unknown argument '\(argument)'; run vigil-bench --help for the options")
            }
        }
        return .run(options)
    }
}
