@_spi(VectorGeneration) import VigilProtocol
import VigilCrypto

/// Builds `cards.json`: valid cards in canonical and hand-typed forms, and card texts that each
/// fail one check. Every vector is checked against the parser before it is written.
struct CardVectors {
    private(set) var valid: [JSON] = []
    private(set) var invalid: [JSON] = []

    /// Makes a card with the library, records its canonical text and the given variants of it.
    /// Returns the card.
    @discardableResult
    mutating func addValid(
        _ name: String, _ description: String, owner: Party, displayName: String, mailboxes: [(String, String)],
        createdAt: UInt64 = baseTime, variants: [(String, String, (String) -> String)] = []
    ) -> ContactCard {
        let card: ContactCard
        do {
            card = try ContactCard(
                identity: owner.identity, displayName: displayName,
                mailboxes: mailboxes.map { try MailboxAddress(relayURL: $0.0, mailboxID: $0.1) },
                createdAt: Timestamp(secondsSince1970: createdAt))
        } catch {
            fatalError("valid card \(name): \(error)")
        }
        // The vector helper must agree with the library on the bytes of a valid card.
        let rebuilt = ContactCard.assembleBinary(
            version: 1,
            fields: CardFields(owner: owner, name: Array(displayName.utf8), mailboxes: mailboxes, createdAt: createdAt).bytes,
            signer: owner.identity.signing)
        guard rebuilt == card.binaryRepresentation else { fatalError("card helper disagrees with ContactCard for \(name)") }

        let expected: JSON = .object([
            ("version", .int(Int64(ContactCard.version))),
            ("created_at", .uint(createdAt)),
            ("signing_public_key_hex", .hex(owner.signingPublicKey)),
            ("encryption_public_key_hex", .hex(owner.encryptionPublicKey)),
            ("display_name", .string(displayName)),
            ("mailboxes", .array(mailboxes.map { .object([("relay_url", .string($0.0)), ("mailbox_id", .string($0.1))]) })),
            ("signature_hex", .hex(card.signature)),
            ("fingerprint", .string(card.identity.fingerprint.description)),
        ])
        let forms = [(name, description, card.text)] + variants.map { ("\(name), \($0.0)", $0.1, $0.2(card.text)) }
        for (formName, formDescription, text) in forms {
            guard let parsed = try? ContactCard(text: text), parsed == card else {
                fatalError("valid card form \(formName) does not parse to the card")
            }
            valid.append(.object([
                ("name", .string(formName)),
                ("description", .string(formDescription)),
                ("owner", owner.senderJSON),
                ("text", .string(text)),
                ("canonical_text", .string(card.text)),
                ("binary_length", .int(Int64(card.binaryRepresentation.count))),
                ("binary_hex", .hex(card.binaryRepresentation)),
                ("expected", expected),
            ]))
        }
        return card
    }

    /// Records a card text that must be refused with `code`; `position` and `field` are the
    /// details of `character` and `field` errors. `binary` is what the text decodes to, if known.
    mutating func addInvalid(
        _ name: String, _ description: String, text: String, binary: [UInt8]? = nil, code: String,
        position: Int? = nil, field: String? = nil
    ) {
        do {
            _ = try ContactCard(text: text)
            fatalError("invalid card \(name) parsed")
        } catch {
            guard error.code == code else { fatalError("invalid card \(name): got \(error), want \(code)") }
            switch error {
            case .invalidCharacter(let actual):
                guard actual == position else { fatalError("invalid card \(name): position \(actual) in \(text.debugDescription)") }
            case .invalidField(let actual):
                guard actual == field else { fatalError("invalid card \(name): field \(actual)") }
            default:
                guard position == nil, field == nil else { fatalError("invalid card \(name): no detail") }
            }
        }
        var members: [(String, JSON)] = [
            ("name", .string(name)),
            ("description", .string(description)),
            ("text", .string(text)),
            ("expected_error", .string(code)),
        ]
        if let position { members.append(("expected_position", .int(Int64(position)))) }
        if let field { members.append(("expected_field", .string(field))) }
        members.append(("binary_hex", .optional(binary.map(JSON.hex))))
        invalid.append(.object(members))
    }

