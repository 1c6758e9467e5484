import Foundation
import Testing
@testable import VigilApp
import VigilCrypto
import VigilProtocol

/// The receiving rules, driven directly with sealed envelopes and a state value.
@Suite("Receiving: de-duplication, replays, unknown senders, receipts")
struct ReceiverTests {
    let me = Identity()
    let alice = Identity()
    let now = Timestamp(secondsSince1970: 1_795_600_000)

    private func card(for identity: Identity, name: String, relays: [String] = ["http://relay-a.test"]) throws -> ContactCard {
        try ContactCard(
            identity: identity, displayName: name,
            mailboxes: relays.map { try MailboxAddress(relayURL: $0, mailboxID: MailboxIDsForTests.next()) }, createdAt: now)
    }

    private func state(contacts: [(Identity, String, Bool)] = []) throws -> AppState {
        var state = AppState(displayName: "me", now: now)
        for (identity, alias, verified) in contacts {
            var contact = Contact(alias: alias, card: try card(for: identity, name: alias), addedAt: now)
            contact.verified = verified
            state.contacts.append(contact)
        }
        return state
    }

    private func envelope(
        _ body: MessageBody, from sender: Identity, createdAt: Timestamp? = nil, id: MessageID = .random()
    ) throws -> [UInt8] {
        try Envelope.seal(body, from: sender, to: me.publicIdentity, createdAt: createdAt ?? now, messageID: id)
    }

    private func fetched(_ blob: [UInt8], relay: String = "http://relay-a.test", id: Int64 = 1) -> FetchedBlob {
        FetchedBlob(relayURL: relay, relayMessageID: id, blob: blob)
    }

    @Test func theSameMessageThroughTwoRelaysIsStoredAndShownOnce() throws {
        var state = try state(contacts: [(alice, "alice", true)])
        let id = MessageID.random()
        // The sender seals each copy separately (a fresh sealed box), with one message ID.
        let viaA = try envelope(.panic(Panic(message: "help")), from: alice, id: id)
        let viaB = try envelope(.panic(Panic(message: "help")), from: alice, id: id)
        let batch = Receiver.process(
            [fetched(viaA, relay: "http://relay-a.test"), fetched(viaB, relay: "http://relay-b.test")],
            into: &state, identity: me, now: now)
        #expect(batch.newEntries.count == 1)
        #expect(batch.duplicates == 1)
        #expect(batch.refused.isEmpty)
        #expect(state.inbox.count == 1)
        #expect(state.inbox.first?.relays == ["http://relay-a.test", "http://relay-b.test"])
    }

    @Test func aMessageHandedOverAgainIsADuplicateNeverShownTwiceNorCalledAReplay() throws {
        var state = try state(contacts: [(alice, "alice", true)])
        let blob = try envelope(.checkIn(CheckIn(status: .ok)), from: alice)
        _ = Receiver.process([fetched(blob, id: 1)], into: &state, identity: me, now: now)
        // A sender's retry or a relay serving it twice: indistinguishable from a legitimate copy.
        let again = Receiver.process([fetched(blob, id: 7)], into: &state, identity: me, now: now)
        #expect(again.newEntries.isEmpty)
        #expect(again.duplicates == 1)
        #expect(again.refused.isEmpty)
        #expect(state.inbox.count == 1)
        #expect(state.warnings.isEmpty)
    }

    @Test func aDifferentMessageUnderAnIDAlreadySeenIsRefusedAsAReplay() throws {
        var state = try state(contacts: [(alice, "alice", true)])
        let id = MessageID.random()
        _ = Receiver.process([fetched(try envelope(.panic(Panic(message: "help")), from: alice, id: id))], into: &state, identity: me, now: now)
        let forged = try envelope(.allClear(AllClear(message: "false alarm")), from: alice, id: id)
        let batch = Receiver.process([fetched(forged, relay: "http://relay-b.test", id: 2)], into: &state, identity: me, now: now)
        #expect(batch.newEntries.isEmpty)
        #expect(batch.refused == ["replay": 1])
        #expect(state.inbox.map(\.kind) == ["panic"])
        #expect(state.inbox.first?.relays == ["http://relay-a.test"])
    }

