import Testing
import VigilCrypto

@Suite("ISO/IEC 7816-4 padding")
struct PaddingTests {
    @Test(
        "Padding appends 0x80 and zeros up to the next multiple of the block size",
        arguments: [
            ([UInt8](), 4, [0x80, 0, 0, 0]),
            ([1, 2, 3], 4, [1, 2, 3, 0x80]),
            ([1, 2, 3, 4], 4, [1, 2, 3, 4, 0x80, 0, 0, 0]),
            ([1, 2, 3, 4, 5], 4, [1, 2, 3, 4, 5, 0x80, 0, 0]),
            ([], 1, [0x80]),
            ([9, 9], 1, [9, 9, 0x80]),
            ([0x80], 3, [0x80, 0x80, 0]),
        ] as [([UInt8], Int, [UInt8])])
    func knownPadding(data: [UInt8], blockSize: Int, expected: [UInt8]) throws {
        #expect(ISO7816Padding.pad(data, blockSize: blockSize) == expected)
        #expect(try ISO7816Padding.unpad(expected, blockSize: blockSize) == data)
    }

    @Test(
        "Padding round-trips for 0, block size - 1, block size and block size + 1 bytes",
        // Powers of two and other sizes take different paths in libsodium.
        arguments: [1, 2, 7, 16, 64, 255, 256])
    func roundTrip(blockSize: Int) throws {
        let lengths = Set([0, blockSize - 1, blockSize, blockSize + 1, 2 * blockSize - 1, 2 * blockSize + 1])
        for length in lengths.sorted() {
            let data = SecureRandom.bytes(count: length)
            let padded = ISO7816Padding.pad(data, blockSize: blockSize)
            #expect(padded.count % blockSize == 0, "length \(length)")
            #expect(padded.count > length, "length \(length)")
            #expect(padded.count - length <= blockSize, "length \(length)")
            #expect(Array(padded.prefix(length)) == data, "length \(length)")
            #expect(padded[length] == 0x80, "length \(length)")
            #expect(padded.dropFirst(length + 1).allSatisfy { $0 == 0 }, "length \(length)")
            #expect(try ISO7816Padding.unpad(padded, blockSize: blockSize) == data, "length \(length)")
        }
    }

    @Test(
        "Padded lengths for 0, block size - 1, block size and block size + 1 bytes",
        arguments: [(0, 16), (15, 16), (16, 32), (17, 32)])
    func paddedLengths(length: Int, expected: Int) {
        #expect(ISO7816Padding.pad([UInt8](repeating: 0xaa, count: length), blockSize: 16).count == expected)
    }

    @Test("Data ending in 0x80 and zeros survives a round trip")
    func dataThatLooksLikePadding() throws {
        let data: [UInt8] = [1, 0x80, 0, 0]
        let padded = ISO7816Padding.pad(data, blockSize: 4)
        #expect(padded == [1, 0x80, 0, 0, 0x80, 0, 0, 0])
        #expect(try ISO7816Padding.unpad(padded, blockSize: 4) == data)
    }

    @Test(
        "Malformed padding is refused",
        arguments: [
            // No 0x80 at all.
            ([0, 0, 0, 0], 4),
            ([1, 2, 3, 4], 4),
            // A non-zero byte after the 0x80.
            ([1, 0x80, 0, 1], 4),
            ([1, 2, 0x80, 0x80 ^ 0xff], 4),
            // The marker is further back than one block.
            ([0x80, 0, 0, 0, 0], 4),
            // A different marker byte.
            ([1, 2, 3, 0x81], 4),
            ([1, 2, 3, 0x01], 4),
        ] as [([UInt8], Int)])
    func malformed(padded: [UInt8], blockSize: Int) {
        #expect(throws: CryptoError.invalidPadding) {
            try ISO7816Padding.unpad(padded, blockSize: blockSize)
        }
    }

    @Test(
        "Input shorter than one block is refused",
        arguments: [([], 1), ([], 4), ([0x80], 4), ([1, 0x80, 0], 4), ([0x80] + [UInt8](repeating: 0, count: 14), 16)]
            as [([UInt8], Int)])
    func shorterThanBlock(padded: [UInt8], blockSize: Int) {
        #expect(throws: CryptoError.invalidPadding) {
            try ISO7816Padding.unpad(padded, blockSize: blockSize)
        }
    }

    @Test("A block size that is not positive is refused when unpadding", arguments: [0, -1, Int.min])
    func nonPositiveBlockSize(blockSize: Int) {
        #expect(throws: CryptoError.invalidPadding) {
            try ISO7816Padding.unpad([1, 0x80], blockSize: blockSize)
        }
    }
}
