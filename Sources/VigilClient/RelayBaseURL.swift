public import Foundation

/// A relay's base URL, checked: `http` or `https`, a host, an optional port and path prefix, and
/// nothing else.
///
/// API paths are appended to the prefix (`https://host/relay` gives `/relay/v1/health`). The
/// prefix is kept percent-encoded exactly as given, because the signed `PATH` must be the bytes
/// on the wire. Refused: user names or passwords (they would be sent to the relay), queries,
/// fragments, and `.`/`..` segments (libcurl would remove them, so the path sent would differ
/// from the path signed).
public struct RelayBaseURL: Hashable, Sendable, CustomStringConvertible {
    /// `http` or `https`, lower case.
    public let scheme: String
    /// The host as written in the URL (an IPv6 literal keeps its brackets).
    public let host: String
    /// The port, when the URL names one.
    public let port: Int?
    /// The percent-encoded path prefix without a trailing slash; empty for none.
    public let pathPrefix: String

    /// Checks `url`.
    /// - Throws: ``RelayClientError/invalidArgument(_:)`` saying what is wrong with it.
    public init(_ url: URL) throws(RelayClientError) {
        guard let components = URLComponents(url: url, resolvingAgainstBaseURL: true) else {
            throw .invalidArgument("the relay URL cannot be parsed")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw .invalidArgument("the relay URL must start with https:// (or http:// for a local or onion relay)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw .invalidArgument("the relay URL has no host name")
        }
        guard components.user == nil, components.password == nil else {
            throw .invalidArgument("the relay URL must not contain a user name or password")
        }
        guard components.percentEncodedQuery == nil, components.percentEncodedFragment == nil else {
            throw .invalidArgument("the relay URL must not have a query (?…) or fragment (#…)")
        }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard path.isEmpty || path.hasPrefix("/"),
            !segments.contains(where: { $0 == "." || $0 == ".." || $0.lowercased() == "%2e" || $0.lowercased() == "%2e%2e" })
        else {
            throw .invalidArgument("the relay URL's path must not contain \".\" or \"..\" segments")
        }
        guard path.utf8.allSatisfy(Self.isPathByte) else {
            throw .invalidArgument("the relay URL's path has characters that must be percent-encoded")
        }
        self.scheme = scheme
        self.host = host
        self.port = components.port
        self.pathPrefix = path
    }

    /// The URL of an API path (`/v1/…`) with a percent-encoded query (without `?`, empty for none),
    /// and the path exactly as it will be sent.
    func url(apiPath: String, query: String) throws(RelayClientError) -> (url: URL, path: String) {
        let path = pathPrefix + apiPath
        var components = URLComponents()
        components.scheme = scheme
        components.host = host
        components.port = port
        components.percentEncodedPath = path
        components.percentEncodedQuery = query.isEmpty ? nil : query
        // Round-trip check: the URL handed to URLSession carries exactly the path and query signed.
        guard let url = components.url,
            let check = URLComponents(url: url, resolvingAgainstBaseURL: false),
            check.percentEncodedPath == path, (check.percentEncodedQuery ?? "") == query
        else {
            throw .invalidArgument("the relay URL cannot be combined with the API path")
        }
        return (url, path)
    }

    public var description: String {
        var components = URLComponents()
        components.scheme = scheme
        components.host = host
        components.port = port
        components.percentEncodedPath = pathPrefix
        return components.string ?? "\(scheme)://\(host)"
    }

    /// RFC 3986 `pchar` plus `/`: unreserved, `%`, sub-delims, `:` and `@`.
    private static func isPathByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("-._~%!$&'()*+,;=:@/".utf8).contains(byte)
        }
    }
}
