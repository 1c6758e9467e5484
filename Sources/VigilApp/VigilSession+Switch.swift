import Foundation
import VigilClient
import VigilCrypto
import VigilProtocol
import VigilRelayAPI

extension VigilSession {
    /// Longest interval plus grace: the relays accept deadlines at most 31 days ahead.
    static let maxSwitchSeconds: UInt64 = 31 * 24 * 3600 - 3600

    /// Arms the dead man's switch: on each relay where this person has a mailbox, a timer with a
    /// fresh key and a bundle of missed-check-in alerts to the contacts' mailboxes on that relay,
    /// due `every + grace` seconds from now. Timers of an earlier arming are disarmed first.
    /// - Throws: ``VigilError`` (usage): no relay, no contact, no contact reachable through the
    ///   relays, a message that cannot be sent, durations out of range.
    public func arm(everySeconds: UInt64, graceSeconds: UInt64, message: String?) async throws(VigilError) -> SwitchReport {
        guard everySeconds > 0 else { throw .usage("--every must be more than zero, e.g. 2h") }
        guard everySeconds <= Self.maxSwitchSeconds, graceSeconds <= Self.maxSwitchSeconds - everySeconds else {
            throw .usage("--every plus --grace can be at most 30 days: relays hold timers no longer than 31 days")
        }
        let state = try state()
        guard !state.relays.isEmpty else { throw .usage("you have no mailbox on a relay: add one with `vigil relays add URL`") }
        guard !state.contacts.isEmpty else {
            throw .usage("you have no contacts, so nobody would be alerted: add one with `vigil contacts add CARD`")
        }
        // A trial sealing checks the message and the reach before anything changes.
        let trial = try SwitchPlan.make(
            contacts: state.contacts, relays: state.relays, identity: keys.identity,
            alert: MissedCheckIn(lastCheckInAt: nil, dueAt: now, message: message))
        guard !trial.bundles.isEmpty else {
            throw .usage(
                "none of your contacts has a mailbox on one of your relays, so no relay could deliver the alarm: nothing was armed. Agree on a relay with them and add it (`vigil relays add URL`), or ask them to")
        }
        try await update { state in
            let earlier = state.deadMansSwitch
            let lastCheckIn = earlier?.lastCheckInAt ?? state.sent.last { $0.kind == MessageKind.checkIn.name }?.createdAt
            state.deadMansSwitch = DeadMansSwitch(
                armed: true, intervalSeconds: everySeconds, graceSeconds: graceSeconds, message: message?.isEmpty == true ? nil : message,
                lastCheckInAt: lastCheckIn, timers: (earlier?.timers ?? []).map { timer in
                    var retired = timer
                    retired.retired = true
                    return retired
                })
        }
        return try await synchroniseSwitch(.arm) ?? SwitchReport(
            armed: false, intervalSeconds: everySeconds, graceSeconds: graceSeconds, timers: [], unreachable: trial.unreachable)
    }

    /// Renews every timer after a check-in made at `checkedInAt`: new deadline `interval + grace`
    /// from now, and freshly sealed alerts that name this check-in. Nil when the switch is off.
    /// - Parameter duress: the check-in was sent under duress (`checkin --duress`): the all-clear
    ///   a gone-off switch calls for is replaced by an alarm, as ``allClear(message:)`` does.
    public func renewSwitch(checkedInAt: UInt64, duress: Bool = false) async throws(VigilError) -> SwitchReport? {
        try await synchroniseSwitch(.checkIn(Timestamp(secondsSince1970: checkedInAt)), duress: duress)
    }

    /// Seals the alerts again for the current contacts and relays, keeping the deadline (after
    /// `contacts add/remove` and `relays add/remove`). Nil when the switch is off.
    public func resealSwitch() async throws(VigilError) -> SwitchReport? {
        try await synchroniseSwitch(.contactsChanged)
    }

    /// Disarms every timer. Timers whose relay does not answer stay listed, and are disarmed by
    /// a later command.
    public func disarm() async throws(VigilError) -> SwitchReport {
        let known = try await update { state -> Bool in
            guard var current = state.deadMansSwitch else { return false }
            current.armed = false
            current.timers = current.timers.map { timer in
                var retired = timer
                retired.retired = true
                return retired
            }
            state.deadMansSwitch = current
            return true
        }
        guard known, let report = try await synchroniseSwitch(.disarm) else {
            throw .usage("the dead man's switch is not armed: nothing to disarm")
        }
        return report
    }

