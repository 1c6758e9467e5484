import Testing
import VigilCrypto
@testable import VigilProtocol

private func parse(binary: [UInt8]) throws(CardError) -> ContactCard {
    try ContactCard(binaryRepresentation: binary)
}

private func cardText(_ binary: [UInt8]) -> String {
    ContactCard.textPrefix + CrockfordBase32.encode(binary)
}

@Suite("Contact card rejection") struct CardRejectionTests {
    @Test("The card recipe left alone makes a valid card")
    func theRecipeMakesAValidCardWhenLeftAlone() throws {
        // The tests below change one field each; this shows the rest is right.
        #expect(try parse(binary: CardRecipe().binary) == aliceCard())
    }

    // MARK: Text form

    @Test(
        "Text that does not start with VIGIL1: is missing the prefix",
        arguments: [
            "", "   ", "VIGIL", "VIGIL1", "VIGIL2:0000", "VIGIL:1", "IGIL1:", "CARD VIGIL1:", "VIG IL1:", "V1GIL1:",
            "\u{FEFF}VIGIL1:",
        ])
    func textWithoutThePrefixIsMissingPrefix(_ text: String) {
        #expect(throws: CardError.missingPrefix) { try ContactCard(text: text) }
    }

    @Test("A text with only the prefix, or barely more, is truncated")
    func aTextWithOnlyThePrefixIsTruncated() {
        #expect(throws: CardError.truncated) { try ContactCard(text: "VIGIL1:") }
        #expect(throws: CardError.truncated) { try ContactCard(text: "VIGIL1:00") }
    }

    @Test("A character outside the alphabet is reported at its position", arguments: ["U", "u", "*", "=", "é", "\u{0}", "_", "~", ":"])
    func aCharacterOutsideTheAlphabetIsInvalidCharacterAtItsPosition(_ bad: String) throws {
        let payload = Array(try aliceCard().text.dropFirst(7))
        for position in [0, 1, 10, payload.count / 2, payload.count - 1, payload.count] {
            let text = "VIGIL1:" + String(payload[..<position]) + bad + String(payload[position...])
            #expect(throws: CardError.invalidCharacter(position: position)) { try ContactCard(text: text) }
        }
    }

    @Test("The invalid character position counts the spaces and dashes a person sees")
    func theInvalidCharacterPositionCountsTheSpacesAndDashesAPersonSees() throws {
        // "VIGIL1:" then "AB-CD EF" and the bad character, at 0-based position 8 after the prefix.
        let payload = String(try aliceCard().text.dropFirst(7))
        let characters = Array(payload)
        let text = "VIGIL1:" + String(characters[0..<2]) + "-" + String(characters[2..<4]) + " " + String(characters[4..<6])
            + "U" + String(characters[6...])
        #expect(throws: CardError.invalidCharacter(position: 8)) { try ContactCard(text: text) }
        #expect(throws: CardError.invalidCharacter(position: 1)) { try ContactCard(text: "  VIGIL1: U") }
    }

    @Test("A card with characters missing at the end is truncated")
    func aCardWithCharactersMissingAtTheEndIsTruncated() throws {
        let text = try aliceCard().text
        for missing in [1, 2, 5, 8, 13, 50, text.count - 12] {
            #expect(throws: CardError.truncated, "\(missing) missing") { try ContactCard(text: String(text.dropLast(missing))) }
        }
    }

    @Test("A card with characters added at the end has trailing data")
    func aCardWithCharactersAddedAtTheEndIsTrailingData() throws {
        let text = try aliceCard().text
        for extra in ["0", "00", "Z", "0000000", "00000000", "VIGIL1"] {
            #expect(throws: CardError.trailingData, "\(extra) added") { try ContactCard(text: text + extra) }
        }
        #expect(throws: CardError.trailingData) { try ContactCard(text: text + " " + text.dropFirst(7)) }
    }

    @Test("A binary card with a byte added or missing has trailing data or is truncated")
    func aBinaryCardWithBytesAddedOrMissingIsTrailingDataOrTruncated() throws {
        let binary = try aliceCard().binaryRepresentation
        #expect(throws: CardError.trailingData) { try parse(binary: binary + [0]) }
        #expect(throws: CardError.truncated) { try parse(binary: Array(binary.dropLast())) }
        for length in 0..<3 {
            #expect(throws: CardError.truncated) { try parse(binary: Array(binary.prefix(length))) }
        }
    }

    @Test("Any mistyped character past the length is a checksum mismatch")
    func aMistypedCharacterIsChecksumMismatch() throws {
        let text = try aliceCard().text
        var characters = Array(text)
        // Past the version and length characters, change each character to another valid one.
        var failures: [Int] = []
        for index in 12..<characters.count - 1 {
            let original = characters[index]
            characters[index] = original == "7" ? "8" : "7"
            do {
                _ = try ContactCard(text: String(characters))
                failures.append(index)
            } catch .checksumMismatch {
                // As expected.
            } catch {
                failures.append(index)
            }
            characters[index] = original
        }
        #expect(failures.isEmpty, "positions not reported as checksum mismatches: \(failures)")
    }

