import Foundation
public import VigilProtocol
import VigilCrypto

/// Everything Vigil keeps besides the keys, as stored (sealed) in `state.json.enc`.
///
/// A plain value: commands read it, change it under the lock and write it back whole. Bounded
/// lists (inbox, sent log, warnings, seen IDs) are pruned on every write, so the file does not
/// grow without limit.
struct AppState: Codable, Sendable {
    /// The state format version this implementation writes and reads.
    static let currentVersion = 1

    var version: Int
    var profile: Profile
    /// This person's own mailboxes, one per relay; their card lists all of them.
    var relays: [RelayAccount]
    var settings: Settings
    var contacts: [Contact]
    /// Messages not yet delivered to every mailbox of every recipient.
    var outbox: [OutboxItem]
    /// Recently sent messages, with who received and acknowledged them.
    var sent: [SentRecord]
    /// Messages received, newest last.
    var inbox: [InboxEntry]
    /// `sender key hex/message ID hex` → creation time, for de-duplication and replay refusal.
    var seen: [String: UInt64]
    /// Blobs that could not be accepted, by reason.
    var warnings: [ReceiveWarning]
    /// Messages created before this time (Unix seconds) are refused as replays: seen IDs that
    /// old may have been pruned, so a copy could not be recognised. Only rises, so neither a
    /// longer `--max-age` nor a clock set back reopens replays. Nil in older state files: 0.
    var replayFloor: UInt64?
    /// The same for senders who are not contacts, whose seen IDs are also pruned by count.
    var unknownSenderReplayFloor: UInt64?
    /// The dead man's switch: timers held by this person's relays. Nil when never armed (and in
    /// older state files).
    var deadMansSwitch: DeadMansSwitch?
    /// Alerts whose second circle is still to be reached, or was, or was stopped. Nil in older
    /// state files.
    var escalations: [PendingEscalation]?

    init(displayName: String, now: Timestamp) {
        version = Self.currentVersion
        profile = Profile(displayName: displayName, cardCreatedAt: now)
        relays = []
        settings = Settings()
        contacts = []
        outbox = []
        sent = []
        inbox = []
        seen = [:]
        warnings = []
    }

    static let maxInbox = 1000
    /// Most inbox entries and most seen IDs kept from senders who are not contacts: anyone with
    /// the card can send, so what they can make this person store is bounded on its own.
    static let maxUnknownSender = 1000
    static let maxSent = 200
    static let maxWarnings = 50

    /// Drops what is too old or beyond the bounds; called before every write.
    ///
    /// Never drops a contact's inbox entry that was not shown yet, nor a contact's seen ID inside
    /// the accepted window. Senders who are not contacts are capped first (oldest first), so
    /// they cannot crowd out contacts; then shown entries go, oldest first.
    mutating func prune(now: Timestamp) {
        let contactKeys = Set(contacts.map(\.signingKeyHex))
        let horizon = now.secondsSince1970 > settings.maxAgeSeconds ? now.secondsSince1970 - settings.maxAgeSeconds : 0
        // A message older than the accepted window is refused anyway, so its ID need not be kept;
        // the floor keeps it refused if the window later widens or the clock goes back.
        var floor = replayFloor ?? 0
        for created in seen.values where created < horizon { floor = max(floor, Self.after(created)) }
        seen = seen.filter { $0.value >= horizon }
        if floor > 0 { replayFloor = floor }

        let unknownSeen = seen.filter { !contactKeys.contains(Self.sender(ofSeenKey: $0.key)) }
        if unknownSeen.count > Self.maxUnknownSender {
            var unknownFloor = unknownSenderReplayFloor ?? 0
            let oldest = unknownSeen.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.prefix(unknownSeen.count - Self.maxUnknownSender)
            for (key, created) in oldest {
                seen[key] = nil
                unknownFloor = max(unknownFloor, Self.after(created))
            }
            unknownSenderReplayFloor = unknownFloor
        }

        pruneInbox(contactKeys: contactKeys)
        if sent.count > Self.maxSent { sent.removeFirst(sent.count - Self.maxSent) }
        if warnings.count > Self.maxWarnings { warnings.removeFirst(warnings.count - Self.maxWarnings) }
    }

