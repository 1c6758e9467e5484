import Foundation

/// The executables SwiftPM built next to the test bundle (`.build/debug/vigil`,
/// `.build/debug/vigil-relay`).
enum BuiltProducts {
    /// The directory holding the test bundle, which is also where SwiftPM puts executables.
    static let directory: URL = {
        let bundle = Bundle.main.bundleURL
        // On Linux the test runner is `.build/debug/<Package>PackageTests.xctest` itself.
        let candidates = [bundle.deletingLastPathComponent(), bundle, URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("vigil").path) }
            ?? bundle.deletingLastPathComponent()
    }()

    /// The path of a built executable.
    /// - Throws: when it is missing (run `swift build` first).
    static func path(_ name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw SupportError("\(name) is not built next to the tests in \(directory.path): run `swift build` first")
        }
        return path
    }
}

struct SupportError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A fresh temporary directory, removed by `remove()`.
struct TemporaryDirectory: Sendable {
    let path: String

    init(_ label: String = "vigil-test") throws {
        let template = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-XXXXXX").path
        var bytes = Array(template.utf8CString)
        guard let created = mkdtemp(&bytes) else { throw SupportError("mkdtemp failed") }
        path = String(cString: created)
    }

    func sub(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
