import Testing
@testable import VigilProtocol

/// A body with the bytes its layout (in the type's documentation) says it encodes to.
struct KnownBody: Sendable, CustomTestStringConvertible {
    let body: MessageBody
    let bytes: [UInt8]
    var testDescription: String { "\(body.kind) of \(bytes.count) bytes" }
}

private let someID = MessageID(validated: Array(0xA0..<0xB0))
private let lat = Int32(-338_688_000)
private let lon = Int32(1_512_093_000)
private let place = Location(latitudeE7: lat, longitudeE7: lon)!

let knownBodies: [KnownBody] = [
    KnownBody(body: .checkIn(CheckIn(status: .ok)), bytes: [0, 0, 0, 0]),
    KnownBody(
        body: .checkIn(
            CheckIn(status: .needSupport, note: "ok", location: place, nextDueAt: Timestamp(secondsSince1970: 0x0102_0304_0506_0708))),
        bytes: [1, 3, 0, 2, 0x6F, 0x6B] + be(lat) + be(lon) + [1, 2, 3, 4, 5, 6, 7, 8]),
    KnownBody(
        body: .checkIn(CheckIn(status: .inDanger, nextDueAt: Timestamp(secondsSince1970: 9))),
        bytes: [2, 2, 0, 0] + be(UInt64(9))),
    KnownBody(body: .checkIn(CheckIn(status: .inDanger, location: place)), bytes: [2, 1, 0, 0] + be(lat) + be(lon)),
    KnownBody(
        body: .checkIn(CheckIn(status: .inDanger, duress: true, note: "ok", nextDueAt: Timestamp(secondsSince1970: 9))),
        bytes: [2, 6, 0, 2, 0x6F, 0x6B] + be(UInt64(9))),
    KnownBody(body: .panic(Panic()), bytes: [0, 0, 0]),
    KnownBody(body: .panic(Panic(message: "help", location: place)), bytes: [1, 0, 4] + Array("help".utf8) + be(lat) + be(lon)),
    KnownBody(body: .receipt(Receipt(messageIDs: [someID])), bytes: [0, 1] + someID.bytes),
    KnownBody(body: .receipt(Receipt(messageIDs: [someID, Fixture.messageID])), bytes: [0, 2] + someID.bytes + Fixture.messageID.bytes),
    KnownBody(body: .acknowledgement(Acknowledgement(messageID: someID)), bytes: someID.bytes + [0, 0]),
    KnownBody(
        body: .acknowledgement(Acknowledgement(messageID: someID, note: "on my way ✓")),
        bytes: someID.bytes + [0, 13] + Array("on my way ✓".utf8)),
    KnownBody(
        body: .missedCheckIn(MissedCheckIn(lastCheckInAt: nil, dueAt: Timestamp(secondsSince1970: 7))),
        bytes: [0] + be(UInt64(7)) + [0, 0]),
    KnownBody(
        body: .missedCheckIn(
            MissedCheckIn(lastCheckInAt: Timestamp(secondsSince1970: 5), dueAt: Timestamp(secondsSince1970: 7), message: "call")),
        bytes: [1] + be(UInt64(5)) + be(UInt64(7)) + [0, 4] + Array("call".utf8)),
    KnownBody(
        body: .panic(Panic(escalation: Escalation(
            alertsAt: Timestamp(secondsSince1970: 9), timers: [EscalationTimer(relayURL: "http://r.example", keySeed: Array(0..<32))]))),
        bytes: [2, 0, 0] + be(UInt64(9)) + [1, 16] + Array("http://r.example".utf8) + Array(0..<32)),
    KnownBody(body: .panic(Panic(message: "x", escalated: true)), bytes: [4, 0, 1, 0x78]),
    KnownBody(
        body: .missedCheckIn(MissedCheckIn(
            lastCheckInAt: nil, dueAt: Timestamp(secondsSince1970: 7), escalation: Escalation(alertsAt: Timestamp(secondsSince1970: 8), timers: []))),
        bytes: [2] + be(UInt64(7)) + [0, 0] + be(UInt64(8)) + [0]),
    KnownBody(body: .missedCheckIn(MissedCheckIn(lastCheckInAt: nil, dueAt: Timestamp(secondsSince1970: 7), escalated: true)), bytes: [4] + be(UInt64(7)) + [0, 0]),
    KnownBody(body: .allClear(AllClear()), bytes: [0, 0]),
    KnownBody(body: .allClear(AllClear(message: "safe\n\tat home")), bytes: [0, 13] + Array("safe\n\tat home".utf8)),
]

