import DistillCore
import Foundation

/// Evidence exports of cases: JSON with a versioned shape (`distillwatch.cases/1`, documented in
/// the README), or CSV with one row per case. Everything comes from the journal alone.
public enum CaseExport {
    public static let schema = "distillwatch.cases/1"

    public enum Format: String, CaseIterable, Sendable { case json, csv }

    /// Cases whose verdict in force is `verdict` (nil: all cases).
    public static func select(_ cases: [CaseRecord], verdict: CaseAction?) -> [CaseRecord] {
        guard let verdict else { return cases }
        return cases.filter { $0.verdict == verdict }
    }

    // MARK: JSON

    struct Document: Encodable {
        var schema: String
        var exported_at: String
        var journal: String
        var cases: [Case]
    }
    struct Case: Encodable {
        var id: Int64
        var subject: String
        var subject_key: String
        var verdict: Null<String>
        var reason: Null<String>
        var allowlist_scope: Null<String>
        var snoozed_until: Null<String>
        var notes: [String]
        var evidence: Evidence
        var history: [Entry]
    }
    struct Evidence: Encodable {
        var as_of: Null<String>
        var cluster_key: Null<String>
        var detector_verdict: Null<String>
        var risk: Null<Double>
        var accounts: [String]
        var new_accounts: [String]
        var api_keys: [String]
        var orgs: [String]
        var cards: [String]
        var ip_ranges: [String]
        var asns: [String]
        var first_seen: Null<String>
        var last_seen: Null<String>
        var exchanges: Int
        var input_tokens: Int
        var output_tokens: Int
        var reasoning_tokens: Int
        var signals: [SignalOut]
        var samples: [SampleOut]
    }
    struct SignalOut: Encodable { var name: String; var weight: Double; var detail: String }
    struct SampleOut: Encodable { var request_id: Null<String>; var account: String; var ts: String; var prompt: Null<String> }
    struct Entry: Encodable {
        var id: Int64
        var action: String
        var reason: Null<String>
        var scope: Null<String>
        var until: Null<String>
        var note: Null<String>
        var analyst: String
        var wall_time: String
        var stream_time: Null<String>
        var undoes: Null<Int64>
        var undone: Bool
    }

