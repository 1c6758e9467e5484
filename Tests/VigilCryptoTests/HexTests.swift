import Testing
import VigilCrypto

@Suite("Hex")
struct HexTests {
    @Test(
        "Encoding gives lower-case hex, two digits per byte",
        arguments: [
            ([UInt8](), ""),
            ([0x00], "00"),
            ([0x0f], "0f"),
            ([0xf0], "f0"),
            ([0x00, 0x01, 0xab, 0xff], "0001abff"),
            ([0xde, 0xad, 0xbe, 0xef], "deadbeef"),
        ] as [([UInt8], String)])
    func encode(bytes: [UInt8], expected: String) {
        #expect(Hex.encode(bytes) == expected)
    }

    @Test("Encoding accepts any sequence of bytes")
    func encodeSequence() {
        let bytes: [UInt8] = [1, 2, 3, 4]
        #expect(Hex.encode(bytes[1...]) == "020304")
        #expect(Hex.encode("AZ".utf8) == "415a")
        #expect(Hex.encode((0..<3).lazy.map { UInt8($0) }) == "000102")
    }

    @Test("Every byte value survives encoding and decoding")
    func roundTrip() {
        let all = (0...255).map { UInt8($0) }
        let text = Hex.encode(all)
        #expect(text.count == 512)
        #expect(Hex.decode(text) == all)
        #expect(Hex.decode(text.uppercased()) == all)
    }

    @Test(
        "Decoding accepts either case",
        arguments: [("deadbeef", [0xde, 0xad, 0xbe, 0xef]), ("DEADBEEF", [0xde, 0xad, 0xbe, 0xef]),
            ("DeAdBeEf", [0xde, 0xad, 0xbe, 0xef]), ("", []), ("09af", [0x09, 0xaf])] as [(String, [UInt8])])
    func decode(text: String, expected: [UInt8]) {
        #expect(Hex.decode(text) == expected)
    }

    @Test(
        "Decoding refuses odd lengths and characters that are not hex digits",
        arguments: ["0", "abc", "0g", "g0", "0G", "G0", "zz", " 00", "00 ", "0x00", "+1", "-1", "0\n", "é0", "éé", "٠٠", "０１", ":;", "@A", "`a", "/0"])
    func decodeInvalid(text: String) {
        #expect(Hex.decode(text) == nil)
    }
}
