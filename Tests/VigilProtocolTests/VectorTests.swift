import Foundation
import Testing
import VigilCrypto
import VigilProtocol

// Conformance to the published test vectors in Protocol/vectors/: what another implementation
// is told to pass, this one must pass too. A missing or empty vector file fails the suite.

/// Everything the vector tests read, in one namespace so that no name clashes with the other
/// test files of this target.
enum ProtocolVectors {
    // MARK: Vector files

    /// A JSON value, to compare decoded fields with the vectors exactly (null included).
    enum JSONValue: Decodable, Equatable, Sendable, CustomStringConvertible {
        case null
        case bool(Bool)
        case int(Int64)
        case string(String)
        case array([JSONValue])
        case object([String: JSONValue])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Int64.self) {
                self = .int(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else if let value = try? container.decode([JSONValue].self) {
                self = .array(value)
            } else {
                self = .object(try container.decode([String: JSONValue].self))
            }
        }

        var description: String {
            switch self {
            case .null: return "null"
            case .bool(let value): return String(value)
            case .int(let value): return String(value)
            case .string(let value): return value.debugDescription
            case .array(let values): return "[" + values.map(\.description).joined(separator: ", ") + "]"
            case .object(let members):
                return "{" + members.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
            }
        }
    }

    struct VectorError: Error, CustomStringConvertible {
        let description: String
    }

    enum VectorFiles {
        /// Protocol/vectors/, found from this file's path: Tests/VigilProtocolTests/VectorTests.swift.
        static let directory: URL = {
            var url = URL(fileURLWithPath: #filePath)
            while url.pathComponents.count > 1 {
                url.deleteLastPathComponent()
                if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                    return url.appendingPathComponent("Protocol/vectors", isDirectory: true)
                }
            }
            return URL(fileURLWithPath: "Protocol/vectors", isDirectory: true)
        }()

