import Glibc

/// Wall time for pacing and timeouts, in milliseconds from an arbitrary start; injected so a
/// test can drive the loops with a clock of its own.
public protocol MonotonicClock: Sendable {
    func nowMs() -> Double
}

/// The system's monotonic clock: never steps back when the date is set.
public struct SystemClock: MonotonicClock {
    public init() {}

    public func nowMs() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1_000_000
    }
}
