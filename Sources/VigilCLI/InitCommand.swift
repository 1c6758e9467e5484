import ArgumentParser
import VigilApp

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Set up Vigil: your keys, your mailboxes, your contact card.",
        discussion: """
            Creates your identity, a mailbox on each relay you name, and prints your contact \
            card and fingerprint. Your keys are encrypted with a passphrase you choose now; \
            without it nobody can open them, and neither can you: do not lose it.

            A --proxy given here (Tor) is kept for every later command; change it with \
            `vigil config`.

            Example: vigil init --name "Amal" --relay https://relay.example.org
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: ArgumentHelp("The name your contacts see on your card (a pseudonym is fine).", valueName: "NAME"))
    var name: String?

    @Option(name: .customLong("relay"), help: ArgumentHelp("A relay to make a mailbox on; repeat for several.", valueName: "URL"))
    var relays: [String] = []

    @Flag(help: "Store the keys WITHOUT passphrase protection: anyone who copies the files can read them.")
    var noPassphrase = false

    func run() async throws {
        try await Runtime.run(common) { (runtime) throws(VigilError) in
            let chosenName: String
            if let name {
                chosenName = name
            } else {
                do {
                    chosenName = try Terminal.readLine(prompt: "Your name, as your contacts will see it (a pseudonym is fine): ")
                } catch {
                    throw .usage("give the name your contacts will see: vigil init --name NAME --relay URL")
                }
            }
            try InputRules.checkDisplayName(chosenName)
            let protection: Keystore.Protection =
                noPassphrase ? .none : .passphrase(try runtime.newPassphrase(), runtime.context.keyDerivationCost)
            let (_, report) = try await VigilSession.initialize(runtime.context, name: chosenName, relays: relays, protection: protection)
            runtime.show(report, HumanText.initReport)
            return report.failedRelays.isEmpty ? .ok : .unreachable
        }
    }
}

struct CardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "card",
        abstract: "Show your contact card and fingerprint, to share with a trusted contact.",
        discussion: "The card changes when you add or remove a relay or change your name: share it again then."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        try await Runtime.run(common) { (runtime) throws(VigilError) in
            let session = try runtime.open()
            runtime.show(try session.card(), HumanText.card)
            return .ok
        }
    }
}

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show or change settings: name, proxy (Tor), overdue grace period, accepted message age, escalation time.",
        discussion: "Example (Tor): vigil config --proxy socks5h://127.0.0.1:9050"
    )

    @OptionGroup var common: CommonOptions

    @Option(help: ArgumentHelp("Change the name on your card (share the card again afterwards).", valueName: "NAME"))
    var name: String?

    @Option(name: .customLong("set-proxy"), help: ArgumentHelp("Always send relay traffic through this proxy.", valueName: "URL"))
    var setProxy: String?

    @Flag(help: "Stop using a stored proxy: connect to relays directly.")
    var clearProxy = false

    @Option(help: ArgumentHelp("How late a contact's check-in may be before they are reported overdue (e.g. 15m).", valueName: "DURATION"))
    var grace: String?

    @Option(help: ArgumentHelp("Refuse messages created longer ago than this (default 14d).", valueName: "DURATION"))
    var maxAge: String?

    @Option(help: ArgumentHelp("Accept messages dated at most this far in the future (default 5m).", valueName: "DURATION"))
    var clockTolerance: String?

    @Option(help: ArgumentHelp(
        "How long tier-1 contacts have to acknowledge a panic or missed check-in before tier-2 contacts are alerted (default 15m).",
        valueName: "DURATION"))
    var escalateAfter: String?

    func validate() throws {
        if setProxy != nil && clearProxy { throw ValidationError("use either --set-proxy or --clear-proxy") }
    }

    func run() async throws {
        try await Runtime.run(common) { (runtime) throws(VigilError) in
            let session = try runtime.open()
            var change = ConfigChange(name: name)
            if let setProxy { change.proxy = .some(try InputRules.proxy(setProxy)) }
            if clearProxy { change.proxy = .some(nil) }
            change.graceSeconds = try parseDuration(grace)
            change.maxAgeSeconds = try parseDuration(maxAge)
            change.maxFutureSeconds = try parseDuration(clockTolerance)
            change.escalateAfterSeconds = try parseDuration(escalateAfter)
            runtime.show(try await session.configure(change), HumanText.config)
            // The switch's escalation timers follow the new time.
            return change.escalateAfterSeconds == nil ? .ok : try await resealSwitch(session, runtime)
        }
    }
}
