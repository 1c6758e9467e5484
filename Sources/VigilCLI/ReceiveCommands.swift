import ArgumentParser
import Foundation
import VigilApp

struct InboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inbox",
        abstract: "Fetch and show new messages, acknowledgements, and contacts who are overdue.",
        discussion: """
            Every message is checked: who signed it, that it was meant for you, that it is not \
            a replay. Contacts you have not verified are marked "(unverified)"; a sender who is \
            not your contact is shown as UNKNOWN SENDER. Also retries your queued messages.
            """
    )

    @OptionGroup var common: CommonOptions

    @Flag(help: "Show every stored message and what you sent recently, not only new ones.")
    var all = false

    @Option(help: ArgumentHelp("Report contacts overdue this long after their due time (default 15m, or VIGIL_GRACE).", valueName: "DURATION"))
    var grace: String?

    func run() async throws {
        let graceSeconds = try parseDuration(grace)
        try await Runtime.run(common, grace: graceSeconds) { (runtime) throws(VigilError) in
            let report = try await runtime.open().inbox(all: all)
            runtime.show(report) { HumanText.inbox($0, all: all) }
            return report.relayErrors.isEmpty ? .ok : .unreachable
        }
    }
}

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Stay connected: show alerts the moment they arrive, and report overdue contacts.",
        discussion: """
            Waits on all your mailboxes at once, retries your queued messages, and reports a \
            contact whose announced check-in is late. With --on-alert, runs a command for each \
            alert (panic, missed check-in, check-in that is not ok, all-clear, overdue) with the \
            alert as JSON on its standard input, e.g. to sound an alarm or send a notification:

              vigil watch --on-alert 'notify-send "Vigil alert"; jq . >> ~/alerts.log'

            Commands run one at a time, in the order the alerts arrive, without holding \
            back what watch shows. Each gets 60 seconds; then it, and whatever it started, \
            is stopped. A command that fails is reported and watching goes on.

            With --json, prints one JSON object per line. Stop with Ctrl-C.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: ArgumentHelp("A shell command to run for each alert; the alert is on its standard input as JSON.", valueName: "CMD"))
    var onAlert: String?

    @Option(help: ArgumentHelp("Report contacts overdue this long after their due time (default 15m, or VIGIL_GRACE).", valueName: "DURATION"))
    var grace: String?

    @Option(help: ArgumentHelp("Stop after this long (default: run until Ctrl-C).", valueName: "DURATION"))
    var duration: String?

    func run() async throws {
        let graceSeconds = try parseDuration(grace)
        let stopAfter = try parseDuration(duration)
        try await Runtime.run(common, grace: graceSeconds) { (runtime) throws(VigilError) in
            let session = try runtime.open()
            let json = runtime.common.json
            try await session.watch(WatchOptions(alertCommand: onAlert, duration: stopAfter)) { event in
                if json {
                    Console.json(event, compact: true)
                } else {
                    Console.out(HumanText.watchEvent(event))
                }
            }
            return .ok
        }
    }
}
