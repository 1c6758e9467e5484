import VigilCrypto

/// Distinct blobs of one size, so that the relay's idempotent deposit never answers from a
/// previous copy: random bytes with the stream number and a counter in the first 16 bytes.
struct BlobSource: Sendable {
    /// The smallest size that has room for the stream number and the counter.
    static let minimumByteCount = 16

    private let template: [UInt8]
    private let stream: UInt64
    private var counter: UInt64 = 0

    var byteCount: Int { template.count }

    /// - Parameter stream: distinguishes the sources of different connections.
    init(byteCount: Int, stream: Int) {
        precondition(byteCount >= Self.minimumByteCount, "blobs need at least 16 bytes")
        template = SecureRandom.bytes(count: byteCount)
        self.stream = UInt64(stream)
    }

    /// The next blob: never equal to an earlier one of this source, or to one of another stream.
    mutating func next() -> [UInt8] {
        counter += 1
        var blob = template
        withUnsafeBytes(of: stream.littleEndian) { blob.replaceSubrange(0..<8, with: $0) }
        withUnsafeBytes(of: counter.littleEndian) { blob.replaceSubrange(8..<16, with: $0) }
        return blob
    }
}
