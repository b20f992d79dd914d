import DistillCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    /// Per source: where the line its head (and spill) came from starts, its number, and how
    /// many records it held: what `positions()` needs to put a resumed reader back on it.
    private var lineStart: [Int64]
    private var lineOfHead: [Int]
    private var recordsInLine: [Int]
    /// Per source, after a resume: records of the first line re-read that were taken before.
    private var skipOnResume: [Int]
    /// Each source's identity, for checking on resume that it is still the same file.
    private let identities: [FileIdentity?]

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
        identities = readers.map { FileIdentity(of: $0.file) }
        lineStart = Array(repeating: 0, count: readers.count)
        lineOfHead = Array(repeating: 0, count: readers.count)
        recordsInLine = Array(repeating: 0, count: readers.count)
        skipOnResume = Array(repeating: 0, count: readers.count)
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
    /// Sources that ended in bytes that were not gzip data (padding, garbage), and how many:
    /// the lines before were all read.
    public var trailingBytes: [(source: String, bytes: Int64)] {
        readers.filter { $0.trailingBytes > 0 }.map { ($0.name, $0.trailingBytes) }
    }
    /// Says what `trailingBytes` holds, one message per source.
    public var trailingWarnings: [String] {
        readers.compactMap(\.trailingWarning)
    }

    /// Where each source stands between two batches: a reader resumed there reads exactly the
    /// records this stream has not handed out yet (its head and spill included).
    public func positions() -> [SourcePosition] {
        readers.indices.map { i in
            let reader = readers[i]
            var p = SourcePosition(name: reader.name, identity: identities[i])
            if heads[i] != nil || !spill[i].isEmpty {
                p.textOffset = lineStart[i]
                p.line = lineOfHead[i] - 1
                p.skipRecords = recordsInLine[i] - spill[i].count - (heads[i] != nil ? 1 : 0)
            } else {
                p.textOffset = reader.consumedTextOffset
                p.line = reader.completeLines
            }
            return p
        }
    }

    /// Puts every source back where `positions` (from `positions()` on the same paths) left
    /// it, before anything is read. Throws if a source is not the file it was, or is shorter.
    public func resume(at positions: [SourcePosition]) throws(ResumeError) {
        guard positions.count == readers.count else { throw .sourcesDiffer(saved: positions.map(\.name), now: sourceNames) }
        for (i, p) in positions.enumerated() {
            let reader = readers[i]
            guard p.isSource(named: reader.name) else { throw .sourcesDiffer(saved: positions.map(\.name), now: sourceNames) }
            guard let identity = identities[i] else {
                // Standard input is read from wherever it now stands.
                continue
            }
            guard p.identity == identity else { throw .replaced(path: p.name) }
            do {
                guard try reader.resume(atTextOffset: p.textOffset, line: p.line) else { throw ResumeError.shorter(path: p.name, offset: p.textOffset) }
            } catch let e as ResumeError { throw e } catch { throw .unreadable(String(describing: error)) }
            skipOnResume[i] = p.skipRecords
        }
    }

    /// Appends up to `maxCount` new exchanges to `batch`, in timestamp order across sources.
    /// Rejected and blank lines, and duplicates, are counted in `ledger` and not appended.
    /// Returns false when all input is exhausted and nothing was appended.
    ///
    /// `returnWhenDry`: one live source (a pipe, a socket) with nothing whole to read returns
    /// true with nothing appended instead of waiting for the sender; `waitForInput` then waits.
    /// A caller can so say where the stream stands while its sender is quiet.
    ///
    /// A read error (say, a truncated gzip file) is thrown; if exchanges were already appended
    /// in this call, they are returned first and the error is thrown by the next call. Lines
    /// read before the error stay counted in `ledger`; the stream stays failed afterwards.
    public func nextBatch(into batch: inout [Exchange], maxCount: Int, ledger: inout InputLedger, returnWhenDry: Bool = false) throws -> Bool {
        precondition(maxCount > 0, "maxCount must be positive")
        if let failure { throw failure }
        var appended = 0
        do throws(InputError) {
            if readers.count == 1 && adapter == nil {
                // One canonical source: nothing to merge, and records decode straight into the batch.
                let reader = readers[0]
                // From a pipe, what has arrived is handed over rather than held for a full batch
                // (a quiet `nats sub` or `tail -F` would otherwise show nothing for hours).
                while appended < maxCount, let line = try reader.nextLine(stoppingWhenDry: appended > 0 || returnWhenDry) {
                    switch line {
                    case .text(let bytes, let number):
                        if decoder.decode(bytes, line: number, of: reader.name, onto: &batch, countedIn: &ledger) { appended += 1 }
                    case .tooLong(let length, let number):
                        ledger.reject(.lineTooLong(length, limit: maxLineBytes), source: reader.name, line: number)
                    }
                }
            } else if readers.count == 1 {
                // One source: nothing to merge, skip the heap.
                while appended < maxCount, let exchange = try decodeNext(from: 0, ledger: &ledger, stoppingWhenDry: appended > 0 || returnWhenDry) {
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
        if appended == 0 && returnWhenDry && readers.count == 1 && spill[0].isEmpty && !readers[0].reachedEnd { return true }
        return appended > 0
    }

    /// With one live source: waits until it may have more to read, or `milliseconds` pass.
    public func waitForInput(milliseconds: Int32) {
        if readers.count == 1 && readers[0].canRunDry { readers[0].waitForInput(milliseconds: milliseconds) }
    }

    /// Reads the source's next exchange into its head and puts it on the heap.
    private func advance(_ index: Int, ledger: inout InputLedger) throws(InputError) {
        guard let exchange = try decodeNext(from: index, ledger: &ledger) else { return }
        let ts = exchange.ts
        heads[index] = consume exchange
        queue.push(index, ts: ts)
    }

    /// The source's next exchange, counting rejected, blank and too-long lines on the way.
    /// `stoppingWhenDry`: nil, before the end, when a live input has nothing more yet.
    private func decodeNext(from index: Int, ledger: inout InputLedger, stoppingWhenDry: Bool = false) throws(InputError) -> Exchange? {
        let reader = readers[index]
        // Kept in reverse order: a line holding a JSON array of thousands of records is handed
        // out by popLast, not by an O(n) removeFirst each.
        if let next = spill[index].popLast() { return next }
        while let line = try reader.nextLine(stoppingWhenDry: stoppingWhenDry) {
            switch line {
            case .text(let bytes, let number):
                lineStart[index] = reader.lastLineStart
                lineOfHead[index] = number
                if let adapter {
                    var first: Exchange?
                    // A line re-read on resume: its rejections were counted, and its first
                    // `skip` records handed out, before the stop.
                    var skip = skipOnResume[index]
                    let rereading = skip > 0
                    skipOnResume[index] = 0
                    var records = 0
                    adapter.decodeLine(bytes) { outcome in
                        switch outcome {
                        case .exchange(let e):
                            records += 1
                            if skip > 0 { skip -= 1 } else if first == nil { first = e } else { spill[index].append(e) }
                        case .rejected(let r): if !rereading { ledger.reject(r, source: reader.name, line: number) }
                        case .blank: if !rereading { ledger.countBlank() }
                        }
                    }
                    recordsInLine[index] = records
                    spill[index].reverse()
                    if let first { return first }
                    continue
                }
                switch decoder.decode(bytes) {
                case .exchange(let exchange):
                    recordsInLine[index] = 1
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

/// A file's device and inode: what says it is still the same file after a restart.
public struct FileIdentity: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) { self.device = device; self.inode = inode }

    /// Nil for what cannot be read again (standard input, a pipe).
    init?(of file: InputFile) {
        var info = stat()
        guard file.name != "stdin", fstat(file.fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}

/// Where one source stood when a checkpoint was taken.
public struct SourcePosition: Sendable, Equatable {
    /// The path as given (`stdin` for `-`).
    public var name: String
    /// Nil for a source that cannot be read again (standard input).
    public var identity: FileIdentity?
    /// Text bytes (inflated, for gzip) up to the first line not wholly handed out.
    public var textOffset: Int64 = 0
    /// Lines before that one.
    public var line = 0
    /// Records of that line already handed out (an adapter's line can hold several).
    public var skipRecords = 0

    public init(name: String, identity: FileIdentity?) { self.name = name; self.identity = identity }

    /// Whether `path` names the source this position was taken on: the same spelling, or the
    /// same file reached another way (`./a.ndjson`, an absolute path, a symbolic link). The
    /// file's identity is checked after this, so a loose match cannot resume the wrong file.
    public func isSource(named path: String) -> Bool {
        if name == path { return true }
        guard let saved = realpath(name, nil) else { return false }
        defer { free(saved) }
        guard let given = realpath(path, nil) else { return false }
        defer { free(given) }
        return strcmp(saved, given) == 0
    }

    /// One line of text, tab-separated, the path last (it may hold anything but a newline).
    public var encoded: String {
        let id = identity.map { "\($0.device)\t\($0.inode)" } ?? "-\t-"
        return "\(id)\t\(textOffset)\t\(line)\t\(skipRecords)\t\(name)"
    }

    public init?(encoded text: String) {
        let parts = text.split(separator: "\t", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, let offset = Int64(parts[2]), let line = Int(parts[3]), let skip = Int(parts[4]),
              offset >= 0, line >= 0, skip >= 0 else { return nil }
        if parts[0] == "-" { identity = nil } else {
            guard let d = UInt64(parts[0]), let i = UInt64(parts[1]) else { return nil }
            identity = FileIdentity(device: d, inode: i)
        }
        name = String(parts[5]); textOffset = offset; self.line = line; skipRecords = skip
    }
}

/// Why a stream could not go on from a saved position.
public enum ResumeError: Error, CustomStringConvertible, Equatable {
    case sourcesDiffer(saved: [String], now: [String])
    case replaced(path: String)
    case shorter(path: String, offset: Int64)
    case unreadable(String)

    public var description: String {
        switch self {
        case .sourcesDiffer(let saved, let now) where saved.isEmpty:
            return "the checkpoint records no sources to go on from (a state saved by `scan --state-out`?), not \(now.joined(separator: ", "))"
        case .sourcesDiffer(let saved, let now):
            return "the checkpoint was taken reading \(saved.joined(separator: ", ")), not \(now.joined(separator: ", "))"
        case .replaced(let path): return "\(path) is not the file the checkpoint read (another inode): it was replaced or copied"
        case .shorter(let path, let offset): return "\(path) ends before byte \(offset), where the checkpoint stood: it was truncated or replaced"
        case .unreadable(let why): return why
        }
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

extension ExchangeDecoder {
    /// Decodes one line onto `batch` and counts it in `ledger`: true when its record was
    /// appended; a rejected or blank line, or a duplicate record, is counted and not appended.
    @inline(__always)
    func decode(_ line: UnsafeRawBufferPointer, line number: Int, of source: String, onto batch: inout [Exchange],
                countedIn ledger: inout InputLedger) -> Bool {
        switch decode(line, appendingTo: &batch) {
        case .appended:
            if ledger.admitLast(of: batch) { return true }
            batch.removeLast()
        case .rejected(let rejection):
            ledger.reject(rejection, source: source, line: number)
        case .blank:
            ledger.countBlank()
        }
        return false
    }
}
