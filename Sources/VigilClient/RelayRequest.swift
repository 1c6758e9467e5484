public import Foundation
import VigilCrypto
import VigilRelayAPI

/// A relay request as it will go on the wire: method, URL, headers and body, signed when the
/// endpoint requires it. A pure value: building one does no I/O.
///
/// The signature (``RequestAuthentication/sign(method:path:query:body:timestamp:ownerKey:)``)
/// covers exactly ``method``, ``path`` and ``query`` as they appear in ``url``, and ``body``, so
/// the relay verifies the bytes it received. Anything that rewrites the request in between (a
/// front proxy that strips a path prefix, say) makes the relay answer `404 not_found`.
public struct RelayRequest: Sendable {
    /// `GET`, `POST` or `DELETE`.
    public let method: String
    /// The full URL, base URL prefix included.
    public let url: URL
    /// The path exactly as sent (percent-encoded), as signed.
    public let path: String
    /// The query exactly as sent, without `?`; empty for none. As signed.
    public let query: String
    /// Headers to send: `Content-Type` for bodies, and the three `Vigil-` headers when signed.
    public let headers: [String: String]
    /// The body bytes (empty for none).
    public let body: [UInt8]
    /// The status the relay answers with when it accepts the request.
    public let successStatus: Int
    /// Seconds the relay may legitimately hold the request before answering (a long-poll's
    /// `wait`), to be added to the request timeout.
    public let holdSeconds: Int

    /// Builds the request for `endpoint` against `base`, signing it with `timestamp` when the
    /// endpoint is owner-signed (a fresh random nonce every time).
    /// - Throws: ``RelayClientError/invalidArgument(_:)`` for a malformed mailbox or timer ID, an
    ///   empty blob or timer bundle, or a negative `after`/`limit`/`wait`. Ranges the relay configures (largest blob,
    ///   longest wait) are left to the relay.
    public init(_ endpoint: RelayEndpoint, base: RelayBaseURL, timestamp: UInt64) throws(RelayClientError) {
        var method = "GET"
        var apiPath: String
        var query = ""
        var body: [UInt8] = []
        var contentType: String?
        var signer: SigningKeyPair?
        var successStatus = 200
        var holdSeconds = 0

        switch endpoint {
        case .createMailbox(let ownerKey):
            method = "POST"
            apiPath = "/v1/mailboxes"
            body = try Self.json(CreateMailboxRequest(ownerKey: Hex.encode(ownerKey.publicKey.rawRepresentation)))
            contentType = "application/json"
            signer = ownerKey
            successStatus = 201
        case .deposit(let mailboxID, let blob):
            guard !blob.isEmpty else { throw .invalidArgument("an empty message cannot be deposited") }
            method = "POST"
            apiPath = try Self.mailboxPath(mailboxID) + "/messages"
            body = blob
            contentType = "application/octet-stream"
            successStatus = 201
        case .fetch(let mailboxID, let ownerKey, let after, let limit, let wait):
            guard after >= 0, limit >= 0, wait >= 0 else {
                throw .invalidArgument("after, limit and wait must not be negative")
            }
            apiPath = try Self.mailboxPath(mailboxID) + "/messages"
            query = "after=\(after)&limit=\(limit)&wait=\(wait)"
            signer = ownerKey
            holdSeconds = wait
        case .acknowledge(let mailboxID, let ownerKey, let ids):
            method = "POST"
            apiPath = try Self.mailboxPath(mailboxID) + "/messages/ack"
            body = try Self.json(AcknowledgeRequest(ids: ids))
            contentType = "application/json"
            signer = ownerKey
        case .deleteMailbox(let mailboxID, let ownerKey):
            method = "DELETE"
            apiPath = try Self.mailboxPath(mailboxID)
            signer = ownerKey
        case .armTimer(let timerKey, let deadline, let blobs):
            try Self.checkBundle(blobs)
            method = "POST"
            apiPath = "/v1/timers"
            body = try Self.json(ArmTimerRequest(
                timerKey: Hex.encode(timerKey.publicKey.rawRepresentation), deadline: deadline, blobs: blobs))
            contentType = "application/json"
            signer = timerKey
            successStatus = 201
        case .renewTimer(let timerID, let timerKey, let deadline, let blobs):
            if let blobs { try Self.checkBundle(blobs) }
            method = "POST"
            apiPath = try Self.timerPath(timerID) + "/renew"
            body = try Self.json(RenewTimerRequest(deadline: deadline, blobs: blobs))
            contentType = "application/json"
            signer = timerKey
        case .disarmTimer(let timerID, let timerKey):
            method = "DELETE"
            apiPath = try Self.timerPath(timerID)
            signer = timerKey
        case .timerStatus(let timerID, let timerKey):
            apiPath = try Self.timerPath(timerID)
            signer = timerKey
        case .health:
            apiPath = "/v1/health"
        }

        let (url, path) = try base.url(apiPath: apiPath, query: query)
        var headers: [String: String] = ["Accept": "application/json"]
        if let contentType { headers["Content-Type"] = contentType }
        if let signer {
            let signed = RequestAuthentication.sign(
                method: method, path: path, query: query, body: body, timestamp: timestamp, ownerKey: signer)
            headers[RequestAuthentication.timestampHeader] = String(signed.timestamp)
            headers[RequestAuthentication.nonceHeader] = signed.nonce
            headers[RequestAuthentication.signatureHeader] = signed.signature
        }
        self.method = method
        self.url = url
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.successStatus = successStatus
        self.holdSeconds = holdSeconds
    }

    /// `/v1/mailboxes/{id}`; the ID must have the shape of any relay's mailbox ID, which needs
    /// no percent-encoding and cannot smuggle path segments or a query.
    private static func mailboxPath(_ mailboxID: String) throws(RelayClientError) -> String {
        guard MailboxIDs.isWellFormed(mailboxID) else {
            throw .invalidArgument("a mailbox ID is 16 to 64 characters of A-Z a-z 0-9 - _")
        }
        return "/v1/mailboxes/" + mailboxID
    }

    /// `/v1/timers/{id}`; timer IDs have the shape of mailbox IDs.
    private static func timerPath(_ timerID: String) throws(RelayClientError) -> String {
        guard MailboxIDs.isWellFormed(timerID) else {
            throw .invalidArgument("a timer ID is 16 to 64 characters of A-Z a-z 0-9 - _")
        }
        return "/v1/timers/" + timerID
    }

    /// A bundle the relay could accept: not empty, each blob non-empty and bound for a
    /// well-formed mailbox ID. The relay's own limits (count, sizes) are left to it.
    private static func checkBundle(_ blobs: [TimerBlobPayload]) throws(RelayClientError) {
        guard !blobs.isEmpty else { throw .invalidArgument("a timer needs at least one message") }
        for item in blobs {
            guard MailboxIDs.isWellFormed(item.mailboxID) else {
                throw .invalidArgument("a mailbox ID is 16 to 64 characters of A-Z a-z 0-9 - _")
            }
            guard !item.blob.isEmpty else { throw .invalidArgument("an empty message cannot be deposited") }
        }
    }

    private static func json(_ value: some Encodable) throws(RelayClientError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw .invalidArgument("the request body could not be encoded")
        }
    }
}
