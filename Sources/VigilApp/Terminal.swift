#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import VigilCrypto

/// Questions asked on the controlling terminal (`/dev/tty`), not on standard input and output,
/// so that they work when output is piped and are never captured into a file.
public enum Terminal {
    /// Longest passphrase read, in bytes.
    static let maxSecretBytes = 1024

    /// Reads a line without echoing it: the terminal is put into non-canonical mode without echo
    /// or signals, and restored afterwards whatever happens. Backspace and Ctrl-U edit, Ctrl-C
    /// or Ctrl-D cancel. The bytes go straight into ``SecureBytes``; the read buffer is wiped.
    /// - Throws: ``VigilError`` (exit 2) when there is no terminal; (exit 1) when cancelled.
    public static func readSecret(prompt: String) throws(VigilError) -> SecureBytes {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else {
            throw VigilError(.locked, "a passphrase is needed but there is no terminal to ask for it: set VIGIL_PASSPHRASE or use --passphrase-file")
        }
        defer { close(fd) }
        var original = termios()
        let isTerminal = tcgetattr(fd, &original) == 0
        if isTerminal {
            var quiet = original
            quiet.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
            withUnsafeMutableBytes(of: &quiet.c_cc) { cc in
                cc[Int(VMIN)] = 1
                cc[Int(VTIME)] = 0
            }
            _ = tcsetattr(fd, TCSAFLUSH, &quiet)
        }
        defer {
            if isTerminal { _ = tcsetattr(fd, TCSAFLUSH, &original) }
            say("\n", fd: fd)
        }
        say(prompt, fd: fd)
        var buffer = [UInt8]()
        buffer.reserveCapacity(maxSecretBytes + 1)
        defer { secureWipe(&buffer) }
        var byte: UInt8 = 0
        while true {
            let count = read(fd, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count == 1 else { break }
            switch byte {
            case 0x0A, 0x0D:
                return SecureBytes(copying: buffer)
            case 0x03:
                throw VigilError(.usage, "cancelled: nothing was changed")
            case 0x04 where buffer.isEmpty:
                throw VigilError(.usage, "cancelled: nothing was changed")
            case 0x7F, 0x08:
                // Remove one whole UTF-8 character.
                while let last = buffer.last, last & 0xC0 == 0x80 { buffer.removeLast() }
                if !buffer.isEmpty { buffer.removeLast() }
            case 0x15:
                buffer.removeAll(keepingCapacity: true)
            default:
                guard buffer.count < maxSecretBytes else {
                    throw VigilError(.usage, "the passphrase is longer than \(maxSecretBytes) bytes")
                }
                buffer.append(byte)
            }
        }
        return SecureBytes(copying: buffer)
    }

    /// Asks a yes/no question; true only for an answer starting with `y`.
    /// - Throws: ``VigilError`` (exit 1) when there is no terminal.
    public static func confirm(_ question: String) throws(VigilError) -> Bool {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw VigilError(.usage, "there is no terminal to ask on: confirm with --yes") }
        defer { close(fd) }
        say(question + " [y/N] ", fd: fd)
        var answer = [UInt8]()
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1, byte != 0x0A, answer.count < 64 { answer.append(byte) }
        return answer.first == UInt8(ascii: "y") || answer.first == UInt8(ascii: "Y")
    }

    /// Reads one line typed on the terminal (echoed), without its line break.
    /// - Throws: ``VigilError`` (exit 1) when there is no terminal.
    public static func readLine(prompt: String) throws(VigilError) -> String {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw VigilError(.usage, "there is no terminal to ask on") }
        defer { close(fd) }
        say(prompt, fd: fd)
        var line = [UInt8]()
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1, byte != 0x0A, line.count < 4096 { line.append(byte) }
        return String(decoding: line, as: UTF8.self)
    }

    private static func say(_ text: String, fd: Int32) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}
