import Foundation

/// What a rule reads: the pooled behaviour of a cluster (or one account), the cluster's
/// cross-account context, and the release the detector saw, if any.
struct RuleInput {
    let stats: BehaviourStats
    let context: RiskModel.ClusterContext
    let newModel: (name: String, releasedAt: StreamTime)?
    let settings: DetectorSettings
}

/// One signal as data: its name, its full weight in log-odds, the feature it reads, the ramp
/// from `low` (no weight) to `high` (full weight), when it applies, and the sentence that
/// explains it. Scoring is a loop over `ScoringRules.all`; the README's table is printed from it.
/// A class: the loop then retains one reference per rule instead of copying every closure.
final class ScoringRule: Sendable {
    /// What a rule's evidence rests on, and so how it is shrunk while evidence is scarce.
    enum Basis: String, Sendable {
        /// A share of prompts: shrunk until there are enough prompts.
        case prompts
        /// A share of exchanges (tokens, sessions, hours, addresses): shrunk until there are enough exchanges.
        case exchanges
        /// A fact across accounts (a shared card, copies, lockstep): never shrunk.
        case accounts
    }

    let name: String
    let weight: Double
    let low: Double
    let high: Double
    let basis: Basis
    /// What the feature is, for the rules table.
    let feature: String
    /// When the rule applies, for the rules table ("always" when it has no gate).
    let appliesWhen: String
    let value: @Sendable (RuleInput) -> Double
    /// nil: the rule always applies (no call to make).
    let gate: (@Sendable (RuleInput) -> Bool)?
    /// A factor in [0, 1] on top of the ramp, for rules that need a second condition; nil: 1.
    let factor: (@Sendable (RuleInput) -> Double)?
    let detail: @Sendable (RuleInput) -> String
    let examples: @Sendable (RuleInput) -> [String]

    init(_ name: String, weight: Double, ramp low: Double, _ high: Double, basis: Basis, feature: String, appliesWhen: String = "always",
         value: @escaping @Sendable (RuleInput) -> Double, gate: (@Sendable (RuleInput) -> Bool)? = nil,
         factor: (@Sendable (RuleInput) -> Double)? = nil,
         detail: @escaping @Sendable (RuleInput) -> String, examples: @escaping @Sendable (RuleInput) -> [String] = { _ in [] }) {
        self.name = name; self.weight = weight; self.low = low; self.high = high; self.basis = basis
        self.feature = feature; self.appliesWhen = appliesWhen
        self.value = value; self.gate = gate; self.factor = factor; self.detail = detail; self.examples = examples
    }
}

enum ScoringRules {
    private static func pct(_ x: Double) -> String { "\(Int(roundingSaturated: x * 100))%" }

    /// A cluster asks for reasoning, takes long answers or runs agentic sessions: what copies
    /// and lockstep must come with before they count (a hackathon on one starter kit is in step too).
    static func harvest(_ s: BehaviourStats) -> Double {
        max(reasoningOrLongAnswers(s), agenticSessions(s))
    }

    /// The harvest as words and answer sizes show it: requests for the trace, or long answers.
    static func reasoningOrLongAnswers(_ s: BehaviourStats) -> Double {
        max(ramp(max(s.extractionShare, s.elicitingOpenerShare), 0.1, 0.4), ramp(s.longOutputShare, 0.25, 0.6))
    }

    /// Where `reasoning_extraction` starts and reaches full weight.
    static let reasoningExtractionRamp = (low: 0.15, high: 0.6)

    /// How far the prompts ask for reasoning traces, as `reasoning_extraction` reads them (0: not at all).
    static func asksForReasoning(_ s: BehaviourStats) -> Double {
        ramp(max(s.extractionShare, s.elicitingOpenerShare), reasoningExtractionRamp.low, reasoningExtractionRamp.high)
    }

    /// The harvest as the answers alone show it: long answers, answers far longer than their
    /// prompts, or agentic sessions. Prompts' words can ask for a trace the answers never carry.
    static func harvestInAnswers(_ s: BehaviourStats) -> Double {
        max(ramp(s.longOutputShare, 0.25, 0.6), ramp(s.outputHeavyShare, 0.2, 0.6), agenticSessions(s))
    }

    /// Agentic trajectories, the third thing distillers harvest besides reasoning and long
    /// answers: most requests offer the model tools, in conversations of several turns. Their
    /// answers are mostly short tool calls, so neither of the other two shows them.
    static func agenticSessions(_ s: BehaviourStats) -> Double {
        s.meanTurns >= 3 ? ramp(s.toolShare, 0.5, 0.9) : 0
    }

