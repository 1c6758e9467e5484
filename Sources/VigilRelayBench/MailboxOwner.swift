import Foundation
import NIOHTTP1
import VigilCrypto
import VigilRelayAPI

/// A mailbox owner key and the requests it signs (Protocol/relay-api.md, "Request authentication").
struct MailboxOwner: Sendable {
    let key = SigningKeyPair()

    /// A request carrying the three `Vigil-` headers, signed over exactly these bytes.
    func signedRequest(
        _ kind: RequestKind, method: HTTPMethod, path: String, query: String = "", body: [UInt8] = [],
        contentType: String? = nil
    ) -> BenchRequest {
        let timestamp = UInt64(Date().timeIntervalSince1970)
        let signed = RequestAuthentication.sign(
            method: method.rawValue, path: path, query: query, body: body, timestamp: timestamp, ownerKey: key)
        var headers = HTTPHeaders()
        if let contentType { headers.add(name: "Content-Type", value: contentType) }
        headers.add(name: RequestAuthentication.timestampHeader, value: String(signed.timestamp))
        headers.add(name: RequestAuthentication.nonceHeader, value: signed.nonce)
        headers.add(name: RequestAuthentication.signatureHeader, value: signed.signature)
        return BenchRequest(
            kind: kind, method: method, uri: query.isEmpty ? path : "\(path)?\(query)", headers: headers, body: body)
    }
}
