import DistillCore

extension Console {
    public static let minimumWidth = 50
    public static let minimumHeight = 12

    /// Draws the whole screen from the console's state, which it leaves as it was. A grid of
    /// another size than the host last gave is taken as a resize first.
    public func render(into grid: inout ScreenGrid) {
        resize(to: ScreenSize(width: grid.width, height: grid.height, unicode: grid.unicode))
        draw(layout(), into: &grid)
    }

    func draw(_ l: ConsoleLayout, into grid: inout ScreenGrid) {
        grid.clear()
        guard !l.tooSmall else {
            // Wrapped at words: on a narrow terminal the size it needs is the part to read.
            let words = "Terminal too small (\(grid.width)x\(grid.height)): DistillWatch needs at least \(Self.minimumWidth)x\(Self.minimumHeight); q quits".split(separator: " ")
            var y = 0, line = ""
            for word in words {
                if !line.isEmpty && line.count + 1 + word.count > grid.width {
                    grid.put(line, x: 0, y: y, role: .warning)
                    y += 1
                    line = ""
                }
                line += (line.isEmpty ? "" : " ") + word
            }
            grid.put(line, x: 0, y: y, role: .warning)
            return
        }
        drawStatus(into: &grid)
        drawBreadcrumbs(into: &grid)
        let level = navigation.top
        switch level.view {
        case .clusters: drawRateHeading(into: &grid, l.heading)
        case .accounts(let key): drawClusterSummary(into: &grid, l.heading, cluster: cluster(key, fallback: level.cluster))
        case .account(let a):
            if !l.heading.isEmpty {
                TextPane.render(title: "Account \(a)", lines: accountLines(a, width: grid.width), into: &grid, x: l.heading.x, y: l.heading.y,
                                width: l.heading.width, height: l.heading.height, scroll: 0, focused: false)
            }
            if !l.rule.isEmpty {
                // Only the latest few sessions are kept per account: when fewer are listed than
                // the figures above count, say so, or the rest look lost.
                let kept = source?.sessions(a).count ?? 0
                let all = kept >= (source?.accountFigures(a)?.sessions ?? Int.max)
                let title = kept == 0 ? "Sessions" : all ? "Sessions (newest first; Enter opens)"
                    : kept == 1 ? "Sessions (the latest kept; Enter opens)" : "Sessions (the \(kept) latest kept, newest first; Enter opens)"
                TextPane.rule(title, into: &grid, x: 0, y: l.rule.y, width: grid.width, focused: true)
            }
        case .session(let a, let s): drawSessionHeading(into: &grid, l.heading, account: a, session: s)
        case .ties(let key): drawTiesHeading(into: &grid, l.heading, cluster: cluster(key, fallback: level.cluster))
        case .tieValues(let key, let kind): drawTieValuesHeading(into: &grid, l.heading, cluster: cluster(key, fallback: level.cluster), kind: kind)
        case .sharedValue(let key, let ref, let display):
            drawSharedValueHeading(into: &grid, l.heading, cluster: cluster(key, fallback: level.cluster), ref: ref, display: display)
        case .exchange:
            if paneContent() == nil { grid.put(" exchange no longer kept (only the last few per session are)", x: 0, y: l.pane.y, role: .warning) }
        case .help, .rejected: break
        }
        if viewHasSubject { drawTable(into: &grid, l.table) }
        if viewHasSubject, !l.pane.isEmpty, let content = paneContent() {
            let allPane = l.table.isEmpty && l.heading.isEmpty
            // The hint only where there is more than the pane shows (its first row is the title).
            let scrolls = content.lines.count > l.pane.height - 1
            TextPane.render(title: content.title + (level.pane == 1 || allPane || !scrolls ? "" : "  (Tab to scroll)"), lines: content.lines, into: &grid,
                            x: l.pane.x, y: l.pane.y, width: l.pane.width, height: l.pane.height, scroll: level.paneScroll, focused: level.pane == 1)
        }
        drawMessage(into: &grid, l.message)
        drawFooter(into: &grid, y: l.footer.y)
    }

    /// False when the cluster or shared value the view is about is gone: its heading says so and
    /// nothing else is drawn.
    var viewHasSubject: Bool {
        let level = navigation.top
        switch level.view {
        case .accounts(let key), .ties(let key), .tieValues(let key, _): return cluster(key, fallback: level.cluster) != nil
        case .sharedValue(_, let ref, _): return source?.sharedValue(ref) != nil
        default: return true
        }
    }

    // MARK: Chrome

