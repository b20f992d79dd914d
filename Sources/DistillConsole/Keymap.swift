/// A key press, as the backend decodes it.
public enum Key: Hashable, Sendable {
    case char(Character)
    case ctrl(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, tab, backTab, backspace, delete
    case function(Int)
    case resize
    /// A mouse button or wheel at a cell (0-based column and row).
    case mouse(MouseEvent)
    /// Text the terminal marked as pasted (bracketed paste), line breaks included.
    case paste(String)

    /// How help and the footer name the key.
    public var label: String {
        switch self {
        case .char(" "): return "Space"
        case .char(let c): return String(c)
        case .ctrl(let c): return "Ctrl+" + String(c).uppercased()
        case .up: return "↑"
        case .down: return "↓"
        case .left: return "←"
        case .right: return "→"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .home: return "Home"
        case .end: return "End"
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .tab: return "Tab"
        case .backTab: return "Shift+Tab"
        case .backspace: return "Bksp"
        case .delete: return "Del"
        case .function(let n): return "F\(n)"
        case .resize: return "resize"
        case .mouse: return "mouse"
        case .paste: return "paste"
        }
    }
}

public enum Action: String, CaseIterable, Sendable {
    case moveUp, moveDown, pageUp, pageDown, top, bottom, followTop
    case drillDown, back, nextPane, whyTogether
    case filter, nextMatch, previousMatch, cycleSort
    case togglePause, faster, slower, step, nextSuspect, previousSuspect
    case help, command, redraw, quit, showRejected, showAllowlisted
    case markSuspect, markWatch, markClear, snooze, addNote, undo, export
}

/// One line of the keymap: the keys, what they do, and where they are advertised.
public struct KeyBinding: Sendable {
    public enum Group: String, CaseIterable, Sendable {
        case navigation = "Navigate", find = "Find and sort", triage = "Triage", replay = "Replay", general = "General"
    }
    public var keys: [Key]
    public var action: Action
    public var description: String
    public var group: Group
    /// Short text for the footer; nil keeps the binding out of the footer.
    public var footer: String?
    /// Which footer entries stay when the line is too narrow for all: lower ranks are kept
    /// first (htop's function bar keeps Help and Quit whatever the width).
    public var footerRank: Int = Int.max
}

/// Keys as data: the console looks actions up here, and help and the footer are generated
/// from the same table, so they cannot drift from what the keys do (k9s's lesson).
public struct Keymap: Sendable {
    public var bindings: [KeyBinding]
    private var table: [Key: Action] = [:]

    public init(_ bindings: [KeyBinding]) {
        self.bindings = bindings
        for b in bindings { for k in b.keys where table[k] == nil { table[k] = b.action } }
    }

    public func action(for key: Key) -> Action? { table[key] }

    public func binding(for action: Action) -> KeyBinding? { bindings.first { $0.action == action } }

