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

    public init(path: String, format: RecordFormat = .auto,
                maxLineBytes: Int = ExchangeDecoder.defaultMaxLineBytes, pollIntervalMs: Int = 100) {
        self.path = path
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
    public var state: FeedState { sink.state }

    private struct Identity: Equatable { var dev: UInt64; var ino: UInt64 }

    private func run() {
        var batcher = LiveBatcher(sink: sink)
        var assembler = LineAssembler(maxLineBytes: maxLineBytes)
        let chunk = 1 << 16
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var fd: Int32 = -1
        var identity = Identity(dev: 0, ino: 0)
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
                    identity = Identity(dev: UInt64(info.st_dev), ino: UInt64(info.st_ino))
                    offset = 0
                    lineNumber = 0
                    opened += 1
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
            batcher.flush()

            // At the end of the file: replaced, truncated, or just quiet?
            var byName = stat()
            if stat(path, &byName) == 0 {
                let now = Identity(dev: UInt64(byName.st_dev), ino: UInt64(byName.st_ino))
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
