import VigilCrypto

/// Mailbox IDs: 18 bytes from the CSPRNG (144 bits), as 24 characters of unpadded base64url.
public enum MailboxIDs {
    public static let randomByteCount = 18

    /// A fresh, unguessable mailbox ID.
    public static func generate() -> String {
        let bytes = SecureRandom.bytes(count: randomByteCount)
        return base64URL(bytes)
    }

    /// Whether `id` has the shape any relay's mailbox ID may have (16 to 64 characters of
    /// `A-Z a-z 0-9 - _`), so that nothing else reaches storage or a log.
    public static func isWellFormed(_ id: some StringProtocol) -> Bool {
        let bytes = Array(id.utf8)
        return (16...64).contains(bytes.count) && bytes.allSatisfy { byte in
            switch byte {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x5F: return true
            default: return false
            }
        }
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var out: [UInt8] = []
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int((chunk >> UInt32(shift)) & 0x3f)]) }
            index += 3
        }
        precondition(index == bytes.count, "mailbox ID byte count must be a multiple of 3")
        return String(decoding: out, as: UTF8.self)
    }
}
