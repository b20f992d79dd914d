/// The detector's judgement of a cluster.
public enum Verdict: String, Sendable, Comparable, CaseIterable {
    case clear, watch, suspect

    private var rank: Int { self == .clear ? 0 : self == .watch ? 1 : 2 }
    public static func < (a: Verdict, b: Verdict) -> Bool { a.rank < b.rank }
}

/// One piece of evidence behind a cluster's risk: its name (stable, for tools), its share
/// of the risk, and a sentence for a person.
public struct Signal: Sendable, Equatable {
    public var name: String
    public var weight: Double
    public var detail: String
    /// Concrete examples (cards with their account counts, IP ranges, sample prompts…).
    public var examples: [String]

    public init(name: String, weight: Double, detail: String, examples: [String] = []) {
        self.name = name; self.weight = weight; self.detail = detail; self.examples = examples
    }
}

/// One kind of tie inside a cluster: how many of its accounts it joined, and what binds them.
public struct ClusterTie: Sendable, Equatable {
    public var kind: TieKind
    public var accounts: Int
    public var examples: [String]

    public init(kind: TieKind, accounts: Int, examples: [String] = []) {
        self.kind = kind; self.accounts = accounts; self.examples = examples
    }
}

/// One account of a cluster as the detector saw it when the snapshot was taken.
public struct MemberFigures: Sendable, Equatable {
    public var account: String
    public var firstSeen: StreamTime
    public var lastSeen: StreamTime
    public var exchanges: Int
    public var prompts: Int
    /// Prompts that ask for reasoning traces.
    public var extractionPrompts: Int
    /// When the account was first in a `suspect` cluster (this one or an earlier one), if ever.
    public var flaggedAt: StreamTime?

    public init(account: String, firstSeen: StreamTime, lastSeen: StreamTime, exchanges: Int, prompts: Int = 0,
                extractionPrompts: Int = 0, flaggedAt: StreamTime? = nil) {
        self.account = account; self.firstSeen = firstSeen; self.lastSeen = lastSeen; self.exchanges = exchanges
        self.prompts = prompts; self.extractionPrompts = extractionPrompts; self.flaggedAt = flaggedAt
    }
}

public struct ClusterSnapshot: Sendable {
    /// Stable while the cluster lives: derived from its earliest member account.
    public var key: String
    public var verdict: Verdict
    public var risk: Double
    public var accounts: [String]
    public var exchanges: Int
    public var firstSeen: StreamTime
    public var lastSeen: StreamTime
    public var flaggedAt: StreamTime?
    public var signals: [Signal]
    /// Exchanges per stream hour over the last `Snapshot.hourlyBuckets` hours, oldest first.
    public var hourlyRate: [Int]
    /// What holds the cluster together, by kind of tie (empty for a lone account).
    public var ties: [ClusterTie] = []
    /// Why the verdict stays below `suspect` although the risk reaches it; nil otherwise.
    public var verdictNote: String?
    /// Per account, in the order of `accounts`: its own figures and flag time. Empty in
    /// snapshots built outside the detector.
    public var members: [MemberFigures] = []
}

public struct Snapshot: Sendable {
    public static let hourlyBuckets = 48
    public static let minuteBuckets = 120

    /// Stream time of the newest exchange seen.
    public var streamTime: StreamTime?
    public var streamStart: StreamTime?
    public var exchanges: Int
    public var accounts: Int
    /// Of `accounts`, those idle long enough to be folded (see `DetectorSettings.foldIdleAfter`).
    public var foldedAccounts = 0
    /// Clusters ranked by risk (highest first); clusters with nothing worth showing (a lone
    /// account with clear behaviour) are left out unless `includeQuiet` was asked.
    public var clusters: [ClusterSnapshot]
    /// Exchanges per stream minute over the last `minuteBuckets` minutes, oldest first.
    public var minuteRate: [Int]
    /// The account's id while exactly one account has been seen: a proxy that hides every
    /// caller behind one identity shows up as one account (see `ProxyIdentity`).
    public var onlyAccount: String? = nil
    /// With `Detector.showsAllowlisted`: the clusters the allowlist set aside, judged as if they
    /// were not allowlisted. Reports and alerts never read it.
    public var allowlisted: [ClusterSnapshot] = []

    public var suspectCount: Int { clusters.count { $0.verdict == .suspect } }
    public var watchCount: Int { clusters.count { $0.verdict == .watch } }
}
