/// What one table cell holds. Sparklines and bars are formatted to the column's width at
/// draw time, so a narrow terminal gets a shorter graph rather than a cut one.
public enum CellContent: Sendable, Equatable {
    case text(String, StyleRole)
    /// A series drawn as a sparkline followed by its last value.
    case spark([Int])
    /// A risk in 0…1: the number and a bar, coloured by band.
    case risk(Double)
}

public struct Column: Sendable, Equatable {
    public var id: String
    public var title: String
    public var width: Int
    /// Lower numbers are kept longest when the terminal is narrow.
    public var priority: Int
    public var align: Alignment = .left
    /// Takes the width left over.
    public var flex = false
    /// Numbers sort largest first by default.
    public var numeric = false
    /// The width its widest cell needs, when known: room left over goes first to columns
    /// whose text is cut, most important first, and only then to the flexible column.
    public var wants: Int? = nil
}

public struct TableRow: Sendable {
    public var key: String
    public var cells: [CellContent]
    /// Values to sort by, one per column (text compared case-insensitively).
    public var sortKeys: [SortKey]
    /// Text the filter searches.
    public var haystack: String
}

public enum SortKey: Sendable, Comparable {
    case number(Double)
    case text(String)

    public static func < (a: SortKey, b: SortKey) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x < y
        case (.text(let x), .text(let y)): return x.lowercased() < y.lowercased()
        case (.number, .text): return true
        case (.text, .number): return false
        }
    }
}

public struct TableModel: Sendable {
    public var columns: [Column]
    public var rows: [TableRow]
    /// Said in place of rows when there are none.
    public var emptyText = "(nothing to show)"

    public init(columns: [Column], rows: [TableRow], emptyText: String? = nil) {
        self.columns = columns; self.rows = rows
        if let emptyText { self.emptyText = emptyText }
    }
}

extension TableModel {
    /// Room left over goes first to these columns (most important first, as `Column.wants`
    /// says), each up to its widest text among the first 200 rows.
    public mutating func wantRoom(for ids: [String]) {
        for id in ids {
            guard let column = columns.firstIndex(where: { $0.id == id }) else { continue }
            columns[column].wants = rows.prefix(200).map { row -> Int in
                guard column < row.cells.count, case .text(let t, _) = row.cells[column] else { return 0 }
                return TextWidth.width(of: t)
            }.max() ?? 0
        }
    }
}

/// Draws a `TableModel` into a rectangle: header, rows, selection, scroll; columns dropped by
/// priority when they do not fit.
public enum TableWidget {
    /// The columns shown at `width`, with their final widths (one space between columns).
    public static func layout(_ columns: [Column], width: Int) -> [(index: Int, width: Int)] {
        var shown = Array(columns.indices)
        func needed(_ set: [Int]) -> Int { set.reduce(0) { $0 + columns[$1].width } + max(0, set.count - 1) }
        while needed(shown) > width, shown.count > 1 {
            // Drop the least important column (the highest priority number, rightmost first).
            let worst = shown.max { (columns[$0].priority, $0) < (columns[$1].priority, $1) }!
            shown.removeAll { $0 == worst }
        }
        var widths = shown.map { (index: $0, width: columns[$0].width) }
        var spare = width - needed(shown)
        for i in widths.indices.sorted(by: { (columns[widths[$0].index].priority, $0) < (columns[widths[$1].index].priority, $1) }) where spare > 0 {
            guard let wants = columns[widths[i].index].wants, wants > widths[i].width else { continue }
            let grow = min(spare, wants - widths[i].width)
            widths[i].width += grow
            spare -= grow
        }
        if spare > 0 {
            if let f = widths.firstIndex(where: { columns[$0.index].flex }) { widths[f].width += spare }
            else if let last = widths.indices.last { widths[last].width += spare }
        } else if spare < 0, let last = widths.indices.last {
            widths[last].width = max(1, widths[last].width + spare)
        }
        return widths
    }

