import Foundation
import VigilCrypto

/// The sealed boxes of the vector file written before, by vector name.
///
/// Sealed boxes are random by design, so sealing again would change every vector on every run.
/// A vector whose plaintext did not change keeps the box it had, and regenerating then changes
/// only the vectors that changed. A kept box goes through the same checks as a fresh one.
struct PreviousBoxes {
    private var boxes: [String: [UInt8]] = [:]

    /// No earlier file: every box is fresh.
    init() {}

    /// The boxes of the `valid` and `invalid` vectors in the file at `url`; none when it is
    /// missing or unreadable.
    init(contentsOf url: URL) {
        guard let data = FileManager.default.contents(atPath: url.path),
            let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return }
        for list in ["valid", "invalid"] {
            for vector in root[list] as? [[String: Any]] ?? [] {
                if let name = vector["name"] as? String, let hex = vector["sealed_hex"] as? String, let box = Hex.decode(hex) {
                    boxes[name] = box
                }
            }
        }
    }

    /// The earlier box of the vector `name` when `recipient` opens it to exactly `padded`.
    func box(_ name: String, opensTo padded: [UInt8], for recipient: Party) -> [UInt8]? {
        guard let box = boxes[name], (try? recipient.identity.encryption.open(box)) == padded else { return nil }
        return box
    }

    /// The earlier box of the vector `name`, a deliberately broken one, when it has the length
    /// the vector's rule gives (`count`); the caller checks that it still fails as expected.
    func brokenBox(_ name: String, count: Int) -> [UInt8]? {
        guard let box = boxes[name], box.count == count else { return nil }
        return box
    }
}