/// The text fields, as (kind, field name, a body with that field set to `text`).
private let textFields: [(kind: MessageKind, field: String, make: @Sendable (String) -> MessageBody)] = [
    (.checkIn, "note", { .checkIn(CheckIn(status: .ok, note: $0)) }),
    (.panic, "message", { .panic(Panic(message: $0)) }),
    (.acknowledgement, "note", { .acknowledgement(Acknowledgement(messageID: Fixture.messageID, note: $0)) }),
    (.missedCheckIn, "message", { .missedCheckIn(MissedCheckIn(lastCheckInAt: nil, dueAt: Fixture.now, message: $0)) }),
    (.allClear, "message", { .allClear(AllClear(message: $0)) }),
]

/// For each text field, the bytes of a valid body before the field's u16 length (the field is
/// the last one of a body without optional fields), for decoding tests.
private let textFieldPrefixes: [(kind: MessageKind, field: String, prefix: [UInt8])] = [
    (.checkIn, "note", [0, 0]),
    (.panic, "message", [0]),
    (.acknowledgement, "note", Fixture.messageID.bytes),
    (.missedCheckIn, "message", [0] + be(UInt64(1))),
    (.allClear, "message", []),
]

@Suite("Message body codec") struct BodyCodecTests {
    @Test("A body encodes to the layout its type documents", arguments: knownBodies)
    func aBodyEncodesToItsDocumentedLayout(_ known: KnownBody) throws {
        #expect(try known.body.encoded() == known.bytes)
    }

    @Test("A body decodes from the layout its type documents", arguments: knownBodies)
    func aBodyDecodesFromItsDocumentedLayout(_ known: KnownBody) throws {
        #expect(try MessageBody.decode(kind: known.body.kind, from: known.bytes) == known.body)
    }

