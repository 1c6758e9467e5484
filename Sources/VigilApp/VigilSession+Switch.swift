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
    public func renewSwitch(checkedInAt: UInt64) async throws(VigilError) -> SwitchReport? {
        try await synchroniseSwitch(.checkIn(Timestamp(secondsSince1970: checkedInAt)))
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
            lastCheckInAt: current?.lastCheckInAt?.secondsSince1970, nextDeadline: timers.compactMap(\.deadline).min(),
            timers: timers, unreachable: current?.armed == true ? unreachable : [],
            outbox: state.outbox.map { SendReport($0, contacts: state.contacts) },
            overdue: OverdueDetector.overdue(state.contacts, now: now, graceSeconds: graceSeconds(state)),
            escalations: (state.escalations ?? []).filter { $0.phase == .waiting }.map(Self.escalationView))
    }

    private static func view(_ timer: RelayTimer) -> TimerView {
        let action = timer.isRetired ? "not-disarmed" : (timer.lastError == nil ? "armed" : "failed")
        return TimerView(relay: timer.relayURL, action: action, deadline: timer.deadline, alerts: timer.blobCount, error: timer.lastError)
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
        /// No timer there any more (disarmed, or fired).
        case gone(relay: String, action: String)
        /// The relay did not confirm; `kept` is the timer that may still be there.
        case failed(relay: String, kept: RelayTimer?, error: String)
    }

    /// Brings the relays' timers in line with the state: disarms retired timers first, then (when
    /// armed) renews or arms one timer per relay with a fresh bundle, and disarms timers on
    /// relays no contact can be reached through. Records what the relays confirmed.
    private func synchroniseSwitch(_ change: SwitchChange) async throws(VigilError) -> SwitchReport? {
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
            case .contactsChanged, .disarm: deadline = live.map(\.deadline).min() ?? fresh
            }
            let reArm = change != .contactsChanged
            if deadline > now {
                let due = deadline - min(current.graceSeconds, deadline)
                dueAt = due
                let plan = try SwitchPlan.make(
                    contacts: state.contacts, relays: state.relays, identity: keys.identity,
                    alert: MissedCheckIn(lastCheckInAt: lastCheckIn, dueAt: Timestamp(secondsSince1970: due), message: current.message))
                unreachable = plan.unreachable
                var relays = state.relays.map(\.url)
                for timer in live where !relays.contains(timer.relayURL) { relays.append(timer.relayURL) }
                var operations: [@Sendable () async -> TimerOutcome] = []
                for url in relays {
                    let timer = live.first { $0.relayURL == url }
                    let blobs = plan.bundles[url] ?? []
                    switch (timer, blobs.isEmpty) {
                    case (let timer?, false):
                        operations.append { await self.renewOne(timer, deadline: deadline, blobs: blobs, reArm: reArm, proxy: proxy) }
                    case (nil, false):
                        operations.append { await self.armOne(url, deadline: deadline, blobs: blobs, action: "armed", proxy: proxy) }
                    case (let timer?, true):
                        operations.append { await self.disarmOne(timer, proxy: proxy) }
                    case (nil, true):
                        break
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
        for outcome in outcomes {
            switch outcome {
            case .holds(let timer, let action):
                timers.append(timer)
                views.append(TimerView(relay: timer.relayURL, action: action, deadline: timer.deadline, alerts: timer.blobCount))
            case .gone(let relay, let action):
                views.append(TimerView(relay: relay, action: action, deadline: nil, alerts: 0))
            case .failed(let relay, let kept, let error):
                if var kept {
                    kept.lastError = error
                    timers.append(kept)
                }
                views.append(TimerView(relay: relay, action: "failed", deadline: kept?.deadline, alerts: kept?.blobCount ?? 0, error: error))
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
        return SwitchReport(
            armed: armed, intervalSeconds: current.intervalSeconds, graceSeconds: current.graceSeconds, dueAt: dueAt,
            nextDeadline: timers.map(\.deadline).min(), timers: views, unreachable: unreachable)
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

    private func armOne(_ url: String, deadline: UInt64, blobs: [TimerBlobPayload], action: String, proxy: URL?) async -> TimerOutcome {
        let seed = SecretSeed.random()
        do {
            let key = try seed.signingKeyPair()
            let id = try await connection(to: url, proxy: proxy).armTimer(timerKey: key, deadline: deadline, blobs: blobs)
            return .holds(
                RelayTimer(relayURL: url, timerID: id, keySeed: seed, deadline: deadline, blobCount: blobs.count), action: action)
        } catch {
            return .failed(relay: url, kept: nil, error: Self.describe(error))
        }
    }

    private func renewOne(_ timer: RelayTimer, deadline: UInt64, blobs: [TimerBlobPayload], reArm: Bool, proxy: URL?) async -> TimerOutcome {
        do {
            let key = try timer.keySeed.signingKeyPair()
            let confirmed = try await connection(to: timer.relayURL, proxy: proxy)
                .renewTimer(timerID: timer.timerID, timerKey: key, deadline: deadline, blobs: blobs)
            var renewed = timer
            renewed.deadline = confirmed
            renewed.blobCount = blobs.count
            renewed.lastError = nil
            return .holds(renewed, action: "renewed")
        } catch let error as RelayClientError where error.status == 404 {
            // The relay no longer has it: its deadline passed and it fired (or is firing).
            guard reArm else { return .gone(relay: timer.relayURL, action: "fired") }
            return await armOne(timer.relayURL, deadline: deadline, blobs: blobs, action: "re-armed", proxy: proxy)
        } catch {
            return .failed(relay: timer.relayURL, kept: timer, error: Self.describe(error))
        }
    }

    private func disarmOne(_ timer: RelayTimer, proxy: URL?) async -> TimerOutcome {
        do {
            let key = try timer.keySeed.signingKeyPair()
            _ = try await connection(to: timer.relayURL, proxy: proxy).disarmTimer(timerID: timer.timerID, timerKey: key)
            return .gone(relay: timer.relayURL, action: "disarmed")
        } catch let error as RelayClientError where error.status == 404 {
            // Already gone: fired, or disarmed by an earlier attempt whose answer was lost.
            return .gone(relay: timer.relayURL, action: "disarmed")
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
