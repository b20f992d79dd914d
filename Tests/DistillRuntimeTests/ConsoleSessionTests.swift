import DistillConsole
import DistillCore
import DistillFeeds
import DistillRuntime
import DistillSim
import Foundation
import XCTest

/// A terminal played by a script: it keeps each frame the session draws and answers key reads
/// from what the last frame shows. Waiting for a key waits on the session's clock.
final class ScriptedTerminal: ConsoleTerminal {
    let size: (width: Int, height: Int)
    let unicode = true
    private(set) var frames = 0
    private(set) var last: ScreenGrid?
    /// When the last frame was drawn, by `now`.
    private(set) var lastDrawnAt = 0.0
    var now: () -> Double = { 0 }
    /// Given the latest frame, the key to press now (nil: none).
    var script: (ScreenGrid) -> Key?
    /// How a wait for a key passes: real sleep, or a step of a test clock.
    var wait: (Int) -> Void = { ms in usleep(UInt32(min(ms, 5)) * 1000) }

    init(width: Int = 120, height: Int = 40, script: @escaping (ScreenGrid) -> Key?) {
        size = (width, height)
        self.script = script
    }

    func readKey(timeoutMs: Int) -> Key? {
        if let grid = last, let key = script(grid) { return key }
        if timeoutMs > 0 { wait(timeoutMs) }
        return nil
    }

    func draw(_ grid: ScreenGrid) { last = grid; frames += 1; lastDrawnAt = now() }
    func invalidate() {}
    func apply(theme: Theme) {}

    var screen: String { last.map { g in (0..<g.height).map { g.text(row: $0) }.joined(separator: "\n") } ?? "" }
}

/// A clock that moves only when told: the console's pacing without wall time.
final class StepClock: MonotonicClock, @unchecked Sendable {
    private let lock = NSLock()
    private var now = 1_000.0
    func nowMs() -> Double { lock.lock(); defer { lock.unlock() }; return now }
    func advance(_ ms: Double) { lock.lock(); now += ms; lock.unlock() }
}

/// A scratch folder per test, and generated logs in it.
class RuntimeTestCase: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("distillruntime-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    func generate(_ name: String, days: Int, exchanges: Int, seed: UInt64 = 7) throws -> String {
        let path = folder.appendingPathComponent(name).path
        var config = GeneratorConfig()
        config.days = days
        config.seed = seed
        config.maxExchanges = exchanges
        guard FileManager.default.createFile(atPath: path, contents: nil), let out = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteUnknown)
        }
        let summary = try TrafficGenerator(config: config).run { out.write(Data($0)) }
        try out.close()
        XCTAssertEqual(summary.exchanges, exchanges)
        return path
    }

}

/// The console's own loop (`ConsoleSession`, as `watch` runs it) with a scripted terminal.
final class ConsoleSessionTests: RuntimeTestCase {
    static func engine(_ path: String, speed: ReplaySpeed) throws -> ReplayEngine {
        try ReplayEngine(speed: speed, paused: false,
                         makeDetector: { let d = Detector(); d.inspector = ExchangeInspector(); return d },
                         makeFeed: { StreamFeed(stream: try ExchangeStream(paths: [path])) })
    }

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

