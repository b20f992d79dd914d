import DistillCore
import Foundation

/// Decoding on several threads for one canonical source, with everything that depends on order
/// done in input order: decoder threads take turns reading the input in chunks of lines and turn
/// each chunk into records and rejections; the chunks then pass through the ledger one at a time
/// in input order (on whichever decoder thread holds the next one), and the caller takes them
/// back in that order, feeding the detector exactly as one thread would. The report is the same
/// whatever the number of threads.
///
/// Decoding is about two fifths of `scan`'s instructions and the prompts' analysis a fifth; both
/// run on the decoder threads, and so does the ledger's duplicate check. The detector (which
/// stays on one thread) does the rest, and decodes chunks too whenever the next one it needs is
/// not ready.
final class ParallelDecode: @unchecked Sendable {
    /// Lines read by a decoder, and what it made of them.
    final class Chunk: @unchecked Sendable {
        let sequence: Int
        /// The absolute number of the chunk's first line.
        let firstLine: Int
        var bytes: [UInt8] = []
        /// Each line's end in `bytes`; an over-long line (not kept) has its length in `tooLong`.
        var ends: [Int] = []
        var tooLong: [Int: Int] = [:]
        var exchanges: [Exchange] = []
        /// Each record's request key for the ledger's duplicate check, made here off its thread.
        var requestKeys: [UInt64?] = []
        /// Each record's evidence keys, made here for the same reason.
        var keys: [ExchangeKeys] = []
        var rejections: [(line: Int, rejection: Rejection)] = []
        var blanks = 0

        init(sequence: Int, firstLine: Int) {
            self.sequence = sequence
            self.firstLine = firstLine
            bytes.reserveCapacity(1 << 20)
        }
    }

    static let linesPerChunk = 2048

    private let reader: LineReader
    private let decoders: Int
    private let maxLineBytes: Int
    private let lock = NSCondition()
    /// Decoded and waiting for the caller, by sequence.
    private var decoded: [Int: Chunk] = [:]
    private var chunksRead = 0
    private var readingDone = false
    private var readError: Error?
    /// Chunks read but not yet taken by the caller: bounds memory.
    private var inFlight = 0
    private let maxInFlight: Int
    private var stopped = false

    private let requestKeys: RequestKeys

    /// Counts every chunk in input order; changed only by the thread holding `admitting`.
    private var ledger: InputLedger
    /// Decoded chunks waiting for the ledger, by sequence (under `lock`).
    private var awaitingLedger: [Int: Chunk] = [:]
    private var nextToAdmit = 0
    /// Whether a decoder thread is passing chunks through the ledger (under `lock`).
    private var admitting = false
    /// Up to this many duplicates in a chunk are removed one by one.
    static let duplicatesRemovedInPlace = 16

    init(reader: LineReader, decoders: Int, maxLineBytes: Int, ledger: InputLedger) {
        self.reader = reader
        self.ledger = ledger
        requestKeys = ledger.requestKeys
        self.decoders = max(1, decoders)
        self.maxLineBytes = maxLineBytes
        maxInFlight = 4 * self.decoders
    }

    func start() {
        for i in 0..<decoders {
            let t = Thread { [self] in decodeLoop() }
            t.name = "distillwatch-decode-\(i)"
            t.start()
        }
    }

    /// Tells the threads to finish (after the caller has stopped taking chunks).
    func stop() {
        lock.lock()
        stopped = true
        lock.broadcast()
        lock.unlock()
    }

    /// Held by the decoder that is reading: one reads at a time, and chunks are numbered in
    /// the order they are read.
    private let readLock = NSLock()
    private var nextSequence = 0

