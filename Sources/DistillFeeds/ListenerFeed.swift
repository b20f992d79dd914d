#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DistillCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

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
    /// At `maxConnections`, a new connection takes the slot of the one that has delivered nothing
    /// (no record for NDJSON, no whole request for HTTP) for longest, if for this long: neither
    /// idle connections nor ones trickling a byte a second can lock senders out.
    public var evictIdleAfterSeconds = 2.0
    /// An NDJSON (TCP or Unix) connection silent this long is closed; shippers reconnect.
    public var lineIdleSeconds = 900.0
    /// HTTP: the Prometheus text exposition served on `GET /metrics`, when there is one.
    public var metrics: (@Sendable () -> [UInt8])?
    /// When the listener stops, requests still arriving this long after are dropped (counted):
    /// a sender that trickles its body must not hold the stop up.
    public var stopGraceSeconds = 5.0
    /// HTTP: a request is answered once its records are stored, as the consumer confirms
    /// (`ExchangeFeed.confirmTaken`), not once they are queued: `publish` answers after the
    /// bus has acknowledged them, so a 200 survives the publisher's crash.
    public var answerOnceStored = false
    /// HTTP: false for a listener that only answers `/metrics` and `/healthz` (`--metrics`).
    public var acceptsRecords = true
    /// HTTP: when set, a POST must carry `Authorization: Bearer TOKEN`; others get 401 and are
    /// counted as dropped.
    public var bearerToken: String?

    public init() {}
}

/// A listening socket and its clients on SwiftNIO: NDJSON lines for `tcp://` and `unix:`,
/// HTTP/1.1 requests (NIO's parser) for `http://`. Each listener has one event-loop thread;
/// its connections share a `ListenerCore` that batches decoded records into a bounded queue.
/// While that queue is full the listener stops reading every socket, so clients are slowed by
/// TCP's own flow control rather than losing data. An HTTP request is answered only once its
/// records are queued.
public final class ListenerFeed: ExchangeFeed, @unchecked Sendable {
    /// The address actually bound (the real port when 0 was asked for).
    public let address: ListenAddress
    private let group: MultiThreadedEventLoopGroup
    private let serverChannel: Channel
    private let core: ListenerCore
    private let sink: FeedSink
    /// The socket file made for a Unix listener, to remove at the end only if it is still ours.
    private let boundInode: UInt64?

