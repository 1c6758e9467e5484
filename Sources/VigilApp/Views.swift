import VigilProtocol

// What commands report, as plain Codable values: `--json` prints them, the human renderer
// (``HumanText``) turns them into text, and another front end can show them its own way.
// Times are Unix seconds. Nothing here holds a secret.

/// Who sent a message, resolved against the contacts when it is shown.
public struct SenderView: Codable, Sendable, Equatable {
    /// The contact's alias; nil for a key that is not a contact.
    public var alias: String?
    /// Whether the key belongs to a contact. False: shown as UNKNOWN SENDER, never as a contact's.
    public var known: Bool
    /// Whether that contact's safety number was confirmed.
    public var verified: Bool
    /// The sender's fingerprint (always present, so that an unknown sender can be recognised).
    public var fingerprint: String

    init(alias: String?, known: Bool, verified: Bool, fingerprint: String) {
        self.alias = alias
        self.known = known
        self.verified = verified
        self.fingerprint = fingerprint
    }

    init(contact: Contact) {
        alias = contact.alias
        known = true
        verified = contact.verified
        fingerprint = contact.fingerprint.description
    }

    init(senderKey: String, contacts: [Contact]) {
        if let contact = contacts.first(where: { $0.signingKeyHex == senderKey }) {
            self.init(contact: contact)
        } else {
            self.init(alias: nil, known: false, verified: false, fingerprint: Self.fingerprint(ofSigningKeyHex: senderKey))
        }
    }

    /// An unknown sender is named by a fingerprint of their signing key alone (their encryption
    /// key is not known), marked so that it is not confused with a card fingerprint.
    static func fingerprint(ofSigningKeyHex hex: String) -> String {
        "key " + String(hex.prefix(16)).uppercased()
    }
}

/// A location as shown and as given to hooks.
public struct LocationView: Codable, Sendable, Equatable {
    public var latitude: Double
    public var longitude: Double
    /// `LAT,LON` with seven decimals.
    public var text: String

    init(_ location: Location) {
        latitude = location.latitude
        longitude = location.longitude
        text = location.description
    }
}

/// A received message as shown, and as handed to `watch --on-alert` hooks on stdin.
public struct MessageView: Codable, Sendable, Equatable {
    /// `check-in`, `panic`, `acknowledgement`, `missed-check-in`, `all-clear`, `receipt`, or
    /// `unknown-N` for kinds this version does not know.
    public var kind: String
    public var messageID: String
    public var from: SenderView
    /// The sender's creation time (their clock).
    public var createdAt: UInt64
    public var receivedAt: UInt64
    /// Whether this needs attention now: a panic, a missed check-in, or a check-in that is not ok.
    public var isAlert: Bool
    /// Check-ins: `ok`, `support` or `danger`.
    public var status: String?
    /// Check-ins: whether the sender was forced to send it (then `status` is `danger`). They may
    /// not be free to read or answer messages: see ``HumanText/message(_:)``.
    public var duress: Bool?
    public var note: String?
    public var message: String?
    public var location: LocationView?
    public var nextDueAt: UInt64?
    public var lastCheckInAt: UInt64?
    public var dueAt: UInt64?
    /// Acknowledgements: the message acknowledged, and what it was when it is one of ours.
    public var acknowledges: String?
    public var acknowledgesSummary: String?
    /// The relays it arrived through.
    public var relays: [String]
    /// An alert to the first circle: when the sender's second circle is alerted unless someone
    /// acknowledges (Unix seconds).
    public var escalatesAt: UInt64?
    /// Whether this person's acknowledgement already stopped that.
    public var escalationStopped: Bool?
    /// An alert to the second circle: nobody in the first acknowledged in time.
    public var escalated: Bool

    init(_ entry: InboxEntry, contacts: [Contact], sent: [SentRecord]) {
        kind = entry.kind
        messageID = entry.messageID
        from = SenderView(senderKey: entry.senderKey, contacts: contacts)
        createdAt = entry.createdAt.secondsSince1970
        receivedAt = entry.receivedAt.secondsSince1970
        status = entry.body.status
        duress = entry.kind == MessageKind.checkIn.name ? entry.body.duress ?? false : nil
        note = entry.body.note
        message = entry.body.message
        location = entry.body.location.map(LocationView.init)
        nextDueAt = entry.body.nextDueAt?.secondsSince1970
        lastCheckInAt = entry.body.lastCheckInAt?.secondsSince1970
        dueAt = entry.body.dueAt?.secondsSince1970
        acknowledges = entry.body.acknowledges
        acknowledgesSummary = entry.body.acknowledges.flatMap { id in sent.last { $0.messageID == id }?.summary }
        relays = entry.relays
        escalatesAt = entry.body.escalation?.alertsAt.secondsSince1970
        escalationStopped = entry.body.escalation.map { $0.stoppedAt != nil }
        escalated = entry.body.escalated ?? false
        switch entry.kind {
        case MessageKind.panic.name, MessageKind.missedCheckIn.name: isAlert = true
        case MessageKind.checkIn.name: isAlert = entry.body.status != CheckInStatus.ok.rawValue
        default: isAlert = false
        }
    }
}

