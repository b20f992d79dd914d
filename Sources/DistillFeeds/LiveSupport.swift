import DistillCore
import Foundation

/// The hand-over between a live source's reading thread and the consumer (console or headless
/// loop): a small bounded queue of batches plus the source's counters. `push` waits while the
/// queue is full, so the reading thread stops reading and the kernel's buffers (a socket's
/// receive window, the file itself) hold the rest: back-pressure instead of loss.
final class FeedSink: @unchecked Sendable {
    private let lock = NSCondition()
    private var queue: [(batch: [Exchange], mark: FeedMark?)] = []
    /// The consumer wants a mark with the next batch handed over at an exact position.
    private var markRequested = false
    /// A finished reader's last mark: a request after the end is answered with it at once.
    private var finalMark: FeedMark?
    /// With `requestMarks(every:)`: the stream time from which the next batch gets a mark.
    private var markEvery: StreamTime?
    private var nextMarkAt: StreamTime?
    private var current = FeedState()
    private let maxQueued: Int
    private var stopped = false
    /// Batches queued and taken since the start: a batch's number says whether the consumer
    /// has confirmed it (see `confirmTaken`).
    private(set) var queuedCount = 0
    private var takenCount = 0
    /// Called with the number of batches the consumer has taken and stored, when it says so.
    var onConfirm: (@Sendable (Int) -> Void)?

    init(maxQueued: Int = 32, connected: Bool) {
        self.maxQueued = maxQueued
        current.connected = connected
    }

    /// Queues a batch, waiting while the consumer is behind; records the counters. False once
    /// the consumer has stopped listening (the reader should end).
    ///
    /// `position`, when given, says where the source stands just after this batch; if the
    /// consumer asked for a mark, the ledger and that position travel with the batch.
    @discardableResult
    func push(_ batch: [Exchange], ledger: InputLedger, finished: Bool = false, error: String? = nil,
              position: (() -> [SourcePosition])? = nil) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        while queue.count >= maxQueued && !stopped { lock.wait() }
        if stopped { return false }
        enqueue(batch, ledger: ledger, finished: finished, error: error, position: position)
        return true
    }

    /// `push` for a reader that must not wait (an event loop): false, with nothing taken, while
    /// the queue is full; the reader stops reading and tries again. A stopped consumer takes
    /// everything (and drops it).
    func tryPush(_ batch: [Exchange], ledger: InputLedger, position: (() -> [SourcePosition])? = nil) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if stopped { return true }
        if queue.count >= maxQueued { return false }
        enqueue(batch, ledger: ledger, finished: false, error: nil, position: position)
        return true
    }

    private func enqueue(_ batch: [Exchange], ledger: InputLedger, finished: Bool, error: String?,
                         position: (() -> [SourcePosition])?) {
        if finished, let position { finalMark = FeedMark(ledgers: [ledger], positions: position()) }
        var due = markRequested
        // Marks at a steady pace of stream time, however far ahead of the consumer the reader is.
        if let every = markEvery, let ts = batch.last?.ts, ts >= nextMarkAt ?? .min {
            due = true
            nextMarkAt = ts + every
        }
        if due, let position {
            markRequested = false
            queue.append((batch, finalMark ?? FeedMark(ledgers: [ledger], positions: position())))
            queuedCount += 1
        } else if !batch.isEmpty {
            queue.append((batch, nil))
            queuedCount += 1
        }
        if current.rejected != ledger.rejectedTotal {
            current.firstRejections = ledger.samples
            current.latestRejections = ledger.latestSamples
            current.rejectedByReason = ledger.rejectedByReason
        }
        current.rejected = ledger.rejectedTotal
        current.duplicates = ledger.duplicates
        current.uncheckedForRepeats = ledger.uncheckedForRepeats
        if finished { current.finished = true; current.error = error }
        lock.broadcast()
    }

    /// The consumer is done with this source (a seek back replaced it): queued batches are
    /// dropped and a reader waiting in `push` is released.
    func stop() {
        lock.lock()
        stopped = true
        queue.removeAll()
        lock.broadcast()
        lock.unlock()
    }

    func update(_ change: (inout FeedState) -> Void) {
        lock.lock()
        change(&current)
        lock.unlock()
    }

    func poll() -> [Exchange]? { pollMarked()?.batch }

    func pollMarked() -> (batch: [Exchange], mark: FeedMark?)? {
        lock.lock(); defer { lock.unlock() }
        guard !queue.isEmpty else { return nil }
        let b = queue.removeFirst()
        takenCount += 1
        lock.broadcast()
        return b
    }

    /// The consumer has stored every batch it took where it outlives this process.
    func confirmTaken() {
        lock.lock()
        let taken = takenCount
        let callback = onConfirm
        lock.unlock()
        callback?(taken)
    }

    /// Batches queued so far, read under the lock.
    var queuedSoFar: Int {
        lock.lock(); defer { lock.unlock() }
        return queuedCount
    }

    func requestMark() {
        lock.lock()
        if let finalMark { queue.append(([], finalMark)); queuedCount += 1 } else { markRequested = true }
        lock.broadcast()
        lock.unlock()
    }

    func requestMarks(every interval: StreamTime) {
        lock.lock()
        markEvery = interval
        lock.unlock()
    }

    /// A reader with nothing new to hand over answers a pending request with an empty batch.
    var wantsMark: Bool {
        lock.lock(); defer { lock.unlock() }
        return markRequested
    }

    var state: FeedState {
        lock.lock(); defer { lock.unlock() }
        var s = current
        s.queued = queue.count
        return s
    }
}

