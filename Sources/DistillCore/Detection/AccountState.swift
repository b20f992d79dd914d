/// Space-saving top-k counter of template families for one account: fixed memory, and a
/// guaranteed lower bound (count − error) on how often the top families really occurred.
/// Inline vectors rather than arrays: two per account were six heap objects, each a cache miss
/// and a uniqueness check on every prompt.
struct TopFamilies: Sendable {
    static let capacity = 4
    private var keys = SIMD4<UInt64>()
    private var counts = SIMD4<Int32>()
    private var errors = SIMD4<Int32>()

    mutating func add(_ key: UInt64) {
        var minIndex = 0
        for i in 0..<Self.capacity {
            if counts[i] > 0 && keys[i] == key { counts[i] += 1; return }
            if counts[i] < counts[minIndex] { minIndex = i }
        }
        errors[minIndex] = counts[minIndex]
        keys[minIndex] = key
        counts[minIndex] += 1
    }

    /// Lower bound on prompts in the three largest families that surely recur (seen twice or
    /// more): all four but the smallest, so no array is built and sorted (this runs for every
    /// touched account at every evaluation). A family seen once is no template: counted, an
    /// account's first three prompts would always be "all from its top three families", and a
    /// cluster of accounts that each sent a few made-up prompts would read as a template farm.
    var topThreeLowerBound: Int {
        let recurring = recurringCounts
        return Int(recurring.wrappedSum()) - Int(recurring.min())
    }

    /// Calls `body` with each family seen more than once for sure, in slot order, without
    /// building an array.
    @inline(__always)
    func forEachRecurringKey(_ body: (UInt64) -> Void) {
        let recurring = recurringCounts
        for i in 0..<Self.capacity where recurring[i] > 0 { body(keys[i]) }
    }

    /// Prompts of family `key` for sure (count − error), or 0 where it is not among the top.
    func lowerBound(of key: UInt64) -> Int {
        for i in 0..<Self.capacity where counts[i] > 0 && keys[i] == key { return Int(counts[i] - errors[i]) }
        return 0
    }

    /// Per slot, the lower bound on its family's prompts (count − error) where that is two or
    /// more, and 0 where the family may have been seen only once: the one test of "recurs".
    private var recurringCounts: SIMD4<Int32> {
        let bounds = counts &- errors
        return bounds.replacing(with: 0, where: bounds .< 2)
    }
}

/// What the detector keeps about an account for as long as it knows it: who it is, when it
/// was seen, its first card and org. Small, so that millions of accounts seen once fit; what it
/// did is in its `AccountActivity` while it is active, and packed into `folded` once it has
/// been idle long enough (see `EvidenceStore.fold`).
struct AccountState: Sendable {
    var id: String
    var firstSeen: StreamTime
    var lastSeen: StreamTime
    var firstCardSlot: Int32 = -1
    var firstOrgSlot: Int32 = -1
    /// The account's activity packed by `AccountActivity.packed()` while it is folded; empty
    /// while it is active.
    var folded: [UInt8] = []

    init(id: String, at time: StreamTime) {
        self.id = id
        firstSeen = time
        lastSeen = time
    }
}

/// What an active account has done: behaviour counts, sketches, activity rings, and the values
/// it used last. Fixed size, whatever its volume.
struct AccountActivity: Sendable {
    var stats = BehaviourStats()
    var ips = DistinctBitmap()
    var endUsers = DistinctBitmap()
    var lastActiveHour: Int64 = .min
    var prefixFamilies = TopFamilies()
    var suffixFamilies = TopFamilies()
    /// Exchanges per stream hour, a ring indexed by hour number modulo its length.
    var hourly = [UInt16](repeating: 0, count: Snapshot.hourlyBuckets)
    var hourlyNewest: Int64 = .min
    var windows = ActivityWindows()
    /// Per value kind, the key and slot of the value used last (see `EvidenceStore.record`).
    var lastValueKey = SIMD8<UInt64>()
    var lastValueSlot = SIMD8<Int32>(repeating: -1)

    init() { stats.accounts = 1 }

    mutating func countHour(_ hour: Int64) {
        let n = Int64(Snapshot.hourlyBuckets)  // a constant: the modulo below needs no division
        if hour > hourlyNewest {
            if hourlyNewest != .min {
                let gap = min(hour - hourlyNewest, n)
                var h = hour - gap + 1
                while h <= hour { hourly[Int(((h % n) + n) % n)] = 0; h += 1 }
            }
            hourlyNewest = hour
        } else if hourlyNewest - hour >= n {
            return  // too old for the ring; still counted in totals
        }
        let i = Int(((hour % n) + n) % n)
        if hourly[i] < .max { hourly[i] += 1 }
    }

    /// Prompts in the account's top three recurring template families, by opening or by
    /// closing words, whichever holds more.
    var topFamilyPrompts: Int { max(prefixFamilies.topThreeLowerBound, suffixFamilies.topThreeLowerBound) }

