import DistillCore

/// What a cell means, not what colour it is: the theme maps roles to colours and the backend
/// maps colours to whatever the terminal can show (htop's "colour elements").
public enum StyleRole: UInt8, CaseIterable, Sendable {
    case text, muted, header, border, title, accent
    case selection, selectionMuted
    case statusBar, statusAccent, footer, footerKey, input
    case suspect, watch, clear
    case riskLow, riskMid, riskHigh
    case sparkline, placeholder, warning, newMark

    /// One letter per role, for style masks in tests.
    public var code: Character {
        switch self {
        case .text: return "."
        case .muted: return "m"
        case .header: return "h"
        case .border: return "b"
        case .title: return "T"
        case .accent: return "a"
        case .selection: return "S"
        case .selectionMuted: return "s"
        case .statusBar: return "B"
        case .statusAccent: return "A"
        case .footer: return "f"
        case .footerKey: return "k"
        case .input: return "i"
        case .suspect: return "X"
        case .watch: return "W"
        case .clear: return "C"
        case .riskLow: return "1"
        case .riskMid: return "2"
        case .riskHigh: return "3"
        case .sparkline: return "~"
        case .placeholder: return "?"
        case .warning: return "!"
        case .newMark: return "N"
        }
    }
}

public struct Cell: Equatable, Sendable {
    public var char: Character
    public var role: StyleRole
    /// The right half of a two-column character: the terminal draws nothing here.
    public var isContinuation: Bool

    public static let blank = Cell(char: " ", role: .text, isContinuation: false)
}

public enum Alignment: Sendable { case left, right }

/// The screen as a grid of cells. Widgets draw here; the terminal backend copies it out, and
/// tests compare it with expected text and style masks. Every string that enters is sanitised
/// and measured by display width, so nothing from a log can reach the terminal as a control.
public struct ScreenGrid: Sendable {
    public private(set) var width: Int
    public private(set) var height: Int
    public private(set) var cells: [Cell]
    /// False without a UTF-8 locale: text is reduced to ASCII and glyphs fall back.
    public var unicode: Bool

    public init(width: Int, height: Int, unicode: Bool = true) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.unicode = unicode
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        cells[y * width + x]
    }

    public mutating func clear(role: StyleRole = .text) {
        let cell = Cell(char: " ", role: role, isContinuation: false)
        for i in cells.indices { cells[i] = cell }
    }

    public mutating func resize(width: Int, height: Int) {
        self.width = max(0, width); self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    /// Paints `count` cells of row `y` from `x` with spaces in `role`.
    public mutating func fill(x: Int, y: Int, count: Int, role: StyleRole, char: Character = " ") {
        guard y >= 0, y < height else { return }
        let start = max(0, x), end = min(width, x + count)
        guard start < end else { return }
        for i in start..<end { cells[y * width + i] = Cell(char: char, role: role, isContinuation: false) }
    }

    /// Writes `text` at (x, y), at most `maxWidth` columns (to the right edge by default),
    /// cut with an ellipsis when longer. Placeholders for control characters get their own
    /// role so they stand out. Returns the columns used.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, maxWidth: Int? = nil, role: StyleRole,
                             align: Alignment = .left, markPlaceholders: Bool = true) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(maxWidth ?? (width - x), width - max(0, x))
        guard limit > 0 else { return 0 }
        let fitted = TextWidth.fit(text, columns: limit, unicode: unicode)
        var col = x
        if align == .right { col = x + limit - TextWidth.width(of: fitted) }
        let start = col
        characters: for c in fitted {
            let w = TextWidth.width(of: c)
            if w == 0 {
                // A lone combining mark or zero-width character: show it on a dotted circle.
                guard place(unicode ? Character("\u{25CC}") : "?", width: 1, at: &col, y: y, role: role,
                            markPlaceholders: markPlaceholders) else { break }
            } else if let parts = TextWidth.cells(of: c) {
                for part in parts {
                    guard place(part.text, width: part.width, at: &col, y: y, role: role,
                                markPlaceholders: markPlaceholders) else { break characters }
                }
            } else {
                guard place(c, width: w, at: &col, y: y, role: role, markPlaceholders: markPlaceholders) else { break }
            }
        }
        return col - start
    }

    /// Writes one cell (two for a wide character) at `col` and moves past it; nothing left of
    /// the grid. False, with nothing written, when it would pass the right edge.
    private mutating func place(_ ch: Character, width w: Int, at col: inout Int, y: Int,
                                role: StyleRole, markPlaceholders: Bool) -> Bool {
        if col < 0 { col += w; return true }
        guard col + w <= width else { return false }
        var r = role
        if markPlaceholders, let v = ch.unicodeScalars.first?.value,
           (0x2400...0x2421).contains(v) || v == 0xFFFD { r = .placeholder }
        // Overwriting half of a wide character leaves its other half as a blank.
        if cells[y * width + col].isContinuation, col > 0 { cells[y * width + col - 1] = Cell(char: " ", role: cells[y * width + col - 1].role, isContinuation: false) }
        cells[y * width + col] = Cell(char: ch, role: r, isContinuation: false)
        if w == 2 { cells[y * width + col + 1] = Cell(char: " ", role: r, isContinuation: true) }
        else if col + 1 < width, cells[y * width + col + 1].isContinuation {
            cells[y * width + col + 1] = Cell(char: " ", role: cells[y * width + col + 1].role, isContinuation: false)
        }
        col += w
        return true
    }

    /// Changes the role of cells in row `y` from `x` for `count` columns, keeping their text.
    public mutating func restyle(x: Int, y: Int, count: Int, role: StyleRole) {
        guard y >= 0, y < height else { return }
        let start = max(0, x), end = min(width, x + count)
        guard start < end else { return }
        for i in start..<end { cells[y * width + i].role = role }
    }

    /// Row `y` as text (continuation halves skipped), trailing spaces removed.
    public func text(row y: Int) -> String {
        var s = ""
        for x in 0..<width where !self[x, y].isContinuation { s.append(self[x, y].char) }
        while s.last == " " { s.removeLast() }
        return s
    }

    /// Row `y` as one role code per column, trimmed to the row's text length.
    public func roles(row y: Int) -> String {
        var s = ""
        for x in 0..<width { s.append(self[x, y].role.code) }
        return s
    }

    /// The whole grid as lines of text.
    public var lines: [String] { (0..<height).map { text(row: $0) } }
}