    public static func render(_ model: TableModel, into grid: inout ScreenGrid, x: Int, y: Int, width: Int, height: Int,
                              selected: Int?, scroll: Int, focused: Bool, sortColumn: String?, descending: Bool) {
        guard height > 0, width > 0 else { return }
        let cols = layout(model.columns, width: width)
        // Header.
        grid.fill(x: x, y: y, count: width, role: .header)
        var cx = x
        for (i, c) in cols.enumerated() {
            let col = model.columns[c.index]
            var title = col.title
            if col.id == sortColumn {
                // The arrow stays when the title is cut: it is what says how the rows are sorted.
                let arrow = descending ? (grid.unicode ? "▼" : "v") : (grid.unicode ? "▲" : "^")
                if TextWidth.width(of: title) + 1 > c.width, c.width >= 2 { title = TextWidth.fit(title, columns: c.width - 1, unicode: grid.unicode) }
                title += arrow
            }
            grid.put(title, x: cx, y: y, maxWidth: c.width, role: .header, align: col.align)
            cx += c.width + (i < cols.count - 1 ? 1 : 0)
        }
        let bodyHeight = height - 1
        guard bodyHeight > 0 else { return }
        if model.rows.isEmpty {
            grid.put(model.emptyText, x: x + 1, y: y + 1, maxWidth: width - 1, role: .muted)
            return
        }
        for line in 0..<bodyHeight {
            let r = scroll + line
            guard r < model.rows.count else { break }
            let row = model.rows[r]
            let isSelected = r == selected
            let rowY = y + 1 + line
            let selRole: StyleRole = focused ? .selection : .selectionMuted
            if isSelected { grid.fill(x: x, y: rowY, count: width, role: selRole) }
            cx = x
            for (i, c) in cols.enumerated() {
                let col = model.columns[c.index]
                let content = c.index < row.cells.count ? row.cells[c.index] : .text("", .text)
                draw(content, into: &grid, x: cx, y: rowY, width: c.width, align: col.align, override: isSelected ? selRole : nil)
                cx += c.width + (i < cols.count - 1 ? 1 : 0)
            }
        }
    }

    static func draw(_ content: CellContent, into grid: inout ScreenGrid, x: Int, y: Int, width: Int, align: Alignment, override: StyleRole?) {
        switch content {
        case .text(let s, let role):
            grid.put(s, x: x, y: y, maxWidth: width, role: override ?? role, align: align, markPlaceholders: override == nil)
        case .spark(let values):
            // The last hour's count sits in a slot of fixed width, so every row's glyphs cover
            // the same cells and the same hours; the glyphs cover the whole series.
            let last = Format.compact(values.last ?? 0)
            let slot = width > 6 ? 4 : 0
            let sparkWidth = max(1, width - (slot > 0 ? slot + 1 : 0))
            let glyphs = Sparkline.renderWhole(values, width: sparkWidth, unicode: grid.unicode)
            grid.put(glyphs, x: x, y: y, maxWidth: sparkWidth, role: override ?? .sparkline)
            if slot > 0 { grid.put(last, x: x + sparkWidth + 1, y: y, maxWidth: slot, role: override ?? .muted, align: .right) }
        case .risk(let r):
            let number = Format.twoDecimals(r)
            let role = override ?? riskRole(r)
            grid.put(number, x: x, y: y, maxWidth: width, role: role)
            let barWidth = width - number.count - 1
            if barWidth > 0 { grid.put(bar(r, width: barWidth, unicode: grid.unicode), x: x + number.count + 1, y: y, maxWidth: barWidth, role: role) }
        }
    }

    public static func riskRole(_ r: Double) -> StyleRole { r >= 0.7 ? .riskHigh : r >= 0.4 ? .riskMid : .riskLow }

    /// A horizontal bar of `width` cells filled to `fraction`, in eighths where Unicode allows.
    public static func bar(_ fraction: Double, width: Int, unicode: Bool) -> String {
        let f = max(0, min(1, fraction))
        if !unicode {
            let n = Int((f * Double(width)).rounded())
            return String(repeating: "#", count: n) + String(repeating: ".", count: width - n)
        }
        let eighths = Int((f * Double(width * 8)).rounded())
        let partials: [Character] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"].compactMap { $0.first }
        var out = String(repeating: "█", count: eighths / 8)
        if eighths % 8 > 0 { out.append(partials[eighths % 8 - 1]) }
        return out + String(repeating: " ", count: max(0, width - out.count))
    }
}
