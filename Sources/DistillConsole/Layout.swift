import DistillCore

/// The terminal the console is drawn on.
public struct ScreenSize: Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// False without a UTF-8 locale: ASCII marks and glyphs.
    public var unicode: Bool
    public init(width: Int, height: Int, unicode: Bool) { self.width = width; self.height = height; self.unicode = unicode }
}

/// A block of terminal cells. Layout cuts the screen into these instead of counting rows by hand.
public struct Rect: Equatable, Sendable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = max(0, width); self.height = max(0, height)
    }

    public static let none = Rect(x: 0, y: 0, width: 0, height: 0)
    public var isEmpty: Bool { width == 0 || height == 0 }
    public var bottom: Int { y + height }

    public func contains(x px: Int, y py: Int) -> Bool { px >= x && px < x + width && py >= y && py < y + height }

    /// The top `rows` rows (as many as there are), and what is below them.
    public func cutTop(_ rows: Int) -> (top: Rect, rest: Rect) {
        let n = max(0, min(rows, height))
        return (Rect(x: x, y: y, width: width, height: n), Rect(x: x, y: y + n, width: width, height: height - n))
    }

    /// What is above the bottom `rows` rows, and those rows.
    public func cutBottom(_ rows: Int) -> (rest: Rect, bottom: Rect) {
        let n = max(0, min(rows, height))
        return (Rect(x: x, y: y, width: width, height: height - n), Rect(x: x, y: y + height - n, width: width, height: n))
    }
}

/// Where one frame puts each part, worked out from the screen and the navigation alone. Drawing
/// and key handling (paging, clicks) both read it, so neither depends on what the other did last.
struct ConsoleLayout: Equatable {
    var status = Rect.none, breadcrumbs = Rect.none, message = Rect.none, footer = Rect.none
    /// Rows above the table: the rate sparkline, a cluster's or a session's one-line summary,
    /// an account's figures.
    var heading = Rect.none
    /// The rule between an account's figures and its sessions.
    var rule = Rect.none
    /// The table, its header row included; empty when the view has none or the pane has the room.
    var table = Rect.none
    /// The detail pane, its title rule included.
    var pane = Rect.none
    /// The screen is below the minimum size: only the warning is drawn.
    var tooSmall = false

    /// Table rows below the header: what PgUp and PgDn move by.
    var pageRows: Int { max(1, table.height - 1) }
}

extension Console {
    /// The host says the terminal's size (at start and on every resize); paging and clicks work
    /// from it, and the selection is scrolled back into view.
    public func resize(to size: ScreenSize) {
        guard size != screen else { return }
        screen = size
        settle()
    }

    /// Cuts the screen into the frame's parts for the view on top of the navigation.
    func layout() -> ConsoleLayout {
        var l = ConsoleLayout()
        guard screen.width >= Self.minimumWidth, screen.height >= Self.minimumHeight else { l.tooSmall = true; return l }
        let whole = Rect(x: 0, y: 0, width: screen.width, height: screen.height)
        let (status, belowStatus) = whole.cutTop(1)
        let (crumbs, middle) = belowStatus.cutTop(1)
        let (aboveFooter, footer) = middle.cutBottom(1)
        let (content, message) = aboveFooter.cutBottom(max(1, messageRows(width: screen.width).count))
        l.status = status; l.breadcrumbs = crumbs; l.message = message; l.footer = footer

        let level = navigation.top
        /// A table over a pane, the pane `1 - tableShare` of the room; a short screen gives it all
        /// to whichever has the keys.
        func tableAndPane(_ area: Rect, tableShare: Double, fit rows: Int? = nil) {
            guard area.height >= 14 else {
                if level.pane == 1 { l.pane = area } else { l.table = area }
                return
            }
            var t = max(4, Int(Double(area.height) * tableShare))
            // A short list gives the rest of its room to the pane.
            if let rows { t = max(4, min(t, rows + 2)) }
            (l.table, l.pane) = area.cutTop(t)
        }
        switch level.view {
        case .clusters:
            let (h, rest) = content.cutTop(1); l.heading = h
            tableAndPane(rest, tableShare: 0.55)
        case .accounts, .session, .sharedValue:
            let (h, rest) = content.cutTop(1); l.heading = h
            tableAndPane(rest, tableShare: 0.6)
        case .ties(let key):
            let (h, rest) = content.cutTop(1); l.heading = h
            let ties = cluster(key, fallback: level.cluster).map { tieDetails($0) } ?? []
            tableAndPane(rest, tableShare: 0.5, fit: ties.count)
        case .tieValues:
            let (h, rest) = content.cutTop(1); l.heading = h
            l.table = rest
        case .account(let a):
            if level.pane == 1 { l.pane = content; break }
            let info = min(accountLines(a, width: screen.width).count + 1, max(3, content.height / 2))
            let (h, rest) = content.cutTop(info); l.heading = h
            let (rule, table) = rest.cutTop(1); l.rule = rule; l.table = table
        case .exchange, .help, .rejected:
            l.pane = content
        }
        return l
    }

