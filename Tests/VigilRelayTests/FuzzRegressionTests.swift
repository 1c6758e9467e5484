import Testing
@_spi(Fuzzing) import VigilRelay

/// Inputs found by the relay fuzzers in Fuzz/ (Tools/fuzz.sh), replayed through the same entry
/// point, `RequestParsingProbe`, with the bytes inline.
@Suite("Fuzz regressions: relay request parsing")
struct RelayFuzzRegressionTests {
    // fuzz-relay-request (crash-70f187c2…, selector 0x02: chunks of 3 bytes, input closed). A
    // POST without Content-Length is refused from its head, but NIO's decoder, which already
    // holds the whole (bodiless) request, still delivers its end after the refusal. The probe
    // took that end for a request read after the connection was closed; the connection handler
    // ignores it, and so does the probe now.
    @Test("The end of a request refused from its head is not a request after the close",
          arguments: [1, 3, 31])
    func endOfARequestRefusedFromItsHead(chunkSize: Int) {
        let input: [UInt8] = [
            0x50, 0x4f, 0x53, 0x54, 0x20, 0x2f, 0x76, 0x31, 0x2f, 0x6d, 0x61, 0x69, 0x6c, 0x62, 0x6f, 0x78,
            0x65, 0x73, 0x20, 0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e, 0x31, 0x0d, 0x0a, 0x0d, 0x0a,
        ]  // "POST /v1/mailboxes HTTP/1.1\r\n\r\n"
        let report = RequestParsingProbe.run(input, chunkSize: chunkSize)
        #expect(report.violations == [])
        #expect(report.events == ["411 no content-length", "input ended"])
    }

    @Test("A request after a refusal that closes the connection is never parsed")
    func requestAfterAClosingRefusalIsNotParsed() {
        let refused = Array("POST /v1/mailboxes HTTP/1.1\r\n\r\n".utf8)
        let next = Array("GET /v1/health HTTP/1.1\r\n\r\n".utf8)
        let report = RequestParsingProbe.run(refused + next, chunkSize: 5)
        #expect(report.violations == [])
        #expect(report.events == ["411 no content-length", "input ended"])
    }
}
