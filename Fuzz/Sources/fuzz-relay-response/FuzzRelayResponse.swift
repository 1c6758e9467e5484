internal import Foundation
internal import FuzzSupport
@_spi(Fuzzing) internal import VigilClient
internal import VigilRelayAPI

// The client's reading of a relay's answer (RelayResponse). Input: a selector byte, the status
// (two bytes, big-endian, taken mod 700), the length of a Retry-After value and the value, then
// the body. The selector's low four bits choose the endpoint whose answer it is read as (mod
// 11); bit 4 spells the header name in lower case; bits 5 to 7 are the number of IDs an
// acknowledgement asked to delete.
//
// Invariants: a refusal keeps the status, its code is sanitised and a known code is reported as
// such, its message is at most 200 characters without control, format or separator characters,
// Retry-After is delta-seconds of at most ten digits; an answer is accepted only with the
// endpoint's success status and passes the endpoint's checks; a 4xx or 5xx is always a refusal;
// no description of an error carries control or format characters.

/// The deadline the target's renewals ask for.
private let renewalDeadline: UInt64 = 1_764_061_800

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = inputBytes(data, size)
    guard input.count >= 4 else { return 0 }
    let selector = input[0]
    let status = (Int(input[1]) << 8 | Int(input[2])) % 700
    let valueEnd = min(input.count, 4 + Int(input[3]))
    let retryAfter = String(decoding: input[4..<valueEnd], as: UTF8.self)
    let body = Data(input[valueEnd...])
    let name = selector & 0x10 == 0 ? "Retry-After" : "retry-after"
    let response = RelayResponse(status: status, headers: [name: retryAfter, "Content-Type": "application/json"], body: body)

    let refusal = response.refusal
    check(refusal, status: status)

    switch (selector & 0xF) % 11 {
    case 0:
        read(response, 201, { () throws(RelayClientError) in try response.mailboxID() }) { id in
            invariant(MailboxIDs.isWellFormed(id), "accepted a malformed mailbox ID")
        }
    case 1:
        read(response, 201, { () throws(RelayClientError) in try response.depositID() }) { id in
            invariant(id > 0, "accepted a message ID of \(id)")
        }
    case 2, 3:
        let after: Int64 = selector & 0xF == 2 ? 0 : 5
        let limit = selector & 0xF == 2 ? 100 : 2
        read(response, 200, { () throws(RelayClientError) in try response.fetched(after: after, limit: limit) }) { fetched in
            invariant(fetched.messages.count <= limit, "accepted \(fetched.messages.count) messages, limit \(limit)")
            var previous = after
            for message in fetched.messages {
                invariant(message.id > previous, "accepted message IDs that do not increase from \(after)")
                invariant(message.id < 1 << 53, "accepted a message ID of \(message.id)")
                invariant(!message.blob.isEmpty, "accepted an empty message")
                previous = message.id
            }
        }
    case 4:
        let requested = Int(selector >> 5)
        read(response, 200, { () throws(RelayClientError) in try response.deletedCount(requested: requested) }) { deleted in
            invariant((0...requested).contains(deleted), "accepted \(deleted) of \(requested) deleted")
        }
    case 5:
        read(response, 200, { () throws(RelayClientError) in try response.mailboxDeleted() }) { _ in }
    case 6:
        read(response, 200, { () throws(RelayClientError) in try response.health() }) { _ in }
    case 7:
        read(response, 201, { () throws(RelayClientError) in try response.timerID() }) { id in
            invariant(MailboxIDs.isWellFormed(id), "accepted a malformed timer ID")
        }
    case 8:
        read(response, 200, { () throws(RelayClientError) in try response.renewedDeadline(expected: renewalDeadline) }) {
            invariant($0 == renewalDeadline, "accepted a renewal to \($0)")
        }
    case 9:
        read(response, 200, { () throws(RelayClientError) in try response.timerStatus() }) { status in
            invariant(status.blobs > 0, "accepted a timer status of \(status.blobs) blobs")
        }
    default:
        read(response, 200, { () throws(RelayClientError) in try response.timerDisarmed() }) { _ in }
    }
    return 0
}

/// Reads `response` as an endpoint whose success status is `successStatus`, and checks the outcome.
private func read<T>(
    _ response: RelayResponse, _ successStatus: Int, _ interpret: () throws(RelayClientError) -> T,
    accepted: (T) -> Void
) {
    do {
        let value = try interpret()
        invariant(response.status == successStatus, "accepted an answer with status \(response.status)")
        accepted(value)
    } catch {
        if (400...599).contains(response.status) {
            invariant(error == .relay(response.refusal), "a \(response.status) answer was not read as its refusal: \(error)")
        } else if case .invalidResponse = error {
            // Any other status, or a success status with a body that fails the checks.
        } else {
            invariant(false, "a \(response.status) answer was read as \(error)")
        }
        invariant(isPrintable(error.description), "an error description with control characters: \(error.description.debugDescription)")
    }
}

private func check(_ refusal: RelayRefusal, status: Int) {
    invariant(refusal.status == status, "refusal status \(refusal.status) for an answer of \(status)")
    if let raw = refusal.rawCode {
        invariant(
            (1...64).contains(raw.utf8.count) && raw.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F },
            "an unsanitised code \(raw.debugDescription)")
    }
    invariant(refusal.code == nil || refusal.code?.rawValue == refusal.rawCode, "code \(String(describing: refusal.code)) with raw code \(String(describing: refusal.rawCode))")
    invariant(refusal.rawCode == nil || refusal.code != nil || RelayErrorCode(rawValue: refusal.rawCode!) == nil, "a known code reported as unknown")
    invariant(refusal.message.count <= 200, "a message of \(refusal.message.count) characters")
    invariant(
        !refusal.message.hasPrefix(" ") && !refusal.message.hasSuffix(" ") && !refusal.message.contains("  "),
        "a message with white space not collapsed: \(refusal.message.debugDescription)")
    invariant(
        refusal.message.unicodeScalars.allSatisfy { !isForbidden($0) },
        "a message with a forbidden character: \(refusal.message.debugDescription)")
    if let seconds = refusal.retryAfterSeconds {
        invariant(seconds <= 9_999_999_999, "Retry-After of \(seconds)")
    }
    invariant(isPrintable(refusal.description), "a refusal description with control characters")
}

/// What a sanitised message must not contain (RelayResponse.sanitisedMessage), besides the
/// single spaces it puts in their place.
private func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
        return true
    case .spaceSeparator:
        return scalar != " "
    default:
        return false
    }
}

private func isPrintable(_ text: String) -> Bool {
    text.unicodeScalars.allSatisfy { !isForbidden($0) }
}
