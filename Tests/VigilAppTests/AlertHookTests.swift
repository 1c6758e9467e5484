import Foundation
import Testing
import VigilApp
#if canImport(Glibc)
import Glibc
#endif

/// `watch --on-alert`'s command, run for real through a shell.
@Suite("Alert command")
struct AlertHookTests {
    private func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("vigil-hook-\(UUID().uuidString)").path
    }

    @Test("the alert arrives on the command's standard input, whole")
    func alertOnStandardInput() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let alert = Array(#"{"kind":"panic","message":"taken at the checkpoint"}"#.utf8)
        #expect(await AlertHook(command: "cat > '\(path)'").run(alert) == nil)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == alert)
    }

    @Test("a command that ignores its input is no failure, however large the alert")
    func inputNotRead() async {
        #expect(await AlertHook(command: "exit 0").run([UInt8](repeating: 0x20, count: 1 << 20)) == nil)
    }

    @Test("a failing command, one ended by a signal and one that runs too long are reported")
    func failures() async {
        #expect(await AlertHook(command: "exit 3").run([]) == "the alert command failed with exit status 3")
        #expect(await AlertHook(command: "kill -KILL $$").run([]) == "the alert command was stopped by signal 9")
        #expect(await AlertHook(command: "sleep 30", timeout: 1).run([])
            == "the alert command was stopped by signal 15 (it ran longer than 1 s)")
    }

    @Test("a command that ignores SIGTERM gets SIGKILL")
    func sigtermIgnored() async {
        #expect(await AlertHook(command: "trap '' TERM; sleep 30", timeout: 1).run([])
            == "the alert command was stopped by signal 9 (it ran longer than 1 s)")
    }

    @Test("an alert that something the command left behind holds unread does not hold vigil")
    func inputHeldByAnOrphan() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        // The command exits at once; a process in a session of its own holds the pipe unread.
        let command = "setsid sleep 60 <&0 >/dev/null 2>&1 & echo $! > '\(path)'; exit 0"
        let result = await AlertHook(command: command, timeout: 30).run([UInt8](repeating: 0x20, count: 1 << 20))
        let holder = try #require(Int32(try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(holder, SIGKILL) }
        #expect(result == nil)
        // The hook returned while the pipe's reader still runs: it did not wait for it.
        let state = (try? String(contentsOfFile: "/proc/\(holder)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first
        #expect(state != nil && state != "Z", "the process holding the pipe is gone: the hook waited for it")
    }

    @Test("a command that neither reads a large alert nor exits is stopped at the timeout")
    func inputNotReadAndNoExit() async {
        #expect(await AlertHook(command: "sleep 30", timeout: 1).run([UInt8](repeating: 0x20, count: 1 << 20))
            == "the alert command was stopped by signal 15 (it ran longer than 1 s)")
    }

    @Test("what a command that runs too long started is stopped with it")
    func processGroupStopped() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        // The shell waits for its background child, which would outlive a SIGTERM to the shell alone.
        let result = await AlertHook(command: "sleep 30 & echo $! > '\(path)'; wait", timeout: 3).run([])
        #expect(result == "the alert command was stopped by signal 15 (it ran longer than 3 s)")
        let child = try #require(Int32(try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // Gone, or a zombie until init reaps it: in neither case still sleeping.
        var stopped = false
        for _ in 0..<100 where !stopped {
            let state = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first
            stopped = state == nil || state == "Z"
            if !stopped { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(stopped, "the command's child \(child) still runs")
    }

    @Test("a shell that cannot be started is reported, not fatal")
    func shellMissing() async {
        let hook = AlertHook(command: "true", shell: "/nonexistent/sh")
        #expect(await hook.run([]) == "the alert command could not be started: /nonexistent/sh: No such file or directory")
    }
}
