import Testing
@testable import VigilProtocol

@Suite("Escalation in alerts") struct EscalationCodecTests {
    static let timer = EscalationTimer(relayURL: "https://relay.example.org", keySeed: Array(repeating: 0xAB, count: 32))
    static let escalation = Escalation(alertsAt: Fixture.now, timers: [timer])

    @Test("Alerts with up to eight timers round-trip, for panic and missed check-in", arguments: [0, 1, 8])
    func roundTrip(count: Int) throws {
        let escalation = Escalation(alertsAt: Fixture.now, timers: Array(repeating: Self.timer, count: count))
        for body in [
            MessageBody.panic(Panic(message: "help", escalation: escalation)),
            .missedCheckIn(MissedCheckIn(lastCheckInAt: nil, dueAt: Fixture.now, message: "call", escalation: escalation)),
        ] {
            #expect(try MessageBody.decode(kind: body.kind, from: body.encoded()) == body)
        }
    }

    @Test("A writer refuses what a reader would refuse: both flags, nine timers, a bad relay, a short seed", arguments: [
        (Self.escalation, true, BodyError.invalidValue(field: "escalation")),
        (Escalation(alertsAt: Fixture.now, timers: Array(repeating: timer, count: 9)), false, .fieldTooLong(field: "escalation", limit: 8)),
        (Escalation(alertsAt: Fixture.now, timers: [EscalationTimer(relayURL: "relay.example.org", keySeed: timer.keySeed)]), false,
         .invalidValue(field: "escalation")),
        (Escalation(alertsAt: Fixture.now, timers: [EscalationTimer(relayURL: timer.relayURL, keySeed: Array(repeating: 1, count: 31))]),
         false, .invalidValue(field: "escalation")),
    ])
    func writerRefuses(escalation: Escalation, escalated: Bool, error: BodyError) {
        #expect(throws: error) { try MessageBody.panic(Panic(escalation: escalation, escalated: escalated)).encoded() }
        #expect(throws: error) {
            try MessageBody.missedCheckIn(MissedCheckIn(lastCheckInAt: nil, dueAt: Fixture.now, escalation: escalation, escalated: escalated))
                .encoded()
        }
    }

    @Test("A reader refuses both flags, nine timers, a relay that is not a URL, and a cut seed")
    func readerRefuses() {
        let url = Array("https://relay.example.org".utf8)
        let timer = [UInt8(url.count)] + url + Array(repeating: 1, count: 32)
        let cases: [([UInt8], BodyError)] = [
            ([6, 0, 0] + be(UInt64(1)) + [0], .invalidValue(field: "escalation")),
            ([2, 0, 0] + be(UInt64(1)) + [9], .fieldTooLong(field: "escalation", limit: 8)),
            ([2, 0, 0] + be(UInt64(1)) + [1, 3] + Array("a:b".utf8) + Array(repeating: 1, count: 32), .invalidValue(field: "escalation")),
            ([2, 0, 0] + be(UInt64(1)) + [1] + timer.dropLast(), .truncated),
            ([2, 0, 0] + be(UInt64(1)) + [2] + timer, .truncated),
            ([2, 0, 0] + be(UInt64(1)) + [1] + timer + [0], .trailingBytes),
        ]
        for (bytes, error) in cases {
            #expect(throws: error, "\(bytes.prefix(12))") { try MessageBody.decode(kind: .panic, from: bytes) }
        }
    }

    @Test("Printing an escalation never shows a timer's key seed")
    func redacted() {
        let body = MessageBody.panic(Panic(message: "help", escalation: Self.escalation))
        for text in ["\(body)", String(reflecting: body), "\(Self.timer)", String(reflecting: Self.timer)] {
            #expect(!text.lowercased().contains("ab, 171") && !text.contains("171") && !text.lowercased().contains("abab"), "\(text)")
            #expect(text.contains("relay.example.org"))
        }
        var dumped = ""
        dump(Self.timer, to: &dumped)
        #expect(!dumped.contains("171"), "\(dumped)")
    }
}
