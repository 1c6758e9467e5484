import Testing
import VigilCrypto

@Suite("CryptoError")
struct CryptoErrorTests {
    static let allCases: [CryptoError] = [
        .invalidKeyLength(expected: 32, actual: 31),
        .invalidPublicKey,
        .sealedBoxOpenFailed,
        .authenticationFailed,
        .ciphertextTooShort(minimum: 40, actual: 12),
        .invalidPadding,
        .invalidSaltLength(expected: 16, actual: 15),
        .invalidKeyDerivationParameters,
        .keyDerivationFailed,
    ]

    @Test("Every error describes itself in one distinct, non-empty line")
    func descriptions() {
        let descriptions = Self.allCases.map(\.description)
        for text in descriptions {
            #expect(!text.isEmpty)
            #expect(!text.contains("\n"), "\(text)")
        }
        #expect(Set(descriptions).count == Self.allCases.count)
    }

    @Test(
        "Length errors state both lengths",
        arguments: [
            (CryptoError.invalidKeyLength(expected: 32, actual: 31), "key has 31 bytes, expected 32"),
            (.ciphertextTooShort(minimum: 40, actual: 12), "ciphertext has 12 bytes, at least 40 are needed"),
            (.invalidSaltLength(expected: 16, actual: 15), "salt has 15 bytes, expected 16"),
        ])
    func lengthDescriptions(error: CryptoError, expected: String) {
        #expect(error.description == expected)
        #expect("\(error)" == expected)
    }

    @Test("Errors with other lengths are different errors")
    func associatedValuesMatter() {
        #expect(CryptoError.invalidKeyLength(expected: 32, actual: 31) != .invalidKeyLength(expected: 32, actual: 33))
        #expect(CryptoError.invalidKeyLength(expected: 32, actual: 31) != .invalidKeyLength(expected: 64, actual: 31))
        #expect(CryptoError.ciphertextTooShort(minimum: 40, actual: 1) != .ciphertextTooShort(minimum: 40, actual: 2))
        #expect(CryptoError.invalidSaltLength(expected: 16, actual: 1) != .invalidSaltLength(expected: 16, actual: 2))
        #expect(Set(Self.allCases).count == Self.allCases.count)
    }
}
