import Testing
@testable import VigilProtocol

@Suite("Locations") struct LocationTests {
    @Test(
        "Coordinates within range are accepted",
        arguments: [(90.0, 180.0), (-90.0, -180.0), (0.0, 0.0), (-0.0, -0.0), (36.72016, -4.42034)])
    func coordinatesWithinRangeAreAccepted(_ latitude: Double, _ longitude: Double) throws {
        let location = try #require(Location(latitude: latitude, longitude: longitude))
        #expect(abs(location.latitude - latitude) < 1e-7)
        #expect(abs(location.longitude - longitude) < 1e-7)
    }

    @Test("Coordinates out of range or not finite are refused", arguments: [
        (90.0000001, 0.0), (-90.0000001, 0.0), (0.0, 180.0000001), (0.0, -180.0000001), (.nan, 0.0), (0.0, .nan),
        (.infinity, 0.0), (0.0, -.infinity), (1e300, 0.0),
    ])
    func coordinatesOutOfRangeOrNotFiniteAreRefused(_ latitude: Double, _ longitude: Double) {
        #expect(Location(latitude: latitude, longitude: longitude) == nil)
    }

    @Test("Degrees are rounded to the nearest ten-millionth")
    func degreesAreRoundedToTheNearestTenMillionth() throws {
        let location = try #require(Location(latitude: 12.345678949, longitude: -12.345678951))
        #expect(location.latitudeE7 == 123_456_789)
        #expect(location.longitudeE7 == -123_456_790)
        #expect(Location(latitude: 0.00000004, longitude: 0.00000006)?.latitudeE7 == 0)
        #expect(Location(latitude: 0.00000004, longitude: 0.00000006)?.longitudeE7 == 1)
        #expect(Location(latitude: -0.00000006, longitude: 0)?.latitudeE7 == -1)
    }

    @Test("Integer coordinates out of range are refused", arguments: [
        (Int32(900_000_001), Int32(0)), (-900_000_001, 0), (0, 1_800_000_001), (0, -1_800_000_001), (.max, 0), (.min, 0), (0, .min),
    ])
    func integerCoordinatesOutOfRangeAreRefused(_ latitudeE7: Int32, _ longitudeE7: Int32) {
        #expect(Location(latitudeE7: latitudeE7, longitudeE7: longitudeE7) == nil)
    }

    @Test("The ends of the integer ranges are accepted")
    func theIntegerRangeEndsAreAccepted() {
        #expect(Location(latitudeE7: 900_000_000, longitudeE7: -1_800_000_000) != nil)
        #expect(Location(latitudeE7: -900_000_000, longitudeE7: 1_800_000_000) != nil)
    }

    @Test("The description is degrees with seven decimals", arguments: [
        (Int32(367_201_600), Int32(-44_203_400), "36.7201600,-4.4203400"),
        (0, 0, "0.0000000,0.0000000"),
        (-5, 5, "-0.0000005,0.0000005"),
        (900_000_000, -1_800_000_000, "90.0000000,-180.0000000"),
        (-338_688_000, 1_512_093_000, "-33.8688000,151.2093000"),
        (-10_000_000, 10_000_001, "-1.0000000,1.0000001"),
    ])
    func theDescriptionIsDegreesWithSevenDecimals(_ latitudeE7: Int32, _ longitudeE7: Int32, _ text: String) throws {
        #expect(try #require(Location(latitudeE7: latitudeE7, longitudeE7: longitudeE7)).description == text)
    }

    @Test("Degrees are the integer units over ten million")
    func degreesAreTheIntegerUnitsOverTenMillion() throws {
        let location = try #require(Location(latitudeE7: -338_688_000, longitudeE7: 1_512_093_000))
        #expect(location.latitude == -33.8688)
        #expect(location.longitude == 151.2093)
    }
}
