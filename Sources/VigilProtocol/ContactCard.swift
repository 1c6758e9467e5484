public import VigilCrypto

/// What a defender hands a trusted contact: who they are and where to reach them, signed by
/// the identity it describes.
///
/// The self-signature proves that whoever made the card holds the signing key on it; it does
/// not prove who that is. That is what comparing the ``SafetyNumber`` out of band is for.
///
/// Binary layout (all integers big-endian), Protocol/card.md being normative:
///
///     version u8 (1) | total length u16 | created at u64 | signing key (32) | encryption key (32)
///     | name length u8 | name | mailbox count u8 | mailbox × count | signature (64) | checksum (4)
///     mailbox = URL length u8 | URL | ID length u8 | ID
///
/// The signature covers `"Vigil contact card signature v1" || 0x00 ||` every byte before it; the
/// checksum is the first four bytes of `BLAKE2b-256("Vigil contact card checksum v1" || 0x00 ||`
/// every byte before it`)`.
public struct ContactCard: Hashable, Sendable {
    /// The card format version this implementation writes and reads.
    public static let version: UInt8 = 1
    /// What every card's text form starts with.
    public static let textPrefix = "VIGIL1:"
    /// Longest display name, in UTF-8 bytes.
    public static let maxDisplayNameBytes = 64
    /// Most mailboxes one card lists.
    public static let maxMailboxes = 8
    static let checksumByteCount = 4

    /// The keys the card introduces.
    public let identity: PublicIdentity
    /// How the defender wants to be called: 1 to 64 UTF-8 bytes on one line.
    public let displayName: String
    /// Where to deposit envelopes for this identity: 1 to 8 addresses, in the owner's order.
    public let mailboxes: [MailboxAddress]
    /// When the owner made this card; a newer card replaces an older one.
    public let createdAt: Timestamp
    /// The owner's Ed25519 signature.
    public let signature: [UInt8]

    /// Makes and signs a card for `identity`.
    /// - Throws: ``CardError/invalidField(_:)`` for a name or mailbox list outside the limits.
    public init(
        identity: Identity, displayName: String, mailboxes: [MailboxAddress], createdAt: Timestamp
    ) throws(CardError) {
        var writer = try Self.unsignedBytes(
            identity: identity.publicIdentity, displayName: displayName, mailboxes: mailboxes, createdAt: createdAt)
        let total = writer.bytes.count + SigningPublicKey.signatureByteCount + Self.checksumByteCount
        writer.patch(UInt16(total), at: 1)
        self.identity = identity.publicIdentity
        self.displayName = displayName
        self.mailboxes = mailboxes
        self.createdAt = createdAt
        self.signature = identity.signing.signature(for: DomainSeparation.cardSignature + writer.bytes)
    }

    /// The card's binary form, checksum included.
    public var binaryRepresentation: [UInt8] {
        // The fields were validated when the card was made or parsed, so this cannot fail.
        var writer = try! Self.unsignedBytes(
            identity: identity, displayName: displayName, mailboxes: mailboxes, createdAt: createdAt)
        let total = writer.bytes.count + SigningPublicKey.signatureByteCount + Self.checksumByteCount
        writer.patch(UInt16(total), at: 1)
        writer.write(signature)
        writer.write(Self.checksum(of: writer.bytes))
        return writer.bytes
    }

    /// The text form: `VIGIL1:` followed by the binary form in Crockford Base32.
    public var text: String {
        Self.textPrefix + CrockfordBase32.encode(binaryRepresentation)
    }