    /// Armed or not, the deadlines, what waits in the outbox and which contacts are overdue.
    public func status() throws(VigilError) -> StatusView {
        let state = try state()
        let current = state.deadMansSwitch
        let timers = (current?.timers ?? []).map(Self.view)
        let unreachable = SwitchPlan.reach(contacts: state.contacts, relays: state.relays)
        return StatusView(
            armed: current?.armed ?? false, intervalSeconds: current?.intervalSeconds, graceSeconds: current?.graceSeconds,
            lastCheckInAt: current?.lastCheckInAt?.secondsSince1970,
            nextDeadline: timers.filter { $0.tier == nil }.compactMap(\.deadline).min(),
            timers: timers, unreachable: current?.armed == true ? unreachable : [],
            outbox: state.outbox.map { SendReport($0, contacts: state.contacts) },
            overdue: OverdueDetector.overdue(state.contacts, now: now, graceSeconds: graceSeconds(state)),
            escalations: (state.escalations ?? []).filter { $0.phase == .waiting }.map(Self.escalationView))
    }

    private static func view(_ timer: RelayTimer) -> TimerView {
        let action = timer.isRetired ? "not-disarmed" : (timer.lastError == nil ? "armed" : "failed")
        return TimerView(
            relay: timer.relayURL, action: action, deadline: timer.deadline, alerts: timer.blobCount, error: timer.lastError, tier: timer.tier)
    }

    // MARK: Synchronising

    enum SwitchChange: Sendable {
        case arm
        case checkIn(Timestamp)
        case contactsChanged
        case disarm
    }

    /// What one relay operation came to.
    private enum TimerOutcome: Sendable {
        /// The relay holds this timer now.
        case holds(RelayTimer, action: String)
        /// No timer there any more (disarmed, or fired); `timer` is the one that was there.
        case gone(relay: String, action: String, tier: Int?, timer: RelayTimer? = nil)
        /// The relay did not confirm; `kept` is the timer that may still be there.
        case failed(relay: String, kept: RelayTimer?, error: String)
    }

