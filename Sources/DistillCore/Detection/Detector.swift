/// The incremental detector. Feed it exchanges in roughly increasing `ts`; ask it for a
/// `snapshot()` whenever you like. It reads no clock but the events' own timestamps, so a
/// replay at any speed and a live feed reach the same verdicts.
///
/// Three stages pass values to each other: the evidence store learns from each exchange,
/// clustering groups accounts by the ties between them, and scoring judges each group. The
/// detector runs them on the stream's schedule and keeps what they decided: flags and clusters.
public final class Detector {
    public let settings: DetectorSettings

    let evidence: EvidenceStore
    let coordination = CoordinationState()

    private var nextEvaluation: StreamTime = .min
    /// When the `watch` clusters of the last evaluation are next re-judged (.max: none to).
    private var nextRecheck: StreamTime = .max
    /// The members of each cluster the last scheduled evaluation left at `watch`, until one
    /// re-judging finds it `suspect` or the next evaluation replaces the list.
    private var watchClusters: [[Int32]] = []
    /// The clusters worth keeping as of the last evaluation (numbers only).
    private var assessments: [RiskModel.Assessment] = []
    /// The allowlisted members of each cluster as it was before the allowlist took them out.
    private var setAside: [[Int32]] = []
    /// Snapshots also list the clusters the allowlist set aside (`Snapshot.allowlisted`), judged
    /// as if they were not allowlisted: an analyst can check that a cleared cluster stays benign.
    public var showsAllowlisted = false
    /// Threads an evaluation may use for its independent parts; verdicts do not depend on it.
    public var evaluationThreads: Int {
        get { threads.count }
        set { threads.count = max(1, newValue) }
    }
    private var threads = EvaluationThreads()
    private(set) var assessedAt: StreamTime = .min
    private var dirty = false
    /// Per active account (by its place in the evidence store's `activities`), as of the last
    /// evaluation that touched it: its behaviour counts. A folded account's are unpacked when
    /// read (see `AccountStatsTable`).
    private var accountStats: [BehaviourStats] = []
    /// Per account: its own behaviour score as of the last evaluation that touched it (−1: too
    /// few prompts to say).
    private var behaviour: [Double] = []
    /// Accounts whose score reached `RiskModel.notableBehaviour` or that were flagged, in no
    /// order (some may have dropped below since; `notableAccounts()` prunes and sorts), and
    /// whether each account is listed.
    private var notable: [Int32] = []
    private var isNotable: [Bool] = []
    /// Per account: when it was first in a `suspect` cluster, if ever.
    private(set) var flaggedAt: [StreamTime?] = []
    private(set) var evaluations = 0
    /// `exchangeCount` at the last scheduled evaluation, and how often time running back
    /// restarted the schedule.
    private var exchangesAtLastEvaluation = 0
    private var scheduleRestarts = 0
    /// Stream times at which some account was first put in a `suspect` cluster, in the order
    /// they happened (one per evaluation that flagged anyone): the replay's `[` and `]` stops.
    public private(set) var suspectMoments: [StreamTime] = []
    /// Drill-down detail (recent sessions and exchanges) for the console; nil = off.
    public var inspector: ExchangeInspector?
    /// Entities cleared by an analyst: left out of clusters and scores from the next evaluation.
    public var allowlist = Allowlist() {
        didSet { if allowlist != oldValue { dirty = true; watchClusters = [] } }
    }

    public init(settings: DetectorSettings = .standard) {
        self.settings = settings
        evidence = EvidenceStore(settings: settings)
    }

    var accounts: [AccountState] { evidence.accounts }
    var streamStart: StreamTime? { evidence.streamStart }
    /// The newest exchange's time.
    public var streamTime: StreamTime? { evidence.streamTime }
    /// Exchanges ingested since this detector was made.
    public var exchangeCount: Int { evidence.exchangeCount }
    /// Every account seen so far, folded ones included.
    public var accountIDs: [String] { evidence.accounts.map(\.id) }

