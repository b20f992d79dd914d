import Dispatch

/// How many threads one evaluation may use for its independent parts: judging clusters, and
/// the two coordination searches. Results are put together in the order one thread makes them,
/// so reports do not depend on the count. One thread runs everything in place.
struct EvaluationThreads {
    var count = 1

    /// Runs `body(i)` for every `i` in `0..<n`, on up to `count` threads at once.
    func forEach(_ n: Int, _ body: (Int) -> Void) {
        guard count > 1 && n > 1 else {
            for i in 0..<n { body(i) }
            return
        }
        // The callers hand each index its own output and only read shared state meanwhile.
        // `count` workers take every `count`-th index, so no more threads run than allowed.
        let workers = min(count, n)
        withoutActuallyEscaping(body) { work in
            nonisolated(unsafe) let work = work
            DispatchQueue.concurrentPerform(iterations: workers) { first in
                for i in stride(from: first, to: n, by: workers) { work(i) }
            }
        }
    }

    /// Runs `first` and `second`, at the same time when more than one thread is allowed.
    func both(_ first: () -> Void, _ second: () -> Void) {
        guard count > 1 else { first(); second(); return }
        forEach(2) { $0 == 0 ? first() : second() }
    }

    /// `transform` of every element of `items`, in their order, made on up to `count` threads.
    func map<T, R>(_ items: [T], _ transform: (T) -> R) -> [R] {
        guard count > 1 && items.count > 1 else { return items.map(transform) }
        var results = [R?](repeating: nil, count: items.count)
        results.withUnsafeMutableBufferPointer { out in
            // Each index is written by one thread only.
            let slots = out
            forEach(items.count) { slots[$0] = transform(items[$0]) }
        }
        return results.map { $0! }
    }
}