/// An acknowledgement of one of this person's messages.
public struct AcknowledgementView: Codable, Sendable, Equatable {
    /// The message acknowledged.
    public var messageID: String
    public var kind: String
    public var summary: String
    public var sentAt: UInt64
    public var by: SenderView
    public var note: String?
    public var at: UInt64
}

/// A contact as listed and shown.
public struct ContactView: Codable, Sendable, Equatable {
    public var alias: String
    /// The name on their card.
    public var name: String
    public var fingerprint: String
    public var verified: Bool
    public var addedAt: UInt64
    /// The relays their card lists.
    public var relays: [String]
    public var lastCheckIn: LastCheckInView?
    public var overdue: Bool
    /// 1: alerted at once; 2: alerted when nobody in tier 1 acknowledges an alert in time.
    public var tier: Int
    /// Only when one contact is shown: the number to compare with them.
    public var safetyNumber: String?

    init(_ contact: Contact, overdue: Bool, safetyNumber: SafetyNumber? = nil) {
        alias = contact.alias
        tier = contact.tier
        name = contact.card.displayName
        fingerprint = contact.fingerprint.description
        verified = contact.verified
        addedAt = contact.addedAt.secondsSince1970
        relays = contact.card.mailboxes.map(\.relayURL)
        lastCheckIn = contact.lastCheckIn.map(LastCheckInView.init)
        self.overdue = overdue
        self.safetyNumber = safetyNumber?.description
    }
}

/// A contact's latest check-in.
public struct LastCheckInView: Codable, Sendable, Equatable {
    public var at: UInt64
    public var status: String
    /// Whether they were forced to send it.
    public var duress: Bool
    public var nextDueAt: UInt64?

    init(_ record: CheckInRecord) {
        at = record.sentAt.secondsSince1970
        status = record.status
        duress = record.duress ?? false
        nextDueAt = record.nextDueAt?.secondsSince1970
    }
}

/// This person's own card.
public struct CardView: Codable, Sendable, Equatable {
    public var name: String
    public var fingerprint: String
    /// The card's text form, to share; nil while no relay is set up (a card needs a mailbox).
    public var card: String?
    public var relays: [String]
    public var createdAt: UInt64
}

/// One of this person's own mailboxes.
public struct RelayView: Codable, Sendable, Equatable {
    public var url: String
    public var mailboxID: String
    public var addedAt: UInt64
}

/// What `vigil init` did.
public struct InitReport: Codable, Sendable {
    public var home: String
    public var passphraseProtected: Bool
    public var card: CardView
    /// Relays where a mailbox could not be made, with why.
    public var failedRelays: [RelayFailure]
}

/// A relay that could not be used, and why.
public struct RelayFailure: Codable, Sendable, Equatable {
    public var relay: String
    public var error: String
}

/// One delivery in a report.
public struct DeliveryView: Codable, Sendable, Equatable {
    public var relay: String
    /// `delivered` or `queued`.
    public var status: String
    public var error: String?
    public var attempts: Int
    public var nextAttemptAt: UInt64?
}

/// What became of one message for one recipient.
public struct RecipientReport: Codable, Sendable, Equatable {
    public var alias: String
    public var verified: Bool
    public var deliveries: [DeliveryView]
    /// Whether at least one of their mailboxes has it.
    public var reached: Bool
    /// Whether every one of their mailboxes has it.
    public var complete: Bool
}

/// What became of one message sent.
public struct SendReport: Codable, Sendable, Equatable {
    public var messageID: String
    public var kind: String
    public var summary: String
    public var createdAt: UInt64
    public var recipients: [RecipientReport]
    /// Whether every delivery to every mailbox succeeded.
    public var allDelivered: Bool
    /// For an alert to the first circle: when and how the second is reached.
    public var escalation: EscalationView? = nil
    /// For an acknowledgement: the escalation timers it disarmed (or found gone).
    public var stoppedEscalation: [TimerView]? = nil
}

/// An alert's escalation from the first circle of contacts to the second.
public struct EscalationView: Codable, Sendable, Equatable {
    /// The first circle's alert.
    public var messageID: String
    /// When the second circle is alerted unless someone acknowledges first (Unix seconds).
    public var alertsAt: UInt64
    /// `waiting`, `stopped` (someone acknowledged in time) or `escalated`.
    public var phase: String
    /// The second circle: tier-2 contacts' aliases.
    public var tier2: [String]
    /// Who acknowledged, once stopped.
    public var stoppedBy: String?
    /// The relays' escalation timers: `armed`, `failed` (only this client will escalate), or
    /// `disarmed`.
    public var timers: [TimerView]
}

