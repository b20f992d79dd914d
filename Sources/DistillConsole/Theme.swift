/// A colour as a theme file writes it.
public struct RGB: Hashable, Sendable, CustomStringConvertible {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

    /// "#RRGGBB" (or "RRGGBB").
    public init?(hex: String) {
        var s = Substring(hex)
        if s.hasPrefix("#") { s = s.dropFirst() }
        guard s.count == 6, let v = UInt32(s, radix: 16) else { return nil }
        r = UInt8(v >> 16 & 0xFF); g = UInt8(v >> 8 & 0xFF); b = UInt8(v & 0xFF)
    }

    public var packed: Int { Int(r) << 16 | Int(g) << 8 | Int(b) }
    public var description: String {
        let hex = String(packed, radix: 16, uppercase: true)
        return "#" + String(repeating: "0", count: 6 - hex.count) + hex
    }
}

/// The semantic colour slots a theme fills. Every one has a default (the dark theme's).
/// `status_accent` and `selection_muted` exist because the status bar and the selection have
/// backgrounds of their own: a colour that reads well on the screen's background can vanish on
/// an inverted status bar or a bright selection.
public enum ThemeKey: String, CaseIterable, Sendable {
    case background, text, muted, border, header, title, accent
    case selection, selection_text, selection_muted
    case status_background, status_text, status_accent, footer_background, footer_text, key
    case suspect, watch, clear
    case risk_low, risk_mid, risk_high
    case sparkline, placeholder, warning, new_cluster, input
}

public struct ThemeDiagnostic: Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
}

/// A colour scheme: semantic keys to colours, plus how each style role uses them.
public struct Theme: Sendable, Equatable {
    public var name: String
    public var colors: [ThemeKey: RGB]

    public subscript(key: ThemeKey) -> RGB { colors[key] ?? Theme.dark.colors[key]! }

    /// Foreground and background keys and attributes for a role.
    public struct Style: Equatable, Sendable {
        public var fg: ThemeKey
        public var bg: ThemeKey
        public var bold = false
        /// Used when there is no colour at all, so a selection or a verdict still shows.
        public var reverseWithoutColor = false
        public var underlineWithoutColor = false
    }

    public static func style(for role: StyleRole) -> Style {
        switch role {
        case .text: return Style(fg: .text, bg: .background)
        case .muted: return Style(fg: .muted, bg: .background)
        case .header: return Style(fg: .header, bg: .background, bold: true, underlineWithoutColor: true)
        case .border: return Style(fg: .border, bg: .background)
        case .title: return Style(fg: .title, bg: .background, bold: true)
        case .accent: return Style(fg: .accent, bg: .background)
        case .selection: return Style(fg: .selection_text, bg: .selection, bold: true, reverseWithoutColor: true)
        case .selectionMuted: return Style(fg: .selection_muted, bg: .selection, reverseWithoutColor: true)
        case .statusBar: return Style(fg: .status_text, bg: .status_background, reverseWithoutColor: true)
        case .statusAccent: return Style(fg: .status_accent, bg: .status_background, bold: true, reverseWithoutColor: true)
        case .footer: return Style(fg: .footer_text, bg: .footer_background)
        case .footerKey: return Style(fg: .key, bg: .footer_background, bold: true)
        case .input: return Style(fg: .input, bg: .background, bold: true)
        case .suspect: return Style(fg: .suspect, bg: .background, bold: true)
        case .watch: return Style(fg: .watch, bg: .background, bold: true)
        case .clear: return Style(fg: .clear, bg: .background)
        case .riskLow: return Style(fg: .risk_low, bg: .background)
        case .riskMid: return Style(fg: .risk_mid, bg: .background)
        case .riskHigh: return Style(fg: .risk_high, bg: .background, bold: true)
        case .sparkline: return Style(fg: .sparkline, bg: .background)
        case .placeholder: return Style(fg: .placeholder, bg: .background, underlineWithoutColor: true)
        case .warning: return Style(fg: .warning, bg: .background, bold: true)
        case .newMark: return Style(fg: .new_cluster, bg: .background, bold: true)
        }
    }

    /// Keys that follow another key in a file that sets that one but not them: themes written
    /// before they existed drew the status bar's highlights in `accent` and an unfocused
    /// selection's text in `muted`, and keep looking the same.
    static let followers: [(key: ThemeKey, follows: ThemeKey)] = [(.status_accent, .accent), (.selection_muted, .muted)]

