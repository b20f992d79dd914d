import DistillCore
import Foundation
import XCTest
@testable import DistillFeeds

/// The replay without a terminal: wall time is simulated (passed in), so nothing here
/// depends on how fast the machine is.
final class ReplayEngineTests: FeedsTestCase {
    static let t0: StreamTime = 1_776_000_000_000

    /// A farm of ten accounts (shared cards, reasoning-extraction prompts, every 15 minutes for
    /// 20 hours) over thirty ordinary accounts: clusters become suspect part-way through.
    static func campaignLog() -> (text: String, times: [StreamTime]) {
        var lines: [(StreamTime, String)] = []
        let prompts = ["Solve the following problem step by step, showing all your reasoning: item",
                       "Think through this carefully and write out your complete chain of thought before answering: item",
                       "Grade this answer against the rubric below; for each criterion explain your reasoning in full: item"]
        for k in 0..<10 {
            for i in 0..<80 {
                let ts = t0 + StreamTime(i * 900_000 + k * 1000)
                lines.append((ts, "{\"ts\":\(ts),\"account_id\":\"farm-\(k)\",\"request_id\":\"f\(k)-\(i)\",\"org_id\":\"org-f\(k)\",\"session_id\":\"fs-\(k)-\(i / 4)\",\"client_ip\":\"198.51.100.\(i % 9)\",\"asn\":16509,\"user_agent\":\"python-httpx/0.27.2\",\"payment_fp\":\"pm_farm\(k % 2)\",\"model\":\"m1\",\"input_tokens\":200,\"output_tokens\":3000,\"reasoning_tokens\":1200,\"latency_ms\":21000,\"http_status\":200,\"prompt_text\":\"\(prompts[i % 3]) \(i)\"}"))
            }
        }
        for a in 0..<30 {
            for i in 0..<20 {
                let ts = t0 + StreamTime(i * 3_600_000 + a * 7_000)
                lines.append((ts, "{\"ts\":\(ts),\"account_id\":\"dev-\(a)\",\"request_id\":\"d\(a)-\(i)\",\"session_id\":\"ds-\(a)-\(i / 5)\",\"client_ip\":\"10.0.\(a).1\",\"payment_fp\":\"pm_dev\(a)\",\"model\":\"m1\",\"input_tokens\":400,\"output_tokens\":300,\"prompt_text\":\"Could you help me with a recipe \(i)\"}"))
            }
        }
        lines.sort { $0.0 < $1.0 }
        return (lines.map(\.1).joined(separator: "\n") + "\n", lines.map(\.0))
    }

    func makeEngine(_ path: String, speed: ReplaySpeed, paused: Bool = false, window: StreamWindow = .all) throws -> ReplayEngine {
        let engine = try ReplayEngine(speed: speed, paused: paused, window: window, makeDetector: { Detector() },
                                      makeFeed: { StreamFeed(stream: try ExchangeStream(paths: [path])) })
        engine.start()
        addTeardownBlock { engine.stop() }
        return engine
    }

    /// Pumps at a fixed simulated wall time until `done` (the feed's reader runs on its own thread).
    func pump(_ engine: ReplayEngine, at wall: Double, until done: (ReplayEngine) -> Bool) {
        let deadline = Date().addingTimeInterval(60)
        while !done(engine) {
            if engine.pump(wallMs: wall, outOfTime: { false }) == 0 { usleep(1000) }
            _ = engine.snapshotIfDue(wallMs: wall)
            if Date() > deadline { XCTFail("the replay made no progress"); return }
        }
    }

    /// Pumps until the feed has nothing more to give at this wall time.
    func settle(_ engine: ReplayEngine, at wall: Double) {
        var quiet = 0
        while quiet < 50 {
            let n = engine.pump(wallMs: wall, outOfTime: { false })
            quiet = n == 0 && engine.clock.target == nil ? quiet + 1 : 0
            usleep(1000)
        }
        _ = engine.snapshotIfDue(wallMs: wall)
    }

