import Testing
import VigilCrypto
@testable import VigilProtocol

func mailbox(_ index: Int) throws -> MailboxAddress {
    try MailboxAddress(relayURL: "https://relay\(index).example.net/vigil", mailboxID: "mailbox-\(index)-abcdefghijklmn")
}

func aliceCard(
    displayName: String = "Alice", mailboxes: [MailboxAddress] = [Fixture.mailbox], createdAt: Timestamp = Fixture.now
) throws -> ContactCard {
    try ContactCard(identity: Fixture.alice, displayName: displayName, mailboxes: mailboxes, createdAt: createdAt)
}

@Suite("Contact cards") struct ContactCardTests {
    @Test("A card survives text and back unchanged")
    func aCardSurvivesTextAndBackUnchanged() throws {
        let card = try aliceCard()
        let parsed = try ContactCard(text: card.text)
        #expect(parsed == card)
        #expect(parsed.identity == Fixture.alice.publicIdentity)
        #expect(parsed.displayName == "Alice")
        #expect(parsed.mailboxes == [Fixture.mailbox])
        #expect(parsed.createdAt == Fixture.now)
        #expect(parsed.text == card.text)
    }

    @Test("A card survives its binary form and back unchanged")
    func aCardSurvivesItsBinaryFormAndBackUnchanged() throws {
        let card = try aliceCard()
        #expect(try ContactCard(binaryRepresentation: card.binaryRepresentation) == card)
    }

    @Test("The binary form has the documented layout")
    func theBinaryFormHasTheDocumentedLayout() throws {
        // The recipe writes the layout of ContactCard's documentation independently.
        #expect(try aliceCard().binaryRepresentation == CardRecipe().binary)
    }

    @Test("The self-signature and checksum use the documented domain separation")
    func theSelfSignatureVerifiesWithTheDocumentedDomainSeparation() throws {
        let binary = try aliceCard().binaryRepresentation
        let signedEnd = binary.count - 4 - 64
        let signature = Array(binary[signedEnd..<signedEnd + 64])
        let message = Array("Vigil contact card signature v1".utf8) + [0] + Array(binary[..<signedEnd])
        #expect(Fixture.alice.signing.publicKey.isValidSignature(signature, for: message))
        let checksum = BLAKE2b.hash(Array("Vigil contact card checksum v1".utf8) + [0], Array(binary.dropLast(4)))
        #expect(Array(binary.suffix(4)) == Array(checksum.prefix(4)))
    }

    @Test("A card carries one to eight mailboxes in order", arguments: [1, 2, 8])
    func aCardCarriesOneToEightMailboxesInOrder(_ count: Int) throws {
        let mailboxes = try (0..<count).map(mailbox)
        let card = try aliceCard(mailboxes: mailboxes)
        #expect(try ContactCard(text: card.text).mailboxes == mailboxes)
    }

    @Test("A card with the longest name and addresses round-trips")
    func aCardWithTheLongestAddressesRoundTrips() throws {
        let url = "https://" + String(repeating: "r", count: MailboxAddress.maxRelayURLBytes - 8)
        let longest = try (0..<8).map { index in
            try MailboxAddress(relayURL: url, mailboxID: String(repeating: "\(index)", count: 64))
        }
        let card = try aliceCard(displayName: String(repeating: "n", count: 64), mailboxes: longest)
        #expect(try ContactCard(text: card.text) == card)
    }

    @Test("A card with no mailbox or more than eight is not made", arguments: [0, 9])
    func aCardWithNoneOrMoreThanEightMailboxesIsNotMade(_ count: Int) throws {
        let mailboxes = try (0..<count).map(mailbox)
        #expect(throws: CardError.invalidField("mailbox count")) { try aliceCard(mailboxes: mailboxes) }
    }

    @Test("A display name of 1 to 64 bytes on one line is accepted", arguments: [
        "A", String(repeating: "a", count: 64), String(repeating: "é", count: 32), "Ana María 👩🏽‍⚖️", "سارا",
    ])
    func aDisplayNameOfOneTo64BytesOnOneLineIsAccepted(_ name: String) throws {
        let card = try aliceCard(displayName: name)
        #expect(try ContactCard(text: card.text).displayName == name)
    }

    @Test("A display name that is empty, too long or not one line of text is refused", arguments: [
        "", String(repeating: "a", count: 65), String(repeating: "é", count: 32) + "a", "Alice\nBob", "Alice\tB",
        "Alice\r", "\u{202E}ecilA", "A\u{0}",
    ])
    func aDisplayNameThatIsEmptyTooLongOrNotOneLineOfTextIsRefused(_ name: String) {
        #expect(throws: CardError.invalidField("display name")) { try aliceCard(displayName: name) }
    }

