import Testing
import VigilApp
import VigilProtocol

@Suite("What people type")
struct InputRulesTests {
    @Test("Durations read as people write them", arguments: [
        ("90s", UInt64(90)), ("45m", 2700), ("2h", 7200), ("1h30m", 5400), ("1d", 86400), ("30", 1800),
    ])
    func durations(_ text: String, _ seconds: UInt64) throws {
        #expect(try InputRules.duration(text) == seconds)
    }

    @Test("Durations that overflow or make no sense are refused, never a crash", arguments: [
        "18446744073709551615", "99999999999999999999999", "307445734561825861", "", "h", "5x", "1h30", "0", "400d",
    ])
    func badDurations(_ text: String) {
        #expect(throws: VigilError.self) { try InputRules.duration(text) }
    }

    @Test("Names and aliases follow the card's text rules")
    func namesFollowTextRules() throws {
        try InputRules.checkDisplayName("Amal")
        try InputRules.checkAlias("Sofía 🌿")
        for bad in ["", "Ali\nce", "Bob\u{202E}evil", "tab\there", String(repeating: "x", count: 65)] {
            #expect(throws: VigilError.self) { try InputRules.checkAlias(bad) }
        }
    }

    @Test("Locations are checked for range")
    func locations() throws {
        #expect(try InputRules.location("36.72016,-4.42034") == Location(latitude: 36.72016, longitude: -4.42034))
        for bad in ["91,0", "0,181", "abc", "1", "1,2,3", "nan,0"] {
            #expect(throws: VigilError.self) { try InputRules.location(bad) }
        }
    }
}