    private mutating func pruneInbox(contactKeys: Set<String>) {
        // The inbox is in arrival order, so the first indices are the oldest.
        let unknown = inbox.indices.filter { !contactKeys.contains(inbox[$0].senderKey) }
        let overCap = max(0, inbox.count - Self.maxInbox)
        var drop = Set(unknown.prefix(max(unknown.count - Self.maxUnknownSender, min(overCap, unknown.count))))
        let stillOver = inbox.count - drop.count - Self.maxInbox
        if stillOver > 0 {
            drop.formUnion(inbox.indices.filter { !drop.contains($0) && inbox[$0].shown }.prefix(stillOver))
        }
        guard !drop.isEmpty else { return }
        inbox = inbox.indices.filter { !drop.contains($0) }.map { inbox[$0] }
    }

    /// The sender's key in a ``seen`` key (`sender key hex/message ID hex`).
    static func sender(ofSeenKey key: String) -> String {
        String(key.prefix { $0 != "/" })
    }

    /// The first second after `seconds`, without overflow.
    private static func after(_ seconds: UInt64) -> UInt64 {
        seconds < .max ? seconds + 1 : seconds
    }
}

/// Who this person is to others.
struct Profile: Codable, Sendable {
    /// The name on their card.
    var displayName: String
    /// The creation time written into their card; renewed when the card changes (name, relays),
    /// so that contacts can tell a newer card from an older one.
    var cardCreatedAt: Timestamp
}

/// Settings a person can change with `vigil config`.
struct Settings: Codable, Sendable, Equatable {
    /// A proxy every relay request must go through, such as `socks5h://127.0.0.1:9050` for Tor.
    var proxy: String?
    /// How long after a contact's announced next check-in they are reported overdue.
    var graceSeconds: UInt64 = 15 * 60
    /// Oldest message accepted, by its creation time.
    var maxAgeSeconds: UInt64 = 14 * 24 * 3600
    /// How far in the future a message's creation time may lie (clock differences).
    var maxFutureSeconds: UInt64 = 5 * 60
    /// How long the first circle has to acknowledge an alert before the second is alerted. Nil
    /// in older state files: ``defaultEscalationSeconds``.
    var escalateAfterSeconds: UInt64?

    static let defaultEscalationSeconds: UInt64 = 15 * 60

    var escalationSeconds: UInt64 { escalateAfterSeconds ?? Self.defaultEscalationSeconds }

    init() {}
}

/// One of this person's own mailboxes.
struct RelayAccount: Codable, Sendable {
    /// The relay's base URL as checked by ``RelayBaseURL``.
    var url: String
    var mailboxID: String
    /// The seed of the Ed25519 key made for this mailbox only.
    var ownerSeed: SecretSeed
    var addedAt: Timestamp
    /// The highest relay message ID fetched; the next fetch asks for newer ones.
    var lastFetchedID: Int64
    /// Relay message IDs stored locally but not yet acknowledged to the relay (a crash or a
    /// network failure between the two); acknowledged on the next fetch.
    var unacknowledged: [Int64]

    var address: MailboxAddress? { try? MailboxAddress(relayURL: url, mailboxID: mailboxID) }
}

/// A trusted contact: their card, what they are called here, and whether their safety number
/// was compared.
struct Contact: Codable, Sendable {
    /// The local name, unique among contacts.
    var alias: String
    /// The card as received (text form).
    var cardText: String
    /// Whether the safety number was compared out of band and confirmed.
    var verified: Bool
    var verifiedAt: Timestamp?
    var addedAt: Timestamp
    /// Their most recent check-in, which says when the next is due.
    var lastCheckIn: CheckInRecord?
    /// 1: alerted at once; 2: alerted only when nobody in tier 1 acknowledges in time. Nil
    /// (older state files) is 1.
    var storedTier: Int?
    /// The parsed card; checked again whenever the state is read.
    let card: ContactCard

    init(alias: String, card: ContactCard, addedAt: Timestamp) {
        self.alias = alias
        self.cardText = card.text
        self.verified = false
        self.addedAt = addedAt
        self.card = card
    }

    /// Lower-case hex of the contact's signing key: how messages are matched to contacts.
    var signingKeyHex: String { Hex.encode(card.identity.signingKey.rawRepresentation) }

