import Foundation

/// Number formatting for the table.
enum Format {
    static func fixed(_ value: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }

    /// A whole number with thin groups: 12 345.
    static func grouped(_ value: Double) -> String {
        let digits = Array(String(Int(value.rounded())))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(" ") }
            out.append(digit)
        }
        return out
    }

    static func pad(_ text: String, _ width: Int, right: Bool = true) -> String {
        let space = String(repeating: " ", count: max(0, width - text.count))
        return right ? space + text : text + space
    }
}

extension BenchReport {
    /// The human-readable report.
    func render() -> String {
        var lines: [String] = []
        lines.append("vigil-bench: envelope v1, Swift (VigilProtocol.Envelope) against the same libsodium calls from C")
        lines.append(
            "libsodium \(sodiumVersion), \(rounds) round(s) of \(Format.fixed(secondsPerRound, 1)) s per side per operation,"
                + " Swift and C taking turns to go first")
        lines.append(
            "body: check-in, status ok, flags 0, \(sizes.noteBytes)-byte ASCII note = \(sizes.bodyBytes) bytes;"
                + " inner message \(sizes.innerBytes) bytes; padded to the \(sizes.paddedBytes)-byte bucket;"
                + " sealed envelope \(sizes.sealedBytes) bytes")
        lines.append(
            "checked first: same padded inner message byte for byte; each side opens the other's envelope;"
                + " both refuse the same broken ones")
        lines.append("")

        let header = [
            Format.pad("operation", 22, right: false), Format.pad("Swift op/s", 11), Format.pad("C op/s", 9),
            Format.pad("Swift µs", 9), Format.pad("C µs", 7), Format.pad("Swift/C", 8), Format.pad("min–max", 13),
            "  target ≥ \(Format.fixed(Self.target, 2))",
        ]
        lines.append(header.joined(separator: " "))
        for operation in operations {
            let ratios = operation.ratios
            let row = [
                Format.pad(operation.label, 22, right: false),
                Format.pad(Format.grouped(operation.medianSwift), 11),
                Format.pad(Format.grouped(operation.medianC), 9),
                Format.pad(Format.fixed(1e6 / operation.medianSwift, 1), 9),
                Format.pad(Format.fixed(1e6 / operation.medianC, 1), 7),
                Format.pad(Format.fixed(operation.medianRatio, 3), 8),
                Format.pad("\(Format.fixed(ratios.min() ?? 0, 3))–\(Format.fixed(ratios.max() ?? 0, 3))", 13),
                "  " + (operation.targetMet ? "met" : "NOT met"),
            ]
            lines.append(row.joined(separator: " "))
        }
        lines.append("(op/s and µs: medians over rounds; Swift/C: median of each round's ratio)")

        if !steps.isEmpty {
            lines.append("")
            lines.append("where the time goes: each libsodium call alone, from C, µs per call (timed separately: about ±1 µs)")
            for operation in operations {
                let mine = steps.filter { $0.operation == operation.name }
                for step in mine {
                    lines.append("  \(operation.name)  " + Format.pad(step.call, 48, right: false) + Format.pad(Format.fixed(step.microseconds, 1), 7))
                }
                let total = mine.reduce(0) { $0 + $1.microseconds }
                let swiftOutside = 1e6 / operation.medianSwift - total
                let cOutside = 1e6 / operation.medianC - total
                lines.append(
                    "  \(operation.name)  " + Format.pad("sum of the calls", 48, right: false) + Format.pad(Format.fixed(total, 1), 7)
                        + "   outside libsodium: Swift \(Format.fixed(swiftOutside, 1)) µs, C \(Format.fixed(cOutside, 1)) µs")
            }
        }
        return lines.joined(separator: "\n")
    }

    func renderJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
