import Testing
import VigilCrypto
@_spi(VectorGeneration) @testable import VigilProtocol

/// Seals `body` from Alice to Bob and opens it as Bob.
private func roundTrip(
    _ body: MessageBody, messageID: MessageID = Fixture.messageID, createdAt: Timestamp = Fixture.now
) throws -> (sealed: [UInt8], opened: OpenedEnvelope) {
    let sealed = try Envelope.seal(
        body, from: Fixture.alice, to: Fixture.bob.publicIdentity, createdAt: createdAt, messageID: messageID)
    return (sealed, try Envelope.open(sealed, as: Fixture.bob))
}

/// Checks every field of an opened envelope against what was sealed.
private func expectFaithful(
    _ result: (sealed: [UInt8], opened: OpenedEnvelope), body: MessageBody, bucket: Int,
    createdAt: Timestamp = Fixture.now, sourceLocation: SourceLocation = #_sourceLocation
) {
    let opened = result.opened
    #expect(opened.body == body, sourceLocation: sourceLocation)
    #expect(opened.kind == body.kind, sourceLocation: sourceLocation)
    #expect(opened.id == Fixture.messageID, sourceLocation: sourceLocation)
    #expect(opened.createdAt == createdAt, sourceLocation: sourceLocation)
    #expect(opened.sender == Fixture.alice.signing.publicKey, sourceLocation: sourceLocation)
    #expect(opened.recipient == Fixture.bob.signing.publicKey, sourceLocation: sourceLocation)
    #expect(opened.paddedByteCount == bucket, sourceLocation: sourceLocation)
    #expect(result.sealed.count == bucket + EncryptionPublicKey.sealOverhead, sourceLocation: sourceLocation)
}

/// Every status without duress, and in danger under duress (the only status duress allows).
private let everyCheckIn: [CheckIn] = (CheckIn.Status.allCases.map { ($0, false) } + [(.inDanger, true)]).flatMap { status, duress in
    [nil, Fixture.note].flatMap { note in
        [nil, Fixture.location].flatMap { location in
            [nil, Timestamp(secondsSince1970: 1_764_144_600)].map { nextDue in
                CheckIn(status: status, duress: duress, note: note, location: location, nextDueAt: nextDue)
            }
        }
    }
}

@Suite("Envelope round trip") struct EnvelopeRoundTripTests {
    @Test("The check-in list covers every status, duress, and optional field combination")
    func theCheckInListCoversEveryStatusAndOptionalFieldCombination() {
        #expect(everyCheckIn.count == (CheckIn.Status.allCases.count + 1) * 2 * 2 * 2)
        #expect(everyCheckIn.filter(\.duress).allSatisfy { $0.status == .inDanger })
        #expect(Set(everyCheckIn).count == everyCheckIn.count)
    }

    @Test("A check-in round-trips with every status, with and without duress, and every combination of optional fields", arguments: everyCheckIn)
    func aCheckInRoundTripsWithEveryStatusAndEveryCombinationOfOptionalFields(_ checkIn: CheckIn) throws {
        let body = MessageBody.checkIn(checkIn)
        expectFaithful(try roundTrip(body), body: body, bucket: 256)
    }

    @Test("A panic round-trips with and without message and location", arguments: [
        Panic(), Panic(message: "They are at the door"), Panic(location: Fixture.location),
        Panic(message: "Detained, police van", location: Fixture.location),
    ])
    func aPanicRoundTripsWithAndWithoutMessageAndLocation(_ panic: Panic) throws {
        let body = MessageBody.panic(panic)
        expectFaithful(try roundTrip(body), body: body, bucket: 256)
    }

    @Test("A receipt of one message ID round-trips in the smallest bucket")
    func aReceiptWithOneMessageIDRoundTripsInTheSmallestBucket() throws {
        let body = MessageBody.receipt(Receipt(messageIDs: Fixture.messageIDs(1)))
        expectFaithful(try roundTrip(body), body: body, bucket: 256)
    }

    @Test("A receipt of 256 message IDs round-trips in the largest bucket")
    func aReceiptWith256MessageIDsRoundTripsInTheLargestBucket() throws {
        // 2 + 256 × 16 = 4098 body bytes: with the 158 bytes of header and signature, past 4096.
        let ids = Fixture.messageIDs(Receipt.maxMessageIDs)
        let body = MessageBody.receipt(Receipt(messageIDs: ids))
        let result = try roundTrip(body)
        expectFaithful(result, body: body, bucket: 16384)
        guard case .receipt(let receipt) = result.opened.body else {
            Issue.record("not a receipt")
            return
        }
        #expect(receipt.messageIDs == ids)
    }

    @Test("An acknowledgement round-trips with and without a note", arguments: [
        Acknowledgement(messageID: Fixture.messageID),
        Acknowledgement(messageID: MessageID(validated: [UInt8](repeating: 0xAB, count: 16)), note: "On my way, 10 minutes"),
    ])
    func anAcknowledgementRoundTripsWithAndWithoutNote(_ acknowledgement: Acknowledgement) throws {
        let body = MessageBody.acknowledgement(acknowledgement)
        expectFaithful(try roundTrip(body), body: body, bucket: 256)
    }

