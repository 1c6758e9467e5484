@_spi(VectorGeneration) import VigilProtocol
import VigilCrypto

/// Builds `envelopes.json`. Every vector is checked against the library before it is written:
/// valid ones must open to exactly the expected fields, invalid ones must fail with exactly the
/// expected error, so a file that disagrees with the code can never be produced.
struct EnvelopeVectors {
    private(set) var valid: [JSON] = []
    private(set) var invalid: [JSON] = []
    /// Boxes kept from the file written before, for the vectors whose plaintext is unchanged.
    let previous: PreviousBoxes

    init(previous: PreviousBoxes = PreviousBoxes()) {
        self.previous = previous
    }

    // MARK: Valid envelopes

    mutating func addValid(
        _ name: String, _ description: String, body: MessageBody, from sender: Party = .alice,
        to recipient: Party = .bob, id label: String? = nil, createdAt: UInt64 = baseTime, bucket: Int
    ) {
        let id = fixedMessageID(label ?? name)
        let timestamp = Timestamp(secondsSince1970: createdAt)
        let bodyBytes: [UInt8]
        let sealed: [UInt8]
        let opened: OpenedEnvelope
        let inner: [UInt8]
        do {
            bodyBytes = try body.encoded()
            inner = Envelope.encodeInner(
                kind: body.kind, messageID: id, createdAt: timestamp, senderKey: sender.signingPublicKey,
                recipientKey: recipient.signingPublicKey, body: bodyBytes, signer: sender.identity.signing)
            let kept = Envelope.pad(inner).flatMap { previous.box(name, opensTo: $0, for: recipient) }
            sealed = try kept ?? Envelope.seal(
                body, from: sender.identity, to: recipient.identity.publicIdentity, createdAt: timestamp, messageID: id)
            opened = try Envelope.open(sealed, as: recipient.identity)
        } catch {
            fatalError("valid vector \(name): \(error)")
        }
        let padded = try? recipient.identity.encryption.open(sealed)
        guard padded == Envelope.pad(inner), padded?.count == bucket, sealed.count == bucket + 48,
            opened.body == body, opened.id == id, opened.createdAt == timestamp, opened.kind == body.kind,
            opened.sender.rawRepresentation == sender.signingPublicKey, opened.paddedByteCount == bucket
        else { fatalError("valid vector \(name) does not round-trip as expected (bucket \(bucket))") }

        valid.append(.object([
            ("name", .string(name)),
            ("description", .string(description)),
            ("sender", sender.senderJSON),
            ("recipient", recipient.recipientJSON),
            ("padded_length", .int(Int64(bucket))),
            ("sealed_length", .int(Int64(sealed.count))),
            ("inner_length", .int(Int64(inner.count))),
            ("expected", .object([
                ("version", .int(Int64(Envelope.version))),
                ("kind", .int(Int64(body.kind.rawValue))),
                ("kind_name", .string(body.kind.name)),
                ("message_id_hex", .hex(id.bytes)),
                ("created_at", .uint(createdAt)),
                ("sender_signing_public_key_hex", .hex(sender.signingPublicKey)),
                ("recipient_signing_public_key_hex", .hex(recipient.signingPublicKey)),
                ("body_length", .int(Int64(bodyBytes.count))),
                ("body", bodyJSON(body)),
                ("body_hex", .hex(bodyBytes)),
            ])),
            ("inner_hex", .hex(inner)),
            ("sealed_hex", .hex(sealed)),
        ]))
    }

    // MARK: Invalid envelopes

    /// Records an envelope that must fail with `code` (and, for `body`, with `bodyError`).
    /// `padded` is the plaintext inside the sealed box, when the box itself is intact.
    mutating func addInvalid(
        _ name: String, _ description: String, sealed: [UInt8], padded: [UInt8]?, recipient: Party = .bob,
        code: String, bodyError: BodyErrorName? = nil
    ) {
        let kept = padded.map { previous.box(name, opensTo: $0, for: recipient) } ?? previous.brokenBox(name, count: sealed.count)
        let sealed = kept ?? sealed
        do {
            _ = try Envelope.open(sealed, as: recipient.identity)
            fatalError("invalid vector \(name) opened")
        } catch {
            guard error.code == code else { fatalError("invalid vector \(name): got \(error.code), want \(code)") }
            if case .invalidBody(_, let actual) = error {
                guard BodyErrorName(actual) == bodyError else {
                    fatalError("invalid vector \(name): got body error \(actual), want \(String(describing: bodyError))")
                }
            } else if bodyError != nil {
                fatalError("invalid vector \(name): no body error")
            }
        }
        var members: [(String, JSON)] = [
            ("name", .string(name)),
            ("description", .string(description)),
            ("recipient", recipient.recipientJSON),
            ("expected_error", .string(code)),
        ]
        if let bodyError {
            members.append(("expected_body_error", .string(bodyError.error)))
            members.append(("expected_body_field", .optional(bodyError.field.map(JSON.string))))
        }
        members.append(("padded_hex", .optional(padded.map(JSON.hex))))
        members.append(("sealed_hex", .hex(sealed)))
        invalid.append(.object(members))
    }

