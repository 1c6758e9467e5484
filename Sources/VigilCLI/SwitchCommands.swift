import ArgumentParser
import VigilApp

struct ArmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arm",
        abstract: "Arm the dead man's switch: your relays alert your contacts if you stop checking in.",
        discussion: """
            Each of your relays keeps a timer with alerts sealed in advance to your contacts' \
            mailboxes on that relay. Every `vigil checkin` pushes the deadline back by --every; \
            if it passes (plus --grace), the relay delivers the alerts, even while your \
            computer is off or taken. Contacts with no mailbox on one of your relays cannot be \
            reached this way: you are told who. Arming again replaces the timers.

            Exit code 3: some relay did not confirm its timer.

            Example: vigil arm --every 6h --grace 30m --message "call my lawyer, +1 555 0100"
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: ArgumentHelp("How often you will check in, e.g. 6h, 1d, 90s.", valueName: "DURATION"))
    var every: String

    @Option(help: ArgumentHelp("Extra time after a missed check-in before the alert goes out (default 15m).", valueName: "DURATION"))
    var grace: String = "15m"

    @Option(help: "What your contacts should read if the alarm goes off.")
    var message: String?

    func run() async throws {
        try await Runtime.run(common) { (runtime) throws(VigilError) in
            let interval = try InputRules.duration(every)
            let graceSeconds = try InputRules.duration(grace)
            let report = try await runtime.open().arm(everySeconds: interval, graceSeconds: graceSeconds, message: message)
            runtime.show(report, HumanText.deadMansSwitch)
            return report.failed == 0 ? .ok : .undelivered
        }
    }
}

struct DisarmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disarm",
        abstract: "Disarm the dead man's switch: no alert will go out.",
        discussion: "Exit code 3: a relay did not answer, and its timer may still go off; run it again."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        try await Runtime.run(common) { (runtime) throws(VigilError) in
            let report = try await runtime.open().disarm()
            runtime.show(report, HumanText.deadMansSwitch)
            return report.failed == 0 ? .ok : .undelivered
        }
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Is the dead man's switch armed and until when; what is still queued; who is overdue.",
        discussion: "Shows what this computer knows; it does not contact the relays."
    )

    @OptionGroup var common: CommonOptions

    @Option(help: ArgumentHelp("Report contacts overdue this long after their due time (default 15m, or VIGIL_GRACE).", valueName: "DURATION"))
    var grace: String?

    func run() async throws {
        let graceSeconds = try parseDuration(grace)
        try await Runtime.run(common, grace: graceSeconds) { (runtime) throws(VigilError) in
            runtime.show(try runtime.open().status(), HumanText.status)
            return .ok
        }
    }
}

/// After a change of contacts or relays: seals the switch's alerts again and says what became
/// of them (on standard error with --json, which keeps the command's own JSON as it was).
func resealSwitch(_ session: VigilSession, _ runtime: Runtime) async throws(VigilError) -> VigilExitCode {
    guard let report = try await session.resealSwitch() else { return .ok }
    let text = "Dead man's switch updated for this change:\n" + HumanText.deadMansSwitch(report)
    if runtime.common.json {
        if report.failed > 0 { Console.error("vigil: " + text) }
    } else {
        Console.out(text)
    }
    return report.failed == 0 ? .ok : .undelivered
}
