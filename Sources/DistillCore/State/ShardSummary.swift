/// What a shard worker hands the coordinator for one partition: each input message it read,
/// decoded and analysed, by the message's sequence number in the input stream, and how far
/// the partition is known to be complete.
///
/// The coordinator merges the partitions back into input order by those sequence numbers, so
/// its ledger and detector see exactly what one process reading the input would. A message
/// can arrive twice (a worker died after publishing and before acknowledging); the sequence
/// number tells the coordinator it has it already.
///
/// A record travels with only what the coordinator reads. Its prompt is clipped: the worker
/// has analysed it already, and the detector then needs only its length (carried with the
/// features) and the start it labels template families with. Fields nothing on the coordinator
/// reads are left out (`carriedFields`). The whole record stays in the input stream and in the
/// worker's drill-down detail, so a long prompt no longer costs its bytes again in the summary
/// stream and in the coordinator's decoding.
public struct ShardSummary: Sendable, Equatable {
    public enum Item: Sendable, Equatable {
        case exchange(Exchange)
        case rejected(Rejection, source: String, line: Int)
        case blank
        /// The publisher marked the end of its input on this partition.
        case end
    }

    public struct Entry: Sendable, Equatable {
        /// The input message's sequence number in the input stream.
        public var sequence: UInt64
        public var item: Item
        public init(sequence: UInt64, item: Item) { self.sequence = sequence; self.item = item }
    }

    /// Who sent it (host and process), for the status of workers.
    public var worker: String
    public var partition: Int
    public var partitions: Int
    /// Every input message of this partition numbered up to this has been summarised
    /// (here or earlier); 0 when the worker cannot yet say.
    public var completeThrough: UInt64
    public var entries: [Entry]

    public init(worker: String, partition: Int, partitions: Int, completeThrough: UInt64, entries: [Entry] = []) {
        self.worker = worker; self.partition = partition; self.partitions = partitions
        self.completeThrough = completeThrough; self.entries = entries
    }

    /// The text fields the coordinator's ledger and detector read. The others (the API key, the
    /// country, the user agent, the prompt's own fingerprint) stay in the input stream and the
    /// worker's drill-down detail; a test checks the detector's report does not change without them.
    static let carriedFields = ExchangeText.Field.allCases.filter { ![.apiKeyID, .country, .userAgent, .promptFP].contains($0) }

    static let magic: UInt32 = 0x3253_5744  // "DWS2"
    /// Summaries of workers from before prompts were clipped: no prompt length, whole prompts.
    static let unclippedMagic: UInt32 = 0x3153_5744  // "DWS1"

    public func encoded() -> [UInt8] {
        var w = StateWriter(reservingCapacity: 256 + entries.count * 512)
        w.write(Self.magic)
        w.write(worker)
        w.write(partition)
        w.write(partitions)
        w.write(completeThrough)
        w.write(entries.count)
        for e in entries {
            w.write(e.sequence)
            switch e.item {
            case .exchange(let x): w.write(UInt8(0)); Self.write(x, to: &w)
            case .rejected(let r, let source, let line):
                w.write(UInt8(1)); w.write(r.code.rawValue); w.write(r.field ?? ""); w.write(r.field != nil)
                w.write(r.message); w.write(source); w.write(line)
            case .blank: w.write(UInt8(2))
            case .end: w.write(UInt8(3))
            }
        }
        return w.takeBytes()
    }

    /// Reads a summary; anything malformed is refused with the reason (the bus is input too).
    public init(decoding bytes: [UInt8]) throws(StateError) {
        var r = StateReader(bytes)
        let magic = try r.uint32()
        guard magic == Self.magic || magic == Self.unclippedMagic else { throw .notAStateFile }
        let clipped = magic == Self.magic
        worker = try r.string()
        partition = try r.int()
        partitions = try r.int()
        try r.check(partitions >= 1 && partitions <= 65_536 && partition >= 0 && partition < partitions, "partition \(partition) of \(partitions)")
        completeThrough = try r.uint64()
        let n = try r.count(minimumSize: 9)
        entries = []
        entries.reserveCapacity(n)
        for _ in 0..<n {
            let sequence = try r.uint64()
            let item: Item
            switch try r.uint8() {
            case 0: item = .exchange(try Self.readExchange(&r, clipped: clipped))
            case 1:
                let codeText = try r.string()
                guard let code = Rejection.Code(rawValue: codeText) else { throw .corrupt("rejection code \(codeText)") }
                let field = try r.string()
                let hasField = try r.bool()
                let message = try r.string()
                let source = try r.string()
                let line = try r.int()
                item = .rejected(Rejection(code, field: hasField ? field : nil, message: message), source: source, line: line)
            case 2: item = .blank
            case 3: item = .end
            case let k: throw .corrupt("summary item kind \(k)")
            }
            entries.append(Entry(sequence: sequence, item: item))
        }
        try r.check(r.remaining == 0, "\(r.remaining) bytes after the last entry")
    }

