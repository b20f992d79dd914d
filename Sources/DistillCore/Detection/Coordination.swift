import Foundation

// Coordination without shared identity: accounts that share nothing an operator must pay for
// (card, org, address) still give themselves away by behaving as copies of each other on a
// shared harness, or by being driven by one scheduler. Both finders here read only per-account
// summaries kept by the detector and return groups to merge; neither looks at all pairs.

/// The 15-minute windows an account was active in over the last four days, as a ring of bits.
struct ActivityWindows: Sendable {
    static let bucketMillis: Int64 = 15 * 60_000
    static let count = 384
    private var words = SIMD8<UInt64>()
    private(set) var newest: Int64 = .min

    /// Marks `bucket` active; true when it was not yet marked (and is inside the ring).
    @inline(__always)
    mutating func mark(_ bucket: Int64) -> Bool {
        let n = Int64(Self.count)
        if bucket > newest {
            if newest == .min || bucket - newest >= n {
                words = SIMD8()
            } else {
                // The windows skipped since the newest, and this one, still hold the previous lap.
                Self.clear(&words, from: newest + 1, count: Int(bucket - newest))
            }
            newest = bucket
        } else if newest - bucket >= n {
            return false
        }
        let i = Int(floorMod(bucket, n))
        let bit = UInt64(1) << UInt64(i & 63)
        if words[i >> 6] & bit != 0 { return false }
        words[i >> 6] |= bit
        return true
    }

    /// Clears the bits of `count` consecutive buckets from `first` (count < the ring's size),
    /// a word at a time.
    @inline(__always)
    static func clear(_ words: inout SIMD8<UInt64>, from first: Int64, count: Int) {
        var i = Int(floorMod(first, Int64(Self.count)))
        var left = count
        while left > 0 {
            let run = min(left, min(Self.count - i, 64 - (i & 63)))
            let mask = run == 64 ? UInt64.max : ((UInt64(1) << UInt64(run)) &- 1) << UInt64(i & 63)
            words[i >> 6] &= ~mask
            left -= run
            i += run
            if i == Self.count { i = 0 }
        }
    }

    /// The ring's bits as of `now`, with every bucket older than `now - count + 1` cleared. A
    /// bucket sits at the same bit in every account's ring, so two aligned rings compare word by
    /// word. Only the first six of the eight words are used.
    func aligned(asOf now: Int64) -> SIMD8<UInt64> {
        let n = Int64(Self.count)
        guard newest != .min, now - newest < n else { return SIMD8() }
        var out = words
        // The bits of buckets after the newest still hold the previous lap.
        if now > newest { Self.clear(&out, from: newest + 1, count: Int(now - newest)) }
        return out
    }

    /// The oldest bucket set in an `aligned(asOf: now)` ring, or nil when none is.
    static func oldestActive(_ ring: SIMD8<UInt64>, asOf now: Int64) -> Int64? {
        let start = Int(floorMod(now + 1, Int64(count)))  // the ring index of bucket now - count + 1
        for (lo, hi) in [(start, count), (0, start)] {
            var i = lo
            while i < hi {
                let word = i >> 6
                var bits = ring[word] >> UInt64(i & 63)
                let stop = min(hi, (word + 1) << 6)
                if stop - i < 64 { bits &= (UInt64(1) << UInt64(stop - i)) &- 1 }
                if bits != 0 {
                    let index = i + bits.trailingZeroBitCount
                    return now - Int64(count) + 1 + Int64((index - start + count) % count)
                }
                i = stop
            }
        }
        return nil
    }

    /// The newest bucket set in an `aligned(asOf: now)` ring, or nil when none is.
    static func newestActive(_ ring: SIMD8<UInt64>, asOf now: Int64) -> Int64? {
        let top = Int(floorMod(now, Int64(count)))  // the ring index of bucket now
        // Indices top, top-1, …, 0, then count-1, …, top+1: newest first.
        for (lo, hi) in [(0, top + 1), (top + 1, count)] {
            var i = hi
            while i > lo {
                let word = (i - 1) >> 6
                let from = max(lo, word << 6)
                var bits = ring[word] >> UInt64(from & 63)
                if i - from < 64 { bits &= (UInt64(1) << UInt64(i - from)) &- 1 }
                if bits != 0 {
                    let index = from + (63 - bits.leadingZeroBitCount)
                    return now - Int64((top - index + count) % count)
                }
                i = from
            }
        }
        return nil
    }

