import Testing
import VigilCrypto
@_spi(VectorGeneration) @testable import VigilProtocol

private func openAsBob(_ sealed: [UInt8]) throws(EnvelopeError) -> OpenedEnvelope {
    try Envelope.open(sealed, as: Fixture.bob)
}

private func validEnvelope() throws -> [UInt8] {
    try Envelope.seal(
        .checkIn(CheckIn(status: .ok, note: Fixture.note)), from: Fixture.alice, to: Fixture.bob.publicIdentity,
        createdAt: Fixture.now, messageID: Fixture.messageID)
}

@Suite("Envelope rejection") struct EnvelopeRejectionTests {
    @Test("The envelope recipe left alone builds a valid envelope")
    func theRecipeBuildsAValidEnvelopeWhenLeftAlone() throws {
        // The rejection tests below change one thing each; this shows the rest is right.
        let opened = try openAsBob(try EnvelopeRecipe().sealed())
        #expect(opened.body == .allClear(AllClear()))
        #expect(opened.sender == Fixture.alice.signing.publicKey)
    }

    // MARK: Sealed box

    @Test("An envelope for someone else does not open")
    func anEnvelopeForSomeoneElseDoesNotOpen() throws {
        #expect(throws: EnvelopeError.sealedBoxOpenFailed) { try Envelope.open(try validEnvelope(), as: Fixture.carol) }
    }

    @Test("A truncated envelope does not open")
    func aTruncatedEnvelopeDoesNotOpen() throws {
        let sealed = try validEnvelope()
        for length in [sealed.count - 1, sealed.count - 16, 256, 49] {
            #expect(throws: EnvelopeError.sealedBoxOpenFailed) { try openAsBob(Array(sealed.prefix(length))) }
        }
    }

    @Test("An envelope with a byte appended does not open")
    func anEnvelopeWithAnAppendedByteDoesNotOpen() throws {
        #expect(throws: EnvelopeError.sealedBoxOpenFailed) { try openAsBob(try validEnvelope() + [0]) }
    }

    @Test("An empty or too short envelope does not open", arguments: [0, 1, 47, 48])
    func anEmptyOrTooShortEnvelopeDoesNotOpen(_ length: Int) {
        #expect(throws: EnvelopeError.sealedBoxOpenFailed) { try openAsBob([UInt8](repeating: 0, count: length)) }
    }

    // MARK: Padding

    @Test("A plaintext that is not a bucket size is bad padding")
    func aPlaintextThatIsNotABucketSizeIsBadPadding() throws {
        let inner = EnvelopeRecipe().inner
        for blockSize in [255, 257, 300, 512] {
            let padded = ISO7816Padding.pad(inner, blockSize: blockSize)
            let sealed = try Envelope.sealPadded(padded, to: Fixture.bob.encryption.publicKey)
            #expect(throws: EnvelopeError.badPadding) { try openAsBob(sealed) }
        }
    }

    @Test("An empty plaintext is bad padding")
    func anEmptyPlaintextIsBadPadding() throws {
        let sealed = try Envelope.sealPadded([], to: Fixture.bob.encryption.publicKey)
        #expect(sealed.count == EncryptionPublicKey.sealOverhead)
        #expect(throws: EnvelopeError.badPadding) { try openAsBob(sealed) }
    }

    @Test("A bucket-sized plaintext without the padding marker is bad padding", arguments: Envelope.buckets)
    func aBucketSizedPlaintextWithoutThePaddingMarkerIsBadPadding(_ bucket: Int) throws {
        var inner = try EnvelopeRecipe().padded()
        inner += [UInt8](repeating: 0, count: bucket - inner.count)
        inner[inner.lastIndex(of: 0x80)!] = 0  // the marker
        let allZero = [UInt8](repeating: 0, count: bucket)
        for plaintext in [inner, allZero] {
            let sealed = try Envelope.sealPadded(plaintext, to: Fixture.bob.encryption.publicKey)
            #expect(throws: EnvelopeError.badPadding) { try openAsBob(sealed) }
        }
    }