    // MARK: Ingest

    public func ingest<S: Sequence>(_ batch: S) where S.Element == Exchange {
        for exchange in batch { ingest(exchange) }
    }

    /// Arrays are read in place: iterating would copy each exchange (a retain and a release).
    public func ingest(_ batch: [Exchange]) {
        batch.withUnsafeBufferPointer { buffer in
            for i in buffer.indices { ingestOne(buffer.baseAddress! + i) }
        }
    }

    /// Ingests every exchange of `batch` in order and leaves it empty (capacity kept). Each is
    /// read in place through the buffer, so no exchange is copied on the way in.
    public func ingest(draining batch: inout [Exchange]) {
        batch.withUnsafeBufferPointer { buffer in
            for i in buffer.indices { ingestOne(buffer.baseAddress! + i) }
        }
        batch.removeAll(keepingCapacity: true)
    }

    public func ingest(_ e: borrowing Exchange) {
        let keys = ExchangeKeys(e, withRange: false)
        withUnsafePointer(to: e) { ingestOne($0, keys: keys) }
    }

    /// Ingests `batch[range]` in order, each record read in place. `keys`, when given, are the
    /// records' evidence keys made beforehand (on a decoder thread), index for index. Here
    /// rather than in the caller's module: a record read from another module's buffer was
    /// copied to be passed on.
    public func ingest(_ batch: [Exchange], keys: [ExchangeKeys]?, range: Range<Int>) {
        batch.withUnsafeBufferPointer { buffer in
            if let keys {
                precondition(keys.count == batch.count)
                keys.withUnsafeBufferPointer { k in
                    for i in range { ingestOne(buffer.baseAddress! + i, keys: k[i]) }
                }
            } else {
                for i in range { ingestOne(buffer.baseAddress! + i) }
            }
        }
    }

    /// `ingestOne` with the evidence keys made here, from the record's text read through its
    /// address: `buffer[i].text` copied the whole record first (a retain and a release).
    @inline(__always)
    private func ingestOne(_ e: UnsafePointer<Exchange>) {
        ingestOne(e, keys: ExchangeKeys(e.pointee.text, withRange: false))
    }

    /// Takes the record by its address: borrowed across the calls below, it was first copied
    /// whole (a memcpy, a retain and a release: about 3% of `scan`'s samples on this thread).
    @inline(__always)
    private func ingestOne(_ e: UnsafePointer<Exchange>, keys: borrowing ExchangeKeys) {
        let ts = e.pointee.ts
        if nextEvaluation == .min { nextEvaluation = ts + settings.evaluationInterval }
        dirty = true
        if let inspector { inspector.record(e.pointee) }
        evidence.add(e, keys: keys)

        // A timestamp far ahead of the rest (a clock bug, or hostile input) must not postpone
        // every later evaluation: time running back by more than two intervals restarts the
        // schedule from the event at hand, each restart waiting twice as many exchanges as the
        // last (up to `maximumExchangesBetweenRestarts`), so alternating clocks cannot make
        // every exchange a re-scoring.
        if ts >= nextEvaluation {
            evaluate(at: ts)
            nextEvaluation = ts + settings.evaluationInterval
        } else if ts < nextEvaluation - 2 * settings.evaluationInterval,
                  exchangeCount - exchangesAtLastEvaluation >= min(settings.maximumExchangesBetweenRestarts, 1 << min(scheduleRestarts, 30)) {
            scheduleRestarts += 1
            evaluate(at: ts)
            nextEvaluation = ts + settings.evaluationInterval
        } else if ts >= nextRecheck {
            recheckWatchClusters(at: ts)
        }
    }

