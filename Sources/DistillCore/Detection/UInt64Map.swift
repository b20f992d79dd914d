/// A hash map from 64-bit keys to values, for the per-exchange hot path: open addressing with
/// linear probing over keys that are already good hashes, so a lookup is one multiply and
/// usually one cache line. Swift's `Dictionary` seeds and runs SipHash on every lookup, which
/// cost several percent of `scan` (measured with callgrind).
///
/// Key 0 marks an empty slot, so a real key 0 is stored as `zeroStandIn`; the two are then
/// one key, which for hash keys is as likely as any other 64-bit collision. Values are stored
/// plainly (an empty slot holds `Value.filler`), not as optionals, which would double the
/// size of an `Int32` slot; the table is kept at most two-thirds full.
struct UInt64Map<Value: MapValue> {
    /// A key and its value side by side: a hit in a table larger than the cache is one miss,
    /// where separate key and value arrays were two.
    struct Entry {
        var key: UInt64
        var value: Value
    }
    private var entries: [Entry]
    private var mask: Int
    private(set) var count = 0

    static var zeroStandIn: UInt64 { 0x9E37_79B9_7F4A_7C15 }

    init(capacity: Int = 16) {
        var size = 16
        while size * 2 < capacity * 3 { size <<= 1 }
        entries = [Entry](repeating: Entry(key: 0, value: .filler), count: size)
        mask = size - 1
    }

    @inline(__always)
    private static func stored(_ key: UInt64) -> UInt64 { key == 0 ? zeroStandIn : key }

    /// The process's secret, copied in so a lookup reads a field, not a lazy global.
    private let seed = uint64MapSeed

    @inline(__always)
    private func home(_ key: UInt64) -> Int {
        // Fibonacci hashing of the seeded key: the multiply spreads keys that differ only in low bits.
        Int(truncatingIfNeeded: ((key ^ seed) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// The slot holding `key`, or nil.
    @inline(__always)
    func slot(of key: UInt64) -> Int? {
        let k = Self.stored(key)
        var i = home(k)
        while true {
            let here = entries[i].key
            if here == k { return i }
            if here == 0 { return nil }
            i = (i + 1) & mask
        }
    }

    subscript(key: UInt64) -> Value? {
        get { slot(of: key).map { entries[$0].value } }
        set {
            if let value = newValue { insert(key, value) } else { remove(key) }
        }
    }

    /// The value in a slot returned by `slot(of:)`; mutate it in place with `update`.
    @inline(__always)
    func value(at slot: Int) -> Value { entries[slot].value }

    @inline(__always)
    mutating func update(at slot: Int, _ value: Value) { entries[slot].value = value }

    mutating func insert(_ key: UInt64, _ value: Value) {
        if (count + 1) * 3 > entries.count * 2 { grow() }
        let k = Self.stored(key)
        var i = home(k)
        while entries[i].key != 0 && entries[i].key != k { i = (i + 1) & mask }
        if entries[i].key == 0 { count += 1 }
        entries[i] = Entry(key: k, value: value)
    }

    /// Backward-shift deletion: no tombstones, so lookups never slow down with churn.
    mutating func remove(_ key: UInt64) {
        guard var hole = slot(of: key) else { return }
        let empty = Entry(key: 0, value: .filler)
        entries[hole] = empty
        count -= 1
        var i = (hole + 1) & mask
        while entries[i].key != 0 {
            let want = home(entries[i].key)
            // Move the entry back into the hole unless its home lies cyclically in (hole, i].
            let distanceToHole = (i - want) & mask
            let distanceFromHole = (i - hole) & mask
            if distanceToHole >= distanceFromHole {
                entries[hole] = entries[i]
                entries[i] = empty
                hole = i
            }
            i = (i + 1) & mask
        }
    }

    /// Keeps only the entries for which `keep` is true, rebuilding the table at a size that
    /// fits them (so a burst of sessions does not leave a huge table behind).
    mutating func filter(_ keep: (UInt64, Value) -> Bool) {
        var kept = UInt64Map(capacity: max(16, count))
        for e in entries where e.key != 0 && keep(e.key, e.value) { kept.insert(e.key, e.value) }
        self = kept
    }

    private mutating func grow() {
        var bigger = UInt64Map(capacity: entries.count)
        for e in entries where e.key != 0 { bigger.insert(e.key, e.value) }
        self = bigger
    }
}

extension UInt64Map: Sendable where Value: Sendable {}
extension UInt64Map.Entry: Sendable where Value: Sendable {}

/// A value type a `UInt64Map` can hold: `filler` fills its empty slots.
protocol MapValue { static var filler: Self { get } }
extension Int32: MapValue { static var filler: Int32 { 0 } }
extension Int: MapValue { static var filler: Int { 0 } }

/// The value of a map used as a set of keys (the duplicate window): it takes no room, so an
/// entry is the key's 8 bytes alone.
struct NoValue: MapValue, Sendable { static var filler: NoValue { NoValue() } }

/// A secret per process for `UInt64Map`'s slots: keys come from `StableHash` of text the logs
/// choose, and that hash is public and invertible, so without it a sender could craft ids that
/// all land in one probe run and make every lookup linear. Slot order never reaches any output.
private let uint64MapSeed: UInt64 = {
    var rng = SystemRandomNumberGenerator()
    return rng.next()
}()

/// Saved as its keys and values; read back into a table with this process's seed (the slots
/// differ, the contents do not).
extension UInt64Map: StateCodable where Value: StateCodable {
    func write(to w: inout StateWriter) {
        w.write(count)
        for e in entries where e.key != 0 {
            w.write(e.key)
            e.value.write(to: &w)
        }
    }

    init(from r: inout StateReader) throws(StateError) {
        let n = try r.count(minimumSize: 8)
        self.init(capacity: n)
        for _ in 0..<n {
            let key = try r.uint64()
            insert(key, try Value(from: &r))
        }
        try r.check(count == n, "a table holds one key twice")
    }
}
