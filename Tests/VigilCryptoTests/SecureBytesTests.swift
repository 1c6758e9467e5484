import Testing
import VigilCrypto

@Suite("SecureBytes")
struct SecureBytesTests {
    @Test("Copying bytes keeps them and their count", arguments: [0, 1, 32, 1000])
    func copying(count: Int) {
        let source = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let secret = SecureBytes(copying: source)
        #expect(secret.count == count)
        #expect(contents(of: secret) == source)
    }

    @Test("Copying accepts any collection of bytes")
    func copyingSlice() {
        let source: [UInt8] = [1, 2, 3, 4, 5]
        #expect(contents(of: SecureBytes(copying: source[1..<4])) == [2, 3, 4])
        #expect(contents(of: SecureBytes(copying: "ab".utf8)) == [0x61, 0x62])
        // Collections without contiguous storage are copied byte by byte.
        #expect(contents(of: SecureBytes(copying: (0..<5).lazy.map { UInt8($0 * 3) })) == [0, 3, 6, 9, 12])
        #expect(contents(of: SecureBytes(copying: repeatElement(UInt8(7), count: 3))) == [7, 7, 7])
        #expect(contents(of: SecureBytes(copying: [UInt8]().lazy.map { $0 })).isEmpty)
    }

    @Test("Taking bytes by wiping keeps them and empties the caller's array", arguments: [0, 1, 32])
    func wiping(count: Int) {
        var source = [UInt8](repeating: 0x5a, count: count)
        let secret = SecureBytes(wiping: &source)
        #expect(source.isEmpty)
        #expect(secret.count == count)
        #expect(contents(of: secret) == [UInt8](repeating: 0x5a, count: count))
    }

    @Test("Random secrets have the requested length", arguments: [0, 1, 16, 32, 4096])
    func randomLength(count: Int) {
        #expect(SecureBytes.random(count: count).count == count)
    }

    @Test("Two random secrets differ")
    func randomSecretsDiffer() {
        let first = SecureBytes.random(count: 32)
        let second = SecureBytes.random(count: 32)
        #expect(!first.constantTimeEquals(second))
        #expect(contents(of: first) != [UInt8](repeating: 0, count: 32))
    }

    @Test("Access to the bytes passes on the closure's result and its typed error")
    func withUnsafeBytes() {
        let secret = SecureBytes(copying: [1, 2, 3])
        #expect(secret.withUnsafeBytes { $0.reduce(0) { $0 + Int($1) } } == 6)
        #expect(throws: CryptoError.invalidPadding) {
            try secret.withUnsafeBytes { (_) throws(CryptoError) -> Void in throw .invalidPadding }
        }
    }

    // MARK: Constant-time comparison

    @Test("Equal secrets compare equal, including a secret with itself")
    func equal() {
        let secret = SecureBytes(copying: [1, 2, 3])
        #expect(secret.constantTimeEquals(SecureBytes(copying: [1, 2, 3])))
        #expect(secret.constantTimeEquals(secret))
    }

    @Test("Secrets that differ in any one byte compare unequal")
    func differentBytes() {
        let bytes: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let secret = SecureBytes(copying: bytes)
        for index in bytes.indices {
            #expect(!secret.constantTimeEquals(SecureBytes(copying: flipping(bytes, at: index))), "byte \(index)")
        }
    }

    @Test("Secrets of different lengths compare unequal, even when one is a prefix of the other")
    func differentLengths() {
        let secret = SecureBytes(copying: [1, 2, 3])
        #expect(!secret.constantTimeEquals(SecureBytes(copying: [1, 2])))
        #expect(!secret.constantTimeEquals(SecureBytes(copying: [1, 2, 3, 0])))
        #expect(!SecureBytes(copying: [1, 2]).constantTimeEquals(secret))
    }

    @Test("Empty secrets compare equal to each other and unequal to non-empty ones")
    func empty() {
        let empty = SecureBytes(copying: [])
        #expect(empty.constantTimeEquals(SecureBytes(copying: [])))
        #expect(empty.constantTimeEquals(SecureBytes.random(count: 0)))
        #expect(!empty.constantTimeEquals(SecureBytes(copying: [0])))
        #expect(!SecureBytes(copying: [0]).constantTimeEquals(empty))
    }

    // MARK: Redaction

    @Test("The check for revealed secrets finds them in hex, in array descriptions and in dumps")
    func leakDetectorWorks() {
        // Guards the redaction tests below: if this check found nothing, they could not fail.
        let secret = Array(SecureRandom.bytes(count: 32))
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(reveals(secret, in: Hex.encode(secret)))
        #expect(reveals(secret, in: Hex.encode(secret).uppercased()))
        #expect(reveals(secret, in: "\(secret)"))
        #expect(reveals(secret, in: dumped))
        #expect(reveals(secret, in: "x" + Hex.encode(secret[20..<28]) + "y"))
        #expect(!reveals(secret, in: "SecureBytes(32 bytes, redacted)"))
    }

    @Test(
        "Printing, debug-printing or dumping secret bytes shows only their count",
        arguments: [
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        ])
    func redaction(hex: String) throws {
        let secretBytes = try bytes(hex: hex)
        let secret = SecureBytes(copying: secretBytes)
        for text in renderings(of: secret) {
            #expect(!reveals(secretBytes, in: text), "\(text)")
            #expect(text.contains("32"), "\(text)")
        }
        #expect(secret.description == "SecureBytes(32 bytes, redacted)")
        #expect(secret.debugDescription == secret.description)
        #expect(String(reflecting: secret) == secret.description)
        let mirror = Mirror(reflecting: secret)
        #expect(mirror.children.map(\.label) == ["count"])
    }

    @Test("Secrets inside collections and optionals stay redacted")
    func redactionInContainers() throws {
        let secretBytes = try bytes(hex: Vectors.rfc8032Seed)
        let secret = SecureBytes(copying: secretBytes)
        let optional: SecureBytes? = secret
        for text in renderings(of: [secret, secret]) + renderings(of: optional as Any) + renderings(of: ["k": secret]) {
            #expect(!reveals(secretBytes, in: text), "\(text)")
        }
    }
}
