#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DistillCore
import Foundation

/// Limits that keep a listener's memory bounded whatever its peers send.
public struct ListenerLimits: Sendable {
    /// Connections open at once; more are refused (closed at once, counted as dropped).
    public var maxConnections = 128
    /// Longest NDJSON line; longer ones are skipped to their newline and rejected.
    public var maxLineBytes = ExchangeDecoder.defaultMaxLineBytes
    /// Largest HTTP request body (after gzip inflation too); larger requests get 413.
    public var maxBodyBytes = 32 << 20
    /// Bytes held for unfinished requests across all HTTP connections; a request that would go
    /// over gets 503 and its connection is closed.
    public var maxBufferedBytes = 256 << 20
    /// Largest HTTP request head (request line and headers); larger gets 431.
    public var maxHeadBytes = 16 << 10
    /// An HTTP connection silent this long is closed (an unfinished request on it counts as dropped).
    public var httpIdleSeconds = 60.0
    /// An HTTP request not complete this long after its first byte is dropped and its connection
    /// closed, however it trickles: a byte a minute must not hold a slot for days.
    public var httpRequestSeconds = 120.0
    /// At `maxConnections`, a new connection takes the slot of the one silent longest, if that
    /// one has been silent this long: idle connections cannot lock senders out.
    public var evictIdleAfterSeconds = 2.0
    /// An NDJSON (TCP or Unix) connection silent this long is closed; shippers reconnect.
    public var lineIdleSeconds = 900.0
    /// HTTP: the Prometheus text exposition served on `GET /metrics`, when there is one.
    public var metrics: (@Sendable () -> [UInt8])?
    /// HTTP: false for a listener that only answers `/metrics` and `/healthz` (`--metrics`).
    public var acceptsRecords = true
    /// HTTP: when set, a POST must carry `Authorization: Bearer TOKEN`; others get 401 and are
    /// counted as dropped.
    public var bearerToken: String?

    public init() {}
}

/// A listening socket and its clients, served by one thread with `poll(2)`: NDJSON lines for
/// `tcp://` and `unix:`, HTTP requests for `http://`. Decoded batches go through a bounded
/// queue; while it is full the thread stops reading every socket, so clients are slowed by
/// TCP's own flow control rather than losing data. An HTTP request is answered only once its
/// records are queued.
///
/// Plain POSIX sockets rather than swift-nio: one thread and one `poll` set do it, back-pressure
/// is simply not reading, and the build stays free of a large dependency.
public final class SocketListenerFeed: ExchangeFeed, @unchecked Sendable {
    /// The address actually bound (the real port when 0 was asked for).
    public let address: ListenAddress
    private let listenFD: Int32
    private let adapter: RecordAdapter
    private let limits: ListenerLimits
    private let sink: FeedSink
    private let startingLedger: InputLedger
    /// The socket file made for a Unix listener, to remove at the end only if it is still ours.
    private let boundInode: UInt64?

