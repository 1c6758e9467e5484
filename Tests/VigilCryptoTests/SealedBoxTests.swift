import Testing
import VigilCrypto

@Suite("X25519 key pairs and sealed boxes")
struct SealedBoxTests {
    // MARK: Known answers

    @Test(
        "A key pair from an RFC 7748 secret key has the RFC's public key",
        arguments: [
            (Vectors.rfc7748AliceSecret, Vectors.rfc7748AlicePublic),
            (Vectors.rfc7748BobSecret, Vectors.rfc7748BobPublic),
        ])
    func rfc7748PublicKey(secretHex: String, publicHex: String) throws {
        let pair = try EncryptionKeyPair(secretKey: SecureBytes(copying: bytes(hex: secretHex)))
        #expect(pair.publicKey.rawRepresentation == (try bytes(hex: publicHex)))
        #expect(contents(of: pair.secretKey) == (try bytes(hex: secretHex)))
    }

    @Test("A sealed box made by another libsodium binding opens to its plaintext")
    func opensForeignSealedBox() throws {
        // Made with PyNaCl: SealedBox(PrivateKey(alice).public_key).encrypt(b"Vigil check-in").
        let sealed = try bytes(
            hex: "46afe3e115e3c2fe04cea7e258193d30b45748e1d34c22d8798085063411753913c53e7362f29d7f7390c10e8d"
                + "129edbeac34a417a42c9028fbb7f0146fc")
        let alice = try EncryptionKeyPair(secretKey: SecureBytes(copying: bytes(hex: Vectors.rfc7748AliceSecret)))
        #expect(try alice.open(sealed) == Array("Vigil check-in".utf8))
        let bob = try EncryptionKeyPair(secretKey: SecureBytes(copying: bytes(hex: Vectors.rfc7748BobSecret)))
        #expect(throws: CryptoError.sealedBoxOpenFailed) { try bob.open(sealed) }
    }

    // MARK: Round trips

    @Test("A sealed box opens to its plaintext with the recipient's key pair", arguments: [0, 1, 31, 32, 1000])
    func sealAndOpen(plaintextLength: Int) throws {
        let recipient = EncryptionKeyPair()
        let plaintext = SecureRandom.bytes(count: plaintextLength)
        let sealed = try recipient.publicKey.seal(plaintext)
        #expect(sealed.count == plaintextLength + EncryptionPublicKey.sealOverhead)
        #expect(try recipient.open(sealed) == plaintext)
    }

    @Test("Sealing through a raw buffer gives a box that opens to the same bytes")
    func sealRawBuffer() throws {
        let recipient = EncryptionKeyPair()
        let plaintext: [UInt8] = Array("panic: 52.52N 13.40E".utf8)
        let sealed = try plaintext.withUnsafeBytes { (buffer) throws(CryptoError) in
            try recipient.publicKey.seal(buffer)
        }
        #expect(sealed.count == plaintext.count + EncryptionPublicKey.sealOverhead)
        #expect(try recipient.open(sealed) == plaintext)
    }

    @Test("Sealing an empty raw buffer with no base address gives a box of the empty message")
    func sealEmptyRawBuffer() throws {
        let recipient = EncryptionKeyPair()
        let sealed = try recipient.publicKey.seal(UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(sealed.count == EncryptionPublicKey.sealOverhead)
        #expect(try recipient.open(sealed) == [])
    }

    @Test("Sealing the same plaintext twice gives different boxes")
    func sealingIsRandomised() throws {
        let recipient = EncryptionKeyPair()
        let first = try recipient.publicKey.seal([1, 2, 3])
        let second = try recipient.publicKey.seal([1, 2, 3])
        #expect(first != second)
        #expect(try recipient.open(first) == recipient.open(second))
    }

    @Test("A key pair re-created from its secret key opens what was sealed to the original")
    func secretKeyRoundTrip() throws {
        let original = EncryptionKeyPair()
        #expect(original.secretKey.count == EncryptionKeyPair.secretKeyByteCount)
        let restored = try EncryptionKeyPair(secretKey: original.secretKey)
        #expect(restored.publicKey == original.publicKey)
        let sealed = try original.publicKey.seal([42])
        #expect(try restored.open(sealed) == [42])
    }

    @Test("A public key read back from its bytes equals the original and can be sealed to")
    func publicKeyRoundTrip() throws {
        let recipient = EncryptionKeyPair()
        let publicKey = try EncryptionPublicKey(rawRepresentation: recipient.publicKey.rawRepresentation)
        #expect(publicKey == recipient.publicKey)
        #expect(publicKey.hashValue == recipient.publicKey.hashValue)
        #expect(try recipient.open(publicKey.seal([7, 7])) == [7, 7])
    }

    @Test("Random key pairs differ from each other")
    func randomPairsDiffer() {
        let first = EncryptionKeyPair()
        let second = EncryptionKeyPair()
        #expect(first.publicKey != second.publicKey)
        #expect(!first.secretKey.constantTimeEquals(second.secretKey))
    }

    // MARK: Failures to open

    @Test("A sealed box does not open with another key pair")
    func wrongKeyPair() throws {
        let sealed = try EncryptionKeyPair().publicKey.seal([1, 2, 3])
        #expect(throws: CryptoError.sealedBoxOpenFailed) {
            try EncryptionKeyPair().open(sealed)
        }
    }

