import DistillCore

/// Triage: decisions go to the case journal (`caseStore`) and are acknowledged only once it has
/// committed them; a failure keeps them pending, retried on every refresh, and says so.
extension Console {
    struct TriageTarget {
        var subject: CaseSubject
        var key: String
        var label: String
        var cluster: ClusterSnapshot?
        var members: [String]
    }

    /// What is selected: a cluster in the main view, an account below it.
    func triageTarget() -> TriageTarget? {
        switch view {
        case .clusters:
            guard let k = selectedKey else { return nil }
            let c = snapshot.clusters.first { $0.key == k }
            return TriageTarget(subject: .cluster, key: k, label: "cluster " + k, cluster: c, members: c?.accounts ?? [k])
        case .accounts:
            guard let a = selectedKey else { return nil }
            return TriageTarget(subject: .account, key: a, label: "account " + a, cluster: nil, members: [a])
        case .account(let a), .session(let a, _), .exchange(let a, _, _):
            return TriageTarget(subject: .account, key: a, label: "account " + a, cluster: nil, members: [a])
        case .ties(let k), .tieValues(let k, _):
            let c = cluster(k, fallback: navigation.top.cluster)
            return TriageTarget(subject: .cluster, key: k, label: "cluster " + k, cluster: c, members: c?.accounts ?? [k])
        case .sharedValue:
            guard let a = selectedKey else { return nil }
            return TriageTarget(subject: .account, key: a, label: "account " + a, cluster: nil, members: [a])
        case .help, .rejected: return nil
        }
    }

    /// Loads every case from the journal (at start, and when a journal is attached).
    public func reloadCases() {
        guard let caseStore else { return }
        do {
            book.replaceAll(try caseStore.loadCases())
            book.attach(to: snapshot.clusters + snapshot.allowlisted)
            journalError = nil
        } catch {
            journalError = "\(error)"
        }
        cachedTable = nil
    }

    func evidence(for t: TriageTarget) -> CaseEvidence {
        let src = source
        let cluster = t.cluster ?? (t.subject == .account ? snapshot.clusters.first { $0.accounts.count == 1 && $0.key == t.key } : nil)
        return CaseEvidence.gather(
            cluster: cluster, accounts: t.members, asOf: snapshot.streamTime,
            figures: { src?.accountFigures($0) }, detail: { src?.accountDetail($0) },
            samples: { a in (src?.sessions(a) ?? []).flatMap { $0.recent.reversed() } })
    }

    func decide(_ action: CaseAction, reason: ClearReason? = nil, scope: AllowlistScope? = nil, until: StreamTime? = nil, note: String? = nil) {
        guard let t = triageTarget() else { say("select a cluster or an account first", .warning); return }
        guard let caseStore else { say("no case journal: decisions cannot be kept (start with --cases PATH)", .warning); return }
        let existing = book.record(t.subject, t.key)
        var ev = evidence(for: t)
        // Keep the widest picture: a cluster seen part-way through a replay has fewer accounts.
        if let old = existing?.evidence, t.subject == .cluster, Set(ev.accounts).isSubset(of: Set(old.accounts)), old.accounts.count > ev.accounts.count {
            ev = old
        }
        let request = DecisionRequest(caseID: existing?.id, subject: t.subject, subjectKey: existing?.subjectKey ?? t.key, action: action,
                                      reason: reason, scope: scope, until: until, note: note, analyst: analyst,
                                      wallTime: caseStore.wallClock(), streamTime: shownStreamTime, evidence: ev)
        var what = action == .note ? "note added to \(t.label)" : "\(t.label): \(action.rawValue)"
        if let reason { what += " (\(reason.rawValue)" + (scope.map { ", allowlisted by \($0.rawValue)" } ?? "") + ")" }
        if let until { what += " until \(Format.shortTime(until))" }
        submit(.decision(request), clusterKey: t.subject == .cluster ? t.key : nil, done: what)
    }

