import Foundation
import VigilClient
import VigilCrypto
public import VigilProtocol

extension VigilSession {
    /// Sends a check-in to every contact.
    ///
    /// Under duress (`duress`, or a session unlocked with the duress passphrase) it goes out as
    /// in danger and marked as sent under duress, with the note, location and due time given.
    /// Everything this device shows and keeps is what a check-in with `status` would give: the
    /// report, the outbox and sent summaries, the switch's renewal. Only the envelopes, sealed to
    /// the contacts and kept in the outbox until delivered, say otherwise.
    /// - Parameter nextIn: seconds until the next check-in is due; contacts report this person
    ///   overdue when it passes (plus their grace period).
    public func checkIn(
        status: CheckInStatus, note: String?, location: Location?, nextIn: UInt64?, duress: Bool = false
    ) async throws(VigilError) -> SendReport {
        let now = self.now
        let due = nextIn.map { Timestamp(secondsSince1970: now.secondsSince1970 + $0) }
        let underDuress = duress || keys.underDuress
        let body = CheckIn(
            status: underDuress ? .inDanger : status.protocolStatus, duress: underDuress, note: note, location: location, nextDueAt: due)
        var summary = "check-in: \(status.phrase)"
        if let note, !note.isEmpty { summary += " — " + Self.preview(note) }
        return try await send(.checkIn(body), summary: summary, to: nil)
    }

    /// Sends an all-clear: the earlier alarm is over, and escalations still waiting are stopped
    /// (their timers disarmed), so that tier 2 does not get the alarm after its end.
    ///
    /// Under duress (a session unlocked with the duress passphrase) no all-clear goes out: the
    /// contacts get a check-in in danger, sent under duress, with `message` as its note, while
    /// this device shows and keeps an all-clear; escalations are shown stopped, but their relay
    /// timers are left to go off.
    public func allClear(message: String?) async throws(VigilError) -> SendReport {
        var summary = "all clear"
        if let message, !message.isEmpty { summary += " — " + Self.preview(message) }
        try await stopEscalations(by: "you (all clear)", disarm: !keys.underDuress)
        return try await send(allClearBody(message, duress: false), summary: summary, to: nil, shownAs: .allClear)
    }

    /// An all-clear with `message`, or under duress the alarm that goes out in its place.
    func allClearBody(_ message: String?, duress: Bool) -> MessageBody {
        duress || keys.underDuress
            ? .checkIn(CheckIn(status: .inDanger, duress: true, note: message))
            : .allClear(AllClear(message: message))
    }

    /// Sends a signed acknowledgement of a received message back to its sender.
    ///
    /// A check-in sent under duress is refused unless `evenUnderDuress`: the acknowledgement
    /// would show on the sender's device, to whoever forced them, that the alarm was received.
    /// - Parameter messageID: the message ID as shown by `inbox` (a unique prefix of 6 or more hex digits is enough).
    public func acknowledge(_ messageID: String, note: String?, evenUnderDuress: Bool = false) async throws(VigilError) -> SendReport {
        let state = try state()
        let prefix = messageID.lowercased()
        guard prefix.count >= 6, prefix.allSatisfy(\.isHexDigit) else {
            throw .usage("a message ID is hex digits as `vigil inbox` shows them (at least the first 6)")
        }
        let matches = Set(state.inbox.filter { $0.messageID.hasPrefix(prefix) }.map { "\($0.senderKey)/\($0.messageID)" })
        guard matches.count <= 1 else { throw .usage("several messages start with \(prefix): give more digits") }
        guard let entry = state.inbox.last(where: { $0.messageID.hasPrefix(prefix) }) else {
            throw .usage("no received message has the ID \(prefix): `vigil inbox --all` shows them")
        }
        guard let contact = state.contacts.first(where: { $0.signingKeyHex == entry.senderKey }) else {
            throw .usage("that message is from an UNKNOWN SENDER (not a contact): an acknowledgement can go only to a contact")
        }
        guard evenUnderDuress || entry.body.duress != true else {
            throw .usage(
                "\(contact.alias) sent this check-in UNDER DURESS: whoever forced them may hold their device and would see your acknowledgement there. Nothing was sent. Act on what you agreed for an alarm instead; if you are sure, add --even-under-duress")
        }
        guard let id = MessageID(hex: entry.messageID) else { throw .damaged(VigilHome.stateName, "a stored message ID is malformed") }
        var summary = "acknowledgement of \(entry.kind) \(entry.messageID.prefix(12))"
        if let note, !note.isEmpty { summary += " — " + Self.preview(note) }
        var report = try await send(
            .acknowledgement(Acknowledgement(messageID: id, note: note)), summary: summary, to: [contact.signingKeyHex])
        report.stoppedEscalation = try await stopEscalation(of: entry, sender: contact)
        return report
    }

