import VigilCrypto
import VigilProtocol

/// What `contacts add` did.
public struct AddContactReport: Codable, Sendable {
    public var contact: ContactView
    /// `added`, `updated` (a newer card of the same person), or `unchanged` (the same card again).
    public var change: String
    /// Whether an earlier verification no longer holds because the card's keys changed.
    public var verificationReset: Bool
    /// The number to compare with the contact before trusting them.
    public var safetyNumber: String
}

extension VigilSession {
    /// Adds a contact from their card text, or updates one from a newer card of theirs.
    ///
    /// The card is checked completely (checksum, fields, self-signature). A newer card of a
    /// known contact (same signing key, later creation time) replaces the old one and keeps the
    /// alias; their verification is kept only if both keys are unchanged. New contacts start
    /// unverified.
    /// - Throws: ``VigilError`` (usage): an invalid card, one's own card, an older card, an alias
    ///   taken or invalid.
    /// - Parameter tier: 1 (alerted at once) or 2 (alerted when nobody in tier 1 acknowledges an
    ///   alert in time); nil keeps an existing contact's tier, and makes a new one tier 1.
    public func addContact(cardText: String, alias: String?, tier: Int? = nil) async throws(VigilError) -> AddContactReport {
        if let tier, !(1...2).contains(tier) {
            throw .usage("a tier is 1 (alerted at once) or 2 (alerted when tier 1 does not answer)")
        }
        let card: ContactCard
        do {
            card = try ContactCard(text: cardText)
        } catch {
            throw .usage("the card was refused: \(error)")
        }
        guard card.identity != publicIdentity else {
            throw .usage("this is your own card: add the card of the person you want to reach")
        }
        if let alias { try InputRules.checkAlias(alias) }
        let now = self.now
        let mine = publicIdentity
        return try await update { (state) throws -> AddContactReport in
            let signingKey = Hex.encode(card.identity.signingKey.rawRepresentation)
            if let index = state.contacts.firstIndex(where: { $0.signingKeyHex == signingKey }) {
                let existing = state.contacts[index]
                if existing.card.createdAt > card.createdAt {
                    throw VigilError.usage(
                        "this card is older than the one you have for \(existing.alias): nothing was changed. Ask them for their current card (`vigil card`)")
                }
                var change = "unchanged"
                var reset = false
                if existing.card != card {
                    var updated = Contact(alias: existing.alias, card: card, addedAt: existing.addedAt)
                    updated.lastCheckIn = existing.lastCheckIn
                    updated.storedTier = existing.storedTier
                    if existing.card.identity == card.identity {
                        updated.verified = existing.verified
                        updated.verifiedAt = existing.verifiedAt
                    } else {
                        reset = existing.verified
                    }
                    state.contacts[index] = updated
                    change = "updated"
                }
                if let alias, alias != existing.alias {
                    try Self.checkAliasFree(alias, in: state, except: index)
                    state.contacts[index].alias = alias
                }
                if let tier, tier != existing.tier {
                    state.contacts[index].storedTier = tier == 1 ? nil : tier
                    if change == "unchanged" { change = "updated" }
                }
                let contact = state.contacts[index]
                return AddContactReport(
                    contact: ContactView(contact, overdue: false), change: change, verificationReset: reset,
                    safetyNumber: SafetyNumber(mine, card.identity).description)
            }
            let chosen = alias ?? card.displayName
            try InputRules.checkAlias(chosen)
            try Self.checkAliasFree(chosen, in: state, except: nil)
            var contact = Contact(alias: chosen, card: card, addedAt: now)
            contact.storedTier = tier == 2 ? 2 : nil
            state.contacts.append(contact)
            return AddContactReport(
                contact: ContactView(contact, overdue: false), change: "added", verificationReset: false,
                safetyNumber: SafetyNumber(mine, card.identity).description)
        }
    }

    /// Every contact, in the order added.
    public func contacts() throws(VigilError) -> [ContactView] {
        let state = try state()
        let overdue = Set(OverdueDetector.overdue(state.contacts, now: now, graceSeconds: graceSeconds(state)).map(\.contactKey))
        return state.contacts.map { ContactView($0, overdue: overdue.contains($0.signingKeyHex)) }
    }

    /// One contact with the safety number to compare with them.
    public func contact(_ name: String) throws(VigilError) -> ContactView {
        let state = try state()
        let contact = try Self.find(name, in: state)
        let overdue = OverdueDetector.overdue([contact], now: now, graceSeconds: graceSeconds(state)).isEmpty == false
        return ContactView(contact, overdue: overdue, safetyNumber: SafetyNumber(publicIdentity, contact.card.identity))
    }

    /// Marks a contact verified: call only after the person confirmed, over a trusted channel,
    /// that they see the same safety number.
    public func markVerified(_ name: String) async throws(VigilError) -> ContactView {
        let now = self.now
        let mine = publicIdentity
        return try await update { state in
            let index = try Self.index(of: name, in: state)
            state.contacts[index].verified = true
            state.contacts[index].verifiedAt = now
            return ContactView(state.contacts[index], overdue: false, safetyNumber: SafetyNumber(mine, state.contacts[index].card.identity))
        }
    }

    /// Removes a contact. Messages already queued for them stay in the outbox until delivered
    /// or discarded.
    public func removeContact(_ name: String) async throws(VigilError) -> ContactView {
        try await update { state in
            let index = try Self.index(of: name, in: state)
            let removed = state.contacts.remove(at: index)
            return ContactView(removed, overdue: false)
        }
    }

    func graceSeconds(_ state: AppState) -> UInt64 {
        context.graceOverride ?? state.settings.graceSeconds
    }

    /// The contact called `name`: exactly, or else ignoring case when that is unambiguous.
    static func find(_ name: String, in state: AppState) throws(VigilError) -> Contact {
        state.contacts[try index(of: name, in: state)]
    }

    static func index(of name: String, in state: AppState) throws(VigilError) -> Int {
        if let exact = state.contacts.firstIndex(where: { $0.alias == name }) { return exact }
        let folded = state.contacts.indices.filter { state.contacts[$0].alias.lowercased() == name.lowercased() }
        if folded.count == 1 { return folded[0] }
        throw .usage("there is no contact called \"\(name.prefix(64))\": `vigil contacts list` shows them")
    }

    private static func checkAliasFree(_ alias: String, in state: AppState, except: Int?) throws(VigilError) {
        if let clash = state.contacts.indices.first(where: { $0 != except && state.contacts[$0].alias.lowercased() == alias.lowercased() }) {
            throw .usage("there is already a contact called \(state.contacts[clash].alias): choose another name with --alias")
        }
    }
}
