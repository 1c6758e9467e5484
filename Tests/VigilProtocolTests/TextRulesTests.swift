import Testing
@testable import VigilProtocol

/// Byte strings no text field may hold, named for the test report.
private let forbiddenTexts: [(name: String, bytes: [UInt8])] = [
    ("invalid UTF-8 byte", [0x61, 0xFF, 0x62]),
    ("lone continuation byte", [0x80]),
    ("sequence cut short", [0xE2, 0x82]),
    ("overlong slash", [0xC0, 0xAF]),
    ("overlong NUL", [0xC0, 0x80]),
    ("overlong three-byte form", [0xE0, 0x80, 0xAF]),
    ("UTF-16 surrogate", [0xED, 0xA0, 0x80]),
    ("beyond U+10FFFF", [0xF4, 0x90, 0x80, 0x80]),
    ("NUL", [0x61, 0x00]),
    ("ESC", [0x1B, 0x5B, 0x32, 0x4A]),
    ("carriage return", [0x0D]),
    ("vertical tab", [0x0B]),
    ("unit separator U+001F", [0x1F]),
    ("DEL", [0x7F]),
    ("C1 control U+0080", [0xC2, 0x80]),
    ("C1 next line U+0085", [0xC2, 0x85]),
    ("C1 control U+009F", [0xC2, 0x9F]),
    ("bidi embedding U+202A", [0xE2, 0x80, 0xAA]),
    ("bidi override U+202E", [0xE2, 0x80, 0xAE]),
    ("bidi isolate U+2066", [0xE2, 0x81, 0xA6]),
    ("bidi isolate end U+2069", [0xE2, 0x81, 0xA9]),
]

/// Text every field accepts, multi-line or not.
private let allowedTexts = [
    "plain ASCII ~!@#$%^&*()", "Ünïcödé", "مرحبا", "שלום", "你好", "👩🏽‍⚖️",
    "\u{200F}RLM is a mark, not an override",
    "U+00A0\u{A0}no-break space", "U+2065\u{2065}", "U+206A\u{206A}", "U+2029\u{2029}",
]

@Suite("Text rules") struct TextRulesTests {
    @Test("Forbidden bytes are refused in single-line and multi-line fields", arguments: forbiddenTexts)
    func forbiddenBytesAreRefusedInEveryKindOfField(_ name: String, _ bytes: [UInt8]) {
        for singleLine in [false, true] {
            #expect(throws: TextRules.Violation.invalid, "\(name), single line \(singleLine)") {
                try TextRules.decode(bytes, maxBytes: 1024, singleLine: singleLine)
            }
        }
    }

    @Test("Forbidden bytes in a body are invalid text", arguments: forbiddenTexts)
    func forbiddenBytesInABodyAreInvalidText(_ name: String, _ bytes: [UInt8]) {
        #expect(throws: BodyError.invalidText(field: "message"), "\(name)") {
            try MessageBody.decode(kind: .allClear, from: be(UInt16(bytes.count)) + bytes)
        }
    }

    @Test("Forbidden characters are refused when writing", arguments: forbiddenTexts)
    func forbiddenCharactersAreRefusedWhenWriting(_ name: String, _ bytes: [UInt8]) throws {
        // Only the ones that are valid UTF-8 can be in a String at all.
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        #expect(throws: TextRules.Violation.invalid, "\(name)") { try TextRules.encode(text, maxBytes: 1024, singleLine: false) }
        #expect(throws: BodyError.invalidText(field: "note"), "\(name)") {
            try MessageBody.checkIn(CheckIn(status: .ok, note: text)).encoded()
        }
    }

    @Test("The forbidden list has 13 valid UTF-8 cases for the refused characters")
    func theForbiddenListHasAValidUTF8CaseForEveryRefusedCharacterClass() {
        let valid = forbiddenTexts.filter { String(validating: $0.bytes, as: UTF8.self) != nil }
        #expect(valid.count == 13)
    }

    @Test("Ordinary text in any script is accepted", arguments: allowedTexts)
    func ordinaryTextInAnyScriptIsAccepted(_ text: String) throws {
        for singleLine in [false, true] {
            #expect(try TextRules.encode(text, maxBytes: 1024, singleLine: singleLine) == Array(text.utf8))
            #expect(try TextRules.decode(Array(text.utf8), maxBytes: 1024, singleLine: singleLine) == text)
        }
    }

    @Test("Tab and line feed are allowed only in multi-line fields")
    func tabAndLineFeedAreAllowedOnlyInMultiLineFields() throws {
        for text in ["two\nlines", "a\tb"] {
            #expect(try TextRules.encode(text, maxBytes: 1024, singleLine: false) == Array(text.utf8))
            #expect(try TextRules.decode(Array(text.utf8), maxBytes: 1024, singleLine: false) == text)
            #expect(throws: TextRules.Violation.invalid) { try TextRules.encode(text, maxBytes: 1024, singleLine: true) }
            #expect(throws: TextRules.Violation.invalid) { try TextRules.decode(Array(text.utf8), maxBytes: 1024, singleLine: true) }
        }
    }

    @Test("The limit counts UTF-8 bytes, not characters")
    func theLimitCountsUTF8BytesNotCharacters() throws {
        let four = "€€"  // 2 characters, 6 bytes
        #expect(try TextRules.encode(four, maxBytes: 6, singleLine: true).count == 6)
        #expect(throws: TextRules.Violation.tooLong) { try TextRules.encode(four, maxBytes: 5, singleLine: true) }
        #expect(throws: TextRules.Violation.tooLong) { try TextRules.decode(Array(four.utf8), maxBytes: 5, singleLine: true) }
    }

    @Test("Length is checked before content")
    func lengthIsCheckedBeforeContent() {
        // An over-long field is reported as such even when it also holds forbidden bytes.
        #expect(throws: TextRules.Violation.tooLong) { try TextRules.decode([0, 0, 0], maxBytes: 2, singleLine: false) }
    }

    @Test("The empty text is allowed")
    func theEmptyTextIsAllowed() throws {
        #expect(try TextRules.decode([], maxBytes: 0, singleLine: true) == "")
        #expect(try TextRules.encode("", maxBytes: 0, singleLine: true) == [])
    }

    @Test("Every scalar below U+00A0 is classified as documented")
    func everyScalarBelowU00A0IsClassifiedAsDocumented() throws {
        for value in UInt32(0)..<0xA0 {
            let scalar = try #require(Unicode.Scalar(value))
            let printable = (0x20...0x7E).contains(value)
            #expect(TextRules.isAllowed(scalar, singleLine: true) == printable, "U+\(String(value, radix: 16))")
            #expect(
                TextRules.isAllowed(scalar, singleLine: false) == (printable || value == 0x09 || value == 0x0A),
                "U+\(String(value, radix: 16))")
        }
    }

    @Test("Exactly the bidi embedding, override and isolate characters are refused around them")
    func exactlyTheBidiEmbeddingOverrideAndIsolateCharactersAreRefusedAroundThem() throws {
        for value in UInt32(0x2000)...0x2070 {
            let scalar = try #require(Unicode.Scalar(value))
            let refused = (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value)
            #expect(TextRules.isAllowed(scalar, singleLine: false) == !refused, "U+\(String(value, radix: 16))")
        }
    }
}
