import Foundation
import VigilClient
import VigilCrypto
import VigilProtocol
import VigilRelayAPI

/// What one receive pass came to, across the mailboxes it read.
struct ReceiveResult: Sendable {
    var batch = ReceiveBatch()
    /// Mailboxes that could not be read, with why; their messages wait at the relay.
    var relayErrors: [RelayFailure] = []

    mutating func merge(_ other: ReceiveBatch) {
        batch.newEntries += other.newEntries
        batch.views += other.views
        batch.duplicates += other.duplicates
        batch.refused.merge(other.refused, uniquingKeysWith: +)
        batch.acknowledgements += other.acknowledgements
        batch.receiptsQueued += other.receiptsQueued
    }
}

extension VigilSession {
    /// Largest number of blobs asked for per fetch.
    static let fetchLimit = 100
    /// Most fetches from one mailbox per pass: a relay that always says there is more must not
    /// keep a pass (and the other mailboxes' messages) from finishing. The rest waits for the
    /// next pass.
    static let maxPagesPerPass = 20

    /// Fetches from this person's mailboxes (those on `accounts`, or all), concurrently: opens,
    /// verifies and stores each message (state written first), then acknowledges it to the
    /// relay. Refused blobs are counted and acknowledged too, so that they do not block the
    /// mailbox. Receipts for contacts' messages are queued.
    /// - Parameters:
    ///   - wait: seconds a fetch may wait at the relay for the first message (long-poll).
    ///   - markShown: whether the new messages count as shown (by `watch`, which prints them).
    ///   - onStored: called with each batch once it is stored, before it is acknowledged to the
    ///     relay: what is marked shown must be shown even when the acknowledgement fails.
    func receive(
        accounts: Set<String>? = nil, wait: Int, markShown: Bool, onStored: (@Sendable (ReceiveBatch) async -> Void)? = nil
    ) async -> ReceiveResult {
        let state: AppState
        let proxy: URL?
        do {
            state = try self.state()
            proxy = try self.proxy(state)
        } catch {
            return ReceiveResult(relayErrors: [RelayFailure(relay: "all relays", error: error.message)])
        }
        let selected = state.relays.filter { accounts?.contains($0.url) ?? true }
        return await withTaskGroup(of: ReceiveResult.self) { group in
            for account in selected {
                group.addTask { await self.receive(from: account, proxy: proxy, wait: wait, markShown: markShown, onStored: onStored) }
            }
            var total = ReceiveResult()
            for await result in group {
                total.merge(result.batch)
                total.relayErrors += result.relayErrors
            }
            return total
        }
    }

    /// One mailbox: acknowledge what was stored earlier but not acknowledged, then fetch and
    /// process until nothing more waits, or ``maxPagesPerPass`` fetches were made. Fetched IDs
    /// are checked by ``RelayResponse`` (increasing from `after`, below 2^53) before they become
    /// the fetch position.
    private func receive(
        from account: RelayAccount, proxy: URL?, wait: Int, markShown: Bool, onStored: (@Sendable (ReceiveBatch) async -> Void)?
    ) async -> ReceiveResult {
        var result = ReceiveResult()
        let url = account.url
        do {
            let owner = try account.ownerSeed.signingKeyPair()
            let relay = try connection(to: url, proxy: proxy)
            if !account.unacknowledged.isEmpty {
                try await acknowledge(account.unacknowledged, at: relay, account: account, owner: owner)
            }
            var after = account.lastFetchedID
            var firstWait = wait
            for _ in 0..<Self.maxPagesPerPass {
                let response = try await relay.fetch(
                    mailboxID: account.mailboxID, ownerKey: owner, after: after, limit: Self.fetchLimit, wait: firstWait)
                firstWait = 0
                guard !response.messages.isEmpty else { break }
                let blobs = response.messages.map { FetchedBlob(relayURL: url, relayMessageID: $0.id, blob: Array($0.blob)) }
                let ids = response.messages.map(\.id)
                let batch = try await store(blobs, ids: ids, account: account, markShown: markShown)
                result.merge(batch)
                await onStored?(batch)
                after = ids.max() ?? after
                try await acknowledge(ids, at: relay, account: account, owner: owner)
                if !response.more { break }
            }
        } catch let error as RelayClientError {
            result.relayErrors.append(RelayFailure(relay: url, error: error.description))
        } catch let error as VigilError {
            result.relayErrors.append(RelayFailure(relay: url, error: error.message))
        } catch {
            result.relayErrors.append(RelayFailure(relay: url, error: "\(error)"))
        }
        return result
    }

