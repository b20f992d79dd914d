import DistillCore

/// Exchanges from any number of NDJSON sources (plain or gzip files, `-` for stdin), decoded,
/// counted in an `InputLedger`, de-duplicated, and merged in timestamp order.
///
/// Each source keeps its next decoded exchange as its head; the smallest `ts` is emitted
/// first (ties: source order, then input order). Sources are each only roughly ordered, so
/// the merge just takes heads: it does not sort within a source.
public final class ExchangeStream {
    /// One per path, in order: the path, or `stdin` for `-`.
    public let sourceNames: [String]

    private let readers: [LineReader]
    private let decoder: ExchangeDecoder
    /// Set for formats other than canonical: lines go through it (and may hold several records).
    private let adapter: RecordAdapter?
    /// Records after the first from one line, per source, waiting their turn.
    private var spill: [[Exchange]]
    private let maxLineBytes: Int
    /// Each source's next exchange, waiting its turn in the merge.
    private var heads: [Exchange?]
    private var queue: MergeQueue
    private var started = false
    /// An input error met after part of a batch was filled: reported by the next call.
    private var failure: InputError?

    /// Opens every path up front, so a bad one fails before any work, naming it.
    public init(paths: [String], decoder: ExchangeDecoder = .init(),
                maxLineBytes: Int = ExchangeDecoder.defaultMaxLineBytes,
                chunkSize: Int = LineReader.defaultChunkSize, format: RecordFormat = .canonical) throws {
        var readers: [LineReader] = []
        readers.reserveCapacity(paths.count)
        for path in paths {
            let file = try InputFile(path: path)
            readers.append(LineReader(file: file, chunkSize: chunkSize, maxLineBytes: maxLineBytes))
        }
        self.readers = readers
        self.decoder = decoder
        adapter = format == .canonical ? nil : RecordAdapter(format: format, maxLineBytes: maxLineBytes)
        spill = Array(repeating: [], count: readers.count)
        self.maxLineBytes = maxLineBytes
        sourceNames = readers.map(\.name)
        heads = Array(repeating: nil, count: readers.count)
        queue = MergeQueue(sources: readers.count)
    }

    /// Bytes read from all sources so far (compressed bytes for gzip files).
    public var bytesRead: Int64 { readers.reduce(0) { $0 + $1.bytesRead } }
    /// Text bytes read from all sources so far (after inflating gzip).
    public var textBytes: Int64 { readers.reduce(0) { $0 + $1.textBytes } }

    /// Appends up to `maxCount` new exchanges to `batch`, in timestamp order across sources.
    /// Rejected and blank lines, and duplicates, are counted in `ledger` and not appended.
    /// Returns false when all input is exhausted and nothing was appended.
    ///
    /// A read error (say, a truncated gzip file) is thrown; if exchanges were already appended
    /// in this call, they are returned first and the error is thrown by the next call. Lines
    /// read before the error stay counted in `ledger`; the stream stays failed afterwards.
    public func nextBatch(into batch: inout [Exchange], maxCount: Int, ledger: inout InputLedger) throws -> Bool {
        precondition(maxCount > 0, "maxCount must be positive")
        if let failure { throw failure }
        var appended = 0
        do throws(InputError) {
            if readers.count == 1 && adapter == nil {
                // One canonical source: nothing to merge, and records decode straight into the batch.
                let reader = readers[0]
                while appended < maxCount, let line = try reader.nextLine() {
                    switch line {
                    case .text(let bytes, let number):
                        switch decoder.decode(bytes, appendingTo: &batch) {
                        case .appended:
                            if ledger.admit(batch[batch.count - 1]) { appended += 1 } else { batch.removeLast() }
                        case .rejected(let rejection):
                            ledger.reject(rejection, source: reader.name, line: number)
                        case .blank:
                            ledger.countBlank()
                        }
                    case .tooLong(let length, let number):
                        ledger.reject(.lineTooLong(length, limit: maxLineBytes), source: reader.name, line: number)
                    }
                }
            } else if readers.count == 1 {
                // One source: nothing to merge, skip the heap.
                while appended < maxCount, let exchange = try decodeNext(from: 0, ledger: &ledger) {
                    if ledger.admit(exchange) {
                        batch.append(consume exchange)
                        appended += 1
                    }
                }
            } else {
                if !started {
                    started = true
                    for index in readers.indices {
                        try advance(index, ledger: &ledger)
                    }
                }
                while appended < maxCount, let index = queue.min {
                    queue.removeMin()
                    // Swapped out rather than copied: no retain and release of its text.
                    var head: Exchange? = nil
                    swap(&head, &heads[index])
                    // Admitted in emitted order, so the duplicate window follows merged time.
                    if let exchange = consume head, ledger.admit(exchange) {
                        batch.append(exchange)
                        appended += 1
                    }
                    try advance(index, ledger: &ledger)
                }
            }
        } catch {
            // A failed source leaves the merge incomplete: every later call reports the error.
            failure = error
            guard appended > 0 else { throw error }
        }
        return appended > 0
    }

    /// Reads the source's next exchange into its head and puts it on the heap.
    private func advance(_ index: Int, ledger: inout InputLedger) throws(InputError) {
        guard let exchange = try decodeNext(from: index, ledger: &ledger) else { return }
        let ts = exchange.ts
        heads[index] = consume exchange
        queue.push(index, ts: ts)
    }

    /// The source's next exchange, counting rejected, blank and too-long lines on the way.
    private func decodeNext(from index: Int, ledger: inout InputLedger) throws(InputError) -> Exchange? {
        let reader = readers[index]
        // Kept in reverse order: a line holding a JSON array of thousands of records is handed
        // out by popLast, not by an O(n) removeFirst each.
        if let next = spill[index].popLast() { return next }
        while let line = try reader.nextLine() {
            switch line {
            case .text(let bytes, let number):
                if let adapter {
                    var first: Exchange?
                    adapter.decodeLine(bytes) { outcome in
                        switch outcome {
                        case .exchange(let e): if first == nil { first = e } else { spill[index].append(e) }
                        case .rejected(let r): ledger.reject(r, source: reader.name, line: number)
                        case .blank: ledger.countBlank()
                        }
                    }
                    spill[index].reverse()
                    if let first { return first }
                    continue
                }
                switch decoder.decode(bytes) {
                case .exchange(let exchange):
                    return exchange
                case .rejected(let rejection):
                    ledger.reject(rejection, source: reader.name, line: number)
                case .blank:
                    ledger.countBlank()
                }
            case .tooLong(let length, let number):
                ledger.reject(.lineTooLong(length, limit: maxLineBytes), source: reader.name, line: number)
            }
        }
        return nil
    }
}

/// Source indices with a head, as a binary min-heap on (head ts, source index). A struct apart
/// from the stream so a sift costs one exclusivity check, not one per array access.
struct MergeQueue {
    private var heap: [Int] = []
    private var headTs: [StreamTime]

    init(sources: Int) {
        headTs = Array(repeating: 0, count: sources)
        heap.reserveCapacity(sources)
    }

    var min: Int? { heap.first }

    private func precedes(_ a: Int, _ b: Int) -> Bool {
        headTs[a] != headTs[b] ? headTs[a] < headTs[b] : a < b
    }

    mutating func push(_ index: Int, ts: StreamTime) {
        headTs[index] = ts
        heap.append(index)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func removeMin() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { break }
            var smallest = left
            if left + 1 < heap.count && precedes(heap[left + 1], heap[left]) { smallest = left + 1 }
            guard precedes(heap[smallest], heap[parent]) else { break }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
