/// Makes text from logs safe to print on a terminal: control characters, escape sequences,
/// bidirectional overrides, line separators and invisible characters become visible
/// placeholders, so hostile input can neither move the cursor, retitle the window, break or
/// reorder what a person reads, nor pass one id off as another.
public enum TextSanitizer {
    public static func sanitize(_ text: String, asciiOnly: Bool = false) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let v = scalar.value
            switch v {
            case 0x00...0x1F:
                if asciiOnly {
                    out.append(contentsOf: "^".unicodeScalars)
                    out.append(Unicode.Scalar(UInt8(v + 0x40)))
                } else {
                    out.append(Unicode.Scalar(0x2400 + v)!)  // ␀ … ␟ (␛ for ESC)
                }
            case 0x7F:
                if asciiOnly { out.append(contentsOf: "^?".unicodeScalars) } else { out.append("\u{2421}") }  // ␡
            case 0x80...0x9F:
                // C1 controls: a lone 0x9B is CSI on some terminals.
                out.append(contentsOf: (asciiOnly ? "?" : "\u{FFFD}").unicodeScalars)
            case _ where isInvisibleOrSteering(v):
                out.append(contentsOf: (asciiOnly ? "?" : "\u{FFFD}").unicodeScalars)
            case _ where (0xFE0E...0xFE0F).contains(v) || (0x1F3FB...0x1F3FF).contains(v):
                // Presentation selectors and skin tones: terminals disagree on whether they widen
                // the character before them, and a column counted wrong shifts the whole row.
                continue
            case _ where (0x1F1E6...0x1F1FF).contains(v):
                // Regional indicators, which pair into flags of disputed width: their letters.
                out.append(Unicode.Scalar(UInt8(0x41 + v - 0x1F1E6)))
            default:
                if asciiOnly && v > 0x7E {
                    out.append(contentsOf: (asciiStandIns[v] ?? "?").unicodeScalars)
                } else {
                    out.append(scalar)
                }
            }
        }
        return String(out)
    }

    /// Scalars that change how a line reads without showing themselves: line and paragraph
    /// separators, bidi controls, and invisible format characters (zero-width spaces and joiners,
    /// soft hyphen, word joiner, byte-order mark, tag characters), with which two different ids
    /// look the same.
    public static func isInvisibleOrSteering(_ v: UInt32) -> Bool {
        switch v {
        case 0x00AD, 0x061C, 0x180E, 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x2069, 0xFEFF, 0xFFF9...0xFFFB,
             0xE0000...0xE007F: return true  // tags: invisible letters that can carry hidden text
        // Letters and marks that draw nothing: the Hangul fillers (blank, one or two columns
        // wide, the usual way to pad a name invisibly), the grapheme joiner, Khmer's inherent
        // vowels, Mongolian variation selectors, shorthand and musical format controls.
        case 0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B...0x180F, 0x3164, 0xFFA0, 0x1BCA0...0x1BCA3,
             0x1D173...0x1D17A: return true
        default: return false
        }
    }

    /// ASCII for the punctuation and symbols the console and the evidence sentences use, so a
    /// terminal without UTF-8 shows "0 suspect . 0 watch" and "x3600" rather than question marks.
    /// Other text (letters of other scripts) has no stand-in and stays "?".
    static let asciiStandIns: [UInt32: String] = [
        0x00A0: " ", 0x00B7: ".", 0x2022: "*", 0x25CF: "*", 0x25CB: "o", 0x00D7: "x", 0x2026: "...",
        0x2010: "-", 0x2011: "-", 0x2012: "-", 0x2013: "-", 0x2014: "-", 0x2212: "-", 0x2500: "-", 0x2502: "|",
        0x2190: "<-", 0x2192: "->", 0x2194: "<->", 0x03A3: "sum", 0x2191: "^", 0x2193: "v", 0x25B2: "^", 0x25BC: "v", 0x25B6: ">", 0x25C0: "<",
        0x2039: "<", 0x203A: ">", 0x00AB: "<<", 0x00BB: ">>", 0x2264: "<=", 0x2265: ">=", 0x2248: "~", 0x00B1: "+/-",
        0x2018: "'", 0x2019: "'", 0x201C: "\"", 0x201D: "\"", 0x271A: "+", 0x270E: "*", 0x2713: "v", 0x2714: "v",
        0x2717: "x", 0x2718: "x",
    ]
}