    func testMaxSpeedReadsEverything() throws {
        let (text, times) = Self.campaignLog()
        let engine = try makeEngine(try write("log.ndjson", text), speed: .max)
        pump(engine, at: 0) { $0.finished }
        XCTAssertEqual(engine.totalIngested, times.count)
        XCTAssertEqual(engine.streamClock(at: 99), times.last, "the clock stops at the last exchange")
        XCTAssertTrue(engine.clock.ended)
    }

    func testPacingIngestsOnlyWhatIsDue() throws {
        let (text, times) = Self.campaignLog()
        let engine = try makeEngine(try write("log.ndjson", text), speed: .times(60))  // a stream minute per second
        pump(engine, at: 1000) { $0.totalIngested > 0 }
        settle(engine, at: 1000)
        XCTAssertEqual(engine.totalIngested, times.filter { $0 == Self.t0 }.count, "only the first instant at the start")
        settle(engine, at: 1000 + 30 * 1000)  // 30 s later: half an hour of stream
        XCTAssertEqual(engine.totalIngested, times.filter { $0 <= Self.t0 + 1_800_000 }.count)
        XCTAssertEqual(engine.streamClock(at: 31_000), Self.t0 + 1_800_000)
        let wait = engine.idleMs(at: 31_000, cap: 10_000)
        let nextTs = times.first { $0 > Self.t0 + 1_800_000 }!
        XCTAssertEqual(wait, Double(nextTs - Self.t0 - 1_800_000) / 60, accuracy: 0.001, "sleeps until the next exchange is due")
    }

    func testStepWhilePausedAndRefusedWhileRunning() throws {
        let (text, times) = Self.campaignLog()
        let engine = try makeEngine(try write("log.ndjson", text), speed: .times(60), paused: true)
        pump(engine, at: 0) { $0.totalIngested > 0 }
        settle(engine, at: 5000)
        XCTAssertEqual(engine.totalIngested, times.filter { $0 == Self.t0 }.count, "paused: the clock stands")
        for minute in 1...3 {
            XCTAssertEqual(engine.step(wallMs: 5000), .forward)
            pump(engine, at: 5000) { $0.clock.target == nil }
            XCTAssertEqual(engine.streamClock(at: 9000), Self.t0 + StreamTime(minute) * 60_000)
            XCTAssertEqual(engine.totalIngested, times.filter { $0 <= Self.t0 + StreamTime(minute) * 60_000 }.count)
            XCTAssertTrue(engine.clock.paused)
        }
        engine.setPaused(false, wallMs: 9000)
        guard case .refused(let why) = engine.step(wallMs: 9000) else { return XCTFail("stepped while running") }
        XCTAssertTrue(why.contains("paused"), why)
    }

    func testGotoForwardThenBackRebuildsFromTheStart() throws {
        let (text, times) = Self.campaignLog()
        let engine = try makeEngine(try write("log.ndjson", text), speed: .times(100), paused: true)
        pump(engine, at: 0) { $0.totalIngested > 0 }
        let late = Self.t0 + 15 * 3_600_000, early = Self.t0 + 2 * 3_600_000 + 1234
        XCTAssertEqual(engine.seek(to: late, wallMs: 0), .forward)
        pump(engine, at: 0) { $0.clock.target == nil }
        let lateState = engine.detector.snapshot()
        XCTAssertEqual(lateState.exchanges, times.filter { $0 <= late }.count)
        XCTAssertEqual(engine.streamClock(at: 0), late)

        let before = engine.detector
        XCTAssertEqual(engine.seek(to: early, wallMs: 0), .rebuilding)
        XCTAssertFalse(engine.detector === before, "a fresh detector, not the one that has seen the future")
        XCTAssertEqual(engine.detector.snapshot().exchanges, 0)
        pump(engine, at: 0) { $0.clock.target == nil }
        let earlyState = engine.detector.snapshot()
        XCTAssertEqual(earlyState.exchanges, times.filter { $0 <= early }.count)
        XCTAssertEqual(engine.streamClock(at: 0), early)
        XCTAssertEqual(engine.rebuilds, 1)

        // The same state as a replay that never went further.
        let direct = try makeEngine(try write("log2.ndjson", text), speed: .max, window: StreamWindow(until: early))
        pump(direct, at: 0) { $0.finished }
        let reference = direct.detector.snapshot()
        XCTAssertEqual(earlyState.clusters.map(\.key), reference.clusters.map(\.key))
        XCTAssertEqual(earlyState.clusters.map(\.verdict), reference.clusters.map(\.verdict))

        // And forward again from there.
        XCTAssertEqual(engine.seek(to: late, wallMs: 0), .forward)
        pump(engine, at: 0) { $0.clock.target == nil }
        XCTAssertEqual(engine.detector.snapshot().exchanges, lateState.exchanges)
    }