    func undoLast() {
        if !pending.isEmpty {
            pending.removeLast()
            say(pending.isEmpty ? "dropped the unsaved decision" : "dropped the last unsaved decision (\(pending.count) still pending)")
            if pending.isEmpty { journalError = nil }
            return
        }
        guard let caseStore else { say("nothing to undo"); return }
        submit(.undo(analyst: analyst, wallTime: caseStore.wallClock(), streamTime: shownStreamTime), clusterKey: nil, done: "undid the last decision")
    }

    /// Writes a change (after any still pending, to keep the order) and acknowledges it only
    /// once the journal has it.
    func submit(_ change: PendingChange, clusterKey: String?, done: String) {
        if journalReadOnly {
            say("the case journal is read-only: nothing was recorded (start with a writable --cases file to decide)", .warning)
            return
        }
        pending.append(change)
        let before = pending.count
        flushPending(pinCluster: clusterKey)
        if pending.count < before && pending.isEmpty {
            if case .undo = change {
                say(lastUndoFoundNothing ? "nothing to undo" : (lastUndone ?? done) + " — saved")
                return
            }
            say("\(done) — saved (u undoes)")
        } else {
            say("NOT saved yet: \(journalError ?? "journal unavailable") — kept pending (\(pending.count)), retrying", .warning)
        }
    }

    /// Tries the pending changes in order; stops at the first failure.
    func flushPending(pinCluster: String? = nil) {
        guard let caseStore, !pending.isEmpty else { return }
        lastUndoFoundNothing = false
        lastUndone = nil
        while let change = pending.first {
            do {
                switch change {
                case .decision(let r):
                    let record = try caseStore.commit(r)
                    book.upsert(record)
                    if let key = pinCluster, r.subject == .cluster { book.attach(to: snapshot.clusters + snapshot.allowlisted, pin: (record.id, key)) }
                case .undo(let who, let wall, let stream):
                    if let record = try caseStore.undoLast(analyst: who, wallTime: wall, streamTime: stream) {
                        book.upsert(record)
                        if let undo = record.decisions.last, let target = record.decisions.first(where: { $0.id == undo.undoes }) {
                            lastUndone = "undid \(target.action.rawValue)" + (target.note.map { " “\($0)”" } ?? "") + " on case #\(record.id) (\(record.subject.rawValue) \(record.subjectKey))"
                        }
                    } else { lastUndoFoundNothing = true }
                }
                pending.removeFirst()
                journalError = nil
            } catch {
                journalError = "\(error)"
                break
            }
        }
        if pinCluster == nil { book.attach(to: snapshot.clusters + snapshot.allowlisted) }
        cachedTable = nil
    }

    /// After a new snapshot: re-attach cases, retry what is pending, refresh the evidence of
    /// cases whose cluster grew (never replacing it with a smaller picture).
    func casesAfterUpdate() {
        guard caseStore != nil else { return }
        retryPending()
        book.attach(to: snapshot.clusters + snapshot.allowlisted)
        refreshEvidence(force: false)
    }

    func refreshEvidence(force: Bool, only: Int64? = nil) {
        guard let caseStore, journalError == nil else { return }
        let now = snapshot.streamTime ?? 0
        for c in snapshot.clusters {
            guard let id = book.clusterCases[c.key], only == nil || only == id, let record = book[id] else { continue }
            let old = record.evidence
            let grew = c.accounts.count > old.accounts.count || (c.accounts.count == old.accounts.count && c.exchanges > old.exchanges)
            guard grew || force else { continue }
            // Evidence costs a walk over the members: at most once per stream ten minutes a case.
            if !force, let last = evidenceRefreshedAt[id], now - last < 600_000 { continue }
            guard c.accounts.count >= old.accounts.count else { continue }
            let t = TriageTarget(subject: .cluster, key: c.key, label: "", cluster: c, members: c.accounts)
            let ev = evidence(for: t)
            do {
                try caseStore.refresh(caseID: id, evidence: ev)
                var updated = record
                updated.evidence = ev
                book.upsert(updated)
                evidenceRefreshedAt[id] = now
            } catch {
                journalError = "\(error)"
            }
        }
    }

    // MARK: Commands

