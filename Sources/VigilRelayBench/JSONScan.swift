import NIOCore

/// Finds integer values by key in relay JSON without decoding the rest (the base64 blobs).
///
/// Sound for the relay's responses because their only string values are base64 blobs and
/// error text, neither of which contains a quoted key followed by a colon.
enum JSONScan {
    /// Every non-negative integer value of `"key"` in `buffer`, in order.
    static func integers(forKey key: String, in buffer: ByteBuffer) -> [Int64] {
        let pattern = Array("\"\(key)\"".utf8)
        return buffer.withUnsafeReadableBytes { bytes in
            var values: [Int64] = []
            var index = 0
            let end = bytes.count
            while index + pattern.count <= end {
                guard bytes[index] == pattern[0], matches(pattern, bytes, at: index) else {
                    index += 1
                    continue
                }
                index += pattern.count
                while index < end, isSpace(bytes[index]) { index += 1 }
                guard index < end, bytes[index] == UInt8(ascii: ":") else { continue }
                index += 1
                while index < end, isSpace(bytes[index]) { index += 1 }
                var value: Int64 = 0
                var digits = 0
                while index < end, (0x30...0x39).contains(bytes[index]), digits < 18 {
                    value = value * 10 + Int64(bytes[index] - 0x30)
                    digits += 1
                    index += 1
                }
                if digits > 0 { values.append(value) }
            }
            return values
        }
    }

    /// Whether `"key"` appears with the value `true`.
    static func isTrue(forKey key: String, in buffer: ByteBuffer) -> Bool {
        let pattern = Array("\"\(key)\"".utf8)
        let literal = Array("true".utf8)
        return buffer.withUnsafeReadableBytes { bytes in
            var index = 0
            while index + pattern.count <= bytes.count {
                guard bytes[index] == pattern[0], matches(pattern, bytes, at: index) else {
                    index += 1
                    continue
                }
                index += pattern.count
                while index < bytes.count, isSpace(bytes[index]) { index += 1 }
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { continue }
                index += 1
                while index < bytes.count, isSpace(bytes[index]) { index += 1 }
                return index + literal.count <= bytes.count && bytes[index] == literal[0] && matches(literal, bytes, at: index)
            }
            return false
        }
    }

    private static func matches(_ pattern: [UInt8], _ bytes: UnsafeRawBufferPointer, at start: Int) -> Bool {
        for offset in 1..<pattern.count where bytes[start + offset] != pattern[offset] {
            return false
        }
        return true
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
