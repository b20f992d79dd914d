/// The evidence behind a case, as it stood when last seen: enough for another team to act on
/// without a detector running (the command line exports it from the journal alone).
public struct CaseEvidence: Sendable, Equatable, Codable {
    public struct SignalEntry: Sendable, Equatable, Codable {
        public var name: String
        public var weight: Double
        public var detail: String
        public init(name: String, weight: Double, detail: String) { self.name = name; self.weight = weight; self.detail = detail }
    }
    public struct Sample: Sendable, Equatable, Codable {
        public var requestID: String?
        public var account: String
        public var ts: StreamTime
        /// Sanitised (no control characters) and cut to `CaseEvidence.promptLimit` characters.
        public var prompt: String?
        public init(requestID: String?, account: String, ts: StreamTime, prompt: String?) {
            self.requestID = requestID; self.account = account; self.ts = ts; self.prompt = prompt
        }
    }

    public static let promptLimit = 200
    public static let sampleLimit = 8

    /// Stream time of this picture.
    public var asOf: StreamTime?
    public var clusterKey: String?
    public var detectorVerdict: Verdict?
    public var risk: Double?
    public var accounts: [String]
    public var apiKeys: [String] = []
    public var orgs: [String] = []
    public var cards: [String] = []
    public var ipRanges: [String] = []
    public var asns: [String] = []
    public var firstSeen: StreamTime?
    public var lastSeen: StreamTime?
    public var exchanges: Int = 0
    public var inputTokens: Int = 0
    public var outputTokens: Int = 0
    public var reasoningTokens: Int = 0
    public var signals: [SignalEntry] = []
    public var samples: [Sample] = []

    public init(asOf: StreamTime? = nil, clusterKey: String? = nil, detectorVerdict: Verdict? = nil, risk: Double? = nil, accounts: [String]) {
        self.asOf = asOf; self.clusterKey = clusterKey; self.detectorVerdict = detectorVerdict; self.risk = risk; self.accounts = accounts
    }

    /// Evidence for a cluster (or a lone account shown as one), from what the detector and its
    /// inspector still hold. Detail is gathered for at most `detailLimit` members to stay cheap.
    public static func gather(cluster c: ClusterSnapshot?, accounts: [String], asOf: StreamTime?,
                              figures: (String) -> AccountFigures?, detail: (String) -> AccountDetail?,
                              samples: (String) -> [ExchangeExcerpt], detailLimit: Int = 500) -> CaseEvidence {
        var e = CaseEvidence(asOf: asOf, clusterKey: c?.key, detectorVerdict: c?.verdict, risk: c?.risk, accounts: accounts)
        var keys = Set<String>(), orgs = Set<String>(), cards = Set<String>(), ranges = Set<String>(), asns = Set<String>()
        var first: StreamTime?, last: StreamTime?
        var exchanges = 0
        for a in accounts.prefix(detailLimit) {
            let f = figures(a)
            if let f {
                exchanges += f.exchanges
                e.inputTokens = e.inputTokens.addingSaturated(f.inputTokens)
                e.outputTokens = e.outputTokens.addingSaturated(f.outputTokens)
                e.reasoningTokens = e.reasoningTokens.addingSaturated(f.reasoningTokens)
                first = min(first ?? f.firstSeen, f.firstSeen); last = max(last ?? f.lastSeen, f.lastSeen)
            }
            guard let d = detail(a) else {
                // Without drill-down detail, the first card and org the detector keeps.
                if let card = f?.firstCard { cards.insert(card) }
                if let org = f?.firstOrg { orgs.insert(org) }
                continue
            }
            for v in d.apiKeys.values { keys.insert(v.value) }
            for v in d.orgs.values { orgs.insert(v.value) }
            for v in d.cards.values { cards.insert(v.value) }
            for v in d.asns.values { asns.insert(v.value) }
            for v in d.ips.values {
                if let r = IPRange.prefix(of: v.value) { ranges.insert(IPRange.describe(key: r.key, isV6: r.isV6)) }
            }
        }
        e.apiKeys = keys.sorted(); e.orgs = orgs.sorted(); e.cards = cards.sorted(); e.ipRanges = ranges.sorted(); e.asns = asns.sorted()
        e.firstSeen = c?.firstSeen ?? first
        e.lastSeen = c?.lastSeen ?? last
        e.exchanges = c?.exchanges ?? exchanges
        e.signals = (c?.signals ?? []).map { SignalEntry(name: $0.name, weight: $0.weight, detail: TextSanitizer.sanitize($0.detail)) }
        // Samples: the most recent exchanges of the first few members.
        for a in accounts.prefix(detailLimit) where e.samples.count < sampleLimit {
            for x in samples(a).prefix(2) where e.samples.count < sampleLimit {
                e.samples.append(Sample(requestID: x.requestID.map { TextSanitizer.sanitize($0) }, account: a, ts: x.ts,
                                        prompt: x.promptExcerpt.map { clip(TextSanitizer.sanitize($0), promptLimit) }))
            }
        }
        return e
    }

    static func clip(_ s: String, _ n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }
}

extension Verdict: Codable {}