    /// Active buckets (absolute numbers) still in the ring as of `now`, oldest first.
    func active(asOf now: Int64) -> [Int64] {
        guard newest != .min else { return [] }
        let n = Int64(Self.count)
        let oldest = max(newest - n + 1, now - n + 1)
        guard oldest <= newest else { return [] }
        var out: [Int64] = []
        // Ring indices after the newest bucket's hold the previous lap (older), those up to it
        // the current lap: reading the two runs in index order gives the buckets in time order.
        let newestIndex = Int(floorMod(newest, n))
        let lapStart = newest - Int64(newestIndex)
        func collect(_ range: Range<Int>, lap: Int64) {
            var i = range.lowerBound
            while i < range.upperBound {
                let word = i >> 6
                var bits = words[word] >> UInt64(i & 63)
                let stop = min(range.upperBound, (word + 1) << 6)
                if stop - i < 64 { bits &= (UInt64(1) << UInt64(stop - i)) &- 1 }
                while bits != 0 {
                    let bucket = lap + Int64(i + bits.trailingZeroBitCount)
                    bits &= bits &- 1
                    if bucket >= oldest { out.append(bucket) }
                }
                i = stop
            }
        }
        collect((newestIndex + 1)..<Self.count, lap: lapStart - n)
        collect(0..<(newestIndex + 1), lap: lapStart)
        return out
    }
}

/// How many accounts were active in each 15-minute window of the ring: busy windows (everyone
/// is busier at ten in the morning) count for less when two accounts are compared.
struct WindowLoad: Sendable {
    private var counts = [Int32](repeating: 0, count: ActivityWindows.count)
    private var newest: Int64 = .min

    mutating func add(_ bucket: Int64) {
        let n = Int64(ActivityWindows.count)
        if bucket > newest {
            if newest != .min {
                var b = newest + 1
                while b <= bucket && b - newest <= n { counts[Int(floorMod(b, n))] = 0; b += 1 }
            }
            newest = bucket
        } else if newest - bucket >= n {
            return
        }
        counts[Int(floorMod(bucket, n))] += 1
    }

    /// Each ring bit's weight as of `now` for a population of `population` accounts:
    /// log(1 + population / accounts active in that window), so a window everybody uses adds little.
    func weights(asOf now: Int64, population: Int) -> [Double] {
        let n = Int64(ActivityWindows.count)
        var out = [Double](repeating: 0, count: ActivityWindows.count)
        for b in (now - n + 1)...now {
            out[Int(floorMod(b, n))] = log(1 + Double(population) / Double(max(1, load(b))))
        }
        return out
    }

    func load(_ bucket: Int64) -> Int32 {
        let n = Int64(ActivityWindows.count)
        guard bucket <= newest, newest - bucket < n else { return 0 }
        return counts[Int(floorMod(bucket, n))]
    }
}

/// An account's behaviour as a point: each coordinate scaled so that one unit is a difference
/// a person would notice (twice the volume, 0.2 of a share…). Copies of one harness land within
/// a unit of each other on every axis; people spread.
struct BehaviourProfile: Sendable {
    static let dimensions = 9
    /// The axes that do not depend on how long the account has been seen: all but flatness.
    static let settledAxes = [0, 1, 2, 3, 4, 5, 6, 8]
    var point = SIMD16<Float>()

    init(point: SIMD16<Float>) { self.point = point }

    init(_ s: BehaviourStats) {
        let days = max(0.25, Double(s.spanHours) / 24)
        let rate = Double(s.exchanges) / days
        let outMean = Double(s.outputTokens) / Double(max(1, s.tokenExchanges))
        let inMean = Double(s.inputTokens) / Double(max(1, s.tokenExchanges))
        func lg(_ x: Double) -> Float { Float(log2(max(1, x))) }
        point[0] = lg(rate)
        point[1] = lg(s.meanTurns) / 0.8
        point[2] = lg(outMean) / 0.6
        point[3] = lg(inMean) / 0.8
        point[4] = Float(s.reasoningShare / 0.15)
        point[5] = Float(s.elicitingOpenerShare / 0.2)
        point[6] = Float(s.longOutputShare / 0.2)
        // Flatness over the day says nothing until the account has been seen for a day: left
        // unknown (NaN, which no distance counts), so a farm's accounts opened this morning
        // are compared on what they already show.
        point[7] = s.spanHours >= 24 ? Float(s.hourFlatness / 0.1) : .nan
        // New addresses per conversation, from the first: a proxy that keeps an exit for a
        // session is as far from a person at home as one that changes it every request.
        point[8] = Float(s.conversationRotation / 0.25)
    }

