internal import NIOCore

/// Runs the jobs of a request's task on its connection's event loop.
///
/// A request is handled by a task (``RelayConnectionHandler`` starts one per request) that
/// prefers this executor: it starts on the event loop that read the request, and comes back to
/// it when the database thread has answered. Without the preference every request would hop to
/// Swift's global pool and back, twice, which costs a context switch each time, and the relay's
/// answers would wait whenever that pool is busy with other work of the process.
///
/// The loop must outlive every task that prefers it: a job given to a loop that has shut down
/// is dropped and its task never ends. The relay runs on `MultiThreadedEventLoopGroup.singleton`,
/// which never shuts down.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
