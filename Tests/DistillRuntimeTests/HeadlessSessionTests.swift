import DistillCore
import DistillFeeds
import DistillRuntime
import Foundation
import XCTest

/// Keeps the lines headless mode writes.
final class CollectedLines: LineSink {
    private(set) var lines: [String] = []
    var closed = false
    func write(_ line: String) { lines.append(line) }

    func objects(type: String) -> [[String: Any]] {
        lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.filter { $0["type"] as? String == type }
    }
}

/// Headless mode's loop (`HeadlessSession`, as `watch --headless` runs it) writing into memory.
final class HeadlessSessionTests: RuntimeTestCase {
    func testAFileRunsToTheEndWithTheAlertsAndCountsOfScan() throws {
        let path = try generate("three-days.ndjson", days: 3, exchanges: 40_000, seed: 11)
        let lines = CollectedLines()
        // Accounts are young for six hours and fold after six idle hours, so three days leave
        // the counters folded accounts to report.
        var settings = DetectorSettings.standard
        settings.youngAccountAge = 6 * 3_600_000
        settings.foldIdleAfter = 6 * 3_600_000
        let session = HeadlessSession(feed: StreamFeed(stream: try ExchangeStream(paths: [path])), live: false, settings: settings,
                                      countersEvery: 0, listening: [], out: lines)
        XCTAssertEqual(session.run(), 0)
        let scanned = try DetectionRun.run(paths: [path], settings: settings).detector.snapshot()
        XCTAssertGreaterThan(scanned.suspectCount, 0, "a comparison worth making has suspects in it")

        let counters = lines.objects(type: "counters")
        XCTAssertEqual(counters.count, 1, "with no interval, only the final counters")
        let last = try XCTUnwrap(counters.last)
        XCTAssertEqual(last["final"] as? Bool, true)
        XCTAssertEqual(last["exchanges"] as? Int, scanned.exchanges)
        XCTAssertEqual(last["suspect"] as? Int, scanned.suspectCount)
        XCTAssertGreaterThan(scanned.foldedAccounts, 0)
        XCTAssertEqual(last["folded_accounts"] as? Int, scanned.foldedAccounts)
        // Every suspect cluster of the scan was last alerted as suspect (a cluster that merged
        // into another since goes without a last alert of its own).
        var latest: [String: String] = [:]
        for alert in lines.objects(type: "alert") { latest[alert["cluster"] as! String] = alert["verdict"] as? String }
        for c in scanned.clusters where c.verdict == .suspect {
            XCTAssertEqual(latest[c.key], "suspect", "cluster \(c.key)")
        }
    }

    /// Verdicts are re-evaluated at moments of stream time, not wherever a batch happened to
    /// end: the same file read in batches of another size gives the very same alerts.
    func testAlertsDependOnTheInputAloneNotOnHowItWasRead() throws {
        let path = try generate("three-days.ndjson", days: 3, exchanges: 40_000, seed: 11)
        func alerts(batchSize: Int) throws -> [String] {
            let lines = CollectedLines()
            let feed = StreamFeed(stream: try ExchangeStream(paths: [path]), batchSize: batchSize)
            let session = HeadlessSession(feed: feed, live: false, settings: .standard, countersEvery: 0, listening: [], out: lines)
            XCTAssertEqual(session.run(), 0)
            return lines.lines.filter { $0.hasPrefix("{\"type\":\"alert\"") }
        }
        let large = try alerts(batchSize: 2048)
        XCTAssertGreaterThanOrEqual(large.count, 3, "a comparison worth making has alerts in it")
        XCTAssertEqual(try alerts(batchSize: 61), large)
    }

    /// A cluster's first `suspect` alert follows the detector's flag by at most one flag check
    /// (a quarter of an hour of stream time, plus the gap to the next line), not by up to the
    /// hour that verdicts are otherwise brought up to date at.
    func testASuspectAlertFollowsTheFlagWithinOneFlagCheck() throws {
        let path = try generate("three-days.ndjson", days: 3, exchanges: 40_000, seed: 11)
        let lines = CollectedLines()
        let session = HeadlessSession(feed: StreamFeed(stream: try ExchangeStream(paths: [path])), live: false, settings: .standard,
                                      countersEvery: 0, listening: [], out: lines)
        XCTAssertEqual(session.run(), 0)
        let suspects = lines.objects(type: "alert").filter { $0["verdict"] as? String == "suspect" && $0["previous"] as? String != "suspect" }
        XCTAssertGreaterThanOrEqual(suspects.count, 2, "a check worth making has suspect alerts in it")
        for alert in suspects {
            let at = try XCTUnwrap((alert["stream_time"] as? String).flatMap(Timestamp.parseRFC3339))
            let flagged = try XCTUnwrap((alert["flagged_at"] as? String).flatMap(Timestamp.parseRFC3339))
            XCTAssertLessThanOrEqual(at - flagged, DetectorSettings.standard.recheckInterval + 60_000, "cluster \(alert["cluster"] ?? "")")
        }
    }