    /// Parses a theme file: `key = "#RRGGBB"` lines, `#` comments, blank lines. Keys it does
    /// not set keep `base`'s colours (or follow their key in `followers`); unknown keys and bad
    /// values are reported with their line number and ignored.
    public static func parse(_ text: String, name: String, base: Theme = .dark) -> (theme: Theme, diagnostics: [ThemeDiagnostic]) {
        var theme = base
        theme.name = name
        var problems: [ThemeDiagnostic] = []
        var set = Set<ThemeKey>()
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = raw.trimmingSpaces
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let eq = line.firstIndex(of: "=") else {
                problems.append(ThemeDiagnostic(line: number, message: "expected key = \"#RRGGBB\""))
                continue
            }
            var key = line[..<eq].trimmingSpaces
            // btop writes theme[key]: accept that spelling too.
            if key.hasPrefix("theme["), key.hasSuffix("]") { key = key.dropFirst(6).dropLast() }
            var value = line[line.index(after: eq)...].trimmingSpaces
            // A quoted value may be followed by a comment; an unquoted one ends at a space.
            if value.first == "\"", let close = value.dropFirst().firstIndex(of: "\"") {
                value = value[value.index(after: value.startIndex)..<close]
            } else if let end = value.firstIndex(where: { $0 == " " || $0 == "\t" }) {
                value = value[..<end]
            }
            guard let k = ThemeKey(rawValue: String(key)) else {
                problems.append(ThemeDiagnostic(line: number, message: "unknown key '\(TextWidth.fit(String(key), columns: 40))' (ignored)"))
                continue
            }
            guard let color = RGB(hex: String(value)) else {
                problems.append(ThemeDiagnostic(line: number, message: "'\(k.rawValue)': expected \"#RRGGBB\", got '\(TextWidth.fit(String(value), columns: 40))'"))
                continue
            }
            theme.colors[k] = color
            set.insert(k)
        }
        for f in followers where set.contains(f.follows) && !set.contains(f.key) { theme.colors[f.key] = theme[f.follows] }
        return (theme, problems)
    }

    /// The theme as file text, every key written out.
    public func fileText() -> String {
        var out = "# DistillWatch theme: \(name)\n"
        for key in ThemeKey.allCases { out += "\(key.rawValue) = \"\(self[key])\"\n" }
        return out
    }

    static func make(_ name: String, _ pairs: [ThemeKey: String]) -> Theme {
        Theme(name: name, colors: pairs.compactMapValues { RGB(hex: $0) })
    }

    public static let dark = make("dark", [
        .background: "#101418", .text: "#D8DEE9", .muted: "#7A8494", .border: "#5E6779",
        .header: "#88C0D0", .title: "#ECEFF4", .accent: "#81A1C1",
        .selection: "#2E3A4F", .selection_text: "#FFFFFF", .selection_muted: "#A3ABB8",
        .status_background: "#1F2937", .status_text: "#E5E9F0", .status_accent: "#81A1C1", .footer_background: "#161B22",
        .footer_text: "#9AA5B4", .key: "#EBCB8B",
        .suspect: "#FF5F5F", .watch: "#FFB454", .clear: "#7FD18B",
        .risk_low: "#7FD18B", .risk_mid: "#FFB454", .risk_high: "#FF5F5F",
        .sparkline: "#5FAFFF", .placeholder: "#FF87FF", .warning: "#FFD75F", .new_cluster: "#5FD7FF",
        .input: "#FFFFFF",
    ])

    public static let light = make("light", [
        .background: "#FAFAF7", .text: "#1F2328", .muted: "#656D76", .border: "#868E98",
        .header: "#0550AE", .title: "#000000", .accent: "#0969DA",
        .selection: "#CFE3FF", .selection_text: "#000000", .selection_muted: "#4D5560",
        .status_background: "#E1E6EC", .status_text: "#1F2328", .status_accent: "#0550AE", .footer_background: "#EEF1F4",
        .footer_text: "#57606A", .key: "#6E40C9",
        .suspect: "#CF222E", .watch: "#9A6700", .clear: "#1A7F37",
        .risk_low: "#1A7F37", .risk_mid: "#9A6700", .risk_high: "#CF222E",
        .sparkline: "#0969DA", .placeholder: "#BF3989", .warning: "#9A6700", .new_cluster: "#0550AE",
        .input: "#000000",
    ])

    public static let highContrast = make("high-contrast", [
        .background: "#000000", .text: "#FFFFFF", .muted: "#C0C0C0", .border: "#FFFFFF",
        .header: "#FFFF00", .title: "#FFFFFF", .accent: "#00FFFF",
        .selection: "#FFFF00", .selection_text: "#000000", .selection_muted: "#333333",
        .status_background: "#FFFFFF", .status_text: "#000000", .status_accent: "#0000C0", .footer_background: "#000000",
        .footer_text: "#FFFFFF", .key: "#00FFFF",
        .suspect: "#FF6666", .watch: "#FFFF00", .clear: "#00FF00",
        .risk_low: "#00FF00", .risk_mid: "#FFFF00", .risk_high: "#FF6666",
        .sparkline: "#00FFFF", .placeholder: "#FF55FF", .warning: "#FFFF00", .new_cluster: "#00FFFF",
        .input: "#FFFFFF",
    ])

    public static let monochrome = make("monochrome", [
        .background: "#000000", .text: "#D0D0D0", .muted: "#8A8A8A", .border: "#6C6C6C",
        .header: "#FFFFFF", .title: "#FFFFFF", .accent: "#FFFFFF",
        .selection: "#D0D0D0", .selection_text: "#000000", .selection_muted: "#3A3A3A",
        .status_background: "#D0D0D0", .status_text: "#3A3A3A", .status_accent: "#000000", .footer_background: "#000000",
        .footer_text: "#8A8A8A", .key: "#FFFFFF",
        .suspect: "#FFFFFF", .watch: "#D0D0D0", .clear: "#8A8A8A",
        .risk_low: "#8A8A8A", .risk_mid: "#D0D0D0", .risk_high: "#FFFFFF",
        .sparkline: "#D0D0D0", .placeholder: "#FFFFFF", .warning: "#FFFFFF", .new_cluster: "#FFFFFF",
        .input: "#FFFFFF",
    ])

    public static let builtIn: [Theme] = [.dark, .light, .highContrast, .monochrome]
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return s
    }
}

