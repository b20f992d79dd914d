import Foundation

/// The third stage of the detector: scores the groups clustering made, and explains them. It
/// reads the evidence store and the coordination ties, and the accounts already flagged.
struct RiskModel {
    let settings: DetectorSettings
    let evidence: EvidenceStore
    let coordination: CoordinationState
    /// Per account: when it was first in a `suspect` cluster, if ever.
    let flaggedAt: [StreamTime?]
    let now: StreamTime

    /// Score terms are log-odds; risk = logistic(base + Σ terms). The base puts an account
    /// with no evidence at ~5%.
    static let base = -3.0

    init(settings: DetectorSettings, evidence: EvidenceStore, coordination: CoordinationState, flaggedAt: [StreamTime?], now: StreamTime) {
        self.settings = settings
        self.evidence = evidence
        self.coordination = coordination
        self.flaggedAt = flaggedAt
        self.now = now
    }

    /// One cluster as the numbers see it; turned into a `ClusterSnapshot` only when shown.
    struct Assessment {
        var members: [Int32]
        var pooled: BehaviourStats
        var context: ClusterContext
        var risk: Double
        var verdict: Verdict
    }

    /// Scores the clusters and returns those worth keeping: all clusters of several accounts,
    /// and lone accounts that are not clear or were flagged once.
    func assess(_ clustering: ClusterBuilder.Clustering, behaviour: [Double], stats: AccountStatsTable,
                threads: EvaluationThreads = EvaluationThreads()) -> [Assessment] {
        let accounts = evidence.accounts
        // Each group is judged on its own: the judgements only read the evidence.
        var result = threads.map(clustering.groups) { members in
            var pooled = BehaviourStats()
            for m in members { stats.add(Int(m), to: &pooled) }
            return judge(members, pooled, clusterContext(members, examples: false))
        }
        // A lone account's own behaviour score is its cluster score but for how long it has been
        // seen; one far below `watch` that was never flagged cannot matter and is not re-judged.
        for a in clustering.notableLoners {
            let i = Int(a)
            guard behaviour[i] >= settings.watchRisk * 0.6 || flaggedAt[i] != nil else { continue }
            let judged = judge([a], stats[i], ClusterContext(accounts: 1, spanDays: spanDays(from: accounts[i].firstSeen)))
            if judged.verdict != .clear || flaggedAt[i] != nil { result.append(judged) }
        }
        return result
    }

    /// An account's own score from which it may link through infrastructure (`linkBehaviourScore`)
    /// or be judged alone (a lone account far below `watch` cannot matter): accounts below it,
    /// never flagged, are left out of every pass that looks for those.
    static func notableBehaviour(_ settings: DetectorSettings) -> Double {
        min(settings.linkBehaviourScore, settings.watchRisk * 0.6)
    }

    func judgeAlone(_ account: Int32, stats: BehaviourStats) -> Assessment {
        judge([account], stats, ClusterContext(accounts: 1, spanDays: spanDays(from: evidence.accounts[Int(account)].firstSeen)))
    }

    func judge(_ members: [Int32], _ pooled: BehaviourStats, _ context: ClusterContext) -> Assessment {
        let risk = logistic(score(pooled, context: context, explain: false).z)
        let verdict: Verdict = risk >= settings.suspectRisk && suspectBar(pooled, context, members: members.count) == nil
            ? .suspect : (risk >= settings.watchRisk ? .watch : .clear)
        return Assessment(members: members, pooled: pooled, context: context, risk: risk, verdict: verdict)
    }

