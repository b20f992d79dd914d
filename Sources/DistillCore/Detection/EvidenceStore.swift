/// The first stage of the detector: everything learnt from the exchanges themselves, kept
/// incrementally as they arrive. Accounts with their behaviour counts and activity rings, the
/// shared values (cards, orgs, addresses, fingerprints, template families) and who used them,
/// open sessions and the stream's clock. It judges nothing: clustering and scoring read it.
final class EvidenceStore {
    let settings: DetectorSettings

    var accounts: [AccountState] = []
    /// Account id → slot, by a 64-bit hash of the id checked against the slot's id; the rare
    /// id whose hash collides with another's lives in `accountCollisions`.
    private var accountIndex = UInt64Map<Int32>()
    private var accountCollisions: [String: Int32] = [:]
    var tables = [ValueTable](repeating: ValueTable(), count: ValueKind.allCases.count)
    /// The activity of active accounts; a folded account's slot here is reused by the next
    /// account that needs one, so this grows with the accounts active at once, not with every
    /// account ever seen.
    private(set) var activities: [AccountActivity] = []
    /// Per account, the index of its activity in `activities`, or -1 while it is folded.
    private(set) var activityOf: [Int32] = []
    private var freeActivities: [Int32] = []
    private(set) var foldedCount = 0
    private var sessions = UInt64Map<SessionTally>()
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
    /// Exchanges ingested since this store was made.
    private(set) var exchangeCount = 0
    private var minuteRing = [Int](repeating: 0, count: Snapshot.minuteBuckets)
    private var minuteNewest: Int64 = .min
    var windowLoad = WindowLoad()
    /// The first slot that may hold a young account, and the bound it was found for.
    private var youngCursor = 0
    private var youngCursorSince: StreamTime = .min
    /// Accounts that received exchanges since the changes were last taken: only their
    /// behaviour scores and profiles need recomputing.
    private(set) var touched: [Int32] = []
    /// Each account's `lastSeen`, densely: the synchrony search reads it for every account, and
    /// reading it from the account records touched one cache line per account.
    private(set) var lastSeenBySlot: [StreamTime] = []
    private(set) var isTouched: [Bool] = []

    init(settings: DetectorSettings) {
        precondition(ValueKind.allCases.count == 8, "the last-value cache holds eight kinds")
        self.settings = settings
    }

    /// Forgets that any account changed (after an evaluation that recorded the changes).
    func clearTouched() {
        for a in touched { isTouched[Int(a)] = false }
        touched.removeAll(keepingCapacity: true)
    }

    /// Closes sessions idle since `idleBefore` (their counts are already in the stats) and
    /// forgets lone values nobody has used since `loneBefore`.
    func evictIdle(sessionsBefore idleBefore: StreamTime, loneValuesBefore loneBefore: StreamTime) {
        if sessions.count > 0 { sessions.filter { $1.last >= idleBefore } }
        for k in tables.indices { tables[k].evictLoneValues(idleSince: loneBefore) }
    }