    /// The largest difference on any axis, or a value above `limit` as soon as one axis exceeds it.
    @inline(__always)
    func distance(to other: BehaviourProfile, limit: Float = .infinity) -> Float {
        var worst: Float = 0
        for d in 0..<Self.dimensions {
            let x = abs(point[d] - other.point[d])
            if x > worst { worst = x; if worst > limit { return worst } }
        }
        return worst
    }
}

/// Density-based groups (DBSCAN with the largest-axis distance) among a set of accounts: an
/// account with at least `minimumNeighbours` others within `radius` is a core, and cores and
/// their neighbours join. Points are bucketed on two axes first, so only nearby buckets are
/// compared, and only a bounded sample of each.
struct BehaviourDensity {
    var radius: Float = 1
    var minimumNeighbours = 4
    /// How far from a group's centre (its densest member, then the median of those near it) a
    /// member may sit on any axis but flatness and stay in the group.
    var coreSpread: Float = 1
    static let sample = 64

    func groups(_ members: [Int32], profiles: [BehaviourProfile]) -> [[Int32]] {
        guard members.count > minimumNeighbours else { return [] }
        let m = members.count
        // Bucket by volume and output size: neighbours are at most one bucket away on each.
        // Cells are found by binary search in one array of (cell, member) sorted by cell:
        // no dictionary to hash into, and no list per cell.
        func cell(_ i: Int, _ dx: Int64 = 0, _ dy: Int64 = 0) -> Int64 {
            let p = profiles[Int(members[i])].point
            let x = Int64((p[0] / radius).rounded(.down)) + dx, y = Int64((p[2] / radius).rounded(.down)) + dy
            return x << 32 &+ y
        }
        var byCell = [(cell: Int64, member: Int32)](unsafeUninitializedCapacity: m) { buffer, count in
            for i in 0..<m { buffer[i] = (cell(i), Int32(i)) }
            count = m
        }
        byCell.sort { ($0.cell, $0.member) < ($1.cell, $1.member) }
        /// The first entry of `key`'s cell, or `m` when it has none.
        func firstEntry(of key: Int64) -> Int {
            var lo = 0, hi = m
            while lo < hi {
                let mid = (lo + hi) >> 1
                if byCell[mid].cell < key { lo = mid + 1 } else { hi = mid }
            }
            return lo < m && byCell[lo].cell == key ? lo : m
        }
        // Enough neighbours to be a core twice over: every member scans the same cells in the same
        // order, so the cores of a farm all list its first few members and still join as one.
        let enough = 2 * minimumNeighbours
        var neighbours = [Int32](repeating: 0, count: m * enough)
        var found = [Int](repeating: 0, count: m)
        for i in 0..<m {
            let p = profiles[Int(members[i])]
            var n = 0
            scan: for dx in -1...1 as ClosedRange<Int64> {
                for dy in -1...1 as ClosedRange<Int64> {
                    let key = cell(i, dx, dy)
                    var e = firstEntry(of: key)
                    // Each account is compared with at most `sample` accounts of a bucket: a core
                    // needs only a few neighbours, and the cores of a large farm still meet in the
                    // sample, so time grows linearly with the farm, not with its square.
                    let stop = min(m, e + Self.sample)
                    while e < stop && byCell[e].cell == key {
                        let j = Int(byCell[e].member)
                        e += 1
                        guard j != i, p.distance(to: profiles[Int(members[j])], limit: radius) <= radius else { continue }
                        neighbours[i * enough + n] = Int32(j)
                        n += 1
                        if n >= enough { break scan }
                    }
                }
            }
            found[i] = n
        }
        var forest = UnionFind(count: m)
        var inGroup = [Bool](repeating: false, count: m)
        let core = (0..<m).map { found[$0] >= minimumNeighbours }
        for i in 0..<m where core[i] {
            inGroup[i] = true
            for k in 0..<found[i] { let j = Int(neighbours[i * enough + k]); forest.union(i, j); inGroup[j] = true }
        }
        // A border member (too few neighbours to be a core) joins the cores it found itself: a
        // core that stopped early may not have listed it.
        for i in 0..<m where !core[i] {
            for k in 0..<found[i] where core[Int(neighbours[i * enough + k])] {
                forest.union(i, Int(neighbours[i * enough + k]))
                inGroup[i] = true
            }
        }
        // Grouped by root in member order, without a dictionary.
        var groupOfRoot = [Int32](repeating: -1, count: m)
        var groups: [[Int32]] = []
        for i in 0..<m where inGroup[i] {
            let r = forest.find(i)
            if groupOfRoot[r] < 0 { groupOfRoot[r] = Int32(groups.count); groups.append([]) }
            groups[Int(groupOfRoot[r])].append(members[i])
        }
        return groups.compactMap { group -> [Int32]? in
            guard group.count > minimumNeighbours else { return nil }
            let core = compactCore(group, profiles: profiles)
            return core.count > minimumNeighbours ? core.sorted() : nil
        }.sorted { $0[0] < $1[0] }
    }

