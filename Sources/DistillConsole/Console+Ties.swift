import DistillCore

/// "Why together": the ties that hold a cluster's accounts together, the values behind each,
/// and the accounts on a value, inside the cluster and out.
extension Console {
    func openWhyTogether() {
        let key: String
        let c: ClusterSnapshot?
        switch view {
        case .clusters:
            guard let k = selectedKey else { say("no cluster selected"); return }
            key = k
            c = snapshot.clusters.first { $0.key == k }
        case .accounts(let k):
            key = k
            c = cluster(k, fallback: navigation.top.cluster)
        default:
            say("w shows why a cluster's accounts are together: press it in the cluster list or a cluster's accounts")
            return
        }
        var next = ViewState(view: .ties(cluster: key))
        next.cluster = c
        navigation.push(next)
    }

    /// The cluster's ties from the data source, else (a source that cannot say) the snapshot's
    /// kinds and examples without values. Asked once per snapshot.
    func tieDetails(_ c: ClusterSnapshot) -> [TieDetail] {
        if let cached = cachedTies, cached.generation == generation, cached.key == c.key { return cached.ties }
        var ties = c.accounts.count > 1 ? source?.ties(of: c.accounts) ?? [] : []
        if ties.isEmpty {
            ties = c.ties.map { TieDetail(kind: $0.kind, accounts: $0.accounts, summary: $0.examples.isEmpty ? nil : $0.examples.joined(separator: "; ")) }
        }
        cachedTies = (generation, c.key, ties)
        return ties
    }

    static func valueKey(_ ref: SharedValueRef) -> String { "\(ref.kind.rawValue):\(ref.key)" }

    /// "card pm_A · 3 accounts here, 4 in all".
    static func valueText(_ v: TieValue) -> String {
        let share = v.users == v.inCluster ? "\(Format.counted(v.users, "account")), all here" : "\(Format.counted(v.inCluster, "account")) here, \(Format.grouped(v.users)) in all"
        return "\(v.ref.kind.label) \(v.display) · " + share
    }

    /// The next level down from a why-together view, or nil (with a message) when there is none.
    func drillFromTies(_ s: ViewState, key: String) -> ViewState? {
        var next: ViewState
        switch s.view {
        case .ties(let k):
            guard let c = cluster(k, fallback: s.cluster), let tie = tieDetails(c).first(where: { $0.kind.name == key }) else { return nil }
            if tie.values.count == 1 {
                next = ViewState(view: .sharedValue(cluster: k, value: tie.values[0].ref, display: tie.values[0].display))
            } else if tie.values.count > 1 {
                next = ViewState(view: .tieValues(cluster: k, kind: tie.kind))
            } else {
                say(tie.kind == .synchrony ? "synchrony shares no value: these accounts are tied by when they are active"
                                           : "no shared value is known for this tie")
                return nil
            }
        case .tieValues(let k, let kind):
            guard let c = cluster(k, fallback: s.cluster),
                  let v = tieDetails(c).first(where: { $0.kind == kind })?.values.first(where: { Self.valueKey($0.ref) == key }) else { return nil }
            next = ViewState(view: .sharedValue(cluster: k, value: v.ref, display: v.display))
        case .sharedValue:
            next = ViewState(view: .account(key), sortColumn: "last")
        default:
            return nil
        }
        next.cluster = s.cluster
        return next
    }

    // MARK: Tables

    func tieTable(cluster c: ClusterSnapshot?) -> TableModel {
        let columns = [
            Column(id: "tie", title: "TIE", width: 36, priority: 0),
            Column(id: "accounts", title: "ACCTS", width: 5, priority: 0, align: .right, numeric: true),
            Column(id: "values", title: "VALUES", width: 6, priority: 2, align: .right, numeric: true),
            Column(id: "binds", title: "WHAT BINDS IT", width: 20, priority: 1, flex: true),
        ]
        guard let c else { return TableModel(columns: columns, rows: []) }
        let rows = tieDetails(c).map { t -> TableRow in
            let binds = t.values.first.map { Self.valueText($0) + ($0.note.map { "; " + $0 } ?? "") } ?? t.summary ?? "-"
            return TableRow(
                key: t.kind.name,
                cells: [.text(t.kind.label, .text), .text(Format.grouped(t.accounts), .text),
                        .text(t.values.isEmpty ? "-" : Format.grouped(t.values.count), .muted), .text(binds, .muted)],
                sortKeys: [.text(t.kind.label), .number(Double(t.accounts)), .number(Double(t.values.count)), .text(binds)],
                haystack: t.kind.name + " " + t.kind.label + " " + (t.summary ?? "") + " " + t.values.map(\.display).joined(separator: " "))
        }
        var model = TableModel(columns: columns, rows: rows)
        model.wantRoom(for: ["tie"])
        return model
    }

