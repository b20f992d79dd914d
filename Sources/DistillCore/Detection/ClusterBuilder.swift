/// The second stage of the detector: which accounts belong together. It reads the evidence
/// store and the last coordination search, and returns groups and the ties that made them;
/// scoring judges the groups. Rebuilt from the current state at each evaluation: a value that
/// was rare when two accounts shared it and has since become popular stops gluing them, which
/// an append-only union-find could not undo.
struct ClusterBuilder {
    let settings: DetectorSettings
    let evidence: EvidenceStore
    let coordination: CoordinationState
    let now: StreamTime

    /// The accounts grouped: each group of several accounts, each account alone, and per
    /// account every kind of tie that joined it to another.
    struct Clustering {
        var groups: [[Int32]] = []
        /// The notable accounts (see `build`) that are alone; every other lone account is clear.
        var notableLoners: [Int32] = []
        var linkedBy: [TieKind.Set] = []
    }

    /// Groups every account. `behaviour` holds each account's own score (−1: too few prompts to
    /// say); `scorer` judges the pooled young accounts on a shared harness value. `notable` lists,
    /// in increasing order, every account whose score reaches `RiskModel.notableBehaviour` or
    /// that was ever flagged (and maybe some that no longer do): the only ones that can link
    /// through infrastructure or matter alone, so no pass over every account is needed.
    func build(behaviour: [Double], notable: [Int32], stats: AccountStatsTable, scorer: RiskModel) -> Clustering {
        let accounts = evidence.accounts
        let n = accounts.count
        guard n > 0 else { return Clustering() }

        // Read per member of the few small shared values below, not for every account: a pass
        // over all accounts' stats read hundreds of bytes per account at every evaluation.
        func keepsAddresses(_ m: Int32) -> Bool { stats[Int(m)].ipRotation < settings.maxRotationForAddressLink }

        var forest = UnionFind(count: n)
        var linked = [TieKind.Set](repeating: 0, count: n)
        func mark(_ members: [Int32], _ kind: TieKind) { for m in members { linked[Int(m)] |= kind.bit } }
        var steadyOwners = SmallDistinctSet(limit: settings.maxOwnersForIdentityLink)
        let notableScore = RiskModel.notableBehaviour(settings)
        // Identity links: cards, orgs, and small groups of owners on one address or fingerprint.
        for kind in ValueKind.allCases where kind.linking == .identity || kind.linksSmallOwnerGroups {
            let table = evidence.tables[kind.rawValue]
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
                    for m in members where keepsAddresses(m) {
                        steady += 1
                        guard steadyOwners.insert(evidence.owner(Int(m))) else { tooManyOwners = true; break }
                    }
                    guard !tooManyOwners, steady >= 2 else { continue }  // too many owners: no link
                    // A residential proxy's exit is someone's home address, and a popular client's
                    // fingerprint (one version of an official coding tool) is every user's; a farm
                    // on a few shared cards counts as a few owners on either. So a value joins only
                    // users whose own behaviour is notable: the people who live there or run that
                    // client, and accounts too new to say, stay apart from a farm account beside them.
                    func joins(_ m: Int32) -> Bool { keepsAddresses(m) && behaviour[Int(m)] >= notableScore }
                    var anchor = -1, joined = 0
                    for m in members where joins(m) {
                        if anchor < 0 { anchor = Int(m) } else { forest.union(anchor, Int(m)) }
                        joined += 1
                    }
                    if joined >= 2 { for m in members where joins(m) { linked[Int(m)] |= TieKind.sharedAddress.bit } }
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
        let prefixes = evidence.tables[ValueKind.promptPrefix.rawValue].index
        let suffixes = evidence.tables[ValueKind.promptSuffix.rawValue].index
        // The extractors heavy enough to be held to their own use of a family (read once here,
        // not per family member: most evaluations have none, and then no member is looked up).
        var heavy = Set<Int32>()
        for a in notable where behaviour[Int(a)] >= settings.linkBehaviourScore {
            let i = Int(a)
            if stats.prompts(i) >= settings.promptsForOwnFamilyUse { heavy.insert(a) }
            for kind in infrastructureKinds {
                let slot = evidence.lastSlot(kind, account: Int32(i))
                if slot >= 0 { candidates.append(ValueRef(kind: kind.rawValue, slot: slot).packed) }
            }
            let families = evidence.families(i)
            families.prefix.forEachRecurringKey { key in
                if let slot = prefixes[key] { candidates.append(ValueRef(kind: ValueKind.promptPrefix.rawValue, slot: slot).packed) }
            }
            families.suffix.forEachRecurringKey { key in
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
        if (coordination.ties?.harnessGroups ?? []).contains(where: { $0.kind.isPromptFamily }) {
            placedByIdentity = Self.inGroupsToKeepApart(&forest, count: n, minimum: settings.minimumAccountsToKeepApart, accounts: accounts)
        }
        var placed: [Bool]?
        for ref in ordered {
            let family = kind(ref.kind).isPromptFamily
            let value = evidence.tables[ref.kind].states[Int(ref.slot)]
            guard value.alive, value.distinct >= 2 else { continue }
            let members = value.members
            // Counted before any list is built: most values fail this test, and a popular one
            // fails as soon as too many of its users are not suspicious to reach the share.
            let needed = settings.suspiciousShareForInfrastructureLink * Double(value.memberCount)
            let othersAllowed = Double(members.count) - needed + 0.5
            var suspiciousCount = 0, others = 0
            for m in members {
                let b = behaviour[Int(m)]
                if b >= settings.linkBehaviourScore { suspiciousCount += 1; continue }
                others += 1
                if Double(others) > othersAllowed { break }
            }
            guard suspiciousCount >= 2 && Double(others) <= othersAllowed && Double(suspiciousCount) >= needed else { continue }
            // Filled in place: appending one by one checked the array's uniqueness per member.
            let suspicious = [Int32](unsafeUninitializedCapacity: suspiciousCount) { buffer, count in
                count = 0
                for m in members where behaviour[Int(m)] >= settings.linkBehaviourScore {
                    buffer[count] = m
                    count += 1
                }
            }
            if !family {
                forest.unionAll(suspicious)
                mark(suspicious, .infrastructure)
                // Accounts without material for a verdict of their own (too new to score, or a
                // few prompts that already lean towards extraction) go with the extractors whose
                // fingerprint they share, unless accounts that read as honest (enough prompts for
                // a verdict, or a few ordinary ones: a popular client's lighter users) use it too.
                // A farm that replaces its accounts after a session or two has most of them in
                // that state once they are too old for the young pool. Not through an address: a
                // proxy farm's exits are residential addresses real customers also hold.
                let fingerprint = ref.kind == ValueKind.systemPrompt.rawValue || ref.kind == ValueKind.tools.rawValue
                if fingerprint {
                    // One pass over the users below the link: honest-reading ones counted, the
                    // thin ones kept to join (their stats read once: a folded account unpacks).
                    var honest = 0
                    var thin: [Int32] = []
                    for m in members {
                        let b = behaviour[Int(m)]
                        guard b < settings.linkBehaviourScore else { continue }
                        if b >= 0 && (b < notableScore || stats[Int(m)].verdictEvidence >= settings.minimumPromptsForSuspect) {
                            honest += 1
                        } else {
                            thin.append(m)
                        }
                    }
                    if Double(honest) <= settings.maxHonestShareForNewcomerLink * Double(value.distinct) {
                        let anchor = Int(suspicious[0])
                        for m in thin {
                            forest.union(anchor, Int(m))
                            linked[Int(m)] |= TieKind.newcomer.bit
                        }
                    }
                }
                continue
            }
            if placed == nil {
                // Which accounts already share a cluster, before any family link.
                placed = Self.inGroupsToKeepApart(&forest, count: n, minimum: settings.minimumAccountsToKeepApart, accounts: accounts)
            }
            var loose = suspicious.filter { !placed![Int($0)] }
            if !heavy.isEmpty && loose.contains(where: heavy.contains) {
                loose = withoutOutsizedUsers(loose, heavy: heavy, of: value.key, prefix: ref.kind == ValueKind.promptPrefix.rawValue, stats: stats)
            }
            forest.unionAll(loose)
            if loose.count >= 2 { mark(loose, .templateFamily) }
        }

        // A farm that spreads a new operation over fresh accounts sends each only a few prompts
        // in its first hours; together, on the schema or template they share, they send hundreds.
        linkPooledYoungAccounts(behaviour: behaviour, stats: stats, scorer: scorer, placed: placed, forest: &forest, linked: &linked)
        // After every link that decides which groups an identity placed: card groups met on an
        // exit are one farm, not groups to keep apart from template copies.
        linkCardGroupsOnSharedExits(behaviour: behaviour, stats: stats, scorer: scorer, forest: &forest, linked: &linked)

        // Coordination ties as found at the last scheduled search (accounts new since then have none).
        if let ties = coordination.ties {
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
            // Among tens of thousands of accounts some pairs are in step by chance, and a few
            // such pairs would carry a whole org into a farm: two groups of several accounts
            // each are joined only when two or more pairs join them, and at least one pair for
            // every twenty accounts of the smaller group.
            var size: [Int: Int] = [:]
            if !ties.synchronisedPairs.isEmpty { for m in forest.joined { size[forest.find(Int(m)), default: 0] += 1 } }
            func bridge(_ pair: CoordinationTies.Pair) -> (key: UInt64, needed: Int)? {
                let ra = forest.find(Int(pair.a)), rb = forest.find(Int(pair.b))
                let smaller = min(size[ra] ?? 1, size[rb] ?? 1)
                guard ra != rb, smaller >= settings.minimumAccountsToKeepApart else { return nil }
                return (UInt64(min(ra, rb)) << 32 | UInt64(max(ra, rb)), max(2, (smaller + 19) / 20))
            }
            var bridging: [UInt64: Int] = [:]
            let bridges = ties.synchronisedPairs.map(bridge)
            for b in bridges { if let b { bridging[b.key, default: 0] += 1 } }
            for (pair, b) in zip(ties.synchronisedPairs, bridges) {
                if let b, bridging[b.key]! < b.needed { continue }
                forest.union(Int(pair.a), Int(pair.b))
                linked[Int(pair.a)] |= TieKind.synchrony.bit
                linked[Int(pair.b)] |= TieKind.synchrony.bit
            }
        }

        // Most accounts are alone: only those the forest joined are walked.
        return Clustering(groups: forest.groups(), notableLoners: notable.filter { !forest.isJoined(Int($0)) }, linkedBy: linked)
    }

    /// `members` of a template family without its heavy users (see `promptsForOwnFamilyUse`)
    /// whose use of it is not like the others': a family joins such an account only where it
    /// is at least `ownFamilyShare` of its prompts, and at most `outsizedFamilyUse` times as
    /// many as the median other member's. An evaluation team sends one public problem set's
    /// template hundreds of times and others' a few times among thousands; a farm's accounts
    /// each send it once or twice, and the public wording is all the two share.
    private func withoutOutsizedUsers(_ members: [Int32], heavy heavySet: Set<Int32>, of key: UInt64, prefix: Bool,
                                      stats: AccountStatsTable) -> [Int32] {
        let heavy = members.map(heavySet.contains)
        let uses = members.map { m in
            let families = evidence.families(Int(m))
            return (prefix ? families.prefix : families.suffix).lowerBound(of: key)
        }
        var others = zip(uses, heavy).compactMap { $1 ? nil : $0 }
        if others.isEmpty { others = uses }
        others.sort()
        let typical = max(1, others[others.count / 2])
        return members.indices.compactMap { i in
            guard heavy[i] else { return members[i] }
            let ownShare = max(2, Int(settings.ownFamilyShare * Double(stats.prompts(Int(members[i])))))
            return uses[i] >= ownShare && uses[i] <= settings.outsizedFamilyUse * typical ? members[i] : nil
        }
    }

    /// Per account: whether its group in `forest` has at least `minimum` accounts, or is a
    /// smaller group that is one customer in the open: every member declares
    /// the same org and one card pays for at least half of them (or none has a card). A lab's
    /// two or three accounts running a public benchmark send the problems a farm also copies;
    /// that alone does not make the lab part of the farm. An operation that gives each pair of
    /// accounts an org and a card of its own loses only this gathering, not its own verdict.
    static func inGroupsToKeepApart(_ forest: inout UnionFind, count n: Int, minimum: Int, accounts: [AccountState]) -> [Bool] {
        guard minimum > 1 else { return [Bool](repeating: true, count: n) }
        var groups: [Int: [Int32]] = [:]
        for m in forest.joined { groups[forest.find(Int(m)), default: []].append(m) }
        var placed = [Bool](repeating: false, count: n)
        for members in groups.values {
            var keep = members.count >= minimum
            if !keep, members.count >= 2 {
                let org = accounts[Int(members[0])].firstOrgSlot
                keep = org >= 0 && members.allSatisfy { accounts[Int($0)].firstOrgSlot == org }
                    && (members.allSatisfy { accounts[Int($0)].firstCardSlot < 0 } || mostOnOneCard(members, accounts: accounts))
            }
            if keep { for m in members { placed[Int(m)] = true } }
        }
        return placed
    }

    /// Appends the harness values of account `i` as (kind << 32 | slot): its current tool schema
    /// and system prompt, and its recurring template families. Unsorted, possibly repeated.
    private func appendHarnessValues(of i: Int, to values: inout [UInt64]) {
        func pack(_ kind: ValueKind, _ slot: Int32) -> UInt64 { UInt64(kind.rawValue) << 32 | UInt64(UInt32(bitPattern: slot)) }
        for kind in [ValueKind.tools, .systemPrompt] {
            let slot = evidence.lastSlot(kind, account: Int32(i))
            if slot >= 0 { values.append(pack(kind, slot)) }
        }
        let tables = evidence.tables
        let families = evidence.families(i)
        families.prefix.forEachRecurringKey { key in
            if let slot = tables[ValueKind.promptPrefix.rawValue].index[key] { values.append(pack(.promptPrefix, slot)) }
        }
        families.suffix.forEachRecurringKey { key in
            if let slot = tables[ValueKind.promptSuffix.rawValue].index[key] { values.append(pack(.promptSuffix, slot)) }
        }
    }

    /// Links the users of a tool schema, system prompt or template family that a young account
    /// uses, when those who do not score as extraction on their own, pooled, already do: accounts
    /// too new to score, or scored on a handful of prompts, together with any extractors on it.
    /// Honest users of a shared value dilute the pool, so a popular framework's schema never
    /// passes; one that only a farm uses does, hours before each account could on its own.
    /// An account with enough material for a verdict of its own that scores below the link is
    /// judged on that: it dilutes the pool but is not joined. One member of a team on the schema
    /// a farm copies would otherwise bring its whole org into the farm's cluster.
    private func linkPooledYoungAccounts(behaviour: [Double], stats: AccountStatsTable, scorer: RiskModel, placed: [Bool]?,
                                        forest: inout UnionFind, linked: inout [TieKind.Set]) {
        let accounts = evidence.accounts
        let n = accounts.count
        var values: [UInt64] = []
        // The values of young accounts that do not score as extraction on their own: where every
        // user is older, their own scores have had time to speak.
        let youngSince = now - settings.youngAccountAge
        for i in evidence.youngAccounts(since: youngSince) where behaviour[i] < settings.linkBehaviourScore && stats[i].prompts > 0 && accounts[i].firstSeen >= youngSince {
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
            evidence.tables[kind].states.withUnsafeBufferPointer { states in
                guard states[slot].alive, states[slot].overflow == 0,
                      states[slot].distinct >= settings.minimumAccountsForPooledFingerprint,
                      states[slot].distinct <= settings.maxMembersForOwnerCheck else { return }
                var pooled = BehaviourStats()
                var pooledAccounts = 0, first = now
                for m in states[slot].members where behaviour[Int(m)] < settings.linkBehaviourScore {
                    stats.add(Int(m), to: &pooled)
                    pooledAccounts += 1
                    first = min(first, accounts[Int(m)].firstSeen)
                }
                guard pooledAccounts >= settings.minimumAccountsForPooledFingerprint,
                      pooled.prompts >= settings.minimumPromptsForSuspect / 2,
                      scorer.accountBehaviour(pooled, firstSeen: first) >= settings.linkBehaviourScore else { return }
                // Joined: the extractors, and the accounts without enough material of their own
                // whose few exchanges already carry some of the harvest. A public problem's
                // wording is shared by a farm's new accounts and by a child asking for help with
                // homework; the child's short answers and plain questions carry none of it.
                func joins(_ m: Int32) -> Bool {
                    let b = behaviour[Int(m)]
                    if b >= settings.linkBehaviourScore { return true }
                    let own = stats[Int(m)]
                    return own.verdictEvidence < settings.minimumPromptsForSuspect
                        && (ScoringRules.reasoningOrLongAnswers(own) > 0 || ScoringRules.harvestInAnswers(own) > 0)
                }
                var members = states[slot].members.filter(joins)
                let family = ValueKind(rawValue: kind)?.isPromptFamily ?? false
                if family {
                    if placed == nil { placed = Self.inGroupsToKeepApart(&forest, count: n, minimum: settings.minimumAccountsToKeepApart, accounts: accounts) }
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

    /// A farm that puts several accounts on each card and sends them all through one proxy
    /// pool meets itself on every exit: most of each address's users are card groups, several
    /// of them, rotating through addresses. People behind one address do not look like that:
    /// a carrier's NAT is mostly people with a card each, and an office or a lab keeps to its
    /// own address. Such an address joins its rotating card groups when their traffic, pooled,
    /// is notable; the accounts themselves may each be too light to say so (a few dozen
    /// prompts a day, most of them cover).
    private func linkCardGroupsOnSharedExits(behaviour: [Double], stats: AccountStatsTable, scorer: RiskModel,
                                             forest: inout UnionFind, linked: inout [TieKind.Set]) {
        // The exit is the evidence of one operator; the traffic need only be notable, the mark
        // below which nothing an account does is worth a second look.
        let notable = RiskModel.notableBehaviour(settings)
        let accounts = evidence.accounts
        let cards = evidence.tables[ValueKind.card.rawValue].states
        let table = evidence.tables[ValueKind.ip.rawValue]
        // A card that pays for one customer in the open: one declared org alone (a department
        // paying for its class), or a place of its own, an address only the card's accounts use
        // and at least two of them mostly keep to (a family's home, a hackathon's venue). One of
        // its accounts whose own traffic reads as ordinary, or is too little to read, is one of
        // the exit's other users: mobile and residential exits are people's addresses, and a
        // student or a child who came out through a farm's exit does not bring the class or the
        // family into the farm. A farm's card groups rotate through exits other cards use too.
        var oneCustomerCards: [Int32: Bool] = [:]
        func paysForOneCustomer(_ card: Int32) -> Bool {
            if let known = oneCustomerCards[card] { return known }
            let members = cards[Int(card)].members
            let org = members.first.map { accounts[Int($0)].firstOrgSlot } ?? -1
            let complete = cards[Int(card)].overflow == 0
            let oneOrg = org >= 0 && complete && members.allSatisfy { accounts[Int($0)].firstOrgSlot == org }
            let one = oneOrg || (complete && hasAPlaceOfItsOwn(members, card: card))
            oneCustomerCards[card] = one
            return one
        }
        // At home most of the time: a family's phones add fresh carrier addresses now and then.
        func keepsAddress(_ m: Int32) -> Bool { stats[Int(m)].ipRotation < 2 * settings.maxRotationForAddressLink }
        func hasAPlaceOfItsOwn(_ members: [Int32], card: Int32) -> Bool {
            table.states.withUnsafeBufferPointer { states in
                // A card's accounts meet at their place: the first 64 are enough to find it.
                members.prefix(64).contains { m in
                    let slot = evidence.lastSlot(.ip, account: m)
                    guard slot >= 0 else { return false }
                    let place = states[Int(slot)]
                    guard place.alive, place.overflow == 0, place.distinct >= 2,
                          place.members.allSatisfy({ accounts[Int($0)].firstCardSlot == card }) else { return false }
                    return place.members.lazy.filter(keepsAddress).prefix(2).count == 2
                }
            }
        }
        // Only accounts that rotate through exits: accounts that keep their address are a
        // household, an office or a lab behind its NAT, and the owner check above judges those.
        func groupCard(_ m: Int32) -> Int32 {
            let card = accounts[Int(m)].firstCardSlot
            guard card >= 0 else { return -1 }
            let count = cards[Int(card)].memberCount
            guard count >= 2 && count <= settings.maxAccountsPerLinkingCard,
                  stats[Int(m)].addressRotation >= settings.maxRotationForAddressLink else { return -1 }
            let b = behaviour[Int(m)]
            if b < notable && paysForOneCustomer(card) { return -1 }
            return card
        }
        table.states.withUnsafeBufferPointer { states in
            var grouped: [Int32] = []
            for slot in table.shared {
                let i = Int(slot)
                guard states[i].alive, states[i].overflow == 0,
                      states[i].distinct >= settings.minimumAccountsForPooledFingerprint,
                      states[i].distinct <= settings.maxMembersForOwnerCheck else { continue }
                // Card groups must be most of the address's users: given up as soon as too many
                // are not, before anything is pooled.
                let members = states[i].members
                let strangersAllowed = Int((1 - settings.suspiciousShareForInfrastructureLink) * Double(members.count))
                var strangers = 0
                var firstCard: Int32 = -1, severalCards = false
                grouped.removeAll(keepingCapacity: true)
                for m in members {
                    let card = groupCard(m)
                    guard card >= 0 else {
                        strangers += 1
                        if strangers > strangersAllowed { break }
                        continue
                    }
                    if firstCard < 0 { firstCard = card } else if card != firstCard { severalCards = true }
                    grouped.append(m)
                }
                guard strangers <= strangersAllowed, severalCards else { continue }
                var pooled = BehaviourStats()
                var first = now
                for m in grouped {
                    stats.add(Int(m), to: &pooled)
                    first = min(first, accounts[Int(m)].firstSeen)
                }
                guard pooled.prompts >= settings.minimumPromptsForSuspect,
                      scorer.accountBehaviour(pooled, firstSeen: first) >= notable else { continue }
                forest.unionAll(grouped)
                for m in grouped { linked[Int(m)] |= TieKind.infrastructure.bit }
            }
        }
    }

    private func kind(_ raw: Int) -> ValueKind { ValueKind(rawValue: raw) ?? .ip }

    // MARK: Coordination without shared identity

    /// Accounts that behave as copies on a shared harness value, and accounts in step with each
    /// other's active windows. Profiles and window signatures were made just before, for the
    /// compared accounts touched since the last search; the rest keep theirs.
    func findCoordination(threads: EvaluationThreads = EvaluationThreads()) -> CoordinationTies {
        let accounts = evidence.accounts
        var ties = CoordinationTies(accounts: accounts.count)
        // The two searches read the same state and write apart: harness copies into `ties`,
        // synchrony into `pairs`.
        var pairs: [CoordinationTies.Pair] = []
        threads.both({ findHarnessCopies(into: &ties) }, { pairs = findSynchrony() })
        ties.synchronisedPairs = pairs
        for p in pairs {
            ties.inStep[Int(p.a)] = max(ties.inStep[Int(p.a)], Int32(p.sharedWindows))
            ties.inStep[Int(p.b)] = max(ties.inStep[Int(p.b)], Int32(p.sharedWindows))
        }
        return ties
    }

    /// Groups of comparable accounts that behave as copies on a harness value or an address
    /// range they share.
    private func findHarnessCopies(into ties: inout CoordinationTies) {
        let accounts = evidence.accounts
        let density = BehaviourDensity()
        // An account's profile is trusted once it has this many exchanges, and only accounts
        // whose own behaviour leans toward a harvest are compared: copies that harvest nothing
        // would carry no weight, and the many developers of a popular IDE would cost most.
        // Decided once per account here, not once per account per value below.
        let comparable = coordination.profileComparable
        let agentic = coordination.agenticComparable
        // The harness values to examine are those of comparable accounts (their current tool
        // schema and system prompt, their recurring template families), as (kind << 32 | slot),
        // sorted and deduplicated: a walk over every crowded value cost a cache miss per value
        // per evaluation, most of them everyday phrasing with no comparable user.
        // Address ranges come after them: a farm on a popular template or framework is a small
        // share of that value's users, yet may be most of the users of the addresses it rents.
        var harnessValues: [UInt64] = []
        var rangeValues: [UInt64] = []
        for i in accounts.indices where comparable[i] {
            appendHarnessValues(of: i, to: &harnessValues)
            let slot = evidence.lastSlot(.ipRange, account: Int32(i))
            if slot >= 0 { rangeValues.append(UInt64(ValueKind.ipRange.rawValue) << 32 | UInt64(UInt32(bitPattern: slot))) }
        }
        // The schemas and prompts of accounts compared for agentic sessions alone: on these, only
        // those accounts are grouped (a value no comparable account uses last is not searched
        // for comparable copies, as before).
        var agenticValues: [UInt64] = []
        for i in accounts.indices where agentic[i] {
            for kind in [ValueKind.tools, .systemPrompt] {
                let slot = evidence.lastSlot(kind, account: Int32(i))
                if slot >= 0 { agenticValues.append(UInt64(kind.rawValue) << 32 | UInt64(UInt32(bitPattern: slot))) }
            }
        }
        harnessValues.radixSort()
        rangeValues.radixSort()
        agenticValues.radixSort()
        var values = harnessValues + agenticValues
        values.radixSort()
        var previous: UInt64?
        for packed in values + rangeValues where packed != previous {
            previous = packed
            let kind = ValueKind(rawValue: Int(packed >> 32)) ?? .tools
            let slot = Int32(bitPattern: UInt32(truncatingIfNeeded: packed))
            let address = kind == .ipRange
            let fingerprint = kind == .tools || kind == .systemPrompt
            // Fields read in place: copying the value's state retained and released its lists.
            evidence.tables[kind.rawValue].states.withUnsafeBufferPointer { states in
                let i = Int(slot)
                guard states[i].alive, states[i].distinct > density.minimumNeighbours else { return }
                // Accounts already grouped on another harness value at this evaluation are not
                // compared again; on an address they are, for the larger share it may give.
                var members: [Int32] = []
                var agenticMembers: [Int32] = []
                for m in states[i].members where address || ties.harnessValue[Int(m)] < 0 {
                    if comparable[Int(m)] { members.append(m) } else if fingerprint && agentic[Int(m)] { agenticMembers.append(m) }
                }
                let searched = address || harnessValues.containsSorted(packed)
                var groups = searched && members.count > density.minimumNeighbours ? density.groups(members, profiles: coordination.profiles) : []
                // Accounts compared for their agentic sessions alone are grouped among themselves,
                // and count only as most of the schema's or prompt's users: one client's many
                // users are alike too. Apart from the others, so that no group found before
                // changes with them.
                let exclusive = Self.exclusiveCopiesShare * Float(max(1, states[i].memberCount))
                if agenticMembers.count > density.minimumNeighbours && Float(agenticMembers.count) >= exclusive
                    && agenticValues.containsSorted(packed) {
                    groups += density.groups(agenticMembers, profiles: coordination.profiles).filter { Float($0.count) >= exclusive }
                }
                for group in groups {
                    // Copies on a range that one card mostly pays for are that payer's people: a
                    // department's course behind its campus NAT, alike because they do the same
                    // homework. The card already binds them and says who pays. A farm spreads its
                    // accounts over cards, since one card for all would fall with its first
                    // chargeback and tie every account to it.
                    if address && Self.mostOnOneCard(group, accounts: accounts) { continue }
                    let groupShare = Float(group.count) / Float(max(1, states[i].memberCount))
                    var raised = false
                    for m in group where ties.harnessValue[Int(m)] < 0 || (address && ties.harnessShare[Int(m)] < groupShare) {
                        ties.harnessValue[Int(m)] = Int64(packed)
                        ties.harnessShare[Int(m)] = groupShare
                        raised = true
                    }
                    if raised { ties.harnessGroups.append(.init(value: Int64(packed), members: group)) }
                }
            }
        }
    }

    /// The share of a schema's or prompt's users that copies found through agentic sessions alone
    /// must make up.
    static let exclusiveCopiesShare: Float = 0.9

    /// Whether one card pays for at least half of `group`'s accounts.
    static func mostOnOneCard(_ group: [Int32], accounts: [AccountState]) -> Bool {
        accountsOnTopCard(group, accounts: accounts) * 2 >= group.count
    }

    /// How many of `members` pay with the card most of them use (each account's first card);
    /// 0 when none has a card.
    static func accountsOnTopCard(_ members: [Int32], accounts: [AccountState]) -> Int {
        var cards = members.map { accounts[Int($0)].firstCardSlot }.filter { $0 >= 0 }
        cards.sort()
        var run = 0, best = 0
        for k in cards.indices {
            run = k > 0 && cards[k - 1] == cards[k] ? run + 1 : 1
            best = max(best, run)
        }
        return best
    }

    /// Pairs of comparable accounts in step with each other's active windows.
    private func findSynchrony() -> [CoordinationTies.Pair] {
        let comparable = coordination.profileComparable
        // Synchrony among accounts seen within the windows' ring.
        let nowWindow = floorDiv(now, ActivityWindows.bucketMillis)
        let horizon = now - Int64(ActivityWindows.count) * ActivityWindows.bucketMillis
        // Windows are weighed against everyone active in the ring; only accounts whose own
        // behaviour leans toward a harvest are compared, as for harness copies: a tie between
        // two that harvest nothing would carry no weight, and they are most of the traffic.
        var candidates: [Int32] = []
        var signatures: [UInt32] = []
        var population = 0
        let lastSeen = evidence.lastSeenBySlot
        for i in lastSeen.indices where lastSeen[i] >= horizon {
            population += 1
            guard comparable[i] && coordination.hasWindowSignature[i] else { continue }
            candidates.append(Int32(i))
            coordination.windowSignatures.appendSignature(of: i, to: &signatures)
        }
        guard candidates.count >= 2 else { return [] }
        let finder = SynchronyFinder()
        let rings = candidates.map { evidence.windows(Int($0)).aligned(asOf: nowWindow) }
        let weights = evidence.windowLoad.weights(asOf: nowWindow, population: population)
        return finder.pairs(candidates: candidates, signatures: signatures, rings: rings, weights: weights, asOf: nowWindow)
            .map { .init(a: $0.0, b: $0.1, overlap: $0.2, sharedWindows: $0.3) }
    }
}

/// Per-account state of the coordination search, kept between evaluations: behaviour profiles,
/// window signatures, and the ties the last search found.
final class CoordinationState {
    /// Per account: its behaviour as a point, and the MinHash signature of its active windows;
    /// both made at the next coordination search after the account was touched, and only while
    /// it is compared.
    var profiles: [BehaviourProfile] = []
    var windowSignatures = WindowSignatureStore()
    /// Per account: whether its signature is current (false while it has too few or too many
    /// windows to compare, or is not compared at all).
    var hasWindowSignature: [Bool] = []
    /// Whether an account's profile is compared with others (enough exchanges, and a lean
    /// toward a harvest); refreshed with the profile.
    var profileComparable: [Bool] = []
    /// Accounts whose only lean toward a harvest is agentic sessions: compared for copies on a
    /// tool schema or system prompt only, and kept only where copies are most of its users.
    /// A popular client makes its many users alike; a private harness is a farm's own.
    var agenticComparable: [Bool] = []
    /// Accounts touched since the last coordination search: their signatures are made then.
    private var signatureStale: [Bool] = []
    private var staleSignatures: [Int32] = []
    /// Coordination ties found by the last search (every `coordinationEvery` scheduled
    /// evaluations: the search is the costliest part of one), read by every evaluation after it.
    var ties: CoordinationTies?
    /// Per account: every kind of tie that joined it to another account at the last evaluation.
    var linkedBy: [TieKind.Set] = []

    /// Makes room for accounts the evidence store has added since.
    func grow(to count: Int) {
        while profiles.count < count {
            profiles.append(BehaviourProfile(BehaviourStats()))
            profileComparable.append(false)
            agenticComparable.append(false)
            windowSignatures.addAccount()
            hasWindowSignature.append(false)
            signatureStale.append(false)
        }
    }

    /// Account `a` changed: whether it is compared is decided now, its profile and signature at
    /// the next search.
    func changed(_ a: Int32, stats s: BehaviourStats, settings: DetectorSettings) {
        let i = Int(a)
        let enough = s.exchanges >= settings.minimumExchangesForProfile
        profileComparable[i] = enough
            && (max(s.extractionShare, s.elicitingOpenerShare) >= 0.1 || s.longOutputShare >= 0.25
                || Self.harvestShaped(s))
        agenticComparable[i] = enough && !profileComparable[i] && ScoringRules.agenticSessions(s) > 0
        if !signatureStale[i] { signatureStale[i] = true; staleSignatures.append(a) }
    }

    /// A harvest pipeline's shape whatever its wording: templated one-shot prompts answered at
    /// length or with reasoning. Words are free to change; the shape is what the harvest is for.
    static func harvestShaped(_ s: BehaviourStats) -> Bool {
        s.templateConcentration >= 0.6 && s.singleTurnShare >= 0.8 && (s.outputHeavyShare >= 0.3 || s.reasoningShare >= 0.3)
    }

    /// Makes the profiles and window signatures of the accounts changed since the last search.
    func refreshChanged(evidence: EvidenceStore, stats: AccountStatsTable, now: StreamTime) {
        let nowWindow = floorDiv(now, ActivityWindows.bucketMillis)
        let synchrony = SynchronyFinder()
        for a in staleSignatures {
            let i = Int(a)
            signatureStale[i] = false
            // Only accounts that are compared at all need a profile, and a signature only those
            // searched for synchrony.
            guard profileComparable[i] || agenticComparable[i] else { hasWindowSignature[i] = false; continue }
            profiles[i] = BehaviourProfile(stats[i])
            guard profileComparable[i] else { hasWindowSignature[i] = false; continue }
            let ring = evidence.windows(i).aligned(asOf: nowWindow)
            var active = 0
            for k in 0..<6 { active += ring[k].nonzeroBitCount }
            hasWindowSignature[i] = active >= synchrony.minimumWindows && active <= synchrony.maximumWindows
            if hasWindowSignature[i] { windowSignatures.refresh(i, ring: ring, asOf: nowWindow) }
        }
        staleSignatures.removeAll(keepingCapacity: true)
    }
}

extension CoordinationState {
    func write(to w: inout StateWriter) {
        w.write(profiles)
        w.write(windowSignatures)
        w.writePlain(hasWindowSignature.map { $0 ? UInt8(1) : 0 })
        w.writePlain(zip(profileComparable, agenticComparable).map { ($0 ? UInt8(1) : 0) | ($1 ? 2 : 0) })
        w.writePlain(staleSignatures)
        w.write(ties != nil)
        if let ties { w.write(ties) }
        w.writePlain(linkedBy)
    }

    /// Reads back what `write(to:)` saved into this (new, empty) state; `accounts` is how many
    /// accounts the evidence store holds.
    func read(from r: inout StateReader, accounts: Int) throws(StateError) {
        profiles = try r.array(BehaviourProfile.self)
        windowSignatures = try r.read(WindowSignatureStore.self)
        hasWindowSignature = try r.plain(UInt8.self).map { $0 != 0 }
        let comparable = try r.plain(UInt8.self)
        profileComparable = comparable.map { $0 & 1 != 0 }
        agenticComparable = comparable.map { $0 & 2 != 0 }
        staleSignatures = try r.plain(Int32.self)
        ties = try r.bool() ? try r.read(CoordinationTies.self) : nil
        linkedBy = try r.plain(TieKind.Set.self)

        let n = profiles.count
        try r.check(n <= accounts && hasWindowSignature.count == n && profileComparable.count == n && windowSignatures.accounts == n,
                    "coordination state for \(n) accounts does not line up")
        signatureStale = [Bool](repeating: false, count: n)
        for a in staleSignatures {
            try r.check(a >= 0 && Int(a) < n && !signatureStale[Int(a)], "a stale signature for account \(a) of \(n)")
            signatureStale[Int(a)] = true
        }
        try r.check(linkedBy.count <= accounts, "ties for more accounts than there are")
        if let ties {
            let inRange = { (a: Int32) in a >= 0 && Int(a) < accounts }
            try r.check(ties.harnessValue.count <= accounts && ties.harnessGroups.allSatisfy { $0.members.allSatisfy(inRange) }
                        && ties.synchronisedPairs.allSatisfy { inRange($0.a) && inRange($0.b) }, "a coordination tie names an account past \(accounts)")
        }
    }
}
