/// Every threshold and weight the detector uses, in one place, with the reason for each value.
/// `sensitivity` is the one knob an analyst turns; the rest are named so a change is a diff here.
public struct DetectorSettings: Sendable {
    public enum Sensitivity: String, Sendable, CaseIterable {
        /// Fewer alerts: only clusters with overwhelming evidence are `suspect`.
        case conservative
        /// The default, tuned on the labelled suite (see `distillwatch eval`).
        case balanced
        /// More alerts, earlier: for a shift that expects an attack.
        case aggressive
    }

    public var sensitivity: Sensitivity

    /// Risk at or above which a cluster is `suspect` / `watch`.
    public var suspectRisk: Double
    public var watchRisk: Double

    /// How often, in stream time, clusters are rebuilt and re-scored (and `snapshot()` always
    /// re-scores). An hour keeps `flagged_at` precise to an hour of stream time, far inside the
    /// day a campaign must be caught in, while the rebuild stays a small share of scan time.
    public var evaluationInterval: StreamTime = 60 * 60_000
    /// Between evaluations, the clusters the last one left at `watch` are re-judged this often
    /// with their members' current counts (same members; no clustering), so a campaign close to
    /// the line is flagged within this span of crossing it rather than at the next full
    /// evaluation. Only those few clusters are looked at, so it costs little; rebuilding every
    /// cluster this often would cost a quarter of `scan`.
    public var recheckInterval: StreamTime = 15 * 60_000
    /// Time running back by more than two intervals restarts the schedule from the event at
    /// hand, so one far-future timestamp cannot postpone every evaluation. The n-th restart waits
    /// for 2^n exchanges since the last evaluation, up to this many: lines whose clocks disagree
    /// by days, alternating (hostile input, or logs of skewed hosts concatenated), made every
    /// exchange a full re-scoring, ~150 µs each with 2,000 accounts and growing with them.
    /// The first stray timestamp is still recovered from at once; ordered input never restarts.
    public var maximumExchangesBetweenRestarts = 1_000

    /// Prompts a cluster must have sent before it may be `suspect`: below this, shares such as
    /// "80% ask for full reasoning" rest on too few samples.
    public var minimumPromptsForSuspect = 40
    /// Behaviour evidence counts half at this many prompts and approaches full weight beyond:
    /// one prompt asking for full reasoning is a question, hundreds are a harvest.
    public var certaintyPrompts = 15
    /// The same for the account scores that gate linking: lower, because linking also needs the
    /// shared value to be dominated by such accounts, and a cluster is judged on pooled evidence.
    public var linkCertaintyPrompts = 5
    /// A lone account must carry this much volume as well; ~26/day accounts are judged as
    /// part of a cluster, not alone.
    public var minimumExchangesForLoneSuspect = 150

    /// A shared value links accounts outright only while it spans at most this many
    /// independent owners (an owner is a card, else an org, else the account itself). A
    /// household or an office shares an IP; a campus NAT or a cloud ASN spans hundreds.
    public var maxOwnersForIdentityLink = 6
    /// An account whose share of never-before-used client IPs exceeds this is rotating through
    /// a proxy pool; the addresses it meets strangers on are chance, not a household.
    public var maxRotationForAddressLink = 0.3
    /// Past that, a value links only accounts that already behave like extraction, and only
    /// while such accounts are this share of its users (FRAUDAR-style: a popular IDE tool
    /// schema is mostly honest developers and glues nobody).
    public var suspiciousShareForInfrastructureLink = 0.6
    /// Accounts too new to score join such a value's extractors only while honest-looking
    /// accounts are at most this share of its users: a toolset only a farm uses pulls in the
    /// farm's fresh accounts; a popular IDE's schema with a farm on it pulls in nobody.
    public var maxHonestShareForNewcomerLink = 0.05
    /// The users of one tool schema, system prompt or template family that do not score as
    /// extraction on their own are pooled and judged together once there are this many (a farm's
    /// first hours, when each account has sent only a few prompts).
    public var minimumAccountsForPooledFingerprint = 4
    /// Only values with a user first seen this recently are pooled: a farm's new accounts need
    /// the pool for their first hours; after two days each account's own score speaks.
    public var youngAccountAge: StreamTime = 48 * 3_600_000
    /// Template families gather accounts that nothing else has placed, and small groups: a
    /// group of at least this many accounts joined by cards or addresses is an operation of its
    /// own and is not merged with another merely because both write alike.
    public var minimumAccountsToKeepApart = 4
    /// An account with at least this many prompts is joined through a template family only
    /// where the family is its own workload and it uses it about as much as the others do: a
    /// team running a public benchmark sends thousands of prompts, hundreds from one problem
    /// set's template, which farms also copy a few times per account.
    public var promptsForOwnFamilyUse = 1_000
    /// ... "its own workload" is at least this share of its prompts ...
    public var ownFamilyShare = 0.01
    /// ... and "about as much" is at most this many times the median other member's use.
    public var outsizedFamilyUse = 20
    /// Behaviour score an account needs before infrastructure may link it.
    public var linkBehaviourScore = 0.55
    /// An account needs this many prompts before its own behaviour score is trusted for linking.
    public var minimumPromptsForAccountScore = 5
    /// Coordination ties (harness copies, synchrony) are searched every this many scheduled
    /// evaluations, and the ties found are used until the next search: the search costs more
    /// than the rest of an evaluation, and two hours of stream time is well inside a day.
    public var coordinationEvery = 2
    /// An account's behaviour profile is compared with others once it has this many exchanges.
    public var minimumExchangesForProfile = 8
    /// A value with more members than this is not checked for a small owner group at all.
    public var maxMembersForOwnerCheck = 256
    /// Members remembered per shared value; beyond this the value is "popular" and only counted.
    public var maxMembersPerValue = 4096

    /// A card on more accounts than this is not treated as one person's card (a payment
    /// platform's shared instrument); it still counts as evidence but does not merge clusters.
    public var maxAccountsPerLinkingCard = 500

    /// Sessions idle this long are closed and folded into their account's session statistics.
    public var sessionIdleTimeout: StreamTime = 30 * 60_000
    /// Shared values seen by only one account and idle this long are forgotten (an IP per
    /// request would otherwise grow memory with the number of exchanges), except an account's
    /// first card and org: its identity, kept as long as the account (at most two per account).
    public var loneValueIdleTimeout: StreamTime = 6 * 3_600_000
    /// Accounts idle this long in stream time, never flagged and in no `watch` or `suspect`
    /// cluster, have their activity packed into a few dozen bytes until they return (nil: never),
    /// so memory follows the accounts active at once rather than every account ever seen.
    /// Folding loses nothing and changes no verdict, so it is not part of the rules' fingerprint.
    public var foldIdleAfter: StreamTime? = 7 * 24 * 3_600_000
    /// A model first seen this long after the stream began counts as a new release.
    public var newModelGrace: StreamTime = 24 * 3_600_000
    /// Accounts first seen within this span of each other form a creation burst.
    public var creationBurstWindow: StreamTime = 3 * 3_600_000
    public var creationBurstMinimumAccounts = 8

    public init(sensitivity: Sensitivity = .balanced) {
        self.sensitivity = sensitivity
        switch sensitivity {
        case .conservative: suspectRisk = 0.9; watchRisk = 0.6
        case .balanced: suspectRisk = 0.8; watchRisk = 0.5
        case .aggressive: suspectRisk = 0.7; watchRisk = 0.4
        }
    }

    public static let standard = DetectorSettings()
}
