// vigil-vectors: writes the protocol test vectors (envelopes.json, cards.json, identity.json)
// into the directory given as the only argument, by default Protocol/vectors.
//
// Keys, message IDs and times are fixed, and the sealed boxes (random by design) of vectors whose
// plaintext is unchanged are kept from the files already there, so regenerating changes only
// what changed. Every vector is checked against the library before it is written.
import Foundation

let generatorName = "vigil-vectors (Sources/VigilVectors), run by Tools/generate-vectors.sh"

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count <= 1, arguments.first.map({ !$0.hasPrefix("-") }) ?? true else {
    FileHandle.standardError.write(Data("usage: vigil-vectors [OUTPUT-DIRECTORY]   (default: Protocol/vectors)\n".utf8))
    exit(2)
}
let directory = URL(fileURLWithPath: arguments.first ?? "Protocol/vectors", isDirectory: true)

let envelopes = makeEnvelopeVectors(previous: PreviousBoxes(contentsOf: directory.appendingPathComponent("envelopes.json")))
let cards = makeCardVectors()
let identity = makeIdentityVectors()

do {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    for (name, json) in [("envelopes.json", envelopes.json), ("cards.json", cards.json), ("identity.json", identity)] {
        try Data(json.serialized().utf8).write(to: directory.appendingPathComponent(name), options: .atomic)
    }
} catch {
    FileHandle.standardError.write(Data("vigil-vectors: cannot write to \(directory.path): \(error.localizedDescription)\n".utf8))
    exit(1)
}
print("envelopes.json: \(envelopes.valid.count) valid, \(envelopes.invalid.count) invalid")
print("cards.json: \(cards.valid.count) valid, \(cards.invalid.count) invalid")
print("identity.json: written to \(directory.path)")
