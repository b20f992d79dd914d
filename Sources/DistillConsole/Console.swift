import DistillCore

/// The console's model: what is on screen and what keys do, with no terminal in sight.
/// The host feeds it snapshots and keys, applies the effects it returns, and asks it to
/// render into a `ScreenGrid`.
public final class Console {
    public let keymap: Keymap
    public private(set) var snapshot: Snapshot
    public var status: FeedStatus
    public var source: ConsoleDataSource?
    /// The case journal; nil: decisions cannot be kept (the console says so).
    public var caseStore: CaseStore? { didSet { reloadCases() } }
    /// Cases from the journal, attached to the clusters on screen.
    public internal(set) var book = CaseBook()
    /// Changes the journal has not taken yet, oldest first.
    public internal(set) var pending: [PendingChange] = []
    /// Why the journal last failed; nil when it is fine.
    public internal(set) var journalError: String?
    /// The journal could only be opened for reading (an auditor's copy, a file without write
    /// permission): decisions are shown, and new ones are refused rather than queued.
    public var journalReadOnly = false
    /// Who decides: `$USER` unless overridden.
    public var analyst = "analyst"
    var evidenceRefreshedAt: [Int64: StreamTime] = [:]
    var lastUndoFoundNothing = false
    var lastUndone: String?
    public private(set) var input: InputMode = .none
    /// The prompt being edited (its text is also in `input`), and each prompt's history.
    public private(set) var line = LineEdit()
    var histories: [String: PromptHistory] = [:]
    public private(set) var message: (text: String, role: StyleRole)?
    public var themeName = "dark"
    /// The terminal the console is drawn on, as the host last said (`resize`).
    public internal(set) var screen = ScreenSize(width: 120, height: 40, unicode: true)
    /// False without a UTF-8 locale: ASCII marks and glyphs.
    public var unicode: Bool { screen.unicode }
    public var availableThemes: [String] = Theme.builtIn.map(\.name)
    /// The drill-down path and each level's selection; drawing reads it and never writes it.
    public internal(set) var navigation = Navigation()
    /// Stream time each cluster key was first shown, for the "new" mark.
    var firstShown: [String: StreamTime] = [:]
    /// Clusters the analyst has had on screen before a seek back.
    var shownBeforeSeek: Set<String> = []
    /// Short ids (C1, C2…) in the order clusters were first shown; kept across seeks, so a
    /// cluster keeps its name for the whole session.
    var shortIDs: [String: Int] = [:]
    /// Stream time of the first snapshot with clusters.
    var firstData: StreamTime?
    /// Bumped whenever the snapshot changes, to invalidate cached rows.
    var generation = 0
    var cachedTable: (generation: Int, depth: Int, view: View, filter: RowFilter?, sort: String?, descending: Bool, model: TableModel, total: Int)?
    /// The why-together view's ties for one cluster, asked of the source once per snapshot.
    var cachedTies: (generation: Int, key: String, ties: [TieDetail])?

    public init(snapshot: Snapshot = Console.emptySnapshot, status: FeedStatus, source: ConsoleDataSource? = nil, keymap: Keymap = .standard,
                caseStore: CaseStore? = nil, analyst: String = "analyst") {
        self.snapshot = snapshot
        self.status = status
        self.source = source
        self.keymap = keymap
        self.caseStore = caseStore
        self.analyst = analyst
        noteFirstShown()
        reloadCases()
    }

    public static let emptySnapshot = Snapshot.make(streamTime: nil, streamStart: nil, exchanges: 0, accounts: 0, clusters: [],
                                               minuteRate: Array(repeating: 0, count: Snapshot.minuteBuckets))

    public var view: View { navigation.top.view }
    public var breadcrumbs: [String] { navigation.levels.map { Self.crumb($0.view) } }

