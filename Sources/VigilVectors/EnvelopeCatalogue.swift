@_spi(VectorGeneration) import VigilProtocol
import VigilCrypto

private let ceuta = Location(latitudeE7: 358_894_000, longitudeE7: -53_213_000)!
private let tijuana = Location(latitudeE7: 325_149_000, longitudeE7: -1_170_382_000)!
private let extremes = Location(latitudeE7: -900_000_000, longitudeE7: 1_800_000_000)!
private let unknown7F = MessageKind(rawValue: 0x7F)

/// Every valid and invalid envelope of `envelopes.json`.
func makeEnvelopeVectors(previous: PreviousBoxes) -> EnvelopeVectors {
    var vectors = EnvelopeVectors(previous: previous)
    addValidEnvelopes(to: &vectors)
    addSealedBoxAndPaddingFailures(to: &vectors)
    addHeaderAndSignatureFailures(to: &vectors)
    addBodyFailures(to: &vectors)
    return vectors
}

private func addValidEnvelopes(to v: inout EnvelopeVectors) {
    // Check-in: every combination of the optional fields that matters, and the bucket edges.
    v.addValid(
        "check-in ok, no optional fields", "Status ok; no note, location or next due time. Body: 00 00 0000.",
        body: .checkIn(CheckIn(status: .ok)), bucket: 256)
    v.addValid(
        "check-in need_support, all fields", "Note, location (Ceuta) and next due time three hours later.",
        body: .checkIn(CheckIn(
            status: .needSupport, note: "Leaving the shelter now. Phone at 40 %.", location: ceuta,
            nextDueAt: Timestamp(secondsSince1970: baseTime + 3 * 3600))),
        bucket: 256)
    v.addValid(
        "check-in in_danger, location only", "Location at the extremes of the ranges: latitude -90°, longitude +180°.",
        body: .checkIn(CheckIn(status: .inDanger, location: extremes)), createdAt: baseTime + 60, bucket: 256)
    v.addValid(
        "check-in in_danger, sent under duress",
        "Flags 0x06: the duress bit and a next due time. The coerced defender's own screen showed an ordinary check-in; a duress check-in always carries the status in_danger.",
        body: .checkIn(CheckIn(
            status: .inDanger, duress: true, note: "All fine, home by nine.",
            nextDueAt: Timestamp(secondsSince1970: baseTime + 7200))),
        createdAt: baseTime + 120, bucket: 256)
    v.addValid(
        "check-in ok, next due only", "Flags 0x02: no location, a next due time.",
        body: .checkIn(CheckIn(status: .ok, nextDueAt: Timestamp(secondsSince1970: baseTime + 86_400))), bucket: 256)
    v.addValid(
        "check-in, inner message of 255 bytes", "A 93-byte note makes the inner message 255 bytes: padded to 256 with the single byte 0x80.",
        body: .checkIn(CheckIn(status: .ok, note: asciiText(93))), bucket: 256)
    v.addValid(
        "check-in, inner message of 256 bytes", "A 94-byte note makes the inner message 256 bytes: no room for the 0x80 byte in 256, so the next bucket, 1024.",
        body: .checkIn(CheckIn(status: .ok, note: asciiText(94))), bucket: 1024)
    let multiLine = String(repeating: "Salgo del albergue; batería al 40 %.\n\tZoë, مريم and 小明 are with me 🕊.\n", count: 7)
    v.addValid(
        "check-in, multi-line non-ASCII note", "Line feeds, tabs, accents, Arabic, Chinese and an emoji are all allowed in a note.",
        body: .checkIn(CheckIn(status: .needSupport, note: multiLine, location: tijuana)), bucket: 1024)
    v.addValid(
        "check-in, longest note and all fields", "A note of exactly 1024 bytes, the limit.",
        body: .checkIn(CheckIn(
            status: .inDanger, note: asciiText(1024), location: ceuta,
            nextDueAt: Timestamp(secondsSince1970: baseTime + 1800))),
        bucket: 4096)

    // Panic.
    v.addValid(
        "panic, message without location", "Flags 0x00.",
        body: .panic(Panic(message: "Stopped at the checkpoint. They are taking our phones.")), bucket: 256)
    v.addValid(
        "panic, location without message", "Flags 0x01; empty message (length 0).",
        body: .panic(Panic(location: tijuana)), bucket: 256)
    v.addValid(
        "panic, long message with location", "A 700-byte message.",
        body: .panic(Panic(message: asciiText(700), location: ceuta)), bucket: 1024)
    v.addValid(
        "panic to the first circle, with escalation",
        "Flags 0x03: location, then the escalation: the second circle is alerted 15 minutes later unless a contact acknowledges; two relays hold an escalation timer each, and the alert carries their key seeds.",
        body: .panic(Panic(
            message: "Detained at the port. Call the lawyer.", location: ceuta,
            escalation: Escalation(alertsAt: Timestamp(secondsSince1970: baseTime + 900), timers: [
                EscalationTimer(relayURL: "https://relay.example.org", keySeed: fixedSeed("escalation timer 1")),
                EscalationTimer(relayURL: "http://vigilrelay2xyz.onion", keySeed: fixedSeed("escalation timer 2")),
            ]))),
        bucket: 1024)
    v.addValid(
        "panic to the first circle, escalation by the client only",
        "Flags 0x02 and a count of 0: no relay holds an escalation timer, so only the defender's own client escalates.",
        body: .panic(Panic(message: "Need help now.", escalation: Escalation(alertsAt: Timestamp(secondsSince1970: baseTime + 600), timers: []))),
        bucket: 256)
    v.addValid(
        "panic escalated to the second circle", "Flags 0x04: nobody in the first circle acknowledged in time.",
        body: .panic(Panic(message: "Detained at the port. Call the lawyer.", location: ceuta, escalated: true)), bucket: 256)

    // Receipts and acknowledgements go the other way: from the contact back to the defender.
    let ids = (0..<256).map { fixedMessageID("receipt entry \($0)") }
    v.addValid(
        "receipt, one message ID", "The smallest receipt.",
        body: .receipt(Receipt(messageIDs: [fixedMessageID("panic, message without location")])),
        from: .bob, to: .alice, bucket: 256)
    v.addValid(
        "receipt, 50 message IDs", "Body of 2 + 50 × 16 = 802 bytes.",
        body: .receipt(Receipt(messageIDs: Array(ids.prefix(50)))), from: .bob, to: .alice, bucket: 1024)
    v.addValid(
        "receipt, 200 message IDs", "Body of 3202 bytes.",
        body: .receipt(Receipt(messageIDs: Array(ids.prefix(200)))), from: .bob, to: .alice, bucket: 4096)
    v.addValid(
        "receipt, 256 message IDs", "The largest receipt: body of 4098 bytes.",
        body: .receipt(Receipt(messageIDs: ids)), from: .bob, to: .alice, bucket: 16384)
    v.addValid(
        "acknowledgement with note", "Acknowledges the panic alert above.",
        body: .acknowledgement(Acknowledgement(
            messageID: fixedMessageID("panic, message without location"), note: "On my way. Calling the lawyer now.")),
        from: .bob, to: .alice, createdAt: baseTime + 42, bucket: 256)
    v.addValid(
        "acknowledgement without note", "Empty note (length 0).",
        body: .acknowledgement(Acknowledgement(messageID: fixedMessageID("check-in ok, no optional fields"))),
        from: .bob, to: .alice, bucket: 256)

    // Missed check-in and all clear.
    v.addValid(
        "missed check-in with last check-in", "Flags 0x01: last check-in a day before the due time.",
        body: .missedCheckIn(MissedCheckIn(
            lastCheckInAt: Timestamp(secondsSince1970: baseTime - 86_400), dueAt: Timestamp(secondsSince1970: baseTime),
            message: "If you read this, call Amparo at the legal clinic.")),
        bucket: 256)
    v.addValid(
        "missed check-in, never checked in", "Flags 0x00 and no message.",
        body: .missedCheckIn(MissedCheckIn(lastCheckInAt: nil, dueAt: Timestamp(secondsSince1970: baseTime))),
        bucket: 256)
    v.addValid(
        "missed check-in to the first circle, with escalation",
        "Flags 0x03: the second circle is alerted an hour after the due time unless a contact acknowledges.",
        body: .missedCheckIn(MissedCheckIn(
            lastCheckInAt: Timestamp(secondsSince1970: baseTime - 7_200), dueAt: Timestamp(secondsSince1970: baseTime),
            message: "Call Amparo.", escalation: Escalation(alertsAt: Timestamp(secondsSince1970: baseTime + 3_600), timers: [
                EscalationTimer(relayURL: "https://relay.example.org", keySeed: fixedSeed("switch escalation timer")),
            ]))),
        bucket: 1024)
    v.addValid(
        "missed check-in escalated to the second circle", "Flags 0x04.",
        body: .missedCheckIn(MissedCheckIn(lastCheckInAt: nil, dueAt: Timestamp(secondsSince1970: baseTime), escalated: true)),
        bucket: 256)
    v.addValid(
        "all clear with message", "",
        body: .allClear(AllClear(message: "Released without charges. I am safe.")), createdAt: baseTime + 7200, bucket: 256)
    v.addValid(
        "all clear, empty", "Body 00 00.",
        body: .allClear(AllClear()), bucket: 256)

    // Kinds this version does not know: accepted, body kept as it is.
    v.addValid(
        "unknown kind 0x7f, small payload", "An unknown kind is not an error: the payload is returned uninterpreted.",
        body: .unknown(kind: unknown7F, payload: patternBytes(20)), bucket: 256)
    v.addValid(
        "unknown kind 0x00, empty payload", "Kind 0 is not defined either; an empty body is fine for an unknown kind.",
        body: .unknown(kind: MessageKind(rawValue: 0x00), payload: []), createdAt: 0, bucket: 256)
    v.addValid(
        "unknown kind 0xff", "",
        body: .unknown(kind: MessageKind(rawValue: 0xFF), payload: patternBytes(64, start: 0xC0)), bucket: 256)
    for (bodyCount, bucket) in [(865, 1024), (866, 4096), (3937, 4096), (3938, 16384), (Envelope.maxBodyByteCount, 16384)] {
        let inner = bodyCount + 158
        v.addValid(
            "unknown kind 0x7f, inner message of \(inner) bytes",
            inner + 1 == bucket
                ? "Fills the \(bucket) bucket exactly, with one padding byte."
                : "One byte too large for the smaller bucket, so padded to \(bucket).",
            body: .unknown(kind: unknown7F, payload: patternBytes(bodyCount)), bucket: bucket)
    }
}

