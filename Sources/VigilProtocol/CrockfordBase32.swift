/// Crockford's Base32: the digits and upper-case letters without I, L, O and U, so that
/// nothing a person copies by hand or reads aloud is ambiguous, and every character is in the
/// QR code alphanumeric set.
///
/// Bits are taken most significant first, five at a time; a final partial group is filled with
/// zero bits, and no `=` padding is written. Decoding accepts lower case and reads `O`/`o` as 0
/// and `I`/`i`/`L`/`l` as 1, as people type them.
enum CrockfordBase32 {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A character outside the alphabet, at a 0-based position of the encoded text.
    struct InvalidCharacter: Error, Equatable {
        let position: Int
    }

    /// How the encoded text ends.
    enum Ending: Equatable {
        /// As an encoder writes it: fewer than five filler bits, all zero.
        case canonical
        /// The filler bits are not zero: the last character was changed.
        case nonZeroFiller
        /// Five or more bits left over: a character too many for any byte string.
        case danglingCharacter
    }

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int((buffer >> UInt32(bits)) & 0x1f)])
            }
            buffer &= (1 << UInt32(bits)) - 1
        }
        if bits > 0 {
            out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 0x1f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The whole bytes the characters encode, and how the text ends.
    static func decode(_ characters: [UInt8]) throws(InvalidCharacter) -> (bytes: [UInt8], ending: Ending) {
        var out: [UInt8] = []
        out.reserveCapacity(characters.count * 5 / 8)
        var buffer: UInt32 = 0
        var bits = 0
        for (position, character) in characters.enumerated() {
            guard let value = value(of: character) else { throw InvalidCharacter(position: position) }
            buffer = buffer << 5 | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
                buffer &= (1 << UInt32(bits)) - 1
            }
        }
        if bits >= 5 { return (out, .danglingCharacter) }
        return (out, buffer == 0 ? .canonical : .nonZeroFiller)
    }

    private static let decodeTable: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, character) in alphabet.enumerated() {
            table[Int(character)] = Int8(index)
            table[Int(character | 0x20)] = Int8(index)  // lower case
        }
        for character in "Oo".utf8 { table[Int(character)] = 0 }
        for character in "IiLl".utf8 { table[Int(character)] = 1 }
        return table
    }()

    private static func value(of character: UInt8) -> UInt8? {
        let value = decodeTable[Int(character)]
        return value < 0 ? nil : UInt8(value)
    }
}
