import Foundation

/// How reports are written as JSON for scripts: snake_case keys, sorted, times as Unix seconds.
public enum JSONOutput {
    /// `value` as JSON, pretty-printed unless `compact` (one line, for event streams).
    public static func encode(_ value: some Encodable, compact: Bool = true) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = compact ? [.sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }
}
