import Foundation

/// Builds clusters from the evidence graph and scores them. Rebuilt from the current state at
/// each evaluation: a value that was rare when two accounts shared it and has since become
/// popular stops gluing them, which an append-only union-find could not undo.
struct RiskModel {
    let settings: DetectorSettings
    let detector: Detector
    let now: StreamTime

    /// Score terms are log-odds; risk = logistic(base + Σ terms). The base puts an account
    /// with no evidence at ~5%.
    static let base = -3.0

    init(settings: DetectorSettings, detector: Detector, now: StreamTime) {
        self.settings = settings
        self.detector = detector
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

    /// Clusters every account, scores every cluster, and returns those worth keeping: all
    /// clusters of several accounts, and lone accounts that are not clear or were flagged once.
    func assess(behaviour: [Double], stats: [BehaviourStats]) -> [Assessment] {
        let accounts = detector.accounts
        let n = accounts.count
        guard n > 0 else { return [] }

        let owners = (0..<n).map(owner)
        // Read once per account here, not once per account per shared value below.
        let keepsAddresses = stats.map { $0.ipRotation < settings.maxRotationForAddressLink }

        var forest = UnionFind(count: n)
        var linked = [TieKind.Set](repeating: 0, count: n)
        func mark(_ members: [Int32], _ kind: TieKind) { for m in members { linked[Int(m)] |= kind.bit } }
        var steadyOwners = SmallDistinctSet(limit: settings.maxOwnersForIdentityLink)
        // Identity links: cards, orgs, and small groups of owners on one address or fingerprint.
        for kind in ValueKind.allCases where kind.linking == .identity || kind.linksSmallOwnerGroups {
            let table = detector.tables[kind.rawValue]
            // Fields read in place: a copy of each value retained and released its label and lists.
            table.states.withUnsafeBufferPointer { states in
                for slot in table.shared {
                    let i = Int(slot)
                    guard states[i].alive, states[i].distinct >= 2 else { continue }
                    if kind.linking == .identity {
                        if kind == .card && states[i].memberCount > settings.maxAccountsPerLinkingCard { continue }
                        forest.unionAll(states[i].members)
                        mark(states[i].members, kind == .card ? .card : .org)
                        continue
                    }
                    // More members than the owner limit could ever cover cheaply: a popular value.
                    guard states[i].overflow == 0, states[i].distinct <= settings.maxMembersForOwnerCheck else { continue }
                    // Only accounts that keep their addresses: one that rotates through a proxy
                    // pool meets strangers on shared IPs by chance, and one that hides its
                    // address is not vouched for by a fingerprint it shares with a few others.
                    let members = states[i].members
                    var steady = 0
                    steadyOwners.removeAll()
                    var tooManyOwners = false
                    for m in members where keepsAddresses[Int(m)] {
                        steady += 1
                        guard steadyOwners.insert(owners[Int(m)]) else { tooManyOwners = true; break }
                    }
                    guard !tooManyOwners, steady >= 2 else { continue }  // too many owners: no link
                    var anchor = -1
                    for m in members where keepsAddresses[Int(m)] {
                        if anchor < 0 { anchor = Int(m) } else { forest.union(anchor, Int(m)) }
                        linked[Int(m)] |= TieKind.sharedAddress.bit
                    }
                }
            }
        }
        // Infrastructure links among accounts that already behave like extraction, through the
        // values they use, where such accounts are most of the value's users.
        // A value as (kind << 32 | slot): sorted and deduplicated as plain integers.
        struct ValueRef: Equatable {
            var packed: UInt64
            init(kind: Int, slot: Int32) { packed = UInt64(kind) << 32 | UInt64(UInt32(bitPattern: slot)) }
            init(packed: UInt64) { self.packed = packed }
            var kind: Int { Int(packed >> 32) }
            var slot: Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: packed)) }
        }
        var candidates: [UInt64] = []
        let infrastructureKinds: [ValueKind] = [.ip, .ipRange, .systemPrompt, .tools]
        let prefixes = detector.tables[ValueKind.promptPrefix.rawValue].index
        let suffixes = detector.tables[ValueKind.promptSuffix.rawValue].index
        for i in 0..<n where behaviour[i] >= settings.linkBehaviourScore {
            for kind in infrastructureKinds {
                let slot = detector.lastSlot(kind, account: Int32(i))
                if slot >= 0 { candidates.append(ValueRef(kind: kind.rawValue, slot: slot).packed) }
            }
            accounts[i].prefixFamilies.forEachRecurringKey { key in
                if let slot = prefixes[key] { candidates.append(ValueRef(kind: ValueKind.promptPrefix.rawValue, slot: slot).packed) }
            }
            accounts[i].suffixFamilies.forEachRecurringKey { key in
                if let slot = suffixes[key] { candidates.append(ValueRef(kind: ValueKind.promptSuffix.rawValue, slot: slot).packed) }
            }
        }
        // Addresses, ranges and fingerprints first; template families after, and only to gather
        // accounts that nothing else has placed (alone, or in a small group) with each other. Two
        // operations that both ask for step-by-step reasoning write alike; that alone does not
        // make them one operation. Each value once: sorted, then repeats skipped.
        candidates.radixSort()
        var ordered: [ValueRef] = []
        ordered.reserveCapacity(candidates.count)
        for packed in candidates where ordered.last?.packed != packed { ordered.append(ValueRef(packed: packed)) }
        // Accounts an identity (card, org, a household's address) already put in a group that
        // size: copies on a public template do not join two such groups.
        // Read now, and only when the last search found copies on a template at all.
        var placedByIdentity: [Bool] = []
        if (detector.coordination?.harnessGroups ?? []).contains(where: { $0.kind.isPromptFamily }) {
            placedByIdentity = Self.inGroupsToKeepApart(&forest, count: n, minimum: settings.minimumAccountsToKeepApart)
        }
        var placed: [Bool]?
        for ref in ordered {
            let family = kind(ref.kind).isPromptFamily
            let value = detector.tables[ref.kind].states[Int(ref.slot)]
            guard value.alive, value.distinct >= 2 else { continue }
            let members = value.members
            // Counted before any list is built: most values fail this test.
            var suspiciousCount = 0, knownHonest = 0
            for m in members {
                let b = behaviour[Int(m)]
                if b >= settings.linkBehaviourScore { suspiciousCount += 1 } else if b >= 0 { knownHonest += 1 }
            }
            guard suspiciousCount >= 2 && Double(suspiciousCount) >= settings.suspiciousShareForInfrastructureLink * Double(value.memberCount) else { continue }
            let suspicious = members.filter { behaviour[Int($0)] >= settings.linkBehaviourScore }
            if !family {
                forest.unionAll(suspicious)
                mark(suspicious, .infrastructure)
                // Accounts too new to judge go with the extractors whose fingerprint they share,
                // unless honest-looking accounts use it too. Not through an address: a proxy
                // farm's exits are residential addresses that real customers also hold.
                let fingerprint = ref.kind == ValueKind.systemPrompt.rawValue || ref.kind == ValueKind.tools.rawValue
                if fingerprint && Double(knownHonest) <= settings.maxHonestShareForNewcomerLink * Double(value.distinct) {
                    let anchor = Int(suspicious[0])
                    for m in members where behaviour[Int(m)] < 0 {
                        forest.union(anchor, Int(m))
                        linked[Int(m)] |= TieKind.newcomer.bit
                    }
                }
                continue
            }
            if placed == nil {
                // Which accounts already share a cluster, before any family link.
                placed = Self.inGroupsToKeepApart(&forest, count: n, minimum: settings.minimumAccountsToKeepApart)
            }
            let loose = suspicious.filter { !placed![Int($0)] }
            forest.unionAll(loose)
            if loose.count >= 2 { mark(loose, .templateFamily) }
        }

        // A farm that spreads a new operation over fresh accounts sends each only a few prompts
        // in its first hours; together, on the schema or template they share, they send hundreds.
        linkPooledYoungAccounts(behaviour: behaviour, stats: stats, placed: placed, forest: &forest, linked: &linked)

        // Coordination ties as found at the last scheduled search (accounts new since then have none).
        if let ties = detector.coordination {
            // Copies on a shared tool schema or system prompt are one harness. Copies on a prompt
            // template do not join accounts that separate identities placed apart: two operations
            // may copy the same public template. Groups that only shared infrastructure or a
            // family are pieces of one farm and are joined.
            for group in ties.harnessGroups {
                if !group.kind.isPromptFamily {
                    forest.unionAll(group.members)
                    mark(group.members, .harnessCopies)
                    continue
                }
                let loose = group.members.filter { !placedByIdentity[Int($0)] }
                forest.unionAll(loose)
                if loose.count >= 2 { mark(loose, .harnessCopies) }
            }
            for pair in ties.synchronisedPairs {
                forest.union(Int(pair.a), Int(pair.b))
                linked[Int(pair.a)] |= TieKind.synchrony.bit
                linked[Int(pair.b)] |= TieKind.synchrony.bit
            }
        }
        detector.linkedBy = linked

        // Group by root without a dictionary: most accounts are alone.
        var roots = [Int](repeating: 0, count: n)
        var size = [Int32](repeating: 0, count: n)
        for i in 0..<n { let r = forest.find(i); roots[i] = r; size[r] += 1 }
        var groupOfRoot = [Int32](repeating: -1, count: n)
        var groups: [[Int32]] = []
        for i in 0..<n where size[roots[i]] > 1 {
            let r = roots[i]
            if groupOfRoot[r] < 0 { groupOfRoot[r] = Int32(groups.count); groups.append([]) }
            groups[Int(groupOfRoot[r])].append(Int32(i))
        }

        var result: [Assessment] = []
        for members in groups {
            var pooled = BehaviourStats()
            for m in members { pooled += stats[Int(m)] }
            result.append(judge(members, pooled, clusterContext(members, examples: false)))
        }
        // A lone account's own behaviour score is its cluster score but for how long it has been
        // seen; one far below `watch` that was never flagged cannot matter and is not re-judged.
        for i in 0..<n where size[i] == 1 && roots[i] == i {
            guard behaviour[i] >= settings.watchRisk * 0.6 || accounts[i].flaggedAt != nil else { continue }
            let a = judge([Int32(i)], stats[i], ClusterContext(accounts: 1, spanDays: spanDays(from: accounts[i].firstSeen)))
            if a.verdict != .clear || accounts[i].flaggedAt != nil { result.append(a) }
        }
        return result
    }

    /// Appends the harness values of account `i` as (kind << 32 | slot): its current tool schema
    /// and system prompt, and its recurring template families. Unsorted, possibly repeated.
    private func appendHarnessValues(of i: Int, to values: inout [UInt64]) {
        func pack(_ kind: ValueKind, _ slot: Int32) -> UInt64 { UInt64(kind.rawValue) << 32 | UInt64(UInt32(bitPattern: slot)) }
        for kind in [ValueKind.tools, .systemPrompt] {
            let slot = detector.lastSlot(kind, account: Int32(i))
            if slot >= 0 { values.append(pack(kind, slot)) }
        }
        let tables = detector.tables
        detector.accounts[i].prefixFamilies.forEachRecurringKey { key in
            if let slot = tables[ValueKind.promptPrefix.rawValue].index[key] { values.append(pack(.promptPrefix, slot)) }
        }
        detector.accounts[i].suffixFamilies.forEachRecurringKey { key in
            if let slot = tables[ValueKind.promptSuffix.rawValue].index[key] { values.append(pack(.promptSuffix, slot)) }
        }
    }

    /// Links the users of a tool schema, system prompt or template family that a young account
    /// uses, when those who do not score as extraction on their own, pooled, already do: accounts
    /// too new to score, or scored on a handful of prompts, together with any extractors on it.
    /// Honest users of a shared value dilute the pool, so a popular framework's schema never
    /// passes; one that only a farm uses does, hours before each account could on its own.
    private func linkPooledYoungAccounts(behaviour: [Double], stats: [BehaviourStats], placed: [Bool]?,
                                        forest: inout UnionFind, linked: inout [TieKind.Set]) {
        let accounts = detector.accounts
        let n = accounts.count
        var values: [UInt64] = []
        // The values of young accounts that do not score as extraction on their own: where every
        // user is older, their own scores have had time to speak.
        let youngSince = now - settings.youngAccountAge
        for i in detector.youngAccounts(since: youngSince) where behaviour[i] < settings.linkBehaviourScore && stats[i].prompts > 0 && accounts[i].firstSeen >= youngSince {
            appendHarnessValues(of: i, to: &values)
        }
        guard !values.isEmpty else { return }
        // Template families, as in the family link, only gather accounts nothing else placed.
        var placed = placed
        values.radixSort()
        var previous = UInt64.max
        for packed in values where packed != previous {
            previous = packed
            let kind = Int(packed >> 32), slot = Int(Int32(bitPattern: UInt32(truncatingIfNeeded: packed)))
            detector.tables[kind].states.withUnsafeBufferPointer { states in
                guard states[slot].alive, states[slot].overflow == 0,
                      states[slot].distinct >= settings.minimumAccountsForPooledFingerprint,
                      states[slot].distinct <= settings.maxMembersForOwnerCheck else { return }
                var pooled = BehaviourStats()
                var pooledAccounts = 0, first = now
                for m in states[slot].members where behaviour[Int(m)] < settings.linkBehaviourScore {
                    pooled += stats[Int(m)]
                    pooledAccounts += 1
                    first = min(first, accounts[Int(m)].firstSeen)
                }
                guard pooledAccounts >= settings.minimumAccountsForPooledFingerprint,
                      pooled.prompts >= settings.minimumPromptsForSuspect / 2,
                      accountBehaviour(pooled, firstSeen: first) >= settings.linkBehaviourScore else { return }
                var members = states[slot].members
                let family = ValueKind(rawValue: kind)?.isPromptFamily ?? false
                if family {
                    if placed == nil { placed = Self.inGroupsToKeepApart(&forest, count: n, minimum: settings.minimumAccountsToKeepApart) }
                    members = members.filter { !placed![Int($0)] }
                    guard members.count >= settings.minimumAccountsForPooledFingerprint else { return }
                }
                forest.unionAll(members)
                for m in members where behaviour[Int(m)] < settings.linkBehaviourScore {
                    linked[Int(m)] |= family ? TieKind.templateFamily.bit : TieKind.newcomer.bit
                }
            }
        }
    }

    func judgeAlone(_ account: Int32, stats: BehaviourStats) -> Assessment {
        judge([account], stats, ClusterContext(accounts: 1, spanDays: spanDays(from: detector.accounts[Int(account)].firstSeen)))
    }

    func judge(_ members: [Int32], _ pooled: BehaviourStats, _ context: ClusterContext) -> Assessment {
        let risk = logistic(score(pooled, context: context, explain: false).z)
        let verdict: Verdict = risk >= settings.suspectRisk && eligibleForSuspect(pooled, members: members.count)
            ? .suspect : (risk >= settings.watchRisk ? .watch : .clear)
        return Assessment(members: members, pooled: pooled, context: context, risk: risk, verdict: verdict)
    }

    /// The cluster as an analyst sees it: ordered members, signals with sentences and examples.
    func explain(_ a: Assessment) -> ClusterSnapshot {
        let accounts = detector.accounts
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
            flaggedAt: a.members.compactMap { accounts[Int($0)].flaggedAt }.min() ?? (a.verdict == .suspect ? now : nil),
            signals: score(a.pooled, context: context, explain: true).signals,
            hourlyRate: hourlyRate(a.members),
            ties: a.members.count > 1 ? ties(a.members, context: context) : []
        )
    }

    /// Per account: whether its group in `forest` has at least `minimum` accounts.
    static func inGroupsToKeepApart(_ forest: inout UnionFind, count n: Int, minimum: Int) -> [Bool] {
        var size = [Int32](repeating: 0, count: n)
        for i in 0..<n { size[forest.find(i)] += 1 }
        return (0..<n).map { size[forest.find($0)] >= Int32(minimum) }
    }

    /// The cluster's ties by kind, strongest evidence first, each with what binds it.
    private func ties(_ members: [Int32], context c: ClusterContext) -> [ClusterTie] {
        let linkedBy = detector.linkedBy
        guard linkedBy.count == detector.accounts.count else { return [] }
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
            let a = detector.accounts[Int(m)]
            guard a.hourlyNewest != .min else { continue }
            for back in 0..<n {
                let hour = nowHour - Int64(back)
                if hour > a.hourlyNewest || a.hourlyNewest - hour >= Int64(n) { continue }
                out[n - 1 - back] += Int(a.hourly[Int(floorMod(hour, Int64(n)))])
            }
        }
        return out
    }

    private func kind(_ raw: Int) -> ValueKind { ValueKind(rawValue: raw) ?? .ip }

    /// An account's own behaviour score, trusted for linking once it has a few prompts.
    /// −1 means "not enough prompts to say".
    func accountBehaviour(_ s: BehaviourStats, firstSeen: StreamTime) -> Double {
        guard max(s.prompts, s.exchanges - s.prompts) >= settings.minimumPromptsForAccountScore else { return -1 }
        let context = ClusterContext(accounts: 1, spanDays: spanDays(from: firstSeen))
        return logistic(score(s, context: context, explain: false, certaintyPrompts: settings.linkCertaintyPrompts).z)
    }

    /// A verdict of `suspect` needs enough material to rest on.
    private func eligibleForSuspect(_ s: BehaviourStats, members: Int) -> Bool {
        // Prompts where the log has them; exchanges where it carries no text.
        let evidence = s.prompts * 2 >= s.exchanges ? s.prompts : s.exchanges
        guard evidence >= settings.minimumPromptsForSuspect else { return false }
        return members > 1 || s.exchanges >= settings.minimumExchangesForLoneSuspect
    }

    // MARK: Cluster evidence

    struct ClusterContext {
        var accounts = 1
        /// Largest number of separate orgs (or org-less accounts) riding on one card.
        var maxIdentitiesPerCard = 0
        var cards = 0
        var cardExamples: [String] = []
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
    }

    /// Who pays for an account: accounts on one card are one owner however many orgs they claim.
    func owner(_ i: Int) -> Int64 {
        // Fields read in place: a copy of the account would retain and release its id and ring.
        let card = detector.accounts[i].firstCardSlot
        if card >= 0 { return Int64(card) }
        let org = detector.accounts[i].firstOrgSlot
        if org >= 0 { return 1 << 40 | Int64(org) }
        return 2 << 40 | Int64(i)
    }

    func clusterContext(_ members: [Int32], examples: Bool) -> ClusterContext {
        var c = ClusterContext()
        c.accounts = members.count
        let accounts = detector.accounts
        let first = members.map { accounts[Int($0)].firstSeen }.min() ?? now
        c.spanDays = max(1.0 / 24, Double(now - first) / 86_400_000)
        guard members.count > 1 else { return c }
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
        var perCard: [(Int, String)] = []
        let cards = detector.tables[ValueKind.card.rawValue].states
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
            let orgs = detector.tables[ValueKind.org.rawValue].states
            c.orgExamples = perOrg.filter { $0.value >= 2 }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(4)
                .map { "\(orgs[Int($0.key)].display): \($0.value) accounts" }
        }
        if examples {
            perCard.sort { $0.0 > $1.0 }
            c.cardExamples = perCard.prefix(4).map(\.1)
        }

        // Infrastructure shared across owners inside the cluster.
        var infra: [(Int, String)] = []
        kinds: for kind in [ValueKind.ip, .ipRange, .systemPrompt, .tools] {
            let values = detector.tables[kind.rawValue].states
            // Only the values this cluster's accounts used last are cheap to reach; those
            // are the ones that matter for a live cluster.
            for slot in Self.distinctInOrder(members.lazy.map { detector.lastSlot(kind, account: $0) }) {
                if c.maxOwnersPerInfrastructure >= ownerCap { break kinds }
                // One account's address (a proxy per request leaves hundreds) has one owner.
                guard values[Int(slot)].distinct >= 2 else { continue }
                let inside = values[Int(slot)].members(among: members, isInGroup: isMember)
                let ownerCount = Self.distinctCount(inside.lazy.map { owner(Int($0)) }, upTo: ownerCap)
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
                    accounts[Int(m)].prefixFamilies.forEachRecurringKey { keys.append($0) }
                } else {
                    accounts[Int(m)].suffixFamilies.forEachRecurringKey { keys.append($0) }
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
                if let slot = detector.tables[family.kind.rawValue].index[family.key] {
                    c.familyExamples.append("\(family.count) accounts: \(detector.tables[family.kind.rawValue].states[Int(slot)].display)")
                }
            }
        }

        // Coordination ties found at the last search.
        if let ties = detector.coordination {
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
        if let start = detector.streamStart {
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
        var perKind: [ValueKind: (values: Int, exclusive: Int)] = [:]
        for packed in Set(values).sorted() {
            let kind = ValueKind(rawValue: Int(packed >> 32)) ?? .tools
            let state = detector.tables[kind.rawValue].states[Int(Int32(truncatingIfNeeded: packed))]
            let inside = members.filter { state.contains($0) }.count
            var entry = perKind[kind] ?? (0, 0)
            entry.values += 1
            if inside == state.memberCount { entry.exclusive += 1 }
            perKind[kind] = entry
        }
        if c.homogeneousAccounts > 0 {
            let parts = perKind.keys.sorted { $0.rawValue < $1.rawValue }.map { kind -> String in
                let e = perKind[kind]!
                return "\(e.values) \(kindLabel(plural: kind))" + (e.exclusive == e.values ? " used by no one else" : " (\(e.exclusive) used by no one else)")
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
        let accounts = detector.accounts
        let inStep = members.filter { Int($0) < ties.inStep.count && ties.inStep[Int($0)] > 0 }
        let nowWindow = floorDiv(now, ActivityWindows.bucketMillis)
        var counts: [Int64: Int] = [:]
        for m in inStep { for w in accounts[Int(m)].windows.active(asOf: nowWindow) { counts[w, default: 0] += 1 } }
        return (inStep.count, counts.values.filter { $0 * 2 >= inStep.count }.count, counts.count)
    }

    /// The median, over members, of the largest axis distance to the group's median profile.
    func profileSpread(_ members: [Int32]) -> Double {
        guard members.count > 1 else { return 0 }
        var center = SIMD16<Float>()
        for d in 0..<BehaviourProfile.dimensions {
            let values = members.map { detector.profiles[Int($0)].point[d] }.sorted()
            center[d] = values[values.count / 2]
        }
        let c = BehaviourProfile(point: center)
        let distances = members.map { Double(detector.profiles[Int($0)].distance(to: c)) }.sorted()
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

    // MARK: Coordination without shared identity

    /// Accounts that behave as copies on a shared harness value, and accounts in step with each
    /// other's active windows. Profiles and window signatures were made just before, for the
    /// compared accounts touched since the last search; the rest keep theirs.
    func findCoordination() -> CoordinationTies {
        let accounts = detector.accounts
        var ties = CoordinationTies(accounts: accounts.count)
        let density = BehaviourDensity()
        // An account's profile is trusted once it has this many exchanges, and only accounts
        // whose own behaviour leans toward a harvest are compared: copies that harvest nothing
        // would carry no weight, and the many developers of a popular IDE would cost most.
        // Decided once per account here, not once per account per value below.
        let comparable = detector.profileComparable
        // The harness values to examine are those of comparable accounts (their current tool
        // schema and system prompt, their recurring template families), as (kind << 32 | slot),
        // sorted and deduplicated: a walk over every crowded value cost a cache miss per value
        // per evaluation, most of them everyday phrasing with no comparable user.
        var harnessValues: [UInt64] = []
        for i in accounts.indices where comparable[i] { appendHarnessValues(of: i, to: &harnessValues) }
        harnessValues.radixSort()
        var previous: UInt64?
        for packed in harnessValues where packed != previous {
            previous = packed
            let kind = ValueKind(rawValue: Int(packed >> 32)) ?? .tools
            let slot = Int32(bitPattern: UInt32(truncatingIfNeeded: packed))
            // Fields read in place: copying the value's state retained and released its lists.
            detector.tables[kind.rawValue].states.withUnsafeBufferPointer { states in
                let i = Int(slot)
                guard states[i].alive, states[i].distinct > density.minimumNeighbours else { return }
                // Accounts already grouped on another value at this evaluation are not compared again.
                var members: [Int32] = []
                for m in states[i].members where comparable[Int(m)] && ties.harnessValue[Int(m)] < 0 { members.append(m) }
                guard members.count > density.minimumNeighbours else { return }
                for group in density.groups(members, profiles: detector.profiles) {
                    let groupShare = Float(group.count) / Float(max(1, states[i].memberCount))
                    for m in group where ties.harnessValue[Int(m)] < 0 {
                        ties.harnessValue[Int(m)] = Int64(packed)
                        ties.harnessShare[Int(m)] = groupShare
                    }
                    ties.harnessGroups.append(.init(value: Int64(packed), members: group))
                }
            }
        }
        // Synchrony among accounts seen within the windows' ring.
        let nowWindow = floorDiv(now, ActivityWindows.bucketMillis)
        let horizon = now - Int64(ActivityWindows.count) * ActivityWindows.bucketMillis
        // Windows are weighed against everyone active in the ring; only accounts whose own
        // behaviour leans toward a harvest are compared, as for harness copies: a tie between
        // two that harvest nothing would carry no weight, and they are most of the traffic.
        var candidates: [Int32] = []
        var signatures: [UInt32] = []
        var population = 0
        for i in accounts.indices where accounts[i].lastSeen >= horizon {
            population += 1
            guard comparable[i] && detector.hasWindowSignature[i] else { continue }
            candidates.append(Int32(i))
            detector.windowSignatures.appendSignature(of: i, to: &signatures)
        }
        if candidates.count >= 2 {
            let finder = SynchronyFinder()
            let rings = candidates.map { accounts[Int($0)].windows.aligned(asOf: nowWindow) }
            let weights = detector.windowLoad.weights(asOf: nowWindow, population: population)
            ties.synchronisedPairs = finder.pairs(candidates: candidates, signatures: signatures, rings: rings, weights: weights, asOf: nowWindow)
                .map { .init(a: $0.0, b: $0.1, overlap: $0.2, sharedWindows: $0.3) }
            for p in ties.synchronisedPairs {
                ties.inStep[Int(p.a)] = max(ties.inStep[Int(p.a)], Int32(p.sharedWindows))
                ties.inStep[Int(p.b)] = max(ties.inStep[Int(p.b)], Int32(p.sharedWindows))
            }
        }
        return ties
    }

    func kindLabel(plural kind: ValueKind) -> String {
        switch kind {
        case .tools: return "tool schemas"
        case .systemPrompt: return "system prompts"
        case .promptPrefix, .promptSuffix: return "template families"
        default: return "\(kind) values"
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
        let input = RuleInput(stats: s, context: c, newModel: detector.newModel, settings: settings)
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
    private var parent: [Int]
    private var rank: [UInt8]

    init(count: Int) {
        parent = Array(0..<count)
        rank = Array(repeating: 0, count: count)
    }

    mutating func find(_ x: Int) -> Int {
        var root = x
        while parent[root] != root { root = parent[root] }
        var node = x
        while parent[node] != root { let next = parent[node]; parent[node] = root; node = next }
        return root
    }

    mutating func union(_ a: Int, _ b: Int) {
        let ra = find(a), rb = find(b)
        guard ra != rb else { return }
        if rank[ra] < rank[rb] { parent[ra] = rb } else if rank[ra] > rank[rb] { parent[rb] = ra } else { parent[rb] = ra; rank[ra] += 1 }
    }

    mutating func unionAll(_ members: [Int32]) {
        guard let first = members.first else { return }
        for m in members.dropFirst() { union(Int(first), Int(m)) }
    }
}

extension Array where Element == Int32 {
    /// Binary search in an array sorted in increasing order.
    func containsSorted(_ value: Int32) -> Bool {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo < count && self[lo] == value
    }
}