    static func crumb(_ v: View) -> String {
        switch v {
        case .clusters: return "Clusters"
        case .accounts(let c): return "cluster " + c
        case .account(let a): return "account " + a
        case .session(_, let s): return "session " + (s ?? "(none)")
        case .exchange(_, _, let i): return "exchange #\(i + 1)"
        case .ties(let c): return "why together · " + c
        case .tieValues(_, let kind): return kind.label
        case .sharedValue(_, let v, let display): return v.kind.label + " " + display
        case .help: return "Help"
        case .rejected: return "Rejected lines"
        }
    }

    public func update(snapshot: Snapshot) {
        self.snapshot = snapshot
        generation += 1
        noteFirstShown()
        if !warnedProxyIdentity, let warning = ProxyIdentity.warning(for: snapshot) {
            warnedProxyIdentity = true
            say(warning, .warning)
        }
        casesAfterUpdate()
        if followsTop { navigation.root.selected = 0; navigation.root.selectedKey = nil }
        settle()
    }

    /// Whether the cluster list's selection stays on its top row as rows come and go (as htop's
    /// follow): on at start, so a suspect cluster that appears above the selection is selected;
    /// off once the analyst moves, so the row they chose stays chosen.
    public var followsTop: Bool { navigation.followsTop }
    /// The cluster list also shows what the allowlist set aside (the host asks the detector for it).
    public var showsAllowlisted: Bool { navigation.showsAllowlisted }

    /// The data source's detail changed (drill-down answered from elsewhere): the table on
    /// screen is built again.
    public func sourceChanged() { generation += 1 }

    /// The proxy-identity warning is said once on the message line; the status bar keeps it.
    private var warnedProxyIdentity = false

    func stopFollowing() {
        if navigation.depth == 1 { navigation.followsTop = false }
    }

    private func noteFirstShown() {
        let now = snapshot.streamTime ?? 0
        if firstData == nil && !snapshot.clusters.isEmpty { firstData = now }
        for c in snapshot.clusters where firstShown[c.key] == nil { firstShown[c.key] = now }
        for c in snapshot.clusters where shortIDs[c.key] == nil { shortIDs[c.key] = shortIDs.count + 1 }
    }

    /// Replay seeking back: the detector starts over, so "first shown" marks start over too; the
    /// clusters shown before the seek are not news when they form again.
    public func restart(snapshot: Snapshot) {
        shownBeforeSeek.formUnion(firstShown.keys)
        firstShown = [:]
        firstData = nil
        update(snapshot: snapshot)
    }

    /// After `]` or `[` stopped the replay at `moment`: selects, in the cluster table, the riskiest
    /// cluster flagged then and says what changed. The analyst's drill-down is left as it is.
    public func showNewlySuspect(at moment: StreamTime) {
        let flagged = snapshot.clusters.filter { $0.verdict == .suspect && $0.flaggedAt == moment }
            .sorted { ($0.risk, $1.key) > ($1.risk, $0.key) }
        guard let top = flagged.first else {
            // No cluster's flag is this moment: accounts were flagged joining a cluster that was
            // suspect already. Name it and how many joined.
            let joined = snapshot.clusters.filter { $0.verdict == .suspect }
                .map { c in (c, c.members.filter { $0.flaggedAt == moment }.count) }
                .filter { $0.1 > 0 }
                .sorted { ($0.1, $0.0.risk, $1.0.key) > ($1.1, $1.0.risk, $0.0.key) }
            guard let (cluster, count) = joined.first else {
                say("paused at \(Format.clock(moment)), where accounts were flagged; Space resumes")
                return
            }
            navigation.root.selectedKey = cluster.key
            navigation.followsTop = false
            settle()
            say("\(Format.counted(count, "account")) joined suspect cluster \(cluster.key) (risk \(String(format: "%.2f", cluster.risk)), \(Format.counted(cluster.accounts.count, "account"))) at \(Format.clock(moment)); paused, Space resumes",
                .warning)
            return
        }
        navigation.root.selectedKey = top.key
        navigation.followsTop = false
        let others = flagged.count > 1 ? " and \(flagged.count - 1) more" : ""
        settle()
        say("\(top.key) became suspect (risk \(String(format: "%.2f", top.risk)), \(top.accounts.count) account\(top.accounts.count == 1 ? "" : "s"))\(others) at \(Format.clock(moment)); paused, Space resumes",
            .warning)
    }

