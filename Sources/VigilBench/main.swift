// vigil-bench: envelope seal and open, Swift against the same libsodium calls made from C.
// Build in release mode (Tools/bench.sh); a debug build measures the optimiser's absence.
import Foundation

func fail(_ message: String, code: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(code)
}

let options: BenchOptions
do {
    switch try BenchOptions.parse(CommandLine.arguments.dropFirst()) {
    case .help:
        print(BenchOptions.usage)
        exit(0)
    case .run(let parsed):
        options = parsed
    }
} catch {
    fail(error.message, code: 2)
}

#if DEBUG
FileHandle.standardError.write(
    Data("warning: this is a debug build, its figures mean nothing; run Tools/bench.sh for a release build\n".utf8))
#endif

let fixture: Fixture
do {
    fixture = try Fixture()
    try InteropCheck.run(fixture)
} catch {
    fail("the C baseline and Envelope disagree, so no figures were taken: \(error.message)")
}

let report = Benchmark.run(options, fixture: fixture) { line in
    FileHandle.standardError.write(Data("… \(line)\n".utf8))
}
print(options.json ? report.renderJSON() : report.render())
