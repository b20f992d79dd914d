import CZlib
import DistillCore
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP/1.1 client of the receiver, behind NIO's request parser and pipelining handler
/// (which hands over one request at a time and holds the next until this one is answered).
/// Accepts `POST` of NDJSON or a JSON array on any path (LiteLLM's `generic_api` callback,
/// `ndjson`, `json_array` and `single` formats) and OTLP/HTTP on `/v1/logs` and `/v1/traces`,
/// JSON or protobuf, optionally gzip-encoded (the OpenTelemetry Collector's default).
///
/// Refused and counted as dropped: a malformed request (400), a head over `maxHeadBytes` (431),
/// a body over `maxBodyBytes` (413, before it is read when its length is declared), a missing
/// bearer token (401), an unknown content encoding (415), a body that would take the
/// listener's held bytes over `maxBufferedBytes` (503). `GET /` answers 200 for health checks.
final class HTTPRecordHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let core: ListenerCore
    let entry: ConnectionEntry
    let peer: String
    private var limits: ListenerLimits { core.limits }

    private enum Phase { case idle, receiving, refused, decoding }
    private var phase = Phase.idle
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var requests = 0
    /// The client half-closed: it sends nothing more, so the connection closes after the answer
    /// to the request in hand (or at once, with none in hand).
    private var peerDone = false

    /// How much one turn decodes: a millisecond or two of canonical records or of tiny hostile
    /// ones, about 25 ms of LiteLLM payloads (each is parsed as JSON twice).
    static let sliceBytes = 64 << 10
    static let sliceRecords = 8_192

    init(core: ListenerCore, entry: ConnectionEntry, peer: String) {
        self.core = core
        self.entry = entry
        self.peer = peer
    }

    // MARK: Requests

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            begin(head, context)
        case .body(let part):
            guard phase == .receiving else { return }
            let n = part.readableBytes
            if body.count + n > limits.maxBodyBytes { return tooLarge(context) }
            if core.heldBodyBytes + n > limits.maxBufferedBytes {
                return refuse(.serviceUnavailable, "receiver is holding too much unfinished data; retry", context)
            }
            part.withUnsafeReadableBytes { body.append(contentsOf: $0) }
            core.heldBodyBytes += n
        case .end:
            switch phase {
            case .receiving: complete(context)
            case .idle, .refused, .decoding: break
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            peerDone = true
            if phase == .idle && !entry.busy { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A request cut off part-way is lost with its connection: count it. One whose body is
        // in hand is still decoded and ingested; only its answer has nowhere to go.
        if entry.unfinished && !entry.closedByListener && phase != .decoding {
            core.sink.update { $0.dropped += 1 }
        }
        release()
        context.fireChannelInactive()
    }

    /// NIO's parser refuses what is not HTTP/1.1 (conflicting lengths, a length together with
    /// chunking, bad chunk sizes, oversized heads): answered, counted, closed.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let parserError = error as? HTTPParserError else {
            context.close(promise: nil)
            return
        }
        // Refused already, or closed by the listener (a deadline, an eviction), which counted
        // the request it cut short: the parser's complaint about that cut is the same loss.
        if phase == .refused || entry.closedByListener { return }
        let status: HTTPResponseStatus = parserError == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest
        refuse(status, "malformed or oversized request: \(parserError)", context)
    }

    private func begin(_ head: HTTPRequestHead, _ context: ChannelHandlerContext) {
        requests += 1
        self.head = head
        body = []
        let path = Self.path(of: head.uri)
        if head.method == .GET || head.method == .HEAD {
            // A client that asked to close (or spoke HTTP/1.0) is closed after the answer: a
            // health checker that never hangs up would otherwise hold a connection open for ever.
            let close = !head.isKeepAlive
            if path == "/metrics", let metrics = limits.metrics {
                respond(.ok, body: metrics(), type: "text/plain; version=0.0.4; charset=utf-8", close: close, context)
            } else if path == "/healthz" {
                respond(.ok, text: "ok\n", close: close, context)
            } else if path == "/" || path == "/health" {
                respond(.ok, text: "distillwatch receiver\n", close: close, context)
            } else {
                respond(.notFound, text: limits.acceptsRecords ? "POST records here\n" : "GET /metrics or /healthz\n", close: close, context)
            }
            phase = .idle
            return
        }
        guard limits.acceptsRecords else { return refuse(.methodNotAllowed, "this port serves GET /metrics and /healthz only", context) }
        guard core.taking else { return refuse(.serviceUnavailable, "the receiver is shutting down; retry", context) }
        guard head.method == .POST || head.method == .PUT else { return refuse(.methodNotAllowed, "use POST", context) }
        if let token = limits.bearerToken,
           !Self.sameSecret(head.headers.first(name: "authorization") ?? "", "Bearer " + token) {
            return refuse(.unauthorized, "missing or wrong bearer token", context)
        }
        if let declared = head.headers.first(name: "content-length").flatMap({ Int($0) }) {
            guard declared <= limits.maxBodyBytes else { return tooLarge(context) }
            // Room for the whole body at once: no regrowth copies while it arrives.
            body.reserveCapacity(declared)
        }
        if head.headers.first(name: "expect")?.lowercased() == "100-continue" {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        phase = .receiving
    }

    private func tooLarge(_ context: ChannelHandlerContext) {
        refuse(.payloadTooLarge, "request body over the limit of \(limits.maxBodyBytes) bytes", context)
    }

    /// Answers with `status`, counts the request as dropped and closes the connection.
    private func refuse(_ status: HTTPResponseStatus, _ reason: String, _ context: ChannelHandlerContext) {
        core.sink.update { $0.dropped += 1 }
        entry.closedByListener = true
        entry.requestStarted = nil
        phase = .refused
        release()
        respond(status, text: reason + "\n", close: true, context)
    }

    /// A whole request is in: decode it, and answer once its records are queued.
    private func complete(_ context: ChannelHandlerContext) {
        guard let head else { return }
        let path = Self.path(of: head.uri)
        let encoding = head.headers.first(name: "content-encoding")?.lowercased().trimmingCharacters(in: .whitespaces) ?? "identity"
        let type = head.headers.first(name: "content-type")?.lowercased() ?? ""
        let otlp = path == "/v1/logs" || path == "/v1/traces"
        let signal: OTLPProtobuf.Signal = path == "/v1/traces" ? .traces : .logs
        var data = body
        release()
        switch encoding {
        case "identity", "":
            break
        case "gzip", "x-gzip", "deflate":
            switch Self.inflate(data, limit: limits.maxBodyBytes) {
            case .inflated(let inflated): data = inflated
            case .tooLarge: return refuse(.payloadTooLarge, "compressed body inflates over \(limits.maxBodyBytes) bytes", context)
            case .damaged: return refuse(.badRequest, "compressed body is damaged or cut short", context)
            }
        default:
            return refuse(.unsupportedMediaType, "unsupported Content-Encoding \(encoding)", context)
        }
        let source = "\(peer) \(head.method.rawValue) \(path) #\(requests)"
        let close = !head.isKeepAlive
        entry.busy = true
        phase = .decoding
        if otlp && type.contains("protobuf") {
            decodeProtobuf(data, signal: signal, source: source, close: close, context)
            return
        }
        let state = data.withUnsafeBytes { BodyDecoding($0, otlpPath: otlp, adapter: core.adapter) }
        pending = PendingBody(data: data, state: state, source: source, otlp: otlp, signal: signal, close: close)
        data = []
        continueDecoding(context)
    }

    private func decodeProtobuf(_ data: [UInt8], signal: OTLPProtobuf.Signal, source: String, close: Bool,
                                _ context: ChannelHandlerContext) {
        guard let request = OTLPProtobuf.request(data, signal: signal) else {
            // Not retryable, like malformed JSON; the one lost request is counted.
            core.batcher.add(.rejected(Rejection(.invalidProtobuf, message: "OTLP request body is not a valid protobuf export request")),
                             source: source, line: 1)
            answer(.badRequest, body: OTLPProtobuf.errorStatus("request body is not a valid OTLP protobuf export request"),
                   type: OTLPProtobuf.contentType, close: close, context)
            return
        }
        var record = 0, rejected = 0
        core.adapter.decodeOTLPRequest(request) { outcome in
            record += 1
            if case .rejected = outcome { rejected += 1 }
            core.batcher.add(outcome, source: source, line: record)
        }
        let reply = OTLPProtobuf.reply(signal: signal, rejected: rejected, message: rejected > 0 ? Self.rejectedMessage : "")
        answer(.ok, body: reply, type: OTLPProtobuf.contentType, close: close, context)
    }

    /// A body being decoded a slice at a time on the event loop, with a turn for every other
    /// connection between two slices (a body of millions of tiny records takes seconds).
    struct PendingBody {
        var data: [UInt8]
        var state: BodyDecoding
        let source: String
        let otlp: Bool
        let signal: OTLPProtobuf.Signal
        let close: Bool
        /// Lines or elements read, blank ones included (the number each outcome is given).
        var records = 0
        var rejected = 0
        /// Blank lines: neither accepted nor rejected.
        var blank = 0
        var malformed = false
        /// Rejections because the text is not JSON records at all (not JSON, not an object, a
        /// line over the length limit).
        var unreadable = 0
        var done = false

        /// Decodes the next slice, handing each outcome and its record number to `take`.
        mutating func step(adapter: RecordAdapter, _ take: (DecodeOutcome, Int) -> Void) {
            // The closure works on plain locals: were it to capture `self`, the body's bytes
            // could be copied on every slice.
            var state = self.state
            var (records, rejected, blank, malformed, unreadable) = (self.records, self.rejected, self.blank, self.malformed, self.unreadable)
            done = data.withUnsafeBytes { raw in
                state.step(raw, adapter: adapter, bytes: HTTPRecordHandler.sliceBytes, records: HTTPRecordHandler.sliceRecords) { outcome in
                    records += 1
                    switch outcome {
                    case .rejected(let r):
                        rejected += 1
                        if records == 1 && r.code == .invalidJSON { malformed = true }
                        if r.code == .invalidJSON || r.code == .notAnObject || r.code == .invalidUTF8 || r.code == .lineTooLong { unreadable += 1 }
                    case .blank: blank += 1
                    case .exchange: break
                    }
                    take(outcome, records)
                }
            }
            (self.state, self.records, self.rejected, self.blank, self.malformed, self.unreadable) = (state, records, rejected, blank, malformed, unreadable)
        }
    }

    private var pending: PendingBody?

    /// NIO runs every task that is ready before it looks at the sockets again, so a next slice
    /// queued at once would starve them; one due a little later lets the loop poll in between.
    static let pauseBetweenSlices = TimeAmount.microseconds(50)

    private func continueDecoding(_ context: ChannelHandlerContext) {
        guard var body = pending else { return }
        pending = nil
        let core = self.core
        let source = body.source
        body.step(adapter: core.adapter) { outcome, line in core.batcher.add(outcome, source: source, line: line) }
        core.flushSoon()
        guard body.done else {
            pending = body
            let next = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: Self.pauseBetweenSlices) {
                let (handler, context) = next.value
                handler.core.whenReading { handler.continueDecoding(context) }
            }
            return
        }
        finish(body, context)
    }

    private func finish(_ pending: PendingBody, _ context: ChannelHandlerContext) {
        let (malformed, rejected, unreadable) = (pending.malformed, pending.rejected, pending.unreadable)
        let (close, record) = (pending.close, pending.records - pending.blank)
        if pending.otlp && malformed && record == 1 {
            // Not retryable: OTLP/HTTP answers a malformed request with 400.
            answer(.badRequest, text: "{\"code\":3,\"message\":\"request body is not valid OTLP/JSON\"}", type: "application/json", close: close, context)
        } else if pending.otlp {
            // An OTLP partial-success answer says how many records were refused, in the field
            // of the signal that was sent (spans for traces, log records for logs).
            let field = pending.signal == .traces ? "rejectedSpans" : "rejectedLogRecords"
            let text = rejected > 0
                ? "{\"partialSuccess\":{\"\(field)\":\"\(rejected)\",\"errorMessage\":\"\(Self.rejectedMessage)\"}}"
                : "{}"
            answer(.ok, text: text, type: "application/json", close: close, context)
        } else {
            // A body with no record in it at all (not JSON lines, not objects, lines too long)
            // is the sender's error: 400, so it is not mistaken for delivered. Anything else is
            // answered 200 with the counts, the rejected records counted by reason; blank lines
            // are neither.
            let status: HTTPResponseStatus = record > 0 && unreadable == record ? .badRequest : .ok
            answer(status, text: "{\"accepted\":\(record - rejected),\"rejected\":\(rejected)}\n", type: "application/json", close: close, context)
        }
    }

    static let rejectedMessage = "records rejected: no timestamp or account, or a field of the wrong type"

    // MARK: Answers

    /// The answer to a decoded request, sent once its records are in the consumer's queue (or,
    /// with `answerOnceStored`, once the consumer has stored them).
    private func answer(_ status: HTTPResponseStatus, text: String, type: String, close: Bool, _ context: ChannelHandlerContext) {
        answer(status, body: Array(text.utf8), type: type, close: close, context)
    }

    private func answer(_ status: HTTPResponseStatus, body: [UInt8], type: String, close: Bool, _ context: ChannelHandlerContext) {
        core.whenStored { [self] in
            entry.busy = false
            phase = .idle
            guard context.channel.isActive else { return }
            respond(status, body: body, type: type, close: close, context)
        }
    }

    private func respond(_ status: HTTPResponseStatus, text: String, type: String = "text/plain; charset=utf-8",
                         close: Bool, _ context: ChannelHandlerContext) {
        respond(status, body: Array(text.utf8), type: type, close: close, context)
    }

    private func respond(_ status: HTTPResponseStatus, body: [UInt8], type: String, close: Bool, _ context: ChannelHandlerContext) {
        // A stopping listener closes after this answer: a kept-alive client is told, so it does
        // not send its next request down a connection about to close.
        let closing = close || !core.taking
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: String(body.count))
        if closing { headers.add(name: "Connection", value: "close") }
        if status == .serviceUnavailable { headers.add(name: "Retry-After", value: "1") }
        let close = closing || peerDone
        let version = head?.version ?? .http1_1
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        if head?.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        entry.requestStarted = nil
        entry.lastActive = ListenerCore.now()
        entry.lastDelivered = entry.lastActive
        let channel = context.channel
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if close { written.whenComplete { _ in channel.close(promise: nil) } }
    }

    /// Gives the held body bytes back to the listener's budget.
    private func release() {
        core.heldBodyBytes -= body.count
        body = []
    }

    // MARK: Helpers

    /// The path of a request target, without its query; an absolute-form target's path.
    static func path(of uri: String) -> String {
        var path = String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        if path.hasPrefix("http://"), let slash = path.dropFirst(7).firstIndex(of: "/") { path = String(path[slash...]) }
        return path
    }

    /// Compares in time that depends only on the lengths, so a client cannot find the token a
    /// byte at a time by timing answers.
    static func sameSecret(_ given: String, _ expected: String) -> Bool {
        let a = Array(given.utf8), b = Array(expected.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<b.count { difference |= (i < a.count ? a[i] : 0) ^ b[i] }
        return difference == 0
    }

    /// gzip or zlib data inflated in memory, or nil when damaged or over `limit` bytes.
    enum Inflated: Equatable {
        case inflated([UInt8])
        /// Over the body limit once inflated: 413.
        case tooLarge
        /// Not gzip or deflate, or cut short: 400.
        case damaged
    }

    static func inflate(_ input: [UInt8], limit: Int) -> Inflated {
        var stream = z_stream()
        guard dw_inflate_init_gzip(&stream) == Z_OK else { return .damaged }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var input = input
        return input.withUnsafeMutableBytes { inRaw -> Inflated in
            stream.next_in = inRaw.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_in = uInt(inRaw.count)
            while true {
                let status = chunk.withUnsafeMutableBytes { outRaw -> Int32 in
                    stream.next_out = outRaw.baseAddress?.assumingMemoryBound(to: Bytef.self)
                    stream.avail_out = uInt(outRaw.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                if output.count + produced > limit { return .tooLarge }
                output += chunk[..<produced]
                if status == Z_STREAM_END { return .inflated(output) }
                if status != Z_OK { return .damaged }
                if produced == 0 && stream.avail_in == 0 { return .damaged }  // truncated
            }
        }
    }
}
