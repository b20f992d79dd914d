/// The incremental detector. Feed it exchanges in roughly increasing `ts`; ask it for a
/// `snapshot()` whenever you like. It reads no clock but the events' own timestamps, so a
/// replay at any speed and a live feed reach the same verdicts.
public final class Detector {
    public let settings: DetectorSettings

    var accounts: [AccountState] = []
    private var accountIndex: [String: Int32] = [:]
    var tables = [ValueTable](repeating: ValueTable(), count: ValueKind.allCases.count)
    /// Per account and kind, the key and slot of the value it used last: most accounts use the
    /// same card, org and IP every time, so those lookups are skipped.
    private var lastValueKey: [UInt64] = []
    private var lastValueSlot: [Int32] = []
    private var sessions: [UInt64: (turns: Int32, last: StreamTime)] = [:]
    private var promptCache = RecentPromptCache(log2Slots: 22)
    private var modelFirstSeen: [String: StreamTime] = [:]
    private(set) var newModel: (name: String, releasedAt: StreamTime)?

    private(set) var streamStart: StreamTime?
    private(set) var streamTime: StreamTime?
    private(set) var exchangeCount = 0
    private var nextEvaluation: StreamTime = .min
    private var minuteRing = [Int](repeating: 0, count: Snapshot.minuteBuckets)
    private var minuteNewest: Int64 = .min

    /// The clusters as of the last evaluation.
    private(set) var clusters: [ClusterSnapshot] = []
    private var dirty = false
    public var inspector: ExchangeInspector?  // drill-down detail for the console; nil = off

    public init(settings: DetectorSettings = .standard) {
        self.settings = settings
    }

    // MARK: Ingest

    public func ingest<S: Sequence>(_ batch: S) where S.Element == Exchange {
        for exchange in batch { ingest(exchange) }
    }