    func tieValueTable(cluster c: ClusterSnapshot?, kind: TieKind) -> TableModel {
        let columns = [
            Column(id: "kind", title: "KIND", width: 13, priority: 1),
            Column(id: "value", title: "VALUE", width: 16, priority: 0, flex: true),
            Column(id: "here", title: "HERE", width: 5, priority: 0, align: .right, numeric: true),
            Column(id: "users", title: "USERS", width: 5, priority: 1, align: .right, numeric: true),
        ]
        let values = c.flatMap { tieDetails($0).first { $0.kind == kind }?.values } ?? []
        let rows = values.map { v -> TableRow in
            TableRow(key: Self.valueKey(v.ref),
                     cells: [.text(v.ref.kind.label, .muted), .text(v.display, .text), .text(Format.grouped(v.inCluster), .text),
                             .text(Format.grouped(v.users), v.users > v.inCluster ? .warning : .text)],
                     sortKeys: [.text(v.ref.kind.label), .text(v.display), .number(Double(v.inCluster)), .number(Double(v.users))],
                     haystack: v.ref.kind.label + " " + v.display + " " + (v.note ?? ""))
        }
        return TableModel(columns: columns, rows: rows)
    }

    func sharedValueTable(cluster c: ClusterSnapshot?, ref: SharedValueRef) -> TableModel {
        let columns = [
            Column(id: "mark", title: "", width: 1, priority: 0),
            Column(id: "account", title: "ACCOUNT", width: 18, priority: 0),
            Column(id: "exchanges", title: "EXCH", width: 6, priority: 0, align: .right, numeric: true),
            Column(id: "with", title: "WITH IT", width: 7, priority: 2, align: .right, numeric: true),
            Column(id: "first", title: "FIRST SEEN", width: 11, priority: 4, numeric: true),
            Column(id: "last", title: "LAST SEEN", width: 11, priority: 3, numeric: true),
            Column(id: "cluster", title: "CLUSTER", width: 14, priority: 1, flex: true),
        ]
        guard let detail = source?.sharedValue(ref) else { return TableModel(columns: columns, rows: []) }
        let members = Set(c?.accounts ?? [])
        // Which shown cluster each other user is in, to see where the value leads.
        var clusterOf: [String: ClusterSnapshot] = [:]
        let others = Set(detail.users.map(\.account)).subtracting(members)
        if !others.isEmpty {
            for other in snapshot.clusters where other.key != c?.key { for a in other.accounts where others.contains(a) { clusterOf[a] = other } }
        }
        let ordered = detail.users.filter { members.contains($0.account) } + detail.users.filter { !members.contains($0.account) }
        let mark = unicode ? "●" : "*"
        let rows = ordered.map { u -> TableRow in
            let inside = members.contains(u.account)
            let place: (String, StyleRole) = inside ? ("this cluster", .text)
                : clusterOf[u.account].map { ("\($0.key) (\($0.verdict.rawValue))", Self.verdictRole($0.verdict)) } ?? ("-", .muted)
            return TableRow(
                key: u.account,
                cells: [.text(inside ? mark : "", .accent), .text(u.account, .text), .text(Format.compact(u.exchanges), .text),
                        .text(u.withValue.map { Format.compact($0) } ?? "-", .muted), .text(Format.shortTime(u.firstSeen), .muted),
                        .text(Format.shortTime(u.lastSeen), .muted), .text(place.0, place.1)],
                sortKeys: [.number(inside ? 1 : 0), .text(u.account), .number(Double(u.exchanges)), .number(Double(u.withValue ?? -1)),
                           .number(Double(u.firstSeen)), .number(Double(u.lastSeen)), .text(place.0)],
                haystack: u.account + " " + place.0)
        }
        return TableModel(columns: columns, rows: rows)
    }

    // MARK: Drawing