    /// Parses a card from its text form and checks it completely: prefix, characters, length,
    /// checksum, version, every field, and the self-signature.
    ///
    /// White space and `-` anywhere after the prefix are ignored (chat apps wrap long lines;
    /// people group characters), letters may be in either case, and the prefix may be
    /// surrounded by white space.
    /// - Throws: the ``CardError`` of the first check that failed.
    public init(text: String) throws(CardError) {
        let trimmed = Array(text.utf8.drop(while: Self.isIgnorable))
        let prefix = Array(Self.textPrefix.utf8)
        guard trimmed.count >= prefix.count,
            zip(trimmed.prefix(prefix.count), prefix).allSatisfy({ Self.asciiUppercased($0) == $1 })
        else { throw .missingPrefix }
        let afterPrefix = trimmed.dropFirst(prefix.count)
        let characters = afterPrefix.filter { !Self.isIgnorable($0) }
        let decoded: (bytes: [UInt8], ending: CrockfordBase32.Ending)
        do {
            decoded = try CrockfordBase32.decode(characters)
        } catch {
            // Report the position in the text as the person sees it, white space and dashes included.
            let offsets = afterPrefix.indices.filter { !Self.isIgnorable(afterPrefix[$0]) }
            throw .invalidCharacter(position: offsets[error.position] - afterPrefix.startIndex)
        }
        try self.init(binary: decoded.bytes, ending: decoded.ending)
    }

    /// Parses a card from its binary form; see ``init(text:)``.
    public init(binaryRepresentation bytes: [UInt8]) throws(CardError) {
        try self.init(binary: bytes, ending: .canonical)
    }

    private init(binary bytes: [UInt8], ending: CrockfordBase32.Ending) throws(CardError) {
        guard bytes.count >= 3 else { throw .truncated }
        let declared = Int(bytes[1]) << 8 | Int(bytes[2])
        guard declared <= bytes.count else { throw .truncated }
        guard declared == bytes.count, ending != .danglingCharacter else { throw .trailingData }
        guard ending == .canonical, bytes.count > Self.checksumByteCount else { throw .checksumMismatch }
        let checksumStart = bytes.count - Self.checksumByteCount
        let body = Array(bytes[0..<checksumStart])
        guard constantTimeEquals(Self.checksum(of: body), Array(bytes[checksumStart...])) else {
            throw .checksumMismatch
        }
        guard bytes[0] == Self.version else { throw .unsupportedVersion(bytes[0]) }

        // A body shorter than its version and length fields reads as empty: `length` below.
        var reader = ByteReader(body, range: min(3, body.count)..<body.count)
        do {
            self.createdAt = Timestamp(secondsSince1970: try reader.readUInt64())
            let signingKey: SigningPublicKey
            do {
                signingKey = try SigningPublicKey(rawRepresentation: try reader.readBytes(SigningPublicKey.byteCount))
            } catch is CryptoError {
                throw CardError.invalidField("signing key")
            }
            let encryptionKey: EncryptionPublicKey
            do {
                encryptionKey = try EncryptionPublicKey(validating: try reader.readBytes(EncryptionPublicKey.byteCount))
            } catch is CryptoError {
                throw CardError.invalidField("encryption key")
            }
            self.identity = PublicIdentity(signingKey: signingKey, encryptionKey: encryptionKey)

            let nameBytes = try reader.readBytes(Int(try reader.readUInt8()))
            guard !nameBytes.isEmpty,
                let name = try? TextRules.decode(nameBytes, maxBytes: Self.maxDisplayNameBytes, singleLine: true)
            else { throw CardError.invalidField("display name") }
            self.displayName = name

            let count = Int(try reader.readUInt8())
            guard (1...Self.maxMailboxes).contains(count) else { throw CardError.invalidField("mailbox count") }
            var mailboxes: [MailboxAddress] = []
            for _ in 0..<count {
                let url = String(decoding: try reader.readBytes(Int(try reader.readUInt8())), as: UTF8.self)
                let id = String(decoding: try reader.readBytes(Int(try reader.readUInt8())), as: UTF8.self)
                do {
                    mailboxes.append(try MailboxAddress(relayURL: url, mailboxID: id))
                } catch .invalidRelayURL {
                    throw CardError.invalidField("relay URL")
                } catch {
                    throw CardError.invalidField("mailbox ID")
                }
            }
            self.mailboxes = mailboxes
            guard reader.remaining == SigningPublicKey.signatureByteCount else { throw CardError.invalidField("length") }
            self.signature = try reader.readBytes(SigningPublicKey.signatureByteCount)
        } catch let error as CardError {
            throw error
        } catch {
            // Ran out of bytes inside the fields, although the declared length and checksum matched.
            throw .invalidField("length")
        }
        let signedEnd = body.count - SigningPublicKey.signatureByteCount
        guard identity.signingKey.isValidSignature(signature, for: DomainSeparation.cardSignature + body[0..<signedEnd]) else {
            throw .badSignature
        }
    }