    /// The cluster as an analyst sees it: ordered members, signals with sentences and examples.
    func explain(_ a: Assessment) -> ClusterSnapshot {
        let accounts = evidence.accounts
        let sorted = a.members.sorted { (accounts[Int($0)].firstSeen, $0) < (accounts[Int($1)].firstSeen, $1) }
        let context = a.members.count > 1 ? clusterContext(a.members, examples: true) : a.context
        return ClusterSnapshot(
            key: accounts[Int(sorted[0])].id,
            verdict: a.verdict,
            risk: (a.risk * 1000).rounded() / 1000,
            accounts: sorted.map { accounts[Int($0)].id },
            exchanges: a.pooled.exchanges,
            firstSeen: a.members.map { accounts[Int($0)].firstSeen }.min() ?? now,
            lastSeen: a.members.map { accounts[Int($0)].lastSeen }.max() ?? now,
            // Suspect since a snapshot's look, before the next scheduled evaluation records it: flagged now.
            flaggedAt: a.members.compactMap { flaggedAt[Int($0)] }.min() ?? (a.verdict == .suspect ? now : nil),
            signals: score(a.pooled, context: context, explain: true).signals,
            hourlyRate: hourlyRate(a.members),
            ties: a.members.count > 1 ? ties(a.members, context: context) : [],
            verdictNote: a.verdict != .suspect && a.risk >= settings.suspectRisk
                ? suspectBar(a.pooled, context, members: a.members.count)?.note(a.pooled, context, settings, members: a.members.count) : nil,
            members: sorted.map { m in
                let account = accounts[Int(m)]
                let counts = evidence.activity(Int(m)).stats
                return MemberFigures(account: account.id, firstSeen: account.firstSeen, lastSeen: account.lastSeen,
                                     exchanges: counts.exchanges, prompts: counts.prompts,
                                     extractionPrompts: counts.extractionPrompts, flaggedAt: flaggedAt[Int(m)])
            }
        )
    }


    /// The cluster's ties by kind, strongest evidence first, each with what binds it.
    private func ties(_ members: [Int32], context c: ClusterContext) -> [ClusterTie] {
        let linkedBy = coordination.linkedBy
        guard linkedBy.count == evidence.accounts.count else { return [] }
        var counts = [Int](repeating: 0, count: TieKind.allCases.count)
        for m in members { for kind in TieKind.allCases where linkedBy[Int(m)] & kind.bit != 0 { counts[kind.rawValue] += 1 } }
        return Self.tieOrder.filter { counts[$0.rawValue] > 0 }.map { kind in
            let examples: [String]
            switch kind {
            case .card: examples = c.cardExamples
            case .org: examples = c.orgExamples
            case .harnessCopies: examples = c.harnessExamples
            case .synchrony: examples = c.synchronyExamples
            case .sharedAddress, .infrastructure, .newcomer: examples = c.infrastructureExamples
            case .templateFamily: examples = c.familyExamples
            }
            return ClusterTie(kind: kind, accounts: counts[kind.rawValue], examples: examples)
        }
    }

    private func spanDays(from first: StreamTime) -> Double {
        max(1.0 / 24, Double(now - first) / 86_400_000)
    }

    /// Exchanges per stream hour for the cluster over the last `Snapshot.hourlyBuckets` hours.
    private func hourlyRate(_ members: [Int32]) -> [Int] {
        let n = Snapshot.hourlyBuckets
        let nowHour = floorDiv(now, 3_600_000)
        var out = [Int](repeating: 0, count: n)
        for m in members {
            let a = evidence.activity(Int(m))
            guard a.hourlyNewest != .min else { continue }
            for back in 0..<n {
                let hour = nowHour - Int64(back)
                if hour > a.hourlyNewest || a.hourlyNewest - hour >= Int64(n) { continue }
                out[n - 1 - back] += Int(a.hourly[Int(floorMod(hour, Int64(n)))])
            }
        }
        return out
    }

    /// An account's own behaviour score, trusted for linking once it has a few prompts.
    /// −1 means "not enough prompts to say".
    func accountBehaviour(_ s: BehaviourStats, firstSeen: StreamTime) -> Double {
        guard max(s.prompts, s.exchanges - s.prompts) >= settings.minimumPromptsForAccountScore else { return -1 }
        let context = ClusterContext(accounts: 1, spanDays: spanDays(from: firstSeen))
        let b = logistic(score(s, context: context, explain: false, certaintyPrompts: settings.linkCertaintyPrompts).z)
        // Prompts that ask for a trace while, over enough exchanges, the answers carry none (a
        // model-as-judge pipeline's short verdicts) make an account worth a look, not a harvester
        // that a shared cloud range may tie to strangers.
        if s.tokenExchanges >= settings.minimumPromptsForSuspect && ScoringRules.harvestInAnswers(s) <= 0 {
            return min(b, Self.notableBehaviour(settings))
        }
        return b
    }

    /// Why a cluster whose risk reaches `suspect` is held below it.
    enum SuspectBar {
        case thinEvidence, noHarvest, answersCarryNoHarvest, onePayerInTheOpen, loneVolume