    public func ingest(_ e: Exchange) {
        let ts = e.ts
        if streamStart == nil { streamStart = ts; nextEvaluation = ts + settings.evaluationInterval }
        if ts > (streamTime ?? .min) { streamTime = ts }
        exchangeCount += 1
        dirty = true
        countMinute(ts)
        inspector?.record(e)

        let a = accountSlot(e.accountID, at: ts)
        let ai = Int(a)
        if ts < accounts[ai].firstSeen { accounts[ai].firstSeen = ts }
        if ts > accounts[ai].lastSeen { accounts[ai].lastSeen = ts }
        let hour = floorDiv(ts, 3_600_000)
        accounts[ai].countHour(hour)
        var s = accounts[ai].stats
        s.exchanges += 1
        s.hourOfDay[Int(floorMod(hour, 24))] += 1
        if hour != accounts[ai].lastActiveHour {
            if hour > accounts[ai].lastActiveHour { s.activeHours += 1; accounts[ai].lastActiveHour = hour }
        }

        // Token shape.
        if let output = e.outputTokens {
            let input = e.inputTokens ?? 0
            s.tokenExchanges += 1
            s.inputTokens &+= Int(truncatingIfNeeded: input)
            s.outputTokens &+= Int(truncatingIfNeeded: output)
            s.reasoningTokens &+= Int(truncatingIfNeeded: e.reasoningTokens ?? 0)
            if output >= 1000 && output >= 2 * input { s.outputHeavy += 1 }
        }
        if e.httpStatus == 429 { s.rateLimited += 1 }
        if e.status == .failure { s.failures += 1 }

        // Session shape: counts are kept current, so an open session is already in the stats.
        if let session = e.sessionID {
            let key = StableHash.combine(UInt64(a), StableHash.hash(session))
            if let known = sessions[key] {
                if known.turns == 1 { s.singleTurnSessions -= 1 }
                s.sessionTurns += 1
                sessions[key] = (known.turns &+ 1, ts)
            } else {
                s.sessions += 1
                s.singleTurnSessions += 1
                s.sessionTurns += 1
                sessions[key] = (1, ts)
            }
        } else {
            s.sessionless += 1
        }

        // Prompt content.
        var features: PromptFeatures?
        if let text = e.promptText, !text.isEmpty {
            let f = PromptAnalyzer.analyze(text)
            features = f
            s.prompts += 1
            if !f.cues.isDisjoint(with: .extraction) { s.extractionPrompts += 1 }
            else if f.cues.contains(.lightReasoning) { s.lightReasoningPrompts += 1 }
            if f.cues.contains(.fullReasoning) { s.fullReasoningPrompts += 1 }
            if f.cues.contains(.rubricGrading) { s.rubricPrompts += 1 }
            if f.cues.contains(.toolNarration) { s.toolNarrationPrompts += 1 }
            if f.cues.contains(.keepReasoningRewrite) { s.keepReasoningPrompts += 1 }
            if promptCache.checkAndInsert(f.exactHash) { s.repeatedPrompts += 1 }
            if let p = f.prefixFamily { accounts[ai].prefixFamilies.add(p) }
            if let q = f.suffixFamily { accounts[ai].suffixFamilies.add(q) }
        }

        // Lifecycle: a model first seen well after the stream began is a new release.
        if let model = e.model {
            if modelFirstSeen[model] == nil {
                modelFirstSeen[model] = ts
                if let start = streamStart, ts - start >= settings.newModelGrace,
                   newModel.map({ ts > $0.releasedAt }) ?? true {
                    newModel = (model, ts)
                }
            }
            if let release = newModel, ts >= release.releasedAt, ts - release.releasedAt < 24 * 3_600_000 {
                s.postReleaseExchanges += 1
                if model == release.name { s.postReleaseOnNewModel += 1 }
            }
        }
        accounts[ai].stats = s

        if let ip = e.clientIP { accounts[ai].ips.insert(StableHash.hash(ip)) }
        if let user = e.endUserID { accounts[ai].endUsers.insert(StableHash.hash(user)) }

        // Shared values.
        if let card = e.paymentFP {
            let slot = link(.card, StableHash.hash(card), card, a, ts)
            if accounts[ai].firstCardSlot < 0 { accounts[ai].firstCardSlot = slot }
        }
        if let org = e.orgID {
            let slot = link(.org, StableHash.hash(org), org, a, ts)
            if accounts[ai].firstOrgSlot < 0 { accounts[ai].firstOrgSlot = slot }
        }
        if let ip = e.clientIP {
            let key = StableHash.hash(ip)
            if lastValueKey[ai * kindCount + ValueKind.ip.rawValue] != key {
                if let range = IPRange.prefix(of: ip) {
                    let rangeKey = StableHash.combine(range.key, range.isV6 ? 6 : 4)
                    _ = link(.ipRange, rangeKey, IPRange.describe(key: range.key, isV6: range.isV6), a, ts)
                }
            } else {
                touchLast(.ipRange, a, ts)
            }
            _ = link(.ip, key, ip, a, ts)
        }
        if let asn = e.asn { _ = link(.asn, UInt64(bitPattern: asn), "AS\(asn)", a, ts) }
        if let ua = e.userAgent { _ = link(.userAgent, StableHash.hash(ua), ua, a, ts) }
        if let fp = e.systemFP { _ = link(.systemPrompt, StableHash.hash(fp), fp, a, ts) }
        if let fp = e.toolsFP { _ = link(.tools, StableHash.hash(fp), fp, a, ts) }
        if let f = features, let text = e.promptText {
            if let p = f.prefixFamily { _ = link(.promptPrefix, p, Self.excerpt(text), a, ts) }
            if let q = f.suffixFamily { _ = link(.promptSuffix, q, Self.excerpt(text), a, ts) }
        }

        if ts >= nextEvaluation {
            evaluate(at: ts)
            nextEvaluation = ts + settings.evaluationInterval
        }
    }

    private var kindCount: Int { ValueKind.allCases.count }

