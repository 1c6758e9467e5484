import VigilCrypto

/// Appends big-endian integers and raw bytes: the only way Vigil's binary formats are written.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    mutating func write(_ value: UInt8) { bytes.append(value) }

    mutating func write(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func write(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func write(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func write(_ value: Int32) { write(UInt32(bitPattern: value)) }

    mutating func write(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }

    mutating func write(_ raw: ArraySlice<UInt8>) { bytes.append(contentsOf: raw) }

    /// Overwrites what was written with zeros (for buffers that held plaintext).
    mutating func wipe() { secureWipe(&bytes) }

    /// Overwrites a big-endian UInt16 written earlier at `offset`.
    mutating func patch(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(truncatingIfNeeded: value >> 8)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value)
    }
}

/// Reads what ``ByteWriter`` writes, refusing to read past the end.
struct ByteReader {
    /// Reading past the end of the input.
    struct Truncated: Error {}

    private let bytes: [UInt8]
    private(set) var offset: Int
    private let end: Int

    init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        self.bytes = bytes
        self.offset = range?.lowerBound ?? 0
        self.end = range?.upperBound ?? bytes.count
    }

    var remaining: Int { end - offset }
    var isAtEnd: Bool { offset == end }

    mutating func readUInt8() throws(Truncated) -> UInt8 {
        guard remaining >= 1 else { throw Truncated() }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt16() throws(Truncated) -> UInt16 {
        guard remaining >= 2 else { throw Truncated() }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func readUInt32() throws(Truncated) -> UInt32 {
        guard remaining >= 4 else { throw Truncated() }
        var value: UInt32 = 0
        for i in 0..<4 { value = value << 8 | UInt32(bytes[offset + i]) }
        offset += 4
        return value
    }

    mutating func readUInt64() throws(Truncated) -> UInt64 {
        guard remaining >= 8 else { throw Truncated() }
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(bytes[offset + i]) }
        offset += 8
        return value
    }

    mutating func readInt32() throws(Truncated) -> Int32 { Int32(bitPattern: try readUInt32()) }

    mutating func readBytes(_ count: Int) throws(Truncated) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw Truncated() }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }
}
