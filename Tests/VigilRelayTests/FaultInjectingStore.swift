import Synchronization
import VigilStorage

/// A real store with switchable failures, for the refusals only a failing disk or database
/// causes (`507 storage_full`, `500 internal_error`). A failing call does nothing.
final class FaultInjectingStore: RelayStore {
    let base: SQLiteRelayStore
    private let fault = Mutex<StoreError?>(nil)

    init(_ base: SQLiteRelayStore) { self.base = base }

    /// The error every deposit throws from now on; nil to heal.
    func failDeposits(with error: StoreError?) { fault.withLock { $0 = error } }

    func createMailbox(id: String, ownerKey: [UInt8], createdAt: UInt64) async throws(StoreError) {
        try await base.createMailbox(id: id, ownerKey: ownerKey, createdAt: createdAt)
    }

    func ownerKey(ofMailbox id: String) async throws(StoreError) -> [UInt8]? {
        try await base.ownerKey(ofMailbox: id)
    }

    func deposit(mailboxID: String, blob: [UInt8], receivedAt: UInt64, quota: MailboxQuota) async throws(StoreError) -> DepositOutcome {
        if let error = fault.withLock({ $0 }) { throw error }
        return try await base.deposit(mailboxID: mailboxID, blob: blob, receivedAt: receivedAt, quota: quota)
    }

    func pending(mailboxID: String, after: Int64, limit: Int) async throws(StoreError) -> (messages: [StoredMessage], more: Bool) {
        try await base.pending(mailboxID: mailboxID, after: after, limit: limit)
    }

    func acknowledge(mailboxID: String, ids: [Int64], at time: UInt64) async throws(StoreError) -> Int {
        try await base.acknowledge(mailboxID: mailboxID, ids: ids, at: time)
    }

    func deleteMailbox(id: String) async throws(StoreError) -> Bool {
        try await base.deleteMailbox(id: id)
    }

    func purge(before cutoff: UInt64) async throws(StoreError) -> Int {
        try await base.purge(before: cutoff)
    }

    func statistics() async throws(StoreError) -> StoreStatistics {
        try await base.statistics()
    }

    func armTimer(
        id: String, timerKey: [UInt8], deadline: UInt64, blobs: [TimerBlob], createdAt: UInt64, maxTimers: Int
    ) async throws(StoreError) -> Bool {
        try await base.armTimer(
            id: id, timerKey: timerKey, deadline: deadline, blobs: blobs, createdAt: createdAt, maxTimers: maxTimers)
    }

    func timerKey(of id: String) async throws(StoreError) -> [UInt8]? {
        try await base.timerKey(of: id)
    }

    func renewTimer(id: String, deadline: UInt64, blobs: [TimerBlob]?, now: UInt64) async throws(StoreError) -> Bool {
        try await base.renewTimer(id: id, deadline: deadline, blobs: blobs, now: now)
    }

    func disarmTimer(id: String, now: UInt64) async throws(StoreError) -> Bool {
        try await base.disarmTimer(id: id, now: now)
    }

    func timerStatus(id: String, now: UInt64) async throws(StoreError) -> TimerStatus? {
        try await base.timerStatus(id: id, now: now)
    }

    func fireDueTimers(now: UInt64, limit: Int) async throws(StoreError) -> FiredTimers {
        try await base.fireDueTimers(now: now, limit: limit)
    }

    func nextTimerDeadline() async throws(StoreError) -> UInt64? {
        try await base.nextTimerDeadline()
    }

    func close() async {
        await base.close()
    }
}