    /// A card whose length and checksum are right and whose `fields` are as given.
    mutating func addInvalidFields(
        _ name: String, _ description: String, fields: CardFields, version: UInt8 = 1, signer: Party = .alice,
        signatureOverride: [UInt8]? = nil, code: String = "field", field: String?
    ) {
        let binary = ContactCard.assembleBinary(
            version: version, fields: fields.bytes, signer: signer.identity.signing, signatureOverride: signatureOverride)
        addInvalid(name, description, text: ContactCard.text(ofBinary: binary), binary: binary, code: code, field: field)
    }

    var json: JSON {
        .object([
            ("format", .string(Self.format)),
            ("generator", .string(generatorName)),
            ("spec", .string("Protocol/card.md")),
            ("valid", .array(valid)),
            ("invalid", .array(invalid)),
        ])
    }

    static let format = """
        Vigil contact card v1 test vectors. Each `valid` vector's `text` must parse to the fields \
        under `expected` and re-encode to `canonical_text` (`binary_hex` is its binary form; \
        Ed25519 is deterministic, so the owner's seed reproduces the card exactly). Each `invalid` \
        vector's `text` must be refused with the error code `expected_error` (Protocol/card.md, \
        'Parsing'); `expected_position` (for `character`) is the 0-based index of the offending \
        character in the text after the prefix, ignored characters included, and `expected_field` \
        (for `field`) names the field. `binary_hex` is what an invalid text decodes to, where that is meaningful.
        """
}

/// The fields of a card between the total length and the signature, written raw so that each
/// can be wrong on purpose.
struct CardFields {
    var createdAt: UInt64
    var signingKey: [UInt8]
    var encryptionKey: [UInt8]
    var name: [UInt8]
    var nameLength: UInt8?
    var mailboxCount: UInt8?
    var mailboxes: [([UInt8], [UInt8])]
    var extra: [UInt8] = []

    init(owner: Party, name: [UInt8], mailboxes: [(String, String)], createdAt: UInt64 = baseTime) {
        self.createdAt = createdAt
        signingKey = owner.signingPublicKey
        encryptionKey = owner.encryptionPublicKey
        self.name = name
        self.mailboxes = mailboxes.map { (Array($0.0.utf8), Array($0.1.utf8)) }
    }

    var bytes: [UInt8] {
        var out = Bytes().u64(createdAt).raw(signingKey).raw(encryptionKey)
            .u8(nameLength ?? UInt8(name.count)).raw(name)
            .u8(mailboxCount ?? UInt8(mailboxes.count))
        for (url, id) in mailboxes { out = out.u8(UInt8(url.count)).raw(url).u8(UInt8(id.count)).raw(id) }
        return out.raw(extra).bytes
    }
}

private let aliceMailbox = ("https://relay.example.org", "mbx_4fG7hK2pQ9rT1vW3xY5z")

