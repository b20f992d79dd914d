#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DistillCore

/// Splits one source into lines, pulled one at a time. Lines are handed out as views into the
/// reader's own buffer (no copy, no allocation per line), valid until the next call.
///
/// Memory is fixed at `maxLineBytes + chunkSize`, whatever the input: a line longer than
/// `maxLineBytes` is not buffered but skipped to its newline and reported as `.tooLong`.
/// A file starting with the gzip magic (1f 8b) is inflated transparently, whatever its name.
public final class LineReader {
    public static let defaultChunkSize = 1 << 20

    public enum Line {
        /// A line without its `\n` (a `\r` before it is passed through). `number` is 1-based.
        case text(UnsafeRawBufferPointer, number: Int)
        /// A line longer than the limit, skipped; `length` is its full length in bytes.
        case tooLong(length: Int, number: Int)
    }

    public let file: InputFile
    public let chunkSize: Int
    public let maxLineBytes: Int
    /// Bytes held in memory for lines; fixed at creation.
    public let bufferCapacity: Int
    // Mutable state is touched on every line, and runtime exclusivity checks on it cost about a
    // third of the split time for short lines. They are off (`@exclusivity(unchecked)`): no
    // method here passes these properties inout or calls out while accessing them.

    /// Text bytes delivered into the buffer (inflated bytes, for gzip).
    @exclusivity(unchecked) public private(set) var textBytes: Int64 = 0
    /// Lines returned so far (the number of the last one).
    @exclusivity(unchecked) public private(set) var lineNumber = 0
    /// Text offset where the last returned line began.
    @exclusivity(unchecked) public private(set) var lastLineStart: Int64 = 0

    /// Text bytes handed out as lines so far (with their newlines): where a reader resumed
    /// with `resume(atTextOffset:line:)` would go on.
    public var consumedTextOffset: Int64 { lastLineCut ? lastLineStart : textBytes - Int64(end - start) }
    /// Lines read to their end: `lineNumber`, less a last line cut short by a read error.
    public var completeLines: Int { lastLineCut ? lineNumber - 1 : lineNumber }

    public var name: String { file.name }
    /// Bytes read from the file itself (compressed bytes, for gzip).
    public var bytesRead: Int64 { file.bytesRead }
    /// Known once the first bytes are read.
    public var isGzip: Bool { inflater != nil }
    /// Whether `nextLine(stoppingWhenDry: true)` can stop before the end: a live input read as it is.
    var canRunDry: Bool { file.isLive && inflater == nil }
    /// Every line has been handed out and the input has ended.
    var reachedEnd: Bool { atEOF && end <= start }
    /// Waits until more input (or its end) may be read, or `milliseconds` pass.
    func waitForInput(milliseconds: Int32) { file.waitForInput(milliseconds: milliseconds) }
    /// Bytes after the end of the gzip data that were ignored (padding, garbage).
    public var trailingBytes: Int64 { inflater?.trailingBytes ?? 0 }
    /// Says what `trailingBytes` holds, if any.
    public var trailingWarning: String? {
        trailingBytes > 0 ? "\(name): \(trailingBytes) bytes after the end of the gzip data were ignored" : nil
    }

    private let buffer: UnsafeMutableRawPointer
    /// Unreturned bytes are `buffer[start..<end]`; `buffer[start..<scanned]` holds no newline.
    @exclusivity(unchecked) private var start = 0
    @exclusivity(unchecked) private var end = 0
    @exclusivity(unchecked) private var scanned = 0
    @exclusivity(unchecked) private var atEOF = false
    @exclusivity(unchecked) private var formatKnown = false
    @exclusivity(unchecked) private var inflater: GzipInflater?
    /// A read error met after part of a line had arrived: that part is returned first, as a
    /// last line, and every later call throws the error.
    @exclusivity(unchecked) private var pendingError: InputError?
    /// The last line returned was cut short by `pendingError`: positions stay at its start, so a
    /// reader resumed there (the file completed in place since) reads the whole line.
    @exclusivity(unchecked) private var lastLineCut = false

    public init(file: InputFile, chunkSize: Int = LineReader.defaultChunkSize,
                maxLineBytes: Int = ExchangeDecoder.defaultMaxLineBytes) {
        self.file = file
        self.chunkSize = max(1, chunkSize)
        self.maxLineBytes = max(1, maxLineBytes)
        // A kept partial line is at most maxLineBytes, so after compaction a whole chunk fits.
        bufferCapacity = self.maxLineBytes + self.chunkSize + 1
        buffer = .allocate(byteCount: bufferCapacity, alignment: 64)
    }

    public convenience init(path: String, chunkSize: Int = LineReader.defaultChunkSize,
                            maxLineBytes: Int = ExchangeDecoder.defaultMaxLineBytes) throws(InputError) {
        self.init(file: try InputFile(path: path), chunkSize: chunkSize, maxLineBytes: maxLineBytes)
    }

    deinit { buffer.deallocate() }