    /// Queues `body` for the contacts (all when `recipients` is nil), then delivers it, then
    /// retries whatever else is due in the outbox.
    func send(
        _ body: MessageBody, summary: String, to recipients: Set<String>?, shownAs: MessageKind? = nil
    ) async throws(VigilError) -> SendReport {
        let identity = keys.identity
        let now = self.now
        // 1. Sealed and written to the outbox before anything goes on the network.
        let item = try await update { state in
            let contacts = state.contacts.filter { recipients?.contains($0.signingKeyHex) ?? true }
            guard !contacts.isEmpty else {
                throw VigilError.usage("you have no contacts, so nobody would receive this: add one with `vigil contacts add CARD`")
            }
            return try Outbox.enqueue(
                body, summary: summary, to: contacts, from: identity, now: now, record: true, shownAs: shownAs, into: &state)
        }
        // 2. Delivered, this message first.
        let reports = try await deliver(messages: [item.messageID], force: true).reports
        // 3. Then whatever else waits and is due.
        _ = try? await advanceEscalations()
        _ = try? await deliver(messages: nil, force: false)
        if let report = reports[item.messageID] { return report }
        return SendReport(item, contacts: try state().contacts)
    }

    /// Delivers every pending delivery in the outbox now, ignoring backoff (`outbox --flush`).
    public func flushOutbox() async throws(VigilError) -> OutboxReport {
        _ = try? await advanceEscalations()
        let delivered = try await deliver(messages: nil, force: true).delivered
        let state = try state()
        return OutboxReport(messages: state.outbox.map { SendReport($0, contacts: state.contacts) }, deliveredNow: delivered)
    }

    /// The outbox as it is.
    public func outbox() throws(VigilError) -> OutboxReport {
        let state = try state()
        return OutboxReport(messages: state.outbox.map { SendReport($0, contacts: state.contacts) }, deliveredNow: 0)
    }

    /// Drops a message from the outbox: it will not be retried.
    public func discard(_ messageID: String) async throws(VigilError) -> SendReport {
        let prefix = messageID.lowercased()
        return try await update { state in
            let matches = state.outbox.indices.filter { state.outbox[$0].messageID.hasPrefix(prefix) }
            guard prefix.count >= 6, matches.count == 1 else {
                throw VigilError.usage("no single queued message starts with \(prefix.prefix(32)): `vigil outbox` lists them")
            }
            let item = state.outbox.remove(at: matches[0])
            return SendReport(item, contacts: state.contacts)
        }
    }

    /// Attempts the due deliveries (all pending ones with `force`) of the given messages (all
    /// when nil), concurrently, records the results, and reports each message attempted.
    func deliver(messages: Set<String>?, force: Bool) async throws(VigilError) -> (reports: [String: SendReport], delivered: Int) {
        let state = try state()
        let attempts = Outbox.due(in: state, now: now, policy: context.retryPolicy, force: force, messages: messages)
        guard !attempts.isEmpty else { return ([:], 0) }
        let proxy = try proxy(state)
        let results = await withTaskGroup(of: (DeliveryAttempt, DeliveryResult).self) { group in
            for attempt in attempts {
                group.addTask {
                    do {
                        let id = try await self.connection(to: attempt.relayURL, proxy: proxy)
                            .deposit(mailboxID: attempt.mailboxID, blob: attempt.blob)
                        return (attempt, .delivered(relayMessageID: id))
                    } catch let error as RelayClientError {
                        return (attempt, DeliveryResult.from(error))
                    } catch {
                        return (attempt, .failed(reason: "\(error)", retryAfter: nil))
                    }
                }
            }
            var results: [(DeliveryAttempt, DeliveryResult)] = []
            for await result in group { results.append(result) }
            return results
        }
        let policy = context.retryPolicy
        let now = self.now
        return try await update { state in
            let items = Outbox.apply(results, to: &state, now: now, policy: policy)
            let delivered = results.filter { if case .delivered = $0.1 { return true } else { return false } }.count
            return (items.mapValues { SendReport($0, contacts: state.contacts) }, delivered)
        }
    }

    static func preview(_ text: String) -> String {
        let line = text.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
        return line.count > 60 ? String(line.prefix(59)) + "…" : line
    }
}

extension SendReport {
    /// The report of an outbox item, recipients in the order of their first delivery.
    init(_ item: OutboxItem, contacts: [Contact]) {
        var order: [String] = []
        var byContact: [String: [Delivery]] = [:]
        for delivery in item.deliveries {
            if byContact[delivery.contactKey] == nil { order.append(delivery.contactKey) }
            byContact[delivery.contactKey, default: []].append(delivery)
        }
        let recipients = order.map { key -> RecipientReport in
            let deliveries = byContact[key] ?? []
            let contact = contacts.first { $0.signingKeyHex == key }
            return RecipientReport(
                alias: contact?.alias ?? deliveries.first?.alias ?? "?", verified: contact?.verified ?? false,
                deliveries: deliveries.map {
                    DeliveryView(
                        relay: $0.relayURL, status: $0.status == .delivered ? "delivered" : "queued", error: $0.lastError,
                        attempts: $0.attempts, nextAttemptAt: $0.nextAttemptAt?.secondsSince1970)
                },
                reached: deliveries.contains { $0.status == .delivered },
                complete: deliveries.allSatisfy { $0.status == .delivered })
        }
        self.init(
            messageID: item.messageID, kind: item.kind, summary: item.summary, createdAt: item.createdAt.secondsSince1970,
            recipients: recipients, allDelivered: item.isComplete)
    }
}
