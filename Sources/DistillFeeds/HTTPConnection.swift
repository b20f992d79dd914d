import CZlib
import DistillCore
import Foundation

/// One HTTP/1.1 client of the receiver. Accepts `POST` of NDJSON or a JSON array on any path
/// (LiteLLM's `generic_api` callback, `ndjson`, `json_array` and `single` formats) and
/// OTLP/HTTP on `/v1/logs` and `/v1/traces`, JSON or protobuf. Bodies come with `Content-Length` or chunked,
/// optionally gzip-encoded (the OpenTelemetry Collector's default). Keep-alive is honoured;
/// requests on one connection are handled one at a time.
///
/// Refused and counted as dropped: a head over `maxHeadBytes` (431), a body over
/// `maxBodyBytes` (413, before it is read), an unknown content encoding (415). `GET /` answers 200 for health checks.
final class HTTPConnection: ConnectionHandler {
    let peer: String
    let adapter: RecordAdapter
    let limits: ListenerLimits

    private enum Phase { case head, body(Int), chunkSize, chunkData(Int), trailers, decoding, closed }
    private var phase = Phase.head
    private var buffer: [UInt8] = []
    /// Bytes of `buffer` already handled; dropped from it once per `process`, not per chunk
    /// (a body of many tiny chunks must not cost a copy each).
    private var cursor = 0
    private var pending: Int { buffer.count - cursor }
    private var body: [UInt8] = []
    private var method = ""
    private var path = ""
    private var headers: [String: String] = [:]
    private var requests = 0
    /// A body being decoded a slice per turn of the loop, so other clients are answered in
    /// between (a body of millions of tiny records takes seconds).
    private var decoding: PendingBody?

    struct PendingBody {
        var data: [UInt8]
        var state: BodyDecoding
        let source: String
        let otlp: Bool
        let close: Bool
        var records = 0
        var rejected = 0
        var malformed = false
        /// Rejections because the text is not JSON records at all (not JSON, not an object).
        var unreadable = 0
    }

    /// How much one turn decodes: a few milliseconds of canonical records or of tiny hostile
    /// ones, about a tenth of a second of LiteLLM payloads (each is parsed as JSON twice).
    static let sliceBytes = 256 << 10
    static let sliceRecords = 8_192

    init(peer: String, adapter: RecordAdapter, limits: ListenerLimits) {
        self.peer = peer
        self.adapter = adapter
        self.limits = limits
    }

    var heldBytes: Int { pending + body.count + (decoding?.data.count ?? 0) }
    var busy: Bool { decoding != nil }

    func received(_ bytes: UnsafeRawBufferPointer, batcher: inout LiveBatcher, reply: inout Reply) {
        if case .closed = phase { return }
        buffer.append(contentsOf: bytes)
        process(&batcher, &reply)
    }

    func ended(batcher: inout LiveBatcher) {
        // A request cut off part-way is lost with its connection: count it.
        if case .head = phase, buffer.isEmpty { return }
        if case .closed = phase { return }
        batcher.sink.update { $0.dropped += 1 }
    }

    func resume(batcher: inout LiveBatcher, reply: inout Reply) {
        if decoding != nil {
            continueDecoding(&batcher, &reply)
            if decoding != nil { return }
        }
        if case .head = phase, !buffer.isEmpty { process(&batcher, &reply) }
    }

    func refuse(status: Int, reason: String, reply: inout Reply) {
        respond(status, text: reason, close: true, &reply)
        reply.dropped += 1
        buffer = []; body = []; cursor = 0
        decoding = nil
        phase = .closed
    }

