import ArgumentParser
import Foundation
import VigilApp
import VigilCrypto

/// Options every command takes.
struct CommonOptions: ParsableArguments {
    @Flag(help: "Print machine-readable JSON instead of text.")
    var json = false

    @Option(name: .customLong("home"), help: ArgumentHelp("Vigil's directory (default: $VIGIL_HOME, else ~/.vigil).", valueName: "DIR"))
    var home: String?

    @Option(help: ArgumentHelp("Read the passphrase from the first line of this file (for automation; keep it private).", valueName: "FILE"))
    var passphraseFile: String?

    @Option(help: ArgumentHelp("Send all relay traffic through this proxy, e.g. socks5h://127.0.0.1:9050 for Tor.", valueName: "URL"))
    var proxy: String?
}

/// Runs one command: builds the context from options and environment, and turns failures into
/// one line on standard error (and a JSON error with --json) and the documented exit code.
struct Runtime {
    let common: CommonOptions
    let context: VigilContext
    /// `VIGIL_PASSPHRASE`, taken out of the environment.
    private let environmentPassphrase: SecureBytes?

    private init(common: CommonOptions, graceOverride: UInt64?) throws(VigilError) {
        self.common = common
        environmentPassphrase = PassphraseInput.takeFromEnvironment()
        let environment = ProcessInfo.processInfo.environment
        let home = common.home.map(VigilHome.init(path:)) ?? VigilHome.resolve(environment: environment)
        var proxy: URL?
        if let text = common.proxy {
            let url = try InputRules.proxy(text)
            // Before any request: URLSession on Linux reads the proxy from the environment.
            ProxyEnvironment.apply(url.absoluteString)
            proxy = url
        }
        var grace = graceOverride
        if grace == nil, let text = environment["VIGIL_GRACE"], !text.isEmpty {
            grace = try InputRules.duration(text)
        }
        context = VigilContext(
            home: home, clock: try VigilContext.clock(environment: environment), proxyOverride: proxy, graceOverride: grace,
            keyDerivationCost: try KeyDerivationCost.forNewKeystore(environment: environment))
    }

    /// Runs `body`, exiting with its code (or the failure's).
    static func run(
        _ common: CommonOptions, grace: UInt64? = nil, _ body: (Runtime) async throws(VigilError) -> VigilExitCode
    ) async throws {
        let code: VigilExitCode
        do {
            let runtime = try Runtime(common: common, graceOverride: grace)
            code = try await body(runtime)
        } catch {
            if common.json {
                struct Failure: Encodable {
                    struct Detail: Encodable {
                        var exitCode: Int32
                        var message: String
                    }
                    var error: Detail
                }
                Console.json(Failure(error: .init(exitCode: error.exitCode.rawValue, message: error.message)))
            }
            Console.error("vigil: \(error.message)")
            throw ExitCode(error.exitCode.rawValue)
        }
        if code != .ok { throw ExitCode(code.rawValue) }
    }

    /// The passphrase for unlocking: `--passphrase-file`, else `VIGIL_PASSPHRASE`, else typed.
    func passphrase() throws(VigilError) -> SecureBytes {
        if let file = common.passphraseFile { return try Self.secret(fromFile: file) }
        if let environmentPassphrase { return environmentPassphrase }
        return try Terminal.readSecret(prompt: "Passphrase for Vigil (\(context.home.path)): ")
    }

    /// A new passphrase: from the file or environment as is, or typed twice.
    func newPassphrase() throws(VigilError) -> SecureBytes {
        if common.passphraseFile != nil || environmentPassphrase != nil { return try passphrase() }
        return try PassphraseInput.confirmed(
            try Terminal.readSecret(prompt: "Choose a passphrase (not shown as you type): "),
            repeated: try Terminal.readSecret(prompt: "Type it again: "),
            whenEmpty: "choose one, or --no-passphrase knowingly")
    }

    /// A new duress passphrase: from `file` as is, or typed twice.
    func newDuressPassphrase(file: String?) throws(VigilError) -> SecureBytes {
        if let file { return try Self.secret(fromFile: file) }
        return try PassphraseInput.confirmed(
            try Terminal.readSecret(prompt: "Choose your duress passphrase (not shown as you type; not your passphrase): "),
            repeated: try Terminal.readSecret(prompt: "Type it again: "), what: "duress passphrase")
    }

    /// The first line of `file`, with a warning when others can read it.
    private static func secret(fromFile file: String) throws(VigilError) -> SecureBytes {
        if PassphraseInput.isExposed(file) {
            Console.error("vigil: warning: \(file) can be read by other users: chmod 600 it")
        }
        return try PassphraseInput.fromFile(file)
    }

    /// Unlocks the session, and routes traffic through its configured proxy.
    func open() throws(VigilError) -> VigilSession {
        let session = try VigilSession.open(context) { () throws(VigilError) in try passphrase() }
        if context.proxyOverride == nil, let stored = try session.effectiveProxy() {
            ProxyEnvironment.apply(stored.absoluteString)
        }
        return session
    }

    /// Prints `value` as JSON with --json, else `text()`.
    func show<T: Encodable>(_ value: T, _ text: (T) -> String) {
        if common.json { Console.json(value) } else { Console.out(text(value)) }
    }
}

/// The exit code for a send: 3 unless every mailbox of every recipient has it.
func sendCode(_ report: SendReport) -> VigilExitCode {
    report.allDelivered ? .ok : .undelivered
}

/// Parses a duration option for ArgumentParser.
func parseDuration(_ text: String?) throws(VigilError) -> UInt64? {
    try text.map { (value) throws(VigilError) in try InputRules.duration(value) }
}