    @Test("A missed check-in round-trips with and without the last check-in", arguments: [
        MissedCheckIn(lastCheckInAt: nil, dueAt: Fixture.now),
        MissedCheckIn(lastCheckInAt: Timestamp(secondsSince1970: 1_764_000_000), dueAt: Fixture.now),
        MissedCheckIn(lastCheckInAt: nil, dueAt: Fixture.now, message: "If you read this, call Sara"),
        MissedCheckIn(
            lastCheckInAt: Timestamp(secondsSince1970: 0), dueAt: Timestamp(secondsSince1970: .max), message: "x"),
    ])
    func aMissedCheckInRoundTripsWithAndWithoutLastCheckIn(_ missed: MissedCheckIn) throws {
        let body = MessageBody.missedCheckIn(missed)
        expectFaithful(try roundTrip(body), body: body, bucket: 256)
    }

    @Test("An all-clear round-trips with and without a message", arguments: [AllClear(), AllClear(message: "Released, I am home and safe")])
    func anAllClearRoundTripsWithAndWithoutMessage(_ allClear: AllClear) throws {
        let body = MessageBody.allClear(allClear)
        expectFaithful(try roundTrip(body), body: body, bucket: 256)
    }

    @Test("An unknown kind round-trips with its payload uninterpreted", arguments: [UInt8(0x00), 0x07, 0x80, 0xFF])
    func anUnknownKindRoundTripsWithItsPayloadUninterpreted(_ rawKind: UInt8) throws {
        for payload in [[], [0xFF], Array(0..<97)] as [[UInt8]] {
            let body = MessageBody.unknown(kind: MessageKind(rawValue: rawKind), payload: payload)
            expectFaithful(try roundTrip(body), body: body, bucket: 256)
        }
    }

    @Test("The creation time round-trips at its extremes", arguments: [Timestamp(secondsSince1970: 0), Timestamp(secondsSince1970: .max)])
    func theCreationTimeRoundTripsAtItsExtremes(_ createdAt: Timestamp) throws {
        let body = MessageBody.allClear(AllClear())
        expectFaithful(try roundTrip(body, createdAt: createdAt), body: body, bucket: 256, createdAt: createdAt)
    }

    // MARK: Size buckets

    /// The largest body of each bucket, and one byte more: `158 + body + 1 <= bucket`.
    @Test("A body goes to the smallest bucket that holds it and one padding byte", arguments: [
        (0, 256), (97, 256), (98, 1024), (865, 1024), (866, 4096), (3937, 4096), (3938, 16384), (16225, 16384),
    ])
    func aBodyGoesToTheSmallestBucketThatHoldsItPlusOnePaddingByte(_ bodyByteCount: Int, _ bucket: Int) throws {
        let body = MessageBody.unknown(kind: MessageKind(rawValue: 0x42), payload: [UInt8](repeating: 0x5A, count: bodyByteCount))
        expectFaithful(try roundTrip(body), body: body, bucket: bucket)
    }

    @Test(
        "A check-in note fills the buckets up to 4096",
        arguments: [(0, 256), (93, 256), (94, 1024), (861, 1024), (862, 4096), (1024, 4096)])
    func aCheckInNoteFillsTheBucketsUpTo4096(_ noteByteCount: Int, _ bucket: Int) throws {
        // Check-in body: status, flags, u16 length, note.
        let body = MessageBody.checkIn(CheckIn(status: .ok, note: String(repeating: "n", count: noteByteCount)))
        expectFaithful(try roundTrip(body), body: body, bucket: bucket)
    }

    @Test("The largest body is the largest bucket less header, signature and one padding byte")
    func theLargestBodyThatFitsIsTheLargestBucketMinusHeaderSignatureAndOnePaddingByte() {
        #expect(Envelope.buckets == [256, 1024, 4096, 16384])
        #expect(Envelope.headerByteCount == 1 + 1 + 16 + 8 + 32 + 32 + 4)
        #expect(Envelope.maxBodyByteCount == 16384 - 1 - 94 - 64)
    }

