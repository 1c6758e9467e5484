import Testing
import VigilCrypto

@Suite("Memory helpers and randomness")
struct MemoryTests {
    @Test("Wiping an array leaves it empty", arguments: [0, 1, 64])
    func wipeEmpties(count: Int) {
        var bytes = [UInt8](repeating: 0xee, count: count)
        secureWipe(&bytes)
        #expect(bytes.isEmpty)
    }

    @Test("Wiping an array does not change a copy made before")
    func wipeLeavesCopies() {
        // Copies made before the wipe are the caller's responsibility (documented): the wipe
        // must not reach into storage shared by value semantics and corrupt another value.
        var bytes: [UInt8] = [1, 2, 3]
        let copy = bytes
        secureWipe(&bytes)
        #expect(bytes.isEmpty)
        #expect(copy == [1, 2, 3])
    }

    @Test("Equal byte strings compare equal")
    func equal() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(constantTimeEquals([0], [0]))
    }

    @Test("Byte strings that differ in any one byte compare unequal")
    func differentBytes() {
        let bytes: [UInt8] = Array(0..<40)
        for index in bytes.indices {
            #expect(!constantTimeEquals(bytes, flipping(bytes, at: index)), "byte \(index)")
            #expect(!constantTimeEquals(flipping(bytes, at: index, mask: 0x80), bytes), "byte \(index)")
        }
    }

    @Test("Byte strings of different lengths compare unequal, even when one is a prefix of the other")
    func differentLengths() {
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(!constantTimeEquals([1, 2], [1, 2, 3]))
        #expect(!constantTimeEquals([0], []))
    }

    @Test("Empty byte strings compare equal to each other and unequal to non-empty ones")
    func empty() {
        #expect(constantTimeEquals([], []))
        #expect(!constantTimeEquals([], [0]))
    }

    @Test("Random bytes have the requested length", arguments: [0, 1, 24, 32, 1000])
    func randomLength(count: Int) {
        #expect(SecureRandom.bytes(count: count).count == count)
    }

    @Test("Two random draws differ and are not all zero")
    func randomDrawsDiffer() {
        let first = SecureRandom.bytes(count: 32)
        let second = SecureRandom.bytes(count: 32)
        #expect(first != second)
        #expect(first != [UInt8](repeating: 0, count: 32))
    }

    @Test("Random bytes use every byte value over a large draw")
    func randomCoversByteValues() {
        // 64 KiB of uniform bytes miss a given value with probability about e^-256.
        #expect(Set(SecureRandom.bytes(count: 1 << 16)).count == 256)
    }
}
