/// A position on Earth, carried as integer units of 10⁻⁷ degree (about 1 cm), so that it
/// encodes exactly and compares exactly.
public struct Location: Hashable, Sendable, CustomStringConvertible {
    /// Latitude in 10⁻⁷ degree, -900000000...900000000.
    public let latitudeE7: Int32
    /// Longitude in 10⁻⁷ degree, -1800000000...1800000000.
    public let longitudeE7: Int32

    public static let latitudeRange: ClosedRange<Int32> = -900_000_000...900_000_000
    public static let longitudeRange: ClosedRange<Int32> = -1_800_000_000...1_800_000_000

    /// A location from integer units; nil when either coordinate is out of range.
    public init?(latitudeE7: Int32, longitudeE7: Int32) {
        guard Self.latitudeRange.contains(latitudeE7), Self.longitudeRange.contains(longitudeE7) else { return nil }
        self.latitudeE7 = latitudeE7
        self.longitudeE7 = longitudeE7
    }

    /// A location from degrees, rounded to 10⁻⁷ degree; nil when out of range or not finite.
    public init?(latitude: Double, longitude: Double) {
        guard latitude.isFinite, longitude.isFinite,
            (-90.0...90.0).contains(latitude), (-180.0...180.0).contains(longitude)
        else { return nil }
        self.init(latitudeE7: Int32((latitude * 1e7).rounded()), longitudeE7: Int32((longitude * 1e7).rounded()))
    }

    public var latitude: Double { Double(latitudeE7) / 1e7 }
    public var longitude: Double { Double(longitudeE7) / 1e7 }

    /// `LAT,LON` in degrees with seven decimals, e.g. `36.7201600,-4.4203400`.
    public var description: String {
        "\(Self.degrees(latitudeE7)),\(Self.degrees(longitudeE7))"
    }

    private static func degrees(_ e7: Int32) -> String {
        let magnitude = Int64(e7).magnitude
        let fraction = String(magnitude % 10_000_000)
        return (e7 < 0 ? "-" : "") + "\(magnitude / 10_000_000)." + String(repeating: "0", count: 7 - fraction.count) + fraction
    }
}
