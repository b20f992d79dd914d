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

    /// Lower bound on prompts in the three largest families: all four but the smallest, so no
    /// array is built and sorted (this runs for every touched account at every evaluation).
    var topThreeLowerBound: Int {
        let bounds = counts &- errors
        return Int(bounds.wrappedSum()) - Int(bounds.min())
    }

    /// Calls `body` with each family seen more than once for sure (count − error > 1), in slot
    /// order, without building an array.
    @inline(__always)
    func forEachRecurringKey(_ body: (UInt64) -> Void) {
        for i in 0..<Self.capacity where counts[i] - errors[i] > 1 { body(keys[i]) }
    }
}

/// Everything the detector keeps about one account: fixed size, whatever its volume.
struct AccountState: Sendable {
    var id: String
    var firstSeen: StreamTime
    var lastSeen: StreamTime
    var stats = BehaviourStats()
    var ips = DistinctBitmap()
    var endUsers = DistinctBitmap()
    var lastActiveHour: Int64 = .min
    var prefixFamilies = TopFamilies()
    var suffixFamilies = TopFamilies()
    /// Exchanges per stream hour, a ring indexed by hour number modulo its length.
    var hourly = [UInt16](repeating: 0, count: Snapshot.hourlyBuckets)
    var hourlyNewest: Int64 = .min
    var firstCardSlot: Int32 = -1
    var firstOrgSlot: Int32 = -1
    var windows = ActivityWindows()

    init(id: String, at time: StreamTime) {
        self.id = id
        firstSeen = time
        lastSeen = time
        stats.accounts = 1
    }

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

    /// Stats with the derived, estimate-based fields filled in.
    func currentStats() -> BehaviourStats {
        var s = stats
        s.distinctIPs = min(ips.estimate, Double(s.exchanges))
        s.distinctEndUsers = endUsers.estimate
        s.spanHours = Int((lastSeen - firstSeen) / 3_600_000) + 1
        s.topFamilyPrompts = max(prefixFamilies.topThreeLowerBound, suffixFamilies.topThreeLowerBound)
        return s
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

extension AccountState: StateCodable {
    func write(to w: inout StateWriter) {
        w.write(id); w.write(firstSeen); w.write(lastSeen)
        w.write(stats); w.write(ips); w.write(endUsers)
        w.write(lastActiveHour)
        w.write(prefixFamilies); w.write(suffixFamilies)
        w.writePlain(hourly)
        w.write(hourlyNewest)
        w.write(firstCardSlot); w.write(firstOrgSlot)
        w.write(windows)
    }

    init(from r: inout StateReader) throws(StateError) {
        self.init(id: try r.string(), at: 0)
        firstSeen = try r.int64(); lastSeen = try r.int64()
        stats = try r.read(BehaviourStats.self); ips = try r.read(DistinctBitmap.self); endUsers = try r.read(DistinctBitmap.self)
        lastActiveHour = try r.int64()
        prefixFamilies = try r.read(TopFamilies.self); suffixFamilies = try r.read(TopFamilies.self)
        hourly = try r.plain(UInt16.self)
        try r.check(hourly.count == Snapshot.hourlyBuckets, "an account's hourly ring has \(hourly.count) hours")
        hourlyNewest = try r.int64()
        firstCardSlot = try r.int32(); firstOrgSlot = try r.int32()
        windows = try r.read(ActivityWindows.self)
    }
}
