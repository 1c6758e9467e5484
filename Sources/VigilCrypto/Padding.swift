internal import CSodium

/// ISO/IEC 7816-4 padding (`sodium_pad` / `sodium_unpad`): a 0x80 byte, then zero bytes up to
/// the next multiple of the block size. At least one byte is always added.
public enum ISO7816Padding {
    /// `data` padded to the next multiple of `blockSize` strictly greater than its length.
    public static func pad(_ data: [UInt8], blockSize: Int) -> [UInt8] {
        precondition(blockSize > 0, "block size must be positive")
        Sodium.ensureInitialized()
        let paddedCount = (data.count / blockSize + 1) * blockSize
        return [UInt8](unsafeUninitializedByteCount: paddedCount) { out in
            out.initialize(from: data, count: data.count)
            (out + data.count).initialize(repeating: 0, count: paddedCount - data.count)
            var resultCount = 0
            _ = sodium_pad(&resultCount, out, data.count, blockSize, paddedCount)
            assert(resultCount == paddedCount)
        }
    }

    /// The data before the padding; checks the last `blockSize` bytes in constant time.
    /// - Throws: ``CryptoError/invalidPadding`` when the padding is malformed or `padded` is
    ///   shorter than one block.
    public static func unpad(_ padded: [UInt8], blockSize: Int) throws(CryptoError) -> [UInt8] {
        guard blockSize > 0, padded.count >= blockSize else { throw .invalidPadding }
        Sodium.ensureInitialized()
        var count = 0
        let status = sodium_unpad(&count, padded, padded.count, blockSize)
        guard status == 0 else { throw .invalidPadding }
        return Array(padded[0..<count])
    }
}