    func testARequestToStopEndsWithFinalCounters() throws {
        let path = try generate("three-days.ndjson", days: 3, exchanges: 40_000, seed: 11)
        let lines = CollectedLines()
        var asked = 0
        let session = HeadlessSession(feed: StreamFeed(stream: try ExchangeStream(paths: [path])), live: false, settings: .standard,
                                      countersEvery: 0, listening: [], out: lines, stopRequested: { asked += 1; return asked > 3 })
        XCTAssertEqual(session.run(), 0)
        let last = try XCTUnwrap(lines.objects(type: "counters").last)
        XCTAssertEqual(last["final"] as? Bool, true)
        XCTAssertLessThan(last["exchanges"] as? Int ?? .max, 40_000, "stopped before the end")
    }

    /// A reader of the alerts that goes away mid-run (a consumer that died) stops the run, and
    /// the run says so and ends with status 2: alerts after that would be lost, and a service
    /// manager restarts only a run that did not end cleanly. One that leaves after the input
    /// ended lost nothing.
    func testAReaderThatLeavesMidRunIsNotACleanEnd() throws {
        let path = try generate("three-days.ndjson", days: 3, exchanges: 40_000, seed: 11)
        /// Takes `keep` lines, then behaves as a pipe whose reader left.
        final class LeavingReader: LineSink {
            let keep: Int
            private(set) var taken = 0
            var closed = false
            init(keep: Int) { self.keep = keep }
            func write(_ line: String) { if taken < keep { taken += 1 } else { closed = true } }
        }
        let early = LeavingReader(keep: 1)
        var said: [String] = []
        var session = HeadlessSession(feed: StreamFeed(stream: try ExchangeStream(paths: [path])), live: false, settings: .standard,
                                      countersEvery: 0, listening: [], out: early)
        session.diagnose = { said.append($0) }
        XCTAssertEqual(session.run(), 2)
        XCTAssertEqual(said.count, 1, "\(said)")
        XCTAssertTrue(said.first?.contains("standard output was closed by its reader") ?? false, "\(said)")

        // Every alert and the final counters taken: nothing was lost.
        let all = LeavingReader(keep: .max)
        let whole = HeadlessSession(feed: StreamFeed(stream: try ExchangeStream(paths: [path])), live: false, settings: .standard,
                                    countersEvery: 0, listening: [], out: all)
        XCTAssertEqual(whole.run(), 0)
        XCTAssertGreaterThan(all.taken, 2, "a run with alerts in it")
    }

    /// What the run says when its reader left counts in words: one exchange, not "1 exchanges".
    func testAReaderThatLeavesAfterOneExchangeIsToldInTheSingular() throws {
        let path = try generate("one.ndjson", days: 1, exchanges: 1)
        /// Leaves once the counters show the one exchange taken in.
        final class LeavesAfterOne: LineSink {
            var closed = false
            func write(_ line: String) { if line.contains("\"exchanges\":1,") { closed = true } }
        }
        /// A millisecond passes at every look, so counters go out every turn of the loop.
        final class TickingClock: MonotonicClock, @unchecked Sendable {
            private let lock = NSLock()
            private var now = 1_000.0
            func nowMs() -> Double { lock.lock(); defer { lock.unlock() }; now += 1; return now }
        }
        var said: [String] = []
        var session = HeadlessSession(feed: StreamFeed(stream: try ExchangeStream(paths: [path])), live: false, settings: .standard,
                                      countersEvery: 0.001, listening: [], out: LeavesAfterOne(), clock: TickingClock())
        session.diagnose = { said.append($0) }
        XCTAssertEqual(session.run(), 2)
        XCTAssertEqual(said, ["standard output was closed by its reader after 1 exchange: stopped, as later alerts would be lost"])
    }
}
