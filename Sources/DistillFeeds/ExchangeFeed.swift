import DistillCore
import Foundation

/// What a source of exchanges reports about itself to the console's status bar and to
/// headless output.
public struct FeedState: Sendable, Equatable {
    /// The source has ended (finite input read to the end, or a fatal error).
    public var finished = false
    /// Batches decoded and waiting for the detector.
    public var queued = 0
    /// Lines rejected by the decoder or an adapter.
    public var rejected = 0
    /// Exchanges skipped as duplicates of a recent `request_id`.
    public var duplicates = 0
    /// Exchanges let through without a check for repeats: too far behind the newest for the
    /// duplicate filter, so a copy among them is counted twice.
    public var uncheckedForRepeats = 0
    /// Lines or requests a source had to drop (a client faster than the bound allows).
    public var dropped = 0
    /// False while a live source has no peer (shown as DISCONNECTED).
    public var connected = true
    /// Idle connections closed to make room for new ones when a listener was full.
    public var evicted = 0
    /// A followed file rotated faster than it could be read, so files may have been deleted
    /// unread (counted once per time it happened).
    public var missedRotations = 0
    /// `dropped` by listener (its address), for the sources that are listeners.
    public var droppedByListener: [String: Int] = [:]
    /// Times a followed file was found truncated and written again past where it had been read
    /// (it is read again from its start).
    public var rewrites = 0
    /// A message for the status bar when the source failed or is degraded.
    public var error: String?
    /// For a coordinator reading shard summaries: its workers and lag.
    public var bus: BusStatus?
    /// Rejected lines by reason.
    public var rejectedByReason: [String: Int] = [:]
    /// Rejected lines as the ledger kept them: the first few, and the latest.
    public var firstRejections: [RejectionSample] = []
    public var latestRejections: [RejectionSample] = []

    public init() {}
}

/// A source of decoded exchanges in stream order, read on a thread of its own. The console's
/// loop and headless mode poll it; neither ever blocks on it.
public protocol ExchangeFeed: AnyObject, Sendable {
    /// Starts reading. Called once.
    func start()
    /// The next batch if one is ready; never waits.
    func poll() -> [Exchange]?
    /// Counters and health, read at any time.
    var state: FeedState { get }
    /// Stops reading and lets go of the source (a replay seeking back opens a new feed).
    func stop()
    /// Asks for a mark: a later batch from `pollMarked` carries one.
    func requestMark()
    /// Asks for a mark whenever the reader has gone `interval` of stream time past the last.
    func requestMarks(every interval: StreamTime)
    /// The next batch if one is ready, with a mark if one was asked for and this is where it
    /// falls; never waits.
    func pollMarked() -> (batch: [Exchange], mark: FeedMark?)?
    /// `pollMarked`, with each record's evidence keys when the feed made them on threads of
    /// its own (nil: the detector makes them).
    func pollKeyed() -> (batch: [Exchange], keys: [ExchangeKeys]?, mark: FeedMark?)?
    /// Takes no new input, and finishes what it has taken: a listener stops accepting
    /// connections and requests, and answers the requests it holds once their records are queued.
    func stopTaking()
    /// Requests taken and not yet answered: their senders wait to hear whether to resend.
    var inHand: Int { get }
    /// The consumer has stored every batch it took where it outlives this process (the bus
    /// acknowledged them): a listener that answers only then (`answerOnceStored`) may answer.
    func confirmTaken()
}

/// Where a feed stood at one batch's end: its input ledgers (one per reading thread) and
/// where each rewindable source had got to. A detector state saved with it, after that batch,
/// is a checkpoint a restarted feed can go on from without losing or repeating a line.
public struct FeedMark: Sendable {
    public var ledgers: [InputLedger]
    public var positions: [SourcePosition]

    public init(ledgers: [InputLedger], positions: [SourcePosition]) {
        self.ledgers = ledgers; self.positions = positions
    }
}