    func testNextAndPreviousSuspectMoments() throws {
        let (text, times) = Self.campaignLog()
        let engine = try makeEngine(try write("log.ndjson", text), speed: .times(1), paused: true)
        pump(engine, at: 0) { $0.totalIngested > 0 }
        guard case .refused = engine.previousSuspect(wallMs: 0).result else { return XCTFail("nothing is suspect yet") }

        XCTAssertEqual(engine.nextSuspect(wallMs: 0), .forward)
        pump(engine, at: 0) { $0.clock.target == nil }
        let first = try XCTUnwrap(engine.detector.suspectMoments.first)
        XCTAssertEqual(engine.streamClock(at: 0), first)
        XCTAssertEqual(engine.takeStopAtSuspect(), first, "the console is told where it stopped")
        XCTAssertNil(engine.takeStopAtSuspect(), "once")
        let snap = engine.detector.snapshot()
        XCTAssertGreaterThan(snap.suspectCount, 0, "stopped where a cluster became suspect")
        XCTAssertLessThan(engine.totalIngested, times.count)
        XCTAssertTrue(engine.clock.paused)

        // On to the end, then back to the last moment before it.
        engine.setSpeed(.max, wallMs: 0)
        engine.setPaused(false, wallMs: 0)
        pump(engine, at: 0) { $0.finished }
        let moments = engine.detector.suspectMoments
        let (result, moment) = engine.previousSuspect(wallMs: 0)
        XCTAssertEqual(result, .rebuilding)
        XCTAssertEqual(moment, moments.filter { $0 < times.last! }.max())
        pump(engine, at: 0) { $0.clock.target == nil }
        XCTAssertEqual(engine.streamClock(at: 0), moment)
        XCTAssertTrue(engine.clock.paused, "stopped there, not replaying on")
        XCTAssertEqual(engine.takeStopAtSuspect(), moment)
        XCTAssertEqual(engine.detector.snapshot().exchanges, times.filter { $0 <= moment! }.count)
        XCTAssertGreaterThan(engine.detector.snapshot().suspectCount, 0)
    }

    /// A live feed is read once: every way of seeking says so, `[` included, rather than
    /// searching its moments against a clock that is not where its records are.
    func testALiveFeedRefusesEverySeek() throws {
        let (text, _) = Self.campaignLog()
        let path = try write("log.ndjson", text)
        let engine = try ReplayEngine(speed: .times(1), paused: false, live: true, makeDetector: { Detector() },
                                      makeFeed: { StreamFeed(stream: try ExchangeStream(paths: [path])) })
        engine.start()
        addTeardownBlock { engine.stop() }
        let refused = ReplayEngine.SeekResult.refused("a live feed cannot seek")
        XCTAssertEqual(engine.previousSuspect(wallMs: 0).result, refused, "before anything arrived")
        pump(engine, at: 0) { !$0.detector.suspectMoments.isEmpty }
        XCTAssertEqual(engine.previousSuspect(wallMs: 0).result, refused)
        XCTAssertEqual(engine.nextSuspect(wallMs: 0), refused)
        XCTAssertEqual(engine.seek(to: 0, wallMs: 0), refused)
    }

