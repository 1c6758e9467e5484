/// A complete, routed request as the connection handler hands it to ``RelayService``: values
/// only, so it can cross from the event loop to a task.
struct RelayHTTPRequest: Sendable {
    var route: Route
    /// Upper-case method, as sent.
    var method: String
    /// The request target's path exactly as sent.
    var path: String
    /// The query exactly as sent, without the `?`; empty when there is none.
    var query: String
    var mailboxID: String?
    /// The timer ID from the path of a timer route.
    var timerID: String? = nil
    /// The three `Vigil-` header values, each nil when absent or repeated.
    var timestampHeader: String?
    var nonceHeader: String?
    var signatureHeader: String?
    /// The `Authorization` header (read only by `/metrics`), nil when absent or repeated.
    var authorizationHeader: String? = nil
    var body: [UInt8]
}
