/// Makes text from logs safe to print on a terminal: control characters, escape sequences and
/// bidirectional overrides become visible placeholders, so hostile input can neither move the
/// cursor, retitle the window, nor reorder what a person reads.
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
            case 0x80...0x9F, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0xFFF9...0xFFFB:
                // C1 controls (a lone 0x9B is CSI on some terminals) and bidi controls.
                out.append(contentsOf: (asciiOnly ? "?" : "\u{FFFD}").unicodeScalars)
            default:
                if asciiOnly && v > 0x7E { out.append("?") } else { out.append(scalar) }
            }
        }
        return String(out)
    }
}