private func addSealedBoxAndPaddingFailures(to v: inout EnvelopeVectors) {
    let base = baseEnvelope()
    let sealed = v.seal(base.padded, to: .bob)
    func flipped(_ index: Int) -> [UInt8] {
        var copy = sealed
        copy[index] ^= 0x01
        return copy
    }
    v.addInvalid("sealed box: byte flipped in the ephemeral key", "Byte 0 changed.", sealed: flipped(0), padded: nil, code: "sealed_box")
    v.addInvalid("sealed box: byte flipped in the tag", "Byte 37 changed.", sealed: flipped(37), padded: nil, code: "sealed_box")
    v.addInvalid("sealed box: byte flipped in the ciphertext", "Byte 148 changed.", sealed: flipped(148), padded: nil, code: "sealed_box")
    v.addInvalid("sealed box: last byte flipped", "", sealed: flipped(sealed.count - 1), padded: nil, code: "sealed_box")
    v.addInvalid("sealed box: truncated by one byte", "303 bytes.", sealed: Array(sealed.dropLast()), padded: nil, code: "sealed_box")
    v.addInvalid("sealed box: one byte appended", "305 bytes.", sealed: sealed + [0], padded: nil, code: "sealed_box")
    v.addInvalid("sealed box: shorter than the overhead", "47 bytes.", sealed: Array(sealed.prefix(47)), padded: nil, code: "sealed_box")
    v.addInvalid("sealed box: empty", "Zero bytes.", sealed: [], padded: nil, code: "sealed_box")
    v.addInvalid(
        "sealed box: sealed to another key", "A valid envelope from Alice to Carol, opened by Bob.",
        sealed: v.seal(baseEnvelope(to: .carol).padded, to: .carol), padded: nil, code: "sealed_box")

    let inner = base.inner
    v.addInvalid(
        "padding: 512 bytes is not a bucket", "Correct ISO/IEC 7816-4 padding, but to 512 bytes.",
        sealed: v.seal(ISO7816Padding.pad(inner, blockSize: 512), to: .bob),
        padded: ISO7816Padding.pad(inner, blockSize: 512), code: "padding")
    v.addInvalid(
        "padding: 255 bytes is not a bucket", "Correct padding to 255 bytes.",
        sealed: v.seal(ISO7816Padding.pad(inner, blockSize: 255), to: .bob),
        padded: ISO7816Padding.pad(inner, blockSize: 255), code: "padding")
    v.addInvalid(
        "padding: 2048 bytes is not a bucket", "Correct padding to 2048 bytes, between two buckets.",
        sealed: v.seal(ISO7816Padding.pad(inner, blockSize: 2048), to: .bob),
        padded: ISO7816Padding.pad(inner, blockSize: 2048), code: "padding")
    v.addInvalid(
        "padding: empty plaintext", "A sealed box of nothing (48 bytes).",
        sealed: v.seal([], to: .bob), padded: [], code: "padding")
    var badMarker = base.padded
    badMarker[inner.count] = 0x81
    v.addInvalid(
        "padding: marker 0x81 instead of 0x80", "", sealed: v.seal(badMarker, to: .bob), padded: badMarker, code: "padding")
    var nonZeroTail = base.padded
    nonZeroTail[nonZeroTail.count - 1] = 0x01
    v.addInvalid(
        "padding: non-zero byte after the marker", "The last byte is 0x01.",
        sealed: v.seal(nonZeroTail, to: .bob), padded: nonZeroTail, code: "padding")
    let noMarker = inner + [UInt8](repeating: 0, count: 256 - inner.count)
    v.addInvalid(
        "padding: no marker", "The inner message followed by zero bytes only.",
        sealed: v.seal(noMarker, to: .bob), padded: noMarker, code: "padding")
    let allZero = [UInt8](repeating: 0, count: 256)
    v.addInvalid(
        "padding: all zero", "256 zero bytes.", sealed: v.seal(allZero, to: .bob), padded: allZero, code: "padding")
}

