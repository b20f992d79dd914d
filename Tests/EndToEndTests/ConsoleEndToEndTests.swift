import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest

/// Drives the built `distillwatch watch` through tmux, as a new user would: clusters within
/// two seconds, drill down to one exchange and back, help, resize, hostile text, clean exit.
final class ConsoleEndToEndTests: XCTestCase {
    static let session = "dwe2e\(getpid())"

    /// The binary next to the test bundle (`.build/debug/distillwatch`).
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["DISTILLWATCH_BIN"] { return URL(fileURLWithPath: path) }
        // On Linux the bundle URL is the build directory itself; on macOS the .xctest inside it.
        let bundle = Bundle(for: ConsoleEndToEndTests.self).bundleURL
        let candidates = [bundle.appendingPathComponent("distillwatch"), bundle.deletingLastPathComponent().appendingPathComponent("distillwatch")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    static func tmuxPath() -> String? {
        ["/usr/bin/tmux", "/usr/local/bin/tmux", "/opt/homebrew/bin/tmux"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `tmux new-session`, tried again while it fails: a server just told to `kill-server` may
    /// still be exiting, and a new session started then dies with it ("server exited
    /// unexpectedly").
    static func newSession(_ tmux: String, _ args: [String]) {
        let deadline = Date().addingTimeInterval(10)
        while run(tmux, args).status != 0 && Date() < deadline { usleep(100_000) }
    }

    /// Runs a program to its exit, its output through files. Spawned directly rather than with
    /// Foundation's `Process`: `tmux new-session` forks a server that keeps every descriptor it
    /// inherited, including the one `Process` watches for the child's exit, so waiting on it
    /// would last as long as the server.
    @discardableResult
    static func run(_ exe: String, _ args: [String], env: [String: String]? = nil) -> (status: Int32, out: String, err: String) {
        let dir = FileManager.default.temporaryDirectory.path
        let outPath = "\(dir)/dw-run-\(UUID().uuidString).out"
        let errPath = "\(dir)/dw-run-\(UUID().uuidString).err"
        defer { unlink(outPath); unlink(errPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv: [UnsafeMutablePointer<CChar>?] = ([exe] + args).map { strdup($0) } + [nil]
        let environment = env ?? ProcessInfo.processInfo.environment
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid = pid_t()
        guard posix_spawn(&pid, exe, &actions, nil, argv, envp) == 0 else { return (-1, "", "cannot start \(exe)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitStatus: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let o = FileManager.default.contents(atPath: outPath) ?? Data()
        let e = FileManager.default.contents(atPath: errPath) ?? Data()
        return (exitStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// A small campaign (shared cards, extraction prompts), benign traffic, and one account
    /// whose id, user agent, session and prompt carry terminal escape sequences.
    static func writeLog() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dw-e2e-\(getpid()).ndjson")
        let t0 = 1_776_000_000_000
        var lines: [(Int, String)] = []
        func q(_ s: String) -> String {
            let data = try! JSONSerialization.data(withJSONObject: [s], options: [])
            let text = String(decoding: data, as: UTF8.self)
            return String(text.dropFirst().dropLast())
        }
        let prompts = ["Solve the following problem step by step, showing all your reasoning: item",
                       "Think through this carefully and write out your complete chain of thought before answering: item",
                       "Grade this answer against the rubric below; for each criterion explain your reasoning in full: item"]
        for k in 0..<10 {
            for i in 0..<80 {
                let ts = t0 + i * 900_000 + k * 1000
                lines.append((ts, "{\"ts\":\(ts),\"account_id\":\"farm-\(k)\",\"request_id\":\"f\(k)-\(i)\",\"org_id\":\"org-f\(k)\",\"session_id\":\"fs-\(k)-\(i / 4)\",\"client_ip\":\"198.51.100.\(i % 9)\",\"asn\":16509,\"user_agent\":\"python-httpx/0.27.2\",\"payment_fp\":\"pm_farm\(k % 2)\",\"model\":\"m1\",\"input_tokens\":200,\"output_tokens\":3000,\"reasoning_tokens\":1200,\"latency_ms\":21000,\"http_status\":200,\"prompt_text\":\(q(prompts[i % 3] + " \(i)"))}"))
            }
        }
        for a in 0..<30 {
            for i in 0..<20 {
                let ts = t0 + i * 3_600_000 + a * 7_000
                lines.append((ts, "{\"ts\":\(ts),\"account_id\":\"dev-\(a)\",\"request_id\":\"d\(a)-\(i)\",\"session_id\":\"ds-\(a)-\(i / 5)\",\"client_ip\":\"10.0.\(a).1\",\"payment_fp\":\"pm_dev\(a)\",\"model\":\"m1\",\"input_tokens\":400,\"output_tokens\":300,\"prompt_text\":\"Could you help me with a recipe \(i)\"}"))
            }
        }
        for i in 0..<40 {
            let ts = t0 + i * 600_000 + 500
            lines.append((ts, "{\"ts\":\(ts),\"account_id\":\(q("evil\u{1b}]0;pwned\u{07}acct")),\"request_id\":\"e\(i)\",\"session_id\":\(q("sess\u{1b}[2J")),\"client_ip\":\"198.51.100.3\",\"asn\":16509,\"user_agent\":\(q("ua\u{1b}[2J\u{1b}]0;pwned\u{07}")),\"payment_fp\":\"pm_farm0\",\"model\":\"m1\",\"input_tokens\":100,\"output_tokens\":3000,\"prompt_text\":\(q(prompts[0] + " \u{1b}]0;pwned\u{07} and \u{1b}[2J here"))}"))
        }
        let text = lines.sorted { $0.0 < $1.0 }.map(\.1).joined(separator: "\n") + "\n"
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    var tmux: String!

    override func setUpWithError() throws {
        guard let t = Self.tmuxPath() else { throw XCTSkip("tmux is not installed") }
        tmux = t
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            XCTFail("build the package first: no \(Self.binary.path)")
            throw XCTSkip("no binary")
        }
    }

    override func tearDown() {
        // A private server per test process: nothing of the user's tmux is touched.
        if let tmux { Self.run(tmux, ["-L", Self.session, "kill-server"]) }
    }

    /// Polls a pane (every 20 ms) until `predicate` holds; fails the test with the last screen
    /// after `timeout` seconds. Every tmux-driven test waits through this.
    @discardableResult
    static func poll(_ what: String, timeout: Double, capture: () -> String, _ predicate: (String) -> Bool) -> String {
        let end = Date().addingTimeInterval(timeout)
        var screen = ""
        repeat {
            screen = capture()
            if predicate(screen) {
                // A capture can catch the terminal mid-redraw (the status bar's mode written, its
                // clock not yet; an exchange's first fields, not its prompt). What is returned
                // is a capture taken a moment later that still matches.
                usleep(60_000)
                screen = capture()
                if predicate(screen) { return screen }
            }
            usleep(20_000)
        } while Date() < end
        XCTFail("timed out waiting for \(what); screen was:\n\(screen)")
        return screen
    }

    func capture() -> String { Self.run(tmux, ["-L", Self.session, "capture-pane", "-p", "-t", Self.session]).out }
    func keys(_ k: String...) { Self.run(tmux, ["-L", Self.session, "send-keys", "-t", Self.session] + k) }

    /// Polls the pane until `predicate` holds; returns the last capture.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 3, _ predicate: (String) -> Bool) -> String {
        ConsoleEndToEndTests.poll(what, timeout: timeout, capture: capture, predicate)
    }

    /// The demo replayed to its end at full speed in a 120×40 pane, with a case journal of its
    /// own (removed after the test); the pane says `EXIT=N` when the program ends.
    func openDemoAtEnd(journalNamed name: String) {
        let journal = FileManager.default.temporaryDirectory.appendingPathComponent("dw-\(name)-\(getpid()).sqlite").path
        addTeardownBlock { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: journal + suffix) } }
        let cmd = "cd '\(CommandLineTests.packageRoot.path)' && LANG=C.UTF-8 LC_ALL=C.UTF-8 '\(Self.binary.path)' watch --speed max --cases '\(journal)' SampleLogs/demo.ndjson.gz; echo EXIT=$?; sleep 10"
        ConsoleEndToEndTests.newSession(tmux, ["-L", Self.session, "new-session", "-d", "-s", Self.session, "-x", "120", "-y", "40", cmd])
        waitFor("end of input", timeout: 60) { $0.contains("END OF INPUT") && $0.contains("VERDICT") }
    }

    /// Alt+key and sequences ncurses does not know arrive as Esc followed by ordinary bytes; they
    /// must not run as Escape and then commands (Alt+u undoing a decision, Alt+[ or an unknown
    /// function key seeking back, a pasted title sequence typing keys).
    func testAltKeysAndUnknownSequencesRunNoCommand() throws {
        openDemoAtEnd(journalNamed: "alt")
        keys("S")
        waitFor("the decision saved") { $0.contains("suspect — saved (u undoes)") }
        keys("M-u")
        keys("Enter")
        waitFor("the cluster opened") { $0.contains("› cluster") }
        // Alt+[, an unknown CSI key and a pasted title sequence, then a plain key that must work.
        Self.run(tmux, ["-L", Self.session, "send-keys", "-t", Self.session, "-H", "1b", "5b"])
        Self.run(tmux, ["-L", Self.session, "send-keys", "-t", Self.session, "-H", "1b", "5b", "39", "39", "7e"])
        Self.run(tmux, ["-L", Self.session, "send-keys", "-t", Self.session, "-H", "1b", "5d", "30", "3b", "78", "07"])
        keys("Escape")
        let screen = waitFor("back at clusters") { $0.contains(" Clusters ") && !$0.contains("› cluster") }
        XCTAssertFalse(screen.contains("undid"), screen)
        XCTAssertTrue(screen.contains("END OF INPUT"), "no seek back: \(screen)")
        XCTAssertTrue(screen.contains("1 case"), screen)
        keys("q")
        waitFor("exit") { $0.contains("EXIT=0") }
    }

    /// The mouse as a terminal reports it (xterm's encoding: ESC [ M, then button, column and
    /// row, each plus 32): a click selects a row, a double click opens it.
    func testMouseClicksSelectAndOpenRows() throws {
        openDemoAtEnd(journalNamed: "mouse")  // a dozen clusters to click between
        func mouse(_ button: Int, x: Int, y: Int) {
            let bytes = [0x1B, 0x5B, 0x4D, 32 + button, 33 + x, 33 + y]
            Self.run(tmux, ["-L", Self.session, "send-keys", "-t", Self.session, "-H"] + bytes.map { String(format: "%02x", $0) })
        }
        func click(x: Int, y: Int) { mouse(0, x: x, y: y); mouse(3, x: x, y: y) }  // press, release
        // The table's header is on row 3; its second row is on row 5.
        click(x: 12, y: 5)
        waitFor("the second row selected") { ($0.split(separator: "\n").dropFirst().first ?? "").contains(" 2/") }
        click(x: 12, y: 4)
        click(x: 12, y: 4)
        waitFor("the first row opened") { $0.contains("› cluster") && $0.contains("ACCOUNT") }
        keys("Escape")
        waitFor("back at clusters") { $0.contains(" Clusters ") && !$0.contains("› cluster") }
        keys("q")
        waitFor("exit") { $0.contains("EXIT=0") }
    }

    /// `watch -` typed at a prompt, with nothing piped in: standard input is the terminal the
    /// keys come from, so the console refuses to start (status 2) and says how to pipe a log,
    /// rather than losing every other keystroke (q among them) to the log reader.
    func testStandardInputThatIsTheTerminalIsRefused() throws {
        let journal = FileManager.default.temporaryDirectory.appendingPathComponent("dw-stdin-tty-\(getpid()).sqlite").path
        addTeardownBlock { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: journal + suffix) } }
        let cmd = "LANG=C.UTF-8 LC_ALL=C.UTF-8 '\(Self.binary.path)' watch --cases '\(journal)' -; echo EXIT=$?; sleep 10"
        ConsoleEndToEndTests.newSession(tmux, ["-L", Self.session, "new-session", "-d", "-s", Self.session, "-x", "120", "-y", "40", cmd])
        let screen = waitFor("refusal", timeout: 10) { $0.contains("EXIT=") }
        XCTAssertTrue(screen.contains("EXIT=2"), screen)
        XCTAssertTrue(screen.contains("standard input is the terminal"), screen)
        XCTAssertFalse(screen.contains("DistillWatch │"), screen)
    }

    /// A two-line note pasted into the note prompt (tmux marks it as a paste, as terminals do
    /// for programs that ask): it is saved as one note, and the letters of its second line
    /// ("undo") never run as keys that undo the decision.
    func testAPastedTwoLineNoteIsSavedWholeAndRunsNoKeys() throws {
        openDemoAtEnd(journalNamed: "paste")
        keys("S")
        waitFor("suspect saved") { $0.contains(": suspect — saved") }
        keys("a")
        waitFor("note prompt") { $0.contains("note: ▏") }
        try paste("farm from ticket 42\nwe should undo nothing\n", buffer: "note")
        waitFor("the whole note in the prompt") { $0.contains("note: farm from ticket 42 we should undo nothing") }
        keys("Enter")
        var screen = waitFor("note saved") { $0.contains("note added") && $0.contains("“farm from ticket 42 we should undo nothing") }
        try paste("farm from ticket 42\nwe should undo nothing\n", buffer: "note")
        screen = waitFor("paste refused") { $0.contains("pasted text is only taken in a prompt") }
        XCTAssertFalse(screen.contains("undid"), screen)
        XCTAssertTrue(screen.contains("case #1 suspect"), screen)
        keys("q")
        waitFor("exit") { $0.contains("EXIT=0") }
    }

    /// Pastes `text` into the session as a terminal does, marked as a paste (`paste-buffer -p`).
    func paste(_ text: String, buffer: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dw-paste-\(buffer)-\(getpid()).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(text.utf8).write(to: file)
        Self.run(tmux, ["-L", Self.session, "load-buffer", "-b", buffer, file.path])
        Self.run(tmux, ["-L", Self.session, "paste-buffer", "-p", "-b", buffer, "-t", Self.session])
    }

    /// After Ctrl+Z and `fg` in a shell (which switches marked pastes off while it has the
    /// terminal), a paste is still one line in the prompt, not keys.
    func testAPasteAfterSuspendAndResumeIsStillText() throws {
        let journal = FileManager.default.temporaryDirectory.appendingPathComponent("dw-resume-\(getpid()).sqlite").path
        addTeardownBlock { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: journal + suffix) } }
        // Exports (a paste taken as keys would press e) go to a directory of the test's own.
        addTeardownBlock { try? FileManager.default.removeItem(atPath: FileManager.default.temporaryDirectory.path + "/dw-resume-data-\(getpid())") }
        ConsoleEndToEndTests.newSession(tmux, ["-L", Self.session, "new-session", "-d", "-s", Self.session, "-x", "120", "-y", "40",
                                               "env -i HOME=\(NSHomeDirectory()) XDG_DATA_HOME='\(FileManager.default.temporaryDirectory.path)/dw-resume-data-\(getpid())' TERM=screen LANG=C.UTF-8 LC_ALL=C.UTF-8 PS1='$ ' bash --norc --noprofile"])
        waitFor("shell") { $0.contains("$") }
        keys("-l", "cd '\(CommandLineTests.packageRoot.path)' && '\(Self.binary.path)' watch --speed max --cases '\(journal)' SampleLogs/demo.ndjson.gz")
        keys("Enter")
        waitFor("end of input", timeout: 60) { $0.contains("END OF INPUT") && $0.contains("VERDICT") }
        keys("C-z")
        waitFor("stopped") { $0.contains("Stopped") }
        keys("-l", "fg"); keys("Enter")
        waitFor("back") { $0.contains("END OF INPUT") && $0.contains("VERDICT") }
        keys("a")
        waitFor("note prompt") { $0.contains("note: ▏") }
        try paste("first line\nsecond line\n", buffer: "resume")
        waitFor("the paste in the prompt") { $0.contains("note: first line second line") }
        keys("Escape")
        waitFor("prompt closed") { !$0.contains("note: ") }
        keys("q")
        waitFor("exit") { $0.contains("distillwatch: watched") }
    }

    func testConsoleSessionAsANewUser() throws {
        let log = try Self.writeLog()
        defer { try? FileManager.default.removeItem(at: log) }
        // A journal of its own: the test never touches the user's.
        let journal = log.deletingPathExtension().path + ".cases.sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: journal + suffix) } }
        let cmd = "LANG=C.UTF-8 LC_ALL=C.UTF-8 '\(Self.binary.path)' watch --speed max --cases '\(journal)' '\(log.path)'; echo EXIT=$?; sleep 10"
        ConsoleEndToEndTests.newSession(tmux, ["-L", Self.session, "new-session", "-d", "-s", Self.session, "-x", "120", "-y", "40", cmd])
        let start = Date()

        var screen = waitFor("clusters", timeout: 2) { $0.contains("VERDICT") && $0.contains("suspect  ") || $0.contains("suspect 0.") }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2.5)
        XCTAssertTrue(screen.contains("DistillWatch"))
        screen = waitFor("end of input") { $0.contains("END OF INPUT") }

        // Hostile text was ingested: the window title is untouched.
        XCTAssertFalse(Self.run(tmux, ["-L", Self.session, "display-message", "-p", "-t", Self.session, "#{pane_title}"]).out.contains("pwned"))

        // Down to a single exchange and back.
        keys("Enter")
        waitFor("accounts") { $0.contains("› cluster") && $0.contains("ACCOUNT") }
        keys("Enter")
        waitFor("account") { $0.contains("› account") && $0.contains("SESSION") }
        keys("Enter")
        waitFor("session") { $0.contains("› session") && $0.contains("PROMPT") }
        keys("Enter")
        screen = waitFor("exchange") { $0.contains("exchange #") && $0.contains("tokens") }
        XCTAssertTrue(screen.contains("Solve the following problem") || screen.contains("Think through") || screen.contains("Grade this"), screen)
        keys("Escape"); keys("Escape"); keys("Escape"); keys("Escape")
        waitFor("back at clusters") { $0.contains(" Clusters ") && !$0.contains("› cluster") }

        // The hostile account, drilled into: its user agent and prompt show placeholders.
        keys("/"); keys("-l", "evil"); keys("Enter"); keys("Enter")
        waitFor("the evil account's cluster") { $0.contains("ACCOUNT") }
        keys("/"); keys("-l", "evil"); keys("Enter")
        screen = waitFor("evil account row") { $0.contains("evil␛]0;pwned␇acct") }
        keys("Enter")
        screen = waitFor("evil account") { $0.contains("ua␛[2J␛]0;pwned␇") }
        keys("Enter"); keys("Enter")
        waitFor("evil exchange") { $0.contains("exchange #") }
        // The prompt is the detail pane's last field: focus that pane and scroll to its end.
        keys("Tab"); keys("End")
        screen = waitFor("evil prompt") { $0.contains("␛]0;pwned␇ and ␛[2J here") }
        XCTAssertTrue(screen.contains("DistillWatch"), "the status bar survived a \\e[2J")
        XCTAssertFalse(Self.run(tmux, ["-L", Self.session, "display-message", "-p", "-t", Self.session, "#{pane_title}"]).out.contains("pwned"))
        for _ in 0..<5 { keys("Escape") }
        // Keys sent within the terminal's escape delay of an Esc would be one Alt+key.
        waitFor("back at clusters") { $0.contains(" Clusters ") && !$0.contains("› ") }
        keys(":"); keys("-l", "filter"); keys("Enter")

        // Help.
        keys("?")
        screen = waitFor("help") { $0.contains("Help") && $0.contains("Triage") }
        XCTAssertTrue(screen.contains("mark the selected cluster or account suspect"))
        keys("Escape")
        waitFor("help closed") { !$0.contains("Triage") && $0.contains("VERDICT") }

        // Resize small and back.
        Self.run(tmux, ["-L", Self.session, "resize-window", "-t", Self.session, "-x", "60", "-y", "15"])
        screen = waitFor("small layout") { s in s.contains("VERDICT") && s.split(separator: "\n").allSatisfy { $0.count <= 60 } }
        XCTAssertEqual(screen.split(separator: "\n", omittingEmptySubsequences: false).count, 15 + 1 - 1 + (screen.hasSuffix("\n") ? 1 : 0))
        Self.run(tmux, ["-L", Self.session, "resize-window", "-t", Self.session, "-x", "30", "-y", "8"])
        waitFor("too-small message") { $0.contains("Terminal too small") }
        Self.run(tmux, ["-L", Self.session, "resize-window", "-t", Self.session, "-x", "120", "-y", "40"])
        screen = waitFor("large layout") { $0.contains("VERDICT") && $0.contains("Evidence") }

        // Quit: terminal restored (primary screen, cursor visible), exit status 0.
        keys("q")
        screen = waitFor("exit") { $0.contains("EXIT=0") }
        XCTAssertTrue(screen.contains("distillwatch: watched"))
        XCTAssertEqual(Self.run(tmux, ["-L", Self.session, "display-message", "-p", "-t", Self.session, "#{alternate_on}"]).out.trimmingCharacters(in: .whitespacesAndNewlines), "0")
        XCTAssertEqual(Self.run(tmux, ["-L", Self.session, "display-message", "-p", "-t", Self.session, "#{cursor_flag}"]).out.trimmingCharacters(in: .whitespacesAndNewlines), "1")
    }

