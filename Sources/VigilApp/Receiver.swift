import VigilCrypto
import VigilProtocol

/// One blob as fetched from one of this person's mailboxes.
struct FetchedBlob: Sendable {
    var relayURL: String
    /// The relay's message ID, used to acknowledge it.
    var relayMessageID: Int64
    var blob: [UInt8]

    init(relayURL: String, relayMessageID: Int64, blob: [UInt8]) {
        self.relayURL = relayURL
        self.relayMessageID = relayMessageID
        self.blob = blob
    }
}

/// What a batch of fetched blobs came to.
struct ReceiveBatch: Sendable {
    /// Messages accepted and stored, in arrival order.
    var newEntries: [InboxEntry] = []
    /// The same messages as shown, senders named by the contacts of the state they were stored
    /// in (filled in by the session when it stores the batch).
    var views: [MessageView] = []
    /// Copies of messages already received (through another relay, or served again); never
    /// shown again.
    var duplicates = 0
    /// Blobs refused, by reason: envelope error codes, `replay` (another message under an ID
    /// already seen, or created before a replay floor), `too_old`, `future`.
    var refused: [String: Int] = [:]
    /// Acknowledgements of this person's messages that arrived in this batch.
    var acknowledgements: [AcknowledgementView] = []
    /// Receipts queued back to senders (outbox message IDs).
    var receiptsQueued: [String] = []
}

/// The receiving rules, as a pure function of the state, the keys and the clock: open and
/// verify each blob, refuse replays and what lies outside the accepted window, show each
/// message once however many relays carried it, attribute it to a contact only by their
/// signing key, and queue receipts back to contacts.
enum Receiver {
    static func process(
        _ blobs: [FetchedBlob], into state: inout AppState, identity: Identity, now: Timestamp, sendReceipts: Bool = true
    ) -> ReceiveBatch {
        var batch = ReceiveBatch()
        let window = AcceptWindow(state.settings)
        var receiptIDs: [String: [MessageID]] = [:]

        for fetched in blobs {
            let opened: OpenedEnvelope
            do {
                opened = try Envelope.open(fetched.blob, as: identity)
            } catch {
                refuse(error.code, in: &batch, state: &state, now: now)
                continue
            }
            let senderHex = Hex.encode(opened.sender.rawRepresentation)
            let messageID = opened.id.description
            let seenKey = senderHex + "/" + messageID

            let contactIndex = state.contacts.firstIndex { $0.signingKeyHex == senderHex }

            if state.seen[seenKey] != nil {
                // Another copy of a message already accepted: through another relay, or handed
                // over again (a sender's retry, a relay serving it twice). Never shown twice.
                if let index = state.inbox.lastIndex(where: { $0.messageID == messageID && $0.senderKey == senderHex }) {
                    let stored = state.inbox[index]
                    guard stored.kind == opened.kind.name, stored.createdAt == opened.createdAt, stored.body == StoredBody(opened.body) else {
                        // A different message under an ID already used: refused, reported.
                        refuse("replay", in: &batch, state: &state, now: now)
                        continue
                    }
                    if !stored.relays.contains(fetched.relayURL) { state.inbox[index].relays.append(fetched.relayURL) }
                }
                // Without a stored entry (receipts are not kept, entries are pruned) a copy cannot
                // be told from the original: it counts as a duplicate, never as an attack.
                batch.duplicates += 1
                continue
            }
            // Seen IDs older than these floors may have been pruned: what was created before
            // them cannot be told from a replay, whatever the accepted window is now.
            let created = opened.createdAt.secondsSince1970
            if created < state.replayFloor ?? 0 || (contactIndex == nil && created < state.unknownSenderReplayFloor ?? 0) {
                refuse("replay", in: &batch, state: &state, now: now)
                continue
            }
            switch window.check(createdAt: opened.createdAt, now: now) {
            case .accepted: break
            case .tooOld:
                refuse("too_old", in: &batch, state: &state, now: now)
                continue
            case .inFuture:
                refuse("future", in: &batch, state: &state, now: now)
                continue
            }
            state.seen[seenKey] = created

            let entry = InboxEntry(
                messageID: messageID, senderKey: senderHex, kind: opened.kind.name, createdAt: opened.createdAt,
                receivedAt: now, body: StoredBody(opened.body), relays: [fetched.relayURL], shown: false)

            if let contactIndex {
                let contact = state.contacts[contactIndex]
                switch opened.body {
                case .receipt(let receipt):
                    for id in receipt.messageIDs { recordReceipt(of: id.description, from: senderHex, at: now, in: &state) }
                    // Receipts are bookkeeping, not messages: they are not shown in the inbox.
                    continue
                case .acknowledgement(let ack):
                    if let view = recordAcknowledgement(ack, from: contact, createdAt: opened.createdAt, now: now, in: &state) {
                        batch.acknowledgements.append(view)
                    }
                case .checkIn(let checkIn):
                    let previous = state.contacts[contactIndex].lastCheckIn
                    if previous.map({ $0.sentAt <= opened.createdAt }) ?? true {
                        state.contacts[contactIndex].lastCheckIn = CheckInRecord(
                            messageID: messageID, sentAt: opened.createdAt, receivedAt: now,
                            status: CheckInStatus(checkIn.status).rawValue, duress: entry.body.duress,
                            nextDueAt: checkIn.nextDueAt)
                    }
                default:
                    break
                }
                receiptIDs[senderHex, default: []].append(opened.id)
            }
            state.inbox.append(entry)
            batch.newEntries.append(entry)
        }

        if sendReceipts {
            for (senderHex, ids) in receiptIDs.sorted(by: { $0.key < $1.key }) {
                guard let contact = state.contacts.first(where: { $0.signingKeyHex == senderHex }) else { continue }
                for start in stride(from: 0, to: ids.count, by: Receipt.maxMessageIDs) {
                    let chunk = Array(ids[start..<min(start + Receipt.maxMessageIDs, ids.count)])
                    if let item = try? Outbox.enqueue(
                        .receipt(Receipt(messageIDs: chunk)), summary: "receipt for \(chunk.count) message(s)",
                        to: [contact], from: identity, now: now, record: false, into: &state)
                    {
                        batch.receiptsQueued.append(item.messageID)
                    }
                }
            }
        }
        return batch
    }