    func drawStatus(into grid: inout ScreenGrid) {
        grid.fill(x: 0, y: 0, count: grid.width, role: .statusBar)
        let sep = grid.unicode ? " │ " : " | "
        // Most important first: a narrow terminal cuts from the right, so the source's name (which
        // the analyst chose and knows) comes last.
        var parts: [Segment] = [Segment(" DistillWatch", .statusAccent), Segment(sep, .statusBar)]
        parts += [Segment(status.modeLabel, .statusAccent),
                  Segment(sep, .statusBar), Segment(Format.clock(status.clock ?? snapshot.streamTime), .statusBar), Segment(sep, .statusBar),
                  Segment("\(snapshot.suspectCount) suspect", snapshot.suspectCount > 0 ? .statusAccent : .statusBar),
                  Segment(" · ", .statusBar), Segment("\(snapshot.watchCount) watch", .statusBar)]
        if let j = journalStatus { parts += [Segment(sep, .statusBar), Segment(j.text, j.alarm ? .statusAccent : .statusBar)] }
        parts += [Segment(sep, .statusBar), Segment(Format.compact(Int(status.ingestRate)) + "/s", .statusBar), Segment(sep, .statusBar),
                  Segment(Format.compact(snapshot.exchanges) + " ex", .statusBar), Segment(sep, .statusBar),
                  Segment("rej \(Format.compact(status.rejected))", status.rejected > 0 ? .statusAccent : .statusBar)]
        if !status.connected { parts.insert(contentsOf: [Segment(sep, .statusBar), Segment("DISCONNECTED", .statusAccent)], at: 3) }
        if ProxyIdentity.warning(for: snapshot) != nil {
            parts.insert(contentsOf: [Segment(sep, .statusBar), Segment("ONE IDENTITY: LITELLM MASTER KEY", .statusAccent)], at: 3)
        }
        if status.dropped > 0 { parts += [Segment(sep, .statusBar), Segment("drop \(Format.compact(status.dropped))", .statusAccent)] }
        if status.missedRotations > 0 { parts += [Segment(sep, .statusBar), Segment("missed rotations \(status.missedRotations)", .statusAccent)] }
        if status.outsideWindow > 0 { parts += [Segment(sep, .statusBar), Segment("\(Format.compact(status.outsideWindow)) outside window", .statusBar)] }
        if let b = status.bus { parts += [Segment(sep, .statusBar), Segment(b, status.busAlarm ? .statusAccent : .statusBar)] }
        if let c = status.checkpoint { parts += [Segment(sep, .statusBar), Segment(c, status.checkpointFailed ? .statusAccent : .statusBar)] }
        parts += [Segment(sep, .statusBar), Segment(status.source, .statusBar)]
        var x = 0
        for p in parts where x < grid.width { x += grid.put(p.text, x: x, y: 0, maxWidth: grid.width - x, role: p.role) }
    }

    func drawBreadcrumbs(into grid: inout ScreenGrid) {
        var right: [String] = []
        // Where the selection is among the rows (k9s shows the count, htop a scrollbar).
        if let table = currentTable() {
            let rows = table.model.rows.count
            right.append(rows == 0 ? "0 rows" : "\(min(navigation.top.selected, rows - 1) + 1)/\(rows)")
            if navigation.depth == 1 && followsTop { right.append("follow") }
            if navigation.depth == 1 && showsAllowlisted { right.append("+allowed") }
        }
        if let f = navigation.top.filter { right.append("filter '\(f.label)'") }
        if let s = navigation.top.sortColumn, currentTable() != nil { right.append("sort \(s) \(navigation.top.descending ? "desc" : "asc")") }
        let text = right.joined(separator: "  ")
        let rightWidth = min(TextWidth.width(of: text), grid.width / 3)
        let arrow = grid.unicode ? " › " : " > "
        let crumbs = breadcrumbs
        // Crumbs are cut only as far as the room needs, the widest of those above first: the
        // last (where you are, drawn brightest) keeps its name, and a short crumb gives the
        // room it does not use to a long one.
        let room = grid.width - rightWidth - 3 - arrow.count * (crumbs.count - 1)
        var widths = crumbs.map { TextWidth.width(of: TextWidth.fit($0, columns: Int.max / 4, unicode: grid.unicode)) }
        var over = widths.reduce(0, +) - room
        while over > 0 {
            let above = widths.indices.dropLast().filter { widths[$0] > 6 }
            guard let widest = above.max(by: { widths[$0] < widths[$1] }) else { break }
            widths[widest] -= 1; over -= 1
        }
        if over > 0, let last = widths.indices.last { widths[last] = max(6, widths[last] - over) }
        var x = 1
        for (i, c) in crumbs.enumerated() {
            if i > 0 { x += grid.put(arrow, x: x, y: 1, role: .muted) }
            x += grid.put(c, x: x, y: 1, maxWidth: min(widths[i], max(1, grid.width - rightWidth - 2 - x)), role: i == crumbs.count - 1 ? .title : .accent)
        }
        if !text.isEmpty && x + 2 < grid.width {
            grid.put(text, x: max(x + 2, grid.width - rightWidth - 1), y: 1, maxWidth: rightWidth, role: .muted)
        }
    }

