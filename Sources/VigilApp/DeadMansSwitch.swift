import Foundation
import VigilCrypto
import VigilProtocol
import VigilRelayAPI

/// The dead man's switch as kept in the state: how often this person promised to check in,
/// and the timer each of their relays holds.
///
/// Each relay holds its own timer with a bundle of missed-check-in alerts sealed in advance to
/// the contacts' mailboxes on that relay; if no check-in renews it by its deadline, the relay
/// delivers them. A timer key is made for one timer only (so timers cannot be linked to
/// mailboxes) and lives only here, inside the sealed state.
struct DeadMansSwitch: Codable, Sendable {
    /// Whether the person wants the switch on. False after `disarm`, while timers that could not
    /// be disarmed yet are still listed.
    var armed: Bool
    /// Seconds from a check-in to the next one being due.
    var intervalSeconds: UInt64
    /// Seconds after that before the relays deliver the alerts.
    var graceSeconds: UInt64
    /// The person's own words for the alert.
    var message: String?
    /// The last check-in, as the alerts report it.
    var lastCheckInAt: Timestamp?
    var timers: [RelayTimer]
}

/// One timer on one relay.
struct RelayTimer: Codable, Sendable {
    var relayURL: String
    var timerID: String
    /// The seed of the Ed25519 key made for this timer only.
    var keySeed: SecretSeed
    /// The deadline the relay confirmed (Unix seconds).
    var deadline: UInt64
    /// How many alerts the bundle holds.
    var blobCount: Int
    /// Why the last renewal failed, if it did: the relay may fire at `deadline`.
    var lastError: String?
    /// A timer of an earlier arming (or of a disarmed switch) that could not be disarmed yet:
    /// it may still fire, and every later command tries again to disarm it.
    var retired: Bool?
    /// 2 for an escalation timer: its alerts go to tier-2 contacts some time after the tier-1
    /// timer's deadline, unless a tier-1 contact disarms it. Nil is 1.
    var tier: Int?
    /// The signing keys (hex) of the contacts its alerts go to: who gets an all-clear if it fired.
    var recipients: [String]?

    var isRetired: Bool { retired ?? false }
    var isEscalation: Bool { tier == 2 }
}

/// The bundles to deposit: which alert goes to which mailbox on which relay. A pure function of
/// the contacts, the person's relays and the clock.
struct SwitchPlan: Sendable {
    /// Alerts per relay URL (only relays where the person has a mailbox and at least one
    /// contact has one).
    var bundles: [String: [TimerBlobPayload]]
    /// Contacts with no mailbox on any of the person's relays: the switch cannot reach them.
    var unreachable: [String]
    /// Per relay URL: the signing keys (hex) of the contacts its bundle alerts.
    var recipients: [String: [String]]

    /// Most alerts one timer may hold (Protocol/relay-api.md).
    static let maxBlobs = 64

    /// Seals one missed-check-in alert per contact (one message ID for all, so that a contact
    /// reached through several relays sees it once) and sorts the copies by relay.
    ///
    /// The envelope's creation time is the due time, not the sealing time: the alert is
    /// delivered long after it was sealed, and contacts refuse envelopes older than their
    /// accepted window. Delivery happens at or after the due time, so it is never "from the
    /// future" to them.
    /// - Throws: ``VigilError`` (usage) when the message cannot be sealed, or a relay would hold
    ///   more alerts than a timer takes.
    static func make(
        contacts: [Contact], relays: [RelayAccount], identity: Identity, alert: MissedCheckIn
    ) throws(VigilError) -> SwitchPlan {
        let relayURLs = Set(relays.map(\.url))
        let messageID = MessageID.random()
        var bundles: [String: [TimerBlobPayload]] = [:]
        var recipients: [String: [String]] = [:]
        var unreachable: [String] = []
        for contact in contacts {
            let shared = contact.card.mailboxes.filter { relayURLs.contains($0.relayURL) }
            guard !shared.isEmpty else {
                unreachable.append(contact.alias)
                continue
            }
            let sealed: [UInt8]
            do {
                sealed = try Envelope.seal(
                    .missedCheckIn(alert), from: identity, to: contact.card.identity, createdAt: alert.dueAt, messageID: messageID)
            } catch {
                throw Outbox.sealingError(error)
            }
            for mailbox in shared {
                bundles[mailbox.relayURL, default: []].append(TimerBlobPayload(mailboxID: mailbox.mailboxID, blob: Data(sealed)))
                if recipients[mailbox.relayURL]?.contains(contact.signingKeyHex) != true {
                    recipients[mailbox.relayURL, default: []].append(contact.signingKeyHex)
                }
            }
        }
        for (url, blobs) in bundles where blobs.count > maxBlobs {
            throw .usage("\(url) would hold \(blobs.count) alerts, more than the \(maxBlobs) a timer takes: remove contacts or spread them over relays")
        }
        return SwitchPlan(bundles: bundles, unreachable: unreachable, recipients: recipients)
    }
}