/// How many colours the terminal can show, from best to none.
public enum ColorDepth: String, Sendable, Comparable {
    case none, palette8, palette16, palette256, truecolor

    private var rank: Int { [.none: 0, .palette8: 1, .palette16: 2, .palette256: 3, .truecolor: 4][self]! }
    public static func < (a: ColorDepth, b: ColorDepth) -> Bool { a.rank < b.rank }

    /// `NO_COLOR` (any value but empty) wins; otherwise the terminal's colour count decides.
    public static func detect(hasColors: Bool, colors: Int, noColor: String?) -> ColorDepth {
        if let n = noColor, !n.isEmpty { return .none }
        guard hasColors else { return .none }
        if colors >= 0x100_0000 { return .truecolor }
        if colors >= 256 { return .palette256 }
        if colors >= 16 { return .palette16 }
        if colors >= 8 { return .palette8 }
        return .none
    }

    /// The terminal colour number for `c` at this depth (nil: no colour).
    public func index(for c: RGB) -> Int? {
        switch self {
        case .none: return nil
        case .truecolor: return c.packed
        case .palette256: return ColorDepth.nearest256(c)
        case .palette16: return ColorDepth.nearestBasic(c, count: 16)
        case .palette8: return ColorDepth.nearestBasic(c, count: 8)
        }
    }

    static let cubeLevels = [0, 95, 135, 175, 215, 255]

    /// The xterm 256-colour index closest to `c`: the 6×6×6 cube or the grey ramp.
    public static func nearest256(_ c: RGB) -> Int {
        func level(_ v: UInt8) -> Int {
            let x = Int(v)
            return x < 48 ? 0 : x < 115 ? 1 : (x - 35) / 40
        }
        let (lr, lg, lb) = (level(c.r), level(c.g), level(c.b))
        let cube = RGB(UInt8(cubeLevels[lr]), UInt8(cubeLevels[lg]), UInt8(cubeLevels[lb]))
        let cubeIndex = 16 + 36 * lr + 6 * lg + lb
        let avg = (Int(c.r) + Int(c.g) + Int(c.b)) / 3
        let greyStep = avg > 238 ? 23 : max(0, (avg - 3) / 10)
        let greyValue = 8 + 10 * greyStep
        let grey = RGB(UInt8(greyValue), UInt8(greyValue), UInt8(greyValue))
        return distance(c, grey) < distance(c, cube) ? 232 + greyStep : cubeIndex
    }

    static let basic: [RGB] = [
        RGB(0, 0, 0), RGB(205, 0, 0), RGB(0, 205, 0), RGB(205, 205, 0),
        RGB(0, 0, 238), RGB(205, 0, 205), RGB(0, 205, 205), RGB(229, 229, 229),
        RGB(127, 127, 127), RGB(255, 0, 0), RGB(0, 255, 0), RGB(255, 255, 0),
        RGB(92, 92, 255), RGB(255, 0, 255), RGB(0, 255, 255), RGB(255, 255, 255),
    ]

    public static func nearestBasic(_ c: RGB, count: Int) -> Int {
        var best = 0, bestDistance = Int.max
        for i in 0..<min(count, basic.count) {
            let d = distance(c, basic[i])
            if d < bestDistance { best = i; bestDistance = d }
        }
        return best
    }

    static func distance(_ a: RGB, _ b: RGB) -> Int {
        let dr = Int(a.r) - Int(b.r), dg = Int(a.g) - Int(b.g), db = Int(a.b) - Int(b.b)
        // Weighted toward green, as the eye is.
        return 2 * dr * dr + 4 * dg * dg + 3 * db * db
    }
}
