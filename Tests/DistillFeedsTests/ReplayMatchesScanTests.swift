import DistillCore
import DistillSim
import Foundation
import XCTest
@testable import DistillFeeds

/// A replay at `--speed max` of 300,000 exchanges over 60 days reaches the same verdicts as
/// `scan` on the same input. The replay runs the console's code path without the terminal:
/// the `ReplayEngine` behind a `StreamFeed` (its reader thread), pumped in 6 ms slices with a
/// snapshot every 500 ms of wall time, exactly as `watch` drives it; the scan is `DetectionRun`,
/// what `distillwatch scan` runs. Both read the same generated file, at the same time on two
/// threads.
final class ReplayMatchesScanTests: FeedsTestCase {
    final class ScanResult: @unchecked Sendable {
        var snapshot: Snapshot?
        var error: Error?
    }

    static func nowMs() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1_000_000 }

    struct Verdict: Equatable, CustomStringConvertible {
        var verdict: DistillCore.Verdict
        var accounts: [String]
        var exchanges: Int
        var risk: String
        var flaggedAt: StreamTime?
        var description: String { "\(verdict.rawValue) risk \(risk) \(accounts.count) accounts \(exchanges) ex flagged \(flaggedAt.map(Timestamp.format) ?? "-")" }
    }

    static func verdicts(_ s: Snapshot) -> [String: Verdict] {
        Dictionary(uniqueKeysWithValues: s.clusters.map {
            ($0.key, Verdict(verdict: $0.verdict, accounts: $0.accounts.sorted(), exchanges: $0.exchanges,
                             risk: String(format: "%.3f", $0.risk), flaggedAt: $0.flaggedAt))
        })
    }

    func testMaxSpeedReplayReachesTheVerdictsOfScan() throws {
        let count = 300_000
        let path = folder.appendingPathComponent("sixty-days.ndjson").path
        var config = GeneratorConfig()
        config.days = 60
        config.maxExchanges = count
        let generator = try TrafficGenerator(config: config)
        guard let out = FileHandle(forWritingAtPath: path) ?? {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            return FileHandle(forWritingAtPath: path)
        }() else { return XCTFail("cannot write \(path)") }
        let summary = generator.run { chunk in out.write(Data(chunk)) }
        try out.close()
        XCTAssertEqual(summary.exchanges, count)

        let scan = ScanResult()
        let scanDone = DispatchSemaphore(value: 0)
        let scanThread = Thread {
            do { scan.snapshot = try DetectionRun.run(paths: [path], settings: .standard).detector.snapshot() } catch { scan.error = error }
            scanDone.signal()
        }
        scanThread.start()

        let engine = try ReplayEngine(speed: .max, paused: false, makeDetector: { Detector() },
                                      makeFeed: { StreamFeed(stream: try ExchangeStream(paths: [path])) })
        engine.start()
        var snapshots = 0
        var last: Snapshot?
        while !engine.finished {
            let now = Self.nowMs()
            engine.pump(wallMs: now) { Self.nowMs() > now + 6 }
            if let s = engine.snapshotIfDue(wallMs: Self.nowMs()) { last = s; snapshots += 1 }
            let idle = engine.idleMs(at: Self.nowMs(), cap: 5)
            if idle > 0 { usleep(UInt32(idle * 1000)) }
        }
        if let s = engine.snapshotIfDue(wallMs: Self.nowMs()) { last = s; snapshots += 1 }
        scanDone.wait()
        if let e = scan.error { throw e }
        let replayed = try XCTUnwrap(last)
        let scanned = try XCTUnwrap(scan.snapshot)

        XCTAssertGreaterThan(snapshots, 2, "the replay took snapshots along the way, as the console does")
        XCTAssertEqual(engine.totalIngested, scanned.exchanges)
        XCTAssertEqual(replayed.exchanges, scanned.exchanges)
        XCTAssertGreaterThan(scanned.exchanges, count * 99 / 100, "duplicates aside, every exchange")
        XCTAssertGreaterThan(scanned.suspectCount, 0, "a comparison worth making has suspects in it")
        XCTAssertEqual(replayed.suspectCount, scanned.suspectCount)
        XCTAssertEqual(replayed.watchCount, scanned.watchCount)

        let a = Self.verdicts(replayed), b = Self.verdicts(scanned)
        XCTAssertEqual(Set(a.keys), Set(b.keys), "the same clusters")
        for key in Set(a.keys).union(b.keys).sorted() where a[key] != b[key] {
            XCTFail("cluster \(key): replay \(a[key].map(\.description) ?? "absent"), scan \(b[key].map(\.description) ?? "absent")")
        }
    }
}