    /// What the message line says, if anything: why the input stopped, the latest message, or
    /// the case journal's trouble.
    func currentMessage() -> (text: String, role: StyleRole)? {
        if let error = status.error { return ("input stopped: " + error, .warning) }
        if let m = message { return (m.text, m.role) }
        if let e = journalError {
            return ("journal: \(e)" + (pending.isEmpty ? "" : " — \(pending.count) decision\(pending.count == 1 ? "" : "s") pending, retrying"), .warning)
        }
        return nil
    }

    /// Rows a message may take: a usage, the list of commands or a theme's problems is read
    /// whole rather than cut at the screen's edge.
    static let messageRowsMax = 3

    /// The message wrapped to `width`, in at most `messageRowsMax` rows (the last cut with an
    /// ellipsis if even those are too few).
    func messageRows(width: Int) -> [String] {
        guard let m = currentMessage() else { return [] }
        var rows = TextPane.wrap(m.text, width: max(10, width - 2), unicode: unicode)
        if rows.count > Self.messageRowsMax {
            let rest = rows[(Self.messageRowsMax - 1)...].joined(separator: " ")
            rows = Array(rows.prefix(Self.messageRowsMax - 1)) + [TextWidth.fit(rest, columns: max(10, width - 2), unicode: unicode)]
        }
        return rows
    }

    func drawMessage(into grid: inout ScreenGrid, _ area: Rect) {
        guard let m = currentMessage() else { return }
        for (i, row) in messageRows(width: grid.width).prefix(area.height).enumerated() {
            grid.put(" " + row, x: 0, y: area.y + i, role: m.role)
        }
    }

    func drawFooter(into grid: inout ScreenGrid, y: Int) {
        grid.fill(x: 0, y: y, count: grid.width, role: .footer)
        let prompt: (String, String)?
        switch input {
        case .none: prompt = nil
        case .filter(let t): prompt = ("/", t)
        case .command(let t): prompt = (":", t)
        case .note(let t): prompt = ("note: ", t)
        }
        if let (p, t) = prompt {
            var x = grid.put(p, x: 0, y: y, role: .footerKey)
            // The cursor where the line is being edited; a long line scrolls to keep it in view.
            let room = grid.width - x - 1
            let chars = line.text == t ? line.characters : Array(t)
            let cursor = line.text == t ? line.cursor : chars.count
            var before = String(chars[..<cursor])
            while TextWidth.width(of: before) > room - 1 && !before.isEmpty { before.removeFirst() }
            x += grid.put(before, x: x, y: y, maxWidth: room, role: .input)
            x += grid.put(grid.unicode ? "▏" : "_", x: x, y: y, maxWidth: 1, role: .input)
            grid.put(String(chars[cursor...]), x: x, y: y, maxWidth: max(0, grid.width - x), role: .input)
            return
        }
        // Like htop's function bar: help and quit always, then the rest by rank as room allows.
        var x = 0
        for e in keymap.footerEntries(fitting: grid.width, offered: footerOffers) {
            x += grid.put(" " + e.key, x: x, y: y, role: .footerKey)
            x += grid.put(" " + e.text + " ", x: x, y: y, role: .footer)
        }
    }

    /// Whether the view on screen has rows with a pane beside them, for Tab to move between:
    /// a list of a tie's values has rows only.
    var hasSidePane: Bool {
        if case .tieValues = view { return false }
        return currentTable() != nil
    }

    /// Whether the footer lists a key bound to `action` in the view on screen: only where the
    /// key acts, since a key listed where it does nothing misleads.
    func footerOffers(_ action: Action) -> Bool {
        let hasRows = currentTable() != nil
        switch action {
        // Open and sort need rows; why-together needs a cluster whose accounts are listed.
        case .drillDown, .cycleSort: return hasRows
        case .whyTogether:
            switch view {
            case .clusters, .accounts: return true
            default: return false
            }
        // A list of shared values has no pane beside it; one exchange, the help and the
        // rejected lines are all pane.
        case .nextPane: return hasSidePane
        // The help is searched with /; one exchange and the rejected lines refuse it.
        case .filter: return hasRows || view == .help
        // Decisions need a cluster or an account, which the help and the rejected lines lack.
        case .markSuspect, .markWatch, .markClear, .addNote, .export: return view != .help && view != .rejected
        // Back clears a filter or leaves a level; the top list with no filter has neither.
        case .back: return navigation.depth > 1 || navigation.top.filter != nil
        default: return true
        }
    }

