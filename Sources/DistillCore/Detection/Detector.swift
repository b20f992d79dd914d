/// The incremental detector. Feed it exchanges in roughly increasing `ts`; ask it for a
/// `snapshot()` whenever you like. It reads no clock but the events' own timestamps, so a
/// replay at any speed and a live feed reach the same verdicts.
public final class Detector {
    public let settings: DetectorSettings

    var accounts: [AccountState] = []
    /// Account id → slot, by a 64-bit hash of the id checked against the slot's id; the rare
    /// id whose hash collides with another's lives in `accountCollisions`.
    private var accountIndex = UInt64Map<Int32>()
    private var accountCollisions: [String: Int32] = [:]
    var tables = [ValueTable](repeating: ValueTable(), count: ValueKind.allCases.count)
    /// Per account and kind, the key and slot of the value it used last: most accounts use the
    /// same card, org and IP every time, so those lookups are skipped.
    private var lastValueKey: [UInt64] = []
    private var lastValueSlot: [Int32] = []
    private var sessions = UInt64Map<SessionTally>()
    private var promptCache = RecentPromptCache(log2Slots: 22)
    /// 32,768 entries of 16 bytes: 512 KB, the L2 size of the host it was tuned on (2^13 and 2^17 measured the same).
    private var sharedMembers = SharedMembershipCache(log2Entries: 15)
    /// Models by name (not by hash: a crafted name could collide with a real release's).
    private var modelFirstSeen: [String: StreamTime] = [:]
    /// The model of the previous exchange: most exchanges repeat it, so the table is skipped
    /// after a comparison of bytes.
    private var lastModel: String?
    private(set) var newModel: (name: String, releasedAt: StreamTime)?

    private(set) var streamStart: StreamTime?
    private(set) var streamTime: StreamTime?
    /// Exchanges ingested since this detector was made.
    public private(set) var exchangeCount = 0
    private var nextEvaluation: StreamTime = .min
    private var minuteRing = [Int](repeating: 0, count: Snapshot.minuteBuckets)
    private var minuteNewest: Int64 = .min

