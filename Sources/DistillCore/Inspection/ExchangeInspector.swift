/// What the console shows of one exchange once it has been drilled down to: the record's
/// fields, with the prompt cut to an excerpt. Text is raw (unsanitised); the screen sanitises.
public struct ExchangeExcerpt: Sendable, Equatable, Codable {
    public var ts: StreamTime
    public var requestID: String?
    public var sessionID: String?
    public var apiKeyID: String?
    public var orgID: String?
    public var model: String?
    public var inputTokens: Int64?
    public var outputTokens: Int64?
    public var reasoningTokens: Int64?
    public var latencyMs: Double?
    public var status: Exchange.Status
    public var httpStatus: Int64?
    public var clientIP: String?
    public var asn: Int64?
    public var country: String?
    public var userAgent: String?
    public var paymentFP: String?
    public var endUserID: String?
    /// Fingerprints of the system prompt and the tool schema the request carried.
    public var systemFP: String?
    public var toolsFP: String?
    /// At most `ExchangeInspector.excerptLimit` characters of the prompt (or its fingerprint).
    public var promptExcerpt: String?
    /// True when the prompt was longer than the excerpt.
    public var promptTruncated: Bool

    init(_ e: Exchange, limit: Int) {
        ts = e.ts; requestID = e.requestID; sessionID = e.sessionID; apiKeyID = e.apiKeyID
        orgID = e.orgID; model = e.model; inputTokens = e.inputTokens; outputTokens = e.outputTokens
        reasoningTokens = e.reasoningTokens; latencyMs = e.latencyMs; status = e.status
        httpStatus = e.httpStatus; clientIP = e.clientIP; asn = e.asn; country = e.country
        userAgent = e.userAgent.map { Self.cutMarked($0, 120) }; paymentFP = e.paymentFP
        endUserID = e.endUserID; systemFP = e.systemFP; toolsFP = e.toolsFP
        if let text = e.promptText {
            let cut = Self.cut(text, limit)
            promptExcerpt = cut.text; promptTruncated = cut.truncated
        } else {
            promptExcerpt = e.promptFP; promptTruncated = false
        }
    }

    /// `cut`, ending in "…" when something was cut: a value shown whole must not look complete
    /// when it is not.
    static func cutMarked(_ text: String, _ limit: Int) -> String {
        let (kept, truncated) = cut(text, limit)
        return truncated ? kept + "…" : kept
    }

    /// Cuts on scalars, not graphemes: cheap on the ingest path, and the screen re-measures anyway.
    static func cut(_ text: String, _ limit: Int) -> (text: String, truncated: Bool) {
        if text.utf8.count <= limit { return (text, false) }
        let scalars = text.unicodeScalars
        guard scalars.count > limit else { return (text, false) }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars.prefix(limit))
        return (String(out), true)
    }
}

/// One conversation of an account as the inspector remembers it: its span and turn count,
/// and the last few exchanges.
public struct SessionSummary: Sendable, Equatable, Codable {
    /// nil stands for the account's exchanges that named no session.
    public var id: String?
    public var firstSeen: StreamTime
    public var lastSeen: StreamTime
    public var turns: Int
    /// The most recent exchanges, oldest first.
    public var recent: [ExchangeExcerpt]
}

/// A value an account used, with how many of its exchanges carried it.
public struct SeenValue: Sendable, Equatable, Codable {
    public var value: String
    public var count: Int
}

/// A capped list of distinct values, most used first when read.
public struct CappedValues: Sendable, Equatable, Codable {
    public private(set) var values: [SeenValue] = []
    /// Exchanges that carried a value not kept because the list was full.
    public private(set) var overflow = 0

    mutating func add(_ value: String, cap: Int) {
        // Most accounts repeat their last value: check it first.
        if let last = values.indices.last, values[last].value == value { values[last].count += 1; return }
        if let i = values.firstIndex(where: { $0.value == value }) {
            values[i].count += 1
        } else if values.count < cap {
            values.append(SeenValue(value: value, count: 1))
        } else {
            overflow += 1
        }
    }