    /// Records one exchange: its account, behaviour counts, session, prompt content, model and
    /// shared values.
    @inline(__always)
    func add(_ e: UnsafePointer<Exchange>, keys: borrowing ExchangeKeys) {
        let ts = e.pointee.ts
        if streamStart == nil { streamStart = ts }
        else if ts < streamStart! { streamStart = ts }  // the earliest event, whatever came first
        if ts > (streamTime ?? .min) { streamTime = ts }
        exchangeCount += 1
        countMinute(ts)

        let text = e.pointee.text
        let a = accountSlot(text, hash: keys[.account]!, at: ts)
        let ai = Int(a)
        var bi = Int(activityOf[ai])
        if bi < 0 { bi = unfold(a) }
        if !isTouched[ai] { isTouched[ai] = true; touched.append(a) }
        if ts < accounts[ai].firstSeen { accounts[ai].firstSeen = ts }
        if ts > accounts[ai].lastSeen { accounts[ai].lastSeen = ts; lastSeenBySlot[ai] = ts }
        let hour = floorDiv(ts, 3_600_000)
        activities[bi].countHour(hour)
        let newActiveHour = hour > activities[bi].lastActiveHour
        if newActiveHour { activities[bi].lastActiveHour = hour }
        let window = floorDiv(ts, ActivityWindows.bucketMillis)
        if activities[bi].windows.mark(window) { windowLoad.add(window) }

        // Session shape: counts are kept current, so an open session is already in the stats.
        var sessionTurnsBefore: Int32 = -1  // -1: sessionless, 0: new session
        if let session = keys[.session] {
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
        text.withBytes(.promptText) { prompt in
            guard prompt.count > 0 else { return }
            let f = e.pointee.analysed.features ?? PromptAnalyzer.analyze(prompt)
            features = f
            if let p = f.prefixFamily { activities[bi].prefixFamilies.add(p) }
            if let q = f.suffixFamily { activities[bi].suffixFamilies.add(q) }
        }

        // Lifecycle: a model first seen well after the stream began is a new release. Only a
        // model that answered counts: a name seen in a failed request (a typo, a model that does
        // not exist) would otherwise replace the real release and end model_pivot for everyone.
        var postRelease = 0  // 0: outside the day after a release, 1: on an old model, 2: on the new one
        if text.contains(.model) {
            let answered = e.pointee.status != .failure && (e.pointee.httpStatus ?? 200) < 400
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
                   features: features, postRelease: postRelease, offeredTools: keys[.tools] != nil, into: &activities[bi].stats)

        if let user = keys[.endUser] { activities[bi].endUsers.insert(user) }

        // Shared values, keyed by the hash of their bytes; their text is built only for a
        // value's label, the first time one is needed.
        if let card = keys[.card] {
            let slot = link(.card, card, labelledBy: .paymentFP, of: text, a, ts)
            if accounts[ai].firstCardSlot < 0 { accounts[ai].firstCardSlot = slot; tables[ValueKind.card.rawValue].states[Int(slot)].pinned = true }
        }
        if let org = keys[.org] {
            let slot = link(.org, org, labelledBy: .orgID, of: text, a, ts)
            if accounts[ai].firstOrgSlot < 0 { accounts[ai].firstOrgSlot = slot; tables[ValueKind.org.rawValue].states[Int(slot)].pinned = true }
        }
        if let key = keys[.ip] {
            // One hash serves the distinct-IP sketch and the shared-value table.
            activities[bi].ips.insert(key)
            if activities[bi].lastValueKey[ValueKind.ip.rawValue] != key {
                if let range = keys.ipRange(of: text) {
                    let rangeKey = StableHash.combine(range.key, range.isV6 ? 6 : 4)
                    _ = link(.ipRange, rangeKey, IPRange.describe(key: range.key, isV6: range.isV6), a, ts)
                }
            } else {
                touchLast(.ipRange, a, ts)
            }
            _ = link(.ip, key, labelledBy: .clientIP, of: text, a, ts)
        }
        if let fp = keys[.systemPrompt] { _ = link(.systemPrompt, fp, labelledBy: .systemFP, of: text, a, ts) }
        if let fp = keys[.tools] { _ = link(.tools, fp, labelledBy: .toolsFP, of: text, a, ts) }
        if let f = features {
            text.withBytes(.promptText) { prompt in
                if let p = f.prefixFamily { _ = link(.promptPrefix, p, Self.excerpt(prompt), a, ts) }
                if let q = f.suffixFamily { _ = link(.promptSuffix, q, Self.excerpt(prompt), a, ts) }
            }
        }
    }

    private var kindCount: Int { ValueKind.allCases.count }

    private static func count(_ e: UnsafePointer<Exchange>, hour: Int64, newActiveHour: Bool, sessionTurnsBefore: Int32,
                              features: PromptFeatures?, postRelease: Int, offeredTools: Bool, into s: inout BehaviourStats) {
        s.exchanges += 1
        if offeredTools { s.toolExchanges += 1 }
        s.hourOfDay[Int(floorMod(hour, 24))] &+= 1
        if newActiveHour { s.activeHours += 1 }
        if let output = e.pointee.outputTokens {
            let input = e.pointee.inputTokens ?? 0
            s.tokenExchanges += 1
            s.inputTokens = s.inputTokens.addingSaturated(Int(truncatingIfNeeded: input))
            s.outputTokens = s.outputTokens.addingSaturated(Int(truncatingIfNeeded: output))
            s.reasoningTokens = s.reasoningTokens.addingSaturated(Int(truncatingIfNeeded: e.pointee.reasoningTokens ?? 0))
            if output >= 1000 && output >= 2 &* input { s.outputHeavy += 1 }
            if output >= 1500 { s.longOutputs += 1 }
        }
        if e.pointee.httpStatus == 429 { s.rateLimited += 1 }
        if e.pointee.status == .failure { s.failures += 1 }
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
        }
        if postRelease > 0 {
            s.postReleaseExchanges += 1
            if postRelease == 2 { s.postReleaseOnNewModel += 1 }
        }
    }