    /// Works through the buffered bytes until a request is answered or more bytes are needed.
    private func process(_ batcher: inout LiveBatcher, _ reply: inout Reply) {
        defer {
            if cursor > 0 && cursor <= buffer.count { buffer.removeFirst(cursor) }
            cursor = 0
        }
        while true {
            switch phase {
            case .closed, .decoding:
                return
            case .head:
                guard let end = headEnd() else {
                    if pending > limits.maxHeadBytes { refuse(status: 431, reason: "request head over \(limits.maxHeadBytes) bytes", reply: &reply) }
                    return
                }
                guard end <= limits.maxHeadBytes, parseHead(buffer[cursor..<(cursor + end)]) else {
                    refuse(status: end > limits.maxHeadBytes ? 431 : 400, reason: "malformed or oversized request head", reply: &reply)
                    return
                }
                cursor += end + 4
                guard begin(&reply) else { return }
            case .body(let length):
                guard pending >= length else { return }
                if cursor == 0 && buffer.count == length {
                    // The buffer holds exactly the body: hand it over rather than copy it.
                    swap(&body, &buffer)
                    buffer = []
                } else {
                    body = Array(buffer[cursor..<(cursor + length)])
                    cursor += length
                }
                complete(&batcher, &reply)
                return
            case .chunkSize:
                guard let lineEnd = crlf() else {
                    if pending > 1024 { refuse(status: 400, reason: "bad chunk size line", reply: &reply) }
                    return
                }
                let text = String(decoding: buffer[cursor..<(cursor + lineEnd)], as: UTF8.self)
                let hex = text.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                guard let size = Int(hex, radix: 16), size >= 0 else { refuse(status: 400, reason: "bad chunk size", reply: &reply); return }
                cursor += lineEnd + 2
                if size == 0 { phase = .trailers; continue }
                guard size <= limits.maxBodyBytes - body.count else { tooLarge(&reply); return }  // no overflow on a huge size
                phase = .chunkData(size)
            case .chunkData(let size):
                guard pending >= size + 2 else { return }
                body += buffer[cursor..<(cursor + size)]
                cursor += size + 2
                phase = .chunkSize
            case .trailers:
                guard let lineEnd = crlf() else {
                    if pending > limits.maxHeadBytes { refuse(status: 431, reason: "trailers too long", reply: &reply) }
                    return
                }
                cursor += lineEnd + 2
                if lineEnd == 0 { complete(&batcher, &reply); return }
            }
        }
    }

    /// Decides what to do with a parsed head; false when the request was answered already.
    private func begin(_ reply: inout Reply) -> Bool {
        requests += 1
        body = []
        if method == "GET" || method == "HEAD" {
            if path == "/metrics", let metrics = limits.metrics {
                respond(200, text: String(decoding: metrics(), as: UTF8.self), type: "text/plain; version=0.0.4; charset=utf-8", close: false, &reply)
            } else if path == "/healthz" {
                respond(200, text: "ok\n", close: false, &reply)
            } else if path == "/" || path == "/health" {
                respond(200, text: "distillwatch receiver\n", close: false, &reply)
            } else {
                respond(404, text: limits.acceptsRecords ? "POST records here\n" : "GET /metrics or /healthz\n", close: false, &reply)
            }
            phase = .head
            return false
        }
        guard (method == "POST" || method == "PUT") && limits.acceptsRecords else {
            respond(405, text: "use POST\n", close: true, &reply)
            phase = .closed
            return false
        }
        if let token = limits.bearerToken, !Self.sameSecret(headers["authorization"] ?? "", "Bearer " + token) {
            refuse(status: 401, reason: "missing or wrong bearer token", reply: &reply)
            return false
        }
        let chunked = headers["transfer-encoding"]?.lowercased().contains("chunked") ?? false
        let length: Int
        if chunked {
            length = 0
        } else if let text = headers["content-length"] {
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n >= 0 else {
                refuse(status: 400, reason: "bad Content-Length", reply: &reply)
                return false
            }
            length = n
        } else {
            length = 0
        }
        if length > limits.maxBodyBytes { tooLarge(&reply); return false }
        if headers["expect"]?.lowercased() == "100-continue" {
            reply.bytes += Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
        }
        phase = chunked ? .chunkSize : .body(length)
        if !chunked && length > pending {
            // Room for the whole body at once, at the buffer's start: no regrowth copies while
            // it arrives, and none when it is handed over.
            buffer.removeFirst(cursor)
            cursor = 0
            buffer.reserveCapacity(length)
        }
        return true
    }

