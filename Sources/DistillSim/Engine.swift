/// One customer account as it appears in the logs.
final class Account {
    let id: [UInt8]
    let keys: [[UInt8]]
    let org: [UInt8]?
    let payment: [UInt8]?
    let label: String
    var seen = false

    init(id: [UInt8], keys: [[UInt8]], org: [UInt8]?, payment: [UInt8]?, label: String) {
        self.id = id; self.keys = keys; self.org = org; self.payment = payment; self.label = label
    }

    var idString: String { String(decoding: id, as: UTF8.self) }
}

/// Per-request fields an actor decides; the engine adds tokens, status and latency.
struct Exchange {
    var ts: Int64 = 0
    var key = 0
    var endUser: UInt64 = 0
    var session: UInt64 = 0
    var origin = Origin(ip: .v4(0, 0, 0, 0), asn: 0, country: 0)
    var ua: Int32 = 0
    var model: Model = .sonnet4
    var systemFp: UInt64 = 0
    var toolsFp: UInt64 = 0
}

/// How big requests and responses are, and how often the actor is throttled.
struct Usage {
    var outMedian: Double
    var outSigma: Double = 0.7
    var outMax: Double = 16_000
    var thinkP: Double = 0          // share of requests with extended thinking on
    var reasonMedian: Double = 800
    var rateLimitP: Double = 0.0005 // 429 share
    var extraInput = 0              // system prompt, tools, history
    var retryP: Double = 0          // duplicate delivery with the same request_id
}

/// Owns the output buffer and formats exchanges as NDJSON lines.
final class Engine {
    let seed: UInt64
    let start: Int64
    let end: Int64
    let release: Int64
    let grammar: Grammar
    let out = ByteWriter(capacity: (1 << 20) + (256 << 10))
    var prompt: [UInt8] = []
    private(set) var uaText: [String] = []
    private var uaBytes: [[UInt8]] = []
    private var uaIndex: [String: Int32] = [:]
    private var requestCounter: UInt64 = 0
    private let requestSalt: UInt64
    var lines = 0
    var accountsSeen = 0
    var limit = Int.max
    var sink: ((UnsafeRawBufferPointer) -> Void)?
    var bytesOut = 0
    static let chunk = 1 << 20

    init(seed: UInt64, start: Int64, end: Int64, release: Int64, grammar: Grammar) {
        self.seed = seed; self.start = start; self.end = end; self.release = release; self.grammar = grammar
        requestSalt = mix64(seed ^ 0x5EED_0F_4E9E_57)
        prompt.reserveCapacity(32 << 10)
    }

    /// Interns a user agent; the escaped bytes are written as-is.
    func ua(_ s: String) -> Int32 {
        if let i = uaIndex[s] { return i }
        let i = Int32(uaBytes.count)
        uaIndex[s] = i
        uaText.append(s)
        let w = ByteWriter(capacity: 256)
        w.jsonString(s)
        uaBytes.append(Array(UnsafeBufferPointer(start: w.base, count: w.count)))
        return i
    }

    var done: Bool { lines >= limit }

    func render(_ rule: Int, _ rng: inout Rng) {
        grammar.render(rule, &rng, &prompt)
    }

    func append(_ s: String) { prompt.append(contentsOf: s.utf8) }

