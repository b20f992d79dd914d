import DistillCore

/// Display width of text on a terminal, in columns: East Asian wide characters and emoji take
/// two, combining marks none. A small table rather than the C library's `wcwidth`, so tests
/// and layout give the same answer whatever the locale.
public enum TextWidth {
    public static func width(of c: Character) -> Int {
        let scalars = c.unicodeScalars
        guard let first = scalars.first else { return 0 }
        let v = first.value
        if scalars.count == 1 { return width(ofScalar: v) }
        // An emoji presentation selector makes the cluster an emoji; a pictograph's modifiers
        // and joiners are drawn on it.
        if scalars.contains(where: { $0.value == 0xFE0F }) { return 2 }
        if v >= 0x1F000 { return width(ofScalar: v) }
        // Otherwise terminals give each scalar its own width: an Indic conjunct or a Thai
        // vowel that is one character to Swift takes a column per letter on screen.
        var w = 0
        for s in scalars { w += width(ofScalar: s.value) }
        return w
    }

    /// One scalar's columns, as the C library's `wcwidth` gives them: none for controls,
    /// non-spacing and enclosing marks, most format characters and Hangul's medial and final
    /// jamo; two for East Asian wide characters; one otherwise (spacing marks included).
    static func width(ofScalar v: UInt32) -> Int {
        if v < 0x300 { return v < 0x20 || (v >= 0x7F && v < 0xA0) ? 0 : 1 }
        if isZeroWidth(v) { return 0 }
        if isWide(v) { return isNarrowPictograph(v) ? 1 : 2 }
        if (0x1160...0x11FF).contains(v) || (0xD7B0...0xD7FF).contains(v) { return 0 }
        guard let scalar = Unicode.Scalar(v) else { return 1 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark:
            return 0
        case .format:
            // Signs that span the digits after them take a column of their own.
            switch v {
            case 0x0600...0x0605, 0x06DD, 0x070F, 0x0890...0x0891, 0x08E2, 0x110BD, 0x110CD: return 1
            default: return 0
            }
        default:
            return 1
        }
    }

    /// The cells a character is drawn in, when it needs more than one of its own: each scalar
    /// that takes a column starts a cell, with the marks that follow it. Curses keeps one
    /// spacing character per cell and drops the rest, so a conjunct put in one cell lost its
    /// second letter on screen. nil when the character fits one cell as it is.
    static func cells(of c: Character) -> [(text: Character, width: Int)]? {
        let scalars = c.unicodeScalars
        guard scalars.count > 1, let first = scalars.first, first.value < 0x1F000,
              !scalars.contains(where: { $0.value == 0xFE0F }) else { return nil }
        var spacing = 0
        for s in scalars where width(ofScalar: s.value) > 0 { spacing += 1 }
        guard spacing > 1 else { return nil }
        var parts: [(text: Character, width: Int)] = []
        var piece = String.UnicodeScalarView()
        var pieceWidth = 0
        func flush() {
            // A piece is one spacing scalar and its marks: one grapheme, or (for marks that do
            // not extend) several, each with at most one spacing scalar.
            for ch in String(piece) { parts.append((ch, width(of: ch))) }
            piece = String.UnicodeScalarView(); pieceWidth = 0
        }
        for s in scalars {
            let w = width(ofScalar: s.value)
            if w > 0 && pieceWidth > 0 { flush() }
            piece.append(s); pieceWidth += w
        }
        flush()
        return parts.filter { $0.width > 0 }
    }

    /// Pictographs inside the wide blocks below that Unicode gives a narrow (text) width, as
    /// terminals draw them without a presentation selector (which the sanitiser removes).
    static func isNarrowPictograph(_ v: UInt32) -> Bool {
        switch v {
        case 0x1F321...0x1F32C, 0x1F336, 0x1F37D, 0x1F394...0x1F39F, 0x1F3CB...0x1F3CE, 0x1F3D4...0x1F3DF,
             0x1F3F1...0x1F3F3, 0x1F3F5...0x1F3F7, 0x1F43F, 0x1F441, 0x1F4FD...0x1F4FE, 0x1F53E...0x1F54A,
             0x1F54F, 0x1F568...0x1F579, 0x1F57B...0x1F594, 0x1F597...0x1F5A3, 0x1F5A5...0x1F5FA,
             0x1F6C6...0x1F6CB, 0x1F6CD...0x1F6CF, 0x1F6D3...0x1F6D4, 0x1F6E0...0x1F6EA, 0x1F6F0...0x1F6F3,
             0x1F93B, 0x1F946:
            return true
        default:
            return false
        }
    }

    public static func width(of text: String) -> Int {
        var w = 0
        for c in text { w += width(of: c) }
        return w
    }

    static func isZeroWidth(_ v: UInt32) -> Bool {
        switch v {
        case 0x0300...0x036F, 0x0483...0x0489, 0x0591...0x05BD, 0x0610...0x061A, 0x064B...0x065F,
             0x0E31, 0x0E34...0x0E3A, 0x0E47...0x0E4E, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF,
             0x200B...0x200D, 0x2060...0x2064, 0x20D0...0x20FF, 0xFE00...0xFE0F, 0xFE20...0xFE2F,
             0xE0100...0xE01EF:
            return true
        default:
            return false
        }
    }

    static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0, 0x23F3,
             0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F, 0x2693, 0x26A1, 0x26AA...0x26AB,
             0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE, 0x26D4, 0x26EA, 0x26F2...0x26F3, 0x26F5, 0x26FA,
             0x26FD, 0x2705, 0x270A...0x270B, 0x2728, 0x274C, 0x274E, 0x2753...0x2755, 0x2757,
             0x2795...0x2797, 0x27B0, 0x27BF, 0x2B1B...0x2B1C, 0x2B50, 0x2B55,
             0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F,
             0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x18AFF, 0x1B000...0x1B2FF,
             0x1F004, 0x1F0CF, 0x1F18E, 0x1F191...0x1F19A, 0x1F1E6...0x1F1FF, 0x1F200...0x1F251,
             0x1F300...0x1F64F, 0x1F680...0x1F6FF, 0x1F7E0...0x1F7EB, 0x1F90C...0x1F9FF,
             0x1FA70...0x1FAFF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// Sanitises `text` (control characters and escapes become visible placeholders) and fits
    /// it into `columns`, cutting with an ellipsis when it is wider. Never wider than `columns`.
    public static func fit(_ text: String, columns: Int, unicode: Bool = true) -> String {
        guard columns > 0 else { return "" }
        let clean = TextSanitizer.sanitize(text, asciiOnly: !unicode)
        if clean.utf8.count <= columns, clean.utf8.allSatisfy({ $0 < 0x80 }) { return clean }
        if width(of: clean) <= columns { return clean }
        let ellipsis: Character = unicode ? "…" : "~"
        var out = ""
        var used = 0
        for c in clean {
            let w = width(of: c)
            if used + w > columns - 1 { break }
            out.append(c)
            used += w
        }
        out.append(ellipsis)
        return out
    }
}