/// Collects decoded outcomes on a reading thread: counts rejections in its ledger, drops
/// duplicates, and hands full batches to the sink.
struct LiveBatcher {
    var ledger = InputLedger()
    var batch: [Exchange] = []
    let sink: FeedSink
    static let batchSize = 1024
    /// False for a reader on an event loop, which must not wait in `push`: it hands batches
    /// over itself with `FeedSink.tryPush`.
    var flushesWhenFull = true

    init(sink: FeedSink) {
        self.sink = sink
        batch.reserveCapacity(Self.batchSize)
    }

    mutating func add(_ outcome: DecodeOutcome, source: String, line: Int) {
        switch outcome {
        case .exchange(let e):
            if ledger.admit(e) { batch.append(e) }
            if flushesWhenFull && batch.count >= Self.batchSize { flush() }
        case .rejected(let r): ledger.reject(r, source: source, line: line)
        case .blank: ledger.countBlank()
        }
    }

    mutating func tooLong(_ length: Int, limit: Int, source: String, line: Int) {
        ledger.reject(.lineTooLong(length, limit: limit), source: source, line: line)
    }

    /// One piece from a `LineAssembler`: a line decoded through `adapter`, or an over-long one counted.
    mutating func take(_ piece: LineAssembler.Piece, adapter: RecordAdapter, limit: Int, source: String, line: Int) {
        switch piece {
        case .line(let bytes): adapter.decodeLine(bytes) { add($0, source: source, line: line) }
        case .tooLong(let length): tooLong(length, limit: limit, source: source, line: line)
        }
    }

    /// Hands over what is collected (waits while the consumer is behind). `position` is given
    /// where the reader knows exactly where it stands (every byte read is in the batch or held
    /// as a partial line it accounts for).
    mutating func flush(position: (() -> [SourcePosition])? = nil) {
        sink.push(batch, ledger: ledger, position: position)
        batch.removeAll(keepingCapacity: true)
    }
}

/// Splits a byte stream that arrives in pieces into lines. A partial line is held until its
/// newline arrives; a line longer than `maxLineBytes` is not kept (memory stays bounded) but
/// skipped to its newline and reported with its length.
struct LineAssembler {
    enum Piece {
        case line(UnsafeRawBufferPointer)
        case tooLong(Int)
    }

    let maxLineBytes: Int
    private(set) var pending: [UInt8] = []
    private var skipping = false
    private var skipped = 0

    init(maxLineBytes: Int) { self.maxLineBytes = maxLineBytes }

