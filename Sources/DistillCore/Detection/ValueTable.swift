/// The kinds of shared value that can tie accounts together.
enum ValueKind: Int, CaseIterable, Sendable {
    case card, org, ip, ipRange, asn, userAgent, systemPrompt, tools, promptPrefix, promptSuffix

    /// How a shared value of this kind may merge accounts into one cluster.
    enum Linking { case identity, infrastructure, evidenceOnly }

    var linking: Linking {
        switch self {
        case .card, .org: return .identity
        case .ip, .ipRange, .systemPrompt, .tools, .promptPrefix, .promptSuffix: return .infrastructure
        // An ASN or a user-agent string is shared by millions of honest clients by nature.
        case .asn, .userAgent: return .evidenceOnly
        }
    }

    var isPromptFamily: Bool { self == .promptPrefix || self == .promptSuffix }

    /// Prompt families are created for almost every prompt and mostly never shared: their
    /// sample text is kept only once a second account uses them.
    var labelsEagerly: Bool { self != .promptPrefix && self != .promptSuffix }

    /// Whether a value shared by a few owners links them outright. Prompt families are everyday
    /// phrasing, and a residential /24 holds thousands of strangers: those link only accounts
    /// that already behave like extraction.
    var linksSmallOwnerGroups: Bool { self == .ip || self == .systemPrompt || self == .tools }
}

/// One shared value (a card, an IP, a template family…) and the accounts that used it.
struct ValueState: Sendable {
    var key: UInt64
    var display: String
    /// The first account to use the value, kept inline: most values (prompt families, client
    /// addresses) are only ever used by one account, and then cost no allocation.
    private var first: Int32 = -1
    /// Every member, the first included, once a second account has used the value.
    private var shared: [Int32] = []
    /// Built once `shared` outgrows a linear scan.
    var memberSet: Set<Int32>? = nil
    /// Accounts seen after `members` reached its cap (counted, not kept).
    var overflow = 0
    var uses = 0
    var lastSeen: StreamTime
    var alive = true

    init(key: UInt64, display: String, lastSeen: StreamTime, alive: Bool = true) {
        self.key = key; self.display = display; self.lastSeen = lastSeen; self.alive = alive
    }

    /// Distinct accounts kept (without `overflow`).
    var distinct: Int { shared.isEmpty ? (first >= 0 ? 1 : 0) : shared.count }

    /// The accounts kept. Allocates only for a lone member: read it for shared values.
    var members: [Int32] { shared.isEmpty ? (first >= 0 ? [first] : []) : shared }

    mutating func add(_ account: Int32, cap: Int) {
        if shared.isEmpty {
            if first < 0 { first = account; return }
            if first == account { return }
            guard cap >= 2 else { overflow += 1; return }
            shared = [first, account]
            return
        }
        if let set = memberSet {
            if set.contains(account) { return }
        } else if shared.contains(account) {
            return
        }
        guard shared.count < cap else { overflow += 1; return }  // may count an account twice; only "popular" is read from it
        shared.append(account)
        if memberSet != nil {
            memberSet!.insert(account)
        } else if shared.count > 16 {
            memberSet = Set(shared)
        }
    }

    var memberCount: Int { distinct + overflow }
}

/// All values of one kind, keyed by a 64-bit hash of the value, with slot reuse after eviction.
struct ValueTable: Sendable {
    var index = UInt64Map<Int32>()
    var states: [ValueState] = []
    /// Slots of values that have had two or more members: the only ones that can link.
    private(set) var shared: [Int32] = []
    private var free: [Int32] = []

    mutating func slot(for key: UInt64, at time: StreamTime) -> Int32 {
        if let found = index.slot(of: key) { return index.value(at: found) }
        let state = ValueState(key: key, display: "", lastSeen: time)
        let slot: Int32
        if let reused = free.popLast() {
            slot = reused
            states[Int(reused)] = state
        } else {
            slot = Int32(states.count)
            states.append(state)
        }
        index[key] = slot
        return slot
    }

    /// Returns true when this made the value shared (its second member).
    @discardableResult
    mutating func add(_ account: Int32, to slot: Int32, cap: Int) -> Bool {
        let before = states[Int(slot)].distinct
        states[Int(slot)].add(account, cap: cap)
        guard before == 1 && states[Int(slot)].distinct == 2 else { return false }
        shared.append(slot)
        return true
    }

    /// Forgets values used by a single account that have been idle since `before`.
    mutating func evictLoneValues(idleSince before: StreamTime) {
        // Swept through a buffer taken out of `self`: one uniqueness check, not one per value.
        var swept = states
        states = []
        swept.withUnsafeMutableBufferPointer { values in
            for i in values.indices where values[i].lastSeen < before && values[i].alive && values[i].memberCount <= 1 {
                index.remove(values[i].key)
                values[i] = ValueState(key: 0, display: "", lastSeen: 0, alive: false)
                free.append(Int32(i))
            }
        }
        states = swept
    }

}
