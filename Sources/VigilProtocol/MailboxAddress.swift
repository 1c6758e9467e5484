/// Where a contact's envelopes are deposited: a relay and a mailbox on it.
public struct MailboxAddress: Hashable, Sendable, CustomStringConvertible {
    /// Longest relay URL, in bytes.
    public static let maxRelayURLBytes = 200
    /// Shortest and longest mailbox ID.
    public static let mailboxIDLengths = 16...64

    /// The relay's base URL: `http://` or `https://`, printable ASCII without spaces.
    public let relayURL: String
    /// The mailbox ID the relay issued: 16 to 64 characters from `A-Z a-z 0-9 - _`.
    public let mailboxID: String

    /// Why an address was refused.
    public enum Problem: Error, Hashable, Sendable {
        case invalidRelayURL
        case invalidMailboxID
    }

    /// Checks and wraps an address.
    public init(relayURL: String, mailboxID: String) throws(Problem) {
        guard Self.isValidRelayURL(relayURL) else { throw .invalidRelayURL }
        guard Self.isValidMailboxID(mailboxID) else { throw .invalidMailboxID }
        self.relayURL = relayURL
        self.mailboxID = mailboxID
    }

    public var description: String { "\(relayURL) mailbox \(mailboxID)" }

    static func isValidRelayURL(_ url: String) -> Bool {
        let bytes = Array(url.utf8)
        guard (1...maxRelayURLBytes).contains(bytes.count),
            bytes.allSatisfy({ (0x21...0x7E).contains($0) })
        else { return false }
        let lower = url.lowercased()
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) {
            return lower.count > scheme.count && lower.dropFirst(scheme.count).first != "/"
        }
        return false
    }

    static func isValidMailboxID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        return mailboxIDLengths.contains(bytes.count) && bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                return true
            default:
                return false
            }
        }
    }
}
