import DistillCore

/// The console's copy of the case journal: every case, which cluster on screen each is attached
/// to (by member overlap, see `CaseMatcher`), and the allowlist the cleared ones make.
public struct CaseBook: Sendable {
    public private(set) var cases: [CaseRecord] = []
    private var index: [Int64: Int] = [:]
    /// Cluster key on screen → case id.
    public private(set) var clusterCases: [String: Int64] = [:]
    /// Account id → case id, for cases on single accounts.
    public private(set) var accountCases: [String: Int64] = [:]
    public private(set) var allowlist = Allowlist()
    /// Bumped when the allowlist changes, so the host passes it to the detector only then.
    public private(set) var allowlistVersion = 0

    public init() {}

    public var count: Int { cases.count }

    public subscript(id: Int64) -> CaseRecord? { index[id].map { cases[$0] } }

    /// The open case on a cluster (by its key) or an account (by its id).
    public func record(_ subject: CaseSubject, _ key: String) -> CaseRecord? {
        (subject == .cluster ? clusterCases[key] : accountCases[key]).flatMap { self[$0] }
    }

    public mutating func replaceAll(_ records: [CaseRecord]) {
        cases = records.sorted { $0.id < $1.id }
        index = Dictionary(uniqueKeysWithValues: cases.enumerated().map { ($1.id, $0) })
        rebuildDerived()
    }

    public mutating func upsert(_ record: CaseRecord) {
        if let i = index[record.id] { cases[i] = record } else { index[record.id] = cases.count; cases.append(record) }
        rebuildDerived()
    }

    /// Attaches cluster cases to the clusters of a snapshot. A case just decided on a cluster
    /// stays on it (`pin`), whatever the overlap says.
    public mutating func attach(to clusters: [ClusterSnapshot], pin: (caseID: Int64, clusterKey: String)? = nil) {
        var map: [String: Int64] = [:]
        var cs = cases
        if let pin { cs.removeAll { $0.id == pin.caseID } }
        let others = pin.map { p in clusters.filter { $0.key != p.clusterKey } } ?? clusters
        for a in CaseMatcher.attach(cases: cs, clusters: others) { map[a.clusterKey] = a.caseID }
        if let pin { map[pin.clusterKey] = pin.caseID }
        clusterCases = map
    }

    private mutating func rebuildDerived() {
        var accounts: [String: Int64] = [:]
        var list = Allowlist()
        for c in cases {
            if c.subject == .account { accounts[c.subjectKey] = c.id }
            list.formUnion(c.allowlist)
        }
        accountCases = accounts
        if list != allowlist { allowlist = list; allowlistVersion += 1 }
    }
}

/// A change that has not reached the journal yet (it is retried, in order).
public enum PendingChange: Sendable, Equatable {
    case decision(DecisionRequest)
    case undo(analyst: String, wallTime: Int64, streamTime: StreamTime?)
}
