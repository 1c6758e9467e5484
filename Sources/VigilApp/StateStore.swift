import Foundation
import VigilCrypto
import VigilProtocol

/// Reads and writes `state.json.enc`: the ``AppState`` as JSON, sealed with XChaCha20-Poly1305
/// under the state key from the keystore.
///
/// File layout: the 5 bytes `VGLS` 0x01 (magic and format version), then `nonce || ciphertext ||
/// tag`. The associated data binds the file name and version, so the file cannot be swapped
/// for another sealed file. Each write first keeps the current file as
/// `state.json.enc.previous`, then replaces it atomically, all under the exclusive lock.
///
/// The JSON plaintext is wiped from buffers this code owns once sealed or parsed (best effort:
/// Foundation's encoder and decoder make copies of their own).
struct StateStore: Sendable {
    let home: VigilHome
    private let key: SecureBytes

    static let magic: [UInt8] = Array("VGLS".utf8) + [1]
    static let associatedData: [UInt8] = Array("Vigil state v1".utf8) + [0] + Array(VigilHome.stateName.utf8)

    /// Test hook: where the next write of the state file fails.
    var fault: AtomicFile.FaultPoint = .none

    init(home: VigilHome, key: SecureBytes) {
        self.home = home
        self.key = key
    }

    /// The current state.
    /// - Throws: ``VigilError`` (damaged, exit 4) naming the file and its previous copy when it is
    ///   missing, cannot be decrypted or parsed, or has an unknown version.
    func read() throws(VigilError) -> AppState {
        guard let bytes = try AtomicFile.read(home.statePath) else {
            throw damaged("it is missing although keystore.json exists")
        }
        return try decode(bytes)
    }

    /// Takes the lock, reads the state, lets `body` change it, writes it (keeping the previous
    /// file) and releases the lock. Nothing is written when `body` throws.
    func update<R>(now: Timestamp, _ body: (inout AppState) throws -> R) throws -> R {
        try FileLock.withExclusiveLock(home.lockPath) {
            guard let old = try AtomicFile.read(home.statePath) else {
                throw damaged("it is missing although keystore.json exists")
            }
            var state = try decode(old)
            let result = try body(&state)
            state.prune(now: now)
            let sealed = try encode(state)
            try AtomicFile.write(old, to: home.previousStatePath)
            try AtomicFile.write(sealed, to: home.statePath, fault: fault)
            return result
        }
    }

    /// Writes the first state (`init`), under the lock taken by the caller.
    func create(_ state: AppState) throws(VigilError) {
        try AtomicFile.write(try encode(state), to: home.statePath, fault: fault)
    }

    func encode(_ state: AppState) throws(VigilError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data: Data
        do {
            data = try encoder.encode(state)
        } catch {
            throw VigilError(.usage, "could not encode the state: \(error)")
        }
        var plain = [UInt8](data)
        data.resetBytes(in: 0..<data.count)
        let secret = SecureBytes(wiping: &plain)
        do {
            return Self.magic + (try XChaCha20Poly1305.seal(secret, key: key, associatedData: Self.associatedData))
        } catch {
            throw VigilError(.usage, "could not seal the state: \(error)")
        }
    }

    func decode(_ bytes: [UInt8]) throws(VigilError) -> AppState {
        guard bytes.count > Self.magic.count, Array(bytes.prefix(Self.magic.count - 1)) == Array(Self.magic.prefix(4)) else {
            throw damaged("it is not a Vigil state file")
        }
        guard bytes[Self.magic.count - 1] == Self.magic.last! else {
            throw damaged("it has format version \(bytes[Self.magic.count - 1]), which this Vigil cannot read")
        }
        let plain: SecureBytes
        do {
            plain = try XChaCha20Poly1305.open(Array(bytes.dropFirst(Self.magic.count)), key: key, associatedData: Self.associatedData)
        } catch {
            throw damaged("it cannot be decrypted with this keystore's key")
        }
        var data = plain.withUnsafeBytes { Data($0) }
        defer { data.resetBytes(in: 0..<data.count) }
        let state: AppState
        do {
            state = try JSONDecoder().decode(AppState.self, from: data)
        } catch {
            throw damaged("its contents are not readable")
        }
        guard state.version == AppState.currentVersion else {
            throw damaged("it has state version \(state.version), which this Vigil cannot read")
        }
        return state
    }

    private func damaged(_ detail: String) -> VigilError {
        .damaged(
            home.statePath, detail,
            advice: "nothing was changed. The version before the last change is \(home.previousStatePath): to go back to it, copy it over \(VigilHome.stateName) (messages since then are lost)")
    }
}
