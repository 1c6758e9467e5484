import Foundation
import Testing
@testable import VigilClient

/// The proxy rule: a configured proxy is used for every request, or nothing is sent. These test
/// the decisions against environments passed in, never the process's own.
@Suite struct ProxyPolicyTests {
    static let tor = ProxyAddress("socks5h://127.0.0.1:9050")!
    static let https = try! RelayBaseURL(URL(string: "https://relay.example.org/relay")!)
    static let http = try! RelayBaseURL(URL(string: "http://relay.example.org")!)
    static let onion = try! RelayBaseURL(URL(string: "http://abcdefghijklmnopabcdefghijklmnopabcdefghijklmnopabcd.onion")!)
    static let local = try! RelayBaseURL(URL(string: "http://127.0.0.1:8080")!)

    func intended(_ target: RelayBaseURL, explicit: String? = nil, _ environment: [String: String]) throws(RelayClientError) -> ProxyRoute {
        try ProxyPolicy.intendedRoute(explicit: explicit.map { URL(string: $0)! }, environment: environment, target: target)
    }

    func isProxyUnavailable(_ body: () throws(RelayClientError) -> Void) -> Bool {
        do {
            try body()
            return false
        } catch {
            if case .proxyUnavailable = error { return true }
            return false
        }
    }

    @Test func withoutProxySettingsRequestsGoDirect() throws {
        #expect(try intended(Self.https, [:]) == .direct)
        #expect(try intended(Self.https, ["NO_PROXY": "*", "PATH": "/bin"]) == .direct)
        try ProxyPolicy.verifyLibcurl(.direct, environment: ["NO_PROXY": "*"], target: Self.https)
    }

    @Test(arguments: ["ALL_PROXY", "all_proxy", "https_proxy", "HTTPS_PROXY"])
    func theEnvironmentsProxyIsTheRouteAndLibcurlWillUseIt(variable: String) throws {
        let environment = [variable: "socks5h://127.0.0.1:9050"]
        let route = try intended(Self.https, environment)
        #expect(route == .proxy(Self.tor))
        try ProxyPolicy.verifyLibcurl(route, environment: environment, target: Self.https)
    }

