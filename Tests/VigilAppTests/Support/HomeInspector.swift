import Foundation
@testable import VigilApp
import VigilClient
import VigilCrypto
import VigilProtocol
import VigilRelayAPI

/// Opens a person's `$VIGIL_HOME` inside the test process, with their passphrase, to do what an
/// attacker holding keys or a relay's view could do: read the mailbox owner keys, peek into a
/// mailbox without acknowledging, seal envelopes as that person.
struct HomeInspector {
    let session: VigilSession

    init(_ runner: VigilRunner) throws {
        let context = VigilContext(home: VigilHome(path: runner.home), keyDerivationCost: .minimum)
        let passphrase = runner.passphrase ?? ""
        session = try VigilSession.open(context) { SecureBytes(copying: Array(passphrase.utf8)) }
    }

    /// The person's identity, secret keys included.
    var identity: Identity { session.keys.identity }

    /// The person's mailbox on the relay at `url`: its ID and owner key.
    func mailbox(on url: String) throws -> (id: String, owner: SigningKeyPair) {
        guard let account = try session.state().relays.first(where: { $0.url == url }) else {
            throw SupportError("no mailbox on \(url) in \(session.context.home.path)")
        }
        return (account.mailboxID, try account.ownerSeed.signingKeyPair())
    }

    /// What waits in the person's mailbox on `url`, fetched as its owner without acknowledging.
    func peek(on url: String) async throws -> [FetchedMessage] {
        let (id, owner) = try mailbox(on: url)
        return try await RelayClient(baseURL: try parsedURL(url)).fetch(mailboxID: id, ownerKey: owner).messages
    }
}

/// Deposits `blob` into a mailbox as anyone may (deposits are not authenticated).
func deposit(_ blob: [UInt8], into mailboxID: String, at url: String) async throws -> Int64 {
    try await RelayClient(baseURL: try parsedURL(url)).deposit(mailboxID: mailboxID, blob: blob)
}

private func parsedURL(_ text: String) throws -> URL {
    guard let url = URL(string: text) else { throw SupportError("not a URL: \(text)") }
    return url
}
