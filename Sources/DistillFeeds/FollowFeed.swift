#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DistillCore
import Foundation

/// Follows a log file by name, as `tail -F` does: reads what is there, then waits for more;
/// reopens the path when the file is replaced (another inode: rotation by rename or by a new
/// file) or appears; reads a shrunk file again from its start (truncation); holds a partial
/// last line until its newline arrives.
///
/// On rotation the old file is read to its end before the new one is opened, so lines written
/// to it just before the rename are not lost. Never finishes; `connected` is false while the
/// path does not exist.
public final class FollowFeed: ExchangeFeed, @unchecked Sendable {
    public let path: String
    private let adapter: RecordAdapter
    private let maxLineBytes: Int
    private let interval: useconds_t
    private let sink: FeedSink
    private let startingLedger: InputLedger
    /// Where a checkpoint left the file: the same file (same inode) goes on from there.
    private let resumeAt: SourcePosition?

    /// `ledger` and `resumeAt`: a checkpoint's counts and position to go on from.
    public init(path: String, format: RecordFormat = .auto,
                maxLineBytes: Int = ExchangeDecoder.defaultMaxLineBytes, pollIntervalMs: Int = 100,
                ledger: InputLedger = InputLedger(), resumeAt: SourcePosition? = nil) {
        self.path = path
        startingLedger = ledger
        self.resumeAt = resumeAt
        self.maxLineBytes = maxLineBytes
        adapter = RecordAdapter(format: format, maxLineBytes: maxLineBytes)
        interval = useconds_t(max(1, pollIntervalMs) * 1000)
        sink = FeedSink(connected: false)
    }

    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "distillwatch-follow"
        thread.start()
    }

    public func poll() -> [Exchange]? { sink.poll() }
    public func requestMark() { sink.requestMark() }
    public func pollMarked() -> (batch: [Exchange], mark: FeedMark?)? { sink.pollMarked() }
    public var state: FeedState { sink.state }

    private typealias Identity = FileIdentity

    private func run() {
        var batcher = LiveBatcher(sink: sink)
        batcher.ledger = startingLedger
        var pendingResume = resumeAt
        var assembler = LineAssembler(maxLineBytes: maxLineBytes)
        let chunk = 1 << 16
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var fd: Int32 = -1
        var identity = Identity(device: 0, inode: 0)
        var offset: Int64 = 0
        var lineNumber = 0
        var opened = 0  // files opened so far (for sample names)

        func emit(_ piece: LineAssembler.Piece) {
            lineNumber += 1
            batcher.take(piece, adapter: adapter, limit: maxLineBytes, source: path, line: lineNumber)
        }

        /// Reads the open file to its current end.
        func drain() {
            while true {
                let n = read(fd, buffer, chunk)
                if n > 0 {
                    offset += Int64(n)
                    assembler.feed(UnsafeRawBufferPointer(start: buffer, count: n), emit)
                    continue
                }
                if n < 0 && errno == EINTR { continue }
                if n < 0 { sink.update { $0.error = "error reading \(path): \(InputError.reason(errno))" } }
                return
            }
        }

        while true {
            if fd < 0 {
                fd = open(path, O_RDONLY | O_CLOEXEC)
                var info = stat()
                if fd >= 0 && fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) != S_IFDIR {
                    identity = Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
                    offset = 0
                    lineNumber = 0
                    opened += 1
                    if let at = pendingResume {
                        pendingResume = nil
                        // The file the checkpoint was reading, still long enough: go on from there.
                        // Another file (rotated while stopped) is read from its start.
                        if at.identity == identity && Int64(info.st_size) >= at.textOffset && lseek(fd, off_t(at.textOffset), SEEK_SET) >= 0 {
                            offset = at.textOffset
                            lineNumber = at.line
                        } else {
                            sink.update { $0.error = "\(self.path) was replaced while stopped: read from its start; the old file's unread end is lost" }
                        }
                    }
                    sink.update { $0.connected = true; $0.error = nil }
                } else {
                    let code = errno
                    if fd >= 0 { close(fd); fd = -1 }
                    sink.update {
                        $0.connected = false
                        // A missing file is normal (not yet created, mid-rotation): DISCONNECTED says it.
                        $0.error = code == ENOENT ? nil : "cannot open \(self.path): \(InputError.reason(code))"
                    }
                    usleep(interval)
                    continue
                }
            }
            drain()
            // At the end of what is there: every byte read is in the batch or held as a partial line.
            let position = { [path, identity, offset, lineNumber, held = assembler.heldBytes] in
                var p = SourcePosition(name: path, identity: identity)
                // A held partial line is read again after a restart. (The tail of an over-long
                // line being skipped would be read as a line of its own, and rejected.)
                p.textOffset = offset - Int64(held)
                p.line = lineNumber
                return [p]
            }
            batcher.flush(position: position)

            // At the end of the file: replaced, truncated, or just quiet?
            var byName = stat()
            if stat(path, &byName) == 0 {
                let now = Identity(device: UInt64(byName.st_dev), inode: UInt64(byName.st_ino))
                if now != identity {
                    // Rotated: finish the old file (lines written before the rename), then
                    // open the new one from its start.
                    drain()
                    assembler.finish(emit)
                    batcher.flush()
                    close(fd)
                    fd = -1
                    continue
                }
                var mine = stat()
                if fstat(fd, &mine) == 0 && Int64(mine.st_size) < offset {
                    // Truncated: read again from the start. A partial line held from before the
                    // truncation can never be completed; it is counted as dropped.
                    if assembler.hasPartialLine { sink.update { $0.dropped += 1 } }
                    assembler.discard()
                    _ = lseek(fd, 0, SEEK_SET)
                    offset = 0
                    continue
                }
                sink.update { $0.connected = true; $0.error = nil }
            } else {
                // Renamed away and no new file yet: keep reading the old one meanwhile.
            }
            usleep(interval)
        }
    }
}