    /// The clusters worth keeping as of the last evaluation (numbers only).
    private var assessments: [RiskModel.Assessment] = []
    private(set) var assessedAt: StreamTime = .min
    private var dirty = false
    /// Accounts that received exchanges since the last evaluation: only their behaviour
    /// scores need recomputing.
    private var touched: [Int32] = []
    private var isTouched: [Bool] = []
    private var accountStats: [BehaviourStats] = []
    private var behaviour: [Double] = []
    /// Per account: its behaviour as a point, and the MinHash signature of its active windows;
    /// both made at the next coordination search after the account was touched, and only while
    /// it is compared.
    var profiles: [BehaviourProfile] = []
    var windowSignatures = WindowSignatureStore()
    /// Per account: whether its signature is current (false while it has too few or too many
    /// windows to compare, or is not compared at all).
    var hasWindowSignature: [Bool] = []
    /// Accounts touched since the last coordination search: their signatures are made then.
    private var signatureStale: [Bool] = []
    private var staleSignatures: [Int32] = []
    var windowLoad = WindowLoad()
    /// Whether an account's profile is compared with others (enough exchanges, and a lean
    /// toward a harvest); refreshed with the profile.
    var profileComparable: [Bool] = []
    /// Coordination ties found by the last search (every `coordinationEvery` scheduled
    /// evaluations: the search is the costliest part of one), read by every evaluation after it.
    var coordination: CoordinationTies?
    /// Per account: every kind of tie that joined it to another account at the last evaluation.
    var linkedBy: [TieKind.Set] = []
    private(set) var evaluations = 0
    /// The first slot that may hold a young account, and the bound it was found for.
    private var youngCursor = 0
    private var youngCursorSince: StreamTime = .min
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
        didSet { if allowlist != oldValue { dirty = true } }
    }

    public init(settings: DetectorSettings = .standard) {
        self.settings = settings
    }

    // MARK: Ingest

    public func ingest<S: Sequence>(_ batch: S) where S.Element == Exchange {
        for exchange in batch { ingest(exchange) }
    }

    /// Arrays are read in place: iterating would copy each exchange (a retain and a release).
    public func ingest(_ batch: [Exchange]) {
        for i in batch.indices { ingestOne(batch[i]) }
    }

    /// Ingests every exchange of `batch` in order and leaves it empty (capacity kept). Each is
    /// read in place through the buffer, so no exchange is copied on the way in.
    public func ingest(draining batch: inout [Exchange]) {
        batch.withUnsafeBufferPointer { buffer in
            for i in buffer.indices { ingestOne(buffer[i]) }
        }
        batch.removeAll(keepingCapacity: true)
    }

    public func ingest(_ e: borrowing Exchange) { ingestOne(e) }

    @inline(__always)
    private func ingestOne(_ e: borrowing Exchange) {
        let ts = e.ts
        if streamStart == nil { streamStart = ts; nextEvaluation = ts + settings.evaluationInterval }
        else if ts < streamStart! { streamStart = ts }  // the earliest event, whatever came first
        if ts > (streamTime ?? .min) { streamTime = ts }
        exchangeCount += 1
        dirty = true
        countMinute(ts)
        inspector?.record(e)

        let text = e.text
        let a = accountSlot(text, at: ts)
        let ai = Int(a)
        if !isTouched[ai] { isTouched[ai] = true; touched.append(a) }
        if ts < accounts[ai].firstSeen { accounts[ai].firstSeen = ts }
        if ts > accounts[ai].lastSeen { accounts[ai].lastSeen = ts }
        let hour = floorDiv(ts, 3_600_000)
        accounts[ai].countHour(hour)
        let newActiveHour = hour > accounts[ai].lastActiveHour
        if newActiveHour { accounts[ai].lastActiveHour = hour }
        let window = floorDiv(ts, ActivityWindows.bucketMillis)
        if accounts[ai].windows.mark(window) { windowLoad.add(window) }

        // Session shape: counts are kept current, so an open session is already in the stats.
        var sessionTurnsBefore: Int32 = -1  // -1: sessionless, 0: new session
        if let session = text.hash(.sessionID) {
            let key = StableHash.combine(UInt64(a), session)
            if let found = sessions.slot(of: key) {
                let tally = sessions.value(at: found)
                sessionTurnsBefore = tally.turns
                sessions.update(at: found, SessionTally(turns: tally.turns &+ 1, last: max(tally.last, ts)))
            } else {
                sessionTurnsBefore = 0
                sessions.insert(key, SessionTally(turns: 1, last: ts))
            }
        }

        // Prompt content.
        var features: PromptFeatures?
        var repeated = false
        text.withBytes(.promptText) { prompt in
            guard prompt.count > 0 else { return }
            let f = PromptAnalyzer.analyze(prompt)
            features = f
            // Short follow-ups ("continue", "thanks") repeat by nature; a repeated long prompt
            // is a re-run of the same item.
            // Keyed by account: a farm spreading one item bank over many accounts is not re-running it.
            if prompt.count >= settings.minimumBytesForRepeat {
                repeated = promptCache.checkAndInsert(StableHash.combine(f.exactHash, UInt64(a)))
            }
            if let p = f.prefixFamily { accounts[ai].prefixFamilies.add(p) }
            if let q = f.suffixFamily { accounts[ai].suffixFamilies.add(q) }
        }

        // Lifecycle: a model first seen well after the stream began is a new release. Only a
        // model that answered counts: a name seen in a failed request (a typo, a model that does
        // not exist) would otherwise replace the real release and end model_pivot for everyone.
        var postRelease = 0  // 0: outside the day after a release, 1: on an old model, 2: on the new one
        if text.contains(.model) {
            let answered = e.status != .failure && (e.httpStatus ?? 200) < 400
            if answered, lastModel.map({ !text.equals(.model, $0) }) ?? true {
                let model = text[.model] ?? ""
                if modelFirstSeen[model] == nil {
                    modelFirstSeen[model] = ts
                    if let start = streamStart, ts - start >= settings.newModelGrace,
                       newModel.map({ ts > $0.releasedAt }) ?? true {
                        newModel = (model, ts)
                    }
                }
                lastModel = model
            }
            if let release = newModel, ts >= release.releasedAt, ts - release.releasedAt < 24 * 3_600_000 {
                postRelease = text.equals(.model, release.name) ? 2 : 1
            }
        }
        // In place: copying the stats out would copy its hour-of-day array on every exchange.
        Self.count(e, hour: hour, newActiveHour: newActiveHour, sessionTurnsBefore: sessionTurnsBefore,
                   features: features, repeated: repeated, postRelease: postRelease, into: &accounts[ai].stats)

        if let user = text.hash(.endUserID) { accounts[ai].endUsers.insert(user) }

        // Shared values, keyed by the hash of their bytes; their text is built only for a
        // value's label, the first time one is needed.
        if let card = text.hash(.paymentFP) {
            let slot = link(.card, card, labelledBy: .paymentFP, of: text, a, ts)
            if accounts[ai].firstCardSlot < 0 { accounts[ai].firstCardSlot = slot; tables[ValueKind.card.rawValue].states[Int(slot)].pinned = true }
        }
        if let org = text.hash(.orgID) {
            let slot = link(.org, org, labelledBy: .orgID, of: text, a, ts)
            if accounts[ai].firstOrgSlot < 0 { accounts[ai].firstOrgSlot = slot; tables[ValueKind.org.rawValue].states[Int(slot)].pinned = true }
        }
        if let key = text.hash(.clientIP) {
            // One hash serves the distinct-IP sketch and the shared-value table.
            accounts[ai].ips.insert(key)
            if lastValueKey[ai * kindCount + ValueKind.ip.rawValue] != key {
                if let range = text.withBytes(.clientIP, IPRange.prefix(of:)) ?? nil {
                    let rangeKey = StableHash.combine(range.key, range.isV6 ? 6 : 4)
                    _ = link(.ipRange, rangeKey, IPRange.describe(key: range.key, isV6: range.isV6), a, ts)
                }
            } else {
                touchLast(.ipRange, a, ts)
            }
            _ = link(.ip, key, labelledBy: .clientIP, of: text, a, ts)
        }
        if let fp = text.hash(.systemFP) { _ = link(.systemPrompt, fp, labelledBy: .systemFP, of: text, a, ts) }
        if let fp = text.hash(.toolsFP) { _ = link(.tools, fp, labelledBy: .toolsFP, of: text, a, ts) }
        if let f = features {
            text.withBytes(.promptText) { prompt in
                if let p = f.prefixFamily { _ = link(.promptPrefix, p, Self.excerpt(prompt), a, ts) }
                if let q = f.suffixFamily { _ = link(.promptSuffix, q, Self.excerpt(prompt), a, ts) }
            }
        }

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
        }
    }

    private var kindCount: Int { ValueKind.allCases.count }

    private static func count(_ e: borrowing Exchange, hour: Int64, newActiveHour: Bool, sessionTurnsBefore: Int32,
                              features: PromptFeatures?, repeated: Bool, postRelease: Int, into s: inout BehaviourStats) {
        s.exchanges += 1
        s.hourOfDay[Int(floorMod(hour, 24))] &+= 1
        if newActiveHour { s.activeHours += 1 }
        if let output = e.outputTokens {
            let input = e.inputTokens ?? 0
            s.tokenExchanges += 1
            s.inputTokens = s.inputTokens.addingSaturated(Int(truncatingIfNeeded: input))
            s.outputTokens = s.outputTokens.addingSaturated(Int(truncatingIfNeeded: output))
            s.reasoningTokens = s.reasoningTokens.addingSaturated(Int(truncatingIfNeeded: e.reasoningTokens ?? 0))
            if output >= 1000 && output >= 2 &* input { s.outputHeavy += 1 }
            if output >= 1500 { s.longOutputs += 1 }
        }
        if e.httpStatus == 429 { s.rateLimited += 1 }
        if e.status == .failure { s.failures += 1 }
        switch sessionTurnsBefore {
        case -1: s.sessionless += 1
        case 0: s.sessions += 1; s.singleTurnSessions += 1; s.sessionTurns += 1
        case 1: s.singleTurnSessions -= 1; s.sessionTurns += 1
        default: s.sessionTurns += 1
        }
        if let f = features {
            s.prompts += 1
            if !f.cues.isDisjoint(with: .extraction) { s.extractionPrompts += 1 }
            else if f.cues.contains(.lightReasoning) { s.lightReasoningPrompts += 1 }
            if f.cues.contains(.fullReasoning) { s.fullReasoningPrompts += 1 }
            if f.cues.contains(.rubricGrading) { s.rubricPrompts += 1 }
            if f.cues.contains(.toolNarration) { s.toolNarrationPrompts += 1 }
            if f.cues.contains(.keepReasoningRewrite) { s.keepReasoningPrompts += 1 }
            if sessionTurnsBefore <= 0 && !f.cues.isDisjoint(with: .extraction) { s.elicitingOpeners += 1 }
            if repeated { s.repeatedPrompts += 1 }
        }
        if postRelease > 0 {
            s.postReleaseExchanges += 1
            if postRelease == 2 { s.postReleaseOnNewModel += 1 }
        }
    }

    private func accountSlot(_ text: ExchangeText, at ts: StreamTime) -> Int32 {
        let hash = text.hash(.accountID) ?? StableHash.hash("")
        if let found = accountIndex.slot(of: hash) {
            let slot = accountIndex.value(at: found)
            if text.equals(.accountID, accounts[Int(slot)].id) { return slot }
            if let other = accountCollisions[text[.accountID] ?? ""] { return other }
        }
        let id = text[.accountID] ?? ""
        let slot = Int32(accounts.count)
        accounts.append(AccountState(id: id, at: ts))
        if accountIndex.slot(of: hash) == nil { accountIndex.insert(hash, slot) } else { accountCollisions[id] = slot }
        lastValueKey.append(contentsOf: repeatElement(0, count: kindCount))
        lastValueSlot.append(contentsOf: repeatElement(-1, count: kindCount))
        isTouched.append(false)
        accountStats.append(BehaviourStats())
        behaviour.append(0)
        profiles.append(BehaviourProfile(BehaviourStats()))
        profileComparable.append(false)
        windowSignatures.addAccount()
        hasWindowSignature.append(false)
        signatureStale.append(false)
        return slot
    }

    /// `link` for a value labelled by one of the exchange's own text fields. The text is passed,
    /// not captured by a closure: a capture copied the whole exchange, five times per exchange.
    @inline(__always)
    private func link(_ kind: ValueKind, _ key: UInt64, labelledBy field: ExchangeText.Field, of text: ExchangeText,
                      _ a: Int32, _ ts: StreamTime) -> Int32 {
        let (slot, wantsLabel) = record(kind, key, a, ts)
        if wantsLabel { tables[kind.rawValue].states[Int(slot)].display = text[field] ?? "" }
        return slot
    }

    /// Records that account `a` used a value; returns the value's slot.
    @discardableResult
    private func link(_ kind: ValueKind, _ key: UInt64, _ display: @autoclosure () -> String, _ a: Int32, _ ts: StreamTime) -> Int32 {
        let (slot, wantsLabel) = record(kind, key, a, ts)
        if wantsLabel { tables[kind.rawValue].states[Int(slot)].display = display() }
        return slot
    }

    /// Set in `lastValueSlot` when the value was shared when last recorded. A shared value is
    /// never evicted, so its slot is never reused and it needs no idle-time touch: the next use
    /// by the same account reads no value state at all (6 kinds per exchange, most of them shared).
    static let sharedSlotFlag: Int32 = 1 << 30

    /// Adds account `a` to the value's members; returns its slot and whether it wants a label now
    /// (its text is built only then).
    private func record(_ kind: ValueKind, _ key: UInt64, _ a: Int32, _ ts: StreamTime) -> (slot: Int32, wantsLabel: Bool) {
        let cache = Int(a) * kindCount + kind.rawValue
        let last = lastValueKey[cache] == key ? lastValueSlot[cache] : -1
        if last >= 0 && last & Self.sharedSlotFlag != 0 { return (last & ~Self.sharedSlotFlag, false) }
        let hint = last
        let slot: Int32
        var wantsLabel = false
        var isShared = true
        if hint < 0, let known = sharedMembers.slot(of: key, kind: kind.rawValue, account: a) {
            // A shared value needs no touch: only lone values are evicted by idle time.
            slot = known
        } else {
            let recorded = tables[kind.rawValue].record(key, by: a, at: ts, hint: hint, cap: settings.maxMembersPerValue,
                                                        labelsEagerly: kind.labelsEagerly)
            if recorded.isShared && recorded.isMember { sharedMembers.remember(key, kind: kind.rawValue, account: a, slot: recorded.slot) }
            slot = recorded.slot
            wantsLabel = recorded.wantsLabel
            isShared = recorded.isShared
        }
        let remembered = isShared && slot < Self.sharedSlotFlag ? slot | Self.sharedSlotFlag : slot
        if remembered != hint {
            lastValueKey[cache] = key
            lastValueSlot[cache] = remembered
        }
        return (slot, wantsLabel)
    }

    private func touchLast(_ kind: ValueKind, _ a: Int32, _ ts: StreamTime) {
        let cache = Int(a) * kindCount + kind.rawValue
        let slot = lastValueSlot[cache]
        if slot >= 0 && slot & Self.sharedSlotFlag == 0 && tables[kind.rawValue].states[Int(slot)].key == lastValueKey[cache] {
            tables[kind.rawValue].states[Int(slot)].touch(ts)
        }
    }

    private func countMinute(_ ts: StreamTime) {
        let minute = floorDiv(ts, 60_000)
        let n = Int64(Snapshot.minuteBuckets)  // a constant: the modulo below needs no division
        if minute > minuteNewest {
            if minuteNewest != .min {
                let gap = min(minute - minuteNewest, n)
                var m = minute - gap + 1
                while m <= minute { minuteRing[Int(floorMod(m, n))] = 0; m += 1 }
            }
            minuteNewest = minute
        } else if minuteNewest - minute >= n {
            return
        }
        minuteRing[Int(floorMod(minute, n))] += 1
    }

    /// At most `limit` bytes of the UTF-8 `text`, cut on a scalar boundary (counting characters
    /// would walk grapheme clusters on the hot path).
    static func excerpt(_ text: UnsafeRawBufferPointer, limit: Int = 160) -> String {
        guard text.count > limit else { return String(decoding: text, as: UTF8.self) }
        var end = limit - 3
        while end > 0 && (text[end] & 0xC0) == 0x80 { end -= 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: text[..<end]), as: UTF8.self) + "…"
    }

    // MARK: Snapshot

    /// Re-scores if anything arrived since the last evaluation, then returns an immutable view.
    /// `includeQuiet` adds every lone account with clear behaviour as a cluster of its own.
    public func snapshot(includeQuiet: Bool = false) -> Snapshot {
        if dirty, let now = streamTime { evaluate(at: now, scheduled: false) }
        let model = RiskModel(settings: settings, detector: self, now: assessedAt == .min ? (streamTime ?? 0) : assessedAt)
        var shown = assessments
        if includeQuiet {
            var covered = [Bool](repeating: false, count: accounts.count)
            for a in assessments { for m in a.members { covered[Int(m)] = true } }
            for i in accounts.indices where !covered[i] { shown.append(model.judgeAlone(Int32(i), stats: accounts[i].currentStats())) }
        }
        var clusters = shown.map(model.explain)
        clusters.sort { ($0.risk, $0.exchanges, $1.key) > ($1.risk, $1.exchanges, $0.key) }
        return Snapshot(
            streamTime: streamTime, streamStart: streamStart, exchanges: exchangeCount,
            accounts: accounts.count, clusters: clusters, minuteRate: orderedMinutes()
        )
    }

    private func orderedMinutes() -> [Int] {
        guard minuteNewest != .min else { return Array(repeating: 0, count: minuteRing.count) }
        let n = Int64(minuteRing.count)
        return (0..<n).map { minuteRing[Int(floorMod(minuteNewest - n + 1 + $0, n))] }
    }

    // MARK: Evaluation

    /// Re-scores at `now`. Only scheduled evaluations (every `evaluationInterval` of stream time,
    /// from `ingest`) change lasting state: housekeeping, flags and which accounts need
    /// re-scoring. One asked for by `snapshot()` only looks, so results never depend on when or
    /// how often a console took snapshots (a replay at any speed ends where `scan` does).
    func evaluate(at now: StreamTime, scheduled: Bool = true) {
        dirty = false
        if scheduled { evaluations += 1; exchangesAtLastEvaluation = exchangeCount }
        // Housekeeping every other evaluation: close idle sessions (their counts are already in the stats) and
        // forget lone values nobody has used for a while.
        if scheduled && evaluations % 2 == 1 {
            let idleBefore = now - settings.sessionIdleTimeout
            if sessions.count > 0 { sessions.filter { $1.last >= idleBefore } }
            let loneBefore = now - settings.loneValueIdleTimeout
            for k in tables.indices { tables[k].evictLoneValues(idleSince: loneBefore) }
        }

        let model = RiskModel(settings: settings, detector: self, now: now)
        for a in touched {
            let i = Int(a)
            accountStats[i] = accounts[i].currentStats()
            behaviour[i] = model.accountBehaviour(accountStats[i], firstSeen: accounts[i].firstSeen)
            let s = accountStats[i]
            profileComparable[i] = s.exchanges >= settings.minimumExchangesForProfile
                && (max(s.extractionShare, s.elicitingOpenerShare) >= 0.1 || s.longOutputShare >= 0.25)
            if !signatureStale[i] { signatureStale[i] = true; staleSignatures.append(a) }
        }
        // Only scheduled evaluations search, so ties never depend on when a console took snapshots.
        if scheduled && (coordination == nil || evaluations % settings.coordinationEvery == 0) {
            // Window signatures of the accounts touched since the last search, made only now.
            let nowWindow = floorDiv(now, ActivityWindows.bucketMillis)
            let synchrony = SynchronyFinder()
            for a in staleSignatures {
                let i = Int(a)
                signatureStale[i] = false
                // Only accounts that are compared at all need a profile and a signature.
                guard profileComparable[i] else { hasWindowSignature[i] = false; continue }
                profiles[i] = BehaviourProfile(accountStats[i])
                let ring = accounts[i].windows.aligned(asOf: nowWindow)
                var active = 0
                for k in 0..<6 { active += ring[k].nonzeroBitCount }
                hasWindowSignature[i] = active >= synchrony.minimumWindows && active <= synchrony.maximumWindows
                if hasWindowSignature[i] { windowSignatures.refresh(i, ring: ring, asOf: nowWindow) }
            }
            staleSignatures.removeAll(keepingCapacity: true)
            coordination = model.findCoordination()
        }
        assessments = model.assess(behaviour: behaviour, stats: accountStats)
        if !allowlist.isEmpty { assessments = model.excluding(allowlistedMask(), from: assessments, stats: accountStats) }
        assessedAt = now
        guard scheduled else { return }
        for a in touched { isTouched[Int(a)] = false }
        touched.removeAll(keepingCapacity: true)
        var flagged = false
        for a in assessments where a.verdict == .suspect {
            for m in a.members where accounts[Int(m)].flaggedAt == nil { accounts[Int(m)].flaggedAt = now; flagged = true }
        }
        if flagged { suspectMoments.append(now) }
    }

    /// Slots that may hold an account first seen at or after `since`. Every slot before the
    /// returned range was found older, and stays so while `since` grows (an account's first
    /// sighting only ever moves earlier); accounts take slots in the order they appear, so the
    /// range is mostly the young. Walking every slot at each evaluation read one account record
    /// per account, most of them long established.
    func youngAccounts(since: StreamTime) -> Range<Int> {
        if since < youngCursorSince { youngCursor = 0 }  // time ran back
        youngCursorSince = since
        while youngCursor < accounts.count && accounts[youngCursor].firstSeen < since { youngCursor += 1 }
        return youngCursor..<accounts.count
    }

    func accountSlotIfKnown(_ id: String) -> Int32? {
        if let slot = accountIndex[StableHash.hash(id)], accounts[Int(slot)].id == id { return slot }
        return accountCollisions[id]
    }

    /// The stream time at which `account` was first in a `suspect` cluster, if ever.
    public func flaggedAt(account: String) -> StreamTime? {
        accountSlotIfKnown(account).flatMap { accounts[Int($0)].flaggedAt }
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

extension Detector {
    func lastSlot(_ kind: ValueKind, account: Int32) -> Int32 {
        let cache = Int(account) * ValueKind.allCases.count + kind.rawValue
        let remembered = lastValueSlot[cache]
        guard remembered >= 0 else { return -1 }
        let slot = remembered & ~Detector.sharedSlotFlag
        guard tables[kind.rawValue].states[Int(slot)].key == lastValueKey[cache] else { return -1 }
        return slot
    }
}
