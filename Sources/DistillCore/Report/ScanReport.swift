import Foundation

/// The result of running the detector to the end of its input, in the two forms `scan` prints.
public struct ScanReport: Sendable {
    public var ledger: InputLedger
    public var snapshot: Snapshot
    /// Clusters the report lists: everything not clear, plus clear clusters of several accounts
    /// (the look-alikes an analyst wants to see cleared), unless `includeAll`.
    public var clusters: [ClusterSnapshot]

    public init(ledger: InputLedger, snapshot: Snapshot, includeAll: Bool = false) {
        self.ledger = ledger
        self.snapshot = snapshot
        clusters = snapshot.clusters.filter { includeAll || $0.verdict != .clear || $0.accounts.count > 1 }
    }

    public var hasSuspect: Bool { clusters.contains { $0.verdict == .suspect } }

    // MARK: JSON

    /// The documented shape, keys in a fixed order, one line per cluster for readable diffs.
    public func json() -> String {
        var out = "{\"input\": {"
        out += "\"exchanges\": \(ledger.exchanges), \"duplicates\": \(ledger.duplicates), "
        out += "\"rejected\": {\"total\": \(ledger.rejectedTotal), \"by_reason\": {"
        out += ledger.rejectedByReason.sorted { $0.key < $1.key }
            .map { "\(JSON.quote($0.key)): \($0.value)" }.joined(separator: ", ")
        out += "}}, \"first_ts\": \(JSON.time(ledger.firstTs)), \"last_ts\": \(JSON.time(ledger.lastTs))},\n \"clusters\": ["
        for (i, c) in clusters.enumerated() {
            out += i == 0 ? "\n  " : ",\n  "
            out += "{\"id\": \"C\(i + 1)\", \"verdict\": \"\(c.verdict.rawValue)\", \"risk\": \(JSON.number(c.risk, places: 3)), "
            out += "\"accounts\": [" + c.accounts.map(JSON.quote).joined(separator: ", ") + "], "
            out += "\"exchanges\": \(c.exchanges), \"first_seen\": \(JSON.time(c.firstSeen)), \"flagged_at\": \(JSON.time(c.flaggedAt)), "
            if let note = c.verdictNote { out += "\"verdict_note\": \(JSON.quote(note)), " }
            out += "\"signals\": [" + c.signals.map {
                "{\"name\": \(JSON.quote($0.name)), \"weight\": \(JSON.number($0.weight, places: 2)), \"detail\": \(JSON.quote($0.detail))}"
            }.joined(separator: ", ") + "], "
            out += "\"ties\": [" + c.ties.map { t in
                "{\"kind\": \(JSON.quote(t.kind.name)), \"accounts\": \(t.accounts), \"examples\": [" + t.examples.map(JSON.quote).joined(separator: ", ") + "]}"
            }.joined(separator: ", ") + "]}"
        }
        out += clusters.isEmpty ? "]}\n" : "\n ]}\n"
        return out
    }

    // MARK: Table

