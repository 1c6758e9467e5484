/// Big-endian bytes written by hand, for bodies and cards that the library would refuse to
/// write because they are wrong on purpose.
struct Bytes {
    private(set) var bytes: [UInt8] = []

    func u8(_ value: UInt8) -> Bytes { raw([value]) }
    func u16(_ value: UInt16) -> Bytes { appending(UInt64(value), count: 2) }
    func i32(_ value: Int32) -> Bytes { appending(UInt64(UInt32(bitPattern: value)), count: 4) }
    func u32(_ value: UInt32) -> Bytes { appending(UInt64(value), count: 4) }
    func u64(_ value: UInt64) -> Bytes { appending(value, count: 8) }
    func raw(_ value: [UInt8]) -> Bytes {
        var copy = self
        copy.bytes += value
        return copy
    }
    /// A u16 length and the UTF-8 bytes, as body text fields are written.
    func text(_ value: [UInt8]) -> Bytes { u16(UInt16(value.count)).raw(value) }

    private func appending(_ value: UInt64, count: Int) -> Bytes {
        raw((0..<count).reversed().map { UInt8(truncatingIfNeeded: value >> UInt64(8 * $0)) })
    }
}

/// `count` bytes of a fixed, recognisable pattern (0x00, 0x01, ... wrapping).
func patternBytes(_ count: Int, start: UInt8 = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: Int(start) + $0) }
}

/// `text` repeated and cut to exactly `count` UTF-8 bytes (the text must be ASCII).
func asciiText(_ count: Int, from text: String = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ") -> String {
    let unit = Array(text.utf8)
    precondition(unit.allSatisfy { $0 < 0x80 }, "only ASCII can be cut anywhere")
    return String(decoding: (0..<count).map { unit[$0 % unit.count] }, as: UTF8.self)
}

/// Ed25519 encodings of keys that no verifier may accept.
enum BadSigningKeys {
    /// The neutral element (0, 1): a point of small order.
    static let smallOrder: [UInt8] = [0x01] + [UInt8](repeating: 0, count: 31)
    /// y = p = 2^255 - 19, not reduced: a non-canonical encoding.
    static let nonCanonical: [UInt8] = [0xED] + [UInt8](repeating: 0xFF, count: 30) + [0x7F]

    /// `key + (0, -1)`, i.e. (-x, -y): still on the curve, but no longer in the prime-order
    /// subgroup (its order is 2L). Verifiers that only decode the point accept it; Vigil must not.
    static func mixedOrder(from key: [UInt8]) -> [UInt8] {
        // y' = p - y over 255-bit little-endian numbers; the sign of x flips.
        let p: [UInt8] = [0xED] + [UInt8](repeating: 0xFF, count: 30) + [0x7F]
        var y = key
        let sign = y[31] & 0x80
        y[31] &= 0x7F
        var out = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for index in 0..<32 {
            var difference = Int(p[index]) - Int(y[index]) - borrow
            borrow = difference < 0 ? 1 : 0
            if difference < 0 { difference += 256 }
            out[index] = UInt8(difference)
        }
        precondition(borrow == 0, "y is reduced")
        out[31] |= sign ^ 0x80
        return out
    }
}
