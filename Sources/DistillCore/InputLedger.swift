/// Where an input line came from, for rejection samples a person can find again.
public struct RejectionSample: Sendable, Equatable {
    public var source: String
    public var line: Int
    public var reason: String
    public var message: String

    public init(source: String, line: Int, reason: String, message: String) {
        self.source = source; self.line = line; self.reason = reason; self.message = message
    }
}

/// Counts everything the input did: accepted exchanges, duplicates, rejections by reason
/// (with the first few kept), and the stream-time span. Nothing is dropped without a count.
public struct InputLedger: Sendable {
    public static let keptSamples = 20

    public private(set) var exchanges = 0
    public private(set) var duplicates = 0
    public private(set) var blankLines = 0
    public private(set) var rejectedTotal = 0
    public private(set) var rejectedByReason: [String: Int] = [:]
    public private(set) var samples: [RejectionSample] = []
    /// The most recent rejections (up to `keptLatest`, oldest first): what a live source is
    /// rejecting now, long after the first ones.
    public private(set) var latestSamples: [RejectionSample] = []
    public static let keptLatest = 50
    public private(set) var firstTs: StreamTime?
    public private(set) var lastTs: StreamTime?
    private var duplicateFilter: DuplicateFilter

    public init(duplicateWindow: StreamTime = DuplicateFilter.defaultWindow) {
        duplicateFilter = DuplicateFilter(window: duplicateWindow)
    }

    /// The counts of input read elsewhere (a feed's reading thread), for a report of it.
    public init(exchanges: Int, duplicates: Int, rejectedByReason: [String: Int], firstTs: StreamTime?, lastTs: StreamTime?) {
        self.init()
        self.exchanges = exchanges; self.duplicates = duplicates
        self.rejectedByReason = rejectedByReason
        rejectedTotal = rejectedByReason.values.reduce(0, +)
        self.firstTs = firstTs; self.lastTs = lastTs
    }

    /// Counts `count` rejections of one kind that one sample describes (a run of lost records).
    public mutating func reject(_ rejection: Rejection, source: String, line: Int, count: Int = 1) {
        rejectedTotal += count
        rejectedByReason[rejection.key, default: 0] += count
        let sample = RejectionSample(source: source, line: line, reason: rejection.key, message: rejection.message)
        if samples.count < Self.keptSamples { samples.append(sample) }
        if latestSamples.count >= Self.keptLatest { latestSamples.removeFirst() }
        latestSamples.append(sample)
    }

    public mutating func countBlank() { blankLines += 1 }

    /// Records an exchange; returns false (and counts it) when its `request_id` was already seen
    /// inside the duplicate window.
    public mutating func admit(_ exchange: borrowing Exchange) -> Bool {
        admit(exchange, requestKey: exchange.text.withBytes(.requestID, duplicateFilter.key(of:)))
    }

    /// Exchanges admitted without a check for repeats because they came too far behind the
    /// newest (see `DuplicateFilter.unchecked`).
    public var uncheckedForRepeats: Int { duplicateFilter.unchecked }

    /// How this ledger keys request ids, for a thread that prepares records for `admit`.
    public var requestKeys: RequestKeys { RequestKeys(secret: duplicateFilter.secret) }

    /// `admit` with the record's request key already made by `requestKeys` (nil: no request id).
    public mutating func admit(_ exchange: borrowing Exchange, requestKey: UInt64?) -> Bool {
        admit(ts: exchange.ts, requestKey: requestKey)
    }

    private mutating func admit(ts: StreamTime, requestKey: UInt64?) -> Bool {
        if let requestKey, duplicateFilter.isDuplicate(key: requestKey, at: ts) {
            duplicates += 1
            return false
        }
        exchanges += 1
        if firstTs.map({ ts < $0 }) ?? true { firstTs = ts }
        if lastTs.map({ ts > $0 }) ?? true { lastTs = ts }
        return true
    }

    /// `admit` for the last record of `batch`, read in place: a record passed from another
    /// module's array was copied whole first (a retain and a release). Never inlined, so the
    /// caller's module cannot bring the copy back.
    @inline(never)
    public mutating func admitLast(of batch: [Exchange]) -> Bool {
        batch.withUnsafeBufferPointer { records in
            // Through its address: handing `records[i]` to `admit` copied it here too.
            let last = records.baseAddress! + (records.count - 1)
            return admit(ts: last.pointee.ts, requestKey: last.pointee.text.withBytes(.requestID, duplicateFilter.key(of:)))
        }
    }

