import XCTest
import DistillCore
@testable import DistillConsole

/// The `/`, `:` and note prompts edit as a shell's line does.
final class PromptEditingTests: XCTestCase {
    func type(_ text: String, into line: inout LineEdit) {
        for c in text { _ = line.apply(.char(c)) }
    }

    func testShellKeysMoveAndCut() {
        var line = LineEdit()
        type("sort exchanges desc", into: &line)
        XCTAssertEqual(line.apply(.ctrl("w")), .changed)
        XCTAssertEqual(line.text, "sort exchanges ")
        XCTAssertEqual(line.apply(.ctrl("w")), .changed)
        XCTAssertEqual(line.text, "sort ", "Ctrl+W takes the word before the cursor with its spaces")
        type("risk", into: &line)
        XCTAssertEqual(line.apply(.ctrl("a")), .moved)
        XCTAssertEqual(line.cursor, 0)
        type("x", into: &line)
        XCTAssertEqual(line.text, "xsort risk", "typing inserts at the cursor")
        _ = line.apply(.left)
        XCTAssertEqual(line.apply(.delete), .changed)
        XCTAssertEqual(line.text, "sort risk", "Delete removes the character under the cursor")
        _ = line.apply(.end)
        for _ in 0..<4 { _ = line.apply(.left) }
        XCTAssertEqual(line.apply(.ctrl("k")), .changed)
        XCTAssertEqual(line.text, "sort ", "Ctrl+K cuts to the end")
        type("risk", into: &line)
        for _ in 0..<4 { _ = line.apply(.left) }
        XCTAssertEqual(line.apply(.ctrl("u")), .changed)
        XCTAssertEqual(line.text, "risk", "Ctrl+U cuts to the start")
        XCTAssertEqual(line.cursor, 0)
        XCTAssertEqual(line.apply(.backspace), .moved, "nothing before the cursor")
        _ = line.apply(.ctrl("e"))
        XCTAssertEqual(line.apply(.backspace), .changed)
        XCTAssertEqual(line.text, "ris")
        XCTAssertEqual(line.apply(.pageUp), .notEditing)
    }

    func testLongInputStopsAtTheLimit() {
        var line = LineEdit()
        type(String(repeating: "a", count: LineEdit.limit + 20), into: &line)
        XCTAssertEqual(line.characters.count, LineEdit.limit)
    }

    func testTabCompletesCommandsAndTheirArguments() {
        let (console, _) = ConsoleTests.fixture()
        _ = console.handle(.char(":"))
        for c in "th" { _ = console.handle(.char(c)) }
        _ = console.handle(.tab)
        XCTAssertEqual(console.input, .command("theme "))
        _ = console.handle(.tab)
        XCTAssertEqual(console.message?.text.contains("high-contrast"), true, "several themes: they are listed")
        for c in "hi" { _ = console.handle(.char(c)) }
        _ = console.handle(.tab)
        XCTAssertEqual(console.input, .command("theme high-contrast "))
        _ = console.handle(.escape)

        _ = console.handle(.char(":"))
        for c in "sort ex" { _ = console.handle(.char(c)) }
        _ = console.handle(.tab)
        XCTAssertEqual(console.input, .command("sort exchanges "))
        _ = console.handle(.tab)
        XCTAssertTrue(console.message?.text.contains("asc") == true && console.message?.text.contains("desc") == true)
        _ = console.handle(.char("d"))
        _ = console.handle(.tab)
        XCTAssertEqual(console.input, .command("sort exchanges desc "))
        _ = console.handle(.enter)
        XCTAssertEqual(console.input, .none)
        XCTAssertEqual(console.message?.text, "sorted by exchanges (descending)")
    }

    func testHistoryRecallsEachPromptsOwnEntries() {
        let (console, _) = ConsoleTests.fixture()
        for command in ["sort exchanges", "speed 60"] {
            _ = console.handle(.char(":"))
            for c in command { _ = console.handle(.char(c)) }
            _ = console.handle(.enter)
        }
        _ = console.handle(.char(":"))
        for c in "so" { _ = console.handle(.char(c)) }
        _ = console.handle(.up)
        XCTAssertEqual(console.input, .command("speed 60"))
        _ = console.handle(.up)
        XCTAssertEqual(console.input, .command("sort exchanges"))
        _ = console.handle(.up)
        XCTAssertEqual(console.input, .command("sort exchanges"), "the oldest stays")
        _ = console.handle(.down)
        _ = console.handle(.down)
        XCTAssertEqual(console.input, .command("so"), "past the newest: the line typed before browsing")
        _ = console.handle(.escape)

        // `/` opens empty; its history starts with the filter in force.
        _ = console.handle(.char("/"))
        for c in "farm" { _ = console.handle(.char(c)) }
        _ = console.handle(.enter)
        _ = console.handle(.char("/"))
        XCTAssertEqual(console.input, .filter(""))
        _ = console.handle(.up)
        XCTAssertEqual(console.input, .filter("farm"))
        _ = console.handle(.up)
        XCTAssertEqual(console.input, .filter("farm"), "the `:` history is not the `/` history")
    }

