public import VigilCrypto
public import VigilRelayAPI

/// One call of the relay API (Protocol/relay-api.md, "Endpoints"), with its arguments.
///
/// Owner-signed calls carry the mailbox's owner key, timer calls the timer key; ``RelayRequest``
/// signs them. The key is used
/// only to sign and is never written into a request, an error or a description.
public enum RelayEndpoint: Sendable {
    /// `POST /v1/mailboxes`, signed by the new owner key.
    case createMailbox(ownerKey: SigningKeyPair)
    /// `POST /v1/mailboxes/{id}/messages`, unsigned; the body is the blob.
    case deposit(mailboxID: String, blob: [UInt8])
    /// `GET /v1/mailboxes/{id}/messages?after=&limit=&wait=`, signed.
    case fetch(mailboxID: String, ownerKey: SigningKeyPair, after: Int64, limit: Int, wait: Int)
    /// `POST /v1/mailboxes/{id}/messages/ack`, signed.
    case acknowledge(mailboxID: String, ownerKey: SigningKeyPair, ids: [Int64])
    /// `DELETE /v1/mailboxes/{id}`, signed.
    case deleteMailbox(mailboxID: String, ownerKey: SigningKeyPair)
    /// `POST /v1/timers`, signed by the new timer key (a key made for this timer only).
    case armTimer(timerKey: SigningKeyPair, deadline: UInt64, blobs: [TimerBlobPayload])
    /// `POST /v1/timers/{id}/renew`, signed by the timer key; nil `blobs` keeps the bundle.
    case renewTimer(timerID: String, timerKey: SigningKeyPair, deadline: UInt64, blobs: [TimerBlobPayload]?)
    /// `DELETE /v1/timers/{id}`, signed by the timer key.
    case disarmTimer(timerID: String, timerKey: SigningKeyPair)
    /// `GET /v1/timers/{id}`, signed by the timer key.
    case timerStatus(timerID: String, timerKey: SigningKeyPair)
    /// `GET /v1/health`, unsigned.
    case health
}