    @Test("A last character with non-zero filler bits is a checksum mismatch")
    func aLastCharacterWithNonZeroFillerBitsIsChecksumMismatch() throws {
        // The binary form's length decides how many filler bits the last character has; a
        // card whose last character carries bits beyond the data was altered.
        let names = ["A", "AB", "ABC", "ABCD", "ABCDE"]
        let cards = try names.map { try aliceCard(displayName: $0) }
        let card = try #require(cards.first { $0.binaryRepresentation.count * 8 % 5 != 0 })
        var characters = Array(card.text)
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        let value = try #require(alphabet.firstIndex(of: characters[characters.count - 1]))
        characters[characters.count - 1] = alphabet[value | 1]
        #expect(throws: CardError.checksumMismatch) { try ContactCard(text: String(characters)) }
    }

    @Test("Any changed byte of the binary form except the length is a checksum mismatch")
    func aChangedByteOfTheBinaryFormIsChecksumMismatch() throws {
        let binary = try aliceCard().binaryRepresentation
        for index in binary.indices where index != 1 && index != 2 {
            #expect(throws: CardError.checksumMismatch, "byte \(index)") { try parse(binary: flipping(binary, at: index)) }
        }
    }

    @Test("A card no longer than its checksum is a checksum mismatch")
    func aCardShorterThanItsChecksumIsChecksumMismatch() {
        for length in 3...4 {
            let bytes = withFixedLength([1] + [UInt8](repeating: 0, count: length - 1))
            #expect(throws: CardError.checksumMismatch) { try parse(binary: bytes) }
        }
    }

    @Test("A card of another version is refused with that version", arguments: [UInt8(0), 2, 0xFF])
    func aCardOfAnotherVersionIsUnsupportedVersion(_ version: UInt8) {
        var recipe = CardRecipe()
        recipe.version = version
        #expect(throws: CardError.unsupportedVersion(version)) { try parse(binary: recipe.binary) }
        #expect(throws: CardError.unsupportedVersion(version)) { try ContactCard(text: cardText(recipe.binary)) }
    }

    // MARK: Fields

    @Test("An invalid signing key is an invalid field", arguments: [
        [UInt8](repeating: 0, count: 32), [1] + [UInt8](repeating: 0, count: 31), [UInt8](repeating: 0xFF, count: 32),
    ])
    func anInvalidSigningKeyIsInvalidField(_ key: [UInt8]) {
        var recipe = CardRecipe()
        recipe.signingKey = key
        #expect(throws: CardError.invalidField("signing key")) { try parse(binary: recipe.binary) }
    }

    @Test("An empty, too long, multi-line or malformed display name is an invalid field", arguments: [
        [], Array(String(repeating: "a", count: 65).utf8), Array("Ali\nce".utf8), [0x41, 0xFF], Array("\u{202E}x".utf8), [0xC0, 0xAF],
    ])
    func anInvalidDisplayNameIsInvalidField(_ name: [UInt8]) {
        var recipe = CardRecipe()
        recipe.name = name
        #expect(throws: CardError.invalidField("display name")) { try parse(binary: recipe.binary) }
    }

    @Test("A display name of 64 bytes is accepted")
    func aDisplayNameOf64BytesIsAccepted() throws {
        var recipe = CardRecipe()
        recipe.name = Array(String(repeating: "ß", count: 32).utf8)
        #expect(try parse(binary: recipe.binary).displayName == String(repeating: "ß", count: 32))
    }

    @Test("A mailbox count outside 1...8 is an invalid field", arguments: [0, 9, 255])
    func aMailboxCountOutsideOneToEightIsInvalidField(_ count: Int) {
        var recipe = CardRecipe()
        recipe.mailboxes = Array(repeating: recipe.mailboxes[0], count: count)
        #expect(throws: CardError.invalidField("mailbox count")) { try parse(binary: recipe.binary) }
    }

    @Test("An invalid relay URL is an invalid field", arguments: [
        "", "relay.example.org", "ftp://relay.example.org", "http://", "https:///path", "https://relay example.org",
        "https://relay.example.org/\u{7F}", "https://rélay.example.org", "https://" + String(repeating: "r", count: 193),
    ])
    func anInvalidRelayURLIsInvalidField(_ url: String) {
        var recipe = CardRecipe()
        recipe.mailboxes[0].url = Array(url.utf8)
        #expect(throws: CardError.invalidField("relay URL")) { try parse(binary: recipe.binary) }
    }

    @Test("A relay URL that is not UTF-8 is an invalid field")
    func aRelayURLThatIsNotUTF8IsInvalidField() {
        var recipe = CardRecipe()
        recipe.mailboxes[0].url = Array("https://relay".utf8) + [0xFF, 0xFE]
        #expect(throws: CardError.invalidField("relay URL")) { try parse(binary: recipe.binary) }
    }

