import DistillCore

/// How fast a replay runs: stream seconds per wall-clock second, or as fast as the detector goes.
public enum ReplaySpeed: Sendable, Equatable, CustomStringConvertible {
    case times(Double)
    case max

    public static let slowest = 1.0
    public static let fastest = 100_000.0

    /// `500`, `×500`, `500x` or `max`; nil with the reason otherwise.
    public static func parse(_ typed: String) -> Result<ReplaySpeed, SpeedError> {
        var t = Substring(typed.lowercased())
        while t.first == " " { t = t.dropFirst() }
        while t.last == " " { t = t.dropLast() }
        if t == "max" { return .success(.max) }
        if t.hasPrefix("×") || t.hasPrefix("x") { t = t.dropFirst() } else if t.hasSuffix("x") || t.hasSuffix("×") { t = t.dropLast() }
        guard let v = Double(t), v.isFinite else {
            return .failure(SpeedError("speed must be a number from 1 to 100000, or max (got '\(typed)')"))
        }
        guard v >= slowest && v <= fastest else {
            return .failure(SpeedError("speed must be from 1 to 100000, or max (got \(typed))"))
        }
        return .success(.times(v))
    }

    /// Twice as fast; past the fastest paced speed comes `max`.
    public var faster: ReplaySpeed {
        guard case .times(let v) = self else { return .max }
        return v >= Self.fastest ? .max : .times(Swift.min(Self.fastest, v * 2))
    }

    /// Half as fast; below `max` comes the fastest paced speed.
    public var slower: ReplaySpeed {
        guard case .times(let v) = self else { return .times(Self.fastest) }
        return .times(Swift.max(Self.slowest, v / 2))
    }

    /// Stream seconds per wall second; infinity for `max`.
    public var factor: Double {
        if case .times(let v) = self { return v }
        return .infinity
    }

    public var description: String {
        guard case .times(let v) = self else { return "max" }
        return v == v.rounded() ? String(Int(v)) : String(v)
    }
}

public struct SpeedError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ d: String) { description = d }
}

/// The replay's stream clock: maps wall time to stream time at a speed, paused or running,
/// and holds a seek in progress. Pure: callers pass the wall time in (milliseconds, any
/// monotonic origin), so tests need no clock and no terminal.
///
/// Position is computed from an anchor (a wall time and the stream time it showed), re-set
/// only when speed, pause or position change: it does not accumulate rounding per tick.
public struct ReplayClock: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
        /// Everything up to this stream time, at full speed.
        case time(StreamTime)
        /// Full speed until a cluster first becomes suspect (or the input ends).
        case nextSuspect
    }

    public private(set) var speed: ReplaySpeed
    public private(set) var paused: Bool
    /// Running at full speed: whatever has been read is due.
    public var runsFlatOut: Bool { !paused && speed == .max }
    /// A seek or step under way: exchanges are due as fast as they can be ingested.
    public private(set) var target: Target?
    /// The input is exhausted: the clock stands still.
    public private(set) var ended = false
    private var anchorWall = 0.0
    private var anchorStream: Double?

    public init(speed: ReplaySpeed, paused: Bool = false) {
        self.speed = speed
        self.paused = paused
    }

    /// True while the stream clock moves with wall time.
    public var isPacing: Bool { !paused && !ended && target == nil && speed != .max }

    /// Stream time (ms) shown at `wallMs`; nil before the first exchange.
    public func position(at wallMs: Double) -> Double? {
        guard let stream = anchorStream else { return nil }
        guard isPacing else { return stream }
        return stream + Swift.max(0, wallMs - anchorWall) * speed.factor
    }

    /// Whether an exchange stamped `ts` may be ingested at `wallMs`.
    public func isDue(_ ts: StreamTime, at wallMs: Double) -> Bool {
        guard let position = position(at: wallMs) else { return false }
        switch target {
        case .time(let t): return ts <= t
        case .nextSuspect: return true
        case nil: break
        }
        if !paused && speed == .max { return true }
        return Double(ts) <= position  // paused: only stragglers behind the clock
    }

    /// Wall milliseconds until an exchange stamped `ts` falls due, when pacing (0 if it is due,
    /// nil if it never will be while the clock stands).
    public func wallMsUntilDue(_ ts: StreamTime, at wallMs: Double) -> Double? {
        if isDue(ts, at: wallMs) { return 0 }
        guard isPacing, let position = position(at: wallMs) else { return nil }
        return (Double(ts) - position) / speed.factor
    }

    /// The first exchange starts the clock at its time (no-op once started).
    public mutating func start(at ts: StreamTime, wallMs: Double) {
        guard anchorStream == nil else { return }
        anchorWall = wallMs
        anchorStream = Double(ts)
    }

    /// An exchange stamped `ts` was ingested. At `max` and while seeking, the clock shows how
    /// far the data has got; when pacing it keeps its own time.
    public mutating func ingested(_ ts: StreamTime, wallMs: Double) {
        guard let stream = anchorStream, !isPacing, !paused || target != nil, Double(ts) > stream else { return }
        anchorWall = wallMs
        anchorStream = Double(ts)
    }

    public mutating func setPaused(_ paused: Bool, wallMs: Double) {
        rebase(wallMs)
        self.paused = paused
    }

    public mutating func setSpeed(_ speed: ReplaySpeed, wallMs: Double) {
        rebase(wallMs)
        self.speed = speed
    }

    /// Starts a seek; `ended` is cleared (seeking back re-opens the input).
    public mutating func seek(_ target: Target, wallMs: Double) {
        rebase(wallMs)
        self.target = target
        ended = false
    }

    /// The seek reached its goal: the clock shows `ts` and goes on in the mode it was in.
    public mutating func arrive(at ts: Double, wallMs: Double) {
        target = nil
        anchorWall = wallMs
        anchorStream = ts
    }

    /// Seeking back: the clock restarts from `ts` (the beginning of the input, or nil if unknown).
    public mutating func restart(at ts: Double?, wallMs: Double) {
        anchorWall = wallMs
        anchorStream = ts
    }

    /// End of input: the clock stops at `ts` (the last exchange), if given, else where it is.
    public mutating func end(at ts: Double?, wallMs: Double) {
        rebase(wallMs)
        if let ts { anchorStream = ts }
        target = nil
        ended = true
    }

    private mutating func rebase(_ wallMs: Double) {
        if let p = position(at: wallMs) { anchorStream = p }
        anchorWall = wallMs
    }
}