        func note(_ s: BehaviourStats, _ context: ClusterContext, _ settings: DetectorSettings, members: Int) -> String {
            switch self {
            case .thinEvidence:
                return "held at watch: \(s.verdictEvidence) \(s.prompts * 2 >= s.exchanges ? "prompts" : "exchanges") so far, \(settings.minimumPromptsForSuspect) needed to rest a verdict of suspect on"
            case .noHarvest:
                return "held at watch: nothing harvested shows (no requests for reasoning, few long answers, no agentic sessions)"
            case .answersCarryNoHarvest:
                let who = members == 1 ? "one account" : "\(members) accounts of one declared org"
                return "held at watch: \(who), nothing hidden across identities, and the answers carry no harvest (\(Int(roundingSaturated: s.longOutputShare * 100))% long, \(Int(roundingSaturated: s.outputHeavyShare * 100))% output-heavy)"
            case .onePayerInTheOpen:
                return "held at watch: one card pays for \(context.mostAccountsOnOneCard) of the \(members) accounts, they keep their addresses, and no prompt asks for reasoning traces; ask the card's holder"
            case .loneVolume:
                return "held at watch: a lone account with \(s.exchanges) exchanges, \(settings.minimumExchangesForLoneSuspect) needed"
            }
        }
    }

    /// A verdict of `suspect` needs enough material to rest on, and, where the log shows prompts
    /// or answer sizes, the harvest itself: prompts (or conversations' openers) asking for
    /// reasoning traces, long answers, or agentic sessions. Shared cards, shared addresses and
    /// step-by-step prompts are what a university's research groups on their grant cards or a
    /// class also show; without a harvest such a cluster is at most `watch`.
    ///
    /// One customer in the open (a lone account, or accounts that all declare one org) has no
    /// hidden operator to expose; its own traffic must show the harvest where a distiller takes
    /// it, in the answers (long ones, or agentic sessions). Scoring against a rubric and asking
    /// for a verdict in JSON is what every model-as-judge pipeline sends, and its answers are short.
    ///
    /// One payer in the open is the same case seen through the card: most of the accounts on one
    /// card, each keeping to its own addresses, none asking for reasoning traces. That is a
    /// department paying for a course, or a company for its staff, whose members are alike
    /// because they do the same work at the same hours; a farm spreads its accounts over cards,
    /// since one card for all falls with one chargeback and names the payer. Long answers alone
    /// are what such customers come for, so here the prompts must ask for the harvest.
    /// nil: nothing holds it back.
    func suspectBar(_ s: BehaviourStats, _ context: ClusterContext, members: Int) -> SuspectBar? {
        guard s.verdictEvidence >= settings.minimumPromptsForSuspect else { return .thinEvidence }
        if (s.prompts > 0 || s.tokenExchanges > 0) && ScoringRules.harvest(s) <= 0 { return .noHarvest }
        if (members == 1 || context.oneDeclaredOrg) && s.tokenExchanges > 0 && ScoringRules.harvestInAnswers(s) <= 0 { return .answersCarryNoHarvest }
        if members > 1 && context.mostAccountsOnOneCard * 2 >= members && s.ipRotation < settings.maxRotationForAddressLink
            && s.prompts > 0 && ScoringRules.asksForReasoning(s) <= 0 { return .onePayerInTheOpen }
        return members > 1 || s.exchanges >= settings.minimumExchangesForLoneSuspect ? nil : .loneVolume
    }

    // MARK: Cluster evidence

    struct ClusterContext {
        var accounts = 1
        /// Largest number of separate orgs (or org-less accounts) riding on one card.
        var maxIdentitiesPerCard = 0
        /// Most members paying with one card (their first).
        var mostAccountsOnOneCard = 0
        var cards = 0
        var cardExamples: [String] = []
        /// Most cards paying for the members of one declared org (each member's first card).
        var maxCardsPerOrg = 0
        var splitPaymentExamples: [String] = []
        var orgExamples: [String] = []
        /// Independent owners that share one IP or range inside the cluster.
        var maxOwnersPerInfrastructure = 0
        var infrastructureExamples: [String] = []
        /// Accounts sharing the cluster's most common template family.
        var maxAccountsPerFamily = 0
        var familyExamples: [String] = []
        var burstAccounts = 0
        var burstStart: StreamTime?
        var spanDays = 1.0
        /// Members that behave as copies on a shared harness value, and the values.
        var homogeneousAccounts = 0
        /// The largest share of a harness value's users held by copies in this cluster.
        var harnessExclusivity = 0.0
        var harnessExamples: [String] = []
        /// Members in step with another member's active windows.
        var synchronisedAccounts = 0
        var synchronyExamples: [String] = []
        /// Every member declares the same org and the org pays as one customer does: one card
        /// for at least half of them, or no card shown at all. A team whose accounts work in
        /// step, from one template, signed up together, is doing what a team does; coordination
        /// is evidence of a hidden common operator, and here the operator is declared. The org
        /// is a free field, so the card must agree: a farm that declares one org over many
        /// cards keeps its cards apart for the chargebacks, which no team does.
        var oneDeclaredOrg = false
    }