    var fingerprint: Fingerprint { card.identity.fingerprint }

    /// The contact's circle: 1 or 2.
    var tier: Int { storedTier ?? 1 }

    enum CodingKeys: String, CodingKey {
        case alias, cardText, verified, verifiedAt, addedAt, lastCheckIn
        case storedTier = "tier"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        alias = try container.decode(String.self, forKey: .alias)
        cardText = try container.decode(String.self, forKey: .cardText)
        verified = try container.decode(Bool.self, forKey: .verified)
        verifiedAt = try container.decodeIfPresent(Timestamp.self, forKey: .verifiedAt)
        addedAt = try container.decode(Timestamp.self, forKey: .addedAt)
        lastCheckIn = try container.decodeIfPresent(CheckInRecord.self, forKey: .lastCheckIn)
        storedTier = try container.decodeIfPresent(Int.self, forKey: .storedTier)
        do {
            card = try ContactCard(text: cardText)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .cardText, in: container, debugDescription: "the stored card of a contact is invalid")
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(alias, forKey: .alias)
        try container.encode(cardText, forKey: .cardText)
        try container.encode(verified, forKey: .verified)
        try container.encodeIfPresent(verifiedAt, forKey: .verifiedAt)
        try container.encode(addedAt, forKey: .addedAt)
        try container.encodeIfPresent(lastCheckIn, forKey: .lastCheckIn)
        try container.encodeIfPresent(storedTier, forKey: .storedTier)
    }
}

/// A contact's latest check-in, as far as overdue detection needs it.
struct CheckInRecord: Codable, Sendable, Equatable {
    var messageID: String
    /// When they sent it (their clock).
    var sentAt: Timestamp
    var receivedAt: Timestamp
    var status: String
    /// True when they sent it under duress; nil otherwise (and in older state files).
    var duress: Bool?
    /// When they said the next one is due.
    var nextDueAt: Timestamp?
}

/// How far one delivery (one envelope to one mailbox) has got.
enum DeliveryStatus: String, Codable, Sendable {
    case pending
    case delivered
}

/// One sealed envelope for one mailbox of one recipient.
struct Delivery: Codable, Sendable {
    /// The recipient's signing key, hex.
    var contactKey: String
    /// The recipient's alias when the message was sent.
    var alias: String
    var relayURL: String
    var mailboxID: String
    /// The sealed envelope. Retries deposit exactly these bytes, which the relay stores once.
    var blob: Data
    var status: DeliveryStatus
    /// The relay's message ID once delivered.
    var relayMessageID: Int64?
    var deliveredAt: Timestamp?
    /// Failed attempts so far.
    var attempts: Int
    /// Not retried automatically before this time.
    var nextAttemptAt: Timestamp?
    /// Why the last attempt failed, for people.
    var lastError: String?
}

/// A message on its way: sealed once per recipient, deposited into every mailbox on each
/// recipient's card.
struct OutboxItem: Codable, Sendable {
    /// The message ID shared by every copy, hex.
    var messageID: String
    /// The kind's protocol name (`panic`, `check-in`, ...).
    var kind: String
    var createdAt: Timestamp
    /// A short description for the outbox listing.
    var summary: String
    var deliveries: [Delivery]

    var isComplete: Bool { deliveries.allSatisfy { $0.status == .delivered } }
}

/// A message this person sent, and what became of it.
struct SentRecord: Codable, Sendable {
    var messageID: String
    var kind: String
    var createdAt: Timestamp
    var summary: String
    var recipients: [SentRecipient]
    var acknowledgements: [AcknowledgementRecord]
}

/// What became of a sent message for one recipient.
struct SentRecipient: Codable, Sendable {
    var contactKey: String
    var alias: String
    /// When the first of their mailboxes accepted it.
    var deliveredAt: Timestamp?
    /// When their client confirmed it arrived (an automatic receipt), by our clock.
    var receiptAt: Timestamp?
}

/// A signed acknowledgement of one of this person's messages.
struct AcknowledgementRecord: Codable, Sendable {
    var contactKey: String
    var alias: String
    var note: String?
    /// The acknowledgement's creation time (their clock).
    var at: Timestamp
    var receivedAt: Timestamp
}