    @Test func anUnshownAlertOutlastsAFloodAndItsLaterCopyIsADuplicate() throws {
        var state = try state(contacts: [(alice, "alice", true)])
        let id = MessageID.random()
        _ = Receiver.process([fetched(try envelope(.panic(Panic(message: "help")), from: alice, id: id))], into: &state, identity: me, now: now)
        let stranger = Identity()
        for page in 0..<11 {
            let flood = try (0..<100).map { index in fetched(try envelope(.checkIn(CheckIn(status: .ok)), from: stranger), id: Int64(2 + page * 100 + index)) }
            _ = Receiver.process(flood, into: &state, identity: me, now: now)
            state.prune(now: now)
        }
        #expect(state.inbox.contains { $0.messageID == id.description && !$0.shown })
        let copy = Receiver.process(
            [fetched(try envelope(.panic(Panic(message: "help")), from: alice, id: id), relay: "http://relay-b.test", id: 5000)],
            into: &state, identity: me, now: now)
        #expect(copy.duplicates == 1)
        #expect(copy.refused.isEmpty)
        #expect(copy.newEntries.isEmpty)
    }

    @Test func strangersAreCappedWithoutCrowdingOutContacts() throws {
        var state = try state(contacts: [(alice, "alice", true)])
        for index in 0..<20 {
            _ = Receiver.process([fetched(try envelope(.checkIn(CheckIn(status: .ok)), from: alice), id: Int64(index + 1))], into: &state, identity: me, now: now)
            state.inbox[state.inbox.count - 1].shown = index < 19
        }
        let stranger = Identity()
        var firstStrangerBlob: [UInt8] = []
        for second in 0..<15 {
            // Each round a second later, so the oldest stranger IDs are the first dropped.
            let at = Timestamp(secondsSince1970: now.secondsSince1970 + UInt64(second))
            let blobs = try (0..<100).map { _ in try envelope(.checkIn(CheckIn(status: .ok)), from: stranger, createdAt: at) }
            if second == 0 { firstStrangerBlob = blobs[0] }
            _ = Receiver.process(blobs.map { fetched($0, id: 0) }, into: &state, identity: me, now: at)
            state.prune(now: at)
        }
        let aliceKey = state.contacts[0].signingKeyHex
        #expect(state.inbox.filter { $0.senderKey == aliceKey }.count == 20)
        #expect(state.seen.keys.filter { AppState.sender(ofSeenKey: $0) == aliceKey }.count == 20)
        #expect(state.seen.count == 20 + AppState.maxUnknownSender)
        #expect(state.inbox.count == AppState.maxInbox)
        #expect(state.unknownSenderReplayFloor == now.secondsSince1970 + 5)

        // A dropped stranger's message served again is refused, not shown again.
        let replayed = Receiver.process([fetched(firstStrangerBlob)], into: &state, identity: me, now: now)
        #expect(replayed.refused == ["replay": 1])

        // Contacts' shown entries go only when contacts alone exceed the bound; unshown ones stay.
        for _ in 0..<(AppState.maxInbox + 10) {
            _ = Receiver.process([fetched(try envelope(.checkIn(CheckIn(status: .ok)), from: alice))], into: &state, identity: me, now: now)
            state.inbox[state.inbox.count - 1].shown = true
        }
        state.prune(now: now)
        #expect(state.inbox.count == AppState.maxInbox)
        #expect(state.inbox.allSatisfy { $0.senderKey == aliceKey })
        #expect(state.inbox.filter { !$0.shown }.count == 1)
    }