    /// The members of a density group that sit around its densest point: within `coreSpread`
    /// on every axis but flatness of the member with the most of the group near it, then of the
    /// median of those. Density joins neighbours of neighbours, so a crowd of people spread
    /// along one axis (light to heavy users of one template) chains onto a farm next to it;
    /// copies of one harness sit on top of one another, and keep nearly all their members here.
    /// Flatness over the day is left out because it grows with an account's age: a farm's
    /// accounts opened this morning are not yet flat, and are still copies.
    func compactCore(_ group: [Int32], profiles: [BehaviourProfile]) -> [Int32] {
        // Neighbours are counted among a sample of the group, so a large farm costs linear time.
        let step = max(1, group.count / Self.sample)
        let densest = Self.densest(group, amongEvery: step, profiles: profiles, radius: radius)
        func around(_ centre: SIMD16<Float>) -> [Int32] {
            group.filter { m in
                let p = profiles[Int(m)].point
                return BehaviourProfile.settledAxes.allSatisfy { abs(p[$0] - centre[$0]) <= coreSpread }
            }
        }
        let first = around(profiles[Int(group[densest])].point)
        guard first.count > minimumNeighbours else { return first }
        var median = SIMD16<Float>()
        var column = [Float](repeating: 0, count: first.count)
        for d in BehaviourProfile.settledAxes {
            for (k, m) in first.enumerated() { column[k] = profiles[Int(m)].point[d] }
            column.sort()
            median[d] = column[first.count / 2]
        }
        return around(median)
    }

    /// The first member of `group` with the most members of the sample (every `step`-th member)
    /// within `radius` on every axis, as `distance(to:limit:) <= radius` counts them. The sample
    /// is laid out axis by axis and each member compared with all of it without an early exit,
    /// so the compiler makes vector code of the loop: this count is most of a farm's cost.
    static func densest(_ group: [Int32], amongEvery step: Int, profiles: [BehaviourProfile], radius: Float) -> Int {
        let dims = BehaviourProfile.dimensions
        let s = (group.count + step - 1) / step
        var columns = [Float](repeating: 0, count: dims * s)
        for j in 0..<s {
            let q = profiles[Int(group[j * step])].point
            for d in 0..<dims { columns[d * s + j] = q[d] }
        }
        var densest = 0, most = -1
        columns.withUnsafeBufferPointer { column in
            for (k, m) in group.enumerated() {
                let p = profiles[Int(m)].point
                var near = 0
                for j in 0..<s {
                    // A difference that is not greater than the radius (NaN included) keeps the
                    // pair near, as the early-exit distance ignores it.
                    var far: Int32 = 0
                    for d in 0..<dims { far |= abs(p[d] - column[d &* s &+ j]) > radius ? 1 : 0 }
                    near &+= Int(1 &- far)
                }
                if near > most { densest = k; most = near }
            }
        }
        return densest
    }
}

/// Accounts active in the same 15-minute windows far more often than chance (after
/// SynchroTrap and CopyCatch): MinHash signatures of each account's windows, banded so that
/// only accounts with a matching band are ever compared, then a check of the overlap in which
/// busy windows weigh less.
struct SynchronyFinder {
    static let hashes = 16
    static let bands = 8
    var minimumWindows = 4
    /// An account active in more windows than this is on all the time, and in step with anyone.
    var maximumWindows = 160
    var minimumOverlap = 0.5
    /// Shared windows must be this many times what chance gives two accounts as active over
    /// the same span (|A|·|B| / span). People keep similar hours, which concentrates anyone's
    /// activity about four-fold (six working hours of twenty-four); a scheduler's waves far more.
    var minimumLift = 5.0

