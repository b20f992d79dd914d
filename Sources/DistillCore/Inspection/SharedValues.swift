import Foundation

/// A kind of value accounts can share in the evidence graph.
public enum SharedValueKind: Int, CaseIterable, Sendable {
    case card, org, ip, ipRange, systemPrompt, tools, templateOpening, templateEnding

    init(_ kind: ValueKind) { self = SharedValueKind(rawValue: kind.rawValue)! }
    var valueKind: ValueKind { ValueKind(rawValue: rawValue)! }

    public var label: String {
        switch self {
        case .card: return "card"
        case .org: return "org"
        case .ip: return "IP"
        case .ipRange: return "IP range"
        case .systemPrompt: return "system prompt"
        case .tools: return "tool schema"
        case .templateOpening: return "template opening"
        case .templateEnding: return "template ending"
        }
    }
}

/// One shared value, by the key the evidence graph files it under (a hash of its bytes): two
/// template fills with different text are one family, so the shown text cannot name it.
public struct SharedValueRef: Hashable, Sendable {
    public var kind: SharedValueKind
    public var key: UInt64
    public init(kind: SharedValueKind, key: UInt64) { self.kind = kind; self.key = key }
}

/// A value behind a tie: how many of the cluster's accounts used it, and how many in all.
public struct TieValue: Sendable, Equatable {
    public var ref: SharedValueRef
    /// The value as logged (raw text: the screen sanitises it).
    public var display: String
    public var inCluster: Int
    /// Every account that used it, those past the kept list included.
    public var users: Int
    /// More about how it binds (harness copies: how alike the copies behave).
    public var note: String?

    public init(ref: SharedValueRef, display: String, inCluster: Int, users: Int, note: String? = nil) {
        self.ref = ref; self.display = display; self.inCluster = inCluster; self.users = users; self.note = note
    }
}

/// One kind of tie inside a cluster, with what binds it: the shared values, or for ties that
/// share none (synchrony) a sentence.
public struct TieDetail: Sendable, Equatable {
    public var kind: TieKind
    /// Accounts this kind of tie joined.
    public var accounts: Int
    public var summary: String?
    /// Strongest first (most of the cluster's accounts on it).
    public var values: [TieValue]

    public init(kind: TieKind, accounts: Int, summary: String? = nil, values: [TieValue] = []) {
        self.kind = kind; self.accounts = accounts; self.summary = summary; self.values = values
    }
}

/// An account that used a shared value.
public struct SharedValueUser: Sendable, Equatable {
    public var account: String
    /// All of the account's exchanges.
    public var exchanges: Int
    /// Its exchanges that carried the value, where the inspector counted them (cards, orgs, IPs).
    public var withValue: Int?
    public var firstSeen: StreamTime
    public var lastSeen: StreamTime

    public init(account: String, exchanges: Int, withValue: Int? = nil, firstSeen: StreamTime, lastSeen: StreamTime) {
        self.account = account; self.exchanges = exchanges; self.withValue = withValue
        self.firstSeen = firstSeen; self.lastSeen = lastSeen
    }
}

/// Every account the evidence graph keeps for one shared value.
public struct SharedValueDetail: Sendable, Equatable {
    public var ref: SharedValueRef
    public var display: String
    /// Most exchanges first.
    public var users: [SharedValueUser]
    /// Accounts seen after the value's member list was full: counted, not named.
    public var notKept: Int

    public init(ref: SharedValueRef, display: String, users: [SharedValueUser], notKept: Int = 0) {
        self.ref = ref; self.display = display; self.users = users; self.notKept = notKept
    }
}

extension Detector {
    /// What binds these accounts (a cluster's), by kind of tie, as of the last evaluation.
    public func tieDetails(accounts ids: [String]) -> [TieDetail] {
        let members = ids.compactMap(accountSlotIfKnown)
        return scoring(at: assessedAt == .min ? (streamTime ?? 0) : assessedAt).tieDetails(members)
    }