    public func table(width: Int = 120, accountsShown: Int = 6) -> String {
        var lines: [String] = []
        let span = ledger.firstTs.map { "\(Timestamp.format($0)) → \(Timestamp.format(ledger.lastTs ?? $0))" } ?? "no exchanges"
        func count(_ n: Int, _ noun: String) -> String { "\(group(n)) \(noun)\(n == 1 ? "" : "s")" }
        lines.append("DistillWatch scan: \(count(ledger.exchanges, "exchange")) (\(span)), \(count(ledger.duplicates, "duplicate")), \(group(ledger.rejectedTotal)) rejected")
        let suspects = clusters.filter { $0.verdict == .suspect }
        let suspectAccounts = suspects.reduce(0) { $0 + $1.accounts.count }
        lines.append("\(suspects.count) suspect cluster\(suspects.count == 1 ? "" : "s") (\(group(suspectAccounts)) account\(suspectAccounts == 1 ? "" : "s")), \(clusters.filter { $0.verdict == .watch }.count) watch, \(clusters.filter { $0.verdict == .clear }.count) clear groups shown")
        lines.append("")
        let header = pad("ID", 5) + pad("VERDICT", 9) + pad("RISK", 7, right: true) + pad("ACCTS", 7, right: true)
            + pad("EXCHANGES", 11, right: true) + "  " + pad("FIRST SEEN", 18) + pad("FLAGGED AT", 18) + "TOP SIGNALS"
        lines.append(header)
        for (i, c) in clusters.enumerated() {
            let top = c.signals.filter { $0.weight > 0 }.prefix(3).map(\.name).joined(separator: ", ")
            var row = pad("C\(i + 1)", 5) + pad(c.verdict.rawValue, 9) + pad(JSON.number(c.risk, places: 2), 7, right: true)
            row += pad(group(c.accounts.count), 7, right: true) + pad(group(c.exchanges), 11, right: true) + "  "
            row += pad(shortTime(c.firstSeen), 18) + pad(c.flaggedAt.map(shortTime) ?? "-", 18) + top
            lines.append(clip(row, width))
            if let note = c.verdictNote { lines.append(clip("     " + note, width)) }
            let shown = c.accounts.prefix(accountsShown).map { TextSanitizer.sanitize($0) }.joined(separator: ", ")
            let more = c.accounts.count > accountsShown ? " (+\(c.accounts.count - accountsShown) more)" : ""
            lines.append(clip("     accounts: \(shown)\(more)", width))
            if !c.ties.isEmpty {
                lines.append(clip("     together by: " + c.ties.map { "\($0.kind.label) (\(group($0.accounts)))" }.joined(separator: ", "), width))
            }
            for s in c.signals.prefix(3) {
                lines.append(clip("     \(s.weight >= 0 ? "+" : "")\(JSON.number(s.weight, places: 2)) \(s.name): \(TextSanitizer.sanitize(s.detail))", width))
            }
        }
        if clusters.isEmpty { lines.append("(no clusters worth showing)") }
        if ledger.rejectedTotal > 0 {
            lines.append("")
            lines.append("Rejected lines by reason: " + ledger.rejectedByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            for sample in ledger.samples.prefix(5) {
                // Wrapped, not clipped: a message's end often says what to do (`try --input-format auto`).
                lines += wrap("  \(TextSanitizer.sanitize(sample.source)):\(sample.line): \(sample.reason): \(TextSanitizer.sanitize(sample.message))",
                              width, indent: "      ", maxLines: 4)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func shortTime(_ t: StreamTime) -> String {
        let s = Timestamp.format(t)  // 2026-04-22T09:14:03.120Z
        guard s.count >= 16 else { return s }
        return String(s.prefix(16)).replacingOccurrences(of: "T", with: " ")
    }
}

func group(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return (n < 0 ? "-" : "") + out
}

func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    let n = s.count
    if n >= width { return s + " " }
    let fill = String(repeating: " ", count: width - n)
    return right ? fill + s + " " : s + fill
}

func clip(_ s: String, _ width: Int) -> String {
    s.count <= width ? s : String(s.prefix(width - 1)) + "…"
}

/// `s` in lines of at most `width` characters, broken at a space where there is one; lines
/// after the first start with `indent`; past `maxLines` the last is clipped.
func wrap(_ s: String, _ width: Int, indent: String, maxLines: Int) -> [String] {
    var lines: [String] = []
    var rest = Substring(s)
    while !rest.isEmpty {
        let prefix = lines.isEmpty ? "" : indent
        let room = max(1, width - prefix.count)
        if rest.count <= room || lines.count == maxLines - 1 {
            lines.append(clip(prefix + rest, width))
            break
        }
        let limit = rest.index(rest.startIndex, offsetBy: room)
        // At the last space, unless that leaves the line mostly empty (a long path): then mid-word.
        let least = rest.index(rest.startIndex, offsetBy: room / 2)
        let cut = rest[..<limit].lastIndex(of: " ").flatMap { $0 >= least ? $0 : nil } ?? limit
        lines.append(prefix + rest[..<cut])
        rest = rest[cut...].drop { $0 == " " }
    }
    return lines
}

/// Minimal JSON writing: the report's shape is fixed, so a full encoder would only cost speed
/// and key-order control.
public enum JSON {
    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                // Controls, line separators and bidi controls: a terminal or viewer showing the JSON
                // raw must not be steered by a log's text (U+202E turns the rest of a line around).
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
                    || TextSanitizer.isInvisibleOrSteering(scalar.value) {
                    out += unicodeEscape(scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// `\uXXXX` for a scalar; one beyond the Basic Multilingual Plane (the invisible tag
    /// letters U+E0000–U+E007F are escaped) as its UTF-16 surrogate pair, as JSON spells it.
    public static func unicodeEscape(_ v: UInt32) -> String {
        func unit(_ u: UInt32) -> String {
            let hex = String(u, radix: 16)
            return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
        guard v > 0xFFFF else { return unit(v) }
        let w = v - 0x1_0000
        return unit(0xD800 + (w >> 10)) + unit(0xDC00 + (w & 0x3FF))
    }

    public static func time(_ t: StreamTime?) -> String {
        t.map { "\"\(Timestamp.format($0))\"" } ?? "null"
    }

    /// Fixed decimals without Foundation's locale-dependent formatting; trailing zeros trimmed.
    public static func number(_ x: Double, places: Int) -> String {
        guard x.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((abs(x) * scale).rounded())
        let whole = scaled / Int64(scale)
        var frac = String(scaled % Int64(scale))
        frac = String(repeating: "0", count: places - frac.count) + frac
        while frac.hasSuffix("0") { frac.removeLast() }
        let sign = x < 0 && scaled != 0 ? "-" : ""
        return frac.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(frac)"
    }
}