    @Test("A non-zero byte after the padding marker is bad padding")
    func aNonZeroByteAfterThePaddingMarkerIsBadPadding() throws {
        var padded = try EnvelopeRecipe().padded()
        padded[padded.count - 1] = 0x01
        let sealed = try Envelope.sealPadded(padded, to: Fixture.bob.encryption.publicKey)
        #expect(throws: EnvelopeError.badPadding) { try openAsBob(sealed) }
    }

    // MARK: Version

    @Test("An inner message of another version is refused with that version", arguments: [UInt8(0), 2, 0x7F, 0xFF])
    func anInnerMessageOfAnotherVersionIsRefusedWithThatVersion(_ version: UInt8) throws {
        var recipe = EnvelopeRecipe()
        recipe.version = version
        #expect(throws: EnvelopeError.unsupportedVersion(version)) { try openAsBob(try recipe.sealed()) }
    }

    @Test("The version is checked before the signature")
    func theVersionIsCheckedBeforeTheSignature() throws {
        var recipe = EnvelopeRecipe()
        recipe.version = 2
        recipe.signatureOverride = [UInt8](repeating: 0, count: 64)
        #expect(throws: EnvelopeError.unsupportedVersion(2)) { try openAsBob(try recipe.sealed()) }
    }

    // MARK: Length

