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

        // Rotated files read whole, by identity (bounded: only the latest are remembered).
        var finished: [Identity] = []
        // After a rotation: the file last read to its end, and when it was last written. Files
        // rotated away after it, before the name's new file could be opened, are read next.
        var rotatedFrom: (identity: Identity, mtime: Double)?
        var sourceName = path
        let watcher = DirectoryWatcher(directory: Self.directory(of: path))

        func emit(_ piece: LineAssembler.Piece) {
            lineNumber += 1
            batcher.take(piece, adapter: adapter, limit: maxLineBytes, source: sourceName, line: lineNumber)
        }

        // The last bytes read before `offset`. A file truncated and written again between two
        // looks is longer than `offset` again, so its size does not tell; these bytes do.
        var tail: [UInt8] = []
        let tailLength = 64
        func rememberTail(_ bytes: UnsafeRawBufferPointer) {
            if bytes.count >= tailLength {
                tail = Array(bytes.suffix(tailLength))
            } else {
                tail += bytes
                if tail.count > tailLength { tail.removeFirst(tail.count - tailLength) }
            }
        }
        enum Change { case none, truncated, rewritten }
        /// Whether the bytes before `offset` are still the ones read there.
        func change() -> Change {
            guard !tail.isEmpty, fd >= 0 else { return .none }
            var now = [UInt8](repeating: 0, count: tail.count)
            let n = now.withUnsafeMutableBytes { pread(fd, $0.baseAddress, tail.count, off_t(offset - Int64(tail.count))) }
            if n != tail.count { return .truncated }
            return now == tail ? .none : .rewritten
        }
        /// Starts the open file again from its first byte (it was truncated or rewritten).
        func restartFile() {
            // A partial line held from before can never be completed; it is counted as dropped.
            if assembler.hasPartialLine { sink.update { $0.dropped += 1 } }
            assembler.discard()
            _ = lseek(fd, 0, SEEK_SET)
            offset = 0
            tail = []
        }

        /// Reads the open file to its current end.
        func drain() {
            switch change() {
            case .none: break
            case .truncated: restartFile()
            case .rewritten: restartFile(); sink.update { $0.rewrites += 1 }
            }
            drain(fd)
        }
        /// Reads `from` to its end; only the followed file's own reads move `offset`.
        func drain(_ from: Int32) {
            while true {
                let n = read(from, buffer, chunk)
                if n > 0 {
                    if from == fd {
                        offset += Int64(n)
                        rememberTail(UnsafeRawBufferPointer(start: buffer, count: n))
                    }
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
                var code = errno
                let kind = fd >= 0 && fstat(fd, &info) == 0 ? info.st_mode & S_IFMT : 0
                // A file or a pipe, not a directory or a device: /dev/zero put in a log's place
                // would be read for ever, one endless line, at a full core.
                let readable = kind == S_IFREG || kind == S_IFIFO
                if fd >= 0 && !readable { code = kind == S_IFDIR ? EISDIR : ENODEV }
                if fd >= 0 && readable {
                    identity = Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
                    offset = 0
                    tail = []
                    lineNumber = 0
                    opened += 1
                    var resumeProblem: String?
                    if let at = pendingResume {
                        pendingResume = nil
                        if at.identity == identity && Int64(info.st_size) >= at.textOffset && lseek(fd, off_t(at.textOffset), SEEK_SET) >= 0 {
                            // The file the checkpoint was reading, still long enough: go on from there.
                            offset = at.textOffset
                            lineNumber = at.line
                            let known = Int(min(Int64(tailLength), offset))
                            tail = [UInt8](repeating: 0, count: known)
                            if tail.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, known, off_t(offset - Int64(known))) }) != known { tail = [] }
                        } else if let held = at.identity, let old = Self.rotatedFile(path: path, identity: held),
                                  lseek(old.fd, off_t(at.textOffset), SEEK_SET) == off_t(at.textOffset) {
                            // Rotated while stopped: finish that file from where the checkpoint
                            // stood, then the files rotated after it, then the name's new file.
                            sourceName = old.path
                            lineNumber = at.line
                            drain(old.fd)
                            assembler.finish(emit)
                            batcher.flush()
                            close(old.fd)
                            finished.append(held)
                            rotatedFrom = (held, old.mtime)
                            sourceName = path
                            lineNumber = 0
                        } else {
                            resumeProblem = "\(self.path) was replaced while stopped and the file the checkpoint read is gone: the new file is read from its start"
                        }
                    }
                    if let from = rotatedFrom {
                        // Files rotated away between the last look and this open, oldest first:
                        // complete (their writer moved on), and older than what the name holds now.
                        rotatedFrom = nil
                        var first = true
                        // A name can move on to another file between the look and the open: the
                        // file opened is checked, and on a mismatch the directory looked at again.
                        rescan: for _ in 0..<8 {
                            let found = Self.rotatedSince(path: path, held: from.identity, heldMtime: from.mtime, current: identity, skip: finished)
                            if found.missed && first { sink.update { $0.missedRotations += 1 } }
                            first = false
                            for file in found.files {
                                let rfd = open(file.path, O_RDONLY | O_CLOEXEC)
                                var info = stat()
                                guard rfd >= 0, fstat(rfd, &info) == 0,
                                      Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) == file.identity else {
                                    if rfd >= 0 { close(rfd) }
                                    continue rescan
                                }
                                sourceName = file.path
                                lineNumber = 0
                                drain(rfd)
                                assembler.finish(emit)
                                batcher.flush()
                                close(rfd)
                                finished.append(file.identity)
                            }
                            break
                        }
                        sourceName = path
                        lineNumber = 0
                        if finished.count > 256 { finished.removeFirst(finished.count - 256) }
                    }
                    sink.update { $0.connected = true; $0.error = resumeProblem }
                } else {
                    if fd >= 0 { close(fd); fd = -1 }
                    sink.update {
                        $0.connected = false
                        // A missing file is normal (not yet created, mid-rotation): DISCONNECTED says it.
                        $0.error = code == ENOENT ? nil
                            : code == ENODEV ? "cannot follow \(self.path): not a file or a pipe"
                            : "cannot open \(self.path): \(InputError.reason(code))"
                    }
                    // Not there from the start: anything rotated away before the name is seen
                    // again was written while waiting, and is read first.
                    if opened == 0 && rotatedFrom == nil {
                        var now = timespec()
                        clock_gettime(CLOCK_REALTIME, &now)
                        rotatedFrom = (Identity(device: 0, inode: 0), Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 - 0.05)
                    }
                    watcher.wait(microseconds: interval)
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
                    // Rotated: finish the old file (lines written before the rename); the files
                    // rotated away since are read when the name's new file is opened.
                    drain()
                    assembler.finish(emit)
                    batcher.flush()
                    var held = stat()
                    let heldMtime = fstat(fd, &held) == 0 ? Self.mtime(held) : 0
                    close(fd)
                    fd = -1
                    finished.append(identity)
                    rotatedFrom = (identity, heldMtime)
                    continue
                }
                var mine = stat()
                if fstat(fd, &mine) == 0 && Int64(mine.st_size) < offset {
                    // Truncated: read again from the start.
                    restartFile()
                    continue
                }
                sink.update { $0.connected = true; $0.error = nil }
            } else {
                var mine = stat()
                if fstat(fd, &mine) == 0 && mine.st_nlink == 0 {
                    // Deleted, not renamed: nothing more will be written to it. Finished and
                    // let go (its disk space is freed), and DISCONNECTED until the name is back.
                    drain()
                    assembler.finish(emit)
                    batcher.flush()
                    close(fd)
                    fd = -1
                    finished.append(identity)
                    sink.update { $0.connected = false }
                    continue
                }
                // Renamed away and no new file yet: keep reading the old one meanwhile.
            }
            // Until the directory changes (a write, a rename, a new file), or the interval passes.
            watcher.wait(microseconds: interval)
        }
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The file `identity` among those rotated away from `path`, opened (and checked to be it).
    static func rotatedFile(path: String, identity: FileIdentity) -> (path: String, fd: Int32, mtime: Double)? {
        let dir = directory(of: path)
        let base = path.split(separator: "/").last.map(String.init) ?? path
        guard let handle = opendir(dir) else { return nil }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name.hasPrefix(base + "."), UInt64(entry.pointee.d_ino) == identity.inode else { continue }
            let full = dir == "." && !path.hasPrefix("./") ? name : dir + "/" + name
            let fd = open(full, O_RDONLY | O_CLOEXEC)
            var info = stat()
            if fd >= 0, fstat(fd, &info) == 0, FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) == identity {
                return (full, fd, mtime(info))
            }
            if fd >= 0 { close(fd) }
        }
        return nil
    }

    static func mtime(_ info: stat) -> Double { Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9 }

    /// Files rotated away from `path` after the one held (`NAME.1`, `NAME.2`, `NAME.2026-…`: its
    /// name and a dot, not compressed), not yet read, oldest first. `missed`: the held file is no
    /// longer beside them, so rotations may have deleted files in between before they were seen.
    static func rotatedSince(path: String, held: FileIdentity, heldMtime: Double, current: FileIdentity,
                             skip: [FileIdentity]) -> (files: [(path: String, identity: FileIdentity)], missed: Bool) {
        let dir = directory(of: path)
        let base = path.split(separator: "/").last.map(String.init) ?? path
        guard let handle = opendir(dir) else { return ([], false) }
        defer { closedir(handle) }
        var found: [(path: String, identity: FileIdentity, mtime: Double, number: Int)] = []
        var heldStillThere = false
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name.hasPrefix(base + "."), name.count > base.count + 1 else { continue }
            let suffix = name.dropFirst(base.count + 1)
            if ["gz", "bz2", "xz", "zst", "lz4", "zip"].contains(where: { suffix.hasSuffix($0) }) { continue }
            let full = dir == "." && !path.hasPrefix("./") ? name : dir + "/" + name
            var info = stat()
            guard stat(full, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
            if identity == held { heldStillThere = true; continue }
            guard identity != current, !skip.contains(identity), mtime(info) >= heldMtime else { continue }
            found.append((full, identity, mtime(info), Int(suffix) ?? 0))
        }
        // Oldest first: by last write, and for the same instant the higher number (older in a NAME.N chain).
        found.sort { $0.mtime != $1.mtime ? $0.mtime < $1.mtime : $0.number > $1.number }
        let heldIsAFile = held != FileIdentity(device: 0, inode: 0)
        return (found.map { ($0.path, $0.identity) }, heldIsAFile && !heldStillThere && !found.isEmpty)
    }
}

/// Wakes a follower as soon as its directory changes (inotify on Linux), instead of at the next
/// poll: a file rotated several times a second is seen at each rotation. Where inotify is not
/// available it sleeps the interval.
final class DirectoryWatcher {
    private var fd: Int32 = -1

    init(directory: String) {
        #if os(Linux)
        let f = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if f >= 0 {
            let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB)
            if inotify_add_watch(f, directory, mask) >= 0 { fd = f } else { close(f) }
        }
        #endif
    }

    deinit { if fd >= 0 { close(fd) } }

    func wait(microseconds: useconds_t) {
        guard fd >= 0 else { usleep(microseconds); return }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        if poll(&p, 1, Int32(microseconds / 1000)) > 0 {
            // The events themselves do not matter: the follower looks at the file again.
            var scratch = [UInt8](repeating: 0, count: 4096)
            while scratch.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 {}
        }
    }
}