    static let clearUsage = "clear REASON [SCOPE] [NOTE] — reasons: " + ClearReason.allCases.map(\.rawValue).joined(separator: ", ")
        + "; SCOPE " + AllowlistScope.allCases.map(\.rawValue).joined(separator: "|") + " allowlists the cluster's accounts, orgs or cards"
    static let snoozeUsage = "snooze DURATION|TIME [NOTE] — e.g. snooze 6h, snooze 2d, snooze 2026-04-22T09:00Z (stream time)"

    /// `e`: the selected cluster's case, to a file named after it.
    func exportSelected() -> [ConsoleEffect] {
        guard let t = triageTarget() else { say("select a cluster first", .warning); return [] }
        guard let record = book.record(t.subject, t.key) else {
            say("no case on \(t.label) yet: decide first (S, W, C, Z or a note), then export", .warning); return []
        }
        refreshEvidence(force: true, only: record.id)
        return [.exportCases(path: "distillwatch-case-\(record.id).json", caseIDs: [record.id])]
    }

    /// "6h", "30m", "2d", "90s" after `now`, or an RFC 3339 time.
    static func streamTime(after now: StreamTime, spec: String) -> StreamTime? {
        // The same moments :goto takes (minutes or a date are enough).
        if let t = Timestamp.parseMoment(spec) { return t }
        guard let unit = spec.last, let n = Double(spec.dropLast()), n > 0, n.isFinite else { return nil }
        let ms: Double
        switch unit {
        case "s": ms = 1000
        case "m": ms = 60_000
        case "h": ms = 3_600_000
        case "d": ms = 86_400_000
        default: return nil
        }
        // A year at most: "1e300d" or "inf h" is a typo, not a snooze (and would overflow).
        guard n * ms <= 366 * 86_400_000, let span = StreamTime(exactly: (n * ms).rounded()) else { return nil }
        let (t, overflow) = now.addingReportingOverflow(span)
        return overflow ? nil : t
    }

    // MARK: Display

    /// The stream time the status bar shows: a paused or seeking replay's clock, which can be
    /// past the newest exchange read. Snoozes are set and judged against it, so that a moment
    /// the analyst sees as past is never accepted as later, nor shown as still snoozed.
    var shownStreamTime: StreamTime? { status.clock ?? snapshot.streamTime }

    func decisionText(_ subject: CaseSubject, _ key: String, inCluster cluster: ClusterSnapshot? = nil) -> CellContent {
        if let r = book.record(subject, key) {
            let pen = r.notes.isEmpty ? "" : (unicode ? "✎" : "*")
            if let v = r.verdictDecision {
                if v.action == .snooze {
                    let due = (shownStreamTime ?? 0) >= (v.until ?? 0)
                    return .text((due ? "due" : "snoozed") + pen, due ? .warning : .muted)
                }
                let verdict: Verdict = v.action == .suspect ? .suspect : v.action == .watch ? .watch : .clear
                return .text(v.action.rawValue + pen, Self.verdictRole(verdict))
            }
            return .text(r.notes.isEmpty ? "-" : "note" + pen, .accent)
        }
        // An account that joined a decided cluster after the decision.
        if subject == .account, let c = cluster, let r = book.record(.cluster, c.key), !r.newMembers(in: [key]).isEmpty {
            return .text("new", .newMark)
        }
        return .text("-", .muted)
    }

    func decisionSort(_ subject: CaseSubject, _ key: String) -> SortKey {
        let v = book.record(subject, key)?.verdict
        return .number(v == .suspect ? 4 : v == .watch ? 3 : v == .snooze ? 2 : v == .clear ? 1 : 0)
    }

    /// An analyst's `suspect` pins the cluster's verdict, whatever the detector says now.
    func shownVerdict(_ c: ClusterSnapshot) -> (verdict: Verdict, pinned: Bool) {
        if book.record(.cluster, c.key)?.verdict == .suspect { return (.suspect, c.verdict != .suspect) }
        return (c.verdict, false)
    }

