import Testing
import VigilCrypto

@Suite("XChaCha20-Poly1305")
struct XChaCha20Poly1305Tests {
    /// Key 00 01 02 ... 1f; the foreign ciphertexts below use it with nonce 64 65 ... 7b.
    static let knownKey = SecureBytes(copying: 0..<32)

    @Test("A ciphertext made by another libsodium binding opens, so the layout is nonce, message, tag")
    func opensForeignCiphertext() throws {
        // Made with PyNaCl: nonce || crypto_aead_xchacha20poly1305_ietf_encrypt(b"I am safe", b"vigil-ad", nonce, key).
        let ciphertext = try bytes(
            hex: "6465666768696a6b6c6d6e6f707172737475767778797a7b355398dddf5de8e4e2b304242b25bff9bdb91be7735e01ecef")
        let plaintext = try XChaCha20Poly1305.open(
            ciphertext, key: Self.knownKey, associatedData: Array("vigil-ad".utf8))
        #expect(contents(of: plaintext) == Array("I am safe".utf8))
    }

    @Test("A foreign ciphertext of the empty message without associated data opens to nothing")
    func opensForeignEmptyCiphertext() throws {
        let ciphertext = try bytes(
            hex: "6465666768696a6b6c6d6e6f707172737475767778797a7b5203f844ae9b45d52e4e8d1ebc2295a8")
        let plaintext = try XChaCha20Poly1305.open(ciphertext, key: Self.knownKey)
        #expect(plaintext.count == 0)
    }

    // MARK: Round trips

    @Test(
        "A sealed message opens to its plaintext, with and without associated data",
        arguments: [0, 1, 16, 64, 1000], [[], Array("vigil identity v1".utf8)])
    func sealAndOpen(plaintextLength: Int, associatedData: [UInt8]) throws {
        let key = SecureBytes.random(count: XChaCha20Poly1305.keyByteCount)
        let plaintext = SecureBytes.random(count: plaintextLength)
        let ciphertext = try XChaCha20Poly1305.seal(plaintext, key: key, associatedData: associatedData)
        #expect(
            ciphertext.count
                == XChaCha20Poly1305.nonceByteCount + plaintextLength + XChaCha20Poly1305.tagByteCount)
        let opened = try XChaCha20Poly1305.open(ciphertext, key: key, associatedData: associatedData)
        #expect(opened.constantTimeEquals(plaintext))
    }

    @Test("Sealing the same message twice uses a fresh nonce each time")
    func freshNonces() throws {
        let key = SecureBytes.random(count: 32)
        let plaintext = SecureBytes(copying: [1, 2, 3])
        let first = try XChaCha20Poly1305.seal(plaintext, key: key)
        let second = try XChaCha20Poly1305.seal(plaintext, key: key)
        #expect(first.prefix(XChaCha20Poly1305.nonceByteCount) != second.prefix(XChaCha20Poly1305.nonceByteCount))
        #expect(first != second)
    }

    @Test("The plaintext does not appear in the ciphertext")
    func ciphertextHidesPlaintext() throws {
        let plaintext: [UInt8] = Array("a secret key that must stay secret".utf8)
        let ciphertext = try XChaCha20Poly1305.seal(
            SecureBytes(copying: plaintext), key: SecureBytes.random(count: 32))
        #expect(!Hex.encode(ciphertext).contains(Hex.encode(plaintext.prefix(8))))
    }

    // MARK: Authentication failures

    @Test("A ciphertext does not open with another key")
    func wrongKey() throws {
        let ciphertext = try XChaCha20Poly1305.seal(SecureBytes(copying: [1, 2, 3]), key: SecureBytes.random(count: 32))
        #expect(throws: CryptoError.authenticationFailed) {
            try XChaCha20Poly1305.open(ciphertext, key: SecureBytes.random(count: 32))
        }
    }

    @Test(
        "A ciphertext does not open with other associated data",
        arguments: [
            ([UInt8](), Array("ad".utf8)),
            (Array("ad".utf8), []),
            (Array("ad".utf8), Array("ae".utf8)),
            (Array("ad".utf8), Array("ad\0".utf8)),
        ])
    func wrongAssociatedData(sealedWith: [UInt8], openedWith: [UInt8]) throws {
        let key = SecureBytes.random(count: 32)
        let ciphertext = try XChaCha20Poly1305.seal(SecureBytes(copying: [1, 2, 3]), key: key, associatedData: sealedWith)
        #expect(throws: CryptoError.authenticationFailed) {
            try XChaCha20Poly1305.open(ciphertext, key: key, associatedData: openedWith)
        }
    }

    @Test("A ciphertext does not open when any of its bytes is changed")
    func flippedByte() throws {
        let key = SecureBytes.random(count: 32)
        let ciphertext = try XChaCha20Poly1305.seal(SecureBytes(copying: [1, 2, 3]), key: key, associatedData: [5])
        for index in ciphertext.indices {
            #expect(throws: CryptoError.authenticationFailed, "byte \(index)") {
                try XChaCha20Poly1305.open(flipping(ciphertext, at: index), key: key, associatedData: [5])
            }
        }
    }

    @Test("A ciphertext does not open when truncated or extended")
    func truncatedOrExtended() throws {
        let key = SecureBytes.random(count: 32)
        let ciphertext = try XChaCha20Poly1305.seal(SecureBytes(copying: [1, 2, 3]), key: key)
        for variant in [Array(ciphertext.dropLast()), Array(ciphertext.dropFirst()), ciphertext + [0]] {
            #expect(throws: CryptoError.authenticationFailed, "\(variant.count) bytes") {
                try XChaCha20Poly1305.open(variant, key: key)
            }
        }
    }

    @Test("Input of exactly a nonce and a tag that was not sealed is refused")
    func minimumLengthForgery() {
        #expect(throws: CryptoError.authenticationFailed) {
            try XChaCha20Poly1305.open([UInt8](repeating: 0, count: 40), key: SecureBytes.random(count: 32))
        }
    }

    @Test("Input shorter than a nonce and a tag is refused with its length", arguments: [0, 1, 24, 39])
    func tooShort(count: Int) {
        #expect(throws: CryptoError.ciphertextTooShort(minimum: 40, actual: count)) {
            try XChaCha20Poly1305.open([UInt8](repeating: 0, count: count), key: SecureBytes.random(count: 32))
        }
    }

    // MARK: Key validation

    @Test("Sealing with a key of the wrong length is refused with its length", arguments: [0, 1, 16, 31, 33, 64])
    func sealWithWrongKeyLength(count: Int) {
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: count)) {
            try XChaCha20Poly1305.seal(SecureBytes(copying: [1]), key: SecureBytes.random(count: count))
        }
    }

    @Test("Opening with a key of the wrong length is refused with its length, before the input is looked at",
        arguments: [0, 1, 16, 31, 33, 64])
    func openWithWrongKeyLength(count: Int) throws {
        let ciphertext = try XChaCha20Poly1305.seal(SecureBytes(copying: [1]), key: SecureBytes.random(count: 32))
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: count)) {
            try XChaCha20Poly1305.open(ciphertext, key: SecureBytes.random(count: count))
        }
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: count)) {
            try XChaCha20Poly1305.open([], key: SecureBytes.random(count: count))
        }
    }
}
