/// Stream time: milliseconds since the Unix epoch, taken from the events' own `ts`.
/// The detector never reads the wall clock.
public typealias StreamTime = Int64

/// One API exchange (request and response), as `exchange-schema.md` defines it.
///
/// The text fields live packed in one buffer (`ExchangeText`), so a decoded exchange costs one
/// allocation instead of one per field, and the detector hashes and scans the bytes in place.
/// The `String` properties below build their value on demand; they are for the console,
/// reports and tests, not the per-exchange path.
public struct Exchange: Sendable, Equatable {
    public enum Status: String, Sendable, Codable { case success, failure }

    public var ts: StreamTime
    public var asn: Int64?
    public var inputTokens: Int64?
    public var outputTokens: Int64?
    public var reasoningTokens: Int64?
    public var latencyMs: Double?
    public var status: Status
    public var httpStatus: Int64?
    var text: ExchangeText
    /// The prompt's features when a decoder thread worked them out already (`analysePrompt`).
    var analysed = AnalysedPrompt()

    public init(
        ts: StreamTime, accountID: String, apiKeyID: String? = nil, requestID: String? = nil,
        orgID: String? = nil, endUserID: String? = nil, sessionID: String? = nil,
        clientIP: String? = nil, asn: Int64? = nil, country: String? = nil, userAgent: String? = nil,
        paymentFP: String? = nil, model: String? = nil, inputTokens: Int64? = nil,
        outputTokens: Int64? = nil, reasoningTokens: Int64? = nil, latencyMs: Double? = nil,
        status: Status = .success, httpStatus: Int64? = nil, promptText: String? = nil,
        promptFP: String? = nil, systemFP: String? = nil, toolsFP: String? = nil
    ) {
        self.ts = ts; self.asn = asn; self.inputTokens = inputTokens; self.outputTokens = outputTokens
        self.reasoningTokens = reasoningTokens; self.latencyMs = latencyMs; self.status = status
        self.httpStatus = httpStatus
        text = ExchangeText(strings: [
            accountID, apiKeyID, requestID, orgID, endUserID, sessionID, clientIP, country,
            userAgent, paymentFP, model, promptText, promptFP, systemFP, toolsFP,
        ])
    }

    init(ts: StreamTime, text: ExchangeText) {
        self.ts = ts; self.text = text; status = .success
    }

    /// `account_id`, or `api_key_id` when the account is absent (the key stands for the account).
    public var accountID: String {
        get { text[.accountID] ?? "" }
        set { text[.accountID] = newValue }
    }
    public var apiKeyID: String? { get { text[.apiKeyID] } set { text[.apiKeyID] = newValue } }
    public var requestID: String? { get { text[.requestID] } set { text[.requestID] = newValue } }
    public var orgID: String? { get { text[.orgID] } set { text[.orgID] = newValue } }
    public var endUserID: String? { get { text[.endUserID] } set { text[.endUserID] = newValue } }
    public var sessionID: String? { get { text[.sessionID] } set { text[.sessionID] = newValue } }
    public var clientIP: String? { get { text[.clientIP] } set { text[.clientIP] = newValue } }
    public var country: String? { get { text[.country] } set { text[.country] = newValue } }
    public var userAgent: String? { get { text[.userAgent] } set { text[.userAgent] = newValue } }
    public var paymentFP: String? { get { text[.paymentFP] } set { text[.paymentFP] = newValue } }
    public var model: String? { get { text[.model] } set { text[.model] = newValue } }
    public var promptText: String? { get { text[.promptText] } set { text[.promptText] = newValue; analysed = AnalysedPrompt() } }
    public var promptFP: String? { get { text[.promptFP] } set { text[.promptFP] = newValue } }
    public var systemFP: String? { get { text[.systemFP] } set { text[.systemFP] = newValue } }
    public var toolsFP: String? { get { text[.toolsFP] } set { text[.toolsFP] = newValue } }
}

extension Exchange {
    /// Works out the prompt's features now, on the thread at hand, so the detector's thread need
    /// not: `scan --threads` calls it on its decoder threads. The features are a pure function of
    /// the prompt's bytes, so where they are made changes nothing else.
    public mutating func analysePrompt() {
        guard !analysed.done else { return }
        let (features, length) = text.withBytes(.promptText) { p in (p.count > 0 ? PromptAnalyzer.analyze(p) : nil, p.count) } ?? (nil, 0)
        analysed = AnalysedPrompt(features, promptBytes: length)
    }