    /// Names the agentic harvest when it is what a coordination signal rests on: no other
    /// signal shows it, and an analyst needs to see why copies or lockstep counted.
    private static func agenticNote(_ s: BehaviourStats) -> String {
        guard agenticSessions(s) > reasoningOrLongAnswers(s) else { return "" }
        return "; \(pct(s.toolShare)) of requests offer tools, in conversations of \(String(format: "%.1f", s.meanTurns)) turns on average"
    }

    static let all: [ScoringRule] = [
        // Prompts.
        ScoringRule("reasoning_extraction", weight: 3.2, ramp: reasoningExtractionRamp.low, reasoningExtractionRamp.high, basis: .prompts,
                    feature: "share of prompts, or of conversations' first prompts, that ask for reasoning traces, rubric grading, narrated tool use or step-keeping rewrites",
                    appliesWhen: "the log carries prompt text",
                    // A harness that asks once per session and then feeds tool results dilutes the
                    // share of prompts; the share of conversations it opens that way does not.
                    value: { max($0.stats.extractionShare, $0.stats.elicitingOpenerShare) }, gate: { $0.stats.prompts > 0 },
                    detail: { i in
                        let s = i.stats
                        var kinds: [String] = []
                        if s.fullReasoningPrompts > 0 { kinds.append("full reasoning \(pct(s.share(s.fullReasoningPrompts, of: s.prompts)))") }
                        if s.rubricPrompts > 0 { kinds.append("rubric grading \(pct(s.share(s.rubricPrompts, of: s.prompts)))") }
                        if s.toolNarrationPrompts > 0 { kinds.append("narrated tool use \(pct(s.share(s.toolNarrationPrompts, of: s.prompts)))") }
                        if s.keepReasoningPrompts > 0 { kinds.append("rewrites keeping every step \(pct(s.share(s.keepReasoningPrompts, of: s.prompts)))") }
                        return "\(pct(s.extractionShare)) of \(s.prompts) prompts ask for reasoning traces (\(kinds.joined(separator: ", "))); \(pct(s.elicitingOpenerShare)) of conversations open with such a request"
                    }),
        ScoringRule("step_by_step", weight: 0.6, ramp: 0.3, 0.8, basis: .prompts,
                    feature: "share of prompts that only ask to think step by step", appliesWhen: "the log carries prompt text",
                    value: { $0.stats.lightOnlyShare }, gate: { $0.stats.prompts > 0 },
                    detail: { "\(pct($0.stats.lightOnlyShare)) of prompts ask only to think step by step" }),
        ScoringRule("template_concentration", weight: 0.5, ramp: 0.5, 0.85, basis: .prompts,
                    feature: "share of prompts from each account's top three recurring template families (each seen at least twice)", appliesWhen: "the log carries prompt text",
                    value: { $0.stats.templateConcentration }, gate: { $0.stats.prompts > 0 },
                    detail: { "\(pct($0.stats.templateConcentration)) of prompts come from \($0.context.accounts > 1 ? "each account's" : "its") top 3 recurring template families" },
                    examples: { $0.context.familyExamples }),
        // Exchanges.
        ScoringRule("output_heavy", weight: 1.0, ramp: 0.2, 0.6, basis: .exchanges,
                    feature: "share of exchanges with at least 1,000 output tokens and at least twice the input", appliesWhen: "the log carries token counts",
                    value: { $0.stats.outputHeavyShare }, gate: { $0.stats.tokenExchanges > 0 },
                    detail: { "\(pct($0.stats.outputHeavyShare)) of exchanges are output-heavy (≥1000 output tokens, ≥2× input); \($0.stats.outputTokens / max(1, $0.stats.tokenExchanges)) output tokens on average" }),
        ScoringRule("reasoning_tokens", weight: 0.4, ramp: 0.2, 0.5, basis: .exchanges,
                    feature: "share of output tokens that are reasoning", appliesWhen: "the log carries token counts",
                    value: { $0.stats.reasoningShare }, gate: { $0.stats.tokenExchanges > 0 },
                    detail: { "\(pct($0.stats.reasoningShare)) of output tokens are reasoning" }),
        ScoringRule("long_outputs", weight: 0.8, ramp: 0.3, 0.7, basis: .exchanges,
                    feature: "share of exchanges that returned at least 1,500 output tokens, whatever the input (agentic contexts are long)",
                    appliesWhen: "the log carries token counts",
                    value: { $0.stats.longOutputShare }, gate: { $0.stats.tokenExchanges > 0 },
                    detail: { "\(pct($0.stats.longOutputShare)) of exchanges returned 1,500 output tokens or more" }),
        ScoringRule("single_turn", weight: 0.8, ramp: 0.6, 0.95, basis: .exchanges,
                    feature: "share of conversations that are a single exchange (exchanges without a session count as such)",
                    value: { $0.stats.singleTurnShare },
                    detail: { "\(pct($0.stats.singleTurnShare)) of conversations are a single exchange" }),
        ScoringRule("round_the_clock", weight: 0.6, ramp: 0.88, 0.97, basis: .exchanges,
                    feature: "normalised entropy of activity over the 24 hours of the day", appliesWhen: "100 exchanges or more over at least a day per account",
                    value: { $0.stats.hourFlatness }, gate: { $0.stats.exchanges >= 100 && $0.stats.spanHours >= 24 * $0.stats.accounts },
                    detail: { "activity spread over the whole day (flatness \(String(format: "%.2f", $0.stats.hourFlatness)))" }),
        ScoringRule("ip_rotation", weight: 1.2, ramp: 0.3, 0.7, basis: .exchanges,
                    feature: "new client IPs (beyond each account's first) per conversation, a request without a session counting as one; per request while an account has fewer than 8 conversations", appliesWhen: "10 exchanges or more per account",
                    value: { $0.stats.addressRotation }, gate: { $0.stats.exchanges >= 10 * $0.stats.accounts },
                    detail: { s in
                        s.stats.rotationCountsConversations
                            ? "\(pct(s.stats.conversationRotation)) of conversations come from a client IP not used before (\(pct(s.stats.ipRotation)) of requests)"
                            : "\(pct(s.stats.ipRotation)) of requests come from a client IP not used before" }),
        ScoringRule("rate_limited", weight: 0.3, ramp: 0.02, 0.1, basis: .exchanges,
                    feature: "share of requests answered 429",
                    value: { $0.stats.rateLimitedShare },
                    detail: { "\(pct($0.stats.rateLimitedShare)) of requests were rate limited (429)" }),
        ScoringRule("model_pivot", weight: 0.5, ramp: 0.5, 0.9, basis: .exchanges,
                    feature: "share of traffic on a newly released model in the day after its release", appliesWhen: "20 exchanges or more in that day",
                    value: { $0.stats.newModelPivot }, gate: { $0.stats.postReleaseExchanges >= 20 && $0.newModel != nil },
                    detail: { "moved \(pct($0.stats.newModelPivot)) of traffic to \($0.newModel?.name ?? "the new model") within a day of its release" }),
        ScoringRule("high_volume", weight: 1.0, ramp: 300, 1500, basis: .exchanges,
                    feature: "exchanges per day from one account", appliesWhen: "a lone account",
                    value: { Double($0.stats.exchanges) / Double(max(1, $0.stats.accounts)) / $0.context.spanDays }, gate: { $0.context.accounts == 1 },
                    detail: { "\(Int(Double($0.stats.exchanges) / Double(max(1, $0.stats.accounts)) / $0.context.spanDays)) exchanges per day from one account" }),
        // Across accounts.
        ScoringRule("shared_payment", weight: 1.5, ramp: 2, RiskModel.identitiesPerCardAtFullWeight, basis: .accounts,
                    feature: "most separate identities on one card (each org once, each account without an org on its own)", appliesWhen: "a cluster",
                    value: { Double($0.context.maxIdentitiesPerCard) }, gate: { $0.context.accounts > 1 },
                    detail: { "\($0.context.accounts) accounts on \($0.context.cards) card\($0.context.cards == 1 ? "" : "s"); up to \($0.context.maxIdentitiesPerCard) separate identities on one card (each org once, each account without an org on its own)" },
                    examples: { $0.context.cardExamples }),
        // An org is billed as one customer: a team's accounts pay with the org's card. Accounts
        // under one org name on many cards are separate payers, each card kept apart so a
        // chargeback takes only its own accounts, and the name costs nothing to declare.
        ScoringRule("split_payment", weight: 1.5, ramp: 2, 4, basis: .accounts,
                    feature: "most cards paying for the accounts of one declared org", appliesWhen: "a cluster",
                    value: { Double($0.context.maxCardsPerOrg) }, gate: { $0.context.accounts > 1 },
                    detail: { "the accounts of one declared org pay with \($0.context.maxCardsPerOrg) different cards" },
                    examples: { $0.context.splitPaymentExamples }),
        ScoringRule("shared_infrastructure", weight: 1.0, ramp: 3, RiskModel.ownersPerInfrastructureAtFullWeight, basis: .accounts,
                    feature: "most independent payers on one address, range or fingerprint", appliesWhen: "a cluster",
                    value: { Double($0.context.maxOwnersPerInfrastructure) }, gate: { $0.context.accounts > 1 },
                    detail: { "up to \($0.context.maxOwnersPerInfrastructure) independent payers share one address, range or fingerprint" },
                    examples: { $0.context.infrastructureExamples }),
        ScoringRule("synchronised_templates", weight: 0.8, ramp: 0.3, 0.7, basis: .accounts,
                    feature: "share of the cluster's accounts on its most common template family (times a ramp from 2 to 5 accounts)", appliesWhen: "a cluster, not all of one org paying as one",
                    value: { Double($0.context.maxAccountsPerFamily) / Double($0.context.accounts) }, gate: { $0.context.accounts > 1 && !$0.context.oneDeclaredOrg },
                    factor: { ramp(Double($0.context.maxAccountsPerFamily), 2, 5) },
                    detail: { "\($0.context.maxAccountsPerFamily) of \($0.context.accounts) accounts use the same template family" },
                    examples: { $0.context.familyExamples }),
        ScoringRule("coordinated_harness", weight: 3.0, ramp: 8, 40, basis: .accounts,
                    feature: "accounts that behave as copies on a shared tool schema, system prompt, template or address range (times the share of the value's users they are, ramped 0.2 to 0.6, and the harvest evidence)",
                    appliesWhen: "a cluster that asks for reasoning, takes long answers or runs tool sessions, not all of one org paying as one",
                    // A popular framework's schema is shared by thousands who differ; a handful of
                    // them alike is chance. Copies count when they are many and most of its users.
                    value: { Double($0.context.homogeneousAccounts) }, gate: { $0.context.accounts > 1 && !$0.context.oneDeclaredOrg },
                    factor: { harvest($0.stats) * ramp($0.context.harnessExclusivity, 0.2, 0.6) },
                    detail: { "\($0.context.homogeneousAccounts) of \($0.context.accounts) accounts behave as copies of each other on a shared harness" + agenticNote($0.stats) },
                    examples: { $0.context.harnessExamples }),
        // Among thousands of accounts some pairs fall in step by chance (a hackathon's evening, a
        // framework's users at work): in a cluster of a thousand, sixty such accounts say nothing
        // of the rest. A scheduler drives most of its accounts, so the share counts too.
        ScoringRule("synchrony", weight: 2.0, ramp: 4, 20, basis: .accounts,
                    feature: "accounts active in the same fifteen-minute windows far more often than chance (times the harvest evidence and their share of the cluster, ramped 0.1 to 0.3)",
                    appliesWhen: "a cluster that asks for reasoning, takes long answers or runs tool sessions, not all of one org paying as one",
                    value: { Double($0.context.synchronisedAccounts) }, gate: { $0.context.accounts > 1 && !$0.context.oneDeclaredOrg },
                    factor: { harvest($0.stats) * ramp(Double($0.context.synchronisedAccounts) / Double($0.context.accounts), 0.1, 0.3) },
                    detail: { "\($0.context.synchronisedAccounts) of \($0.context.accounts) accounts are active in the same fifteen-minute windows far more often than chance" + agenticNote($0.stats) },
                    examples: { $0.context.synchronyExamples }),
        ScoringRule("creation_burst", weight: 0.8, ramp: 0.3, 0.6, basis: .accounts,
                    feature: "share of the cluster's accounts first seen within three hours of each other", appliesWhen: "a cluster with 8 or more such accounts, not all of one org paying as one",
                    value: { Double($0.context.burstAccounts) / Double($0.context.accounts) },
                    gate: { $0.context.accounts > 1 && !$0.context.oneDeclaredOrg && $0.context.burstAccounts >= $0.settings.creationBurstMinimumAccounts },
                    detail: { "\($0.context.burstAccounts) accounts first seen within \($0.settings.creationBurstWindow / 3_600_000) hours" + ($0.context.burstStart.map { " from \(Timestamp.format($0))" } ?? "") }),
    ]

    /// The rules as a Markdown table, for the README.
    static var markdownTable: String {
        var lines = ["| signal | weight | feature | ramp (none → full) | rests on | applies when |", "|---|---|---|---|---|---|"]
        func number(_ x: Double) -> String { x == x.rounded() && abs(x) >= 1 ? String(Int(x)) : String(format: "%g", x) }
        for r in all {
            lines.append("| `\(r.name)` | \(String(format: "%+.1f", r.weight)) | \(r.feature) | \(number(r.low)) → \(number(r.high)) | \(r.basis.rawValue) | \(r.appliesWhen) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The rules table for tools outside the core (the `rules` command).
public enum RuleTable {
    public static var markdown: String { ScoringRules.markdownTable }
    public static var names: [String] { ScoringRules.all.map(\.name) }
    /// Each signal's name, full weight and what it measures, for the console's glossary.
    public static var glossary: [(name: String, weight: Double, feature: String)] {
        ScoringRules.all.map { ($0.name, $0.weight, $0.feature) }
    }
}
