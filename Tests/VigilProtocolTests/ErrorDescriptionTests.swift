import Testing
import VigilCrypto
@_spi(VectorGeneration) @testable import VigilProtocol

/// Public key bytes that error messages must not print: they would tie a log line to a person.
private let keys: [[UInt8]] = [Fixture.alice, Fixture.bob, Fixture.carol].flatMap {
    [$0.signing.publicKey.rawRepresentation, $0.encryption.publicKey.rawRepresentation]
}

private let secretNote = "Hiding at Rua das Flores 12, second floor"

/// Whether `description` leaks the note or a key; records an issue naming the leak.
private func expectDiscreet(_ description: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!description.contains("Rua das Flores"), "\(description)", sourceLocation: sourceLocation)
    #expect(!description.contains("Alice") && !description.contains("secretbox"), "\(description)", sourceLocation: sourceLocation)
    for key in keys {
        #expect(!reveals(key, in: description), "\(description)", sourceLocation: sourceLocation)
    }
}

/// Runs `operation`, which must throw, and returns the error.
private func failure<E: Error>(of operation: () throws(E) -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> E? {
    do {
        try operation()
        Issue.record("did not fail", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

@Suite("Error descriptions") struct ErrorDescriptionTests {
    @Test("Every envelope error met while handling a secret note describes it without the note or keys")
    func everyEnvelopeErrorMetWhileHandlingASecretNoteDescribesItWithoutNoteOrKeys() throws {
        let note = CheckIn(status: .inDanger, note: secretNote, location: Fixture.location)
        let sealed = try Envelope.seal(.checkIn(note), from: Fixture.alice, to: Fixture.bob.publicIdentity, createdAt: Fixture.now)
        var recipe = EnvelopeRecipe()
        recipe.kind = .checkIn
        recipe.body = try MessageBody.checkIn(note).encoded()

        var errors: [EnvelopeError?] = []
        errors.append(failure { () throws(EnvelopeError) in _ = try Envelope.open(sealed, as: Fixture.carol) })
        errors.append(failure { () throws(EnvelopeError) in
            _ = try Envelope.open(Envelope.sealPadded(Array(recipe.inner), to: Fixture.bob.encryption.publicKey), as: Fixture.bob)
        })
        var version = recipe
        version.version = 9
        let versionSealed = try version.sealed()
        errors.append(failure { () throws(EnvelopeError) in _ = try Envelope.open(versionSealed, as: Fixture.bob) })
        var length = recipe
        length.bodyLengthOverride = 1
        let lengthSealed = try length.sealed()
        errors.append(failure { () throws(EnvelopeError) in _ = try Envelope.open(lengthSealed, as: Fixture.bob) })
        var signature = recipe
        signature.signer = Fixture.carol.signing
        let signatureSealed = try signature.sealed()
        errors.append(failure { () throws(EnvelopeError) in _ = try Envelope.open(signatureSealed, as: Fixture.bob) })
        var recipient = recipe
        recipient.sealedTo = Fixture.carol.encryption.publicKey
        let recipientSealed = try recipient.sealed()
        errors.append(failure { () throws(EnvelopeError) in _ = try Envelope.open(recipientSealed, as: Fixture.carol) })
        var body = recipe
        body.body = try MessageBody.checkIn(note).encoded() + [0]
        let bodySealed = try body.sealed()
        errors.append(failure { () throws(EnvelopeError) in _ = try Envelope.open(bodySealed, as: Fixture.bob) })
        errors.append(failure { () throws(EnvelopeError) in
            _ = try Envelope.seal(
                .checkIn(CheckIn(status: .ok, note: secretNote + "\u{1B}")), from: Fixture.alice, to: Fixture.bob.publicIdentity,
                createdAt: Fixture.now)
        })
        errors.append(failure { () throws(EnvelopeError) in
            _ = try Envelope.seal(
                .allClear(AllClear(message: String(repeating: secretNote, count: 30))), from: Fixture.alice,
                to: Fixture.bob.publicIdentity, createdAt: Fixture.now)
        })
        errors.append(failure { () throws(EnvelopeError) in
            _ = try Envelope.seal(
                .unknown(kind: MessageKind(rawValue: 0x70), payload: Array(String(repeating: secretNote, count: 500).utf8)),
                from: Fixture.alice, to: Fixture.bob.publicIdentity, createdAt: Fixture.now)
        })
        let zeroKey = try EncryptionPublicKey(rawRepresentation: [UInt8](repeating: 0, count: 32))
        errors.append(failure { () throws(EnvelopeError) in
            _ = try Envelope.seal(
                .checkIn(note), from: Fixture.alice,
                to: PublicIdentity(signingKey: Fixture.bob.signing.publicKey, encryptionKey: zeroKey), createdAt: Fixture.now)
        })

        let codes = errors.compactMap { $0?.code }
        #expect(Set(codes) == [
            "sealed_box", "padding", "version", "length", "signature", "recipient", "body", "body_too_large", "recipient_key",
        ])
        for error in errors.compactMap({ $0 }) {
            expectDiscreet(error.description)
            expectDiscreet(String(reflecting: error))
        }
    }

    @Test("Every card error describes itself without the name, mailbox or keys")
    func everyCardErrorDescribesItWithoutNameMailboxOrKeys() throws {
        let card = try ContactCard(
            identity: Fixture.alice, displayName: "Alice",
            mailboxes: [try MailboxAddress(relayURL: "https://x", mailboxID: "secretbox-0123456789")],
            createdAt: Fixture.now)
        let text = card.text
        var errors: [CardError?] = []
        errors.append(failure { () throws(CardError) in _ = try ContactCard(text: "Alice " + text) })
        errors.append(failure { () throws(CardError) in _ = try ContactCard(text: text + "U") })
        errors.append(failure { () throws(CardError) in _ = try ContactCard(text: String(text.dropLast(3))) })
        errors.append(failure { () throws(CardError) in _ = try ContactCard(text: text + "000") })
        var changed = card.binaryRepresentation
        changed[20] ^= 1
        errors.append(failure { () throws(CardError) in _ = try ContactCard(binaryRepresentation: changed) })
        var recipe = CardRecipe()
        recipe.version = 7
        errors.append(failure { () throws(CardError) in _ = try ContactCard(binaryRepresentation: recipe.binary) })
        recipe = CardRecipe()
        recipe.name = Array("Alice\nRua das Flores".utf8)
        errors.append(failure { () throws(CardError) in _ = try ContactCard(binaryRepresentation: recipe.binary) })
        recipe = CardRecipe()
        recipe.mailboxes[0].id = Array("secretbox with spaces".utf8)
        errors.append(failure { () throws(CardError) in _ = try ContactCard(binaryRepresentation: recipe.binary) })
        recipe = CardRecipe()
        recipe.signer = Fixture.carol.signing
        errors.append(failure { () throws(CardError) in _ = try ContactCard(binaryRepresentation: recipe.binary) })
        errors.append(failure { () throws(CardError) in
            _ = try ContactCard(identity: Fixture.alice, displayName: "Alice\n", mailboxes: [Fixture.mailbox], createdAt: Fixture.now)
        })

        let codes = errors.compactMap { $0?.code }
        #expect(Set(codes) == ["prefix", "character", "truncated", "trailing_data", "checksum", "version", "field", "signature"])
        for error in errors.compactMap({ $0 }) {
            expectDiscreet(error.description)
            expectDiscreet(String(reflecting: error))
        }
    }

    @Test("Card error messages say what to do")
    func cardErrorMessagesSayWhatToDo() {
        let errors: [CardError] = [
            .missingPrefix, .invalidCharacter(position: 4), .truncated, .trailingData, .checksumMismatch, .unsupportedVersion(2),
        ]
        for error in errors {
            #expect(error.description.contains("copy") || error.description.contains("update"), "\(error)")
        }
        #expect(CardError.badSignature.description.contains("do not trust"))
    }

    @Test("The leak check would notice a key or the note")
    func theLeakCheckWouldNoticeAKeyOrTheNote() {
        // Without this, the tests above could pass by checking nothing.
        let alice = Fixture.alice.signing.publicKey
        #expect(reveals(alice.rawRepresentation, in: "\(alice)"))
        #expect(secretNote.contains("Rua das Flores"))
    }
}
