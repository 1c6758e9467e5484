internal import FuzzSupport
internal import VigilCrypto
@_spi(VectorGeneration) internal import VigilProtocol

// Envelope.open as Bob, on bytes that reach each of its stages. The first byte's low two bits
// choose what the rest is:
//
//   0  a sealed box, opened as it is (only seeds from the vectors get past the box);
//   1  the plaintext inside the box (padding and all), sealed to Bob first;
//   2  the inner message, padded and sealed first;
//   3  the inner message without its signature, which Alice then signs; bits 2 to 5 of the
//      first byte first overwrite the sender key with Alice's, the recipient key with Bob's,
//      the body length with the true one and the version with 1, so that the body checks are
//      reached.
//
// Invariants: whatever opens re-encodes to exactly the inner message (and padding) it came
// from; with all four fields fixed, an envelope opens exactly when its body decodes, and fails
// with that body error otherwise.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = inputBytes(data, size)
    guard let selector = input.first else { return 0 }
    EnvelopeTarget.run(selector: selector, Array(input.dropFirst()))
    return 0
}

enum EnvelopeTarget {
    /// Protocol/envelope.md: the signature covers this tag and the inner message before it.
    static let signatureTag = Array("Vigil envelope signature v1".utf8) + [0]
    static let headerByteCount = 94
    static let signatureByteCount = 64

    static func run(selector: UInt8, _ bytes: [UInt8]) {
        let bob = Parties.bob
        switch selector & 3 {
        case 0:
            check(sealed: bytes, inner: nil, padded: nil, expectedBody: nil)
        case 1:
            check(sealed: seal(bytes), inner: nil, padded: bytes, expectedBody: nil)
        case 2:
            guard let padded = Envelope.pad(bytes) else { return }
            check(sealed: seal(padded), inner: bytes, padded: padded, expectedBody: nil)
        default:
            var unsigned = bytes
            let flags = selector >> 2
            if flags & 1 != 0 { overwrite(&unsigned, at: 26, with: Parties.alice.signing.publicKey.rawRepresentation) }
            if flags & 2 != 0 { overwrite(&unsigned, at: 58, with: bob.signing.publicKey.rawRepresentation) }
            if flags & 4 != 0, unsigned.count >= headerByteCount {
                let length = UInt32(truncatingIfNeeded: unsigned.count - headerByteCount)
                overwrite(&unsigned, at: 90, with: (0..<4).map { UInt8(truncatingIfNeeded: length >> (24 - 8 * $0)) })
            }
            if flags & 8 != 0, !unsigned.isEmpty { unsigned[0] = Envelope.version }
            let inner = unsigned + Parties.alice.signing.signature(for: signatureTag + unsigned)
            guard let padded = Envelope.pad(inner) else { return }
            // Everything but the body is right: the envelope stands or falls with its body.
            let expectedBody: Result<MessageBody, BodyError>? =
                flags & 0xF == 0xF && unsigned.count >= headerByteCount
                ? Result { () throws(BodyError) in
                    try MessageBody.decode(
                        kind: MessageKind(rawValue: unsigned[1]), from: Array(unsigned[headerByteCount...]))
                }
                : nil
            check(sealed: seal(padded), inner: inner, padded: padded, expectedBody: expectedBody)
        }
    }

    static func seal(_ padded: [UInt8]) -> [UInt8] {
        do {
            return try Envelope.sealPadded(padded, to: Parties.bob.encryption.publicKey)
        } catch {
            fatalError("sealing to Bob's key failed: \(error)")
        }
    }

    static func overwrite(_ bytes: inout [UInt8], at offset: Int, with value: [UInt8]) {
        for (index, byte) in value.enumerated() where offset + index < bytes.count {
            bytes[offset + index] = byte
        }
    }

    static func check(
        sealed: [UInt8], inner: [UInt8]?, padded: [UInt8]?, expectedBody: Result<MessageBody, BodyError>?
    ) {
        let bob = Parties.bob
        let opened: OpenedEnvelope
        do {
            opened = try Envelope.open(sealed, as: bob)
        } catch {
            invariant(!error.code.isEmpty && !error.description.isEmpty, "an error without code or description")
            if let expectedBody {
                switch expectedBody {
                case .success:
                    invariant(false, "a well-formed envelope with a valid body was refused: \(error)")
                case .failure(let bodyError):
                    if case .invalidBody(_, let reported) = error {
                        invariant(reported == bodyError, "body error \(reported), but the body alone fails with \(bodyError)")
                    } else {
                        invariant(false, "an envelope whose body fails with \(bodyError) was refused with \(error)")
                    }
                }
            }
            return
        }

        invariant(opened.recipient == bob.signing.publicKey, "opened an envelope for another recipient")
        invariant(Envelope.buckets.contains(opened.paddedByteCount), "padded to \(opened.paddedByteCount), not a bucket")
        invariant(opened.body.kind == opened.kind, "body of kind \(opened.body.kind) in an envelope of kind \(opened.kind)")
        if let expectedBody {
            invariant(expectedBody == .success(opened.body), "opened to another body than the body decodes to")
        }
        let body: [UInt8]
        do {
            body = try opened.body.encoded()
        } catch {
            return invariant(false, "an opened body does not encode: \(error)")
        }
        guard let inner = inner ?? (padded.flatMap { try? ISO7816Padding.unpad($0, blockSize: $0.count) }) else {
            return  // a sealed box from a seed: nothing to compare with
        }
        let reencoded = Envelope.encodeInner(
            kind: opened.kind, messageID: opened.id, createdAt: opened.createdAt,
            senderKey: opened.sender.rawRepresentation, recipientKey: opened.recipient.rawRepresentation,
            body: body, signer: Parties.alice.signing, signatureOverride: Array(inner.suffix(signatureByteCount)))
        invariant(reencoded == inner, "an opened inner message does not re-encode to itself")
        if let padded {
            invariant(Envelope.pad(reencoded) == padded, "opened padding that is not the canonical padding")
        }
    }
}