    /// Binds and listens at once, so a busy port fails before any work starts. `ledger`: the
    /// counts and duplicate window to go on from (a checkpoint's), else empty.
    public init(address: ListenAddress, format: RecordFormat = .auto, limits: ListenerLimits = .init(),
                ledger: InputLedger = InputLedger()) throws {
        self.limits = limits
        startingLedger = ledger
        adapter = RecordAdapter(format: format, maxLineBytes: limits.maxLineBytes)
        let (fd, bound) = try Socket.listen(address)
        listenFD = fd
        var info = stat()
        boundInode = address.kind == .unix && lstat(address.host, &info) == 0 ? UInt64(info.st_ino) : nil
        self.address = bound
        sink = FeedSink(connected: false)
        sink.update { $0.error = nil }
    }

    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "distillwatch-listen"
        thread.start()
    }

    public func poll() -> [Exchange]? { sink.poll() }
    /// A Unix socket's file is removed (if it is still the one bound here), so the next run
    /// finds no stale file and a client gets "connection refused", not a dead end.
    public func stop() {
        guard address.kind == .unix else { return }
        var now = stat()
        if let boundInode, lstat(address.host, &now) == 0, (now.st_mode & S_IFMT) == S_IFSOCK, UInt64(now.st_ino) == boundInode {
            unlink(address.host)
        }
    }
    public func requestMark() { sink.requestMark() }
    public func pollMarked() -> (batch: [Exchange], mark: FeedMark?)? { sink.pollMarked() }
    public var state: FeedState {
        var s = sink.state
        s.droppedByListener = [address.description: s.dropped]
        return s
    }

    // MARK: The loop

    final class Connection {
        let fd: Int32
        let peer: String
        let handler: any ConnectionHandler
        var output: [UInt8] = []
        /// Monotonic seconds of the last bytes received (HTTP clients idle too long are closed).
        var lastActive = Socket.now()
        /// When the request now being received began (nil between requests).
        var requestStarted: Double?
        var closeAfterOutput = false
        var open = true
        init(fd: Int32, peer: String, handler: any ConnectionHandler) { self.fd = fd; self.peer = peer; self.handler = handler }
    }

    private func run() {
        var batcher = LiveBatcher(sink: sink)
        batcher.ledger = startingLedger
        var conns: [Connection] = []
        var fds: [pollfd] = []
        let chunk = 1 << 16
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var everConnected = false

        while true {
            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0))
            for c in conns {
                // While a reply is waiting to go out, the connection is not read (one request at a time).
                // Nor while it is still decoding a body: it has a request in hand.
                let events = !c.output.isEmpty ? Int16(POLLOUT) : c.handler.busy ? 0 : Int16(POLLIN)
                fds.append(pollfd(fd: c.fd, events: events, revents: 0))
            }
            // A body half decoded: look at the sockets and come straight back to it.
            let busy = conns.contains { $0.open && $0.handler.busy }
            let ready = Glibc_poll(&fds, nfds_t(fds.count), busy ? 0 : 250)
            if ready < 0 && errno != EINTR { usleep(10_000) }

            // fds[i + 1] belongs to conns[i]; connections accepted below join the next round.
            for (i, c) in conns.enumerated() where i + 1 < fds.count {
                let revents = fds[i + 1].revents
                guard revents != 0, c.open else { continue }
                if revents & Int16(POLLOUT) != 0 { writeOutput(c); continue }
                if revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                    let n = recv(c.fd, buffer, chunk, 0)
                    if n > 0 {
                        c.lastActive = Socket.now()
                        var reply = Reply()
                        c.handler.received(UnsafeRawBufferPointer(start: buffer, count: n), batcher: &batcher, reply: &reply)
                        apply(reply, to: c)
                        if c.handler.heldBytes == 0 { c.requestStarted = nil } else if c.requestStarted == nil { c.requestStarted = c.lastActive }
                    } else if n == 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
                        c.handler.ended(batcher: &batcher)
                        c.open = false
                    }
                }
            }

            if fds[0].revents & Int16(POLLIN) != 0 { acceptAll(&conns) }

            // An HTTP client that sends nothing for a while, or takes too long over one request,
            // gives its slot back (a slow-loris cannot hold every connection). NDJSON streams may
            // be quiet for long: they stay, within --max-connections.
            if address.kind == .http {
                let now = Socket.now()
                for c in conns where c.open && !c.handler.busy && (now - c.lastActive > limits.httpIdleSeconds
                                                || c.requestStarted.map({ now - $0 > limits.httpRequestSeconds }) ?? false) {
                    if c.handler.heldBytes > 0 { sink.update { $0.dropped += 1 } }
                    c.open = false
                }
            } else {
                let now = Socket.now()
                for c in conns where c.open && now - c.lastActive > limits.lineIdleSeconds {
                    if c.handler.heldBytes > 0 { sink.update { $0.dropped += 1 } }
                    c.open = false
                }
            }

            // Bound the memory held for unfinished HTTP requests across all connections.
            var held = conns.reduce(0) { $0 + ($1.open ? $1.handler.heldBytes : 0) }
            if held > limits.maxBufferedBytes {
                for c in conns.sorted(by: { $0.handler.heldBytes > $1.handler.heldBytes }) where held > limits.maxBufferedBytes && c.open {
                    held -= c.handler.heldBytes
                    var reply = Reply()
                    c.handler.refuse(status: 503, reason: "receiver is holding too much unfinished data; retry", reply: &reply)
                    apply(reply, to: c)
                }
            }

            for c in conns where c.open && c.handler.busy {
                // The next slice of a body being decoded; its answer goes out below, once all
                // of it is queued.
                var reply = Reply()
                c.handler.resume(batcher: &batcher, reply: &reply)
                apply(reply, to: c)
                c.lastActive = Socket.now()
            }
            // Queue what was decoded (waits while the consumer is behind), then answer. A socket
            // cannot be read again, so a mark here carries the ledger and no position: what
            // senders had in flight at a restart is theirs to send again.
            batcher.flush(position: { [] })
            for c in conns where c.open && !c.output.isEmpty { writeOutput(c) }
            for c in conns where c.open && !c.handler.busy && c.output.isEmpty && !c.closeAfterOutput {
                // A request already buffered behind the one just answered.
                var reply = Reply()
                c.handler.resume(batcher: &batcher, reply: &reply)
                apply(reply, to: c)
            }

            let before = conns.count
            conns.removeAll { c in
                if c.open { return false }
                close(c.fd)
                return true
            }
            if conns.count != before || (!conns.isEmpty && !everConnected) {
                everConnected = everConnected || !conns.isEmpty
                let open = conns.count
                sink.update { $0.connected = open > 0 }
            }
        }
    }

    private func apply(_ reply: Reply, to c: Connection) {
        if reply.dropped > 0 { sink.update { $0.dropped += reply.dropped } }
        c.output += reply.bytes
        if reply.close { c.closeAfterOutput = true }
        if c.closeAfterOutput && c.output.isEmpty { c.open = false }
    }

    private func writeOutput(_ c: Connection) {
        while !c.output.isEmpty {
            let n = c.output.withUnsafeBytes { send(c.fd, $0.baseAddress, $0.count, Socket.noSignal) }
            if n > 0 { c.output.removeFirst(n); continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            c.output.removeAll()
            c.open = false
            return
        }
        if c.closeAfterOutput { c.open = false }
    }

    private func acceptAll(_ conns: inout [Connection]) {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listenFD, $0, &length) }
            }
            if fd < 0 {
                if errno == EINTR { continue }
                if errno == EMFILE || errno == ENFILE { sink.update { $0.error = "out of file descriptors" } }
                return
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            Socket.noSigPipe(fd)
            let peer = Socket.describe(&storage, kind: address.kind, local: address)
            var live = conns.reduce(0) { $0 + ($1.open ? 1 : 0) }
            if live >= limits.maxConnections {
                // Full: the connection silent longest gives its slot up, if it has been silent a while.
                let now = Socket.now()
                if let idlest = conns.filter({ $0.open }).min(by: { $0.lastActive < $1.lastActive }),
                   now - idlest.lastActive >= limits.evictIdleAfterSeconds {
                    if idlest.handler.heldBytes > 0 { sink.update { $0.dropped += 1 } }
                    idlest.open = false
                    sink.update { $0.evicted += 1 }
                    live -= 1
                }
            }
            if live >= limits.maxConnections {
                // A flood: refuse (an HTTP client is told so), count it, keep serving the others.
                if address.kind == .http {
                    let text = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
                    _ = text.withCString { send(fd, $0, strlen($0), Socket.noSignal) }
                }
                close(fd)
                sink.update { $0.dropped += 1 }
                continue
            }
            let handler: any ConnectionHandler = address.kind == .http
                ? HTTPConnection(peer: peer, adapter: adapter, limits: limits)
                : LineConnection(peer: peer, adapter: adapter, maxLineBytes: limits.maxLineBytes)
            conns.append(Connection(fd: fd, peer: peer, handler: handler))
        }
    }
}