    /// Makes room in the later stages for accounts the evidence store has added since.
    private func growStages() {
        let n = evidence.accounts.count
        if accountStats.count < evidence.activities.count {
            accountStats.append(contentsOf: repeatElement(BehaviourStats(), count: evidence.activities.count - accountStats.count))
        }
        guard behaviour.count < n else { return }
        behaviour.append(contentsOf: repeatElement(0, count: n - behaviour.count))
        flaggedAt.append(contentsOf: repeatElement(nil, count: n - flaggedAt.count))
        isNotable.append(contentsOf: repeatElement(false, count: n - isNotable.count))
        coordination.grow(to: n)
    }

    func scoring(at now: StreamTime) -> RiskModel {
        RiskModel(settings: settings, evidence: evidence, coordination: coordination, flaggedAt: flaggedAt, now: now)
    }

    // MARK: Snapshot

    /// Re-scores if anything arrived since the last evaluation, then returns an immutable view.
    /// `includeQuiet` adds every lone account with clear behaviour as a cluster of its own.
    public func snapshot(includeQuiet: Bool = false) -> Snapshot {
        if dirty, let now = streamTime { evaluate(at: now, scheduled: false) }
        growStages()
        let model = scoring(at: assessedAt == .min ? (streamTime ?? 0) : assessedAt)
        var shown = assessments
        if includeQuiet {
            let accounts = evidence.accounts
            var covered = [Bool](repeating: false, count: accounts.count)
            for a in assessments { for m in a.members { covered[Int(m)] = true } }
            for i in accounts.indices where !covered[i] { shown.append(model.judgeAlone(Int32(i), stats: evidence.currentStats(i))) }
        }
        var clusters = shown.map(model.explain)
        clusters.sort { ($0.risk, $0.exchanges, $1.key) > ($1.risk, $1.exchanges, $0.key) }
        var allowlisted: [ClusterSnapshot] = []
        if showsAllowlisted {
            allowlisted = setAside.map { members in
                var pooled = BehaviourStats()
                for m in members { pooled += evidence.currentStats(Int(m)) }
                return model.explain(model.judge(members, pooled, model.clusterContext(members, examples: true)))
            }
            allowlisted.sort { ($0.risk, $0.exchanges, $1.key) > ($1.risk, $1.exchanges, $0.key) }
        }
        var snapshot = Snapshot(
            streamTime: streamTime, streamStart: streamStart, exchanges: exchangeCount,
            accounts: accounts.count, clusters: clusters, minuteRate: evidence.orderedMinutes(),
            onlyAccount: accounts.count == 1 ? accounts[0].id : nil, allowlisted: allowlisted
        )
        snapshot.foldedAccounts = evidence.foldedCount
        return snapshot
    }

    /// Takes allowlisted accounts out of the assessments, keeping what they were part of.
    private func applyAllowlist(_ model: RiskModel) {
        guard !allowlist.isEmpty else { setAside = []; return }
        let mask = allowlistedMask()
        setAside = assessments.compactMap { a in
            let gone = a.members.filter { mask[Int($0)] }
            return gone.isEmpty ? nil : gone
        }
        assessments = model.excluding(mask, from: assessments, stats: statsTable)
    }

    // MARK: Evaluation

