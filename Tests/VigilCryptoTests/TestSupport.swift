import Testing
import VigilCrypto

/// The bytes of a hex literal written in a test; a malformed literal fails the test that uses it.
func bytes(hex text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
    try #require(Hex.decode(text), "not a hex literal: \(text)", sourceLocation: sourceLocation)
}

/// A copy of the secret bytes, for comparing them with expected values in tests.
func contents(of secret: SecureBytes) -> [UInt8] {
    secret.withUnsafeBytes { Array($0) }
}

/// Everything a developer or a log might see of a value: `description`, `debugDescription`
/// (through `String(reflecting:)`), string interpolation and `dump`.
func renderings(of value: Any) -> [String] {
    var dumped = ""
    dump(value, to: &dumped)
    return [String(describing: value), String(reflecting: value), "\(value)", dumped]
}

/// Whether `text` shows any 8 consecutive bytes of `secret` in hex (either case) or as a run of
/// decimal numbers in order (as an array's description or `dump` of an array would print them).
func reveals(_ secret: [UInt8], in text: String) -> Bool {
    let windowLength = min(8, secret.count)
    guard windowLength > 0 else { return false }
    let lowered = text.lowercased()
    let numbers = decimalNumbers(in: text)
    for start in 0...(secret.count - windowLength) {
        let window = Array(secret[start..<start + windowLength])
        if lowered.contains(Hex.encode(window)) { return true }
        let wanted = window.map(Int.init)
        if numbers.count >= wanted.count {
            for offset in 0...(numbers.count - wanted.count)
            where numbers[offset..<offset + wanted.count].elementsEqual(wanted) {
                return true
            }
        }
    }
    return false
}

/// Every run of ASCII digits in `text`, as numbers, in order.
private func decimalNumbers(in text: String) -> [Int] {
    var numbers: [Int] = []
    var current: Int?
    for character in text.unicodeScalars {
        if (48...57).contains(character.value) {
            current = min((current ?? 0) * 10 + Int(character.value - 48), 1_000_000)
        } else if let value = current {
            numbers.append(value)
            current = nil
        }
    }
    if let value = current { numbers.append(value) }
    return numbers
}

/// `bytes` with the bits of the byte at `index` inverted.
func flipping(_ bytes: [UInt8], at index: Int, mask: UInt8 = 0x01) -> [UInt8] {
    var copy = bytes
    copy[index] ^= mask
    return copy
}

/// Known-answer values from public standards, shared by several test files.
enum Vectors {
    /// RFC 8032, section 7.1, TEST 1 (Ed25519, empty message).
    static let rfc8032Seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
    static let rfc8032PublicKey = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    static let rfc8032Signature =
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"

    /// RFC 7748, section 6.1 (X25519 key pairs of Alice and Bob).
    static let rfc7748AliceSecret = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
    static let rfc7748AlicePublic = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
    static let rfc7748BobSecret = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
    static let rfc7748BobPublic = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
}