    /// Bytes held for an unfinished line.
    var heldBytes: Int { pending.count }
    var hasPartialLine: Bool { !pending.isEmpty || skipping }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ handle: (Piece) -> Void) {
        guard let base = bytes.baseAddress else { return }
        var start = 0
        let n = bytes.count
        while start < n {
            guard let hit = memchr(base + start, 0x0A, n - start) else { break }
            let nl = base.distance(to: UnsafeRawPointer(hit))
            let segment = UnsafeRawBufferPointer(start: base + start, count: nl - start)
            if skipping {
                handle(.tooLong(skipped + segment.count))
                skipping = false; skipped = 0
            } else if pending.isEmpty {
                if segment.count > maxLineBytes { handle(.tooLong(segment.count)) } else { handle(.line(segment)) }
            } else {
                if pending.count + segment.count > maxLineBytes {
                    handle(.tooLong(pending.count + segment.count))
                } else {
                    pending.append(contentsOf: segment)
                    pending.withUnsafeBytes { handle(.line($0)) }
                }
                pending.removeAll(keepingCapacity: pending.capacity <= 65536)
            }
            start = nl + 1
        }
        guard start < n else { return }
        let rest = UnsafeRawBufferPointer(start: base + start, count: n - start)
        if skipping {
            skipped += rest.count
        } else if pending.count + rest.count > maxLineBytes {
            skipping = true
            skipped = pending.count + rest.count
            pending = []
        } else {
            pending.append(contentsOf: rest)
        }
    }

    /// End of this stream: a held last line without its newline is still a line.
    mutating func finish(_ handle: (Piece) -> Void) {
        if skipping { handle(.tooLong(skipped)) }
        else if !pending.isEmpty { pending.withUnsafeBytes { handle(.line($0)) } }
        discard()
    }

    /// Forgets a held partial line (the file it came from was truncated).
    mutating func discard() {
        pending = []
        skipping = false
        skipped = 0
    }
}

/// Several feeds as one: batches are taken from each in turn; counters are summed; the
/// merged feed is connected while any live part is, and finished when all are.
public final class MergedFeed: ExchangeFeed, @unchecked Sendable {
    private let feeds: [any ExchangeFeed]
    private let lock = NSLock()
    private var turn = 0

    /// While a mark is being gathered: each part's mark once it has given one. A part that has
    /// is not read again until all have, so the joined mark is one consistent cut.
    private var gathering: [FeedMark?]?

    public init(_ feeds: [any ExchangeFeed]) { self.feeds = feeds }

    public func start() { for f in feeds { f.start() } }
    public func stop() { for f in feeds { f.stop() } }
    public func stopTaking() { for f in feeds { f.stopTaking() } }
    public func confirmTaken() { for f in feeds { f.confirmTaken() } }
    public var inHand: Int { feeds.reduce(0) { $0 + $1.inHand } }

    public func poll() -> [Exchange]? { pollMarked()?.batch }

    public func requestMark() {
        lock.lock(); defer { lock.unlock() }
        guard gathering == nil else { return }
        gathering = Array(repeating: nil, count: feeds.count)
        for f in feeds { f.requestMark() }
    }

    public func pollMarked() -> (batch: [Exchange], mark: FeedMark?)? {
        lock.lock(); defer { lock.unlock() }
        for i in 0..<feeds.count {
            let k = (turn + i) % feeds.count
            if let g = gathering, g[k] != nil { continue }
            guard let (batch, mark) = feeds[k].pollMarked() else { continue }
            turn = (k + 1) % feeds.count
            guard let mark, gathering != nil else { return (batch, nil) }
            gathering![k] = mark
            guard gathering!.allSatisfy({ $0 != nil }) else { return (batch, nil) }
            let parts = gathering!.map { $0! }
            gathering = nil
            return (batch, FeedMark(ledgers: parts.flatMap(\.ledgers), positions: parts.flatMap(\.positions)))
        }
        return nil
    }

    public var state: FeedState {
        var s = FeedState()
        s.finished = true
        s.connected = false
        var errors: [String] = []
        for f in feeds {
            let p = f.state
            s.finished = s.finished && p.finished
            s.queued += p.queued
            s.rejected += p.rejected
            s.duplicates += p.duplicates
            s.uncheckedForRepeats += p.uncheckedForRepeats
            s.dropped += p.dropped
            s.missedRotations += p.missedRotations
            s.rewrites += p.rewrites
            s.droppedByListener.merge(p.droppedByListener, uniquingKeysWith: +)
            s.evicted += p.evicted
            s.rejectedByReason.merge(p.rejectedByReason, uniquingKeysWith: +)
            s.connected = s.connected || p.connected
            if let e = p.error { errors.append(e) }
        }
        s.error = errors.isEmpty ? nil : errors.joined(separator: "; ")
        return s
    }
}