    private func accountSlot(_ text: ExchangeText, hash: UInt64, at ts: StreamTime) -> Int32 {
        if let found = accountIndex.slot(of: hash) {
            let slot = accountIndex.value(at: found)
            if text.equals(.accountID, accounts[Int(slot)].id) { return slot }
            if let other = accountCollisions[text[.accountID] ?? ""] { return other }
        }
        let id = text[.accountID] ?? ""
        let slot = Int32(accounts.count)
        accounts.append(AccountState(id: id, at: ts))
        lastSeenBySlot.append(ts)
        activityOf.append(newActivity())
        if accountIndex.slot(of: hash) == nil { accountIndex.insert(hash, slot) } else { accountCollisions[id] = slot }
        isTouched.append(false)
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
        let b = Int(activityOf[Int(a)]), k = kind.rawValue  // active: `add` unfolded it
        let last = activities[b].lastValueKey[k] == key ? activities[b].lastValueSlot[k] : -1
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
            activities[b].lastValueKey[k] = key
            activities[b].lastValueSlot[k] = remembered
        }
        return (slot, wantsLabel)
    }

    private func touchLast(_ kind: ValueKind, _ a: Int32, _ ts: StreamTime) {
        let b = Int(activityOf[Int(a)]), k = kind.rawValue
        let slot = activities[b].lastValueSlot[k]
        if slot >= 0 && slot & Self.sharedSlotFlag == 0 && tables[k].states[Int(slot)].key == activities[b].lastValueKey[k] {
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

    /// The longest label a prompt gives its template families, in bytes.
    static let excerptLimit = 160

    /// At most `limit` bytes of the UTF-8 `text`, cut on a scalar boundary (counting characters
    /// would walk grapheme clusters on the hot path).
    static func excerpt(_ text: UnsafeRawBufferPointer, limit: Int = excerptLimit) -> String {
        guard text.count > limit else { return String(decoding: text, as: UTF8.self) }
        var end = limit - 3
        while end > 0 && (text[end] & 0xC0) == 0x80 { end -= 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: text[..<end]), as: UTF8.self) + "…"
    }

    /// How many leading bytes of the UTF-8 `text` give the same `excerpt` as all of it: the
    /// whole text when it is within the limit, else up to the first scalar boundary past it.
    static func excerptSource(_ text: UnsafeRawBufferPointer) -> Int {
        guard text.count > excerptLimit else { return text.count }
        var end = excerptLimit + 1
        while end < text.count && (text[end] & 0xC0) == 0x80 { end += 1 }
        return end
    }

    /// Exchanges per stream minute over the last `Snapshot.minuteBuckets` minutes, oldest first.
    func orderedMinutes() -> [Int] {
        guard minuteNewest != .min else { return Array(repeating: 0, count: minuteRing.count) }
        let n = Int64(minuteRing.count)
        return (0..<n).map { minuteRing[Int(floorMod(minuteNewest - n + 1 + $0, n))] }
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

    func lastSlot(_ kind: ValueKind, account: Int32) -> Int32 {
        let k = kind.rawValue
        let b = Int(activityOf[Int(account)])
        let (key, remembered) = b >= 0 ? (activities[b].lastValueKey[k], activities[b].lastValueSlot[k])
            : { let f = folded(Int(account)); return (f.lastValueKey[k], f.lastValueSlot[k]) }()
        guard remembered >= 0 else { return -1 }
        let slot = remembered & ~Self.sharedSlotFlag
        guard tables[k].states[Int(slot)].key == key else { return -1 }
        return slot
    }

    // MARK: Folding

    /// The activity of account `slot`: its own while active, unpacked from its summary while
    /// folded (a copy either way).
    func activity(_ slot: Int) -> AccountActivity {
        let b = Int(activityOf[slot])
        return b >= 0 ? activities[b] : folded(slot)
    }

    /// The account's behaviour counts with their derived fields, as `AccountActivity.currentStats`.
    func currentStats(_ slot: Int) -> BehaviourStats {
        activity(slot).currentStats(of: accounts[slot])
    }

    func isFolded(_ slot: Int) -> Bool { activityOf[slot] < 0 }

    /// The account's template families, without copying the rest of its activity.
    func families(_ slot: Int) -> (prefix: TopFamilies, suffix: TopFamilies) {
        let b = Int(activityOf[slot])
        if b >= 0 { return (activities[b].prefixFamilies, activities[b].suffixFamilies) }
        let f = folded(slot)
        return (f.prefixFamilies, f.suffixFamilies)
    }

    /// Whether the account's current tool schema, system prompt or a recurring template family
    /// is shared by a few accounts (as many as young accounts are pooled on): such a value's
    /// users have their counts pooled at every evaluation while a young account uses it.
    func usesPooledHarness(_ slot: Int) -> Bool {
        func pooled(_ kind: ValueKind, _ value: Int32) -> Bool {
            let state = tables[kind.rawValue].states[Int(value)]
            return state.alive && state.distinct >= 2 && state.distinct <= settings.maxMembersForOwnerCheck
        }
        for kind in [ValueKind.tools, .systemPrompt] {
            let value = lastSlot(kind, account: Int32(slot))
            if value >= 0 && pooled(kind, value) { return true }
        }
        var found = false
        let families = self.families(slot)
        families.prefix.forEachRecurringKey { key in
            if !found, let value = tables[ValueKind.promptPrefix.rawValue].index[key] { found = pooled(.promptPrefix, value) }
        }
        families.suffix.forEachRecurringKey { key in
            if !found, let value = tables[ValueKind.promptSuffix.rawValue].index[key] { found = pooled(.promptSuffix, value) }
        }
        return found
    }

    /// The account's ring of active windows, without copying the rest of its activity.
    func windows(_ slot: Int) -> ActivityWindows {
        let b = Int(activityOf[slot])
        return b >= 0 ? activities[b].windows : folded(slot).windows
    }

    private func folded(_ slot: Int) -> AccountActivity {
        // Packed by `fold` from a valid activity, or checked when a saved state was read.
        do { return try AccountActivity(packed: accounts[slot].folded) } catch { preconditionFailure("folded account \(slot): \(error)") }
    }

    /// Packs the activity of account `slot` into its record and frees its place in
    /// `activities`. Nothing is lost: `unfold` and `activity(_:)` give the same activity back,
    /// so folding changes no verdict, only memory.
    func fold(_ slot: Int) {
        let b = Int(activityOf[slot])
        precondition(b >= 0, "account \(slot) is already folded")
        accounts[slot].folded = activities[b].packed()
        activities[b] = AccountActivity()
        activityOf[slot] = -1
        freeActivities.append(Int32(b))
        foldedCount += 1
    }

    /// Gives a folded account its activity back; returns its index in `activities`.
    private func unfold(_ a: Int32) -> Int {
        let restored = folded(Int(a))
        let b = Int(newActivity())
        activities[b] = restored
        accounts[Int(a)].folded = []
        activityOf[Int(a)] = Int32(b)
        foldedCount -= 1
        return b
    }

    private func newActivity() -> Int32 {
        if let b = freeActivities.popLast() { return b }
        activities.append(AccountActivity())
        return Int32(activities.count - 1)
    }

    /// Who pays for an account: accounts on one card are one owner however many orgs they claim.
    func owner(_ i: Int) -> Int64 {
        // Fields read in place: a copy of the account would retain and release its id and ring.
        let card = accounts[i].firstCardSlot
        if card >= 0 { return Int64(card) }
        let org = accounts[i].firstOrgSlot
        if org >= 0 { return 1 << 40 | Int64(org) }
        return 2 << 40 | Int64(i)
    }
}

extension EvidenceStore {
    func write(to w: inout StateWriter) {
        w.write(accounts)
        w.writePlain(activityOf)
        w.write(activities)
        w.writePlain(freeActivities)
        w.write(accountIndex)
        w.write(accountCollisions.count)
        for (id, slot) in accountCollisions.sorted(by: { $0.key < $1.key }) { w.write(id); w.write(slot) }
        w.write(tables)
        w.write(sessions)
        w.write(sharedMembers)
        w.write(modelFirstSeen.count)
        for (model, ts) in modelFirstSeen.sorted(by: { $0.key < $1.key }) { w.write(model); w.write(ts) }
        w.write(lastModel != nil)
        if let lastModel { w.write(lastModel) }
        w.write(newModel != nil)
        if let newModel { w.write(newModel.name); w.write(newModel.releasedAt) }
        w.write(streamStart); w.write(streamTime)
        w.write(exchangeCount)
        w.writePlain(minuteRing); w.write(minuteNewest)
        w.write(windowLoad)
        w.write(youngCursor); w.write(youngCursorSince)
        w.writePlain(touched)
    }

    /// Reads back what `write(to:)` saved into this (new, empty) store, and checks that every
    /// slot one part names exists in the part it points into.
    func read(from r: inout StateReader) throws(StateError) {
        let combined = r.formatVersion < 4
        if combined {
            // Every account active, its activity at the same index as the account.
            let n = try r.count(minimumSize: 64)
            accounts = []; activities = []
            accounts.reserveCapacity(n); activities.reserveCapacity(n)
            for _ in 0..<n {
                let (account, activity) = try AccountActivity.readCombined(from: &r)
                accounts.append(account); activities.append(activity)
            }
            activityOf = (0..<Int32(n)).map { $0 }
            freeActivities = []
        } else {
            accounts = try r.array(AccountState.self)
            activityOf = try r.plain(Int32.self)
            activities = try r.array(AccountActivity.self)
            freeActivities = try r.plain(Int32.self)
        }
        accountIndex = try r.read(UInt64Map<Int32>.self)
        for _ in 0..<(try r.count(minimumSize: 12)) { accountCollisions[try r.string()] = try r.int32() }
        tables = try r.array(ValueTable.self)
        if combined {
            let keys = try r.plain(UInt64.self), slots = try r.plain(Int32.self)
            try r.check(keys.count == accounts.count * kindCount && slots.count == keys.count, "the last-value cache does not cover \(accounts.count) accounts")
            for b in activities.indices {
                for k in 0..<kindCount { activities[b].lastValueKey[k] = keys[b * kindCount + k]; activities[b].lastValueSlot[k] = slots[b * kindCount + k] }
            }
        }
        sessions = try r.read(UInt64Map<SessionTally>.self)
        // Before version 6: a cache of each account's long prompts, for a rule since dropped.
        if r.formatVersion < 6 { _ = try r.plain(UInt32.self) }
        sharedMembers = try r.read(SharedMembershipCache.self)
        for _ in 0..<(try r.count(minimumSize: 16)) { modelFirstSeen[try r.string()] = try r.int64() }
        lastModel = try r.bool() ? try r.string() : nil
        newModel = try r.bool() ? (try r.string(), try r.int64()) : nil
        streamStart = try r.optionalInt64(); streamTime = try r.optionalInt64()
        exchangeCount = try r.int()
        minuteRing = try r.plain(Int.self); minuteNewest = try r.int64()
        windowLoad = try r.read(WindowLoad.self)
        youngCursor = try r.int(); youngCursorSince = try r.int64()
        touched = try r.plain(Int32.self)

        let n = accounts.count
        lastSeenBySlot = accounts.map(\.lastSeen)
        isTouched = [Bool](repeating: false, count: n)
        for a in touched {
            try r.check(a >= 0 && Int(a) < n && !isTouched[Int(a)], "a changed account \(a) of \(n)")
            isTouched[Int(a)] = true
        }
        try r.check(tables.count == kindCount, "\(tables.count) value tables where there are \(kindCount) kinds")
        try r.check(activityOf.count == n, "activity places for \(activityOf.count) of \(n) accounts")
        var owner = [Int32](repeating: -1, count: activities.count)
        for b in freeActivities {
            try r.check(b >= 0 && Int(b) < owner.count && owner[Int(b)] == -1, "a free activity place \(b) is out of range or listed twice")
            owner[Int(b)] = -2
        }
        foldedCount = 0
        for (slot, b) in activityOf.enumerated() {
            // A folded account is unpacked once here, so that reading it later cannot fail.
            let lastSlots: SIMD8<Int32>
            if b < 0 {
                let activity = try AccountActivity(packed: accounts[slot].folded, formatVersion: r.formatVersion)
                // Packed in an older layout: packed again in this one, which unfolding reads.
                if r.formatVersion < DetectionState.formatVersion { accounts[slot].folded = activity.packed() }
                lastSlots = activity.lastValueSlot
                foldedCount += 1
            } else {
                try r.check(Int(b) < owner.count && owner[Int(b)] == -1 && accounts[slot].folded.isEmpty, "account \(slot) has an activity place that is taken or free")
                owner[Int(b)] = Int32(slot)
                lastSlots = activities[Int(b)].lastValueSlot
            }
            for k in 0..<kindCount where lastSlots[k] >= 0 {
                try r.check(Int(lastSlots[k] & ~Self.sharedSlotFlag) < tables[k].states.count, "an account's last value is not kept")
            }
        }
        try r.check(!owner.contains(-1), "an activity place belongs to no account")
        try r.check(minuteRing.count == Snapshot.minuteBuckets, "the minute ring has \(minuteRing.count) minutes")
        try r.check(youngCursor >= 0 && youngCursor <= n, "the young-account cursor is past the accounts")
        try r.check(accountIndex.count + accountCollisions.count == n, "the account index does not match \(n) accounts")
        for (k, table) in tables.enumerated() {
            for state in table.states where state.alive {
                try r.check(state.members.allSatisfy { $0 >= 0 && Int($0) < n }, "a value of kind \(k) names an account past \(n)")
            }
        }
        let cards = tables[ValueKind.card.rawValue].states.count, orgs = tables[ValueKind.org.rawValue].states.count
        for a in accounts {
            try r.check(Int(a.firstCardSlot) < cards && Int(a.firstOrgSlot) < orgs, "account \(a.id) names a card or org that is not kept")
        }
    }
}
