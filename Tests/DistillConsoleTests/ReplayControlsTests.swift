import DistillCore
import XCTest
@testable import DistillConsole

/// The replay's keys and commands as the console model sees them: effects out, messages for
/// bad input, and a status bar that always shows mode, speed and the stream clock.
final class ReplayControlsTests: XCTestCase {
    func console(_ mode: FeedStatus.Mode, clock: StreamTime? = nil) -> Console {
        var status = FeedStatus(source: "demo.ndjson.gz", mode: mode)
        status.clock = clock
        return Console(status: status)
    }

    func statusLine(_ c: Console) -> String {
        var g = ScreenGrid(width: 120, height: 20)
        c.render(into: &g)
        return g.text(row: 0)
    }

    func testKeysAskTheHostToStepAndJump() {
        let c = console(.paused(speed: 500))
        XCTAssertEqual(c.handle(.char(".")), [.step])
        XCTAssertEqual(c.handle(.char("]")), [.nextSuspect])
        XCTAssertEqual(c.handle(.char("[")), [.previousSuspect])
        XCTAssertEqual(c.handle(.char(" ")), [.togglePause])
        XCTAssertEqual(c.handle(.char("+")), [.scaleSpeed(2)])
        XCTAssertEqual(c.handle(.char("-")), [.scaleSpeed(0.5)])
    }

    func testNewKeysAreInTheHelp() {
        let help = Keymap.standard.helpLines().map { $0.keys + " " + $0.description }
        XCTAssertTrue(help.contains { $0.hasPrefix(". ") && $0.contains("step one stream minute") }, "\(help)")
        XCTAssertTrue(help.contains { $0.hasPrefix("] ") && $0.contains("suspect") })
        XCTAssertTrue(help.contains { $0.hasPrefix("[ ") && $0.contains("suspect") })
    }

    func type(_ c: Console, _ text: String) -> [ConsoleEffect] {
        _ = c.handle(.char(":"))
        for ch in text { _ = c.handle(.char(ch)) }
        return c.handle(.enter)
    }

    func testGotoAndSpeedCommands() {
        let c = console(.replay(speed: 3600))
        XCTAssertEqual(type(c, "goto 2026-04-22T10:00Z"), [.goto(Timestamp.parseRFC3339("2026-04-22T10:00:00Z")!)])
        XCTAssertEqual(type(c, "goto 2026-04-22T12:00:30+02:00"), [.goto(Timestamp.parseRFC3339("2026-04-22T10:00:30Z")!)])
        XCTAssertEqual(type(c, "speed 500"), [.setSpeed(500)])
        XCTAssertEqual(type(c, "speed max"), [.setSpeed(.infinity)])
    }

    func testBadGotoAndSpeedAreExplainedNotObeyed() {
        let c = console(.replay(speed: 3600))
        XCTAssertEqual(type(c, "goto tomorrow"), [])
        XCTAssertTrue(c.message?.text.contains("goto 2026-04-22T10:00Z") ?? false, c.message?.text ?? "")
        XCTAssertEqual(type(c, "goto"), [])
        for bad in ["speed 0", "speed 100001", "speed fast", "speed"] {
            XCTAssertEqual(type(c, bad), [], bad)
            XCTAssertTrue(c.message?.text.contains("1 to 100000") ?? false, c.message?.text ?? "")
        }
    }

    func testStatusBarShowsModeSpeedAndTheReplayClock() {
        let t = Timestamp.parseRFC3339("2026-04-22T10:00:00Z")!
        XCTAssertTrue(statusLine(console(.replay(speed: 500), clock: t)).hasPrefix(" DistillWatch │ REPLAY ×500 │ 2026-04-22 10:00:00Z │"))
        XCTAssertTrue(statusLine(console(.paused(speed: 500), clock: t)).hasPrefix(" DistillWatch │ PAUSED ×500 │ 2026-04-22 10:00:00Z │"))
        XCTAssertTrue(statusLine(console(.replay(speed: .infinity), clock: t)).hasPrefix(" DistillWatch │ REPLAY ×max │ 2026-04-22 10:00:00Z │"))
        XCTAssertTrue(statusLine(console(.seeking(to: t, speed: 60), clock: t - 3_600_000))
            .hasPrefix(" DistillWatch │ SEEKING → 2026-04-22 10:00:00Z (then ×60) │ 2026-04-22 09:00:00Z │"))
        XCTAssertTrue(statusLine(console(.seeking(to: nil, speed: 60), clock: t)).contains("SEEKING → next suspect (then ×60)"))
        XCTAssertTrue(statusLine(console(.seeking(to: nil, speed: 60, thenPaused: true), clock: t)).contains("SEEKING → next suspect (then paused)"))
        XCTAssertTrue(statusLine(console(.replayEnded(speed: 2.5), clock: t)).hasPrefix(" DistillWatch │ END OF INPUT ×2.50 │ 2026-04-22 10:00:00Z │"))
        var status = FeedStatus(source: "x", mode: .replay(speed: 60))
        status.outsideWindow = 1234
        XCTAssertTrue(statusLine(Console(status: status)).contains("1.2k outside window"))
    }
}
