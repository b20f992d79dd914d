import CNcursesw
import DistillConsole
import DistillRuntime
import Glibc

/// The only code that talks to ncurses: opens the terminal, maps themes to colour pairs,
/// copies a `ScreenGrid` out (changed cells only), reads keys, and restores the terminal.
final class TerminalBackend: ConsoleTerminal {
    /// Why the console cannot run here, or nil when it can. Checked before curses starts.
    static func refusal() -> String? {
        if isatty(STDOUT_FILENO) != 1 { return "standard output is not a terminal" }
        let term = getenv("TERM").map { String(cString: $0) } ?? ""
        if term.isEmpty { return "TERM is not set" }
        if term == "dumb" { return "TERM=dumb cannot address the cursor" }
        return nil
    }

    private(set) var depth: ColorDepth = .none
    let unicode: Bool
    private var screen: OpaquePointer?
    private var inputFile: UnsafeMutablePointer<FILE>?
    private var previous: ScreenGrid?
    private var roleStyle = [(attrs: attr_t, pair: Int32)](repeating: (0, 0), count: StyleRole.allCases.count)
    private var buffer = [wchar_t](repeating: 0, count: 16)

    /// Starts curses. Throws a message when the terminal turns out to be unusable.
    init() throws {
        setlocale(LC_ALL, "")
        unicode = dw_is_utf8_locale() != 0
        // Keys come from the terminal even when standard input carries the log.
        if isatty(STDIN_FILENO) != 1 { inputFile = fopen("/dev/tty", "r") }
        screen = newterm(nil, dw_stdout(), inputFile ?? dw_stdin())
        guard screen != nil else {
            throw ConsoleRefusal("the terminal type '\(getenv("TERM").map { String(cString: $0) } ?? "")' is unknown to ncurses")
        }
        guard dw_has_cursor_addressing() != 0 else {
            endwin()
            throw ConsoleRefusal("the terminal cannot address the cursor")
        }
        TerminalBackend.installSignalHandlers()
        cbreak()
        noecho()
        nonl()
        keypad(dw_stdscr(), true)
        dw_enable_mouse()
        set_escdelay(25)  // Esc must feel instant, not wait a second for a sequence
        curs_set(0)
        leaveok(dw_stdscr(), true)
        // Bracketed paste: the terminal marks pasted text, so a line break in it is not Enter
        // and its letters are not keys (a pasted note's second line ran as commands).
        TerminalBackend.writeRaw(TerminalBackend.pasteOn)
        let noColor = getenv("NO_COLOR").map { String(cString: $0) }
        if has_colors() && (noColor ?? "").isEmpty {
            start_color()
            use_default_colors()
        }
        depth = ColorDepth.detect(hasColors: has_colors(), colors: Int(dw_colors()), noColor: noColor)
        if dw_color_pairs() < StyleRole.allCases.count + 1 { depth = .none }
    }

    func apply(theme: Theme) {
        for role in StyleRole.allCases {
            let style = Theme.style(for: role)
            var attrs = dw_a_normal()
            if style.bold { attrs |= dw_a_bold() }
            var pair: Int32 = 0
            if let fg = depth.index(for: theme[style.fg]), let bg = depth.index(for: theme[style.bg]) {
                pair = Int32(role.rawValue) + 1
                _ = dw_init_pair(pair, Int32(fg), Int32(bg))
            } else {
                if style.reverseWithoutColor { attrs |= dw_a_reverse() }
                if style.underlineWithoutColor { attrs |= dw_a_underline() }
                if role == .muted || role == .selectionMuted { attrs |= dw_a_dim() }
            }
            roleStyle[Int(role.rawValue)] = (attrs, pair)
        }
        previous = nil
        // The background of unused areas follows the text role.
        let text = roleStyle[Int(StyleRole.text.rawValue)]
        wbkgdset(dw_stdscr(), chtype(text.attrs) | dw_color_pair(text.pair))
        erase()
    }

    var size: (width: Int, height: Int) {
        var h: Int32 = 0, w: Int32 = 0
        dw_getmaxyx(dw_stdscr(), &h, &w)
        return (Int(w), Int(h))
    }

