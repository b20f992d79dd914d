import DistillCore

/// The stream-time window `--from`/`--until` select (both ends included). Exchanges outside
/// it are read, counted and skipped, never given to the detector.
public struct StreamWindow: Sendable, Equatable {
    public var from: StreamTime?
    public var until: StreamTime?

    public static let all = StreamWindow()

    public init(from: StreamTime? = nil, until: StreamTime? = nil) {
        self.from = from
        self.until = until
    }

    /// From the command line's `--from`/`--until` (see `Timestamp.parseMoment`).
    public init(from: String?, until: String?) throws(WindowError) {
        func parse(_ option: String, _ text: String?) throws(WindowError) -> StreamTime? {
            guard let text else { return nil }
            guard let t = Timestamp.parseMoment(text) else {
                throw WindowError("--\(option) '\(text)' is not a time: use RFC 3339, e.g. 2026-04-22T10:00:00Z, 2026-04-22T10:00Z or 2026-04-22")
            }
            return t
        }
        self.from = try parse("from", from)
        self.until = try parse("until", until)
        if let f = self.from, let u = self.until, u < f {
            throw WindowError("--until (\(Timestamp.format(u))) is before --from (\(Timestamp.format(f)))")
        }
    }

    public var isAll: Bool { from == nil && until == nil }

    @inline(__always)
    public func contains(_ ts: StreamTime) -> Bool {
        if let from, ts < from { return false }
        if let until, ts > until { return false }
        return true
    }
}

public struct WindowError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ d: String) { description = d }
}
