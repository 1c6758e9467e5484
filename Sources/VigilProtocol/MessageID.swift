import VigilCrypto

/// The 128-bit random identifier of one message, the same in every copy sent to every
/// recipient over every relay, so that receivers can show it once and acknowledge it.
public struct MessageID: Hashable, Sendable, CustomStringConvertible {
    /// Length in bytes.
    public static let byteCount = 16

    /// The 16 bytes.
    public let bytes: [UInt8]

    /// A fresh identifier from the secure random source.
    public static func random() -> MessageID {
        MessageID(validated: SecureRandom.bytes(count: byteCount))
    }

    /// An identifier from its 16 bytes; nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// An identifier from 32 hex digits; nil otherwise.
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    init(validated bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// 32 lower-case hex digits.
    public var description: String { Hex.encode(bytes) }
}
