public import Foundation
import VigilClient
import VigilProtocol

/// What `config` shows and changes.
public struct ConfigView: Codable, Sendable, Equatable {
    public var name: String
    public var proxy: String?
    public var graceSeconds: UInt64
    public var maxAgeSeconds: UInt64
    public var maxFutureSeconds: UInt64
    /// How long tier 1 has to acknowledge an alert before tier 2 is alerted.
    public var escalateAfterSeconds: UInt64
}

/// Changes to the settings; nil leaves a setting as it is.
public struct ConfigChange: Sendable {
    public var name: String?
    /// `.some(nil)` removes the proxy.
    public var proxy: URL??
    public var graceSeconds: UInt64?
    public var maxAgeSeconds: UInt64?
    public var maxFutureSeconds: UInt64?
    public var escalateAfterSeconds: UInt64?

    /// A change of the given settings only.
    public init(
        name: String? = nil, proxy: URL?? = nil, graceSeconds: UInt64? = nil, maxAgeSeconds: UInt64? = nil, maxFutureSeconds: UInt64? = nil
    ) {
        self.name = name
        self.proxy = proxy
        self.graceSeconds = graceSeconds
        self.maxAgeSeconds = maxAgeSeconds
        self.maxFutureSeconds = maxFutureSeconds
    }

    var isEmpty: Bool {
        name == nil && proxy == nil && graceSeconds == nil && maxAgeSeconds == nil && maxFutureSeconds == nil && escalateAfterSeconds == nil
    }
}

/// What `relays remove` did.
public struct RelayRemovalReport: Codable, Sendable {
    public var removed: String
    /// Why the mailbox could not be deleted at the relay (it is forgotten locally anyway).
    public var relayError: String?
    /// Messages fetched from it before it was removed.
    public var messagesFetched: Int
    public var card: CardView
}

extension VigilSession {
    /// This person's mailboxes.
    public func relays() throws(VigilError) -> [RelayView] {
        try state().relays.map { RelayView(url: $0.url, mailboxID: $0.mailboxID, addedAt: $0.addedAt.secondsSince1970) }
    }

    /// Makes a mailbox on another relay and adds it to the card. The card changes: share it
    /// again so that contacts deliver there too.
    /// - Throws: ``VigilError``: an invalid or duplicate URL, too many relays (exit 1); the relay
    ///   could not be reached (exit 5).
    public func addRelay(_ text: String) async throws(VigilError) -> CardView {
        let url = try InputRules.relayURL(text)
        let state = try self.state()
        guard !state.relays.contains(where: { $0.url == url }) else { throw .usage("you already have a mailbox on \(url)") }
        guard state.relays.count < ContactCard.maxMailboxes else {
            throw .usage("a card lists at most \(ContactCard.maxMailboxes) relays: remove one first")
        }
        let proxy = try proxy(state)
        guard let (_, result) = await createMailboxes([url], proxy: proxy).first else { throw .usage("no relay given") }
        let account = try result.get()
        let now = self.now
        do {
            return try await update { state in
                state.relays.removeAll { $0.url == url }
                state.relays.append(account)
                state.profile.cardCreatedAt = max(now, Timestamp(secondsSince1970: state.profile.cardCreatedAt.secondsSince1970 + 1))
                return self.cardView(state)
            }
        } catch {
            // Not recorded, so never used: delete it rather than leave it behind.
            let leftOver = await discardMailboxes([account], proxy: proxy)
            throw VigilError(error.exitCode, error.message + Self.discardNote([account], leftOver: leftOver))
        }
    }

    /// Fetches what waits in the mailbox on `url`, deletes the mailbox there (best effort) and
    /// removes it from the card. The last relay cannot be removed: a card needs one.
    public func removeRelay(_ text: String) async throws(VigilError) -> RelayRemovalReport {
        let url = (try? InputRules.relayURL(text)) ?? text
        let state = try self.state()
        guard let account = state.relays.first(where: { $0.url == url }) else {
            throw .usage("you have no mailbox on \(url): `vigil relays list` shows them")
        }
        guard state.relays.count > 1 else {
            throw .usage("this is your only relay, and a card needs one: add another first (`vigil relays add URL`)")
        }
        let received = await receive(accounts: [url], wait: 0, markShown: false)
        var relayError = received.relayErrors.first?.error
        if relayError == nil {
            do {
                let proxy = try proxy(state)
                _ = try await connection(to: url, proxy: proxy).deleteMailbox(mailboxID: account.mailboxID, ownerKey: try account.ownerSeed.signingKeyPair())
            } catch let error as RelayClientError {
                relayError = error.description
            } catch {
                relayError = "\(error)"
            }
        }
        let now = self.now
        let failure = relayError
        return try await update { state in
            state.relays.removeAll { $0.url == url }
            state.profile.cardCreatedAt = max(now, Timestamp(secondsSince1970: state.profile.cardCreatedAt.secondsSince1970 + 1))
            return RelayRemovalReport(
                removed: url, relayError: failure, messagesFetched: received.batch.newEntries.count, card: self.cardView(state))
        }
    }

    /// The settings, after applying `change`.
    public func configure(_ change: ConfigChange) async throws(VigilError) -> ConfigView {
        if let name = change.name { try InputRules.checkDisplayName(name) }
        if let delay = change.escalateAfterSeconds, delay == 0 || delay > Self.maxEscalationSeconds {
            throw .usage("--escalate-after must be more than zero and at most 7 days, e.g. 15m")
        }
        if change.isEmpty {
            return Self.configView(try state())
        }
        let now = self.now
        return try await update { state in
            if let name = change.name, name != state.profile.displayName {
                state.profile.displayName = name
                state.profile.cardCreatedAt = max(now, Timestamp(secondsSince1970: state.profile.cardCreatedAt.secondsSince1970 + 1))
            }
            if let proxy = change.proxy { state.settings.proxy = proxy?.absoluteString }
            if let grace = change.graceSeconds { state.settings.graceSeconds = grace }
            if let maxAge = change.maxAgeSeconds { state.settings.maxAgeSeconds = maxAge }
            if let maxFuture = change.maxFutureSeconds { state.settings.maxFutureSeconds = maxFuture }
            if let delay = change.escalateAfterSeconds { state.settings.escalateAfterSeconds = delay }
            return Self.configView(state)
        }
    }

    static func configView(_ state: AppState) -> ConfigView {
        ConfigView(
            name: state.profile.displayName,
            // Credentials (Tor stream isolation) are kept but never shown.
            proxy: state.settings.proxy.map { URL(string: $0).flatMap(ProxyAddress.init)?.description ?? "(unreadable)" },
            graceSeconds: state.settings.graceSeconds,
            maxAgeSeconds: state.settings.maxAgeSeconds, maxFutureSeconds: state.settings.maxFutureSeconds,
            escalateAfterSeconds: state.settings.escalationSeconds)
    }
}