    public var sorted: [SeenValue] { values.sorted { $0.count != $1.count ? $0.count > $1.count : $0.value < $1.value } }
}

/// Everything the inspector keeps about one account.
public struct AccountDetail: Sendable, Equatable, Codable {
    public var id: String
    public var firstSeen: StreamTime
    public var lastSeen: StreamTime
    public var exchanges: Int
    public var sessionsSeen: Int
    public var cards = CappedValues()
    public var orgs = CappedValues()
    public var apiKeys = CappedValues()
    public var ips = CappedValues()
    public var asns = CappedValues()
    public var countries = CappedValues()
    public var userAgents = CappedValues()
    public var models = CappedValues()
}

/// Keeps, with bounded memory, what an analyst drills down to: per account a few recent
/// sessions with their last exchanges, and capped lists of the cards, addresses and clients
/// it used. The detector feeds it; the console queries it. It never reads a clock.
///
/// Memory: at most `maxAccounts` accounts × `maxSessions` × `maxExchangesPerSession` excerpts;
/// when more accounts arrive, the least recently active tenth is forgotten.
public final class ExchangeInspector {
    public static let excerptLimit = 200

    public let maxAccounts: Int
    public let maxSessions: Int
    public let maxExchangesPerSession: Int
    public let maxValues: Int

    private struct Slot {
        var detail: AccountDetail
        var sessions: [SessionSummary] = []
    }
    private var slots: [Slot] = []
    private var index: [String: Int] = [:]
    /// Accounts forgotten to stay within `maxAccounts`.
    public private(set) var evictedAccounts = 0
    /// Where the detail begins when not at the start of the input: the stream time of the
    /// keyframe or checkpoint the detector was restored from, which holds no detail.
    public var keptSince: StreamTime?

    public init(maxAccounts: Int = 20_000, maxSessions: Int = 4, maxExchangesPerSession: Int = 6, maxValues: Int = 8) {
        self.maxAccounts = max(1, maxAccounts)
        self.maxSessions = max(1, maxSessions)
        self.maxExchangesPerSession = max(1, maxExchangesPerSession)
        self.maxValues = max(1, maxValues)
    }

    public var accountCount: Int { slots.count }

    public func record(_ e: Exchange) {
        let i: Int
        if let known = index[e.accountID] {
            i = known
        } else {
            if slots.count >= maxAccounts { evictOldest() }
            i = slots.count
            slots.append(Slot(detail: AccountDetail(id: e.accountID, firstSeen: e.ts, lastSeen: e.ts, exchanges: 0, sessionsSeen: 0)))
            index[e.accountID] = i
        }
        let cap = maxValues
        slots[i].detail.exchanges += 1
        if e.ts < slots[i].detail.firstSeen { slots[i].detail.firstSeen = e.ts }
        if e.ts > slots[i].detail.lastSeen { slots[i].detail.lastSeen = e.ts }
        if let v = e.paymentFP { slots[i].detail.cards.add(v, cap: cap) }
        if let v = e.orgID { slots[i].detail.orgs.add(v, cap: cap) }
        if let v = e.apiKeyID { slots[i].detail.apiKeys.add(v, cap: cap) }
        if let v = e.clientIP { slots[i].detail.ips.add(v, cap: cap) }
        if let v = e.asn { slots[i].detail.asns.add("AS\(v)", cap: cap) }
        if let v = e.country { slots[i].detail.countries.add(v, cap: cap) }
        if let v = e.userAgent { slots[i].detail.userAgents.add(ExchangeExcerpt.cutMarked(v, 120), cap: cap) }
        if let v = e.model { slots[i].detail.models.add(v, cap: cap) }

        let excerpt = ExchangeExcerpt(e, limit: Self.excerptLimit)
        if let s = slots[i].sessions.firstIndex(where: { $0.id == e.sessionID }) {
            slots[i].sessions[s].turns += 1
            if e.ts < slots[i].sessions[s].firstSeen { slots[i].sessions[s].firstSeen = e.ts }
            if e.ts > slots[i].sessions[s].lastSeen { slots[i].sessions[s].lastSeen = e.ts }
            // Kept in time order whatever order they arrive in (a shard worker is handed a
            // record again after its worker stopped, behind later ones): the latest by time stay.
            var recent = slots[i].sessions[s].recent
            slots[i].sessions[s].recent = []
            let at = recent.lastIndex { $0.ts <= e.ts }.map { $0 + 1 } ?? 0
            if recent.count < maxExchangesPerSession || at > 0 {
                recent.insert(excerpt, at: at)
                if recent.count > maxExchangesPerSession { recent.removeFirst() }
            }
            slots[i].sessions[s].recent = recent
        } else {
            if slots[i].sessions.count >= maxSessions,
               let quiet = slots[i].sessions.indices.min(by: { slots[i].sessions[$0].lastSeen < slots[i].sessions[$1].lastSeen }) {
                // A late record of a session quieter than every one kept was forgotten with it
                // (read in time order, it would have come before them).
                if e.ts < slots[i].sessions[quiet].lastSeen { return }
                // Forget the session that has been quiet longest.
                slots[i].sessions.remove(at: quiet)
            }
            slots[i].detail.sessionsSeen += 1
            slots[i].sessions.append(SessionSummary(id: e.sessionID, firstSeen: e.ts, lastSeen: e.ts, turns: 1, recent: [excerpt]))
        }
    }

