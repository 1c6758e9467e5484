internal import CSodium

/// BLAKE2b hashing (`crypto_generichash`).
public enum BLAKE2b {
    /// Smallest output length libsodium allows.
    public static let minimumOutputByteCount = 16
    /// Largest output length libsodium allows.
    public static let maximumOutputByteCount = 64

    /// The BLAKE2b digest of the concatenation of `parts`, `outputByteCount` bytes long
    /// (16...64), optionally keyed (key of 16...64 bytes).
    ///
    /// Hashing several parts avoids building their concatenation first.
    public static func hash(_ parts: [UInt8]..., outputByteCount: Int = 32, key: [UInt8] = []) -> [UInt8] {
        hash(parts: parts, outputByteCount: outputByteCount, key: key)
    }

    /// Same as ``hash(_:outputByteCount:key:)`` with the parts as an array.
    public static func hash(parts: [[UInt8]], outputByteCount: Int = 32, key: [UInt8] = []) -> [UInt8] {
        precondition(
            (minimumOutputByteCount...maximumOutputByteCount).contains(outputByteCount),
            "BLAKE2b output length must be 16...64 bytes")
        precondition(key.isEmpty || (16...64).contains(key.count), "BLAKE2b key must be empty or 16...64 bytes")
        Sodium.ensureInitialized()
        // The state is an over-aligned C struct that Swift sees as opaque: give it raw memory.
        let stateMemory = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
        defer {
            sodium_memzero(stateMemory, crypto_generichash_statebytes())
            stateMemory.deallocate()
        }
        let state = OpaquePointer(stateMemory)
        _ = crypto_generichash_init(state, key.isEmpty ? nil : key, key.count, outputByteCount)
        for part in parts {
            _ = part.withUnsafeBufferPointer { p in
                crypto_generichash_update(state, p.baseAddress, UInt64(p.count))
            }
        }
        return [UInt8](unsafeUninitializedByteCount: outputByteCount) { out in
            _ = crypto_generichash_final(state, out, outputByteCount)
        }
    }
}