    /// The MinHash signature of a set of windows: one full hash per window, and from it the
    /// sixteen permutations by multiplying with odd constants and keeping the high half.
    static func signature(_ windows: [Int64]) -> [UInt32] {
        var sig = [UInt32](repeating: .max, count: hashes)
        for w in windows {
            let h = StableHash.mix(UInt64(bitPattern: w) ^ 0x51_6E_C7)
            for k in 0..<hashes {
                let v = UInt32(truncatingIfNeeded: (h &* multipliers[k]) >> 32)
                if v < sig[k] { sig[k] = v }
            }
        }
        return sig
    }

    /// The same signature read straight from an `aligned(asOf: now)` ring: the reference that
    /// `WindowSignatureStore` is tested against.
    static func signature(ring: SIMD8<UInt64>, asOf now: Int64) -> [UInt32] {
        var sig = [UInt32](repeating: .max, count: hashes)
        let n = ActivityWindows.count
        let top = Int(floorMod(now, Int64(n)))
        for word in 0..<6 {
            var bits = ring[word]
            while bits != 0 {
                let index = word << 6 | bits.trailingZeroBitCount
                bits &= bits &- 1
                let h = windowHash(now - Int64((top - index + n) % n))
                for k in 0..<hashes { sig[k] = min(sig[k], hash(h, k)) }
            }
        }
        return sig
    }

    private static let multipliers: [UInt64] = (0..<hashes).map { StableHash.mix(UInt64($0) &+ 0xA5A5) | 1 }

    /// A window's full hash, from which `hash(_:_:)` derives the signature's sixteen, as
    /// `signature` does.
    @inline(__always)
    static func windowHash(_ bucket: Int64) -> UInt64 { StableHash.mix(UInt64(bitPattern: bucket) ^ 0x51_6E_C7) }

    /// The `k`-th hash of a window whose full hash is `h`.
    @inline(__always)
    static func hash(_ h: UInt64, _ k: Int) -> UInt32 { UInt32(truncatingIfNeeded: (h &* multipliers[k]) >> 32) }

    /// Pairs of accounts found in step, as (a, b, overlap, shared windows), ordered by a then b.
    /// `candidates` are account slots in increasing order; `signatures` holds `hashes` values per
    /// candidate, `rings` the candidates' aligned activity rings and `weights` each ring bit's weight.
    func pairs(candidates: [Int32], signatures: [UInt32], rings: [SIMD8<UInt64>], weights: [Double], asOf now: Int64) -> [(Int32, Int32, Double, Int)] {
        // Each candidate's active count and the span from its oldest to its newest window.
        var active = [Int](repeating: 0, count: candidates.count)
        var oldest = [Int64](repeating: now, count: candidates.count)
        var newest = [Int64](repeating: now, count: candidates.count)
        // And the summed weight of its windows: a pair's union is then both sums less the
        // shared part, and only the shared windows are walked.
        var mass = [Double](repeating: 0, count: candidates.count)
        weights.withUnsafeBufferPointer { w in
            for i in candidates.indices {
                var c = 0
                for k in 0..<6 { c += rings[i][k].nonzeroBitCount }
                active[i] = c
                oldest[i] = ActivityWindows.oldestActive(rings[i], asOf: now) ?? now
                newest[i] = ActivityWindows.newestActive(rings[i], asOf: now) ?? now
                mass[i] = Self.weight(of: rings[i], w)
            }
        }
        let rows = Self.hashes / Self.bands
        // Band keys lose their lowest bits (as many as a candidate index takes): a false match
        // only costs one more comparison, and a key with bit 0 set marks an empty slot below.
        let indexBits = UInt64(max(1, Int.bitWidth - candidates.count.leadingZeroBitCount))
        let indexMask = (UInt64(1) << indexBits) &- 1
        // Candidates sharing a band key are found through an open-addressed table holding, per
        // key, the first and the latest candidate seen with it. Visited in candidate order, a
        // key's candidates are compared as a star (with the first) and a chain (with the one
        // before), never as all pairs: the groups merge anyway.
        let entries = candidates.count * Self.bands
        var capacity = 16
        while capacity < 2 * entries { capacity <<= 1 }
        let shift = UInt64(64 - capacity.trailingZeroBitCount)
        var tableKeys = [UInt64](repeating: 1, count: capacity)
        var first = [Int32](repeating: 0, count: capacity)
        var latest = [Int32](repeating: 0, count: capacity)
        // The pairs to compare, as (a << 32 | b) with a < b. Sorted and deduplicated as integers,
        // a pair met in several bands is compared once, in order.
        var wanted: [UInt64] = []
        signatures.withUnsafeBufferPointer { sigs in
            for i in candidates.indices {
                let base = i * Self.hashes
                let y = UInt64(i)
                for band in 0..<Self.bands {
                    var key = UInt64(band) &* 0x9E37_79B9
                    for r in 0..<rows { key = StableHash.combine(key, UInt64(sigs[base + band * rows + r])) }
                    key &= ~indexMask
                    var slot = Int((key &* 0x9E37_79B9_7F4A_7C15) >> shift)
                    while tableKeys[slot] != 1 && tableKeys[slot] != key { slot = (slot + 1) & (capacity - 1) }
                    if tableKeys[slot] == 1 {
                        tableKeys[slot] = key
                        first[slot] = Int32(i)
                        latest[slot] = Int32(i)
                        continue
                    }
                    let star = UInt64(first[slot]), chain = UInt64(latest[slot])
                    if star != y { wanted.append(min(star, y) << 32 | max(star, y)) }
                    if chain != star && chain != y { wanted.append(min(chain, y) << 32 | max(chain, y)) }
                    latest[slot] = Int32(i)
                }
            }
        }
        wanted.radixSort()
        var found: [(Int32, Int32, Double, Int)] = []
        weights.withUnsafeBufferPointer { w in
            var previous = UInt64.max
            for pair in wanted where pair != previous {
                previous = pair
                let a = Int(pair >> 32), b = Int(pair & 0xFFFF_FFFF)
                // The chance test first: it needs only the count of shared windows.
                let both = rings[a] & rings[b]
                var shared = 0
                for k in 0..<6 { shared += both[k].nonzeroBitCount }
                guard shared >= minimumWindows else { continue }
                let span = Double(max(newest[a], newest[b]) - min(oldest[a], oldest[b]) + 1)
                guard Double(shared) * span >= minimumLift * Double(active[a]) * Double(active[b]) else { continue }
                let inBoth = Self.weight(of: both, w), inEither = mass[a] + mass[b] - inBoth
                let overlap = inEither > 0 ? inBoth / inEither : 0
                if overlap >= minimumOverlap { found.append((candidates[a], candidates[b], overlap, shared)) }
            }
        }
        return found
    }

