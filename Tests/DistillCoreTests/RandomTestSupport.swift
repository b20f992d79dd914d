import Foundation
import XCTest

/// A small generator with a seed, so that a random test can be repeated exactly (SplitMix64:
/// every output bit depends on the whole state, low bits included).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
}

extension XCTestCase {
    /// A generator for a random test: seeded from DW_TEST_SEED to repeat a run, else from a new
    /// seed; the seed is printed either way.
    func seededGenerator(_ what: String) -> SplitMix64 {
        var system = SystemRandomNumberGenerator()
        let seed = ProcessInfo.processInfo.environment["DW_TEST_SEED"].flatMap(UInt64.init)
            ?? UInt64.random(in: 1...1_000_000, using: &system)
        print("\(what) seed \(seed) (DW_TEST_SEED=\(seed) repeats it)")
        return SplitMix64(seed: seed)
    }
}