    @Test("An empty inner message is an invalid length")
    func anEmptyInnerMessageIsInvalidLength() throws {
        let sealed = try Envelope.sealPadded(try #require(Envelope.pad([])), to: Fixture.bob.encryption.publicKey)
        #expect(throws: EnvelopeError.invalidLength) { try openAsBob(sealed) }
    }

    @Test("An inner message shorter than header and signature is an invalid length", arguments: [1, 2, 94, 157])
    func anInnerMessageShorterThanHeaderAndSignatureIsInvalidLength(_ length: Int) throws {
        let inner = Array(EnvelopeRecipe().inner.prefix(length))
        let sealed = try Envelope.sealPadded(try #require(Envelope.pad(inner)), to: Fixture.bob.encryption.publicKey)
        #expect(throws: EnvelopeError.invalidLength) { try openAsBob(sealed) }
    }

    @Test("A body length field that disagrees with the message is an invalid length", arguments: [UInt32(0), 1, 3, 100, 256, UInt32.max])
    func aBodyLengthFieldThatDisagreesWithTheMessageIsInvalidLength(_ declared: UInt32) throws {
        var recipe = EnvelopeRecipe()
        recipe.body = [0, 0]
        recipe.bodyLengthOverride = declared
        #expect(throws: EnvelopeError.invalidLength) { try openAsBob(try recipe.sealed()) }
    }

    @Test("The length is checked before the signature")
    func theLengthIsCheckedBeforeTheSignature() throws {
        var recipe = EnvelopeRecipe()
        recipe.bodyLengthOverride = 3
        recipe.signatureOverride = [UInt8](repeating: 0, count: 64)
        #expect(throws: EnvelopeError.invalidLength) { try openAsBob(try recipe.sealed()) }
    }

    // MARK: Signature

    @Test("A zero signature is a bad signature")
    func aZeroSignatureIsBadSignature() throws {
        var recipe = EnvelopeRecipe()
        recipe.signatureOverride = [UInt8](repeating: 0, count: 64)
        #expect(throws: EnvelopeError.badSignature) { try openAsBob(try recipe.sealed()) }
    }

    @Test("A signature by another key than the named sender's is a bad signature")
    func aSignatureByAnotherKeyThanTheNamedSenderIsBadSignature() throws {
        var recipe = EnvelopeRecipe()
        recipe.signer = Fixture.carol.signing
        #expect(throws: EnvelopeError.badSignature) { try openAsBob(try recipe.sealed()) }
    }

    @Test("A signature over other content is a bad signature")
    func aSignatureOverOtherContentIsBadSignature() throws {
        var other = EnvelopeRecipe()
        other.createdAt = Timestamp(secondsSince1970: Fixture.now.secondsSince1970 + 1)
        let otherSignature = Array(other.inner.suffix(64))
        var recipe = EnvelopeRecipe()
        recipe.signatureOverride = otherSignature
        #expect(throws: EnvelopeError.badSignature) { try openAsBob(try recipe.sealed()) }
    }

    @Test("An invalid sender key is a bad signature", arguments: [
        [UInt8](repeating: 0, count: 32),  // a point of small order
        [1] + [UInt8](repeating: 0, count: 31),  // the neutral element
        [UInt8](repeating: 0xFF, count: 32),  // not a canonical encoding
    ])
    func anInvalidSenderKeyIsBadSignature(_ senderKey: [UInt8]) throws {
        #expect(throws: CryptoError.self) { try SigningPublicKey(rawRepresentation: senderKey) }
        var recipe = EnvelopeRecipe()
        recipe.senderKey = senderKey
        #expect(throws: EnvelopeError.badSignature) { try openAsBob(try recipe.sealed()) }
    }

    @Test("The signature is checked before the recipient")
    func theSignatureIsCheckedBeforeTheRecipient() throws {
        var recipe = EnvelopeRecipe()
        recipe.recipientKey = Fixture.carol.signing.publicKey.rawRepresentation
        recipe.signatureOverride = [UInt8](repeating: 0, count: 64)
        #expect(throws: EnvelopeError.badSignature) { try openAsBob(try recipe.sealed()) }
    }

    // MARK: Recipient binding

    @Test("A message Alice signed for Bob, re-sealed to Carol, is refused as for the wrong recipient")
    func aMessageSignedForBobButSealedToCarolIsRefusedAsWrongRecipient() throws {
        // Bob re-seals what Alice signed for him to Carol: Carol must not take it as Alice's
        // message to her.
        var recipe = EnvelopeRecipe()
        recipe.sealedTo = Fixture.carol.encryption.publicKey
        let sealed = try recipe.sealed()
        #expect(throws: EnvelopeError.wrongRecipient) { try Envelope.open(sealed, as: Fixture.carol) }
        #expect(throws: EnvelopeError.sealedBoxOpenFailed) { try openAsBob(sealed) }
    }

    @Test("The recipient is checked before the body")
    func theRecipientIsCheckedBeforeTheBody() throws {
        var recipe = EnvelopeRecipe()
        recipe.recipientKey = Fixture.carol.signing.publicKey.rawRepresentation
        recipe.body = [0xFF]
        #expect(throws: EnvelopeError.wrongRecipient) { try openAsBob(try recipe.sealed()) }
    }

    // MARK: Body

    static let invalidBodies: [(kind: MessageKind, body: [UInt8], error: BodyError)] = [
        (.allClear, [], .truncated),
        (.allClear, [0], .truncated),
        (.receipt, [0, 1] + [UInt8](repeating: 0, count: 15), .truncated),
        (.allClear, [0, 0, 0], .trailingBytes),
        (.checkIn, [0, 0x08, 0, 0], .reservedBitsSet),
        (.checkIn, [0, 0x04, 0, 0], .invalidValue(field: "status")),
        (.panic, [0x80, 0, 0], .reservedBitsSet),
        (.missedCheckIn, [0x08] + be(UInt64(1)) + [0, 0], .reservedBitsSet),
        (.checkIn, [0, 0] + be(UInt16(1025)), .fieldTooLong(field: "note", limit: 1024)),
        (.receipt, be(UInt16(257)), .fieldTooLong(field: "message_ids", limit: 256)),
        (.allClear, [0, 1, 0x00], .invalidText(field: "message")),
        (.acknowledgement, Fixture.messageID.bytes + [0, 2, 0xC0, 0xAF], .invalidText(field: "note")),
        (.checkIn, [3, 0, 0, 0], .invalidValue(field: "status")),
        (.panic, [1, 0, 0] + be(Int32(900_000_001)) + be(Int32(0)), .invalidValue(field: "location")),
        (.receipt, [0, 0], .invalidValue(field: "message_ids")),
    ]

    @Test("A signed message with a malformed body is refused with the body's error", arguments: invalidBodies)
    func aSignedMessageWithAMalformedBodyIsRefusedWithTheBodyError(_ kind: MessageKind, _ body: [UInt8], _ error: BodyError) throws {
        var recipe = EnvelopeRecipe()
        recipe.kind = kind
        recipe.body = body
        #expect(throws: EnvelopeError.invalidBody(kind: kind, error)) { try openAsBob(try recipe.sealed()) }
    }

    @Test("Every body error case is exercised through an envelope")
    func theBodyErrorCasesAreAllCoveredThroughAnEnvelope() {
        let covered = Set(Self.invalidBodies.map(\.error.caseName))
        #expect(covered == ["truncated", "trailingBytes", "reservedBitsSet", "fieldTooLong", "invalidText", "invalidValue"])
    }

    // MARK: Sealing

    @Test("Sealing a body with forbidden text is refused as an invalid body")
    func sealingABodyWithForbiddenTextIsRefusedAsInvalidBody() {
        #expect(throws: EnvelopeError.invalidBody(kind: .checkIn, .invalidText(field: "note"))) {
            try Envelope.seal(
                .checkIn(CheckIn(status: .ok, note: "line\u{1B}[2J")), from: Fixture.alice,
                to: Fixture.bob.publicIdentity, createdAt: Fixture.now)
        }
    }

    @Test("Sealing a body with too long a text is refused as an invalid body")
    func sealingABodyWithTooLongTextIsRefusedAsInvalidBody() {
        #expect(throws: EnvelopeError.invalidBody(kind: .panic, .fieldTooLong(field: "message", limit: 1024))) {
            try Envelope.seal(
                .panic(Panic(message: String(repeating: "x", count: 1025))), from: Fixture.alice,
                to: Fixture.bob.publicIdentity, createdAt: Fixture.now)
        }
    }