    /// `admit` for each of `batch` in order, read in place, with request keys made beforehand;
    /// returns the indices of those refused as duplicates (empty: all admitted).
    public mutating func admit(_ batch: [Exchange], requestKeys: [UInt64?]) -> [Int] {
        precondition(requestKeys.count == batch.count)
        var refused: [Int] = []
        batch.withUnsafeBufferPointer { buffer in
            for i in buffer.indices where !admit(buffer[i], requestKey: requestKeys[i]) { refused.append(i) }
        }
        return refused
    }
}

/// Turns a record's request id into the key a ledger's duplicate filter remembers it by; a
/// copy, so decoding threads can do it and leave the ledger's thread only the lookup.
public struct RequestKeys: Sendable {
    let secret: SipHash.Key

    public func key(of exchange: borrowing Exchange) -> UInt64? {
        exchange.text.withBytes(.requestID) { SipHash.hash($0, key: secret) }
    }
}

/// Remembers request ids by the stream time of the record that carried them, with bounded
/// memory: ids are kept in buckets of one window of stream time each, and an id is a duplicate
/// if it is in the bucket of the new record's own time or a neighbouring one. A copy of a record
/// (an at-least-once sender re-sending, a slow shipper behind a fast one) has the record's own
/// time, so it is caught however late it arrives, as long as its bucket is kept.
///
/// Buckets are dropped once every record arriving is more than a bucket past them (the oldest
/// time among the last `checkEvery` ids is the low-water mark), or when there are more than
/// `maxBuckets`. A bucket that fills (`maxPerGeneration` ids) starts over, keeping its previous
/// contents as a second generation: memory stays under `maxBuckets` × 2 × `maxPerGeneration`
/// ids whatever the input.
///
/// A hash collision could wrongly call two ids the same; with 64-bit hashes and at most a few
/// million ids the chance is about 1 in 10^7. The hash is SipHash with a random secret of the
/// filter's own: `StableHash` is public and easy to invert, so a log could carry a crafted id
/// that collides with a real one and have that exchange dropped as its duplicate. The secret is
/// saved with the filter, so a restored filter still knows the ids it had seen.
public struct DuplicateFilter: Sendable {
    /// One hour: retries and replays of a request arrive within minutes.
    public static let defaultWindow: StreamTime = 3_600_000
    public static let defaultMaxPerGeneration = 500_000
    public static let defaultCheckEvery = 4096
    static let maxBuckets = 4

    struct Bucket: Sendable {
        var index: Int64
        var current: UInt64Map<NoValue>
        var previous: UInt64Map<NoValue>
    }

    private let window: StreamTime
    private let maxPerGeneration: Int
    private let checkEvery: Int
    /// Oldest first.
    private var buckets: [Bucket] = []
    /// The oldest record time among the ids since the last check, and how many.
    private var oldestSinceCheck: StreamTime?
    private var sinceCheck = 0
    private(set) var secret: SipHash.Key

    public init(window: StreamTime = defaultWindow, maxPerGeneration: Int = defaultMaxPerGeneration, checkEvery: Int = defaultCheckEvery) {
        self.window = max(1, window)
        self.maxPerGeneration = max(1, maxPerGeneration)
        self.checkEvery = max(1, checkEvery)
        var rng = SystemRandomNumberGenerator()
        secret = SipHash.Key(rng.next(), rng.next())
    }

    /// Number of ids currently remembered (for tests and memory reports).
    public var remembered: Int { buckets.reduce(0) { $0 + $1.current.count + $1.previous.count } }

    /// Ids that came too far behind the newest to be checked (of a time whose bucket was
    /// already dropped) since this filter was made or read back: let through unchecked, so a
    /// copy among them is counted twice. Not saved: it describes one run.
    public private(set) var unchecked = 0
    /// The newest bucket dropped so far: the ids of its time and before are forgotten. Read
    /// back, it is the one before the oldest kept (the newest a dropped one can have been).
    private var forgottenThrough: Int64?

    public mutating func isDuplicate(_ requestID: String, at ts: StreamTime) -> Bool {
        var id = requestID
        return isDuplicate(key: id.withUTF8 { key(of: UnsafeRawBufferPointer($0)) }, at: ts)
    }