    /// The next chunk of lines, read by whichever decoder is free (a thread of its own for
    /// reading made three busy threads on two cores); nil at the end of the input, on a read
    /// error, or once stopped. Without `waiting`, also nil when the chunks in flight are at
    /// their bound (the caller's thread must never wait here: only it lowers that count).
    private func readChunk(waiting: Bool = true) -> Chunk? {
        lock.lock()
        while inFlight >= maxInFlight && !stopped {
            guard waiting else { lock.unlock(); return nil }
            lock.wait()
        }
        if stopped || readingDone { lock.unlock(); return nil }
        inFlight += 1
        lock.unlock()

        readLock.lock()
        defer { readLock.unlock() }
        // Another decoder may have met the end, or a read error, while this one waited.
        lock.lock()
        if readingDone { inFlight -= 1; lock.broadcast(); lock.unlock(); return nil }
        lock.unlock()
        var chunk: Chunk?
        var failure: Error?
        do {
            while let line = try reader.nextLine() {
                if chunk == nil {
                    switch line {
                    case .text(_, let n), .tooLong(_, let n): chunk = Chunk(sequence: nextSequence, firstLine: n)
                    }
                }
                let c = chunk!
                switch line {
                case .text(let bytes, _):
                    c.bytes.append(contentsOf: bytes)
                    c.ends.append(c.bytes.count)
                case .tooLong(let length, _):
                    c.tooLong[c.ends.count] = length
                    c.ends.append(c.bytes.count)
                }
                if c.ends.count >= Self.linesPerChunk { break }
            }
        } catch {
            failure = error
        }
        lock.lock()
        defer { lock.unlock() }
        if let chunk {
            nextSequence += 1
            chunksRead += 1
            if chunk.ends.count < Self.linesPerChunk { readingDone = true }
        } else {
            inFlight -= 1
            readingDone = true
        }
        if let failure { readError = failure; readingDone = true }
        lock.broadcast()
        return chunk
    }

    /// Records the caller is done with; a decoder frees them.
    private var spent: [[Exchange]] = []

    /// Hands back a chunk the caller has used, so that its records are freed on a decoder
    /// thread: freed on the caller's thread, memory the decoders allocated took 4% of its time.
    func finished(_ chunk: Chunk) {
        lock.lock()
        spent.append(chunk.exchanges)
        chunk.exchanges = []
        lock.unlock()
    }

    private func decodeLoop() {
        let decoder = ExchangeDecoder(maxLineBytes: maxLineBytes)
        while true {
            lock.lock()
            var used = spent
            spent = []
            lock.unlock()
            used.removeAll()
            guard let c = readChunk() else { return }
            decode(c, with: decoder)
        }
    }

    /// Turns a chunk's lines into records and rejections, then passes it through the ledger.
    private func decode(_ c: Chunk, with decoder: ExchangeDecoder) {
        c.exchanges.reserveCapacity(c.ends.count)
        c.requestKeys.reserveCapacity(c.ends.count)
        c.keys.reserveCapacity(c.ends.count)
        c.bytes.withUnsafeBytes { all in
            var start = 0
            for (i, end) in c.ends.enumerated() {
                defer { start = end }
                if let length = c.tooLong[i] {
                    c.rejections.append((c.firstLine + i, .lineTooLong(length, limit: maxLineBytes)))
                    continue
                }
                switch decoder.decode(UnsafeRawBufferPointer(rebasing: all[start..<end]), appendingTo: &c.exchanges) {
                // The prompt's analysis needs no state and is a quarter of the detector's
                // instructions: made here, it leaves the detector's thread.
                case .appended:
                    c.exchanges[c.exchanges.count - 1].analysePrompt()
                    c.requestKeys.append(requestKeys.key(of: c.exchanges[c.exchanges.count - 1]))
                    c.keys.append(ExchangeKeys(c.exchanges[c.exchanges.count - 1]))
                case .rejected(let r): c.rejections.append((c.firstLine + i, r))
                case .blank: c.blanks += 1
                }
            }
        }
        c.bytes = []
        passThroughLedger(c)
    }

    /// The caller's own decoder, for the chunks it decodes while it would otherwise wait.
    private lazy var callerDecoder = ExchangeDecoder(maxLineBytes: maxLineBytes)

    /// Counts decoded chunks in the ledger in input order: the thread that finds the next one
    /// due takes every chunk due after it too, and the others leave theirs waiting. Done here
    /// rather than on the caller's thread, which runs the detector and bounds the speed.
    private func passThroughLedger(_ chunk: Chunk) {
        lock.lock()
        awaitingLedger[chunk.sequence] = chunk
        guard !admitting else { lock.unlock(); return }
        admitting = true
        while let c = awaitingLedger.removeValue(forKey: nextToAdmit) {
            lock.unlock()
            admit(c)
            lock.lock()
            nextToAdmit += 1
            decoded[c.sequence] = c
            lock.broadcast()
        }
        admitting = false
        lock.unlock()
    }