    /// The demo's top cluster, asked why its accounts are together: its ties, the values behind
    /// its shared card, the accounts on one of them, and one account.
    func testWhyTogetherOnTheDemosTopCluster() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let journal = FileManager.default.temporaryDirectory.appendingPathComponent("dw-why-\(getpid()).cases.sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: journal + suffix) } }
        let cmd = "cd '\(root.path)' && LANG=C.UTF-8 LC_ALL=C.UTF-8 '\(Self.binary.path)' watch --speed max --cases '\(journal)' SampleLogs/demo.ndjson.gz; echo EXIT=$?; sleep 10"
        ConsoleEndToEndTests.newSession(tmux, ["-L", Self.session, "new-session", "-d", "-s", Self.session, "-x", "120", "-y", "40", cmd])
        waitFor("end of input", timeout: 20) { $0.contains("END OF INPUT") && $0.contains("VERDICT") }

        keys("g"); keys("w")
        var screen = waitFor("why together") { $0.contains("› why together · ") && $0.contains("WHAT BINDS IT") && $0.contains("shared card") }
        XCTAssertTrue(screen.contains("held together by"), screen)
        XCTAssertTrue(screen.contains("── Tie · shared card"), screen)

        // The card tie rests on several cards: Enter lists them, Enter again the accounts on one.
        keys("Enter")
        screen = waitFor("the tie's values") { $0.contains("› shared card") && $0.contains("VALUE") && $0.contains("card ") }
        keys("Enter")
        screen = waitFor("the accounts on a card") { $0.contains("› card pm_") && $0.contains("in this cluster (●)") && $0.contains("● acct_") }
        XCTAssertTrue(screen.contains("this cluster"), screen)

        keys("Enter")
        waitFor("an account on the card") { $0.contains("› account acct_") && $0.contains("Sessions") }
        for _ in 0..<4 { keys("Escape") }
        waitFor("back at clusters") { $0.contains(" Clusters ") && !$0.contains("› ") && $0.contains("VERDICT") }

        keys("q")
        waitFor("exit") { $0.contains("EXIT=0") }
    }

