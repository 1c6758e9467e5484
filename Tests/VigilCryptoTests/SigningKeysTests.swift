import Testing
import VigilCrypto

@Suite("Ed25519 signing keys")
struct SigningKeysTests {
    // MARK: Known answers

    @Test("A key pair from the RFC 8032 test 1 seed has the RFC's public key")
    func rfc8032PublicKey() throws {
        let pair = try SigningKeyPair(seed: SecureBytes(copying: bytes(hex: Vectors.rfc8032Seed)))
        #expect(pair.publicKey.rawRepresentation == (try bytes(hex: Vectors.rfc8032PublicKey)))
    }

    @Test("Signing the empty message with the RFC 8032 test 1 key gives the RFC's signature")
    func rfc8032Signature() throws {
        let pair = try SigningKeyPair(seed: SecureBytes(copying: bytes(hex: Vectors.rfc8032Seed)))
        #expect(pair.signature(for: [UInt8]()) == (try bytes(hex: Vectors.rfc8032Signature)))
    }

    @Test("The RFC 8032 test 1 signature verifies under the RFC's public key")
    func rfc8032Verification() throws {
        let publicKey = try SigningPublicKey(rawRepresentation: bytes(hex: Vectors.rfc8032PublicKey))
        #expect(publicKey.isValidSignature(try bytes(hex: Vectors.rfc8032Signature), for: []))
        #expect(!publicKey.isValidSignature(try bytes(hex: Vectors.rfc8032Signature), for: [0]))
    }

    // MARK: Seeds

    @Test("A seed gives the same key pair every time")
    func seedIsDeterministic() throws {
        let seed = SecureBytes.random(count: SigningKeyPair.seedByteCount)
        let first = try SigningKeyPair(seed: seed)
        let second = try SigningKeyPair(seed: seed)
        #expect(first.publicKey == second.publicKey)
        #expect(first.signature(for: [1, 2, 3]) == second.signature(for: [1, 2, 3]))
    }

    @Test("The seed of a pair made from a seed is that seed")
    func seedRoundTripsFromSeed() throws {
        let seedBytes = try bytes(hex: Vectors.rfc8032Seed)
        let pair = try SigningKeyPair(seed: SecureBytes(copying: seedBytes))
        #expect(contents(of: pair.seed) == seedBytes)
    }

    @Test("Re-creating a random pair from its seed gives the same public key and signatures")
    func seedRoundTripsFromRandomPair() throws {
        let pair = SigningKeyPair()
        let seed = pair.seed
        #expect(seed.count == SigningKeyPair.seedByteCount)
        let restored = try SigningKeyPair(seed: seed)
        #expect(restored.publicKey == pair.publicKey)
        #expect(restored.seed.constantTimeEquals(seed))
        #expect(restored.signature(for: Array("hello".utf8)) == pair.signature(for: Array("hello".utf8)))
    }

    @Test("Random key pairs differ from each other")
    func randomPairsDiffer() {
        #expect(SigningKeyPair().publicKey != SigningKeyPair().publicKey)
    }

