import ArgumentParser
import VigilApp

struct CheckInCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkin",
        abstract: "Tell your contacts how you are, and when your next check-in is due.",
        discussion: """
            With --next-in, your contacts are told you are overdue if no check-in arrives by \
            then (plus their grace period). When the dead man's switch is armed (`vigil arm`), \
            this also pushes its deadline back; exit code 3 if a relay did not confirm that.

            Forced to check in? Add --duress, or unlock with your duress passphrase (`vigil \
            duress set`): this screen shows an ordinary check-in, your contacts get an alarm.

            Example: vigil checkin --next-in 3h --note "crossing now"
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: "ok, support (you need help) or danger.")
    var status: String = "ok"

    @Option(help: "A short note.")
    var note: String?

    @Option(help: ArgumentHelp("Where you are: LAT,LON in decimal degrees.", valueName: "LAT,LON"))
    var location: String?

    @Option(help: ArgumentHelp("When your next check-in is due, e.g. 30m, 2h, 1d.", valueName: "DURATION"))
    var nextIn: String?

    @Flag(help: "Someone is making you check in: it looks normal here, but your contacts are told you are IN DANGER and were forced to send it.")
    var duress = false

    func run() async throws {
        try await Runtime.run(common) { (runtime) throws(VigilError) in
            guard let parsedStatus = CheckInStatus(rawValue: status.lowercased()) else {
                throw .usage("--status must be ok, support or danger")
            }
            let place = try location.map { (text) throws(VigilError) in try InputRules.location(text) }
            let due = try parseDuration(nextIn)
            let session = try runtime.open()
            let report = try await session.checkIn(status: parsedStatus, note: note, location: place, nextIn: due, duress: duress)
            let renewal = try await session.renewSwitch(checkedInAt: report.createdAt, duress: duress)
            runtime.show(CheckInReport(message: report, deadMansSwitch: renewal)) { combined in
                var text = HumanText.send(combined.message, what: "Check-in (\(parsedStatus.phrase))")
                if let renewal = combined.deadMansSwitch { text += "\n" + HumanText.deadMansSwitch(renewal) }
                return text
            }
            if let renewal, renewal.failed > 0 {
                Console.error("vigil: the dead man's switch was NOT renewed everywhere: the alarm may go off at the old deadline")
                return .undelivered
            }
            return sendCode(report)
        }
    }
}

struct PanicCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "panic",
        abstract: "Raise the alarm: send a panic alert to all your contacts now.",
        discussion: """
            No questions are asked (only your passphrase, if you set one). If a relay cannot be \
            reached the alert stays queued and is retried; exit code 3 says so.

            With tier-2 contacts, the alert goes to tier 1 now and to tier 2 only if nobody in \
            tier 1 acknowledges it in time; your relays hold the tier-2 alert, so this happens \
            even if your device is taken.

            Example: vigil panic "stopped by police at the north checkpoint" --location 36.72,-4.42
            """
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: "What is happening (optional).")
    var message: [String] = []

    @Option(help: ArgumentHelp("Where you are: LAT,LON in decimal degrees.", valueName: "LAT,LON"))
    var location: String?

    @Option(help: ArgumentHelp(
        "How long tier 1 has to acknowledge before tier 2 is alerted (default: `vigil config`, 15m).", valueName: "DURATION"))
    var escalateAfter: String?

    func run() async throws {
        try await Runtime.run(common) { (runtime) throws(VigilError) in
            let place = try location.map { (text) throws(VigilError) in try InputRules.location(text) }
            let delay = try parseDuration(escalateAfter)
            let text = message.joined(separator: " ")
            let session = try runtime.open()
            let report = try await session.panic(message: text.isEmpty ? nil : text, location: place, escalateAfter: delay)
            runtime.show(report) { HumanText.send($0, what: "PANIC ALERT") }
            return sendCode(report)
        }
    }
}

struct AllClearCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all-clear",
        abstract: "Tell your contacts the alarm is over and you are safe."
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: "A message (optional).")
    var message: [String] = []

    func run() async throws {
        try await Runtime.run(common) { (runtime) throws(VigilError) in
            let text = message.joined(separator: " ")
            let report = try await runtime.open().allClear(message: text.isEmpty ? nil : text)
            runtime.show(report) { HumanText.send($0, what: "All clear") }
            return sendCode(report)
        }
    }
}

struct AckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ack",
        abstract: "Answer a message: tell its sender you saw it (signed), with an optional note.",
        discussion: """
            A check-in sent under duress is not acknowledged unless you add --even-under-duress: \
            whoever forced your contact could see the answer on their device. Act on what you \
            agreed for an alarm instead.

            Example: vigil ack 639f7fa74b6f "on my way, calling the lawyer"
            """
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: ArgumentHelp("The message ID as `vigil inbox` shows it.", valueName: "MESSAGE-ID"))
    var messageID: String

    @Argument(help: "A note for the sender (optional).")
    var note: [String] = []

    @Flag(help: "Acknowledge a check-in sent under duress anyway: whoever holds your contact's device could see it.")
    var evenUnderDuress = false

    func run() async throws {
        try await Runtime.run(common) { (runtime) throws(VigilError) in
            let text = note.joined(separator: " ")
            let report = try await runtime.open().acknowledge(
                messageID, note: text.isEmpty ? nil : text, evenUnderDuress: evenUnderDuress)
            runtime.show(report) { HumanText.send($0, what: "Acknowledgement") }
            return sendCode(report)
        }
    }
}

struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Show what you sent that is not yet delivered everywhere; --flush retries now.",
        discussion: "Exit code 0: everything delivered; 3: something is still queued."
    )

    @OptionGroup var common: CommonOptions

    @Flag(help: "Retry every queued delivery now.")
    var flush = false

    @Option(help: ArgumentHelp("Stop retrying this message and drop it from the outbox.", valueName: "MESSAGE-ID"))
    var discard: String?

    func run() async throws {
        try await Runtime.run(common) { (runtime) throws(VigilError) in
            let session = try runtime.open()
            if let discard {
                let dropped = try await session.discard(discard)
                runtime.show(dropped) { "Dropped \($0.summary) (id \(HumanText.shortID($0.messageID))) from the outbox; it will not be retried." }
                return .ok
            }
            let report = flush ? try await session.flushOutbox() : try session.outbox()
            runtime.show(report) { HumanText.outbox($0, flushed: flush) }
            return report.isEmpty ? .ok : .undelivered
        }
    }
}