    /// A note pasted with a line break stays one note: the break is a space, not Enter, so the
    /// second line's letters ("undo") never run as keys. Outside a prompt a paste does nothing.
    func testAPastedNoteIsOneLineAndPasteOutsideAPromptRunsNoKeys() {
        let (console, _) = ConsoleTests.fixture()
        let store = MemoryCaseStore()
        console.caseStore = store
        _ = console.handle(.char("S"))
        XCTAssertEqual(store.records.first?.verdict, .suspect)
        _ = console.handle(.char("a"))
        XCTAssertEqual(console.handle(.paste("farm from ticket 42\r\nwe should undo\tnothing\u{1b}[2J")), [])
        XCTAssertEqual(console.input, .note("farm from ticket 42 we should undo nothing[2J"))
        _ = console.handle(.enter)
        XCTAssertEqual(store.records.first?.notes.map(\.note), ["farm from ticket 42 we should undo nothing[2J"])
        XCTAssertEqual(console.handle(.paste("uuq")), [])
        XCTAssertEqual(console.input, .none)
        XCTAssertEqual(store.records.first?.verdict, .suspect, "nothing undone")
        XCTAssertEqual(store.records.first?.notes.count, 1)
        XCTAssertEqual(console.message?.role, .warning)
    }

    func testTheFooterShowsTheCursorWhereItIs() {
        let (console, _) = ConsoleTests.fixture()
        _ = console.handle(.char(":"))
        for c in "speed 60" { _ = console.handle(.char(c)) }
        _ = console.handle(.left)
        _ = console.handle(.left)
        var g = ScreenGrid(width: 100, height: 24)
        console.render(into: &g)
        XCTAssertTrue(g.text(row: 23).hasPrefix(":speed ▏60"), g.text(row: 23))
    }
}

/// The cluster list follows its top row until the analyst moves; `F` turns that on and off.
final class FollowTopTests: XCTestCase {
    func snapshot(top: String, risk: Double) -> Snapshot {
        let t0 = ConsoleTests.t0
        let clusters = [
            ClusterSnapshot.make(key: top, verdict: .suspect, risk: risk, accounts: [top], exchanges: 400, firstSeen: t0, lastSeen: t0 + 3_600_000),
            ClusterSnapshot.make(key: "batch-job", verdict: .clear, risk: 0.1, accounts: ["batch-job", "b2"], exchanges: 90, firstSeen: t0, lastSeen: t0),
            ClusterSnapshot.make(key: "lab", verdict: .watch, risk: 0.5, accounts: ["lab", "lab2"], exchanges: 50, firstSeen: t0, lastSeen: t0),
        ]
        return Snapshot.make(streamTime: t0 + 3_600_000, streamStart: t0, exchanges: 540, accounts: 5, clusters: clusters, minuteRate: [])
    }

    func testTheSelectionFollowsTheTopUntilTheAnalystMoves() {
        let (console, _) = ConsoleTests.fixture()
        XCTAssertTrue(console.followsTop)
        console.update(snapshot: snapshot(top: "farm-9", risk: 0.99))
        XCTAssertEqual(console.selectedKey, "farm-9", "a new top row is selected while following")

        _ = console.handle(.down)
        XCTAssertFalse(console.followsTop, "moving stops following")
        let chosen = console.selectedKey
        console.update(snapshot: snapshot(top: "farm-10", risk: 0.995))
        XCTAssertEqual(console.selectedKey, chosen, "the chosen row stays chosen")

        _ = console.handle(.char("F"))
        XCTAssertTrue(console.followsTop)
        XCTAssertEqual(console.selectedKey, "farm-10")
        var g = ScreenGrid(width: 100, height: 24)
        console.render(into: &g)
        XCTAssertTrue(g.text(row: 1).contains("1/3  follow"), g.text(row: 1))
        _ = console.handle(.char("F"))
        XCTAssertFalse(console.followsTop)
    }
}

