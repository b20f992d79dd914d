import DistillCore
import Foundation

/// Decoding on several threads for one canonical source, with everything that depends on order
/// kept on the caller's thread: a reader thread splits the input into chunks of lines, decoder
/// threads turn each chunk into records and rejections, and the caller takes the chunks back in
/// input order, counting them in its ledger and feeding the detector exactly as one thread would.
/// The report is the same whatever the number of threads.
///
/// Decoding is about two fifths of `scan`'s instructions and the prompts' analysis a fifth; both
/// run on the decoder threads. The detector (which stays on one thread) does the rest.
final class ParallelDecode: @unchecked Sendable {
    /// Lines read by the reader thread, and what a decoder made of them.
    final class Chunk: @unchecked Sendable {
        let sequence: Int
        /// The absolute number of the chunk's first line.
        let firstLine: Int
        var bytes: [UInt8] = []
        /// Each line's end in `bytes`; an over-long line (not kept) has its length in `tooLong`.
        var ends: [Int] = []
        var tooLong: [Int: Int] = [:]
        var exchanges: [Exchange] = []
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
    /// Read and waiting for a decoder.
    private var toDecode: [Chunk] = []
    /// Decoded and waiting for the caller, by sequence.
    private var decoded: [Int: Chunk] = [:]
    private var chunksRead = 0
    private var readingDone = false
    private var readError: Error?
    /// Chunks read but not yet taken by the caller: bounds memory.
    private var inFlight = 0
    private let maxInFlight: Int
    private var stopped = false

    init(reader: LineReader, decoders: Int, maxLineBytes: Int) {
        self.reader = reader
        self.decoders = max(1, decoders)
        self.maxLineBytes = maxLineBytes
        maxInFlight = 4 * self.decoders
    }

    func start() {
        let readThread = Thread { [self] in read() }
        readThread.name = "distillwatch-read"
        readThread.start()
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

    private func read() {
        var sequence = 0
        var chunk: Chunk?
        func hand(_ c: Chunk) -> Bool {
            lock.lock()
            while inFlight >= maxInFlight && !stopped { lock.wait() }
            if stopped { lock.unlock(); return false }
            inFlight += 1
            chunksRead += 1
            toDecode.append(c)
            lock.broadcast()
            lock.unlock()
            return true
        }
        do {
            while let line = try reader.nextLine() {
                let number: Int
                if chunk == nil {
                    switch line {
                    case .text(_, let n), .tooLong(_, let n): number = n
                    }
                    chunk = Chunk(sequence: sequence, firstLine: number)
                    sequence += 1
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
                if c.ends.count >= Self.linesPerChunk {
                    chunk = nil
                    if !hand(c) { return }
                }
            }
        } catch {
            lock.lock(); readError = error; lock.unlock()
        }
        if let c = chunk, !hand(c) { return }
        lock.lock()
        readingDone = true
        lock.broadcast()
        lock.unlock()
    }

    private func decodeLoop() {
        let decoder = ExchangeDecoder(maxLineBytes: maxLineBytes)
        while true {
            lock.lock()
            while toDecode.isEmpty && !(readingDone || stopped) { lock.wait() }
            if toDecode.isEmpty { lock.unlock(); return }
            let c = toDecode.removeFirst()
            lock.unlock()

            c.exchanges.reserveCapacity(c.ends.count)
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
                    case .appended: c.exchanges[c.exchanges.count - 1].analysePrompt()
                    case .rejected(let r): c.rejections.append((c.firstLine + i, r))
                    case .blank: c.blanks += 1
                    }
                }
            }
            c.bytes = []

            lock.lock()
            decoded[c.sequence] = c
            lock.broadcast()
            lock.unlock()
        }
    }

    /// The next chunk in input order, waiting for it; nil at the end. Throws the read error
    /// once every chunk read before it has been taken.
    func next(_ sequence: Int) throws -> Chunk? {
        lock.lock()
        defer { lock.unlock() }
        while decoded[sequence] == nil {
            if readingDone && sequence >= chunksRead {
                if let readError { throw readError }
                return nil
            }
            lock.wait()
        }
        let c = decoded.removeValue(forKey: sequence)!
        inFlight -= 1
        lock.broadcast()
        return c
    }
}

extension DetectionRun {
    /// One canonical source decoded on `threads - 1` threads (at least one) while this thread
    /// counts and detects, in input order.
    static func runDecodingInParallel(path: String, threads: Int, settings: DetectorSettings, window: StreamWindow,
                                      resuming state: DetectionState?) throws -> DetectionRun {
        let file = try InputFile(path: path)
        let reader = LineReader(file: file)
        var run = state.map(DetectionRun.init(resuming:)) ?? DetectionRun(settings: settings)
        let pipeline = ParallelDecode(reader: reader, decoders: max(1, threads - 1), maxLineBytes: ExchangeDecoder.defaultMaxLineBytes)
        pipeline.start()
        defer { pipeline.stop() }
        var batch: [Exchange] = []
        batch.reserveCapacity(batchSize)
        var sequence = 0
        do {
            while let chunk = try pipeline.next(sequence) {
                sequence += 1
                for (line, rejection) in chunk.rejections { run.ledger.reject(rejection, source: reader.name, line: line) }
                for _ in 0..<chunk.blanks { run.ledger.countBlank() }
                for e in chunk.exchanges {
                    guard run.ledger.admit(e) else { continue }
                    batch.append(e)
                    if batch.count >= batchSize { run.ingest(&batch, window) }
                }
            }
            run.ingest(&batch, window)
        } catch {
            run.ingest(&batch, window)
            run.inputError = error
        }
        if reader.trailingBytes > 0 {
            run.trailingWarnings = ["\(reader.name): \(reader.trailingBytes) bytes after the end of the gzip data were ignored"]
        }
        return run
    }
}
