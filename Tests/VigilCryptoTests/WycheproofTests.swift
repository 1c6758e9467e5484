import Foundation
import Testing
@testable import VigilCrypto

/// Project Wycheproof's Ed25519 and X25519 vectors, run through VigilCrypto's own types.
///
/// The files, their source commit and their licence are in `Wycheproof/` beside this file (see
/// its README.md). Each test runs every vector of its file and checks that the number run equals
/// the file's `numberOfTests`:
///
/// | file                | ran | valid | invalid | acceptable |
/// |---------------------|-----|-------|---------|------------|
/// | `ed25519_test.json` | 151 |    88 |      63 |          0 |
/// | `x25519_test.json`  | 518 |   264 |       0 |        254 |
///
/// Where Vigil is stricter than the primitive (it refuses some public keys outright), the vectors
/// it refuses are listed below with the reason, and the tests assert exactly that list.
@Suite("Project Wycheproof vectors")
struct WycheproofTests {
    // MARK: Ed25519

    /// Vectors marked "valid" whose public key `SigningPublicKey(rawRepresentation:)` refuses,
    /// by tcId, with the reason. Vigil accepts only canonical points of the prime-order subgroup
    /// (`crypto_core_ed25519_is_valid_point`), which plain Ed25519 does not require; a valid
    /// vector signed by a small-order or mixed-order key would belong here. This file has none:
    /// every one of its 52 public keys is a canonical point of the main subgroup.
    static let ed25519ValidVectorsWithRefusedKeys: [Int: String] = [:]

    @Test("All 151 Ed25519 vectors give Wycheproof's result: 88 valid verify, 63 invalid fail")
    func ed25519() throws {
        let file = try WycheproofFile<EdDSAGroup>.load("ed25519_test.json")
        #expect(file.algorithm == "EDDSA")

        var tally = Tally()
        var validWithRefusedKey: Set<Int> = []
        for group in file.testGroups {
            #expect(group.publicKey.curve == "edwards25519")
            let key = try? SigningPublicKey(rawRepresentation: bytes(hex: group.publicKey.pk))
            for vector in group.tests {
                tally.count(vector.result)
                let message = try bytes(hex: vector.msg)
                let signature = try bytes(hex: vector.sig)
                let verified = key?.isValidSignature(signature, for: message) ?? false
                let context = "tcId \(vector.tcId) \(vector.flags) \(vector.comment)"
                switch vector.result {
                case .valid:
                    if key == nil {
                        validWithRefusedKey.insert(vector.tcId)
                    } else {
                        #expect(verified, "a valid signature did not verify: \(context)")
                    }
                case .invalid:
                    // Refusing the key or failing the signature are both a rejection.
                    #expect(!verified, "an invalid signature verified: \(context)")
                case .acceptable:
                    Issue.record("no policy for an acceptable Ed25519 vector; decide one: \(context)")
                }
            }
        }

        #expect(validWithRefusedKey == Set(Self.ed25519ValidVectorsWithRefusedKeys.keys))
        #expect(tally.ran == file.numberOfTests)
        #expect(tally == Tally(ran: 151, valid: 88, invalid: 63, acceptable: 0))
    }

    // MARK: X25519

    /// What Vigil does with an X25519 vector that carries a flag.
    enum XDHPolicy {
        /// The public key is refused: the raw shared secret, `EncryptionPublicKey(validating:)`
        /// and sealing all throw `invalidPublicKey`.
        case refuse
        /// The key is accepted and the shared secret is computed as RFC 7748 defines it; it must
        /// equal Wycheproof's `shared` exactly.
        case compute
    }

    /// How every flag in `x25519_test.json` is treated. A vector is refused when it carries at
    /// least one `.refuse` flag, and computed otherwise; that applies to "acceptable" vectors,
    /// and a "valid" vector must never carry a `.refuse` flag.
    ///
    /// * ZeroSharedSecret, LowOrderPublic, SmallPublicKey: the public key has small order (or is
    ///   0 or 1, on the curve or its twist, canonical or not), so every shared secret with it is
    ///   all zeros. RFC 7748 section 6.1 allows refusing them; Vigil must, because a sealed box
    ///   to such a key would be readable by anyone.
    /// * Twist, NonCanonicalPublic: RFC 7748 defines the result and recommends accepting these;
    ///   libsodium computes them, and it is the result that must be right.
    /// * Normal, Ktv, SpecialPublicKey, EdgeCaseShared, EdgeCaseMultiplication,
    ///   EdgeCasePrivateKey: arithmetic edge cases whose result must be exact.
    ///
    /// A flag missing from this table fails the test, so a newer vector file forces a decision.
    static let xdhPolicy: [String: XDHPolicy] = [
        "ZeroSharedSecret": .refuse,
        "LowOrderPublic": .refuse,
        "SmallPublicKey": .refuse,
        "Twist": .compute,
        "NonCanonicalPublic": .compute,
        "Normal": .compute,
        "Ktv": .compute,
        "SpecialPublicKey": .compute,
        "EdgeCaseShared": .compute,
        "EdgeCaseMultiplication": .compute,
        "EdgeCasePrivateKey": .compute,
    ]

