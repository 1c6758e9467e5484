internal import CSodium

/// Overwrites an array's bytes with zeros in a way the compiler may not optimise away
/// (`sodium_memzero`), then empties it.
///
/// Use it for plaintext and other sensitive intermediate buffers once they are no longer needed.
public func secureWipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { buffer in
        if let base = buffer.baseAddress { sodium_memzero(base, buffer.count) }
    }
    bytes.removeAll()
}

/// Compares two byte strings in time that depends only on their lengths (`sodium_memcmp`).
///
/// Lengths are not secret: strings of different lengths compare unequal at once.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    guard !a.isEmpty else { return true }
    Sodium.ensureInitialized()
    return a.withUnsafeBytes { pa in
        b.withUnsafeBytes { pb in sodium_memcmp(pa.baseAddress!, pb.baseAddress!, a.count) == 0 }
    }
}

/// libsodium's cryptographically secure random source (`randombytes_buf`).
public enum SecureRandom {
    /// `count` random bytes, for values that are not secret (message IDs, nonces, salts).
    /// For secrets use ``SecureBytes/random(count:)``.
    public static func bytes(count: Int) -> [UInt8] {
        precondition(count >= 0, "count must not be negative")
        Sodium.ensureInitialized()
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { randombytes_buf(base, buffer.count) }
        }
        return out
    }
}

extension Array where Element == UInt8 {
    /// Allocates an array of `count` bytes and lets `body` fill it through a raw pointer.
    @inline(__always)
    init(unsafeUninitializedByteCount count: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Void) {
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            body(buffer.baseAddress!)
            initialized = count
        }
    }
}
