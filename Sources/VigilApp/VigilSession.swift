public import Foundation
import VigilClient
public import VigilCrypto
public import VigilProtocol

/// One person's unlocked Vigil: the library behind every `vigil` command, meant to be reused by
/// any other front end.
///
/// Opening a session unlocks the keystore once; every change to the state then takes the file
/// lock, re-reads the state, changes it and writes it atomically, and the lock is never held
/// across network I/O, so several sessions (a `watch` and a `panic`, say) can run side by side.
public final class VigilSession: Sendable {
    /// Where and how this session runs.
    public let context: VigilContext
    let keys: UnlockedKeys
    let store: StateStore
    private let connectors = LockedDictionary<String, AnyRelayConnector>()

    init(context: VigilContext, keys: UnlockedKeys) {
        self.context = context
        self.keys = keys
        self.store = StateStore(home: context.home, key: keys.stateKey)
    }

    /// The person's public identity.
    public var publicIdentity: PublicIdentity { keys.identity.publicIdentity }

    var now: Timestamp { context.clock() }

    // MARK: Opening

    /// Unlocks the keystore in `context.home`, calling `passphrase` only when it is protected by one.
    /// - Throws: ``VigilError``: not set up (exit 1), wrong or missing passphrase (exit 2),
    ///   a damaged keystore or state (exit 4).
    public static func open(_ context: VigilContext, passphrase: () throws(VigilError) -> SecureBytes) throws(VigilError) -> VigilSession {
        guard let bytes = try AtomicFile.read(context.home.keystorePath, limit: 1 << 20) else {
            throw .notInitialised(context.home.path)
        }
        try context.home.prepare()
        let keys = try Keystore.unlock(bytes, path: context.home.keystorePath, passphrase: passphrase)
        let session = VigilSession(context: context, keys: keys)
        _ = try session.store.read()
        return session
    }

    /// Sets up Vigil in `context.home`: a new identity, a mailbox on each relay given, the state
    /// and the keystore (written last: a crash before leaves nothing that counts as set up).
    ///
    /// A relay that cannot be reached is reported in ``InitReport/failedRelays`` and left out;
    /// when relays were given and none worked, nothing is written.
    /// - Throws: ``VigilError``: already set up, an invalid name or relay URL (exit 1), no relay
    ///   reachable (exit 5).
    public static func initialize(
        _ context: VigilContext, name: String, relays: [String], protection: Keystore.Protection
    ) async throws(VigilError) -> (VigilSession, InitReport) {
        try context.home.prepare()
        guard !context.home.isInitialised else {
            throw .usage("Vigil is already set up in \(context.home.path): nothing was changed. Use another VIGIL_HOME for a second identity")
        }
        try InputRules.checkDisplayName(name)
        let urls = try relays.map { (url) throws(VigilError) in try InputRules.relayURL(url) }
        guard Set(urls).count == urls.count else { throw .usage("a relay is listed twice") }
        guard urls.count <= ContactCard.maxMailboxes else { throw .usage("a card lists at most \(ContactCard.maxMailboxes) relays") }

        let (keys, keystoreBytes) = try Keystore.create(protection: protection)
        let session = VigilSession(context: context, keys: keys)
        let now = context.clock()
        var state = AppState(displayName: name, now: now)
        state.settings.proxy = context.proxyOverride?.absoluteString

        var failures: [RelayFailure] = []
        let results = await session.createMailboxes(urls, proxy: context.proxyOverride)
        for (url, result) in results {
            switch result {
            case .success(let account): state.relays.append(account)
            case .failure(let error): failures.append(RelayFailure(relay: url, error: error.message))
            }
        }
        if !urls.isEmpty && state.relays.isEmpty {
            let reasons = failures.map { "\($0.relay): \($0.error)" }.joined(separator: "; ")
            throw VigilError(.unreachable, "no relay could be reached, so nothing was set up: \(reasons)")
        }
        let written: VigilError?
        do {
            try FileLock.withExclusiveLock(context.home.lockPath) {
                guard !context.home.isInitialised else {
                    throw VigilError.usage("Vigil was set up in \(context.home.path) by another process meanwhile: nothing was changed")
                }
                try session.store.create(state)
                try AtomicFile.write(keystoreBytes, to: context.home.keystorePath)
            }
            written = nil
        } catch let error as VigilError {
            written = error
        } catch {
            written = VigilError(.usage, "\(error)")
        }
        if let written {
            // Nothing refers to the mailboxes just made: delete them rather than leave them behind.
            let leftOver = await session.discardMailboxes(state.relays, proxy: context.proxyOverride)
            throw VigilError(written.exitCode, written.message + Self.discardNote(state.relays, leftOver: leftOver))
        }
        let protected: Bool
        if case .passphrase = protection { protected = true } else { protected = false }
        let report = InitReport(
            home: context.home.path, passphraseProtected: protected, card: session.cardView(state), failedRelays: failures)
        return (session, report)
    }

    // MARK: State access

    /// The current state, read without the lock (writes are atomic renames).
    func state() throws(VigilError) -> AppState {
        try store.read()
    }

