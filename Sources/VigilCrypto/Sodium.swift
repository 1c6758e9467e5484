internal import CSodium

/// The one place libsodium is initialised.
///
/// `sodium_init` must run before any other libsodium call. A `static let` is initialised
/// exactly once, thread-safely, on first use (Swift guarantees this with `swift_once`), so
/// every entry point of VigilCrypto calls ``ensureInitialized()`` first and pays only a
/// load-and-branch afterwards.
enum Sodium {
    private static let initialized: Bool = {
        // 0: initialised now; 1: already initialised; -1: failure (no usable entropy source).
        sodium_init() >= 0
    }()

    /// Initialises libsodium if that has not happened yet.
    ///
    /// A failure here means the system cannot provide secure randomness. No key can be made
    /// safely on such a system, so this stops the process rather than continue without it.
    @inline(__always)
    static func ensureInitialized() {
        guard initialized else {
            fatalError("libsodium could not be initialised: the system offers no secure random source")
        }
    }
}
