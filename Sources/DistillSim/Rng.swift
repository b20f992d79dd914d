#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SplitMix64 finaliser: a bijection on UInt64, so distinct counters give distinct ids.
@inline(__always)
func mix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// xoshiro256** seeded through SplitMix64; one per actor so actors never share a stream.
struct Rng {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    init(seed: UInt64, stream: UInt64) {
        var x = seed ^ mix64(stream &* 0xD1B5_4A32_D192_ED03)
        func next(_ x: inout UInt64) -> UInt64 {
            x = x &+ 0x9E37_79B9_7F4A_7C15
            return mix64(x)
        }
        s0 = next(&x); s1 = next(&x); s2 = next(&x); s3 = next(&x)
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1).
    @inline(__always)
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform integer in lo...hi (inclusive).
    @inline(__always)
    mutating func int(_ lo: Int, _ hi: Int) -> Int {
        if hi <= lo { return lo }
        let span = UInt64(hi - lo + 1)
        return lo + Int(next().multipliedFullWidth(by: span).high)
    }

    @inline(__always)
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : int(0, n - 1) }

    @inline(__always)
    mutating func chance(_ p: Double) -> Bool { unit() < p }

    mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * unit() }

    mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }

    /// Index drawn with the given (unnormalised) weights.
    mutating func weighted(_ w: [Double]) -> Int {
        var total = 0.0
        for x in w { total += x }
        var r = unit() * total
        for (i, x) in w.enumerated() {
            r -= x
            if r < 0 { return i }
        }
        return w.count - 1
    }

    /// Exponential with the given mean.
    mutating func exponential(_ mean: Double) -> Double {
        -mean * log(1.0 - unit())
    }

    mutating func normal() -> Double {
        let u1 = 1.0 - unit(), u2 = unit()
        return sqrt(-2 * log(u1)) * cos(2 * Double.pi * u2)
    }

    /// Log-normal parameterised by its median and the sigma of the underlying normal.
    mutating func logNormal(median: Double, sigma: Double) -> Double {
        median * exp(sigma * normal())
    }

    mutating func poisson(_ mean: Double) -> Int {
        if mean <= 0 { return 0 }
        if mean > 30 { return max(0, Int((mean + sqrt(mean) * normal()).rounded())) }
        let l = exp(-mean)
        var k = 0
        var p = 1.0
        repeat { k += 1; p *= unit() } while p > l
        return k - 1
    }

    /// Log-uniform in lo...hi: many small values, a tail of large ones.
    mutating func logUniform(_ lo: Double, _ hi: Double) -> Double {
        exp(uniform(log(lo), log(hi)))
    }

    mutating func shuffle<T>(_ a: inout [T]) {
        if a.count < 2 { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            a.swapAt(i, below(i + 1))
        }
    }
}

// Thin wrappers so other files need not import the C library.
@inline(__always) func fexp(_ x: Double) -> Double { exp(x) }
@inline(__always) func flog(_ x: Double) -> Double { log(x) }
