import Testing
@testable import VigilProtocol

@Suite("Mailbox addresses") struct MailboxAddressTests {
    private static let goodID = "abcdefghijklmnop"

    @Test("A valid relay URL is accepted", arguments: [
        "http://x", "https://relay.example.org", "HTTPS://Relay.Example.org:8443/v1/?q=1", "http://127.0.0.1:8080",
        "https://[::1]:443", "https://" + String(repeating: "r", count: 192),
    ])
    func aValidRelayURLIsAccepted(_ url: String) throws {
        let address = try MailboxAddress(relayURL: url, mailboxID: Self.goodID)
        #expect(address.relayURL == url)
        #expect(address.mailboxID == Self.goodID)
    }

    @Test("An invalid relay URL is refused", arguments: [
        "", "relay.example.org", "ftp://relay", "http://", "https://", "http:///x", "https:///", "http:/x", "https//x",
        "javascript:alert(1)", "https://relay example.org", "https://relay.example.org\n", "https://x\u{7F}",
        "https://rélay.example", "https://" + String(repeating: "r", count: 193), " https://x",
    ])
    func anInvalidRelayURLIsRefused(_ url: String) {
        #expect(throws: MailboxAddress.Problem.invalidRelayURL) { try MailboxAddress(relayURL: url, mailboxID: Self.goodID) }
    }

    @Test("A valid mailbox ID is accepted", arguments: [
        String(repeating: "a", count: 16), String(repeating: "Z", count: 64), "ABCxyz019-_ABCxyz019-_",
    ])
    func aValidMailboxIDIsAccepted(_ id: String) throws {
        #expect(try MailboxAddress(relayURL: "https://x", mailboxID: id).mailboxID == id)
    }

    @Test("An invalid mailbox ID is refused", arguments: [
        "", String(repeating: "a", count: 15), String(repeating: "a", count: 65), "abcdefghijklmno.", "abcdefghijklmno/",
        "abcdefghijklmno ", "abcdefghijklmnoé", "abcdefghijklmno+", "abcdefghijklmno=", "abcdefghijklmno\u{0}",
    ])
    func anInvalidMailboxIDIsRefused(_ id: String) {
        #expect(throws: MailboxAddress.Problem.invalidMailboxID) { try MailboxAddress(relayURL: "https://x", mailboxID: id) }
    }

    @Test("The relay URL is checked first")
    func theRelayURLIsCheckedFirst() {
        #expect(throws: MailboxAddress.Problem.invalidRelayURL) { try MailboxAddress(relayURL: "", mailboxID: "") }
    }

    @Test("The description names relay and mailbox")
    func theDescriptionNamesRelayAndMailbox() throws {
        let address = try MailboxAddress(relayURL: "https://relay.example.org", mailboxID: Self.goodID)
        #expect(address.description == "https://relay.example.org mailbox abcdefghijklmnop")
    }

    @Test("The limits are as documented")
    func theLimitsAreAsDocumented() {
        #expect(MailboxAddress.maxRelayURLBytes == 200)
        #expect(MailboxAddress.mailboxIDLengths == 16...64)
    }
}