    // MARK: Views

    func drawTable(into grid: inout ScreenGrid, _ area: Rect) {
        guard !area.isEmpty, let table = currentTable() else { return }
        let s = navigation.top
        TableWidget.render(table.model, into: &grid, x: area.x, y: area.y, width: area.width, height: area.height,
                           selected: table.model.rows.isEmpty ? nil : min(s.selected, table.model.rows.count - 1), scroll: s.scroll,
                           focused: s.pane == 0, sortColumn: s.sortColumn, descending: s.descending)
    }

    /// The columns of the current table as drawn across `width`, for mapping a click to one.
    func tableColumns(width: Int) -> [(id: String, x: Range<Int>)] {
        guard let table = currentTable() else { return [] }
        var columns: [(id: String, x: Range<Int>)] = []
        var x = 0
        for c in TableWidget.layout(table.model.columns, width: width) {
            columns.append((table.model.columns[c.index].id, x..<(x + c.width)))
            x += c.width + 1
        }
        return columns
    }

    func drawRateHeading(into grid: inout ScreenGrid, _ area: Rect) {
        guard !area.isEmpty else { return }
        let rate = snapshot.minuteRate
        let label = "ex/min "
        let figuresRoom = 36
        let sparkWidth = max(4, min(rate.count, grid.width - label.count - figuresRoom - 2))
        let fig = Sparkline.figures(rate, width: sparkWidth)
        var x = grid.put(" " + label, x: 0, y: area.y, role: .muted)
        x += grid.put(Sparkline.render(rate, width: sparkWidth, unicode: grid.unicode), x: x, y: area.y, maxWidth: sparkWidth, role: .sparkline)
        grid.put(" min \(Format.compact(fig.min))  max \(Format.compact(fig.max))  last \(Format.compact(fig.last))  (\(sparkWidth) min)", x: x, y: area.y, role: .muted)
    }

    func drawClusterSummary(into grid: inout ScreenGrid, _ area: Rect, cluster c: ClusterSnapshot?) {
        guard !area.isEmpty else { return }
        guard let c else { grid.put(" cluster no longer present", x: 0, y: area.y, role: .warning); return }
        let stale = !snapshot.clusters.contains { $0.key == c.key }
        var x = grid.put(" " + c.verdict.rawValue, x: 0, y: area.y, role: Self.verdictRole(c.verdict))
        x += grid.put("  risk \(Format.twoDecimals(c.risk))  \(Format.counted(c.accounts.count, "account"))  \(Format.counted(c.exchanges, "exchange"))  first \(Format.shortTime(c.firstSeen))  flagged \(Format.shortTime(c.flaggedAt))",
                      x: x, y: area.y, role: .text)
        if stale { grid.put("  (merged or gone since opened)", x: x, y: area.y, role: .warning) }
    }

    func drawSessionHeading(into grid: inout ScreenGrid, _ area: Rect, account: String, session: String?) {
        guard !area.isEmpty else { return }
        let info = source?.sessions(account).first { $0.id == session }
        var line = " account \(account)  session \(session ?? "(none)")"
        if let info { line += "  \(Format.counted(info.turns, "turn"))  \(Format.shortTime(info.firstSeen)) → \(Format.shortTime(info.lastSeen))  last \(info.recent.count) kept" }
        grid.put(line, x: 0, y: area.y, role: .text)
    }

