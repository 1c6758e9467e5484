import ArgumentParser
import VigilApp

struct DuressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "duress",
        abstract: "A second passphrase for when someone forces you to open Vigil.",
        discussion: """
            Unlocked with the duress passphrase, Vigil opens and works as usual, and every \
            check-in you send looks ordinary on this screen, but reaches your contacts as \
            "in danger — sent under duress". `vigil checkin --duress` does the same for one \
            check-in. Agree with your contacts now what they do when one arrives.

            What it cannot hide is in SECURITY.md, "Duress". The most important: the duress \
            passphrase opens everything the real one opens (contacts, messages, settings), and \
            only check-ins are marked (an all-clear goes out as such an alarm instead).
            """,
        subcommands: [DuressSetCommand.self, DuressRemoveCommand.self]
    )
}

struct DuressSetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Choose (or change) your duress passphrase.",
        discussion: """
            Asks your passphrase first, then the duress passphrase twice. Choose one you can \
            give up believably, different from your passphrase. Not possible when Vigil was set \
            up with --no-passphrase.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: ArgumentHelp("Read the duress passphrase from the first line of this file (for automation; delete it afterwards).", valueName: "FILE"))
    var duressPassphraseFile: String?

    func run() async throws {
        try await Runtime.run(common) { (runtime) throws(VigilError) in
            let report = try VigilSession.setDuressPassphrase(
                runtime.context, passphrase: { () throws(VigilError) in try runtime.passphrase() },
                duressPassphrase: { () throws(VigilError) in try runtime.newDuressPassphrase(file: duressPassphraseFile) })
            runtime.show(report) { _ in
                "Duress passphrase set. Opened with it, Vigil looks and works as usual, but your check-ins reach your contacts as \"in danger — sent under duress\". Tell them what to do when one arrives."
            }
            return .ok
        }
    }
}

struct DuressRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove your duress passphrase: only your passphrase opens Vigil afterwards."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        try await Runtime.run(common) { (runtime) throws(VigilError) in
            let report = try VigilSession.removeDuressPassphrase(
                runtime.context, passphrase: { () throws(VigilError) in try runtime.passphrase() })
            runtime.show(report) { _ in "No duress passphrase is set now: only your passphrase opens Vigil." }
            return .ok
        }
    }
}