    /// The summed weight of a ring's windows.
    @inline(__always)
    static func weight(of ring: SIMD8<UInt64>, _ w: UnsafeBufferPointer<Double>) -> Double {
        var sum = 0.0
        for k in 0..<6 {
            var x = ring[k]
            while x != 0 { sum += w[k << 6 | x.trailingZeroBitCount]; x &= x &- 1 }
        }
        return sum
    }
}

/// The MinHash signatures of accounts' activity rings, kept between searches: a search folds
/// in only the windows an account added since its last signature, and recomputes over the
/// whole ring only the hashes whose minimum lay in a window that has since left it. The result
/// is always what `SynchronyFinder.signature(ring:asOf:)` gives for the ring. Entries exist
/// only for accounts that were ever compared.
struct WindowSignatureStore: Sendable {
    private static let hashes = SynchronyFinder.hashes
    private static let allHashes: UInt32 = (1 << UInt32(hashes)) &- 1
    /// Per account slot: its entry, or -1.
    private var entryOf: [Int32] = []
    /// Per entry: `hashes` minima, the window each came from, the aligned ring they were made
    /// from and the window that ring was aligned to (.min: none yet).
    private var values: [UInt32] = []
    private var minimaWindows: [Int64] = []
    private var rings: [SIMD8<UInt64>] = []
    private var madeAt: [Int64] = []

    mutating func addAccount() { entryOf.append(-1) }

    /// Account slots covered (one per `addAccount`).
    var accounts: Int { entryOf.count }

    /// Appends the account's signature (`hashes` values) to `out`.
    func appendSignature(of account: Int, to out: inout [UInt32]) {
        let base = Int(entryOf[account]) * Self.hashes
        out.append(contentsOf: values[base..<(base + Self.hashes)])
    }