    /// Processes fetched blobs and writes the state: the messages, the new fetch position and
    /// the IDs still to acknowledge, all in one write.
    private func store(_ blobs: [FetchedBlob], ids: [Int64], account: RelayAccount, markShown: Bool) async throws(VigilError) -> ReceiveBatch {
        let identity = keys.identity
        let now = self.now
        return try await update { state in
            guard let index = state.relays.firstIndex(where: { $0.url == account.url && $0.mailboxID == account.mailboxID }) else {
                throw VigilError.usage("the mailbox on \(account.url) was removed meanwhile")
            }
            // Another process may have handled some of these meanwhile.
            let fresh = blobs.filter { $0.relayMessageID > state.relays[index].lastFetchedID }
            var batch = Receiver.process(fresh, into: &state, identity: identity, now: now)
            if markShown {
                let shown = Set(batch.newEntries.map(\.messageID))
                for entryIndex in state.inbox.indices where shown.contains(state.inbox[entryIndex].messageID) {
                    state.inbox[entryIndex].shown = true
                }
                for entryIndex in batch.newEntries.indices { batch.newEntries[entryIndex].shown = true }
            }
            batch.views = batch.newEntries.map { MessageView($0, contacts: state.contacts, sent: state.sent) }
            state.relays[index].lastFetchedID = max(state.relays[index].lastFetchedID, ids.max() ?? 0)
            state.relays[index].unacknowledged = Array(Set(state.relays[index].unacknowledged + ids)).sorted()
            return batch
        }
    }

    /// Acknowledges stored blobs to the relay, then forgets that they need it.
    private func acknowledge(_ ids: [Int64], at relay: any RelayConnection, account: RelayAccount, owner: SigningKeyPair) async throws {
        for start in stride(from: 0, to: ids.count, by: AcknowledgeRequest.maxIDs) {
            let chunk = Array(ids[start..<min(start + AcknowledgeRequest.maxIDs, ids.count)])
            _ = try await relay.acknowledge(mailboxID: account.mailboxID, ownerKey: owner, ids: chunk)
        }
        let done = Set(ids)
        _ = try await update { state in
            if let index = state.relays.firstIndex(where: { $0.url == account.url && $0.mailboxID == account.mailboxID }) {
                state.relays[index].unacknowledged.removeAll { done.contains($0) }
            }
        }
    }

    /// Fetches from every mailbox, retries the outbox, and returns what to show: the messages not
    /// shown before (all recent ones with `all`), acknowledgements, overdue contacts, problems.
    public func inbox(all: Bool) async throws(VigilError) -> InboxReport {
        let received = await receive(wait: 0, markShown: false)
        let escalations = (try? await advanceEscalations(fetched: received.relayErrors.isEmpty)) ?? []
        _ = try? await deliver(messages: nil, force: false)
        let now = self.now
        let grace: UInt64? = context.graceOverride
        return try await update { state in
            let chosen = state.inbox.indices.filter { all || !state.inbox[$0].shown }
            for index in chosen { state.inbox[index].shown = true }
            let messages = chosen.map { MessageView(state.inbox[$0], contacts: state.contacts, sent: state.sent) }
            let sent = all ? state.sent.map { SentView($0, contacts: state.contacts) } : []
            let overdue = OverdueDetector.overdue(state.contacts, now: now, graceSeconds: grace ?? state.settings.graceSeconds)
            return InboxReport(
                messages: messages, acknowledgements: received.batch.acknowledgements, sent: sent, overdue: overdue,
                refused: received.batch.refused, duplicates: received.batch.duplicates, relayErrors: received.relayErrors,
                queued: state.outbox.filter { !$0.isComplete }.count, escalations: escalations)
        }
    }
}

extension SentView {
    init(_ record: SentRecord, contacts: [Contact]) {
        messageID = record.messageID
        kind = record.kind
        summary = record.summary
        createdAt = record.createdAt.secondsSince1970
        deliveredTo = record.recipients.filter { $0.deliveredAt != nil }.map(\.alias)
        let received = record.recipients.filter { $0.receiptAt != nil }
        receivedBy = received.map(\.alias)
        receivers = received.map { SenderView(senderKey: $0.contactKey, contacts: contacts) }
        acknowledgements = record.acknowledgements.map { ack in
            AcknowledgementView(
                messageID: record.messageID, kind: record.kind, summary: record.summary, sentAt: record.createdAt.secondsSince1970,
                by: SenderView(senderKey: ack.contactKey, contacts: contacts), note: ack.note, at: ack.at.secondsSince1970)
        }
    }
}