    /// Brings the relays' timers in line with the state: disarms retired timers first, then (when
    /// armed) renews or arms one timer per relay with a fresh bundle, and disarms timers on
    /// relays no contact can be reached through. Records what the relays confirmed.
    private func synchroniseSwitch(_ change: SwitchChange, duress: Bool = false) async throws(VigilError) -> SwitchReport? {
        let state = try state()
        guard let current = state.deadMansSwitch else { return nil }
        if !current.armed, change != .disarm, current.timers.isEmpty { return nil }
        let now = self.now.secondsSince1970
        let proxy = try proxy(state)
        var lastCheckIn = current.lastCheckInAt
        if case .checkIn(let at) = change { lastCheckIn = at }

        // 1. Earlier timers go first.
        var outcomes = await run(current.timers.filter(\.isRetired).map { timer in
            { @Sendable () async -> TimerOutcome in await self.disarmOne(timer, proxy: proxy) }
        })

        var unreachable: [String] = []
        var dueAt: UInt64?
        let live = current.timers.filter { !$0.isRetired }
        if current.armed {
            let fresh = now + current.intervalSeconds + current.graceSeconds
            let deadline: UInt64
            switch change {
            case .arm, .checkIn: deadline = fresh
            case .contactsChanged, .disarm: deadline = live.filter { !$0.isEscalation }.map(\.deadline).min() ?? fresh
            }
            let reArm = change != .contactsChanged
            if deadline > now {
                let due = deadline - min(current.graceSeconds, deadline)
                dueAt = due
                let missed = MissedCheckIn(lastCheckInAt: lastCheckIn, dueAt: Timestamp(secondsSince1970: due), message: current.message)
                // With both tiers, tier 1's alerts name the escalation timers that alert tier 2
                // later. Those get fresh keys at every change (the earlier ones are disarmed), so
                // that a key handed out in an earlier alert, or to a contact since removed, no
                // longer works.
                let tier1 = state.contacts.filter { $0.tier == 1 }
                let tier2 = state.contacts.filter { $0.tier == 2 }
                let escalating = !tier1.isEmpty && !tier2.isEmpty
                let escalationDeadline = min(deadline + state.settings.escalationSeconds, now + Self.maxSwitchSeconds + 3000)
                // Dated when it is delivered, so that contacts do not find it too old.
                let escalation: EscalationPlan? = escalating ? try EscalationPlan.make(
                    escalated: .missedCheckIn(MissedCheckIn(lastCheckInAt: lastCheckIn, dueAt: missed.dueAt, message: missed.message, escalated: true)),
                    messageID: .random(), tier2: tier2, relays: state.relays, identity: keys.identity,
                    createdAt: Timestamp(secondsSince1970: escalationDeadline), alertsAt: Timestamp(secondsSince1970: escalationDeadline)) : nil
                var alert = missed
                alert.escalation = escalation?.escalation
                let plan = try SwitchPlan.make(
                    contacts: escalating ? tier1 : state.contacts, relays: state.relays, identity: keys.identity, alert: alert)
                unreachable = plan.unreachable + (escalation.map { plan in
                    tier2.filter { contact in !plan.recipients.values.contains { $0.contains(contact.signingKeyHex) } }.map(\.alias)
                } ?? [])
                var relays = state.relays.map(\.url)
                for timer in live where !relays.contains(timer.relayURL) { relays.append(timer.relayURL) }
                var operations: [@Sendable () async -> TimerOutcome] = []
                for url in relays {
                    let timer = live.first { $0.relayURL == url && !$0.isEscalation }
                    let blobs = plan.bundles[url] ?? []
                    let to = plan.recipients[url] ?? []
                    switch (timer, blobs.isEmpty) {
                    case (let timer?, false):
                        operations.append { await self.renewOne(timer, deadline: deadline, blobs: blobs, recipients: to, reArm: reArm, proxy: proxy) }
                    case (nil, false):
                        operations.append {
                            await self.armOne(url, deadline: deadline, blobs: blobs, recipients: to, tier: 1, seed: nil, action: "armed", proxy: proxy)
                        }
                    case (let timer?, true):
                        operations.append { await self.disarmOne(timer, proxy: proxy) }
                    case (nil, true):
                        break
                    }
                }
                // Escalation timers: the earlier ones go, new ones come with the keys tier 1's
                // alerts now name.
                for timer in live where timer.isEscalation {
                    let earlier = { var earlier = timer; earlier.retired = true; return earlier }()
                    operations.append { await self.disarmOne(earlier, proxy: proxy) }
                }
                for timer in escalation?.timers ?? [] {
                    let blobs = escalation?.bundles[timer.relayURL] ?? []
                    let to = escalation?.recipients[timer.relayURL] ?? []
                    operations.append {
                        await self.armOne(
                            timer.relayURL, deadline: escalationDeadline, blobs: blobs, recipients: to, tier: 2, seed: timer.keySeed,
                            action: "armed", proxy: proxy)
                    }
                }
                outcomes += await run(operations)
            } else {
                // Past the deadline without a check-in: the relays fire (or did); only a
                // check-in or `arm` sets a new one.
                for timer in live { outcomes.append(.holds(timer, action: "due")) }
            }
        }

        var timers: [RelayTimer] = []
        var views: [TimerView] = []
        // Contacts whose alert went off: the timer was gone when this check-in renewed it.
        var alerted: Set<String> = []
        for outcome in outcomes {
            switch outcome {
            case .holds(let timer, let action):
                timers.append(timer)
                views.append(TimerView(relay: timer.relayURL, action: action, deadline: timer.deadline, alerts: timer.blobCount, tier: timer.tier))
                if action == "re-armed", case .checkIn = change,
                    let old = live.first(where: { $0.relayURL == timer.relayURL && $0.tier == timer.tier }),
                    // Gone before its deadline: a tier-1 contact disarmed the escalation.
                    now >= old.deadline {
                    alerted.formUnion(old.recipients ?? [])
                }
            case .gone(let relay, let action, let tier, let timer):
                // An escalation timer gone after its deadline went off (or, which cannot be
                // told apart, a tier-1 contact disarmed it): its contacts get the all-clear.
                if action == "fired", case .checkIn = change, let timer { alerted.formUnion(timer.recipients ?? []) }
                if !(tier == 2 && action == "disarmed") {
                    views.append(TimerView(relay: relay, action: action, deadline: nil, alerts: 0, tier: tier))
                }
            case .failed(let relay, let kept, let error):
                if var kept {
                    kept.lastError = error
                    timers.append(kept)
                }
                views.append(
                    TimerView(relay: relay, action: "failed", deadline: kept?.deadline, alerts: kept?.blobCount ?? 0, error: error, tier: kept?.tier))
            }
        }
        let armed = current.armed
        let recorded = timers
        let checkIn = lastCheckIn
        try await update { state in
            guard var stored = state.deadMansSwitch else { return }
            stored.timers = recorded
            stored.lastCheckInAt = checkIn
            state.deadMansSwitch = !stored.armed && recorded.isEmpty ? nil : stored
        }
        var report = SwitchReport(
            armed: armed, intervalSeconds: current.intervalSeconds, graceSeconds: current.graceSeconds, dueAt: dueAt,
            nextDeadline: timers.filter { !$0.isEscalation }.map(\.deadline).min(), timers: views, unreachable: unreachable)
        if case .checkIn(let at) = change, !alerted.isEmpty {
            report.allClear = try await sendAllClear(to: alerted, checkedInAt: at, duress: duress)
        }
        return report
    }

