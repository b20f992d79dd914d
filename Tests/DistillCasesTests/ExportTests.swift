import DistillCore
import Foundation
import XCTest
@testable import DistillCases

/// Exports: the JSON matches the documented `distillwatch.cases/1` shape exactly (every key,
/// every type); the CSV parses back (RFC 4180) with hostile text neutralised.
final class ExportTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("dw-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// Ends with an invisible tag letter, a scalar beyond U+FFFF that JSON escapes as a pair.
    static let hostileNote = "=HYPERLINK(\"http://x\"),\u{1b}]0;pwned\u{07} line\nbreak; done\u{E0041}"

    func journalWithCases() throws -> CaseJournal {
        let j = try CaseJournal(path: dir.appendingPathComponent("cases.sqlite").path)
        let farm = try j.commit(JournalTests.request(.suspect, key: "acct-1", note: Self.hostileNote))
        _ = try j.commit(JournalTests.request(.note, key: "acct-1", caseID: farm.id, note: "second look"))
        _ = try j.undoLast(analyst: "alice", wallTime: 1_800_000_000_500, streamTime: 1_776_000_100_000)
        _ = try j.commit(JournalTests.request(.clear, key: "lab-1", accounts: ["lab-1", "lab-2"], reason: .evalLab, scope: .org))
        return j
    }

    /// The documented shape (README, "Evidence export"): key → allowed JSON types.
    static let caseKeys: [String: Set<String>] = [
        "id": ["number"], "subject": ["string"], "subject_key": ["string"], "verdict": ["string", "null"], "reason": ["string", "null"],
        "allowlist_scope": ["string", "null"], "snoozed_until": ["string", "null"], "notes": ["array"], "evidence": ["object"], "history": ["array"],
    ]
    static let evidenceKeys: [String: Set<String>] = [
        "as_of": ["string", "null"], "cluster_key": ["string", "null"], "detector_verdict": ["string", "null"], "risk": ["number", "null"],
        "accounts": ["array"], "new_accounts": ["array"], "api_keys": ["array"], "orgs": ["array"], "cards": ["array"], "ip_ranges": ["array"],
        "asns": ["array"], "first_seen": ["string", "null"], "last_seen": ["string", "null"], "exchanges": ["number"], "input_tokens": ["number"],
        "output_tokens": ["number"], "reasoning_tokens": ["number"], "signals": ["array"], "samples": ["array"],
    ]
    static let signalKeys: [String: Set<String>] = ["name": ["string"], "weight": ["number"], "detail": ["string"]]
    static let sampleKeys: [String: Set<String>] = ["request_id": ["string", "null"], "account": ["string"], "ts": ["string"], "prompt": ["string", "null"]]
    static let historyKeys: [String: Set<String>] = [
        "id": ["number"], "action": ["string"], "reason": ["string", "null"], "scope": ["string", "null"], "until": ["string", "null"],
        "note": ["string", "null"], "analyst": ["string"], "wall_time": ["string"], "stream_time": ["string", "null"], "undoes": ["number", "null"],
        "undone": ["bool"],
    ]

    static func kind(_ v: Any) -> String {
        if v is NSNull { return "null" }
        if let n = v as? NSNumber { return String(cString: n.objCType) == "c" ? "bool" : "number" }
        if v is String { return "string" }
        if v is [Any] { return "array" }
        if v is [String: Any] { return "object" }
        return "?"
    }

    func check(_ object: [String: Any], _ shape: [String: Set<String>], _ where_: String) {
        XCTAssertEqual(Set(object.keys), Set(shape.keys), where_)
        for (k, allowed) in shape { if let v = object[k] { XCTAssertTrue(allowed.contains(Self.kind(v)), "\(where_).\(k) is \(Self.kind(v))") } }
    }

    /// The console's exports: a relative path cannot climb out of the export directory, and a
    /// file already there is kept, the export going to the next free name.
    func testConsoleExportsStayInTheirDirectoryAndReplaceNothing() throws {
        let journal = try journalWithCases()
        let exports = dir.appendingPathComponent("exports").path
        let outside = dir.appendingPathComponent("escape.json").path
        let refused = CaseExportWriter.write(path: "../escape.json", caseIDs: nil, journal: journal, directory: exports)
        XCTAssertFalse(refused.ok, refused.message)
        XCTAssertFalse(FileManager.default.fileExists(atPath: outside))

        let precious = dir.appendingPathComponent("precious.json").path
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: precious))
        let first = CaseExportWriter.write(path: precious, caseIDs: nil, journal: journal, directory: exports)
        XCTAssertTrue(first.ok, first.message)
        XCTAssertEqual(try String(contentsOfFile: precious, encoding: .utf8), "keep me")
        let renamed = dir.appendingPathComponent("precious-1.json").path
        XCTAssertTrue(first.message.hasSuffix(renamed), first.message)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: renamed))))
        let second = CaseExportWriter.write(path: precious, caseIDs: nil, journal: journal, directory: exports)
        XCTAssertTrue(second.message.hasSuffix(dir.appendingPathComponent("precious-2.json").path), second.message)
    }

    /// `:export /some/dir` puts the export inside the directory, as `cp` would, not in a file
    /// named after the directory beside it; so does a path ending in `/` that is not there yet.
    func testConsoleExportToADirectoryWritesInsideIt() throws {
        let journal = try journalWithCases()
        let exports = dir.appendingPathComponent("exports").path
        let target = dir.appendingPathComponent("reports").path
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let result = CaseExportWriter.write(path: target, caseIDs: nil, journal: journal, directory: exports)
        XCTAssertTrue(result.ok, result.message)
        let inside = target + "/distillwatch-cases.json"
        XCTAssertTrue(result.message.hasSuffix(inside), result.message)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: inside))))
        XCTAssertFalse(FileManager.default.fileExists(atPath: target + "-1"), "nothing written beside the directory")

        let again = CaseExportWriter.write(path: target + "/", caseIDs: nil, journal: journal, directory: exports)
        XCTAssertTrue(again.message.hasSuffix(target + "/distillwatch-cases-1.json"), again.message)
        let fresh = CaseExportWriter.write(path: "weekly/", caseIDs: nil, journal: journal, directory: exports)
        XCTAssertTrue(fresh.ok, fresh.message)
        XCTAssertTrue(FileManager.default.fileExists(atPath: exports + "/weekly/distillwatch-cases.json"), fresh.message)
    }

    func testJSONHasTheDocumentedShape() throws {
        let j = try journalWithCases()
        let data = try CaseExport.json(try j.loadCases(), journal: j.location, exportedAt: 1_800_000_000_000)
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        check(root, ["schema": ["string"], "exported_at": ["string"], "journal": ["string"], "cases": ["array"]], "root")
        XCTAssertEqual(root["schema"] as? String, "distillwatch.cases/1")
        let cases = try XCTUnwrap(root["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 2)
        for c in cases {
            check(c, Self.caseKeys, "case")
            let e = try XCTUnwrap(c["evidence"] as? [String: Any])
            check(e, Self.evidenceKeys, "evidence")
            for s in e["signals"] as! [[String: Any]] { check(s, Self.signalKeys, "signal") }
            for s in e["samples"] as! [[String: Any]] { check(s, Self.sampleKeys, "sample") }
            for h in c["history"] as! [[String: Any]] { check(h, Self.historyKeys, "history") }
            XCTAssertTrue(["cluster", "account"].contains(c["subject"] as! String))
        }
        let farm = cases[0]
        XCTAssertEqual(farm["verdict"] as? String, "suspect")
        XCTAssertEqual((farm["evidence"] as! [String: Any])["accounts"] as? [String], ["acct-1", "acct-2", "acct-3"])
        XCTAssertEqual((farm["history"] as! [[String: Any]]).map { $0["action"] as! String }, ["suspect", "note", "undo"])
        XCTAssertEqual((farm["history"] as! [[String: Any]]).map { $0["undone"] as! Bool }, [false, true, false])
        XCTAssertEqual(farm["notes"] as? [String], [Self.hostileNote], "JSON keeps the text; the encoder escapes control characters")
        XCTAssertFalse(String(decoding: data, as: UTF8.self).contains("\u{1b}"))
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("done\\udb40\\udc41"), "an invisible letter is escaped, not written")
        let lab = cases[1]
        XCTAssertEqual(lab["reason"] as? String, "eval-lab")
        XCTAssertEqual(lab["allowlist_scope"] as? String, "org")
        XCTAssertEqual(lab["snoozed_until"] as? NSNull, NSNull())
    }

    func testSuspectOnlySelectsByVerdictInForce() throws {
        let cases = try journalWithCases().loadCases()
        XCTAssertEqual(CaseExport.select(cases, verdict: .suspect).map(\.subjectKey), ["acct-1"])
        XCTAssertEqual(CaseExport.select(cases, verdict: .clear).map(\.subjectKey), ["lab-1"])
        XCTAssertEqual(CaseExport.select(cases, verdict: nil).count, 2)
    }

    /// RFC 4180 reader: quoted fields, doubled quotes, CRLF rows.
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var it = Array(text).makeIterator()
        var pending: Character? = nil
        while let c = pending ?? it.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let n = it.next() { if n == "\"" { field.append("\"") } else { quoted = false; pending = n } } else { quoted = false }
                } else { field.append(c) }
                continue
            }
            switch c {
            case "\"": quoted = true
            case ",": row.append(field); field = ""
            case "\r\n", "\n": row.append(field); rows.append(row); row = []; field = ""
            default: field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    func testCSVParsesBackWithHostileTextNeutralised() throws {
        let cases = try journalWithCases().loadCases()
        let text = CaseExport.csv(cases)
        XCTAssertTrue(text.hasSuffix("\r\n"))
        XCTAssertFalse(text.contains("\u{1b}") || text.contains("\u{07}"))
        let rows = Self.parseCSV(text)
        XCTAssertEqual(rows.count, 3)
        XCTAssertEqual(rows[0], CaseExport.csvColumns)
        for r in rows { XCTAssertEqual(r.count, CaseExport.csvColumns.count) }
        let col = { (name: String) in CaseExport.csvColumns.firstIndex(of: name)! }
        let farm = rows[1]
        XCTAssertEqual(farm[col("verdict")], "suspect")
        XCTAssertEqual(farm[col("accounts")].components(separatedBy: "; "), ["acct-1", "acct-2", "acct-3"])
        XCTAssertEqual(farm[col("accounts_count")], "3")
        XCTAssertEqual(farm[col("cards")], "pm_A")
        XCTAssertEqual(farm[col("signals")], "reasoning_extraction +3.2")
        // A note that a spreadsheet would run as a formula starts with a quote; controls are placeholders.
        let notes = farm[col("notes")]
        XCTAssertTrue(notes.hasPrefix("'=HYPERLINK(\"http://x\"),␛]0;pwned␇ line␊break; done"), notes)
        XCTAssertEqual(rows[2][col("reason")], "eval-lab")
        XCTAssertEqual(rows[2][col("allowlist_scope")], "org")
    }

    func testListIsSanitised() throws {
        let lines = CaseExport.listLines(try journalWithCases().loadCases())
        XCTAssertEqual(lines.count, 1 + 1 + 1 + 1)  // header, farm + its note, lab
        XCTAssertTrue(lines[1].contains("suspect") && lines[1].contains("acct-1"), lines[1])
        XCTAssertFalse(lines.joined().contains("\u{1b}"))
        XCTAssertTrue(lines[3].contains("clear/eval-lab"), lines[3])
    }
}