    @Test("A body of exactly the maximum seals and one byte more is refused")
    func aBodyOfExactlyTheMaximumSealsAndOneByteMoreIsRefused() throws {
        let kind = MessageKind(rawValue: 0x42)
        let largest = MessageBody.unknown(kind: kind, payload: [UInt8](repeating: 1, count: Envelope.maxBodyByteCount))
        expectFaithful(try roundTrip(largest), body: largest, bucket: 16384)

        let tooLarge = MessageBody.unknown(kind: kind, payload: [UInt8](repeating: 1, count: Envelope.maxBodyByteCount + 1))
        #expect(throws: EnvelopeError.bodyTooLarge(byteCount: Envelope.maxBodyByteCount + 1, limit: Envelope.maxBodyByteCount)) {
            try Envelope.seal(tooLarge, from: Fixture.alice, to: Fixture.bob.publicIdentity, createdAt: Fixture.now)
        }
    }

    @Test("Padding puts an inner message one byte short of a bucket into it, and a full one into the next", arguments: Envelope.buckets)
    func paddingPutsAnInnerMessageOneByteShortOfABucketIntoThatBucketAndAFullOneIntoTheNext(_ bucket: Int) throws {
        let fits = try #require(Envelope.pad([UInt8](repeating: 7, count: bucket - 1)))
        #expect(fits.count == bucket)
        #expect(fits.last == 0x80)
        let next = Envelope.pad([UInt8](repeating: 7, count: bucket))
        if let nextBucket = Envelope.buckets.first(where: { $0 > bucket }) {
            #expect(next?.count == nextBucket)
        } else {
            #expect(next == nil)
        }
    }

    @Test("Padding an empty inner message gives the smallest bucket")
    func paddingAnEmptyInnerMessageGivesTheSmallestBucket() throws {
        let padded = try #require(Envelope.pad([]))
        #expect(padded == [0x80] + [UInt8](repeating: 0, count: 255))
    }

    // MARK: Sealing properties

    @Test("Sealing the same message twice gives different bytes that open alike")
    func sealingTheSameMessageTwiceGivesDifferentBytesThatOpenAlike() throws {
        let body = MessageBody.panic(Panic(message: "help"))
        let first = try roundTrip(body)
        let second = try roundTrip(body)
        #expect(first.sealed != second.sealed)
        #expect(first.opened == second.opened)
    }

    @Test("The same message sealed to two recipients keeps its ID and opens only for each")
    func theSameMessageSealedToTwoRecipientsKeepsItsIDAndOpensOnlyForEach() throws {
        let body = MessageBody.panic(Panic(message: "help"))
        let id = MessageID.random()
        let toBob = try Envelope.seal(body, from: Fixture.alice, to: Fixture.bob.publicIdentity, createdAt: Fixture.now, messageID: id)
        let toCarol = try Envelope.seal(body, from: Fixture.alice, to: Fixture.carol.publicIdentity, createdAt: Fixture.now, messageID: id)
        #expect(try Envelope.open(toBob, as: Fixture.bob).id == id)
        #expect(try Envelope.open(toCarol, as: Fixture.carol).id == id)
        #expect(try Envelope.open(toCarol, as: Fixture.carol).recipient == Fixture.carol.signing.publicKey)
        #expect(throws: EnvelopeError.sealedBoxOpenFailed) { try Envelope.open(toBob, as: Fixture.carol) }
        #expect(throws: EnvelopeError.sealedBoxOpenFailed) { try Envelope.open(toCarol, as: Fixture.bob) }
    }

    @Test("A sender can seal to itself")
    func aSenderCanSealToItself() throws {
        let body = MessageBody.allClear(AllClear(message: "note to self"))
        let sealed = try Envelope.seal(body, from: Fixture.alice, to: Fixture.alice.publicIdentity, createdAt: Fixture.now)
        let opened = try Envelope.open(sealed, as: Fixture.alice)
        #expect(opened.body == body)
        #expect(opened.sender == opened.recipient)
    }

    @Test("The sealed inner message has the documented layout")
    func theSealedInnerMessageHasTheDocumentedLayout() throws {
        // Seal by the public API, then take the padded plaintext apart by hand.
        let body = MessageBody.allClear(AllClear(message: "ok"))
        let sealed = try Envelope.seal(
            body, from: Fixture.alice, to: Fixture.bob.publicIdentity, createdAt: Fixture.now, messageID: Fixture.messageID)
        let padded = try Fixture.bob.encryption.open(sealed)
        let bodyBytes: [UInt8] = [0, 2] + Array("ok".utf8)
        let expectedHeader: [UInt8] = [1, MessageKind.allClear.rawValue] + Fixture.messageID.bytes + be(Fixture.now.secondsSince1970)
            + Fixture.alice.signing.publicKey.rawRepresentation + Fixture.bob.signing.publicKey.rawRepresentation
            + be(UInt32(bodyBytes.count))
        let signedEnd = expectedHeader.count + bodyBytes.count
        #expect(padded.count == 256)
        #expect(Array(padded[0..<expectedHeader.count]) == expectedHeader)
        #expect(Array(padded[expectedHeader.count..<signedEnd]) == bodyBytes)
        let signature = Array(padded[signedEnd..<signedEnd + 64])
        #expect(
            Fixture.alice.signing.publicKey.isValidSignature(
                signature, for: Array("Vigil envelope signature v1".utf8) + [0] + Array(padded[0..<signedEnd])))
        #expect(padded[signedEnd + 64] == 0x80)
        #expect(padded[(signedEnd + 65)...].allSatisfy { $0 == 0 })
    }
}