    func clusterContext(_ members: [Int32], examples: Bool) -> ClusterContext {
        var c = ClusterContext()
        c.accounts = members.count
        let accounts = evidence.accounts
        let first = members.map { accounts[Int($0)].firstSeen }.min() ?? now
        c.spanDays = max(1.0 / 24, Double(now - first) / 86_400_000)
        guard members.count > 1 else { return c }
        let org = accounts[Int(members[0])].firstOrgSlot
        let oneOrg = org >= 0 && members.allSatisfy { accounts[Int($0)].firstOrgSlot == org }
        // Sets of accounts, slots and owners here are sorted arrays: hashing every member of
        // every cluster into `Set`s with SipHash was most of the time of an evaluation.
        let sortedMembers = members.sorted()
        let isMember = { (m: Int32) in sortedMembers.containsSorted(m) }

        // Scoring alone (no examples) needs these counts only up to where their signal's ramp is
        // full: more changes no weight, and the largest clusters are where counting costs.
        let identityCap = examples ? Int.max : Int(Self.identitiesPerCardAtFullWeight)
        let ownerCap = examples ? Int.max : Int(Self.ownersPerInfrastructureAtFullWeight)

        // Cards: how many distinct orgs (org-less accounts count singly) share each card.
        let cardSlots = Self.distinctInOrder(members.lazy.map { accounts[Int($0)].firstCardSlot })
        c.cards = cardSlots.count
        c.mostAccountsOnOneCard = ClusterBuilder.accountsOnTopCard(members, accounts: accounts)
        c.oneDeclaredOrg = oneOrg && (c.mostAccountsOnOneCard == 0 || c.mostAccountsOnOneCard * 2 >= members.count)
        var perCard: [(Int, String)] = []
        let cards = evidence.tables[ValueKind.card.rawValue].states
        for slot in cardSlots where c.maxIdentitiesPerCard < identityCap {
            let accountsInside: Int, identities: Int
            var withoutOrg = 0
            if cards[Int(slot)].distinct == 1 {
                // A card of one account (a farm that buys a card per account has hundreds) is
                // one identity: no lists to build and sort for it.
                accountsInside = 1
                identities = 1
                if examples, let only = cards[Int(slot)].members.first, accounts[Int(only)].firstOrgSlot < 0 { withoutOrg = 1 }
            } else {
                let inside = cards[Int(slot)].members(among: members, isInGroup: isMember)
                accountsInside = inside.count
                identities = Self.distinctCount(inside.lazy.map { m -> Int64 in
                    let org = accounts[Int(m)].firstOrgSlot
                    return org >= 0 ? Int64(org) : (1 << 40 | Int64(m))
                }, upTo: identityCap)
                if examples { withoutOrg = inside.filter { accounts[Int($0)].firstOrgSlot < 0 }.count }
            }
            if examples {
                // Orgs and org-less accounts said apart: an account without an org is its own
                // identity, not an org.
                let orgs = identities - withoutOrg
                let who = withoutOrg == 0 ? "\(orgs) org\(orgs == 1 ? "" : "s")"
                    : orgs == 0 ? "none with an org" : "\(orgs) org\(orgs == 1 ? "" : "s") and \(withoutOrg) without one"
                perCard.append((identities, "\(cards[Int(slot)].display): \(accountsInside) account\(accountsInside == 1 ? "" : "s"), \(who)"))
            }
            c.maxIdentitiesPerCard = max(c.maxIdentitiesPerCard, identities)
        }
        if examples {
            // Orgs held by two or more of the members, largest first: what an org tie names.
            var perOrg: [Int32: Int] = [:]
            for m in members where accounts[Int(m)].firstOrgSlot >= 0 { perOrg[accounts[Int(m)].firstOrgSlot, default: 0] += 1 }
            let orgs = evidence.tables[ValueKind.org.rawValue].states
            c.orgExamples = perOrg.filter { $0.value >= 2 }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(4)
                .map { "\(orgs[Int($0.key)].display): \($0.value) accounts" }
        }
        if examples {
            perCard.sort { $0.0 > $1.0 }
            c.cardExamples = perCard.prefix(4).map(\.1)
        }
        // Cards per declared org, the mirror of orgs per card: an org is billed as one
        // customer, so its accounts spread over many cards are separate payers under one name.
        var orgCards: [Int64] = []
        for m in members {
            let org = accounts[Int(m)].firstOrgSlot, card = accounts[Int(m)].firstCardSlot
            if org >= 0 && card >= 0 { orgCards.append(Int64(org) << 32 | Int64(card)) }
        }
        if orgCards.count >= 2 {
            orgCards.sort()
            var perOrg: [(cards: Int, accounts: Int, org: Int32)] = []
            var k = 0
            while k < orgCards.count {
                let org = orgCards[k] >> 32
                var cardCount = 0, accountCount = 0
                while k < orgCards.count && orgCards[k] >> 32 == org {
                    if accountCount == 0 || orgCards[k - 1] != orgCards[k] { cardCount += 1 }
                    accountCount += 1
                    k += 1
                }
                c.maxCardsPerOrg = max(c.maxCardsPerOrg, cardCount)
                if examples && cardCount >= 2 { perOrg.append((cardCount, accountCount, Int32(org))) }
            }
            if examples {
                let orgs = evidence.tables[ValueKind.org.rawValue].states
                c.splitPaymentExamples = perOrg.sorted { ($0.cards, $1.org) > ($1.cards, $0.org) }.prefix(4)
                    .map { "\(orgs[Int($0.org)].display): \($0.accounts) accounts on \($0.cards) cards" }
            }
        }

        // Infrastructure shared across owners inside the cluster.
        var infra: [(Int, String)] = []
        kinds: for kind in [ValueKind.ip, .ipRange, .systemPrompt, .tools] {
            let values = evidence.tables[kind.rawValue].states
            // Only the values this cluster's accounts used last are cheap to reach; those
            // are the ones that matter for a live cluster.
            for slot in Self.distinctInOrder(members.lazy.map { evidence.lastSlot(kind, account: $0) }) {
                if c.maxOwnersPerInfrastructure >= ownerCap { break kinds }
                // One account's address (a proxy per request leaves hundreds) has one owner.
                guard values[Int(slot)].distinct >= 2 else { continue }
                let inside = values[Int(slot)].members(among: members, isInGroup: isMember)
                let ownerCount = Self.distinctCount(inside.lazy.map { evidence.owner(Int($0)) }, upTo: ownerCap)
                guard ownerCount >= 2 else { continue }
                c.maxOwnersPerInfrastructure = max(c.maxOwnersPerInfrastructure, ownerCount)
                if examples { infra.append((ownerCount, "\(kindLabel(kind)) \(values[Int(slot)].display): \(inside.count) accounts, \(ownerCount) owners")) }
            }
        }
        if examples {
            infra.sort { $0.0 > $1.0 }
            c.infrastructureExamples = infra.prefix(4).map(\.1)
        }

        // Template families shared by several members: each kind's keys sorted, then counted in
        // runs (a dictionary hashed every member's keys with SipHash).
        var familyCounts: [(count: Int, key: UInt64, kind: ValueKind)] = []
        var keys: [UInt64] = []
        keys.reserveCapacity(members.count * TopFamilies.capacity)
        for kind in [ValueKind.promptPrefix, .promptSuffix] {
            keys.removeAll(keepingCapacity: true)
            for m in members {
                if kind == .promptPrefix {
                    evidence.families(Int(m)).prefix.forEachRecurringKey { keys.append($0) }
                } else {
                    evidence.families(Int(m)).suffix.forEachRecurringKey { keys.append($0) }
                }
            }
            keys.sort()
            var run = 0
            for (i, key) in keys.enumerated() {
                run += 1
                guard i + 1 == keys.count || keys[i + 1] != key else { continue }
                c.maxAccountsPerFamily = max(c.maxAccountsPerFamily, run)
                if examples { familyCounts.append((run, key, kind)) }
                run = 0
            }
        }
        if examples {
            let topFamilies = familyCounts.sorted { ($0.count, $0.key, $0.kind.rawValue) > ($1.count, $1.key, $1.kind.rawValue) }.prefix(3)
            for family in topFamilies where family.count >= 2 {
                if let slot = evidence.tables[family.kind.rawValue].index[family.key] {
                    c.familyExamples.append("\(family.count) accounts: \(evidence.tables[family.kind.rawValue].states[Int(slot)].display)")
                }
            }
        }

        // Coordination ties found at the last search.
        if let ties = coordination.ties {
            var values: [Int64] = []
            for m in members where Int(m) < ties.harnessValue.count {
                if ties.harnessValue[Int(m)] >= 0 {
                    c.homogeneousAccounts += 1
                    c.harnessExclusivity = max(c.harnessExclusivity, Double(ties.harnessShare[Int(m)]))
                    if examples { values.append(ties.harnessValue[Int(m)]) }
                }
                if ties.inStep[Int(m)] > 0 { c.synchronisedAccounts += 1 }
            }
            if examples { describeCoordination(members, values: values, ties: ties, into: &c) }
        }

        // Creation burst: the most members first seen inside one window, ignoring accounts that
        // were simply already active when the stream began.
        if let start = evidence.streamStart {
            let births = members.map { accounts[Int($0)].firstSeen }.filter { $0 > start + 3_600_000 }.sorted()
            var lo = 0
            for hi in births.indices {
                while births[hi] - births[lo] > settings.creationBurstWindow { lo += 1 }
                if hi - lo + 1 > c.burstAccounts { c.burstAccounts = hi - lo + 1; c.burstStart = births[lo] }
            }
        }
        return c
    }