/// The help explains verdicts, columns and every signal, and `/` searches it.
final class HelpGlossaryTests: XCTestCase {
    func screen(_ console: Console, _ w: Int = 120, _ h: Int = 40) -> String {
        var g = ScreenGrid(width: w, height: h)
        console.render(into: &g)
        return (0..<h).map { g.text(row: $0) }.joined(separator: "\n")
    }

    /// On a narrow terminal keys and commands wrap as the glossary does, every description
    /// starts in one column, and a search shows each matching entry whole, wrapped lines and all.
    func testNarrowHelpWrapsAndSearchKeepsEntriesWhole() {
        let (console, _) = ConsoleTests.fixture()
        let lines = console.helpLines(width: 60).map { $0.map(\.text).joined() }
        for line in lines { XCTAssertLessThanOrEqual(TextWidth.width(of: line), 60, line) }
        let text = lines.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        XCTAssertTrue(text.contains("back one level (clears a filter first; closes help)"), "a key's description is wrapped, not cut")
        XCTAssertTrue(text.contains("never sent to the terminal"))
        func column(_ usage: String) -> Int? {
            guard let line = lines.first(where: { $0.hasPrefix("   " + usage + " ") }) else { return nil }
            return line.dropFirst(3 + usage.count).prefix { $0 == " " }.count + 3 + usage.count
        }
        XCTAssertNotNil(column("sort COLUMN [asc|desc]"))
        XCTAssertEqual(column("sort COLUMN [asc|desc]"), column("goto TIME"), "commands' descriptions start in one column")

        _ = console.handle(.char("?"))
        _ = console.handle(.char("/"))
        for c in "synchrony" { _ = console.handle(.char(c)) }
        _ = console.handle(.enter)
        let found = screen(console, 120, 60).components(separatedBy: "\n")
        let at = found.firstIndex { $0.contains("synchrony +2.0") }!
        XCTAssertTrue(found[at + 1].contains("the harvest evidence and their share of the cluster"),
                      "the wrapped rest of the entry follows it:\n" + found[at...].prefix(3).joined(separator: "\n"))
    }

    func testEverySignalIsExplainedAndTheHelpCanBeSearched() {
        let (console, _) = ConsoleTests.fixture()
        _ = console.handle(.char("?"))
        let all = console.helpLines(width: 120).map { $0.map(\.text).joined() }.joined(separator: "\n")
        for name in RuleTable.names { XCTAssertTrue(all.contains(name), "\(name) is in the glossary") }
        for word in ["suspect", "watch", "clear", "FLAGGED AT", "COT"] { XCTAssertTrue(all.contains(word), word) }

        _ = console.handle(.char("/"))
        for c in "synchrony" { _ = console.handle(.char(c)) }
        _ = console.handle(.enter)
        let found = screen(console)
        XCTAssertTrue(found.contains("Help matching 'synchrony'"), found)
        XCTAssertTrue(found.contains("synchrony +2.0"), found)
        XCTAssertTrue(found.contains("Signals"), "the heading of a matching line is kept")
        XCTAssertFalse(found.contains("move up"), "lines that do not match are hidden")
        XCTAssertEqual(console.view, .help)

        _ = console.handle(.escape)
        XCTAssertEqual(console.view, .help, "Esc first shows the whole help again")
        XCTAssertTrue(screen(console).contains("move up"))
        _ = console.handle(.escape)
        XCTAssertNotEqual(console.view, .help)

        _ = console.handle(.char("?"))
        _ = console.handle(.char("/"))
        for c in "zzzz" { _ = console.handle(.char(c)) }
        _ = console.handle(.enter)
        XCTAssertTrue(screen(console).contains("nothing in the help matches 'zzzz'"))
    }
}