    /// The rejected lines kept: the first few, then the latest (each once), as source:line,
    /// reason and the decoder's message, sanitised like all text from the input.
    func rejectedLines(width: Int) -> [Line] {
        guard status.rejected > 0 else { return [[Segment(" no line of the input has been rejected", .muted)]] }
        let first = status.firstRejections
        let seen = Set(first.map { "\($0.source):\($0.line)" })
        let latest = status.latestRejections.filter { !seen.contains("\($0.source):\($0.line)") }
        var out: [Line] = []
        // Columns as wide as what they hold, within a share of the pane; a place too long for
        // its column keeps its end (the file's name and the line), the message wraps under itself.
        let shown = first + latest
        let placeWidth = min((shown.map { TextWidth.width(of: "\($0.source):\($0.line)") }.max() ?? 0) + 1, max(12, width / 3))
        let reasonWidth = min((shown.map { TextWidth.width(of: $0.reason) }.max() ?? 0) + 1, max(10, width / 4))
        let messageWidth = max(10, width - 4 - placeWidth - reasonWidth)
        func section(_ title: String, _ samples: [RejectionSample]) {
            guard !samples.isEmpty else { return }
            if !out.isEmpty { out.append([]) }
            out.append([Segment(" " + title, .header)])
            for r in samples {
                let place = Self.keepingEnd("\(r.source):\(r.line)", columns: placeWidth - 1, unicode: unicode)
                let reason = TextWidth.fit(r.reason, columns: reasonWidth - 1, unicode: unicode)
                for (i, part) in TextPane.wrap(r.message, width: messageWidth, unicode: unicode).enumerated() {
                    out.append(i == 0 ? [Segment("   " + place.padding(placeWidth), .accent), Segment(reason.padding(reasonWidth), .warning), Segment(part, .text)]
                                      : [Segment(String(repeating: " ", count: 3 + placeWidth + reasonWidth), .text), Segment(part, .text)])
                }
            }
        }
        section("First \(first.count) rejected", first)
        section("Latest \(latest.count) rejected", latest)
        let kept = first.count + latest.count
        if status.rejected > kept {
            out += [[], [Segment(" \(Format.grouped(status.rejected - kept)) more \(status.rejected - kept == 1 ? "was" : "were") counted and not kept (the first \(InputLedger.keptSamples) and the latest \(InputLedger.keptLatest) are)", .muted)]]
        }
        return out
    }

    /// `text` in at most `columns`, cut at its start with an ellipsis when longer.
    static func keepingEnd(_ text: String, columns: Int, unicode: Bool) -> String {
        let clean = TextWidth.fit(text, columns: Int.max / 4, unicode: unicode)
        guard TextWidth.width(of: clean) > columns, columns > 1 else { return clean }
        var kept = "", used = 0
        for c in clean.reversed() {
            let w = TextWidth.width(of: c)
            if used + w > columns - 1 { break }
            kept.insert(c, at: kept.startIndex); used += w
        }
        return (unicode ? "…" : "~") + kept
    }

    // MARK: Pane contents

    func evidenceLines(_ c: ClusterSnapshot, width: Int) -> [Line] {
        var out: [Line] = []
        let shown = shownVerdict(c)
        out.append([Segment(" " + shown.verdict.rawValue + (shown.pinned ? " (pinned by analyst; detector: \(c.verdict.rawValue))" : ""), Self.verdictRole(shown.verdict)),
                    Segment("  risk \(Format.twoDecimals(c.risk))  \(Format.counted(c.accounts.count, "account"))  \(Format.counted(c.exchanges, "exchange"))  first seen \(Format.shortTime(c.firstSeen))  flagged \(Format.shortTime(c.flaggedAt))", .text)])
        if let note = c.verdictNote {
            for part in TextPane.wrap(note, width: max(10, width - 2), unicode: unicode) { out.append([Segment(" " + part, .muted)]) }
        }
        if let r = book.record(.cluster, c.key) { out += caseLines(r, current: c.accounts) }
        out += pendingLines(.cluster, c.key)
        let sorted = c.signals.sorted { abs($0.weight) > abs($1.weight) }
        for s in sorted {
            let w = (s.weight >= 0 ? "+" : "") + Format.twoDecimals(s.weight)
            let role: StyleRole = s.weight >= 1 ? .riskHigh : s.weight > 0 ? .riskMid : .clear
            let head = " " + String(repeating: " ", count: max(0, 6 - w.count)) + w + "  "
            // The detail wraps under itself, so the end of a long one (what a harness harvests,
            // how its conversations open) is read, not cut; a pane too narrow keeps one line.
            // Every wrapped line is kept: the pane scrolls, and a line dropped without a mark
            // would end a sentence mid-way on a split-screen terminal.
            let indent = head.count + s.name.count + 2
            let parts = width - indent >= 24 ? TextPane.wrap(s.detail, width: width - indent, unicode: unicode) : [s.detail]
            out.append([Segment(head, role), Segment(s.name, .header), Segment("  ", .text), Segment(parts.first ?? "", .text)])
            for part in parts.dropFirst() { out.append([Segment(String(repeating: " ", count: indent), .text), Segment(part, .text)]) }
            for e in s.examples.prefix(6) {
                for (i, part) in TextPane.wrap(e, width: max(10, width - 14), unicode: unicode).enumerated() {
                    out.append([Segment(i == 0 ? (unicode ? "           · " : "           - ") : "             ", .muted), Segment(part, .muted)])
                }
            }
            if s.examples.count > 6 { out.append([Segment("             … \(s.examples.count - 6) more", .muted)]) }
        }
        // As many accounts as fit on the line; the count comes first, so it is never the part cut.
        let label = c.accounts.count > 1 ? " accounts (\(c.accounts.count)): " : " account: "
        let more = ", … (Enter lists all)"
        var listed = ""
        var listedCount = 0
        for a in c.accounts {
            let next = (listedCount == 0 ? "" : ", ") + a
            let room = width - label.count - TextWidth.width(of: listed) - (listedCount + 1 < c.accounts.count ? more.count : 0)
            guard TextWidth.width(of: next) <= room || listedCount == 0 else { break }
            listed += next
            listedCount += 1
        }
        out.append([Segment(label, .muted), Segment(listed + (listedCount < c.accounts.count ? more : ""), .text)])
        return out
    }