    /// Signs `body` as `kind` (properly, unless told otherwise), pads it to its bucket and seals
    /// it to `sealTo`, then records it as invalid.
    mutating func addInvalidInner(
        _ name: String, _ description: String, kind: MessageKind, body: [UInt8], version: UInt8 = Envelope.version,
        from sender: Party = .alice, addressedTo: Party = .bob, sealTo: Party = .bob, senderKey: [UInt8]? = nil,
        createdAt: UInt64 = baseTime, signatureOverride: [UInt8]? = nil, bodyLengthOverride: UInt32? = nil,
        code: String, bodyError: BodyErrorName? = nil
    ) {
        let inner = Envelope.encodeInner(
            version: version, kind: kind, messageID: fixedMessageID(name), createdAt: Timestamp(secondsSince1970: createdAt),
            senderKey: senderKey ?? sender.signingPublicKey, recipientKey: addressedTo.signingPublicKey, body: body,
            signer: sender.identity.signing, signatureOverride: signatureOverride, bodyLengthOverride: bodyLengthOverride)
        guard let padded = Envelope.pad(inner) else { fatalError("\(name): too large") }
        addInvalid(name, description, sealed: seal(padded, to: sealTo), padded: padded, recipient: sealTo,
                   code: code, bodyError: bodyError)
    }

    /// Shorthand for a properly signed envelope from Alice to Bob whose body is wrong.
    mutating func addInvalidBody(_ name: String, _ description: String, kind: MessageKind, body: [UInt8], _ error: BodyErrorName) {
        addInvalidInner(name, description, kind: kind, body: body, code: "body", bodyError: error)
    }

    func seal(_ padded: [UInt8], to party: Party) -> [UInt8] {
        do {
            return try Envelope.sealPadded(padded, to: party.identity.encryption.publicKey)
        } catch {
            fatalError("sealing to a fixed test key: \(error)")
        }
    }

    var json: JSON {
        .object([
            ("format", .string(Self.format)),
            ("generator", .string(generatorName)),
            ("spec", .string("Protocol/envelope.md, Protocol/bodies.md, Protocol/primitives.md")),
            ("valid", .array(valid)),
            ("invalid", .array(invalid)),
        ])
    }

    static let format = """
        Vigil envelope v1 test vectors. All binary values are lower-case hex. Each `valid` vector \
        must open, with the recipient's keys, to exactly the fields under `expected`; `inner_hex` \
        is the signed inner message before padding (reproducible: Ed25519 is deterministic and the \
        sender's seed is given); `sealed_hex` is random, because sealed boxes use a fresh ephemeral \
        key (the generator keeps a vector's box while its plaintext is unchanged). Each `invalid` vector must be refused with the error code `expected_error` \
        (Protocol/envelope.md, 'Opening'); for code `body`, `expected_body_error` and \
        `expected_body_field` name the body rule that fails (Protocol/bodies.md). `padded_hex` is \
        the plaintext inside the sealed box, or null when the box itself is what is wrong.
        """
}

/// The spec's name for a body error and the field it concerns.
struct BodyErrorName: Equatable {
    let error: String
    let field: String?

    init(_ error: String, _ field: String? = nil) {
        self.error = error
        self.field = field
    }

    init(_ error: BodyError) {
        self.init(error.code, error.field)
    }
}

/// The body of a message as the vectors spell it (Protocol/bodies.md, 'Names in test vectors').
func bodyJSON(_ body: MessageBody) -> JSON {
    func text(_ value: String?) -> JSON { value.map(JSON.string) ?? .null }
    func location(_ value: Location?) -> JSON {
        guard let value else { return .null }
        return .object([
            ("latitude_e7", .int(Int64(value.latitudeE7))), ("longitude_e7", .int(Int64(value.longitudeE7))),
        ])
    }
    func time(_ value: Timestamp?) -> JSON { value.map { JSON.uint($0.secondsSince1970) } ?? .null }
    func escalation(_ value: Escalation?) -> JSON {
        guard let value else { return .null }
        return .object([
            ("alerts_at", time(value.alertsAt)),
            ("timers", .array(value.timers.map { .object([("relay_url", .string($0.relayURL)), ("key_seed_hex", .hex($0.keySeed))]) })),
        ])
    }
    switch body {
    case .checkIn(let checkIn):
        let status: String
        switch checkIn.status {
        case .ok: status = "ok"
        case .needSupport: status = "need_support"
        case .inDanger: status = "in_danger"
        }
        return .object([
            ("status", .string(status)), ("duress", .bool(checkIn.duress)), ("note", text(checkIn.note)),
            ("location", location(checkIn.location)),
            ("next_due_at", time(checkIn.nextDueAt)),
        ])
    case .panic(let panic):
        return .object([
            ("message", text(panic.message)), ("location", location(panic.location)),
            ("escalation", escalation(panic.escalation)), ("escalated", .bool(panic.escalated)),
        ])
    case .receipt(let receipt):
        return .object([("message_ids_hex", .array(receipt.messageIDs.map { .hex($0.bytes) }))])
    case .acknowledgement(let ack):
        return .object([("message_id_hex", .hex(ack.messageID.bytes)), ("note", text(ack.note))])
    case .missedCheckIn(let missed):
        return .object([
            ("last_check_in_at", time(missed.lastCheckInAt)), ("due_at", time(missed.dueAt)),
            ("message", text(missed.message)), ("escalation", escalation(missed.escalation)),
            ("escalated", .bool(missed.escalated)),
        ])
    case .allClear(let clear):
        return .object([("message", text(clear.message))])
    case .unknown(_, let payload):
        return .object([("payload_hex", .hex(payload))])
    }
}
