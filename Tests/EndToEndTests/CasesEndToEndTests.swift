import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest

/// The case journal as a new user meets it, through tmux: a decision and a note survive a
/// restart on the same replay, attached to the same cluster; they export from the console and
/// from the command line; and a decision acknowledged on screen survives SIGKILL.
final class CasesEndToEndTests: XCTestCase {
    typealias E = ConsoleEndToEndTests
    static let session = "dwcases\(getpid())"
    var tmux: String!
    var dir: URL!
    var journal: String { dir.appendingPathComponent("state/cases.sqlite").path }

    override func setUpWithError() throws {
        guard let t = E.tmuxPath() else { throw XCTSkip("tmux is not installed") }
        tmux = t
        guard FileManager.default.isExecutableFile(atPath: E.binary.path) else {
            XCTFail("build the package first: no \(E.binary.path)")
            throw XCTSkip("no binary")
        }
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("dw-cases-e2e-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        if let tmux { E.run(tmux, ["-L", Self.session, "kill-server"]) }
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    /// The tmux session of the current run (one per start, on the test's private server).
    var current = "run0"
    var runs = 0
    func capture() -> String { E.run(tmux, ["-L", Self.session, "capture-pane", "-p", "-t", current]).out }
    func keys(_ k: String...) { E.run(tmux, ["-L", Self.session, "send-keys", "-t", current] + k) }

    @discardableResult
    func waitFor(_ what: String, timeout: Double = 5, _ predicate: (String) -> Bool) -> String {
        ConsoleEndToEndTests.poll(what, timeout: timeout, capture: capture, predicate)
    }

    /// Starts the console on `log` with the test's journal; `exec` so the pane's process is distillwatch.
    /// Its process id is written to `pid` in the test folder.
    func startConsole(_ log: URL) {
        runs += 1
        current = "run\(runs)"
        let cmd = "cd '\(dir.path)' && echo \\$$ > pid && exec env LANG=C.UTF-8 LC_ALL=C.UTF-8 '\(E.binary.path)' watch --speed max --analyst alice --cases '\(journal)' --export-dir '\(dir.path)/exports' '\(log.path)'"
        ConsoleEndToEndTests.newSession(tmux, ["-L", Self.session, "new-session", "-d", "-s", current, "-x", "120", "-y", "40", "sh -c \"\(cmd)\"; echo EXIT=$?; sleep 20"])
        waitFor("end of input", timeout: 10) { $0.contains("END OF INPUT") && $0.contains("Evidence · cluster") }
    }

    /// The cluster named in the evidence pane's title (the selected one).
    func selectedCluster(_ screen: String) -> String? {
        guard let line = screen.split(separator: "\n").first(where: { $0.contains("Evidence · cluster ") }) else { return nil }
        let after = line.components(separatedBy: "Evidence · cluster ")[1]
        return after.split(separator: " ").first.map(String.init)
    }

    func cli(_ args: [String]) -> (status: Int32, out: String, err: String) { E.run(E.binary.path, args) }

    func testADecisionAndItsNoteSurviveARestartAndExport() throws {
        let log = try E.writeLog()
        defer { try? FileManager.default.removeItem(at: log) }
        startConsole(log)
        var screen = capture()
        let cluster = try XCTUnwrap(selectedCluster(screen))
        XCTAssertTrue(screen.contains("0 cases"), screen)

        keys("S")
        waitFor("suspect saved") { $0.contains("suspect — saved") }
        keys("a"); keys("-l", "ticket 42: same card as last week"); keys("Enter")
        screen = waitFor("note saved") { $0.contains("note added to cluster \(cluster) — saved") }
        XCTAssertTrue(screen.contains("1 case"), screen)
        keys("q")
        screen = waitFor("exit") { $0.contains("EXIT=0") }
        XCTAssertTrue(screen.contains("1 case in \(journal)"), screen)

        // Again, on the same replay: the decision and the note are there, on the same cluster.
        startConsole(log)
        screen = capture()
        XCTAssertEqual(selectedCluster(screen), cluster)
        XCTAssertTrue(screen.contains("suspect✎"), screen)
        XCTAssertTrue(screen.contains("case #1 suspect") && screen.contains("by alice"), screen)
        XCTAssertTrue(screen.contains("“ticket 42: same card as last week”"), screen)

        // Export from the console: the cluster's accounts are in the file.
        keys("e")
        screen = waitFor("export") { $0.contains("exported 1 case") }
        XCTAssertTrue(screen.contains("\(dir.path)/exports/distillwatch-case-1.json"), "the full path is shown: \(screen)")
        let file = dir.appendingPathComponent("exports/distillwatch-case-1.json")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("distillwatch-case-1.json").path), "nothing in the working directory")
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        XCTAssertEqual(root["schema"] as? String, "distillwatch.cases/1")
        let c = try XCTUnwrap((root["cases"] as? [[String: Any]])?.first)
        let accounts = try XCTUnwrap((c["evidence"] as? [String: Any])?["accounts"] as? [String])
        for k in 0..<10 { XCTAssertTrue(accounts.contains("farm-\(k)"), "farm-\(k) in \(accounts)") }
        XCTAssertEqual(c["notes"] as? [String], ["ticket 42: same card as last week"])
        keys(":"); keys("-l", "export all.csv"); keys("Enter")
        waitFor("csv export") { $0.contains("exported 1 case (csv)") }
        XCTAssertTrue(try String(contentsOf: dir.appendingPathComponent("exports/all.csv"), encoding: .utf8).contains("farm-3"))
        keys("q")
        waitFor("exit") { $0.contains("EXIT=0") }

        // And from the command line, with no detector running.
        let list = cli(["cases", "list", "--cases", journal])
        XCTAssertEqual(list.status, 0, list.err)
        XCTAssertTrue(list.out.contains("#1") && list.out.contains("suspect") && list.out.contains("ticket 42"), list.out)
        let csv = cli(["cases", "export", "--cases", journal, "--format", "csv", "--verdict", "suspect"])
        XCTAssertEqual(csv.status, 0, csv.err)
        for k in 0..<10 { XCTAssertTrue(csv.out.contains("farm-\(k)"), csv.out) }
        let none = cli(["cases", "export", "--cases", journal, "--format", "json", "--verdict", "clear"])
        XCTAssertEqual(none.status, 0, none.err)
        XCTAssertFalse(none.out.contains("farm-1"), none.out)
    }