private func addHeaderAndSignatureFailures(to v: inout EnvelopeVectors) {
    let base = baseEnvelope()
    let body = base.body
    func sealedInner(_ inner: [UInt8]) -> (sealed: [UInt8], padded: [UInt8]) {
        let padded = Envelope.pad(inner)!
        return (v.seal(padded, to: .bob), padded)
    }
    func add(_ name: String, _ description: String, inner: [UInt8], code: String) {
        let (sealed, padded) = sealedInner(inner)
        v.addInvalid(name, description, sealed: sealed, padded: padded, code: code)
    }

    // Version, checked right after the padding and before any length.
    v.addInvalidInner(
        "version 2, properly signed", "Otherwise a valid check-in.", kind: .checkIn, body: body, version: 2, code: "version")
    v.addInvalidInner(
        "version 0, properly signed", "", kind: .checkIn, body: body, version: 0, code: "version")
    add("version 2, one-byte inner message", "The version is read before any length is checked.", inner: [0x02], code: "version")

    // Lengths.
    add("length: empty inner message", "The padded plaintext is 0x80 followed by 255 zero bytes.", inner: [], code: "length")
    add("length: inner message is only the version byte", "", inner: [0x01], code: "length")
    add("length: inner message of 157 bytes", "One byte shorter than header and signature together (158).",
        inner: Array(base.inner.prefix(157)), code: "length")
    v.addInvalidInner(
        "length: body length one more than the body", "Signed properly with the wrong length.",
        kind: .checkIn, body: body, bodyLengthOverride: UInt32(body.count + 1), code: "length")
    v.addInvalidInner(
        "length: body length one less than the body", "Signed properly with the wrong length.",
        kind: .checkIn, body: body, bodyLengthOverride: UInt32(body.count - 1), code: "length")
    v.addInvalidInner(
        "length: body length 0xffffffff", "", kind: .checkIn, body: body, bodyLengthOverride: .max, code: "length")

    // Signatures.
    let signature = Array(base.inner.suffix(64))
    var flippedSignature = signature
    flippedSignature[10] ^= 0x04
    v.addInvalidInner(
        "signature: bit flipped in the signature", "", kind: .checkIn, body: body,
        signatureOverride: flippedSignature, code: "signature")
    var changedTime = base.inner
    changedTime[25] ^= 0x01
    add("signature: created_at changed after signing", "Byte 25 (last byte of created_at) changed.", inner: changedTime, code: "signature")
    var changedBody = base.inner
    changedBody[98] ^= 0x20
    add("signature: body changed after signing", "A letter of the note changed case.", inner: changedBody, code: "signature")
    let unsigned = Array(base.inner.dropLast(64))
    v.addInvalidInner(
        "signature: made without the domain-separation prefix", "Ed25519 over the inner message alone.",
        kind: .checkIn, body: body, signatureOverride: Party.alice.identity.signing.signature(for: unsigned), code: "signature")
    v.addInvalidInner(
        "signature: made by Carol, sender key is Alice's", "", kind: .checkIn, body: body, from: .carol,
        senderKey: Party.alice.signingPublicKey, code: "signature")
    v.addInvalidInner(
        "signature: S + L (malleated, non-canonical S)",
        "The valid signature with L (the group order) added to its S half. S must be below L.",
        kind: .checkIn, body: body, signatureOverride: Array(signature.prefix(32)) + addGroupOrder(Array(signature.suffix(32))),
        code: "signature")
    v.addInvalidInner(
        "signature: all zero", "", kind: .checkIn, body: body,
        signatureOverride: [UInt8](repeating: 0, count: 64), code: "signature")
    v.addInvalidInner(
        "sender key of small order", "The neutral point 01 00...00; refused before the signature is checked.",
        kind: .checkIn, body: body, senderKey: BadSigningKeys.smallOrder, code: "signature")
    v.addInvalidInner(
        "sender key not canonically encoded", "y = p (ed ff...ff 7f).",
        kind: .checkIn, body: body, senderKey: BadSigningKeys.nonCanonical, code: "signature")
    v.addInvalidInner(
        "sender key outside the prime-order subgroup",
        "Alice's key plus the point of order 2: on the curve, of order 2L. Signed with Alice's key.",
        kind: .checkIn, body: body, senderKey: BadSigningKeys.mixedOrder(from: Party.alice.signingPublicKey),
        code: "signature")

    // Recipient binding.
    v.addInvalidInner(
        "recipient: signed for Bob, re-sealed by Bob to Carol",
        "Bob opened a valid envelope from Alice and sealed the same padded plaintext to Carol.",
        kind: .checkIn, body: body, addressedTo: .bob, sealTo: .carol, code: "recipient")
    v.addInvalidInner(
        "recipient: signed for Carol, sealed to Bob", "", kind: .panic, body: Bytes().u8(0).text([]).bytes,
        addressedTo: .carol, sealTo: .bob, code: "recipient")
}