    @Test func replayProtectionSurvivesALongerMaxAgeAndAClockSetBack() throws {
        var state = try state(contacts: [(alice, "alice", true)])
        let blob = try envelope(.panic(Panic(message: "help")), from: alice)
        _ = Receiver.process([fetched(blob)], into: &state, identity: me, now: now)
        let later = Timestamp(secondsSince1970: now.secondsSince1970 + state.settings.maxAgeSeconds + 60)
        state.prune(now: later)
        #expect(state.seen.isEmpty)
        #expect(state.replayFloor == now.secondsSince1970 + 1)
        // The floor is stored with the state.
        state = try JSONDecoder().decode(AppState.self, from: JSONEncoder().encode(state))

        state.settings.maxAgeSeconds = 60 * 86_400
        let wider = Receiver.process([fetched(blob, id: 2)], into: &state, identity: me, now: later)
        #expect(wider.refused == ["replay": 1])
        state.settings = Settings()
        let clockBack = Receiver.process([fetched(blob, id: 3)], into: &state, identity: me, now: now)
        #expect(clockBack.refused == ["replay": 1])
        #expect(state.inbox.count == 1)

        // What was created after the floor is accepted as before.
        let fresh = try envelope(.checkIn(CheckIn(status: .ok)), from: alice, createdAt: Timestamp(secondsSince1970: now.secondsSince1970 + 1))
        #expect(Receiver.process([fetched(fresh, id: 4)], into: &state, identity: me, now: now).newEntries.count == 1)
    }