/// What a connection handler wants done after it has read: bytes to send, close, counts.
struct Reply {
    var bytes: [UInt8] = []
    var close = false
    var dropped = 0
}

protocol ConnectionHandler: AnyObject {
    /// Bytes held for an unfinished line or request.
    var heldBytes: Int { get }
    func received(_ bytes: UnsafeRawBufferPointer, batcher: inout LiveBatcher, reply: inout Reply)
    /// The peer closed its side.
    func ended(batcher: inout LiveBatcher)
    /// The previous reply has gone out: go on with bytes already buffered.
    func resume(batcher: inout LiveBatcher, reply: inout Reply)
    /// Refuse the request in progress and close.
    func refuse(status: Int, reason: String, reply: inout Reply)
    /// Work is left that `resume` goes on with (a body decoded a slice per turn); the
    /// connection is not read meanwhile.
    var busy: Bool { get }
}

extension ConnectionHandler {
    var busy: Bool { false }
}

/// NDJSON over a stream socket: every line is a record (or, with `--format auto`, whatever
/// the line turns out to be).
final class LineConnection: ConnectionHandler {
    let peer: String
    let adapter: RecordAdapter
    let maxLineBytes: Int
    var assembler: LineAssembler
    var lineNumber = 0

    init(peer: String, adapter: RecordAdapter, maxLineBytes: Int) {
        self.peer = peer
        self.adapter = adapter
        self.maxLineBytes = maxLineBytes
        assembler = LineAssembler(maxLineBytes: maxLineBytes)
    }

    var heldBytes: Int { 0 }  // at most one line (bounded by maxLineBytes) per connection

    func received(_ bytes: UnsafeRawBufferPointer, batcher: inout LiveBatcher, reply: inout Reply) {
        assembler.feed(bytes) { handle($0, &batcher) }
    }

    func ended(batcher: inout LiveBatcher) {
        assembler.finish { handle($0, &batcher) }
    }

    func resume(batcher: inout LiveBatcher, reply: inout Reply) {}
    func refuse(status: Int, reason: String, reply: inout Reply) { reply.close = true; reply.dropped += 1 }

    private func handle(_ piece: LineAssembler.Piece, _ batcher: inout LiveBatcher) {
        lineNumber += 1
        batcher.take(piece, adapter: adapter, limit: maxLineBytes, source: peer, line: lineNumber)
    }
}

