import DistillCore

/// `scan`: every input file read to the end through the replay engine at full speed, on the
/// calling thread (the reference a replay is checked against). Decoding goes to other threads
/// with `threads` > 1 for one canonical file.
public struct DetectionRun {
    public var ledger: InputLedger
    public let detector: Detector
    /// An input error met part-way (a corrupt gzip member); what was read before it counts.
    public var inputError: Error?
    /// Exchanges read but outside the `--from`/`--until` window.
    public var outsideWindow = 0
    /// Sources that ended in bytes that were not gzip data, said as messages.
    public var trailingWarnings: [String] = []

    /// Exchanges per batch read on the calling thread: small enough that a batch's decoded
    /// records (~1 KB each) are still in the CPU's cache when the detector reads them (with
    /// 4,096 they were not, and `scan` was 7–15% slower).
    public static let batchSize = 256

    /// Runs `paths` to the end, from `state` when given (else from nothing). Opening errors
    /// throw before any work.
    public static func run(paths: [String], settings: DetectorSettings, window: StreamWindow = .all,
                           resuming state: DetectionState? = nil, format: RecordFormat = .canonical,
                           threads: Int = 1, onIngested: (([Exchange], Range<Int>) -> Void)? = nil) throws -> DetectionRun {
        let ledger = state?.ledger ?? InputLedger()
        let feed: any ScanFeed
        // Decoding goes to other threads for one canonical file; merging sources by time and the
        // adapters stay on one.
        if threads > 1 && paths.count == 1 && paths[0] != "-" && format == .canonical {
            feed = ParallelDecodeFeed(reader: LineReader(file: try InputFile(path: paths[0])), decoders: threads - 1, ledger: ledger)
        } else {
            feed = InlineStreamFeed(stream: try ExchangeStream(paths: paths, format: format), ledger: ledger, batchSize: batchSize)
        }
        let detector = state?.detector ?? Detector(settings: settings)
        detector.evaluationThreads = threads
        let engine = ReplayEngine(fullSpeedOver: feed, detector: detector, window: window)
        engine.onIngested = onIngested
        engine.start()
        while !engine.finished { engine.pump(wallMs: 0, outOfTime: { false }) }
        engine.stop()
        var run = DetectionRun(ledger: feed.ledger, detector: detector)
        run.inputError = feed.failure
        run.outsideWindow = engine.outsideWindow
        run.trailingWarnings = feed.trailingWarnings
        return run
    }
}

/// A feed `scan` reads to its end: read when polled, on the polling thread (nothing else waits
/// on that loop), with its ledger and any input error kept for the report.
protocol ScanFeed: ExchangeFeed {
    var ledger: InputLedger { get }
    var failure: Error? { get }
    var trailingWarnings: [String] { get }
    /// Read to the end (or to an input error).
    var ended: Bool { get }
}

extension ScanFeed {
    var state: FeedState {
        var s = FeedState()
        s.finished = ended
        return s
    }
}

/// An `ExchangeStream` (any sources, any format) read a batch per poll.
final class InlineStreamFeed: ScanFeed, @unchecked Sendable {
    private let stream: ExchangeStream
    private let batchSize: Int
    private(set) var ledger: InputLedger
    private(set) var failure: Error?
    private(set) var ended = false

    init(stream: ExchangeStream, ledger: InputLedger, batchSize: Int) {
        self.stream = stream
        self.ledger = ledger
        self.batchSize = batchSize
    }

    func start() {}
    var trailingWarnings: [String] { stream.trailingWarnings }

    func poll() -> [Exchange]? {
        guard !ended else { return nil }
        var batch: [Exchange] = []
        batch.reserveCapacity(batchSize)
        do {
            if try stream.nextBatch(into: &batch, maxCount: batchSize, ledger: &ledger) { return batch }
        } catch {
            failure = error
        }
        ended = true
        return batch.isEmpty ? nil : batch
    }
}