    /// `watch --follow FILE --state DIR`: quit and start again with the same command, and the
    /// console comes back with what it had learnt (its clusters and counts, said in the status
    /// bar) and goes on reading the file where it stood.
    func testConsoleComesBackFromItsCheckpoint() throws {
        let log = try Self.writeLog()
        defer { try? FileManager.default.removeItem(at: log) }
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        let followed = log.deletingPathExtension().path + ".followed.ndjson"
        let state = log.deletingPathExtension().path + ".state"
        let journal = log.deletingPathExtension().path + ".cases.sqlite"
        defer {
            try? FileManager.default.removeItem(atPath: followed)
            try? FileManager.default.removeItem(atPath: state)
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: journal + suffix) }
        }
        let half = lines.count / 2
        try (lines[..<half].joined(separator: "\n") + "\n").write(toFile: followed, atomically: true, encoding: .utf8)
        let cmd = "LANG=C.UTF-8 LC_ALL=C.UTF-8 '\(Self.binary.path)' watch --follow '\(followed)' --state '\(state)' --checkpoint-every 0.2 --cases '\(journal)'; echo EXIT=$?; sleep 10"
        func start() { ConsoleEndToEndTests.newSession(tmux, ["-L", Self.session, "new-session", "-d", "-s", Self.session, "-x", "200", "-y", "40", cmd]) }

        start()
        var screen = waitFor("the first half, checkpointed", timeout: 20) { $0.contains("\(half) ex") && $0.contains("│ checkpoint ") }
        let firstRun = screen.split(separator: "\n").first.map(String.init) ?? ""
        keys("q")
        waitFor("exit") { $0.contains("EXIT=0") }
        Self.run(tmux, ["-L", Self.session, "kill-server"])

        start()
        screen = waitFor("restored", timeout: 20) { $0.contains("restored from checkpoint at") && $0.contains("VERDICT") }
        XCTAssertTrue(screen.contains("\(half) ex"), "the counts came back, nothing read twice:\n\(screen)")
        XCTAssertTrue(firstRun.contains("suspect") && screen.contains("suspect"), screen)
        // The rest of the file, written while it was down and after: read from where it stood.
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: followed))
        handle.seekToEndOfFile()
        handle.write(Data((lines[half...].joined(separator: "\n") + "\n").utf8))
        try handle.close()
        XCTAssertEqual(lines.count, 1440)
        screen = waitFor("every line once", timeout: 20) { $0.contains("1.4k ex") }
        keys("q")
        waitFor("exit") { $0.contains("EXIT=0") }
    }

    /// A listener cannot be read again: what it delivered after the last checkpoint is gone
    /// when the console is killed, and the restarted console says how much.
    func testAfterACrashTheConsoleSaysWhatALiveSourceLost() throws {
        let log = try Self.writeLog()
        defer { try? FileManager.default.removeItem(at: log) }
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        let base = log.deletingPathExtension().path
        let state = base + ".state", journal = base + ".cases.sqlite"
        defer {
            try? FileManager.default.removeItem(atPath: state)
            for suffix in ["", "-wal", "-shm", ".first", ".second"] { try? FileManager.default.removeItem(atPath: journal + suffix) }
        }
        try (lines[..<600].joined(separator: "\n") + "\n").write(toFile: journal + ".first", atomically: true, encoding: .utf8)
        try (lines[600..<800].joined(separator: "\n") + "\n").write(toFile: journal + ".second", atomically: true, encoding: .utf8)
        let port = Self.run("/usr/bin/env", ["python3", "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
            .out.trimmingCharacters(in: .whitespacesAndNewlines)
        let listen = "tcp://127.0.0.1:\(port)"
        // Checkpoints only at exit: the crash below loses everything after the first run's end.
        let cmd = "LANG=C.UTF-8 LC_ALL=C.UTF-8 '\(Self.binary.path)' watch --listen \(listen) --state '\(state)' --checkpoint-every 3600 --cases '\(journal)'; echo EXIT=$?; sleep 10"
        func start() { ConsoleEndToEndTests.newSession(tmux, ["-L", Self.session, "new-session", "-d", "-s", Self.session, "-x", "200", "-y", "40", cmd]) }
        func send(_ file: String) { _ = Self.run("/bin/sh", ["-c", "nc -N 127.0.0.1 \(port) < '\(file)'"]) }

        start()
        waitFor("listening", timeout: 20) { $0.contains("VERDICT") }
        send(journal + ".first")
        waitFor("the first 600", timeout: 20) { $0.contains("600 ex") }
        keys("q")
        waitFor("exit") { $0.contains("EXIT=0") }
        Self.run(tmux, ["-L", Self.session, "kill-server"])

        start()
        waitFor("restored, nothing lost", timeout: 20) { $0.contains("restored from checkpoint at") && $0.contains("lost 0 on restart") }
        send(journal + ".second")
        waitFor("200 more", timeout: 20) { $0.contains("800 ex") }
        // Once the progress note has them, the console dies without a word.
        let deadline = Date().addingTimeInterval(20)
        while (try? String(contentsOfFile: state + "/progress", encoding: .utf8)) != "exchanges 800\n" && Date() < deadline { usleep(50_000) }
        // The binary only (anchored), not the shell around it, whose command line holds the same words.
        _ = Self.run("/usr/bin/pkill", ["-KILL", "-f", "^[^ ]*distillwatch watch --listen \(listen)"])
        waitFor("killed") { $0.contains("EXIT=137") }
        Self.run(tmux, ["-L", Self.session, "kill-server"])

        start()
        let screen = waitFor("the loss said", timeout: 20) { $0.contains("lost 200 on restart") }
        XCTAssertTrue(screen.contains("600 ex"), "back at the checkpoint's count:\n\(screen)")
        keys("q")
        waitFor("exit") { $0.contains("EXIT=0") }
    }

    func testRefusesWithoutATerminalAndPointsToScan() throws {
        let log = try Self.writeLog()
        defer { try? FileManager.default.removeItem(at: log) }
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm"
        let piped = Self.run(Self.binary.path, ["watch", log.path], env: env)
        XCTAssertNotEqual(piped.status, 0)
        XCTAssertTrue(piped.err.contains("not a terminal") && piped.err.contains("distillwatch scan"), piped.err)
    }

    func testDumbTerminalIsRefusedInsideTmux() throws {
        let log = try Self.writeLog()
        defer { try? FileManager.default.removeItem(at: log) }
        let cmd = "TERM=dumb '\(Self.binary.path)' watch '\(log.path)'; echo EXIT=$?; sleep 10"
        ConsoleEndToEndTests.newSession(tmux, ["-L", Self.session, "new-session", "-d", "-s", Self.session, "-x", "120", "-y", "20", cmd])
        let screen = waitFor("refusal") { $0.contains("EXIT=") }
        XCTAssertTrue(screen.contains("TERM=dumb") && screen.contains("distillwatch scan"), screen)
        XCTAssertTrue(screen.contains("EXIT=2"), screen)
    }

    func testMissingDemoIsExplained() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dw-nodemo-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = Process()
        p.executableURL = Self.binary
        p.arguments = ["watch"]
        p.currentDirectoryURL = dir
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 2)
        XCTAssertTrue(text.contains("SampleLogs/demo.ndjson.gz") || text.contains("not a terminal"), text)
    }
}