    @Test func anExplicitProxyIsUsedOnLinuxOnlyWhenTheEnvironmentNamesTheSameOne() throws {
        let route = try intended(Self.onion, explicit: "socks5h://127.0.0.1:9050", [:])
        #expect(route == .proxy(Self.tor))
        // libcurl would connect directly: refuse.
        #expect(isProxyUnavailable { () throws(RelayClientError) in try ProxyPolicy.verifyLibcurl(route, environment: [:], target: Self.onion) })
        // libcurl would use another proxy: refuse.
        #expect(isProxyUnavailable { () throws(RelayClientError) in
            try ProxyPolicy.verifyLibcurl(route, environment: ["ALL_PROXY": "socks5h://127.0.0.1:9150"], target: Self.onion)
        })
        // The same proxy, spelled differently: fine.
        try ProxyPolicy.verifyLibcurl(route, environment: ["ALL_PROXY": "SOCKS5H://127.0.0.1:9050/"], target: Self.onion)
        // The explicit proxy wins over the environment's when choosing the route.
        #expect(try intended(Self.onion, explicit: "socks5h://127.0.0.1:9150", ["ALL_PROXY": "socks5h://127.0.0.1:9050"])
            == .proxy(ProxyAddress("socks5h://127.0.0.1:9150")!))
    }

    @Test(arguments: ["*", "example.org", ".example.org", "relay.example.org", "other.net, RELAY.EXAMPLE.ORG.", "localhost example.org"])
    func noProxyCoveringTheRelayMeansNothingIsSent(noProxy: String) throws {
        for variable in ["NO_PROXY", "no_proxy"] {
            let environment = ["ALL_PROXY": "socks5h://127.0.0.1:9050", variable: noProxy]
            let route = try intended(Self.https, environment)
            #expect(isProxyUnavailable { () throws(RelayClientError) in try ProxyPolicy.verifyLibcurl(route, environment: environment, target: Self.https) })
        }
    }

    @Test(arguments: ["localhost,127.0.0.1", "ample.org", "relay.example.org.evil", ""])
    func noProxyNotCoveringTheRelayIsFine(noProxy: String) throws {
        let environment = ["ALL_PROXY": "socks5h://127.0.0.1:9050", "NO_PROXY": noProxy]
        try ProxyPolicy.verifyLibcurl(try intended(Self.https, environment), environment: environment, target: Self.https)
    }

    @Test func aCIDRInNoProxyIsTakenToCoverAnAddressRelay() throws {
        let environment = ["ALL_PROXY": "socks5h://127.0.0.1:9050", "NO_PROXY": "10.0.0.0/8"]
        let route = try intended(Self.local, environment)
        #expect(isProxyUnavailable { () throws(RelayClientError) in try ProxyPolicy.verifyLibcurl(route, environment: environment, target: Self.local) })
    }

    @Test func libcurlsVariablePrecedenceIsFollowed() throws {
        // Lower case before upper case, scheme-specific before ALL_PROXY.
        #expect(try intended(Self.https, ["https_proxy": "http://a:3128", "HTTPS_PROXY": "http://b:3128", "ALL_PROXY": "socks5h://c:1"])
            == .proxy(ProxyAddress("http://a:3128")!))
        #expect(try intended(Self.https, ["HTTPS_PROXY": "http://b:3128", "ALL_PROXY": "socks5h://c:1"]) == .proxy(ProxyAddress("http://b:3128")!))
        #expect(try intended(Self.https, ["all_proxy": "socks5h://d:1", "ALL_PROXY": "socks5h://c:1"]) == .proxy(ProxyAddress("socks5h://d:1")!))
        // http_proxy applies to http:// relays only.
        #expect(try intended(Self.https, ["http_proxy": "http://a:3128"]) == .direct)
        #expect(try intended(Self.http, ["http_proxy": "http://a:3128"]) == .proxy(ProxyAddress("http://a:3128")!))
    }

    @Test func proxyVariablesLibcurlWouldIgnoreAreRefusedRatherThanBypassed() {
        // libcurl never reads HTTP_PROXY (upper case).
        #expect(isProxyUnavailable { () throws(RelayClientError) in _ = try intended(Self.http, ["HTTP_PROXY": "socks5h://127.0.0.1:9050"]) })
        // An empty scheme variable takes precedence over ALL_PROXY and means "no proxy".
        #expect(isProxyUnavailable { () throws(RelayClientError) in _ = try intended(Self.https, ["https_proxy": "", "ALL_PROXY": "socks5h://127.0.0.1:9050"]) })
        // An unparsable proxy.
        #expect(isProxyUnavailable { () throws(RelayClientError) in _ = try intended(Self.https, ["ALL_PROXY": "gopher://x:70"]) })
    }

    @Test func socksWithLocalNameResolutionIsRefusedForHostNames() throws {
        #expect(isProxyUnavailable { () throws(RelayClientError) in _ = try intended(Self.onion, ["ALL_PROXY": "socks5://127.0.0.1:9050"]) })
        #expect(isProxyUnavailable { () throws(RelayClientError) in _ = try intended(Self.https, explicit: "socks4://127.0.0.1:9050", [:]) })
        // An address needs no resolution.
        #expect(try intended(Self.local, ["ALL_PROXY": "socks5://127.0.0.1:9050"]) == .proxy(ProxyAddress("socks5://127.0.0.1:9050")!))
    }

    @Test func proxyAddressesParseLikeLibcurl() {
        #expect(ProxyAddress("127.0.0.1:9050") == ProxyAddress("http://127.0.0.1:9050"))
        #expect(ProxyAddress("socks5h://localhost")?.port == 1080)
        #expect(ProxyAddress("https://proxy.example")?.port == 443)
        #expect(ProxyAddress("socks5h://user:secret@127.0.0.1:9050")?.description == "socks5h://127.0.0.1:9050")
        #expect(ProxyAddress("socks5h://user:secret@127.0.0.1:9050") != Self.tor)
        #expect(ProxyAddress("socks5h://[::1]:9050")?.host == "::1")
        #expect(ProxyAddress("socks5h://[::1]:9050")?.description == "socks5h://[::1]:9050")
        #expect(ProxyAddress("ftp://x:21") == nil)
        #expect(ProxyAddress("") == nil)
        #expect(ProxyAddress("socks5h://127.0.0.1:9050/path") == nil)
        #expect(ProxyAddress("socks5h://127.0.0.1:99999") == nil)
    }

    @Test func appleSessionDictionariesCarrySOCKSAndRefuseWhatCFNetworkCannotDo() throws {
        let dictionary = try ProxyPolicy.sessionDictionary(for: .proxy(Self.tor))
        #expect(dictionary?["SOCKSProxy"] as? String == "127.0.0.1")
        #expect(dictionary?["SOCKSPort"] as? Int == 9050)
        #expect(try ProxyPolicy.sessionDictionary(for: .direct) == nil)
        #expect(isProxyUnavailable { () throws(RelayClientError) in _ = try ProxyPolicy.sessionDictionary(for: .proxy(ProxyAddress("socks4a://h:1")!)) })
        #expect(isProxyUnavailable { () throws(RelayClientError) in
            _ = try ProxyPolicy.sessionDictionary(for: .proxy(ProxyAddress("socks5h://u:p@h:1")!))
        })
    }

    #if canImport(FoundationNetworking)
    @Test func aClientWithAnExplicitProxyTheEnvironmentDoesNotCarrySendsNothing() async throws {
        // Skipped if the test process itself runs behind a proxy.
        let environment = ProcessInfo.processInfo.environment
        guard ProxyPolicy.libcurlProxyVariable(environment: environment, scheme: "http") == nil else { return }
        let server = try await CannedHTTPServer.start(replying: .http(200, #"{"status":"ok"}"#))
        defer { Task { await server.stop() } }
        let client = try RelayClient(baseURL: server.url, proxy: URL(string: "socks5h://127.0.0.1:9050")!)
        #expect(client.route == .proxy(Self.tor))
        let error = await relayError { () async throws(RelayClientError) in try await client.health() }
        guard case .proxyUnavailable(let detail) = error else { Issue.record("expected proxyUnavailable, got \(String(describing: error))"); return }
        #expect(detail.contains("ALL_PROXY=socks5h://127.0.0.1:9050"))
        #expect(server.connections == 0)
    }
    #endif
}