    static func valueList(_ v: CappedValues) -> String {
        let items = v.sorted.map { "\($0.value) (\(Format.compact($0.count)))" }
        guard !items.isEmpty else { return "-" }
        return items.joined(separator: ", ") + (v.overflow > 0 ? ", + \(Format.compact(v.overflow)) \(Format.plural(v.overflow, "exchange")) with other values" : "")
    }

    func accountLines(_ a: String, width: Int) -> [Line] {
        var out: [Line] = []
        // The analyst's case first: it is what a second look needs.
        if let r = book.record(.account, a) { out += caseLines(r, current: nil) }
        out += pendingLines(.account, a)
        let f = source?.accountFigures(a)
        let d = source?.accountDetail(a)
        if let f {
            out.append([Segment(" exchanges ", .muted), Segment(Format.grouped(f.exchanges), .text),
                        Segment("  first ", .muted), Segment(Format.shortTime(f.firstSeen), .text),
                        Segment("  last ", .muted), Segment(Format.shortTime(f.lastSeen), .text),
                        Segment("  flagged ", .muted), Segment(Format.shortTime(f.flaggedAt), f.flaggedAt == nil ? .muted : .warning)])
            let single = f.sessions == 0 ? "-" : Format.percent(Double(f.singleTurnSessions) / Double(f.sessions))
            let reasoning = f.outputTokens == 0 ? "-" : Format.percent(Double(f.reasoningTokens) / Double(f.outputTokens))
            out.append([Segment(" tokens ", .muted), Segment("in \(Format.compact(f.meanInput)) → out \(Format.compact(f.meanOutput)) avg", .text),
                        Segment("  reasoning ", .muted), Segment(reasoning, .text),
                        Segment("  CoT prompts ", .muted), Segment("\(Format.percent(f.cotShare)) of \(Format.grouped(f.prompts))", f.cotShare >= 0.5 ? .warning : .text),
                        Segment("  conversations ", .muted), Segment("\(Format.grouped(f.sessions)) (\(single) a single exchange)", .text),
                        Segment("  429 ", .muted), Segment(Format.grouped(f.rateLimited), .text)])
            let sw = max(8, min(48, width - 40))
            let fig = Sparkline.figures(f.hourly, width: sw)
            out.append([Segment(" ex/h   ", .muted), Segment(Sparkline.render(f.hourly, width: sw, unicode: unicode), .sparkline),
                        Segment("  min \(fig.min) max \(fig.max) last \(fig.last)", .muted)])
        }
        if d == nil, let f, f.firstCard != nil || f.firstOrg != nil {
            // No drill-down detail: the first card and org the detector keeps, said as such.
            for (label, value) in [("card", f.firstCard), ("org", f.firstOrg)] {
                out.append([Segment(" " + label.padding(12), .muted), Segment(value ?? "-", .text),
                            Segment(value == nil ? "" : "  (first used; no other detail kept)", .muted)])
            }
        }
        if let d {
            let rows: [(String, CappedValues)] = [("cards", d.cards), ("orgs", d.orgs), ("api keys", d.apiKeys), ("IPs", d.ips), ("ASNs", d.asns),
                                                  ("countries", d.countries), ("user agents", d.userAgents), ("models", d.models)]
            // Every value in full: a long list wraps under its label instead of running off the pane.
            for (label, v) in rows { out += labelled(label, Self.valueList(v), labelWidth: 12, width: width) }
        }
        if f == nil && d == nil { out.append([Segment(" no detail kept for this account", .muted)]) }
        return out
    }

    /// A label and its value, the value wrapped under itself past the label's column.
    func labelled(_ label: String, _ value: String?, labelWidth: Int, width: Int, role: StyleRole = .text) -> [Line] {
        described(label, value ?? "-", indent: labelWidth, width: width, role: .muted, lead: " ", minimumWrap: 10,
                  textRole: value == nil ? .muted : role)
    }

