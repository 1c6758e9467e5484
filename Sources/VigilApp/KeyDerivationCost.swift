public import VigilCrypto

/// The Argon2id cost used to turn a passphrase into the keystore key, and the limits a stored
/// cost must respect.
///
/// The cost is written into `keystore.json` next to the salt, so that it can be raised later
/// without locking anyone out. Because the file may have been tampered with, a stored cost is
/// checked against upper limits before any work is done: a planted cost of many GiB or
/// thousands of passes would otherwise hang or kill the program.
public enum KeyDerivationCost {
    /// Three passes over 128 MiB: about half a second on a laptop, so that unlocking for every
    /// command stays bearable, while each guess costs an attacker the same.
    public static let standard = Argon2id.Parameters(iterations: 3, memoryBytes: 128 << 20)

    /// Most memory a stored cost may ask for.
    public static let maxMemoryBytes: UInt64 = 1 << 30
    /// Most passes a stored cost may ask for.
    public static let maxIterations: UInt64 = 10

    /// The environment variable that selects the cost for new keystores.
    public static let environmentVariable = "VIGIL_KDF"

    /// The cost for a new keystore: ``standard``, unless `VIGIL_KDF` names another level.
    ///
    /// `VIGIL_KDF=minimum` exists only so that automated tests run fast: a passphrase protected
    /// with it can be guessed quickly. It is refused unless set explicitly.
    /// - Throws: ``VigilError`` (usage) for a value that is not a known level.
    public static func forNewKeystore(environment: [String: String]) throws(VigilError) -> Argon2id.Parameters {
        guard let level = environment[environmentVariable], !level.isEmpty else { return standard }
        switch level {
        case "standard": return standard
        case "moderate": return .moderate
        case "interactive": return .interactive
        case "minimum": return .minimum
        default:
            throw .usage("\(environmentVariable) must be standard, moderate, interactive or minimum (minimum is for tests only and insecure)")
        }
    }

    /// Checks a cost read from a keystore file.
    /// - Throws: ``VigilError`` (damaged) when it is outside the limits.
    static func validate(_ parameters: Argon2id.Parameters, path: String) throws(VigilError) {
        guard (Argon2id.Parameters.minimum.iterations...maxIterations).contains(parameters.iterations),
            (Argon2id.Parameters.minimum.memoryBytes...maxMemoryBytes).contains(parameters.memoryBytes)
        else {
            throw .damaged(
                path,
                "its key-derivation cost is outside the allowed range (at most \(maxIterations) passes and \(maxMemoryBytes >> 20) MiB)")
        }
    }
}
