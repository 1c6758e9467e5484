/// Stops the process when an invariant of a fuzz target does not hold, so that libFuzzer records
/// the input as a crash (under `crash-…` in the artifact directory) and Tools/fuzz.sh fails.
public func invariant(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if !condition() {
        fatalError("fuzz invariant broken: \(message())", file: file, line: line)
    }
}

/// The fuzzer's input as bytes: a copy, so the parsers get the `[UInt8]` they take.
public func inputBytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}
