import CVigilBaseline
import VigilCrypto
@_spi(VectorGeneration) import VigilProtocol

/// The figures of one run.
struct BenchReport: Encodable {
    struct Sizes: Encodable {
        let bodyBytes: Int
        let noteBytes: Int
        let innerBytes: Int
        let paddedBytes: Int
        let sealedBytes: Int
    }

    /// One operation, measured on both sides in every round.
    struct Operation: Encodable {
        let name: String
        let label: String
        var swiftOpsPerSecond: [Double] = []
        var cOpsPerSecond: [Double] = []

        /// Swift/C of each round: both sides measured back to back, so drift in clock speed
        /// between rounds cancels out.
        var ratios: [Double] { zip(swiftOpsPerSecond, cOpsPerSecond).map { $0 / $1 } }
        var medianRatio: Double { median(ratios) }
        var medianSwift: Double { median(swiftOpsPerSecond) }
        var medianC: Double { median(cOpsPerSecond) }
        var targetMet: Bool { medianRatio >= BenchReport.target }

        enum CodingKeys: String, CodingKey {
            case name, label, swiftOpsPerSecond, cOpsPerSecond, ratios, medianRatio, medianSwift, medianC, targetMet
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(label, forKey: .label)
            try container.encode(swiftOpsPerSecond, forKey: .swiftOpsPerSecond)
            try container.encode(cOpsPerSecond, forKey: .cOpsPerSecond)
            try container.encode(ratios, forKey: .ratios)
            try container.encode(medianRatio, forKey: .medianRatio)
            try container.encode(medianSwift, forKey: .medianSwift)
            try container.encode(medianC, forKey: .medianC)
            try container.encode(targetMet, forKey: .targetMet)
        }
    }

    /// One libsodium call timed alone from C.
    struct Step: Encodable {
        let operation: String
        let call: String
        let microseconds: Double
    }

    /// Swift must reach this fraction of the C composition's rate.
    static let target = 0.9

    let sodiumVersion: String
    let secondsPerRound: Double
    let rounds: Int
    let sizes: Sizes
    var operations: [Operation]
    var steps: [Step] = []
}

/// Warm-up, alternating rounds, then the cost of each libsodium call on its own.
enum Benchmark {
    static func run(_ options: BenchOptions, fixture: Fixture, progress: (String) -> Void) -> BenchReport {
        // The envelope both sides open: sealed by Swift, checked to open on both sides already.
        let inner = Envelope.encodeInner(
            kind: .checkIn, messageID: .random(), createdAt: fixture.createdAt,
            senderKey: fixture.senderSigningKey, recipientKey: fixture.recipient.signing.publicKey.rawRepresentation,
            body: fixture.bodyBytes, signer: fixture.sender.signing)
        let sealed = fixture.swiftSealSample()
        let sizes = BenchReport.Sizes(
            bodyBytes: fixture.bodyBytes.count, noteBytes: fixture.noteBytes.count, innerBytes: inner.count,
            paddedBytes: sealed.count - EncryptionPublicKey.sealOverhead, sealedBytes: sealed.count)

        typealias Contenders = (swift: () -> Int, c: () -> Int)
        let contenders: [Contenders] = [
            (swift: { fixture.swiftSeal() }, c: { fixture.cSeal() }),
            (swift: { fixture.swiftOpen(sealed) }, c: { fixture.cOpen(sealed) }),
        ]
        var report = BenchReport(
            sodiumVersion: String(cString: vigil_baseline_sodium_version()), secondsPerRound: options.secondsPerRound,
            rounds: options.rounds, sizes: sizes,
            operations: [
                .init(name: "seal", label: "seal (sign + seal)"),
                .init(name: "open", label: "open (open + verify)"),
            ])

        // Warm-up: caches, branch predictors, lazy initialisation, clock speed.
        let warmUp = Duration(seconds: min(0.5, options.secondsPerRound))
        progress("warming up")
        for contender in contenders {
            _ = Stopwatch.rate(for: warmUp, contender.swift)
            _ = Stopwatch.rate(for: warmUp, contender.c)
        }

        let round = Duration(seconds: options.secondsPerRound)
        for index in 0..<options.rounds {
            let swiftFirst = index % 2 == 0
            for (operation, contender) in contenders.enumerated() {
                let swiftRate: Double
                let cRate: Double
                if swiftFirst {
                    swiftRate = Stopwatch.rate(for: round, contender.swift)
                    cRate = Stopwatch.rate(for: round, contender.c)
                } else {
                    cRate = Stopwatch.rate(for: round, contender.c)
                    swiftRate = Stopwatch.rate(for: round, contender.swift)
                }
                report.operations[operation].swiftOpsPerSecond.append(swiftRate)
                report.operations[operation].cOpsPerSecond.append(cRate)
            }
            progress(
                "round \(index + 1)/\(options.rounds) (\(swiftFirst ? "Swift" : "C") first): "
                    + report.operations.map { "\($0.name) \(Format.fixed(($0.ratios.last ?? 0), 3))" }.joined(separator: ", "))
        }

        progress("timing the libsodium calls alone")
        report.steps = steps(fixture: fixture, inner: inner, sealed: sealed, duration: Duration(seconds: min(0.5, options.secondsPerRound)))
        return report
    }

