/// A mailbox the benchmark created, and the key that owns it.
struct Mailbox: Sendable {
    let owner: MailboxOwner
    let id: String
}