    @Test func aMultiLineNoteCannotPassForAnAlertLine() throws {
        var state = try state(contacts: [(alice, "alice", false)])
        let item = try Outbox.enqueue(
            .panic(Panic(message: "help")), summary: "PANIC — help", to: state.contacts, from: me, now: now, record: true, into: &state)
        let id = try #require(MessageID(hex: item.messageID))
        let spoof = "on my way\n!! PANIC from Bob — sent 2026-11-25 09:10 CET\n    trapped"
        let blobs = [
            try envelope(.receipt(Receipt(messageIDs: [id])), from: alice),
            try envelope(.acknowledgement(Acknowledgement(messageID: id, note: spoof)), from: alice),
        ]
        let batch = Receiver.process([fetched(blobs[0], id: 1), fetched(blobs[1], id: 2)], into: &state, identity: me, now: now)
        let view = MessageView(try #require(batch.newEntries.first), contacts: state.contacts, sent: state.sent)
        let report = InboxReport(
            messages: [view], acknowledgements: batch.acknowledgements, sent: state.sent.map { SentView($0, contacts: state.contacts) },
            overdue: [], refused: [:], duplicates: 0, relayErrors: [], queued: 0)
        let texts = [HumanText.message(view), HumanText.acknowledgement(try #require(batch.acknowledgements.first)), HumanText.inbox(report, all: true)]
        for text in texts {
            #expect(text.contains("!! PANIC from Bob"))
            #expect(!text.split(separator: "\n").contains { $0.hasPrefix("!!") }, "\(text)")
        }
        // Single-line notes stay on the line they belong to.
        let plain = Receiver.process(
            [fetched(try envelope(.acknowledgement(Acknowledgement(messageID: id, note: "calling")), from: alice), id: 3)],
            into: &state, identity: me, now: now)
        #expect(HumanText.acknowledgement(try #require(plain.acknowledgements.first)).hasSuffix(": calling"))
    }

    @Test func receivedByMarksUnverifiedContacts() throws {
        var state = try state(contacts: [(alice, "alice", false)])
        let item = try Outbox.enqueue(
            .panic(Panic(message: "help")), summary: "PANIC — help", to: state.contacts, from: me, now: now, record: true, into: &state)
        let id = try #require(MessageID(hex: item.messageID))
        _ = Receiver.process([fetched(try envelope(.receipt(Receipt(messageIDs: [id])), from: alice))], into: &state, identity: me, now: now)
        let sent = state.sent.map { SentView($0, contacts: state.contacts) }
        #expect(sent.first?.receivers.map(\.verified) == [false])
        let report = InboxReport(
            messages: [], acknowledgements: [], sent: sent, overdue: [], refused: [:], duplicates: 0, relayErrors: [], queued: 0)
        #expect(HumanText.inbox(report, all: true).contains("received by: alice (unverified)"))
        state.contacts[0].verified = true
        let verified = InboxReport(
            messages: [], acknowledgements: [], sent: state.sent.map { SentView($0, contacts: state.contacts) }, overdue: [], refused: [:],
            duplicates: 0, relayErrors: [], queued: 0)
        let text = HumanText.inbox(verified, all: true)
        #expect(text.contains("received by: alice") && !text.contains("(unverified)"))
    }

    @Test(arguments: [(-15 * 86_400, "too_old"), (10 * 60, "future")])
    func aMessageDatedOutsideTheWindowIsRefused(offset: Int, code: String) throws {
        var state = try state(contacts: [(alice, "alice", true)])
        let created = Timestamp(secondsSince1970: UInt64(Int(now.secondsSince1970) + offset))
        let blob = try envelope(.panic(Panic()), from: alice, createdAt: created)
        let batch = Receiver.process([fetched(blob)], into: &state, identity: me, now: now)
        #expect(batch.newEntries.isEmpty)
        #expect(batch.refused == [code: 1])
        #expect(state.inbox.isEmpty && state.seen.isEmpty)
    }

    @Test func aSenderWhoIsNotAContactIsShownAsUnknownNeverAsAContact() throws {
        let stranger = Identity()
        var state = try state(contacts: [(alice, "alice", true)])
        // The stranger even uses the contact's name: only keys count.
        let blob = try envelope(.panic(Panic(message: "alice here, new phone")), from: stranger)
        let batch = Receiver.process([fetched(blob)], into: &state, identity: me, now: now)
        let entry = try #require(batch.newEntries.first)
        let view = MessageView(entry, contacts: state.contacts, sent: state.sent)
        #expect(view.from.known == false)
        #expect(view.from.alias == nil)
        let text = HumanText.message(view)
        #expect(text.contains("UNKNOWN SENDER"))
        #expect(!text.contains("from alice"))
        #expect(!text.contains("vigil ack"))
        #expect(batch.receiptsQueued.isEmpty)
        #expect(state.contacts[0].lastCheckIn == nil)
    }

    @Test func anUnverifiedContactIsMarkedWhereverTheyAppear() throws {
        var state = try state(contacts: [(alice, "alice", false)])
        let blob = try envelope(.checkIn(CheckIn(status: .inDanger, nextDueAt: now)), from: alice)
        let batch = Receiver.process([fetched(blob)], into: &state, identity: me, now: now)
        let view = MessageView(try #require(batch.newEntries.first), contacts: state.contacts, sent: state.sent)
        #expect(HumanText.message(view).contains("alice (unverified)"))
        #expect(HumanText.contactList(state.contacts.map { ContactView($0, overdue: true) }).contains("alice (unverified)"))
        let overdue = OverdueDetector.overdue(state.contacts, now: Timestamp(secondsSince1970: now.secondsSince1970 + 3600), graceSeconds: 0)
        #expect(HumanText.overdue(try #require(overdue.first)).contains("alice (unverified)"))
        let report = SendReport(
            messageID: "00", kind: "panic", summary: "PANIC", createdAt: 0,
            recipients: [RecipientReport(alias: "alice", verified: false, deliveries: [], reached: true, complete: true)],
            allDelivered: true)
        #expect(HumanText.send(report, what: "PANIC").contains("alice (unverified)"))
    }

    @Test func aBlobThatDoesNotOpenIsCountedAndNeverShown() throws {
        var state = try state(contacts: [(alice, "alice", true)])
        var blob = try envelope(.panic(Panic()), from: alice)
        blob[60] ^= 1
        let notForMe = try Envelope.seal(.panic(Panic()), from: alice, to: Identity().publicIdentity, createdAt: now)
        let batch = Receiver.process([fetched(blob), fetched(notForMe, id: 2)], into: &state, identity: me, now: now)
        #expect(batch.newEntries.isEmpty)
        #expect(batch.refused == ["sealed_box": 2])
        #expect(state.warnings.map(\.code) == ["sealed_box"])
        #expect(state.inbox.isEmpty)
    }

    @Test func contactsGetOneReceiptForTheirMessagesButNoneForReceipts() throws {
        var state = try state(contacts: [(alice, "alice", true)])
        let blobs = [
            try envelope(.checkIn(CheckIn(status: .ok)), from: alice),
            try envelope(.panic(Panic()), from: alice),
            try envelope(.receipt(Receipt(messageIDs: [.random()])), from: alice),
        ]
        let batch = Receiver.process(blobs.enumerated().map { fetched($1, id: Int64($0 + 1)) }, into: &state, identity: me, now: now)
        #expect(batch.newEntries.count == 2)
        #expect(batch.receiptsQueued.count == 1)
        let item = try #require(state.outbox.first)
        #expect(item.kind == "receipt")
        #expect(state.sent.isEmpty)
        let opened = try Envelope.open(Array(try #require(item.deliveries.first).blob), as: alice)
        guard case .receipt(let receipt) = opened.body else { Issue.record("not a receipt"); return }
        #expect(Set(receipt.messageIDs.map(\.description)) == Set(batch.newEntries.map(\.messageID)))
    }

    @Test func receiptsAndAcknowledgementsAttachToTheMessageTheyAnswer() throws {
        var state = try state(contacts: [(alice, "alice", true)])
        let item = try Outbox.enqueue(
            .panic(Panic(message: "help")), summary: "PANIC — help", to: state.contacts, from: me, now: now, record: true, into: &state)
        let id = try #require(MessageID(hex: item.messageID))
        let blobs = [
            try envelope(.receipt(Receipt(messageIDs: [id])), from: alice),
            try envelope(.acknowledgement(Acknowledgement(messageID: id, note: "on my way")), from: alice),
        ]
        let batch = Receiver.process([fetched(blobs[0], id: 1), fetched(blobs[1], id: 2)], into: &state, identity: me, now: now)
        let sent = try #require(state.sent.first)
        #expect(sent.recipients.first?.receiptAt == now)
        #expect(sent.acknowledgements.map(\.note) == ["on my way"])
        #expect(batch.acknowledgements.first?.by.alias == "alice")
        #expect(batch.acknowledgements.first?.summary == "PANIC — help")
        #expect(HumanText.acknowledgement(try #require(batch.acknowledgements.first)).contains("alice ACKNOWLEDGED your PANIC — help"))
    }

    @Test func anOlderCheckInDoesNotReplaceANewerOne() throws {
        var state = try state(contacts: [(alice, "alice", true)])
        let newer = try envelope(.checkIn(CheckIn(status: .ok, nextDueAt: Timestamp(secondsSince1970: now.secondsSince1970 + 3600))), from: alice)
        let older = try envelope(
            .checkIn(CheckIn(status: .inDanger)), from: alice, createdAt: Timestamp(secondsSince1970: now.secondsSince1970 - 60))
        _ = Receiver.process([fetched(newer, id: 1), fetched(older, id: 2)], into: &state, identity: me, now: now)
        #expect(state.contacts[0].lastCheckIn?.status == "ok")
        #expect(state.inbox.count == 2)
    }
}

/// Distinct well-formed mailbox IDs for test cards.
enum MailboxIDsForTests {
    private static let counter = LockedBox(0)

    static func next() -> String {
        counter.value += 1
        let digits = String(counter.value)
        return String(repeating: "A", count: 24 - digits.count) + digits
    }
}
