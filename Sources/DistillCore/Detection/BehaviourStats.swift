import Foundation

/// Additive counters of what a set of accounts did. One account's stats and a cluster's
/// pooled stats have the same shape, so both are scored by the same rules.
struct BehaviourStats: Sendable {
    var accounts = 0
    var exchanges = 0
    var prompts = 0
    var extractionPrompts = 0
    var fullReasoningPrompts = 0
    var rubricPrompts = 0
    var toolNarrationPrompts = 0
    var keepReasoningPrompts = 0
    var lightReasoningPrompts = 0
    var tokenExchanges = 0
    var outputHeavy = 0
    var inputTokens = 0
    var outputTokens = 0
    var reasoningTokens = 0
    var rateLimited = 0
    var failures = 0
    /// Sessions closed or open, single-turn ones, and turns in them.
    var sessions = 0
    var singleTurnSessions = 0
    var sessionTurns = 0
    /// Exchanges that named no session: each stands alone.
    var sessionless = 0
    /// Conversations (sessions, and exchanges that stand alone) whose first prompt asks for
    /// reasoning traces: a harness that asks once per session and then feeds tool results and
    /// "keep going" turns is caught here, where the share of all prompts is diluted.
    var elicitingOpeners = 0
    /// Exchanges with at least 1,500 output tokens (reasoning included), whatever the input: a
    /// long agentic context makes the output-to-input ratio useless there.
    var longOutputs = 0
    /// Sum over accounts of estimated distinct client IPs / end users.
    var distinctIPs = 0.0
    var distinctEndUsers = 0.0
    /// Hour-slots with activity, and hours between first and last activity (summed per account).
    var activeHours = 0
    var spanHours = 0
    /// Lanes 0–23 are the UTC hours (an inline vector: no heap copy when stats are copied).
    var hourOfDay = SIMD32<Int32>()
    /// Top template families' lower-bound counts (summed over accounts).
    var topFamilyPrompts = 0
    /// Exchanges in the day after a new model's release, and of those, on the new model.
    var postReleaseExchanges = 0
    var postReleaseOnNewModel = 0
    /// Exchanges whose request offered the model tools (a tool schema fingerprint).
    var toolExchanges = 0

    @inline(__always)
    static func += (a: inout BehaviourStats, b: BehaviourStats) {
        a.accounts += b.accounts
        a.exchanges += b.exchanges
        a.prompts += b.prompts
        a.extractionPrompts += b.extractionPrompts
        a.fullReasoningPrompts += b.fullReasoningPrompts
        a.rubricPrompts += b.rubricPrompts
        a.toolNarrationPrompts += b.toolNarrationPrompts
        a.keepReasoningPrompts += b.keepReasoningPrompts
        a.lightReasoningPrompts += b.lightReasoningPrompts
        a.tokenExchanges += b.tokenExchanges
        a.outputHeavy += b.outputHeavy
        // Token counts come from the logs (up to Int64.max each): pooled without trapping.
        a.inputTokens = a.inputTokens.addingSaturated(b.inputTokens)
        a.outputTokens = a.outputTokens.addingSaturated(b.outputTokens)
        a.reasoningTokens = a.reasoningTokens.addingSaturated(b.reasoningTokens)
        a.rateLimited += b.rateLimited
        a.failures += b.failures
        a.sessions += b.sessions
        a.singleTurnSessions += b.singleTurnSessions
        a.sessionTurns += b.sessionTurns
        a.sessionless += b.sessionless
        a.elicitingOpeners += b.elicitingOpeners
        a.longOutputs += b.longOutputs
        a.distinctIPs += b.distinctIPs
        a.distinctEndUsers += b.distinctEndUsers
        a.activeHours += b.activeHours
        a.spanHours += b.spanHours
        a.hourOfDay &+= b.hourOfDay
        a.topFamilyPrompts += b.topFamilyPrompts
        a.postReleaseExchanges += b.postReleaseExchanges
        a.postReleaseOnNewModel += b.postReleaseOnNewModel
        a.toolExchanges += b.toolExchanges
    }

    func share(_ part: Int, of whole: Int) -> Double { whole > 0 ? Double(part) / Double(whole) : 0 }

    /// What a verdict rests on: prompts where the log has them, exchanges where it carries no text.
    var verdictEvidence: Int { prompts * 2 >= exchanges ? prompts : exchanges }