    /// Sentences for the coordination ties inside one cluster: which harness values its copies
    /// share (and whether anyone outside uses them), and the windows its members were active in together.
    private func describeCoordination(_ members: [Int32], values: [Int64], ties: CoordinationTies, into c: inout ClusterContext) {
        // Counted per label: a template family is one thing to the analyst, whichever end of
        // the prompt it was read from.
        var perLabel: [(singular: String, plural: String, values: Int, exclusive: Int)] = []
        for packed in Set(values).sorted() {
            let kind = ValueKind(rawValue: Int(packed >> 32)) ?? .tools
            let state = evidence.tables[kind.rawValue].states[Int(Int32(truncatingIfNeeded: packed))]
            let inside = members.filter { state.contains($0) }.count
            let labels = harnessLabels(kind)
            if let i = perLabel.firstIndex(where: { $0.plural == labels.many }) {
                perLabel[i].values += 1
                if inside == state.memberCount { perLabel[i].exclusive += 1 }
            } else {
                perLabel.append((labels.one, labels.many, 1, inside == state.memberCount ? 1 : 0))
            }
        }
        if c.homogeneousAccounts > 0 {
            let parts = perLabel.map { e -> String in
                let named = "\(e.values) " + (e.values == 1 ? e.singular : e.plural)
                if e.exclusive == e.values { return named + " used by no one else" }
                if e.exclusive == 0 { return named + " that others use too" }
                return named + " (\(e.exclusive) used by no one else)"
            }
            let spread = profileSpread(members.filter { Int($0) < ties.harnessValue.count && ties.harnessValue[Int($0)] >= 0 })
            c.harnessExamples.append("\(c.homogeneousAccounts) accounts behave as copies on a shared harness: " + parts.joined(separator: ", ")
                                     + String(format: "; behaviour profiles within %.1f of each other on every axis", spread))
        }
        if c.synchronisedAccounts > 0 {
            let w = windowsTogether(members, ties: ties)
            c.synchronyExamples.append("\(w.inStep) accounts active together: at least half of them in each of \(w.together) fifteen-minute windows of the last four days, of \(w.used) windows any of them used")
        }
    }