/// The outbox: every message not yet delivered everywhere.
public struct OutboxReport: Codable, Sendable, Equatable {
    public var messages: [SendReport]
    /// Deliveries made by this command (`--flush`).
    public var deliveredNow: Int
    public var isEmpty: Bool { messages.isEmpty }
}

/// A sent message with who received and acknowledged it.
public struct SentView: Codable, Sendable, Equatable {
    public var messageID: String
    public var kind: String
    public var summary: String
    public var createdAt: UInt64
    public var deliveredTo: [String]
    /// The aliases of the recipients whose client confirmed arrival.
    public var receivedBy: [String]
    /// The same recipients resolved against the contacts, so that an unverified one is marked.
    public var receivers: [SenderView]
    public var acknowledgements: [AcknowledgementView]
}

/// What `vigil inbox` found.
public struct InboxReport: Codable, Sendable {
    /// Messages to show: those not shown before, or all with `--all`.
    public var messages: [MessageView]
    /// Acknowledgements of this person's messages that arrived now.
    public var acknowledgements: [AcknowledgementView]
    /// Recent sent messages with receipts and acknowledgements (with `--all`).
    public var sent: [SentView]
    public var overdue: [OverdueContact]
    /// Blobs refused in this fetch, by reason.
    public var refused: [String: Int]
    public var duplicates: Int
    /// Relays that could not be read; their messages wait there.
    public var relayErrors: [RelayFailure]
    /// Messages of ours still waiting in the outbox after this command's retry.
    public var queued: Int
    /// Escalations of this person's alerts that were stopped or went to tier 2 now.
    public var escalations: [EscalationView] = []
}

/// What became of the timer on one relay.
public struct TimerView: Codable, Sendable, Equatable {
    public var relay: String
    /// `armed`, `renewed`, `re-armed` (the old timer had fired or expired), `disarmed`, or
    /// `failed` (the relay did not confirm; an older timer there may still fire).
    public var action: String
    /// The deadline the relay holds (Unix seconds); nil when no timer is known there.
    public var deadline: UInt64?
    /// How many alerts its bundle holds.
    public var alerts: Int
    public var error: String? = nil
    /// 2 for an escalation timer (its alerts go to tier 2 later); nil for tier 1.
    public var tier: Int? = nil
}

/// What `arm`, `disarm` and the renewal after a check-in or a change of contacts did.
public struct SwitchReport: Codable, Sendable, Equatable {
    /// Whether the switch is on after this command.
    public var armed: Bool
    public var intervalSeconds: UInt64
    public var graceSeconds: UInt64
    /// When the next check-in is due (the alerts say so).
    public var dueAt: UInt64?
    /// The earliest deadline a relay holds: the alerts go out then unless you check in.
    public var nextDeadline: UInt64?
    public var timers: [TimerView]
    /// Contacts the switch cannot reach: none of their mailboxes is on one of your relays.
    public var unreachable: [String]
    /// After a check-in that found timers gone off: the all-clear sent to the contacts they
    /// alerted.
    public var allClear: SendReport? = nil
    /// Relays that did not confirm: an old timer may fire there, or none is armed.
    public var failed: Int { timers.filter { $0.action == "failed" }.count }
}

/// What `vigil status` shows.
public struct StatusView: Codable, Sendable, Equatable {
    public var armed: Bool
    public var intervalSeconds: UInt64?
    public var graceSeconds: UInt64?
    public var lastCheckInAt: UInt64?
    public var nextDeadline: UInt64?
    /// Each timer as last confirmed by its relay (`action` is `armed`, or `failed` when the
    /// last renewal failed).
    public var timers: [TimerView]
    /// Contacts the switch cannot reach.
    public var unreachable: [String]
    /// Messages not yet delivered everywhere.
    public var outbox: [SendReport]
    public var overdue: [OverdueContact]
    /// Alerts of this person's whose escalation to tier 2 is still waiting.
    public var escalations: [EscalationView] = []
}

/// `checkin`'s report: the message, and the renewal of the dead man's switch when it is armed.
public struct CheckInReport: Encodable, Sendable {
    public var message: SendReport
    public var deadMansSwitch: SwitchReport?

    /// The check-in's report, and the switch's renewal (nil when it is not armed).
    public init(message: SendReport, deadMansSwitch: SwitchReport?) {
        self.message = message
        self.deadMansSwitch = deadMansSwitch
    }

    enum CodingKeys: String, CodingKey { case deadMansSwitch }

    /// The message's fields as before, plus `dead_mans_switch`.
    public func encode(to encoder: any Encoder) throws {
        try message.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(deadMansSwitch, forKey: .deadMansSwitch)
    }
}