    /// Re-scores at `now`. Only scheduled evaluations (every `evaluationInterval` of stream time,
    /// from `ingest`) change lasting state: housekeeping, flags and which accounts need
    /// re-scoring. One asked for by `snapshot()` only looks, so results never depend on when or
    /// how often a console took snapshots (a replay at any speed ends where `scan` does).
    func evaluate(at now: StreamTime, scheduled: Bool = true) {
        dirty = false
        growStages()
        if scheduled { evaluations += 1; exchangesAtLastEvaluation = exchangeCount }
        // Housekeeping every other evaluation.
        if scheduled && evaluations % 2 == 1 {
            evidence.evictIdle(sessionsBefore: now - settings.sessionIdleTimeout, loneValuesBefore: now - settings.loneValueIdleTimeout)
            if let idle = settings.foldIdleAfter { foldAccounts(idleBefore: now - idle, now: now) }
        }

        let model = scoring(at: now)
        let accounts = evidence.accounts
        for a in evidence.touched {
            let i = Int(a), b = Int(evidence.activityOf[i])
            accountStats[b] = evidence.activities[b].currentStats(of: accounts[i])
            behaviour[i] = model.accountBehaviour(accountStats[b], firstSeen: accounts[i].firstSeen)
            coordination.changed(a, stats: accountStats[b], settings: settings)
            if behaviour[i] >= RiskModel.notableBehaviour(settings) { noteNotable(a) }
        }
        let stats = statsTable
        // Only scheduled evaluations search, so ties never depend on when a console took snapshots.
        let builder = ClusterBuilder(settings: settings, evidence: evidence, coordination: coordination, now: now)
        if scheduled && (coordination.ties == nil || evaluations % settings.coordinationEvery == 0) {
            // Window signatures of the accounts touched since the last search, made only now.
            coordination.refreshChanged(evidence: evidence, stats: stats, now: now)
            coordination.ties = builder.findCoordination(threads: threads)
        }
        let clustering = builder.build(behaviour: behaviour, notable: notableAccounts(), stats: stats, scorer: model)
        coordination.linkedBy = clustering.linkedBy
        assessments = model.assess(clustering, behaviour: behaviour, stats: stats, threads: threads)
        applyAllowlist(model)
        assessedAt = now
        guard scheduled else { return }
        evidence.clearTouched()
        var flagged = false
        for a in assessments where a.verdict == .suspect {
            for m in a.members where flaggedAt[Int(m)] == nil { flaggedAt[Int(m)] = now; flagged = true; noteNotable(m) }
        }
        if flagged { suspectMoments.append(now) }
        watchClusters = assessments.compactMap { $0.verdict == .watch ? $0.members : nil }
        nextRecheck = watchClusters.isEmpty || settings.recheckInterval >= settings.evaluationInterval
            ? .max : now + settings.recheckInterval
    }

    /// Re-judges the clusters the last evaluation left at `watch`, as they were made then but
    /// with their members' counts as they are now, and flags those now `suspect`. Clustering
    /// waits for the next evaluation: only scoring a handful of known groups is cheap enough to
    /// do several times an hour.
    private func recheckWatchClusters(at now: StreamTime) {
        nextRecheck = now + settings.recheckInterval
        let model = scoring(at: now)
        var flagged = false
        watchClusters.removeAll { members in
            var pooled = BehaviourStats()
            for m in members { pooled += evidence.currentStats(Int(m)) }
            let judged = members.count == 1
                ? model.judgeAlone(members[0], stats: pooled)
                : model.judge(members, pooled, model.clusterContext(members, examples: false))
            guard judged.verdict == .suspect else { return false }
            for m in members where flaggedAt[Int(m)] == nil { flaggedAt[Int(m)] = now; flagged = true; noteNotable(m) }
            return true
        }
        if flagged { suspectMoments.append(now) }
        if watchClusters.isEmpty { nextRecheck = .max }
    }

    private func noteNotable(_ a: Int32) {
        if !isNotable[Int(a)] { isNotable[Int(a)] = true; notable.append(a) }
    }

    /// The notable accounts in increasing order, after dropping those whose score fell below
    /// the mark and that were never flagged.
    private func notableAccounts() -> [Int32] {
        let mark = RiskModel.notableBehaviour(settings)
        notable.removeAll { a in
            let i = Int(a)
            guard behaviour[i] < mark && flaggedAt[i] == nil else { return false }
            isNotable[i] = false
            return true
        }
        notable.sort()
        return notable
    }

    /// The per-account counts as the later stages read them, by account slot.
    private var statsTable: AccountStatsTable { AccountStatsTable(evidence: evidence, byActivity: accountStats) }

