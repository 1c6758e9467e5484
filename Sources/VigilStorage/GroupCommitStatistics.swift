/// How a ``SQLiteRelayStore`` batched its writes: fewer commits than writes means callers
/// shared commits (and their fsyncs). For tests and benchmarks; no identifiers.
public struct GroupCommitStatistics: Hashable, Sendable {
    /// Transactions committed.
    public var commits: Int
    /// Write operations that succeeded and were committed in those transactions (a duplicate
    /// deposit counts: it was answered from inside a committed transaction).
    public var writes: Int

    /// Statistics with these counts.
    public init(commits: Int, writes: Int) {
        self.commits = commits
        self.writes = writes
    }
}
