import CVigilBaseline
import VigilCrypto
import VigilProtocol

/// Something that makes the benchmark meaningless; reported on one line, exit code 1.
struct BenchFailure: Error {
    let message: String
}

/// Everything both sides work with: the same identities, the same check-in, the same clock
/// reading, and C copies of the keys and body made once, outside the timed loops.
final class Fixture {
    /// The encoded body is exactly this long: 1 KiB.
    static let bodyByteCount = 1024
    /// status u8, flags u8, note length u16.
    static let checkInFixedByteCount = 4

    let sender = Identity()
    let recipient = Identity()
    /// What the sender knows of the recipient (from its contact card), made once.
    let recipientPublic: PublicIdentity
    let checkIn: CheckIn
    let body: MessageBody
    let bodyBytes: [UInt8]
    let noteBytes: [UInt8]
    let createdAt = Timestamp(secondsSince1970: 1_795_000_000)

    let cSender = UnsafeMutablePointer<vigil_baseline_sender>.allocate(capacity: 1)
    let cRecipient = UnsafeMutablePointer<vigil_baseline_recipient>.allocate(capacity: 1)
    let cBody = UnsafeMutablePointer<vigil_baseline_checkin>.allocate(capacity: 1)
    let cOpened = UnsafeMutablePointer<vigil_baseline_opened>.allocate(capacity: 1)
    /// Room for the largest envelope.
    let cOutput = UnsafeMutableBufferPointer<UInt8>.allocate(
        capacity: Int(VIGIL_BASELINE_MAX_BUCKET) + EncryptionPublicKey.sealOverhead)
    /// Copies of the recipient's public keys, as C reads them.
    let cRecipientSigningKey = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: SigningPublicKey.byteCount)
    let cRecipientEncryptionKey = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: EncryptionPublicKey.byteCount)

    init() throws(BenchFailure) {
        recipientPublic = recipient.publicIdentity
        // A plain-text note that makes the whole body exactly 1 KiB.
        let sentence = "Arrived at the checkpoint on time, all well here; next check-in after the meeting. "
        let noteByteCount = Self.bodyByteCount - Self.checkInFixedByteCount
        let note = String(String(repeating: sentence, count: noteByteCount / sentence.utf8.count + 1).prefix(noteByteCount))
        checkIn = CheckIn(status: .ok, note: note)
        body = .checkIn(checkIn)
        noteBytes = Array(note.utf8)
        do {
            bodyBytes = try body.encoded()
        } catch {
            throw BenchFailure(message: "the benchmark's check-in body does not encode: \(error)")
        }
        guard bodyBytes.count == Self.bodyByteCount else {
            throw BenchFailure(message: "the benchmark body is \(bodyBytes.count) bytes, not \(Self.bodyByteCount)")
        }

        cSender.initialize(to: vigil_baseline_sender())
        cRecipient.initialize(to: vigil_baseline_recipient())
        cBody.initialize(to: vigil_baseline_checkin())
        cOpened.initialize(to: vigil_baseline_opened())
        cOutput.initialize(repeating: 0)
        guard vigil_baseline_init() == 0 else { throw BenchFailure(message: "libsodium did not initialise") }

        let senderStatus = sender.signing.seed.withUnsafeBytes { seed in
            vigil_baseline_sender_init(cSender, seed.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        let recipientStatus = recipient.encryption.secretKey.withUnsafeBytes { secret in
            vigil_baseline_recipient_init(
                cRecipient, recipient.signing.publicKey.rawRepresentation,
                secret.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard senderStatus == 0, recipientStatus == 0 else {
            throw BenchFailure(message: "the C baseline could not derive the identities' key pairs")
        }
        _ = cRecipientSigningKey.initialize(from: recipient.signing.publicKey.rawRepresentation)
        _ = cRecipientEncryptionKey.initialize(from: recipient.encryption.publicKey.rawRepresentation)

        cBody.pointee.status = 0  // ok
        cBody.pointee.flags = 0
        cBody.pointee.note_len = noteBytes.count
        withUnsafeMutableBytes(of: &cBody.pointee.note) { $0.copyBytes(from: noteBytes) }
    }

    deinit {
        vigil_baseline_wipe(cSender, MemoryLayout<vigil_baseline_sender>.size)
        vigil_baseline_wipe(cRecipient, MemoryLayout<vigil_baseline_recipient>.size)
        vigil_baseline_wipe(cOpened, MemoryLayout<vigil_baseline_opened>.size)
        cSender.deallocate()
        cRecipient.deallocate()
        cBody.deallocate()
        cOpened.deallocate()
        cOutput.deallocate()
        cRecipientSigningKey.deallocate()
        cRecipientEncryptionKey.deallocate()
    }

    /// The sender's Ed25519 public key as C sees it, for comparing with what C opened.
    var senderSigningKey: [UInt8] { sender.signing.publicKey.rawRepresentation }

    // MARK: The four timed operations. Each returns a number derived from its result so that
    // the work cannot be optimised away.

    /// `Envelope.seal` with a fresh message ID, as an application sends a check-in.
    func swiftSeal() -> Int {
        do {
            return try Envelope.seal(body, from: sender, to: recipientPublic, createdAt: createdAt).count
        } catch {
            fatalError("Envelope.seal failed during the benchmark: \(error)")
        }
    }

    /// The C composition with a fresh message ID, into a preallocated buffer.
    func cSeal() -> Int {
        var length = 0
        let status = vigil_baseline_seal_checkin(
            cOutput.baseAddress, cOutput.count, &length, cSender, cRecipientSigningKey.baseAddress,
            cRecipientEncryptionKey.baseAddress, cBody, createdAt.secondsSince1970, nil)
        guard status == VIGIL_BASELINE_OK else {
            fatalError("the C baseline failed to seal during the benchmark: \(Self.name(status))")
        }
        return length
    }

    func swiftOpen(_ sealed: [UInt8]) -> Int {
        do {
            return try Envelope.open(sealed, as: recipient).paddedByteCount
        } catch {
            fatalError("Envelope.open failed during the benchmark: \(error)")
        }
    }

    func cOpen(_ sealed: [UInt8]) -> Int {
        let status = vigil_baseline_open_checkin(cOpened, sealed, sealed.count, cRecipient)
        guard status == VIGIL_BASELINE_OK else {
            fatalError("the C baseline failed to open during the benchmark: \(Self.name(status))")
        }
        return cOpened.pointee.padded_len
    }

    // MARK: Helpers for the checks.

    /// C's seal with a chosen message ID (nil: random) and an optional replacement note.
    func cSeal(messageID: MessageID?, note: [UInt8]? = nil) -> (status: Int32, sealed: [UInt8]) {
        var body = cBody.pointee
        if let note {
            body.note_len = note.count
            withUnsafeMutableBytes(of: &body.note) { $0.copyBytes(from: note) }
        }
        var length = 0
        let status = withOptionalPointer(messageID?.bytes) { id in
            vigil_baseline_seal_checkin(
                cOutput.baseAddress, cOutput.count, &length, cSender, cRecipientSigningKey.baseAddress,
                cRecipientEncryptionKey.baseAddress, &body, createdAt.secondsSince1970, id)
        }
        return (status, Array(cOutput[0..<length]))
    }

    /// C's padded inner message for `messageID`.
    func cPadded(messageID: MessageID) -> (status: Int32, padded: [UInt8]) {
        var padded = [UInt8](repeating: 0, count: Int(VIGIL_BASELINE_MAX_BUCKET))
        var length = 0
        let status = padded.withUnsafeMutableBufferPointer { out in
            vigil_baseline_pad_checkin(
                out.baseAddress, out.count, &length, cSender, cRecipientSigningKey.baseAddress, cBody,
                createdAt.secondsSince1970, messageID.bytes)
        }
        padded.removeSubrange(length...)
        return (status, padded)
    }

    /// C's open; on success the opened message is in ``cOpened``.
    func cOpenStatus(_ sealed: [UInt8]) -> Int32 {
        vigil_baseline_open_checkin(cOpened, sealed, sealed.count, cRecipient)
    }

    static func name(_ status: Int32) -> String {
        String(cString: vigil_baseline_status_name(status))
    }

    private func withOptionalPointer<R>(_ bytes: [UInt8]?, _ body: (UnsafePointer<UInt8>?) -> R) -> R {
        guard let bytes else { return body(nil) }
        return bytes.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}

extension Fixture {
    /// One envelope sealed by Swift, for the open benchmark.
    func swiftSealSample() -> [UInt8] {
        do {
            return try Envelope.seal(body, from: sender, to: recipientPublic, createdAt: createdAt)
        } catch {
            fatalError("Envelope.seal failed: \(error)")
        }
    }
}