    /// 200,000 exchanges (about 40 days) replayed at `max` in the console, keys pressed while it
    /// runs, reach the verdicts `scan` reaches on the same file.
    func testMaxSpeedReplayInTheConsoleReachesTheVerdictsOfScan() throws {
        let count = 200_000
        let path = try generate("sixty-days.ndjson", days: 60, exchanges: count)
        let engine = try Self.engine(path, speed: .max)
        var pressed: [Key] = [.char("j"), .char("j"), .char("?"), .escape, .char("k")]
        let terminal = ScriptedTerminal { grid in
            if grid.text(row: 0).contains("END OF INPUT") { return .char("q") }
            // A key every few frames while the replay runs, as an analyst would press them.
            return pressed.isEmpty ? nil : pressed.removeFirst()
        }
        // The scan runs beside the replay, on another thread, as the two cores allow.
        final class ScanResult: @unchecked Sendable { var snapshot: Snapshot?; var error: Error? }
        let scan = ScanResult()
        let scanDone = DispatchSemaphore(value: 0)
        Thread {
            do { scan.snapshot = try DetectionRun.run(paths: [path], settings: .standard).detector.snapshot() } catch { scan.error = error }
            scanDone.signal()
        }.start()
        var session = ConsoleSession(terminal: terminal, engine: engine, sourceName: "sixty-days.ndjson")
        let summary = session.run()
        engine.stop()
        scanDone.wait()
        if let error = scan.error { throw error }
        let scanned = try XCTUnwrap(scan.snapshot)
        let replayed = session.console.snapshot

        XCTAssertTrue(pressed.isEmpty, "every scripted key was read")
        XCTAssertGreaterThan(terminal.frames, 2, "frames were drawn along the way")
        XCTAssertTrue(summary.contains("watched \(Format.grouped(scanned.exchanges)) exchanges"), summary)
        XCTAssertEqual(engine.totalIngested, scanned.exchanges)
        XCTAssertEqual(replayed.exchanges, scanned.exchanges)
        XCTAssertGreaterThan(scanned.exchanges, count * 99 / 100, "duplicates aside, every exchange")
        XCTAssertGreaterThan(scanned.suspectCount, 0, "a comparison worth making has suspects in it")
        XCTAssertEqual(replayed.suspectCount, scanned.suspectCount)
        XCTAssertEqual(replayed.watchCount, scanned.watchCount)
        XCTAssertTrue(terminal.last?.text(row: 0).contains("\(scanned.suspectCount) suspect") ?? false, terminal.last?.text(row: 0) ?? "")
        let a = Self.verdicts(replayed), b = Self.verdicts(scanned)
        XCTAssertEqual(Set(a.keys), Set(b.keys), "the same clusters")
        for key in Set(a.keys).union(b.keys).sorted() where a[key] != b[key] {
            XCTFail("cluster \(key): replay \(a[key].map(\.description) ?? "absent"), scan \(b[key].map(\.description) ?? "absent")")
        }
    }

    /// With the clock handed in, pacing follows it and nothing else: ten seconds of that clock
    /// at ×3600 are ten hours of stream, however fast the machine runs the loop.
    /// Space on a live feed, or once a replay has ended, says why nothing pauses instead of
    /// claiming "paused" while records go on being counted.
    func testPauseIsRefusedWhereNothingWouldPause() throws {
        let path = try generate("short.ndjson", days: 1, exchanges: 2_000)
        for live in [true, false] {
            let engine = try ReplayEngine(speed: .max, paused: false, live: live,
                                          makeDetector: { Detector() },
                                          makeFeed: { StreamFeed(stream: try ExchangeStream(paths: [path])) })
            var pressed = [Character]()
            var said = ""
            let deadline = Date().addingTimeInterval(60)
            let terminal = ScriptedTerminal { grid in
                if Date() > deadline { return .char("q") }  // what was pressed says how far it got
                let screen = (0..<grid.height).map { grid.text(row: $0) }.joined(separator: "\n")
                switch pressed.count {
                case 0 where screen.contains("2.0k ex"): pressed.append(" "); return .char(" ")
                case 1 where screen.contains("live feed") || screen.contains("end of its input"):
                    said = screen; pressed.append("+"); return .char("+")
                case 2 where !live || screen.contains("no replay speed"): pressed.append("q"); return .char("q")
                default: return nil
                }
            }
            var session = ConsoleSession(terminal: terminal, engine: engine, sourceName: "short.ndjson")
            _ = session.run()
            engine.stop()
            XCTAssertEqual(pressed, [" ", "+", "q"], "live \(live): \(terminal.screen)")
            XCTAssertFalse(said.contains("paused — Space resumes"), said)
            XCTAssertTrue(said.contains(live ? "a live feed is not paused" : "the replay has reached the end of its input"), said)
        }
    }

