import Foundation
import VigilProtocol

/// Reports as text for people, possibly under stress: the important word first, contacts who
/// are not verified always marked `(unverified)`, senders who are not contacts always
/// `UNKNOWN SENDER`, and the next step spelled out. Never prints a secret.
public enum HumanText {
    // MARK: Pieces

    /// A time in the local time zone, e.g. `2026-11-25 09:10 CET`.
    public static func time(_ seconds: UInt64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm zzz"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// A span such as `2 h 5 min` or `40 s`.
    public static func span(_ seconds: UInt64) -> String {
        if seconds < 60 { return "\(seconds) s" }
        let minutes = seconds / 60
        if minutes < 60 { return "\(minutes) min" }
        let hours = minutes / 60
        if hours < 48 { return minutes % 60 == 0 ? "\(hours) h" : "\(hours) h \(minutes % 60) min" }
        return "\(hours / 24) days"
    }

    /// `alias`, or `alias (unverified)`.
    public static func name(_ alias: String, verified: Bool) -> String {
        verified ? alias : "\(alias) (unverified)"
    }

    /// How a sender is named: a contact's alias (marked when unverified) or UNKNOWN SENDER.
    public static func sender(_ sender: SenderView) -> String {
        guard sender.known, let alias = sender.alias else { return "UNKNOWN SENDER (\(sender.fingerprint)) — not one of your contacts" }
        return name(alias, verified: sender.verified)
    }

    /// The first 12 hex digits of a message ID: enough to refer to it (`vigil ack`).
    public static func shortID(_ id: String) -> String { String(id.prefix(12)) }

    private static func indent(_ text: String, by prefix: String = "    ") -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { prefix + $0 }.joined(separator: "\n")
    }

    /// A remote note after a line's text: `: note` when it is one line; otherwise on the lines
    /// below, indented like a message body, so that no line of it starts at column 0 and can pass
    /// for one of Vigil's own lines (`!! PANIC from ...`). Text fields hold no carriage return or
    /// other control character but tab and line feed (``TextRules``), so line feed is the only break.
    private static func noteSuffix(_ note: String?, indentedBy prefix: String = "    ") -> String {
        guard let note else { return "" }
        return note.contains("\n") ? ":\n" + indent(note, by: prefix) : ": " + note
    }

    private static func mapLink(_ location: LocationView) -> String {
        "https://www.openstreetmap.org/?mlat=\(location.latitude)&mlon=\(location.longitude)#map=16/\(location.latitude)/\(location.longitude)"
    }

    // MARK: Identity and contacts

    /// Your card, name and fingerprint, with what to do with the card.
    public static func card(_ view: CardView) -> String {
        var lines = ["Your name:        \(view.name)", "Your fingerprint: \(view.fingerprint)"]
        if let card = view.card {
            lines += [
                "", "Your contact card (send it to your trusted contacts; they add it with `vigil contacts add CARD`):", "",
                card, "",
                "Relays: " + view.relays.joined(separator: ", "),
            ]
        } else {
            lines += ["", "You have no relay yet, so there is no card to share: add one with `vigil relays add URL`."]
        }
        return lines.joined(separator: "\n")
    }

    /// What `init` did, and the next steps.
    public static func initReport(_ report: InitReport) -> String {
        var lines = ["Vigil is set up in \(report.home)."]
        lines.append(
            report.passphraseProtected
                ? "Your keys are encrypted with your passphrase. Without it nobody (not even you) can open them: do not forget it."
                : "WARNING: your keys are NOT protected by a passphrase: whoever copies \(report.home) can read them.")
        for failure in report.failedRelays {
            lines.append("Could not create a mailbox on \(failure.relay): \(failure.error). Add it later with `vigil relays add \(failure.relay)`.")
        }
        lines += ["", card(report.card)]
        lines += ["", "Next: add your contacts' cards (`vigil contacts add CARD --alias NAME`), then compare safety numbers (`vigil contacts verify NAME`)."]
        return lines.joined(separator: "\n")
    }