    @Test("A seed of the wrong length is refused with its length", arguments: [0, 1, 31, 33, 64])
    func seedOfWrongLength(count: Int) {
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: count)) {
            try SigningKeyPair(seed: SecureBytes(copying: [UInt8](repeating: 7, count: count)))
        }
    }

    // MARK: Signing and verifying

    @Test("A signature verifies under the signer's public key", arguments: [0, 1, 32, 64, 1000])
    func signAndVerify(messageLength: Int) {
        let pair = SigningKeyPair()
        let message = SecureRandom.bytes(count: messageLength)
        let signature = pair.signature(for: message)
        #expect(signature.count == SigningPublicKey.signatureByteCount)
        #expect(pair.publicKey.isValidSignature(signature, for: message))
    }

    @Test("Signatures are deterministic")
    func signaturesAreDeterministic() {
        let pair = SigningKeyPair()
        #expect(pair.signature(for: [9, 9, 9]) == pair.signature(for: [9, 9, 9]))
        #expect(pair.signature(for: [9, 9, 9]) != pair.signature(for: [9, 9, 8]))
    }

    @Test("Signing through a raw buffer gives the same signature as signing the array")
    func signingRawBuffer() {
        let pair = SigningKeyPair()
        let message: [UInt8] = Array("check-in 2024-05-01T10:00Z".utf8)
        let viaBuffer = message.withUnsafeBytes { pair.signature(for: $0) }
        #expect(viaBuffer == pair.signature(for: message))
        #expect(pair.publicKey.isValidSignature(viaBuffer, for: message))
    }

    @Test("Signing an empty raw buffer with no base address signs the empty message")
    func signingEmptyRawBuffer() {
        let pair = SigningKeyPair()
        let signature = pair.signature(for: UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(signature == pair.signature(for: [UInt8]()))
        #expect(pair.publicKey.isValidSignature(signature, for: []))
    }

    @Test("A signature does not verify when any byte of the message is changed")
    func flippedMessageByte() {
        let pair = SigningKeyPair()
        let message: [UInt8] = Array("I am safe".utf8)
        let signature = pair.signature(for: message)
        for index in message.indices {
            #expect(!pair.publicKey.isValidSignature(signature, for: flipping(message, at: index)), "byte \(index)")
        }
        #expect(!pair.publicKey.isValidSignature(signature, for: message + [0]))
        #expect(!pair.publicKey.isValidSignature(signature, for: Array(message.dropLast())))
    }

    @Test("A signature does not verify when any of its bytes is changed")
    func flippedSignatureByte() {
        let pair = SigningKeyPair()
        let message: [UInt8] = Array("I am safe".utf8)
        let signature = pair.signature(for: message)
        for index in signature.indices {
            #expect(!pair.publicKey.isValidSignature(flipping(signature, at: index), for: message), "byte \(index)")
            #expect(
                !pair.publicKey.isValidSignature(flipping(signature, at: index, mask: 0x80), for: message),
                "byte \(index), high bit")
        }
    }

    @Test("A signature does not verify under another public key")
    func wrongPublicKey() {
        let signer = SigningKeyPair()
        let other = SigningKeyPair()
        let signature = signer.signature(for: [1, 2, 3])
        #expect(!other.publicKey.isValidSignature(signature, for: [1, 2, 3]))
    }

    @Test("A signature of the wrong length is invalid", arguments: [0, 1, 63, 65, 128])
    func signatureOfWrongLength(count: Int) {
        let pair = SigningKeyPair()
        let signature = pair.signature(for: [1, 2, 3])
        // Truncate or extend a real signature, so the bytes present are the right ones.
        let resized = Array((signature + signature).prefix(count))
        #expect(!pair.publicKey.isValidSignature(resized, for: [1, 2, 3]))
    }

    @Test("An all-zero signature is invalid")
    func zeroSignature() {
        let pair = SigningKeyPair()
        #expect(!pair.publicKey.isValidSignature([UInt8](repeating: 0, count: 64), for: [1, 2, 3]))
    }

    // MARK: Public key validation

    @Test("A public key of the wrong length is refused with its length", arguments: [0, 1, 31, 33, 64])
    func publicKeyOfWrongLength(count: Int) throws {
        let valid = try bytes(hex: Vectors.rfc8032PublicKey)
        let resized = Array((valid + valid).prefix(count))
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: count)) {
            try SigningPublicKey(rawRepresentation: resized)
        }
    }

    @Test(
        "Low-order, non-canonical, off-curve and mixed-order public keys are refused",
        arguments: [
            // The identity point (order 1).
            "0100000000000000000000000000000000000000000000000000000000000000",
            // The identity with the sign bit set (a non-canonical encoding of it).
            "0100000000000000000000000000000000000000000000000000000000000080",
            // y = 0: a point of order 4.
            "0000000000000000000000000000000000000000000000000000000000000000",
            // y = -1: the point of order 2.
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            // All 0xff: y is not reduced modulo p.
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            // y = 2: no x satisfies the curve equation.
            "0200000000000000000000000000000000000000000000000000000000000000",
            // The RFC 8032 test 1 key plus the point of order 2: on the curve, not in the main subgroup.
            "16a567fe7d4ef5482ab4012c369bf8c5f11e8d0c2559dcda50fde59708f8aee5",
        ])
    func invalidPublicKey(hex: String) throws {
        let raw = try bytes(hex: hex)
        #expect(throws: CryptoError.invalidPublicKey) {
            try SigningPublicKey(rawRepresentation: raw)
        }
    }

    @Test("A public key made by a key pair is accepted when read back from its bytes")
    func publicKeyRoundTrip() throws {
        let pair = SigningKeyPair()
        let restored = try SigningPublicKey(rawRepresentation: pair.publicKey.rawRepresentation)
        #expect(restored == pair.publicKey)
        #expect(restored.hashValue == pair.publicKey.hashValue)
        #expect(restored.isValidSignature(pair.signature(for: [4, 2]), for: [4, 2]))
    }

    @Test("A public key describes itself as Ed25519 and its hex")
    func publicKeyDescription() throws {
        let publicKey = try SigningPublicKey(rawRepresentation: bytes(hex: Vectors.rfc8032PublicKey))
        #expect(publicKey.description == "Ed25519:" + Vectors.rfc8032PublicKey)
    }

    // MARK: Redaction

    @Test("Printing, debug-printing or dumping a signing key pair shows the public key and never the secret")
    func keyPairRedaction() throws {
        let seed = try bytes(hex: Vectors.rfc8032Seed)
        let pair = try SigningKeyPair(seed: SecureBytes(copying: seed))
        for text in renderings(of: pair) {
            #expect(!reveals(seed, in: text), "\(text)")
        }
        #expect(pair.description.contains(Vectors.rfc8032PublicKey))
        #expect(String(reflecting: pair).contains(Vectors.rfc8032PublicKey))
        for text in renderings(of: pair.seed) {
            #expect(!reveals(seed, in: text), "\(text)")
        }
    }
}