    /// Once a replay has ended, `-` and `.` say so, as Space does, instead of changing the
    /// speed shown beside END OF INPUT or asking for a pause that Space then refuses.
    func testSpeedAndStepAreRefusedOnceAReplayHasEnded() throws {
        let path = try generate("short.ndjson", days: 1, exchanges: 2_000)
        let engine = try ReplayEngine(speed: .max, paused: false, makeDetector: { Detector() },
                                      makeFeed: { StreamFeed(stream: try ExchangeStream(paths: [path])) })
        var pressed = [Character]()
        var afterSlower = "", afterStep = ""
        let deadline = Date().addingTimeInterval(60)
        let terminal = ScriptedTerminal { grid in
            if Date() > deadline { return .char("q") }
            let screen = (0..<grid.height).map { grid.text(row: $0) }.joined(separator: "\n")
            switch pressed.count {
            case 0 where screen.contains("END OF INPUT"): pressed.append("-"); return .char("-")
            case 1 where screen.contains("end of its input") || screen.contains("replay speed"):
                afterSlower = screen; pressed.append("."); return .char(".")
            case 2 where screen.contains("steps while paused") || screen.contains("end of its input"):
                afterStep = screen; pressed.append("q"); return .char("q")
            default: return nil
            }
        }
        var session = ConsoleSession(terminal: terminal, engine: engine, sourceName: "short.ndjson")
        _ = session.run()
        engine.stop()
        XCTAssertEqual(pressed, ["-", ".", "q"], terminal.screen)
        XCTAssertTrue(afterSlower.contains("the replay has reached the end of its input"), afterSlower)
        XCTAssertFalse(afterSlower.contains("replay speed"), afterSlower)
        XCTAssertTrue(afterSlower.contains("END OF INPUT ×max"), "the speed shown is unchanged: \(afterSlower)")
        XCTAssertFalse(afterStep.contains("steps while paused"), afterStep)
        XCTAssertTrue(afterStep.contains("the replay has reached the end of its input"), afterStep)
    }

    /// `:speed N` at the end of a replay is kept for the next replay back, and says so: the
    /// status bar shows the new speed beside END OF INPUT, where nothing is playing at it.
    func testSpeedCommandAtTheEndSaysWhenItApplies() throws {
        let path = try generate("short.ndjson", days: 1, exchanges: 2_000)
        let engine = try ReplayEngine(speed: .max, paused: false, makeDetector: { Detector() },
                                      makeFeed: { StreamFeed(stream: try ExchangeStream(paths: [path])) })
        var typing: [Key] = [.char(":")] + "speed 50".map { .char($0) } + [.enter]
        var typed = false, after = ""
        let deadline = Date().addingTimeInterval(60)
        let terminal = ScriptedTerminal { grid in
            if Date() > deadline { return .char("q") }
            let screen = (0..<grid.height).map { grid.text(row: $0) }.joined(separator: "\n")
            if !typed {
                guard screen.contains("END OF INPUT") else { return nil }
                if typing.count == 1 { typed = true }
                return typing.removeFirst()
            }
            guard screen.contains("replay speed ×50") else { return nil }
            after = screen
            return .char("q")
        }
        var session = ConsoleSession(terminal: terminal, engine: engine, sourceName: "short.ndjson")
        _ = session.run()
        engine.stop()
        XCTAssertTrue(after.contains("END OF INPUT ×50"), after)
        XCTAssertTrue(after.contains("replay speed ×50 once [ or :goto go back"), after)
    }

    /// A seek that ends within the turn it began in (a step of one stream minute while paused)
    /// still replaces "stepping one stream minute…" with where the replay now stands.
    func testAFinishedSeekSaysWhereTheReplayStands() throws {
        let path = try generate("short.ndjson", days: 1, exchanges: 2_000)
        let engine = try ReplayEngine(speed: .times(600), paused: false, makeDetector: { Detector() },
                                      makeFeed: { StreamFeed(stream: try ExchangeStream(paths: [path])) })
        var stepped = 0
        var paused = false
        var arrived = ""
        let deadline = Date().addingTimeInterval(60)
        let terminal = ScriptedTerminal { grid in
            if Date() > deadline { return .char("q") }
            let screen = (0..<grid.height).map { grid.text(row: $0) }.joined(separator: "\n")
            if !paused {
                // Paused once the replay is under way, so that its clock has a position to step from.
                guard screen.contains("REPLAY"), !screen.contains("│ 0 ex │") else { return nil }
                paused = true
                return .char(" ")
            }
            if stepped == 0 {
                guard screen.contains("PAUSED") else { return nil }
                stepped = 1
                return .char(".")
            }
            guard screen.contains("(paused: Space resumes, . steps)") else { return nil }
            arrived = screen
            return .char("q")
        }
        var session = ConsoleSession(terminal: terminal, engine: engine, sourceName: "short.ndjson")
        _ = session.run()
        engine.stop()
        XCTAssertEqual(stepped, 1)
        XCTAssertFalse(arrived.isEmpty, "never said it arrived: \(terminal.screen)")
        XCTAssertFalse(arrived.contains("stepping one stream minute"), arrived)
        XCTAssertTrue(arrived.contains("PAUSED"), arrived)
    }

