public import Foundation
import VigilClient
public import VigilProtocol

/// Checks and parses what people type: names, aliases, relay URLs, durations, locations,
/// message IDs. Each failure says what is wrong and what is expected.
public enum InputRules {
    /// Longest alias, in UTF-8 bytes.
    public static let maxAliasBytes = 64

    /// A name for a card: 1 to 64 UTF-8 bytes on one line, without control characters or
    /// text-direction overrides (the card format's rules).
    public static func checkDisplayName(_ name: String) throws(VigilError) {
        guard isSingleLineText(name, maxBytes: ContactCard.maxDisplayNameBytes) else {
            throw .usage("the name must be 1 to \(ContactCard.maxDisplayNameBytes) bytes on one line, without control characters")
        }
    }

    /// An alias for a contact: the same rules as a name.
    public static func checkAlias(_ alias: String) throws(VigilError) {
        guard isSingleLineText(alias, maxBytes: maxAliasBytes) else {
            throw .usage("the alias must be 1 to \(maxAliasBytes) bytes on one line, without control characters")
        }
    }

    /// The canonical form of a relay URL (`https://host[:port][/prefix]`), as a card carries it.
    public static func relayURL(_ text: String) throws(VigilError) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let url = URL(string: trimmed) else { throw .usage("\(trimmed.prefix(80)) is not a URL: a relay URL looks like https://relay.example.org") }
        let base: RelayBaseURL
        do {
            base = try RelayBaseURL(url)
        } catch {
            throw .usage("the relay URL cannot be used: \(error)")
        }
        let canonical = base.description
        guard (try? MailboxAddress(relayURL: canonical, mailboxID: String(repeating: "A", count: 24))) != nil else {
            throw .usage("the relay URL is too long or has characters a card cannot carry")
        }
        return canonical
    }

    /// A duration such as `90s`, `45m`, `2h`, `1h30m` or `1d`; a bare number means minutes.
    public static func duration(_ text: String) throws(VigilError) -> UInt64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let problem = VigilError.usage("\"\(trimmed.prefix(20))\" is not a duration: write for example 30m, 2h, 1h30m or 1d")
        guard !trimmed.isEmpty else { throw problem }
        if let minutes = UInt64(trimmed) {
            let (seconds, overflow) = minutes.multipliedReportingOverflow(by: 60)
            return try bounded(overflow ? .max : seconds)
        }
        var total: UInt64 = 0
        var number = ""
        for character in trimmed {
            if character.isASCII, character.isNumber {
                number.append(character)
                continue
            }
            guard let value = UInt64(number), number.count <= 6 else { throw problem }
            let unit: UInt64
            switch character {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86400
            default: throw problem
            }
            let (sum, overflow) = total.addingReportingOverflow(value * unit)
            total = overflow ? .max : sum
            number = ""
        }
        guard number.isEmpty, total > 0 else { throw problem }
        return try bounded(total)
    }

    private static func bounded(_ seconds: UInt64) throws(VigilError) -> UInt64 {
        guard seconds > 0, seconds <= 366 * 86400 else { throw .usage("a duration must be between 1 second and a year") }
        return seconds
    }

    /// `LAT,LON` in decimal degrees, such as `36.72016,-4.42034`.
    public static func location(_ text: String) throws(VigilError) -> Location {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let latitude = Double(parts[0]), let longitude = Double(parts[1]),
            let location = Location(latitude: latitude, longitude: longitude)
        else {
            throw .usage("the location must be LAT,LON in decimal degrees, e.g. 36.72016,-4.42034 (latitude -90…90, longitude -180…180)")
        }
        return location
    }

    /// A proxy URL, such as `socks5h://127.0.0.1:9050` for Tor.
    public static func proxy(_ text: String) throws(VigilError) -> URL {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.contains("://"), let url = URL(string: trimmed), ProxyAddress(url) != nil else {
            throw .usage("the proxy must look like socks5h://127.0.0.1:9050 (Tor)")
        }
        return url
    }

    static func isSingleLineText(_ text: String, maxBytes: Int) -> Bool {
        TextRules.isValid(text, maxBytes: maxBytes, singleLine: true)
    }
}
