import DistillCore

/// One level of the drill-down: what it shows, and the analyst's place in it.
struct ViewState: Equatable {
    var view: View
    var selected = 0
    var selectedKey: String?
    /// First table row shown.
    var scroll = 0
    /// 0: the table has the keys; 1: the detail pane does.
    var pane = 0
    /// First line of the detail pane shown.
    var paneScroll = 0
    var filter: RowFilter?
    var sortColumn: String?
    var descending = true
    /// The cluster as it was when opened, in case it merges away.
    var cluster: ClusterSnapshot?
    /// The exchange opened: it stays on screen as newer ones push it along the session's list,
    /// or out of it.
    var exchange: ExchangeExcerpt?

    /// Views that are all pane (no table) start with the pane focused.
    init(view: View, sortColumn: String? = nil) {
        self.view = view
        self.sortColumn = sortColumn
        switch view {
        case .exchange, .help, .rejected: pane = 1
        default: break
        }
    }

    static func == (a: ViewState, b: ViewState) -> Bool {
        a.view == b.view && a.selected == b.selected && a.selectedKey == b.selectedKey && a.scroll == b.scroll && a.pane == b.pane
            && a.paneScroll == b.paneScroll && a.filter == b.filter && a.sortColumn == b.sortColumn && a.descending == b.descending
            && a.cluster?.key == b.cluster?.key && a.exchange == b.exchange
    }
}

/// Where the analyst is: the path from the cluster list down to the view on screen, each level
/// with its selection, scroll, filter and sort, and the cluster list's toggles. Keys change it;
/// drawing only reads it, so a frame can be compared with the state it was drawn from.
public struct Navigation: Equatable {
    var levels: [ViewState] = [ViewState(view: .clusters, sortColumn: "risk")]
    /// The cluster list's selection stays on its top row as rows come and go.
    public internal(set) var followsTop = true
    /// The cluster list also shows the clusters the allowlist set aside.
    public internal(set) var showsAllowlisted = false

    public var depth: Int { levels.count }
    public var view: View { levels[levels.count - 1].view }

    var top: ViewState {
        get { levels[levels.count - 1] }
        set { levels[levels.count - 1] = newValue }
    }

    var root: ViewState {
        get { levels[0] }
        set { levels[0] = newValue }
    }

    mutating func push(_ level: ViewState) { levels.append(level) }

    /// Leaves the top level; the cluster list itself is never left.
    mutating func pop() { if levels.count > 1 { levels.removeLast() } }

    /// Scrolls the top level's table so its selection is among the `bodyRows` rows shown, and
    /// no further than a full last page.
    mutating func reveal(rowCount: Int, bodyRows: Int) {
        var s = top
        let body = max(1, bodyRows)
        if s.selected < s.scroll { s.scroll = s.selected }
        if s.selected >= s.scroll + body { s.scroll = s.selected - body + 1 }
        s.scroll = max(0, min(s.scroll, rowCount - body))
        top = s
    }

    /// Keeps the top level's pane scroll within `lineCount` lines shown `rows` at a time.
    mutating func clampPane(lineCount: Int, rows: Int) {
        top.paneScroll = max(0, min(top.paneScroll, lineCount - max(1, rows)))
    }
}