    /// Stats with the derived, estimate-based fields filled in.
    func currentStats(of account: AccountState) -> BehaviourStats {
        var s = stats
        s.distinctIPs = min(ips.estimate, Double(s.exchanges))
        s.distinctEndUsers = endUsers.estimate
        s.spanHours = Int((account.lastSeen - account.firstSeen) / 3_600_000) + 1
        s.topFamilyPrompts = topFamilyPrompts
        return s
    }

    /// The whole activity as bytes with runs of zeros squeezed out: an idle account's rings are
    /// empty and most of its counts small, so a few hundred bytes become a few dozen.
    func packed() -> [UInt8] {
        var w = StateWriter(reservingCapacity: 1024)
        write(to: &w)
        return ZeroRuns.squeeze(w.takeBytes())
    }

    /// `formatVersion`: that of the state the packed bytes were read from (they are re-packed
    /// in the current layout as the state is read).
    init(packed: [UInt8], formatVersion: UInt32 = DetectionState.formatVersion) throws(StateError) {
        var r = StateReader(try ZeroRuns.expand(packed))
        r.formatVersion = formatVersion
        try self.init(from: &r)
        try r.check(r.remaining == 0, "a folded account has bytes after its activity")
    }
}

extension AccountActivity: StateCodable {
    func write(to w: inout StateWriter) {
        w.write(stats); w.write(ips); w.write(endUsers)
        w.write(lastActiveHour)
        w.write(prefixFamilies); w.write(suffixFamilies)
        w.writePlain(hourly)
        w.write(hourlyNewest)
        w.write(windows)
        for k in 0..<8 { w.write(lastValueKey[k]); w.write(lastValueSlot[k]) }
    }

    init(from r: inout StateReader) throws(StateError) {
        self.init()
        try readCounts(from: &r)
        windows = try r.read(ActivityWindows.self)
        for k in 0..<8 { lastValueKey[k] = try r.uint64(); lastValueSlot[k] = try r.int32() }
    }

    /// The fields from `stats` to `hourlyNewest`, laid out as in every format version.
    private mutating func readCounts(from r: inout StateReader) throws(StateError) {
        stats = try r.read(BehaviourStats.self); ips = try r.read(DistinctBitmap.self); endUsers = try r.read(DistinctBitmap.self)
        lastActiveHour = try r.int64()
        prefixFamilies = try r.read(TopFamilies.self); suffixFamilies = try r.read(TopFamilies.self)
        hourly = try r.plain(UInt16.self)
        try r.check(hourly.count == Snapshot.hourlyBuckets, "an account's hourly ring has \(hourly.count) hours")
        hourlyNewest = try r.int64()
    }

    /// One account as format versions before 4 wrote it: identity, activity and first values in
    /// one record, with the last-value cache kept elsewhere.
    static func readCombined(from r: inout StateReader) throws(StateError) -> (AccountState, AccountActivity) {
        var account = AccountState(id: try r.string(), at: 0)
        account.firstSeen = try r.int64(); account.lastSeen = try r.int64()
        var activity = AccountActivity()
        try activity.readCounts(from: &r)
        account.firstCardSlot = try r.int32(); account.firstOrgSlot = try r.int32()
        activity.windows = try r.read(ActivityWindows.self)
        return (account, activity)
    }
}

extension AccountState: StateCodable {
    func write(to w: inout StateWriter) {
        w.write(id); w.write(firstSeen); w.write(lastSeen)
        w.write(firstCardSlot); w.write(firstOrgSlot)
        w.writePlain(folded)
    }

    init(from r: inout StateReader) throws(StateError) {
        self.init(id: try r.string(), at: 0)
        firstSeen = try r.int64(); lastSeen = try r.int64()
        firstCardSlot = try r.int32(); firstOrgSlot = try r.int32()
        folded = try r.plain(UInt8.self)
    }
}

/// Run-length coding of zero bytes only: a zero is written as 0 and the length of its run
/// (1–255); every other byte as itself.
enum ZeroRuns {
    static func squeeze(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count / 4)
        var i = 0
        while i < bytes.count {
            if bytes[i] != 0 { out.append(bytes[i]); i += 1; continue }
            var run = 0
            while i < bytes.count && bytes[i] == 0 && run < 255 { run += 1; i += 1 }
            out.append(0); out.append(UInt8(run))
        }
        return out
    }

    static func expand(_ packed: [UInt8]) throws(StateError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        var i = 0
        while i < packed.count {
            if packed[i] != 0 { out.append(packed[i]); i += 1; continue }
            guard i + 1 < packed.count, packed[i + 1] > 0 else { throw .corrupt("a folded account's zero run is cut short") }
            out.append(contentsOf: repeatElement(0, count: Int(packed[i + 1])))
            i += 2
        }
        return out
    }
}
extension TopFamilies: StateCodable {
    func write(to w: inout StateWriter) {
        for i in 0..<Self.capacity { w.write(keys[i]); w.write(counts[i]); w.write(errors[i]) }
    }

    init(from r: inout StateReader) throws(StateError) {
        self.init()
        for i in 0..<Self.capacity { keys[i] = try r.uint64(); counts[i] = try r.int32(); errors[i] = try r.int32() }
    }
}
