/// The rules every text field of every Vigil format follows.
///
/// Text is UTF-8, strictly valid (no overlong forms, no surrogates), and free of characters
/// that could make one message look like another on a screen: C0 controls other than tab and
/// line feed, DEL, C1 controls, and the bidirectional embedding, override and isolate
/// characters. Single-line fields (names) also refuse tab and line feed.
///
/// Applications use ``isValid(_:maxBytes:singleLine:)`` to check what people type (names,
/// aliases) by the same rules before anything is sealed or signed.
public enum TextRules {
    enum Violation: Error {
        case tooLong
        case invalid
    }

    /// Checks `bytes` and returns them as a string.
    static func decode(_ bytes: [UInt8], maxBytes: Int, singleLine: Bool) throws(Violation) -> String {
        guard bytes.count <= maxBytes else { throw .tooLong }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalid }
        for scalar in text.unicodeScalars where !isAllowed(scalar, singleLine: singleLine) {
            throw .invalid
        }
        return text
    }

    /// Checks `text` for writing; returns its UTF-8 bytes.
    static func encode(_ text: String, maxBytes: Int, singleLine: Bool) throws(Violation) -> [UInt8] {
        let bytes = Array(text.utf8)
        guard bytes.count <= maxBytes else { throw .tooLong }
        for scalar in text.unicodeScalars where !isAllowed(scalar, singleLine: singleLine) {
            throw .invalid
        }
        return bytes
    }

    /// Whether `text` is 1 to `maxBytes` UTF-8 bytes and every character is allowed.
    public static func isValid(_ text: String, maxBytes: Int, singleLine: Bool) -> Bool {
        let count = text.utf8.count
        return count >= 1 && count <= maxBytes && text.unicodeScalars.allSatisfy { isAllowed($0, singleLine: singleLine) }
    }

    /// Whether one character may appear in a text field (`singleLine`: also no tab or line feed).
    public static func isAllowed(_ scalar: Unicode.Scalar, singleLine: Bool) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A: return !singleLine
        case 0x00...0x1F, 0x7F, 0x80...0x9F: return false
        case 0x202A...0x202E, 0x2066...0x2069: return false
        default: return true
        }
    }
}