        static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
            let url = directory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw VectorError(description: "missing vector file \(url.path): run Tools/generate-vectors.sh")
            }
            guard !data.isEmpty else { throw VectorError(description: "empty vector file \(url.path)") }
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return try decoder.decode(T.self, from: data)
        }

        static func envelopes() throws -> EnvelopeFile {
            let file = try load("envelopes.json", as: EnvelopeFile.self)
            guard !file.valid.isEmpty, !file.invalid.isEmpty else { throw VectorError(description: "envelopes.json has no vectors") }
            return file
        }

        static func cards() throws -> CardFile {
            let file = try load("cards.json", as: CardFile.self)
            guard !file.valid.isEmpty, !file.invalid.isEmpty else { throw VectorError(description: "cards.json has no vectors") }
            return file
        }

        static func identity() throws -> IdentityFile {
            let file = try load("identity.json", as: IdentityFile.self)
            guard !file.fingerprints.isEmpty, !file.safetyNumbers.isEmpty else {
                throw VectorError(description: "identity.json has no vectors")
            }
            return file
        }
    }

    static func bytes(_ hex: String) throws -> [UInt8] {
        guard let bytes = Hex.decode(hex) else { throw VectorError(description: "not hex: \(hex.prefix(40))") }
        return bytes
    }

    struct RecipientKeys: Decodable, Sendable {
        let encryptionSecretKeyHex: String
        let encryptionPublicKeyHex: String
        let signingSeedHex: String
        let signingPublicKeyHex: String

        /// The recipient's identity, after checking that the keys derive the public keys listed.
        func identity() throws -> Identity {
            let identity = Identity(
                signing: try SigningKeyPair(seed: SecureBytes(copying: try ProtocolVectors.bytes(signingSeedHex))),
                encryption: try EncryptionKeyPair(secretKey: SecureBytes(copying: try ProtocolVectors.bytes(encryptionSecretKeyHex))))
            guard Hex.encode(identity.signing.publicKey.rawRepresentation) == signingPublicKeyHex,
                Hex.encode(identity.encryption.publicKey.rawRepresentation) == encryptionPublicKeyHex
            else { throw VectorError(description: "recipient keys do not derive the listed public keys") }
            return identity
        }
    }

    struct SenderKeys: Decodable, Sendable {
        let signingSeedHex: String
        let signingPublicKeyHex: String
    }

    struct EnvelopeFile: Decodable, Sendable {
        let format: String
        let generator: String
        let valid: [ValidEnvelope]
        let invalid: [InvalidEnvelope]
    }

    struct ValidEnvelope: Decodable, Sendable, CustomTestStringConvertible {
        struct Expected: Decodable, Sendable {
            let version: Int
            let kind: Int
            let kindName: String
            let messageIdHex: String
            let createdAt: UInt64
            let senderSigningPublicKeyHex: String
            let recipientSigningPublicKeyHex: String
            let bodyLength: Int
            let body: JSONValue
            let bodyHex: String
        }

        let name: String
        let sender: SenderKeys
        let recipient: RecipientKeys
        let paddedLength: Int
        let sealedLength: Int
        let innerLength: Int
        let expected: Expected
        let innerHex: String
        let sealedHex: String

        var testDescription: String { name }
    }

    struct InvalidEnvelope: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let recipient: RecipientKeys
        let expectedError: String
        let expectedBodyError: String?
        let expectedBodyField: String?
        let paddedHex: String?
        let sealedHex: String

        var testDescription: String { name }
    }

    struct CardFile: Decodable, Sendable {
        let format: String
        let generator: String
        let valid: [ValidCard]
        let invalid: [InvalidCard]
    }

    struct ValidCard: Decodable, Sendable, CustomTestStringConvertible {
        struct Mailbox: Decodable, Sendable {
            let relayUrl: String
            let mailboxId: String
        }

        struct Expected: Decodable, Sendable {
            let version: Int
            let createdAt: UInt64
            let signingPublicKeyHex: String
            let encryptionPublicKeyHex: String
            let displayName: String
            let mailboxes: [Mailbox]
            let signatureHex: String
            let fingerprint: String
        }

        let name: String
        let owner: SenderKeys
        let text: String
        let canonicalText: String
        let binaryLength: Int
        let binaryHex: String
        let expected: Expected

        var testDescription: String { name }
    }

    struct InvalidCard: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let text: String
        let expectedError: String
        let expectedPosition: Int?
        let expectedField: String?

        var testDescription: String { name }
    }

    struct IdentityFile: Decodable, Sendable {
        struct Keys: Decodable, Sendable {
            let name: String
            let signingPublicKeyHex: String
            let encryptionPublicKeyHex: String

            func publicIdentity() throws -> PublicIdentity {
                PublicIdentity(
                    signingKey: try SigningPublicKey(rawRepresentation: try ProtocolVectors.bytes(signingPublicKeyHex)),
                    encryptionKey: try EncryptionPublicKey(rawRepresentation: try ProtocolVectors.bytes(encryptionPublicKeyHex)))
            }
        }

        struct FingerprintVector: Decodable, Sendable, CustomTestStringConvertible {
            let identity: Keys
            let digestHex: String
            let display: String
            var testDescription: String { identity.name }
        }

        struct SafetyNumberVector: Decodable, Sendable, CustomTestStringConvertible {
            let a: Keys
            let b: Keys
            let lower: String
            let digestHex: String
            let safetyNumber: String
            var testDescription: String { "\(a.name) and \(b.name)" }
        }

        let format: String
        let generator: String
        let fingerprints: [FingerprintVector]
        let safetyNumbers: [SafetyNumberVector]
    }

    // MARK: The body as the vectors name it (Protocol/bodies.md)

    static func vectorJSON(_ body: MessageBody) -> JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        func time(_ value: Timestamp?) -> JSONValue { value.map { .int(Int64($0.secondsSince1970)) } ?? .null }
        func location(_ value: Location?) -> JSONValue {
            guard let value else { return .null }
            return .object(["latitude_e7": .int(Int64(value.latitudeE7)), "longitude_e7": .int(Int64(value.longitudeE7))])
        }
        func escalation(_ value: Escalation?) -> JSONValue {
            guard let value else { return .null }
            return .object([
                "alerts_at": .int(Int64(value.alertsAt.secondsSince1970)),
                "timers": .array(value.timers.map {
                    .object(["relay_url": .string($0.relayURL), "key_seed_hex": .string(Hex.encode($0.keySeed))])
                }),
            ])
        }
        switch body {
        case .checkIn(let checkIn):
            let status: String
            switch checkIn.status {
            case .ok: status = "ok"
            case .needSupport: status = "need_support"
            case .inDanger: status = "in_danger"
            }
            return .object([
                "status": .string(status), "duress": .bool(checkIn.duress), "note": text(checkIn.note),
                "location": location(checkIn.location),
                "next_due_at": time(checkIn.nextDueAt),
            ])
        case .panic(let panic):
            return .object([
                "message": text(panic.message), "location": location(panic.location),
                "escalation": escalation(panic.escalation), "escalated": .bool(panic.escalated),
            ])
        case .receipt(let receipt):
            return .object(["message_ids_hex": .array(receipt.messageIDs.map { .string(Hex.encode($0.bytes)) })])
        case .acknowledgement(let ack):
            return .object(["message_id_hex": .string(Hex.encode(ack.messageID.bytes)), "note": text(ack.note)])
        case .missedCheckIn(let missed):
            return .object([
                "last_check_in_at": time(missed.lastCheckInAt), "due_at": time(missed.dueAt), "message": text(missed.message),
                "escalation": escalation(missed.escalation), "escalated": .bool(missed.escalated),
            ])
        case .allClear(let clear):
            return .object(["message": text(clear.message)])
        case .unknown(_, let payload):
            return .object(["payload_hex": .string(Hex.encode(payload))])
        }
    }

    /// The spec's name for a body error and the field it names.
    static func vectorNames(_ error: BodyError) -> (error: String, field: String?) {
        (error.code, error.field)
    }
}

