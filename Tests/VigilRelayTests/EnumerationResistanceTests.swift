import Foundation
import Testing
import VigilClient
import VigilCrypto
import VigilRelayAPI

/// "No such mailbox" and "not yours" must be indistinguishable, so mailbox IDs cannot be probed
/// (Protocol/relay-api.md, 404 `not_found`).
@Suite struct EnumerationResistanceTests {
    /// The owner endpoints, each built for a mailbox ID and a key.
    static let ownerEndpoints: [String] = ["fetch", "acknowledge", "delete"]

    static func endpoint(_ name: String, mailboxID: String, key: SigningKeyPair) -> RelayEndpoint {
        switch name {
        case "fetch": return .fetch(mailboxID: mailboxID, ownerKey: key, after: 0, limit: 100, wait: 0)
        case "acknowledge": return .acknowledge(mailboxID: mailboxID, ownerKey: key, ids: [1])
        default: return .deleteMailbox(mailboxID: mailboxID, ownerKey: key)
        }
    }

    @Test(arguments: ownerEndpoints)
    func anUnknownMailboxAndAWrongSignatureGetTheSameBytes(endpoint name: String) async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            _ = try await relay.client.deposit(mailboxID: id, blob: blob())
            let stranger = SigningKeyPair()

            let unknown = try await relay.raw(relay.request(Self.endpoint(name, mailboxID: MailboxIDs.generate(), key: stranger)))
            let wrongKey = try await relay.raw(relay.request(Self.endpoint(name, mailboxID: id, key: stranger)))
            let unknownWithOwnerKey = try await relay.raw(relay.request(Self.endpoint(name, mailboxID: MailboxIDs.generate(), key: owner)))

            #expect(unknown.status == 404)
            #expect(unknown.errorCode == "not_found")
            #expect(wrongKey.status == unknown.status)
            #expect(wrongKey.body == unknown.body, "\(wrongKey.bodyText) vs \(unknown.bodyText)")
            #expect(wrongKey.headers.map(\.name) == unknown.headers.map(\.name))
            #expect(unknownWithOwnerKey.status == unknown.status && unknownWithOwnerKey.body == unknown.body)
            // And nothing happened to the mailbox.
            #expect(try await relay.stored(id).count == 1)
        }
    }

    @Test(arguments: ownerEndpoints)
    func aSignatureOverAnyOtherPartOfTheRequestIsNotFound(endpoint name: String) async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            _ = try await relay.client.deposit(mailboxID: id, blob: blob())
            let reference = try await relay.raw(relay.request(Self.endpoint(name, mailboxID: MailboxIDs.generate(), key: owner)))

            // A valid signature of this request, moved onto another mailbox's path.
            let (otherID, _) = try await relay.makeMailbox()
            let request = try relay.request(Self.endpoint(name, mailboxID: otherID, key: owner))
            let target = request.path.replacingOccurrences(of: otherID, with: id)
            let moved = try await relay.raw(
                method: request.method, target: request.query.isEmpty ? target : target + "?" + request.query,
                headers: request.headers, body: request.body)
            #expect(moved.status == 404)
            #expect(moved.body == reference.body)

            // A flipped bit in the signature.
            let honest = try relay.request(Self.endpoint(name, mailboxID: id, key: owner))
            var headers = honest.headers
            var signature = Array(headers[RequestAuthentication.signatureHeader]!.utf8)
            signature[0] = signature[0] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            headers[RequestAuthentication.signatureHeader] = String(decoding: signature, as: UTF8.self)
            let target2 = honest.query.isEmpty ? honest.path : honest.path + "?" + honest.query
            let flipped = try await relay.raw(method: honest.method, target: target2, headers: headers, body: honest.body)
            #expect(flipped.status == 404)
            #expect(flipped.body == reference.body)
            #expect(try await relay.stored(id).count == 1)
        }
    }

    @Test func aFetchWithAChangedQueryIsNotFound() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let request = try relay.request(.fetch(mailboxID: id, ownerKey: owner, after: 0, limit: 100, wait: 0))
            let response = try await relay.raw(
                method: "GET", target: request.path + "?after=0&limit=99&wait=0", headers: request.headers)
            #expect(response.status == 404)
            #expect(response.errorCode == "not_found")
        }
    }

    @Test func anAcknowledgementWithAChangedBodyIsNotFoundAndDeletesNothing() async throws {
        try await withRelay { relay in
            let (id, owner) = try await relay.makeMailbox()
            let a = try await relay.client.deposit(mailboxID: id, blob: blob())
            let request = try relay.request(.acknowledge(mailboxID: id, ownerKey: owner, ids: [a + 1]))
            let response = try await relay.raw(
                method: "POST", target: request.path, headers: request.headers, body: Array(#"{"ids":[\#(a)]}"#.utf8))
            #expect(response.status == 404)
            #expect(try await relay.stored(id).map(\.id) == [a])
        }
    }

    @Test func theClientReportsBothCasesAsTheSameError() async throws {
        try await withRelay { relay in
            let (id, _) = try await relay.makeMailbox()
            let stranger = SigningKeyPair()
            let unknown = await relayError { () async throws(RelayClientError) in
                try await relay.client.fetch(mailboxID: MailboxIDs.generate(), ownerKey: stranger)
            }
            let wrongKey = await relayError { () async throws(RelayClientError) in
                try await relay.client.fetch(mailboxID: id, ownerKey: stranger)
            }
            #expect(unknown?.relayCode == .notFound)
            #expect(unknown == wrongKey)
        }
    }
}