    /// Brings the account's signature up to date with `ring`, aligned as of window `now`.
    mutating func refresh(_ account: Int, ring: SIMD8<UInt64>, asOf now: Int64) {
        if entryOf[account] < 0 {
            entryOf[account] = Int32(madeAt.count)
            values.append(contentsOf: repeatElement(UInt32.max, count: Self.hashes))
            minimaWindows.append(contentsOf: repeatElement(Int64.min, count: Self.hashes))
            rings.append(SIMD8())
            madeAt.append(.min)
        }
        let e = Int(entryOf[account])
        let n = Int64(ActivityWindows.count)
        var fresh = Self.allHashes  // hashes to recompute over the whole ring
        var added = SIMD8<UInt64>()   // windows to fold into the others
        if madeAt[e] != .min && now >= madeAt[e] && now - madeAt[e] < n {
            // The windows of the old ring still inside the ring as of `now`.
            var kept = rings[e]
            if now > madeAt[e] { ActivityWindows.clear(&kept, from: madeAt[e] - n + 1, count: Int(now - madeAt[e])) }
            if kept & ~ring == SIMD8() {
                added = ring & ~kept
                fresh = 0
                for k in 0..<Self.hashes where minimaWindows[e * Self.hashes + k] <= now - n { fresh |= 1 << UInt32(k) }
            }
        }
        let top = Int(floorMod(now, n))
        values.withUnsafeMutableBufferPointer { allValues in
            minimaWindows.withUnsafeMutableBufferPointer { allWindows in
                let base = e * Self.hashes
                /// Each set window of `bits` with its hash, folded into the hashes in `mask`.
                func fold(_ bits: SIMD8<UInt64>, into mask: UInt32) {
                    guard mask != 0 else { return }
                    for word in 0..<6 {
                        var x = bits[word]
                        while x != 0 {
                            let index = word << 6 | x.trailingZeroBitCount
                            x &= x &- 1
                            let bucket = now - Int64((top - index + Int(n)) % Int(n))
                            let h = SynchronyFinder.windowHash(bucket)
                            var m = mask
                            while m != 0 {
                                let k = m.trailingZeroBitCount
                                m &= m &- 1
                                let v = SynchronyFinder.hash(h, k)
                                if v < allValues[base + k] { allValues[base + k] = v; allWindows[base + k] = bucket }
                            }
                        }
                    }
                }
                var m = fresh
                while m != 0 {
                    let k = m.trailingZeroBitCount
                    m &= m &- 1
                    allValues[base + k] = .max
                    allWindows[base + k] = .min
                }
                fold(ring, into: fresh)
                fold(added, into: Self.allHashes & ~fresh)
            }
        }
        rings[e] = ring
        madeAt[e] = now
    }
}

/// Why an account sits in its cluster: the kinds of tie that joined it to another account.
public enum TieKind: Int, CaseIterable, Sendable {
    /// The same payment card, or the same org.
    case card, org
    /// A few owners on one address, system prompt or tool schema (a household, an office).
    case sharedAddress
    /// An address, range or fingerprint used mostly by accounts that behave like extraction.
    case infrastructure
    /// A new account on such a value, too new to judge on its own.
    case newcomer
    /// The same prompt template family, among accounts nothing else placed.
    case templateFamily
    /// Copies of one behaviour on a shared harness value.
    case harnessCopies
    /// Active in the same fifteen-minute windows far more often than chance.
    case synchrony

    typealias Set = UInt16
    var bit: UInt16 { 1 << UInt16(rawValue) }

    /// A stable name for tools (the JSON report).
    public var name: String {
        switch self {
        case .card: return "card"
        case .org: return "org"
        case .sharedAddress: return "shared_address"
        case .infrastructure: return "infrastructure"
        case .newcomer: return "newcomer"
        case .templateFamily: return "template_family"
        case .harnessCopies: return "harness_copies"
        case .synchrony: return "synchrony"
        }
    }

    public var label: String {
        switch self {
        case .card: return "shared card"
        case .org: return "shared org"
        case .sharedAddress: return "few owners on one address or fingerprint"
        case .infrastructure: return "infrastructure used by extraction-like accounts"
        case .newcomer: return "new account on that infrastructure"
        case .templateFamily: return "same prompt template family"
        case .harnessCopies: return "behave as copies on a shared harness"
        case .synchrony: return "active in the same windows"
        }
    }
}

/// What the coordination finders found at one evaluation.
struct CoordinationTies: Sendable {
    struct HarnessGroup: Sendable {
        /// The shared value, as (kind << 32 | slot).
        var value: Int64
        var members: [Int32]
        var kind: ValueKind { ValueKind(rawValue: Int(UInt64(bitPattern: value) >> 32)) ?? .tools }
    }
    struct Pair: Sendable { var a: Int32; var b: Int32; var overlap: Double; var sharedWindows: Int }
    var harnessGroups: [HarnessGroup] = []
    var synchronisedPairs: [Pair] = []
    /// Per account: the harness value (kind << 32 | slot) it was grouped on, or -1.
    var harnessValue: [Int64]
    /// Per account: the share of its harness value's users that its group holds (1: a value
    /// used by no one but the copies).
    var harnessShare: [Float]
    /// Per account: the most windows it shared with an account in step with it (0: none).
    var inStep: [Int32]