    /// After every key, snapshot and resize: the selection follows its row, the table scrolls to
    /// keep it in view and the pane's scroll stays within its text. Drawing then only reads.
    func settle() {
        resolveSelection()
        // An opened exchange keeps its number in the session's list as newer ones arrive.
        if case .exchange(let a, let s, let i) = navigation.top.view, let e = navigation.top.exchange,
           let now = source?.exchanges(a, session: s).firstIndex(of: e), now != i {
            navigation.top.view = .exchange(account: a, session: s, index: now)
        }
        let l = layout()
        if !l.table.isEmpty, let table = currentTable() {
            navigation.reveal(rowCount: table.model.rows.count, bodyRows: l.pageRows)
        }
        if !l.pane.isEmpty, let content = paneContent() {
            navigation.clampPane(lineCount: content.lines.count, rows: l.pane.height - 1)
        }
    }

    /// The detail pane's title and text for the view on top, if it has one now.
    func paneContent() -> (title: String, lines: [Line])? {
        let level = navigation.top
        let width = screen.width
        switch level.view {
        case .clusters:
            let selected = selectedKey.flatMap { k in listedClusters.first { $0.cluster.key == k }?.cluster }
            return ("Evidence" + (selected.map { " · cluster \($0.key)" } ?? ""),
                    selected.map { evidenceLines($0, width: width) } ?? [[Segment("no cluster selected", .muted)]])
        case .accounts, .sharedValue:
            guard let a = selectedKey else { return nil }
            return ("Account \(a)", accountLines(a, width: width))
        case .account(let a):
            return ("Account \(a)", accountLines(a, width: width))
        case .session(let a, let s):
            guard let k = selectedKey, let i = exchangeIndex(k, account: a, session: s) else { return nil }
            let list = source?.exchanges(a, session: s) ?? []
            guard i < list.count else { return nil }
            return ("Exchange #\(i + 1) (Enter for every field)", exchangeLines(list[i], width: width))
        case .exchange(let a, let s, let i):
            let list = source?.exchanges(a, session: s) ?? []
            guard let e = level.exchange ?? (i < list.count ? list[i] : nil) else { return nil }
            let title = list.contains(e) ? "Exchange #\(i + 1) of session \(s ?? "(none)")"
                : "Exchange of session \(s ?? "(none)") (no longer among those kept)"
            return (title, exchangeLines(e, width: width))
        case .ties(let key):
            guard let c = cluster(key, fallback: level.cluster), let k = selectedKey,
                  let tie = tieDetails(c).first(where: { $0.kind.name == k }) else { return nil }
            return ("Tie · " + tie.kind.label, tieLines(tie, cluster: c, width: width))
        case .tieValues:
            return nil
        case .help:
            let title = level.filter.map { "Help matching '\($0.label)' (Esc shows all)" } ?? "Help (/ searches; Esc, ? or q closes)"
            return (title, searched(helpLines(width: width)))
        case .rejected:
            return ("Rejected lines: \(Format.grouped(status.rejected)) in all (Esc back)", rejectedLines(width: width))
        }
    }
}