    /// The next line, or nil at end of input. A last line without `\n` is still returned, and
    /// so is the part of a line that arrived before a read error (a gzip file cut short): the
    /// decoder rejects it, so it is counted rather than lost, and the error follows.
    /// `stoppingWhenDry`: on a live input (pipe, socket, terminal), nil rather than wait for the
    /// sender when no whole line is buffered and nothing has arrived, though the input goes on.
    /// Checked only where a read is due, so it costs nothing per line.
    public func nextLine(stoppingWhenDry: Bool = false) throws(InputError) -> Line? {
        while true {
            if scanned < end, let hit = memchr(buffer + scanned, 0x0A, end - scanned) {
                let newline = buffer.distance(to: hit)
                let lineStart = start
                let length = newline - lineStart
                lastLineStart = textBytes - Int64(end - lineStart)
                start = newline + 1
                scanned = start
                lineNumber += 1
                if length > maxLineBytes { return .tooLong(length: length, number: lineNumber) }
                return .text(UnsafeRawBufferPointer(start: buffer + lineStart, count: length),
                             number: lineNumber)
            }
            scanned = end
            if end - start > maxLineBytes {
                return try skipLongLine()
            }
            if atEOF {
                guard end > start else {
                    if let pendingError { throw pendingError }
                    return nil
                }
                let lineStart = start
                lastLineStart = textBytes - Int64(end - lineStart)
                start = end
                scanned = end
                lineNumber += 1
                lastLineCut = pendingError != nil
                return .text(UnsafeRawBufferPointer(start: buffer + lineStart, count: end - lineStart),
                             number: lineNumber)
            }
            if stoppingWhenDry && canRunDry && file.wouldWait() { return nil }
            if bufferCapacity - end < chunkSize {
                compact()
            }
            let n: Int
            do {
                n = try fill(buffer + end, count: min(chunkSize, bufferCapacity - end))
            } catch {
                guard end > start else { throw error }
                pendingError = error
                atEOF = true
                continue
            }
            if n == 0 { atEOF = true } else { end += n }
        }
    }

    /// The buffered part of a line is already over the limit: drop it and read on (into the
    /// same buffer, so memory stays fixed) until the newline or end of input.
    private func skipLongLine() throws(InputError) -> Line {
        var length = end - start
        lastLineStart = textBytes - Int64(end - start)
        start = 0
        end = 0
        scanned = 0
        lineNumber += 1
        while !atEOF {
            let n: Int
            do {
                n = try fill(buffer, count: min(chunkSize, bufferCapacity))
            } catch {
                // Cut inside the long line: it is counted as what it is, then the error follows.
                pendingError = error
                atEOF = true
                lastLineCut = true
                break
            }
            if n == 0 {
                atEOF = true
                break
            }
            if let hit = memchr(buffer, 0x0A, n) {
                let newline = buffer.distance(to: hit)
                length += newline
                start = newline + 1
                scanned = start
                end = n
                break
            }
            length += n
        }
        return .tooLong(length: length, number: lineNumber)
    }

    /// Goes on from a text offset an earlier reader of the same file reached
    /// (`consumedTextOffset`), before any line is read: plain files seek there; gzip files are
    /// inflated and the text before it dropped. `line` is the number of lines before it, so
    /// rejection samples keep their line numbers. False if the file ends before `offset`.
    public func resume(atTextOffset offset: Int64, line: Int) throws(InputError) -> Bool {
        precondition(textBytes == 0 && lineNumber == 0, "resume before reading")
        guard offset > 0 else { return true }
        var n = try fill(buffer, count: chunkSize)
        if inflater == nil && n > 0 {
            // Plain text: straight to the offset.
            guard lseek(file.fd, off_t(offset), SEEK_SET) == off_t(offset) else { throw .readError(path: name, errno: errno) }
            textBytes = offset
            n = 0
        } else {
            while textBytes < offset && n > 0 {
                n = try fill(buffer, count: chunkSize)
            }
        }
        guard textBytes >= offset else { return false }
        // Keep the inflated bytes past the offset (gzip); a plain file's were read again.
        let extra = Int(textBytes - offset)
        if extra > 0 {
            buffer.copyMemory(from: buffer + (n - extra), byteCount: extra)
        }
        start = 0
        end = extra
        scanned = 0
        lineNumber = line
        lastLineStart = offset
        if inflater == nil {
            // The plain file's own size decides whether it still reaches the offset.
            var info = stat()
            if fstat(file.fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && Int64(info.st_size) < offset { return false }
        }
        return true
    }

    /// Moves the unreturned partial line to the front of the buffer.
    private func compact() {
        let kept = end - start
        if start > 0 && kept > 0 {
            buffer.copyMemory(from: buffer + start, byteCount: kept)
        }
        scanned -= start
        end = kept
        start = 0
    }

    private func fill(_ destination: UnsafeMutableRawPointer, count: Int) throws(InputError) -> Int {
        if !formatKnown {
            return try fillFirst(destination, count: count)
        }
        let n = if let inflater {
            try inflater.read(into: destination, count: count)
        } else {
            try file.read(into: destination, count: count)
        }
        textBytes += Int64(n)
        return n
    }

    /// Reads the first bytes into the line buffer; gzip is recognised by its magic, not its
    /// name. Plain text stays where it landed; gzip bytes are handed to the inflater.
    private func fillFirst(_ destination: UnsafeMutableRawPointer, count: Int) throws(InputError) -> Int {
        formatKnown = true
        // Two bytes are needed to see the magic, even with a 1-byte chunk.
        let want = max(count, 2)
        var got = 0
        while got < 2 {
            let n = try file.read(into: destination + got, count: want - got)
            if n == 0 { break }
            got += n
        }
        let bytes = destination.assumingMemoryBound(to: UInt8.self)
        if got >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B {
            let inflater = try GzipInflater(
                file: file, prefix: UnsafeRawBufferPointer(start: destination, count: got),
                inputCapacity: chunkSize)
            self.inflater = inflater
            let n = try inflater.read(into: destination, count: count)
            textBytes += Int64(n)
            return n
        }
        textBytes += Int64(got)
        return got
    }
}