    /// `:goto` back at `max` pauses at the time asked for: running on at full speed would reach
    /// the end again at once, as if the seek had done nothing. Space resumes.
    func testGotoAtMaxSpeedPausesAtItsTarget() throws {
        let path = try generate("short.ndjson", days: 1, exchanges: 2_000)
        let engine = try ReplayEngine(speed: .max, paused: false, makeDetector: { Detector() },
                                      makeFeed: { StreamFeed(stream: try ExchangeStream(paths: [path])) })
        func shown(_ grid: ScreenGrid) -> StreamTime? {
            grid.text(row: 0).split(separator: "│").map { $0.trimmingCharacters(in: .whitespaces) }
                .first { $0.hasSuffix("Z") && $0.count == 20 }.flatMap { Timestamp.parseRFC3339($0) }
        }
        var typing: [Key] = []
        var target: StreamTime?
        var sawSeek = false
        var arrived = "", resumed = ""
        let deadline = Date().addingTimeInterval(60)
        let terminal = ScriptedTerminal { grid in
            if Date() > deadline { return .char("q") }
            let screen = (0..<grid.height).map { grid.text(row: $0) }.joined(separator: "\n")
            if target == nil {
                // At the end of the input (under an hour of stream), back twenty minutes.
                guard screen.contains("END OF INPUT"), let end = shown(grid) else { return nil }
                let t = end - 20 * 60_000
                target = t
                typing = [.char(":")] + "goto \(Timestamp.format(t))".map { .char($0) } + [.enter]
            }
            if !typing.isEmpty { return typing.removeFirst() }
            if !sawSeek {
                // Keys typed ahead are read before the next frame: wait for the seek's own.
                sawSeek = screen.contains("going to")
                return nil
            }
            if arrived.isEmpty {
                guard !screen.contains("going to"), !screen.contains("SEEKING") else { return nil }
                arrived = screen
                return screen.contains("PAUSED") ? .char(" ") : .char("q")
            }
            guard screen.contains("resumed") else { return nil }
            resumed = screen
            return .char("q")
        }
        var session = ConsoleSession(terminal: terminal, engine: engine, sourceName: "short.ndjson")
        _ = session.run()
        engine.stop()
        let t = try XCTUnwrap(target, terminal.screen)
        XCTAssertTrue(arrived.contains("PAUSED ×max"), arrived)
        XCTAssertTrue(arrived.contains("at \(Format.clock(t)) (paused: Space resumes"), arrived)
        XCTAssertTrue(arrived.components(separatedBy: "\n")[0].contains(Format.clock(t)), arrived)
        XCTAssertTrue(resumed.contains("resumed at ×max"), resumed)
    }

    func testReplayPacingFollowsTheInjectedClock() throws {
        // Enough exchanges to reach well past ten stream hours (at the end the clock stands).
        let path = try generate("two-days.ndjson", days: 2, exchanges: 20_000)
        let clock = StepClock()
        let engine = try Self.engine(path, speed: .times(3600))
        /// The stream time in a status bar, and the clock's time when that frame was drawn.
        func shown(_ grid: ScreenGrid) -> StreamTime? {
            grid.text(row: 0).split(separator: "│").map { $0.trimmingCharacters(in: .whitespaces) }
                .first { $0.hasSuffix("Z") && $0.count == 20 }.flatMap { Timestamp.parseRFC3339($0) }
        }
        var first: (stream: StreamTime, clock: Double)?
        var later: (stream: StreamTime, clock: Double)?
        var terminal: ScriptedTerminal!
        terminal = ScriptedTerminal { grid in
            guard let stream = shown(grid) else { return nil }
            guard let start = first else { first = (stream, terminal.lastDrawnAt); return nil }
            guard terminal.lastDrawnAt - start.clock >= 10_000 else { return nil }
            later = (stream, terminal.lastDrawnAt)
            return .char("q")
        }
        terminal.now = { clock.nowMs() }
        terminal.wait = { ms in clock.advance(Double(ms)); usleep(200) }
        var session = ConsoleSession(terminal: terminal, engine: engine, sourceName: "two-days.ndjson", clock: clock)
        _ = session.run()
        engine.stop()
        let a = try XCTUnwrap(first), b = try XCTUnwrap(later)
        let streamHours = Double(b.stream - a.stream) / 3_600_000
        let clockSeconds = (b.clock - a.clock) / 1000
        XCTAssertGreaterThanOrEqual(clockSeconds, 10)
        // The status bar shows whole seconds of stream: a second either way.
        XCTAssertEqual(streamHours, clockSeconds, accuracy: 2.0 / 3600, "\(streamHours) stream hours in \(clockSeconds) s of the clock at ×3600")
    }
}