    /// Version, a length placeholder, and every field up to the signature.
    private static func unsignedBytes(
        identity: PublicIdentity, displayName: String, mailboxes: [MailboxAddress], createdAt: Timestamp
    ) throws(CardError) -> ByteWriter {
        let name: [UInt8]
        do {
            name = try TextRules.encode(displayName, maxBytes: maxDisplayNameBytes, singleLine: true)
        } catch {
            throw .invalidField("display name")
        }
        guard !name.isEmpty else { throw .invalidField("display name") }
        guard (1...maxMailboxes).contains(mailboxes.count) else { throw .invalidField("mailbox count") }
        var writer = ByteWriter(capacity: 512)
        writer.write(version)
        writer.write(UInt16(0))
        writer.write(createdAt.secondsSince1970)
        writer.write(identity.signingKey.rawRepresentation)
        writer.write(identity.encryptionKey.rawRepresentation)
        writer.write(UInt8(name.count))
        writer.write(name)
        writer.write(UInt8(mailboxes.count))
        for mailbox in mailboxes {
            writer.write(UInt8(mailbox.relayURL.utf8.count))
            writer.write(Array(mailbox.relayURL.utf8))
            writer.write(UInt8(mailbox.mailboxID.utf8.count))
            writer.write(Array(mailbox.mailboxID.utf8))
        }
        return writer
    }

    static func checksum(of bytes: [UInt8]) -> [UInt8] {
        Array(BLAKE2b.hash(DomainSeparation.cardChecksum, bytes, outputByteCount: 32).prefix(checksumByteCount))
    }

    private static func isIgnorable(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == UInt8(ascii: "-")
    }

    private static func asciiUppercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) ? byte - 0x20 : byte
    }
}

// Test-vector support: card bytes that are wrong in exactly one way but still carry a correct
// length and checksum, so that a parser's later checks can be exercised. Not for applications.
extension ContactCard {
    /// A card's binary form from raw parts, with no field checked: `version`, the total length
    /// (computed), `fields` exactly as given (everything from "created at" up to the signature),
    /// a signature by `signer` over the card signature tag and all of that (or
    /// `signatureOverride` instead), and the checksum over everything before it.
    @_spi(VectorGeneration)
    public static func assembleBinary(
        version: UInt8, fields: [UInt8], signer: SigningKeyPair, signatureOverride: [UInt8]? = nil
    ) -> [UInt8] {
        var writer = ByteWriter(capacity: 3 + fields.count + SigningPublicKey.signatureByteCount + checksumByteCount)
        writer.write(version)
        writer.write(UInt16(truncatingIfNeeded: 3 + fields.count + SigningPublicKey.signatureByteCount + checksumByteCount))
        writer.write(fields)
        writer.write(signatureOverride ?? signer.signature(for: DomainSeparation.cardSignature + writer.bytes))
        writer.write(checksum(of: writer.bytes))
        return writer.bytes
    }

    /// `VIGIL1:` followed by the Crockford Base32 of `binary`, whatever those bytes are.
    @_spi(VectorGeneration)
    public static func text(ofBinary binary: [UInt8]) -> String {
        textPrefix + CrockfordBase32.encode(binary)
    }
}