    func exchangeLines(_ e: ExchangeExcerpt, width: Int) -> [Line] {
        var out: [Line] = []
        func field(_ k: String, _ v: String?, _ role: StyleRole = .text) { out += labelled(k, v, labelWidth: 14, width: width, role: role) }
        let (st, role) = Self.statusText(e)
        field("time", Timestamp.format(e.ts))
        field("request", e.requestID); field("session", e.sessionID); field("api key", e.apiKeyID); field("org", e.orgID)
        field("model", e.model)
        // Exact here, where one exchange is checked against the rules: 1,499 and 1,500 output
        // tokens are both "1.5k", yet only the second is a long output.
        func exact(_ v: Int64?) -> String { v.map { Format.grouped(Int($0)) } ?? "-" }
        field("tokens", "in \(exact(e.inputTokens))  out \(exact(e.outputTokens))  reasoning \(exact(e.reasoningTokens))")
        field("latency", e.latencyMs.map { "\(Format.grouped(Int($0))) ms" })
        field("status", st, role)
        field("client", [e.clientIP, e.asn.map { "AS\($0)" }, e.country].compactMap { $0 }.joined(separator: "  "))
        field("user agent", e.userAgent); field("card", e.paymentFP); field("end user", e.endUserID)
        field("system prompt", e.systemFP); field("tool schema", e.toolsFP)
        let cues = e.promptExcerpt.map(CuePhrases.extraction(in:)) ?? []
        if !cues.isEmpty {
            field("counted as", cues.map { "\"\($0.phrase)\" (\(CuePhrases.name($0.cue)))" }.joined(separator: ", "), .warning)
        }
        out.append([Segment(" prompt" + (e.promptTruncated ? " (first \(ExchangeInspector.excerptLimit) characters)" : ""), .muted)])
        for part in TextPane.wrap(e.promptExcerpt ?? "-", width: max(10, width - 4), unicode: unicode) {
            out.append([Segment("   ", .text)] + Self.highlighted(part, cues.map(\.phrase)))
        }
        return out
    }

    /// `line` as segments, with every occurrence of `phrases` (any case) drawn as a warning.
    static func highlighted(_ line: String, _ phrases: [String]) -> [Segment] {
        guard !phrases.isEmpty else { return [Segment(line, .text)] }
        let chars = Array(line)
        let lowered = chars.map { $0.lowercased() }
        var marked = [Bool](repeating: false, count: chars.count)
        for phrase in phrases {
            let p = Array(phrase.lowercased()).map(String.init)
            guard !p.isEmpty, p.count <= chars.count else { continue }
            for start in 0...(chars.count - p.count) where !marked[start] {
                if (0..<p.count).allSatisfy({ lowered[start + $0] == p[$0] }) {
                    for k in start..<(start + p.count) { marked[k] = true }
                }
            }
        }
        var out: [Segment] = []
        var i = 0
        while i < chars.count {
            var j = i
            while j < chars.count && marked[j] == marked[i] { j += 1 }
            out.append(Segment(String(chars[i..<j]), marked[i] ? .warning : .text))
            i = j
        }
        return out
    }

    /// The help's lines that match the help's filter, each under its section's heading.
    func searched(_ lines: [Line]) -> [Line] {
        guard let f = navigation.top.filter else { return lines }
        // A section is its heading (one or more lines) and its entries; an entry is its first
        // line and the lines its text wrapped onto, which start blank. Entries are matched as
        // one text and shown whole, under their heading.
        var sections: [(heading: [Line], entries: [[Line]])] = [([], [])]
        for line in lines where !line.isEmpty {
            let last = sections.count - 1
            if line.first?.role == .header {
                if sections[last].entries.isEmpty && !sections[last].heading.isEmpty { sections[last].heading.append(line) }
                else { sections.append(([line], [])) }
                continue
            }
            let continues = line.first.map { !$0.text.isEmpty && $0.text.allSatisfy { $0 == " " } } ?? false
            if continues && !sections[last].entries.isEmpty { sections[last].entries[sections[last].entries.count - 1].append(line) }
            else { sections[last].entries.append([line]) }
        }
        var out: [Line] = []
        for section in sections {
            let matching = section.entries.filter { f.matches($0.map { $0.map(\.text).joined() }.joined(separator: " ")) }
            guard !matching.isEmpty else { continue }
            if !out.isEmpty { out.append([]) }
            out += section.heading
            for entry in matching { out += entry }
        }
        return out.isEmpty ? [[Segment(" nothing in the help matches '\(f.label)'", .muted)]] : out
    }