    /// Of the members in step with another account: how many, the fifteen-minute windows in which
    /// at least half of them were active, and the windows any of them used.
    func windowsTogether(_ members: [Int32], ties: CoordinationTies) -> (inStep: Int, together: Int, used: Int) {
        let inStep = members.filter { Int($0) < ties.inStep.count && ties.inStep[Int($0)] > 0 }
        let nowWindow = floorDiv(now, ActivityWindows.bucketMillis)
        var counts: [Int64: Int] = [:]
        for m in inStep { for w in evidence.windows(Int(m)).active(asOf: nowWindow) { counts[w, default: 0] += 1 } }
        return (inStep.count, counts.values.filter { $0 * 2 >= inStep.count }.count, counts.count)
    }

    /// The median, over members, of the largest axis distance to the group's median profile.
    func profileSpread(_ members: [Int32]) -> Double {
        guard members.count > 1 else { return 0 }
        var center = SIMD16<Float>()
        for d in 0..<BehaviourProfile.dimensions {
            // An axis not yet known for a member (NaN) is left out of its median.
            let values = members.map { coordination.profiles[Int($0)].point[d] }.filter { !$0.isNaN }.sorted()
            center[d] = values.isEmpty ? .nan : values[values.count / 2]
        }
        let c = BehaviourProfile(point: center)
        let distances = members.map { Double(coordination.profiles[Int($0)].distance(to: c)) }.sorted()
        return distances[distances.count / 2]
    }