    init(accounts: Int) {
        harnessValue = [Int64](repeating: -1, count: accounts)
        inStep = [Int32](repeating: 0, count: accounts)
        harnessShare = [Float](repeating: 0, count: accounts)
    }
}

extension ActivityWindows: StateCodable {
    func write(to w: inout StateWriter) {
        for i in 0..<words.scalarCount { w.write(words[i]) }
        w.write(newest)
    }

    init(from r: inout StateReader) throws(StateError) {
        self.init()
        for i in 0..<words.scalarCount { words[i] = try r.uint64() }
        newest = try r.int64()
    }
}

extension WindowLoad: StateCodable {
    func write(to w: inout StateWriter) {
        w.writePlain(counts)
        w.write(newest)
    }

    init(from r: inout StateReader) throws(StateError) {
        self.init()
        counts = try r.plain(Int32.self)
        newest = try r.int64()
        try r.check(counts.count == ActivityWindows.count, "the window load ring has \(counts.count) windows")
    }
}

extension BehaviourProfile: StateCodable {
    func write(to w: inout StateWriter) {
        for i in 0..<point.scalarCount { w.write(point[i]) }
    }

    init(from r: inout StateReader) throws(StateError) {
        var point = SIMD16<Float>()
        for i in 0..<point.scalarCount { point[i] = try r.float() }
        self.init(point: point)
    }
}

extension WindowSignatureStore: StateCodable {
    func write(to w: inout StateWriter) {
        w.writePlain(entryOf); w.writePlain(values); w.writePlain(minimaWindows)
        w.write(rings.count)
        for ring in rings { for i in 0..<ring.scalarCount { w.write(ring[i]) } }
        w.writePlain(madeAt)
    }

    init(from r: inout StateReader) throws(StateError) {
        self.init()
        entryOf = try r.plain(Int32.self)
        values = try r.plain(UInt32.self)
        minimaWindows = try r.plain(Int64.self)
        let n = try r.count(minimumSize: 64)
        rings.reserveCapacity(n)
        for _ in 0..<n {
            var ring = SIMD8<UInt64>()
            for i in 0..<ring.scalarCount { ring[i] = try r.uint64() }
            rings.append(ring)
        }
        madeAt = try r.plain(Int64.self)
        let entries = rings.count
        try r.check(madeAt.count == entries && values.count == entries * Self.hashes && minimaWindows.count == entries * Self.hashes
                    && entryOf.allSatisfy { $0 >= -1 && Int($0) < entries }, "window signatures do not match their \(entries) entries")
    }
}

extension CoordinationTies: StateCodable {
    func write(to w: inout StateWriter) {
        w.write(harnessGroups.count)
        for g in harnessGroups { w.write(g.value); w.writePlain(g.members) }
        w.write(synchronisedPairs.count)
        for p in synchronisedPairs { w.write(p.a); w.write(p.b); w.write(p.overlap); w.write(p.sharedWindows) }
        w.writePlain(harnessValue)
        w.write(harnessShare.count)
        for s in harnessShare { w.write(s) }
        w.writePlain(inStep)
    }

    init(from r: inout StateReader) throws(StateError) {
        self.init(accounts: 0)
        for _ in 0..<(try r.count(minimumSize: 16)) {
            harnessGroups.append(HarnessGroup(value: try r.int64(), members: try r.plain(Int32.self)))
        }
        for _ in 0..<(try r.count(minimumSize: 24)) {
            synchronisedPairs.append(Pair(a: try r.int32(), b: try r.int32(), overlap: try r.double(), sharedWindows: try r.int()))
        }
        harnessValue = try r.plain(Int64.self)
        let shares = try r.count(minimumSize: 4)
        harnessShare = []
        harnessShare.reserveCapacity(shares)
        for _ in 0..<shares { harnessShare.append(try r.float()) }
        inStep = try r.plain(Int32.self)
        try r.check(harnessShare.count == harnessValue.count && inStep.count == harnessValue.count, "coordination ties of unequal lengths")
    }
}