    func testADecisionAcknowledgedBeforeSIGKILLIsNotLost() throws {
        let log = try E.writeLog()
        defer { try? FileManager.default.removeItem(at: log) }
        startConsole(log)
        let pidText = try String(contentsOf: dir.appendingPathComponent("pid"), encoding: .utf8)
        let pid = try XCTUnwrap(pid_t(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        keys("W")
        waitFor("acknowledged") { $0.contains("watch — saved") }
        XCTAssertEqual(kill(pid, SIGKILL), 0)
        waitFor("killed") { $0.contains("EXIT=137") }

        let out = cli(["cases", "export", "--cases", journal, "--format", "json"])
        XCTAssertEqual(out.status, 0, out.err)
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out.out.utf8)) as? [String: Any])
        let cases = try XCTUnwrap(root["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 1)
        XCTAssertEqual(cases[0]["verdict"] as? String, "watch")
        let history = try XCTUnwrap(cases[0]["history"] as? [[String: Any]])
        XCTAssertEqual(history.first?["analyst"] as? String, "alice")
    }

    /// Before the first decision on a machine there is no journal: listing and exporting say
    /// there are no cases, make no file, and exit 0; a journal named with --cases that does not
    /// exist is still an error (more likely a typo).
    func testNoJournalYetListsAndExportsNoCases() throws {
        var env = ProcessInfo.processInfo.environment
        env["XDG_STATE_HOME"] = dir.appendingPathComponent("fresh-state").path
        let list = E.run(E.binary.path, ["cases", "list"], env: env)
        XCTAssertEqual(list.status, 0, list.err)
        XCTAssertTrue(list.out.contains("no cases in") && list.out.contains("no decision has been recorded yet"), list.out)
        let export = E.run(E.binary.path, ["cases", "export", "--format", "json"], env: env)
        XCTAssertEqual(export.status, 0, export.err)
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(export.out.utf8)) as? [String: Any])
        XCTAssertEqual(root["schema"] as? String, "distillwatch.cases/1")
        XCTAssertEqual((root["cases"] as? [Any])?.count, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("fresh-state").path), "nothing is created")
        let named = cli(["cases", "list", "--cases", dir.appendingPathComponent("typo.sqlite").path])
        XCTAssertEqual(named.status, 2)
        XCTAssertTrue(named.err.contains("no such file"), named.err)
    }

    func testAFileThatIsNotAJournalIsRefusedBeforeTheScreenIsTaken() throws {
        let notes = dir.appendingPathComponent("notes.txt")
        try Data("my shift notes\n".utf8).write(to: notes)
        let log = try E.writeLog()
        defer { try? FileManager.default.removeItem(at: log) }
        let out = cli(["cases", "list", "--cases", notes.path])
        XCTAssertEqual(out.status, 2)
        XCTAssertTrue(out.err.contains("is not a DistillWatch case journal") && out.err.contains("left untouched"), out.err)
        XCTAssertEqual(try String(contentsOf: notes, encoding: .utf8), "my shift notes\n")
    }
}