extension FeedMark {
    /// The mark as part of a saved state: its ledgers as the state's feed ledgers, its
    /// positions as `sources` and `source.N` entries beside the caller's own.
    public func state(detector: Detector, extra: [String: String] = [:]) -> DetectionState {
        var entries = extra
        entries["sources"] = String(positions.count)
        for (i, p) in positions.enumerated() { entries["source.\(i)"] = p.encoded }
        return DetectionState(detector: detector, ledger: InputLedger(), positions: entries, feedLedgers: ledgers)
    }

    /// The mark a saved state holds; nil if its positions cannot be read.
    public init?(state: DetectionState) {
        var positions: [SourcePosition] = []
        for i in 0..<(Int(state.positions["sources"] ?? "") ?? 0) {
            guard let text = state.positions["source.\(i)"], let position = SourcePosition(encoded: text) else { return nil }
            positions.append(position)
        }
        self.init(ledgers: state.feedLedgers, positions: positions)
    }
}

extension ExchangeFeed {
    public func stop() {}
    /// A feed that cannot say where it stands never gives a mark.
    public func requestMark() {}
    public func requestMarks(every interval: StreamTime) {}
    public func pollMarked() -> (batch: [Exchange], mark: FeedMark?)? { poll().map { ($0, nil) } }
    public func pollKeyed() -> (batch: [Exchange], keys: [ExchangeKeys]?, mark: FeedMark?)? {
        pollMarked().map { ($0.batch, nil, $0.mark) }
    }
    /// A source nobody waits on (a file, a pipe, the bus) has nothing to finish.
    public func stopTaking() {}
    public var inHand: Int { 0 }
    public func confirmTaken() {}
}

/// Reads and decodes an `ExchangeStream` (files, gzip, stdin) on a thread of its own, so a
/// slow disk or a quiet pipe never freezes the screen. Hands batches over through a small
/// bounded queue: the reader waits while the consumer is behind (back-pressure, no loss).
public final class StreamFeed: ExchangeFeed, @unchecked Sendable {
    private let sink = FeedSink(connected: true)
    private let stream: ExchangeStream
    private let startingLedger: InputLedger
    /// Exchanges per batch handed over; marks (and so keyframes) fall between batches.
    private let batchSize: Int

    /// `ledger`: the counts and duplicate window to go on from (a checkpoint's), else empty.
    public init(stream: ExchangeStream, ledger: InputLedger = InputLedger(), batchSize: Int = 2048) {
        self.stream = stream
        startingLedger = ledger
        self.batchSize = max(1, batchSize)
    }

    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "distillwatch-feed"
        thread.start()
    }

    private func run() {
        var ledger = startingLedger
        var batch: [Exchange] = []
        batch.reserveCapacity(batchSize)
        while true {
            let more: Bool
            var problem: String?
            // A quiet pipe is not waited on inside the read: the stream comes back with nothing,
            // so a checkpoint asked for meanwhile is answered (an empty batch with the mark).
            do { more = try stream.nextBatch(into: &batch, maxCount: batchSize, ledger: &ledger, returnWhenDry: true) }
            catch { more = false; problem = "\(error)" }
            // The prompts' features are made here, off the detector's thread (a fifth of its
            // work): replays and the catch-up after a seek go faster.
            for i in batch.indices { batch[i].analysePrompt() }
            // Between two calls the stream's positions are exact; after a read error they are not.
            let position: (() -> [SourcePosition])? = problem == nil ? { [stream] in stream.positions() } : nil
            // Trailing bytes after gzip data are said, though every line before them was read.
            if !more && problem == nil && !stream.trailingWarnings.isEmpty {
                problem = stream.trailingWarnings.joined(separator: "; ")
            }
            guard sink.push(batch, ledger: ledger, finished: !more, error: problem, position: position), more else { return }
            if batch.isEmpty { stream.waitForInput(milliseconds: 100) }
            batch.removeAll(keepingCapacity: true)
        }
    }

    public func stop() { sink.stop() }
    public func poll() -> [Exchange]? { sink.poll() }
    public func requestMark() { sink.requestMark() }
    public func requestMarks(every interval: StreamTime) { sink.requestMarks(every: interval) }
    public func pollMarked() -> (batch: [Exchange], mark: FeedMark?)? { sink.pollMarked() }
    public var state: FeedState { sink.state }
}