    /// Compares in time that depends only on the lengths, so a client cannot find the token a
    /// byte at a time by timing answers.
    static func sameSecret(_ given: String, _ expected: String) -> Bool {
        let a = Array(given.utf8), b = Array(expected.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<b.count { difference |= (i < a.count ? a[i] : 0) ^ b[i] }
        return difference == 0
    }

    private func tooLarge(_ reply: inout Reply) {
        refuse(status: 413, reason: "request body over the limit of \(limits.maxBodyBytes) bytes", reply: &reply)
    }

    /// A whole request is in: decode it, and answer (the reply goes out after the records are queued).
    private func complete(_ batcher: inout LiveBatcher, _ reply: inout Reply) {
        defer {
            body = []
            switch phase {
            case .closed, .decoding: break
            default: phase = .head
            }
        }
        let encoding = headers["content-encoding"]?.lowercased().trimmingCharacters(in: .whitespaces) ?? "identity"
        let type = headers["content-type"]?.lowercased() ?? ""
        let otlp = path == "/v1/logs" || path == "/v1/traces"
        let signal: OTLPProtobuf.Signal = path == "/v1/traces" ? .traces : .logs
        let protobuf = otlp && type.contains("protobuf")
        var data = body
        switch encoding {
        case "identity", "":
            break
        case "gzip", "x-gzip", "deflate":
            guard let inflated = Self.inflate(body, limit: limits.maxBodyBytes) else {
                refuse(status: 413, reason: "compressed body is damaged or inflates over \(limits.maxBodyBytes) bytes", reply: &reply)
                return
            }
            data = inflated
        default:
            refuse(status: 415, reason: "unsupported Content-Encoding \(encoding)", reply: &reply)
            return
        }
        let source = "\(peer) \(method) \(path) #\(requests)"
        let close = headers["connection"]?.lowercased() == "close"
        if protobuf {
            var rejected = 0
            guard let request = OTLPProtobuf.request(data, signal: signal) else {
                // Not retryable, like malformed JSON; the one lost request is counted.
                batcher.add(.rejected(Rejection(.invalidProtobuf, message: "OTLP request body is not a valid protobuf export request")), source: source, line: 1)
                respond(400, body: OTLPProtobuf.errorStatus("request body is not a valid OTLP protobuf export request"), type: OTLPProtobuf.contentType, close: close, &reply)
                if close { phase = .closed }
                return
            }
            var record = 0
            adapter.decodeOTLPRequest(request) { outcome in
                record += 1
                if case .rejected = outcome { rejected += 1 }
                batcher.add(outcome, source: source, line: record)
            }
            let answer = OTLPProtobuf.reply(signal: signal, rejected: rejected, message: rejected > 0 ? Self.rejectedMessage : "")
            respond(200, body: answer, type: OTLPProtobuf.contentType, close: close, &reply)
            if close { phase = .closed }
            return
        }
        let state = data.withUnsafeBytes { BodyDecoding($0, otlpPath: otlp, adapter: adapter) }
        decoding = PendingBody(data: data, state: state, source: source, otlp: otlp, close: close)
        phase = .decoding
        continueDecoding(&batcher, &reply)
    }

    /// Decodes the next slice of the pending body; answers once the whole body is decoded.
    private func continueDecoding(_ batcher: inout LiveBatcher, _ reply: inout Reply) {
        guard var pending = decoding else { return }
        // The closure works on plain locals: were it to capture `pending`, the body's bytes
        // could be copied on every slice.
        var state = pending.state
        var (records, rejected, malformed, unreadable) = (pending.records, pending.rejected, pending.malformed, pending.unreadable)
        let source = pending.source
        let done = pending.data.withUnsafeBytes { raw in
            state.step(raw, adapter: adapter, bytes: Self.sliceBytes, records: Self.sliceRecords) { outcome in
                records += 1
                if case .rejected(let r) = outcome {
                    rejected += 1
                    if records == 1 && r.code == .invalidJSON { malformed = true }
                    if r.code == .invalidJSON || r.code == .notAnObject || r.code == .invalidUTF8 { unreadable += 1 }
                }
                batcher.add(outcome, source: source, line: records)
            }
        }
        (pending.state, pending.records, pending.rejected, pending.malformed, pending.unreadable) = (state, records, rejected, malformed, unreadable)
        guard done else { decoding = pending; return }
        decoding = nil
        phase = pending.close ? .closed : .head
        let (close, otlp, record) = (pending.close, pending.otlp, pending.records)
        if otlp && malformed && record == 1 {
            // Not retryable: OTLP/HTTP answers a malformed request with 400.
            respond(400, text: "{\"code\":3,\"message\":\"request body is not valid OTLP/JSON\"}", type: "application/json", close: close, &reply)
        } else if otlp {
            // An OTLP partial-success answer says how many records were refused, in the field
            // of the signal that was sent (spans for traces, log records for logs).
            let field = path == "/v1/traces" ? "rejectedSpans" : "rejectedLogRecords"
            let text = rejected > 0
                ? "{\"partialSuccess\":{\"\(field)\":\"\(rejected)\",\"errorMessage\":\"\(Self.rejectedMessage)\"}}"
                : "{}"
            respond(200, text: text, type: "application/json", close: close, &reply)
        } else {
            // A body with no record in it at all (not JSON lines, not objects) is the sender's
            // error: 400, so it is not mistaken for delivered. Anything else is answered 200 with
            // the counts, the rejected records counted by reason.
            let status = record > 0 && unreadable == record ? 400 : 200
            respond(status, text: "{\"accepted\":\(record - rejected),\"rejected\":\(rejected)}\n", type: "application/json", close: close, &reply)
        }
    }

    private func respond(_ status: Int, text: String, type: String = "text/plain; charset=utf-8", close: Bool, _ reply: inout Reply) {
        respond(status, body: Array(text.utf8), type: type, close: close, &reply)
    }

    private func respond(_ status: Int, body: [UInt8], type: String, close: Bool, _ reply: inout Reply) {
        let reason = Self.reasons[status] ?? "Status"
        var head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\n"
        if close { head += "Connection: close\r\n" }
        if status == 503 { head += "Retry-After: 1\r\n" }
        head += "\r\n"
        reply.bytes += Array(head.utf8) + body
        if close { reply.close = true }
    }

    static let rejectedMessage = "records rejected: no timestamp or account, or a field of the wrong type"

    static let reasons = [200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large",
                          415: "Unsupported Media Type", 431: "Request Header Fields Too Large", 503: "Service Unavailable"]

    // MARK: Parsing

    /// Offset from `cursor` of the blank line ending the head.
    private func headEnd() -> Int? {
        guard pending >= 4 else { return nil }
        let from = cursor
        return buffer.withUnsafeBytes { raw -> Int? in
            var i = from
            while i + 3 < raw.count {
                if raw[i] == 13 && raw[i + 1] == 10 && raw[i + 2] == 13 && raw[i + 3] == 10 { return i - from }
                i += 1
            }
            return nil
        }
    }

    /// Offset from `cursor` of the next CRLF.
    private func crlf() -> Int? {
        var i = cursor
        while i + 1 < buffer.count {
            if buffer[i] == 13 && buffer[i + 1] == 10 { return i - cursor }
            i += 1
        }
        return nil
    }

    private func parseHead(_ bytes: ArraySlice<UInt8>) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)[...]
        guard let requestLine = lines.popFirst() else { return false }
        let parts = requestLine.split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else { return false }
        method = String(parts[0])
        let target = parts[1]
        path = String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        if path.hasPrefix("http://"), let slash = path.dropFirst(7).firstIndex(of: "/") { path = String(path[slash...]) }
        headers = [:]
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return false }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = value
        }
        return true
    }

    /// gzip or zlib data inflated in memory, or nil when damaged or over `limit` bytes.
    static func inflate(_ input: [UInt8], limit: Int) -> [UInt8]? {
        var stream = z_stream()
        guard dw_inflate_init_gzip(&stream) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var input = input
        return input.withUnsafeMutableBytes { inRaw -> [UInt8]? in
            stream.next_in = inRaw.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_in = uInt(inRaw.count)
            while true {
                let status = chunk.withUnsafeMutableBytes { outRaw -> Int32 in
                    stream.next_out = outRaw.baseAddress?.assumingMemoryBound(to: Bytef.self)
                    stream.avail_out = uInt(outRaw.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                if output.count + produced > limit { return nil }
                output += chunk[..<produced]
                if status == Z_STREAM_END { return output }
                if status != Z_OK { return nil }
                if produced == 0 && stream.avail_in == 0 { return nil }  // truncated
            }
        }
    }
}
