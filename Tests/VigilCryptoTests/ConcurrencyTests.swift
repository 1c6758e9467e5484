import Testing
import VigilCrypto

/// Smoke tests that the library can be used from many tasks at once, including the first use
/// that initialises libsodium. Results are checked for correctness; timing is never asserted.
@Suite("Concurrent use")
struct ConcurrencyTests {
    static let taskCount = 50

    @Test("Fifty tasks each make key pairs, seal, sign and encrypt, and every result checks out")
    func manyTasksRoundTrip() async throws {
        let publicKeys = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for index in 0..<Self.taskCount {
                group.addTask {
                    let message = [UInt8](repeating: UInt8(index), count: index + 1)

                    let recipient = EncryptionKeyPair()
                    let sealed = try recipient.publicKey.seal(message)
                    guard try recipient.open(sealed) == message else { throw RoundTripFailure.sealedBox(index) }

                    let signer = SigningKeyPair()
                    guard signer.publicKey.isValidSignature(signer.signature(for: message), for: message) else {
                        throw RoundTripFailure.signature(index)
                    }

                    let key = SecureBytes.random(count: XChaCha20Poly1305.keyByteCount)
                    let ciphertext = try XChaCha20Poly1305.seal(SecureBytes(copying: message), key: key)
                    guard contents(of: try XChaCha20Poly1305.open(ciphertext, key: key)) == message else {
                        throw RoundTripFailure.aead(index)
                    }
                    return recipient.publicKey.rawRepresentation + signer.publicKey.rawRepresentation
                }
            }
            var collected: [[UInt8]] = []
            for try await keys in group { collected.append(keys) }
            return collected
        }
        #expect(publicKeys.count == Self.taskCount)
        #expect(Set(publicKeys).count == Self.taskCount, "every task must get fresh random keys")
    }

    @Test("Fifty tasks sealing to one recipient at once all produce boxes it can open")
    func manyTasksSealToOneRecipient() async throws {
        let recipient = EncryptionKeyPair()
        let boxes = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for index in 0..<Self.taskCount {
                group.addTask { (index, try recipient.publicKey.seal(Array("check-in \(index)".utf8))) }
            }
            var collected: [(Int, [UInt8])] = []
            for try await box in group { collected.append(box) }
            return collected
        }
        #expect(boxes.count == Self.taskCount)
        let opened = try await withThrowingTaskGroup(of: Bool.self) { group in
            for (index, box) in boxes {
                group.addTask { try recipient.open(box) == Array("check-in \(index)".utf8) }
            }
            var allMatch = true
            for try await matches in group { allMatch = allMatch && matches }
            return allMatch
        }
        #expect(opened)
    }

    @Test("Fifty tasks deriving keys at once get the same, correct key")
    func manyTasksDeriveKeys() async throws {
        let passphrase = SecureBytes(copying: "correct horse battery staple".utf8)
        let salt: [UInt8] = Array(0..<16)
        let expected = try bytes(hex: "d17ea6341ca93da6079ea2f64dc4aa31dd1aaf9caa67fb42ac4afd0714706f26")
        let keys = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<Self.taskCount {
                group.addTask {
                    contents(of: try Argon2id.deriveKey(from: passphrase, salt: salt, parameters: .minimum))
                }
            }
            var collected: [[UInt8]] = []
            for try await key in group { collected.append(key) }
            return collected
        }
        #expect(keys.count == Self.taskCount)
        #expect(keys.allSatisfy { $0 == expected })
    }
}

private enum RoundTripFailure: Error {
    case sealedBox(Int)
    case signature(Int)
    case aead(Int)
}
