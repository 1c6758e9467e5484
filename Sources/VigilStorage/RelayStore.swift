/// The relay's durable storage: mailboxes, the blobs waiting in them, and dead man's switch
/// timers holding blobs to deliver later.
///
/// Every method may block on disk; implementations keep that work off the Swift concurrency
/// pool (on threads of their own) and resume the caller when it is done. A successful
/// ``deposit(mailboxID:blob:receivedAt:quota:)`` means the blob is durable: it survives a crash
/// or power loss from the moment the call returns.
///
/// The SQLite implementation, ``SQLiteRelayStore``, is the embedded default. The protocol exists
/// so that a deployment running several relay processes can put them on a shared database.
public protocol RelayStore: Sendable {
    /// Registers a new mailbox. Throws ``StoreError/mailboxExists`` when the ID is taken.
    func createMailbox(id: String, ownerKey: [UInt8], createdAt: UInt64) async throws(StoreError)

    /// The owner key of a mailbox, or nil when there is no such mailbox.
    func ownerKey(ofMailbox id: String) async throws(StoreError) -> [UInt8]?

    /// Stores `blob` in a mailbox, durably, and returns its message ID.
    ///
    /// The same bytes deposited again into the same mailbox — while the first copy is pending,
    /// or after it was acknowledged but before its digest expired — store nothing and return
    /// the first copy's ID as ``DepositOutcome/duplicate(id:)``.
    /// - Throws: ``StoreError/mailboxNotFound``, ``StoreError/quotaExceeded``,
    ///   ``StoreError/storageFull``; nothing is stored when it throws.
    func deposit(mailboxID: String, blob: [UInt8], receivedAt: UInt64, quota: MailboxQuota) async throws(StoreError) -> DepositOutcome

    /// Pending blobs of a mailbox with IDs greater than `after`, oldest first, at most `limit`,
    /// and whether more exist beyond them. An unknown mailbox has none.
    func pending(mailboxID: String, after: Int64, limit: Int) async throws(StoreError) -> (messages: [StoredMessage], more: Bool)

    /// Deletes the listed blobs of a mailbox for good (their content is overwritten on disk) and
    /// keeps only their digests, so that a retried deposit of the same bytes is recognised.
    /// Returns how many pending blobs were deleted; IDs not pending in this mailbox are ignored.
    func acknowledge(mailboxID: String, ids: [Int64], at time: UInt64) async throws(StoreError) -> Int

    /// Deletes a mailbox with everything in it, digests included. False when it did not exist.
    func deleteMailbox(id: String) async throws(StoreError) -> Bool

    /// Deletes blobs received before `cutoff` and digests of acknowledgements made before it.
    /// Returns how many blobs were deleted.
    func purge(before cutoff: UInt64) async throws(StoreError) -> Int

    /// Counts for the metrics endpoint.
    func statistics() async throws(StoreError) -> StoreStatistics

    // MARK: Dead man's switch timers

    /// Arms a timer, durably: when `deadline` passes without renewal, ``fireDueTimers(now:limit:)``
    /// delivers each blob of the bundle into its mailbox. Returns false (and stores nothing) when
    /// the ID is taken.
    /// - Throws: ``StoreError/mailboxNotFound`` when a target mailbox does not exist,
    ///   ``StoreError/tooManyTimers`` when `maxTimers` timers are already armed,
    ///   ``StoreError/storageFull``; nothing is stored when it throws.
    func armTimer(
        id: String, timerKey: [UInt8], deadline: UInt64, blobs: [TimerBlob], createdAt: UInt64, maxTimers: Int
    ) async throws(StoreError) -> Bool

    /// The key of an armed timer, or nil when there is no such timer (never armed, disarmed or
    /// fired).
    func timerKey(of id: String) async throws(StoreError) -> [UInt8]?

    /// Moves an armed timer's deadline, and replaces its bundle when `blobs` is not nil.
    /// Returns false, changing nothing, when there is no such timer or its deadline is not after
    /// `now` (it is due: it fires, whatever comes in now).
    /// - Throws: ``StoreError/mailboxNotFound`` when a new target mailbox does not exist.
    func renewTimer(id: String, deadline: UInt64, blobs: [TimerBlob]?, now: UInt64) async throws(StoreError) -> Bool

    /// Deletes an armed timer and its bundle. False when there is no such timer or it is due.
    func disarmTimer(id: String, now: UInt64) async throws(StoreError) -> Bool

    /// An armed timer's deadline and bundle size; nil when there is no such timer or it is due.
    func timerStatus(id: String, now: UInt64) async throws(StoreError) -> TimerStatus?