    @Test("A sealed box does not open when any of its bytes is changed")
    func flippedByte() throws {
        let recipient = EncryptionKeyPair()
        let sealed = try recipient.publicKey.seal([1, 2, 3])
        for index in sealed.indices {
            #expect(throws: CryptoError.sealedBoxOpenFailed, "byte \(index)") {
                try recipient.open(flipping(sealed, at: index))
            }
        }
    }

    @Test("A sealed box does not open when truncated or extended")
    func truncatedOrExtended() throws {
        let recipient = EncryptionKeyPair()
        let sealed = try recipient.publicKey.seal([1, 2, 3])
        let variants = [Array(sealed.dropLast()), Array(sealed.dropFirst()), sealed + [0], Array(sealed.prefix(48))]
        for variant in variants {
            #expect(throws: CryptoError.sealedBoxOpenFailed, "\(variant.count) bytes") {
                try recipient.open(variant)
            }
        }
    }

    @Test("Input shorter than a sealed box's overhead is refused", arguments: [0, 1, 32, 47])
    func tooShort(count: Int) {
        let recipient = EncryptionKeyPair()
        #expect(throws: CryptoError.sealedBoxOpenFailed) {
            try recipient.open(SecureRandom.bytes(count: count))
        }
    }

    @Test("Input of exactly the overhead that was not sealed is refused")
    func overheadOnlyForgery() {
        let recipient = EncryptionKeyPair()
        #expect(throws: CryptoError.sealedBoxOpenFailed) {
            try recipient.open([UInt8](repeating: 0, count: EncryptionPublicKey.sealOverhead))
        }
        #expect(throws: CryptoError.sealedBoxOpenFailed) {
            try recipient.open(SecureRandom.bytes(count: EncryptionPublicKey.sealOverhead))
        }
    }

    // MARK: Key validation

    @Test(
        "Sealing to a public key of low order is refused",
        arguments: [
            // u = 0 (the all-zero key).
            "0000000000000000000000000000000000000000000000000000000000000000",
            // u = 1.
            "0100000000000000000000000000000000000000000000000000000000000000",
            // The two points of order 8.
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
            "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
            // u = p - 1, and p and p + 1 (non-canonical encodings of 0 and 1).
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ])
    func lowOrderPublicKey(hex: String) throws {
        let publicKey = try EncryptionPublicKey(rawRepresentation: bytes(hex: hex))
        #expect(throws: CryptoError.invalidPublicKey) { try publicKey.seal([1, 2, 3]) }
        #expect(throws: CryptoError.invalidPublicKey) {
            try publicKey.seal(UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }

    @Test("A public key of the wrong length is refused with its length", arguments: [0, 1, 31, 33, 64])
    func publicKeyOfWrongLength(count: Int) {
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: count)) {
            try EncryptionPublicKey(rawRepresentation: [UInt8](repeating: 9, count: count))
        }
    }

    @Test("A secret key of the wrong length is refused with its length", arguments: [0, 1, 31, 33, 64])
    func secretKeyOfWrongLength(count: Int) {
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: count)) {
            try EncryptionKeyPair(secretKey: SecureBytes(copying: [UInt8](repeating: 9, count: count)))
        }
    }

    @Test("A public key describes itself as X25519 and its hex")
    func publicKeyDescription() throws {
        let publicKey = try EncryptionPublicKey(rawRepresentation: bytes(hex: Vectors.rfc7748AlicePublic))
        #expect(publicKey.description == "X25519:" + Vectors.rfc7748AlicePublic)
    }

    // MARK: Redaction

    @Test("Printing, debug-printing or dumping an encryption key pair shows the public key and never the secret")
    func keyPairRedaction() throws {
        let secret = try bytes(hex: Vectors.rfc7748AliceSecret)
        let pair = try EncryptionKeyPair(secretKey: SecureBytes(copying: secret))
        for text in renderings(of: pair) + renderings(of: pair.secretKey) {
            #expect(!reveals(secret, in: text), "\(text)")
        }
        #expect(pair.description.contains(Vectors.rfc7748AlicePublic))
        #expect(String(reflecting: pair).contains(Vectors.rfc7748AlicePublic))
    }
}

@Suite("Validating X25519 public keys from outside")
struct EncryptionKeyValidationTests {
    // The X25519 points of small order, as u-coordinates (little-endian): 0, 1, and the
    // points of order 8 (the list libsodium itself blocks).
    static let smallOrderKeys: [[UInt8]] = [
        [UInt8](repeating: 0, count: 32),
        [1] + [UInt8](repeating: 0, count: 31),
        [0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
         0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00],
        [0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b,
         0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57],
    ]

    @Test("A key of small order is refused", arguments: smallOrderKeys)
    func smallOrderKeyIsRefused(_ raw: [UInt8]) {
        #expect(throws: CryptoError.invalidPublicKey) { try EncryptionPublicKey(validating: raw) }
    }

    @Test("A freshly generated key passes validation unchanged")
    func generatedKeyPasses() throws {
        let key = EncryptionKeyPair().publicKey
        let validated = try EncryptionPublicKey(validating: key.rawRepresentation)
        #expect(validated == key)
    }

    @Test("Validation still checks the length first")
    func validationChecksLength() {
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: 31)) {
            try EncryptionPublicKey(validating: [UInt8](repeating: 9, count: 31))
        }
    }
}