    func testNextSuspectPausesAReplayThatWasRunning() throws {
        let (text, _) = Self.campaignLog()
        let engine = try makeEngine(try write("log.ndjson", text), speed: .times(1))
        pump(engine, at: 0) { $0.totalIngested > 0 }
        XCTAssertFalse(engine.clock.paused)
        XCTAssertEqual(engine.nextSuspect(wallMs: 0), .forward)
        pump(engine, at: 0) { $0.clock.target == nil }
        XCTAssertTrue(engine.clock.paused, "] stops at the moment instead of replaying on at speed")
        XCTAssertEqual(engine.takeStopAtSuspect(), engine.detector.suspectMoments.first)
    }

    func testWindowSkipsAndCountsWhatIsOutside() throws {
        let (text, times) = Self.campaignLog()
        let from = Self.t0 + 3_600_000, until = Self.t0 + 5 * 3_600_000
        let engine = try makeEngine(try write("log.ndjson", text), speed: .max, window: StreamWindow(from: from, until: until))
        pump(engine, at: 0) { $0.finished }
        let inside = times.filter { $0 >= from && $0 <= until }.count
        XCTAssertEqual(engine.totalIngested, inside)
        XCTAssertEqual(engine.outsideWindow, times.count - inside)
        XCTAssertEqual(engine.detector.snapshot().streamStart, times.first { $0 >= from })

        let scan = try DetectionRun.run(paths: [try write("log3.ndjson", text)], settings: .standard,
                                        window: StreamWindow(from: from, until: until))
        XCTAssertEqual(scan.detector.snapshot().exchanges, inside)
        XCTAssertEqual(scan.outsideWindow, times.count - inside)
        XCTAssertThrowsError(try StreamWindow(from: "2026-04-22", until: "2026-04-21"))
        XCTAssertThrowsError(try StreamWindow(from: "soon", until: nil))
    }

    func testSeekBackWhenTheInputIsGoneKeepsTheState() throws {
        let (text, _) = Self.campaignLog()
        let path = try write("log.ndjson", text)
        let engine = try makeEngine(path, speed: .max)
        pump(engine, at: 0) { $0.finished }
        try FileManager.default.removeItem(atPath: path)
        let seen = engine.detector.snapshot().exchanges
        guard case .refused(let why) = engine.seek(to: Self.t0 + 60_000, wallMs: 0) else { return XCTFail("seeked without input") }
        XCTAssertTrue(why.contains("re-open"), why)
        XCTAssertEqual(engine.detector.snapshot().exchanges, seen)
        XCTAssertEqual(engine.rebuilds, 0)
    }

    // MARK: Keyframes

    func makeKeyframedEngine(_ path: String, every: StreamTime, budget: Int = ReplayEngine.defaultKeyframeBudget,
                             directory: String? = nil) throws -> ReplayEngine {
        let engine = try ReplayEngine(speed: .times(100), paused: true, makeDetector: { Detector() },
                                      // Small batches: this log is one default batch, and marks fall between batches.
                                      makeFeed: { StreamFeed(stream: try ExchangeStream(paths: [path]), batchSize: 50) },
                                      resumeFeed: { mark in
                                          let stream = try ExchangeStream(paths: [path])
                                          try stream.resume(at: mark.positions)
                                          return StreamFeed(stream: stream, ledger: mark.ledgers[0], batchSize: 50)
                                      },
                                      keyframeEvery: every, keyframeBudget: budget, keyframeDirectory: directory)
        engine.start()
        addTeardownBlock { engine.stop() }
        return engine
    }