    /// Fires up to `limit` timers whose deadline is at or before `now`, oldest deadline first, in
    /// one transaction: every blob of each goes into its mailbox as a deposit received at `now`
    /// (unless those bytes are already there, or the mailbox was deleted; mailbox quotas do not
    /// apply, so an alarm is never dropped for a full mailbox), and the timer is deleted. A
    /// crash delivers all of it or none, and a timer is delivered exactly once.
    func fireDueTimers(now: UInt64, limit: Int) async throws(StoreError) -> FiredTimers

    /// The earliest deadline of an armed timer; nil when none is armed.
    func nextTimerDeadline() async throws(StoreError) -> UInt64?

    /// Finishes pending work and closes the database. Later calls throw ``StoreError/closed``.
    func close() async
}

/// Limits one mailbox may not exceed.
public struct MailboxQuota: Hashable, Sendable {
    /// Most pending blobs.
    public var maxBlobs: Int
    /// Most pending bytes (sum of blob sizes).
    public var maxBytes: Int

    public init(maxBlobs: Int, maxBytes: Int) {
        self.maxBlobs = maxBlobs
        self.maxBytes = maxBytes
    }

    /// 1 000 blobs, 16 MiB.
    public static let `default` = MailboxQuota(maxBlobs: 1000, maxBytes: 16 << 20)
}

/// What a deposit did.
public enum DepositOutcome: Hashable, Sendable {
    /// Stored now, under this ID.
    case stored(id: Int64)
    /// These bytes were deposited before, under this ID; nothing new was stored.
    case duplicate(id: Int64)

    /// The message ID either way.
    public var id: Int64 {
        switch self {
        case .stored(let id), .duplicate(let id): return id
        }
    }
}

/// One pending blob.
public struct StoredMessage: Hashable, Sendable {
    public var id: Int64
    public var receivedAt: UInt64
    public var blob: [UInt8]

    public init(id: Int64, receivedAt: UInt64, blob: [UInt8]) {
        self.id = id
        self.receivedAt = receivedAt
        self.blob = blob
    }
}

/// Totals over the whole store; no identifiers.
public struct StoreStatistics: Hashable, Sendable {
    public var mailboxes: Int
    public var blobs: Int
    public var bytes: Int
    /// Armed dead man's switch timers.
    public var timers: Int

    public init(mailboxes: Int, blobs: Int, bytes: Int, timers: Int = 0) {
        self.mailboxes = mailboxes
        self.blobs = blobs
        self.bytes = bytes
        self.timers = timers
    }
}

/// One blob of a timer's bundle: an alert already sealed to a contact, and the mailbox on this
/// relay it is delivered to when the timer fires. The store never looks inside it.
public struct TimerBlob: Hashable, Sendable {
    public var mailboxID: String
    public var blob: [UInt8]

    public init(mailboxID: String, blob: [UInt8]) {
        self.mailboxID = mailboxID
        self.blob = blob
    }
}

/// An armed timer as its owner may see it.
public struct TimerStatus: Hashable, Sendable {
    public var deadline: UInt64
    /// Blobs in the bundle.
    public var blobs: Int

    public init(deadline: UInt64, blobs: Int) {
        self.deadline = deadline
        self.blobs = blobs
    }
}

/// What one ``RelayStore/fireDueTimers(now:limit:)`` did.
public struct FiredTimers: Hashable, Sendable {
    /// Timers fired (and deleted).
    public var timers: Int
    /// Blobs newly stored in mailboxes.
    public var deliveredBlobs: Int
    /// The mailboxes that received blobs, each once: their waiting fetches are to be woken.
    public var mailboxIDs: [String]

    public init(timers: Int, deliveredBlobs: Int, mailboxIDs: [String]) {
        self.timers = timers
        self.deliveredBlobs = deliveredBlobs
        self.mailboxIDs = mailboxIDs
    }
}

/// Why a store operation failed. Carries no mailbox IDs, keys or blob content.
public enum StoreError: Error, Hashable, Sendable {
    case mailboxNotFound
    case mailboxExists
    /// The mailbox holds its maximum number of blobs or bytes.
    case quotaExceeded
    /// The disk (or the database's size limit) is full; nothing was stored.
    case storageFull
    /// As many timers as the relay allows are armed.
    case tooManyTimers
    /// The store was closed.
    case closed
    /// The database file is damaged or not a Vigil relay database.
    case corrupted(String)
    /// Any other database failure: the operation and SQLite's extended result code.
    case database(operation: String, code: Int32)
}
