/// A run of text in one style.
public struct Segment: Equatable, Sendable {
    public var text: String
    public var role: StyleRole
    public init(_ text: String, _ role: StyleRole = .text) { self.text = text; self.role = role }
}

public typealias Line = [Segment]

/// A titled, scrollable block of styled lines (evidence, account detail, help).
public enum TextPane {
    /// Draws the title rule and as many lines as fit from `scroll`; returns the scroll actually
    /// used (clamped so the last page stays full).
    @discardableResult
    public static func render(title: String?, lines: [Line], into grid: inout ScreenGrid, x: Int, y: Int, width: Int, height: Int,
                              scroll: Int, focused: Bool) -> Int {
        guard width > 0, height > 0 else { return 0 }
        var top = y
        var rows = height
        if title != nil { top += 1; rows -= 1 }
        guard rows > 0 else {
            if let title { rule(title, into: &grid, x: x, y: y, width: width, focused: focused) }
            return 0
        }
        let maxScroll = max(0, lines.count - rows)
        let s = max(0, min(scroll, maxScroll))
        let more = "\(s + 1)-\(min(lines.count, s + rows))/\(lines.count)"
        let showsPosition = maxScroll > 0 && width > 12
        // A long title is cut short of the position, not run into it.
        if let title { rule(title, into: &grid, x: x, y: y, width: width - (showsPosition ? more.count + 1 : 0), focused: focused, ruleWidth: width) }
        for i in 0..<rows {
            let n = s + i
            guard n < lines.count else { break }
            var cx = x
            for seg in lines[n] {
                guard cx < x + width else { break }
                cx += grid.put(seg.text, x: cx, y: top + i, maxWidth: x + width - cx, role: seg.role)
            }
        }
        if showsPosition {
            grid.put(more, x: x + width - more.count - 1, y: y, maxWidth: more.count, role: .muted)
        }
        return s
    }

    /// A horizontal rule with a title: "── Title ─────".
    /// The title is kept within `width`; the rule runs `ruleWidth` (`width` if nil).
    public static func rule(_ title: String, into grid: inout ScreenGrid, x: Int, y: Int, width: Int, focused: Bool, ruleWidth: Int? = nil) {
        let h: Character = grid.unicode ? "─" : "-"
        grid.fill(x: x, y: y, count: ruleWidth ?? width, role: .border, char: h)
        let used = grid.put(" " + title + " ", x: x + 2, y: y, maxWidth: width - 4, role: focused ? .title : .header)
        _ = used
    }

    /// Splits sanitised text into lines of at most `width` columns, breaking at spaces when
    /// it can.
    public static func wrap(_ text: String, width: Int, unicode: Bool = true) -> [String] {
        guard width > 0 else { return [] }
        let clean = TextWidth.fit(text, columns: Int.max / 4, unicode: unicode)
        var lines: [String] = []
        var line = ""
        var lineWidth = 0
        var lastSpace: String.Index?
        for c in clean {
            if c == "\n" { lines.append(line); line = ""; lineWidth = 0; lastSpace = nil; continue }
            let w = max(1, TextWidth.width(of: c))
            if lineWidth + w > width && c == " " {
                // The break falls on a space: end the line here and drop the space.
                lines.append(line); line = ""; lineWidth = 0; lastSpace = nil
                continue
            }
            if lineWidth + w > width {
                if let sp = lastSpace, sp > line.startIndex {
                    let head = String(line[..<sp])
                    let tail = String(line[line.index(after: sp)...])
                    lines.append(head)
                    line = tail
                    lineWidth = TextWidth.width(of: tail)
                } else {
                    lines.append(line); line = ""; lineWidth = 0
                }
                lastSpace = nil
            }
            if c == " " { lastSpace = line.endIndex }
            line.append(c)
            lineWidth += w
        }
        if !line.isEmpty || lines.isEmpty { lines.append(line) }
        return lines
    }
}