    /// The account's shard among `count`: a hash of the account's bytes that every process
    /// and release computes alike, so a partition always holds the same accounts.
    public func partition(of count: Int) -> Int {
        let h = text.withBytes(.accountID) { StableHash.hash($0, seed: Self.partitionSeed) } ?? 0
        return Int(h % UInt64(max(1, count)))
    }

    /// `partition(of:)` of any exchange of `account`.
    public static func partition(ofAccount account: String, among count: Int) -> Int {
        Int(StableHash.hash(account, seed: partitionSeed) % UInt64(max(1, count)))
    }

    private static let partitionSeed: UInt64 = 0x5348_4152_44
}

/// A prompt's features carried with its exchange, packed (32 bytes). Derived data: two
/// exchanges are equal whether or not either has been analysed.
struct AnalysedPrompt: Sendable, Equatable {
    private var exactHash: UInt64 = 0
    private var prefixFamily: UInt64 = 0
    private var suffixFamily: UInt64 = 0
    private var cues: UInt8 = 0
    /// Bit 0: analysed; 1: has a prompt; 2: a prefix family; 3: a suffix family.
    private var flags: UInt8 = 0
    /// The analysed prompt's length: a record carried between processes keeps only the start
    /// of its prompt (`ShardSummary`), and the detector still needs the whole length.
    private(set) var promptBytes: UInt32 = 0

    init() {}

    init(_ f: PromptFeatures?, promptBytes: Int) {
        flags = 1
        self.promptBytes = UInt32(clamping: promptBytes)
        guard let f else { return }
        flags |= 2
        exactHash = f.exactHash
        cues = f.cues.rawValue
        if let p = f.prefixFamily { prefixFamily = p; flags |= 4 }
        if let q = f.suffixFamily { suffixFamily = q; flags |= 8 }
    }

    var done: Bool { flags & 1 != 0 }

    /// The features, when analysed and there was a prompt.
    var features: PromptFeatures? {
        guard flags & 2 != 0 else { return nil }
        return PromptFeatures(cues: PromptCues(rawValue: cues), prefixFamily: flags & 4 != 0 ? prefixFamily : nil,
                              suffixFamily: flags & 8 != 0 ? suffixFamily : nil, exactHash: exactHash)
    }

    static func == (_: AnalysedPrompt, _: AnalysedPrompt) -> Bool { true }

    /// The packed fields, for carrying an analysed exchange between processes.
    var words: (exact: UInt64, prefix: UInt64, suffix: UInt64, cues: UInt8, flags: UInt8) {
        (exactHash, prefixFamily, suffixFamily, cues, flags)
    }

    init(words: (exact: UInt64, prefix: UInt64, suffix: UInt64, cues: UInt8, flags: UInt8), promptBytes: UInt32) {
        exactHash = words.exact; prefixFamily = words.prefix; suffixFamily = words.suffix
        cues = words.cues; flags = words.flags & 0x0F
        self.promptBytes = promptBytes
    }
}

/// Why a line was not accepted. `key` is what reports count by (`wrong_type:input_tokens`);
/// `message` is what a person reads.
public struct Rejection: Sendable, Equatable, Error {
    public enum Code: String, Sendable {
        case invalidJSON = "invalid_json"
        case notAnObject = "not_an_object"
        case invalidUTF8 = "invalid_utf8"
        case lineTooLong = "line_too_long"
        case missingTimestamp = "missing_ts"
        case badTimestamp = "bad_ts"
        case missingAccount = "missing_account"
        case wrongType = "wrong_type"
        case negativeValue = "negative_value"
        case badValue = "bad_value"
        /// An OTLP/HTTP request sent as protobuf that does not decode as an export request.
        case invalidProtobuf = "invalid_protobuf"
    }

    public var code: Code
    /// The field concerned, for the field-level codes.
    public var field: String?
    public var message: String

    public init(_ code: Code, field: String? = nil, message: String) {
        self.code = code; self.field = field; self.message = message
    }

    public var key: String { field.map { "\(code.rawValue):\($0)" } ?? code.rawValue }

    /// A line of `length` bytes over the `limit`: one wording for every reader and decoder.
    public static func lineTooLong(_ length: Int, limit: Int) -> Rejection {
        Rejection(.lineTooLong, message: "line of \(length) bytes exceeds limit of \(limit) bytes")
    }
}

/// What one input line turned into.
public enum DecodeOutcome: Sendable {
    case exchange(Exchange)
    case rejected(Rejection)
    /// An empty or whitespace-only line: not a record, not an error.
    case blank
}