    /// An optional that is written as `null` rather than left out: every key of the documented
    /// shape is always present.
    struct Null<T: Encodable>: Encodable {
        var value: T?
        init(_ value: T?) { self.value = value }
        func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            if let value { try c.encode(value) } else { try c.encodeNil() }
        }
    }

    static func time(_ t: StreamTime?) -> String? { t.map(Timestamp.format) }

    public static func json(_ cases: [CaseRecord], journal: String, exportedAt: Int64) throws -> Data {
        let doc = Document(schema: schema, exported_at: Timestamp.format(exportedAt), journal: journal, cases: cases.map(exportCase))
        let encoder = JSONEncoder()
        // Sorted keys and no slash escaping: stable, diffable files.
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return escapingTerminalControls(try encoder.encode(doc))
    }

    /// JSONEncoder escapes C0 controls only. Values here come from logs and notes, and the
    /// export may be printed to a terminal: DEL, C1 controls (U+009B is CSI), line separators,
    /// bidi overrides and invisible characters are written as `\uXXXX` too. They can only occur inside strings.
    static func escapingTerminalControls(_ json: Data) -> Data {
        let text = String(decoding: json, as: UTF8.self)
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v == 0x7F || (0x80...0x9F).contains(v) || TextSanitizer.isInvisibleOrSteering(v) {
                out.append(contentsOf: JSON.unicodeEscape(v).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return Data(String(out).utf8)
    }

    static func exportCase(_ c: CaseRecord) -> Case {
        let e = c.evidence
        let undone = Set(c.decisions.compactMap(\.undoes))
        let v = c.verdictDecision
        return Case(
            id: c.id, subject: c.subject.rawValue, subject_key: c.subjectKey, verdict: Null(v?.action.rawValue),
            reason: Null(v?.action == .clear ? v?.reason?.rawValue : nil), allowlist_scope: Null(v?.action == .clear ? v?.scope?.rawValue : nil),
            snoozed_until: Null(v?.action == .snooze ? time(v?.until) : nil),
            notes: c.notes.compactMap(\.note),
            evidence: Evidence(
                as_of: Null(time(e.asOf)), cluster_key: Null(e.clusterKey), detector_verdict: Null(e.detectorVerdict?.rawValue), risk: Null(e.risk),
                accounts: e.accounts, new_accounts: c.newMembers(in: e.accounts), api_keys: e.apiKeys, orgs: e.orgs, cards: e.cards,
                ip_ranges: e.ipRanges, asns: e.asns, first_seen: Null(time(e.firstSeen)), last_seen: Null(time(e.lastSeen)),
                exchanges: e.exchanges, input_tokens: e.inputTokens, output_tokens: e.outputTokens, reasoning_tokens: e.reasoningTokens,
                signals: e.signals.map { SignalOut(name: $0.name, weight: $0.weight, detail: $0.detail) },
                samples: e.samples.map { SampleOut(request_id: Null($0.requestID), account: $0.account, ts: Timestamp.format($0.ts), prompt: Null($0.prompt)) }),
            history: c.decisions.map { d in
                Entry(id: d.id, action: d.action.rawValue, reason: Null(d.reason?.rawValue), scope: Null(d.scope?.rawValue), until: Null(time(d.until)),
                      note: Null(d.note), analyst: d.analyst, wall_time: Timestamp.format(d.wallTime), stream_time: Null(time(d.streamTime)),
                      undoes: Null(d.undoes), undone: undone.contains(d.id))
            })
    }

    // MARK: CSV

    public static let csvColumns = [
        "case_id", "subject", "subject_key", "verdict", "reason", "allowlist_scope", "accounts_count", "accounts", "new_accounts",
        "api_keys", "orgs", "cards", "ip_ranges", "asns", "first_seen", "last_seen", "exchanges", "input_tokens", "output_tokens",
        "reasoning_tokens", "risk", "signals", "sample_request_ids", "sample_prompts", "notes", "history",
    ]

    /// RFC 4180: comma-separated, CRLF line ends, fields quoted when needed. Lists inside a field
    /// are joined with `; `. Text that a spreadsheet would run as a formula gets a leading `'`.
    public static func csv(_ cases: [CaseRecord]) -> String {
        var out = csvColumns.joined(separator: ",") + "\r\n"
        for c in cases {
            let x = exportCase(c)
            let e = x.evidence
            let fields: [String] = [
                String(x.id), x.subject, x.subject_key, x.verdict.value ?? "", x.reason.value ?? "", x.allowlist_scope.value ?? "",
                String(e.accounts.count), e.accounts.joined(separator: "; "), e.new_accounts.joined(separator: "; "),
                e.api_keys.joined(separator: "; "), e.orgs.joined(separator: "; "), e.cards.joined(separator: "; "),
                e.ip_ranges.joined(separator: "; "), e.asns.joined(separator: "; "), e.first_seen.value ?? "", e.last_seen.value ?? "",
                String(e.exchanges), String(e.input_tokens), String(e.output_tokens), String(e.reasoning_tokens),
                e.risk.value.map { String($0) } ?? "",
                e.signals.map { "\($0.name) \($0.weight >= 0 ? "+" : "")\($0.weight)" }.joined(separator: "; "),
                e.samples.compactMap(\.request_id.value).joined(separator: "; "),
                e.samples.compactMap(\.prompt.value).joined(separator: "; "),
                x.notes.joined(separator: "; "),
                x.history.map { h in
                    [h.wall_time, h.analyst, h.action, h.reason.value, h.scope.value, h.note.value.map { "\"\($0)\"" }, h.undone ? "(undone)" : nil]
                        .compactMap { $0 }.joined(separator: " ")
                }.joined(separator: "; "),
            ]
            out += fields.map(csvField).joined(separator: ",") + "\r\n"
        }
        return out
    }

    static func csvField(_ raw: String) -> String {
        var s = TextSanitizer.sanitize(raw)
        if let first = s.unicodeScalars.first, "=+-@".unicodeScalars.contains(first) { s = "'" + s }
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == ";" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: List

    /// One line per case, sanitised for a terminal.
    public static func listLines(_ cases: [CaseRecord]) -> [String] {
        var out = ["CASE  SUBJECT  VERDICT   ACCTS  UPDATED (stream)          BY          KEY"]
        for c in cases {
            let v = c.verdictDecision
            let last = c.decisions.last
            let verdict = (v?.action.rawValue ?? "-") + (v?.action == .clear ? "/" + (v?.reason?.rawValue ?? "") : "")
            func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
            out.append(TextSanitizer.sanitize(pad("#\(c.id)", 6) + pad(c.subject.rawValue, 9) + pad(verdict, 10)
                + pad(String(c.members.count), 7) + pad(time(last?.streamTime) ?? "-", 26) + pad(last?.analyst ?? "-", 12) + c.subjectKey))
            for n in c.notes.suffix(3) { out.append(TextSanitizer.sanitize("      note: " + (n.note ?? ""))) }
        }
        return out
    }
}
