import Foundation
import Testing
@_spi(Testing) import VigilStorage

/// Dead man's switch timers in the SQLite store: armed durably, renewed, disarmed, and fired
/// exactly once, in one transaction.
@Suite struct TimerStoreTests {
    static let timer = "TTTTTTTTTTTTTTTTTTTTTTTT"
    static let otherTimer = "UUUUUUUUUUUUUUUUUUUUUUUU"
    static let timerKey = [UInt8](repeating: 0x33, count: 32)
    static let deadline: UInt64 = 10_000

    /// One alert per fixture mailbox.
    static let bundle = [
        TimerBlob(mailboxID: Fixture.mailbox, blob: Fixture.blob(100)),
        TimerBlob(mailboxID: Fixture.otherMailbox, blob: Fixture.blob(101)),
    ]

    func arm(
        _ store: SQLiteRelayStore, id: String = timer, deadline: UInt64 = deadline, blobs: [TimerBlob] = bundle,
        maxTimers: Int = 100
    ) async throws -> Bool {
        try await store.armTimer(
            id: id, timerKey: Self.timerKey, deadline: deadline, blobs: blobs, createdAt: 1_000, maxTimers: maxTimers)
    }

    @Test("A timer fires at its deadline, delivers each blob into its mailbox once, and is gone")
    func firesOnceAtDeadline() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            #expect(try await arm(store))
            #expect(try await store.timerKey(of: Self.timer) == Self.timerKey)
            #expect(try await store.timerStatus(id: Self.timer, now: 2_000) == TimerStatus(deadline: Self.deadline, blobs: 2))
            #expect(try await store.nextTimerDeadline() == Self.deadline)
            #expect(try await store.statistics().timers == 1)

            let early = try await store.fireDueTimers(now: Self.deadline - 1, limit: 100)
            #expect(early == FiredTimers(timers: 0, deliveredBlobs: 0, mailboxIDs: []))
            #expect(try await store.allPending().isEmpty)

            let fired = try await store.fireDueTimers(now: Self.deadline, limit: 100)
            #expect(fired == FiredTimers(timers: 1, deliveredBlobs: 2, mailboxIDs: [Fixture.mailbox, Fixture.otherMailbox]))
            #expect(try await store.allPending().map(\.blob) == [Fixture.blob(100)])
            #expect(try await store.allPending().map(\.receivedAt) == [Self.deadline])
            #expect(try await store.allPending(Fixture.otherMailbox).map(\.blob) == [Fixture.blob(101)])
            #expect(try await store.timerKey(of: Self.timer) == nil)
            #expect(try await store.nextTimerDeadline() == nil)
            #expect(try await store.statistics().timers == 0)

