import XCTest
@testable import DistillCore

/// Keys made ahead of the detector (as decoder threads make them) must file every record exactly
/// where the detector would have filed it itself.
final class ExchangeKeysTests: XCTestCase {
    /// A farm on shared cards and rotating addresses (IPv4, IPv6, text that is no address, none at
    /// all) beside people, with repeated request ids and a window that leaves some records out.
    func testKeysMadeAheadGiveTheSameDetectionAsKeysMadeInline() {
        let addresses = ["10.1.2.3", "2001:db8:1::7", "not-an-address", "", "203.0.113.9", "2001:db8:2::1"]
        var farm = DetectorTests.traffic(accounts: (0..<12).map { "farm\($0)" }, perAccount: 40, hours: 30) { account, i, ts in
            var e = DetectorTests.farmExchange(account, card: "card-\(account.count + i % 3)", ip: addresses[i % addresses.count], i, ts)
            if i % 6 == 3 { e.clientIP = nil }
            if i % 7 == 0 { e.sessionID = "\(account)-s\(i / 5)" }
            return e
        }
        let people = DetectorTests.traffic(accounts: (0..<8).map { "person\($0)" }, perAccount: 30, hours: 30, independent: true) { account, i, ts in
            DetectorTests.benignExchange(account, i, ts, ip: addresses[(i + account.count) % addresses.count], tools: i % 4 == 0 ? "tools-x" : nil)
        }
        farm += farm.prefix(25)  // copies: the ledger must count them as duplicates both ways
        let records = (farm + people).sorted { $0.ts < $1.ts }
        let from = DetectorTests.t0 + 2 * DetectorTests.hour, until = DetectorTests.t0 + 28 * DetectorTests.hour

        var inlineLedger = InputLedger()
        let inline = Detector(settings: DetectorSettings())
        var outsideInline = 0
        for e in records where inlineLedger.admit(e) {
            if e.ts < from || e.ts > until { outsideInline += 1; continue }
            inline.ingest(e)
        }

        var aheadLedger = InputLedger()
        let ahead = Detector(settings: DetectorSettings())
        var analysed = records
        for i in analysed.indices { analysed[i].analysePrompt() }
        let keyer = aheadLedger.requestKeys
        let refused = Set(aheadLedger.admit(analysed, requestKeys: analysed.map { keyer.key(of: $0) }))
        let admitted = analysed.indices.filter { !refused.contains($0) }.map { analysed[$0] }
        let inWindow = admitted.filter { $0.ts >= from && $0.ts <= until }
        let outsideAhead = admitted.count - inWindow.count
        ahead.ingest(inWindow, keys: inWindow.map { ExchangeKeys($0) }, range: inWindow.indices)

        XCTAssertGreaterThan(inlineLedger.duplicates, 0)
        XCTAssertGreaterThan(outsideInline, 0)
        XCTAssertEqual(outsideAhead, outsideInline)
        let a = ScanReport(ledger: inlineLedger, snapshot: inline.snapshot(), includeAll: true).json()
        let b = ScanReport(ledger: aheadLedger, snapshot: ahead.snapshot(), includeAll: true).json()
        XCTAssertEqual(a, b)
        XCTAssertTrue(a.contains("\"suspect\""), "the farm is found, so the comparison covers a flagged cluster")
    }

    func testAddressRangeIsWorkedOutLaterWhenNotMadeAhead() {
        for ip in ["10.1.2.3", "2001:db8:1::7", "not-an-address"] {
            let e = Exchange(ts: DetectorTests.t0, accountID: "a", clientIP: ip)
            let ahead = ExchangeKeys(e), later = ExchangeKeys(e, withRange: false)
            XCTAssertEqual(ahead.ipRange(of: e.text)?.key, later.ipRange(of: e.text)?.key, ip)
            XCTAssertEqual(ahead.ipRange(of: e.text)?.isV6, later.ipRange(of: e.text)?.isV6, ip)
            XCTAssertEqual(ahead[.ip], StableHash.hash(ip), ip)
        }
        XCTAssertEqual(ExchangeKeys(Exchange(ts: 0, accountID: "a"))[.ip], nil)
    }

    /// Each key is the hash of its own field, and only of that field.
    func testEachKeyIsTheHashOfItsField() {
        let e = Exchange(ts: DetectorTests.t0, accountID: "acct-1", orgID: "org-2", endUserID: "user-3", sessionID: "session-4",
                         clientIP: "198.51.100.5", paymentFP: "card-6", systemFP: "system-7", toolsFP: "tools-8")
        let keys = ExchangeKeys(e)
        let expected: [(ExchangeKeys.Slot, String)] = [(.account, "acct-1"), (.org, "org-2"), (.endUser, "user-3"), (.session, "session-4"),
                                                       (.ip, "198.51.100.5"), (.card, "card-6"), (.systemPrompt, "system-7"), (.tools, "tools-8")]
        for (slot, text) in expected { XCTAssertEqual(keys[slot], StableHash.hash(text), "\(slot)") }
        let bare = ExchangeKeys(Exchange(ts: DetectorTests.t0, accountID: "acct-1"))
        for (slot, _) in expected where slot != .account { XCTAssertNil(bare[slot], "\(slot)") }
    }
}
