import Testing
@testable import VigilApp
import VigilProtocol

@Suite("Pure policies: retry backoff, accepted window, overdue detection")
struct PolicyTests {
    private func at(_ seconds: UInt64) -> Timestamp { Timestamp(secondsSince1970: seconds) }

    @Test func retriesBackOffExponentiallyUpToTheCap() {
        let policy = RetryPolicy(initialDelay: 5, maxDelay: 300)
        #expect((1...8).map { policy.delay(afterFailures: $0) } == [5, 10, 20, 40, 80, 160, 300, 300])
        #expect(policy.delay(afterFailures: 0) == 0)
        #expect(policy.delay(afterFailures: 10_000) == 300)
        #expect(policy.nextAttempt(afterFailures: 3, now: at(1000)) == at(1020))
    }

    @Test func aRelaysRetryAfterIsHonouredUpToTheCap() {
        let policy = RetryPolicy(initialDelay: 5, maxDelay: 300)
        #expect(policy.nextAttempt(afterFailures: 1, now: at(1000), retryAfter: 60) == at(1060))
        #expect(policy.nextAttempt(afterFailures: 1, now: at(1000), retryAfter: 2) == at(1005))
        #expect(policy.nextAttempt(afterFailures: 1, now: at(1000), retryAfter: 86_400) == at(1300))
    }

    @Test func aDeliveryIsDueWhenItsWaitIsOverAndNeverOnceDelivered() {
        let policy = RetryPolicy()
        var delivery = Delivery(
            contactKey: "k", alias: "a", relayURL: "http://r", mailboxID: "m", blob: .init([1]), status: .pending,
            attempts: 0)
        #expect(policy.isDue(delivery, now: at(0)))
        delivery.attempts = 2
        delivery.nextAttemptAt = at(100)
        #expect(!policy.isDue(delivery, now: at(99)))
        #expect(policy.isDue(delivery, now: at(100)))
        delivery.status = .delivered
        #expect(!policy.isDue(delivery, now: at(1000)))
    }

    static let windowCases: [(UInt64, AcceptWindow.Verdict)] = [
        (10_000_000, .accepted),
        (10_000_000 - 14 * 86_400, .accepted),
        (10_000_000 - 14 * 86_400 - 1, .tooOld),
        (10_000_000 + 300, .accepted),
        (10_000_000 + 301, .inFuture),
        (0, .tooOld),
        (UInt64.max, .inFuture),
    ]

    @Test(arguments: windowCases)
    func theAcceptedWindowIsFourteenDaysBackAndFiveMinutesAhead(createdAt: UInt64, verdict: AcceptWindow.Verdict) {
        #expect(AcceptWindow().check(createdAt: at(createdAt), now: at(10_000_000)) == verdict)
    }

    private func contact(_ alias: String, due: UInt64?, verified: Bool = false) throws -> Contact {
        let card = try ContactCard(
            identity: Identity(), displayName: alias,
            mailboxes: [try MailboxAddress(relayURL: "http://relay.test", mailboxID: "AAAAAAAAAAAAAAAAAAAAAAAA")], createdAt: at(1))
        var contact = Contact(alias: alias, card: card, addedAt: at(1))
        contact.verified = verified
        contact.lastCheckIn = CheckInRecord(
            messageID: "00", sentAt: at(500), receivedAt: at(500), status: "ok", nextDueAt: due.map(at))
        return contact
    }

    @Test func aContactIsOverdueOnlyOnceTheirDueTimePlusGraceHasPassed() throws {
        let late = try contact("late", due: 1000)
        let grace: UInt64 = 900
        #expect(OverdueDetector.overdue([late], now: at(1000), graceSeconds: grace).isEmpty)
        #expect(OverdueDetector.overdue([late], now: at(1900), graceSeconds: grace).isEmpty)
        let overdue = OverdueDetector.overdue([late], now: at(1901), graceSeconds: grace)
        #expect(overdue.map(\.alias) == ["late"])
        #expect(overdue.first?.overdueSeconds == 901)
        #expect(overdue.first?.dueAt == 1000)
        #expect(overdue.first?.lastCheckInAt == 500)
    }

    @Test func contactsWithoutADueTimeAreNeverOverdueAndTheLatestComeFirst() throws {
        let contacts = [try contact("none", due: nil), try contact("a bit", due: 5000), try contact("very", due: 1000)]
        var never = try contact("never checked in", due: nil)
        never.lastCheckIn = nil
        let overdue = OverdueDetector.overdue(contacts + [never], now: at(10_000), graceSeconds: 0)
        #expect(overdue.map(\.alias) == ["very", "a bit"])
        #expect(OverdueDetector.overdue(contacts, now: at(10_000), graceSeconds: .max).isEmpty)
    }
}

@Suite("What a failed command says about the mailboxes it had made")
struct DiscardNoteTests {
    private func account(_ url: String) -> RelayAccount {
        RelayAccount(
            url: url, mailboxID: "AAAAAAAAAAAAAAAAAAAAAAAA", ownerSeed: SecretSeed.random(), addedAt: Timestamp(secondsSince1970: 0),
            lastFetchedID: 0, unacknowledged: [])
    }

    @Test func noMailboxesNothingToSay() {
        #expect(VigilSession.discardNote([], leftOver: []) == "")
    }

    @Test func deletedOneOrSeveral() {
        #expect(VigilSession.discardNote([account("http://a")], leftOver: []) == " (the mailbox it had made was deleted again)")
        #expect(VigilSession.discardNote([account("http://a"), account("http://b")], leftOver: [])
            == " (the mailboxes it had made were deleted again)")
    }

    @Test func aMailboxThatCouldNotBeDeletedIsNamed() {
        #expect(VigilSession.discardNote([account("http://a"), account("http://b")], leftOver: ["http://b"])
            == " (an unused mailbox stays on http://b: it could not be deleted)")
        #expect(VigilSession.discardNote([account("http://a"), account("http://b")], leftOver: ["http://a", "http://b"])
            == " (unused mailboxes stay on http://a, http://b: they could not be deleted)")
    }
}
