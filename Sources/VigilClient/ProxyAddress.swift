public import Foundation

/// A proxy, as written in `ALL_PROXY` or given explicitly: `socks5h://127.0.0.1:9050` for Tor.
///
/// Parsed the way libcurl reads proxy strings: no scheme means `http://`, no port means 1080
/// (443 for an `https://` proxy). A user name and password (Tor uses them for stream isolation)
/// are kept for comparison but never printed.
public struct ProxyAddress: Hashable, Sendable, CustomStringConvertible {
    /// `socks5h`, `socks5`, `socks4a`, `socks4`, `http` or `https`, lower case.
    public let scheme: String
    /// Host name or address, lower case (an IPv6 literal without brackets).
    public let host: String
    /// The port, default filled in.
    public let port: Int
    let user: String?
    let password: String?

    static let schemes: Set<String> = ["socks5h", "socks5", "socks4a", "socks4", "http", "https"]

    /// Whether host names are resolved by the proxy (`socks5h`, `socks4a`, HTTP proxies) rather
    /// than by this machine's resolver, which would reveal the relay's name to the local
    /// network and cannot resolve `.onion` names.
    public var resolvesNamesRemotely: Bool { scheme != "socks5" && scheme != "socks4" }

    /// Parses a proxy string; nil when it is not `[scheme://][user[:password]@]host[:port]` with a
    /// scheme above.
    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        let withScheme = trimmed.contains("://") ? trimmed : "http://" + trimmed
        guard let components = URLComponents(string: withScheme),
            let scheme = components.scheme?.lowercased(), Self.schemes.contains(scheme),
            let host = components.host, !host.isEmpty,
            components.percentEncodedPath.isEmpty || components.percentEncodedPath == "/",
            components.query == nil, components.fragment == nil
        else { return nil }
        let port = components.port ?? (scheme == "https" ? 443 : 1080)
        guard (1...65535).contains(port) else { return nil }
        self.scheme = scheme
        var bare = host.lowercased()
        if bare.hasPrefix("[") && bare.hasSuffix("]") { bare = String(bare.dropFirst().dropLast()) }
        self.host = bare
        self.port = port
        self.user = components.user
        self.password = components.password
    }

    /// Parses a proxy URL given explicitly.
    public init?(_ url: URL) {
        self.init(url.absoluteString)
    }

    /// `scheme://host:port`, without credentials.
    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "\(scheme)://\(host):\(port)"
    }
}

/// How requests reach the relay.
public enum ProxyRoute: Hashable, Sendable, CustomStringConvertible {
    /// A direct connection: no proxy is configured.
    case direct
    /// Through this proxy, which URLSession is known to use for the relay's URL.
    case proxy(ProxyAddress)

    public var description: String {
        switch self {
        case .direct: return "direct"
        case .proxy(let proxy): return "through \(proxy)"
        }
    }
}