    @Test("Sealing a receipt of 0 or 257 IDs is refused as an invalid body", arguments: [0, 257])
    func sealingAReceiptWithTooFewOrTooManyIDsIsRefusedAsInvalidBody(_ count: Int) {
        let expected: BodyError = count == 0
            ? .invalidValue(field: "message_ids") : .fieldTooLong(field: "message_ids", limit: 256)
        #expect(throws: EnvelopeError.invalidBody(kind: .receipt, expected)) {
            try Envelope.seal(
                .receipt(Receipt(messageIDs: Fixture.messageIDs(count))), from: Fixture.alice,
                to: Fixture.bob.publicIdentity, createdAt: Fixture.now)
        }
    }

    @Test("Sealing to an all-zero encryption key is refused as an invalid recipient key")
    func sealingToAnAllZeroEncryptionKeyIsRefusedAsInvalidRecipientKey() throws {
        let zeroKey = try EncryptionPublicKey(rawRepresentation: [UInt8](repeating: 0, count: 32))
        let recipient = PublicIdentity(signingKey: Fixture.bob.signing.publicKey, encryptionKey: zeroKey)
        #expect(throws: EnvelopeError.invalidRecipientKey) {
            try Envelope.seal(.allClear(AllClear()), from: Fixture.alice, to: recipient, createdAt: Fixture.now)
        }
        #expect(throws: EnvelopeError.invalidRecipientKey) {
            try Envelope.sealPadded(try EnvelopeRecipe().padded(), to: zeroKey)
        }
    }

    // MARK: Codes

    @Test("Every error has a distinct, stable code")
    func everyErrorHasADistinctStableCode() {
        let errors: [EnvelopeError] = [
            .sealedBoxOpenFailed, .badPadding, .unsupportedVersion(2), .invalidLength, .badSignature, .wrongRecipient,
            .invalidBody(kind: .checkIn, .truncated), .bodyTooLarge(byteCount: 1, limit: 0), .invalidRecipientKey,
        ]
        #expect(errors.map(\.code) == [
            "sealed_box", "padding", "version", "length", "signature", "recipient", "body", "body_too_large",
            "recipient_key",
        ])
    }
}