    func clusterHeader(_ c: ClusterSnapshot, into grid: inout ScreenGrid, y: Int, tail: String) {
        var x = grid.put(" " + c.verdict.rawValue, x: 0, y: y, role: Self.verdictRole(c.verdict))
        x += grid.put("  risk \(Format.twoDecimals(c.risk))  \(Format.counted(c.accounts.count, "account"))  \(Format.counted(c.exchanges, "exchange"))", x: x, y: y, role: .text)
        if !snapshot.clusters.contains(where: { $0.key == c.key }) { x += grid.put("  (merged or gone since opened)", x: x, y: y, role: .warning) }
        grid.put("  " + tail, x: x, y: y, role: .muted)
    }

    func drawTiesHeading(into grid: inout ScreenGrid, _ area: Rect, cluster c: ClusterSnapshot?) {
        guard !area.isEmpty else { return }
        guard let c else { grid.put(" cluster no longer present", x: 0, y: area.y, role: .warning); return }
        let ties = tieDetails(c)
        clusterHeader(c, into: &grid, y: area.y, tail: c.accounts.count == 1 ? "a lone account: nothing ties it to another"
                      : ties.isEmpty ? "no ties known yet (they are found at the next evaluation)" : "held together by \(ties.count) kind\(ties.count == 1 ? "" : "s") of tie")
    }

    func tieLines(_ tie: TieDetail, cluster c: ClusterSnapshot, width: Int) -> [Line] {
        var out: [Line] = [[Segment(" joined ", .muted), Segment("\(Format.grouped(tie.accounts)) of the cluster's \(Format.counted(c.accounts.count, "account"))", .text)]]
        if let s = tie.summary {
            for part in TextPane.wrap(s, width: max(10, width - 2), unicode: unicode) { out.append([Segment(" " + part, .text)]) }
        }
        let bullet = unicode ? "   · " : "   - "
        for v in tie.values {
            let parts = TextPane.wrap(Self.valueText(v), width: max(10, width - 6), unicode: unicode)
            for (i, part) in parts.prefix(3).enumerated() { out.append([Segment(i == 0 ? bullet : "     ", .muted), Segment(part, .text)]) }
            if let note = v.note { out.append([Segment("     ", .muted), Segment(note, .muted)]) }
        }
        if !tie.values.isEmpty {
            out.append([Segment(tie.values.count == 1 ? " Enter lists the accounts on it" : " Enter lists these values, then the accounts on each", .muted)])
        }
        return out
    }

    func drawTieValuesHeading(into grid: inout ScreenGrid, _ area: Rect, cluster c: ClusterSnapshot?, kind: TieKind) {
        guard !area.isEmpty else { return }
        guard let c else { grid.put(" cluster no longer present", x: 0, y: area.y, role: .warning); return }
        let tie = tieDetails(c).first { $0.kind == kind }
        clusterHeader(c, into: &grid, y: area.y, tail: tie.map { "\(kind.label): joined \(Format.grouped($0.accounts)), on \(Format.counted($0.values.count, "value"))" } ?? "\(kind.label): no longer a tie")
    }

    func drawSharedValueHeading(into grid: inout ScreenGrid, _ area: Rect, cluster c: ClusterSnapshot?, ref: SharedValueRef, display: String) {
        guard !area.isEmpty else { return }
        guard let detail = source?.sharedValue(ref) else {
            grid.put(" \(ref.kind.label) \(display): no longer known to the detector", x: 0, y: area.y, role: .warning)
            return
        }
        let top = area.y
        let members = Set(c?.accounts ?? [])
        let inside = detail.users.filter { members.contains($0.account) }.count
        let total = detail.users.count + detail.notKept
        var x = grid.put(" \(ref.kind.label) ", x: 0, y: top, role: .muted)
        x += grid.put(detail.display, x: x, y: top, maxWidth: max(8, grid.width / 2 - x), role: .text)
        var counts = "  \(Format.grouped(total)) account\(total == 1 ? "" : "s"): \(Format.grouped(inside)) in this cluster (\(unicode ? "●" : "*")), \(Format.grouped(total - inside)) other\(total - inside == 1 ? "" : "s")"
        if detail.notKept > 0 { counts += " (\(Format.grouped(detail.notKept)) counted, not named)" }
        grid.put(counts, x: x, y: top, role: .text)
    }
}
