public import VigilCrypto

/// Timer IDs: derived from the timer's key, so that whoever holds the key knows the ID without
/// asking the relay.
///
/// A defender hands the key of an escalation timer to trusted contacts inside a sealed alert, so
/// that any of them can disarm it; with the ID derived from the key, that works even though the
/// alert was sealed before the relay had answered. The ID is unguessable to anyone without the
/// public key, which only the relay and the key's holders see.
public enum TimerIDs {
    /// The domain-separation prefix of the derivation: an ASCII string and a zero byte, as for
    /// every hash Vigil computes.
    static let domain = Array("Vigil timer ID v1".utf8) + [0]

    /// `base64url(BLAKE2b-144("Vigil timer ID v1" 00 || timer public key))`: 24 characters, the
    /// shape of a mailbox ID.
    public static func derive(timerKey: SigningPublicKey) -> String {
        MailboxIDs.base64URL(
            BLAKE2b.hash(domain, timerKey.rawRepresentation, outputByteCount: MailboxIDs.randomByteCount))
    }
}
