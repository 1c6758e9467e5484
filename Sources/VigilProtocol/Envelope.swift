public import VigilCrypto

/// Envelope format v1: sign, then pad, then seal.
///
/// The inner message is
///
///     version u8 (1) | kind u8 | message ID (16) | created at u64 | sender signing key (32)
///     | recipient signing key (32) | body length u32 | body | signature (64)
///
/// where the Ed25519 signature covers `"Vigil envelope signature v1" || 0x00 ||` every byte
/// before it. The inner message is padded (ISO/IEC 7816-4) to the smallest size bucket that
/// holds it plus one byte, and sealed to the recipient's X25519 key with an anonymous sealed
/// box. Protocol/envelope.md is the normative description.
public enum Envelope {
    /// The format version this implementation writes and reads.
    public static let version: UInt8 = 1
    /// Sizes the padded inner message may have, smallest first.
    public static let buckets = [256, 1024, 4096, 16384]
    /// Bytes of the inner message before the body.
    static let headerByteCount = 94
    /// Bytes of the inner message that are not body.
    static let overheadByteCount = headerByteCount + SigningPublicKey.signatureByteCount
    /// Largest body that fits the largest bucket (padding takes at least one byte).
    public static let maxBodyByteCount = buckets[buckets.count - 1] - 1 - overheadByteCount

    /// Signs `body` as `sender` for `recipient`, pads it and seals it to the recipient.
    ///
    /// - Parameters:
    ///   - createdAt: the sender's current time; protocol code never reads the clock itself.
    ///   - messageID: a fresh random ID unless the same message is being sealed again for
    ///     another recipient, which must then share it.
    /// - Throws: ``EnvelopeError/invalidBody(kind:_:)``, ``EnvelopeError/bodyTooLarge(byteCount:limit:)``
    ///   or ``EnvelopeError/invalidRecipientKey``.
    public static func seal(
        _ body: MessageBody, from sender: Identity, to recipient: PublicIdentity,
        createdAt: Timestamp, messageID: MessageID = .random()
    ) throws(EnvelopeError) -> [UInt8] {
        var bodyBytes: [UInt8]
        do {
            bodyBytes = try body.encoded()
        } catch {
            throw .invalidBody(kind: body.kind, error)
        }
        defer { secureWipe(&bodyBytes) }
        guard bodyBytes.count <= maxBodyByteCount else {
            throw .bodyTooLarge(byteCount: bodyBytes.count, limit: maxBodyByteCount)
        }
        var inner = encodeInner(
            kind: body.kind, messageID: messageID, createdAt: createdAt,
            senderKey: sender.signing.publicKey.rawRepresentation,
            recipientKey: recipient.signingKey.rawRepresentation, body: bodyBytes, signer: sender.signing)
        defer { secureWipe(&inner) }
        guard var padded = pad(inner) else {
            throw .bodyTooLarge(byteCount: bodyBytes.count, limit: maxBodyByteCount)
        }
        defer { secureWipe(&padded) }
        return try sealPadded(padded, to: recipient.encryptionKey)
    }

