/// The kinds of shared value that can tie accounts together. ASNs and user agents are not
/// among them: millions of honest clients share each by nature, so they never link anyone, and
/// recording them cost two table updates per exchange for nothing. The inspector still shows
/// them per account, session and exchange.
enum ValueKind: Int, CaseIterable, Sendable {
    case card, org, ip, ipRange, systemPrompt, tools, promptPrefix, promptSuffix

    /// How a shared value of this kind may merge accounts into one cluster.
    enum Linking { case identity, infrastructure }

    var linking: Linking {
        switch self {
        case .card, .org: return .identity
        case .ip, .ipRange, .systemPrompt, .tools, .promptPrefix, .promptSuffix: return .infrastructure
        }
    }

    @inline(__always) var isPromptFamily: Bool { self == .promptPrefix || self == .promptSuffix }

    /// Only a card's or an org's label is read while one account uses it (an account's own card
    /// and org are shown, and allowlisted, by name). Other values are labelled once a second
    /// account uses them, from that exchange's text (the same bytes: the key is their hash):
    /// a proxy farm makes a new address and range on almost every request, and a family is
    /// created for almost every prompt, mostly never shared.
    @inline(__always) var labelsEagerly: Bool { self == .card || self == .org }

    /// Whether a value shared by a few owners links them outright. Prompt families are everyday
    /// phrasing, and a residential /24 holds thousands of strangers: those link only accounts
    /// that already behave like extraction.
    var linksSmallOwnerGroups: Bool { self == .ip || self == .systemPrompt || self == .tools }
}

/// One shared value (a card, an IP, a template family…) and the accounts that used it.
struct ValueState: Sendable {
    // The fields every use reads (key, time, members inline, flags) come first, within 40
    // bytes (they were spread over 80): a state read from memory touches one cache line more often.
    var key: UInt64
    var lastSeen: StreamTime
    /// Accounts seen after `members` reached its cap (counted, not kept).
    var overflow = 0
    /// The first account to use the value, kept inline: most values (prompt families, client
    /// addresses) are only ever used by one account, and then cost no allocation.
    private var first: Int32 = -1
    /// Distinct accounts kept, inline: reading `shared.count` was a cache miss on every use.
    private var kept: Int32 = 0
    var alive = true
    /// Some account's first card or org: never evicted, so that account's slot for it stays
    /// valid (a freed slot is reused by another value, which would then pass for its card).
    var pinned = false
    /// Whether `display` holds text, so that recording a use need not read the string.
    private(set) var isLabelled = false
    /// Every member, the first included, once a second account has used the value.
    private var shared: [Int32] = []
    /// Built once `shared` outgrows a linear scan.
    private var memberSet: AccountSet? = nil
    /// The value as shown (built only when needed; see `ValueKind.labelsEagerly`).
    var display: String {
        didSet { isLabelled = !display.isEmpty }
    }

    init(key: UInt64, display: String, lastSeen: StreamTime, alive: Bool = true) {
        self.key = key; self.display = display; self.lastSeen = lastSeen; self.alive = alive
        isLabelled = !display.isEmpty
    }

    /// Distinct accounts kept (without `overflow`).
    var distinct: Int { Int(kept) }

    /// The accounts kept. Allocates only for a lone member: read it for shared values.
    var members: [Int32] { kept >= 2 ? shared : (first >= 0 ? [first] : []) }

    /// Whether `account` is among the members kept.
    func contains(_ account: Int32) -> Bool {
        if kept < 2 { return first >= 0 && first == account }
        if let set = memberSet { return set.contains(account) }
        return shared.contains(account)
    }

    /// The members kept that are also in `group` (each once; `isInGroup` answers for `group`),
    /// found from whichever side is smaller: a popular value has thousands of members, and a
    /// cluster touching it was filtering all of them at every evaluation.
    func members(among group: [Int32], isInGroup: (Int32) -> Bool) -> [Int32] {
        distinct <= group.count ? members.filter(isInGroup) : group.filter(contains)
    }

    /// Adds a member; returns whether this made the value shared (its second member) and
    /// whether the account is kept as a member now (not when the value was full).
    @discardableResult
    mutating func add(_ account: Int32, cap: Int) -> (becameShared: Bool, isMember: Bool) {
        if kept < 2 {
            if first < 0 { first = account; kept = 1; return (false, true) }
            if first == account { return (false, true) }
            guard cap >= 2 else { overflow += 1; return (false, false) }
            shared = [first, account]
            kept = 2
            return (true, true)
        }
        if let set = memberSet {
            if set.contains(account) { return (false, true) }
        } else if shared.contains(account) {
            return (false, true)
        }
        guard kept < cap else { overflow += 1; return (false, false) }  // may count an account twice; only "popular" is read from it
        shared.append(account)
        kept += 1
        if memberSet != nil {
            memberSet!.insert(account)
        } else if shared.count > 16 {
            memberSet = AccountSet(shared)
        }
        return (false, true)
    }

    /// Whether two or more accounts have used the value. Once true it stays true, and such a
    /// value is never evicted.
    var isShared: Bool { kept >= 2 }

