/// The query of `GET /v1/mailboxes/{id}/messages`: `after`, `limit`, `wait`.
///
/// Values are canonical non-negative decimals below 2⁵³; a repeated or malformed parameter makes
/// the whole query malformed (`400 bad_request`). Unknown parameters are ignored so that newer
/// clients can add optional ones.
struct FetchQuery: Equatable, Sendable {
    var after: Int64 = 0
    var limit: Int = 100
    var wait: Int = 0

    static let limitRange = 1...100
    static let waitRange = 0...60

    enum Failure: Error, Equatable {
        case malformed
        case outOfRange(String)
    }

    init() {}

    init(parsing query: String) throws(Failure) {
        guard !query.isEmpty else { return }
        var seen: Set<Substring> = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: false) {
            guard let equals = pair.firstIndex(of: "=") else { throw .malformed }
            let name = pair[..<equals]
            let text = pair[pair.index(after: equals)...]
            guard !name.isEmpty else { throw .malformed }
            guard ["after", "limit", "wait"].contains(name) else { continue }
            guard seen.insert(name).inserted, let value = Self.canonicalInteger(text) else { throw .malformed }
            switch name {
            case "after":
                after = value
            case "limit":
                guard Self.limitRange.contains(Int(value)) else { throw .outOfRange("limit must be 1 to 100") }
                limit = Int(value)
            default:
                guard Self.waitRange.contains(Int(value)) else { throw .outOfRange("wait must be 0 to 60 seconds") }
                wait = Int(value)
            }
        }
    }

    /// A decimal with no sign and no leading zeros, below 2⁵³.
    private static func canonicalInteger(_ text: Substring) -> Int64? {
        let bytes = Array(text.utf8)
        guard (1...16).contains(bytes.count), bytes.allSatisfy({ (0x30...0x39).contains($0) }),
            bytes.count == 1 || bytes[0] != 0x30,
            let value = Int64(text), value < 1 << 53
        else { return nil }
        return value
    }
}
