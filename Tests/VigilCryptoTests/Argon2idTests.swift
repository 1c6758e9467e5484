import Foundation
import Testing
import VigilCrypto

@Suite("Argon2id key derivation")
struct Argon2idTests {
    static let salt: [UInt8] = Array(0..<16)
    static let passphrase = SecureBytes(copying: "correct horse battery staple".utf8)

    // MARK: Known answers
    //
    // Computed independently with the Argon2 reference implementation (argon2-cffi,
    // hash_secret_raw, type ID, version 0x13, parallelism 1; memory cost in KiB) and with PyNaCl.

    @Test("The minimum parameters give the reference implementation's output")
    func knownAnswerMinimum() throws {
        let key = try Argon2id.deriveKey(from: Self.passphrase, salt: Self.salt, parameters: .minimum)
        #expect(key.count == 32)
        #expect(
            contents(of: key)
                == (try bytes(hex: "d17ea6341ca93da6079ea2f64dc4aa31dd1aaf9caa67fb42ac4afd0714706f26")))
    }

    @Test("An empty passphrase, two passes over 16 KiB and a 16-byte output give the reference output")
    func knownAnswerEmptyPassphrase() throws {
        let key = try Argon2id.deriveKey(
            from: SecureBytes(copying: []), salt: [UInt8](repeating: 0, count: 16),
            parameters: Argon2id.Parameters(iterations: 2, memoryBytes: 16 << 10), outputByteCount: 16)
        #expect(contents(of: key) == (try bytes(hex: "b509d7c245637341eb2870b4d19d57d3")))
    }

    // MARK: Determinism and sensitivity

    @Test("The same passphrase, salt and parameters give the same key")
    func deterministic() throws {
        let first = try Argon2id.deriveKey(from: Self.passphrase, salt: Self.salt, parameters: .minimum)
        let second = try Argon2id.deriveKey(
            from: SecureBytes(copying: "correct horse battery staple".utf8), salt: Self.salt, parameters: .minimum)
        #expect(first.constantTimeEquals(second))
    }

    @Test("Another salt gives another key")
    func differentSalt() throws {
        let first = try Argon2id.deriveKey(from: Self.passphrase, salt: Self.salt, parameters: .minimum)
        let second = try Argon2id.deriveKey(from: Self.passphrase, salt: flipping(Self.salt, at: 15), parameters: .minimum)
        #expect(!first.constantTimeEquals(second))
    }

    @Test("Another passphrase gives another key")
    func differentPassphrase() throws {
        let first = try Argon2id.deriveKey(from: Self.passphrase, salt: Self.salt, parameters: .minimum)
        let second = try Argon2id.deriveKey(
            from: SecureBytes(copying: "correct horse battery stapler".utf8), salt: Self.salt, parameters: .minimum)
        #expect(!first.constantTimeEquals(second))
    }

    @Test(
        "Other costs give another key",
        arguments: [
            Argon2id.Parameters(iterations: 2, memoryBytes: 8 << 10),
            Argon2id.Parameters(iterations: 1, memoryBytes: 16 << 10),
        ])
    func differentParameters(parameters: Argon2id.Parameters) throws {
        let first = try Argon2id.deriveKey(from: Self.passphrase, salt: Self.salt, parameters: .minimum)
        let second = try Argon2id.deriveKey(from: Self.passphrase, salt: Self.salt, parameters: parameters)
        #expect(!first.constantTimeEquals(second))
    }

    @Test("The output has the requested length, up to 1 MiB", arguments: [16, 32, 64, 65, 1 << 20])
    func outputLength(count: Int) throws {
        let key = try Argon2id.deriveKey(
            from: Self.passphrase, salt: Self.salt, parameters: .minimum, outputByteCount: count)
        #expect(key.count == count)
    }

    // MARK: Parameters

    @Test("The named cost levels are libsodium's")
    func namedLevels() {
        #expect(Argon2id.Parameters.moderate == Argon2id.Parameters(iterations: 3, memoryBytes: 268_435_456))
        #expect(Argon2id.Parameters.interactive == Argon2id.Parameters(iterations: 2, memoryBytes: 67_108_864))
        #expect(Argon2id.Parameters.minimum == Argon2id.Parameters(iterations: 1, memoryBytes: 8192))
        #expect(Argon2id.saltByteCount == 16)
    }

    @Test("Parameters survive encoding and decoding, so they can be stored next to what they protect")
    func parametersCodable() throws {
        let data = try JSONEncoder().encode(Argon2id.Parameters.moderate)
        #expect(try JSONDecoder().decode(Argon2id.Parameters.self, from: data) == .moderate)
    }

    // MARK: Errors

    @Test("A salt of the wrong length is refused with its length", arguments: [0, 1, 15, 17, 32])
    func saltOfWrongLength(count: Int) {
        #expect(throws: CryptoError.invalidSaltLength(expected: 16, actual: count)) {
            try Argon2id.deriveKey(
                from: Self.passphrase, salt: [UInt8](repeating: 1, count: count), parameters: .minimum)
        }
    }

    @Test("The salt is checked before the costs")
    func saltCheckedFirst() {
        #expect(throws: CryptoError.invalidSaltLength(expected: 16, actual: 3)) {
            try Argon2id.deriveKey(
                from: Self.passphrase, salt: [1, 2, 3], parameters: Argon2id.Parameters(iterations: 0, memoryBytes: 0))
        }
    }

    @Test(
        "Costs outside libsodium's bounds are refused",
        arguments: [
            Argon2id.Parameters(iterations: 0, memoryBytes: 8192),
            Argon2id.Parameters(iterations: 1 << 32, memoryBytes: 8192),
            Argon2id.Parameters(iterations: .max, memoryBytes: 8192),
            Argon2id.Parameters(iterations: 1, memoryBytes: 0),
            Argon2id.Parameters(iterations: 1, memoryBytes: 8191),
            Argon2id.Parameters(iterations: 1, memoryBytes: 4_398_046_510_081),
            Argon2id.Parameters(iterations: 1, memoryBytes: .max),
        ])
    func parametersOutOfRange(parameters: Argon2id.Parameters) {
        #expect(throws: CryptoError.invalidKeyDerivationParameters) {
            try Argon2id.deriveKey(from: Self.passphrase, salt: Self.salt, parameters: parameters)
        }
    }

    @Test("Output lengths outside 16 bytes to 1 MiB are refused", arguments: [-1, 0, 15, (1 << 20) + 1, Int.max])
    func outputLengthOutOfRange(count: Int) {
        #expect(throws: CryptoError.invalidKeyDerivationParameters) {
            try Argon2id.deriveKey(
                from: Self.passphrase, salt: Self.salt, parameters: .minimum, outputByteCount: count)
        }
    }

    /// Asking for libsodium's largest memory cost (4 TiB) makes the allocation fail at once, but
    /// only where the kernel refuses allocations larger than memory plus swap. On a system that
    /// overcommits without limit it would instead start filling 4 TiB, so the test is skipped there.
    @Test(
        "A memory cost the system cannot provide fails the derivation",
        .enabled(if: Self.systemRefusesHugeAllocations, "the kernel could grant a 4 TiB allocation"))
    func memoryUnavailable() {
        #expect(throws: CryptoError.keyDerivationFailed) {
            try Argon2id.deriveKey(
                from: Self.passphrase, salt: Self.salt,
                parameters: Argon2id.Parameters(iterations: 1, memoryBytes: 4_398_046_510_080))
        }
    }

    /// True on Linux when overcommit is heuristic (0) or strict (2) and memory plus swap is far
    /// below 4 TiB, so that a 4 TiB anonymous mapping is refused without touching memory.
    static var systemRefusesHugeAllocations: Bool {
        guard
            let mode = try? String(contentsOfFile: "/proc/sys/vm/overcommit_memory", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines),
            mode == "0" || mode == "2",
            let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        else { return false }
        var kibibytes: UInt64 = 0
        for line in meminfo.split(separator: "\n")
        where line.hasPrefix("MemTotal:") || line.hasPrefix("SwapTotal:") {
            guard let value = line.split(separator: " ").dropFirst().first.flatMap({ UInt64($0) }) else {
                return false
            }
            kibibytes += value
        }
        return kibibytes > 0 && kibibytes < 1 << 30  // less than 1 TiB
    }
}
