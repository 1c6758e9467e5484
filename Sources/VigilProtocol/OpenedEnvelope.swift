public import VigilCrypto

/// A message that passed every check of ``Envelope/open(_:as:)``.
///
/// The sender is authenticated: `sender` signed exactly these fields for `recipient`. Whether
/// `sender` is a known contact, and whether the message is fresh or a replay, is for the caller
/// to decide (with its contact list, its clock and the IDs it has seen).
public struct OpenedEnvelope: Hashable, Sendable {
    public let id: MessageID
    public let kind: MessageKind
    /// When the sender says it created the message (the sender's clock).
    public let createdAt: Timestamp
    /// The signing key that signed it.
    public let sender: SigningPublicKey
    /// The signing key it was addressed to: always the opener's.
    public let recipient: SigningPublicKey
    public let body: MessageBody
    /// The size bucket it was padded to.
    public let paddedByteCount: Int
}
