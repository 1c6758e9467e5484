import Testing
@testable import VigilProtocol

/// RFC 4648 section 10's Base32 test vectors, translated letter for letter into Crockford's
/// alphabet, without `=` padding.
private let crockfordVectors: [(bytes: [UInt8], text: String)] = [
    ([], ""),
    (Array("f".utf8), "CR"),
    (Array("fo".utf8), "CSQG"),
    (Array("foo".utf8), "CSQPY"),
    (Array("foob".utf8), "CSQPYRG"),
    (Array("fooba".utf8), "CSQPYRK1"),
    (Array("foobar".utf8), "CSQPYRK1E8"),
    ([0xFF], "ZW"),
    ([0, 0, 0, 0, 0], "00000000"),
    ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF], "ZZZZZZZZ"),
    (Array(0..<10), "000G40R40M30E209"),
]

private func decode(_ text: String) throws(CrockfordBase32.InvalidCharacter) -> (bytes: [UInt8], ending: CrockfordBase32.Ending) {
    try CrockfordBase32.decode(Array(text.utf8))
}

@Suite("Crockford Base32") struct CrockfordBase32Tests {
    @Test("Encoding matches the RFC 4648 vectors translated to Crockford's alphabet", arguments: crockfordVectors)
    func encodingMatchesTheTranslatedRFC4648Vectors(_ bytes: [UInt8], _ text: String) {
        #expect(CrockfordBase32.encode(bytes) == text)
    }

    @Test("Decoding the vectors gives their bytes with a canonical ending", arguments: crockfordVectors)
    func decodingTheVectorsGivesTheirBytesWithACanonicalEnding(_ bytes: [UInt8], _ text: String) throws {
        let decoded = try decode(text)
        #expect(decoded.bytes == bytes)
        #expect(decoded.ending == .canonical)
    }

    @Test("The alphabet is Crockford's, without I, L, O and U")
    func theAlphabetIsCrockfordsWithoutILOU() {
        #expect(String(decoding: CrockfordBase32.alphabet, as: UTF8.self) == "0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        for letter in "ILOU".utf8 { #expect(!CrockfordBase32.alphabet.contains(letter)) }
    }

    @Test("Every character of the alphabet decodes to its index, in either case")
    func everyCharacterOfTheAlphabetDecodesToItsIndexInEitherCase() throws {
        for (index, character) in CrockfordBase32.alphabet.enumerated() {
            // Eight equal characters are 40 bits: five bytes, each repeating the 5-bit value.
            let value = UInt64(index)
            let expected = (0..<8).reduce(UInt64(0)) { acc, _ in acc << 5 | value }
            let bytes = (0..<5).reversed().map { UInt8(truncatingIfNeeded: expected >> ($0 * 8)) }
            for variant in Set([character, character | 0x20]) {  // digits have no lower case
                #expect(try CrockfordBase32.decode([UInt8](repeating: variant, count: 8)).bytes == bytes)
            }
        }
    }

    @Test("Decoding reads O as 0 and I and L as 1, in either case")
    func decodingReadsOAsZeroAndILAsOneInEitherCase() throws {
        #expect(try decode("Oo00").bytes == decode("0000").bytes)
        for one in ["I", "i", "L", "l"] {
            #expect(try decode("0" + one + "00").bytes == decode("0100").bytes, "\(one)")
        }
        #expect(try decode("csqpyrk1e8").bytes == Array("foobar".utf8))
    }

    @Test(
        "A character outside the alphabet is reported at its position",
        arguments: ["U", "u", "*", "-", " ", "=", "~", "$", "\u{0}", "\u{7F}"])
    func aCharacterOutsideTheAlphabetIsReportedAtItsPosition(_ bad: String) {
        for position in [0, 3, 7] {
            let text = String(repeating: "0", count: position) + bad + "00"
            #expect(throws: CrockfordBase32.InvalidCharacter(position: position)) { try decode(text) }
        }
    }

    @Test("A non-ASCII byte is an invalid character")
    func aNonASCIIByteIsAnInvalidCharacter() {
        for byte in [UInt8(0x80), 0xC3, 0xFF] {
            #expect(throws: CrockfordBase32.InvalidCharacter(position: 2)) { try CrockfordBase32.decode([0x30, 0x30, byte]) }
        }
    }

    @Test("The ending tells canonical text, non-zero filler and a dangling character apart", arguments: [
        ("0", [], CrockfordBase32.Ending.danglingCharacter),
        ("000", [0], .danglingCharacter),
        ("00", [0], .canonical),
        ("01", [0], .nonZeroFiller),
        ("ZZ", [0xFF], .nonZeroFiller),
        ("ZW", [0xFF], .canonical),
        ("0000", [0, 0], .canonical),
        ("0001", [0, 0], .nonZeroFiller),
        ("000000", [0, 0, 0], .danglingCharacter),
        ("0000000", [0, 0, 0, 0], .canonical),
        ("0000001", [0, 0, 0, 0], .nonZeroFiller),
    ] as [(String, [UInt8], CrockfordBase32.Ending)])
    func theEndingTellsCanonicalFillerAndDanglingCharactersApart(
        _ text: String, _ bytes: [UInt8], _ ending: CrockfordBase32.Ending
    ) throws {
        let decoded = try decode(text)
        #expect(decoded.bytes == bytes)
        #expect(decoded.ending == ending)
    }

    @Test("Random bytes survive encoding and decoding (seed 0xC0FFEE)")
    func randomBytesSurviveEncodingAndDecoding() throws {
        var random = SplitMix64(seed: 0xC0FFEE)
        for length in 0..<200 {
            let bytes = random.bytes(length)
            let text = CrockfordBase32.encode(bytes)
            #expect(text.utf8.count == (length * 8 + 4) / 5)
            let decoded = try decode(text)
            #expect(decoded.bytes == bytes)
            #expect(decoded.ending == .canonical)
            #expect(try decode(text.lowercased()).bytes == bytes)
        }
    }
}
