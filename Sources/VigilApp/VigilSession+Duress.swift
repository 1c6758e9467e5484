public import VigilCrypto

/// What `vigil duress set` or `vigil duress remove` did; the same whichever passphrase unlocked
/// Vigil.
public struct DuressReport: Codable, Sendable, Equatable {
    /// `set` or `removed`.
    public var duressPassphrase: String
}

extension VigilSession {
    /// Sets, or replaces, the duress passphrase of the keystore in `context.home`: unlocking with
    /// it opens Vigil as usual, but check-ins then go out as sent under duress.
    ///
    /// Asks `passphrase` and unlocks with it first; only then asks `duressPassphrase`, which must
    /// not be empty nor the passphrase that unlocked. The keystore is rewritten (as version 2,
    /// same salt and cost) under the lock, unless it changed meanwhile. When it was unlocked with
    /// the duress passphrase itself, this reports success and the file is rewritten as usual, but
    /// the duress passphrase stays what it was (see ``Keystore/rewritten(_:duressPassphrase:path:)``):
    /// the real passphrase's copy can be changed only with the real passphrase, and refusing
    /// would tell whoever typed it that it was not the real one.
    /// - Throws: ``VigilError``: no passphrase protection, an empty or unchanged duress passphrase,
    ///   a keystore changed meanwhile (exit 1); a wrong passphrase (exit 2); a damaged keystore (exit 4).
    public static func setDuressPassphrase(
        _ context: VigilContext, passphrase: () throws(VigilError) -> SecureBytes,
        duressPassphrase: () throws(VigilError) -> SecureBytes
    ) throws(VigilError) -> DuressReport {
        try rewriteKeystore(context, passphrase: passphrase) { (opened) throws(VigilError) in
            let duress = try duressPassphrase()
            guard duress.count > 0 else { throw .usage("the duress passphrase must not be empty: nothing was changed") }
            if let unlocking = opened.sealing?.passphrase, duress.constantTimeEquals(unlocking) {
                throw .usage("the duress passphrase must differ from your passphrase: nothing was changed. Choose another one")
            }
            return try Keystore.rewritten(opened, duressPassphrase: duress, path: context.home.keystorePath)
        }
        return DuressReport(duressPassphrase: "set")
    }

    /// Removes the duress passphrase, if one is set: afterwards only the passphrase opens Vigil.
    /// The duress copy is replaced by random filler, so the file looks as it did before.
    ///
    /// Unlocked with the duress passphrase, it reports success and keeps that passphrase working,
    /// as ``setDuressPassphrase(_:passphrase:duressPassphrase:)`` does.
    /// - Throws: as ``setDuressPassphrase(_:passphrase:duressPassphrase:)``.
    public static func removeDuressPassphrase(
        _ context: VigilContext, passphrase: () throws(VigilError) -> SecureBytes
    ) throws(VigilError) -> DuressReport {
        try rewriteKeystore(context, passphrase: passphrase) { (opened) throws(VigilError) in
            try Keystore.rewritten(opened, duressPassphrase: nil, path: context.home.keystorePath)
        }
        return DuressReport(duressPassphrase: "removed")
    }

    /// Unlocks the keystore, makes its new bytes with `change`, and writes them under the lock.
    /// The passphrases are asked before the lock is taken, so that a `watch` running meanwhile is
    /// not held up; the file is then written only if it is still the one that was opened.
    private static func rewriteKeystore(
        _ context: VigilContext, passphrase: () throws(VigilError) -> SecureBytes,
        change: (Keystore.Opened) throws(VigilError) -> [UInt8]
    ) throws(VigilError) {
        let path = context.home.keystorePath
        guard let bytes = try AtomicFile.read(path, limit: 1 << 20) else { throw .notInitialised(context.home.path) }
        try context.home.prepare()
        guard try Keystore.needsPassphrase(bytes, path: path) else { throw Keystore.noPassphraseForDuress }
        let opened = try Keystore.open(bytes, path: path, passphrase: passphrase)
        let rewritten = try change(opened)
        do {
            try FileLock.withExclusiveLock(context.home.lockPath) {
                guard try AtomicFile.read(path, limit: 1 << 20) == bytes else {
                    throw VigilError.usage("\(VigilHome.keystoreName) changed while this command ran: nothing was changed. Run the command again")
                }
                try AtomicFile.write(rewritten, to: path)
            }
        } catch let error as VigilError {
            throw error
        } catch {
            throw VigilError(.usage, "\(error)")
        }
    }
}
