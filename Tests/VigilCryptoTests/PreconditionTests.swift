import Testing
import VigilCrypto

/// Programming errors (lengths fixed by the caller's code, never by input) stop the process.
/// Each of these runs in a child process.
@Suite("Misuse stops the process")
struct PreconditionTests {
    @Test("A BLAKE2b output shorter than 16 bytes stops the process")
    func blake2bOutputTooShort() async {
        await #expect(processExitsWith: .failure) { _ = BLAKE2b.hash([1], outputByteCount: 15) }
    }

    @Test("A BLAKE2b output longer than 64 bytes stops the process")
    func blake2bOutputTooLong() async {
        await #expect(processExitsWith: .failure) { _ = BLAKE2b.hash([1], outputByteCount: 65) }
    }

    @Test("A BLAKE2b key shorter than 16 bytes stops the process")
    func blake2bKeyTooShort() async {
        await #expect(processExitsWith: .failure) { _ = BLAKE2b.hash([1], key: [1, 2, 3]) }
    }

    @Test("A BLAKE2b key longer than 64 bytes stops the process")
    func blake2bKeyTooLong() async {
        await #expect(processExitsWith: .failure) {
            _ = BLAKE2b.hash([1], key: [UInt8](repeating: 1, count: 65))
        }
    }

    @Test("Padding to a block size that is not positive stops the process")
    func padNonPositiveBlockSize() async {
        await #expect(processExitsWith: .failure) { _ = ISO7816Padding.pad([1], blockSize: 0) }
    }

    @Test("Asking for a negative number of random bytes stops the process")
    func negativeRandomCount() async {
        await #expect(processExitsWith: .failure) { _ = SecureRandom.bytes(count: -1) }
        await #expect(processExitsWith: .failure) { _ = SecureBytes.random(count: -1) }
    }
}
