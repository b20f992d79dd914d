import Foundation

/// A fast 64-bit hash of bytes that is the same in every process (Swift's `Hasher` is seeded
/// per run, which would make reports differ between runs).
enum StableHash {
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    static func combine(_ a: UInt64, _ b: UInt64) -> UInt64 {
        mix(a ^ (b &* 0x9E37_79B9_7F4A_7C15) ^ (b >> 29))
    }

    /// Eight bytes at a time, each word folded in by a multiply and a shift (a bijection of the
    /// state, so inputs that differ in one word never collide), then one full `mix`. The length
    /// is in the seed, so "a" and "a\0" differ; a tail shorter than a word is read as the last
    /// eight bytes, overlapping the word before, instead of byte by byte.
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        let n = bytes.count
        var h = seed ^ (UInt64(n) &* 0x9E37_79B9_7F4A_7C15)
        guard let p = bytes.baseAddress, n > 0 else { return mix(h) }
        @inline(__always) func fold(_ word: UInt64) {
            h = (h ^ word) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
        }
        if n >= 8 {
            var i = 0
            while i + 8 <= n { fold(p.loadUnaligned(fromByteOffset: i, as: UInt64.self)); i += 8 }
            if i < n { fold(p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)) }
        } else {
            var tail: UInt64 = 0
            for i in 0..<n { tail |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << (8 * UInt64(i)) }
            fold(tail)
        }
        return mix(h)
    }

    static func hash(_ text: String, seed: UInt64 = 0) -> UInt64 {
        if let h = text.utf8.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0), seed: seed) }) { return h }
        var copy = text
        return copy.withUTF8 { hash(UnsafeRawBufferPointer($0), seed: seed) }
    }
}

/// Estimates how many distinct values an account used (client IPs, end users) in 32 bytes:
/// linear counting over a 256-bit bitmap. Accurate to a few percent up to ~400 values, after
/// which it reports "at least" its saturation value. Enough to tell 1–3 home IPs from an IP
/// per request.
struct DistinctBitmap: Sendable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    mutating func insert(_ hash: UInt64) {
        let bit = UInt64(1) << (hash & 63)
        switch (hash >> 6) & 3 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    var estimate: Double {
        let set = words.0.nonzeroBitCount + words.1.nonzeroBitCount + words.2.nonzeroBitCount + words.3.nonzeroBitCount
        let empty = 256 - set
        if empty <= 4 { return 256 * log(256.0 / 4) }
        return 256 * log(256.0 / Double(empty))
    }
}

extension DistinctBitmap: StateCodable {
    func write(to w: inout StateWriter) {
        w.write(words.0); w.write(words.1); w.write(words.2); w.write(words.3)
    }

    init(from r: inout StateReader) throws(StateError) {
        self.init()
        words = (try r.uint64(), try r.uint64(), try r.uint64(), try r.uint64())
    }
}