    private func evictOldest() {
        let drop = max(1, slots.count / 10)
        let order = slots.indices.sorted { slots[$0].detail.lastSeen < slots[$1].detail.lastSeen }
        let gone = Set(order.prefix(drop))
        slots = slots.indices.filter { !gone.contains($0) }.map { slots[$0] }
        index.removeAll(keepingCapacity: true)
        for (i, s) in slots.enumerated() { index[s.detail.id] = i }
        evictedAccounts += drop
    }

    // MARK: Queries

    public func accountDetail(_ id: String) -> AccountDetail? {
        index[id].map { slots[$0].detail }
    }

    /// The account's remembered sessions, most recently active first.
    public func sessions(_ account: String) -> [SessionSummary] {
        guard let i = index[account] else { return [] }
        return slots[i].sessions.sorted { $0.lastSeen > $1.lastSeen }
    }

    /// The remembered exchanges of one session (nil: those with no session), oldest first.
    public func exchanges(_ account: String, session: String?) -> [ExchangeExcerpt] {
        guard let i = index[account] else { return [] }
        return slots[i].sessions.first { $0.id == session }?.recent ?? []
    }

    /// Everything kept about one account, as one value (for a process that asks another).
    public func inspection(of account: String) -> AccountInspection {
        AccountInspection(account: account, detail: accountDetail(account), sessions: sessions(account))
    }
}

/// What an inspector keeps about one account: its detail (nil when it keeps none) and its
/// sessions, most recently active first. Shard workers answer drill-down requests with it.
public struct AccountInspection: Sendable, Equatable, Codable {
    public var account: String
    public var detail: AccountDetail?
    public var sessions: [SessionSummary]

    public init(account: String, detail: AccountDetail?, sessions: [SessionSummary]) {
        self.account = account; self.detail = detail; self.sessions = sessions
    }

    public func exchanges(session: String?) -> [ExchangeExcerpt] {
        sessions.first { $0.id == session }?.recent ?? []
    }
}

// MARK: Saving and reading back (a shard worker's checkpoint)

extension ExchangeExcerpt: StateCodable {
    func write(to w: inout StateWriter) {
        w.write(ts)
        for s in [requestID, sessionID, apiKeyID, orgID, model] { w.write(optional: s) }
        w.write(inputTokens); w.write(outputTokens); w.write(reasoningTokens)
        w.write(latencyMs != nil)
        if let latencyMs { w.write(latencyMs) }
        w.write(status == .success)
        w.write(httpStatus)
        w.write(optional: clientIP)
        w.write(asn)
        for s in [country, userAgent, paymentFP, endUserID, systemFP, toolsFP, promptExcerpt] { w.write(optional: s) }
        w.write(promptTruncated)
    }