    private static func write(_ x: Exchange, to w: inout StateWriter) {
        w.write(x.ts)
        w.write(x.asn); w.write(x.inputTokens); w.write(x.outputTokens); w.write(x.reasoningTokens)
        w.write(x.latencyMs != nil)
        if let l = x.latencyMs { w.write(l) }
        w.write(x.status == .success)
        w.write(x.httpStatus)
        var x = x
        x.analysePrompt()
        let a = x.analysed.words
        w.write(a.exact); w.write(a.prefix); w.write(a.suffix); w.write(a.cues); w.write(a.flags)
        w.write(x.analysed.promptBytes)
        var present: UInt32 = 0
        for f in carriedFields where x.text.contains(f) { present |= 1 << UInt32(f.rawValue) }
        w.write(present)
        for f in carriedFields {
            _ = x.text.withBytes(f) { bytes in
                let kept = f == .promptText ? EvidenceStore.excerptSource(bytes) : bytes.count
                w.write(bytes: UnsafeRawBufferPointer(rebasing: bytes[..<kept]))
            }
        }
    }

    private static func readExchange(_ r: inout StateReader, clipped: Bool) throws(StateError) -> Exchange {
        let ts = try r.int64()
        let asn = try r.optionalInt64(), input = try r.optionalInt64(), output = try r.optionalInt64()
        let reasoning = try r.optionalInt64()
        let latency: Double? = try r.bool() ? try r.double() : nil
        let success = try r.bool()
        let http = try r.optionalInt64()
        let words = (exact: try r.uint64(), prefix: try r.uint64(), suffix: try r.uint64(), cues: try r.uint8(), flags: try r.uint8())
        let promptBytes: UInt32? = clipped ? try r.uint32() : nil
        let present = try r.uint32()
        try r.check(present >> UInt32(ExchangeText.fieldCount) == 0, "field presence \(present)")
        try r.check(present & 1 != 0, "an exchange without an account")
        var fields: [ArraySlice<UInt8>?] = Array(repeating: nil, count: ExchangeText.fieldCount)
        var total = 0
        for k in 0..<ExchangeText.fieldCount where present & (1 << UInt32(k)) != 0 {
            let field = try r.raw(try r.count())
            // Text reaches reports and the screen: it must be what a decoder would have let through.
            let valid = field.withUnsafeBytes { b in b.baseAddress.map { UTF8Check.firstInvalid($0, b.count) == nil } ?? true }
            try r.check(valid, "text that is not UTF-8")
            fields[k] = field
            total += field.count
        }
        let text = ExchangeText(payloadCapacity: total) { writer in
            for (k, field) in fields.enumerated() {
                field?.withUnsafeBytes { writer.append(k, $0) }
            }
        }
        var x = Exchange(ts: ts, text: text)
        x.asn = asn; x.inputTokens = input; x.outputTokens = output; x.reasoningTokens = reasoning
        x.latencyMs = latency; x.status = success ? .success : .failure; x.httpStatus = http
        let carried = UInt32(clamping: fields[ExchangeText.Field.promptText.rawValue]?.count ?? 0)
        if let promptBytes {
            // A clipped prompt is shorter than its length says, never longer.
            try r.check(promptBytes >= carried && (carried == 0) == (promptBytes == 0), "a prompt of \(promptBytes) bytes carried as \(carried)")
        }
        x.analysed = AnalysedPrompt(words: words, promptBytes: promptBytes ?? carried)
        return x
    }
}