    /// Opens an envelope addressed to `recipient` and checks, in order: the sealed box, the
    /// padding, the version, the length fields, the signature, that the message names
    /// `recipient`, and the body. Returns the message only when all pass.
    /// - Throws: the ``EnvelopeError`` of the first check that failed.
    public static func open(_ sealed: [UInt8], as recipient: Identity) throws(EnvelopeError) -> OpenedEnvelope {
        var padded: [UInt8]
        do {
            padded = try recipient.encryption.open(sealed)
        } catch {
            throw .sealedBoxOpenFailed
        }
        defer { secureWipe(&padded) }

        guard buckets.contains(padded.count),
            var inner = try? ISO7816Padding.unpad(padded, blockSize: padded.count)
        else { throw .badPadding }
        defer { secureWipe(&inner) }

        guard let version = inner.first else { throw .invalidLength }
        guard version == Self.version else { throw .unsupportedVersion(version) }

        guard inner.count >= overheadByteCount else { throw .invalidLength }
        var reader = ByteReader(inner, range: 0..<headerByteCount)
        let header: (kind: MessageKind, id: MessageID, createdAt: Timestamp, sender: [UInt8], recipient: [UInt8], bodyLength: UInt32)
        do {
            _ = try reader.readUInt8()
            header = (
                MessageKind(rawValue: try reader.readUInt8()),
                MessageID(validated: try reader.readBytes(MessageID.byteCount)),
                Timestamp(secondsSince1970: try reader.readUInt64()),
                try reader.readBytes(SigningPublicKey.byteCount),
                try reader.readBytes(SigningPublicKey.byteCount),
                try reader.readUInt32()
            )
        } catch {
            throw .invalidLength
        }
        guard UInt64(header.bodyLength) == UInt64(inner.count - overheadByteCount) else { throw .invalidLength }

        let signedEnd = inner.count - SigningPublicKey.signatureByteCount
        let signature = Array(inner[signedEnd...])
        var signedBytes = DomainSeparation.envelopeSignature + inner[0..<signedEnd]
        defer { secureWipe(&signedBytes) }
        guard let senderKey = try? SigningPublicKey(rawRepresentation: header.sender),
            senderKey.isValidSignature(signature, for: signedBytes)
        else { throw .badSignature }

        guard constantTimeEquals(header.recipient, recipient.signing.publicKey.rawRepresentation) else {
            throw .wrongRecipient
        }

        let body: MessageBody
        var bodyBytes = Array(inner[headerByteCount..<signedEnd])
        defer { secureWipe(&bodyBytes) }
        do {
            body = try MessageBody.decode(kind: header.kind, from: bodyBytes)
        } catch {
            throw .invalidBody(kind: header.kind, error)
        }
        return OpenedEnvelope(
            id: header.id, kind: header.kind, createdAt: header.createdAt, sender: senderKey,
            recipient: recipient.signing.publicKey, body: body, paddedByteCount: padded.count)
    }
}

// The steps of sealing, exposed separately so that test vectors can build envelopes that are
// wrong in exactly one way. Not for applications.
extension Envelope {
    /// The signed inner message. With `signatureOverride`, that signature is written instead of
    /// a real one; `version` other than 1 builds messages of other versions.
    @_spi(VectorGeneration)
    public static func encodeInner(
        version: UInt8 = Envelope.version, kind: MessageKind, messageID: MessageID, createdAt: Timestamp,
        senderKey: [UInt8], recipientKey: [UInt8], body: [UInt8], signer: SigningKeyPair,
        signatureOverride: [UInt8]? = nil, bodyLengthOverride: UInt32? = nil
    ) -> [UInt8] {
        var writer = ByteWriter(capacity: DomainSeparation.envelopeSignature.count + overheadByteCount + body.count)
        writer.write(DomainSeparation.envelopeSignature)
        writer.write(version)
        writer.write(kind.rawValue)
        writer.write(messageID.bytes)
        writer.write(createdAt.secondsSince1970)
        writer.write(senderKey)
        writer.write(recipientKey)
        writer.write(bodyLengthOverride ?? UInt32(body.count))
        writer.write(body)
        let signature = signatureOverride ?? writer.bytes.withUnsafeBytes { signer.signature(for: $0) }
        var inner = ByteWriter(capacity: writer.bytes.count - DomainSeparation.envelopeSignature.count + signature.count)
        inner.write(writer.bytes[DomainSeparation.envelopeSignature.count...])
        inner.write(signature)
        writer.wipe()
        return inner.bytes
    }

    /// `inner` padded to the smallest bucket that holds it plus one padding byte, or nil when
    /// no bucket is large enough.
    @_spi(VectorGeneration)
    public static func pad(_ inner: [UInt8]) -> [UInt8]? {
        guard let bucket = buckets.first(where: { inner.count + 1 <= $0 }) else { return nil }
        return ISO7816Padding.pad(inner, blockSize: bucket)
    }

    /// Seals already padded bytes to `key`.
    @_spi(VectorGeneration)
    public static func sealPadded(_ padded: [UInt8], to key: EncryptionPublicKey) throws(EnvelopeError) -> [UInt8] {
        do {
            return try key.seal(padded)
        } catch {
            throw .invalidRecipientKey
        }
    }
}
