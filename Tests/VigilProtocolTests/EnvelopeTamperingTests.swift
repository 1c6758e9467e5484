import Testing
import VigilCrypto
@_spi(VectorGeneration) @testable import VigilProtocol

/// Positions at which opening `candidates(position)` did not throw.
private func positionsThatOpened(count: Int, candidate: (Int) throws -> [UInt8]) rethrows -> [Int] {
    var opened: [Int] = []
    for position in 0..<count {
        let envelope = try candidate(position)
        if (try? Envelope.open(envelope, as: Fixture.bob)) != nil { opened.append(position) }
    }
    return opened
}

@Suite("Envelope tampering") struct EnvelopeTamperingTests {
    private static func sealedCheckIn() throws -> [UInt8] {
        try Envelope.seal(
            .checkIn(CheckIn(status: .inDanger, note: "Followed by a grey car", location: Fixture.location)),
            from: Fixture.alice, to: Fixture.bob.publicIdentity, createdAt: Fixture.now)
    }

    @Test("Every single-byte change of a sealed envelope is rejected", arguments: [UInt8(0x01), 0xFF])
    func everySingleByteChangeOfASealedEnvelopeIsRejected(_ mask: UInt8) throws {
        let sealed = try Self.sealedCheckIn()
        #expect(sealed.count == 256 + EncryptionPublicKey.sealOverhead)
        // The unchanged envelope opens, so a rejection below is due to the change.
        _ = try Envelope.open(sealed, as: Fixture.bob)

        var errors: [EnvelopeError] = []
        var opened: [Int] = []
        for position in sealed.indices {
            do {
                _ = try Envelope.open(flipping(sealed, at: position, mask: mask), as: Fixture.bob)
                opened.append(position)
            } catch {
                errors.append(error)
            }
        }
        #expect(opened.isEmpty, "changed envelopes that opened, at byte positions \(opened)")
        // The sealed box authenticates every byte, so nothing reaches the inner checks.
        #expect(errors.count == sealed.count)
        #expect(errors.allSatisfy { $0 == .sealedBoxOpenFailed })
    }

    @Test("Every single-byte change of the padded inner message is rejected after re-sealing", arguments: [UInt8(0x01), 0xFF])
    func everySingleByteChangeOfThePaddedInnerMessageIsRejectedAfterResealing(_ mask: UInt8) throws {
        // A sender holding the recipient's public key can seal anything: the inner checks
        // (padding, version, lengths, signature, recipient) must catch every change.
        var recipe = EnvelopeRecipe()
        recipe.kind = .checkIn
        recipe.body = try MessageBody.checkIn(CheckIn(status: .ok, note: "fine", nextDueAt: Fixture.now)).encoded()
        let padded = try recipe.padded()
        #expect(padded.count == 256)
        _ = try Envelope.open(try Envelope.sealPadded(padded, to: Fixture.bob.encryption.publicKey), as: Fixture.bob)

        var codes: Set<String> = []
        var opened: [Int] = []
        for position in padded.indices {
            let sealed = try Envelope.sealPadded(flipping(padded, at: position, mask: mask), to: Fixture.bob.encryption.publicKey)
            do {
                _ = try Envelope.open(sealed, as: Fixture.bob)
                opened.append(position)
            } catch {
                codes.insert(error.code)
            }
        }
        #expect(opened.isEmpty, "changed inner messages that opened, at byte positions \(opened)")
        #expect(codes.isSuperset(of: ["padding", "version", "length", "signature"]))
        #expect(!codes.contains("sealed_box"))
    }

    @Test("Changing the kind byte of a signed message is a bad signature")
    func changingTheKindByteOfASignedMessageIsBadSignature() throws {
        var padded = try EnvelopeRecipe().padded()
        padded[1] = MessageKind.panic.rawValue
        let sealed = try Envelope.sealPadded(padded, to: Fixture.bob.encryption.publicKey)
        #expect(throws: EnvelopeError.badSignature) { try Envelope.open(sealed, as: Fixture.bob) }
    }

    @Test("Changing the recipient key of a signed message is a bad signature, not a wrong recipient")
    func changingTheRecipientKeyOfASignedMessageIsBadSignatureNotWrongRecipient() throws {
        // Replacing Bob's key by Carol's without Alice's signature must not get as far as the
        // recipient check.
        var padded = try EnvelopeRecipe().padded()
        let recipientRange = 58..<90
        padded.replaceSubrange(recipientRange, with: Fixture.carol.signing.publicKey.rawRepresentation)
        let sealed = try Envelope.sealPadded(padded, to: Fixture.carol.encryption.publicKey)
        #expect(throws: EnvelopeError.badSignature) { try Envelope.open(sealed, as: Fixture.carol) }
    }

    @Test("A zero byte moved from the padding into the message is an invalid length")
    func movingPaddingBytesIntoTheSignedPartIsRejected() throws {
        // The padded form with one more zero before the marker: the padding still parses, but
        // the inner message is one byte longer than its length field says.
        let inner = EnvelopeRecipe().inner
        let padded = try #require(Envelope.pad(inner + [0]))
        let sealed = try Envelope.sealPadded(padded, to: Fixture.bob.encryption.publicKey)
        #expect(throws: EnvelopeError.invalidLength) { try Envelope.open(sealed, as: Fixture.bob) }
    }

    @Test("An inner message cut anywhere inside its signature is rejected")
    func anEnvelopeTruncatedInsideItsSignatureIsRejected() throws {
        let inner = EnvelopeRecipe().inner
        let opened = try positionsThatOpened(count: 64) { cut in
            try Envelope.sealPadded(try #require(Envelope.pad(Array(inner.dropLast(cut + 1)))), to: Fixture.bob.encryption.publicKey)
        }
        #expect(opened.isEmpty)
    }
}
