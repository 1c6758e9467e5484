import Foundation
import VigilApp
@_spi(Fuzzing) import VigilClient
import VigilCrypto
import VigilRelayAPI

/// In-memory relays for library tests: mailboxes with owner keys, idempotent deposits (the same
/// bytes into the same mailbox are stored once), fetch after an ID, acknowledge; any relay can be
/// taken "down" so that every request to it fails as a connection failure would.
final class FakeRelays: RelayConnector, @unchecked Sendable {
    struct Stored {
        var id: Int64
        var blob: [UInt8]
    }

    struct Mailbox {
        var owner: SigningPublicKey
        var pending: [Stored] = []
        var digests: [[UInt8]: Int64] = [:]
    }

    private let lock = NSLock()
    private var mailboxes: [String: Mailbox] = [:]
    private var nextID: Int64 = 1
    private var down: Set<String> = []
    /// Every deposit accepted, including repeats: (relay URL, mailbox ID, bytes).
    private(set) var depositLog: [(String, String, [UInt8])] = []
    /// Called before an acknowledgement is applied, with the mailbox ID and IDs.
    var onAcknowledge: (@Sendable (String, [Int64]) -> Void)?

    func setDown(_ url: String, _ isDown: Bool) {
        lock.withLock { if isDown { down.insert(url) } else { down.remove(url) } }
    }

    /// While set, every acknowledgement fails as a connection failure would, while fetches
    /// still work: a relay that goes away between handing out a message and its acknowledgement.
    func setAcknowledgementsFail(_ fail: Bool) {
        lock.withLock { acknowledgementsFail = fail }
    }
    private var acknowledgementsFail = false

    /// Replaces what a relay answers to fetches (given `after` and `limit`), as a misbehaving
    /// relay might; nil restores the normal answers. Every answer, this one included, goes
    /// through the real client's checks (``RelayResponse``).
    func setFetchAnswer(_ url: String, _ answer: (@Sendable (Int64, Int) -> FetchResponse)?) {
        lock.withLock { fetchAnswers[url] = answer }
    }
    private var fetchAnswers: [String: @Sendable (Int64, Int) -> FetchResponse] = [:]

    /// How many fetches each relay was asked.
    func fetchCount(_ url: String) -> Int { lock.withLock { fetchCounts[url, default: 0] } }
    private var fetchCounts: [String: Int] = [:]

    /// `response` as the real client takes it: encoded as a relay would send it, then checked.
    fileprivate func asReceived(_ response: FetchResponse, url: String, after: Int64, limit: Int) throws(RelayClientError) -> FetchResponse {
        let override = lock.withLock {
            fetchCounts[url, default: 0] += 1
            return fetchAnswers[url]
        }
        let answer = override.map { $0(after, limit) } ?? response
        let body: Data
        do {
            body = try JSONEncoder().encode(answer)
        } catch {
            throw .invalidResponse("the fake relay could not encode its answer")
        }
        return try RelayResponse(status: 200, headers: [:], body: body).fetched(after: after, limit: limit)
    }

    fileprivate func checkAcknowledgement() throws(RelayClientError) {
        if lock.withLock({ acknowledgementsFail }) {
            throw .transport("the connection was lost before the answer was complete: retry")
        }
    }

    /// Puts raw bytes into a mailbox, as a hostile or replaying relay might.
    func inject(_ blob: [UInt8], mailboxID: String) -> Int64 {
        lock.withLock {
            let id = nextID
            nextID += 1
            mailboxes[mailboxID]?.pending.append(Stored(id: id, blob: blob))
            return id
        }
    }

    func pendingCount(_ mailboxID: String) -> Int {
        lock.withLock { mailboxes[mailboxID]?.pending.count ?? 0 }
    }

    var deposits: [(String, String, [UInt8])] { lock.withLock { depositLog } }

    func connection(to url: String) throws(RelayClientError) -> any RelayConnection {
        _ = lock.withLock { connected.insert(url) }
        return Connection(url: url, relays: self)
    }

    /// Every relay URL a connection was asked for.
    var connectedURLs: Set<String> { lock.withLock { connected } }
    private var connected: Set<String> = []