    /// Binds and listens at once, so a busy port fails before any work starts; connections are
    /// accepted from `start()`. `ledger`: the counts and duplicate window to go on from (a
    /// checkpoint's), else empty.
    public init(address: ListenAddress, format: RecordFormat = .auto, limits: ListenerLimits = .init(),
                ledger: InputLedger = InputLedger()) throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let sink = FeedSink(connected: false)
        let core = ListenerCore(eventLoop: group.next(), sink: sink, kind: address.kind, localName: address.description,
                                adapter: RecordAdapter(format: format, maxLineBytes: limits.maxLineBytes),
                                limits: limits, ledger: ledger)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.autoRead, value: false)
            // An HTTP client that half-closes after its request (`nc -N`, socat) still reads
            // the answer: the record handler closes the connection once that answer is written.
            .childChannelOption(.allowRemoteHalfClosure, value: address.kind == .http)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try core.adopt(channel) }
            }
        let channel: Channel
        do {
            switch address.kind {
            case .unix:
                try Self.clearStaleSocket(address, group: group)
                channel = try bootstrap.bind(unixDomainSocketPath: address.host).wait()
            case .tcp, .http:
                let host = address.host == "localhost" || address.host.isEmpty ? "127.0.0.1" : address.host
                let socketAddress: SocketAddress
                do { socketAddress = try SocketAddress(ipAddress: host, port: Int(address.port)) } catch {
                    throw ListenerError(address, "'\(host)' is not an IPv4 or IPv6 address")
                }
                channel = try bootstrap.bind(to: socketAddress).wait()
            }
        } catch {
            try? group.syncShutdownGracefully()
            throw error as? ListenerError ?? ListenerError(address, Self.describe(error))
        }
        var bound = address
        if address.kind != .unix, let port = channel.localAddress?.port { bound.port = UInt16(port) }
        var info = stat()
        boundInode = address.kind == .unix && lstat(address.host, &info) == 0 ? UInt64(info.st_ino) : nil
        self.address = bound
        self.group = group
        self.sink = sink
        self.core = core
        serverChannel = channel
        core.startTimers()
    }

    public func start() {
        serverChannel.setOption(ChannelOptions.autoRead, value: true).whenFailure { [sink] error in
            sink.update { $0.error = "cannot accept connections: \(error)" }
        }
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
    /// Waits for the listener to have stopped, so that what it flushed is queued on return.
    public func stopTaking() {
        try? core.eventLoop.submit { [core, serverChannel] in
            serverChannel.close(promise: nil)
            core.stopTaking()
        }.wait()
    }
    public var inHand: Int { (try? core.eventLoop.submit { [core] in core.inHand }.wait()) ?? 0 }
    public func confirmTaken() { sink.confirmTaken() }
    public var state: FeedState {
        var s = sink.state
        s.droppedByListener = [address.description: s.dropped]
        return s
    }

    /// A stale socket file from an earlier run is replaced; a live one (something accepts on
    /// it) or anything that is not a socket is left alone.
    private static func clearStaleSocket(_ address: ListenAddress, group: EventLoopGroup) throws {
        var info = stat()
        guard lstat(address.host, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else { throw ListenerError(address, "\(address.host) exists and is not a socket") }
        if let probe = try? ClientBootstrap(group: group).connect(unixDomainSocketPath: address.host).wait() {
            try? probe.close().wait()
            throw ListenerError(address, "address in use (another process is listening on \(address.host))")
        }
        unlink(address.host)
    }

    /// "address in use" rather than the name of the system call that failed.
    private static func describe(_ error: Error) -> String {
        if let io = error as? IOError { return InputError.reason(io.errnoCode) }
        return "\(error)"
    }
}

public struct ListenerError: Error, CustomStringConvertible {
    public var description: String
    init(_ address: ListenAddress, _ reason: String) { description = "cannot listen on \(address): \(reason)" }
}

/// One client connection as the listener sees it: when it last sent anything, whether it is
/// part-way through a request or line (which is lost, and counted, if it is closed now).
final class ConnectionEntry {
    let channel: Channel
    var lastActive: Double
    /// When it last delivered something: an accepted record (NDJSON) or a whole request (HTTP);
    /// its opening until then. Bytes that never finish a line or request do not count.
    var lastDelivered: Double
    /// HTTP: when the request now being received began; nil between requests.
    var requestStarted: Double?
    /// NDJSON: a line has begun and not ended.
    var partialLine = false
    /// HTTP: a request is being decoded or its answer waits for its records to be queued; the
    /// idle and request deadlines do not apply meanwhile.
    var busy = false
    /// Closed by the listener (deadline, eviction, refusal): what it held is already counted.
    var closedByListener = false
    var unfinished: Bool { requestStarted != nil || partialLine }

    init(channel: Channel, now: Double) {
        self.channel = channel
        lastActive = now
        lastDelivered = now
    }
}

/// What one listener's connections share, used only on its event loop: the batcher that counts
/// and queues their records, the open connections, and whether reading is paused because the
/// consumer is behind.
final class ListenerCore: @unchecked Sendable {
    let eventLoop: EventLoop
    let sink: FeedSink
    let kind: ListenAddress.Kind
    let localName: String
    let adapter: RecordAdapter
    let limits: ListenerLimits
    var batcher: LiveBatcher
    private(set) var connections: [ObjectIdentifier: ConnectionEntry] = [:]
    /// Body bytes held for unfinished HTTP requests, all connections together.
    var heldBodyBytes = 0
    private(set) var paused = false
    private var afterQueued: [() -> Void] = []
    /// Actions waiting for the consumer to confirm the batches up to a number as stored.
    private var afterStored: [(batches: Int, action: () -> Void)] = []
    private var storedBatches = 0
    private var whenFlowing: [() -> Void] = []
    private var flushScheduled = false
    private var everConnected = false
    /// False once the listener is stopping: requests in hand are finished, new ones refused.
    private(set) var taking = true

    init(eventLoop: EventLoop, sink: FeedSink, kind: ListenAddress.Kind, localName: String, adapter: RecordAdapter,
         limits: ListenerLimits, ledger: InputLedger) {
        self.eventLoop = eventLoop
        self.sink = sink
        self.kind = kind
        self.localName = localName
        self.adapter = adapter
        self.limits = limits
        batcher = LiveBatcher(sink: sink)
        batcher.ledger = ledger
        batcher.flushesWhenFull = false
        if limits.answerOnceStored {
            sink.onConfirm = { [self] taken in eventLoop.execute { self.stored(through: taken) } }
        }
    }

    /// Seconds on the monotonic clock.
    static func now() -> Double { SystemClock().nowMs() / 1000 }

    /// Counters and marks reach the consumer even when nobody sends; deadlines are enforced.
    func startTimers() {
        eventLoop.execute { [self] in
            _ = eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(100), delay: .milliseconds(100)) { [self] _ in
                enforceDeadlines()
                flush()
            }
        }
    }

    // MARK: Connections

    /// Sets up a new connection's pipeline, or refuses it when the listener is full.
    func adopt(_ channel: Channel) throws {
        let now = Self.now()
        if connections.count >= limits.maxConnections {
            // Full: the connection that has delivered nothing for longest gives its slot up, if
            // for a while. One whose request is being answered is delivering.
            if let idlest = connections.values.filter({ !$0.busy }).min(by: { $0.lastDelivered < $1.lastDelivered }),
               now - idlest.lastDelivered >= limits.evictIdleAfterSeconds {
                close(idlest)
                sink.update { $0.evicted += 1 }
            }
        }
        if connections.count >= limits.maxConnections {
            // A flood: refuse (an HTTP client is told so), count it, keep serving the others.
            sink.update { $0.dropped += 1 }
            try channel.pipeline.syncOperations.addHandler(RefusingHandler(http: kind == .http))
            return
        }
        let entry = ConnectionEntry(channel: channel, now: now)
        connections[ObjectIdentifier(channel)] = entry
        if paused { channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in } }
        let peer = Self.describe(channel.remoteAddress) ?? localName
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(ActivityHandler(core: self, entry: entry))
        switch kind {
        case .http:
            var decoderLimits = NIOHTTPDecoderLimitConfiguration()
            decoderLimits.maxHeaderFieldSize = limits.maxHeadBytes
            decoderLimits.maxHeaderListSize = limits.maxHeadBytes
            decoderLimits.maxHeaderFieldCount = 256
            try pipeline.configureHTTPServerPipeline(withErrorHandling: false, withEncoderConfiguration: .init(),
                                                     withDecoderLimitConfiguration: decoderLimits)
            try pipeline.addHandler(HTTPRecordHandler(core: self, entry: entry, peer: peer))
        case .tcp, .unix:
            try pipeline.addHandler(LineRecordHandler(core: self, entry: entry, peer: peer))
        }
        connectedChanged()
    }

    /// Stops taking input: line streams are closed (a line cut short is counted), as are HTTP
    /// connections between requests; a request being received or decoded is finished and
    /// answered, and its connection closed after the answer. One still arriving after
    /// `stopGraceSeconds` is dropped.
    func stopTaking() {
        taking = false
        for entry in connections.values where kind != .http || (!entry.busy && entry.requestStarted == nil) {
            close(entry)
        }
        eventLoop.scheduleTask(in: .milliseconds(Int64(limits.stopGraceSeconds * 1000))) { [self] in
            for entry in connections.values where !entry.busy { close(entry) }
        }
        // Records already read from the closed streams go to the consumer now, not at the next tick.
        flush()
    }

    /// HTTP requests being received, decoded or waiting for their records to be queued.
    var inHand: Int {
        kind == .http ? connections.values.filter { $0.busy || $0.requestStarted != nil }.count : 0
    }

    /// The connection has closed, whoever closed it.
    func forget(_ entry: ConnectionEntry) {
        guard connections.removeValue(forKey: ObjectIdentifier(entry.channel)) != nil else { return }
        connectedChanged()
    }

    /// Closes a connection for the listener's own reasons; what it held unfinished is lost and counted.
    func close(_ entry: ConnectionEntry) {
        if !entry.closedByListener && entry.unfinished { sink.update { $0.dropped += 1 } }
        entry.closedByListener = true
        entry.requestStarted = nil
        entry.partialLine = false
        forget(entry)
        entry.channel.close(promise: nil)
    }

    private func connectedChanged() {
        let open = !connections.isEmpty
        if open || everConnected {
            everConnected = true
            sink.update { $0.connected = open }
        }
    }

    /// An HTTP client that sends nothing for a while, or takes too long over one request, gives
    /// its slot back (a slow-loris cannot hold every connection). NDJSON streams may be quiet
    /// for long: they stay for `lineIdleSeconds`.
    private func enforceDeadlines() {
        let now = Self.now()
        for entry in connections.values where !entry.busy {
            let expired = kind == .http
                ? now - entry.lastActive > limits.httpIdleSeconds
                    || entry.requestStarted.map { now - $0 > limits.httpRequestSeconds } ?? false
                : now - entry.lastActive > limits.lineIdleSeconds
            if expired { close(entry) }
        }
    }

    // MARK: Handing records over

    /// Hands what is collected to the consumer a batch at a time. While its queue is full,
    /// every connection stops reading until there is room again.
    func flush() {
        flushScheduled = false
        guard !paused else { return }
        repeat {
            let count = min(batcher.batch.count, LiveBatcher.batchSize)
            let last = count == batcher.batch.count
            // The ledger (and an asked-for mark) goes only with the batch that empties the
            // collection, so a mark never counts records the consumer has not been given. A
            // socket cannot be read again: a mark carries the ledger and no position.
            let part = last ? batcher.batch : Array(batcher.batch[..<count])
            guard sink.tryPush(part, ledger: batcher.ledger, position: last ? { [] } : nil) else {
                pause()
                return
            }
            batcher.batch.removeFirst(count)
        } while !batcher.batch.isEmpty
        let done = afterQueued
        afterQueued = []
        for action in done { action() }
    }

    /// A flush after the connections now readable have had their turn (one batch, not one per read).
    func flushSoon() {
        if batcher.batch.count >= LiveBatcher.batchSize * 4 { flush(); return }
        guard !flushScheduled else { return }
        flushScheduled = true
        eventLoop.execute { [self] in if flushScheduled { flush() } }
    }

    /// Runs `action` once every record collected so far is in the consumer's queue.
    func whenQueued(_ action: @escaping () -> Void) {
        afterQueued.append(action)
        flush()
    }

    /// Runs `action` once every record collected so far is stored, as the consumer confirms;
    /// without `answerOnceStored`, once they are queued.
    func whenStored(_ action: @escaping () -> Void) {
        guard limits.answerOnceStored else { return whenQueued(action) }
        whenQueued { [self] in
            let needed = sink.queuedSoFar
            if storedBatches >= needed { action() } else { afterStored.append((needed, action)) }
        }
    }

    private func stored(through batches: Int) {
        storedBatches = max(storedBatches, batches)
        let due = afterStored.filter { $0.batches <= storedBatches }
        afterStored.removeAll { $0.batches <= storedBatches }
        for item in due { item.action() }
    }

    /// Runs `action` now, or once reading resumes (decoding more would only grow the backlog).
    func whenReading(_ action: @escaping () -> Void) {
        if paused { whenFlowing.append(action) } else { action() }
    }

    private func pause() {
        guard !paused else { return }
        paused = true
        for entry in connections.values {
            entry.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        }
        retry()
    }

    private func retry() {
        eventLoop.scheduleTask(in: .milliseconds(2)) { [self] in
            paused = false
            flush()
            if paused { return }  // still full: flush paused again and scheduled the next try
            for entry in connections.values {
                entry.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            }
            // The connections that were kept waiting are read before decoding resumes; a body
            // going on at once would fill the queue again and keep them waiting.
            let waiting = whenFlowing
            whenFlowing = []
            guard !waiting.isEmpty else { return }
            let actions = NIOLoopBound(waiting, eventLoop: eventLoop)
            eventLoop.scheduleTask(in: HTTPRecordHandler.pauseBetweenSlices) { [self] in
                for action in actions.value { whenReading(action) }
            }
        }
    }

    /// `HOST:PORT` of a peer; nil for a Unix socket client (which has no address).
    static func describe(_ address: SocketAddress?) -> String? {
        guard let address, let ip = address.ipAddress, let port = address.port else { return nil }
        if case .v6 = address { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }
}

