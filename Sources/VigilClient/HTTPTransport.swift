import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Moves one ``RelayRequest`` over URLSession and returns the raw answer. No protocol logic.
///
/// The session keeps no cookies, cache or credentials, never follows redirects (a redirect is
/// handed back as the answer), and stops reading an answer at `maxResponseBytes` (counted after
/// any content decoding, so a compressed bomb is cut off too).
final class HTTPTransport: Sendable {
    /// What happened to one transfer.
    enum Outcome: Sendable {
        case answered(RelayResponse)
        case failed(URLError.Code)
        case oversized
    }

    private let session: URLSession
    private let delegate: TransferDelegate

    init(requestTimeout: TimeInterval, proxyDictionary: [String: Any]?) {
        (session, delegate) = SharedSessions.session(requestTimeout: requestTimeout, proxyDictionary: proxyDictionary)
    }

    /// Sends `request`, waiting at most `timeout` seconds without progress.
    func send(_ request: RelayRequest, timeout: TimeInterval, maxResponseBytes: Int) async -> Outcome {
        var urlRequest = URLRequest(url: request.url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        // Set again through the property: swift-corelibs-foundation honours a per-request timeout
        // only when the property was assigned (`isTimeoutIntervalSet`), not from the initialiser;
        // without it a long-poll would time out at the session's timeout.
        urlRequest.timeoutInterval = timeout
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        if !request.body.isEmpty { urlRequest.httpBody = Data(request.body) }
        let task = session.dataTask(with: urlRequest)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                delegate.register(task, limit: maxResponseBytes, continuation: continuation)
                if Task.isCancelled {
                    task.cancel()
                }
                task.resume()
            }
        } onCancel: {
            task.cancel()
        }
    }
}

/// One URLSession per configuration for the whole process, never invalidated.
///
/// On Linux, tearing a URLSession down (`invalidateAndCancel`) races the dispatch sources that
/// watch its sockets, a known cause of crashes inside libdispatch; a process that makes many
/// clients (a relay's tests, a long `watch`) would meet it sooner or later. The sessions keep no
/// cookies, cache or credentials, so sharing one between clients shares nothing but connections.
private enum SharedSessions {
    private static let sessions = Mutex<[String: (URLSession, TransferDelegate)]>([:])

    static func session(requestTimeout: TimeInterval, proxyDictionary: [String: Any]?) -> (URLSession, TransferDelegate) {
        let proxyKey = (proxyDictionary ?? [:]).map { "\($0.key)=\(String(describing: $0.value))" }.sorted().joined(separator: "\u{1F}")
        let key = "\(requestTimeout)\u{1E}\(proxyDictionary == nil ? "-" : proxyKey)"
        return sessions.withLock { sessions in
            if let existing = sessions[key] { return existing }
            let configuration = URLSessionConfiguration.ephemeral
            configuration.httpCookieStorage = nil
            configuration.httpShouldSetCookies = false
            configuration.urlCache = nil
            configuration.urlCredentialStorage = nil
            configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
            configuration.timeoutIntervalForRequest = requestTimeout
            configuration.connectionProxyDictionary = proxyDictionary
            // Shared by every client of the process: room for many long-polls to one relay at
            // once (the default of 6 would make a seventh request wait, its timeout running).
            configuration.httpMaximumConnectionsPerHost = 64
            let delegate = TransferDelegate()
            let made = (URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil), delegate)
            sessions[key] = made
            return made
        }
    }
}

/// Collects each transfer's answer under a lock; URLSession calls it on its own queue.
private final class TransferDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private struct Transfer {
        var continuation: CheckedContinuation<HTTPTransport.Outcome, Never>
        var limit: Int
        var data = Data()
        var oversized = false
    }

    private let lock = NSLock()
    private var transfers: [Int: Transfer] = [:]

    func register(_ task: URLSessionTask, limit: Int, continuation: CheckedContinuation<HTTPTransport.Outcome, Never>) {
        lock.withLock { transfers[task.taskIdentifier] = Transfer(continuation: continuation, limit: limit) }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let cancel: Bool = lock.withLock {
            guard var transfer = transfers[dataTask.taskIdentifier], !transfer.oversized else { return false }
            let declared = dataTask.response?.expectedContentLength ?? -1
            if declared > Int64(transfer.limit) || transfer.data.count + data.count > transfer.limit {
                transfer.oversized = true
                transfer.data = Data()
            } else {
                transfer.data.append(data)
            }
            transfers[dataTask.taskIdentifier] = transfer
            return transfer.oversized
        }
        if cancel { dataTask.cancel() }
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        // Never follow: a redirect could downgrade to http or leave the proxy's reach.
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let transfer = lock.withLock({ transfers.removeValue(forKey: task.taskIdentifier) }) else { return }
        let outcome: HTTPTransport.Outcome
        if transfer.oversized {
            outcome = .oversized
        } else if let error {
            outcome = .failed((error as? URLError)?.code ?? URLError.Code(rawValue: (error as NSError).code) ?? .unknown)
        } else if let response = task.response as? HTTPURLResponse {
            var headers: [String: String] = [:]
            for (name, value) in response.allHeaderFields {
                if let name = name as? String, let value = value as? String { headers[name] = value }
            }
            outcome = .answered(RelayResponse(status: response.statusCode, headers: headers, body: transfer.data))
        } else {
            outcome = .failed(.badServerResponse)
        }
        transfer.continuation.resume(returning: outcome)
    }
}
