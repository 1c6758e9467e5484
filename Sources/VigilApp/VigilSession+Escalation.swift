import Foundation
import VigilClient
import VigilCrypto
public import VigilProtocol
import VigilRelayAPI

extension VigilSession {
    /// Longest wait for the first circle: the relays hold timers at most 31 days.
    static let maxEscalationSeconds: UInt64 = 7 * 24 * 3600

    /// Sends a panic alert. Without tier-2 contacts (or without tier-1 ones) it goes to everyone
    /// at once. Otherwise it goes to tier 1 with an escalation: the tier-2 copies are sealed now,
    /// handed to an escalation timer on each relay of this person, and delivered at
    /// `now + escalateAfter` unless a contact acknowledges first (their client disarms the
    /// timers with the keys the alert carries; this client does too when it sees the
    /// acknowledgement, and delivers the copies itself if it is still running then).
    /// - Parameter escalateAfter: seconds tier 1 has; nil for the setting (`vigil escalation`).
    public func panic(message: String?, location: Location?, escalateAfter: UInt64? = nil) async throws(VigilError) -> SendReport {
        let summary = "PANIC" + (message.map { $0.isEmpty ? "" : " — " + Self.preview($0) } ?? "")
        let state = try state()
        let tier1 = state.contacts.filter { $0.tier == 1 }
        let tier2 = state.contacts.filter { $0.tier == 2 }
        guard !tier1.isEmpty, !tier2.isEmpty else {
            return try await send(.panic(Panic(message: message, location: location)), summary: summary, to: nil)
        }
        let delay = escalateAfter ?? state.settings.escalationSeconds
        guard delay > 0, delay <= Self.maxEscalationSeconds else {
            throw .usage("--escalate-after must be more than zero and at most 7 days, e.g. 15m")
        }
        let identity = keys.identity
        let now = self.now
        let alertsAt = Timestamp(secondsSince1970: now.secondsSince1970 + delay)
        let escalatedID = MessageID.random()
        let plan = try EscalationPlan.make(
            escalated: .panic(Panic(message: message, location: location, escalated: true)), messageID: escalatedID,
            tier2: tier2, relays: state.relays, identity: identity, createdAt: now, alertsAt: alertsAt)
        let alert = MessageBody.panic(Panic(message: message, location: location, escalation: plan.escalation))
        let tier1Keys = Set(tier1.map(\.signingKeyHex))
        // 1. The alert, the tier-2 copies and the timers to arm are written before anything goes
        //    on the network.
        let item = try await update { state in
            let contacts = state.contacts.filter { tier1Keys.contains($0.signingKeyHex) }
            let item = try Outbox.enqueue(alert, summary: summary, to: contacts, from: identity, now: now, record: true, into: &state)
            state.escalations = (state.escalations ?? []) + [
                PendingEscalation(
                    alertID: item.messageID, escalatedID: escalatedID.description, kind: MessageKind.panic.name,
                    summary: summary + " (escalated: nobody in tier 1 acknowledged)", alertsAt: alertsAt, phase: .waiting,
                    timers: plan.timers, deliveries: plan.deliveries),
            ]
            return item
        }
        // 2. The alert first; then the timers, so that arming costs the alert no time.
        let reports = try await deliver(messages: [item.messageID], force: true).reports
        await armEscalationTimers(plan.bundles)
        _ = try? await advanceEscalations()
        _ = try? await deliver(messages: nil, force: false)
        let contacts = try self.state().contacts
        var report = reports[item.messageID] ?? SendReport(item, contacts: contacts)
        report.escalation = try escalationView(of: item.messageID)
        return report
    }

    /// The escalation of the alert `messageID`, as it stands.
    func escalationView(of messageID: String) throws(VigilError) -> EscalationView? {
        try state().escalations?.first { $0.alertID == messageID }.map(Self.escalationView)
    }

    static func escalationView(_ pending: PendingEscalation) -> EscalationView {
        var aliases: [String] = []
        for delivery in pending.deliveries where !aliases.contains(delivery.alias) { aliases.append(delivery.alias) }
        return EscalationView(
            messageID: pending.alertID, alertsAt: pending.alertsAt.secondsSince1970, phase: pending.phase.rawValue, tier2: aliases,
            stoppedBy: pending.stoppedBy,
            timers: pending.timers.map { timer in
                TimerView(
                    relay: timer.relayURL, action: timer.isRetired ? "not-disarmed" : (timer.lastError == nil ? "armed" : "failed"),
                    deadline: timer.deadline, alerts: timer.blobCount, error: timer.lastError)
            })
    }