    fileprivate func check(_ url: String) throws(RelayClientError) {
        if lock.withLock({ down.contains(url) }) {
            throw .transport("could not connect: check the relay URL and that the relay is running")
        }
    }

    fileprivate func create(_ url: String, owner: SigningPublicKey) -> String {
        lock.withLock {
            let id = MailboxIDs.generate()
            mailboxes[id] = Mailbox(owner: owner)
            return id
        }
    }

    fileprivate func deposit(_ url: String, mailboxID: String, blob: [UInt8]) throws(RelayClientError) -> Int64 {
        let result: Int64? = lock.withLock {
            guard var mailbox = mailboxes[mailboxID] else { return nil }
            depositLog.append((url, mailboxID, blob))
            if let existing = mailbox.digests[blob] { return existing }
            let id = nextID
            nextID += 1
            mailbox.pending.append(Stored(id: id, blob: blob))
            mailbox.digests[blob] = id
            mailboxes[mailboxID] = mailbox
            return id
        }
        guard let result else { throw .relay(RelayRefusal(status: 404, code: .notFound, rawCode: "not_found", message: "")) }
        return result
    }

    fileprivate func fetch(mailboxID: String, owner: SigningPublicKey, after: Int64, limit: Int) throws(RelayClientError) -> FetchResponse {
        let result: FetchResponse? = lock.withLock {
            guard let mailbox = mailboxes[mailboxID], mailbox.owner == owner else { return nil }
            let newer = mailbox.pending.filter { $0.id > after }
            return FetchResponse(
                messages: newer.prefix(limit).map { FetchedMessage(id: $0.id, receivedAt: 0, blob: Data($0.blob)) },
                more: newer.count > limit)
        }
        guard let result else { throw .relay(RelayRefusal(status: 404, code: .notFound, rawCode: "not_found", message: "")) }
        return result
    }

    fileprivate func acknowledge(mailboxID: String, owner: SigningPublicKey, ids: [Int64]) -> Int {
        onAcknowledge?(mailboxID, ids)
        return lock.withLock {
            guard var mailbox = mailboxes[mailboxID], mailbox.owner == owner else { return 0 }
            let before = mailbox.pending.count
            mailbox.pending.removeAll { ids.contains($0.id) }
            mailboxes[mailboxID] = mailbox
            return before - mailbox.pending.count
        }
    }

    private struct Connection: RelayConnection {
        let url: String
        let relays: FakeRelays

        func createMailbox(ownerKey: SigningKeyPair) async throws(RelayClientError) -> String {
            try relays.check(url)
            return relays.create(url, owner: ownerKey.publicKey)
        }

        func deposit(mailboxID: String, blob: [UInt8]) async throws(RelayClientError) -> Int64 {
            try relays.check(url)
            return try relays.deposit(url, mailboxID: mailboxID, blob: blob)
        }

        func fetch(mailboxID: String, ownerKey: SigningKeyPair, after: Int64, limit: Int, wait: Int) async throws(RelayClientError) -> FetchResponse {
            try relays.check(url)
            let response = try relays.fetch(mailboxID: mailboxID, owner: ownerKey.publicKey, after: after, limit: limit)
            if response.messages.isEmpty && wait > 0 {
                // A long-poll: come back after a short while (tests keep it short), or when cancelled.
                try? await Task.sleep(for: .milliseconds(50))
                if Task.isCancelled { throw .cancelled }
                let later = try relays.fetch(mailboxID: mailboxID, owner: ownerKey.publicKey, after: after, limit: limit)
                return try relays.asReceived(later, url: url, after: after, limit: limit)
            }
            return try relays.asReceived(response, url: url, after: after, limit: limit)
        }

        func acknowledge(mailboxID: String, ownerKey: SigningKeyPair, ids: [Int64]) async throws(RelayClientError) -> Int {
            try relays.check(url)
            try relays.checkAcknowledgement()
            return relays.acknowledge(mailboxID: mailboxID, owner: ownerKey.publicKey, ids: ids)
        }

        func deleteMailbox(mailboxID: String, ownerKey: SigningKeyPair) async throws(RelayClientError) -> Bool {
            try relays.check(url)
            return true
        }
    }
}
