import Foundation

/// Names the calling thread (as `top -H` and debuggers show it). On Linux a thread can only
/// name itself reliably, so threads call this first thing.
func setCurrentThreadName(_ name: String) {
    #if os(Linux)
        // Glibc's module does not export this GNU extension; look it up once. RTLD_DEFAULT is
        // the null handle on Linux. A name of more than 15 bytes is refused, and nothing else
        // depends on the name.
        if let setName = linuxSetThreadName {
            _ = setName(pthread_self(), name)
        }
    #else
        _ = pthread_setname_np(name)
    #endif
}

#if os(Linux)
    private let linuxSetThreadName: (@convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32)? = {
        guard let symbol = dlsym(nil, "pthread_setname_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32).self)
    }()
#endif
