import DistillCore
import Foundation
import XCTest
@testable import DistillFeeds

/// Folding idle accounts saves memory and must change nothing else: the same report whether
/// accounts fold after an hour or never, folded accounts that return pick up where they left
/// off, and a saved state holding folded accounts reads back whole.
final class FoldingTests: FeedsTestCase {
    /// Accounts count as young for six hours instead of two days (in both runs compared), so
    /// that three days of traffic have accounts old enough to fold.
    private func detector(foldAfter hours: Int64?) -> Detector {
        var settings = DetectorSettings.standard
        settings.youngAccountAge = 6 * 3_600_000
        settings.foldIdleAfter = hours.map { $0 * 3_600_000 }
        let d = Detector(settings: settings)
        d.allowlist = StateRoundTripTests.cleared
        return d
    }

    /// Feeds `lines` in slices, reporting the most accounts folded at once.
    private func run(_ lines: [[UInt8]], _ detector: Detector, _ ledger: inout InputLedger) -> Int {
        var most = 0
        var start = 0
        while start < lines.count {
            let end = min(lines.count, start + 500)
            StateRoundTripTests.feed(lines[start..<end], detector, &ledger)
            most = max(most, detector.foldedAccounts)
            start = end
        }
        return most
    }

    /// Folding after an hour, with the state saved and read back two thirds of the way, ends in
    /// the report of never folding: folded accounts lose nothing, in memory or in a saved state.
    func testFoldingAfterAnHourGivesTheReportOfNeverFolding() throws {
        let seed = randomSeed("FoldingTests")
        let lines = try StateRoundTripTests.lines(scenario: "mixed", seed: seed)
        let never = detector(foldAfter: nil)
        var neverLedger = InputLedger()
        XCTAssertEqual(run(lines, never, &neverLedger), 0)
        let expected = StateRoundTripTests.report(never, neverLedger)
        XCTAssertTrue(expected.contains("\"suspect\""), "the traffic must hold something to find (seed \(seed))")

        let cut = lines.count * 2 / 3
        let first = detector(foldAfter: 1)
        var ledger = InputLedger()
        let most = run(Array(lines[..<cut]), first, &ledger)
        // Two days of traffic: most accounts rest for more than an hour at some point.
        XCTAssertGreaterThan(most, cut / 1000, "seed \(seed): accounts must fold for this test to mean anything")
        XCTAssertGreaterThan(first.foldedAccounts, 0)
        let restored = try DetectionState(decoding: DetectionState(detector: first, ledger: ledger).encoded(), settings: first.settings)
        XCTAssertEqual(restored.detector.foldedAccounts, first.foldedAccounts)
        var restoredLedger = restored.ledger
        _ = run(Array(lines[cut...]), restored.detector, &restoredLedger)
        XCTAssertEqual(StateRoundTripTests.report(restored.detector, restoredLedger), expected, "seed \(seed)")
    }