    /// What `contacts add` did; the safety number while the contact is unverified.
    public static func addContact(_ report: AddContactReport) -> String {
        let contact = report.contact
        var lines: [String]
        switch report.change {
        case "added": lines = ["Added \(name(contact.alias, verified: contact.verified)): \(contact.name), fingerprint \(contact.fingerprint)."]
        case "updated": lines = ["Updated the card of \(name(contact.alias, verified: contact.verified)); relays now: \(contact.relays.joined(separator: ", "))."]
        default: lines = ["\(name(contact.alias, verified: contact.verified)) is already a contact with this card; nothing changed."]
        }
        if report.verificationReset {
            lines.append("WARNING: the keys on this card differ from the ones you verified: \(contact.alias) is unverified again.")
        }
        if !contact.verified {
            lines.append("Safety number: \(report.safetyNumber)")
            lines.append("Before you rely on \(contact.alias), compare this number with them in person or by a call you trust, then run `vigil contacts verify \(contact.alias)`.")
        }
        return lines.joined(separator: "\n")
    }

    /// One entry per contact, unverified ones marked, overdue ones flagged.
    public static func contactList(_ contacts: [ContactView]) -> String {
        guard !contacts.isEmpty else { return "No contacts yet. Add one with `vigil contacts add CARD --alias NAME`." }
        return contacts.map { contact in
            var line = "\(name(contact.alias, verified: contact.verified)) — \(contact.name), fingerprint \(contact.fingerprint)"
            if let last = contact.lastCheckIn {
                line += "\n    last check-in \(time(last.at)) (\(statusPhrase(last.status, duress: last.duress)))"
                if let due = last.nextDueAt { line += ", next due \(time(due))" }
            }
            if contact.tier == 2 { line += "\n    tier 2: alerted when nobody in tier 1 acknowledges an alert in time" }
            if contact.overdue { line += "\n    OVERDUE: their check-in is late" }
            return line
        }.joined(separator: "\n")
    }

    /// Everything about one contact, the safety number included.
    public static func contactDetail(_ contact: ContactView) -> String {
        var lines = [
            "\(name(contact.alias, verified: contact.verified))",
            "  name on card:  \(contact.name)",
            "  fingerprint:   \(contact.fingerprint)",
            "  verified:      \(contact.verified ? "yes" : "NO — compare the safety number, then `vigil contacts verify \(contact.alias)`")",
            "  relays:        \(contact.relays.joined(separator: ", "))",
            "  tier:          \(contact.tier)" + (contact.tier == 2 ? " (alerted when nobody in tier 1 acknowledges an alert in time)" : " (alerted at once)"),
            "  added:         \(time(contact.addedAt))",
        ]
        if let number = contact.safetyNumber { lines.append("  safety number: \(number)") }
        if let last = contact.lastCheckIn {
            var line = "  last check-in: \(time(last.at)), \(statusPhrase(last.status, duress: last.duress))"
            if let due = last.nextDueAt { line += ", next due \(time(due))" }
            lines.append(line)
        }
        if contact.overdue { lines.append("  OVERDUE: their announced check-in did not come") }
        return lines.joined(separator: "\n")
    }

    /// What to compare before verifying.
    public static func safetyNumberPrompt(_ contact: ContactView) -> String {
        """
        Safety number with \(contact.alias) (\(contact.name)):

            \(contact.safetyNumber ?? "?")

        Ask \(contact.alias) to run `vigil contacts show` for you and read their number aloud, in person or on a call where you recognise their voice. \
        Confirm only if every digit matches; if it does not, someone may be impersonating them: do not confirm.
        """
    }

    /// One line per own mailbox.
    public static func relayList(_ relays: [RelayView]) -> String {
        guard !relays.isEmpty else { return "No relays yet. Add one with `vigil relays add URL`." }
        return relays.map { "\($0.url)  (mailbox added \(time($0.addedAt)))" }.joined(separator: "\n")
    }

    /// The settings.
    public static func config(_ view: ConfigView) -> String {
        [
            "name:            \(view.name)",
            "proxy:           \(view.proxy ?? "none (direct connections)")",
            "overdue grace:   \(span(view.graceSeconds))",
            "oldest accepted: \(span(view.maxAgeSeconds))",
            "clock tolerance: \(span(view.maxFutureSeconds))",
            "escalate after:  \(span(view.escalateAfterSeconds)) (tier 2 is alerted if nobody in tier 1 acknowledges an alert by then)",
        ].joined(separator: "\n")
    }

    // MARK: Sending