/// `R` lists rejected input lines with their source, line number and reason.
final class RejectedLinesTests: XCTestCase {
    func testRejectedLinesAreListedFirstAndLatestWithWhatWasNotKept() {
        var ledger = InputLedger()
        for n in 1...(InputLedger.keptSamples + InputLedger.keptLatest + 5) {
            let message = n == 2 ? "bad \u{1b}]0;PWNED\u{07} value" : "expected an integer"
            ledger.reject(Rejection(.wrongType, field: "input_tokens", message: message), source: "feed.ndjson", line: n)
        }
        XCTAssertEqual(ledger.samples.count, InputLedger.keptSamples)
        XCTAssertEqual(ledger.latestSamples.count, InputLedger.keptLatest)
        XCTAssertEqual(ledger.latestSamples.last?.line, InputLedger.keptSamples + InputLedger.keptLatest + 5)

        let (console, _) = ConsoleTests.fixture()
        console.status.rejected = ledger.rejectedTotal
        console.status.firstRejections = ledger.samples
        console.status.latestRejections = ledger.latestSamples
        _ = console.handle(.char("R"))
        XCTAssertEqual(console.view, .rejected)
        var g = ScreenGrid(width: 120, height: 40)
        console.render(into: &g)
        let screen = (0..<40).map { g.text(row: $0) }.joined(separator: "\n")
        XCTAssertTrue(screen.contains("Rejected lines: 75 in all"), screen)
        XCTAssertTrue(screen.contains("feed.ndjson:1 "), screen)
        XCTAssertTrue(screen.contains("wrong_type"), screen)
        XCTAssertFalse(screen.contains("\u{1b}"), "no escape from the input reaches the screen")
        let lines = console.rejectedLines(width: 120).map { $0.map(\.text).joined() }
        XCTAssertTrue(lines.contains { $0.contains("feed.ndjson:75 ") }, "the latest are listed")
        XCTAssertTrue(lines.contains { $0.contains("5 more were counted and not kept") }, lines.joined(separator: "\n"))
        _ = console.handle(.escape)
        XCTAssertEqual(console.view, .clusters)
    }
}

/// One exchange shows every field, names the phrase that counted as extraction, and j/k step
/// to its neighbours.
final class ExchangeViewTests: XCTestCase {
    func testEveryFieldThePhraseThatCountedAndStepping() {
        let t0 = ConsoleTests.t0
        let inspector = ExchangeInspector(maxSessions: 2, maxExchangesPerSession: 3)
        for i in 0..<3 {
            inspector.record(Exchange(ts: t0 + StreamTime(i) * 60_000, accountID: "farm-1", requestID: "r\(i)", endUserID: "eu-\(i)",
                                      sessionID: "s-1", clientIP: "198.51.100.7", paymentFP: "pm_A", model: "m1",
                                      promptText: "Task \(i). Please give ALL YOUR REASONING, then the answer.",
                                      systemFP: "sha256:sys\(i)", toolsFP: "sha256:tools\(i)"))
        }
        let (console, source) = ConsoleTests.fixture()
        source.sessionList["farm-1"] = inspector.sessions("farm-1")
        let c = console.handle(.enter)  // cluster → accounts
        XCTAssertEqual(c, [])
        _ = console.handle(.enter)      // → account farm-1
        _ = console.handle(.enter)      // → session s-1
        _ = console.handle(.enter)      // → first exchange listed
        guard case .exchange(_, _, let first) = console.view else { return XCTFail("not in an exchange: \(console.view)") }
        let lines = console.exchangeLines(source.exchanges("farm-1", session: "s-1")[first], width: 120)
        let text = lines.map { $0.map(\.text).joined() }.joined(separator: "\n")
        for field in ["end user", "system prompt", "tool schema", "sha256:tools\(first)", "eu-\(first)"] {
            XCTAssertTrue(text.contains(field), "\(field) in\n\(text)")
        }
        XCTAssertTrue(text.contains("\"all your reasoning\" (full reasoning)"), text)
        let highlighted = lines.flatMap { $0 }.filter { $0.role == .warning }.map(\.text)
        XCTAssertTrue(highlighted.contains("ALL YOUR REASONING"), "the phrase is marked where it stands: \(highlighted)")

        _ = console.handle(.char(first == 0 ? "j" : "k"))
        guard case .exchange(_, _, let second) = console.view else { return XCTFail("j/k left the exchange") }
        XCTAssertEqual(abs(second - first), 1)
        XCTAssertTrue(console.breadcrumbs.last == "exchange #\(second + 1)")
        _ = console.handle(.char("k")); _ = console.handle(.char("k")); _ = console.handle(.char("k"))
        guard case .exchange(_, _, 0) = console.view else { return XCTFail("k stops at the first: \(console.view)") }
        XCTAssertTrue(console.message?.text.contains("first exchange kept") == true)
    }
}

/// An opened exchange, and the exchange selected in a session's list, stay the ones the
/// analyst chose while the feed goes on and newer exchanges push older ones along the kept list.
final class ExchangeStaysPutTests: XCTestCase {
    func record(_ inspector: ExchangeInspector, _ i: Int) {
        inspector.record(Exchange(ts: ConsoleTests.t0 + StreamTime(i) * 60_000, accountID: "farm-1", requestID: "r\(i)",
                                  sessionID: "s-1", promptText: "Task \(i): show every step"))
    }

