public import VigilCrypto

/// How owner-signed relay requests are signed and checked (Protocol/relay-api.md,
/// "Request authentication"). Pure: the caller passes the clock.
public enum RequestAuthentication {
    public static let timestampHeader = "Vigil-Timestamp"
    public static let nonceHeader = "Vigil-Nonce"
    public static let signatureHeader = "Vigil-Signature"
    /// Nonce length in bytes (32 hex digits on the wire).
    public static let nonceByteCount = 16
    /// How far a request's timestamp may be from the relay's clock, by default.
    public static let defaultWindowSeconds: UInt64 = 120

    static let domain: [UInt8] = Array("Vigil relay request v1".utf8) + [0]

    /// The three header values of a signed request.
    public struct Headers: Hashable, Sendable {
        public var timestamp: UInt64
        /// 32 lower-case hex digits.
        public var nonce: String
        /// 128 lower-case hex digits.
        public var signature: String

        public init(timestamp: UInt64, nonce: String, signature: String) {
            self.timestamp = timestamp
            self.nonce = nonce
            self.signature = signature
        }

        /// Parses the header values strictly; nil when any is missing or malformed.
        public init?(timestamp: String?, nonce: String?, signature: String?) {
            guard let timestamp, let nonce, let signature,
                Self.isCanonicalDecimal(timestamp), let seconds = UInt64(timestamp),
                nonce.utf8.count == 2 * nonceByteCount, Self.isLowerHex(nonce),
                signature.utf8.count == 2 * SigningPublicKey.signatureByteCount, Self.isLowerHex(signature)
            else { return nil }
            self.init(timestamp: seconds, nonce: nonce, signature: signature)
        }

        private static func isCanonicalDecimal(_ text: String) -> Bool {
            let bytes = Array(text.utf8)
            guard (1...20).contains(bytes.count), bytes.allSatisfy({ (0x30...0x39).contains($0) }) else { return false }
            return bytes.count == 1 || bytes[0] != 0x30
        }

        private static func isLowerHex(_ text: String) -> Bool {
            text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        }
    }

    /// The bytes an owner signs for a request.
    public static func signedBytes(
        method: String, path: String, query: String, body: [UInt8], timestamp: UInt64, nonce: String
    ) -> [UInt8] {
        let bodyHash = Hex.encode(BLAKE2b.hash(body, outputByteCount: 32))
        let fields = [method, path, query, bodyHash, String(timestamp), nonce].joined(separator: "\n")
        return domain + Array(fields.utf8)
    }

    /// Signs a request with a mailbox owner key, with a fresh nonce.
    public static func sign(
        method: String, path: String, query: String, body: [UInt8], timestamp: UInt64, ownerKey: SigningKeyPair
    ) -> Headers {
        let nonce = Hex.encode(SecureRandom.bytes(count: nonceByteCount))
        let message = signedBytes(method: method, path: path, query: query, body: body, timestamp: timestamp, nonce: nonce)
        return Headers(timestamp: timestamp, nonce: nonce, signature: Hex.encode(ownerKey.signature(for: message)))
    }

    /// Whether `timestamp` lies within `window` seconds of `now`, either side.
    public static func isFresh(_ timestamp: UInt64, now: UInt64, window: UInt64 = defaultWindowSeconds) -> Bool {
        (timestamp > now ? timestamp - now : now - timestamp) <= window
    }

    /// Whether `headers` carry a valid signature of this request by `ownerKey`.
    public static func isValid(
        _ headers: Headers, method: String, path: String, query: String, body: [UInt8], ownerKey: SigningPublicKey
    ) -> Bool {
        guard let signature = Hex.decode(headers.signature) else { return false }
        let message = signedBytes(
            method: method, path: path, query: query, body: body, timestamp: headers.timestamp, nonce: headers.nonce)
        return ownerKey.isValidSignature(signature, for: message)
    }
}