    var extractionShare: Double { share(extractionPrompts, of: prompts) }
    var lightOnlyShare: Double { share(lightReasoningPrompts, of: prompts) }
    var outputHeavyShare: Double { share(outputHeavy, of: tokenExchanges) }
    /// Reasoning is part of the output: a log claiming more reasoning than output counts as all of it.
    var reasoningShare: Double { outputTokens > 0 ? min(1, Double(reasoningTokens) / Double(outputTokens)) : 0 }
    var rateLimitedShare: Double { share(rateLimited, of: exchanges) }
    /// Share of conversations that were a single exchange (sessionless exchanges count as such).
    var singleTurnShare: Double { share(singleTurnSessions + sessionless, of: sessions + sessionless) }
    var elicitingOpenerShare: Double { share(elicitingOpeners, of: sessions + sessionless) }
    var longOutputShare: Double { share(longOutputs, of: tokenExchanges) }
    var meanTurns: Double { sessions > 0 ? Double(sessionTurns) / Double(sessions) : 1 }
    /// Share of exchanges that arrived from a client IP the account had not used before (its
    /// first address does not count): ~0 for a home or office, ~1 for a proxy per request.
    var ipRotation: Double { exchanges > 0 ? max(0, min(1, (distinctIPs - Double(accounts)) / Double(exchanges))) : 0 }
    /// The same per conversation (each request without a session is one): a proxy that keeps
    /// an exit for a session, and gives the next session another, reads ~1 here and only one
    /// over the session's length per request.
    var conversationRotation: Double {
        let conversations = sessions + sessionless
        return conversations > 0 ? max(0, min(1, (distinctIPs - Double(accounts)) / Double(conversations))) : 0
    }
    /// Whether there are conversations enough (eight per account) for `conversationRotation` to
    /// say something: a person's second address in a third conversation is a third of them.
    var rotationCountsConversations: Bool { sessions + sessionless >= 8 * max(1, accounts) }
    /// New addresses per conversation where there are conversations enough, per request before.
    var addressRotation: Double { rotationCountsConversations ? conversationRotation : ipRotation }
    var dutyCycle: Double { spanHours > 0 ? min(1, Double(activeHours) / Double(spanHours)) : 1 }
    var templateConcentration: Double { share(topFamilyPrompts, of: prompts) }
    var newModelPivot: Double { share(postReleaseOnNewModel, of: postReleaseExchanges) }
    var toolShare: Double { share(toolExchanges, of: exchanges) }

    /// Normalised entropy of activity over the hours of the day: ~1 for round-the-clock machines,
    /// lower for people who sleep.
    /// c·log(c) for the counts an hour of most accounts holds.
    private static let countLogCount: [Double] = (0..<4096).map { $0 == 0 ? 0 : Double($0) * log(Double($0)) }

    var hourFlatness: Double {
        // Lanes read through a buffer: indexing the vector lane by lane went through generic
        // code that boxed it on the heap. The entropy is log(total) − Σ c·log(c) / total, with
        // c·log(c) from a table for small counts: one logarithm per call instead of 24.
        withUnsafeBytes(of: hourOfDay) { raw in
            let hours = raw.bindMemory(to: Int32.self)
            var total = 0
            for h in 0..<24 { total += Int(hours[h]) }
            guard total > 0 else { return 0 }
            var sum = 0.0
            Self.countLogCount.withUnsafeBufferPointer { table in
                for h in 0..<24 where hours[h] > 0 {
                    let c = Int(hours[h])
                    sum += c < table.count ? table[c] : Double(c) * log(Double(c))
                }
            }
            return max(0, log(Double(total)) - sum / Double(total)) / log(24.0)
        }
    }
}

extension Int {
    /// `x` rounded to a whole number, held within ±2^62 (NaN gives 0): figures shown to a person
    /// are often ratios of counts from the logs, which a log can make as large as it likes.
    public init(roundingSaturated x: Double) {
        if x.isNaN { self = 0; return }
        let limit = Double(1 << 62)
        self = Int(Swift.min(Swift.max(x.rounded(), -limit), limit))
    }

    /// `self + other`, held at `Int.max` / `Int.min` instead of trapping or wrapping: token
    /// counts are the log's to choose.
    @inline(__always)
    func addingSaturated(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}

extension BehaviourStats: StateCodable {
    func write(to w: inout StateWriter) {
        for v in [accounts, exchanges, prompts, extractionPrompts, fullReasoningPrompts, rubricPrompts, toolNarrationPrompts,
                  keepReasoningPrompts, lightReasoningPrompts, tokenExchanges, outputHeavy, inputTokens,
                  outputTokens, reasoningTokens, rateLimited, failures, sessions, singleTurnSessions, sessionTurns, sessionless,
                  elicitingOpeners, longOutputs, activeHours, spanHours, topFamilyPrompts, postReleaseExchanges,
                  postReleaseOnNewModel, toolExchanges] { w.write(v) }
        w.write(distinctIPs)
        w.write(distinctEndUsers)
        for i in 0..<hourOfDay.scalarCount { w.write(hourOfDay[i]) }
    }

    init(from r: inout StateReader) throws(StateError) {
        self.init()
        accounts = try r.int(); exchanges = try r.int(); prompts = try r.int(); extractionPrompts = try r.int()
        fullReasoningPrompts = try r.int(); rubricPrompts = try r.int(); toolNarrationPrompts = try r.int()
        keepReasoningPrompts = try r.int(); lightReasoningPrompts = try r.int()
        if r.formatVersion < 6 { _ = try r.int() }  // exact repeats of long prompts, for a rule since dropped
        tokenExchanges = try r.int(); outputHeavy = try r.int(); inputTokens = try r.int(); outputTokens = try r.int()
        reasoningTokens = try r.int(); rateLimited = try r.int(); failures = try r.int(); sessions = try r.int()
        singleTurnSessions = try r.int(); sessionTurns = try r.int(); sessionless = try r.int(); elicitingOpeners = try r.int()
        longOutputs = try r.int(); activeHours = try r.int(); spanHours = try r.int(); topFamilyPrompts = try r.int()
        postReleaseExchanges = try r.int(); postReleaseOnNewModel = try r.int()
        // Older states did not count tool use: their accounts start from none.
        if r.formatVersion >= 7 { toolExchanges = try r.int() }
        distinctIPs = try r.double()
        distinctEndUsers = try r.double()
        for i in 0..<hourOfDay.scalarCount { hourOfDay[i] = try r.int32() }
    }
}