    /// After a check-in that found timers gone off: tells the contacts they alerted that the
    /// alarm is over.
    private func sendAllClear(to contactKeys: Set<String>, checkedInAt: Timestamp, duress: Bool) async throws(VigilError) -> SendReport? {
        let present = try state().contacts.filter { contactKeys.contains($0.signingKeyHex) }.map(\.signingKeyHex)
        guard !present.isEmpty else { return nil }
        let message = "I checked in again at \(HumanText.time(checkedInAt.secondsSince1970)): the missed check-in alarm is over."
        return try await send(
            allClearBody(message, duress: duress), summary: "all clear after the missed check-in alarm", to: Set(present), shownAs: .allClear)
    }

    private func run(_ operations: [@Sendable () async -> TimerOutcome]) async -> [TimerOutcome] {
        await withTaskGroup(of: (Int, TimerOutcome).self) { group in
            for (index, operation) in operations.enumerated() {
                group.addTask { (index, await operation()) }
            }
            var results: [(Int, TimerOutcome)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// Arms a timer on `url`, with `seed` (an escalation timer's key, named by alerts already
    /// sealed) or a fresh key.
    private func armOne(
        _ url: String, deadline: UInt64, blobs: [TimerBlobPayload], recipients: [String], tier: Int, seed: SecretSeed?, action: String,
        proxy: URL?
    ) async -> TimerOutcome {
        let seed = seed ?? SecretSeed.random()
        do {
            let key = try seed.signingKeyPair()
            let id = try await connection(to: url, proxy: proxy).armTimer(timerKey: key, deadline: deadline, blobs: blobs)
            return .holds(
                RelayTimer(
                    relayURL: url, timerID: id, keySeed: seed, deadline: deadline, blobCount: blobs.count, tier: tier == 1 ? nil : tier,
                    recipients: recipients),
                action: action)
        } catch {
            return .failed(relay: url, kept: nil, error: Self.describe(error))
        }
    }

    private func renewOne(
        _ timer: RelayTimer, deadline: UInt64, blobs: [TimerBlobPayload], recipients: [String], reArm: Bool, proxy: URL?
    ) async -> TimerOutcome {
        do {
            let key = try timer.keySeed.signingKeyPair()
            let confirmed = try await connection(to: timer.relayURL, proxy: proxy)
                .renewTimer(timerID: timer.timerID, timerKey: key, deadline: deadline, blobs: blobs)
            var renewed = timer
            renewed.deadline = confirmed
            renewed.blobCount = blobs.count
            renewed.recipients = recipients
            renewed.lastError = nil
            return .holds(renewed, action: "renewed")
        } catch let error as RelayClientError where error.status == 404 {
            // The relay no longer has it: its deadline passed and it fired (or is firing); an
            // escalation timer may also have been disarmed by a tier-1 contact.
            guard reArm else { return .gone(relay: timer.relayURL, action: "fired", tier: timer.tier) }
            return await armOne(
                timer.relayURL, deadline: deadline, blobs: blobs, recipients: recipients, tier: timer.tier ?? 1,
                seed: timer.isEscalation ? timer.keySeed : nil, action: "re-armed", proxy: proxy)
        } catch {
            return .failed(relay: timer.relayURL, kept: timer, error: Self.describe(error))
        }
    }

    private func disarmOne(_ timer: RelayTimer, proxy: URL?) async -> TimerOutcome {
        do {
            let key = try timer.keySeed.signingKeyPair()
            _ = try await connection(to: timer.relayURL, proxy: proxy).disarmTimer(timerID: timer.timerID, timerKey: key)
            return .gone(relay: timer.relayURL, action: "disarmed", tier: timer.tier)
        } catch let error as RelayClientError where error.status == 404 {
            // Already gone: fired (after its deadline), or disarmed by an earlier attempt whose
            // answer was lost (or, for an escalation timer, by a tier-1 contact).
            let fired = self.now.secondsSince1970 >= timer.deadline
            return .gone(relay: timer.relayURL, action: fired && timer.isEscalation ? "fired" : "disarmed", tier: timer.tier, timer: timer)
        } catch {
            return .failed(relay: timer.relayURL, kept: timer, error: Self.describe(error))
        }
    }

    private static func describe(_ error: any Error) -> String {
        (error as? RelayClientError)?.description ?? "\(error)"
    }
}

extension VigilSession.SwitchChange: Equatable {}

extension SwitchPlan {
    /// The aliases of contacts with no mailbox on any of `relays`.
    static func reach(contacts: [Contact], relays: [RelayAccount]) -> [String] {
        let urls = Set(relays.map(\.url))
        return contacts.filter { !$0.card.mailboxes.contains { urls.contains($0.relayURL) } }.map(\.alias)
    }
}