func makeCardVectors() -> CardVectors {
    var v = CardVectors()
    let alice = v.addValid(
        "Alice, one mailbox", "The canonical text, as `ContactCard.text` writes it.",
        owner: .alice, displayName: "Alice", mailboxes: [aliceMailbox],
        variants: [
            ("lower case", "Every letter in lower case, the prefix too.", { $0.lowercased() }),
            ("wrapped and grouped", "Hyphens every 4 characters, a line break (LF or CR LF) every 24, spaces around.",
             { text in "  " + wrap(text) + "\n" }),
            ("O, I and L typed for 0 and 1", "Every 0 typed as O or o, every 1 as I, i, L or l.", substituteLookalikes),
        ])
    v.addValid(
        "Bob, eight mailboxes", "The most mailboxes a card may list, on relays of every accepted form.",
        owner: .bob, displayName: "Bob (legal clinic)",
        mailboxes: [
            ("https://relay.example.org", "0123456789abcdef"),
            ("http://127.0.0.1:8080", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            ("https://relay.example.net/vigil/", "mbx-2-b0b-____----"),
            ("HTTPS://RELAY.EXAMPLE.COM", "UPPERCASE_SCHEME_OK"),
            ("http://vigilrelayexampleonionaddressxxxxxxxxxxxxxxxxxxxxxxx.onion", "onion-mailbox-000001"),
            ("https://[2001:db8::1]:8443", "ipv6-literal-host-01"),
            ("https://relay.example.org:443/path?query=1#fragment", "anything-printable-url"),
            ("https://r.example", "short-host-name-1"),
        ])
    let carolName = "Zoë Núñez · مريم · 小明 🕊"
    v.addValid(
        "Carol, non-ASCII display name", "Accents, Arabic, CJK and an emoji: \(carolName.utf8.count) UTF-8 bytes.",
        owner: .carol, displayName: carolName, mailboxes: [("https://relay.example.org", "carol_mailbox_000000000001")],
        createdAt: 0)
    v.addValid(
        "Carol, every field at its limit",
        "A 64-byte name, eight 200-byte relay URLs and eight 64-character mailbox IDs.",
        owner: .carol, displayName: asciiText(64, from: "Carol "),
        mailboxes: (0..<8).map { index in
            let base = "https://relay\(index).example.org/"
            return (base + asciiText(200 - base.utf8.count, from: "abcdefghijklmnopqrstuvwxyz0123456789"),
                    String(repeating: "\(index)", count: 64))
        },
        createdAt: UInt64(UInt32.max))

    addInvalidTexts(to: &v, alice: alice)
    addInvalidFieldCards(to: &v)
    return v
}

private func addInvalidTexts(to v: inout CardVectors, alice: ContactCard) {
    let text = alice.text
    let characters = Array(text.dropFirst(ContactCard.textPrefix.count))
    let body = String(characters)
    func replacing(_ index: Int, with character: Character) -> String {
        var copy = characters
        copy[index] = character
        return ContactCard.textPrefix + String(copy)
    }

    v.addInvalid("prefix missing", "Only the Base32 part.", text: body, code: "prefix")
    v.addInvalid("prefix VIGIL2:", "", text: "VIGIL2:" + body, code: "prefix")
    v.addInvalid("prefix with a space inside", "", text: "VIGIL 1:" + body, code: "prefix")
    v.addInvalid("prefix without the colon", "", text: "VIGIL1" + body, code: "prefix")
    v.addInvalid("empty text", "", text: "", code: "prefix")
    v.addInvalid("only white space", "", text: " \n\t", code: "prefix")

    v.addInvalid("character U", "U is not in the alphabet (position 10).", text: replacing(10, with: "U"), code: "character", position: 10)
    v.addInvalid("character !", "", text: replacing(30, with: "!"), code: "character", position: 30)
    v.addInvalid("character =", "No '=' padding is ever written or accepted; at the end.", text: text + "=", code: "character", position: characters.count)
    v.addInvalid("character é", "A non-ASCII character.", text: replacing(12, with: "é"), code: "character", position: 12)
    v.addInvalid(
        "character after ignored ones",
        "Positions count every character after the prefix, ignored ones included: the '*' is at position 12.",
        text: ContactCard.textPrefix + "  " + String(characters[0..<4]) + "-" + String(characters[4..<8]) + "\n*" + String(characters[8...]),
        code: "character", position: 12)
    v.addInvalid(
        "character: non-breaking space", "Only space, tab, CR, LF and '-' are ignored; U+00A0 is not.",
        text: ContactCard.textPrefix + String(characters[0..<4]) + "\u{A0}" + String(characters[4...]), code: "character", position: 4)

    v.addInvalid("only the prefix", "No bytes at all.", text: ContactCard.textPrefix, code: "truncated")
    v.addInvalid("four characters", "Two bytes: not even the length field.", text: ContactCard.textPrefix + String(characters.prefix(4)), code: "truncated")
    v.addInvalid("last character missing", "", text: String(text.dropLast()), code: "truncated")
    v.addInvalid("cut in half", "", text: String(text.prefix(ContactCard.textPrefix.count + characters.count / 2)), code: "truncated")

    v.addInvalid("eight characters appended", "Five more bytes than the length field says.", text: text + "00000000", code: "trailing_data")
    v.addInvalid("one character appended", "Too few bits for a byte: a dangling character.", text: text + "0", code: "trailing_data")
    v.addInvalid("card pasted twice", "", text: text + text.dropFirst(ContactCard.textPrefix.count), code: "trailing_data")

    // A changed character: the checksum catches it (past the first five characters, which
    // carry the version and length and are checked earlier).
    let middle = characters.count / 2
    v.addInvalid(
        "one character mistyped", "Position \(middle) changed.",
        text: replacing(middle, with: characters[middle] == "7" ? "8" : "7"), code: "checksum")
    var swapped = characters
    let swapAt = (20..<characters.count - 1).first { swapped[$0] != swapped[$0 + 1] }!
    swapped.swapAt(swapAt, swapAt + 1)
    v.addInvalid(
        "two characters swapped", "Positions \(swapAt) and \(swapAt + 1).",
        text: ContactCard.textPrefix + String(swapped), code: "checksum")
    var checksumBroken = alice.binaryRepresentation
    checksumBroken[checksumBroken.count - 1] ^= 0x01
    v.addInvalid(
        "checksum byte changed", "The last byte of the checksum.",
        text: ContactCard.text(ofBinary: checksumBroken), binary: checksumBroken, code: "checksum")
    let binaryCount = alice.binaryRepresentation.count
    let fillerBits = (5 - (binaryCount * 8) % 5) % 5
    precondition(fillerBits > 0, "Alice's card should end with filler bits")
    let last = characters.count - 1
    let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    let lastValue = alphabet.firstIndex(of: characters[last])!
    v.addInvalid(
        "filler bits not zero",
        "The last character changed only in its \(fillerBits) filler bit(s): the bytes are the same, the text is not canonical.",
        text: replacing(last, with: alphabet[lastValue | 1]), binary: alice.binaryRepresentation, code: "checksum")
}

private func addInvalidFieldCards(to v: inout CardVectors) {
    func fields(_ change: (inout CardFields) -> Void) -> CardFields {
        var fields = CardFields(owner: .alice, name: Array("Alice".utf8), mailboxes: [aliceMailbox])
        change(&fields)
        return fields
    }
    let good = fields { _ in }

    v.addInvalidFields("version 2", "Checksum correct; version byte 2.", fields: good, version: 2, code: "version", field: nil)
    v.addInvalidFields("version 0", "", fields: good, version: 0, code: "version", field: nil)

    v.addInvalidFields(
        "signing key of small order", "01 00...00.", fields: fields { $0.signingKey = BadSigningKeys.smallOrder },
        field: "signing key")
    v.addInvalidFields(
        "signing key not canonically encoded", "y = p.", fields: fields { $0.signingKey = BadSigningKeys.nonCanonical },
        field: "signing key")
    v.addInvalidFields(
        "signing key outside the prime-order subgroup", "Alice's key plus the point of order 2.",
        fields: fields { $0.signingKey = BadSigningKeys.mixedOrder(from: Party.alice.signingPublicKey) },
        field: "signing key")

    v.addInvalidFields(
        "encryption key of small order (zero)", "The X25519 point 0: every shared secret would be zero.",
        fields: fields { $0.encryptionKey = [UInt8](repeating: 0, count: 32) }, field: "encryption key")
    v.addInvalidFields(
        "encryption key of small order (one)", "u = 1, a point of small order.",
        fields: fields { $0.encryptionKey = [1] + [UInt8](repeating: 0, count: 31) }, field: "encryption key")
    v.addInvalidFields("empty display name", "", fields: fields { $0.name = [] }, field: "display name")
    v.addInvalidFields(
        "display name with a line feed", "Names are single-line: no LF.", fields: fields { $0.name = Array("Ali\nce".utf8) },
        field: "display name")
    v.addInvalidFields(
        "display name with a tab", "Names are single-line: no tab.", fields: fields { $0.name = Array("Ali\tce".utf8) },
        field: "display name")
    v.addInvalidFields(
        "display name with RIGHT-TO-LEFT OVERRIDE", "", fields: fields { $0.name = Array("\u{202E}ecilA".utf8) },
        field: "display name")
    v.addInvalidFields(
        "display name of 65 bytes", "", fields: fields { $0.name = Array(asciiText(65).utf8) }, field: "display name")
    v.addInvalidFields(
        "display name with invalid UTF-8", "FF.", fields: fields { $0.name = [0x41, 0xFF] }, field: "display name")

    v.addInvalidFields("no mailbox", "Count 0.", fields: fields { $0.mailboxes = [] }, field: "mailbox count")
    v.addInvalidFields(
        "nine mailboxes", "", fields: fields { $0.mailboxes = Array(repeating: $0.mailboxes[0], count: 9) },
        field: "mailbox count")
    let id = Array(aliceMailbox.1.utf8)
    for (name, url) in [
        ("relay URL with scheme ftp", "ftp://relay.example.org"),
        ("relay URL without scheme", "relay.example.org"),
        ("relay URL with nothing after the scheme", "https://"),
        ("relay URL with a third slash", "https:///relay.example.org"),
        ("relay URL with a space", "https://relay.example.org/a b"),
        ("relay URL with non-ASCII", "https://relé.example.org"),
        ("relay URL of 201 bytes", "https://relay.example.org/" + asciiText(201 - 26, from: "abcdefghij")),
    ] {
        v.addInvalidFields(name, "", fields: fields { $0.mailboxes = [(Array(url.utf8), id)] }, field: "relay URL")
    }
    let url = Array(aliceMailbox.0.utf8)
    for (name, mailboxID) in [
        ("mailbox ID of 15 characters", "abcdefghijklmno"),
        ("mailbox ID of 65 characters", String(repeating: "a", count: 65)),
        ("mailbox ID with a dot", "mbx.4fG7hK2pQ9rT1vW3"),
        ("mailbox ID with a non-ASCII letter", "mbx_ñ4fG7hK2pQ9rT1vW3"),
        ("empty mailbox ID", ""),
    ] {
        v.addInvalidFields(name, "", fields: fields { $0.mailboxes = [(url, Array(mailboxID.utf8))] }, field: "mailbox ID")
    }
    v.addInvalidFields(
        "second mailbox invalid", "The first is fine; the second has an 8-character ID.",
        fields: fields { $0.mailboxes.append((url, Array("tooshort".utf8))) }, field: "mailbox ID")
    v.addInvalidFields(
        "relay URL and mailbox ID both invalid", "The URL is reported: it is checked first.",
        fields: fields { $0.mailboxes = [(Array("ftp://x".utf8), Array("short".utf8))] }, field: "relay URL")
    v.addInvalidFields(
        "name length beyond the fields", "Name length 255: reading runs past the signature.",
        fields: fields { $0.nameLength = 255 }, field: "length")
    v.addInvalidFields(
        "extra byte before the signature", "The fields end one byte before the signature starts.",
        fields: fields { $0.extra = [0] }, field: "length")

    v.addInvalidFields(
        "signature bit flipped", "Checksum recomputed over the changed signature.",
        fields: good, signatureOverride: flippedBit(ContactCard.assembleBinary(
            version: 1, fields: good.bytes, signer: Party.alice.identity.signing).dropLast(4).suffix(64)),
        code: "signature", field: nil)
    v.addInvalidFields(
        "signed by another key", "Carol's signature over Alice's card.", fields: good, signer: .carol,
        code: "signature", field: nil)
    v.addInvalidFields(
        "signed without the domain-separation prefix", "",
        fields: good,
        signatureOverride: Party.alice.identity.signing.signature(
            for: [1] + Bytes().u16(UInt16(3 + good.bytes.count + 68)).bytes + good.bytes),
        code: "signature", field: nil)
}

private func flippedBit(_ bytes: some Collection<UInt8>) -> [UInt8] {
    var copy = Array(bytes)
    copy[5] ^= 0x10
    return copy
}

/// Groups of four separated by hyphens, lines of 24 characters separated alternately by LF and
/// CR LF, as people and chat apps mangle a card.
private func wrap(_ text: String) -> String {
    let prefix = ContactCard.textPrefix
    let characters = Array(text.dropFirst(prefix.count))
    var out = prefix + "\n"
    for (index, character) in characters.enumerated() {
        if index > 0 {
            if index % 24 == 0 {
                out += (index / 24) % 2 == 0 ? "\n" : "\r\n"
            } else if index % 4 == 0 {
                out += "-"
            }
        }
        out.append(character)
    }
    return out
}

/// Every 0 typed as O or o and every 1 as I, i, L or l, in turn.
private func substituteLookalikes(_ text: String) -> String {
    let prefix = ContactCard.textPrefix
    var zeros = 0
    var ones = 0
    return prefix + String(text.dropFirst(prefix.count).map { character -> Character in
        switch character {
        case "0":
            zeros += 1
            return zeros % 2 == 0 ? "o" : "O"
        case "1":
            ones += 1
            return Array("IiLl")[ones % 4]
        default:
            return character
        }
    })
}
