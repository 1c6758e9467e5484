/// The kind byte of an envelope. An open set: kinds this version does not know are carried as
/// ``MessageBody/unknown(kind:payload:)`` rather than treated as corruption.
public struct MessageKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// "I am safe / need support / am in danger", optionally with when the next one is due.
    public static let checkIn = MessageKind(rawValue: 0x01)
    /// An alarm raised by the defender.
    public static let panic = MessageKind(rawValue: 0x02)
    /// "These messages reached me."
    public static let receipt = MessageKind(rawValue: 0x03)
    /// A contact's answer to one message ("on my way").
    public static let acknowledgement = MessageKind(rawValue: 0x04)
    /// A defender did not check in by the time they said they would.
    public static let missedCheckIn = MessageKind(rawValue: 0x05)
    /// The defender says the earlier alarm is over.
    public static let allClear = MessageKind(rawValue: 0x06)

    /// The kinds this version understands.
    public static let known: [MessageKind] = [.checkIn, .panic, .receipt, .acknowledgement, .missedCheckIn, .allClear]

    /// A stable lower-case name, as used in Protocol/ and the test vectors.
    public var name: String {
        switch self {
        case .checkIn: return "check-in"
        case .panic: return "panic"
        case .receipt: return "receipt"
        case .acknowledgement: return "acknowledgement"
        case .missedCheckIn: return "missed-check-in"
        case .allClear: return "all-clear"
        default: return "unknown-\(rawValue)"
        }
    }

    public var description: String { name }
}