    @Test(
        "An invalid mailbox ID is an invalid field",
        arguments: [
            "", "short", String(repeating: "m", count: 15), String(repeating: "m", count: 65), "mailbox.with.dots.0123",
            "mailbox with spaces 0123", "mailbox/0123456789abc",
        ])
    func anInvalidMailboxIDIsInvalidField(_ id: String) {
        var recipe = CardRecipe()
        recipe.mailboxes[0].id = Array(id.utf8)
        #expect(throws: CardError.invalidField("mailbox ID")) { try parse(binary: recipe.binary) }
    }

    @Test("An invalid second mailbox is an invalid field too")
    func anInvalidSecondMailboxIsInvalidFieldToo() {
        var recipe = CardRecipe()
        recipe.mailboxes.append((Array("https://ok.example".utf8), Array("bad id".utf8)))
        #expect(throws: CardError.invalidField("mailbox ID")) { try parse(binary: recipe.binary) }
    }

    @Test("Bytes between the last field and the signature are an invalid length", arguments: [1, 63, 65])
    func bytesBetweenTheFieldsAndTheSignatureAreInvalidLength(_ extra: Int) {
        var recipe = CardRecipe()
        recipe.extra = [UInt8](repeating: 0, count: extra)
        #expect(throws: CardError.invalidField("length")) { try parse(binary: recipe.binary) }
    }

    @Test("Fields that run past the end are an invalid length")
    func fieldsThatRunPastTheEndAreInvalidLength() {
        // A mailbox count of 8 with one mailbox written: the reader runs out inside the fields.
        var recipe = CardRecipe()
        recipe.mailboxCountOverride = 8
        #expect(throws: CardError.invalidField("length")) { try parse(binary: recipe.binary) }
        // A name length beyond the end of the card.
        let keys = Fixture.alice.signing.publicKey.rawRepresentation + Fixture.alice.encryption.publicKey.rawRepresentation
        let fields = be(UInt64(1)) + keys + [200] + [UInt8](repeating: 0x61, count: 10)
        let bytes = withFixedChecksum(withFixedLength([1, 0, 0] + fields + [UInt8](repeating: 0, count: 64 + 4)))
        #expect(throws: CardError.invalidField("length")) { try parse(binary: bytes) }
    }

    @Test("A card too short for its keys is an invalid length")
    func aCardTooShortForItsKeysIsInvalidLength() {
        let bytes = withFixedChecksum(withFixedLength([1, 0, 0] + be(UInt64(1)) + [0, 0, 0, 0]))
        #expect(throws: CardError.invalidField("length")) { try parse(binary: bytes) }
    }

    // MARK: Signature

    @Test("A card signed by another key has a bad signature")
    func aCardSignedByAnotherKeyIsBadSignature() {
        var recipe = CardRecipe()
        recipe.signer = Fixture.carol.signing
        #expect(throws: CardError.badSignature) { try parse(binary: recipe.binary) }
    }

    @Test("A card with a swapped-in key and a recomputed checksum has a bad signature")
    func aCardWithAReplacedKeyAndRecomputedChecksumIsBadSignature() throws {
        // What an attacker who swaps in their own encryption key would produce.
        var binary = try aliceCard().binaryRepresentation
        binary.replaceSubrange(43..<75, with: Fixture.carol.encryption.publicKey.rawRepresentation)
        #expect(throws: CardError.badSignature) { try parse(binary: withFixedChecksum(binary)) }
        #expect(throws: CardError.badSignature) { try ContactCard(text: cardText(withFixedChecksum(binary))) }
    }

    @Test("Every byte change with the checksum recomputed is still refused")
    func everyByteChangeBeforeTheChecksumWithTheChecksumFixedIsRefused() throws {
        let binary = try aliceCard().binaryRepresentation
        var accepted: [Int] = []
        for index in 0..<binary.count - 4 {
            for mask in [UInt8(0x01), 0x80] {
                let changed = withFixedChecksum(flipping(binary, at: index, mask: mask))
                if (try? parse(binary: changed)) != nil { accepted.append(index) }
            }
        }
        #expect(accepted.isEmpty, "changes accepted at bytes \(accepted)")
    }

    @Test("A zero signature is a bad signature")
    func aZeroSignatureIsBadSignature() {
        var recipe = CardRecipe()
        recipe.signatureOverride = [UInt8](repeating: 0, count: 64)
        #expect(throws: CardError.badSignature) { try parse(binary: recipe.binary) }
    }

    // MARK: Codes and messages

    @Test("Every error has a distinct, stable code")
    func everyErrorHasADistinctStableCode() {
        let errors: [CardError] = [
            .missingPrefix, .invalidCharacter(position: 3), .truncated, .trailingData, .checksumMismatch,
            .unsupportedVersion(2), .invalidField("display name"), .badSignature,
        ]
        #expect(errors.map(\.code) == ["prefix", "character", "truncated", "trailing_data", "checksum", "version", "field", "signature"])
    }

    @Test("The invalid character message counts positions from one")
    func theInvalidCharacterMessageCountsFromOne() {
        #expect(CardError.invalidCharacter(position: 0).description.contains("position 1 "))
    }
}