    @Test("The text is the prefix and Crockford characters only")
    func theTextIsThePrefixAndCrockfordCharactersOnly() throws {
        let text = try aliceCard(mailboxes: try (0..<8).map(mailbox)).text
        #expect(text.hasPrefix("VIGIL1:"))
        let alphabet = Set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        #expect(text.dropFirst(7).allSatisfy { alphabet.contains($0) })
    }

    @Test("The text fits the QR code alphanumeric mode")
    func theTextFitsTheQRCodeAlphanumericMode() throws {
        let qrAlphanumeric = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
        let text = try aliceCard(mailboxes: try (0..<8).map(mailbox)).text
        #expect(text.allSatisfy { qrAlphanumeric.contains($0) })
    }

    // MARK: Tolerant parsing

    @Test("Parsing ignores case")
    func parsingIgnoresCase() throws {
        let card = try aliceCard()
        #expect(try ContactCard(text: card.text.lowercased()) == card)
        let mixed = String(card.text.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.lowercased()) : $0.element })
        #expect(try ContactCard(text: mixed) == card)
    }

    @Test("Parsing ignores grouping dashes, spaces, tabs and line breaks")
    func parsingIgnoresGroupingDashesSpacesAndLineBreaks() throws {
        let card = try aliceCard()
        let payload = Array(card.text.dropFirst(7))
        let grouped = stride(from: 0, to: payload.count, by: 4).map { String(payload[$0..<min($0 + 4, payload.count)]) }
        for separator in ["-", " ", "\n", "\r\n", " - ", "\t"] {
            let text = "VIGIL1:" + grouped.joined(separator: separator)
            #expect(try ContactCard(text: text) == card, "separator \(separator.debugDescription)")
        }
        let wrapped = stride(from: 0, to: payload.count, by: 40).map { String(payload[$0..<min($0 + 40, payload.count)]) }
        #expect(try ContactCard(text: "VIGIL1:\n" + wrapped.joined(separator: "\n") + "\n") == card)
    }

    @Test("Parsing ignores white space around the card and after the prefix")
    func parsingIgnoresWhiteSpaceAroundTheCard() throws {
        let card = try aliceCard()
        #expect(try ContactCard(text: "  \n\t" + card.text + " \r\n") == card)
        #expect(try ContactCard(text: "VIGIL1: " + card.text.dropFirst(7)) == card)
    }

    @Test("Parsing reads O as 0 and I and L as 1")
    func parsingReadsOAsZeroAndIAndLAsOne() throws {
        let card = try aliceCard()
        let payload = String(card.text.dropFirst(7))
        #expect(payload.contains("0") && payload.contains("1"))
        var toggle = 0
        let substituted = String(payload.map { character -> Character in
            toggle += 1
            switch character {
            case "0": return toggle % 2 == 0 ? "O" : "o"
            case "1": return ["I", "i", "L", "l"][toggle % 4]
            default: return character
            }
        })
        #expect(substituted != payload)
        #expect(try ContactCard(text: "VIGIL1:" + substituted) == card)
    }

    @Test("The prefix may be in lower case")
    func thePrefixMayBeInLowerCase() throws {
        let card = try aliceCard()
        #expect(try ContactCard(text: "vigil1:" + card.text.dropFirst(7)) == card)
    }

    @Test("A newer card of the same identity differs in time and signature")
    func aNewerCardOfTheSameIdentityDiffersOnlyInTimeAndSignature() throws {
        let older = try aliceCard()
        let newer = try aliceCard(createdAt: Timestamp(secondsSince1970: Fixture.now.secondsSince1970 + 60))
        #expect(older != newer)
        #expect(older.identity == newer.identity)
        #expect(older.signature != newer.signature)
        #expect(try ContactCard(text: newer.text).createdAt > older.createdAt)
    }

    @Test("A parsed card gives the same fingerprint and safety number as its owner")
    func theSafetyNumberOfAParsedCardMatchesTheOwnersOwn() throws {
        let parsed = try ContactCard(text: try aliceCard().text)
        let bob = Fixture.bob.publicIdentity
        #expect(SafetyNumber(parsed.identity, bob) == SafetyNumber(Fixture.alice.publicIdentity, bob))
        #expect(parsed.identity.fingerprint == Fixture.alice.publicIdentity.fingerprint)
    }
}