    init(from r: inout StateReader) throws(StateError) {
        ts = try r.int64()
        requestID = try r.optionalString(); sessionID = try r.optionalString(); apiKeyID = try r.optionalString()
        orgID = try r.optionalString(); model = try r.optionalString()
        inputTokens = try r.optionalInt64(); outputTokens = try r.optionalInt64(); reasoningTokens = try r.optionalInt64()
        latencyMs = try r.bool() ? try r.double() : nil
        status = try r.bool() ? .success : .failure
        httpStatus = try r.optionalInt64()
        clientIP = try r.optionalString()
        asn = try r.optionalInt64()
        country = try r.optionalString(); userAgent = try r.optionalString(); paymentFP = try r.optionalString()
        endUserID = try r.optionalString(); systemFP = try r.optionalString(); toolsFP = try r.optionalString()
        promptExcerpt = try r.optionalString()
        promptTruncated = try r.bool()
    }
}

extension SessionSummary: StateCodable {
    func write(to w: inout StateWriter) {
        w.write(optional: id); w.write(firstSeen); w.write(lastSeen); w.write(turns); w.write(recent)
    }

    init(from r: inout StateReader) throws(StateError) {
        id = try r.optionalString(); firstSeen = try r.int64(); lastSeen = try r.int64()
        turns = try r.int()
        recent = try r.array(ExchangeExcerpt.self)
        try r.check(turns >= recent.count, "a session of \(turns) turns keeping \(recent.count)")
    }
}

extension CappedValues: StateCodable {
    func write(to w: inout StateWriter) {
        w.write(values.count)
        for v in values { w.write(v.value); w.write(v.count) }
        w.write(overflow)
    }

    init(from r: inout StateReader) throws(StateError) {
        for _ in 0..<(try r.count(minimumSize: 16)) { values.append(SeenValue(value: try r.string(), count: try r.int())) }
        overflow = try r.int()
    }
}

extension AccountDetail: StateCodable {
    func write(to w: inout StateWriter) {
        w.write(id); w.write(firstSeen); w.write(lastSeen); w.write(exchanges); w.write(sessionsSeen)
        for v in [cards, orgs, apiKeys, ips, asns, countries, userAgents, models] { w.write(v) }
    }

    init(from r: inout StateReader) throws(StateError) {
        id = try r.string(); firstSeen = try r.int64(); lastSeen = try r.int64()
        exchanges = try r.int(); sessionsSeen = try r.int()
        cards = try r.read(CappedValues.self); orgs = try r.read(CappedValues.self)
        apiKeys = try r.read(CappedValues.self); ips = try r.read(CappedValues.self)
        asns = try r.read(CappedValues.self); countries = try r.read(CappedValues.self)
        userAgents = try r.read(CappedValues.self); models = try r.read(CappedValues.self)
    }
}

extension ExchangeInspector {
    /// Every account kept, with its sessions and excerpts, in the order they are kept.
    func write(to w: inout StateWriter) {
        w.write(evictedAccounts)
        w.write(slots.count)
        for s in slots { w.write(s.detail); w.write(s.sessions) }
    }

    /// Replaces what this inspector keeps with what `write(to:)` saved. Its limits stay its
    /// own: a saved set larger than they allow is cut when the next account arrives.
    func read(from r: inout StateReader) throws(StateError) {
        let evicted = try r.int()
        var read: [Slot] = []
        var readIndex: [String: Int] = [:]
        for _ in 0..<(try r.count(minimumSize: 40)) {
            let detail = try r.read(AccountDetail.self)
            let sessions = try r.array(SessionSummary.self)
            guard readIndex.updateValue(read.count, forKey: detail.id) == nil else { throw .corrupt("account \(detail.id) saved twice") }
            read.append(Slot(detail: detail, sessions: sessions))
        }
        slots = read; index = readIndex; evictedAccounts = evicted
    }
}