    mutating func touch(_ time: StreamTime) {
        lastSeen = max(lastSeen, time)
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
    /// Slots that may hold a value eviction can take (alive, one member, not pinned), in
    /// increasing order, and the slots taken from `free` since the last sweep, in any order: a
    /// sweep visits these, not every value (most are some account's pinned card or org, or shared).
    private var lone: [Int32] = []
    private var reusedSinceSweep: [Int32] = []

    mutating func slot(for key: UInt64, at time: StreamTime) -> Int32 {
        if let found = index.slot(of: key) { return index.value(at: found) }
        let state = ValueState(key: key, display: "", lastSeen: time)
        let slot: Int32
        if let reused = free.popLast() {
            slot = reused
            states[Int(reused)] = state
            reusedSinceSweep.append(reused)
        } else {
            slot = Int32(states.count)
            states.append(state)
            lone.append(slot)  // past every slot already listed: the list stays in order
        }
        index[key] = slot
        return slot
    }

    /// Records one use of `key` by `account`: the value's slot, whether it wants its label now
    /// (it has none yet, and is labelled eagerly or just became shared), whether the value is
    /// shared, and whether the account is known to be kept among its members (not checked when
    /// the hint is taken). `hint` is the slot the account used last for this kind when that was
    /// the same key, else -1.
    @inline(__always)
    mutating func record(_ key: UInt64, by account: Int32, at time: StreamTime, hint: Int32, cap: Int,
                         labelsEagerly: Bool) -> (slot: Int32, wantsLabel: Bool, isShared: Bool, isMember: Bool) {
        if hint >= 0 && states[Int(hint)].key == key {
            states[Int(hint)].touch(time)
            return (hint, false, states[Int(hint)].isShared, false)
        }
        let slot = self.slot(for: key, at: time)
        let i = Int(slot)
        let added = states[i].add(account, cap: cap)
        if added.becameShared { shared.append(slot) }
        states[i].touch(time)
        return (slot, !states[i].isLabelled && (labelsEagerly || added.becameShared), states[i].isShared, added.isMember)
    }

    /// Forgets values used by a single account that have been idle since `before` (not pinned ones).
    /// Values are taken in increasing slot order, so the free list (and which slot the next new
    /// value gets) is what a sweep over every value would leave.
    mutating func evictLoneValues(idleSince before: StreamTime) {
        if !reusedSinceSweep.isEmpty {
            reusedSinceSweep.sort()
            lone = Self.merged(lone, reusedSinceSweep)
            reusedSinceSweep.removeAll(keepingCapacity: true)
        }
        // Swept through a buffer taken out of `self`: one uniqueness check, not one per value.
        var swept = states
        states = []
        var listed = lone
        lone = []
        var kept = 0
        swept.withUnsafeMutableBufferPointer { values in
            for k in listed.indices {
                let slot = listed[k], i = Int(slot)
                // Sharing and pinning last for good: such a value leaves the list for good.
                guard values[i].alive && values[i].memberCount <= 1 && !values[i].pinned else { continue }
                if values[i].lastSeen < before {
                    index.remove(values[i].key)
                    values[i] = ValueState(key: 0, display: "", lastSeen: 0, alive: false)
                    free.append(slot)
                } else {
                    listed[kept] = slot
                    kept += 1
                }
            }
        }
        listed.removeLast(listed.count - kept)
        lone = listed
        states = swept
    }

    private static func merged(_ a: [Int32], _ b: [Int32]) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] <= b[j] { out.append(a[i]); i += 1 } else { out.append(b[j]); j += 1 }
        }
        out.append(contentsOf: a[i...]); out.append(contentsOf: b[j...])
        return out
    }
}

/// A set of account slots (non-negative) for a shared value's members: open addressing with
/// linear probing and a multiplicative hash. `Set<Int32>` ran SipHash on every use of a popular
/// template family by any of its members.
struct AccountSet: Sendable {
    private var slots = [Int32](repeating: -1, count: 32)
    private(set) var count = 0

    init() {}

    /// A set of `members` (distinct), sized for them at once rather than grown step by step.
    init(_ members: [Int32]) {
        var size = 32
        while members.count * 2 >= size { size *= 2 }
        slots = [Int32](repeating: -1, count: size)
        for m in members { insert(m) }
    }

    @inline(__always)
    private func home(_ account: Int32, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(UInt32(bitPattern: account)) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    func contains(_ account: Int32) -> Bool {
        let mask = slots.count - 1
        var i = home(account, mask)
        while true {
            let here = slots[i]
            if here == account { return true }
            if here < 0 { return false }
            i = (i + 1) & mask
        }
    }

    mutating func insert(_ account: Int32) {
        precondition(account >= 0, "account slots are non-negative")
        if (count + 1) * 2 > slots.count {
            let old = slots
            slots = [Int32](repeating: -1, count: old.count * 2)
            count = 0
            for m in old where m >= 0 { insert(m) }
        }
        let mask = slots.count - 1
        var i = home(account, mask)
        while slots[i] >= 0 {
            if slots[i] == account { return }
            i = (i + 1) & mask
        }
        slots[i] = account
        count += 1
    }
}

/// Which accounts are members of which shared values, remembered lossily in a small
/// direct-mapped table that stays in the CPU caches. Most uses of a shared value are by an
/// account already among its members, and an answer here skips the value's index, its state
/// and its member set: three or four misses into main memory. Only shared values are entered,
/// and those are never evicted, so a remembered slot stays theirs. An entry keeps the value's
/// key, its kind and the account, so a hit is never another value's or another account's.
struct SharedMembershipCache: Sendable {
    private struct Entry: Sendable {
        var key: UInt64 = 0
        var account: Int32 = -1
        /// The value's slot shifted past its kind, which is in the low 4 bits.
        var slotAndKind: UInt32 = 0
    }
    private var entries: [Entry]
    private let shift: UInt64
    private static let kindBits: UInt32 = 4