    /// What happened to a message just sent.
    public static func send(_ report: SendReport, what: String) -> String {
        var lines = [report.allDelivered
            ? "\(what) delivered to all \(report.recipients.count) contact(s). (id \(shortID(report.messageID)))"
            : "\(what) NOT yet delivered everywhere — it stays queued and is retried automatically. (id \(shortID(report.messageID)))"]
        lines += recipients(report)
        if !report.allDelivered {
            lines.append("Retry now with `vigil outbox --flush`; `vigil watch` and your next vigil command also retry.")
        }
        if let escalation = report.escalation { lines += self.escalation(escalation) }
        if let stopped = report.stoppedEscalation {
            if stopped.isEmpty {
                lines.append("No relay holds this alert's escalation: it stops when the sender's device receives your acknowledgement.")
            }
            for timer in stopped {
                switch timer.action {
                case "disarmed": lines.append("Escalation stopped on \(timer.relay): their second circle will not be alerted from there.")
                case "fired": lines.append("Too late on \(timer.relay): the escalation time had passed, their second circle was alerted.")
                case "gone": lines.append("Escalation on \(timer.relay): nothing to stop there (someone stopped it first, or it is being set up; the sender's device also stops it when it sees your acknowledgement).")
                default: lines.append("Escalation NOT stopped on \(timer.relay): \(timer.error ?? "no answer") — run `vigil ack` again.")
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// An alert's escalation to tier 2.
    public static func escalation(_ view: EscalationView) -> [String] {
        let tier2 = view.tier2.joined(separator: ", ")
        switch view.phase {
        case "stopped":
            return ["Escalation stopped: \(view.stoppedBy ?? "a contact") acknowledged; tier 2 (\(tier2)) is not alerted."]
        case "escalated":
            return ["ESCALATED: nobody in tier 1 acknowledged by \(time(view.alertsAt)); tier 2 (\(tier2)) was alerted."]
        default:
            var lines = ["Tier 2 (\(tier2)) will be alerted \(time(view.alertsAt)) unless someone in tier 1 acknowledges before."]
            let held = view.timers.filter { $0.action == "armed" }.map(\.relay)
            if held.isEmpty {
                lines.append("  No relay holds the escalation: only this device can alert tier 2 — keep `vigil watch` running, or run any vigil command after that time.")
            } else {
                lines.append("  Held by \(held.joined(separator: ", ")), so it happens even if this device is offline.")
            }
            for timer in view.timers where timer.action == "failed" {
                lines.append("  \(timer.relay) could not take it: \(timer.error ?? "no answer")")
            }
            return lines
        }
    }

    private static func recipients(_ report: SendReport) -> [String] {
        report.recipients.map { recipient in
            let delivered = recipient.deliveries.filter { $0.status == "delivered" }.count
            let state = recipient.complete ? "delivered" : (recipient.reached ? "delivered (some relays queued)" : "QUEUED")
            var line = "  \(name(recipient.alias, verified: recipient.verified)): \(state), \(delivered) of \(recipient.deliveries.count) mailbox(es)"
            for delivery in recipient.deliveries where delivery.status != "delivered" {
                line += "\n      \(delivery.relay): \(delivery.error ?? "not tried yet")"
                if let next = delivery.nextAttemptAt { line += " — next try \(time(next))" }
            }
            return line
        }
    }

    /// The outbox, per message and recipient, with why deliveries wait.
    public static func outbox(_ report: OutboxReport, flushed: Bool) -> String {
        var lines: [String] = []
        if flushed { lines.append("Delivered \(report.deliveredNow) queued envelope(s) now.") }
        if report.messages.isEmpty {
            lines.append("The outbox is empty: everything you sent was delivered.")
        } else {
            lines.append("\(report.messages.count) message(s) not yet delivered everywhere:")
            for message in report.messages {
                lines.append("- \(message.summary) — created \(time(message.createdAt)) (id \(shortID(message.messageID)))")
                lines += recipients(message).map { "  " + $0 }
            }
            if !flushed { lines.append("Retry now with `vigil outbox --flush`.") }
        }
        return lines.joined(separator: "\n")
    }

    // MARK: Receiving

    /// One received message: alerts start with `!!`; the sender is named as ``sender(_:)`` says.
    public static func message(_ view: MessageView) -> String {
        if view.kind == MessageKind.acknowledgement.name, view.from.known, let summary = view.acknowledgesSummary {
            // An answer to one of ours: say who acknowledged what, in one line.
            return "\(sender(view.from)) ACKNOWLEDGED your \(summary) — \(time(view.createdAt))" + noteSuffix(view.note)
        }
        var head: String
        switch view.kind {
        case MessageKind.panic.name: head = "!! PANIC from \(sender(view.from))"
        case MessageKind.missedCheckIn.name: head = "!! MISSED CHECK-IN: \(sender(view.from)) did not check in"
        case MessageKind.checkIn.name:
            let status = view.status.map { statusPhrase($0, duress: view.duress ?? false) } ?? "?"
            head = (view.isAlert ? "!! CHECK-IN: " : "Check-in: ") + "\(sender(view.from)) is \(status)"
        case MessageKind.allClear.name: head = "ALL CLEAR from \(sender(view.from))"
        case MessageKind.acknowledgement.name: head = "Acknowledgement from \(sender(view.from))"
        case MessageKind.receipt.name: head = "Receipt from \(sender(view.from))"
        default: head = "A message of a kind this version of Vigil cannot show (\(view.kind)) from \(sender(view.from)): update Vigil"
        }
        if view.escalated { head = "!! ESCALATED, nobody in their first circle answered in time: " + head.dropFirst(3) }
        // "… IN DANGER — sent under duress at <time>" rather than "— sent under duress — sent <time>".
        var lines = [head + (view.duress == true ? " at " : " — sent ") + time(view.createdAt)]
        if let text = view.message { lines.append(indent(text)) }
        if let note = view.note { lines.append(indent(note)) }
        if let location = view.location { lines.append("    location: \(location.text)  \(mapLink(location))") }
        if let due = view.nextDueAt { lines.append("    next check-in due \(time(due))") }
        if let due = view.dueAt { lines.append("    was due \(time(due))" + (view.lastCheckInAt.map { ", last check-in \(time($0))" } ?? "")) }
        if let acknowledged = view.acknowledges {
            lines.append("    for your message \(shortID(acknowledged))" + (view.acknowledgesSummary.map { " (\($0))" } ?? ""))
        }
        if let at = view.escalatesAt {
            lines.append(view.escalationStopped == true
                ? "    your acknowledgement disarmed the escalation: their second circle of contacts will not be alerted"
                : "    their second circle of contacts will be alerted \(time(at)) unless someone acknowledges before")
        }
        if view.relays.count > 1 { lines.append("    arrived through \(view.relays.count) relays") }
        if view.duress == true {
            lines.append("    They were made to send this; their screen showed an ordinary check-in. Act on what you agreed for an alarm.")
            lines.append("    Do NOT answer through Vigil: whoever forced them may be reading their device.")
        }
        var footer = "    id \(shortID(view.messageID))"
        if view.from.known, view.isAlert, view.duress != true {
            footer += " — answer with `vigil ack \(shortID(view.messageID)) \"on my way\"`"
        }
        lines.append(footer)
        return lines.joined(separator: "\n")
    }

    /// Who acknowledged which of your messages.
    public static func acknowledgement(_ view: AcknowledgementView) -> String {
        "\(sender(view.by)) ACKNOWLEDGED your \(view.summary) (sent \(time(view.sentAt)))" + noteSuffix(view.note)
    }

    /// A contact whose check-in is late.
    public static func overdue(_ contact: OverdueContact) -> String {
        "!! OVERDUE: \(name(contact.alias, verified: contact.verified)) has not checked in; it was due \(time(contact.dueAt)) (\(span(contact.overdueSeconds)) ago). Try to reach them."
    }

    /// Envelopes discarded, by reason.
    public static func refused(_ counts: [String: Int]) -> String {
        let total = counts.values.reduce(0, +)
        let reasons = counts.sorted { $0.key < $1.key }.map { "\($0.value) \(refusalReason($0.key))" }.joined(separator: ", ")
        return "Discarded \(total) envelope(s) that could not be trusted: \(reasons)."
    }

    private static func refusalReason(_ code: String) -> String {
        switch code {
        case "replay": return "replayed"
        case "too_old": return "too old"
        case "future": return "dated in the future"
        case "sealed_box": return "not for you or damaged"
        case "signature": return "with an invalid signature"
        case "recipient": return "addressed to someone else"
        default: return "malformed (\(code))"
        }
    }

    /// What `inbox` found: alerts first, then other messages, overdue contacts, problems.
    public static func inbox(_ report: InboxReport, all: Bool) -> String {
        var sections: [String] = []
        for failure in report.relayErrors {
            sections.append("Could not read your mailbox on \(failure.relay): \(failure.error)\nMessages there wait for the next try.")
        }
        let alerts = report.messages.filter(\.isAlert)
        let others = report.messages.filter { !$0.isAlert }
        if report.messages.isEmpty {
            sections.append(all ? "No messages stored." : "No new messages.")
        } else {
            sections += alerts.map(message) + others.map(message)
        }
        if all && !report.sent.isEmpty {
            var lines = ["Sent recently:"]
            for sent in report.sent.suffix(20) {
                var line = "- \(sent.summary) — \(time(sent.createdAt)) (id \(shortID(sent.messageID)))"
                if !sent.receivers.isEmpty { line += "\n    received by: " + sent.receivers.map(sender).joined(separator: ", ") }
                for ack in sent.acknowledgements {
                    line += "\n    acknowledged by \(sender(ack.by))" + noteSuffix(ack.note, indentedBy: "        ")
                }
                lines.append(line)
            }
            sections.append(lines.joined(separator: "\n"))
        }
        for view in report.escalations { sections.append(escalation(view).joined(separator: "\n")) }
        if !report.overdue.isEmpty { sections.append(report.overdue.map(overdue).joined(separator: "\n")) }
        if !report.refused.isEmpty { sections.append(refused(report.refused)) }
        if report.queued > 0 {
            sections.append("\(report.queued) message(s) you sent are still queued: `vigil outbox` shows them.")
        }
        return sections.joined(separator: "\n\n")
    }

    /// One line (or block) per `watch` event.
    public static func watchEvent(_ event: WatchEvent) -> String {
        switch event {
        case .started(let relays): return "Watching \(relays.count) mailbox(es) (\(relays.joined(separator: ", "))). Stop with Ctrl-C."
        case .message(let view): return message(view)
        case .acknowledgement(let view): return acknowledgement(view)
        case .overdue(let contact): return overdue(contact)
        case .refused(let counts): return refused(counts)
        case .relayProblem(let failure): return "Cannot reach \(failure.relay): \(failure.error) — retrying."
        case .relayRecovered(let relay): return "\(relay) answers again."
        case .delivery(let report):
            return report.allDelivered
                ? "Queued \(report.summary) (id \(shortID(report.messageID))) is now delivered everywhere."
                : "Retried \(report.summary) (id \(shortID(report.messageID))): still queued for some mailboxes."
        case .hookFailed(let error): return "Alert command: \(error)"
        case .escalation(let view): return escalation(view).joined(separator: "\n")
        }
    }

    // MARK: Dead man's switch

    /// What `arm`, `disarm`, or the renewal after a check-in or a change of contacts did. Every
    /// relay that did not confirm is said loudly: an old deadline may pass there.
    public static func deadMansSwitch(_ report: SwitchReport) -> String {
        var lines: [String] = []
        let confirmed = report.timers.filter { $0.action != "failed" }
        if report.armed {
            if let deadline = report.nextDeadline, confirmed.contains(where: { $0.deadline != nil }) {
                lines.append(
                    "Dead man's switch ARMED: unless you check in by \(report.dueAt.map(time) ?? time(deadline)), your contacts are alerted at \(time(deadline)) (check in every \(span(report.intervalSeconds)), grace \(span(report.graceSeconds))).")
            } else if let deadline = report.nextDeadline {
                lines.append(
                    "!! Dead man's switch NOT RENEWED: no relay confirmed, so the alarm goes off at the OLD deadline \(time(deadline)) unless a check-in reaches a relay before then. Check in again once a relay answers.")
            } else {
                lines.append("!! Dead man's switch NOT armed on any relay: no relay confirmed a timer. Run `vigil checkin` or `vigil arm` again once a relay answers.")
            }
        } else {
            lines.append(report.failed == 0 ? "Dead man's switch DISARMED: no alert will be sent." : "Dead man's switch turned off, but NOT everywhere:")
        }
        for timer in report.timers {
            if timer.tier == 2 {
                switch timer.action {
                case "failed", "fired", "re-armed", "disarmed": break
                default:
                    lines.append("  \(timer.relay): tier 2 is alerted at \(timer.deadline.map(time) ?? "?") if nobody in tier 1 acknowledges the alarm (\(timer.alerts) alert(s))")
                    continue
                }
            }
            let timer = timer.tier == 2 ? TimerView(relay: timer.relay + " (tier-2 escalation)", action: timer.action, deadline: timer.deadline, alerts: timer.alerts, error: timer.error) : timer
            switch timer.action {
            case "failed":
                var line = "!! \(timer.relay): the relay did not confirm (\(timer.error ?? "no answer"))"
                if let deadline = timer.deadline {
                    line += report.armed
                        ? " — its timer still has the OLD deadline \(time(deadline)): the alarm may go off then. Check in again once it answers."
                        : " — its timer may still go off at \(time(deadline)). Run `vigil disarm` again once it answers."
                } else {
                    line += " — no timer there."
                }
                lines.append(line)
            case "fired":
                lines.append("!! \(timer.relay): the timer had already gone off or expired: your contacts may have been alerted.")
            case "re-armed":
                lines.append("!! \(timer.relay): the old timer had already gone off or expired (your contacts may have been alerted); armed anew, \(timer.alerts) alert(s).")
            case "disarmed":
                lines.append("  \(timer.relay): disarmed")
            default:
                lines.append("  \(timer.relay): \(timer.action), \(timer.alerts) alert(s)" + (timer.deadline.map { ", deadline \(time($0))" } ?? ""))
            }
        }
        if report.armed, !report.unreachable.isEmpty {
            lines.append(
                "!! The switch CANNOT reach \(report.unreachable.joined(separator: ", ")): none of their mailboxes is on one of your relays. Agree on a relay you both use (`vigil relays add URL`, and share your card again).")
        }
        if let allClear = report.allClear {
            lines.append("Your switch had gone off before this check-in, so an ALL CLEAR went to the contacts it alerted:")
            lines.append(send(allClear, what: "All clear"))
        }
        return lines.joined(separator: "\n")
    }

    /// `vigil status`: the switch, the outbox, overdue contacts.
    public static func status(_ view: StatusView) -> String {
        var sections: [String] = []
        var lines: [String] = []
        if view.armed, let interval = view.intervalSeconds {
            let live = view.timers.filter { $0.action != "not-disarmed" }
            lines.append(
                live.isEmpty
                    ? "!! Dead man's switch ARMED but no relay holds a timer: run `vigil checkin` to arm it again."
                    : "Dead man's switch ARMED: check in every \(span(interval)), grace \(span(view.graceSeconds ?? 0)).")
            if let last = view.lastCheckInAt { lines.append("  last check-in \(time(last))") }
        } else {
            lines.append("Dead man's switch not armed (`vigil arm --every 2h` arms it).")
        }
        for timer in view.timers {
            let deadline = timer.deadline.map(time) ?? "?"
            switch timer.action {
            case "not-disarmed":
                lines.append("!! \(timer.relay): an old timer could NOT be disarmed and may go off at \(deadline) (\(timer.error ?? "no answer")); run `vigil disarm` again once the relay answers.")
            case "failed":
                lines.append("!! \(timer.relay): last renewal FAILED (\(timer.error ?? "no answer")); the alarm goes off at \(deadline) unless you check in.")
            default:
                lines.append(timer.tier == 2
                    ? "  \(timer.relay): tier 2 is alerted at \(deadline) if the alarm goes off and nobody in tier 1 acknowledges it (\(timer.alerts) alert(s))"
                    : "  \(timer.relay): alerts go out at \(deadline) unless you check in (\(timer.alerts) alert(s))")
            }
        }
        if !view.unreachable.isEmpty {
            lines.append("!! The switch cannot reach \(view.unreachable.joined(separator: ", ")): no mailbox on one of your relays.")
        }
        sections.append(lines.joined(separator: "\n"))
        for escalation in view.escalations { sections.append(self.escalation(escalation).joined(separator: "\n")) }
        sections.append(outbox(OutboxReport(messages: view.outbox, deliveredNow: 0), flushed: false))
        sections.append(view.overdue.isEmpty ? "No contact is overdue." : view.overdue.map(overdue).joined(separator: "\n"))
        return sections.joined(separator: "\n\n")
    }

    /// A check-in's status for people; under duress, `IN DANGER — sent under duress`.
    private static func statusPhrase(_ status: String, duress: Bool) -> String {
        let phrase = CheckInStatus(rawValue: status)?.phrase ?? status
        return duress ? phrase + " — sent under duress" : phrase
    }
}
