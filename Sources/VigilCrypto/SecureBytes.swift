internal import CSodium

/// Secret bytes: a key, a seed, a passphrase.
///
/// The bytes live in one heap allocation owned by a class, so copies of a `SecureBytes` value
/// share it instead of scattering copies around memory, and the allocation is overwritten with
/// `sodium_memzero` when the last reference goes away. `description`, `debugDescription` and
/// `dump` show only the length, never the bytes.
///
/// The contents are written once, while the value is created, and never change afterwards;
/// that is what makes sharing across tasks safe.
public final class SecureBytes: @unchecked Sendable {
    private let base: UnsafeMutableRawPointer
    private let capacity: Int

    /// The number of secret bytes.
    public let count: Int

    /// Creates `count` bytes filled by `initializer`, which writes into the buffer once.
    init(count: Int, initializer: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        precondition(count >= 0, "SecureBytes count must not be negative")
        // At least one byte, so that there is always a real allocation to wipe and free.
        let capacity = max(count, 1)
        let base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: capacity)
        do {
            try initializer(UnsafeMutableRawBufferPointer(start: base, count: count))
        } catch {
            sodium_memzero(base, capacity)
            base.deallocate()
            throw error
        }
        self.base = base
        self.capacity = capacity
        self.count = count
    }

    /// Copies `bytes` into secret storage and overwrites the caller's array.
    ///
    /// Swift arrays may have been copied before they reach here; wiping the one passed in is the
    /// best that can be done for them. Prefer producing secrets directly into `SecureBytes`.
    public convenience init(wiping bytes: inout [UInt8]) {
        self.init(count: bytes.count) { buffer in
            bytes.withUnsafeBytes { source in buffer.copyMemory(from: source) }
        }
        secureWipe(&bytes)
    }

    /// Copies `bytes` into secret storage. The caller keeps (and should wipe) its own copy.
    public convenience init(copying bytes: some Collection<UInt8>) {
        // Write straight into secret storage. Collecting into an Array first would, for any
        // collection that is not already an Array (a slice, a string's UTF-8 view), leave one
        // more copy of the secret on the heap, freed without being wiped.
        self.init(count: bytes.count) { buffer in
            buffer.copyBytes(from: bytes)
        }
    }

    /// `count` bytes from libsodium's cryptographically secure random source.
    public static func random(count: Int) -> SecureBytes {
        Sodium.ensureInitialized()
        return SecureBytes(count: count) { buffer in
            if let base = buffer.baseAddress { randombytes_buf(base, buffer.count) }
        }
    }

    deinit {
        sodium_memzero(base, capacity)
        base.deallocate()
    }

    /// Gives read access to the secret bytes for the duration of `body`.
    ///
    /// The pointer must not escape `body`; copy out only what is meant to leave secret storage.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Compares two secrets in time that depends only on their lengths (`sodium_memcmp`).
    public func constantTimeEquals(_ other: SecureBytes) -> Bool {
        guard count == other.count else { return false }
        return sodium_memcmp(base, other.base, count) == 0
    }
}

extension SecureBytes: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SecureBytes(\(count) bytes, redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["count": count], displayStyle: .class) }
}
