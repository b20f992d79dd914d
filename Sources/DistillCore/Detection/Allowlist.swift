/// Entities an analyst has cleared as benign. An account on the list, or one whose first org or
/// first card is on it, is left out of clustering and scoring: it can no longer raise a cluster's
/// risk nor glue other accounts together. Set from outside (the case journal) on `Detector.allowlist`.
public struct Allowlist: Sendable, Equatable {
    public var accounts: Set<String>
    public var orgs: Set<String>
    public var cards: Set<String>

    public init(accounts: Set<String> = [], orgs: Set<String> = [], cards: Set<String> = []) {
        self.accounts = accounts; self.orgs = orgs; self.cards = cards
    }

    public var isEmpty: Bool { accounts.isEmpty && orgs.isEmpty && cards.isEmpty }
    /// Entities listed (accounts, orgs and cards together), for the status bar.
    public var count: Int { accounts.count + orgs.count + cards.count }

    public func covers(account: String, org: String?, card: String?) -> Bool {
        if accounts.contains(account) { return true }
        if let org, orgs.contains(org) { return true }
        if let card, cards.contains(card) { return true }
        return false
    }

    public mutating func formUnion(_ other: Allowlist) {
        accounts.formUnion(other.accounts); orgs.formUnion(other.orgs); cards.formUnion(other.cards)
    }
}

extension Detector {
    /// Per account slot: whether the allowlist covers it (by id, first org or first card).
    func allowlistedMask() -> [Bool] {
        let orgs = evidence.tables[ValueKind.org.rawValue].states, cards = evidence.tables[ValueKind.card.rawValue].states
        return accounts.map { a in
            let org = a.firstOrgSlot >= 0 ? orgs[Int(a.firstOrgSlot)].display : nil
            let card = a.firstCardSlot >= 0 ? cards[Int(a.firstCardSlot)].display : nil
            return allowlist.covers(account: a.id, org: org, card: card)
        }
    }
}

extension RiskModel {
    /// The assessments without allowlisted accounts: clusters made only of them are dropped,
    /// the others are judged again on the members that remain.
    func excluding(_ allowlisted: [Bool], from assessments: [Assessment], stats: AccountStatsTable) -> [Assessment] {
        assessments.compactMap { a in
            let kept = a.members.filter { !allowlisted[Int($0)] }
            if kept.count == a.members.count { return a }
            guard !kept.isEmpty else { return nil }
            var pooled = BehaviourStats()
            for m in kept { stats.add(Int(m), to: &pooled) }
            return judge(kept, pooled, clusterContext(kept, examples: false))
        }
    }
}

extension Allowlist: StateCodable {
    func write(to w: inout StateWriter) {
        for set in [accounts, orgs, cards] {
            w.write(set.count)
            for v in set.sorted() { w.write(v) }
        }
    }

    init(from r: inout StateReader) throws(StateError) {
        var sets: [Set<String>] = []
        for _ in 0..<3 {
            var set = Set<String>()
            for _ in 0..<(try r.count(minimumSize: 8)) { set.insert(try r.string()) }
            sets.append(set)
        }
        self.init(accounts: sets[0], orgs: sets[1], cards: sets[2])
    }
}