    /// Copies the grid out; only cells that changed since the last frame are sent to curses.
    func draw(_ grid: ScreenGrid) {
        let full = previous == nil || previous!.width != grid.width || previous!.height != grid.height
        if full { erase() }
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                let cell = grid[x, y]
                if cell.isContinuation { continue }
                if !full, let p = previous, p[x, y] == cell { continue }
                put(cell, x: x, y: y)
            }
        }
        previous = grid
        wnoutrefresh(dw_stdscr())
        doupdate()
    }

    private func put(_ cell: Cell, x: Int, y: Int) {
        var n = 0
        for s in cell.char.unicodeScalars where n < buffer.count - 1 {
            buffer[n] = wchar_t(bitPattern: s.value)
            n += 1
        }
        buffer[n] = 0
        let style = roleStyle[Int(cell.role.rawValue)]
        buffer.withUnsafeBufferPointer { _ = dw_put_cell(Int32(y), Int32(x), $0.baseAddress, style.attrs, style.pair) }
    }

    /// Repaints everything on the next draw (Ctrl+L, or after a resize).
    func invalidate() {
        previous = nil
        clearok(dw_stdscr(), true)
    }

    /// The next key, waiting at most `timeoutMs` (0: do not wait).
    func readKey(timeoutMs: Int) -> Key? {
        // Back from Ctrl+Z: the shell that had the terminal switched marked pastes off.
        if resumedFromStop != 0 {
            resumedFromStop = 0
            TerminalBackend.writeRaw(TerminalBackend.pasteOn)
        }
        wtimeout(dw_stdscr(), Int32(max(0, timeoutMs)))
        var ch: wint_t = 0
        let r = wget_wch(dw_stdscr(), &ch)
        if r == ERR { return nil }
        let c = Int32(bitPattern: ch)
        if r == dw_key_code_yes() {
            switch c {
            case dw_key_up(): return .up
            case dw_key_down(): return .down
            case dw_key_left(): return .left
            case dw_key_right(): return .right
            case dw_key_ppage(): return .pageUp
            case dw_key_npage(): return .pageDown
            case dw_key_home(): return .home
            case dw_key_end(): return .end
            case dw_key_enter(): return .enter
            case dw_key_backspace(): return .backspace
            case dw_key_dc(): return .delete
            case dw_key_btab(): return .backTab
            case dw_key_resize(): return .resize
            case dw_key_f(1): return .function(1)
            case dw_key_mouse():
                var x: Int32 = 0, y: Int32 = 0
                switch dw_read_mouse(&x, &y) {
                case 1: return .mouse(MouseEvent(.click, x: Int(x), y: Int(y)))
                case 2: return .mouse(MouseEvent(.doubleClick, x: Int(x), y: Int(y)))
                case 3: return .mouse(MouseEvent(.wheelUp, x: Int(x), y: Int(y)))
                case 4: return .mouse(MouseEvent(.wheelDown, x: Int(x), y: Int(y)))
                default: return nil
                }
            default: return nil
            }
        }
        switch c {
        case 27: return escapeOrSequence()
        case 10, 13: return .enter
        case 9: return .tab
        case 8, 127: return .backspace
        case 0..<32: return .ctrl(Character(Unicode.Scalar(UInt8(c + 96))))
        default:
            guard let s = Unicode.Scalar(UInt32(c)) else { return nil }
            return .char(Character(s))
        }
    }

    /// A lone Esc is the Escape key. Esc with more bytes already behind it, within the escape
    /// delay (25 ms, far less than between two key presses), is one key the terminal sent as a
    /// sequence ncurses did not decode: Alt+key, a function key it does not know, control codes
    /// in pasted text. It is read whole and dropped, so that its bytes never run as commands
    /// (Alt+u as Esc then undo, Alt+[ as Esc then a seek back). Esc Esc is two presses.
    private func escapeOrSequence() -> Key? {
        wtimeout(dw_stdscr(), 0)
        var ch: wint_t = 0
        @inline(__always) func next() -> UInt32? {
            let r = wget_wch(dw_stdscr(), &ch)
            return r == ERR || r == dw_key_code_yes() ? nil : UInt32(ch)
        }
        let r = wget_wch(dw_stdscr(), &ch)
        if r == ERR { return .escape }
        if r == dw_key_code_yes() { return nil }  // Alt with a key ncurses decoded
        switch UInt32(ch) {
        case 27:
            unget_wch(wchar_t(bitPattern: UInt32(ch)))  // the next read gets the second press
            return .escape
        case 0x5B:  // CSI: parameters, then a final byte in @...~
            var parameters: [UInt32] = []
            for _ in 0..<64 {
                guard let b = next() else { break }
                if (0x40...0x7E).contains(b) {
                    if b == 0x7E && parameters == [0x32, 0x30, 0x30] { return readPaste() }  // Esc [200~
                    break
                }
                parameters.append(b)
            }
        case 0x5D, 0x50, 0x5F, 0x5E:  // OSC, DCS, APC, PM: up to BEL or the terminator Esc \
            for _ in 0..<4096 {
                guard let b = next(), b != 7 else { break }
                if b == 27 { _ = next(); break }
            }
        case 0x4F:  // SS3: one more byte
            _ = next()
        default:
            break  // Alt+key
        }
        return nil
    }

    /// The text of a bracketed paste, read up to the terminal's closing `Esc [201~`. A long
    /// paste arrives in pieces, so each read waits a little; past 64 KiB the rest is dropped.
    private func readPaste() -> Key {
        let close: [UInt32] = [27, 0x5B, 0x32, 0x30, 0x31, 0x7E]
        var scalars: [UInt32] = []
        var tail: [UInt32] = []
        var ch: wint_t = 0
        wtimeout(dw_stdscr(), 200)
        while true {
            let r = wget_wch(dw_stdscr(), &ch)
            if r == ERR { break }  // the closing sequence never came: keep what did
            if r == dw_key_code_yes() { continue }
            let v = UInt32(ch)
            tail.append(v)
            if tail.count > close.count { tail.removeFirst() }
            if tail == close {
                if scalars.suffix(close.count - 1).elementsEqual(close.dropLast()) { scalars.removeLast(close.count - 1) }
                break
            }
            if scalars.count < 65_536 { scalars.append(v) }
        }
        var text = String.UnicodeScalarView()
        for v in scalars { if let s = Unicode.Scalar(v) { text.append(s) } }
        return .paste(String(text))
    }

    static let pasteOn = "\u{1b}[?2004h"
    static let pasteOff = "\u{1b}[?2004l"

    /// Writes a mode switch straight to the terminal, outside curses' picture of the screen.
    private static func writeRaw(_ sequence: String) {
        fputs(sequence, dw_stdout())
        fflush(dw_stdout())
    }

    /// Puts the terminal back the way it was. Safe to call twice.
    func shutdown() {
        if screen != nil { TerminalBackend.writeRaw(TerminalBackend.pasteOff) }
        if isendwin() == false { endwin() }
        if let s = screen { delscreen(s); screen = nil }
        if let f = inputFile { fclose(f); inputFile = nil }
    }

    // MARK: Signals

    /// SIGINT/SIGTERM/SIGHUP set a flag the loop checks; crashes restore the terminal first.
    private static func installSignalHandlers() {
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig) { s in pendingSignal = s }
        }
        signal(SIGCONT) { _ in resumedFromStop = 1 }
        for sig in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
            signal(sig) { s in
                _ = write(STDOUT_FILENO, "\u{1b}[?2004l", 8)
                endwin()
                signal(s, SIG_DFL)
                raise(s)
            }
        }
    }
}

/// The signal that asked us to stop, or 0.
nonisolated(unsafe) var pendingSignal: Int32 = 0
/// Set when the process is continued after a stop (Ctrl+Z, then `fg`).
nonisolated(unsafe) var resumedFromStop: Int32 = 0

struct ConsoleRefusal: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