    /// The key an id is remembered by: its keyed hash.
    func key(of requestID: UnsafeRawBufferPointer) -> UInt64 {
        SipHash.hash(requestID, key: secret)
    }

    private func bucketIndex(_ ts: StreamTime) -> Int64 {
        ts >= 0 ? ts / window : -((-ts - 1) / window) - 1
    }

    private mutating func forget(through index: Int64) {
        forgottenThrough = max(forgottenThrough ?? index, index)
    }

    /// `isDuplicate` for an id already turned into its `key(of:)`.
    mutating func isDuplicate(key hash: UInt64, at ts: StreamTime) -> Bool {
        let b = bucketIndex(ts)
        // Every arrival counts towards the low-water mark, copies included: a slow sender
        // re-sending old records is exactly what keeps old buckets alive.
        oldestSinceCheck = min(oldestSinceCheck ?? ts, ts)
        sinceCheck += 1
        if sinceCheck >= checkEvery {
            // Buckets every sender has left a bucket behind are done with.
            if let oldest = oldestSinceCheck {
                let low = bucketIndex(oldest) - 1
                if let dropped = buckets.last(where: { $0.index < low })?.index { forget(through: dropped) }
                buckets.removeAll { $0.index < low }
            }
            oldestSinceCheck = nil
            sinceCheck = 0
        }
        var home: Int?
        for i in buckets.indices where abs(buckets[i].index - b) <= 1 {
            if buckets[i].current.slot(of: hash) != nil || buckets[i].previous.slot(of: hash) != nil { return true }
            if buckets[i].index == b { home = i }
        }
        if home == nil {
            let position = buckets.firstIndex { $0.index > b } ?? buckets.count
            // Sized for as many ids as the newest bucket holds: the next hour of a log is much
            // like the last, and growing a new table from empty every hour took about a fifth
            // of the filter's instructions.
            let expected = min(buckets.last?.current.count ?? 0, maxPerGeneration)
            buckets.insert(Bucket(index: b, current: UInt64Map(capacity: expected), previous: UInt64Map()), at: position)
            home = position
            if buckets.count > Self.maxBuckets {
                // Too many times at once: the oldest go first.
                let excess = buckets.count - Self.maxBuckets
                forget(through: buckets[excess - 1].index)
                buckets.removeFirst(excess)
                home = position - excess >= 0 ? position - excess : nil
            }
        }
        // Admitted. An id older than every bucket kept, or of a time already forgotten, was
        // checked against nothing that could hold its copy.
        guard let h = home else { unchecked += 1; return false }
        if let f = forgottenThrough, b <= f { unchecked += 1 }
        if buckets[h].current.count >= maxPerGeneration {
            buckets[h].previous = buckets[h].current
            buckets[h].current = UInt64Map(capacity: buckets[h].previous.count)
        }
        buckets[h].current.insert(hash, NoValue())
        return false
    }
}

/// SipHash-1-3 (the variant Swift's own `Hasher` runs) with a key the caller keeps, so the same
/// bytes hash the same after the key is saved and read back.
enum SipHash {
    struct Key: Sendable, Equatable {
        var k0: UInt64
        var k1: UInt64
        init(_ k0: UInt64, _ k1: UInt64) { self.k0 = k0; self.k1 = k1 }
    }

    static func hash(_ bytes: UnsafeRawBufferPointer, key: Key) -> UInt64 {
        var v0: UInt64 = 0x736f_6d65_7073_6575 ^ key.k0
        var v1: UInt64 = 0x646f_7261_6e64_6f6d ^ key.k1
        var v2: UInt64 = 0x6c79_6765_6e65_7261 ^ key.k0
        var v3: UInt64 = 0x7465_6462_7974_6573 ^ key.k1
        @inline(__always) func round() {
            v0 &+= v1; v1 = v1.rotatedLeft(13); v1 ^= v0; v0 = v0.rotatedLeft(32)
            v2 &+= v3; v3 = v3.rotatedLeft(16); v3 ^= v2
            v0 &+= v3; v3 = v3.rotatedLeft(21); v3 ^= v0
            v2 &+= v1; v1 = v1.rotatedLeft(17); v1 ^= v2; v2 = v2.rotatedLeft(32)
        }
        let n = bytes.count
        var i = 0
        while i + 8 <= n {
            let m = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            v3 ^= m; round(); v0 ^= m
            i += 8
        }
        var last = UInt64(truncatingIfNeeded: n) << 56
        for j in 0..<(n - i) { last |= UInt64(bytes[i + j]) << (8 * UInt64(j)) }
        v3 ^= last; round(); v0 ^= last
        v2 ^= 0xff
        round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }
}