    /// The non-negative slots among `slots`, each once, in the order they first appear.
    static func distinctInOrder<S: Sequence<Int32>>(_ slots: S) -> [Int32] {
        var seen: [(slot: Int32, first: Int)] = []
        for (i, slot) in slots.enumerated() where slot >= 0 { seen.append((slot, i)) }
        seen.sort { ($0.slot, $0.first) < ($1.slot, $1.first) }
        var firsts: [(slot: Int32, first: Int)] = []
        for (i, entry) in seen.enumerated() where i == 0 || seen[i - 1].slot != entry.slot { firsts.append(entry) }
        firsts.sort { $0.first < $1.first }
        return firsts.map(\.slot)
    }

    /// How many different values `values` holds, or `cap` if that many or more. A cap of a
    /// handful is counted in a small buffer, with no array built and sorted.
    static func distinctCount<S: Sequence<Int64>>(_ values: S, upTo cap: Int) -> Int {
        guard cap <= 16 else { return distinctCount(Array(values)) }
        return withUnsafeTemporaryAllocation(of: Int64.self, capacity: max(cap, 1)) { seen in
            var n = 0
            for v in values where !seen[..<n].contains(v) {
                guard n < cap else { return cap }
                seen[n] = v
                n += 1
            }
            return n
        }
    }

    /// How many different values `values` holds.
    static func distinctCount(_ values: [Int64]) -> Int {
        guard values.count > 1 else { return values.count }
        let sorted = values.sorted()
        var count = 1
        for i in 1..<sorted.count where sorted[i] != sorted[i - 1] { count += 1 }
        return count
    }

    private func kindLabel(_ kind: ValueKind) -> String {
        switch kind {
        case .ip: return "IP"
        case .ipRange: return "range"
        case .systemPrompt: return "system prompt"
        case .tools: return "tool schema"
        default: return "\(kind)"
        }
    }

    /// A harness value's kind in the singular and the plural, for "1 tool schema used by no
    /// one else" and "2 template families".
    func harnessLabels(_ kind: ValueKind) -> (one: String, many: String) {
        switch kind {
        case .tools: return ("tool schema", "tool schemas")
        case .systemPrompt: return ("system prompt", "system prompts")
        case .promptPrefix, .promptSuffix: return ("template family", "template families")
        case .ipRange: return ("address range", "address ranges")
        case .ip: return ("address", "addresses")
        default: return ("\(kind) value", "\(kind) values")
        }
    }

    // MARK: Scoring

    struct Scored { var z: Double; var signals: [Signal] }

    /// Where the shared-card and shared-infrastructure signals reach full weight (scoring counts
    /// stop there; see `clusterContext`).
    static let identitiesPerCardAtFullWeight = 8.0
    static let ownersPerInfrastructureAtFullWeight = 10.0

    /// The rules. Each term is a named signal with its log-odds contribution and a sentence.
    func score(_ s: BehaviourStats, context c: ClusterContext, explain: Bool, certaintyPrompts: Int? = nil) -> Scored {
        var z = Self.base
        var signals: [Signal] = []
        // Behaviour read from few prompts is uncertain: shrink it toward "no evidence" until
        // there is enough (half weight at `certaintyPrompts` prompts). Cross-account evidence
        // (shared cards, bursts) is a fact, not a sample, and is not shrunk.
        // Prompt signals rest on prompts; the others (tokens, sessions, hours, addresses) on
        // exchanges, so logs that carry no prompt text are still judged.
        let k = Double(certaintyPrompts ?? settings.certaintyPrompts)
        let promptCertainty = Double(s.prompts) / (Double(s.prompts) + k)
        let exchangeCertainty = Double(s.exchanges) / (Double(s.exchanges) + k)
        let input = RuleInput(stats: s, context: c, newModel: evidence.newModel, settings: settings)
        ScoringRules.all.withUnsafeBufferPointer { rules in
            for index in rules.indices {
                // Read without a retain and release per rule: the table is static.
                unowned(unsafe) let rule = rules[index]
                guard rule.gate?(input) ?? true else { continue }
                let shrink: Double
                switch rule.basis {
                case .prompts: shrink = promptCertainty
                case .exchanges: shrink = exchangeCertainty
                case .accounts: shrink = 1
                }
                let ramped = ramp(rule.value(input), rule.low, rule.high)
                guard ramped > 0 else { continue }
                let weight = rule.weight * ramped * (rule.factor?(input) ?? 1) * shrink
                guard abs(weight) >= 0.005 else { continue }
                z += weight
                guard explain else { continue }
                signals.append(Signal(name: rule.name, weight: (weight * 100).rounded() / 100, detail: rule.detail(input), examples: rule.examples(input)))
            }
        }
        signals.sort { abs($0.weight) > abs($1.weight) }
        return Scored(z: z, signals: signals)
    }
}