    /// The accounts that used a shared value; nil once the value is forgotten.
    public func sharedValue(_ ref: SharedValueRef) -> SharedValueDetail? {
        let table = evidence.tables[ref.kind.rawValue]
        guard let slot = table.index[ref.key] else { return nil }
        let state = table.states[Int(slot)]
        guard state.alive, state.key == ref.key else { return nil }
        let users = state.members.map { m -> SharedValueUser in
            let a = accounts[Int(m)]
            return SharedValueUser(account: a.id, exchanges: evidence.activity(Int(m)).stats.exchanges, withValue: countWithValue(ref.kind, state.display, account: a.id),
                                   firstSeen: a.firstSeen, lastSeen: a.lastSeen)
        }
        return SharedValueDetail(ref: ref, display: state.display,
                                 users: users.sorted { ($1.exchanges, $0.account) < ($0.exchanges, $1.account) }, notKept: state.overflow)
    }

    private func countWithValue(_ kind: SharedValueKind, _ value: String, account: String) -> Int? {
        guard let d = inspector?.accountDetail(account) else { return nil }
        let list: CappedValues
        switch kind {
        case .card: list = d.cards
        case .org: list = d.orgs
        case .ip: list = d.ips
        default: return nil
        }
        // A value past the inspector's cap was not counted: unknown, not zero.
        return list.values.first { $0.value == value }?.count
    }
}

extension RiskModel {
    /// The order ties are listed in: identity first, then coordination, then the weaker ties.
    static let tieOrder: [TieKind] = [.card, .org, .harnessCopies, .synchrony, .sharedAddress, .infrastructure, .newcomer, .templateFamily]

    /// Each kind of tie among `members` with the values (or, for synchrony, the windows) behind it.
    func tieDetails(_ members: [Int32]) -> [TieDetail] {
        let linkedBy = coordination.linkedBy
        guard members.count > 1, linkedBy.count == evidence.accounts.count else { return [] }
        let sortedMembers = members.sorted()
        let isMember = { (m: Int32) in sortedMembers.containsSorted(m) }
        var out: [TieDetail] = []
        for kind in Self.tieOrder {
            let tied = members.filter { linkedBy[Int($0)] & kind.bit != 0 }
            guard !tied.isEmpty else { continue }
            var detail = TieDetail(kind: kind, accounts: tied.count)
            switch kind {
            case .card:
                detail.values = values([.card], of: tied, members, isMember) { $0.memberCount <= settings.maxAccountsPerLinkingCard }
            case .org: detail.values = values([.org], of: tied, members, isMember)
            case .sharedAddress:
                // Only values few enough owners share to link them: a popular one beside them did not.
                var owners = SmallDistinctSet(limit: settings.maxOwnersForIdentityLink)
                detail.values = values([.ip, .systemPrompt, .tools], of: tied, members, isMember) { state in
                    guard state.overflow == 0, state.distinct <= settings.maxMembersForOwnerCheck else { return false }
                    owners.removeAll()
                    return state.members.allSatisfy { owners.insert(evidence.owner(Int($0))) }
                }
            case .infrastructure: detail.values = values([.ip, .ipRange, .systemPrompt, .tools], of: tied, members, isMember)
            case .newcomer: detail.values = values([.systemPrompt, .tools], of: tied, members, isMember)
            case .templateFamily: detail.values = familyValues(of: tied, members, isMember)
            case .harnessCopies: detail.values = harnessValues(of: tied, members, isMember)
            case .synchrony:
                if let ties = coordination.ties {
                    let w = windowsTogether(members, ties: ties)
                    detail.summary = "\(w.inStep) accounts active together in \(w.together) of \(w.used) fifteen-minute windows"
                        + " (at least half of them in each, last four days)"
                }
            }
            out.append(detail)
        }
        return out
    }

