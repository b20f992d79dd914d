/// Per-account numbers the console's account list shows, read from the detector's own state
/// (so they cost nothing extra on the ingest path).
public struct AccountFigures: Sendable, Equatable {
    public var id: String
    public var firstSeen: StreamTime
    public var lastSeen: StreamTime
    public var flaggedAt: StreamTime?
    public var exchanges: Int
    public var prompts: Int
    /// Prompts that ask for reasoning traces (chain-of-thought elicitation).
    public var extractionPrompts: Int
    public var tokenExchanges: Int
    public var inputTokens: Int
    public var outputTokens: Int
    public var reasoningTokens: Int
    public var outputHeavy: Int
    /// Conversations as the single_turn rule counts them: sessions, and each exchange sent
    /// without a session as a conversation of its own.
    public var sessions: Int
    /// Conversations of a single exchange, counted the same way.
    public var singleTurnSessions: Int
    public var rateLimited: Int
    public var failures: Int
    public var distinctIPs: Double
    /// Exchanges per stream hour, oldest first, aligned on the detector's stream clock so
    /// every account's series covers the same hours.
    public var hourly: [Int]
    /// The first card and org the account used, as the detector keeps them for linking: known
    /// for every account, also when the inspector's drill-down detail has none (an account it
    /// let go of, a replay gone back to a keyframe, or a coordinator whose workers hold it).
    public var firstCard: String?
    public var firstOrg: String?

    public init(id: String, firstSeen: StreamTime, lastSeen: StreamTime, flaggedAt: StreamTime? = nil, exchanges: Int,
                prompts: Int, extractionPrompts: Int, tokenExchanges: Int, inputTokens: Int, outputTokens: Int,
                reasoningTokens: Int, outputHeavy: Int, sessions: Int, singleTurnSessions: Int, rateLimited: Int,
                failures: Int, distinctIPs: Double, hourly: [Int], firstCard: String? = nil, firstOrg: String? = nil) {
        self.id = id; self.firstSeen = firstSeen; self.lastSeen = lastSeen; self.flaggedAt = flaggedAt
        self.exchanges = exchanges; self.prompts = prompts; self.extractionPrompts = extractionPrompts
        self.tokenExchanges = tokenExchanges; self.inputTokens = inputTokens; self.outputTokens = outputTokens
        self.reasoningTokens = reasoningTokens; self.outputHeavy = outputHeavy; self.sessions = sessions
        self.singleTurnSessions = singleTurnSessions; self.rateLimited = rateLimited; self.failures = failures
        self.distinctIPs = distinctIPs; self.hourly = hourly; self.firstCard = firstCard; self.firstOrg = firstOrg
    }

    public var cotShare: Double { prompts == 0 ? 0 : Double(extractionPrompts) / Double(prompts) }
    public var meanInput: Int { tokenExchanges == 0 ? 0 : inputTokens / tokenExchanges }
    public var meanOutput: Int { tokenExchanges == 0 ? 0 : outputTokens / tokenExchanges }
}

extension Detector {
    /// Exchanges per stream hour for one account, oldest first, aligned on the stream clock.
    public func accountHourly(_ id: String) -> [Int]? {
        guard let slot = accountSlotIfKnown(id) else { return nil }
        return alignedHourly(evidence.activity(Int(slot)))
    }

    func alignedHourly(_ a: AccountActivity) -> [Int] {
        let n = Int64(a.hourly.count)
        var hourly = [Int](repeating: 0, count: a.hourly.count)
        if let now = streamTime, a.hourlyNewest != .min {
            let nowHour = floorDiv(now, 3_600_000)
            for i in 0..<n {
                let h = nowHour - n + 1 + i
                // Hours after the ring's newest were never reset; hours older than it fell off.
                if h <= a.hourlyNewest && a.hourlyNewest - h < n { hourly[Int(i)] = Int(a.hourly[Int(floorMod(h, n))]) }
            }
        }
        return hourly
    }

    public func accountFigures(_ id: String) -> AccountFigures? {
        guard let slot = accountSlotIfKnown(id) else { return nil }
        let a = accounts[Int(slot)]
        let activity = evidence.activity(Int(slot))
        let s = activity.currentStats(of: a)
        let hourly = alignedHourly(activity)
        func display(_ kind: ValueKind, _ slot: Int32) -> String? {
            guard slot >= 0 else { return nil }
            let shown = evidence.tables[kind.rawValue].states[Int(slot)].display
            return shown.isEmpty ? nil : shown
        }
        return AccountFigures(
            id: a.id, firstSeen: a.firstSeen, lastSeen: a.lastSeen, flaggedAt: flaggedAt(account: id),
            exchanges: s.exchanges, prompts: s.prompts, extractionPrompts: s.extractionPrompts,
            tokenExchanges: s.tokenExchanges, inputTokens: s.inputTokens, outputTokens: s.outputTokens,
            reasoningTokens: s.reasoningTokens, outputHeavy: s.outputHeavy, sessions: s.sessions + s.sessionless,
            singleTurnSessions: s.singleTurnSessions + s.sessionless, rateLimited: s.rateLimited, failures: s.failures,
            distinctIPs: s.distinctIPs, hourly: hourly,
            firstCard: display(.card, a.firstCardSlot), firstOrg: display(.org, a.firstOrgSlot))
    }
}
