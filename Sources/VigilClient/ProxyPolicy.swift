import Foundation

/// Which proxy a client must use, and whether URLSession will actually use it. Pure functions of
/// the environment and the relay URL, so they are tested without touching the process.
///
/// The rule: when a proxy is configured (explicitly, or by `ALL_PROXY` and friends), every
/// request goes through it or is not sent at all.
enum ProxyPolicy {
    /// How the platform's URLSession takes a proxy.
    enum Mechanism: Sendable {
        /// swift-corelibs-foundation (Linux): URLSession never sets a proxy on its libcurl
        /// handles and ignores `connectionProxyDictionary`, so libcurl reads the proxy from the
        /// process environment for every transfer.
        case libcurlEnvironment
        /// Apple platforms: URLSession ignores the environment and takes
        /// `connectionProxyDictionary`.
        case sessionDictionary
    }

    /// The route the client commits to when it is created: the explicit proxy when there is one,
    /// otherwise the proxy the environment names for the relay's scheme (libcurl's precedence:
    /// `<scheme>_proxy`, `<SCHEME>_PROXY` except `HTTP_PROXY`, `all_proxy`, `ALL_PROXY`).
    /// - Throws: ``RelayClientError/invalidArgument(_:)`` for an explicit proxy that cannot be
    ///   parsed; ``RelayClientError/proxyUnavailable(_:)`` for an environment proxy that cannot
    ///   be parsed, one set where libcurl would ignore it, or a proxy that resolves names locally
    ///   while the relay has a host name.
    static func intendedRoute(explicit: URL?, environment: [String: String], target: RelayBaseURL) throws(RelayClientError) -> ProxyRoute {
        let proxy: ProxyAddress
        if let explicit {
            guard let parsed = ProxyAddress(explicit) else {
                throw .invalidArgument("the proxy must look like socks5h://127.0.0.1:9050")
            }
            proxy = parsed
        } else {
            let scheme = target.scheme
            let chosen = libcurlProxyVariable(environment: environment, scheme: scheme)
            guard let chosen, let value = environment[chosen], !value.trimmingCharacters(in: .whitespaces).isEmpty else {
                // Nothing libcurl would use. A proxy variable that is set but ignored is a
                // configuration mistake that would send requests directly: refuse.
                let relevant = ["all_proxy", "ALL_PROXY", "\(scheme)_proxy", "\(scheme.uppercased())_PROXY"]
                if let ignored = relevant.first(where: { !(environment[$0] ?? "").trimmingCharacters(in: .whitespaces).isEmpty }) {
                    let why = chosen.map { "\($0) is set but empty, and takes precedence: unset it" }
                        ?? "libcurl ignores \(ignored) for \(scheme):// URLs: set ALL_PROXY instead"
                    throw .proxyUnavailable("\(ignored) is set, but URLSession would connect directly; \(why)")
                }
                return .direct
            }
            guard let parsed = ProxyAddress(value) else {
                throw .proxyUnavailable("the proxy in \(chosen) cannot be parsed: it must look like socks5h://127.0.0.1:9050")
            }
            proxy = parsed
        }
        if !proxy.resolvesNamesRemotely && !isIPLiteral(target.host) {
            throw .proxyUnavailable(
                "\(proxy.scheme):// makes this machine resolve the relay's name, which leaks it and fails for .onion relays: use socks5h://\(proxy.host):\(proxy.port)")
        }
        return .proxy(proxy)
    }