    /// Arms the planned escalation timers of waiting escalations (`bundles` for the ones just
    /// planned; the others are skipped), and records which relays hold one.
    private func armEscalationTimers(_ bundles: [String: [TimerBlobPayload]]) async {
        guard let state = try? state() else { return }
        let proxy: URL?
        do { proxy = try self.proxy(state) } catch { return }
        var work: [(alertID: String, timer: RelayTimer, blobs: [TimerBlobPayload])] = []
        for pending in state.escalations ?? [] where pending.phase == .waiting {
            for timer in pending.timers where timer.lastError == PendingEscalation.notArmed {
                if let blobs = bundles[timer.relayURL] { work.append((pending.alertID, timer, blobs)) }
            }
        }
        let results = await withTaskGroup(of: (String, String, String?).self) { group in
            for item in work {
                group.addTask {
                    do {
                        let key = try item.timer.keySeed.signingKeyPair()
                        _ = try await self.connection(to: item.timer.relayURL, proxy: proxy)
                            .armTimer(timerKey: key, deadline: item.timer.deadline, blobs: item.blobs)
                        return (item.alertID, item.timer.timerID, nil)
                    } catch {
                        return (item.alertID, item.timer.timerID, (error as? RelayClientError)?.description ?? "\(error)")
                    }
                }
            }
            var results: [(String, String, String?)] = []
            for await result in group { results.append(result) }
            return results
        }
        _ = try? await update { state in
            for (alertID, timerID, error) in results {
                guard let index = state.escalations?.firstIndex(where: { $0.alertID == alertID }),
                    let timer = state.escalations?[index].timers.firstIndex(where: { $0.timerID == timerID })
                else { continue }
                state.escalations?[index].timers[timer].lastError = error
            }
        }
    }

    /// Moves every waiting escalation on: stopped when a contact acknowledged the alert (its
    /// timers are disarmed), escalated when its time came without one (the tier-2 copies go into
    /// the outbox and are delivered). Retries disarming timers that could not be disarmed yet.
    /// Returns the escalations that changed.
    @discardableResult
    func advanceEscalations() async throws(VigilError) -> [EscalationView] {
        guard let pending = try state().escalations, pending.contains(where: { $0.phase == .waiting || $0.hasTimerWork }) else {
            return []
        }
        let now = self.now
        let changed = try await update { state -> [String] in
            var changed: [String] = []
            for index in (state.escalations ?? []).indices {
                guard var escalation = state.escalations?[index], escalation.phase == .waiting else { continue }
                let acknowledged = state.sent.first { $0.messageID == escalation.alertID }?.acknowledgements.first
                if let acknowledged {
                    escalation.phase = .stopped
                    escalation.stoppedBy = acknowledged.alias
                    escalation.timers = escalation.timers.filter { $0.lastError != PendingEscalation.notArmed }.map { timer in
                        var retired = timer
                        retired.retired = true
                        return retired
                    }
                } else if now >= escalation.alertsAt {
                    escalation.phase = .escalated
                    // The relays deliver their bundles now; nothing to disarm.
                    escalation.timers = []
                    var recipients: [SentRecipient] = []
                    for delivery in escalation.deliveries where !recipients.contains(where: { $0.contactKey == delivery.contactKey }) {
                        recipients.append(SentRecipient(contactKey: delivery.contactKey, alias: delivery.alias))
                    }
                    state.outbox.append(
                        OutboxItem(
                            messageID: escalation.escalatedID, kind: escalation.kind, createdAt: now, summary: escalation.summary,
                            deliveries: escalation.deliveries))
                    state.sent.append(
                        SentRecord(
                            messageID: escalation.escalatedID, kind: escalation.kind, createdAt: now, summary: escalation.summary,
                            recipients: recipients, acknowledgements: []))
                } else {
                    continue
                }
                state.escalations?[index] = escalation
                changed.append(escalation.alertID)
            }
            // Finished escalations with nothing left to do are forgotten after a day.
            state.escalations?.removeAll { $0.phase != .waiting && !$0.hasTimerWork && now.secondsSince1970 > $0.alertsAt.secondsSince1970 + 86_400 }
            return changed
        }
        await disarmRetiredEscalationTimers()
        let escalated = Set(try state().escalations?.filter { changed.contains($0.alertID) && $0.phase == .escalated }.map(\.escalatedID) ?? [])
        if !escalated.isEmpty { _ = try? await deliver(messages: escalated, force: true) }
        return (try state().escalations ?? []).filter { changed.contains($0.alertID) }.map(Self.escalationView)
    }

