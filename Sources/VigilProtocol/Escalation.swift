/// What an alert to the first circle (tier-1 contacts) carries so that any of them can stop the
/// escalation to the second circle.
///
/// The defender arms one escalation timer per relay, holding the same alert sealed to each
/// tier-2 contact; it goes off at ``alertsAt`` unless disarmed. The key of each timer travels
/// here, inside the sealed alert, so that a tier-1 contact who acknowledges can disarm them even
/// when the defender is silent. A timer's ID is derived from its key (Protocol/relay-api.md).
///
/// Layout: `alerts_at u64 | count u8 (0 to 8) | count × (url_length u8 | relay_url | key_seed 32)`.
public struct Escalation: Hashable, Sendable {
    /// When the second circle is alerted unless a contact acknowledges first.
    public var alertsAt: Timestamp
    /// The escalation timers, at most ``maxTimers``; none when no relay holds one (then only the
    /// defender's own client escalates).
    public var timers: [EscalationTimer]

    /// Most timers an alert names: one per relay of the defender.
    public static let maxTimers = 8

    public init(alertsAt: Timestamp, timers: [EscalationTimer]) {
        self.alertsAt = alertsAt
        self.timers = timers
    }

    func encode(into writer: inout ByteWriter) throws(BodyError) {
        guard timers.count <= Self.maxTimers else { throw .fieldTooLong(field: "escalation", limit: Self.maxTimers) }
        writer.write(alertsAt.secondsSince1970)
        writer.write(UInt8(timers.count))
        for timer in timers {
            guard MailboxAddress.isValidRelayURL(timer.relayURL), timer.keySeed.count == EscalationTimer.seedByteCount else {
                throw .invalidValue(field: "escalation")
            }
            writer.write(UInt8(timer.relayURL.utf8.count))
            writer.write(Array(timer.relayURL.utf8))
            writer.write(timer.keySeed)
        }
    }

    init(from reader: inout ByteReader) throws {
        let alertsAt = Timestamp(secondsSince1970: try reader.readUInt64())
        let count = Int(try reader.readUInt8())
        guard count <= Self.maxTimers else { throw BodyError.fieldTooLong(field: "escalation", limit: Self.maxTimers) }
        var timers: [EscalationTimer] = []
        for _ in 0..<count {
            let length = Int(try reader.readUInt8())
            let url = String(decoding: try reader.readBytes(length), as: UTF8.self)
            let seed = try reader.readBytes(EscalationTimer.seedByteCount)
            guard MailboxAddress.isValidRelayURL(url) else { throw BodyError.invalidValue(field: "escalation") }
            timers.append(EscalationTimer(relayURL: url, keySeed: seed))
        }
        self.init(alertsAt: alertsAt, timers: timers)
    }
}

/// One escalation timer: the relay holding it and the seed of its Ed25519 key.
///
/// The seed is a secret (it disarms the timer); printing the value never shows it.
public struct EscalationTimer: Hashable, Sendable {
    public static let seedByteCount = 32

    /// The relay's base URL, as on the defender's card.
    public var relayURL: String
    /// The 32-byte seed of the timer's Ed25519 key.
    public var keySeed: [UInt8]

    public init(relayURL: String, keySeed: [UInt8]) {
        self.relayURL = relayURL
        self.keySeed = keySeed
    }
}

extension EscalationTimer: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "EscalationTimer(\(relayURL), key redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["relayURL": relayURL]) }
}

/// The escalation flags shared by panic and missed-check-in bodies.
enum EscalationFlags {
    /// Bit 1: an ``Escalation`` follows the kind's other fields (an alert to tier 1).
    static let hasEscalation: UInt8 = 0x02
    /// Bit 2: this copy went to the second circle because nobody in the first acknowledged.
    static let escalated: UInt8 = 0x04

    static func flags(escalation: Escalation?, escalated: Bool) -> UInt8 {
        (escalation == nil ? 0 : hasEscalation) | (escalated ? Self.escalated : 0)
    }

    /// Reads the trailing escalation, refusing an alert that claims both to escalate and to be
    /// escalated (there is no third circle).
    static func read(flags: UInt8, from reader: inout ByteReader) throws -> (Escalation?, Bool) {
        if flags & hasEscalation != 0, flags & escalated != 0 { throw BodyError.invalidValue(field: "escalation") }
        let escalation = flags & hasEscalation != 0 ? try Escalation(from: &reader) : nil
        return (escalation, flags & escalated != 0)
    }

    static func check(escalation: Escalation?, escalated: Bool) throws(BodyError) {
        if escalation != nil, escalated { throw .invalidValue(field: "escalation") }
    }
}
