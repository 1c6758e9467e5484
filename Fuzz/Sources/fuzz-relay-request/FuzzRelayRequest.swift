internal import FuzzSupport
@_spi(Fuzzing) internal import VigilRelay

// The relay's request parsing (RequestParsingProbe): the bytes after the first are what a client
// sends on one connection, through the relay's framer and HTTP/1 decoder, its route, length and
// query checks, and its signature-header parsing and verification. The first byte's low three
// bits choose the chunk size the bytes arrive in; bit 3 keeps the client's input open at the end.
//
// Invariants: nothing the probe reports as a violation (the framer passes exactly the announced
// body, no request part arrives out of order or after a refusal, a parsed query and signature
// headers are canonical, a request signed for the key verifies and only for its own body), and
// the same bytes give the same events whether they arrive at once or in chunks.

private let chunkSizes = [1, 2, 3, 7, 16, 100, 1000, 8193]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = inputBytes(data, size)
    guard let selector = input.first else { return 0 }
    let bytes = Array(input.dropFirst())
    let closeInput = selector & 8 == 0

    let whole = RequestParsingProbe.run(bytes, chunkSize: max(1, bytes.count), closeInput: closeInput)
    invariant(whole.violations.isEmpty, "\(whole.violations) after \(whole.events)")
    let chunked = RequestParsingProbe.run(bytes, chunkSize: chunkSizes[Int(selector & 7)], closeInput: closeInput)
    invariant(chunked.violations.isEmpty, "\(chunked.violations) after \(chunked.events)")
    invariant(
        whole.events == chunked.events,
        "at once: \(whole.events); in chunks of \(chunkSizes[Int(selector & 7)]): \(chunked.events)")
    return 0
}