    public static let standard = Keymap([
        KeyBinding(keys: [.up, .char("k")], action: .moveUp, description: "move up", group: .navigation),
        KeyBinding(keys: [.down, .char("j")], action: .moveDown, description: "move down", group: .navigation),
        KeyBinding(keys: [.pageUp, .ctrl("b")], action: .pageUp, description: "page up", group: .navigation),
        KeyBinding(keys: [.pageDown, .ctrl("f")], action: .pageDown, description: "page down", group: .navigation),
        KeyBinding(keys: [.char("g"), .home], action: .top, description: "go to the first row", group: .navigation),
        KeyBinding(keys: [.char("G"), .end], action: .bottom, description: "go to the last row", group: .navigation),
        KeyBinding(keys: [.char("F")], action: .followTop, description: "follow the top row of the cluster list as it changes (on until you move)", group: .navigation),
        KeyBinding(keys: [.enter, .right, .char("l")], action: .drillDown, description: "open: cluster → accounts → account → session → exchange", group: .navigation, footer: "open", footerRank: 2),
        KeyBinding(keys: [.escape, .left, .char("h"), .backspace], action: .back, description: "back one level (clears a filter first; closes help)", group: .navigation, footer: "back", footerRank: 3),
        KeyBinding(keys: [.tab, .backTab], action: .nextPane, description: "switch pane (table ↔ evidence/detail)", group: .navigation, footer: "pane", footerRank: 10),
        KeyBinding(keys: [.char("w")], action: .whyTogether, description: "why together: what ties the cluster's accounts", group: .navigation, footer: "why", footerRank: 11),
        KeyBinding(keys: [.char("/")], action: .filter, description: "filter rows (account, org, card, IP, signal; start with ! to invert)", group: .find, footer: "filter", footerRank: 5),
        KeyBinding(keys: [.char("n")], action: .nextMatch, description: "next match", group: .find),
        KeyBinding(keys: [.char("N")], action: .previousMatch, description: "previous match", group: .find),
        KeyBinding(keys: [.char("A")], action: .showAllowlisted, description: "list what the allowlist set aside, judged as if not (A again hides)", group: .find),
        KeyBinding(keys: [.char("s")], action: .cycleSort, description: "sort by the next column shown (:sort COLUMN to choose any)", group: .find, footer: "sort", footerRank: 12),
        KeyBinding(keys: [.char("S")], action: .markSuspect, description: "mark the selected cluster or account suspect", group: .triage, footer: "suspect", footerRank: 6),
        KeyBinding(keys: [.char("W")], action: .markWatch, description: "mark it watch", group: .triage, footer: "watch", footerRank: 8),
        KeyBinding(keys: [.char("C")], action: .markClear, description: "clear it as benign: asks a reason, can allowlist it", group: .triage, footer: "clear", footerRank: 7),
        KeyBinding(keys: [.char("Z")], action: .snooze, description: "snooze it until a stream time (6h, 2d, or a time)", group: .triage),
        KeyBinding(keys: [.char("a")], action: .addNote, description: "add a note to it", group: .triage, footer: "note", footerRank: 14),
        KeyBinding(keys: [.char("u")], action: .undo, description: "undo the last decision (kept in the history as undone)", group: .triage, footer: "undo", footerRank: 13),
        KeyBinding(keys: [.char("e")], action: .export, description: "export its case (evidence and history) to a JSON file", group: .triage, footer: "export", footerRank: 15),
        KeyBinding(keys: [.char(" ")], action: .togglePause, description: "pause or resume the replay", group: .replay, footer: "pause", footerRank: 4),
        KeyBinding(keys: [.char("+"), .char("=")], action: .faster, description: "replay twice as fast (up to ×100000, then max)", group: .replay),
        KeyBinding(keys: [.char("-")], action: .slower, description: "replay half as fast", group: .replay),
        KeyBinding(keys: [.char(".")], action: .step, description: "step one stream minute (while paused)", group: .replay),
        KeyBinding(keys: [.char("]")], action: .nextSuspect, description: "fast-forward to the next moment a cluster becomes suspect", group: .replay),
        KeyBinding(keys: [.char("[")], action: .previousSuspect, description: "back to the previous moment a cluster became suspect", group: .replay),
        KeyBinding(keys: [.char("?"), .function(1)], action: .help, description: "this help", group: .general, footer: "help", footerRank: 0),
        KeyBinding(keys: [.char(":")], action: .command, description: "command: theme, sort, filter, speed, goto, triage (see below)", group: .general, footer: "cmd", footerRank: 9),
        KeyBinding(keys: [.char("R")], action: .showRejected, description: "rejected input lines: source, line number, reason (the status bar's rej N)", group: .general),
        KeyBinding(keys: [.ctrl("l")], action: .redraw, description: "redraw the screen", group: .general),
        KeyBinding(keys: [.char("q")], action: .quit, description: "quit", group: .general, footer: "quit", footerRank: 1),
    ])

    /// Help as lines of (keys, description), grouped.
    public func helpLines() -> [(keys: String, description: String, isGroup: Bool)] {
        var out: [(String, String, Bool)] = []
        for group in KeyBinding.Group.allCases {
            let members = bindings.filter { $0.group == group }
            guard !members.isEmpty else { continue }
            out.append((group.rawValue, "", true))
            for b in members { out.append((b.keys.map(\.label).joined(separator: " "), b.description, false)) }
        }
        return out
    }

    /// Footer entries (first key's label, short text), in keymap order.
    public func footerEntries() -> [(key: String, text: String)] {
        bindings.compactMap { b in b.footer.map { (b.keys[0].label, $0) } }
    }

    /// Columns one footer entry takes: " KEY TEXT ".
    public static func footerWidth(key: String, text: String) -> Int {
        TextWidth.width(of: key) + TextWidth.width(of: text) + 3
    }

    /// The footer entries that fit in `width` columns, in keymap order, of those whose action
    /// `offered` accepts. Entries are taken by rank and the first that does not fit ends the
    /// choice, so an entry is only ever shown with every entry ranked above it.
    public func footerEntries(fitting width: Int, offered: (Action) -> Bool = { _ in true }) -> [(key: String, text: String)] {
        let candidates = bindings.indices.filter { bindings[$0].footer != nil && offered(bindings[$0].action) }
            .sorted { (bindings[$0].footerRank, $0) < (bindings[$1].footerRank, $1) }
        var chosen = Set<Int>()
        var used = 0
        for i in candidates {
            let b = bindings[i]
            let need = Self.footerWidth(key: b.keys[0].label, text: b.footer!)
            guard used + need <= width else { break }
            used += need
            chosen.insert(i)
        }
        return bindings.indices.filter(chosen.contains).map { (bindings[$0].keys[0].label, bindings[$0].footer!) }
    }
}

/// What the mouse did, and where.
public struct MouseEvent: Hashable, Sendable {
    public enum Kind: Hashable, Sendable { case click, doubleClick, wheelUp, wheelDown }
    public var kind: Kind
    public var x: Int
    public var y: Int
    public init(_ kind: Kind, x: Int, y: Int) { self.kind = kind; self.x = x; self.y = y }
}