    /// Folds accounts last seen before `idleBefore`, never flagged, not notable on their own
    /// score, in no cluster of several accounts, not compared for coordination, not young, and
    /// not on a harness value that young accounts pool: nothing the stages read about them changes until
    /// they return, so their counts are as good packed as in place, and no pass made at every
    /// evaluation has to unpack them.
    private func foldAccounts(idleBefore: StreamTime, now: StreamTime) {
        let lastSeen = evidence.lastSeenBySlot
        // Young accounts are looked at by every evaluation (pooled on their harness).
        let youngSince = now - settings.youngAccountAge
        var inCluster: [Bool]?
        for i in lastSeen.indices where lastSeen[i] < idleBefore && !evidence.isFolded(i) {
            guard flaggedAt[i] == nil, !isNotable[i], !coordination.profileComparable[i], !coordination.agenticComparable[i],
                  !coordination.hasWindowSignature[i],
                  !evidence.isTouched[i] else { continue }
            if inCluster == nil {
                var marks = [Bool](repeating: false, count: lastSeen.count)
                // Every cluster's members, clear ones too: a clear cluster is pooled and judged at
                // every evaluation, which would unpack its folded members each time.
                for a in assessments where a.members.count > 1 || a.verdict != .clear { for m in a.members { marks[Int(m)] = true } }
                inCluster = marks
            }
            guard !inCluster![i], evidence.accounts[i].firstSeen < youngSince, !evidence.usesPooledHarness(i) else { continue }
            evidence.fold(i)
        }
    }

    /// Accounts whose activity is packed until they return.
    public var foldedAccounts: Int { evidence.foldedCount }

    // MARK: Saved state

    func write(to w: inout StateWriter) {
        evidence.write(to: &w)
        coordination.write(to: &w)
        w.write(nextEvaluation); w.write(assessedAt); w.write(dirty)
        w.write(accountStats)
        w.write(behaviour.count)
        for b in behaviour { w.write(b) }
        w.write(flaggedAt.count)
        for f in flaggedAt { w.write(f) }
        w.write(evaluations); w.write(exchangesAtLastEvaluation); w.write(scheduleRestarts)
        w.writePlain(suspectMoments)
        w.write(allowlist)
        w.write(nextRecheck)
        w.write(watchClusters.count)
        for members in watchClusters { w.writePlain(members) }
    }

    /// Reads back what `write(to:)` saved into this (new) detector. The clusters of the last
    /// evaluation are not saved. When nothing arrived after that evaluation they are made again
    /// from the restored state, as they were made then; otherwise the next snapshot or
    /// evaluation makes them anyway, before anything reads them.
    func read(from r: inout StateReader) throws(StateError) {
        try evidence.read(from: &r)
        let n = evidence.accounts.count
        try coordination.read(from: &r, accounts: n)
        nextEvaluation = try r.int64(); assessedAt = try r.int64(); dirty = try r.bool()
        accountStats = try r.array(BehaviourStats.self)
        // Before format 8 a template family seen once counted among an account's top three: the
        // figure is made again from the account's sketch, which is what an evaluation reads it from.
        if r.formatVersion < 8 {
            for b in accountStats.indices where b < evidence.activities.count {
                accountStats[b].topFamilyPrompts = evidence.activities[b].topFamilyPrompts
            }
        }
        let scores = try r.count(minimumSize: 8)
        behaviour = []
        behaviour.reserveCapacity(scores)
        for _ in 0..<scores { behaviour.append(try r.double()) }
        let flags = try r.count(minimumSize: 1)
        flaggedAt = []
        flaggedAt.reserveCapacity(flags)
        for _ in 0..<flags { flaggedAt.append(try r.optionalInt64()) }
        evaluations = try r.int(); exchangesAtLastEvaluation = try r.int(); scheduleRestarts = try r.int()
        suspectMoments = try r.plain(Int64.self)
        let restoredAllowlist = try r.read(Allowlist.self)
        // Version 4 and earlier had no re-judging between evaluations.
        var restoredWatch: [[Int32]] = []
        if r.formatVersion >= 5 {
            nextRecheck = try r.int64()
            for _ in 0..<(try r.count(minimumSize: 8)) { restoredWatch.append(try r.plain(Int32.self)) }
        }
        let staged = accountStats.count
        let scored = behaviour.count
        try r.check(staged <= evidence.activities.count && scored <= n && flaggedAt.count == scored && coordination.profiles.count == scored,
                    "per-account scores for \(scored) accounts do not line up with \(n)")
        allowlist = restoredAllowlist
        try r.check(restoredWatch.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0 >= 0 && Int($0) < scored } },
                    "a watch cluster names an account that was never scored")
        watchClusters = restoredWatch
        let mark = RiskModel.notableBehaviour(settings)
        isNotable = (0..<scored).map { behaviour[$0] >= mark || flaggedAt[$0] != nil }
        notable = (0..<Int32(scored)).filter { isNotable[Int($0)] }
        let wasDirty = dirty
        if !dirty && assessedAt != .min {
            try r.check(scored == n && staged == evidence.activities.count, "scores for \(scored) of \(n) accounts after an evaluation that covered them all")
            let model = scoring(at: assessedAt)
            let clustering = ClusterBuilder(settings: settings, evidence: evidence, coordination: coordination, now: assessedAt)
                .build(behaviour: behaviour, notable: notableAccounts(), stats: statsTable, scorer: model)
            assessments = model.assess(clustering, behaviour: behaviour, stats: statsTable)
            applyAllowlist(model)
        }
        dirty = wasDirty
    }

    func accountSlotIfKnown(_ id: String) -> Int32? { evidence.accountSlotIfKnown(id) }

    /// The stream time at which `account` was first in a `suspect` cluster, if ever.
    public func flaggedAt(account: String) -> StreamTime? {
        accountSlotIfKnown(account).flatMap { Int($0) < flaggedAt.count ? flaggedAt[Int($0)] : nil }
    }
}