    @Test("Every proper prefix of a valid body is truncated", arguments: knownBodies)
    func everyProperPrefixOfABodyIsTruncated(_ known: KnownBody) {
        for length in 0..<known.bytes.count {
            #expect(throws: BodyError.truncated, "prefix of \(length) bytes") {
                try MessageBody.decode(kind: known.body.kind, from: Array(known.bytes.prefix(length)))
            }
        }
    }

    @Test("A body with bytes after its last field has trailing bytes", arguments: knownBodies)
    func aBodyWithBytesAfterItsLastFieldIsTrailingBytes(_ known: KnownBody) {
        for extra in [[0], [0xFF], [0, 0, 0, 0, 0, 0, 0, 0]] as [[UInt8]] {
            #expect(throws: BodyError.trailingBytes) {
                try MessageBody.decode(kind: known.body.kind, from: known.bytes + extra)
            }
        }
    }

    @Test("The known-answer bodies cover every known kind")
    func theKnownBodiesCoverEveryKnownKind() {
        #expect(Set(knownBodies.map(\.body.kind)) == Set(MessageKind.known))
    }

    // MARK: Flags

    @Test("Every undefined flag bit is refused as a reserved bit", arguments: [
        (MessageKind.checkIn, 1, UInt8(0x07)), (.panic, 0, 0x07), (.missedCheckIn, 0, 0x07),
    ])
    func everyUndefinedFlagBitIsReservedBitsSet(_ kind: MessageKind, _ flagsOffset: Int, _ defined: UInt8) throws {
        let base = try #require(knownBodies.first { $0.body.kind == kind && $0.bytes[flagsOffset] == 0 }).bytes
        for bit in 0..<8 where defined & (1 << bit) == 0 {
            var bytes = base
            bytes[flagsOffset] = 1 << bit
            #expect(throws: BodyError.reservedBitsSet, "bit \(bit)") { try MessageBody.decode(kind: kind, from: bytes) }
        }
    }

    @Test("A flag announcing a field that is missing makes the body truncated")
    func aFlagSaysAFieldIsPresentAndItsAbsenceIsTruncated() {
        // Check-in with the location flag set but no location.
        #expect(throws: BodyError.truncated) { try MessageBody.decode(kind: .checkIn, from: [0, 1, 0, 0]) }
        // Missed check-in with the last-check-in flag but only the due time.
        #expect(throws: BodyError.truncated) {
            try MessageBody.decode(kind: .missedCheckIn, from: [1] + be(UInt64(7)) + [0, 0])
        }
    }

    // MARK: Text fields

    @Test("Every text field takes 1024 bytes and refuses 1025", arguments: textFields)
    func aTextFieldOf1024BytesIsAcceptedAnd1025Refused(
        _ kind: MessageKind, _ field: String, _ make: @Sendable (String) -> MessageBody
    ) throws {
        let longest = make(String(repeating: "é", count: 512))
        let bytes = try longest.encoded()
        #expect(try MessageBody.decode(kind: kind, from: bytes) == longest)
        #expect(throws: BodyError.fieldTooLong(field: field, limit: 1024)) {
            try make(String(repeating: "é", count: 512) + "a").encoded()
        }
    }

    @Test("A declared text length over 1024 is too long, whatever follows", arguments: textFieldPrefixes)
    func aDeclaredTextLengthOver1024IsFieldTooLongEvenBeforeTheBytes(
        _ kind: MessageKind, _ field: String, _ prefix: [UInt8]
    ) {
        for declared in [UInt16(1025), 0xFFFF] {
            let bytes = prefix + be(declared) + [UInt8](repeating: 0x61, count: 1025)
            #expect(throws: BodyError.fieldTooLong(field: field, limit: 1024)) { try MessageBody.decode(kind: kind, from: bytes) }
        }
    }

    @Test("Forbidden text in any field is invalid text naming that field", arguments: textFieldPrefixes)
    func forbiddenTextInEachFieldIsInvalidTextNamingTheField(
        _ kind: MessageKind, _ field: String, _ prefix: [UInt8]
    ) {
        for text in [[0x00], [0x1B], [0xFF], [0xE2, 0x80, 0xAE]] as [[UInt8]] {
            let bytes = prefix + be(UInt16(text.count)) + text
            #expect(throws: BodyError.invalidText(field: field)) { try MessageBody.decode(kind: kind, from: bytes) }
        }
    }

    @Test("Forbidden text is refused when encoding any field", arguments: textFields)
    func forbiddenTextIsRefusedWhenEncodingEachField(_ kind: MessageKind, _ field: String, _ make: @Sendable (String) -> MessageBody) {
        for text in ["\u{0}", "a\u{1B}b", "\u{7F}", "\u{85}", "\u{202E}evil", "\u{2066}", "\r\n"] {
            #expect(throws: BodyError.invalidText(field: field)) { try make(text).encoded() }
        }
    }

    @Test("An empty text field encodes as length zero and decodes as none", arguments: textFields)
    func anEmptyTextFieldIsNoneBothWaysRound(_ kind: MessageKind, _ field: String, _ make: @Sendable (String) -> MessageBody) throws {
        let empty = make("")
        let bytes = try empty.encoded()
        let decoded = try MessageBody.decode(kind: kind, from: bytes)
        #expect(decoded == empty)
        #expect(bytes.suffix(2) == [0, 0])  // the text field is the last one here
    }

    @Test("Empty text given to an initializer is stored as nil")
    func emptyTextIsStoredAsNil() {
        #expect(CheckIn(status: .ok, note: "").note == nil)
        #expect(Panic(message: "").message == nil)
        #expect(Acknowledgement(messageID: Fixture.messageID, note: "").note == nil)
        #expect(MissedCheckIn(lastCheckInAt: nil, dueAt: Fixture.now, message: "").message == nil)
        #expect(AllClear(message: "").message == nil)
    }

    // MARK: Values

    @Test("An undefined check-in status is an invalid value", arguments: [UInt8(3), 4, 0x80, 0xFF])
    func anUndefinedStatusIsInvalidValue(_ status: UInt8) {
        #expect(throws: BodyError.invalidValue(field: "status")) { try MessageBody.decode(kind: .checkIn, from: [status, 0, 0, 0]) }
    }

    @Test("The duress flag with a status other than in danger is an invalid status", arguments: [UInt8(0), 1])
    func theDuressFlagWithAnotherStatusIsAnInvalidStatus(_ status: UInt8) {
        for flags in [UInt8(0x04), 0x05, 0x06, 0x07] {
            let optional = (flags & 1 != 0 ? be(lat) + be(lon) : []) + (flags & 2 != 0 ? be(UInt64(9)) : [])
            #expect(throws: BodyError.invalidValue(field: "status"), "flags \(flags)") {
                try MessageBody.decode(kind: .checkIn, from: [status, flags, 0, 0] + optional)
            }
        }
    }

    @Test("A check-in under duress is written only with the status in danger", arguments: [CheckIn.Status.ok, .needSupport])
    func aDuressCheckInWithAnotherStatusIsNotWritten(_ status: CheckIn.Status) throws {
        #expect(throws: BodyError.invalidValue(field: "status")) {
            try MessageBody.checkIn(CheckIn(status: status, duress: true, note: "fine")).encoded()
        }
        let underDuress = MessageBody.checkIn(CheckIn(status: .inDanger, duress: true, note: "fine"))
        #expect(try MessageBody.decode(kind: .checkIn, from: try underDuress.encoded()) == underDuress)
    }

    @Test("The duress flag is checked after the reserved bits")
    func theReservedBitsAreCheckedBeforeTheDuressRule() {
        #expect(throws: BodyError.reservedBitsSet) { try MessageBody.decode(kind: .checkIn, from: [0, 0x84, 0, 0]) }
    }

    @Test("A location out of range is an invalid value", arguments: [
        (Int32(900_000_001), Int32(0)), (-900_000_001, 0), (0, 1_800_000_001), (0, -1_800_000_001), (.min, .min), (.max, .max),
    ])
    func aLocationOutOfRangeIsInvalidValue(_ latitudeE7: Int32, _ longitudeE7: Int32) {
        let coordinates = be(latitudeE7) + be(longitudeE7)
        #expect(throws: BodyError.invalidValue(field: "location")) {
            try MessageBody.decode(kind: .checkIn, from: [0, 1, 0, 0] + coordinates)
        }
        #expect(throws: BodyError.invalidValue(field: "location")) {
            try MessageBody.decode(kind: .panic, from: [1, 0, 0] + coordinates)
        }
    }

    @Test("The poles and the antimeridian are valid locations")
    func theExtremeLocationsAreAccepted() throws {
        for (latitude, longitude) in [(Int32(900_000_000), Int32(1_800_000_000)), (-900_000_000, -1_800_000_000)] {
            let body = try MessageBody.decode(kind: .panic, from: [1, 0, 0] + be(latitude) + be(longitude))
            #expect(body == .panic(Panic(location: Location(latitudeE7: latitude, longitudeE7: longitude))))
        }
    }

    @Test("A receipt of zero IDs is an invalid value, encoding or decoding")
    func aReceiptOfZeroIDsIsInvalidValueBothWays() {
        #expect(throws: BodyError.invalidValue(field: "message_ids")) { try MessageBody.decode(kind: .receipt, from: [0, 0]) }
        #expect(throws: BodyError.invalidValue(field: "message_ids")) { try MessageBody.receipt(Receipt(messageIDs: [])).encoded() }
    }

    @Test("A receipt takes 256 IDs and refuses 257, encoding or decoding")
    func aReceiptOf256IDsIsAcceptedAnd257RefusedBothWays() throws {
        let most = MessageBody.receipt(Receipt(messageIDs: Fixture.messageIDs(256)))
        let bytes = try most.encoded()
        #expect(bytes.count == 2 + 256 * 16)
        #expect(try MessageBody.decode(kind: .receipt, from: bytes) == most)

        let tooMany = be(UInt16(257)) + [UInt8](repeating: 0, count: 257 * 16)
        #expect(throws: BodyError.fieldTooLong(field: "message_ids", limit: 256)) { try MessageBody.decode(kind: .receipt, from: tooMany) }
        #expect(throws: BodyError.fieldTooLong(field: "message_ids", limit: 256)) {
            try MessageBody.receipt(Receipt(messageIDs: Fixture.messageIDs(257))).encoded()
        }
    }

    @Test("A receipt with fewer IDs than it declares is truncated")
    func aReceiptShortOfItsDeclaredIDsIsTruncated() {
        let twoAndAHalf = be(UInt16(3)) + [UInt8](repeating: 0, count: 47)
        #expect(throws: BodyError.truncated) { try MessageBody.decode(kind: .receipt, from: twoAndAHalf) }
    }

    // MARK: Unknown kinds

    @Test("A body of an unknown kind is returned uninterpreted", arguments: [UInt8(0), 7, 0x42, 0xFF])
    func aBodyOfAnUnknownKindIsReturnedUninterpreted(_ rawKind: UInt8) throws {
        let kind = MessageKind(rawValue: rawKind)
        for payload in [[], [0xFF, 0, 1], [UInt8](repeating: 0, count: 5000)] as [[UInt8]] {
            let decoded = try MessageBody.decode(kind: kind, from: payload)
            #expect(decoded == .unknown(kind: kind, payload: payload))
            #expect(decoded.kind == kind)
            #expect(try decoded.encoded() == payload)
        }
    }

    @Test("Every known kind has its documented byte and name")
    func everyKnownKindHasItsDocumentedByteAndName() {
        #expect(MessageKind.known.map(\.rawValue) == [1, 2, 3, 4, 5, 6])
        #expect(MessageKind.known.map(\.name) == ["check-in", "panic", "receipt", "acknowledgement", "missed-check-in", "all-clear"])
        #expect(MessageKind(rawValue: 0x42).name == "unknown-66")
        #expect("\(MessageKind.panic)" == "panic")
    }

    @Test("The check-in statuses have their documented bytes and names")
    func theStatusesHaveTheirDocumentedBytesAndNames() {
        #expect(CheckIn.Status.allCases.map(\.rawValue) == [0, 1, 2])
        #expect(CheckIn.Status.allCases.map(\.description) == ["ok", "need support", "in danger"])
    }

    @Test("Body errors name the field, not its content")
    func bodyErrorsDescribeTheFieldButNotItsContent() {
        #expect(BodyError.fieldTooLong(field: "note", limit: 1024).description == "note is longer than 1024")
        #expect(BodyError.invalidText(field: "message").description == "message is not valid text")
        #expect(BodyError.invalidValue(field: "status").description == "status is out of range")
        #expect(BodyError.truncated.description == "the body ends too early")
    }
}

@Suite("Bodies of known kinds sent as raw bytes")
struct RawKnownKindTests {
    @Test("A known kind carried as raw bytes must still be a valid body of that kind")
    func knownKindAsUnknownIsChecked() throws {
        let garbage: [UInt8] = [9, 9, 9]
        #expect(throws: BodyError.invalidValue(field: "status")) {
            try MessageBody.unknown(kind: .checkIn, payload: garbage).encoded()
        }
        let valid = try MessageBody.checkIn(CheckIn(status: .ok)).encoded()
        #expect(try MessageBody.unknown(kind: .checkIn, payload: valid).encoded() == valid)
    }

    @Test("A truly unknown kind is carried as it is")
    func unknownKindPassesThrough() throws {
        let payload: [UInt8] = [1, 2, 3]
        #expect(try MessageBody.unknown(kind: MessageKind(rawValue: 0x7f), payload: payload).encoded() == payload)
    }
}
