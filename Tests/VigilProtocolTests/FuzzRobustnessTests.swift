import Testing
import VigilCrypto
@_spi(VectorGeneration) @testable import VigilProtocol

// Randomized inputs from a fixed seed: every run feeds the same inputs, so a failure reproduces.
// "Never crash" is what the runs check first (a trap would end the test process); beyond that,
// every success must be canonical and every failure the documented one, and each run must reach
// the deep checks it is meant to exercise. Each loop is sized to keep the file within a few
// seconds in a debug build.

private let seed: UInt64 = 0x5EED_2025_1125

/// A length: mostly short, sometimes up to `max`.
private func randomLength(_ random: inout SplitMix64, max: Int = 2000) -> Int {
    switch random.below(10) {
    case 0..<5: return random.below(33)
    case 5..<8: return random.below(301)
    default: return random.below(max + 1)
    }
}

/// `bytes` with one to three random edits: bit flips, overwrites, insertions, deletions,
/// truncation, or a boundary value.
private func mutated(_ bytes: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
    var out = bytes
    for _ in 0...random.below(3) {
        let position = random.below(out.count + 1)
        switch random.below(6) {
        case 0 where position < out.count: out[position] ^= 1 << UInt8(random.below(8))
        case 1 where position < out.count: out[position] = UInt8(truncatingIfNeeded: random.next())
        case 2: out.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
        case 3 where position < out.count: out.remove(at: position)
        case 4: out.removeLast(out.count - position)
        case 5 where position < out.count: out[position] = random.element(of: [0x00, 0x01, 0x04, 0x7F, 0x80, 0xFF])
        default: break
        }
    }
    return out
}

/// A random Unicode scalar, from ASCII to the supplementary planes, surrogates excluded.
private func randomScalar(_ random: inout SplitMix64) -> Unicode.Scalar {
    let ranges: [ClosedRange<UInt32>] = [0...0x7F, 0x80...0x7FF, 0x800...0xD7FF, 0xE000...0xFFFF, 0x10000...0x10FFFF]
    let range = random.element(of: ranges)
    return Unicode.Scalar(range.lowerBound + UInt32(random.below(Int(range.upperBound - range.lowerBound) + 1)))!
}

private let bodyKinds: [MessageKind] = MessageKind.known + [0, 0x07, 0xFF].map { MessageKind(rawValue: $0) }

/// Decodes `bytes` as `kind`; on success, checks the body is exactly what re-encodes to them.
/// Returns the error, or nil on success; appends a description of any inconsistency to `problems`.
private func decodeChecked(_ kind: MessageKind, _ bytes: [UInt8], problems: inout [String]) -> BodyError? {
    do {
        let body = try MessageBody.decode(kind: kind, from: bytes)
        if body.kind != kind { problems.append("\(kind) decoded as \(body.kind)") }
        if (try? body.encoded()) != bytes { problems.append("\(kind) \(bytes) does not re-encode to itself") }
        if !MessageKind.known.contains(kind), body != .unknown(kind: kind, payload: bytes) {
            problems.append("unknown kind \(kind) was interpreted")
        }
        return nil
    } catch {
        return error
    }
}