/// First in every connection's pipeline: notes when bytes arrive, for the deadlines and for
/// telling a connection in the middle of a request from an idle one.
final class ActivityHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let core: ListenerCore
    let entry: ConnectionEntry

    init(core: ListenerCore, entry: ConnectionEntry) {
        self.core = core
        self.entry = entry
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        entry.lastActive = ListenerCore.now()
        if core.kind == .http && entry.requestStarted == nil { entry.requestStarted = entry.lastActive }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        context.fireChannelInactive()
        core.forget(entry)
    }
}

/// A connection over the limit: told so (HTTP gets 503) and closed.
final class RefusingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let http: Bool
    init(http: Bool) { self.http = http }

    func channelActive(context: ChannelHandlerContext) {
        guard http else { context.close(promise: nil); return }
        let text = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

/// NDJSON over a stream socket: every line is a record (or, with `--format auto`, whatever
/// the line turns out to be). Lines are framed here rather than by a generic decoder because
/// an over-long line must be skipped to its newline, not buffered.
final class LineRecordHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let core: ListenerCore
    let entry: ConnectionEntry
    let peer: String
    private var assembler: LineAssembler
    private var lineNumber = 0

    init(core: ListenerCore, entry: ConnectionEntry, peer: String) {
        self.core = core
        self.entry = entry
        self.peer = peer
        assembler = LineAssembler(maxLineBytes: core.limits.maxLineBytes)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let collected = core.batcher.batch.count
        buffer.withUnsafeReadableBytes { bytes in assembler.feed(bytes) { handle($0) } }
        entry.partialLine = assembler.hasPartialLine
        if core.batcher.batch.count > collected { entry.lastDelivered = entry.lastActive }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        core.flushSoon()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The peer is done: a last line without its newline is still a line. A connection the
        // listener closed has had its partial line counted as lost.
        if !entry.closedByListener {
            assembler.finish { handle($0) }
            entry.partialLine = false
        }
        core.flushSoon()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func handle(_ piece: LineAssembler.Piece) {
        lineNumber += 1
        core.batcher.take(piece, adapter: core.adapter, limit: core.limits.maxLineBytes, source: peer, line: lineNumber)
    }
}
