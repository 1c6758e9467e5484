public import Foundation
public import VigilRelayAPI

/// A relay's answer as received, and its strict interpretation. A pure value: tests feed it
/// bytes directly.
///
/// Success bodies must be the documented JSON and pass the checks below; refusals become
/// ``RelayRefusal``s; anything else is ``RelayClientError/invalidResponse(_:)``. Nothing from
/// the answer reaches an error except the status, the error code and the sanitised message.
public struct RelayResponse: Sendable {
    /// The HTTP status.
    public let status: Int
    /// Header values by lower-cased name.
    public let headers: [String: String]
    /// The body bytes.
    public let body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
    }

    /// The body decoded as `T` when the status is `successStatus`.
    /// - Throws: ``RelayClientError/relay(_:)`` for a 4xx or 5xx status,
    ///   ``RelayClientError/invalidResponse(_:)`` for any other status or a body that is not `T`.
    public func decode<T: Decodable>(_ type: T.Type, successStatus: Int) throws(RelayClientError) -> T {
        if (400...599).contains(status) { throw .relay(refusal) }
        guard status == successStatus else {
            let kind = (300...399).contains(status) ? "a redirect, which is not followed" : "not the expected \(successStatus)"
            throw .invalidResponse("HTTP status \(status), \(kind)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: body)
        } catch {
            throw .invalidResponse("the body of the HTTP \(status) answer is not the documented JSON")
        }
    }

    /// The refusal this answer describes; meaningful for 4xx and 5xx statuses.
    public var refusal: RelayRefusal {
        let retryAfter = headers["retry-after"].flatMap(Self.deltaSeconds)
        guard let parsed = try? JSONDecoder().decode(ErrorResponse.self, from: body),
            let rawCode = Self.sanitisedCode(parsed.error.code)
        else {
            return RelayRefusal(status: status, code: nil, rawCode: nil, message: "", retryAfterSeconds: retryAfter)
        }
        // A known code with a status other than its documented one is still reported, with the
        // status as received: callers decide by code, people read both.
        return RelayRefusal(
            status: status, code: RelayErrorCode(rawValue: rawCode), rawCode: rawCode,
            message: Self.sanitisedMessage(parsed.error.message), retryAfterSeconds: retryAfter)
    }

    /// `Retry-After` in delta-seconds form; the HTTP-date form is ignored.
    static func deltaSeconds(_ value: String) -> UInt64? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard (1...10).contains(trimmed.utf8.count), trimmed.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return UInt64(trimmed)
    }

    /// Error codes are short `snake_case` words; anything else is not trusted as a code.
    static func sanitisedCode(_ code: String) -> String? {
        guard (1...64).contains(code.utf8.count),
            code.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F })
        else { return nil }
        return code
    }

    /// The message without control or format characters (no terminal escapes, no bidi
    /// overrides), whitespace collapsed, at most 200 characters.
    static func sanitisedMessage(_ message: String) -> String {
        var out = String.UnicodeScalarView()
        var lastWasSpace = true
        for scalar in message.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator, .surrogate, .privateUse, .unassigned:
                if !lastWasSpace { out.append(" ") }
                lastWasSpace = true
            default:
                out.append(scalar)
                lastWasSpace = false
            }
        }
        var text = String(out)
        while text.hasSuffix(" ") { text.removeLast() }
        if text.count > 200 { text = String(text.prefix(199)) + "…" }
        return text
    }
}

// Checks beyond the JSON shape, so that callers may rely on what they get. Fuzz/ calls them
// through the `Fuzzing` SPI.
extension RelayResponse {
    /// The new mailbox's ID from a `201`, checked to be well-formed.
    @_spi(Fuzzing)
    public func mailboxID() throws(RelayClientError) -> String {
        let id = try decode(CreateMailboxResponse.self, successStatus: 201).mailboxID
        guard MailboxIDs.isWellFormed(id) else { throw .invalidResponse("the new mailbox ID is malformed") }
        return id
    }

    /// The deposited blob's ID from a `201`, checked to be positive.
    @_spi(Fuzzing)
    public func depositID() throws(RelayClientError) -> Int64 {
        let id = try decode(DepositResponse.self, successStatus: 201).id
        guard id > 0 else { throw .invalidResponse("the message ID is not positive") }
        return id
    }

    /// A fetch's `200` answer, checked: at most `limit` non-empty blobs, IDs strictly increasing
    /// from `after` and below 2^53 (what relays hand out and accept back, so an ID kept as the
    /// next fetch position is one a relay can take).
    @_spi(Fuzzing)
    public func fetched(after: Int64, limit: Int) throws(RelayClientError) -> FetchResponse {
        let response = try decode(FetchResponse.self, successStatus: 200)
        guard response.messages.count <= limit else {
            throw .invalidResponse("more messages than the limit asked for")
        }
        var previous = after
        for message in response.messages {
            guard message.id > previous else {
                throw .invalidResponse("message IDs are not increasing from the one asked for")
            }
            guard message.id < 1 << 53 else { throw .invalidResponse("a message ID is too large") }
            guard !message.blob.isEmpty else { throw .invalidResponse("a message is empty") }
            previous = message.id
        }
        return response
    }

    /// How many blobs an acknowledgement deleted, checked to be 0 to `requested`.
    @_spi(Fuzzing)
    public func deletedCount(requested: Int) throws(RelayClientError) -> Int {
        let deleted = try decode(AcknowledgeResponse.self, successStatus: 200).deleted
        guard (0...requested).contains(deleted) else {
            throw .invalidResponse("the relay reports deleting \(deleted) of \(requested) messages")
        }
        return deleted
    }

    /// Whether a mailbox deletion's `200` answer says it was deleted.
    @_spi(Fuzzing)
    public func mailboxDeleted() throws(RelayClientError) -> Bool {
        try decode(DeleteMailboxResponse.self, successStatus: 200).deleted
    }

    /// The new timer's ID from a `201`, checked to be well-formed.
    @_spi(Fuzzing)
    public func timerID() throws(RelayClientError) -> String {
        let id = try decode(ArmTimerResponse.self, successStatus: 201).timerID
        guard MailboxIDs.isWellFormed(id) else { throw .invalidResponse("the new timer ID is malformed") }
        return id
    }

    /// A renewal's `200` answer, checked to carry the deadline asked for.
    @_spi(Fuzzing)
    public func renewedDeadline(expected: UInt64) throws(RelayClientError) -> UInt64 {
        let deadline = try decode(RenewTimerResponse.self, successStatus: 200).deadline
        guard deadline == expected else { throw .invalidResponse("the relay reports another deadline than the one asked for") }
        return deadline
    }

    /// A timer status's `200` answer, checked to hold at least one blob.
    @_spi(Fuzzing)
    public func timerStatus() throws(RelayClientError) -> TimerStatusResponse {
        let status = try decode(TimerStatusResponse.self, successStatus: 200)
        guard status.blobs > 0 else { throw .invalidResponse("the relay reports a timer without messages") }
        return status
    }

    /// Whether a timer disarm's `200` answer says it was deleted.
    @_spi(Fuzzing)
    public func timerDisarmed() throws(RelayClientError) -> Bool {
        try decode(DisarmTimerResponse.self, successStatus: 200).deleted
    }

    /// A health check's `200` answer.
    @_spi(Fuzzing)
    public func health() throws(RelayClientError) -> HealthResponse {
        try decode(HealthResponse.self, successStatus: 200)
    }
}