    /// The case's lines for a pane: verdict, who and when, new accounts, then its history.
    func caseLines(_ r: CaseRecord, current: [String]?) -> [Line] {
        var out: [Line] = []
        let v = r.verdictDecision
        var head: Line = [Segment(" case #\(r.id) ", .header)]
        if let v {
            let role: StyleRole = v.action == .suspect ? .suspect : v.action == .watch ? .watch : v.action == .clear ? .clear : .muted
            head.append(Segment(v.action.rawValue, role))
            if let reason = v.reason { head.append(Segment(" (\(reason.rawValue)" + (v.scope.map { ", allowlisted by \($0.rawValue)" } ?? "") + ")", .text)) }
            if v.action == .snooze { head.append(Segment(" until \(Format.shortTime(v.until))", .text)) }
            head.append(Segment("  by \(v.analyst) at stream \(Format.shortTime(v.streamTime))", .muted))
            if v.action == .suspect { head.append(Segment("  verdict pinned", .warning)) }
        } else {
            head.append(Segment("no verdict", .muted))
        }
        out.append(head)
        if let current {
            let fresh = r.newMembers(in: current)
            if !fresh.isEmpty {
                out.append([Segment(" new since the decision: ", .newMark),
                            Segment("\(fresh.count) account\(fresh.count == 1 ? "" : "s"): " + fresh.prefix(8).joined(separator: ", ") + (fresh.count > 8 ? ", …" : ""), .text)])
            }
        }
        let undone = Set(r.decisions.compactMap(\.undoes))
        for d in r.decisions.suffix(8) {
            var line: Line = [Segment("   " + Format.shortTime(d.streamTime) + "  ", .muted), Segment(d.analyst + " ", .accent)]
            var what = d.action.rawValue
            if let reason = d.reason { what += " " + reason.rawValue }
            if let scope = d.scope { what += " [allowlist \(scope.rawValue)]" }
            if let until = d.until { what += " until \(Format.shortTime(until))" }
            if let u = d.undoes { what += " (of #\(u))" }
            line.append(Segment("#\(d.id) " + what, undone.contains(d.id) ? .muted : .text))
            if undone.contains(d.id) { line.append(Segment(" (undone)", .muted)) }
            if let n = d.note { line.append(Segment("  “" + n + "”", .text)) }
            out.append(line)
        }
        if r.decisions.count > 8 { out.append([Segment("   … \(r.decisions.count - 8) earlier (distillwatch cases export has them all)", .muted)]) }
        return out
    }

    /// Decisions on this subject that the journal has not taken yet.
    func pendingLines(_ subject: CaseSubject, _ key: String) -> [Line] {
        let attached = book.record(subject, key)?.id
        return pending.compactMap { p in
            guard case .decision(let r) = p, r.subject == subject, r.subjectKey == key || (r.caseID != nil && r.caseID == attached) else { return nil }
            return [Segment(" NOT SAVED YET: ", .warning), Segment(r.action.rawValue + (r.note.map { "  “" + $0 + "”" } ?? ""), .text), Segment("  (retrying)", .muted)]
        }
    }

    /// Status-bar text for the journal: cases, allowlisted entities, errors.
    var journalStatus: (text: String, alarm: Bool)? {
        guard caseStore != nil else { return nil }
        var s = journalError == nil ? "\(book.count) case\(book.count == 1 ? "" : "s")" : "JOURNAL ERROR" + (pending.isEmpty ? "" : ", \(pending.count) pending")
        if journalReadOnly && journalError == nil { s = "JOURNAL READ-ONLY · " + s }
        if book.allowlist.count > 0 { s += " · \(book.allowlist.count) allowlisted" }
        return (s, journalError != nil || journalReadOnly)
    }
}

extension Console {
    /// Tries the pending changes once more (before quitting).
    public func flushPendingNow() { flushPending() }

    /// Retries what the journal refused, and reloads the cases when another console wrote to
    /// the journal; the host calls it every second or so, also when no data arrives (a finished
    /// replay). Returns true when something changed on screen.
    @discardableResult
    public func retryPending() -> Bool {
        if pending.isEmpty, let store = caseStore, (try? store.changedElsewhere()) == true {
            reloadCases()
            return true
        }
        guard !pending.isEmpty else { return false }
        let n = pending.count
        flushPending()
        if pending.isEmpty { say("journal back: \(n) pending decision\(n == 1 ? "" : "s") saved") }
        return pending.count != n || pending.isEmpty
    }
}
