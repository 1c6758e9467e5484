internal import NIOCore
internal import VigilCrypto

/// What rate limits are counted against: a client's IPv4 address (also when it arrives as an
/// IPv4-mapped IPv6 address), or the /64 prefix of its IPv6 address (one subscriber usually holds
/// a whole /64), optionally narrowed to a scope such as one mailbox.
///
/// Deposits are counted per address *and* mailbox: behind a TLS terminator or a Tor onion
/// service every client arrives from the same address, and a limit per address alone would let
/// one client flooding made-up mailbox IDs use up everyone's deposits — panic alerts included.
///
/// The address is kept only as a keyed BLAKE2b digest under a per-process random key, so the
/// relay's memory holds no client addresses, and the key cannot be logged by mistake.
struct ClientAddressKey: Hashable, Sendable {
    private let high: UInt64
    private let low: UInt64

    private static let secret = SecureRandom.bytes(count: 32)

    init(_ address: SocketAddress?, scope: String? = nil) {
        var material: [UInt8]
        switch address {
        case .v4(let v4)?:
            material = [4] + withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6)?:
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
                material = [4] + bytes[12..<16]  // ::ffff:a.b.c.d is the IPv4 client a.b.c.d
            } else {
                material = [6] + bytes.prefix(8)
            }
        case .unixDomainSocket?, nil:
            material = [0]
        }
        if let scope { material += [0xff] + Array(scope.utf8) }
        let digest = BLAKE2b.hash(material, outputByteCount: 16, key: Self.secret)
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 {
            high = high << 8 | UInt64(digest[index])
            low = low << 8 | UInt64(digest[8 + index])
        }
        self.high = high
        self.low = low
    }
}