@Suite("Robustness against random and mutated input") struct FuzzRobustnessTests {
    @Test("The generator is the standard SplitMix64, so seeds reproduce")
    func theGeneratorIsTheStandardSplitMix64SoSeedsReproduce() {
        var random = SplitMix64(seed: 0)
        #expect(random.next() == 0xE220_A839_7B1D_CDAF)
        #expect(random.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    // MARK: Bodies

    @Test("Random bytes as a body of any kind decode canonically or throw a BodyError (seed 0x5EED20251125)")
    func randomBytesAsABodyOfAnyKindDecodeCanonicallyOrThrowBodyError() {
        var random = SplitMix64(seed: seed)
        var problems: [String] = []
        var outcomes: Set<String> = []
        for _ in 0..<4000 {
            let kind = random.element(of: bodyKinds)
            let bytes = random.bytes(randomLength(&random))
            outcomes.insert(decodeChecked(kind, bytes, problems: &problems)?.caseName ?? "success")
        }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(outcomes.isSuperset(of: ["success", "truncated", "reservedBitsSet", "fieldTooLong", "invalidValue"]))
    }

    @Test("Mutated valid bodies decode canonically or throw a BodyError (seed 0x5EED20251126)")
    func mutatedValidBodiesDecodeCanonicallyOrThrowBodyError() throws {
        var random = SplitMix64(seed: seed + 1)
        let valid = knownBodies.map(\.body) + [
            .checkIn(CheckIn(status: .ok, note: "Ünïcödé 👩🏽‍⚖️ notes\n")),
            .receipt(Receipt(messageIDs: Fixture.messageIDs(20))),
        ]
        let encodings = try valid.map { (kind: $0.kind, bytes: try $0.encoded()) }
        var problems: [String] = []
        var outcomes: Set<String> = []
        for _ in 0..<6000 {
            let original = random.element(of: encodings)
            let bytes = mutated(original.bytes, &random)
            outcomes.insert(decodeChecked(original.kind, bytes, problems: &problems)?.caseName ?? "success")
        }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(outcomes == ["success", "truncated", "trailingBytes", "reservedBitsSet", "fieldTooLong", "invalidText", "invalidValue"])
    }

    // MARK: Base32

    @Test("Random text decodes as Base32 or reports its first invalid character (seed 0x5EED20251127)")
    func randomTextDecodesAsBase32OrReportsTheFirstInvalidCharacter() {
        var random = SplitMix64(seed: seed + 2)
        let valid = Set(Array("0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghjkmnpqrstvwxyzOoIiLl".utf8))
        let likely = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghjkmnpqrstvwxyzOoIiLlU-_ \u{7F}".utf8)
        var problems: [String] = []
        var failures = 0
        for _ in 0..<3000 {
            let length = randomLength(&random)
            let characters: [UInt8] = random.chance(1, in: 2)
                ? random.bytes(length) : (0..<length).map { _ in random.element(of: likely) }
            do {
                let decoded = try CrockfordBase32.decode(characters)
                if !characters.allSatisfy(valid.contains) { problems.append("accepted \(characters)") }
                if decoded.bytes.count != characters.count * 5 / 8 { problems.append("wrong length for \(characters)") }
            } catch {
                failures += 1
                let position = error.position
                if position >= characters.count || valid.contains(characters[position])
                    || !characters[..<position].allSatisfy(valid.contains)
                {
                    problems.append("position \(position) wrong in \(characters)")
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(failures > 0 && failures < 3000)
    }

    // MARK: Cards

    @Test("Random bytes never parse as a card (seed 0x5EED20251128)")
    func randomBytesNeverParseAsACard() {
        var random = SplitMix64(seed: seed + 3)
        var accepted = 0
        var codes: Set<String> = []
        for round in 0..<3000 {
            var bytes = random.bytes(randomLength(&random, max: 2400))
            // Most rounds get a matching length and checksum, so that the field parser is reached.
            if round % 4 != 0 {
                if !bytes.isEmpty, random.chance(3, in: 4) { bytes[0] = ContactCard.version }
                bytes = withFixedChecksum(withFixedLength(bytes))
            }
            do {
                _ = try ContactCard(binaryRepresentation: bytes)
                accepted += 1
            } catch {
                codes.insert(error.code)
            }
        }
        #expect(accepted == 0)
        #expect(codes == ["truncated", "trailing_data", "checksum", "version", "field"])
    }

    @Test("Mutated binary cards parse only as the original (seed 0x5EED20251129)")
    func mutatedCardsParseOnlyAsTheOriginal() throws {
        var random = SplitMix64(seed: seed + 4)
        let cards = [
            try aliceCard(), try aliceCard(displayName: "Ana María 👩🏽‍⚖️", mailboxes: try (0..<8).map(mailbox)),
        ]
        var problems: [String] = []
        var codes: Set<String> = []
        for round in 0..<3000 {
            let card = cards[round % cards.count]
            var bytes = mutated(card.binaryRepresentation, &random)
            if random.chance(3, in: 4) { bytes = withFixedChecksum(withFixedLength(bytes)) }
            do {
                let parsed = try ContactCard(binaryRepresentation: bytes)
                if parsed != card || parsed.binaryRepresentation != bytes { problems.append("accepted a changed card: \(bytes)") }
            } catch {
                codes.insert(error.code)
            }
        }
        #expect(problems.isEmpty, "\(problems.prefix(3))")
        #expect(codes.isSuperset(of: ["truncated", "trailing_data", "checksum", "field", "signature"]))
    }

    @Test("Random text never parses as a card and reports invalid positions correctly (seed 0x5EED2025112A)")
    func randomTextNeverParsesAsACardAndReportsPositionsCorrectly() {
        var random = SplitMix64(seed: seed + 5)
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        let allowed = Set(Array("0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghjkmnpqrstvwxyzOoIiLl \t\r\n-".utf8))
        var problems: [String] = []
        var codes: Set<String> = []
        for _ in 0..<2000 {
            let length = randomLength(&random, max: 1000)
            var text: String
            switch random.below(5) {
            case 0:  // the prefix and Base32 characters
                text = "VIGIL1:" + String((0..<length).map { _ in random.element(of: alphabet) })
            case 1:  // the prefix and random bytes in Base32, often with a matching length and checksum
                var bytes = random.bytes(length)
                if !bytes.isEmpty, random.chance(3, in: 4) { bytes[0] = ContactCard.version }
                if random.chance(3, in: 4) { bytes = withFixedLength(bytes) }
                if random.chance(1, in: 2) { bytes = withFixedChecksum(bytes) }
                text = "VIGIL1:" + CrockfordBase32.encode(bytes)
                if random.chance(1, in: 4) { text += String(random.element(of: alphabet)) }
            case 2:  // the prefix and a mix of Base32, separators and any other character
                text = "vigil1:" + String(String.UnicodeScalarView((0..<length).map { _ -> Unicode.Scalar in
                    random.chance(3, in: 4) ? Unicode.Scalar(random.element(of: Array(allowed))) : randomScalar(&random)
                }))
            case 3:  // any Unicode
                text = String(String.UnicodeScalarView((0..<length).map { _ in randomScalar(&random) }))
            default:  // the prefix and random bytes, decoded leniently
                text = "VIGIL1:" + String(decoding: random.bytes(length), as: UTF8.self)
            }
            do {
                _ = try ContactCard(text: text)
                problems.append("accepted \(text.debugDescription)")
            } catch .invalidCharacter(let position) {
                codes.insert("character")
                // The position counts from the end of the prefix in the trimmed text.
                let bytes = Array(text.utf8.drop { [0x20, 0x09, 0x0A, 0x0D, 0x2D].contains($0) }.dropFirst(7))
                if position >= bytes.count || allowed.contains(bytes[position]) || !bytes[..<position].allSatisfy(allowed.contains) {
                    problems.append("position \(position) wrong in \(text.debugDescription)")
                }
            } catch {
                codes.insert(error.code)
            }
        }
        #expect(problems.isEmpty, "\(problems.prefix(3))")
        #expect(codes.isSuperset(of: ["prefix", "character", "truncated", "trailing_data", "checksum", "version", "field"]))
    }

    @Test("Mutated card text parses only as the original (seed 0x5EED2025112B)")
    func mutatedCardTextParsesOnlyAsTheOriginal() throws {
        var random = SplitMix64(seed: seed + 6)
        let card = try aliceCard()
        let original = Array(card.text.utf8)
        let edits = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZoOiIlLuU -\n\t".utf8)
        var problems: [String] = []
        var accepted = 0
        for _ in 0..<2000 {
            var bytes = original
            for _ in 0...random.below(3) {
                let position = 7 + random.below(bytes.count - 6)
                switch random.below(4) {
                case 0 where position < bytes.count: bytes[position] = random.element(of: edits)
                case 1: bytes.insert(random.element(of: edits), at: position)
                case 2 where position < bytes.count: bytes.remove(at: position)
                case 3 where position < bytes.count && bytes[position] >= 0x41:
                    bytes[position] ^= 0x20  // change case
                default: break
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if let parsed = try? ContactCard(text: text) {
                accepted += 1
                if parsed != card { problems.append("accepted a changed card: \(text)") }
            }
        }
        #expect(problems.isEmpty, "\(problems.prefix(3))")
        #expect(accepted > 0)  // harmless edits (case, separators, O for 0) were among them
    }

    // MARK: Envelopes

    @Test("Random bytes never open as an envelope (seed 0x5EED2025112C)")
    func randomBytesNeverOpenAsAnEnvelope() {
        var random = SplitMix64(seed: seed + 7)
        var others: [EnvelopeError] = []
        var opened = 0
        for _ in 0..<600 {
            do {
                _ = try Envelope.open(random.bytes(randomLength(&random)), as: Fixture.bob)
                opened += 1
            } catch .sealedBoxOpenFailed {
                // As expected: nothing random authenticates.
            } catch {
                others.append(error)
            }
        }
        #expect(opened == 0)
        #expect(others.isEmpty, "\(others.prefix(3))")
    }

    @Test("Random bucket-sized plaintexts sealed to the recipient never open (seed 0x5EED2025112D)")
    func randomBucketSizedPlaintextsSealedToTheRecipientNeverOpen() throws {
        var random = SplitMix64(seed: seed + 8)
        var opened = 0
        var codes: Set<String> = []
        for _ in 0..<300 {
            let bucket = Envelope.buckets[random.below(random.chance(1, in: 8) ? 4 : 2)]
            var plaintext = random.bytes(bucket)
            if random.chance(1, in: 2) {
                // Give it valid padding at a random point, and often a valid version byte.
                let cut = random.below(bucket)
                plaintext[cut] = 0x80
                for index in (cut + 1)..<bucket { plaintext[index] = 0 }
                if random.chance(3, in: 4) { plaintext[0] = Envelope.version }
            }
            do {
                _ = try Envelope.open(try Envelope.sealPadded(plaintext, to: Fixture.bob.encryption.publicKey), as: Fixture.bob)
                opened += 1
            } catch {
                codes.insert(error.code)
            }
        }
        #expect(opened == 0)
        #expect(codes.isSubset(of: ["padding", "version", "length", "signature"]))
        #expect(codes.isSuperset(of: ["padding", "version", "length"]))
    }

    @Test("Random inner messages fail the length or signature check (seed 0x5EED2025112E)")
    func randomInnerMessagesWithConsistentLengthsFailTheSignatureCheck() throws {
        var random = SplitMix64(seed: seed + 9)
        var opened = 0
        var codes: Set<String> = []
        for _ in 0..<300 {
            let bodyLength = randomLength(&random, max: 1200)
            var inner = random.bytes(Envelope.overheadByteCount + bodyLength)
            inner[0] = Envelope.version
            if random.chance(3, in: 4) {
                inner.replaceSubrange(90..<94, with: be(UInt32(bodyLength)))
            }
            if random.chance(1, in: 2) {
                inner.replaceSubrange(26..<58, with: Fixture.alice.signing.publicKey.rawRepresentation)
            }
            let padded = try #require(Envelope.pad(inner))
            do {
                _ = try Envelope.open(try Envelope.sealPadded(padded, to: Fixture.bob.encryption.publicKey), as: Fixture.bob)
                opened += 1
            } catch {
                codes.insert(error.code)
            }
        }
        #expect(opened == 0)
        #expect(codes == ["length", "signature"])
    }

    @Test("Signed envelopes with random or mutated bodies open canonically or fail on the body (seed 0x5EED2025112F)")
    func signedEnvelopesWithRandomOrMutatedBodiesOpenCanonicallyOrFailOnTheBody() throws {
        var random = SplitMix64(seed: seed + 10)
        let encodings = try knownBodies.map { (kind: $0.body.kind, bytes: try $0.body.encoded()) }
        var problems: [String] = []
        var outcomes: Set<String> = []
        for _ in 0..<400 {
            var recipe = EnvelopeRecipe()
            if random.chance(1, in: 4) {
                recipe.kind = random.element(of: bodyKinds)
                recipe.body = random.bytes(randomLength(&random, max: 1500))
            } else {
                let original = random.element(of: encodings)
                recipe.kind = original.kind
                recipe.body = mutated(original.bytes, &random)
            }
            let sealed = try recipe.sealed()
            do {
                let opened = try Envelope.open(sealed, as: Fixture.bob)
                outcomes.insert("success")
                if opened.kind != recipe.kind || (try? opened.body.encoded()) != recipe.body {
                    problems.append("\(recipe.kind) \(recipe.body) opened as something else")
                }
            } catch .invalidBody(let kind, let error) {
                outcomes.insert(error.caseName)
                if kind != recipe.kind { problems.append("body error reported for \(kind), sent as \(recipe.kind)") }
            } catch {
                problems.append("\(recipe.kind) \(recipe.body): \(error.code)")
            }
        }
        #expect(problems.isEmpty, "\(problems.prefix(3))")
        #expect(outcomes.isSuperset(of: ["success", "truncated", "trailingBytes"]))
    }
}