    /// Checks, before a request, that libcurl will send it along `route` given the environment
    /// it reads at that moment.
    /// - Throws: ``RelayClientError/proxyUnavailable(_:)`` when it would go directly or elsewhere.
    static func verifyLibcurl(_ route: ProxyRoute, environment: [String: String], target: RelayBaseURL) throws(RelayClientError) {
        guard case .proxy(let proxy) = route else { return }
        let noProxyVariable = environment["no_proxy"] != nil ? "no_proxy" : "NO_PROXY"
        if let list = environment[noProxyVariable], noProxyMatches(host: target.host, list: list) {
            throw .proxyUnavailable(
                "\(noProxyVariable) covers \(target.host), so URLSession would connect to the relay directly: remove it from \(noProxyVariable)")
        }
        let howToFix = "URLSession on Linux takes its proxy only from the environment: start the program with ALL_PROXY=\(proxy) (and no \(target.scheme)_proxy)"
        guard let variable = libcurlProxyVariable(environment: environment, scheme: target.scheme),
            let value = environment[variable], !value.trimmingCharacters(in: .whitespaces).isEmpty
        else {
            throw .proxyUnavailable("the proxy \(proxy) is configured but URLSession would connect directly. \(howToFix)")
        }
        guard ProxyAddress(value) == proxy else {
            throw .proxyUnavailable("the proxy \(proxy) is configured but \(variable) sends requests elsewhere. \(howToFix)")
        }
    }

    /// The proxy dictionary for an Apple-platform URLSession (CFNetwork keys, written out because
    /// the `kCFNetworkProxies…` constants are macOS-only). SOCKS proxies resolve names themselves.
    /// - Throws: ``RelayClientError/proxyUnavailable(_:)`` for proxies CFNetwork cannot express
    ///   (SOCKS4, HTTPS proxies, credentials).
    static func sessionDictionary(for route: ProxyRoute) throws(RelayClientError) -> [String: Any]? {
        guard case .proxy(let proxy) = route else { return nil }
        guard proxy.user == nil, proxy.password == nil else {
            throw .proxyUnavailable("proxy credentials are not supported on this platform")
        }
        switch proxy.scheme {
        case "socks5h", "socks5":
            return ["SOCKSEnable": 1, "SOCKSProxy": proxy.host, "SOCKSPort": proxy.port]
        case "http":
            return [
                "HTTPEnable": 1, "HTTPProxy": proxy.host, "HTTPPort": proxy.port,
                "HTTPSEnable": 1, "HTTPSProxy": proxy.host, "HTTPSPort": proxy.port,
            ]
        default:
            throw .proxyUnavailable("\(proxy.scheme):// proxies are not supported on this platform: use socks5h://")
        }
    }

    /// The environment variable libcurl (7.x and 8.x `detect_proxy`) takes the proxy from for a
    /// URL scheme: the lower-case `<scheme>_proxy`; else the upper-case one, except `HTTP_PROXY`,
    /// which libcurl refuses (CGI header injection); else `all_proxy`; else `ALL_PROXY`. A
    /// variable that is set but empty still wins and means "no proxy".
    static func libcurlProxyVariable(environment: [String: String], scheme: String) -> String? {
        let lower = "\(scheme.lowercased())_proxy"
        if environment[lower] != nil { return lower }
        let upper = lower.uppercased()
        if upper != "HTTP_PROXY", environment[upper] != nil { return upper }
        if environment["all_proxy"] != nil { return "all_proxy" }
        if environment["ALL_PROXY"] != nil { return "ALL_PROXY" }
        return nil
    }

    /// Whether a `no_proxy` list exempts `host`, as libcurl decides, erring towards "yes": `*`;
    /// a name equal to the host or a parent domain of it (a leading dot is ignored); and, for
    /// an address literal, any entry with a `/` (a CIDR range, not evaluated here).
    static func noProxyMatches(host: String, list: String) -> Bool {
        let host = normalisedHost(host)
        let tokens = list.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" })
        for token in tokens {
            var entry = normalisedHost(String(token))
            if entry == "*" { return true }
            if entry.contains("/") {
                if isIPLiteral(host) { return true }
                continue
            }
            while entry.hasPrefix(".") { entry.removeFirst() }
            if entry.isEmpty { continue }
            if host == entry || host.hasSuffix("." + entry) { return true }
        }
        return false
    }

    static func isIPLiteral(_ host: String) -> Bool {
        let host = normalisedHost(host)
        if host.contains(":") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }

    private static func normalisedHost(_ host: String) -> String {
        var host = host.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        while host.hasSuffix(".") { host.removeLast() }
        return host
    }
}
