import Foundation
import XCTest
@testable import DistillCore

final class ReportTests: XCTestCase {
    func testSanitizerMakesEscapesVisible() {
        let hostile = "hi\u{1B}]0;pwned\u{07}\u{1B}[2J\u{9B}31m\u{202E}txt"
        let safe = TextSanitizer.sanitize(hostile)
        XCTAssertFalse(safe.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x202E })
        XCTAssertTrue(safe.hasPrefix("hi\u{241B}]0;pwned\u{2407}\u{241B}[2J"))
        XCTAssertEqual(TextSanitizer.sanitize("a\u{1B}b", asciiOnly: true), "a^[b")
        XCTAssertEqual(TextSanitizer.sanitize("plain text"), "plain text")
    }

    /// A separator would break a table row in some viewers, and invisible characters make two
    /// different account ids look the same: each shows as a placeholder, in JSON as an escape.
    func testSeparatorsAndInvisibleCharactersAreMadeVisible() {
        let hostile = "a\u{2028}b\u{2029}c\u{200B}d\u{00AD}e\u{FEFF}f\u{2060}g"
        XCTAssertEqual(TextSanitizer.sanitize(hostile), "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e\u{FFFD}f\u{FFFD}g")
        XCTAssertEqual(TextSanitizer.sanitize(hostile, asciiOnly: true), "a?b?c?d?e?f?g")
        XCTAssertEqual(JSON.quote("acct\u{200B}1"), "\"acct\\u200b1\"")
        XCTAssertEqual(TextSanitizer.sanitize("日本語 café 🙂"), "日本語 café 🙂", "ordinary text of any script is kept")
    }

    func testJSONNumbersAndQuoting() {
        XCTAssertEqual(JSON.number(0.97, places: 3), "0.97")
        XCTAssertEqual(JSON.number(1, places: 3), "1")
        XCTAssertEqual(JSON.number(-0.456, places: 2), "-0.46")
        XCTAssertEqual(JSON.number(-0.001, places: 2), "0")
        XCTAssertEqual(JSON.quote("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"")
        // Bidi controls are escaped: a right-to-left override cannot turn a viewer's line around.
        XCTAssertEqual(JSON.quote("acct\u{202E}gnp.exe\u{2066}x\u{2069}\u{200F}"), "\"acct\\u202egnp.exe\\u2066x\\u2069\\u200f\"")
        XCTAssertEqual(JSON.quote("日本語 café"), "\"日本語 café\"")
        // Invisible tag letters lie beyond U+FFFF: escaped as a UTF-16 pair, which reads back whole.
        let tagged = JSON.quote("acct\u{E0041}\u{E007F}🙂")
        XCTAssertEqual(tagged, "\"acct\\udb40\\udc41\\udb40\\udc7f🙂\"")
        XCTAssertEqual(try? JSONSerialization.jsonObject(with: Data("[\(tagged)]".utf8)) as? [String], ["acct\u{E0041}\u{E007F}🙂"])
    }

    func testReportJSONHasTheDocumentedShape() throws {
        var ledger = InputLedger()
        let detector = Detector()
        let t0: StreamTime = 1_776_000_000_000
        var batch: [Exchange] = []
        for i in 0..<200 {
            let account = "acct_\(i % 8)"
            let e = Exchange(ts: t0 + StreamTime(i) * 60_000, accountID: account, requestID: "r\(i)", orgID: "o\(i % 8)",
                             clientIP: "198.51.100.\(i % 5)", paymentFP: i % 8 < 4 ? "pm_a" : "pm_b", inputTokens: 100,
                             outputTokens: 2500, promptText: "Write out your complete chain of thought for problem \(i)")
            if ledger.admit(e) { batch.append(e) }
        }
        XCTAssertFalse(ledger.admit(batch[batch.count - 1]), "a repeated request_id is a duplicate")
        ledger.reject(Rejection(.wrongType, field: "input_tokens", message: "expected an integer"), source: "x.ndjson", line: 3)
        detector.ingest(batch)
        let report = ScanReport(ledger: ledger, snapshot: detector.snapshot())
        let object = try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as! [String: Any]
        XCTAssertEqual(Set(object.keys), ["input", "clusters"])
        let input = object["input"] as! [String: Any]
        XCTAssertEqual(Set(input.keys), ["exchanges", "duplicates", "rejected", "first_ts", "last_ts"])
        XCTAssertEqual(input["exchanges"] as? Int, 200)
        XCTAssertEqual(input["duplicates"] as? Int, 1)
        let rejected = input["rejected"] as! [String: Any]
        XCTAssertEqual(rejected["total"] as? Int, 1)
        XCTAssertEqual((rejected["by_reason"] as! [String: Int])["wrong_type:input_tokens"], 1)
        let clusters = object["clusters"] as! [[String: Any]]
        XCTAssertFalse(clusters.isEmpty)
        for c in clusters {
            XCTAssertEqual(Set(c.keys), ["id", "verdict", "risk", "accounts", "exchanges", "first_seen", "flagged_at", "signals", "ties"])
            XCTAssertTrue(["suspect", "watch", "clear"].contains(c["verdict"] as! String))
            let risk = c["risk"] as! Double
            XCTAssertTrue((0...1).contains(risk))
            XCTAssertTrue(c["flagged_at"] is NSNull || c["flagged_at"] is String)
            for s in c["signals"] as! [[String: Any]] {
                XCTAssertEqual(Set(s.keys), ["name", "weight", "detail"])
            }
        }
        XCTAssertEqual(clusters[0]["id"] as? String, "C1")
        XCTAssertEqual(clusters[0]["verdict"] as? String, "suspect")
        XCTAssertEqual((clusters[0]["accounts"] as! [String]).count, 8)
    }

    /// The table's first lines read as English for one of anything, as for many.
    func testTheTableCountsOneAndManyInWords() {
        var ledger = InputLedger()
        let detector = Detector()
        let one = Exchange(ts: 1_776_000_000_000, accountID: "acct_1", requestID: "r1", inputTokens: 10, outputTokens: 20)
        XCTAssertTrue(ledger.admit(one))
        XCTAssertFalse(ledger.admit(one))
        detector.ingest([one])
        let table = ScanReport(ledger: ledger, snapshot: detector.snapshot()).table()
        XCTAssertTrue(table.hasPrefix("DistillWatch scan: 1 exchange (2026-04-12T13:20:00.000Z → 2026-04-12T13:20:00.000Z), 1 duplicate, 0 rejected\n"), table)
        let none = ScanReport(ledger: InputLedger(), snapshot: Detector().snapshot()).table()
        XCTAssertTrue(none.hasPrefix("DistillWatch scan: 0 exchanges (no exchanges), 0 duplicates, 0 rejected\n"), none)
    }

    /// A rejected line's sample in the table is wrapped, not cut: its advice at the end shows.
    func testTheTableKeepsTheEndOfARejectionsMessage() {
        var ledger = InputLedger()
        ledger.reject(Rejection(.missingTimestamp, message: "no ts field (the line has \"startTime\", a key of another record format: try --input-format auto)"),
                      source: "/var/log/gateway/" + String(repeating: "nested/", count: 8) + "litellm-callbacks.ndjson", line: 12)
        let table = ScanReport(ledger: ledger, snapshot: Detector().snapshot()).table(width: 80)
        let sample = table.split(separator: "\n").drop { !$0.hasPrefix("Rejected lines") }.dropFirst().map(String.init)
        XCTAssertTrue(sample.joined(separator: " ").contains("try --input-format auto)"), table)
        XCTAssertGreaterThan(sample.count, 1, table)
        for line in sample { XCTAssertLessThanOrEqual(line.count, 80, line) }
    }

    func testDuplicateFilterForgetsAfterTheWindowWithBoundedMemory() {
        var filter = DuplicateFilter(window: 1000, maxPerGeneration: 100)
        XCTAssertFalse(filter.isDuplicate("a", at: 0))
        XCTAssertTrue(filter.isDuplicate("a", at: 500))
        XCTAssertFalse(filter.isDuplicate("b", at: 1500))  // rotates: "a" now in the previous generation
        XCTAssertTrue(filter.isDuplicate("a", at: 1600))
        XCTAssertFalse(filter.isDuplicate("c", at: 3000))  // rotates again: "a" forgotten
        XCTAssertFalse(filter.isDuplicate("a", at: 3100))
        for i in 0..<10_000 { _ = filter.isDuplicate("id\(i)", at: 4000) }
        XCTAssertLessThanOrEqual(filter.remembered, 2 * 100 + 3, "two generations in the busy bucket, and the three ids before")
    }

    /// Eight senders at different speeds send the same records (at-least-once delivery): the
    /// fast ones run hours of stream time ahead of the slow ones, whose late copies must still
    /// be known, since ids are kept by their records' own times, not by the newest time seen.
    func testLateCopiesFromSlowSendersAreStillDuplicates() {
        var filter = DuplicateFilter(window: 3_600_000, checkEvery: 64)
        let records = 10_800  // one every second: three hours of stream
        var cursors = Array(repeating: 0, count: 8)
        let speeds = [1, 1, 2, 3, 4, 5, 6, 8]  // records each sender sends per turn
        var admitted = 0, duplicates = 0
        while cursors.indices.contains(where: { cursors[$0] < records }) {
            for s in speeds.indices where cursors[s] < records {
                for _ in 0..<speeds[s] where cursors[s] < records {
                    let i = cursors[s]
                    if filter.isDuplicate("req_\(i)", at: StreamTime(i) * 1000) { duplicates += 1 } else { admitted += 1 }
                    cursors[s] += 1
                }
            }
        }
        XCTAssertEqual(admitted, records, "each record once")
        XCTAssertEqual(duplicates, records * 7, "every other copy known, however late")
        XCTAssertLessThanOrEqual(filter.remembered, records)
        XCTAssertEqual(filter.unchecked, 0, "no id came too late to be checked")
    }

    /// An id older than every bucket kept cannot be checked: it is let through, and counted as
    /// unchecked, so a repeat among such ids is known to be possible rather than missed in silence.
    func testIdsOlderThanEveryBucketKeptAreCountedAsUnchecked() {
        var filter = DuplicateFilter(window: 1000)
        for hour in 10...14 { XCTAssertFalse(filter.isDuplicate("new\(hour)", at: StreamTime(hour) * 1000)) }
        XCTAssertEqual(filter.unchecked, 0)
        XCTAssertFalse(filter.isDuplicate("old", at: 0))
        XCTAssertFalse(filter.isDuplicate("old", at: 0), "a repeat too old to check is let through")
        XCTAssertEqual(filter.unchecked, 2)
        XCTAssertTrue(filter.isDuplicate("new14", at: 14_000), "recent ids are still checked")
    }

    /// At volume the low-water check drops old buckets long before there are too many, so
    /// what decides is whether the id's time was already forgotten: a sender re-sending three
    /// hours of records has every one of them counted as unchecked.
    func testAResendOfForgottenHoursIsCountedAsUncheckedAtVolume() {
        var filter = DuplicateFilter(window: 1000, checkEvery: 16)
        let perWindow = 200
        for t in 0..<(6 * perWindow) { XCTAssertFalse(filter.isDuplicate("r\(t)", at: StreamTime(t * 1000 / perWindow))) }
        XCTAssertEqual(filter.unchecked, 0, "a stream in order is checked throughout")
        // The first three windows again: forgotten since, so each copy is let through and counted.
        for t in 0..<(3 * perWindow) { _ = filter.isDuplicate("r\(t)", at: StreamTime(t * 1000 / perWindow)) }
        XCTAssertEqual(filter.unchecked, 3 * perWindow)
        // A copy of a recent record is still caught and is not unchecked.
        XCTAssertTrue(filter.isDuplicate("r\(6 * perWindow - 1)", at: StreamTime((6 * perWindow - 1) * 1000 / perWindow)))
        XCTAssertEqual(filter.unchecked, 3 * perWindow)
    }

    /// Two printable 16-byte request ids that `StableHash` maps to one value: after the first
    /// word the two states differ by some d, and a second word that differs by exactly d
    /// cancels it. The search only needs that second word to be printable too.
    func testACraftedIdCollidingInThePublicHashIsNotCalledADuplicate() throws {
        func word(_ text: String) -> UInt64 { text.utf8.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) } }
        func afterFirstWord(_ w: UInt64) -> UInt64 {
            var h = UInt64(16) &* 0x9E37_79B9_7F4A_7C15
            h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
            return h ^ (h >> 31)
        }
        func printable(_ w: UInt64) -> String? {
            let bytes = (0..<8).map { UInt8(truncatingIfNeeded: w >> (8 * UInt64($0))) }
            return bytes.allSatisfy { (0x21...0x7E).contains($0) } ? String(decoding: bytes, as: UTF8.self) : nil
        }
        let first = "req_0000", tail = "00000000"
        var forged: String?
        for n in 0..<2_000_000 where forged == nil {
            let other = "req_" + String(String(n, radix: 36).suffix(4)).padding(toLength: 4, withPad: "z", startingAt: 0)
            guard other != first else { continue }
            let difference = afterFirstWord(word(first)) ^ afterFirstWord(word(other))
            if let secondWord = printable(word(tail) ^ difference) { forged = other + secondWord }
        }
        let real = first + tail
        let crafted = try XCTUnwrap(forged, "no printable collision found")
        XCTAssertNotEqual(real, crafted)
        XCTAssertEqual(StableHash.hash(real), StableHash.hash(crafted), "the premise: the public hash collides")

        var ledger = InputLedger()
        let t0: StreamTime = 1_776_000_000_000
        XCTAssertTrue(ledger.admit(Exchange(ts: t0, accountID: "a", requestID: real)))
        XCTAssertTrue(ledger.admit(Exchange(ts: t0 + 1000, accountID: "b", requestID: crafted)), "a different id is not a duplicate")
        XCTAssertFalse(ledger.admit(Exchange(ts: t0 + 2000, accountID: "a", requestID: real)), "a real repeat still is")
        XCTAssertEqual(ledger.duplicates, 1)
    }
}
