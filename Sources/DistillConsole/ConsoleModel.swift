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
    /// What binds these accounts (a cluster's), by kind of tie; empty when unknown.
    func ties(of accounts: [String]) -> [TieDetail]
    /// The accounts that used a shared value; nil once it is no longer known.
    func sharedValue(_ ref: SharedValueRef) -> SharedValueDetail?
    /// Why an account's sessions are not (yet) there, when they are kept elsewhere: said in
    /// place of an empty list.
    func drillDownNote(_ account: String) -> String?
    /// Goes up when detail arrives from elsewhere, so that the screen is built again.
    var revision: Int { get }
}

extension ConsoleDataSource {
    public func drillDownNote(_ account: String) -> String? { nil }
    public var revision: Int { 0 }
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
    public func ties(of accounts: [String]) -> [TieDetail] { detector.tieDetails(accounts: accounts) }
    public func sharedValue(_ ref: SharedValueRef) -> SharedValueDetail? { detector.sharedValue(ref) }

    /// After a seek back or a restored checkpoint the detail starts there: an account not seen
    /// since has none, which the empty list says rather than looking like an account without sessions.
    /// One seen since whose detail the inspector let go (it keeps a bounded number) gets no note.
    public func drillDownNote(_ account: String) -> String? {
        guard let inspector = detector.inspector, let since = inspector.keptSince, inspector.sessions(account).isEmpty,
              let lastSeen = detector.accountFigures(account)?.lastSeen, lastSeen < since else { return nil }
        return "(detail is kept from \(Format.shortTime(since)), where this replay restarted; the account has not been seen since)"
    }
}

/// What the feed reports to the status bar.
public struct FeedStatus: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        /// Speeds are stream seconds per second; `.infinity` is `max`.
        case replay(speed: Double)
        case paused(speed: Double)
        /// Ingesting at full speed to a stream time (nil: to the next suspect moment).
        case seeking(to: StreamTime?, speed: Double, thenPaused: Bool = false)
        /// A replay that reached the end of its input (it can still seek back).
        case replayEnded(speed: Double)
        case live
        case finished
    }
    public var source: String
    public var mode: Mode
    /// Exchanges ingested per wall-clock second, recently.
    public var ingestRate: Double
    public var rejected: Int
    public var duplicates: Int
    /// Rejected lines as the input's ledger kept them: the first few, and the latest.
    public var firstRejections: [RejectionSample] = []
    public var latestRejections: [RejectionSample] = []
    /// Set when the input stopped on an error.
    public var error: String?
    /// The replay's stream clock; nil shows the newest exchange's time instead.
    public var clock: StreamTime?
    /// Exchanges skipped as outside `--from`/`--until`.
    public var outsideWindow = 0
    /// Lines, requests or connections a live source had to refuse or drop.
    public var dropped = 0
    /// False while a live source has no peer.
    public var connected = true
    /// Times a followed file rotated faster than it could be read (files may be lost).
    public var missedRotations = 0
    /// With `--state`: where checkpoints stand ("restored from checkpoint at …", "checkpoint …").
    public var checkpoint: String?
    /// The last checkpoint could not be written.
    public var checkpointFailed = false
    /// Coordinating shard workers: how many, the lag, partitions without a worker.
    public var bus: String?
    /// Some partition has no live worker.
    public var busAlarm = false

    public init(source: String, mode: Mode, ingestRate: Double = 0, rejected: Int = 0, duplicates: Int = 0, error: String? = nil) {
        self.source = source; self.mode = mode; self.ingestRate = ingestRate
        self.rejected = rejected; self.duplicates = duplicates; self.error = error
    }

    public var modeLabel: String {
        switch mode {
        case .replay(let s): return "REPLAY ×" + FeedStatus.speedLabel(s)
        case .paused(let s): return "PAUSED ×" + FeedStatus.speedLabel(s)
        case .seeking(let t, let s, let thenPaused):
            return "SEEKING → " + (t.map { Format.clock($0) } ?? "next suspect") + (thenPaused ? " (then paused)" : " (then ×" + FeedStatus.speedLabel(s) + ")")
        case .replayEnded(let s): return "END OF INPUT ×" + FeedStatus.speedLabel(s)
        case .live: return "LIVE"
        case .finished: return "END OF INPUT"
        }
    }

    static func speedLabel(_ s: Double) -> String {
        s == .infinity ? "max" : s >= 1 && s == s.rounded() ? String(Int(s)) : Format.twoDecimals(s)
    }
}

public enum View: Equatable, Sendable {
    case clusters
    case accounts(cluster: String)
    case account(String)
    case session(account: String, session: String?)
    case exchange(account: String, session: String?, index: Int)
    /// What ties a cluster's accounts together, one row per kind of tie.
    case ties(cluster: String)
    /// The shared values behind one kind of tie, when it has several.
    case tieValues(cluster: String, kind: TieKind)
    /// The accounts on one shared value, the cluster's first.
    case sharedValue(cluster: String, value: SharedValueRef, display: String)
    case help
    /// Rejected input lines, with reason, source and line number.
    case rejected
}

/// A filter typed after `/`: case-insensitive substring, `!` in front inverts.
public struct RowFilter: Equatable, Sendable {
    /// What is searched for, lower-cased.
    public var text: String
    public var inverted: Bool
    /// As typed, for saying what the filter is.
    public var typed: String

    public init?(_ typed: String) {
        var t = Substring(typed)
        var inv = false
        if t.hasPrefix("!") { inv = true; t = t.dropFirst() }
        let needle = String(t).trimmingCharacters()
        guard !needle.isEmpty else { return nil }
        text = needle.lowercased(); inverted = inv; self.typed = needle
    }

    public func matches(_ haystack: String) -> Bool { haystack.lowercased().contains(text) != inverted }
    public var label: String { (inverted ? "!" : "") + typed }
}

extension String {
    func trimmingCharacters() -> String { String(Substring(self).trimmingSpaces) }
}

public enum InputMode: Equatable, Sendable {
    case none
    case filter(String)
    case command(String)
    case note(String)

    public var text: String {
        switch self {
        case .none: return ""
        case .filter(let t), .command(let t), .note(let t): return t
        }
    }

    /// The prompt's own sign, which also keys its history.
    var kind: String {
        switch self {
        case .none: return ""
        case .filter: return "/"
        case .command: return ":"
        case .note: return "note"
        }
    }

    func with(_ text: String) -> InputMode {
        switch self {
        case .none: return .none
        case .filter: return .filter(text)
        case .command: return .command(text)
        case .note: return .note(text)
        }
    }
}

/// What the host must do after a key.
public enum ConsoleEffect: Equatable, Sendable {
    case quit
    case redraw
    case togglePause
    case scaleSpeed(Double)
    /// Stream seconds per second; `.infinity` is `max`.
    case setSpeed(Double)
    case loadTheme(String)
    /// Write cases from the journal to PATH (.csv: CSV, else JSON); nil ids: every case.
    case exportCases(path: String, caseIDs: [Int64]?)
    /// Replay: one stream minute on while paused.
    case step
    /// Replay: to the next / previous moment a cluster became suspect.
    case nextSuspect, previousSuspect
    /// Replay: to this stream time.
    case goto(StreamTime)
}