/// A message received and accepted.
struct InboxEntry: Codable, Sendable {
    var messageID: String
    /// The signing key that signed it, hex. Whether it is a contact's is decided when shown.
    var senderKey: String
    var kind: String
    var createdAt: Timestamp
    var receivedAt: Timestamp
    var body: StoredBody
    /// The relays it arrived through (several when the sender deposited to several).
    var relays: [String]
    /// Whether `vigil inbox` has shown it.
    var shown: Bool
}

/// The fields of any message body, as stored and shown.
struct StoredBody: Codable, Sendable, Equatable {
    var status: String?
    /// For check-ins sent under duress: true. Nil otherwise, so that an ordinary check-in is
    /// stored as it was before duress existed (a late copy then still matches it).
    var duress: Bool?
    var note: String?
    var message: String?
    var latitudeE7: Int32?
    var longitudeE7: Int32?
    var nextDueAt: Timestamp?
    var lastCheckInAt: Timestamp?
    var dueAt: Timestamp?
    /// For acknowledgements: the message acknowledged.
    var acknowledges: String?
    /// For receipts: the messages confirmed.
    var messageIDs: [String]?
    /// For kinds this version does not know: the kind number. The content is never shown.
    var unknownKind: UInt8?
    /// For alerts to the first circle: when the second is alerted, and the keys of the timers
    /// that would do it (secret: they disarm them).
    var escalation: StoredEscalation?
    /// For alerts to the second circle: nobody in the first acknowledged in time.
    var escalated: Bool?

    var location: Location? {
        guard let latitudeE7, let longitudeE7 else { return nil }
        return Location(latitudeE7: latitudeE7, longitudeE7: longitudeE7)
    }

    init() {}

    init(_ body: MessageBody) {
        switch body {
        case .checkIn(let checkIn):
            status = CheckInStatus(checkIn.status).rawValue
            duress = checkIn.duress ? true : nil
            note = checkIn.note
            setLocation(checkIn.location)
            nextDueAt = checkIn.nextDueAt
        case .panic(let panic):
            message = panic.message
            setLocation(panic.location)
            setEscalation(panic.escalation, escalated: panic.escalated)
        case .receipt(let receipt):
            messageIDs = receipt.messageIDs.map(\.description)
        case .acknowledgement(let ack):
            acknowledges = ack.messageID.description
            note = ack.note
        case .missedCheckIn(let missed):
            lastCheckInAt = missed.lastCheckInAt
            dueAt = missed.dueAt
            message = missed.message
            setEscalation(missed.escalation, escalated: missed.escalated)
        case .allClear(let allClear):
            message = allClear.message
        case .unknown(let kind, _):
            unknownKind = kind.rawValue
        }
    }

    private mutating func setEscalation(_ value: Escalation?, escalated: Bool) {
        escalation = value.map(StoredEscalation.init)
        self.escalated = escalated ? true : nil
    }

    private mutating func setLocation(_ location: Location?) {
        latitudeE7 = location?.latitudeE7
        longitudeE7 = location?.longitudeE7
    }
}

/// The check-in statuses as typed on the command line and stored.
public enum CheckInStatus: String, Codable, Sendable, CaseIterable {
    case ok
    case support
    case danger

    /// The status of a received check-in.
    public init(_ status: CheckIn.Status) {
        switch status {
        case .ok: self = .ok
        case .needSupport: self = .support
        case .inDanger: self = .danger
        }
    }

    /// The status as the check-in body carries it.
    public var protocolStatus: CheckIn.Status {
        switch self {
        case .ok: return .ok
        case .support: return .needSupport
        case .danger: return .inDanger
        }
    }

    /// How it is said to people.
    public var phrase: String {
        switch self {
        case .ok: return "ok"
        case .support: return "NEEDS SUPPORT"
        case .danger: return "IN DANGER"
        }
    }
}

/// Blobs that were discarded instead of shown: undecryptable, forged, replayed, too old.
struct ReceiveWarning: Codable, Sendable {
    /// The envelope error code (`sealed_box`, `signature`, ...) or `replay`, `too_old`, `future`.
    var code: String
    var count: Int
    var lastAt: Timestamp
}
