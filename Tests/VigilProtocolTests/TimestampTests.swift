import Foundation
import Testing
@testable import VigilProtocol

@Suite("Timestamps") struct TimestampTests {
    @Test("A date becomes whole seconds rounded down")
    func aDateBecomesWholeSecondsRoundedDown() {
        #expect(Timestamp(Date(timeIntervalSince1970: 1_764_058_200.999)).secondsSince1970 == 1_764_058_200)
        #expect(Timestamp(Date(timeIntervalSince1970: 1_764_058_200)).secondsSince1970 == 1_764_058_200)
        #expect(Timestamp(Date(timeIntervalSince1970: 0.5)).secondsSince1970 == 0)
    }

    @Test("Dates before 1970, and NaN, become zero", arguments: [-0.5, -1, -86_400 * 365.0, -.infinity, .nan, -.greatestFiniteMagnitude])
    func datesBefore1970AndNaNBecomeZero(_ interval: Double) {
        #expect(Timestamp(Date(timeIntervalSince1970: interval)).secondsSince1970 == 0)
    }

    @Test("Dates beyond the range become the largest timestamp", arguments: [1.8e19, 1e300, .infinity, .greatestFiniteMagnitude])
    func datesBeyondTheRangeBecomeTheLargestTimestamp(_ interval: Double) {
        #expect(Timestamp(Date(timeIntervalSince1970: interval)).secondsSince1970 == .max)
    }

    @Test("The date is the same instant")
    func theDateIsTheSameInstant() {
        let timestamp = Timestamp(secondsSince1970: 1_764_058_200)
        #expect(timestamp.date == Date(timeIntervalSince1970: 1_764_058_200))
        #expect(Timestamp(timestamp.date) == timestamp)
    }

    @Test("The description is ISO 8601 in UTC")
    func theDescriptionIsISO8601InUTC() {
        #expect(Timestamp(secondsSince1970: 1_764_058_200).description == "2025-11-25T08:10:00Z")
        #expect(Timestamp(secondsSince1970: 0).description == "1970-01-01T00:00:00Z")
    }

    @Test("Timestamps order by time")
    func timestampsOrderByTime() {
        let earlier = Timestamp(secondsSince1970: 10)
        let later = Timestamp(secondsSince1970: 11)
        #expect(earlier < later)
        #expect(!(later < earlier))
        #expect([later, earlier].sorted() == [earlier, later])
        #expect(Timestamp(secondsSince1970: .max) > Timestamp(secondsSince1970: 0))
    }

    @Test("A timestamp survives JSON")
    func aTimestampSurvivesJSON() throws {
        let timestamp = Timestamp(secondsSince1970: .max)
        let decoded = try JSONDecoder().decode(Timestamp.self, from: try JSONEncoder().encode(timestamp))
        #expect(decoded == timestamp)
    }
}
