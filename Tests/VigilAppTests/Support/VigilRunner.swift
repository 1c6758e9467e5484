import Foundation
import VigilProcess
#if canImport(Glibc)
import Glibc
#endif

/// What one run of `vigil` printed and how it exited.
struct VigilRun: Sendable, CustomStringConvertible {
    /// The exit status; 128 + the signal's number when a signal ended it, as a shell says.
    let status: Int32
    let stdout: String
    let stderr: String

    /// The standard output parsed as one JSON object.
    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] else {
            throw SupportError("vigil did not print a JSON object: \(stdout.prefix(300))")
        }
        return object
    }

    var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
}

/// Runs the built `vigil` with one `$VIGIL_HOME`, a passphrase in the environment, the cheap
/// test-only key derivation, and a clean environment (no proxy variables from the caller).
struct VigilRunner: Sendable {
    let home: String
    var passphrase: String? = "correct horse battery staple"
    /// `VIGIL_NOW`, when the test fixes the clock.
    var now: UInt64?
    var extraEnvironment: [String: String] = [:]

    /// The environment every run gets: nothing from the caller's but `PATH`.
    var environment: [String: String] {
        var environment = ["PATH": "/usr/bin:/bin", "HOME": home, "VIGIL_HOME": home, "VIGIL_KDF": "minimum"]
        if let passphrase { environment["VIGIL_PASSPHRASE"] = passphrase }
        if let now { environment["VIGIL_NOW"] = String(now) }
        environment.merge(extraEnvironment) { $1 }
        return environment
    }

    /// Runs `vigil arguments…` to completion (killed after `timeout` seconds).
    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil, timeout: TimeInterval = 60) throws -> VigilRun {
        let process = try ChildProcess(
            executable: try BuiltProducts.path("vigil"), arguments: arguments, environment: environment,
            standardInput: .pipe, standardOutput: .pipe, standardError: .pipe)
        if let input = process.standardInput {
            if let stdin { input.write(Data(stdin.utf8)) }
            try? input.close()
        }
        // Drain both pipes concurrently so that a chatty process cannot block on a full pipe.
        let outBox = LockedBox(Data())
        let errBox = LockedBox(Data())
        let group = DispatchGroup()
        for (handle, box) in [(process.standardOutput!, outBox), (process.standardError!, errBox)] {
            group.enter()
            DispatchQueue.global().async {
                box.value = handle.readDataToEndOfFile()
                group.leave()
            }
        }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            process.signal(SIGTERM)
            group.wait()
            process.waitUntilExit()
            throw SupportError("vigil \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
        }
        let status: Int32
        switch process.waitUntilExit() {
        case .exited(let code): status = code
        case .signalled(let signal): status = 128 + signal
        case .unobserved: throw SupportError("the exit status of vigil \(arguments.joined(separator: " ")) was collected elsewhere")
        }
        return VigilRun(
            status: status, stdout: String(decoding: outBox.value, as: UTF8.self),
            stderr: String(decoding: errBox.value, as: UTF8.self))
    }

    /// `vigil init` with a name and relays; fails the caller when it does not succeed.
    func initialize(name: String, relays: [String]) throws -> VigilRun {
        let result = try run(["init", "--name", name, "--json"] + relays.flatMap { ["--relay", $0] })
        guard result.status == 0 else { throw SupportError("vigil init failed: \(result)") }
        return result
    }

    /// This person's card text.
    func card() throws -> String {
        let result = try run(["card", "--json"])
        guard result.status == 0, let card = try result.json()["card"] as? String else {
            throw SupportError("vigil card failed: \(result)")
        }
        return card
    }
}
