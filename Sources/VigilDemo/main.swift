// vigil-demo: a defender and a trusted contact exchange cards, compare their safety number,
// and exchange a check-in, a panic alert and an acknowledgement, all sealed and signed.
// Nothing goes over a network yet: the "relay" here is the byte array between the two sides.
import Foundation
import VigilCrypto
import VigilProtocol

func say(_ line: String = "") { print(line) }
func section(_ title: String) { say(); say("── \(title) " + String(repeating: "─", count: max(0, 66 - title.count))) }

func describe(_ body: MessageBody) -> [String] {
    switch body {
    case .checkIn(let checkIn):
        var lines = ["check-in: \(checkIn.status)"]
        if let note = checkIn.note { lines.append("note: \(note)") }
        if let location = checkIn.location { lines.append("location: \(location)") }
        if let due = checkIn.nextDueAt { lines.append("next check-in due: \(due)") }
        return lines
    case .panic(let panic):
        var lines = ["PANIC ALERT"]
        if let message = panic.message { lines.append("message: \(message)") }
        if let location = panic.location { lines.append("location: \(location)") }
        return lines
    case .acknowledgement(let ack):
        return ["acknowledged message \(ack.messageID)"] + (ack.note.map { ["note: \($0)"] } ?? [])
    case .receipt(let receipt):
        return ["receipt for \(receipt.messageIDs.count) message(s)"]
    case .missedCheckIn(let missed):
        return ["MISSED CHECK-IN, was due \(missed.dueAt)"]
    case .allClear(let clear):
        return ["all clear"] + (clear.message.map { ["message: \($0)"] } ?? [])
    case .unknown(let kind, _):
        return ["a message of a kind this version does not know (\(kind))"]
    }
}

/// Opens `sealed` as `recipient` and prints what that side sees, naming the sender from its contacts.
func receive(_ sealed: [UInt8], by name: String, as recipient: Identity, contacts: [ContactCard]) -> OpenedEnvelope? {
    do {
        let message = try Envelope.open(sealed, as: recipient)
        let sender = contacts.first { $0.identity.signingKey == message.sender }
        say("  \(name) opens it and sees:")
        say("    from: \(sender.map { "\($0.displayName) (signature verified)" } ?? "UNKNOWN SENDER — not a contact")")
        say("    sent: \(message.createdAt)   id: \(message.id)")
        for line in describe(message.body) { say("    \(line)") }
        return message
    } catch {
        say("  \(name) refuses it: \(error)")
        return nil
    }
}

func wrapped(_ text: String, width: Int = 64, indent: String = "    ") -> String {
    var lines: [String] = []
    var rest = Substring(text)
    while !rest.isEmpty {
        lines.append(indent + rest.prefix(width))
        rest = rest.dropFirst(width)
    }
    return lines.joined(separator: "\n")
}

let now = Timestamp(Date())
let relay = "https://relay.example.org"

say("Vigil demo: a defender and a trusted contact, end to end encrypted.")
say("(No relay yet: envelopes are handed over in memory, exactly as a relay would store them.)")

