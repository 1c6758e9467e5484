public import Foundation

// The JSON bodies of the relay API, exactly as Protocol/relay-api.md shows them.

/// `POST /v1/mailboxes` request.
public struct CreateMailboxRequest: Codable, Hashable, Sendable {
    /// Lower-case hex of the owner's Ed25519 public key.
    public var ownerKey: String
    public init(ownerKey: String) { self.ownerKey = ownerKey }
    enum CodingKeys: String, CodingKey { case ownerKey = "owner_key" }
}

/// `POST /v1/mailboxes` response.
public struct CreateMailboxResponse: Codable, Hashable, Sendable {
    public var mailboxID: String
    public init(mailboxID: String) { self.mailboxID = mailboxID }
    enum CodingKeys: String, CodingKey { case mailboxID = "mailbox_id" }
}

/// Deposit response.
public struct DepositResponse: Codable, Hashable, Sendable {
    public var id: Int64
    public init(id: Int64) { self.id = id }
}

/// One blob in a fetch response.
public struct FetchedMessage: Codable, Hashable, Sendable {
    public var id: Int64
    public var receivedAt: UInt64
    /// The blob, base64-encoded on the wire.
    public var blob: Data
    public init(id: Int64, receivedAt: UInt64, blob: Data) {
        self.id = id
        self.receivedAt = receivedAt
        self.blob = blob
    }
    enum CodingKeys: String, CodingKey { case id, receivedAt = "received_at", blob }
}

/// Fetch response.
public struct FetchResponse: Codable, Hashable, Sendable {
    public var messages: [FetchedMessage]
    public var more: Bool
    public init(messages: [FetchedMessage], more: Bool) {
        self.messages = messages
        self.more = more
    }
}

/// Acknowledge request.
public struct AcknowledgeRequest: Codable, Hashable, Sendable {
    public var ids: [Int64]
    public init(ids: [Int64]) { self.ids = ids }
    /// Most IDs one request may list.
    public static let maxIDs = 1000
}

/// Acknowledge response.
public struct AcknowledgeResponse: Codable, Hashable, Sendable {
    public var deleted: Int
    public init(deleted: Int) { self.deleted = deleted }
}

/// Delete-mailbox response.
public struct DeleteMailboxResponse: Codable, Hashable, Sendable {
    public var deleted: Bool
    public init(deleted: Bool) { self.deleted = deleted }
}

/// Health response.
public struct HealthResponse: Codable, Hashable, Sendable {
    public var status: String
    public init(status: String) { self.status = status }
}

/// The body of every refusal.
public struct ErrorResponse: Codable, Hashable, Sendable {
    public struct Detail: Codable, Hashable, Sendable {
        /// A ``RelayErrorCode`` raw value; a newer relay may send codes this client does not know.
        public var code: String
        public var message: String
        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }
    public var error: Detail
    public init(code: RelayErrorCode, message: String) {
        self.error = Detail(code: code.rawValue, message: message)
    }
}

// MARK: - Timers

/// One blob of a timer's bundle: an alert already sealed to a contact, and the mailbox (on the
/// same relay) it is delivered to when the timer fires.
public struct TimerBlobPayload: Codable, Hashable, Sendable {
    public var mailboxID: String
    /// The blob, base64-encoded on the wire.
    public var blob: Data
    public init(mailboxID: String, blob: Data) {
        self.mailboxID = mailboxID
        self.blob = blob
    }
    enum CodingKeys: String, CodingKey { case mailboxID = "mailbox_id", blob }
}

/// `POST /v1/timers` request.
public struct ArmTimerRequest: Codable, Hashable, Sendable {
    /// Lower-case hex of the timer's Ed25519 public key (a key made for this timer only).
    public var timerKey: String
    /// Unix seconds.
    public var deadline: UInt64
    public var blobs: [TimerBlobPayload]
    public init(timerKey: String, deadline: UInt64, blobs: [TimerBlobPayload]) {
        self.timerKey = timerKey
        self.deadline = deadline
        self.blobs = blobs
    }
    enum CodingKeys: String, CodingKey { case timerKey = "timer_key", deadline, blobs }
}

/// `POST /v1/timers` response.
public struct ArmTimerResponse: Codable, Hashable, Sendable {
    public var timerID: String
    public init(timerID: String) { self.timerID = timerID }
    enum CodingKeys: String, CodingKey { case timerID = "timer_id" }
}

/// `POST /v1/timers/{id}/renew` request. Without `blobs`, the bundle stays as it is.
public struct RenewTimerRequest: Codable, Hashable, Sendable {
    public var deadline: UInt64
    public var blobs: [TimerBlobPayload]?
    public init(deadline: UInt64, blobs: [TimerBlobPayload]? = nil) {
        self.deadline = deadline
        self.blobs = blobs
    }
}

/// `POST /v1/timers/{id}/renew` response.
public struct RenewTimerResponse: Codable, Hashable, Sendable {
    public var deadline: UInt64
    public init(deadline: UInt64) { self.deadline = deadline }
}

/// `GET /v1/timers/{id}` response.
public struct TimerStatusResponse: Codable, Hashable, Sendable {
    public var deadline: UInt64
    /// How many blobs the bundle holds.
    public var blobs: Int
    public init(deadline: UInt64, blobs: Int) {
        self.deadline = deadline
        self.blobs = blobs
    }
}

/// `DELETE /v1/timers/{id}` response.
public struct DisarmTimerResponse: Codable, Hashable, Sendable {
    public var deleted: Bool
    public init(deleted: Bool) { self.deleted = deleted }
}
