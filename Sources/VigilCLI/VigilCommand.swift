// vigil: the command line over VigilApp. Parses arguments, asks for the passphrase, prints what
// the library reports. Everything else lives in the VigilApp library.
import ArgumentParser
import Foundation
import VigilApp

@main
struct VigilCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Encrypted check-ins and panic alerts for people at risk, and their trusted contacts.",
        discussion: """
            In danger now:       vigil panic "what is happening"
            Say you are safe:    vigil checkin --next-in 2h
            Read messages:       vigil inbox
            Keep watch:          vigil watch
            Dead man's switch:   vigil arm --every 6h   (then check in)
            Forced to check in:  vigil checkin --duress (looks normal here; your contacts get an alarm)

            Only your contacts can read what you send. Everything is queued first and retried \
            until every relay has it. Your keys and messages on this computer are encrypted \
            with your passphrase.

            Files: $VIGIL_HOME (default ~/.vigil). Passphrase: typed (not shown), or from \
            --passphrase-file or VIGIL_PASSPHRASE for automation. Tor: --proxy \
            socks5h://127.0.0.1:9050, or keep it with `vigil config --set-proxy URL`.

            Exit codes:
              0  done; everything sent was delivered
              1  wrong command or input (the message says what to change)
              2  wrong passphrase, or no passphrase available
              3  not yet delivered to every mailbox: it stays queued and is retried
                 (or a relay did not confirm a dead man's switch timer)
              4  a Vigil file is damaged or was altered; nothing was changed
              5  a relay could not be reached (receiving, setting up); nothing was lost

            For tests only: VIGIL_NOW=<unix seconds> fixes the clock; VIGIL_KDF=minimum makes \
            new passphrases cheap to guess.
            """,
        version: "0.1.0",
        subcommands: [
            InitCommand.self, CardCommand.self, ContactsCommand.self, RelaysCommand.self,
            CheckInCommand.self, PanicCommand.self, AllClearCommand.self, InboxCommand.self,
            WatchCommand.self, AckCommand.self, OutboxCommand.self, ArmCommand.self, DisarmCommand.self,
            StatusCommand.self, ConfigCommand.self, DuressCommand.self,
        ]
    )

    /// Parses and runs, mapping argument errors to exit code 1 (ArgumentParser's default is 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            if !message.isEmpty { Console.error(message) }
            Foundation.exit(code == .validationFailure ? VigilExitCode.usage.rawValue : code.rawValue)
        }
    }
}
