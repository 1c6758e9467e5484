import CVigilBaseline
import VigilCrypto
@_spi(VectorGeneration) import VigilProtocol

/// Proves, before anything is timed, that the C baseline is the same composition as
/// `Envelope`: byte-identical signed and padded inner messages (Ed25519 is deterministic), each
/// side opens what the other sealed, and both refuse the same broken envelopes for the same
/// reason. Without this a ratio would compare two different things.
enum InteropCheck {
    static func run(_ fixture: Fixture) throws(BenchFailure) {
        let id = MessageID.random()

        // 1. The same inner message, byte for byte, before the (randomised) sealed box.
        let swiftInner = Envelope.encodeInner(
            kind: .checkIn, messageID: id, createdAt: fixture.createdAt,
            senderKey: fixture.senderSigningKey, recipientKey: fixture.recipient.signing.publicKey.rawRepresentation,
            body: fixture.bodyBytes, signer: fixture.sender.signing)
        guard let swiftPadded = Envelope.pad(swiftInner) else {
            throw BenchFailure(message: "Envelope.pad refused the benchmark body")
        }
        let c = fixture.cPadded(messageID: id)
        try expect(c.status == VIGIL_BASELINE_OK, "C could not build the inner message: \(Fixture.name(c.status))")
        try expect(c.padded == swiftPadded, "C and Swift build different padded inner messages for the same input")

        // 2. Swift seals, C opens.
        let swiftSealed: [UInt8]
        do {
            swiftSealed = try Envelope.seal(
                fixture.body, from: fixture.sender, to: fixture.recipientPublic, createdAt: fixture.createdAt,
                messageID: id)
        } catch {
            throw BenchFailure(message: "Envelope.seal failed: \(error)")
        }
        let openStatus = fixture.cOpenStatus(swiftSealed)
        try expect(openStatus == VIGIL_BASELINE_OK, "C cannot open what Swift sealed: \(Fixture.name(openStatus))")
        let opened = fixture.cOpened.pointee
        let openedNote = withUnsafeBytes(of: opened.body.note) { Array($0.prefix(opened.body.note_len)) }
        try expect(
            withUnsafeBytes(of: opened.message_id) { Array($0) } == id.bytes
                && opened.kind == MessageKind.checkIn.rawValue
                && opened.created_at == fixture.createdAt.secondsSince1970
                && withUnsafeBytes(of: opened.sender_signing_pk) { Array($0) } == fixture.senderSigningKey
                && opened.body.status == CheckIn.Status.ok.rawValue && opened.body.flags == 0
                && openedNote == fixture.noteBytes
                && opened.padded_len == swiftPadded.count,
            "C opened what Swift sealed but read different fields")

        // 3. C seals, Swift opens.
        let cSealed = fixture.cSeal(messageID: id)
        try expect(cSealed.status == VIGIL_BASELINE_OK, "C could not seal: \(Fixture.name(cSealed.status))")
        try expect(cSealed.sealed.count == swiftSealed.count, "C and Swift envelopes differ in size")
        do {
            let message = try Envelope.open(cSealed.sealed, as: fixture.recipient)
            try expect(
                message.id == id && message.kind == .checkIn && message.createdAt == fixture.createdAt
                    && message.sender == fixture.sender.signing.publicKey && message.body == fixture.body
                    && message.paddedByteCount == swiftPadded.count,
                "Swift opened what C sealed but read different fields")
        } catch let error as BenchFailure {
            throw error
        } catch {
            throw BenchFailure(message: "Swift cannot open what C sealed: \(error)")
        }

        // 4. Both refuse the same broken envelopes with the same reason.
        var tampered = swiftSealed
        tampered[tampered.count - 1] ^= 0x01
        try expectBothRefuse(tampered, swift: .sealedBoxOpenFailed, c: VIGIL_BASELINE_SEALED_BOX_OPEN_FAILED, fixture)

        var badSignature = Array(swiftInner.suffix(SigningPublicKey.signatureByteCount))
        badSignature[0] ^= 0x01
        let forgedInner = Envelope.encodeInner(
            kind: .checkIn, messageID: id, createdAt: fixture.createdAt,
            senderKey: fixture.senderSigningKey, recipientKey: fixture.recipient.signing.publicKey.rawRepresentation,
            body: fixture.bodyBytes, signer: fixture.sender.signing, signatureOverride: badSignature)
        try expectBothRefuse(
            try sealSpecial(Envelope.pad(forgedInner), fixture), swift: .badSignature, c: VIGIL_BASELINE_BAD_SIGNATURE,
            fixture)

        let someoneElse = Identity()
        let misaddressed = PublicIdentity(
            signingKey: someoneElse.signing.publicKey, encryptionKey: fixture.recipient.encryption.publicKey)
        let resealed: [UInt8]
        do {
            resealed = try Envelope.seal(fixture.body, from: fixture.sender, to: misaddressed, createdAt: fixture.createdAt)
        } catch {
            throw BenchFailure(message: "Envelope.seal failed: \(error)")
        }
        try expectBothRefuse(resealed, swift: .wrongRecipient, c: VIGIL_BASELINE_WRONG_RECIPIENT, fixture)

        // A note with a right-to-left override is refused by both when sealing.
        let overrideNote = Array("safe \u{202E}reh".utf8)
        let cRefused = fixture.cSeal(messageID: id, note: overrideNote).status
        try expect(cRefused == VIGIL_BASELINE_INVALID_BODY, "C sealed a note with a bidi override: \(Fixture.name(cRefused))")
        do {
            _ = try Envelope.seal(
                .checkIn(CheckIn(status: .ok, note: String(decoding: overrideNote, as: UTF8.self))),
                from: fixture.sender, to: fixture.recipientPublic, createdAt: fixture.createdAt)
            throw BenchFailure(message: "Swift sealed a note with a bidi override")
        } catch let error as BenchFailure {
            throw error
        } catch {
            guard case .invalidBody = error as? EnvelopeError else {
                throw BenchFailure(message: "Swift refused a bidi override note with an unexpected error: \(error)")
            }
        }
    }

    private static func sealSpecial(_ padded: [UInt8]?, _ fixture: Fixture) throws(BenchFailure) -> [UInt8] {
        guard let padded else { throw BenchFailure(message: "Envelope.pad refused a test message") }
        do {
            return try Envelope.sealPadded(padded, to: fixture.recipient.encryption.publicKey)
        } catch {
            throw BenchFailure(message: "Envelope.sealPadded failed: \(error)")
        }
    }

    private static func expectBothRefuse(
        _ sealed: [UInt8], swift expected: EnvelopeError, c expectedStatus: Int32, _ fixture: Fixture
    ) throws(BenchFailure) {
        let cStatus = fixture.cOpenStatus(sealed)
        try expect(
            cStatus == expectedStatus,
            "C answered \(Fixture.name(cStatus)) where \(Fixture.name(expectedStatus)) was expected")
        do {
            _ = try Envelope.open(sealed, as: fixture.recipient)
            throw BenchFailure(message: "Swift opened an envelope it must refuse (\(expected.code))")
        } catch let error as BenchFailure {
            throw error
        } catch {
            try expect(
                error as? EnvelopeError == expected,
                "Swift answered \(error) where \(expected.code) was expected")
        }
    }

    private static func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws(BenchFailure) {
        guard condition else { throw BenchFailure(message: message()) }
    }
}