    /// Changes the state under the lock: re-read, `body`, prune, atomic write. Runs on a thread
    /// of its own, so that waiting for the lock never blocks the concurrency pool.
    func update<R: Sendable>(_ body: @escaping @Sendable (inout AppState) throws -> R) async throws(VigilError) -> R {
        let store = self.store
        let now = self.now
        let result: Result<R, VigilError> = await withCheckedContinuation { continuation in
            Self.fileQueue.async {
                do {
                    continuation.resume(returning: .success(try store.update(now: now, body)))
                } catch let error as VigilError {
                    continuation.resume(returning: .failure(error))
                } catch {
                    continuation.resume(returning: .failure(VigilError(.usage, "\(error)")))
                }
            }
        }
        return try result.get()
    }

    private static let fileQueue = DispatchQueue(label: "vigil.state")

    // MARK: Relays

    /// The proxy relay requests must go through: this run's (`--proxy`), else the stored
    /// setting; nil for none.
    public func effectiveProxy() throws(VigilError) -> URL? {
        try proxy(try state())
    }

    /// The effective proxy: this run's, else the stored setting.
    func proxy(_ state: AppState) throws(VigilError) -> URL? {
        if let override = context.proxyOverride { return override }
        guard let stored = state.settings.proxy else { return nil }
        guard let url = URL(string: stored), ProxyAddress(url) != nil else {
            throw .usage("the stored proxy \(stored) cannot be used: fix it with `vigil config --proxy URL`")
        }
        return url
    }

    /// The connection to a relay, through the effective proxy.
    func connection(to relayURL: String, proxy: URL?) throws(RelayClientError) -> any RelayConnection {
        let key = proxy?.absoluteString ?? ""
        let connector: AnyRelayConnector
        if let existing = connectors[key] {
            connector = existing
        } else {
            do {
                connector = AnyRelayConnector(try context.makeConnector(proxy))
            } catch let error as RelayClientError {
                throw error
            } catch {
                throw .proxyUnavailable("\(error)")
            }
            connectors[key] = connector
        }
        return try connector.base.connection(to: relayURL)
    }

    /// Makes a mailbox with a fresh owner key on each relay, concurrently.
    func createMailboxes(_ urls: [String], proxy: URL?) async -> [(String, Result<RelayAccount, VigilError>)] {
        let now = self.now
        return await withTaskGroup(of: (Int, Result<RelayAccount, VigilError>).self) { group in
            for (index, url) in urls.enumerated() {
                group.addTask {
                    let seed = SecretSeed.random()
                    do {
                        let owner = try seed.signingKeyPair()
                        let id = try await self.connection(to: url, proxy: proxy).createMailbox(ownerKey: owner)
                        let account = RelayAccount(
                            url: url, mailboxID: id, ownerSeed: seed, addedAt: now, lastFetchedID: 0, unacknowledged: [])
                        guard account.address != nil else {
                            _ = await self.discardMailboxes([account], proxy: proxy)
                            return (index, .failure(VigilError(.unreachable, "the relay issued a mailbox ID a card cannot carry")))
                        }
                        return (index, .success(account))
                    } catch let error as RelayClientError {
                        return (index, .failure(VigilError(.unreachable, error.description)))
                    } catch {
                        return (index, .failure(VigilError(.unreachable, "\(error)")))
                    }
                }
            }
            var results = [(Int, Result<RelayAccount, VigilError>)]()
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map { (urls[$0.0], $0.1) }
        }
    }

    /// Deletes mailboxes made by this command that nothing will refer to (best effort);
    /// returns the relays where that failed.
    func discardMailboxes(_ accounts: [RelayAccount], proxy: URL?) async -> [String] {
        var failed: [String] = []
        for account in accounts {
            do {
                let owner = try account.ownerSeed.signingKeyPair()
                _ = try await connection(to: account.url, proxy: proxy).deleteMailbox(mailboxID: account.mailboxID, ownerKey: owner)
            } catch {
                failed.append(account.url)
            }
        }
        return failed
    }

    /// What became of the mailboxes a failed command had made, for its error message.
    static func discardNote(_ accounts: [RelayAccount], leftOver: [String]) -> String {
        guard !accounts.isEmpty else { return "" }
        if leftOver.isEmpty {
            return accounts.count == 1 ? " (the mailbox it had made was deleted again)" : " (the mailboxes it had made were deleted again)"
        }
        if leftOver.count == 1 { return " (an unused mailbox stays on \(leftOver[0]): it could not be deleted)" }
        return " (unused mailboxes stay on \(leftOver.joined(separator: ", ")): they could not be deleted)"
    }

    // MARK: Card

    /// This person's card, as it is now (nil without any relay).
    func card(_ state: AppState) -> ContactCard? {
        let mailboxes = state.relays.compactMap(\.address)
        guard !mailboxes.isEmpty else { return nil }
        return try? ContactCard(
            identity: keys.identity, displayName: state.profile.displayName, mailboxes: Array(mailboxes.prefix(ContactCard.maxMailboxes)),
            createdAt: state.profile.cardCreatedAt)
    }

    func cardView(_ state: AppState) -> CardView {
        CardView(
            name: state.profile.displayName, fingerprint: publicIdentity.fingerprint.description, card: card(state)?.text,
            relays: state.relays.map(\.url), createdAt: state.profile.cardCreatedAt.secondsSince1970)
    }

    /// This person's name, fingerprint and card.
    public func card() throws(VigilError) -> CardView {
        cardView(try state())
    }
}

/// A connector in a class box, so that it can sit in a ``LockedDictionary``.
final class AnyRelayConnector: Sendable {
    let base: any RelayConnector
    init(_ base: any RelayConnector) { self.base = base }
}