    private func admit(_ chunk: Chunk) {
        for (line, rejection) in chunk.rejections { ledger.reject(rejection, source: reader.name, line: line) }
        for _ in 0..<chunk.blanks { ledger.countBlank() }
        let refused = ledger.admit(chunk.exchanges, requestKeys: chunk.requestKeys)
        if refused.isEmpty { return }
        if refused.count <= Self.duplicatesRemovedInPlace {
            // A few duplicates leave the chunk in place, from the last: the records after each
            // are moved, never copied (a copy is a retain and a release, and most chunks of a
            // busy log hold a retried request).
            for i in refused.reversed() {
                chunk.exchanges.remove(at: i)
                chunk.keys.remove(at: i)
            }
        } else {
            // Many (a log of repeated lines): one pass copying the rest, rather than a move of
            // the whole tail for each.
            var exchanges: [Exchange] = [], keys: [ExchangeKeys] = []
            exchanges.reserveCapacity(chunk.exchanges.count - refused.count)
            keys.reserveCapacity(chunk.exchanges.count - refused.count)
            var r = 0
            for i in chunk.exchanges.indices {
                if r < refused.count && refused[r] == i { r += 1; continue }
                exchanges.append(chunk.exchanges[i])
                keys.append(chunk.keys[i])
            }
            chunk.exchanges = exchanges
            chunk.keys = keys
        }
    }

    /// The ledger once every chunk has been taken (`next` returned nil): nothing changes it then.
    var finalLedger: InputLedger {
        lock.lock()
        defer { lock.unlock() }
        return ledger
    }

    /// The next chunk in input order, waiting for it; nil at the end. Throws the read error
    /// once every chunk read before it has been taken.
    ///
    /// While it is not ready, the caller decodes a chunk of its own when one may be read: with
    /// one decoder thread (`--threads 2`), decoding is three fifths of the work and bounded
    /// the speed while the detector's thread sat idle two fifths of the time.
    func next(_ sequence: Int) throws -> Chunk? {
        lock.lock()
        defer { lock.unlock() }
        while decoded[sequence] == nil {
            if readingDone && sequence >= chunksRead {
                if let readError { throw readError }
                return nil
            }
            if !readingDone && !stopped && inFlight < maxInFlight {
                lock.unlock()
                if let chunk = readChunk(waiting: false) { decode(chunk, with: callerDecoder) }
                lock.lock()
                continue
            }
            lock.wait()
        }
        let c = decoded.removeValue(forKey: sequence)!
        inFlight -= 1
        lock.broadcast()
        return c
    }
}

/// One canonical file decoded on `decoders` threads (at least one), handed to the detector's
/// thread in input order, already counted in the ledger, with the evidence keys the decoders made.
final class ParallelDecodeFeed: ScanFeed, @unchecked Sendable {
    private let reader: LineReader
    private let pipeline: ParallelDecode
    /// The ledger as given until the end; then the one the decoders kept.
    private(set) var ledger: InputLedger
    private(set) var failure: Error?
    private(set) var ended = false
    private var sequence = 0
    /// The last two chunks handed out: the engine may still hold the newer one's records.
    private var handedOut: [ParallelDecode.Chunk] = []

    init(reader: LineReader, decoders: Int, ledger: InputLedger) {
        self.reader = reader
        self.ledger = ledger
        pipeline = ParallelDecode(reader: reader, decoders: max(1, decoders), maxLineBytes: ExchangeDecoder.defaultMaxLineBytes,
                                  ledger: ledger)
    }

    func start() { pipeline.start() }
    func stop() { pipeline.stop() }

    var trailingWarnings: [String] { reader.trailingWarning.map { [$0] } ?? [] }

    func poll() -> [Exchange]? { pollKeyed()?.batch }
    func pollMarked() -> (batch: [Exchange], mark: FeedMark?)? { pollKeyed().map { ($0.batch, nil) } }

    /// Waits for the next chunk in input order.
    func pollKeyed() -> (batch: [Exchange], keys: [ExchangeKeys]?, mark: FeedMark?)? {
        guard !ended else { return nil }
        // The engine has let go of the chunk before last: its records are freed on a decoder thread.
        if handedOut.count == 2 { pipeline.finished(handedOut.removeFirst()) }
        let next: ParallelDecode.Chunk?
        do { next = try pipeline.next(sequence) } catch { failure = error; next = nil }
        guard let chunk = next else {
            ended = true
            ledger = pipeline.finalLedger
            return nil
        }
        sequence += 1
        handedOut.append(chunk)
        return (chunk.exchanges, chunk.keys, nil)
    }
}