// MARK: - Tests

@Suite("Protocol test vectors")
struct VectorTests {
    @Test("every vector file is present and covers what the spec promises")
    func filesArePresentAndComplete() throws {
        let envelopes = try ProtocolVectors.VectorFiles.envelopes()
        #expect(envelopes.valid.count >= 20)
        #expect(envelopes.invalid.count >= 40)
        // Every kind, every bucket, every error code.
        let kinds = Set(envelopes.valid.map(\.expected.kind))
        #expect(kinds.isSuperset(of: [1, 2, 3, 4, 5, 6, 0x7F]))
        #expect(Set(envelopes.valid.map(\.paddedLength)) == Set(Envelope.buckets))
        #expect(Set(envelopes.invalid.map(\.expectedError))
            == ["sealed_box", "padding", "version", "length", "signature", "recipient", "body"])

        let cards = try ProtocolVectors.VectorFiles.cards()
        #expect(cards.valid.count >= 4)
        #expect(Set(cards.invalid.map(\.expectedError))
            == ["prefix", "character", "truncated", "trailing_data", "checksum", "version", "field", "signature"])

        let identity = try ProtocolVectors.VectorFiles.identity()
        #expect(identity.fingerprints.count >= 2)
        #expect(identity.safetyNumbers.count >= 2)
    }

    @Test("a valid envelope opens to exactly the expected fields", arguments: try ProtocolVectors.VectorFiles.envelopes().valid)
    func validEnvelope(_ vector: ProtocolVectors.ValidEnvelope) throws {
        let recipient = try vector.recipient.identity()
        let sealed = try ProtocolVectors.bytes(vector.sealedHex)
        let inner = try ProtocolVectors.bytes(vector.innerHex)
        let expected = vector.expected

        let opened = try Envelope.open(sealed, as: recipient)
        #expect(Int(opened.kind.rawValue) == expected.kind)
        #expect(opened.kind.name == expected.kindName)
        #expect(Hex.encode(opened.id.bytes) == expected.messageIdHex)
        #expect(opened.createdAt.secondsSince1970 == expected.createdAt)
        #expect(Hex.encode(opened.sender.rawRepresentation) == expected.senderSigningPublicKeyHex)
        #expect(Hex.encode(opened.sender.rawRepresentation) == vector.sender.signingPublicKeyHex)
        #expect(Hex.encode(opened.recipient.rawRepresentation) == expected.recipientSigningPublicKeyHex)
        #expect(opened.paddedByteCount == vector.paddedLength)
        #expect(ProtocolVectors.vectorJSON(opened.body) == expected.body)
        #expect(Hex.encode(try opened.body.encoded()) == expected.bodyHex)
        #expect(expected.bodyHex.count / 2 == expected.bodyLength)

        // The sizes and the inner message the vector documents.
        #expect(sealed.count == vector.sealedLength)
        #expect(sealed.count == vector.paddedLength + EncryptionPublicKey.sealOverhead)
        #expect(inner.count == vector.innerLength)
        #expect(inner.first.map(Int.init) == expected.version)
        #expect(expected.version == Int(Envelope.version))
        let padded = try recipient.encryption.open(sealed)
        #expect(padded == ISO7816Padding.pad(inner, blockSize: vector.paddedLength))
        #expect(Envelope.buckets.first { inner.count < $0 } == vector.paddedLength)

        // The signed inner message is reproducible from the sender's seed.
        let sender = try SigningKeyPair(seed: SecureBytes(copying: try ProtocolVectors.bytes(vector.sender.signingSeedHex)))
        let tag = Array("Vigil envelope signature v1".utf8) + [0]
        #expect(sender.signature(for: tag + inner.dropLast(64)) == Array(inner.suffix(64)))
    }

    @Test("an invalid envelope fails with exactly its expected error", arguments: try ProtocolVectors.VectorFiles.envelopes().invalid)
    func invalidEnvelope(_ vector: ProtocolVectors.InvalidEnvelope) throws {
        let recipient = try vector.recipient.identity()
        let sealed = try ProtocolVectors.bytes(vector.sealedHex)
        let error = #expect(throws: EnvelopeError.self) { try Envelope.open(sealed, as: recipient) }
        #expect(error?.code == vector.expectedError)
        if case .invalidBody(_, let bodyError)? = error {
            let names = ProtocolVectors.vectorNames(bodyError)
            #expect(names.error == vector.expectedBodyError)
            #expect(names.field == vector.expectedBodyField)
        } else {
            #expect(vector.expectedBodyError == nil)
        }
        if let paddedHex = vector.paddedHex {
            #expect(try recipient.encryption.open(sealed) == ProtocolVectors.bytes(paddedHex))
        }
    }

    @Test("a valid card parses to the expected fields and re-encodes canonically", arguments: try ProtocolVectors.VectorFiles.cards().valid)
    func validCard(_ vector: ProtocolVectors.ValidCard) throws {
        let card = try ContactCard(text: vector.text)
        let expected = vector.expected
        #expect(card.text == vector.canonicalText)
        #expect(Hex.encode(card.binaryRepresentation) == vector.binaryHex)
        #expect(card.binaryRepresentation.count == vector.binaryLength)
        #expect(Int(card.binaryRepresentation[0]) == expected.version)
        #expect(card.createdAt.secondsSince1970 == expected.createdAt)
        #expect(Hex.encode(card.identity.signingKey.rawRepresentation) == expected.signingPublicKeyHex)
        #expect(Hex.encode(card.identity.encryptionKey.rawRepresentation) == expected.encryptionPublicKeyHex)
        #expect(card.displayName == expected.displayName)
        #expect(card.mailboxes.map(\.relayURL) == expected.mailboxes.map(\.relayUrl))
        #expect(card.mailboxes.map(\.mailboxID) == expected.mailboxes.map(\.mailboxId))
        #expect(Hex.encode(card.signature) == expected.signatureHex)
        #expect(card.identity.fingerprint.description == expected.fingerprint)
        #expect(try ContactCard(binaryRepresentation: ProtocolVectors.bytes(vector.binaryHex)) == card)
        #expect(Hex.encode(card.identity.signingKey.rawRepresentation) == vector.owner.signingPublicKeyHex)
    }

    @Test("an invalid card fails with exactly its expected error", arguments: try ProtocolVectors.VectorFiles.cards().invalid)
    func invalidCard(_ vector: ProtocolVectors.InvalidCard) throws {
        let error = #expect(throws: CardError.self) { try ContactCard(text: vector.text) }
        #expect(error?.code == vector.expectedError)
        switch error {
        case .invalidCharacter(let position)?:
            #expect(position == vector.expectedPosition)
        case .invalidField(let field)?:
            #expect(field == vector.expectedField)
        default:
            #expect(vector.expectedPosition == nil)
            #expect(vector.expectedField == nil)
        }
    }

    @Test("a fingerprint matches its vector", arguments: try ProtocolVectors.VectorFiles.identity().fingerprints)
    func fingerprint(_ vector: ProtocolVectors.IdentityFile.FingerprintVector) throws {
        let identity = try vector.identity.publicIdentity()
        #expect(Hex.encode(identity.fingerprint.digest) == vector.digestHex)
        #expect(identity.fingerprint.description == vector.display)
        let tag = Array("Vigil fingerprint v1".utf8) + [0]
        let keys = identity.signingKey.rawRepresentation + identity.encryptionKey.rawRepresentation
        #expect(Hex.encode(BLAKE2b.hash(tag, keys)) == vector.digestHex)
    }

    @Test("a safety number matches its vector in either order", arguments: try ProtocolVectors.VectorFiles.identity().safetyNumbers)
    func safetyNumber(_ vector: ProtocolVectors.IdentityFile.SafetyNumberVector) throws {
        let a = try vector.a.publicIdentity()
        let b = try vector.b.publicIdentity()
        #expect(SafetyNumber(a, b).description == vector.safetyNumber)
        #expect(SafetyNumber(b, a).description == vector.safetyNumber)

        let keysA = try ProtocolVectors.bytes(vector.a.signingPublicKeyHex) + ProtocolVectors.bytes(vector.a.encryptionPublicKeyHex)
        let keysB = try ProtocolVectors.bytes(vector.b.signingPublicKeyHex) + ProtocolVectors.bytes(vector.b.encryptionPublicKeyHex)
        #expect(keysA.lexicographicallyPrecedes(keysB) == (vector.lower == "a"))
        let (lower, higher) = vector.lower == "a" ? (keysA, keysB) : (keysB, keysA)
        let digest = BLAKE2b.hash(Array("Vigil safety number v1".utf8) + [0], lower, higher)
        #expect(Hex.encode(digest) == vector.digestHex)
        let groups = (0..<6).map { group in
            let value = digest[group * 5..<group * 5 + 5].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } % 100_000
            let digits = String(value)
            return String(repeating: "0", count: 5 - digits.count) + digits
        }
        #expect(groups.joined(separator: " ") == vector.safetyNumber)
    }
}
