import Foundation

/// Hands back the same `String` for a value seen recently (account and key ids, user agents,
/// fingerprints, models), so decoding a line does not allocate, validate and later free a copy
/// of each. Values of 15 bytes or less fit inside a `String` without allocating and are not
/// interned. A direct-mapped table: a new value evicts the one in its slot, so memory is fixed.
///
/// Not thread-safe: one interner per reading thread (an `ExchangeStream` owns one).
public final class StringInterner {
    private var hashes: [UInt64]
    private var strings: [String]
    private let mask: Int

    public init(log2Slots: Int = 13) {
        hashes = [UInt64](repeating: 0, count: 1 << log2Slots)
        strings = [String](repeating: "", count: 1 << log2Slots)
        mask = (1 << log2Slots) - 1
    }

    /// `bytes` must be valid UTF-8 (the decoder has checked the line).
    func string(_ bytes: UnsafeRawBufferPointer) -> String {
        let hash = StableHash.hash(bytes) | 1  // 0 marks an empty slot
        let i = Int(truncatingIfNeeded: hash >> 40) & mask
        if hashes[i] == hash {
            var known = strings[i]
            let same = known.withUTF8 { stored in
                stored.count == bytes.count && memcmp(stored.baseAddress!, bytes.baseAddress!, bytes.count) == 0
            }
            if same { return known }
        }
        let made = String(decoding: bytes, as: UTF8.self)
        hashes[i] = hash
        strings[i] = made
        return made
    }
}