    @Test("All 518 X25519 vectors give Wycheproof's result: 264 valid and 223 acceptable computed exactly, 31 low-order keys refused")
    func x25519() throws {
        let file = try WycheproofFile<XDHGroup>.load("x25519_test.json")
        #expect(file.algorithm == "XDH")

        var tally = Tally()
        var refused: Set<Int> = []
        for group in file.testGroups {
            #expect(group.curve == "curve25519")
            for vector in group.tests {
                tally.count(vector.result)
                let context = "tcId \(vector.tcId) \(vector.flags) \(vector.comment)"
                let policies = vector.flags.map { flag in
                    let policy = Self.xdhPolicy[flag]
                    if policy == nil { Issue.record("no policy for flag \(flag): \(context)") }
                    return policy
                }
                let mustRefuse = policies.contains(.refuse)

                let publicBytes = try bytes(hex: vector.publicKey)
                let expected = try bytes(hex: vector.shared)
                let pair = try EncryptionKeyPair(secretKey: SecureBytes(copying: bytes(hex: vector.privateKey)))
                let outcome = Self.run(pair, with: try EncryptionPublicKey(rawRepresentation: publicBytes))
                let validated = try? EncryptionPublicKey(validating: publicBytes)
                // Wycheproof's own answer for every refused key is the all-zero secret; the
                // policy must refuse exactly those.
                #expect(mustRefuse == expected.allSatisfy { $0 == 0 }, "policy and expected secret disagree: \(context)")

                switch (vector.result, mustRefuse) {
                case (.valid, true):
                    Issue.record("a valid vector carries a refusing flag: \(context)")
                case (.valid, false), (.acceptable, false):
                    #expect(outcome.shared == expected, "wrong shared secret: \(context)")
                    #expect(outcome.sealed, "sealing to an accepted key failed: \(context)")
                    #expect(validated != nil, "EncryptionPublicKey(validating:) refused the key: \(context)")
                case (.acceptable, true), (.invalid, _):
                    refused.insert(vector.tcId)
                    #expect(outcome.sharedError == .invalidPublicKey, "shared secret not refused: \(context)")
                    #expect(outcome.sealError == .invalidPublicKey, "sealing not refused: \(context)")
                    #expect(validated == nil, "EncryptionPublicKey(validating:) accepted the key: \(context)")
                }
            }
        }

        #expect(refused.count == 31)
        #expect(tally.ran == file.numberOfTests)
        #expect(tally == Tally(ran: 518, valid: 264, invalid: 0, acceptable: 254))
    }

    /// What one X25519 vector did: the raw shared secret (or its error) and whether a sealed box
    /// could be made for the public key.
    struct XDHOutcome {
        var shared: [UInt8]?
        var sharedError: CryptoError?
        var sealed = false
        var sealError: CryptoError?
    }

    static func run(_ pair: EncryptionKeyPair, with publicKey: EncryptionPublicKey) -> XDHOutcome {
        var outcome = XDHOutcome()
        do {
            outcome.shared = contents(of: try pair.sharedSecret(with: publicKey))
        } catch {
            outcome.sharedError = error
        }
        do {
            let box = try publicKey.seal(Array("wycheproof".utf8))
            outcome.sealed = box.count == "wycheproof".utf8.count + EncryptionPublicKey.sealOverhead
        } catch {
            outcome.sealError = error
        }
        return outcome
    }
}

// MARK: - Vector files

/// The expected result of a Wycheproof vector.
enum WycheproofResult: String, Decodable {
    case valid, invalid, acceptable
}

/// How many vectors ran, by expected result.
struct Tally: Equatable {
    var ran = 0, valid = 0, invalid = 0, acceptable = 0

    mutating func count(_ result: WycheproofResult) {
        ran += 1
        switch result {
        case .valid: valid += 1
        case .invalid: invalid += 1
        case .acceptable: acceptable += 1
        }
    }
}

/// The parts of a Wycheproof vector file that the tests use.
struct WycheproofFile<Group: Decodable>: Decodable {
    var algorithm: String
    var numberOfTests: Int
    var testGroups: [Group]

    /// Decodes `Wycheproof/<name>` beside this source file; a missing or malformed file throws,
    /// which fails the test.
    static func load(_ name: String, sourceFile: String = #filePath) throws -> Self {
        let url = URL(fileURLWithPath: sourceFile)
            .deletingLastPathComponent()
            .appendingPathComponent("Wycheproof")
            .appendingPathComponent(name)
        return try JSONDecoder().decode(Self.self, from: Data(contentsOf: url))
    }
}

/// A group of `EddsaVerify` vectors sharing one public key.
struct EdDSAGroup: Decodable {
    struct PublicKey: Decodable {
        var curve: String
        var pk: String
    }

    var publicKey: PublicKey
    var tests: [EdDSAVector]
}

struct EdDSAVector: Decodable {
    var tcId: Int
    var comment: String
    var flags: [String]
    var msg: String
    var sig: String
    var result: WycheproofResult
}

/// A group of `XdhComp` vectors.
struct XDHGroup: Decodable {
    var curve: String
    var tests: [XDHVector]
}

struct XDHVector: Decodable {
    var tcId: Int
    var comment: String
    var flags: [String]
    var publicKey: String
    var privateKey: String
    var shared: String
    var result: WycheproofResult

    enum CodingKeys: String, CodingKey {
        case tcId, comment, flags, shared, result
        case publicKey = "public"
        case privateKey = "private"
    }
}
