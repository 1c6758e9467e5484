import Testing
import VigilCrypto
@_spi(VectorGeneration) @testable import VigilProtocol

/// Fixed identities and values shared by the tests. The keys come from fixed seeds so that a
/// failure reproduces; the ephemeral keys of sealed boxes are still fresh on every run.
enum Fixture {
    static let alice = identity(seedByte: 0xA0)
    static let bob = identity(seedByte: 0xB0)
    static let carol = identity(seedByte: 0xC0)

    static let now = Timestamp(secondsSince1970: 1_764_058_200)  // 2025-11-25T08:10:00Z
    static let messageID = MessageID(validated: Array(0x10..<0x20))
    static let location = Location(latitudeE7: 367_201_600, longitudeE7: -44_203_400)!
    static let note = "Meet at the north gate at 21:00, bring the red folder"

    static let mailbox = try! MailboxAddress(
        relayURL: "https://relay.example.org", mailboxID: "mbx_0123456789abcdefXYZ")

    /// An identity whose signing seed and encryption secret are derived from `seedByte`.
    static func identity(seedByte: UInt8) -> Identity {
        let seed = (0..<32).map { seedByte &+ UInt8($0) }
        let secret = (0..<32).map { seedByte &+ 0x40 &+ UInt8($0) }
        return Identity(
            signing: try! SigningKeyPair(seed: SecureBytes(copying: seed)),
            encryption: try! EncryptionKeyPair(secretKey: SecureBytes(copying: secret)))
    }

    /// `count` distinct message IDs.
    static func messageIDs(_ count: Int) -> [MessageID] {
        (0..<count).map { index in
            MessageID(validated: [UInt8(index >> 8), UInt8(index & 0xff)] + [UInt8](repeating: 0xEE, count: 14))
        }
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014): a tiny generator whose output depends only on its
/// seed, so that every randomized test reproduces exactly from the seed it names.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound`; the slight modulo bias does not matter for fuzzing.
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next() % UInt64(bound))
    }

    mutating func chance(_ numerator: Int, in denominator: Int) -> Bool {
        below(denominator) < numerator
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count + 8)
        while out.count < count {
            var word = next()
            for _ in 0..<8 {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        out.removeLast(out.count - count)
        return out
    }

    /// One element of a non-empty array.
    mutating func element<T>(of array: [T]) -> T {
        array[below(array.count)]
    }
}

/// `bytes` with the byte at `index` XORed with `mask`.
func flipping(_ bytes: [UInt8], at index: Int, mask: UInt8 = 0x01) -> [UInt8] {
    var copy = bytes
    copy[index] ^= mask
    return copy
}

/// Everything a developer or a log might see of a value: `description`, `debugDescription`,
/// interpolation and `dump`.
func renderings(of value: Any) -> [String] {
    var dumped = ""
    dump(value, to: &dumped)
    return [String(describing: value), String(reflecting: value), "\(value)", dumped]
}

/// Whether `text` shows any 8 consecutive bytes of `secret` in hex (either case) or as a run of
/// decimal numbers (as an array's description or `dump` prints them).
func reveals(_ secret: [UInt8], in text: String) -> Bool {
    let window = min(8, secret.count)
    guard window > 0 else { return false }
    let lowered = text.lowercased()
    let numbers = decimalNumbers(in: text)
    for start in 0...(secret.count - window) {
        let slice = Array(secret[start..<start + window])
        if lowered.contains(Hex.encode(slice)) { return true }
        let wanted = slice.map(Int.init)
        if numbers.count >= wanted.count {
            for offset in 0...(numbers.count - wanted.count)
            where numbers[offset..<offset + wanted.count].elementsEqual(wanted) {
                return true
            }
        }
    }
    return false
}

private func decimalNumbers(in text: String) -> [Int] {
    var numbers: [Int] = []
    var current: Int?
    for scalar in text.unicodeScalars {
        if (48...57).contains(scalar.value) {
            current = min((current ?? 0) * 10 + Int(scalar.value - 48), 1_000_000)
        } else if let value = current {
            numbers.append(value)
            current = nil
        }
    }
    if let value = current { numbers.append(value) }
    return numbers
}

/// Big-endian bytes of integers, for writing expected encodings by hand.
func be(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
func be(_ value: UInt32) -> [UInt8] { (0..<4).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } }
func be(_ value: Int32) -> [UInt8] { be(UInt32(bitPattern: value)) }
func be(_ value: UInt64) -> [UInt8] { (0..<8).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } }

