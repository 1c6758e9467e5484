import Testing
@testable import VigilProtocol

@Suite("Message IDs") struct MessageIDTests {
    @Test("An ID is made from exactly 16 bytes")
    func anIDIsMadeFromExactly16Bytes() throws {
        let bytes = Array(UInt8(0)..<16)
        #expect(try #require(MessageID(bytes: bytes)).bytes == bytes)
        for count in [0, 1, 15, 17, 32] {
            #expect(MessageID(bytes: [UInt8](repeating: 1, count: count)) == nil, "\(count) bytes")
        }
    }

    @Test("An ID is made from 32 hex digits in either case")
    func anIDIsMadeFrom32HexDigitsInEitherCase() throws {
        let id = try #require(MessageID(hex: "000102030405060708090a0b0c0d0e0f"))
        #expect(id.bytes == Array(0..<16))
        #expect(MessageID(hex: "000102030405060708090A0B0C0D0E0F") == id)
    }

    @Test("Anything but exactly 32 hex digits is refused", arguments: [
        "", "00", "000102030405060708090a0b0c0d0e0", "000102030405060708090a0b0c0d0e0f0", "000102030405060708090a0b0c0d0e0f00",
        "000102030405060708090a0b0c0d0e0g", " 00102030405060708090a0b0c0d0e0f", "0x0102030405060708090a0b0c0d0e0f",
        "000102030405060708090a0b0c0d0e", "０00102030405060708090a0b0c0d0e0f",
    ])
    func anythingButExactly32HexDigitsIsRefused(_ hex: String) {
        #expect(MessageID(hex: hex) == nil)
    }

    @Test("The description is 32 lower-case hex digits")
    func theDescriptionIs32LowerCaseHexDigits() throws {
        let id = try #require(MessageID(bytes: [0xAB] + [UInt8](repeating: 0xCD, count: 15)))
        #expect(id.description == "ab" + String(repeating: "cd", count: 15))
        #expect(MessageID(hex: id.description) == id)
    }

    @Test("Random IDs are 16 bytes and distinct")
    func randomIDsAre16BytesAndDistinct() {
        let ids = (0..<100).map { _ in MessageID.random() }
        #expect(ids.allSatisfy { $0.bytes.count == 16 })
        #expect(Set(ids).count == 100)
    }
}