    func testAnOpenedExchangeIsNotReplacedByANewerOne() {
        let inspector = ExchangeInspector(maxSessions: 2, maxExchangesPerSession: 3)
        for i in 0..<3 { record(inspector, i) }
        let (console, source) = ConsoleTests.fixture()
        source.sessionList["farm-1"] = inspector.sessions("farm-1")
        for _ in 0..<3 { _ = console.handle(.enter) }  // cluster → account farm-1 → session s-1
        _ = console.handle(.char("G"))                    // the newest exchange, r2
        _ = console.handle(.char("k"))                    // r1
        XCTAssertTrue(console.paneContent()?.lines.map { $0.map(\.text).joined() }.contains { $0.contains("r1") } == true)
        _ = console.handle(.enter)
        func shown() -> String { (console.paneContent()?.lines ?? []).map { $0.map(\.text).joined() }.joined(separator: "\n") }
        XCTAssertTrue(shown().contains("request       r1"), shown())

        // Two newer exchanges arrive: r1 is now first of the three kept, then gone from them.
        record(inspector, 3)
        source.sessionList["farm-1"] = inspector.sessions("farm-1")
        console.update(snapshot: console.snapshot)
        XCTAssertTrue(shown().contains("request       r1"), "still the exchange opened:\n\(shown())")
        XCTAssertEqual(console.breadcrumbs.last, "exchange #1")
        record(inspector, 4)
        source.sessionList["farm-1"] = inspector.sessions("farm-1")
        console.update(snapshot: console.snapshot)
        XCTAssertTrue(shown().contains("request       r1"), "kept on screen though no longer kept:\n\(shown())")
        XCTAssertTrue(console.paneContent()?.title.contains("no longer among those kept") == true, console.paneContent()?.title ?? "")

        // Back in the list, the selection follows its exchange, not its row number.
        _ = console.handle(.escape)
        _ = console.handle(.char("G"))  // r4, the newest
        _ = console.handle(.char("k"))  // r3
        XCTAssertTrue(shown().contains("request       r3"), shown())
        record(inspector, 5)
        source.sessionList["farm-1"] = inspector.sessions("farm-1")
        console.update(snapshot: console.snapshot)
        XCTAssertTrue(shown().contains("request       r3"), "the selected row is still r3:\n\(shown())")
    }
}

/// Clusters get short ids that last the session and a label of what ties them; a wide
/// terminal gives its room to the columns whose text is cut.
final class ClusterNamesTests: XCTestCase {
    func testShortIDsLabelsAndRoomForWhatDiffers() {
        let t0 = ConsoleTests.t0
        let farm = ClusterSnapshot.make(key: "acct_d100a1cbf05e", verdict: .suspect, risk: 0.99, accounts: (0..<36).map { "a\($0)" },
                                        exchanges: 1053, firstSeen: t0, lastSeen: t0,
                                        ties: [ClusterTie(kind: .card, accounts: 36), ClusterTie(kind: .harnessCopies, accounts: 33), ClusterTie(kind: .org, accounts: 4)])
        let lone = ClusterSnapshot.make(key: "acct_90c380b7d961", verdict: .suspect, risk: 0.98, accounts: ["acct_90c380b7d961"], exchanges: 2900,
                                        firstSeen: t0, lastSeen: t0)
        XCTAssertEqual(Console.tieLabel(farm), "card 36 · harness 33", "the two strongest ties")
        XCTAssertEqual(Console.tieLabel(lone), "alone")

        let (console, _) = ConsoleTests.fixture()
        let before = console.shortID("farm-1")
        console.update(snapshot: Snapshot.make(streamTime: t0, streamStart: t0, exchanges: 3953, accounts: 37, clusters: [farm, lone], minuteRate: []))
        XCTAssertEqual(console.shortID("acct_d100a1cbf05e"), "C4", "new clusters take the next ids")
        XCTAssertEqual(console.shortID("acct_90c380b7d961"), "C5")
        console.restart(snapshot: Snapshot.make(streamTime: t0, streamStart: t0, exchanges: 0, accounts: 0, clusters: [lone], minuteRate: []))
        XCTAssertEqual(console.shortID("acct_90c380b7d961"), "C5", "a seek back keeps the names")
        XCTAssertEqual(console.shortID("farm-1"), before)
        // Born in the last stream hour, but on screen before the seek: not new again.
        let fresh = ClusterSnapshot.make(key: "acct_new", verdict: .suspect, risk: 0.9, accounts: ["acct_new"], exchanges: 50,
                                         firstSeen: t0 + 3 * 3_600_000, lastSeen: t0 + 3 * 3_600_000)
        let later = Snapshot.make(streamTime: t0 + 3 * 3_600_000 + 60_000, streamStart: t0, exchanges: 4003, accounts: 38,
                                  clusters: [farm, lone, fresh], minuteRate: [])
        console.update(snapshot: later)
        XCTAssertEqual(console.trend(of: fresh), .new, "never shown before: new")
        console.restart(snapshot: Snapshot.make(streamTime: t0, streamStart: t0, exchanges: 0, accounts: 0, clusters: [], minuteRate: []))
        console.update(snapshot: later)
        XCTAssertEqual(console.trend(of: fresh), .steady, "seen before the seek: not news")

        console.update(snapshot: Snapshot.make(streamTime: t0, streamStart: t0, exchanges: 3953, accounts: 37, clusters: [farm, lone], minuteRate: []))
        var wide = ScreenGrid(width: 200, height: 24)
        console.render(into: &wide)
        let row = wide.text(row: 4)
        XCTAssertTrue(row.contains("C4   acct_d100a1cbf05e card 36 · harness 33"), "at 200 columns the key and the label are whole: \(row)")
        var narrow = ScreenGrid(width: 120, height: 24)
        console.render(into: &narrow)
        XCTAssertTrue(narrow.text(row: 4).contains("C4   acct_d100a1…"), narrow.text(row: 4))
    }
}