    private static func refuse(_ code: String, in batch: inout ReceiveBatch, state: inout AppState, now: Timestamp) {
        batch.refused[code, default: 0] += 1
        if let index = state.warnings.firstIndex(where: { $0.code == code }) {
            state.warnings[index].count += 1
            state.warnings[index].lastAt = now
        } else {
            state.warnings.append(ReceiveWarning(code: code, count: 1, lastAt: now))
        }
    }

    private static func recordReceipt(of messageID: String, from senderHex: String, at now: Timestamp, in state: inout AppState) {
        guard let sentIndex = state.sent.lastIndex(where: { $0.messageID == messageID }),
            let recipientIndex = state.sent[sentIndex].recipients.firstIndex(where: { $0.contactKey == senderHex }),
            state.sent[sentIndex].recipients[recipientIndex].receiptAt == nil
        else { return }
        state.sent[sentIndex].recipients[recipientIndex].receiptAt = now
    }

    /// Attaches an acknowledgement to the sent message it answers, when it was sent to that contact.
    private static func recordAcknowledgement(
        _ ack: Acknowledgement, from contact: Contact, createdAt: Timestamp, now: Timestamp, in state: inout AppState
    ) -> AcknowledgementView? {
        let id = ack.messageID.description
        guard let sentIndex = state.sent.lastIndex(where: { $0.messageID == id }),
            state.sent[sentIndex].recipients.contains(where: { $0.contactKey == contact.signingKeyHex })
        else { return nil }
        let record = AcknowledgementRecord(
            contactKey: contact.signingKeyHex, alias: contact.alias, note: ack.note, at: createdAt, receivedAt: now)
        state.sent[sentIndex].acknowledgements.append(record)
        if let recipientIndex = state.sent[sentIndex].recipients.firstIndex(where: { $0.contactKey == contact.signingKeyHex }),
            state.sent[sentIndex].recipients[recipientIndex].receiptAt == nil
        {
            // An acknowledgement proves arrival as well as a receipt does.
            state.sent[sentIndex].recipients[recipientIndex].receiptAt = now
        }
        return AcknowledgementView(
            messageID: id, kind: state.sent[sentIndex].kind, summary: state.sent[sentIndex].summary,
            sentAt: state.sent[sentIndex].createdAt.secondsSince1970,
            by: SenderView(contact: contact), note: ack.note, at: createdAt.secondsSince1970)
    }
}
