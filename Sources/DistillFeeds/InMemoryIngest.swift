import DistillCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
import Darwin
#endif

/// Calls `body` with each '\n'-terminated line in `buffer` (without the newline) and its number.
public func forEachLine(in buffer: UnsafeRawBufferPointer, startingAt firstLine: Int = 1, _ body: (UnsafeRawBufferPointer, Int) -> Void) {
    guard let base = buffer.baseAddress else { return }
    var offset = 0
    var line = firstLine
    while offset < buffer.count {
        let rest = buffer.count - offset
        let start = base + offset
        if let newline = memchr(start, 0x0A, rest) {
            let length = start.distance(to: UnsafeRawPointer(newline))
            body(UnsafeRawBufferPointer(start: start, count: length), line)
            offset += length + 1
        } else {
            body(UnsafeRawBufferPointer(start: start, count: rest), line)
            offset = buffer.count
        }
        line += 1
    }
}

/// Lines that are already in memory (the generator's output in `eval` and `bench`, where no
/// file is involved) through the replay engine at full speed: each batch is ingested as soon
/// as it is decoded, while its records are still in the CPU's cache.
public final class InMemoryIngest {
    private let feed: MemoryLinesFeed
    private let engine: ReplayEngine
    public var ledger: InputLedger { feed.ledger }
    public var detector: Detector { engine.detector }

    /// `onIngested` sees each run of records as the detector is given it.
    public init(detector: Detector, onIngested: (([Exchange], Range<Int>) -> Void)? = nil) {
        feed = MemoryLinesFeed()
        engine = ReplayEngine(fullSpeedOver: feed, detector: detector)
        engine.onIngested = onIngested
        engine.start()
    }

    public func consume(_ chunk: UnsafeRawBufferPointer, source: String) {
        feed.add(chunk, source: source) { [engine] in
            while engine.pump(wallMs: 0, outOfTime: { false }) > 0 {}
        }
    }

    /// The end of the input: everything handed over is ingested.
    public func finish() {
        feed.end()
        while !engine.finished { engine.pump(wallMs: 0, outOfTime: { false }) }
    }
}

/// Lines handed over by the caller, decoded a batch at a time; `batchReady` has the engine take
/// each before the next is decoded.
final class MemoryLinesFeed: ExchangeFeed, @unchecked Sendable {
    private let decoder = ExchangeDecoder()
    private(set) var ledger = InputLedger()
    private var batches: [[Exchange]] = []
    private var taken = 0
    private var lineNumber = 1
    private var ended = false

    func start() {}

    func add(_ chunk: UnsafeRawBufferPointer, source: String, batchReady: () -> Void) {
        var batch: [Exchange] = []
        batch.reserveCapacity(DetectionRun.batchSize)
        var next = lineNumber
        forEachLine(in: chunk, startingAt: lineNumber) { line, number in
            next = number + 1
            _ = decoder.decode(line, line: number, of: source, onto: &batch, countedIn: &ledger)
            if batch.count >= DetectionRun.batchSize {
                batches.append(batch)
                batch = []
                batch.reserveCapacity(DetectionRun.batchSize)
                batchReady()
            }
        }
        if !batch.isEmpty {
            batches.append(batch)
            batchReady()
        }
        lineNumber = next
    }

    func end() { ended = true }

    func poll() -> [Exchange]? {
        guard taken < batches.count else {
            batches.removeAll(keepingCapacity: true)
            taken = 0
            return nil
        }
        defer { taken += 1 }
        return batches[taken]
    }

    var state: FeedState {
        var s = FeedState()
        s.finished = ended
        return s
    }
}