    init(log2Entries: Int) {
        entries = Array(repeating: Entry(), count: 1 << log2Entries)
        shift = UInt64(64 - log2Entries)
    }

    @inline(__always)
    private func index(_ key: UInt64, _ kind: Int, _ account: Int32) -> Int {
        let mixed = key ^ (UInt64(UInt32(bitPattern: account)) << 4 | UInt64(kind))
        return Int(truncatingIfNeeded: (mixed &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The slot of the shared value `key` of `kind` if `account` is known to be one of its members.
    @inline(__always)
    func slot(of key: UInt64, kind: Int, account: Int32) -> Int32? {
        let e = entries[index(key, kind, account)]
        guard e.key == key && e.account == account && e.slotAndKind & (1 << Self.kindBits - 1) == UInt32(kind) else { return nil }
        return Int32(bitPattern: e.slotAndKind >> Self.kindBits)
    }

    @inline(__always)
    mutating func remember(_ key: UInt64, kind: Int, account: Int32, slot: Int32) {
        guard slot >= 0 && slot < 1 << (32 - Self.kindBits), kind < 1 << Self.kindBits else { return }
        entries[index(key, kind, account)] = Entry(key: key, account: account, slotAndKind: UInt32(slot) << Self.kindBits | UInt32(kind))
    }
}

extension AccountSet: StateCodable {
    func write(to w: inout StateWriter) {
        w.writePlain(slots)
        w.write(count)
    }

    init(from r: inout StateReader) throws(StateError) {
        self.init()
        slots = try r.plain(Int32.self)
        count = try r.int()
        try r.check(slots.count >= 2 && slots.count & (slots.count - 1) == 0 && count == slots.filter { $0 >= 0 }.count,
                    "a member set of \(slots.count) slots claims \(count) members")
    }
}

extension ValueState: StateCodable {
    func write(to w: inout StateWriter) {
        w.write(key); w.write(lastSeen); w.write(overflow)
        w.write(first); w.write(kept)
        w.write(alive); w.write(pinned)
        w.write(display)
        w.writePlain(shared)
        // The member set is an index of `shared`, made again on reading: it was half of what
        // the value tables took in a saved state (popular template families).
        w.write(memberSet != nil)
    }

    init(from r: inout StateReader) throws(StateError) {
        let key = try r.uint64(), lastSeen = try r.int64()
        let overflow = try r.int(), first = try r.int32(), kept = try r.int32()
        let alive = try r.bool(), pinned = try r.bool()
        self.init(key: key, display: try r.string(), lastSeen: lastSeen, alive: alive)
        self.overflow = overflow; self.first = first; self.kept = kept; self.pinned = pinned
        shared = try r.plain(Int32.self)
        if try r.bool() {
            if r.formatVersion < 4 { _ = try r.read(AccountSet.self) }  // written whole before
            memberSet = AccountSet(shared)
        }
        try r.check(kept >= 0 && (kept < 2 || shared.count == Int(kept)), "a value keeps \(kept) members but lists \(shared.count)")
    }
}

extension ValueTable: StateCodable {
    func write(to w: inout StateWriter) {
        w.write(index); w.write(states)
        w.writePlain(shared); w.writePlain(free)
    }

    init(from r: inout StateReader) throws(StateError) {
        self.init()
        index = try r.read(UInt64Map<Int32>.self)
        states = try r.array(ValueState.self)
        shared = try r.plain(Int32.self)
        free = try r.plain(Int32.self)
        let n = states.count
        try r.check((shared + free).allSatisfy { $0 >= 0 && Int($0) < n }, "a value list points past the table's \(n) values")
        lone = states.indices.filter { states[$0].alive && states[$0].memberCount <= 1 && !states[$0].pinned }.map(Int32.init)
    }
}

extension SharedMembershipCache: StateCodable {
    func write(to w: inout StateWriter) {
        w.write(entries.count)
        for e in entries { w.write(e.key); w.write(e.account); w.write(e.slotAndKind) }
    }

    init(from r: inout StateReader) throws(StateError) {
        let n = try r.count(minimumSize: 16)
        try r.check(n > 1 && n & (n - 1) == 0, "the membership cache has \(n) entries")
        self.init(log2Entries: n.trailingZeroBitCount)
        for i in 0..<n { entries[i] = Entry(key: try r.uint64(), account: try r.int32(), slotAndKind: try r.uint32()) }
    }
}
