import Testing
import VigilCrypto

@Suite("BLAKE2b")
struct BLAKE2bTests {
    @Test("BLAKE2b-512 of \"abc\" is the RFC 7693 value")
    func abc512() throws {
        #expect(
            BLAKE2b.hash(Array("abc".utf8), outputByteCount: 64)
                == (try bytes(
                    hex: "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc95"
                        + "18d38aa8dbf1925ab92386edd4009923")))
    }

    @Test("BLAKE2b-512 of the empty input is the published value")
    func empty512() throws {
        #expect(
            BLAKE2b.hash([], outputByteCount: 64)
                == (try bytes(
                    hex: "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb04b"
                        + "903a685b1448b755d56f701afe9be2ce")))
        #expect(BLAKE2b.hash(parts: [], outputByteCount: 64) == BLAKE2b.hash([], outputByteCount: 64))
    }

    // Shorter outputs are not truncations: the length is a parameter of the hash.
    // Values computed with Python's hashlib.blake2b(digest_size=...).
    @Test(
        "Shorter outputs of \"abc\" match an independent implementation",
        arguments: [
            (16, "cf4ab791c62b8d2b2109c90275287816"),
            (32, "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"),
        ])
    func shorterOutputs(count: Int, hex: String) throws {
        #expect(BLAKE2b.hash(Array("abc".utf8), outputByteCount: count) == (try bytes(hex: hex)))
    }

    @Test("The default output is 32 bytes")
    func defaultLength() {
        #expect(BLAKE2b.hash(Array("abc".utf8)) == BLAKE2b.hash(Array("abc".utf8), outputByteCount: 32))
        #expect(BLAKE2b.hash(Array("abc".utf8)).count == 32)
    }

    @Test("Every allowed output length gives that many bytes", arguments: 16...64)
    func outputLengths(count: Int) {
        #expect(BLAKE2b.hash([1, 2, 3], outputByteCount: count).count == count)
    }

    // Values computed with Python's hashlib.blake2b(b"hello world", digest_size=..., key=...).
    @Test(
        "Keyed hashes match an independent implementation",
        arguments: [
            (16, 32, "c075c9ccd5200e0910f52566c0ef6e6e98ba6923c6ebb6dad313f162f9dbaa91"),
            (
                64, 64,
                "52c5da3811d9e5afb223648f9f913ba93ffab5296867938d2f79c3925b2af78148dedd59bf06c6238677ab8e3b15ed43"
                    + "619ad2a9404a5c67798c1eb4bc512177"
            ),
        ])
    func keyed(keyLength: Int, outputLength: Int, hex: String) throws {
        let key = [UInt8](0..<UInt8(keyLength))
        #expect(
            BLAKE2b.hash(Array("hello world".utf8), outputByteCount: outputLength, key: key) == (try bytes(hex: hex)))
    }

    @Test("A keyed hash differs from the unkeyed hash and from a hash under another key")
    func keyMatters() {
        let message: [UInt8] = Array("hello world".utf8)
        let key = [UInt8](repeating: 1, count: 32)
        let keyed = BLAKE2b.hash(message, key: key)
        #expect(keyed != BLAKE2b.hash(message))
        #expect(keyed != BLAKE2b.hash(message, key: flipping(key, at: 31)))
    }

    @Test(
        "Hashing parts gives the digest of their concatenation",
        arguments: [[0], [1], [5], [0, 0], [64, 64], [127, 1, 128], [0, 300, 0]])
    func parts(lengths: [Int]) {
        var counter: UInt8 = 0
        let parts = lengths.map { length in
            (0..<length).map { _ in
                counter &+= 1
                return counter
            }
        }
        let whole = parts.flatMap { $0 }
        #expect(BLAKE2b.hash(parts: parts) == BLAKE2b.hash(whole))
        #expect(BLAKE2b.hash(parts: parts, outputByteCount: 64) == BLAKE2b.hash(whole, outputByteCount: 64))
    }

    @Test("The variadic and array forms agree")
    func variadicAndArray() {
        let key = [UInt8](repeating: 3, count: 16)
        #expect(
            BLAKE2b.hash([1, 2], [3], [], [4, 5], outputByteCount: 48, key: key)
                == BLAKE2b.hash(parts: [[1, 2], [3], [], [4, 5]], outputByteCount: 48, key: key))
        #expect(BLAKE2b.hash([1, 2], [3]) == BLAKE2b.hash([1, 2, 3]))
    }

    @Test("Where parts are split does not matter, but their order does")
    func orderMatters() {
        #expect(BLAKE2b.hash([1], [2, 3]) == BLAKE2b.hash([1, 2], [3]))
        #expect(BLAKE2b.hash([1], [2]) != BLAKE2b.hash([2], [1]))
    }

    @Test("The allowed output lengths are 16 to 64 bytes")
    func bounds() {
        #expect(BLAKE2b.minimumOutputByteCount == 16)
        #expect(BLAKE2b.maximumOutputByteCount == 64)
    }
}
