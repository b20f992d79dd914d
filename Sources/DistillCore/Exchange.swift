/// Stream time: milliseconds since the Unix epoch, taken from the events' own `ts`.
/// The detector never reads the wall clock.
public typealias StreamTime = Int64

/// One API exchange (request and response), as `exchange-schema.md` defines it.
public struct Exchange: Sendable, Equatable {
    public enum Status: String, Sendable { case success, failure }

    public var ts: StreamTime
    /// `account_id`, or `api_key_id` when the account is absent (the key stands for the account).
    public var accountID: String
    public var apiKeyID: String?
    public var requestID: String?
    public var orgID: String?
    public var endUserID: String?
    public var sessionID: String?
    public var clientIP: String?
    public var asn: Int64?
    public var country: String?
    public var userAgent: String?
    public var paymentFP: String?
    public var model: String?
    public var inputTokens: Int64?
    public var outputTokens: Int64?
    public var reasoningTokens: Int64?
    public var latencyMs: Double?
    public var status: Status
    public var httpStatus: Int64?
    public var promptText: String?
    public var promptFP: String?
    public var systemFP: String?
    public var toolsFP: String?

    public init(
        ts: StreamTime, accountID: String, apiKeyID: String? = nil, requestID: String? = nil,
        orgID: String? = nil, endUserID: String? = nil, sessionID: String? = nil,
        clientIP: String? = nil, asn: Int64? = nil, country: String? = nil, userAgent: String? = nil,
        paymentFP: String? = nil, model: String? = nil, inputTokens: Int64? = nil,
        outputTokens: Int64? = nil, reasoningTokens: Int64? = nil, latencyMs: Double? = nil,
        status: Status = .success, httpStatus: Int64? = nil, promptText: String? = nil,
        promptFP: String? = nil, systemFP: String? = nil, toolsFP: String? = nil
    ) {
        self.ts = ts; self.accountID = accountID; self.apiKeyID = apiKeyID; self.requestID = requestID
        self.orgID = orgID; self.endUserID = endUserID; self.sessionID = sessionID
        self.clientIP = clientIP; self.asn = asn; self.country = country; self.userAgent = userAgent
        self.paymentFP = paymentFP; self.model = model; self.inputTokens = inputTokens
        self.outputTokens = outputTokens; self.reasoningTokens = reasoningTokens
        self.latencyMs = latencyMs; self.status = status; self.httpStatus = httpStatus
        self.promptText = promptText; self.promptFP = promptFP; self.systemFP = systemFP
        self.toolsFP = toolsFP
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