    /// Sets the one-line message under the content.
    public func say(_ text: String, _ role: StyleRole = .muted) { message = (text, role) }

    /// A cluster's short id, as shown in the ID column.
    public func shortID(_ key: String) -> String { shortIDs[key].map { "C\($0)" } ?? "-" }

    /// What binds a cluster, in a few words: its two strongest ties and how many accounts each
    /// joined ("card 36 · harness 33"), or "alone" for a single account.
    static func tieLabel(_ c: ClusterSnapshot) -> String {
        guard c.accounts.count > 1 else { return "alone" }
        let words = c.ties.prefix(2).map { "\(shortKindName($0.kind)) \($0.accounts)" }
        return words.isEmpty ? "-" : words.joined(separator: " · ")
    }

    static func shortKindName(_ kind: TieKind) -> String {
        switch kind {
        case .card: return "card"
        case .org: return "org"
        case .sharedAddress: return "address"
        case .infrastructure: return "infra"
        case .newcomer: return "newcomer"
        case .templateFamily: return "template"
        case .harnessCopies: return "harness"
        case .synchrony: return "in step"
        }
    }

    // MARK: Keys

    public func handle(_ key: Key) -> [ConsoleEffect] {
        let effects = respond(to: key)
        settle()
        return effects
    }

    private func respond(to key: Key) -> [ConsoleEffect] {
        if key == .resize { return [.redraw] }
        // Nothing on screen would show what a key did: only quitting and redrawing act.
        if layout().tooSmall {
            if key == .char("q") { return [.quit] }
            return keymap.action(for: key) == .redraw ? [.redraw] : []
        }
        if case .mouse(let event) = key { return mouse(event) }
        if case .paste(let text) = key { paste(text); return [] }
        switch input {
        case .none: break
        case .filter: return edit(key) { self.applyFilter($0) }
        case .command: return edit(key) { self.run(command: $0) }
        case .note: return edit(key) { self.addNote($0) }
        }
        // In one exchange, j and k step to the neighbouring exchange (the arrows still scroll).
        if case .exchange(let a, let s, let i) = view, key == .char("j") || key == .char("k") {
            stepExchange(account: a, session: s, from: i, by: key == .char("j") ? 1 : -1)
            return []
        }
        guard let action = keymap.action(for: key) else {
            if case .char(let c) = key, c.isLetter || c.isNumber || c.isPunctuation {
                say("'\(c)' does nothing here — press ? for help")
            }
            return []
        }
        return apply(action)
    }

    /// As htop and k9s: a click selects a row (or sorts by a header), a double click opens the
    /// row, the wheel moves the selection. The keyboard does all of it too.
    func mouse(_ event: MouseEvent) -> [ConsoleEffect] {
        guard input == .none else { return [] }
        switch event.kind {
        case .wheelUp:
            if navigation.top.pane == 1 { navigation.top.paneScroll = max(0, navigation.top.paneScroll - 3); return [] }
            return apply(.moveUp)
        case .wheelDown:
            if navigation.top.pane == 1 { navigation.top.paneScroll += 3; return [] }
            return apply(.moveDown)
        case .click, .doubleClick:
            let area = layout().table
            guard area.contains(x: event.x, y: event.y), currentTable() != nil else { return [] }
            if event.y == area.y {
                guard let column = tableColumns(width: area.width).first(where: { $0.x.contains(event.x - area.x) }) else { return [] }
                let s = navigation.top
                let descending = s.sortColumn == column.id ? !s.descending : (currentTable()?.model.columns.first { $0.id == column.id }?.numeric ?? false)
                if setSort(column.id, descending: descending) { say("sorted by \(column.id) \(descending ? "descending" : "ascending") — click again to reverse") }
                return []
            }
            let row = navigation.top.scroll + event.y - area.y - 1
            guard let table = currentTable(), row < table.model.rows.count else { return [] }
            navigation.top.pane = 0
            if navigation.depth == 1 && row != navigation.root.selected { stopFollowing() }
            move(to: row)
            return event.kind == .doubleClick ? apply(.drillDown) : []
        }
    }