private extension UInt64 {
    @inline(__always) func rotatedLeft(_ k: UInt64) -> UInt64 { (self << k) | (self >> (64 - k)) }
}

extension DuplicateFilter: StateCodable {
    func write(to w: inout StateWriter) {
        w.write(window); w.write(maxPerGeneration); w.write(checkEvery)
        w.write(buckets.count)
        for b in buckets { w.write(b.index); w.write(b.current); w.write(b.previous) }
        w.write(oldestSinceCheck); w.write(sinceCheck)
        w.write(secret.k0); w.write(secret.k1)
    }

    init(from r: inout StateReader) throws(StateError) {
        if r.formatVersion < 3 {
            // Two generations by arrival: they become the buckets of their start and the one before.
            self.init(window: try r.int64(), maxPerGeneration: try r.int())
            let current = try r.read(UInt64Map<NoValue>.self)
            let previous = try r.read(UInt64Map<NoValue>.self)
            if let start = try r.optionalInt64() {
                let b = bucketIndex(start)
                buckets = [Bucket(index: b - 1, current: previous, previous: UInt64Map()),
                           Bucket(index: b, current: current, previous: UInt64Map())]
            }
            forgottenThrough = buckets.first.map { $0.index - 1 }
            secret = SipHash.Key(try r.uint64(), try r.uint64())
            return
        }
        self.init(window: try r.int64(), maxPerGeneration: try r.int(), checkEvery: try r.int())
        try r.check(window > 0 && maxPerGeneration > 0 && checkEvery > 0, "a duplicate window of \(window)")
        let n = try r.count(minimumSize: 24)
        try r.check(n <= Self.maxBuckets, "\(n) duplicate-window buckets")
        for _ in 0..<n {
            let index = try r.int64()
            buckets.append(Bucket(index: index, current: try r.read(UInt64Map<NoValue>.self), previous: try r.read(UInt64Map<NoValue>.self)))
        }
        try r.check(zip(buckets, buckets.dropFirst()).allSatisfy { $0.index < $1.index }, "duplicate-window buckets out of order")
        forgottenThrough = buckets.first.map { $0.index - 1 }
        oldestSinceCheck = try r.optionalInt64()
        sinceCheck = try r.int()
        try r.check(sinceCheck >= 0 && sinceCheck <= checkEvery, "a duplicate-window check count of \(sinceCheck)")
        secret = SipHash.Key(try r.uint64(), try r.uint64())
    }
}

extension InputLedger: StateCodable {
    func write(to w: inout StateWriter) {
        w.write(exchanges); w.write(duplicates); w.write(blankLines); w.write(rejectedTotal)
        w.write(rejectedByReason.count)
        for (reason, n) in rejectedByReason.sorted(by: { $0.key < $1.key }) { w.write(reason); w.write(n) }
        for list in [samples, latestSamples] {
            w.write(list.count)
            for s in list { w.write(s.source); w.write(s.line); w.write(s.reason); w.write(s.message) }
        }
        w.write(firstTs); w.write(lastTs)
        w.write(duplicateFilter)
    }

    init(from r: inout StateReader) throws(StateError) {
        self.init()
        exchanges = try r.int(); duplicates = try r.int(); blankLines = try r.int(); rejectedTotal = try r.int()
        for _ in 0..<(try r.count(minimumSize: 16)) { rejectedByReason[try r.string()] = try r.int() }
        for _ in 0..<(try r.count(minimumSize: 32)) {
            samples.append(RejectionSample(source: try r.string(), line: try r.int(), reason: try r.string(), message: try r.string()))
        }
        for _ in 0..<(try r.count(minimumSize: 32)) {
            latestSamples.append(RejectionSample(source: try r.string(), line: try r.int(), reason: try r.string(), message: try r.string()))
        }
        firstTs = try r.optionalInt64(); lastTs = try r.optionalInt64()
        duplicateFilter = try r.read(DuplicateFilter.self)
    }
}