/// A prompt keeps its limit, and says so when it refuses a character instead of dropping it
/// unseen.
final class PromptLimitTests: XCTestCase {
    func testTypingPastTheLimitSaysThePromptIsFull() {
        let (console, _) = ConsoleTests.fixture()
        _ = console.handle(.char(":"))
        for _ in 0..<(LineEdit.limit + 5) { _ = console.handle(.char("x")) }
        XCTAssertEqual(console.line.text.count, LineEdit.limit)
        XCTAssertEqual(console.input, .command(String(repeating: "x", count: LineEdit.limit)))
        XCTAssertEqual(console.message?.text, "prompt full (200 characters)")
        var g = ScreenGrid(width: 100, height: 24)
        console.render(into: &g)
        XCTAssertTrue(g.lines.contains { $0.contains("prompt full (200 characters)") }, g.lines.joined(separator: "\n"))
    }

    func testAPasteCutAtTheLimitSaysSo() {
        let (console, _) = ConsoleTests.fixture()
        _ = console.handle(.char("a"))  // the note prompt
        _ = console.handle(.paste(String(repeating: "y", count: LineEdit.limit - 10)))
        XCTAssertNil(console.message, "a paste that fits says nothing")
        _ = console.handle(.paste(String(repeating: "z", count: 15)))
        XCTAssertEqual(console.line.text.count, LineEdit.limit)
        XCTAssertEqual(console.message?.text.hasPrefix("prompt full (200 characters)"), true, console.message?.text ?? "no message")
    }

    func testAHistoryEntryOrCompletionCutAtTheLimitSaysSo() {
        let (console, _) = ConsoleTests.fixture()
        let long = String(repeating: "h", count: LineEdit.limit + 50)
        console.histories[":", default: PromptHistory()].record(long)
        console.histories[":", default: PromptHistory()].record("theme dark")
        _ = console.handle(.char(":"))
        // An entry that fits says nothing; one cut at the limit says so.
        _ = console.handle(.up)
        XCTAssertEqual(console.line.text, "theme dark")
        XCTAssertNil(console.message)
        _ = console.handle(.up)
        XCTAssertEqual(console.line.text, String(long.prefix(LineEdit.limit)))
        XCTAssertEqual(console.message?.text, "prompt full (200 characters)")
        XCTAssertEqual(console.message?.role, .warning)
        _ = console.handle(.escape)

        // A completion that would run past the limit: the scope after a 190-letter reason.
        _ = console.handle(.char(":"))
        let typed = "clear " + String(repeating: "x", count: 190) + " a"
        for c in typed { _ = console.handle(.char(c)) }
        XCTAssertNil(console.message, "the typed line fits")
        _ = console.handle(.tab)
        XCTAssertEqual(console.line.text, typed + "cc")
        XCTAssertEqual(console.message?.text, "prompt full (200 characters)")
    }
}