// `poll` is also the name of the feed's method.
#if canImport(Glibc)
private let Glibc_poll = Glibc.poll
#elseif canImport(Darwin)
private let Glibc_poll = Darwin.poll
#endif

/// Socket plumbing shared by the listeners.
enum Socket {
    #if os(Linux)
    static let streamType = Int32(SOCK_STREAM.rawValue)
    static let noSignal = Int32(MSG_NOSIGNAL)
    static func noSigPipe(_ fd: Int32) {}
    #else
    static let streamType = SOCK_STREAM
    static let noSignal: Int32 = 0
    static func noSigPipe(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
    }
    #endif

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func listen(_ address: ListenAddress) throws -> (Int32, ListenAddress) {
        switch address.kind {
        case .unix: return try listenUnix(address)
        case .tcp, .http: return try listenInet(address)
        }
    }

    private static func listenInet(_ address: ListenAddress) throws -> (Int32, ListenAddress) {
        let host = address.host == "localhost" ? "127.0.0.1" : address.host
        var storage = sockaddr_storage()
        let family: Int32
        let size: Int
        if host.contains(":") {
            family = AF_INET6
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = address.port.bigEndian
            guard inet_pton(AF_INET6, host, &a.sin6_addr) == 1 else { throw Failure(description: "cannot listen on \(address): '\(host)' is not an IPv6 address") }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: a, as: sockaddr_in6.self) }
            size = MemoryLayout<sockaddr_in6>.size
        } else {
            family = AF_INET
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = address.port.bigEndian
            guard inet_pton(AF_INET, host, &a.sin_addr) == 1 else { throw Failure(description: "cannot listen on \(address): '\(host)' is not an IPv4 address") }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: a, as: sockaddr_in.self) }
            size = MemoryLayout<sockaddr_in>.size
        }
        let fd = socket(family, streamType, 0)
        guard fd >= 0 else { throw Failure(description: "cannot listen on \(address): \(InputError.reason(errno))") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(size)) }
        }
        guard bound == 0, Glibc_listen(fd, 512) == 0 else {
            let code = errno
            close(fd)
            throw Failure(description: "cannot listen on \(address): \(InputError.reason(code))")
        }
        finishListener(fd)
        var actual = address
        var got = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &got) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        if family == AF_INET {
            actual.port = UInt16(bigEndian: withUnsafeBytes(of: &got) { $0.load(as: sockaddr_in.self).sin_port })
        } else {
            actual.port = UInt16(bigEndian: withUnsafeBytes(of: &got) { $0.load(as: sockaddr_in6.self).sin6_port })
        }
        return (fd, actual)
    }

    private static func listenUnix(_ address: ListenAddress) throws -> (Int32, ListenAddress) {
        let path = address.host
        var info = stat()
        if lstat(path, &info) == 0 {
            // A stale socket from an earlier run is replaced; a live one (something accepts on
            // it) or anything else is left alone.
            guard (info.st_mode & S_IFMT) == S_IFSOCK else { throw Failure(description: "cannot listen on \(address): \(path) exists and is not a socket") }
            if isListening(path) { throw Failure(description: "cannot listen on \(address): address in use (another process is listening on \(path))") }
            unlink(path)
        }
        let fd = socket(AF_UNIX, streamType, 0)
        guard fd >= 0 else { throw Failure(description: "cannot listen on \(address): \(InputError.reason(errno))") }
        var a = sockaddr_un()
        a.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &a.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, Glibc_listen(fd, 512) == 0 else {
            let code = errno
            close(fd)
            throw Failure(description: "cannot listen on \(address): \(InputError.reason(code))")
        }
        finishListener(fd)
        return (fd, address)
    }

    /// Whether a process accepts connections on the Unix socket at `path` now.
    static func isListening(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, streamType, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var a = sockaddr_un()
        a.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &a.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return result == 0 || errno == EAGAIN
    }

    private static func finishListener(_ fd: Int32) {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// `HOST:PORT` of a peer, or `unix:PATH` for a Unix socket client (which has no address).
    static func describe(_ storage: inout sockaddr_storage, kind: ListenAddress.Kind, local: ListenAddress) -> String {
        var text = [CChar](repeating: 0, count: 64)
        switch Int32(storage.ss_family) {
        case AF_INET:
            var a = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self) }
            inet_ntop(AF_INET, &a.sin_addr, &text, 64)
            return "\(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)):\(UInt16(bigEndian: a.sin_port))"
        case AF_INET6:
            var a = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) }
            inet_ntop(AF_INET6, &a.sin6_addr, &text, 64)
            return "[\(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))]:\(UInt16(bigEndian: a.sin6_port))"
        default:
            return local.description
        }
    }
}

#if canImport(Glibc)
private let Glibc_listen = Glibc.listen
#elseif canImport(Darwin)
private let Glibc_listen = Darwin.listen
#endif