private func addBodyFailures(to v: inout EnvelopeVectors) {
    func checkIn(status: UInt8 = 0, flags: UInt8 = 0, note: [UInt8] = [], tail: [UInt8] = []) -> [UInt8] {
        Bytes().u8(status).u8(flags).text(note).raw(tail).bytes
    }
    func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }
    let note = BodyErrorName("invalid_text", "note")

    v.addInvalidBody("check-in: status 3", "", kind: .checkIn, body: checkIn(status: 3), .init("invalid_value", "status"))
    v.addInvalidBody("check-in: status 0xff", "", kind: .checkIn, body: checkIn(status: 0xFF), .init("invalid_value", "status"))
    v.addInvalidBody(
        "check-in: status 3 and reserved flags", "The status is checked before the flags.",
        kind: .checkIn, body: checkIn(status: 3, flags: 0x80), .init("invalid_value", "status"))
    v.addInvalidBody("check-in: reserved flag bit 3", "Flags 0x08.", kind: .checkIn, body: checkIn(flags: 0x08), .init("reserved_bits"))
    v.addInvalidBody(
        "check-in: duress with status ok", "Flags 0x04 (duress) need the status in_danger (02).",
        kind: .checkIn, body: checkIn(status: 0, flags: 0x04), .init("invalid_value", "status"))
    v.addInvalidBody(
        "check-in: duress with status need_support", "Flags 0x04 with status 01.",
        kind: .checkIn, body: checkIn(status: 1, flags: 0x04), .init("invalid_value", "status"))
    v.addInvalidBody(
        "check-in: duress with status ok and a reserved flag", "Flags 0x84: the reserved bit is found before the duress rule is checked.",
        kind: .checkIn, body: checkIn(status: 0, flags: 0x84), .init("reserved_bits"))
    v.addInvalidBody("check-in: reserved flag bit 7", "Flags 0x80.", kind: .checkIn, body: checkIn(flags: 0x80), .init("reserved_bits"))
    v.addInvalidBody(
        "check-in: note of 1025 bytes", "One byte over the limit, otherwise valid text.",
        kind: .checkIn, body: checkIn(note: utf8(asciiText(1025))), .init("field_too_long", "note"))
    v.addInvalidBody(
        "check-in: note length 0xffff", "The length is checked against the limit before the bytes are read.",
        kind: .checkIn, body: Bytes().u8(0).u8(0).u16(0xFFFF).raw(utf8("short")).bytes, .init("field_too_long", "note"))
    v.addInvalidBody(
        "check-in: note longer than the body", "Length 10, three bytes follow.",
        kind: .checkIn, body: Bytes().u8(0).u8(0).u16(10).raw(utf8("abc")).bytes, .init("truncated"))
    v.addInvalidBody("check-in: note with invalid UTF-8", "C3 28.", kind: .checkIn, body: checkIn(note: [0x41, 0xC3, 0x28]), note)
    v.addInvalidBody("check-in: note with an overlong encoding", "C0 AF ('/' in two bytes).", kind: .checkIn, body: checkIn(note: [0xC0, 0xAF]), note)
    v.addInvalidBody("check-in: note with a surrogate", "ED A0 80 (U+D800).", kind: .checkIn, body: checkIn(note: [0xED, 0xA0, 0x80]), note)
    v.addInvalidBody("check-in: note ending inside a character", "E2 82 at the end.", kind: .checkIn, body: checkIn(note: [0x41, 0xE2, 0x82]), note)
    v.addInvalidBody("check-in: note above U+10FFFF", "F4 90 80 80.", kind: .checkIn, body: checkIn(note: [0xF4, 0x90, 0x80, 0x80]), note)
    v.addInvalidBody("check-in: note with NUL", "", kind: .checkIn, body: checkIn(note: utf8("safe\u{0}")), note)
    v.addInvalidBody("check-in: note with BEL", "U+0007.", kind: .checkIn, body: checkIn(note: utf8("safe\u{7}")), note)
    v.addInvalidBody("check-in: note with carriage return", "CR LF line ending: CR is not allowed.", kind: .checkIn, body: checkIn(note: utf8("line one\r\nline two")), note)
    v.addInvalidBody("check-in: note with DEL", "U+007F.", kind: .checkIn, body: checkIn(note: utf8("safe\u{7F}")), note)
    v.addInvalidBody("check-in: note with a C1 control", "U+0085 (C2 85).", kind: .checkIn, body: checkIn(note: utf8("safe\u{85}")), note)
    v.addInvalidBody("check-in: note with RIGHT-TO-LEFT OVERRIDE", "U+202E.", kind: .checkIn, body: checkIn(note: utf8("I am \u{202E}egnad ni")), note)
    v.addInvalidBody("check-in: note with LEFT-TO-RIGHT ISOLATE", "U+2066.", kind: .checkIn, body: checkIn(note: utf8("ok \u{2066}x\u{2069}")), note)
    v.addInvalidBody(
        "check-in: latitude out of range", "900000001 (just over 90°).",
        kind: .checkIn, body: checkIn(flags: 0x01, tail: Bytes().i32(900_000_001).i32(0).bytes), .init("invalid_value", "location"))
    v.addInvalidBody(
        "check-in: longitude out of range", "-1800000001 (just under -180°).",
        kind: .checkIn, body: checkIn(flags: 0x01, tail: Bytes().i32(0).i32(-1_800_000_001).bytes), .init("invalid_value", "location"))
    v.addInvalidBody(
        "check-in: location flag without location", "", kind: .checkIn, body: checkIn(flags: 0x01), .init("truncated"))
    v.addInvalidBody(
        "check-in: next due flag with a short time", "Seven bytes where eight are needed.",
        kind: .checkIn, body: checkIn(flags: 0x02, tail: [0, 0, 0, 0, 0x6B, 0x06, 0x03]), .init("truncated"))
    v.addInvalidBody("check-in: trailing byte", "A valid check-in followed by 00.", kind: .checkIn, body: checkIn(tail: [0]), .init("trailing_bytes"))
    v.addInvalidBody("check-in: empty body", "", kind: .checkIn, body: [], .init("truncated"))

    v.addInvalidBody("panic: reserved flag bit 3", "Flags 0x08.", kind: .panic, body: Bytes().u8(0x08).text([]).bytes, .init("reserved_bits"))
    let seed = fixedSeed("escalation timer 1")
    let relay = utf8("https://relay.example.org")
    v.addInvalidBody(
        "panic: escalation and escalated", "Flags 0x06: an alert cannot both escalate and be escalated (there is no third circle).",
        kind: .panic, body: Bytes().u8(0x06).text([]).u64(baseTime).u8(0).bytes, .init("invalid_value", "escalation"))
    v.addInvalidBody(
        "panic: escalation flag without escalation", "Flags 0x02 and nothing after the message.", kind: .panic,
        body: Bytes().u8(0x02).text([]).bytes, .init("truncated"))
    v.addInvalidBody(
        "panic: nine escalation timers", "Count 9, one over the limit of 8.", kind: .panic,
        body: Bytes().u8(0x02).text([]).u64(baseTime).u8(9).bytes, .init("field_too_long", "escalation"))
    v.addInvalidBody(
        "panic: escalation timer on a relay that is not a URL", "The relay is `ftp://relay.example.org`.", kind: .panic,
        body: Bytes().u8(0x02).text([]).u64(baseTime).u8(1).u8(23).raw(utf8("ftp://relay.example.org")).raw(seed).bytes,
        .init("invalid_value", "escalation"))
    v.addInvalidBody(
        "panic: escalation key seed of 31 bytes", "", kind: .panic,
        body: Bytes().u8(0x02).text([]).u64(baseTime).u8(1).u8(UInt8(relay.count)).raw(relay).raw(Array(seed.prefix(31))).bytes,
        .init("truncated"))
    v.addInvalidBody(
        "panic: message of 1025 bytes", "", kind: .panic, body: Bytes().u8(0).text(utf8(asciiText(1025))).bytes,
        .init("field_too_long", "message"))
    v.addInvalidBody(
        "panic: message with ESC", "U+001B (terminal escape).", kind: .panic,
        body: Bytes().u8(0).text(utf8("help \u{1B}[2J")).bytes, .init("invalid_text", "message"))
    v.addInvalidBody(
        "panic: latitude out of range", "-900000001.", kind: .panic,
        body: Bytes().u8(1).text([]).i32(-900_000_001).i32(0).bytes, .init("invalid_value", "location"))
    v.addInvalidBody("panic: trailing byte", "", kind: .panic, body: Bytes().u8(0).text([]).u8(0).bytes, .init("trailing_bytes"))

    let id = fixedMessageID("some message").bytes
    v.addInvalidBody("receipt: zero message IDs", "Count 0.", kind: .receipt, body: Bytes().u16(0).bytes, .init("invalid_value", "message_ids"))
    var tooMany = Bytes().u16(257)
    for index in 0..<257 { tooMany = tooMany.raw(fixedMessageID("receipt entry \(index)").bytes) }
    v.addInvalidBody(
        "receipt: 257 message IDs", "Count 257 with 257 IDs: one over the limit.", kind: .receipt, body: tooMany.bytes,
        .init("field_too_long", "message_ids"))
    v.addInvalidBody(
        "receipt: count 2 with one ID", "", kind: .receipt, body: Bytes().u16(2).raw(id).bytes, .init("truncated"))
    v.addInvalidBody(
        "receipt: trailing byte", "", kind: .receipt, body: Bytes().u16(1).raw(id).u8(0).bytes, .init("trailing_bytes"))

    v.addInvalidBody(
        "acknowledgement: message ID of 15 bytes", "", kind: .acknowledgement, body: Array(id.prefix(15)), .init("truncated"))
    v.addInvalidBody(
        "acknowledgement: note with a form feed", "U+000C.", kind: .acknowledgement,
        body: Bytes().raw(id).text(utf8("seen\u{C}")).bytes, .init("invalid_text", "note"))
    v.addInvalidBody(
        "acknowledgement: trailing byte", "", kind: .acknowledgement, body: Bytes().raw(id).text([]).u8(0).bytes,
        .init("trailing_bytes"))

    v.addInvalidBody(
        "missed check-in: reserved flag bit 3", "Flags 0x08.", kind: .missedCheckIn,
        body: Bytes().u8(0x08).u64(baseTime).text([]).bytes, .init("reserved_bits"))
    v.addInvalidBody(
        "missed check-in: escalation and escalated", "Flags 0x06.", kind: .missedCheckIn,
        body: Bytes().u8(0x06).u64(baseTime).text([]).u64(baseTime).u8(0).bytes, .init("invalid_value", "escalation"))
    v.addInvalidBody(
        "missed check-in: last check-in flag without room for both times",
        "Flags 0x01, one time and an empty message: the due time is cut short.",
        kind: .missedCheckIn, body: Bytes().u8(0x01).u64(baseTime).text([]).bytes, .init("truncated"))
    v.addInvalidBody(
        "missed check-in: message of 1025 bytes", "", kind: .missedCheckIn,
        body: Bytes().u8(0).u64(baseTime).text(utf8(asciiText(1025))).bytes, .init("field_too_long", "message"))

    v.addInvalidBody("all clear: empty body", "Even the empty message needs its two length bytes.", kind: .allClear, body: [], .init("truncated"))
    v.addInvalidBody(
        "all clear: trailing byte", "", kind: .allClear, body: Bytes().text([]).u8(0).bytes, .init("trailing_bytes"))
    v.addInvalidBody(
        "all clear: message with LEFT-TO-RIGHT OVERRIDE", "U+202D.", kind: .allClear,
        body: Bytes().text(utf8("all \u{202D}clear")).bytes, .init("invalid_text", "message"))
}

