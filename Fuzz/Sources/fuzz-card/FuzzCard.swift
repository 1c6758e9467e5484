internal import FuzzSupport
internal import VigilCrypto
@_spi(VectorGeneration) internal import VigilProtocol

// Contact card parsing. The first byte's low two bits choose what the rest is:
//
//   0  card text (as UTF-8, invalid sequences replaced), parsed by ContactCard(text:);
//   1  a card's binary form, parsed by ContactCard(binaryRepresentation:);
//   2, 3  the version byte and the fields of a card (everything from "created at" up to the
//      signature), which get a correct length and checksum and a signature by Alice, so that
//      the field checks are reached. Bit 2 of the first byte first overwrites the signing key
//      with Alice's (so the signature verifies); bit 3 also parses the text form as a person
//      might type it (lower case, dashes, line breaks).
//
// Invariants: a card that parses gives back exactly its binary form and text, and parses again
// to itself; the binary form, the text form and the typed text of the same bytes are accepted
// or refused alike.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = inputBytes(data, size)
    guard let selector = input.first else { return 0 }
    CardTarget.run(selector: selector, Array(input.dropFirst()))
    return 0
}

enum CardTarget {
    static func run(selector: UInt8, _ bytes: [UInt8]) {
        switch selector & 3 {
        case 0:
            let text = String(decoding: bytes, as: UTF8.self)
            _ = check(Result { () throws(CardError) in try ContactCard(text: text) }, binary: nil)
        case 1:
            _ = check(Result { () throws(CardError) in try ContactCard(binaryRepresentation: bytes) }, binary: bytes)
        default:
            let flags = selector >> 2
            var fields = Array(bytes.dropFirst())
            if flags & 1 != 0 {
                // Created at (8 bytes), then the signing key.
                for (index, byte) in Parties.alice.signing.publicKey.rawRepresentation.enumerated()
                where 8 + index < fields.count {
                    fields[8 + index] = byte
                }
            }
            let binary = ContactCard.assembleBinary(
                version: bytes.first ?? ContactCard.version, fields: fields, signer: Parties.alice.signing)
            let fromBinary = check(Result { () throws(CardError) in try ContactCard(binaryRepresentation: binary) }, binary: binary)
            let text = ContactCard.text(ofBinary: binary)
            let fromText = check(Result { () throws(CardError) in try ContactCard(text: text) }, binary: nil)
            invariant(fromBinary == fromText, "binary form: \(fromBinary), text form: \(fromText)")
            if flags & 2 != 0 {
                let typed = check(Result { () throws(CardError) in try ContactCard(text: typedByHand(text)) }, binary: nil)
                // Positions of bad characters count the added dashes and breaks; nothing else may differ.
                if case .failure(.invalidCharacter) = typed {
                    invariant(false, "typed text of a card has an invalid character")
                }
                invariant(typed == fromText, "text: \(fromText), typed by hand: \(typed)")
            }
        }
    }

    /// `text` as a person might type it: surrounded by white space, lower case, in groups of
    /// four with dashes, with a line break every 40 characters.
    static func typedByHand(_ text: String) -> String {
        var out = "\n  " + ContactCard.textPrefix.lowercased()
        for (index, character) in text.dropFirst(ContactCard.textPrefix.count).enumerated() {
            if index > 0 && index % 40 == 0 { out += "\r\n" } else if index > 0 && index % 4 == 0 { out += "-" }
            out += character.lowercased()
        }
        return out + " \t"
    }

    /// Checks what a parse gave and returns it.
    static func check(_ result: Result<ContactCard, CardError>, binary: [UInt8]?) -> Result<ContactCard, CardError> {
        switch result {
        case .failure(let error):
            invariant(!error.code.isEmpty && !error.description.isEmpty, "an error without code or description")
        case .success(let card):
            let cardBinary = card.binaryRepresentation
            if let binary { invariant(cardBinary == binary, "a parsed card does not give back its binary form") }
            invariant(ContactCard.text(ofBinary: cardBinary) == card.text, "text and binary form disagree")
            invariant((try? ContactCard(text: card.text)) == card, "a card's text does not parse to the card")
            invariant((try? ContactCard(binaryRepresentation: cardBinary)) == card, "a card's binary form does not parse to the card")
            invariant(
                TextRules.isValid(card.displayName, maxBytes: ContactCard.maxDisplayNameBytes, singleLine: true),
                "a card's display name breaks the text rules")
            invariant((1...ContactCard.maxMailboxes).contains(card.mailboxes.count), "a card with \(card.mailboxes.count) mailboxes")
        }
        return result
    }
}
