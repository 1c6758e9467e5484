import Foundation

/// Where the load goes: a plain-HTTP host, port and path prefix (the benchmark speaks no TLS).
struct BenchTarget: Sendable, CustomStringConvertible {
    var host: String
    var port: Int
    /// The path of the URL, without a trailing slash; empty for the root.
    var path: String

    /// The `Host` header value.
    var hostHeader: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    var description: String { "http://\(hostHeader)\(path)" }

    /// Parses `http://HOST[:PORT][/PATH]`; nil for anything else (https, a query, no host).
    init?(_ text: String) {
        guard let components = URLComponents(string: text), components.scheme?.lowercased() == "http",
            let host = components.host, !host.isEmpty, components.query == nil, components.fragment == nil
        else { return nil }
        let port = components.port ?? 80
        guard (1...65535).contains(port) else { return nil }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = port
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.path = path
    }
}