@inline(__always) func ramp(_ x: Double, _ low: Double, _ high: Double) -> Double {
    if x <= low { return 0 }
    if x >= high { return 1 }
    return (x - low) / (high - low)
}

@inline(__always) func logistic(_ z: Double) -> Double { 1 / (1 + exp(-z)) }

/// Up to `limit` distinct values in one small array, emptied and reused for each shared value:
/// owner checks are capped at a handful, where a linear scan beats hashing into a new `Set`.
struct SmallDistinctSet {
    private var values: [Int64] = []
    let limit: Int

    init(limit: Int) {
        self.limit = limit
        values.reserveCapacity(limit)
    }

    mutating func removeAll() { values.removeAll(keepingCapacity: true) }

    /// Adds `value`; false once more than `limit` distinct values have been offered.
    mutating func insert(_ value: Int64) -> Bool {
        if values.contains(value) { return true }
        guard values.count < limit else { return false }
        values.append(value)
        return true
    }
}

struct UnionFind {
    /// -1 for a root; a root's rank in `rank`, whose top bit marks an element listed in `joined`.
    private var parent: [Int32]
    private var rank: [UInt8]
    /// Every element that has been joined to another, once each, in no order: all the others
    /// are alone, so a pass over the groups costs the accounts joined, not every account.
    private(set) var joined: [Int32] = []
    private static let listed: UInt8 = 0x80

    init(count: Int) {
        parent = [Int32](repeating: -1, count: count)
        rank = [UInt8](repeating: 0, count: count)
    }

    mutating func find(_ x: Int) -> Int {
        var root = x
        while parent[root] >= 0 { root = Int(parent[root]) }
        var node = x
        while node != root { let next = Int(parent[node]); parent[node] = Int32(root); node = next }
        return root
    }

    mutating func union(_ a: Int, _ b: Int) {
        let ra = find(a), rb = find(b)
        guard ra != rb else { return }
        _ = link(ra, rb)
    }

    /// Joins two different roots; returns the root of the joined group.
    private mutating func link(_ ra: Int, _ rb: Int) -> Int {
        if rank[ra] & Self.listed == 0 { rank[ra] |= Self.listed; joined.append(Int32(ra)) }
        if rank[rb] & Self.listed == 0 { rank[rb] |= Self.listed; joined.append(Int32(rb)) }
        let ka = rank[ra] & ~Self.listed, kb = rank[rb] & ~Self.listed
        if ka < kb { parent[ra] = Int32(rb); return rb }
        if ka == kb { rank[ra] += 1 }
        parent[rb] = Int32(ra)
        return ra
    }

    /// The same joins as `union(first, m)` for each member in turn, with the group's root carried
    /// from one to the next instead of found again: half the finds of clustering were that one.
    mutating func unionAll(_ members: [Int32]) {
        guard let first = members.first else { return }
        var root = find(Int(first))
        for m in members.dropFirst() {
            let r = find(Int(m))
            if r != root { root = link(root, r) }
        }
    }

    /// The groups of two or more, each in increasing order, ordered by their smallest element.
    mutating func groups() -> [[Int32]] {
        var nodes = joined
        nodes.sort()
        var groupOfRoot: [Int: Int32] = [:]
        groupOfRoot.reserveCapacity(nodes.count / 2)
        var groups: [[Int32]] = []
        for m in nodes {
            let r = find(Int(m))
            if let g = groupOfRoot[r] { groups[Int(g)].append(m) } else { groupOfRoot[r] = Int32(groups.count); groups.append([m]) }
        }
        return groups
    }

    /// Whether `x` has been joined to anything.
    func isJoined(_ x: Int) -> Bool { rank[x] & Self.listed != 0 }
}

extension Array where Element: Comparable {
    /// Binary search in an array sorted in increasing order.
    func containsSorted(_ value: Element) -> Bool {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo < count && self[lo] == value
    }
}