    /// Each libsodium call of the composition on its own, from C, on the benchmark's sizes.
    private static func steps(fixture: Fixture, inner: [UInt8], sealed: [UInt8], duration: Duration) -> [BenchReport.Step] {
        let domain = Array("Vigil envelope signature v1".utf8) + [0]
        let signed = domain + inner.dropLast(SigningPublicKey.signatureByteCount)
        let signature = Array(inner.suffix(SigningPublicKey.signatureByteCount))
        let senderKey = fixture.senderSigningKey
        let padded = [UInt8](repeating: 0, count: sealed.count - EncryptionPublicKey.sealOverhead)
        let recipientKey = fixture.recipient.encryption.publicKey.rawRepresentation
        var signatureOut = [UInt8](repeating: 0, count: SigningPublicKey.signatureByteCount)
        var sealedOut = [UInt8](repeating: 0, count: sealed.count)
        var openedOut = [UInt8](repeating: 0, count: padded.count)
        var idOut = [UInt8](repeating: 0, count: MessageID.byteCount)
        var padBuffer = inner + [UInt8](repeating: 0, count: padded.count - inner.count)
        guard vigil_baseline_step_pad(&padBuffer, inner.count, padded.count) == 0,
            vigil_baseline_step_unpad(padBuffer, padBuffer.count) == 0
        else { fatalError("the breakdown's padding does not round-trip") }
        guard vigil_baseline_step_verify(signature, signed, signed.count, senderKey) == 0 else {
            fatalError("the breakdown's signature does not verify")
        }

        func time(_ operation: String, _ call: String, _ body: () -> Int32) -> BenchReport.Step {
            let rate = Stopwatch.rate(for: duration) {
                let status = body()
                precondition(status >= 0, "\(call) failed")
                return Int(status)
            }
            return BenchReport.Step(operation: operation, call: call, microseconds: 1e6 / rate)
        }

        return [
            time("seal", "randombytes_buf (message ID, 16 bytes)") {
                vigil_baseline_step_random_id(&idOut)
            },
            time("seal", "crypto_sign_detached (\(signed.count) bytes)") {
                vigil_baseline_step_sign(&signatureOut, signed, signed.count, fixture.cSender)
            },
            time("seal", "sodium_pad (\(inner.count) to \(padded.count) bytes)") {
                vigil_baseline_step_pad(&padBuffer, inner.count, padded.count)
            },
            time("seal", "crypto_box_seal (\(padded.count) bytes)") {
                vigil_baseline_step_box_seal(&sealedOut, padded, padded.count, recipientKey)
            },
            time("open", "crypto_box_seal_open (\(sealed.count) bytes)") {
                vigil_baseline_step_box_seal_open(&openedOut, sealed, sealed.count, fixture.cRecipient)
            },
            time("open", "sodium_unpad (\(padded.count) bytes)") {
                vigil_baseline_step_unpad(padBuffer, padBuffer.count)
            },
            time("open", "crypto_core_ed25519_is_valid_point") {
                vigil_baseline_step_is_valid_point(senderKey) == 1 ? 0 : -1
            },
            time("open", "crypto_sign_verify_detached (\(signed.count) bytes)") {
                vigil_baseline_step_verify(signature, signed, signed.count, senderKey)
            },
        ]
    }
}