    /// At most this many values per tie: the strongest say what binds it.
    static let valuesPerTie = 40

    private func tieValue(_ kind: ValueKind, slot: Int32, _ members: [Int32], _ isMember: (Int32) -> Bool, note: String? = nil,
                          linking: (ValueState) -> Bool = { _ in true }) -> TieValue? {
        let state = evidence.tables[kind.rawValue].states[Int(slot)]
        guard state.alive, state.distinct >= 2, linking(state) else { return nil }
        let inside = state.members(among: members, isInGroup: isMember).count
        guard inside >= 2 else { return nil }
        return TieValue(ref: SharedValueRef(kind: SharedValueKind(kind), key: state.key), display: state.display,
                        inCluster: inside, users: state.memberCount, note: note)
    }

    private static func strongestFirst(_ values: [TieValue]) -> [TieValue] {
        Array(values.sorted { ($1.inCluster, $0.users, $0.display) < ($0.inCluster, $1.users, $1.display) }.prefix(valuesPerTie))
    }

    /// Values of `kinds` the tied accounts used (their first card and org, and the last value of
    /// each kind: what the graph can reach without a list per account) shared inside the cluster.
    private func values(_ kinds: [ValueKind], of tied: [Int32], _ members: [Int32], _ isMember: (Int32) -> Bool,
                        linking: (ValueState) -> Bool = { _ in true }) -> [TieValue] {
        let accounts = evidence.accounts
        var out: [TieValue] = []
        for kind in kinds {
            var slots: [Int32] = []
            for m in tied {
                if kind == .card { slots.append(accounts[Int(m)].firstCardSlot) }
                if kind == .org { slots.append(accounts[Int(m)].firstOrgSlot) }
                slots.append(evidence.lastSlot(kind, account: m))
            }
            for slot in Self.distinctInOrder(slots) {
                if let v = tieValue(kind, slot: slot, members, isMember, linking: linking) { out.append(v) }
            }
        }
        return Self.strongestFirst(out)
    }

    private func familyValues(of tied: [Int32], _ members: [Int32], _ isMember: (Int32) -> Bool) -> [TieValue] {
        var out: [TieValue] = []
        for kind in [ValueKind.promptPrefix, .promptSuffix] {
            var keys: [UInt64] = []
            for m in tied {
                if kind == .promptPrefix {
                    evidence.families(Int(m)).prefix.forEachRecurringKey { keys.append($0) }
                } else {
                    evidence.families(Int(m)).suffix.forEachRecurringKey { keys.append($0) }
                }
            }
            keys.sort()
            for (i, key) in keys.enumerated() where i == 0 || keys[i - 1] != key {
                if let slot = evidence.tables[kind.rawValue].index[key], let v = tieValue(kind, slot: slot, members, isMember) { out.append(v) }
            }
        }
        return Self.strongestFirst(out)
    }

    /// The harness values copies were grouped on, each with how alike its copies here behave.
    private func harnessValues(of tied: [Int32], _ members: [Int32], _ isMember: (Int32) -> Bool) -> [TieValue] {
        guard let ties = coordination.ties else { return [] }
        var copies: [Int64: [Int32]] = [:]
        for m in tied where Int(m) < ties.harnessValue.count && ties.harnessValue[Int(m)] >= 0 {
            copies[ties.harnessValue[Int(m)], default: []].append(m)
        }
        var out: [TieValue] = []
        for (packed, group) in copies {
            guard let kind = ValueKind(rawValue: Int(UInt64(bitPattern: packed) >> 32)) else { continue }
            let slot = Int32(bitPattern: UInt32(truncatingIfNeeded: packed))
            let note = "\(group.count) behave as copies, profiles within " + String(format: "%.1f", profileSpread(group)) + " of each other on every axis"
            if let v = tieValue(kind, slot: slot, members, isMember, note: note) { out.append(v) }
        }
        return Self.strongestFirst(out)
    }
}