/// The valid check-in from Alice that the failure vectors start from.
private func baseEnvelope(to recipient: Party = .bob) -> (body: [UInt8], inner: [UInt8], padded: [UInt8]) {
    let body = try! MessageBody.checkIn(CheckIn(status: .ok, note: "All fine at the office.")).encoded()
    let inner = Envelope.encodeInner(
        kind: .checkIn, messageID: fixedMessageID("base check-in"), createdAt: Timestamp(secondsSince1970: baseTime),
        senderKey: Party.alice.signingPublicKey, recipientKey: recipient.signingPublicKey, body: body,
        signer: Party.alice.identity.signing)
    return (body, inner, Envelope.pad(inner)!)
}

/// `s + L` for a little-endian scalar `s` below L, the order of the Ed25519 group.
private func addGroupOrder(_ s: [UInt8]) -> [UInt8] {
    // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
    let l: [UInt8] = [
        0xED, 0xD3, 0xF5, 0x5C, 0x1A, 0x63, 0x12, 0x58, 0xD6, 0x9C, 0xF7, 0xA2, 0xDE, 0xF9, 0xDE, 0x14,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
    ]
    var out = [UInt8](repeating: 0, count: 32)
    var carry = 0
    for index in 0..<32 {
        let sum = Int(s[index]) + Int(l[index]) + carry
        out[index] = UInt8(sum & 0xFF)
        carry = sum >> 8
    }
    precondition(carry == 0, "s + L fits in 256 bits")
    return out
}