    /// Pasted text goes into the prompt being edited as one line: a line break or a tab in it
    /// is a space, not Enter or completion, and other control characters are dropped. Outside
    /// a prompt none of its letters is taken as a key (a pasted "undo" must not undo).
    func paste(_ text: String) {
        guard input != .none else {
            say("pasted text is only taken in a prompt (/, : or a note)", .warning)
            return
        }
        var refused = false
        for c in text {
            if c.isNewline || c == "\t" {
                refused = line.apply(.char(" ")) == .full || refused
            } else if !c.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
                refused = line.apply(.char(c)) == .full || refused
            }
        }
        input = input.with(line.text)
        if refused { sayPromptFull(pasted: true) }
    }

    /// A character refused at the prompt's limit is said, or the end of a long paste or note
    /// would vanish unnoticed.
    func sayPromptFull(pasted: Bool = false) {
        say("prompt full (\(LineEdit.limit) characters)" + (pasted ? ": the rest of the paste was not taken" : ""), .warning)
    }

    /// Opens a prompt with `mode`'s text, the cursor at its end.
    func openPrompt(_ mode: InputMode) {
        input = mode
        line = LineEdit(mode.text)
        histories[mode.kind]?.stopBrowsing()
    }

    /// Line editing shared by the three prompts: shell keys, history on ↑/↓ (one per prompt),
    /// Tab completion of commands and their arguments.
    private func edit(_ key: Key, commit: (String) -> [ConsoleEffect]) -> [ConsoleEffect] {
        let kind = input.kind
        switch key {
        case .escape:
            histories[kind]?.stopBrowsing()
            input = .none; message = nil
            return []
        case .enter:
            let text = line.text
            histories[kind, default: PromptHistory()].record(text)
            input = .none
            return commit(text)
        case .backspace where line.characters.isEmpty:
            input = .none
            return []
        case .up:
            if let older = histories[kind, default: PromptHistory()].older(than: line.text) { replaceLine(with: older) }
        case .down:
            if let newer = histories[kind]?.newer() { replaceLine(with: newer) }
        case .tab:
            if case .command = input { completeCommand() }
        default:
            if line.apply(key) == .full { sayPromptFull() }
        }
        input = input.with(line.text)
        return []
    }

    private func completeCommand() {
        let text = line.text
        let candidates = completions(for: text)
        guard !candidates.isEmpty else { say("nothing to complete", .muted); return }
        let head = text.split(separator: " ", omittingEmptySubsequences: false).dropLast().joined(separator: " ")
        let prefix = head.isEmpty ? "" : head + " "
        if candidates.count == 1 {
            replaceLine(with: prefix + candidates[0] + " ")
        } else {
            say(candidates.joined(separator: "  "), .muted)
            replaceLine(with: prefix + LineEdit.commonPrefix(candidates))
        }
    }

    /// Puts a history entry or a completion in the prompt; one cut at the limit is said, as a
    /// character typed past it is.
    private func replaceLine(with text: String) {
        if line.replace(with: text) == .full { sayPromptFull() }
    }

    /// Does what a key bound to `action` does.
    public func perform(_ action: Action) -> [ConsoleEffect] {
        let effects = apply(action)
        settle()
        return effects
    }

    private func apply(_ action: Action) -> [ConsoleEffect] {
        // In the help, q closes it as Esc and ? do: reading the keys must not end the session.
        if view == .help && action == .quit { navigation.pop(); return [] }
        switch action {
        case .moveUp: stopFollowing(); move(by: -1)
        case .moveDown: stopFollowing(); move(by: 1)
        case .pageUp: stopFollowing(); move(by: -pageStep())
        case .pageDown: stopFollowing(); move(by: pageStep())
        case .top: move(to: 0)
        case .bottom: stopFollowing(); move(to: Int.max)
        case .showAllowlisted:
            navigation.showsAllowlisted.toggle()
            generation += 1  // the rows change before the next snapshot comes
            say(showsAllowlisted ? "showing clusters the allowlist set aside, as \"allowed\" (A hides them)" : "allowlisted clusters hidden (A shows them)")
        case .followTop:
            navigation.followsTop.toggle()
            if followsTop {
                navigation.root.selected = 0; navigation.root.selectedKey = nil
                say("following the top row of the cluster list (F stops)")
            } else {
                say("the selection stays where it is (F follows the top row again)")
            }
        case .drillDown: drillDown()
        case .back:
            if view == .help && navigation.top.filter != nil { navigation.top.filter = nil; navigation.top.paneScroll = 0; message = nil }
            // A filter in force goes first, at any level, as its hint says; then the level.
            else if navigation.top.filter != nil { navigation.top.filter = nil; say("filter cleared") }
            else if navigation.depth > 1 { navigation.pop(); message = nil }
        case .nextPane:
            // A view that is all pane keeps it focused, and rows with no pane keep the rows.
            if hasSidePane { navigation.top.pane ^= 1 }
        case .whyTogether: openWhyTogether()
        case .filter:
            if let refusal = filterRefusal { say(refusal, .warning); break }
            // Opens empty; ↑ brings back the filter in force and earlier ones.
            if let current = navigation.top.filter?.label, histories["/"]?.entries.last != current {
                histories["/", default: PromptHistory()].record(current)
            }
            openPrompt(.filter(""))
        case .nextMatch: stepMatch(1)
        case .previousMatch: stepMatch(-1)
        case .cycleSort: cycleSort()
        case .togglePause: return [.togglePause]
        case .faster: return [.scaleSpeed(2)]
        case .slower: return [.scaleSpeed(0.5)]
        case .step: return [.step]
        case .nextSuspect: return [.nextSuspect]
        case .previousSuspect: return [.previousSuspect]
        case .help:
            if view == .help { navigation.pop() } else { navigation.push(ViewState(view: .help)) }
        case .command: openPrompt(.command(""))
        case .redraw: return [.redraw]
        case .showRejected: openRejected()
        case .quit: return [.quit]
        case .markSuspect: decide(.suspect)
        case .markWatch: decide(.watch)
        case .markClear:
            guard triageTarget() != nil else { say("select a cluster or an account first", .warning); break }
            openPrompt(.command("clear "))
            say(Self.clearUsage)
        case .snooze:
            guard triageTarget() != nil else { say("select a cluster or an account first", .warning); break }
            openPrompt(.command("snooze "))
            say(Self.snoozeUsage)
        case .addNote:
            if triageTarget() != nil { openPrompt(.note("")) } else { say("select a cluster or an account to annotate", .warning) }
        case .undo: undoLast()
        case .export: return exportSelected()
        }
        return []
    }

    // MARK: Selection

    /// The current view's rows (filtered and sorted), cached per snapshot.
    public func currentTable() -> (model: TableModel, total: Int)? {
        let s = navigation.top
        if let c = cachedTable, c.generation == generation, c.depth == navigation.depth, c.view == s.view, c.filter == s.filter,
           c.sort == s.sortColumn, c.descending == s.descending {
            return (c.model, c.total)
        }
        guard var model = buildTable(for: s) else { return nil }
        let total = model.rows.count
        if let f = s.filter { model.rows = model.rows.filter { f.matches($0.haystack) } }
        if let sort = s.sortColumn, let col = model.columns.firstIndex(where: { $0.id == sort }) {
            let desc = s.descending
            // Stable: ties keep the detector's order.
            model.rows = model.rows.enumerated().sorted { a, b in
                let ka = a.element.sortKeys[col], kb = b.element.sortKeys[col]
                if ka == kb { return a.offset < b.offset }
                return desc ? kb < ka : ka < kb
            }.map(\.element)
        }
        cachedTable = (generation, navigation.depth, s.view, s.filter, s.sortColumn, s.descending, model, total)
        return (model, total)
    }

    /// Keeps the selection on the same row key across refreshes, else within bounds.
    func resolveSelection() {
        guard let table = currentTable() else { return }
        var s = navigation.top
        if let key = s.selectedKey, let i = table.model.rows.firstIndex(where: { $0.key == key }) { s.selected = i }
        s.selected = max(0, min(s.selected, table.model.rows.count - 1))
        s.selectedKey = table.model.rows.indices.contains(s.selected) ? table.model.rows[s.selected].key : nil
        navigation.top = s
    }

    /// What PgUp and PgDn move by: a page less one row, of the table's rows or, where the pane
    /// is what moves (the help, an exchange, a focused pane), of the pane's lines.
    func pageStep() -> Int {
        let l = layout()
        let rows = navigation.top.pane == 1 || currentTable() == nil ? l.pane.height - 1 : l.pageRows
        return max(1, rows - 1)
    }

    func move(by delta: Int) {
        if navigation.top.pane == 1 || currentTable() == nil {
            navigation.top.paneScroll = max(0, navigation.top.paneScroll + delta)
            return
        }
        resolveSelection()
        move(to: max(0, navigation.top.selected + delta))
    }

    func move(to index: Int) {
        if navigation.top.pane == 1 || currentTable() == nil {
            navigation.top.paneScroll = index == 0 ? 0 : 10_000
            return
        }
        guard let table = currentTable() else { return }
        let i = max(0, min(index, table.model.rows.count - 1))
        navigation.top.selected = i
        navigation.top.selectedKey = table.model.rows.indices.contains(i) ? table.model.rows[i].key : nil
        navigation.top.paneScroll = 0
    }

    /// The selected row's key: the row chosen before, wherever the latest rows put it, else the
    /// row at the selected position.
    public var selectedKey: String? {
        guard let rows = currentTable()?.model.rows, !rows.isEmpty else { return nil }
        let s = navigation.top
        if let key = s.selectedKey, rows.contains(where: { $0.key == key }) { return key }
        return rows[max(0, min(s.selected, rows.count - 1))].key
    }

    func stepMatch(_ step: Int) {
        guard let f = navigation.top.filter else { say("no filter: press / to set one"); return }
        guard let table = currentTable(), !table.model.rows.isEmpty else { say("no rows match '\(f.label)'", .warning); return }
        resolveSelection()
        let n = table.model.rows.count
        let i = ((navigation.top.selected + step) % n + n) % n
        move(to: i)
        say("match \(i + 1) of \(n) for '\(f.label)'")
    }

    func drillDown() {
        let s = navigation.top
        guard let key = selectedKey else { return }
        var next: ViewState
        switch s.view {
        case .clusters:
            next = ViewState(view: .accounts(cluster: key), sortColumn: "exchanges")
            next.cluster = snapshot.clusters.first { $0.key == key }
        case .accounts: next = ViewState(view: .account(key), sortColumn: "last")
        case .account(let a):
            let session: String? = key == Console.noSessionKey ? nil : String(key.dropFirst(2))
            next = ViewState(view: .session(account: a, session: session), sortColumn: nil)
        case .session(let a, let sess):
            let list = source?.exchanges(a, session: sess) ?? []
            guard let i = exchangeIndex(key, account: a, session: sess), i < list.count else { return }
            next = ViewState(view: .exchange(account: a, session: sess, index: i))
            next.exchange = list[i]
        case .ties, .tieValues, .sharedValue:
            guard let deeper = drillFromTies(s, key: key) else { return }
            next = deeper
        case .exchange, .help, .rejected: return
        }
        navigation.push(next)
    }

    static let noSessionKey = "-"

    // MARK: Sorting and filtering

    func cycleSort() {
        guard let table = currentTable() else { return }
        let cols = table.model.columns
        // Only columns on screen with a title: sorting by one the terminal dropped shows nothing
        // of the order chosen.
        var order = TableWidget.layout(cols, width: screen.width).map(\.index).filter { !cols[$0].title.isEmpty }
        if order.isEmpty { order = Array(cols.indices) }
        let current = order.firstIndex { cols[$0].id == navigation.top.sortColumn } ?? -1
        let next = cols[order[(current + 1) % order.count]]
        sort(by: next.id, descending: next.numeric)
        say("sorted by \(next.title.lowercased()) \(next.numeric ? "(largest first)" : "(A→Z)") — :sort COLUMN [asc|desc] to choose")
    }

    func setSort(_ name: String, descending: Bool?) -> Bool {
        guard let table = currentTable() else { return false }
        let n = name.lowercased()
        guard let col = table.model.columns.first(where: { $0.id == n || $0.title.lowercased() == n })
            ?? table.model.columns.first(where: { $0.id.hasPrefix(n) || $0.title.lowercased().hasPrefix(n) }) else { return false }
        sort(by: col.id, descending: descending ?? col.numeric)
        return true
    }

    /// Sorts the table on top; while the list follows its top row, that is the new top row.
    func sort(by column: String, descending: Bool) {
        navigation.top.sortColumn = column
        navigation.top.descending = descending
        if navigation.depth == 1 && followsTop { navigation.root.selected = 0; navigation.root.selectedKey = nil }
    }

    /// Why `/` and `:filter` refuse in the view on screen, or nil where they filter: one
    /// exchange and the rejected lines have no rows, so a filter stored there would do nothing.
    var filterRefusal: String? {
        switch view {
        case .exchange: return "nothing to filter in one exchange"
        case .rejected: return "nothing to filter in the rejected lines"
        default: return nil
        }
    }

    func applyFilter(_ text: String) -> [ConsoleEffect] {
        if let refusal = filterRefusal { say(refusal, .warning); return [] }
        let f = RowFilter(text)
        navigation.top.filter = f
        navigation.top.selected = 0
        navigation.top.selectedKey = nil
        if let f, view == .help {
            say("help lines matching '\(f.label)' — Esc shows all")
        } else if let f, let t = currentTable() {
            // An inverted filter's label starts with "!": "do not match '!x'" would say it twice.
            say("\(t.model.rows.count) of \(Format.counted(t.total, "row")) \(t.total == 1 ? "matches" : "match") '\(f.label)' — n/N step, Esc clears")
        } else {
            say("filter cleared")
        }
        return []
    }

    // MARK: Commands

    // MARK: Triage

    func addNote(_ text: String) -> [ConsoleEffect] {
        let t = text.trimmingCharacters()
        guard !t.isEmpty else { return [] }
        decide(.note, note: t)
        return []
    }
}

extension Console {
    /// Opens the list of rejected input lines (or returns to it).
    func openRejected() {
        if view == .rejected { return }
        navigation.push(ViewState(view: .rejected))
        if status.rejected == 0 { say("no line of the input has been rejected") }
    }
}

extension Console {
    /// Shows the exchange `by` places from `index` in its session's list, if there is one.
    func stepExchange(account: String, session: String?, from index: Int, by delta: Int) {
        let list = source?.exchanges(account, session: session) ?? []
        let count = list.count
        let next = index + delta
        guard next >= 0 && next < count else {
            say(delta > 0 ? "this is the last exchange kept for this session" : "this is the first exchange kept for this session")
            return
        }
        navigation.top.view = .exchange(account: account, session: session, index: next)
        navigation.top.exchange = list[next]
        navigation.top.paneScroll = 0
        // Back in the session's list, the exchange last shown is the one selected.
        if navigation.depth >= 2 { navigation.levels[navigation.depth - 2].selectedKey = Self.exchangeKeys(list)[next] }
        say("exchange \(next + 1) of \(count) kept (j next, k previous)")
    }
}