    /// Lines of `description` under a key column `indent` wide, wrapped to `width`.
    /// `lead` goes before the key; the text starts `lead` and `indent` columns in, in `textRole`.
    func described(_ key: String, _ description: String, indent: Int, width: Int, role: StyleRole = .footerKey,
                   lead: String = "   ", minimumWrap: Int = 20, textRole: StyleRole = .text) -> [Line] {
        let parts = TextPane.wrap(description, width: max(minimumWrap, width - lead.count - indent - 1), unicode: unicode)
        return parts.enumerated().map { i, part in
            [Segment(i == 0 ? lead + key.padding(indent) : String(repeating: " ", count: lead.count + indent), role), Segment(part, textRole)]
        }
    }

    /// What the verdicts, the tables' columns and every signal mean.
    func glossaryLines(width: Int) -> [Line] {
        var out: [Line] = [[], [Segment(" Verdicts", .header)]]
        for (v, d) in [("suspect", "risk at or above the suspect threshold (0.8 at the default sensitivity) with enough prompts to rest on: an operation to act on"),
                       ("watch", "risk at or above the watch threshold (0.5): worth a look, not yet enough to act"),
                       ("clear", "below both; a clear cluster of several accounts is listed so it can be seen and cleared")] {
            out += described(v, d, indent: 22, width: width)
        }
        out += [[], [Segment(" Columns", .header)]]
        for (c, d) in [("RISK", "logistic(-3 + the sum of the signals' weights): 0 to 1, with a bar"),
                       ("CLUSTER", "its earliest account; ACCTS how many accounts, EXCH how many exchanges"),
                       ("RATE/h 48h", "exchanges per stream hour over the last 48 hours (each bar the busiest hour of the few it stands for), and the last hour's count"),
                       ("TOP SIGNALS", "the strongest evidence, by weight (Enter or the evidence pane for all of it)"),
                       ("FLAGGED AT", "stream time at which it, or its first account, became suspect"),
                       ("ANALYST", "the case journal's decision: suspect, watch, cleared, snoozed"),
                       ("COT", "share of the account's prompts that ask for reasoning traces"),
                       ("IN→OUT avg", "mean input and output tokens per exchange")] {
            out += described(c, d, indent: 22, width: width)
        }
        out += [[], [Segment(" Signals (weight: log-odds added at full strength)", .header)]]
        for rule in RuleTable.glossary {
            out += described(rule.name + String(format: " %+.1f", rule.weight), rule.feature, indent: 30, width: width)
        }
        return out
    }

    func helpLines(width: Int = 120) -> [Line] {
        var out: [Line] = []
        for h in keymap.helpLines() {
            if h.isGroup { out.append([]); out.append([Segment(" " + h.keys, .header)]) }
            else { out += described(h.keys, h.description, indent: 22, width: width) }
        }
        out.append([])
        out.append([Segment(" Commands (after :)", .header)])
        out += commandHelpLines(.general, usageWidth: 22, width: width)
        out.append([])
        out.append([Segment(" Editing a prompt (/, : and notes)", .header)])
        for (k, d) in [("← → Home End", "move (also Ctrl+B, Ctrl+F, Ctrl+A, Ctrl+E)"),
                       ("Ctrl+W Ctrl+U Ctrl+K", "cut the word before the cursor, all before it, all after it"),
                       ("↑ ↓", "earlier entries of this prompt"),
                       ("Tab", "complete a command and its arguments (after :)")] {
            out += described(k, d, indent: 22, width: width)
        }
        out.append([])
        out.append([Segment(" Marks", .header)])
        out += described(unicode ? "✚" : "+", "new cluster (first seen in the last stream hour)", indent: 2, width: width, role: .newMark)
        out += described(unicode ? "▲" : "^", "rising (last hour ≥ 1.5× the six before)", indent: 2, width: width, role: .newMark)
        out += described("␛", "control characters from logs are shown as placeholders, never sent to the terminal",
                         indent: 2, width: width, role: .placeholder)
        out.append([])
        let journal = caseStore.map { "decisions are saved, as they are made, in " + $0.location } ?? "no case journal: decisions cannot be kept"
        for (i, part) in TextPane.wrap(journal, width: max(20, width - 12), unicode: unicode).enumerated() {
            out.append([Segment(i == 0 ? " Triage: " : "         ", .header), Segment(part, caseStore == nil ? .warning : .text)])
        }
        out += commandHelpLines(.triage, usageWidth: 28, width: width)
        return out + glossaryLines(width: width)
    }
}

extension String {
    func padding(_ width: Int) -> String {
        let w = TextWidth.width(of: self)
        return w >= width ? self + " " : self + String(repeating: " ", count: width - w)
    }
}
