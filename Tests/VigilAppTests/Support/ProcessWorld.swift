import Foundation
import Testing

/// Real `vigil-relay` processes and people with their own `$VIGIL_HOME`, all in one temporary
/// directory: the process-level counterpart of ``World``.
///
/// ``tearDown()`` stops every relay and removes the directory; call it in a `defer` right after
/// creating the world. Relays also stop when their ``RelayProcess`` is released.
final class ProcessWorld: @unchecked Sendable {
    let directory: TemporaryDirectory
    private let relayBox = LockedBox<[String: RelayProcess]>([:])

    init(_ label: String) throws {
        directory = try TemporaryDirectory(label)
    }

    /// Starts a relay called `name` (its data in `relay-<name>/`) on a port the OS picks.
    @discardableResult
    func startRelay(_ name: String) throws -> RelayProcess {
        let relay = try RelayProcess.start(dataDirectory: directory.sub("relay-\(name)"))
        relayBox.value[name] = relay
        return relay
    }

    /// The relay called `name`.
    func relay(_ name: String) -> RelayProcess {
        guard let relay = relayBox.value[name] else { preconditionFailure("no relay \(name) was started") }
        return relay
    }

    /// The URL of the relay called `name` (it stays the same across a restart).
    func url(_ name: String) -> String { relay(name).url }

    /// Stops the relay called `name` (SIGTERM, waiting for it to exit).
    func stopRelay(_ name: String) { relay(name).stop() }

    /// Starts the relay called `name` again on its port, with its data.
    func restartRelay(_ name: String) throws {
        let restarted = try relay(name).restart()
        relayBox.value[name] = restarted
    }

    /// Sets up a person called `name` (on their card) in the directory `home` (default: the name
    /// in lower case) with a mailbox on each named relay.
    func person(_ name: String, home: String? = nil, relays: [String]) throws -> VigilRunner {
        let home = home ?? name.lowercased()
        let runner = VigilRunner(home: directory.sub(home), passphrase: "the passphrase of \(home)")
        _ = try runner.initialize(name: name, relays: relays.map { url($0) })
        return runner
    }

    /// Both add each other's card; with `verify`, both compare their safety numbers (which must
    /// be equal) and mark each other verified, as after a call.
    func exchangeCards(
        _ a: VigilRunner, as aliasOfA: String, _ b: VigilRunner, as aliasOfB: String, verify: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try expectSuccess(a.run(["contacts", "add", b.card(), "--alias", aliasOfB]), sourceLocation: sourceLocation)
        try expectSuccess(b.run(["contacts", "add", a.card(), "--alias", aliasOfA]), sourceLocation: sourceLocation)
        guard verify else { return }
        let aSees = try a.run(["contacts", "show", aliasOfB, "--json"]).json()["safety_number"] as? String
        let bSees = try b.run(["contacts", "show", aliasOfA, "--json"]).json()["safety_number"] as? String
        #expect(aSees != nil && aSees == bSees, "both sides must see the same safety number", sourceLocation: sourceLocation)
        try expectSuccess(a.run(["contacts", "verify", aliasOfB, "--yes"]), sourceLocation: sourceLocation)
        try expectSuccess(b.run(["contacts", "verify", aliasOfA, "--yes"]), sourceLocation: sourceLocation)
    }

    /// Stops every relay and removes the directory.
    func tearDown() {
        for relay in relayBox.value.values { relay.stop() }
        relayBox.value = [:]
        directory.remove()
    }
}

extension VigilRun {
    /// The standard output parsed as a JSON array (`contacts list --json`).
    func jsonArray() throws -> [[String: Any]] {
        guard let array = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [[String: Any]] else {
            throw SupportError("vigil did not print a JSON array: \(stdout.prefix(300))")
        }
        return array
    }

    /// The `messages` of an `inbox --json` report.
    func inboxMessages(kind: String? = nil) throws -> [[String: Any]] {
        guard let messages = try json()["messages"] as? [[String: Any]] else {
            throw SupportError("no messages in the inbox report: \(self)")
        }
        return messages.filter { kind == nil || $0["kind"] as? String == kind }
    }
}

/// The bytes of a file, or nil when it does not exist.
func fileBytes(_ path: String) -> Data? {
    FileManager.default.contents(atPath: path)
}

/// The `from` object of a message or acknowledgement as `--json` prints it.
func sender(_ object: [String: Any], key: String = "from") -> [String: Any] {
    object[key] as? [String: Any] ?? [:]
}

/// Polls `condition` until it holds.
/// - Throws: when it does not hold within `timeout` seconds.
func waitUntil(_ what: String, timeout: TimeInterval = 30, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while try !condition() {
        guard Date() < deadline else { throw SupportError("\(what) did not happen within \(Int(timeout)) s") }
        usleep(20_000)
    }
}

/// The present as Unix seconds (for `VIGIL_NOW`).
func unixNow() -> UInt64 { UInt64(Date().timeIntervalSince1970) }
