internal import FuzzSupport
internal import VigilProtocol

// Every body decoder: MessageBody.decode(kind:from:) with the kind chosen by the first byte
// (below 0x80: its value mod 8, so kinds 1 to 6 and the unknown kinds 0 and 7 come up often;
// from 0x80: the byte itself, an unknown kind) and the rest as the body.
//
// Invariants: a body that decodes has the kind asked for and encodes to exactly the bytes it
// came from; an unknown kind is carried uninterpreted; a known kind's bytes are accepted as an
// `.unknown` body to send exactly when they decode.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = inputBytes(data, size)
    guard let selector = input.first else { return 0 }
    let kind = MessageKind(rawValue: selector < 0x80 ? selector % 8 : selector)
    let bytes = Array(input.dropFirst())
    let isKnown = MessageKind.known.contains(kind)

    let decoded = Result { () throws(BodyError) in try MessageBody.decode(kind: kind, from: bytes) }
    switch decoded {
    case .success(let body):
        invariant(body.kind == kind, "a \(kind) body decoded as \(body.kind)")
        if isKnown {
            if case .unknown = body { invariant(false, "a known kind \(kind) decoded as unknown") }
        } else {
            invariant(body == .unknown(kind: kind, payload: bytes), "an unknown kind \(kind) was interpreted")
        }
        let encoded = Result { () throws(BodyError) in try body.encoded() }
        invariant(encoded == .success(bytes), "a decoded \(kind) body encodes to \(encoded), not to its bytes")
    case .failure(let error):
        invariant(isKnown, "an unknown kind \(kind) failed to decode: \(error)")
        invariant(!error.code.isEmpty && !error.description.isEmpty, "an error without code or description")
    }

    // A known kind travels only in its checked form, even when a caller wraps raw bytes.
    let raw = Result { () throws(BodyError) in try MessageBody.unknown(kind: kind, payload: bytes).encoded() }
    switch (decoded, raw) {
    case (.success, .success(let encoded)):
        invariant(encoded == bytes, "raw \(kind) bytes were encoded to other bytes")
    case (.failure(let expected), .failure(let error)):
        invariant(error == expected, "raw \(kind) bytes fail with \(error), decoding fails with \(expected)")
    default:
        invariant(false, "raw \(kind) bytes: \(raw), but decoding: \(decoded)")
    }
    return 0
}
