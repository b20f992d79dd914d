import DistillCore

/// Where the console gets drill-down detail; the detector (with its inspector) in the program,
/// a fake in tests.
public protocol ConsoleDataSource: AnyObject {
    func accountFigures(_ id: String) -> AccountFigures?
    /// Exchanges per stream hour, oldest first (cheaper than the figures).
    func accountHourly(_ id: String) -> [Int]?
    func accountDetail(_ id: String) -> AccountDetail?
    func sessions(_ account: String) -> [SessionSummary]
    func exchanges(_ account: String, session: String?) -> [ExchangeExcerpt]
}

/// Reads a detector and its inspector. Call only from the thread that feeds the detector.
public final class DetectorDataSource: ConsoleDataSource {
    let detector: Detector
    public init(detector: Detector) { self.detector = detector }
    public func accountFigures(_ id: String) -> AccountFigures? { detector.accountFigures(id) }
    public func accountHourly(_ id: String) -> [Int]? { detector.accountHourly(id) }
    public func accountDetail(_ id: String) -> AccountDetail? { detector.inspector?.accountDetail(id) }
    public func sessions(_ account: String) -> [SessionSummary] { detector.inspector?.sessions(account) ?? [] }
    public func exchanges(_ account: String, session: String?) -> [ExchangeExcerpt] {
        detector.inspector?.exchanges(account, session: session) ?? []
    }
}

/// What the feed reports to the status bar.
public struct FeedStatus: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        case replay(speed: Double)
        case paused(speed: Double)
        case live
        case finished
    }
    public var source: String
    public var mode: Mode
    /// Exchanges ingested per wall-clock second, recently.
    public var ingestRate: Double
    public var rejected: Int
    public var duplicates: Int
    /// Set when the input stopped on an error.
    public var error: String?
    /// Lines, requests or connections a live source had to refuse or drop.
    public var dropped = 0
    /// False while a live source has no peer.
    public var connected = true

    public init(source: String, mode: Mode, ingestRate: Double = 0, rejected: Int = 0, duplicates: Int = 0, error: String? = nil) {
        self.source = source; self.mode = mode; self.ingestRate = ingestRate
        self.rejected = rejected; self.duplicates = duplicates; self.error = error
    }

    public var modeLabel: String {
        switch mode {
        case .replay(let s): return "REPLAY ×" + FeedStatus.speedLabel(s)
        case .paused: return "PAUSED"
        case .live: return "LIVE"
        case .finished: return "END OF INPUT"
        }
    }

    static func speedLabel(_ s: Double) -> String {
        s >= 1 && s == s.rounded() ? String(Int(s)) : Format.twoDecimals(s)
    }
}

public enum View: Equatable, Sendable {
    case clusters
    case accounts(cluster: String)
    case account(String)
    case session(account: String, session: String?)
    case exchange(account: String, session: String?, index: Int)
    case help
}

/// A filter typed after `/`: case-insensitive substring, `!` in front inverts.
public struct RowFilter: Equatable, Sendable {
    public var text: String
    public var inverted: Bool

    public init?(_ typed: String) {
        var t = Substring(typed)
        var inv = false
        if t.hasPrefix("!") { inv = true; t = t.dropFirst() }
        let needle = String(t).trimmingCharacters()
        guard !needle.isEmpty else { return nil }
        text = needle.lowercased(); inverted = inv
    }

    public func matches(_ haystack: String) -> Bool { haystack.lowercased().contains(text) != inverted }
    public var label: String { (inverted ? "!" : "") + text }
}

extension String {
    func trimmingCharacters() -> String { String(Substring(self).trimmingSpaces) }
}

/// An analyst's decision on a cluster or an account. Held in memory only, for now.
public struct Decision: Equatable, Sendable {
    public var verdict: Verdict?
    public var notes: [String] = []
}

/// Decisions with undo. Keys are "cluster:KEY" or "account:ID".
public struct TriageBook: Sendable {
    public private(set) var decisions: [String: Decision] = [:]
    private var history: [(key: String, before: Decision?)] = []

    public mutating func mark(_ key: String, _ verdict: Verdict) {
        history.append((key, decisions[key]))
        decisions[key, default: Decision()].verdict = verdict
    }

    public mutating func note(_ key: String, _ text: String) {
        history.append((key, decisions[key]))
        decisions[key, default: Decision()].notes.append(text)
    }

    /// Reverts the last change; returns the key it touched.
    public mutating func undo() -> String? {
        guard let last = history.popLast() else { return nil }
        decisions[last.key] = last.before
        return last.key
    }

    public var count: Int { decisions.count }
    public subscript(key: String) -> Decision? { decisions[key] }
}

public enum InputMode: Equatable, Sendable {
    case none
    case filter(String)
    case command(String)
    case note(String)
}

/// What the host must do after a key.
public enum ConsoleEffect: Equatable, Sendable {
    case quit
    case redraw
    case togglePause
    case scaleSpeed(Double)
    case setSpeed(Double)
    case loadTheme(String)
}

struct ViewState {
    var view: View
    var selected = 0
    var selectedKey: String?
    var scroll = 0
    var pane = 0
    var paneScroll = 0
    var filter: RowFilter?
    var sortColumn: String?
    var descending = true
    /// The cluster as it was when opened, in case it merges away.
    var cluster: ClusterSnapshot?
}
