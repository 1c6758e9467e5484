#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import VigilCrypto

/// Where a passphrase comes from when nobody types it: a file (`--passphrase-file`) or the
/// environment (`VIGIL_PASSPHRASE`), for automation.
public enum PassphraseInput {
    /// The environment variable read for automation.
    public static let environmentVariable = "VIGIL_PASSPHRASE"

    /// The first line of the file at `path` (one trailing line break removed).
    /// - Throws: ``VigilError`` (exit 2) when it cannot be read or is empty.
    public static func fromFile(_ path: String) throws(VigilError) -> SecureBytes {
        let bytes: [UInt8]?
        do {
            bytes = try AtomicFile.read(path, limit: 4096)
        } catch {
            throw VigilError(.locked, "the passphrase file cannot be read: \(error.message)")
        }
        guard var content = bytes else { throw VigilError(.locked, "the passphrase file \(path) does not exist") }
        defer { secureWipe(&content) }
        var end = content.count
        if end > 0, content[end - 1] == 0x0A { end -= 1 }
        if end > 0, content[end - 1] == 0x0D { end -= 1 }
        guard end > 0 else { throw VigilError(.locked, "the passphrase file \(path) is empty") }
        return SecureBytes(copying: content[0..<end])
    }

    /// A new passphrase typed twice: the first entry, once it is not empty and the second one
    /// matches it (compared in constant time).
    /// - Parameters:
    ///   - what: how the message names it (`passphrase`, `duress passphrase`).
    ///   - whenEmpty: what the message says after "must not be empty".
    /// - Throws: ``VigilError`` (exit 1) when it is empty or the entries differ.
    public static func confirmed(
        _ first: SecureBytes, repeated second: SecureBytes, what: String = "passphrase", whenEmpty: String = "nothing was changed"
    ) throws(VigilError) -> SecureBytes {
        guard first.count > 0 else { throw .usage("the \(what) must not be empty: \(whenEmpty)") }
        guard first.constantTimeEquals(second) else { throw .usage("the two \(what)s you typed differ: nothing was changed. Run the command again") }
        return first
    }

    /// Whether the passphrase file can be read by other users (worth a warning).
    public static func isExposed(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & 0o077 != 0
    }

    /// Takes `VIGIL_PASSPHRASE` out of the process environment, so that no child process
    /// (an alert command) inherits it, and returns it when it was set and not empty.
    public static func takeFromEnvironment() -> SecureBytes? {
        guard let raw = getenv(environmentVariable) else { return nil }
        let length = strlen(raw)
        let value = length > 0 ? SecureBytes(copying: UnsafeRawBufferPointer(start: raw, count: length)) : nil
        // Overwrite the environment's copy before removing it.
        memset(raw, 0, length)
        unsetenv(environmentVariable)
        return value
    }
}

/// Routes this process's URLSession traffic through a proxy.
///
/// URLSession on Linux cannot be handed a proxy: libcurl reads it from the process
/// environment for every transfer (see ``VigilClient/RelayClient``). So the proxy is written
/// into `ALL_PROXY`, and the variables that would take precedence over it or exempt hosts from
/// it are removed. Call it before any request is made, while no other thread reads the
/// environment; the relay client then checks before every request that the environment still
/// routes through this proxy, and refuses to send otherwise.
public enum ProxyEnvironment {
    /// Makes `proxy` the only proxy variable libcurl sees (process-wide).
    public static func apply(_ proxy: String) {
        for variable in ["http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "no_proxy", "NO_PROXY"] {
            unsetenv(variable)
        }
        setenv("ALL_PROXY", proxy, 1)
    }
}
