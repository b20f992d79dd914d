/// A row of bar glyphs for a series, scaled to the part that is visible.
public enum Sparkline {
    static let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    static let ascii: [Character] = ["_", ".", ":", "-", "=", "+", "*", "#"]

    /// The last `width` values as glyphs, scaled between their own min and max (a flat series
    /// is drawn low when it is zero and mid-height otherwise). Shorter series are padded left.
    public static func render(_ values: [Int], width: Int, unicode: Bool = true) -> String {
        guard width > 0 else { return "" }
        let glyphs = unicode ? blocks : ascii
        let visible = values.suffix(width)
        var out = String(repeating: " ", count: width - visible.count)
        guard let lo = visible.min(), let hi = visible.max() else { return out }
        for v in visible {
            let level: Int
            if hi == lo { level = hi == 0 ? 0 : 3 }
            else { level = Int((Double(v - lo) / Double(hi - lo) * 7).rounded()) }
            out.append(glyphs[max(0, min(7, level))])
        }
        return out
    }

    /// The whole series in at most `width` glyphs: each glyph stands for the same number of
    /// consecutive values, counted back from the newest, and shows the largest of them (an
    /// hourly rate stays a rate per hour: the busiest hour of its span). Series of the same
    /// length put the same hours under the same column, whatever else shares the row.
    public static func renderWhole(_ values: [Int], width: Int, unicode: Bool = true) -> String {
        guard width > 0, values.count > width else { return render(values, width: width, unicode: unicode) }
        let span = (values.count + width - 1) / width
        var peaks: [Int] = []
        var end = values.count
        while end > 0 {
            peaks.append(values[max(0, end - span)..<end].max()!)
            end -= span
        }
        return render(peaks.reversed(), width: width, unicode: unicode)
    }

    /// Min, max and last of the visible part, for the figures beside a sparkline.
    public static func figures(_ values: [Int], width: Int) -> (min: Int, max: Int, last: Int) {
        let visible = values.suffix(max(1, width))
        return (visible.min() ?? 0, visible.max() ?? 0, visible.last ?? 0)
    }
}

/// Number formatting shared by the widgets: short, grouped, never wider than it must be.
public enum Format {
    /// 1234 → "1,234"
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// (1, "account") → "1 account", (1234, "account") → "1,234 accounts"
    public static func counted(_ n: Int, _ noun: String) -> String {
        "\(grouped(n)) " + plural(n, noun)
    }

    /// The noun as `n` of it are called: (1, "turn") → "turn", (2, "turn") → "turns".
    public static func plural(_ n: Int, _ noun: String) -> String {
        n == 1 ? noun : noun + "s"
    }

    /// 1234 → "1.2k", 2_500_000 → "2.5M"
    public static func compact(_ n: Int) -> String {
        let a = Double(n.magnitude)
        let sign = n < 0 ? "-" : ""
        if a < 1000 { return sign + String(n.magnitude) }
        if a < 10_000 { return sign + oneDecimal(a / 1000) + "k" }
        if a < 1_000_000 { return sign + String(Int((a / 1000).rounded())) + "k" }
        if a < 10_000_000 { return sign + oneDecimal(a / 1_000_000) + "M" }
        return sign + String(Int((a / 1_000_000).rounded())) + "M"
    }

    public static func oneDecimal(_ x: Double) -> String {
        let tenths = Int(roundingSaturated: x * 10)
        // The sign goes in front explicitly: -0.5 has an integer part of 0.
        return (tenths < 0 ? "-" : "") + "\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }

    public static func twoDecimals(_ x: Double) -> String {
        let hundredths = Int(roundingSaturated: x * 100)
        let frac = abs(hundredths) % 100
        return (hundredths < 0 ? "-" : "") + "\(abs(hundredths) / 100).\(frac < 10 ? "0" : "")\(frac)"
    }

    public static func percent(_ x: Double) -> String { "\(Int(roundingSaturated: x * 100))%" }

    /// Stream time as "04-22 09:14" (month-day hour:minute, UTC): enough in a table column.
    public static func shortTime(_ t: StreamTime?) -> String {
        guard let t else { return "-" }
        let s = Timestamp.format(t)  // 2026-04-22T09:14:03.120Z
        let chars = Array(s)
        guard chars.count >= 16 else { return s }
        return String(chars[5..<10]) + " " + String(chars[11..<16])
    }

    /// Stream time as "2026-04-22 09:14:03Z".
    public static func clock(_ t: StreamTime?) -> String {
        guard let t else { return "--" }
        let chars = Array(Timestamp.format(t))
        guard chars.count >= 19 else { return String(chars) }
        return String(chars[0..<10]) + " " + String(chars[11..<19]) + "Z"
    }

    /// Time of day with milliseconds, "09:14:03.120".
    public static func timeOfDay(_ t: StreamTime) -> String {
        let chars = Array(Timestamp.format(t))
        guard chars.count >= 23 else { return String(chars) }
        return String(chars[11..<23])
    }
}

import DistillCore