/// Per-account behaviour counts by account slot, for the stages after the evidence store: an
/// active account's as of the last evaluation that touched it, a folded one's unpacked (the
/// same counts: an account is folded only once no evaluation has it left to recompute).
struct AccountStatsTable {
    let evidence: EvidenceStore
    let byActivity: [BehaviourStats]
    /// The store's activity index, held here: reading it through the store on every member
    /// retained and released the array each time.
    private let activityOf: [Int32]

    init(evidence: EvidenceStore, byActivity: [BehaviourStats]) {
        self.evidence = evidence
        self.byActivity = byActivity
        activityOf = evidence.activityOf
    }

    subscript(_ slot: Int) -> BehaviourStats {
        let b = Int(activityOf[slot])
        return b >= 0 ? byActivity[b] : evidence.currentStats(slot)
    }

    /// Account `slot`'s prompts, read in place rather than copying its stats out.
    @inline(__always)
    func prompts(_ slot: Int) -> Int {
        let b = Int(activityOf[slot])
        guard b >= 0 else { return evidence.currentStats(slot).prompts }
        return byActivity.withUnsafeBufferPointer { $0[b].prompts }
    }

    /// Adds account `slot`'s stats to `pooled`, read in place: pooling through the subscript
    /// copied each member's stats out first, a few hundred bytes per member per evaluation.
    @inline(__always)
    func add(_ slot: Int, to pooled: inout BehaviourStats) {
        let b = Int(activityOf[slot])
        guard b >= 0 else { pooled += evidence.currentStats(slot); return }
        byActivity.withUnsafeBufferPointer { stats in pooled += stats[b] }
    }
}

/// Turns so far and the last exchange of one open session.
struct SessionTally: Sendable {
    var turns: Int32
    var last: StreamTime
}

extension SessionTally: MapValue { static var filler: SessionTally { SessionTally(turns: 0, last: 0) } }

@inline(__always) func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

@inline(__always) func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
    let r = a % b
    return r < 0 ? r + b : r
}

extension SessionTally: StateCodable {
    func write(to w: inout StateWriter) { w.write(turns); w.write(last) }
    init(from r: inout StateReader) throws(StateError) { self.init(turns: try r.int32(), last: try r.int64()) }
}