    func testAFoldedAccountThatReturnsGoesOnFromItsCounts() throws {
        let d = detector(foldAfter: 24)
        var ledger = InputLedger()
        func line(_ ts: String, _ account: String, _ n: Int) -> [UInt8] {
            Array(#"{"ts":"\#(ts)","account_id":"\#(account)","request_id":"\#(account)-\#(n)","payment_fp":"pm_\#(account)","input_tokens":10,"output_tokens":20,"prompt_text":"\#(account) says hello, number \#(n)"}"#.utf8)
        }
        var lines = (0..<5).map { line("2026-04-20T10:0\($0):00Z", "sleeper", $0) }
        // Someone else keeps the stream going for three days, so evaluations (and folding) run.
        for h in 0..<72 { lines.append(line("2026-04-\(20 + h / 24)T\(h % 24 < 10 ? "0" : "")\(h % 24):30:00Z", "busy", h)) }
        StateRoundTripTests.feed(lines[...], d, &ledger)
        XCTAssertEqual(d.foldedAccounts, 1, "the sleeper is folded after a day idle")
        XCTAssertEqual(d.accountFigures("sleeper")?.exchanges, 5, "a folded account's figures are still there")
        StateRoundTripTests.feed([line("2026-04-23T12:00:00Z", "sleeper", 5)][...], d, &ledger)
        XCTAssertEqual(d.foldedAccounts, 0, "it came back")
        XCTAssertEqual(d.accountFigures("sleeper")?.exchanges, 6)
        XCTAssertEqual(d.accountFigures("sleeper")?.firstSeen, 1_776_679_200_000, "2026-04-20T10:00:00Z")
    }

    /// A state written before accounts could fold (format 3, one record per account) is read
    /// into the new layout and goes on as the run that wrote it would have.
    func testAStateFromTheFormatBeforeFoldingGoesOn() throws {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let saved = try gunzip(here.appendingPathComponent("Fixtures/stealth-first-4000.v3.state.gz").path)
        let state = try DetectionState(decoding: saved, settings: .standard)
        XCTAssertEqual(state.ledger.exchanges, 3993)

        let sample = here.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("SampleLogs/stealth.ndjson.gz").path
        let lines = try gunzip(sample).split(separator: 0x0A).map(Array.init)
        let whole = Detector()
        var wholeLedger = InputLedger()
        StateRoundTripTests.feed(lines[...], whole, &wholeLedger)
        var ledger = state.ledger
        StateRoundTripTests.feed(lines[4000...], state.detector, &ledger)
        XCTAssertEqual(StateRoundTripTests.report(state.detector, ledger), StateRoundTripTests.report(whole, wholeLedger))
    }

    /// A state written while exact repeats of long prompts were still counted (format 5, by
    /// `scan --fold-idle-after 24 --state-out` over the first 13,000 lines of the lookalikes
    /// sample), with accounts folded in that layout, is read into this one: each folded account
    /// is packed again, and the run goes on as one that never stopped.
    func testAStateFromTheFormatThatCountedPromptRepeatsGoesOn() throws {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let saved = try gunzip(here.appendingPathComponent("Fixtures/lookalikes-first-13000.v5.state.gz").path)
        XCTAssertEqual(saved[8], 5, "the fixture is in format 5")
        var settings = DetectorSettings.standard
        settings.foldIdleAfter = 24 * 3_600_000
        let state = try DetectionState(decoding: saved, settings: settings)
        XCTAssertGreaterThan(state.detector.foldedAccounts, 0, "the fixture must hold folded accounts")

        let sample = here.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("SampleLogs/lookalikes.ndjson.gz").path
        let lines = try gunzip(sample).split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        let whole = Detector(settings: settings)
        var wholeLedger = InputLedger()
        StateRoundTripTests.feed(lines[...], whole, &wholeLedger)
        var ledger = state.ledger
        StateRoundTripTests.feed(lines[13000...], state.detector, &ledger)
        XCTAssertEqual(state.detector.exchangeCount, whole.exchangeCount)
        XCTAssertEqual(StateRoundTripTests.report(state.detector, ledger), StateRoundTripTests.report(whole, wholeLedger))
        // Every account folded in the old layout unpacks in the new one when it returns or is read.
        let accounts = Set(lines[..<13000].compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])?["account_id"] as? String
        })
        XCTAssertGreaterThan(accounts.count, 100)
        for account in accounts {
            XCTAssertEqual(state.detector.accountFigures(account)?.exchanges, whole.accountFigures(account)?.exchanges, account)
        }
    }

    private func gunzip(_ path: String) throws -> [UInt8] {
        let file = try InputFile(path: path)
        let inflater = try [UInt8]().withUnsafeBytes { try GzipInflater(file: file, prefix: $0, inputCapacity: 1 << 16) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try inflater.read(into: $0.baseAddress!, count: $0.count) }
            if n == 0 { break }
            out.append(contentsOf: buffer[..<n])
        }
        return out
    }
}