section("1. Each side creates an identity and a contact card")
let defender = Identity()
let contact = Identity()
let mailboxID = { Hex.encode(SecureRandom.bytes(count: 16)) }
do {
    let defenderCard = try ContactCard(
        identity: defender, displayName: "Amal (defender)",
        mailboxes: [try MailboxAddress(relayURL: relay, mailboxID: mailboxID())], createdAt: now)
    let contactCard = try ContactCard(
        identity: contact, displayName: "Jonas (trusted contact)",
        mailboxes: [try MailboxAddress(relayURL: relay, mailboxID: mailboxID())], createdAt: now)
    say("  Amal's fingerprint:  \(defender.publicIdentity.fingerprint)")
    say("  Jonas's fingerprint: \(contact.publicIdentity.fingerprint)")
    say("  Amal's card, as she shares it (\(defenderCard.text.count) characters):")
    say(wrapped(defenderCard.text))

    section("2. They exchange cards and check them")
    let cardAtJonas = try ContactCard(text: defenderCard.text)
    let cardAtAmal = try ContactCard(text: contactCard.text)
    say("  Jonas reads Amal's card: \(cardAtJonas.displayName), \(cardAtJonas.mailboxes.count) mailbox, self-signature valid")
    say("  Amal reads Jonas's card: \(cardAtAmal.displayName), \(cardAtAmal.mailboxes.count) mailbox, self-signature valid")
    var damaged = Array(defenderCard.text)
    damaged[40] = damaged[40] == "A" ? "B" : "A"
    do {
        _ = try ContactCard(text: String(damaged))
    } catch {
        say("  A card with one mistyped character is refused: \(error)")
    }
    do {
        _ = try ContactCard(text: String(defenderCard.text.dropLast(10)))
    } catch {
        say("  A card cut off in a chat app is refused: \(error)")
    }

    section("3. They compare the safety number over a phone call")
    let numberAtAmal = SafetyNumber(defender.publicIdentity, cardAtAmal.identity)
    let numberAtJonas = SafetyNumber(contact.publicIdentity, cardAtJonas.identity)
    say("  Amal's screen:  \(numberAtAmal)")
    say("  Jonas's screen: \(numberAtJonas)")
    say(numberAtAmal == numberAtJonas ? "  They match: each holds the other's real keys." : "  MISMATCH: do not trust these cards.")

    section("4. Amal checks in")
    let checkIn = CheckIn(
        status: .ok, note: "Arrived at the shelter, all calm.",
        nextDueAt: Timestamp(secondsSince1970: now.secondsSince1970 + 6 * 3600))
    let sealedCheckIn = try Envelope.seal(.checkIn(checkIn), from: defender, to: cardAtAmal.identity, createdAt: now)
    say("  What the relay would store: \(sealedCheckIn.count) bytes of ciphertext, \(Hex.encode(sealedCheckIn.prefix(16)))…")
    _ = receive(sealedCheckIn, by: "Jonas", as: contact, contacts: [cardAtJonas])

    section("5. Amal raises a panic alert")
    let panic = Panic(
        message: "Police at the door, they are taking the laptop. Call the lawyer.",
        location: Location(latitude: 36.7201600, longitude: -4.4203400))
    let sealedPanic = try Envelope.seal(.panic(panic), from: defender, to: cardAtAmal.identity, createdAt: now)
    say("  What the relay would store: \(sealedPanic.count) bytes of ciphertext")
    let alert = receive(sealedPanic, by: "Jonas", as: contact, contacts: [cardAtJonas])

    section("6. Jonas acknowledges; Amal sees it")
    if let alert {
        let ack = Acknowledgement(messageID: alert.id, note: "On my way, calling the lawyer now.")
        let sealedAck = try Envelope.seal(.acknowledgement(ack), from: contact, to: cardAtJonas.identity, createdAt: now)
        _ = receive(sealedAck, by: "Amal", as: defender, contacts: [cardAtAmal])
    }

    section("7. What an attacker gets")
    var tampered = sealedPanic
    tampered[tampered.count / 2] ^= 0x01
    say("  One bit of the stored alert flipped:")
    _ = receive(tampered, by: "Jonas", as: contact, contacts: [cardAtJonas])
    let mallory = Identity()
    say("  Someone other than Jonas holding the alert:")
    _ = receive(sealedPanic, by: "Mallory", as: mallory, contacts: [])
    say("  Mallory, who got hold of Jonas's card, sends him a fake panic alert signed with her own key:")
    let fake = try Envelope.seal(
        .panic(Panic(message: "Amal here, new phone. Meet me at the old station.")),
        from: mallory, to: cardAtAmal.identity, createdAt: now)
    _ = receive(fake, by: "Jonas", as: contact, contacts: [cardAtJonas])
    say()
    say("Done: both sides saw only what was meant for them, and every forgery was refused.")
} catch {
    FileHandle.standardError.write(Data("vigil-demo failed: \(error)\n".utf8))
    exit(1)
}
