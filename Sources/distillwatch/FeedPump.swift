import DistillCore
import DistillFeeds
import Foundation

/// Reads and decodes the sources on a thread of its own, so a slow disk or a quiet pipe never
/// freezes the screen. Hands batches to the console's loop through a small bounded queue.
final class FeedPump: @unchecked Sendable {
    private let lock = NSCondition()
    private var queue: [[Exchange]] = []
    private var finished = false
    private var failure: String?
    private var rejected = 0
    private var duplicates = 0
    private let maxQueued = 32
    private let stream: ExchangeStream

    init(stream: ExchangeStream) { self.stream = stream }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "distillwatch-feed"
        thread.start()
    }

    private func run() {
        var ledger = InputLedger()
        var batch: [Exchange] = []
        batch.reserveCapacity(2048)
        while true {
            let more: Bool
            var problem: String?
            do { more = try stream.nextBatch(into: &batch, maxCount: 2048, ledger: &ledger) }
            catch { more = false; problem = "\(error)" }
            lock.lock()
            // Back-pressure: the reader waits while the console is behind.
            while queue.count >= maxQueued { lock.wait() }
            if !batch.isEmpty { queue.append(batch) }
            rejected = ledger.rejectedTotal
            duplicates = ledger.duplicates
            if !more { finished = true; failure = problem }
            lock.broadcast()
            lock.unlock()
            batch.removeAll(keepingCapacity: true)
            if !more { return }
        }
    }

    /// The next batch if one is ready; never waits.
    func poll() -> [Exchange]? {
        lock.lock(); defer { lock.unlock() }
        guard !queue.isEmpty else { return nil }
        let b = queue.removeFirst()
        lock.broadcast()
        return b
    }

    var state: (finished: Bool, queued: Int, rejected: Int, duplicates: Int, error: String?) {
        lock.lock(); defer { lock.unlock() }
        return (finished, queue.count, rejected, duplicates, failure)
    }
}
