import Foundation
import VigilCrypto
import VigilProtocol
import VigilClient

/// One deposit to make: a sealed envelope and the mailbox it goes to.
struct DeliveryAttempt: Sendable, Hashable {
    var messageID: String
    var contactKey: String
    var relayURL: String
    var mailboxID: String
    var blob: [UInt8]
}

/// What one deposit came to.
enum DeliveryResult: Sendable, Equatable {
    /// The relay holds it durably under this message ID.
    case delivered(relayMessageID: Int64)
    /// It did not arrive; `retryAfter` is what the relay asked for, if anything.
    case failed(reason: String, retryAfter: UInt64?)
}

/// The outbox rules: how a message becomes deliveries, which are due, and what results do to
/// the state. Pure functions of the state, the keys and the clock.
enum Outbox {
    /// Builds the outbox item for `body`: one message ID, one envelope sealed per contact, one
    /// delivery per mailbox on each contact's card. Also records the message in the sent log,
    /// unless `record` is false (automatic receipts).
    /// - Throws: ``VigilError`` (usage) when the body cannot be sealed (a note too long or with
    ///   characters that cannot be sent).
    /// - Parameter shownAs: the kind this device records and shows, when it is not the body's
    ///   (under duress, an alarm goes out where an all-clear was asked for).
    static func enqueue(
        _ body: MessageBody, summary: String, to contacts: [Contact], from identity: Identity,
        now: Timestamp, messageID: MessageID = .random(), record: Bool, shownAs: MessageKind? = nil, into state: inout AppState
    ) throws(VigilError) -> OutboxItem {
        let deliveries = try seal(body, to: contacts, from: identity, createdAt: now, messageID: messageID)
        let item = OutboxItem(
            messageID: messageID.description, kind: (shownAs ?? body.kind).name, createdAt: now, summary: summary, deliveries: deliveries)
        state.outbox.append(item)
        if record {
            state.sent.append(
                SentRecord(
                    messageID: item.messageID, kind: item.kind, createdAt: now, summary: summary,
                    recipients: contacts.map { SentRecipient(contactKey: $0.signingKeyHex, alias: $0.alias) },
                    acknowledgements: []))
        }
        return item
    }

    /// One envelope sealed per contact, and a pending delivery of it per mailbox on their card.
    /// - Throws: ``VigilError`` (usage) when the body cannot be sealed.
    static func seal(
        _ body: MessageBody, to contacts: [Contact], from identity: Identity, createdAt: Timestamp, messageID: MessageID
    ) throws(VigilError) -> [Delivery] {
        var deliveries: [Delivery] = []
        for contact in contacts {
            let sealed: [UInt8]
            do {
                sealed = try Envelope.seal(body, from: identity, to: contact.card.identity, createdAt: createdAt, messageID: messageID)
            } catch {
                throw sealingError(error)
            }
            for mailbox in contact.card.mailboxes {
                deliveries.append(
                    Delivery(
                        contactKey: contact.signingKeyHex, alias: contact.alias, relayURL: mailbox.relayURL,
                        mailboxID: mailbox.mailboxID, blob: Data(sealed), status: .pending, relayMessageID: nil,
                        deliveredAt: nil, attempts: 0, nextAttemptAt: nil, lastError: nil))
            }
        }
        return deliveries
    }

    /// The deliveries to attempt now: those of the listed messages (all when `messages` is
    /// nil) that are pending and due, or all pending ones when `force` is set.
    static func due(in state: AppState, now: Timestamp, policy: RetryPolicy, force: Bool, messages: Set<String>? = nil) -> [DeliveryAttempt] {
        var attempts: [DeliveryAttempt] = []
        for item in state.outbox where messages?.contains(item.messageID) ?? true {
            for delivery in item.deliveries where delivery.status == .pending && (force || policy.isDue(delivery, now: now)) {
                attempts.append(
                    DeliveryAttempt(
                        messageID: item.messageID, contactKey: delivery.contactKey, relayURL: delivery.relayURL,
                        mailboxID: delivery.mailboxID, blob: Array(delivery.blob)))
            }
        }
        return attempts
    }

    /// Records deposit results: a success marks the delivery delivered (and the recipient as
    /// reached in the sent log), a failure counts an attempt and schedules the next. Items whose
    /// deliveries all succeeded leave the outbox. Results for deliveries that are gone or
    /// already delivered (another process was faster) change nothing.
    /// Returns the items the results concern, as updated and before complete ones are removed.
    @discardableResult
    static func apply(
        _ results: [(DeliveryAttempt, DeliveryResult)], to state: inout AppState, now: Timestamp, policy: RetryPolicy
    ) -> [String: OutboxItem] {
        for (attempt, result) in results {
            guard let itemIndex = state.outbox.firstIndex(where: { $0.messageID == attempt.messageID }),
                let deliveryIndex = state.outbox[itemIndex].deliveries.firstIndex(where: {
                    $0.contactKey == attempt.contactKey && $0.relayURL == attempt.relayURL && $0.mailboxID == attempt.mailboxID
                })
            else { continue }
            var delivery = state.outbox[itemIndex].deliveries[deliveryIndex]
            guard delivery.status == .pending else { continue }
            switch result {
            case .delivered(let relayMessageID):
                delivery.status = .delivered
                delivery.relayMessageID = relayMessageID
                delivery.deliveredAt = now
                delivery.nextAttemptAt = nil
                delivery.lastError = nil
                if let sentIndex = state.sent.lastIndex(where: { $0.messageID == attempt.messageID }),
                    let recipientIndex = state.sent[sentIndex].recipients.firstIndex(where: { $0.contactKey == attempt.contactKey }),
                    state.sent[sentIndex].recipients[recipientIndex].deliveredAt == nil
                {
                    state.sent[sentIndex].recipients[recipientIndex].deliveredAt = now
                }
            case .failed(let reason, let retryAfter):
                delivery.attempts += 1
                delivery.nextAttemptAt = policy.nextAttempt(afterFailures: delivery.attempts, now: now, retryAfter: retryAfter)
                delivery.lastError = reason
            }
            state.outbox[itemIndex].deliveries[deliveryIndex] = delivery
        }
        let concerned = Set(results.map { $0.0.messageID })
        var items: [String: OutboxItem] = [:]
        for item in state.outbox where concerned.contains(item.messageID) { items[item.messageID] = item }
        state.outbox.removeAll { $0.isComplete }
        return items
    }

    static func sealingError(_ error: EnvelopeError) -> VigilError {
        switch error {
        case .invalidBody(_, let bodyError):
            switch bodyError {
            case .fieldTooLong(let field, let limit):
                return .usage("the \(field) is too long: at most \(limit) bytes fit (fewer characters for non-Latin scripts); shorten it")
            case .invalidText(let field):
                return .usage("the \(field) contains characters that cannot be sent (control characters, carriage returns or text-direction overrides): remove them")
            default:
                return .usage("the message cannot be sent: \(bodyError)")
            }
        case .bodyTooLarge:
            return .usage("the message is too long to send: shorten it")
        default:
            return .usage("the message cannot be sealed for a contact: \(error)")
        }
    }
}

extension DeliveryResult {
    /// The result of a failed deposit, described for people without the mailbox ID.
    static func from(_ error: RelayClientError) -> DeliveryResult {
        .failed(reason: error.description, retryAfter: error.retryAfterSeconds)
    }
}
