/// The domain-separation prefixes of every hash and signature Vigil computes.
///
/// Each is an ASCII string followed by one zero byte, so that no input of one purpose can be
/// mistaken for an input of another. Protocol/ lists them byte for byte.
enum DomainSeparation {
    static let envelopeSignature = tag("Vigil envelope signature v1")
    static let cardSignature = tag("Vigil contact card signature v1")
    static let cardChecksum = tag("Vigil contact card checksum v1")
    static let fingerprint = tag("Vigil fingerprint v1")
    static let safetyNumber = tag("Vigil safety number v1")

    private static func tag(_ text: String) -> [UInt8] {
        Array(text.utf8) + [0]
    }
}