    /// The campaign with broken lines and repeated request ids, so the ledger is tested too.
    static func noisyCampaignLog() -> String {
        var out = ""
        for (i, line) in campaignLog().text.split(separator: "\n").enumerated() {
            out += line + "\n"
            if i % 37 == 0 { out += "{\"broken\":\n" }
            if i % 53 == 0 { out += line + "\n" }
        }
        return out
    }

    func testSeekBackStartsFromTheNearestKeyframeAndEndsInTheSameState() throws {
        try seekBackFromTheNearestKeyframe(directory: nil)
    }

    /// Keyframes on disk (as the console keeps them): the same seeks, the same states, and no
    /// file left with a name in their directory.
    func testKeyframesOnDiskSeekBackAlikeAndLeaveNoFiles() throws {
        let directory = folder.appendingPathComponent("keyframes").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try seekBackFromTheNearestKeyframe(directory: directory)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [])
    }

    /// A directory that cannot take keyframes costs the keyframes, counted, and nothing else: a
    /// seek back re-reads from the start and ends in the same state.
    func testKeyframesTheDiskRefusesAreCountedAndSeeksStillWork() throws {
        let path = try write("log.ndjson", Self.noisyCampaignLog())
        let engine = try makeKeyframedEngine(path, every: 3_600_000, directory: folder.appendingPathComponent("missing").path)
        pump(engine, at: 0) { $0.totalIngested > 0 }
        XCTAssertEqual(engine.seek(to: Self.t0 + 20 * 3_600_000, wallMs: 0), .forward)
        pump(engine, at: 0) { $0.clock.target == nil }
        XCTAssertEqual(engine.keyframeCount, 0)
        XCTAssertGreaterThan(engine.keyframesNotWritten, 8, "about one a stream hour was tried")
        XCTAssertLessThanOrEqual(engine.keyframesNotWritten, 21, "tried once an interval, not at every batch")
        let before = engine.detector.snapshot()
        XCTAssertEqual(engine.seek(to: Self.t0 + 10 * 3_600_000, wallMs: 0), .rebuilding)
        XCTAssertNil(engine.lastSeekFrom, "from the start")
        pump(engine, at: 0) { $0.clock.target == nil }
        XCTAssertEqual(engine.seek(to: Self.t0 + 20 * 3_600_000, wallMs: 0), .forward)
        pump(engine, at: 0) { $0.clock.target == nil }
        settle(engine, at: 0)
        XCTAssertEqual(ClusterVerdicts.of(engine.detector.snapshot()), ClusterVerdicts.of(before))
    }

    func seekBackFromTheNearestKeyframe(directory: String?) throws {
        let text = Self.noisyCampaignLog()
        let path = try write("log.ndjson", text)
        let engine = try makeKeyframedEngine(path, every: 3_600_000, directory: directory)
        /// The engine's state now is that of a replay that went straight to `target`.
        func sameAsDirect(_ target: StreamTime) throws {
            let direct = try makeEngine(try write("direct.ndjson", text), speed: .times(100), paused: true)
            pump(direct, at: 0) { $0.totalIngested > 0 }
            XCTAssertEqual(direct.seek(to: target, wallMs: 0), .forward)
            pump(direct, at: 0) { $0.clock.target == nil }
            settle(direct, at: 0)
            let got = engine.detector.snapshot(), want = direct.detector.snapshot()
            let at = Timestamp.format(target)
            XCTAssertEqual(got.exchanges, want.exchanges, at)
            XCTAssertEqual(ClusterVerdicts.of(got), ClusterVerdicts.of(want), at)
            XCTAssertEqual(engine.detector.suspectMoments, direct.detector.suspectMoments, at)
            XCTAssertEqual(engine.feedState.rejected, direct.feedState.rejected, at)
            XCTAssertEqual(engine.feedState.duplicates, direct.feedState.duplicates, at)
            XCTAssertEqual(engine.streamClock(at: 0), target)
            direct.stop()
        }
        pump(engine, at: 0) { $0.totalIngested > 0 }
        let end = Self.t0 + 20 * 3_600_000
        XCTAssertEqual(engine.seek(to: end, wallMs: 0), .forward)
        pump(engine, at: 0) { $0.clock.target == nil }
        XCTAssertGreaterThan(engine.keyframeCount, 8, "about one a stream hour")

        for target in [Self.t0 + 15 * 3_600_000 + 777, Self.t0 + 11 * 3_600_000 + 59_000, Self.t0 + 4 * 3_600_000, Self.t0 + 30_000] {
            XCTAssertEqual(engine.seek(to: target, wallMs: 0), .rebuilding)
            if target > Self.t0 + 3_600_000 {
                let from = try XCTUnwrap(engine.lastSeekFrom, "a keyframe was used for \(Timestamp.format(target))")
                XCTAssertLessThanOrEqual(from, target)
                XCTAssertGreaterThan(from, target - 2 * 3_600_000, "the nearest one")
            } else {
                XCTAssertNil(engine.lastSeekFrom, "before the first keyframe: from the start")
            }
            pump(engine, at: 0) { $0.clock.target == nil }
            settle(engine, at: 0)
            try sameAsDirect(target)
        }

        // Forward again, far, over ground replayed before: from a keyframe on the way.
        let ahead = Self.t0 + 18 * 3_600_000 + 4_321
        XCTAssertEqual(engine.seek(to: ahead, wallMs: 0), .rebuilding)
        let from = try XCTUnwrap(engine.lastSeekFrom)
        XCTAssertGreaterThan(from, ahead - 2 * 3_600_000, "the nearest keyframe before the target")
        pump(engine, at: 0) { $0.clock.target == nil }
        settle(engine, at: 0)
        try sameAsDirect(ahead)
        // A short way forward still ingests.
        XCTAssertEqual(engine.seek(to: ahead + 600_000, wallMs: 0), .forward)
    }

    func testKeyframesStayWithinTheirBudget() throws {
        let path = try write("log.ndjson", Self.noisyCampaignLog())
        // Room for about five keyframes of this log.
        let probe = try makeKeyframedEngine(path, every: 3_600_000)
        pump(probe, at: 0) { $0.totalIngested > 0 }
        XCTAssertEqual(probe.seek(to: Self.t0 + 20 * 3_600_000, wallMs: 0), .forward)
        pump(probe, at: 0) { $0.clock.target == nil }
        let each = probe.keyframeBytes / max(1, probe.keyframeCount)

        let engine = try makeKeyframedEngine(path, every: 3_600_000, budget: each * 5)
        pump(engine, at: 0) { $0.totalIngested > 0 }
        XCTAssertEqual(engine.seek(to: Self.t0 + 20 * 3_600_000, wallMs: 0), .forward)
        pump(engine, at: 0) { $0.clock.target == nil }
        XCTAssertLessThanOrEqual(engine.keyframeBytes, each * 5 + each / 2)
        XCTAssertGreaterThanOrEqual(engine.keyframeCount, 2)
        let spacing = try XCTUnwrap(engine.keyframeSpacing, "thinned: paced by exchanges from then on")
        XCTAssertGreaterThan(spacing, 0)
        // The ones kept are spread out by exchanges: no gap is much longer than the average.
        // (Dropping the oldest instead leaves twice the average before the first.)
        let average = engine.totalIngested / engine.keyframeCount
        XCTAssertLessThanOrEqual(2 * engine.longestKeyframeGap.exchanges, 3 * average,
                                 "longest gap \(engine.longestKeyframeGap.exchanges) exchanges, average \(average)")
        // Still a keyframe to seek back to.
        XCTAssertEqual(engine.seek(to: Self.t0 + 19 * 3_600_000, wallMs: 0), .rebuilding)
        XCTAssertNotNil(engine.lastSeekFrom)
    }
}
