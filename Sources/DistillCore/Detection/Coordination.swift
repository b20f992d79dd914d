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
        point[7] = Float(s.hourFlatness / 0.1)
        point[8] = Float(s.ipRotation / 0.25)
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
    static let sample = 64

    func groups(_ members: [Int32], profiles: [BehaviourProfile]) -> [[Int32]] {
        guard members.count > minimumNeighbours else { return [] }
        // Bucket by volume and output size: neighbours are at most one bucket away on each.
        var cells: [Int64: [Int]] = [:]
        func cell(_ i: Int, _ dx: Int64 = 0, _ dy: Int64 = 0) -> Int64 {
            let p = profiles[Int(members[i])].point
            let x = Int64((p[0] / radius).rounded(.down)) + dx, y = Int64((p[2] / radius).rounded(.down)) + dy
            return x << 32 &+ y
        }
        for i in members.indices { cells[cell(i), default: []].append(i) }
        var neighbours = [[Int]](repeating: [], count: members.count)
        // Enough neighbours to be a core twice over: every member scans the same cells in the same
        // order, so the cores of a farm all list its first few members and still join as one.
        let enough = 2 * minimumNeighbours
        for i in members.indices {
            let p = profiles[Int(members[i])]
            scan: for dx in -1...1 as ClosedRange<Int64> {
                for dy in -1...1 as ClosedRange<Int64> {
                    guard let list = cells[cell(i, dx, dy)] else { continue }
                    // Each account is compared with at most `sample` accounts of a bucket: a core
                    // needs only a few neighbours, and the cores of a large farm still meet in the
                    // sample, so time grows linearly with the farm, not with its square.
                    for j in list.prefix(Self.sample) where j != i && p.distance(to: profiles[Int(members[j])], limit: radius) <= radius {
                        neighbours[i].append(j)
                        if neighbours[i].count >= enough { break scan }
                    }
                }
            }
        }
        var forest = UnionFind(count: members.count)
        var inGroup = [Bool](repeating: false, count: members.count)
        let core = members.indices.map { neighbours[$0].count >= minimumNeighbours }
        for i in members.indices where core[i] {
            inGroup[i] = true
            for j in neighbours[i] { forest.union(i, j); inGroup[j] = true }
        }
        // A border member (too few neighbours to be a core) joins the cores it found itself: a
        // core that stopped early may not have listed it.
        for i in members.indices where !core[i] {
            for j in neighbours[i] where core[j] { forest.union(i, j); inGroup[i] = true }
        }
        var byRoot: [Int: [Int32]] = [:]
        for i in members.indices where inGroup[i] { byRoot[forest.find(i), default: []].append(members[i]) }
        return byRoot.values.filter { $0.count > minimumNeighbours }.map { $0.sorted() }.sorted { $0[0] < $1[0] }
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

    /// The same signature read straight from an `aligned(asOf: now)` ring, with no list made.
    static func signature(ring: SIMD8<UInt64>, asOf now: Int64) -> [UInt32] {
        var sig = [UInt32](repeating: .max, count: hashes)
        let n = ActivityWindows.count
        let top = Int(floorMod(now, Int64(n)))
        sig.withUnsafeMutableBufferPointer { sig in
            multipliers.withUnsafeBufferPointer { m in
                for word in 0..<6 {
                    var bits = ring[word]
                    while bits != 0 {
                        let index = word << 6 | bits.trailingZeroBitCount
                        bits &= bits &- 1
                        let bucket = now - Int64((top - index + n) % n)
                        let h = StableHash.mix(UInt64(bitPattern: bucket) ^ 0x51_6E_C7)
                        for k in 0..<hashes {
                            let v = UInt32(truncatingIfNeeded: (h &* m[k]) >> 32)
                            if v < sig[k] { sig[k] = v }
                        }
                    }
                }
            }
        }
        return sig
    }

    private static let multipliers: [UInt64] = (0..<hashes).map { StableHash.mix(UInt64($0) &+ 0xA5A5) | 1 }

    /// Pairs of accounts found in step, as (a, b, overlap, shared windows). `rings` are the
    /// candidates' aligned activity rings and `weights` each ring bit's weight.
    func pairs(candidates: [Int32], signatures: [[UInt32]], rings: [SIMD8<UInt64>], weights: [Double], asOf now: Int64) -> [(Int32, Int32, Double, Int)] {
        // Each candidate's active count and the span from its oldest to its newest window.
        var active = [Int](repeating: 0, count: candidates.count)
        var oldest = [Int64](repeating: now, count: candidates.count)
        var newest = [Int64](repeating: now, count: candidates.count)
        for i in candidates.indices {
            var c = 0
            for k in 0..<6 { c += rings[i][k].nonzeroBitCount }
            active[i] = c
            oldest[i] = ActivityWindows.oldestActive(rings[i], asOf: now) ?? now
            newest[i] = ActivityWindows.newestActive(rings[i], asOf: now) ?? now
        }
        let rows = Self.hashes / Self.bands
        // Each entry is a band's key with the candidate's index in its low bits, so one sort of
        // plain integers groups equal keys in candidate order. The key loses those bits; a false
        // match only costs one more comparison.
        let indexBits = UInt64(max(1, Int.bitWidth - candidates.count.leadingZeroBitCount))
        let indexMask = (UInt64(1) << indexBits) &- 1
        var keyed: [UInt64] = []
        keyed.reserveCapacity(candidates.count * Self.bands)
        for i in candidates.indices {
            let sig = signatures[i]
            for band in 0..<Self.bands {
                var key = UInt64(band) &* 0x9E37_79B9
                for r in 0..<rows { key = StableHash.combine(key, UInt64(sig[band * rows + r])) }
                keyed.append(key & ~indexMask | UInt64(i))
            }
        }
        keyed.sort()
        var checked = Set<UInt64>()
        var found: [(Int32, Int32, Double, Int)] = []
        var start = 0
        weights.withUnsafeBufferPointer { w in
            while start < keyed.count {
                var end = start + 1
                while end < keyed.count && keyed[end] & ~indexMask == keyed[start] & ~indexMask { end += 1 }
                // A run is compared as a star and a chain, never as all pairs: the groups merge anyway.
                if end - start >= 2 {
                    for i in (start + 1)..<end {
                        let y = Int32(truncatingIfNeeded: keyed[i] & indexMask)
                        for k in 0..<(i - 1 > start ? 2 : 1) {
                            let x = Int32(truncatingIfNeeded: keyed[k == 0 ? start : i - 1] & indexMask)
                            guard x != y else { continue }
                            let a = min(x, y), b = max(x, y)
                            let pairKey = UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
                            guard checked.insert(pairKey).inserted else { continue }
                            let (overlap, shared) = weightedOverlap(rings[Int(a)], rings[Int(b)], weights: w)
                            guard overlap >= minimumOverlap && shared >= minimumWindows else { continue }
                            let span = Double(max(newest[Int(a)], newest[Int(b)]) - min(oldest[Int(a)], oldest[Int(b)]) + 1)
                            if Double(shared) * span >= minimumLift * Double(active[Int(a)]) * Double(active[Int(b)]) {
                                found.append((candidates[Int(a)], candidates[Int(b)], overlap, shared))
                            }
                        }
                    }
                }
                start = end
            }
        }
        return found.sorted { (UInt64(UInt32($0.0)) << 32 | UInt64(UInt32($0.1))) < (UInt64(UInt32($1.0)) << 32 | UInt64(UInt32($1.1))) }
    }

    /// Weighted Jaccard of two aligned rings, and how many windows they share. Pairs sharing
    /// fewer than `minimumWindows` are answered from a popcount alone.
    func weightedOverlap(_ a: SIMD8<UInt64>, _ b: SIMD8<UInt64>, weights w: UnsafeBufferPointer<Double>) -> (Double, Int) {
        let both = a & b, either = a | b
        var shared = 0
        for k in 0..<6 { shared += both[k].nonzeroBitCount }
        guard shared >= minimumWindows else { return (0, shared) }
        var inBoth = 0.0, inEither = 0.0
        for k in 0..<6 {
            var x = both[k]
            while x != 0 { inBoth += w[k << 6 | x.trailingZeroBitCount]; x &= x &- 1 }
            var y = either[k]
            while y != 0 { inEither += w[k << 6 | y.trailingZeroBitCount]; y &= y &- 1 }
        }
        return (inEither > 0 ? inBoth / inEither : 0, shared)
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