    private func accountSlot(_ id: String, at ts: StreamTime) -> Int32 {
        if let slot = accountIndex[id] { return slot }
        let slot = Int32(accounts.count)
        accounts.append(AccountState(id: id, at: ts))
        accountIndex[id] = slot
        lastValueKey.append(contentsOf: repeatElement(0, count: kindCount))
        lastValueSlot.append(contentsOf: repeatElement(-1, count: kindCount))
        return slot
    }

    /// Records that account `a` used a value; returns the value's slot.
    @discardableResult
    private func link(_ kind: ValueKind, _ key: UInt64, _ display: @autoclosure () -> String, _ a: Int32, _ ts: StreamTime) -> Int32 {
        let k = kind.rawValue
        let cache = Int(a) * kindCount + k
        let lastSlot = lastValueSlot[cache]
        if lastSlot >= 0 && lastValueKey[cache] == key && tables[k].states[Int(lastSlot)].key == key {
            tables[k].states[Int(lastSlot)].uses += 1
            tables[k].states[Int(lastSlot)].lastSeen = max(tables[k].states[Int(lastSlot)].lastSeen, ts)
            return lastSlot
        }
        let slot = tables[k].slot(for: key, at: ts, display: display())
        tables[k].states[Int(slot)].add(a, cap: settings.maxMembersPerValue)
        tables[k].states[Int(slot)].uses += 1
        tables[k].states[Int(slot)].lastSeen = max(tables[k].states[Int(slot)].lastSeen, ts)
        lastValueKey[cache] = key
        lastValueSlot[cache] = slot
        return slot
    }

    private func touchLast(_ kind: ValueKind, _ a: Int32, _ ts: StreamTime) {
        let cache = Int(a) * kindCount + kind.rawValue
        let slot = lastValueSlot[cache]
        if slot >= 0 && tables[kind.rawValue].states[Int(slot)].key == lastValueKey[cache] {
            tables[kind.rawValue].states[Int(slot)].uses += 1
            tables[kind.rawValue].states[Int(slot)].lastSeen = max(tables[kind.rawValue].states[Int(slot)].lastSeen, ts)
        }
    }

    private func countMinute(_ ts: StreamTime) {
        let minute = floorDiv(ts, 60_000)
        let n = Int64(minuteRing.count)
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

    static func excerpt(_ text: String, limit: Int = 160) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    // MARK: Snapshot

    /// Re-scores if anything arrived since the last evaluation, then returns an immutable view.
    public func snapshot() -> Snapshot {
        if dirty, let now = streamTime { evaluate(at: now) }
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

    func evaluate(at now: StreamTime) {
        dirty = false
        // Close idle sessions; their counts are already in the stats.
        let idleBefore = now - settings.sessionIdleTimeout
        if sessions.count > 0 { sessions = sessions.filter { $0.value.last >= idleBefore } }
        let loneBefore = now - settings.loneValueIdleTimeout
        for k in tables.indices { tables[k].evictLoneValues(idleSince: loneBefore) }

        let model = RiskModel(settings: settings, detector: self, now: now)
        clusters = model.buildClusters()
        for cluster in clusters where cluster.verdict == .suspect {
            for id in cluster.accounts {
                if let slot = accountIndex[id], accounts[Int(slot)].flaggedAt == nil {
                    accounts[Int(slot)].flaggedAt = now
                }
            }
        }
        // flagged_at is "first became suspect": re-read it after stamping the members.
        for i in clusters.indices {
            clusters[i].flaggedAt = clusters[i].accounts.compactMap { accountIndex[$0].flatMap { accounts[Int($0)].flaggedAt } }.min()
        }
    }

    func accountSlotIfKnown(_ id: String) -> Int32? { accountIndex[id] }
}

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
        let slot = lastValueSlot[cache]
        guard slot >= 0, tables[kind.rawValue].states[Int(slot)].key == lastValueKey[cache] else { return -1 }
        return slot
    }
}