            let again = try await store.fireDueTimers(now: Self.deadline + 100, limit: 100)
            #expect(again.timers == 0)
            #expect(try await store.statistics().blobs == 2)
        }
    }

    @Test("Arming refuses an unknown target mailbox, a full relay and a taken ID, storing nothing")
    func armingRefusals() async throws {
        try await withStore { store, _ in
            try await store.createMailbox(id: Fixture.mailbox, ownerKey: Fixture.ownerKey, createdAt: 1)
            await #expect(throws: StoreError.mailboxNotFound) { try await arm(store) }
            #expect(try await store.timerKey(of: Self.timer) == nil)
            #expect(try await store.statistics().timers == 0)

            let one = [TimerBlob(mailboxID: Fixture.mailbox, blob: Fixture.blob(1))]
            #expect(try await arm(store, blobs: one, maxTimers: 1))
            #expect(try await arm(store, blobs: one, maxTimers: 2) == false)
            await #expect(throws: StoreError.tooManyTimers) { try await arm(store, id: Self.otherTimer, blobs: one, maxTimers: 1) }
            #expect(try await store.statistics().timers == 1)
        }
    }

    @Test("Renewing moves the deadline; a due timer can no longer be renewed, disarmed or seen")
    func renewal() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            #expect(try await arm(store))
            #expect(try await store.renewTimer(id: Self.timer, deadline: 20_000, blobs: nil, now: 9_000))
            #expect(try await store.fireDueTimers(now: 15_000, limit: 100).timers == 0)
            #expect(try await store.timerStatus(id: Self.timer, now: 15_000) == TimerStatus(deadline: 20_000, blobs: 2))

            #expect(try await store.renewTimer(id: Self.timer, deadline: 30_000, blobs: nil, now: 20_000) == false)
            #expect(try await store.disarmTimer(id: Self.timer, now: 20_000) == false)
            #expect(try await store.timerStatus(id: Self.timer, now: 20_000) == nil)
            #expect(try await store.renewTimer(id: Self.otherTimer, deadline: 30_000, blobs: nil, now: 1) == false)

            #expect(try await store.fireDueTimers(now: 20_000, limit: 100).deliveredBlobs == 2)
        }
    }

    @Test("A renewal that replaces the bundle delivers only the new blobs")
    func renewalReplacesBundle() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            #expect(try await arm(store))
            let replacement = [TimerBlob(mailboxID: Fixture.otherMailbox, blob: Fixture.blob(200))]
            #expect(try await store.renewTimer(id: Self.timer, deadline: 12_000, blobs: replacement, now: 9_000))
            #expect(try await store.timerStatus(id: Self.timer, now: 9_000)?.blobs == 1)

            // A replacement naming an unknown mailbox changes nothing.
            let bad = [TimerBlob(mailboxID: "ZZZZZZZZZZZZZZZZZZZZZZZZ", blob: Fixture.blob(300))]
            await #expect(throws: StoreError.mailboxNotFound) {
                try await store.renewTimer(id: Self.timer, deadline: 50_000, blobs: bad, now: 9_000)
            }
            #expect(try await store.timerStatus(id: Self.timer, now: 9_000) == TimerStatus(deadline: 12_000, blobs: 1))

            _ = try await store.fireDueTimers(now: 12_000, limit: 100)
            #expect(try await store.allPending().isEmpty)
            #expect(try await store.allPending(Fixture.otherMailbox).map(\.blob) == [Fixture.blob(200)])
        }
    }

    @Test("A disarmed timer never fires")
    func disarm() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            #expect(try await arm(store))
            #expect(try await store.disarmTimer(id: Self.timer, now: 5_000))
            #expect(try await store.disarmTimer(id: Self.timer, now: 5_000) == false)
            #expect(try await store.fireDueTimers(now: 100_000, limit: 100).timers == 0)
            #expect(try await store.statistics() == StoreStatistics(mailboxes: 2, blobs: 0, bytes: 0, timers: 0))
        }
    }

    @Test("Firing ignores mailbox quotas, skips deleted mailboxes and bytes already delivered")
    func firingRules() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            let alreadyThere = Fixture.blob(100)
            _ = try await store.store(alreadyThere)
            // The mailbox is full by a one-blob quota; the alarm goes in anyway.
            let full = MailboxQuota(maxBlobs: 1, maxBytes: 1 << 20)
            await #expect(throws: StoreError.quotaExceeded) {
                try await store.deposit(mailboxID: Fixture.mailbox, blob: Fixture.blob(7), receivedAt: 3_000, quota: full)
            }
            let blobs = [
                TimerBlob(mailboxID: Fixture.mailbox, blob: alreadyThere),
                TimerBlob(mailboxID: Fixture.mailbox, blob: Fixture.blob(102)),
                TimerBlob(mailboxID: Fixture.otherMailbox, blob: Fixture.blob(103)),
            ]
            #expect(try await arm(store, blobs: blobs))
            #expect(try await store.deleteMailbox(id: Fixture.otherMailbox))

            let fired = try await store.fireDueTimers(now: Self.deadline, limit: 100)
            #expect(fired == FiredTimers(timers: 1, deliveredBlobs: 1, mailboxIDs: [Fixture.mailbox]))
            #expect(try await store.allPending().map(\.blob) == [alreadyThere, Fixture.blob(102)])
            #expect(try await store.ownerKey(ofMailbox: Fixture.otherMailbox) == nil)
        }
    }

    @Test("Due timers fire oldest deadline first, at most `limit` per call")
    func firingLimit() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            for (index, id) in ["AAAAAAAAAAAAAAAAAAAAAAA1", "AAAAAAAAAAAAAAAAAAAAAAA2", "AAAAAAAAAAAAAAAAAAAAAAA3"].enumerated() {
                let blobs = [TimerBlob(mailboxID: Fixture.mailbox, blob: Fixture.blob(index))]
                #expect(try await arm(store, id: id, deadline: 3_000 - UInt64(index), blobs: blobs))
            }
            #expect(try await store.nextTimerDeadline() == 2_998)
            #expect(try await store.fireDueTimers(now: 5_000, limit: 2).timers == 2)
            #expect(try await store.allPending().map(\.blob) == [Fixture.blob(2), Fixture.blob(1)])
            #expect(try await store.fireDueTimers(now: 5_000, limit: 2).timers == 1)
            #expect(try await store.allPending().count == 3)
        }
    }

    @Test("An armed timer survives closing the store, and fires once after reopening")
    func survivesReopening() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/relay.sqlite"
            let first = try SQLiteRelayStore(path: path)
            try await first.createFixtureMailboxes()
            #expect(try await arm(first))
            await first.close()

            let second = try SQLiteRelayStore(path: path)
            #expect(try await second.fireDueTimers(now: Self.deadline + 3_600, limit: 100).deliveredBlobs == 2)
            await second.close()

            let third = try SQLiteRelayStore(path: path)
            #expect(try await third.fireDueTimers(now: Self.deadline + 7_200, limit: 100).timers == 0)
            #expect(try await third.statistics() == StoreStatistics(mailboxes: 2, blobs: 2, bytes: 128, timers: 0))
            await third.close()
        }
    }

    @Test("A firing that fails midway (full disk) delivers nothing and keeps the timer; the retry delivers once")
    func failedFiringIsAllOrNothing() async throws {
        try await withStore { store, _ in
            try await store.createFixtureMailboxes()
            let blobs = (0..<8).map { TimerBlob(mailboxID: Fixture.mailbox, blob: Fixture.blob($0, size: 16_000)) }
                + [TimerBlob(mailboxID: Fixture.otherMailbox, blob: Fixture.blob(99, size: 16_000))]
            #expect(try await arm(store, blobs: blobs))
            // No room for one more page: the deliveries cannot all be written.
            _ = try await store.setMaximumPageCount(1)
            await #expect(throws: StoreError.storageFull) { try await store.fireDueTimers(now: Self.deadline, limit: 100) }
            #expect(try await store.statistics() == StoreStatistics(mailboxes: 2, blobs: 0, bytes: 0, timers: 1))
            #expect(try await store.timerStatus(id: Self.timer, now: 0)?.blobs == 9)

            _ = try await store.setMaximumPageCount(1 << 30)
            #expect(try await store.fireDueTimers(now: Self.deadline, limit: 100).deliveredBlobs == 9)
            #expect(try await store.fireDueTimers(now: Self.deadline, limit: 100).timers == 0)
            #expect(try await store.allPending().count == 8)
            #expect(try await store.allPending(Fixture.otherMailbox).count == 1)
        }
    }
}
