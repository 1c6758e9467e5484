import Foundation
import VigilClient
import VigilCrypto
public import VigilProtocol
import VigilRelayAPI

extension VigilSession {
    /// Longest wait for the first circle (the relays hold timers at most 31 days).
    static let maxEscalationSeconds: UInt64 = 7 * 24 * 3600

    /// Sends a panic alert. Without tier-2 contacts (or without tier-1 ones) it goes to everyone
    /// at once. Otherwise it goes to tier 1 with an escalation: the tier-2 copies are sealed now,
    /// handed to an escalation timer on each relay of this person, and delivered at
    /// `now + escalateAfter` unless a contact acknowledges first (their client disarms the
    /// timers with the keys the alert carries; this client does too when it sees the
    /// acknowledgement, and delivers the copies itself if it is still running then).
    /// - Parameter escalateAfter: seconds tier 1 has; nil for the setting (`vigil config
    ///   --escalate-after`).
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
        await armEscalationTimers(of: item.messageID)
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

    /// Arms the escalation timers of waiting escalations that no relay confirmed yet (all of
    /// them, or those of `alertID`), each with the bundle of its own escalation's tier-2 copies on
    /// that relay; records which relays hold one. A timer whose escalation stopped meanwhile
    /// stays retired, so it is disarmed next.
    func armEscalationTimers(of alertID: String? = nil) async {
        guard let state = try? state() else { return }
        let proxy: URL?
        do { proxy = try self.proxy(state) } catch { return }
        let now = self.now.secondsSince1970
        var work: [(alertID: String, timer: RelayTimer, blobs: [TimerBlobPayload])] = []
        for pending in state.escalations ?? [] where pending.phase == .waiting && (alertID == nil || pending.alertID == alertID) {
            for timer in pending.timers where timer.lastError != nil && !timer.isRetired && timer.deadline > now {
                let blobs = pending.deliveries.filter { $0.relayURL == timer.relayURL }
                    .map { TimerBlobPayload(mailboxID: $0.mailboxID, blob: $0.blob) }
                if !blobs.isEmpty { work.append((pending.alertID, timer, blobs)) }
            }
        }
        guard !work.isEmpty else { return }
        let results = await withTaskGroup(of: (String, String, String?).self) { group in
            for item in work {
                group.addTask {
                    do {
                        let key = try item.timer.keySeed.signingKeyPair()
                        _ = try await self.connection(to: item.timer.relayURL, proxy: proxy)
                            .armTimer(timerKey: key, deadline: item.timer.deadline, blobs: item.blobs)
                        return (item.alertID, item.timer.timerID, nil)
                    } catch let error as RelayClientError where error.relayCode == .timerExists {
                        // An earlier attempt whose answer was lost, or another process, armed it.
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
    /// the outbox and are delivered). Arms timers no relay confirmed yet, and disarms timers of
    /// stopped escalations. Returns the escalations that changed.
    ///
    /// An acknowledgement may wait unfetched in a mailbox: unless `fetched` (the caller has just
    /// fetched every mailbox), the mailboxes are fetched before anything is escalated, and an
    /// escalation a relay timer holds is left to that timer when a mailbox could not be read.
    @discardableResult
    func advanceEscalations(fetched: Bool = false) async throws(VigilError) -> [EscalationView] {
        guard let pending = try state().escalations, pending.contains(where: { $0.phase == .waiting || $0.hasTimerWork }) else {
            return []
        }
        let before = self.now
        let due = !fetched && pending.contains { $0.phase == .waiting && before >= $0.alertsAt }
        let unreadRelays = due ? !(await receive(wait: 0, markShown: false).relayErrors.isEmpty) : false
        let now = self.now
        let changed = try await update { state -> [String] in
            var changed: [String] = []
            for index in (state.escalations ?? []).indices {
                guard var escalation = state.escalations?[index], escalation.phase == .waiting else { continue }
                // Only an acknowledgement made in time stops it: a later one finds tier 2 alerted.
                let acknowledged = state.sent.first { $0.messageID == escalation.alertID }?
                    .acknowledgements.first { $0.at < escalation.alertsAt }
                if let acknowledged {
                    escalation.stop(by: acknowledged.alias, disarm: true)
                } else if now >= escalation.alertsAt {
                    // Not sure nobody answered, and a relay delivers the copies anyway: wait.
                    if unreadRelays, escalation.timers.contains(where: { $0.lastError == nil }) { continue }
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
            // A timer past its deadline has gone off: there is nothing left to disarm.
            for index in (state.escalations ?? []).indices {
                state.escalations?[index].timers.removeAll { $0.isRetired && $0.deadline <= now.secondsSince1970 }
            }
            // Finished escalations with nothing left to do are forgotten after a day.
            state.escalations?.removeAll { $0.phase != .waiting && !$0.hasTimerWork && now.secondsSince1970 > $0.alertsAt.secondsSince1970 + 86_400 }
            return changed
        }
        await armEscalationTimers()
        await disarmRetiredEscalationTimers()
        let escalated = Set(try state().escalations?.filter { changed.contains($0.alertID) && $0.phase == .escalated }.map(\.escalatedID) ?? [])
        if !escalated.isEmpty { _ = try? await deliver(messages: escalated, force: true) }
        return (try state().escalations ?? []).filter { changed.contains($0.alertID) }.map(Self.escalationView)
    }

    /// Stops every waiting escalation: the alarm is over (`all-clear`). Without `disarm` (under
    /// duress) they only look stopped: their relay timers are left to go off.
    func stopEscalations(by who: String, disarm: Bool) async throws(VigilError) {
        guard try state().escalations?.contains(where: { $0.phase == .waiting }) == true else { return }
        try await update { state in
            for index in (state.escalations ?? []).indices where state.escalations?[index].phase == .waiting {
                state.escalations?[index].stop(by: who, disarm: disarm)
            }
        }
        await disarmRetiredEscalationTimers()
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
    ///
    /// Each timer is `disarmed`, `gone` (someone disarmed it first, or its arming is still under
    /// way, or, after the escalation time, it went off) or `failed`. The alert is marked stopped
    /// only when at least one timer was disarmed here and none failed.
    func stopEscalation(of entry: InboxEntry, sender: Contact) async throws(VigilError) -> [TimerView]? {
        guard let escalation = entry.body.escalation, escalation.stoppedAt == nil else { return nil }
        let state = try state()
        let proxy = try proxy(state)
        let allowed = Set(sender.card.mailboxes.map(\.relayURL))
        let timers = escalation.timers.filter { allowed.contains($0.relayURL) }
        let late = now >= escalation.alertsAt
        let views = await withTaskGroup(of: (Int, TimerView).self) { group in
            for (index, timer) in timers.enumerated() {
                group.addTask { (index, await self.disarmEscalationTimer(relayURL: timer.relayURL, seed: timer.keySeed, proxy: proxy)) }
            }
            var views: [(Int, TimerView)] = []
            for await view in group { views.append(view) }
            return views.sorted { $0.0 < $1.0 }.map(\.1)
        }
        let stopped = views.contains { $0.action == "disarmed" } && views.allSatisfy { $0.action != "failed" }
        if stopped, !late {
            let now = self.now
            let messageID = entry.messageID
            let senderKey = entry.senderKey
            try await update { state in
                for index in state.inbox.indices where state.inbox[index].messageID == messageID && state.inbox[index].senderKey == senderKey {
                    state.inbox[index].body.escalation?.stoppedAt = now
                }
            }
        }
        // After the escalation time a vanished timer has gone off.
        return late ? views.map { view in
            var late = view
            if late.action == "gone" { late.action = "fired" }
            return late
        } : views
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