    /// Writes one exchange whose prompt is in `prompt`, then clears it.
    func emit(_ x: Exchange, _ a: Account, _ u: Usage, _ rng: inout Rng) {
        if lines >= limit { prompt.removeAll(keepingCapacity: true); return }
        if prompt.count > 24_000 { prompt.removeLast(prompt.count - 24_000) }
        if !a.seen { a.seen = true; accountsSeen += 1 }
        requestCounter &+= 1
        let rid = mix64(requestCounter ^ requestSalt)

        // Outcome.
        var http = 200
        let r = rng.unit()
        let overloadP = (x.ts >= release && x.ts < release + 24 * SimTime.msPerHour) ? 0.012 : 0.0015
        if r < u.rateLimitP { http = 429 }
        else if r < u.rateLimitP + overloadP { http = 529 }
        else if r < u.rateLimitP + overloadP + 0.001 { http = 500 }

        let promptTokens = max(1, prompt.count / 4 + (prompt.count % 4 > 1 ? 1 : 0))
        var input = promptTokens + u.extraInput
        var output = 0
        var reasoning = -1
        var latency: Int
        if http == 200 {
            output = Int(min(u.outMax, max(1, rng.logNormal(median: u.outMedian, sigma: u.outSigma))))
            if x.model.reasons && u.thinkP > 0 && rng.chance(u.thinkP) {
                reasoning = Int(min(32_000, max(16, rng.logNormal(median: u.reasonMedian, sigma: 0.8))))
                output += reasoning
            } else if x.model.reasons {
                reasoning = 0
            }
            let ttft = 250 + Double(input) * 0.015 + rng.exponential(400)
            latency = Int(ttft + Double(output) * x.model.msPerToken * rng.uniform(0.8, 1.35))
        } else if http == 429 {
            input = 0
            latency = rng.int(8, 120)
        } else {
            latency = http == 529 ? rng.int(60, 2500) : rng.int(200, 30_000)
        }
        if reasoning >= 0 && !x.model.reasons { reasoning = -1 }

        let w = out
        w.reserve(prompt.count * 6 + 2048)
        let lineStart = w.count
        w.ascii("{\"ts\":\""); w.timestamp(x.ts)
        w.ascii("\",\"request_id\":\"req_"); w.hex(rid, digits: 16)
        w.ascii("\",\"account_id\":\""); w.bytes(a.id)
        w.ascii("\",\"api_key_id\":\""); w.bytes(a.keys[x.key % a.keys.count]); w.byte(34)
        if let org = a.org { w.ascii(",\"org_id\":\""); w.bytes(org); w.byte(34) }
        if x.endUser != 0 { w.ascii(",\"end_user_id\":\"eu_"); w.hex(x.endUser, digits: 10); w.byte(34) }
        if x.session != 0 { w.ascii(",\"session_id\":\"sess_"); w.hex(x.session, digits: 16); w.byte(34) }
        w.ascii(",\"client_ip\":\""); x.origin.ip.write(w)
        w.ascii("\",\"asn\":"); w.int(x.origin.asn)
        w.ascii(",\"country\":\""); w.byte(UInt8(x.origin.country >> 8)); w.byte(UInt8(x.origin.country & 255))
        w.ascii("\",\"user_agent\":"); w.bytes(uaBytes[Int(x.ua)])
        if let pm = a.payment { w.ascii(",\"payment_fp\":\""); w.bytes(pm); w.byte(34) }
        w.ascii(",\"model\":\""); w.ascii(Engine.modelNames[x.model.rawValue])
        w.ascii("\",\"input_tokens\":"); w.int(input)
        w.ascii(",\"output_tokens\":"); w.int(output)
        if reasoning >= 0 { w.ascii(",\"reasoning_tokens\":"); w.int(reasoning) }
        w.ascii(",\"latency_ms\":"); w.int(latency)
        if http == 200 { w.ascii(",\"status\":\"success\",\"http_status\":200") }
        else { w.ascii(",\"status\":\"failure\",\"http_status\":"); w.int(http) }
        w.ascii(",\"prompt_text\":")
        prompt.withUnsafeBufferPointer { w.jsonString($0) }
        if x.systemFp != 0 { w.ascii(",\"system_fp\":\"sha256:"); w.hex(x.systemFp, digits: 16); w.byte(34) }
        if x.toolsFp != 0 { w.ascii(",\"tools_fp\":\"sha256:"); w.hex(x.toolsFp, digits: 16); w.byte(34) }
        w.ascii("}\n")
        lines += 1
        prompt.removeAll(keepingCapacity: true)

        // A client retry re-delivers the same request a few seconds later.
        if u.retryP > 0 && lines < limit && rng.chance(u.retryP) {
            let len = w.count - lineStart
            w.reserve(len)
            let copy = w.base + w.count
            copy.update(from: w.base + lineStart, count: len)
            SimTime.write(x.ts + Int64(rng.int(1500, 6000)), into: copy + 7)
            w.count += len
            lines += 1
        }
        if w.count >= Engine.chunk { flush() }
    }

    func flush() {
        if out.count == 0 { return }
        bytesOut += out.count
        sink?(UnsafeRawBufferPointer(start: out.base, count: out.count))
        out.removeAll()
    }

    static let modelNames: [StaticString] = ["haiku-4", "sonnet-4", "opus-4", "opus-5"]
}

/// Anything that sends requests: it knows when it next fires.
class SimActor {
    var next: Int64 = .max
    var rng: Rng

    init(rng: Rng) { self.rng = rng }

    /// Emit at `next`, then move `next` on (or to `.max` when finished).
    func fire(_ e: Engine) { next = .max }
}

/// Binary min-heap of actor indices keyed by (next time, index), so ties break deterministically.
struct ActorHeap {
    private var keys: [Int64] = []
    private var ids: [Int32] = []

    var isEmpty: Bool { ids.isEmpty }
    var count: Int { ids.count }

    mutating func push(_ t: Int64, _ id: Int32) {
        keys.append(t); ids.append(id)
        var i = ids.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if less(i, p) { swapAt(i, p); i = p } else { break }
        }
    }

    var top: (Int64, Int32) { (keys[0], ids[0]) }

    /// Replaces the top's key and sifts down (cheaper than pop + push).
    mutating func updateTop(_ t: Int64) {
        keys[0] = t
        siftDown(0)
    }

    mutating func popTop() {
        let last = ids.count - 1
        swapAt(0, last)
        keys.removeLast(); ids.removeLast()
        if !ids.isEmpty { siftDown(0) }
    }

    @inline(__always)
    private func less(_ a: Int, _ b: Int) -> Bool {
        keys[a] < keys[b] || (keys[a] == keys[b] && ids[a] < ids[b])
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        keys.swapAt(a, b); ids.swapAt(a, b)
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        let n = ids.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < n && less(l, m) { m = l }
            if r < n && less(r, m) { m = r }
            if m == i { return }
            swapAt(i, m); i = m
        }
    }
}