    private func disarmRetiredEscalationTimers() async {
        guard let state = try? state() else { return }
        let proxy: URL?
        do { proxy = try self.proxy(state) } catch { return }
        let retired = (state.escalations ?? []).flatMap { pending in pending.timers.filter(\.isRetired).map { (pending.alertID, $0) } }
        guard !retired.isEmpty else { return }
        let results = await withTaskGroup(of: (String, String, String?).self) { group in
            for (alertID, timer) in retired {
                group.addTask {
                    (alertID, timer.timerID, await self.disarmEscalationTimer(relayURL: timer.relayURL, seed: timer.keySeed, proxy: proxy).error)
                }
            }
            var results: [(String, String, String?)] = []
            for await result in group { results.append(result) }
            return results
        }
        _ = try? await update { state in
            for (alertID, timerID, error) in results {
                guard let index = state.escalations?.firstIndex(where: { $0.alertID == alertID }) else { continue }
                if let error {
                    if let timer = state.escalations?[index].timers.firstIndex(where: { $0.timerID == timerID }) {
                        state.escalations?[index].timers[timer].lastError = error
                    }
                } else {
                    state.escalations?[index].timers.removeAll { $0.timerID == timerID }
                }
            }
        }
    }

    /// Disarms one escalation timer by its key: `disarmed`, or `gone` (it fired, or someone
    /// disarmed it first), or `failed` with the reason.
    func disarmEscalationTimer(relayURL: String, seed: SecretSeed, proxy: URL?) async -> TimerView {
        do {
            let key = try seed.signingKeyPair()
            _ = try await connection(to: relayURL, proxy: proxy).disarmTimer(timerID: TimerIDs.derive(timerKey: key.publicKey), timerKey: key)
            return TimerView(relay: relayURL, action: "disarmed", deadline: nil, alerts: 0)
        } catch let error as RelayClientError where error.status == 404 {
            return TimerView(relay: relayURL, action: "gone", deadline: nil, alerts: 0)
        } catch {
            return TimerView(relay: relayURL, action: "failed", deadline: nil, alerts: 0, error: (error as? RelayClientError)?.description ?? "\(error)")
        }
    }

    /// After acknowledging `entry`: disarms the escalation timers its alert names, on the relays
    /// of the sender's card only (a message never makes this client contact another server).
    func stopEscalation(of entry: InboxEntry, sender: Contact) async throws(VigilError) -> [TimerView]? {
        guard let escalation = entry.body.escalation, escalation.stoppedAt == nil else { return nil }
        let state = try state()
        let proxy = try proxy(state)
        let allowed = Set(sender.card.mailboxes.map(\.relayURL))
        let timers = escalation.timers.filter { allowed.contains($0.relayURL) }
        let views = await withTaskGroup(of: (Int, TimerView).self) { group in
            for (index, timer) in timers.enumerated() {
                group.addTask { (index, await self.disarmEscalationTimer(relayURL: timer.relayURL, seed: timer.keySeed, proxy: proxy)) }
            }
            var views: [(Int, TimerView)] = []
            for await view in group { views.append(view) }
            return views.sorted { $0.0 < $1.0 }.map(\.1)
        }
        if views.allSatisfy({ $0.action != "failed" }) {
            let now = self.now
            let messageID = entry.messageID
            let senderKey = entry.senderKey
            try await update { state in
                for index in state.inbox.indices where state.inbox[index].messageID == messageID && state.inbox[index].senderKey == senderKey {
                    state.inbox[index].body.escalation?.stoppedAt = now
                }
            }
        }
        return views
    }

    /// Puts a contact in tier 1 or 2.
    public func setTier(_ name: String, tier: Int) async throws(VigilError) -> ContactView {
        guard (1...2).contains(tier) else { throw .usage("a tier is 1 (alerted at once) or 2 (alerted when tier 1 does not answer)") }
        return try await update { state in
            let index = try Self.index(of: name, in: state)
            state.contacts[index].storedTier = tier == 1 ? nil : tier
            return ContactView(state.contacts[index], overdue: false)
        }
    }
}
