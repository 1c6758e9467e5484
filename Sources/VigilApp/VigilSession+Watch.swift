import Foundation
import VigilProtocol

/// How `watch` runs.
public struct WatchOptions: Sendable {
    /// A shell command run for every alert, with the alert as JSON on its standard input.
    public var alertCommand: String?
    /// Stop after this many seconds (real time); nil: until cancelled.
    public var duration: UInt64?
    /// Seconds between outbox retries and overdue checks.
    public var tickSeconds: UInt64

    /// Options; `tickSeconds` is at least 1.
    public init(alertCommand: String? = nil, duration: UInt64? = nil, tickSeconds: UInt64 = 5) {
        self.alertCommand = alertCommand
        self.duration = duration
        self.tickSeconds = max(1, tickSeconds)
    }
}

/// Something `watch` reports as it happens.
public enum WatchEvent: Sendable, Encodable {
    /// Watching started on these relays.
    case started(relays: [String])
    /// A message arrived (shown once, however many relays carried it).
    case message(MessageView)
    /// A contact acknowledged one of this person's messages.
    case acknowledgement(AcknowledgementView)
    /// A contact's announced check-in did not come (reported once per due time).
    case overdue(OverdueContact)
    /// Blobs were refused, by reason.
    case refused([String: Int])
    /// A relay could not be read (reported once until it recovers).
    case relayProblem(RelayFailure)
    /// A relay that failed answers again.
    case relayRecovered(String)
    /// A queued message was retried.
    case delivery(SendReport)
    /// The alert command failed.
    case hookFailed(String)
    /// An alert of this person's was escalated to tier 2, or its escalation was stopped.
    case escalation(EscalationView)

    /// The JSON document handed to the alert command, for the events that are alerts: panics,
    /// missed check-ins, check-ins that are not ok, all-clears, and overdue contacts.
    public var alertJSON: [UInt8]? {
        struct Alert: Encodable {
            var type: String
            var message: MessageView?
            var overdue: OverdueContact?
        }
        let alert: Alert
        switch self {
        case .message(let view) where view.isAlert || view.kind == MessageKind.allClear.name:
            alert = Alert(type: view.kind, message: view)
        case .overdue(let overdue):
            alert = Alert(type: "overdue", overdue: overdue)
        default:
            return nil
        }
        return (try? JSONOutput.encode(alert)).map { $0 + [0x0A] }
    }

    private enum CodingKeys: String, CodingKey { case event, relays, message, acknowledgement, overdue, refused, relay, error, delivery, escalation }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .started(let relays):
            try container.encode("started", forKey: .event)
            try container.encode(relays, forKey: .relays)
        case .message(let view):
            try container.encode("message", forKey: .event)
            try container.encode(view, forKey: .message)
        case .acknowledgement(let view):
            try container.encode("acknowledgement", forKey: .event)
            try container.encode(view, forKey: .acknowledgement)
        case .overdue(let overdue):
            try container.encode("overdue", forKey: .event)
            try container.encode(overdue, forKey: .overdue)
        case .refused(let counts):
            try container.encode("refused", forKey: .event)
            try container.encode(counts, forKey: .refused)
        case .relayProblem(let failure):
            try container.encode("relay_problem", forKey: .event)
            try container.encode(failure.relay, forKey: .relay)
            try container.encode(failure.error, forKey: .error)
        case .relayRecovered(let relay):
            try container.encode("relay_recovered", forKey: .event)
            try container.encode(relay, forKey: .relay)
        case .delivery(let report):
            try container.encode("delivery", forKey: .event)
            try container.encode(report, forKey: .delivery)
        case .hookFailed(let error):
            try container.encode("hook_failed", forKey: .event)
            try container.encode(error, forKey: .error)
        case .escalation(let view):
            try container.encode("escalation", forKey: .event)
            try container.encode(view, forKey: .escalation)
        }
    }
}