/// Builds an envelope from Alice by hand, so that a test can make it wrong in exactly one way.
///
/// By default the result is a valid all-clear envelope for Bob.
struct EnvelopeRecipe {
    var version: UInt8 = Envelope.version
    var kind: MessageKind = .allClear
    var body: [UInt8] = [0, 0]
    var messageID = Fixture.messageID
    var createdAt = Fixture.now
    var signer = Fixture.alice.signing
    var senderKey = Fixture.alice.signing.publicKey.rawRepresentation
    var recipientKey = Fixture.bob.signing.publicKey.rawRepresentation
    var signatureOverride: [UInt8]?
    var bodyLengthOverride: UInt32?
    var sealedTo = Fixture.bob.encryption.publicKey

    var inner: [UInt8] {
        Envelope.encodeInner(
            version: version, kind: kind, messageID: messageID, createdAt: createdAt, senderKey: senderKey,
            recipientKey: recipientKey, body: body, signer: signer, signatureOverride: signatureOverride,
            bodyLengthOverride: bodyLengthOverride)
    }

    func padded(sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
        try #require(Envelope.pad(inner), "the inner message fits no bucket", sourceLocation: sourceLocation)
    }

    func sealed(sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
        try Envelope.sealPadded(try padded(sourceLocation: sourceLocation), to: sealedTo)
    }
}

/// Builds a contact card's binary form field by field, with a real signature and checksum
/// unless told otherwise, so that a test can make it wrong in exactly one way.
///
/// By default the result is the binary form of Alice's card with one mailbox.
struct CardRecipe {
    var version: UInt8 = ContactCard.version
    var createdAt = Fixture.now.secondsSince1970
    var signingKey = Fixture.alice.signing.publicKey.rawRepresentation
    var encryptionKey = Fixture.alice.encryption.publicKey.rawRepresentation
    var name = Array("Alice".utf8)
    var mailboxes: [(url: [UInt8], id: [UInt8])] = [
        (Array(Fixture.mailbox.relayURL.utf8), Array(Fixture.mailbox.mailboxID.utf8))
    ]
    var mailboxCountOverride: UInt8?
    /// Bytes inserted between the last mailbox and the signature.
    var extra: [UInt8] = []
    var signer = Fixture.alice.signing
    var signatureOverride: [UInt8]?
    var totalLengthOverride: UInt16?

    var binary: [UInt8] {
        var bytes: [UInt8] = [version, 0, 0] + be(createdAt) + signingKey + encryptionKey
        bytes += [UInt8(name.count)] + name
        bytes.append(mailboxCountOverride ?? UInt8(mailboxes.count))
        for mailbox in mailboxes {
            bytes += [UInt8(mailbox.url.count)] + mailbox.url + [UInt8(mailbox.id.count)] + mailbox.id
        }
        bytes += extra
        let total = totalLengthOverride ?? UInt16(bytes.count + SigningPublicKey.signatureByteCount + ContactCard.checksumByteCount)
        bytes[1] = UInt8(total >> 8)
        bytes[2] = UInt8(total & 0xff)
        bytes += signatureOverride ?? signer.signature(for: DomainSeparation.cardSignature + bytes)
        bytes += ContactCard.checksum(of: bytes)
        return bytes
    }
}

/// `bytes` with the last four bytes replaced by the checksum of the rest, as a forger (or a
/// random corruption that happens to fix it) would leave them.
func withFixedChecksum(_ bytes: [UInt8]) -> [UInt8] {
    guard bytes.count > ContactCard.checksumByteCount else { return bytes }
    let body = Array(bytes.dropLast(ContactCard.checksumByteCount))
    return body + ContactCard.checksum(of: body)
}

/// `bytes` with the declared total length (bytes 1 and 2) set to the actual length.
func withFixedLength(_ bytes: [UInt8]) -> [UInt8] {
    guard bytes.count >= 3, bytes.count <= Int(UInt16.max) else { return bytes }
    var copy = bytes
    copy[1] = UInt8(bytes.count >> 8)
    copy[2] = UInt8(bytes.count & 0xff)
    return copy
}

extension BodyError {
    /// The case, without its associated values; exhaustive, so that a new case must be added here.
    var caseName: String {
        switch self {
        case .truncated: return "truncated"
        case .trailingBytes: return "trailingBytes"
        case .reservedBitsSet: return "reservedBitsSet"
        case .fieldTooLong: return "fieldTooLong"
        case .invalidText: return "invalidText"
        case .invalidValue: return "invalidValue"
        }
    }
}
