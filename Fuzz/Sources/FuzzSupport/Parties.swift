public import VigilProtocol
internal import VigilCrypto

/// The identities of Protocol/vectors, so that seeds made from the vectors open and verify:
/// the fuzz targets open envelopes as Bob and sign as Alice.
public enum Parties {
    public static let alice = identity(
        signingSeed: "f993c984191bf558fc28f29c4db22226e28dd2dd5e10d2a3da353a05b8a376ec",
        encryptionSecret: "9aa82bc019fb2def51d2c0f9597a02e7ac69b0a62d1c0ff945ac59474f462e98")
    public static let bob = identity(
        signingSeed: "175fca6172bbbba9ba56146d4d4ec387ac14b45049771e6e9a2e0bfc9543a81b",
        encryptionSecret: "3985b25afe56da510de0785fd3895535de6ad8e4487e06b6ba219ff9fc0a6101")

    private static func identity(signingSeed: String, encryptionSecret: String) -> Identity {
        Identity(
            signing: try! SigningKeyPair(seed: SecureBytes(copying: Hex.decode(signingSeed)!)),
            encryption: try! EncryptionKeyPair(secretKey: SecureBytes(copying: Hex.decode(encryptionSecret)!)))
    }
}
