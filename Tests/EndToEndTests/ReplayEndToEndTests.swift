import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest

/// The replay controls through tmux, as a person uses them: start paused, step a minute,
/// resume and pause, change speed, go forward and back in time, jump between suspect moments.
/// The status bar must say the mode, speed and stream clock at every point.
final class ReplayEndToEndTests: XCTestCase {
    static let session = "dwreplay\(getpid())"
    var tmux: String!

    override func setUpWithError() throws {
        guard let t = ConsoleEndToEndTests.tmuxPath() else { throw XCTSkip("tmux is not installed") }
        tmux = t
        guard FileManager.default.isExecutableFile(atPath: ConsoleEndToEndTests.binary.path) else {
            XCTFail("build the package first: no \(ConsoleEndToEndTests.binary.path)")
            throw XCTSkip("no binary")
        }
    }

    override func tearDown() {
        if let tmux { ConsoleEndToEndTests.run(tmux, ["-L", Self.session, "kill-server"]) }
    }

    func capture() -> String { ConsoleEndToEndTests.run(tmux, ["-L", Self.session, "capture-pane", "-p", "-t", Self.session]).out }
    func keys(_ k: String...) { ConsoleEndToEndTests.run(tmux, ["-L", Self.session, "send-keys", "-t", Self.session] + k) }
    func command(_ text: String) { keys(":"); keys("-l", text); keys("Enter") }
    func statusBar(_ screen: String) -> String { String(screen.split(separator: "\n", omittingEmptySubsequences: false).first ?? "") }

    @discardableResult
    func waitFor(_ what: String, timeout: Double = 5, _ predicate: (String) -> Bool) -> String {
        ConsoleEndToEndTests.poll(what, timeout: timeout, capture: capture, predicate)
    }

    /// The status bar's "N ex" (exchanges the detector holds) and "N suspect".
    func counts(_ screen: String) -> (exchanges: String, suspects: Int) {
        let parts = statusBar(screen).components(separatedBy: "│").map { $0.trimmingCharacters(in: .whitespaces) }
        let ex = parts.first { $0.hasSuffix(" ex") } ?? "?"
        let suspects = parts.first { $0.contains(" suspect · ") }.flatMap { Int($0.split(separator: " ")[0]) } ?? -1
        return (ex, suspects)
    }

