import Foundation
import VigilApp

/// Writes to standard output and error without buffering, so that `watch` output reaches a
/// pipe at once.
enum Console {
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// `value` as JSON on standard output: pretty, or one line for event streams.
    static func json(_ value: some Encodable, compact: Bool = false) {
        guard let bytes = try? JSONOutput.encode(value, compact: compact) else {
            error("vigil: error: the result could not be written as JSON")
            return
        }
        FileHandle.standardOutput.write(Data(bytes + [0x0A]))
    }
}
