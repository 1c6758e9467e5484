internal import Foundation
internal import VigilRelayAPI

/// A response as ``RelayService`` produces it; the connection handler adds framing headers.
struct RelayHTTPResponse: Sendable {
    var status: Int
    var contentType: String
    var body: [UInt8]
    var retryAfterSeconds: Int?
    /// For `405`: the methods the path allows.
    var allow: String?
    /// The connection must be closed after this response (limits, malformed requests).
    var closesConnection: Bool = false

    static let jsonContentType = "application/json; charset=utf-8"

    /// The spec's refusal body: `{"error": {"code": …, "message": …}}`.
    static func error(
        _ code: RelayErrorCode, _ message: String, retryAfter: Int? = nil, closesConnection: Bool = false
    ) -> RelayHTTPResponse {
        RelayHTTPResponse(
            status: code.status, contentType: jsonContentType,
            body: encodeJSON(ErrorResponse(code: code, message: message)),
            retryAfterSeconds: retryAfter, closesConnection: closesConnection)
    }

    static func json(_ status: Int, _ value: some Encodable) -> RelayHTTPResponse {
        RelayHTTPResponse(status: status, contentType: jsonContentType, body: encodeJSON(value))
    }

    private static func encodeJSON(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Our wire types always encode; an empty object is never sent in practice.
        return (try? Array(encoder.encode(value))) ?? Array("{}".utf8)
    }
}

extension RelayHTTPResponse {
    static func routeFailure(_ failure: RouteMatch.Failure) -> RelayHTTPResponse {
        switch failure {
        case .notFound:
            return .error(.notFound, "no such route or mailbox")
        case .methodNotAllowed(let allowed):
            var response = RelayHTTPResponse.error(.methodNotAllowed, "this path does not take that method")
            response.allow = allowed
            return response
        }
    }
}
