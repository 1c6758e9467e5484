import ArgumentParser
import Foundation
import VigilApp

struct ContactsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contacts",
        abstract: "Add, list, show, verify, tier and remove trusted contacts.",
        discussion: """
            A contact is added from their card and stays "(unverified)" until you have compared \
            your safety number with them in person or on a call you trust.

            Tiers: a panic or missed check-in goes to tier-1 contacts (the default) at once. \
            Tier-2 contacts are alerted only if nobody in tier 1 acknowledges it in time \
            (`vigil config --escalate-after`, default 15 minutes), even if your device is gone.
            """,
        subcommands: [Add.self, List.self, Show.self, Verify.self, Tier.self, Remove.self],
        defaultSubcommand: List.self
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a contact from their card (VIGIL1:…), or update them from a newer card.",
            discussion: "Give the card as an argument, or `-` (or nothing) to paste it on standard input."
        )
        @OptionGroup var common: CommonOptions
        @Argument(help: "The contact's card, starting with VIGIL1:.") var card: String?
        @Option(help: ArgumentHelp("What to call them here (default: the name on their card).", valueName: "NAME"))
        var alias: String?
        @Option(help: ArgumentHelp(
            "1: alerted at once (default); 2: alerted only if nobody in tier 1 acknowledges an alert in time.", valueName: "1|2"))
        var tier: Int?

        func run() async throws {
            try await Runtime.run(common) { (runtime) throws(VigilError) in
                let session = try runtime.open()
                var text = card ?? "-"
                if text == "-" {
                    if isatty(0) == 1 { Console.error("Paste the card (it starts with VIGIL1:), then press Enter twice:") }
                    // Until the end of input, or an empty line after the card (chat apps wrap it).
                    var lines: [String] = []
                    while let line = readLine(), lines.count < 200 {
                        if line.trimmingCharacters(in: .whitespaces).isEmpty {
                            if lines.isEmpty { continue } else { break }
                        }
                        lines.append(line)
                    }
                    text = lines.joined(separator: "\n")
                }
                runtime.show(try await session.addContact(cardText: text, alias: alias, tier: tier), HumanText.addContact)
                return try await resealSwitch(session, runtime)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List your contacts, their last check-in, and who is overdue.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await Runtime.run(common) { (runtime) throws(VigilError) in
                runtime.show(try runtime.open().contacts(), HumanText.contactList)
                return .ok
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one contact, with the safety number to compare with them.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The contact's alias.") var alias: String

        func run() async throws {
            try await Runtime.run(common) { (runtime) throws(VigilError) in
                runtime.show(try runtime.open().contact(alias), HumanText.contactDetail)
                return .ok
            }
        }
    }

    struct Tier: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a contact in tier 1 (alerted at once) or tier 2 (alerted when tier 1 does not answer).",
            discussion: "Example: vigil contacts tier amparo 2"
        )
        @OptionGroup var common: CommonOptions
        @Argument(help: "The contact's alias.") var alias: String
        @Argument(help: "1 or 2.") var tier: Int

        func run() async throws {
            try await Runtime.run(common) { (runtime) throws(VigilError) in
                let session = try runtime.open()
                runtime.show(try await session.setTier(alias, tier: tier)) { contact in
                    "\(HumanText.name(contact.alias, verified: contact.verified)) is now in tier \(contact.tier)."
                }
                return try await resealSwitch(session, runtime)
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare your safety number with a contact, and mark them verified if it matches.",
            discussion: """
                Shows the number and asks whether it matches what the contact sees on their side \
                (`vigil contacts show YOUR-NAME`). Compare in person or on a call where you \
                recognise their voice, never over the channel the card came through.
                """
        )
        @OptionGroup var common: CommonOptions
        @Argument(help: "The contact's alias.") var alias: String
        @Flag(help: "Mark verified without asking (you have already compared the numbers).") var yes = false

        func run() async throws {
            try await Runtime.run(common) { (runtime) throws(VigilError) in
                let session = try runtime.open()
                let contact = try session.contact(alias)
                if !yes {
                    if runtime.common.json {
                        Console.json(contact)
                        return .ok
                    }
                    Console.out(HumanText.safetyNumberPrompt(contact))
                    guard try Terminal.confirm("Does every digit match what \(contact.alias) reads to you?") else {
                        Console.out("Not verified; nothing changed. \(contact.alias) stays marked (unverified).")
                        return .ok
                    }
                }
                let verified = try await session.markVerified(alias)
                runtime.show(verified) { "\($0.alias) is now verified." }
                return .ok
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a contact. They no longer receive anything from you.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The contact's alias.") var alias: String

        func run() async throws {
            try await Runtime.run(common) { (runtime) throws(VigilError) in
                let session = try runtime.open()
                let removed = try await session.removeContact(alias)
                runtime.show(removed) { "Removed \($0.alias). Messages already queued for them are still delivered (`vigil outbox`)." }
                return try await resealSwitch(session, runtime)
            }
        }
    }
}

struct RelaysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relays",
        abstract: "Add, list and remove your mailboxes on relays.",
        discussion: """
            Contacts deliver to every relay on your card, so one relay that is down or blocked \
            does not stop an alert. After adding or removing one, share your card again \
            (`vigil card`).
            """,
        subcommands: [Add.self, List.self, Remove.self],
        defaultSubcommand: List.self
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a mailbox on another relay and put it on your card.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The relay's URL, e.g. https://relay.example.org.") var url: String

        func run() async throws {
            try await Runtime.run(common) { (runtime) throws(VigilError) in
                let session = try runtime.open()
                let card = try await session.addRelay(url)
                runtime.show(card) { "Added a mailbox on \(url). Your card changed: share it again.\n\n" + HumanText.card($0) }
                return try await resealSwitch(session, runtime)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List your mailboxes.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await Runtime.run(common) { (runtime) throws(VigilError) in
                runtime.show(try runtime.open().relays(), HumanText.relayList)
                return .ok
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch what waits on a relay, delete your mailbox there and take it off your card.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The relay's URL as `vigil relays list` shows it.") var url: String

        func run() async throws {
            try await Runtime.run(common) { (runtime) throws(VigilError) in
                let session = try runtime.open()
                let report = try await session.removeRelay(url)
                runtime.show(report) { report in
                    var text = "Removed \(report.removed) from your card (\(report.messagesFetched) message(s) fetched first; see `vigil inbox`)."
                    if let error = report.relayError { text += "\nThe mailbox could not be deleted at the relay: \(error)" }
                    return text + "\nYour card changed: share it again.\n\n" + HumanText.card(report.card)
                }
                return try await resealSwitch(session, runtime)
            }
        }
    }
}