extension VigilSession {
    /// Long-polls every mailbox, reports messages as they arrive, retries the outbox, and
    /// reports contacts whose check-in is overdue; runs the alert command for alerts.
    ///
    /// Events are delivered to `onEvent` one at a time, in order. The alert command runs for
    /// each alert after it was reported, one alert at a time, in order, on a queue of its own:
    /// a slow command never holds back the events that follow. Returns when `options.duration`
    /// has passed (after the commands still queued have run) or the task is cancelled (then
    /// the command running is let finish and those not yet started are dropped).
    public func watch(_ options: WatchOptions, onEvent: @escaping @Sendable (WatchEvent) async -> Void) async throws(VigilError) {
        let state = try state()
        guard !state.relays.isEmpty else {
            throw .usage("you have no relay to watch: add one with `vigil relays add URL`")
        }
        let hook = options.alertCommand.map { AlertHook(command: $0) }
        let (events, emitter) = AsyncStream<WatchEvent>.makeStream()
        emitter.yield(.started(relays: state.relays.map(\.url)))
        let (alerts, alertQueue) = AsyncStream<[UInt8]>.makeStream()
        // Failures of commands that ended after the last event was reported: reported last.
        let lateFailures = await withTaskGroup(of: [String].self) { outer in
            outer.addTask {
                for await event in events {
                    await onEvent(event)
                    if hook != nil, let json = event.alertJSON { alertQueue.yield(json) }
                }
                alertQueue.finish()
                return []
            }
            if let hook {
                outer.addTask {
                    var late: [String] = []
                    for await json in alerts {
                        guard let failure = await hook.run(json) else { continue }
                        if case .terminated = emitter.yield(.hookFailed(failure)) { late.append(failure) }
                    }
                    return late
                }
            } else {
                alertQueue.finish()
            }
            await withTaskGroup(of: Bool.self) { producers in
                for url in state.relays.map(\.url) {
                    producers.addTask {
                        await self.poll(url, emit: { emitter.yield($0) })
                        return false
                    }
                }
                producers.addTask {
                    await self.tick(every: options.tickSeconds, emit: { emitter.yield($0) })
                    return false
                }
                if let duration = options.duration {
                    producers.addTask {
                        try? await Task.sleep(for: .seconds(duration))
                        return true
                    }
                    while let finished = await producers.next() {
                        if finished { break }
                    }
                    producers.cancelAll()
                }
            }
            emitter.finish()
            var late: [String] = []
            for await failures in outer { late += failures }
            return late
        }
        for failure in lateFailures { await onEvent(.hookFailed(failure)) }
    }

    /// Long-polls one mailbox until cancelled, backing off while the relay fails.
    ///
    /// What is stored is reported at once, before it is acknowledged to the relay: it is marked
    /// shown when stored, so a failure after that (the acknowledgement, the next fetch) or
    /// cancellation must not keep it from being shown.
    private func poll(_ url: String, emit: @escaping @Sendable (WatchEvent) -> Void) async {
        var failures = 0
        while !Task.isCancelled {
            // A mailbox removed meanwhile (`relays remove`) is no longer watched.
            if let state = try? state(), !state.relays.contains(where: { $0.url == url }) { return }
            let result = await receive(accounts: [url], wait: context.longPollSeconds, markShown: true) { batch in
                self.report(batch, emit: emit)
            }
            if Task.isCancelled { return }
            if let problem = result.relayErrors.first {
                failures += 1
                if failures == 1 { emit(.relayProblem(problem)) }
                let pause = min(60, 1 << min(failures, 6))
                try? await Task.sleep(for: .seconds(pause))
                continue
            }
            if failures > 0 {
                emit(.relayRecovered(url))
                failures = 0
            }
            if !result.batch.receiptsQueued.isEmpty {
                _ = try? await deliver(messages: Set(result.batch.receiptsQueued), force: false)
            }
        }
    }

    /// Reports a stored batch: its messages, acknowledgements and refusals.
    private func report(_ batch: ReceiveBatch, emit: @Sendable (WatchEvent) -> Void) {
        for view in batch.views { emit(.message(view)) }
        for ack in batch.acknowledgements { emit(.acknowledgement(ack)) }
        if !batch.refused.isEmpty { emit(.refused(batch.refused)) }
    }

    /// Until cancelled: retries what is due in the outbox and reports newly overdue contacts.
    private func tick(every seconds: UInt64, emit: @Sendable (WatchEvent) -> Void) async {
        var reported: Set<String> = []
        while !Task.isCancelled {
            // The mailboxes are being long-polled: acknowledgements are in within a second.
            for view in (try? await advanceEscalations(fetched: true)) ?? [] { emit(.escalation(view)) }
            if let (reports, _) = try? await deliver(messages: nil, force: false) {
                for report in reports.values.sorted(by: { $0.createdAt < $1.createdAt }) where report.kind != MessageKind.receipt.name {
                    emit(.delivery(report))
                }
            }
            if let state = try? state() {
                let overdue = OverdueDetector.overdue(state.contacts, now: now, graceSeconds: graceSeconds(state))
                let keys = Set(overdue.map { "\($0.contactKey)/\($0.dueAt)" })
                for contact in overdue where !reported.contains("\(contact.contactKey)/\(contact.dueAt)") {
                    emit(.overdue(contact))
                }
                reported = keys
            }
            try? await Task.sleep(for: .seconds(seconds))
        }
    }
}
