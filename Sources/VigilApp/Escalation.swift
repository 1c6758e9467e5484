import Foundation
import VigilCrypto
import VigilProtocol
import VigilRelayAPI

/// An alert to the first circle whose second circle is alerted at ``alertsAt`` unless someone
/// acknowledges first, as the defender's state keeps it.
///
/// The second circle's copies are sealed when the alert is sent and kept here; the same bytes
/// go into the relays' escalation timers, so that a copy delivered twice (by a timer and by this
/// client) is one message to its reader.
struct PendingEscalation: Codable, Sendable {
    enum Phase: String, Codable, Sendable {
        /// Waiting for an acknowledgement or for ``PendingEscalation/alertsAt``.
        case waiting
        /// Someone acknowledged in time: the second circle is not alerted.
        case stopped
        /// Nobody did: the second circle's copies went into the outbox.
        case escalated
    }

    /// The first circle's alert, hex.
    var alertID: String
    /// The second circle's copy, hex.
    var escalatedID: String
    var kind: String
    /// The outbox summary of the second circle's copy.
    var summary: String
    var alertsAt: Timestamp
    var phase: Phase
    /// Who acknowledged, once stopped.
    var stoppedBy: String?
    /// One escalation timer per relay; `retired` ones are to be disarmed.
    var timers: [RelayTimer]
    /// The second circle's sealed copies, one per mailbox of each tier-2 contact.
    var deliveries: [Delivery]

    /// Timers that wait to be disarmed, or (while waiting) to be armed.
    var hasTimerWork: Bool { timers.contains { $0.isRetired || (phase == .waiting && $0.lastError != nil) } }

    /// Someone acknowledged (or the alarm is over): every timer is to be disarmed, also one not
    /// confirmed yet, whose arming may still be under way. Without `disarm` the timers are
    /// forgotten instead and left to go off (an all-clear under duress).
    mutating func stop(by who: String, disarm: Bool) {
        phase = .stopped
        stoppedBy = who
        timers = disarm ? timers.map { timer in
            var retired = timer
            retired.retired = true
            return retired
        } : []
    }

    static let notArmed = "not armed yet"
}

/// What a first-circle alert needs: the second circle's sealed copies, the relays' bundles and
/// the escalation field naming their timers. A pure function of the contacts, relays and keys.
struct EscalationPlan: Sendable {
    var deliveries: [Delivery]
    var timers: [RelayTimer]
    /// Per relay URL: the timer's bundle.
    var bundles: [String: [TimerBlobPayload]]
    var escalation: Escalation
    /// Per relay URL: the signing keys (hex) of the tier-2 contacts its timer alerts.
    var recipients: [String: [String]]

    /// Seals `escalated` (the second circle's copy) once per tier-2 contact under `messageID`,
    /// and plans one escalation timer per relay of this person where tier-2 contacts have
    /// mailboxes (at most ``Escalation/maxTimers``; a relay that would hold more alerts than a
    /// timer takes gets none, and only this client escalates there).
    static func make(
        escalated: MessageBody, messageID: MessageID, tier2: [Contact], relays: [RelayAccount], identity: Identity,
        createdAt: Timestamp, alertsAt: Timestamp
    ) throws(VigilError) -> EscalationPlan {
        let deliveries = try Outbox.seal(escalated, to: tier2, from: identity, createdAt: createdAt, messageID: messageID)
        var bundles: [String: [TimerBlobPayload]] = [:]
        var recipients: [String: [String]] = [:]
        var timers: [RelayTimer] = []
        var named: [EscalationTimer] = []
        for url in relays.map(\.url) where timers.count < Escalation.maxTimers {
            let here = deliveries.filter { $0.relayURL == url }
            let bundle = here.map { TimerBlobPayload(mailboxID: $0.mailboxID, blob: $0.blob) }
            guard !bundle.isEmpty, bundle.count <= SwitchPlan.maxBlobs else { continue }
            let seed = SecretSeed.random()
            var keys: [String] = []
            for delivery in here where !keys.contains(delivery.contactKey) { keys.append(delivery.contactKey) }
            recipients[url] = keys
            let id: String
            do {
                id = TimerIDs.derive(timerKey: try seed.signingKeyPair().publicKey)
            } catch {
                throw VigilError(.usage, "could not make an escalation timer key")
            }
            bundles[url] = bundle
            timers.append(
                RelayTimer(
                    relayURL: url, timerID: id, keySeed: seed, deadline: alertsAt.secondsSince1970, blobCount: bundle.count,
                    lastError: PendingEscalation.notArmed, tier: 2, recipients: keys))
            named.append(EscalationTimer(relayURL: url, keySeed: seed.bytes.withUnsafeBytes { Array($0) }))
        }
        return EscalationPlan(
            deliveries: deliveries, timers: timers, bundles: bundles, escalation: Escalation(alertsAt: alertsAt, timers: named),
            recipients: recipients)
    }
}

/// An escalation as a contact's client keeps it: when the second circle is alerted, and the keys
/// that disarm the timers doing it (secret; never shown).
struct StoredEscalation: Codable, Sendable, Equatable {
    var alertsAt: Timestamp
    var timers: [StoredEscalationTimer]
    /// When this person's acknowledgement disarmed the timers, if it did.
    var stoppedAt: Timestamp?

    init(_ escalation: Escalation) {
        alertsAt = escalation.alertsAt
        timers = escalation.timers.map { timer in
            var seed = timer.keySeed
            return StoredEscalationTimer(relayURL: timer.relayURL, keySeed: SecretSeed(SecureBytes(wiping: &seed)))
        }
    }

    static func == (lhs: StoredEscalation, rhs: StoredEscalation) -> Bool {
        lhs.alertsAt == rhs.alertsAt && lhs.timers == rhs.timers
    }
}

struct StoredEscalationTimer: Codable, Sendable, Equatable {
    var relayURL: String
    var keySeed: SecretSeed

    static func == (lhs: StoredEscalationTimer, rhs: StoredEscalationTimer) -> Bool {
        lhs.relayURL == rhs.relayURL && lhs.keySeed.bytes.constantTimeEquals(rhs.keySeed.bytes)
    }
}