    func testPauseStepSpeedGotoBackAndForthAndSuspectJumps() throws {
        let log = try ConsoleEndToEndTests.writeLog()  // starts 2026-04-12 13:20:00Z, 20 hours
        defer { try? FileManager.default.removeItem(at: log) }
        let cmd = "LANG=C.UTF-8 LC_ALL=C.UTF-8 '\(ConsoleEndToEndTests.binary.path)' watch --paused --speed 60 '\(log.path)'; echo EXIT=$?; sleep 10"
        ConsoleEndToEndTests.newSession(tmux, ["-L", Self.session, "new-session", "-d", "-s", Self.session, "-x", "120", "-y", "40", cmd])

        // Paused at the first exchange: mode, speed and clock on the status bar.
        var screen = waitFor("paused at the start") { self.statusBar($0).contains("PAUSED ×60 │ 2026-04-12 13:20:00Z │") }
        XCTAssertTrue(statusBar(screen).hasPrefix(" DistillWatch │ PAUSED ×60 │ 2026-04-12 13:20:00Z │"), statusBar(screen))
        usleep(600_000)
        XCTAssertTrue(statusBar(capture()).contains("2026-04-12 13:20:00Z"), "paused: the clock stands")

        // `.` steps one stream minute and stays paused.
        keys(".")
        waitFor("a minute on") { self.statusBar($0).contains("PAUSED ×60 │ 2026-04-12 13:21:00Z │") }
        keys(".")
        waitFor("two minutes on") { self.statusBar($0).contains("PAUSED ×60 │ 2026-04-12 13:22:00Z │") }

        // Space runs the clock at ×60 (a stream minute per second), Space stops it.
        keys("Space")
        waitFor("running") { self.statusBar($0).contains("REPLAY ×60 │ 2026-04-12 13:2") && !self.statusBar($0).contains("13:22:00Z") }
        keys("Space")
        waitFor("paused again") { self.statusBar($0).contains("PAUSED ×60") }
        // Read the stopped clock from a later capture: the one that first shows PAUSED can be
        // taken while the terminal is still redrawing the status bar (the mode written, the
        // clock's digits not yet).
        usleep(300_000)
        screen = capture()
        let stoppedAt = statusBar(screen).components(separatedBy: "│")[2]
        let settled = counts(screen).exchanges
        usleep(600_000)
        screen = capture()
        XCTAssertEqual(statusBar(screen).components(separatedBy: "│")[2], stoppedAt, "paused: the clock stands")
        XCTAssertEqual(counts(screen).exchanges, settled, "paused: nothing more is ingested")

        // :speed, good and bad.
        command("speed 500")
        waitFor(":speed 500") { self.statusBar($0).contains("PAUSED ×500 │") }
        command("speed 0")
        screen = waitFor("a bad speed explained") { $0.contains("1 to 100000") }
        XCTAssertTrue(statusBar(screen).contains("PAUSED ×500 │"), "a bad speed changes nothing")
        command("speed max")
        waitFor(":speed max") { self.statusBar($0).contains("PAUSED ×max │") }

        // Forward in time.
        command("goto 2026-04-13T08:00Z")
        screen = waitFor("at 08:00 next day") { self.statusBar($0).contains("PAUSED ×max │ 2026-04-13 08:00:00Z │") }
        let late = counts(screen)
        XCTAssertGreaterThan(late.suspects, 0, "the farm is suspect by then:\n\(screen)")
        XCTAssertTrue(screen.contains("suspect 0.") || screen.contains("suspect 1."), screen)

        // Back in time: rebuilt from the start, nothing from later left on screen.
        command("goto 2026-04-12T14:00Z")
        screen = waitFor("back at 14:00") { self.statusBar($0).contains("PAUSED ×max │ 2026-04-12 14:00:00Z │") && !$0.contains("seeking…") }
        let early = counts(screen)
        XCTAssertEqual(early.suspects, 0, "nothing was suspect 40 minutes in:\n\(screen)")
        XCTAssertFalse(screen.contains("suspect 0.") || screen.contains("suspect 1."), screen)
        XCTAssertNotEqual(early.exchanges, late.exchanges)

        // And forward again: the same state as the first time.
        command("goto 2026-04-13T08:00+00:00")
        screen = waitFor("08:00 again") { self.statusBar($0).contains("PAUSED ×max │ 2026-04-13 08:00:00Z │") }
        XCTAssertEqual(counts(screen).exchanges, late.exchanges)
        XCTAssertEqual(counts(screen).suspects, late.suspects)

        // A bad time is explained, and nothing moves.
        command("goto next tuesday")
        screen = waitFor("a bad time explained") { $0.contains("usage: goto TIME") }
        XCTAssertTrue(statusBar(screen).contains("2026-04-13 08:00:00Z"))

        // `[` back to when the farm was flagged, then `]` forward to it again from the start.
        keys("[")
        screen = waitFor("back to a suspect moment") { s in
            let bar = self.statusBar(s)
            return bar.contains("PAUSED ×max") && !bar.contains("2026-04-13 08:00:00Z") && s.contains(" at 2026-")
        }
        let flagged = statusBar(screen)
        XCTAssertGreaterThan(counts(screen).suspects, 0, screen)
        command("goto 2026-04-12")
        waitFor("at the start") { self.statusBar($0).contains("2026-04-12 13:20:00Z") && self.counts($0).suspects == 0 }
        keys("]")
        screen = waitFor("forward to the first suspect moment") { self.counts($0).suspects > 0 && self.statusBar($0).contains("PAUSED") }
        XCTAssertLessThanOrEqual(statusBar(screen).components(separatedBy: "│")[2], flagged.components(separatedBy: "│")[2],
                                 "] from the start stops at the first suspect moment, at or before the one [ went back to")
        keys("[")
        waitFor("no earlier suspect moment") { $0.contains("no cluster became suspect before") }

        keys("q")
        screen = waitFor("exit") { $0.contains("EXIT=0") }
        // The summary counts where the stream stood, not the re-reads after seeking back.
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").count
        let summary = try XCTUnwrap(screen.split(separator: "\n").first { $0.contains("distillwatch: watched ") })
        let watched = Int(summary.components(separatedBy: "watched ")[1].split(separator: " ")[0].replacingOccurrences(of: ",", with: "")) ?? -1
        XCTAssertTrue((1...lines).contains(watched), "\(summary) for a log of \(lines) lines")
        XCTAssertTrue(summary.contains("read, counting re-reads"), String(summary))
    }

    func testBadSpeedAndWindowAreRefusedWithAMessage() throws {
        for (args, expected) in [(["--speed", "0"], "1 to 100000"), (["--speed", "fast"], "1 to 100000"), (["--speed", "100001"], "1 to 100000"),
                                 (["--speed", "-1"], "or max (got -1)"),
                                 (["--from", "tomorrow"], "is not a time"), (["--from", "2026-04-22", "--until", "2026-04-21"], "is before --from")] {
            let r = ConsoleEndToEndTests.run(ConsoleEndToEndTests.binary.path, ["watch"] + args + ["/dev/null"])
            XCTAssertEqual(r.status, 2, "\(args): \(r.err)")
            XCTAssertTrue(r.err.contains(expected), "\(args): \(r.err)")
        }
    }
}
