import XCTest
import DistillCore
@testable import DistillConsole

final class FakeSource: ConsoleDataSource {
    var figures: [String: AccountFigures] = [:]
    var details: [String: AccountDetail] = [:]
    var sessionList: [String: [SessionSummary]] = [:]

    func accountFigures(_ id: String) -> AccountFigures? { figures[id] }
    func accountHourly(_ id: String) -> [Int]? { figures[id]?.hourly }
    func accountDetail(_ id: String) -> AccountDetail? { details[id] }
    func sessions(_ account: String) -> [SessionSummary] { sessionList[account] ?? [] }
    func exchanges(_ account: String, session: String?) -> [ExchangeExcerpt] {
        sessionList[account]?.first { $0.id == session }?.recent ?? []
    }
    func ties(of accounts: [String]) -> [TieDetail] { [] }
    func sharedValue(_ ref: SharedValueRef) -> SharedValueDetail? { nil }
    var notes: [String: String] = [:]
    func drillDownNote(_ account: String) -> String? { notes[account] }
}

/// Widgets and views rendered into an in-memory grid, compared with expected text and style
/// roles. No terminal involved.
final class ConsoleTests: XCTestCase {
    static let t0: StreamTime = 1_776_000_000_000  // 2026-04-12 13:20Z
    static let hour: StreamTime = 3_600_000

    /// Two clusters and a lone account, with an inspector fed real exchanges for the farm.
    static func fixture() -> (Console, FakeSource) {
        let inspector = ExchangeInspector(maxSessions: 2, maxExchangesPerSession: 3)
        for i in 0..<4 {
            inspector.record(Exchange(ts: t0 + StreamTime(i) * 60_000, accountID: "farm-1", requestID: "r\(i)", orgID: "org-9",
                                      sessionID: "s-1", clientIP: "198.51.100.7", asn: 16509, country: "SG",
                                      userAgent: "python-httpx/0.27.2", paymentFP: "pm_A", model: "m1",
                                      inputTokens: 200, outputTokens: 3000, reasoningTokens: 1200, latencyMs: 21450,
                                      httpStatus: 200, promptText: "Solve step by step \u{1b}[2J showing all reasoning \(i)"))
        }
        let source = FakeSource()
        for a in ["farm-1", "farm-2"] {
            source.figures[a] = AccountFigures(id: a, firstSeen: t0, lastSeen: t0 + 5 * hour, flaggedAt: t0 + hour, exchanges: 120, prompts: 100,
                                               extractionPrompts: 90, tokenExchanges: 120, inputTokens: 24000, outputTokens: 360_000,
                                               reasoningTokens: 100_000, outputHeavy: 120, sessions: 4, singleTurnSessions: 0, rateLimited: 2,
                                               failures: 0, distinctIPs: 3, hourly: [1, 2, 3, 4, 5, 6, 7, 8])
        }
        source.details["farm-1"] = inspector.accountDetail("farm-1")
        source.sessionList["farm-1"] = inspector.sessions("farm-1")
        let farm = ClusterSnapshot.make(
            key: "farm-1", verdict: .suspect, risk: 0.97, accounts: ["farm-1", "farm-2"], exchanges: 240,
            firstSeen: t0, lastSeen: t0 + 5 * hour, flaggedAt: t0 + hour,
            signals: [Signal(name: "reasoning_extraction", weight: 3.2, detail: "90% of 200 prompts ask for reasoning traces"),
                      Signal(name: "shared_payment", weight: 1.5, detail: "2 accounts on 1 card", examples: ["pm_A: 2 accounts in 2 orgs"])],
            hourlyRate: [0, 10, 20, 40, 80])
        let lone = ClusterSnapshot.make(key: "dev-7", verdict: .clear, risk: 0.05, accounts: ["dev-7"], exchanges: 12,
                                        firstSeen: t0 + hour, lastSeen: t0 + 2 * hour, hourlyRate: [1, 1, 1, 1, 1])
        let watch = ClusterSnapshot.make(key: "lab-3", verdict: .watch, risk: 0.55, accounts: ["lab-3", "lab-4", "lab-5"], exchanges: 900,
                                         firstSeen: t0, lastSeen: t0 + 5 * hour,
                                         signals: [Signal(name: "output_heavy", weight: 0.9, detail: "most exchanges are output-heavy")],
                                         hourlyRate: [5, 5, 5, 5, 5])
        let snap = Snapshot.make(streamTime: t0 + 5 * hour, streamStart: t0, exchanges: 1152, accounts: 6,
                                 clusters: [farm, watch, lone], minuteRate: [0, 2, 4, 8, 16, 8, 4])
        let console = Console(snapshot: snap, status: FeedStatus(source: "demo.ndjson.gz", mode: .replay(speed: 3600), ingestRate: 10_000, rejected: 3),
                              source: source)
        return (console, source)
    }

    func screen(_ g: ScreenGrid) -> String { (0..<g.height).map { g.text(row: $0) }.joined(separator: "\n") }

    func render(_ c: Console, _ w: Int = 100, _ h: Int = 24) -> ScreenGrid {
        var g = ScreenGrid(width: w, height: h)
        c.render(into: &g)
        return g
    }

    func testMainViewShowsStatusRateClusterTableEvidenceAndFooter() {
        let (console, _) = Self.fixture()
        let g = render(console)
        XCTAssertEqual(g.text(row: 0), " DistillWatch │ REPLAY ×3600 │ 2026-04-12 18:20:00Z │ 1 suspect · 1 watch │ 10k/s │ 1.2k ex │ rej 3…")
        XCTAssertEqual(g.text(row: 1), " Clusters                                                               1/3  follow  sort risk desc")
        XCTAssertEqual(g.text(row: 2), " ex/min ▁▂▃▅█▅▃ min 0  max 16  last 4  (7 min)")
        XCTAssertEqual(g.text(row: 3), "  VERDICT RISK▼      ID   CLUSTER      TIED BY        ACCTS    EXCH TOP SIGNALS             ANALYST")
        XCTAssertEqual(g.text(row: 4), "  suspect 0.97 ████▉ C1   farm-1       -                  2     240 reasoning_extraction, … -")
        XCTAssertEqual(g.text(row: 5), "  watch   0.55 ██▊   C2   lab-3        -                  3     900 output_heavy            -")
        XCTAssertEqual(g.text(row: 6), "  clear   0.05 ▎     C3   dev-7        alone              1      12 -                       -")
        // Selected row in the selection style; unselected verdicts and risks in their own roles.
        XCTAssertEqual(String(g.roles(row: 4).prefix(20)), String(repeating: "S", count: 20))
        XCTAssertEqual(String(g.roles(row: 5).prefix(20)), "..WWWWW...2222.22222")
        XCTAssertEqual(String(g.roles(row: 6).prefix(20)), "..CCCCC...1111.11111")
        XCTAssertEqual(g.text(row: 13), "── Evidence · cluster farm-1 ───────────────────────────────────────────────────────────────────────")
        XCTAssertEqual(g.text(row: 14), " suspect  risk 0.97  2 accounts  240 exchanges  first seen 04-12 13:20  flagged 04-12 14:20")
        XCTAssertEqual(g.text(row: 15), "  +3.20  reasoning_extraction  90% of 200 prompts ask for reasoning traces")
        XCTAssertEqual(g.text(row: 16), "  +1.50  shared_payment  2 accounts on 1 card")
        XCTAssertEqual(g.text(row: 17), "           · pm_A: 2 accounts in 2 orgs")
        XCTAssertEqual(g.text(row: 23), " Enter open  Tab pane  / filter  S suspect  W watch  C clear  Space pause  ? help  : cmd  q quit")
        XCTAssertEqual(String(g.roles(row: 23).prefix(12)), "kkkkkkffffff")
    }

    /// Past a thousand clusters the short ids take five characters; the column grows with them,
    /// since a cut id ("C10…") names several rows at once.
    func testShortIDsPastAThousandAreShownWhole() {
        let t0 = Self.t0
        let clusters = (0..<1_200).map { i in
            ClusterSnapshot.make(key: "k\(i)", verdict: .clear, risk: i == 1_100 ? 0.9 : 0.01, accounts: ["k\(i)"], exchanges: 1,
                                 firstSeen: t0, lastSeen: t0)
        }
        let snap = Snapshot.make(streamTime: t0 + Self.hour, streamStart: t0, exchanges: 1_200, accounts: 1_200, clusters: clusters, minuteRate: [])
        let console = Console(snapshot: snap, status: FeedStatus(source: "many.ndjson", mode: .replay(speed: 3600)), source: nil)
        let g = render(console, 120, 30)
        XCTAssertEqual(console.shortID("k1100"), "C1101")
        XCTAssertTrue(g.text(row: 3).contains("RISK▼      ID    CLUSTER"), g.text(row: 3))
        XCTAssertTrue(g.text(row: 4).contains(" C1101 k1100 "), g.text(row: 4))
    }

    /// A signal's detail longer than the pane wraps under its own start, so its end (here, what
    /// the copies harvest) is on the screen; a pane too narrow for that keeps it on one line.
    func testALongSignalDetailWrapsUnderItself() {
        let (console, _) = Self.fixture()
        let detail = "807 of 1432 accounts behave as copies of each other on a shared harness; 99% of requests offer tools, in conversations of 12.3 turns on average"
        var snap = console.snapshot
        snap.clusters[0].signals = [Signal(name: "coordinated_harness", weight: 1.74, detail: detail)]
        console.update(snapshot: snap)
        let g = render(console)
        XCTAssertEqual(g.text(row: 15), "  +1.74  coordinated_harness  807 of 1432 accounts behave as copies of each other on a shared")
        XCTAssertEqual(g.text(row: 16), "                              harness; 99% of requests offer tools, in conversations of 12.3 turns")
        XCTAssertEqual(g.text(row: 17), "                              on average")
        let narrow = screen(render(console, Console.minimumWidth, 24))
        XCTAssertTrue(narrow.contains("  +1.74  coordinated_harness  807 of 1432 account…"), narrow)
        XCTAssertFalse(narrow.contains("99% of requests"), narrow)
    }

    /// On a terminal split in half (60 columns) a detail, an example or a verdict note runs to
    /// more than four lines; every one of them is in the pane, down to the last word.
    func testEvidenceKeepsEveryWrappedLineOnANarrowTerminal() {
        let (console, _) = Self.fixture()
        let detail = "89% of 1053 prompts ask for reasoning traces (full reasoning 89%, rubric grading 24%); 95% of conversations open with such a request"
        let example = "32 accounts behave as copies on a shared harness: 1 system prompt used by no one else; behaviour profiles within 0.6 of each other on every axis"
        let note = "held at watch: one customer in the open (one account, or accounts that all declare one org) whose answers carry no harvest, such as a model-as-judge pipeline's short verdicts"
        var snap = console.snapshot
        snap.clusters[0].signals = [Signal(name: "reasoning_extraction", weight: 3.16, detail: detail, examples: [example])]
        snap.clusters[0].verdictNote = note
        console.update(snapshot: snap)
        let lines = console.evidenceLines(console.snapshot.clusters[0], width: 60).map { $0.map(\.text).joined() }
        let text = lines.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        for line in lines.dropFirst() { XCTAssertLessThanOrEqual(TextWidth.width(of: line), 60, line) }
        XCTAssertTrue(text.contains("open with such a request"), "the detail's end: \(lines)")
        XCTAssertTrue(text.contains("each other on every axis"), "the example's end: \(lines)")
        XCTAssertTrue(text.contains("pipeline's short verdicts"), "the note's end: \(lines)")
    }

    /// The breadcrumbs cut what is above before where you are: at 80 columns the account open
    /// is named whole, and a short crumb leaves its room to the others.
    func testTheBreadcrumbsKeepWhereYouAreWhole() {
        let t0 = Self.t0
        let farm = ClusterSnapshot.make(key: "acct_d100a1cbf05e", verdict: .suspect, risk: 0.99, accounts: ["acct_d100a1cbf05e", "acct_39e45a1f7fe7"],
                                        exchanges: 200, firstSeen: t0, lastSeen: t0 + Self.hour)
        let snap = Snapshot.make(streamTime: t0 + Self.hour, streamStart: t0, exchanges: 200, accounts: 2, clusters: [farm], minuteRate: [])
        let console = Console(snapshot: snap, status: FeedStatus(source: "demo.ndjson.gz", mode: .replay(speed: 3600)), source: FakeSource())
        _ = console.handle(.enter)
        let account = try! XCTUnwrap(console.selectedKey)
        _ = console.handle(.enter)
        let crumbs = render(console, 80, 24).text(row: 1)
        XCTAssertTrue(crumbs.contains("› account \(account)"), crumbs)
        XCTAssertTrue(crumbs.hasPrefix(" Clusters › cluster acct_"), crumbs)
        XCTAssertLessThanOrEqual(TextWidth.width(of: crumbs), 80)
    }

    /// A decision (and its undo) records the stream time the status bar shows, the replay's
    /// clock, not the time of the last exchange read, which in a quiet hour can be far behind.
    func testADecisionRecordsTheStreamTimeOnScreen() {
        let (console, _) = Self.fixture()
        let store = MemoryCaseStore()
        console.caseStore = store
        let shown = Self.t0 + 7 * Self.hour  // paused after :goto, two quiet hours past the last exchange
        console.status.clock = shown
        XCTAssertTrue(render(console).text(row: 0).contains(Format.clock(shown)), render(console).text(row: 0))
        _ = console.handle(.char("S"))
        XCTAssertEqual(store.records.first?.decisions.last?.streamTime, shown)
        _ = console.handle(.char("u"))
        XCTAssertEqual(store.records.first?.decisions.last?.action, .undo)
        XCTAssertEqual(store.records.first?.decisions.last?.streamTime, shown)
    }

    /// `A` lists what the allowlist set aside as `allowed` rows, which the filter finds and
    /// which open like any cluster; `A` again hides them.
    func testAllowlistedClustersAreShownOnAskingAndMarkedAllowed() {
        let (console, _) = Self.fixture()
        let cleared = ClusterSnapshot.make(key: "lab-9", verdict: .suspect, risk: 0.91, accounts: ["lab-9", "lab-10"], exchanges: 400,
                                           firstSeen: Self.t0, lastSeen: Self.t0 + 5 * Self.hour, hourlyRate: [4, 4, 4])
        var snap = console.snapshot
        snap.allowlisted = [cleared]
        console.update(snapshot: snap)
        XCTAssertFalse(screen(render(console, 160, 30)).contains("lab-9"), "hidden until asked")
        _ = console.handle(.char("A"))
        var g = render(console, 160, 30)
        let row = screen(g).split(separator: "\n").first { $0.contains("lab-9") }.map(String.init) ?? ""
        XCTAssertTrue(row.contains("allowed") && !row.contains("suspect"), "marked allowed, never shown as a live verdict: \(row)")
        XCTAssertTrue(g.text(row: 1).contains("+allowed"), g.text(row: 1))
        XCTAssertEqual(console.snapshot.suspectCount, 1, "the status bar's count is the detector's")
        for ch in "/lab-9" { _ = console.handle(.char(ch)) }
        _ = console.handle(.enter)
        g = render(console, 160, 30)
        XCTAssertTrue(screen(g).contains("lab-9") && !screen(g).contains("farm-1 "), "the filter finds it:\n\(screen(g))")
        _ = console.handle(.enter)  // open it
        XCTAssertTrue(screen(render(console, 160, 30)).contains("lab-10"), "its accounts")
        _ = console.handle(.escape)
        _ = console.handle(.escape)
        _ = console.handle(.char("A"))
        XCTAssertFalse(screen(render(console, 160, 30)).contains("lab-9"), "hidden again")
    }

    /// The case that cleared a group stays attached to it: the allowed row shows the decision.
    func testAnAllowedRowShowsTheDecisionThatClearedIt() {
        let (console, _) = Self.fixture()
        let store = MemoryCaseStore()
        console.caseStore = store
        _ = console.handle(.char("j"))  // lab-3, the watch cluster
        _ = console.run(command: "clear eval-lab account")
        XCTAssertEqual(store.records.first?.verdict, .clear)
        // The detector now sets the group aside; asked, it lists it.
        var snap = console.snapshot
        let lab = snap.clusters.first { $0.key == "lab-3" }!
        snap.clusters.removeAll { $0.key == "lab-3" }
        snap.allowlisted = [lab]
        console.update(snapshot: snap)
        _ = console.handle(.char("A"))
        let row = screen(render(console, 160, 30)).split(separator: "\n").first { $0.contains("lab-3") }.map(String.init) ?? ""
        XCTAssertTrue(row.contains("allowed") && row.hasSuffix("clear"), row)
    }

    func testAProxyIdentityOnEveryRecordIsWarnedAboutInTheStatusBarAndOnce() {
        let hidden = Snapshot.make(streamTime: 1_776_000_000_000, streamStart: 1_776_000_000_000, exchanges: 40, accounts: 1,
                                   clusters: [], minuteRate: [], onlyAccount: "default_user_id")
        let console = Console(snapshot: Self.fixture().0.snapshot, status: FeedStatus(source: "http://127.0.0.1:4000", mode: .live))
        XCTAssertFalse(render(console, 160).text(row: 0).contains("ONE IDENTITY"))
        console.update(snapshot: hidden)
        let g = render(console, 160)
        XCTAssertTrue(g.text(row: 0).hasPrefix(" DistillWatch │ LIVE │ ONE IDENTITY: LITELLM MASTER KEY │"), g.text(row: 0))
        XCTAssertTrue(g.text(row: 22).contains("master-key identity (default_user_id)"), g.text(row: 22))
        console.say("something else")
        console.update(snapshot: hidden)
        XCTAssertFalse(render(console, 160).text(row: 22).contains("master-key"), "the message is said once; the status bar keeps it")
        // Another account arriving ends it.
        var mixed = hidden
        mixed.onlyAccount = nil
        console.update(snapshot: mixed)
        XCTAssertFalse(render(console, 160).text(row: 0).contains("ONE IDENTITY"))
    }

    func testMouseSelectsOpensScrollsAndSortsByHeader() {
        let (console, _) = Self.fixture()
        _ = render(console)
        // Row 5 of the screen is the table's second row (header on row 3).
        _ = console.handle(.mouse(MouseEvent(.click, x: 20, y: 5)))
        var g = render(console)
        XCTAssertTrue(g.text(row: 1).contains("2/3") && !g.text(row: 1).contains("follow"), g.text(row: 1))
        XCTAssertTrue(g.text(row: 13).contains("cluster lab-3"), "the evidence follows the click: \(g.text(row: 13))")
        _ = console.handle(.mouse(MouseEvent(.wheelDown, x: 20, y: 8)))
        g = render(console)
        XCTAssertTrue(g.text(row: 1).contains("3/3"), g.text(row: 1))
        _ = console.handle(.mouse(MouseEvent(.wheelUp, x: 20, y: 8)))
        // A click on a header sorts by that column; again, the other way.
        let exch = g.text(row: 3).range(of: "EXCH")!.lowerBound.utf16Offset(in: g.text(row: 3))
        _ = console.handle(.mouse(MouseEvent(.click, x: exch, y: 3)))
        g = render(console)
        XCTAssertTrue(g.text(row: 3).contains("EXCH▼"), g.text(row: 3))
        XCTAssertTrue(g.text(row: 4).contains("lab-3"), "900 exchanges first: \(g.text(row: 4))")
        _ = console.handle(.mouse(MouseEvent(.click, x: exch, y: 3)))
        XCTAssertTrue(render(console).text(row: 3).contains("EXCH▲"))
        // A double click opens the row; a click below the rows does nothing.
        _ = console.handle(.mouse(MouseEvent(.click, x: 20, y: 11)))
        _ = console.handle(.mouse(MouseEvent(.doubleClick, x: 20, y: 4)))
        g = render(console)
        XCTAssertTrue(g.text(row: 1).contains("›"), "drilled into the cluster: \(g.text(row: 1))")
    }

    func testNarrowTerminalDropsLowPriorityColumns() {
        let (console, _) = Self.fixture()
        let g = render(console, 60, 15)
        XCTAssertEqual(g.text(row: 3), "VERDICT RISK▼      ID   CLUSTER      ACCTS              EXCH")
        XCTAssertEqual(g.text(row: 4), "suspect 0.97 ████▉ C1   farm-1           2               240")
        XCTAssertEqual(g.lines.count, 15)
        XCTAssertTrue(g.lines.allSatisfy { TextWidth.width(of: $0) <= 60 })
    }

    /// The evidence pane's accounts line gives the count first and lists what fits, so the
    /// count is never what a narrow pane cuts.
    func testTheEvidenceAccountsLineCountsFirstAndListsWhatFits() {
        let (console, _) = Self.fixture()
        let many = ClusterSnapshot.make(key: "acct_000000000000", verdict: .suspect, risk: 0.9,
                                        accounts: (0..<40).map { String(format: "acct_%012d", $0) }, exchanges: 400,
                                        firstSeen: Self.t0, lastSeen: Self.t0 + Self.hour)
        let line = console.evidenceLines(many, width: 100).last!.map(\.text).joined()
        XCTAssertTrue(line.hasPrefix(" accounts (40): acct_000000000000, acct_000000000001"), line)
        XCTAssertTrue(line.hasSuffix(", … (Enter lists all)"), line)
        XCTAssertLessThanOrEqual(TextWidth.width(of: line), 100, line)
        let two = console.evidenceLines(console.snapshot.clusters.first { $0.key == "farm-1" }!, width: 100).last!.map(\.text).joined()
        XCTAssertEqual(two, " accounts (2): farm-1, farm-2")
    }

    func testTooSmallTerminalSaysTheSizeItNeeds() {
        let (console, _) = Self.fixture()
        let g = render(console, 40, 8)
        XCTAssertEqual(g.text(row: 0), "Terminal too small (40x8): DistillWatch")
        XCTAssertEqual(g.text(row: 1), "needs at least \(Console.minimumWidth)x\(Console.minimumHeight); q quits")
        XCTAssertEqual((2..<8).map { g.text(row: $0) }, Array(repeating: "", count: 6))
        let narrow = render(console, 20, 5)
        XCTAssertTrue((0..<5).map { narrow.text(row: $0) }.joined(separator: " ").contains("\(Console.minimumWidth)x\(Console.minimumHeight)"))
        // Keys pressed while nothing can show what they do are not acted on, but q quits.
        let before = console.view
        XCTAssertEqual(console.handle(.char("?")), [])
        XCTAssertEqual(console.handle(.char(":")), [])
        XCTAssertEqual(console.input, .none)
        XCTAssertEqual(console.view, before)
        XCTAssertEqual(console.handle(.char("q")), [.quit])
        _ = render(console, 120, 40)
        _ = console.handle(.char("?"))
        XCTAssertEqual(console.view, .help, "at a usable size keys act again")
    }

    /// Without drill-down detail (a coordinator whose workers hold it, an account the inspector
    /// let go of, a replay gone back to a keyframe), the accounts table and the account pane
    /// still name the card and org the detector keeps for each account.
    func testTheDetectorsCardAndOrgStandInForMissingDetail() {
        let detector = Detector()  // no inspector: no drill-down detail at all
        for (i, account) in ["farm-a", "farm-b"].enumerated() {
            for k in 0..<3 {
                detector.ingest(Exchange(ts: Self.t0 + StreamTime(10 * i + k) * 60_000, accountID: account, requestID: "\(account)-\(k)",
                                         orgID: "org-\(account)", paymentFP: "pm_shared", inputTokens: 100, outputTokens: 200,
                                         promptText: "hello \(k)"))
            }
        }
        let source = DetectorDataSource(detector: detector)
        XCTAssertNil(source.accountDetail("farm-a"))
        XCTAssertEqual(source.accountFigures("farm-a")?.firstCard, "pm_shared")
        XCTAssertEqual(source.accountFigures("farm-b")?.firstOrg, "org-farm-b")
        let snap = detector.snapshot()
        XCTAssertEqual(snap.clusters.first?.accounts.sorted(), ["farm-a", "farm-b"], "one card joins them")
        let console = Console(snapshot: snap, status: FeedStatus(source: "t", mode: .replay(speed: 1), ingestRate: 0, rejected: 0),
                              source: source)
        _ = console.handle(.enter)
        var g = render(console, 120, 24)
        XCTAssertTrue(g.lines.contains { $0.hasPrefix("farm-a") && $0.contains("pm_shared") }, screen(g))
        // A filter finds them by it too.
        let rows = console.accountTable(cluster: snap.clusters.first).rows
        XCTAssertTrue(rows.allSatisfy { $0.haystack.contains("pm_shared") && $0.haystack.contains("org-\($0.key)") }, "\(rows.map(\.haystack))")
        _ = console.handle(.enter)
        g = render(console, 120, 24)
        XCTAssertTrue(g.lines.contains { $0.hasPrefix(" card") && $0.contains("pm_shared") && $0.contains("first used") }, screen(g))
        XCTAssertTrue(g.lines.contains { $0.hasPrefix(" org") && $0.contains("org-farm-") }, screen(g))
        // A case opened on the cluster keeps them as its evidence too.
        let evidence = CaseEvidence.gather(cluster: snap.clusters.first, accounts: ["farm-a", "farm-b"], asOf: snap.streamTime,
                                           figures: source.accountFigures, detail: source.accountDetail, samples: { _ in [] })
        XCTAssertEqual(evidence.cards, ["pm_shared"])
        XCTAssertEqual(evidence.orgs, ["org-farm-a", "org-farm-b"])
    }

    /// A replay gone back to a keyframe keeps detail only from there: an account not seen since
    /// has an empty session list, which says why (and when the detail starts) instead of
    /// looking like an account with no sessions. An account seen since shows its sessions.
    func testAnEmptySessionListAfterASeekBackSaysWhereTheDetailStarts() {
        // The detector as a keyframe restores it: "unseen" is known, its detail is not.
        let detector = Detector()
        detector.ingest(Exchange(ts: Self.t0, accountID: "unseen", requestID: "u-1", sessionID: "u",
                                 inputTokens: 100, outputTokens: 200, promptText: "hello"))
        let since = Self.t0 + 3_600_000
        let inspector = ExchangeInspector(maxAccounts: 1)
        inspector.keptSince = since
        detector.inspector = inspector
        detector.ingest(Exchange(ts: since + 100_000, accountID: "seen", requestID: "s-1", sessionID: "s",
                                 inputTokens: 100, outputTokens: 200, promptText: "hello"))
        let source = DetectorDataSource(detector: detector)
        XCTAssertNil(source.drillDownNote("seen"))
        XCTAssertEqual(source.drillDownNote("unseen"),
                       "(detail is kept from \(Format.shortTime(since)), where this replay restarted; the account has not been seen since)")
        let console = Console(snapshot: detector.snapshot(), status: FeedStatus(source: "t", mode: .replay(speed: 1), ingestRate: 0, rejected: 0),
                              source: source)
        XCTAssertEqual(console.sessionTable(account: "unseen").emptyText, source.drillDownNote("unseen"))
        XCTAssertEqual(console.sessionTable(account: "seen").rows.count, 1)
        // An account seen since whose detail the inspector let go is not said to be unseen.
        detector.ingest(Exchange(ts: since + 200_000, accountID: "later", requestID: "l-1", sessionID: "l",
                                 inputTokens: 100, outputTokens: 200, promptText: "hello"))
        XCTAssertEqual(inspector.evictedAccounts, 1)
        for account in ["seen", "later"] where inspector.sessions(account).isEmpty {
            XCTAssertNil(source.drillDownNote(account), account)
        }
        // Detail kept from the start of the input needs no such note.
        inspector.keptSince = nil
        XCTAssertNil(source.drillDownNote("unseen"))
    }

    /// Room goes to what is cut before the flexible column, a cut header keeps its sort arrow,
    /// a long pane title stops short of the position, and long fields wrap under their label.
    func testWideAndNarrowLayoutsShowWhatMatters() {
        var model = TableModel(columns: [Column(id: "a", title: "ACCOUNT", width: 8, priority: 0),
                                         Column(id: "ua", title: "USER AGENT", width: 10, priority: 1, flex: true)],
                               rows: [TableRow(key: "1", cells: [.text("acct_0123456789abcdef", .text), .text("ua", .muted)],
                                               sortKeys: [.text(""), .text("")], haystack: "")])
        model.wantRoom(for: ["a"])
        var g = ScreenGrid(width: 60, height: 3)
        TableWidget.render(model, into: &g, x: 0, y: 0, width: 60, height: 3, selected: nil, scroll: 0, focused: true, sortColumn: "a", descending: false)
        XCTAssertTrue(g.text(row: 1).hasPrefix("acct_0123456789abcdef ua"), g.text(row: 1))
        var n = ScreenGrid(width: 5, height: 2)
        TableWidget.render(TableModel(columns: [Column(id: "a", title: "ACCOUNT", width: 5, priority: 0)], rows: []), into: &n,
                           x: 0, y: 0, width: 5, height: 2, selected: nil, scroll: 0, focused: true, sortColumn: "a", descending: true)
        XCTAssertEqual(n.text(row: 0), "ACC…▼")

        var pane = ScreenGrid(width: 40, height: 4)
        TextPane.render(title: "Account acct_" + String(repeating: "W", count: 40), lines: (0..<10).map { [Segment("line \($0)")] },
                        into: &pane, x: 0, y: 0, width: 40, height: 4, scroll: 0, focused: true)
        XCTAssertTrue(pane.text(row: 0).hasSuffix("W…──1-3/10─"), pane.text(row: 0))

        let (console, source) = Self.fixture()
        let e = source.exchanges("farm-1", session: "s-1")[0]
        let lines = console.exchangeLines(e, width: 34).map { $0.map(\.text).joined() }
        for line in lines { XCTAssertLessThanOrEqual(TextWidth.width(of: line), 34, line) }
        let tokens = try! XCTUnwrap(lines.firstIndex { $0.hasPrefix(" tokens ") })
        XCTAssertEqual(lines[tokens + 1], String(repeating: " ", count: 15) + "reasoning 1,200", "a long field wraps under its value: \(lines)")
    }

    /// One exchange's pane gives its token counts exactly: 1,499 and 1,500 output tokens read
    /// alike as "1.5k", and only the second is a long output.
    func testOneExchangeShowsItsTokensExactly() {
        let (console, source) = Self.fixture()
        var e = source.exchanges("farm-1", session: "s-1")[0]
        e.inputTokens = 12_345; e.outputTokens = 1_499; e.reasoningTokens = nil
        let lines = console.exchangeLines(e, width: 100).map { $0.map(\.text).joined() }
        XCTAssertTrue(lines.contains(" tokens        in 12,345  out 1,499  reasoning -"), lines.joined(separator: "\n"))
    }

    /// Rejected lines line up in columns whatever the lengths of their places and reasons; a
    /// long path keeps its file name and line, and a long message wraps under its column.
    func testRejectedLinesStayInColumns() {
        let (console, _) = Self.fixture()
        console.status.rejected = 2
        console.status.firstRejections = [
            RejectionSample(source: "/var/log/gateway/2026/04/12/very/deep/directory/rejects.ndjson", line: 7, reason: "invalid_json",
                            message: "invalid JSON: unexpected end of input after a long run of text that goes on"),
            RejectionSample(source: "b.ndjson", line: 111, reason: "wrong_type:input_tokens", message: "input_tokens must be an integer"),
        ]
        let lines = console.rejectedLines(width: 60).map { $0.map(\.text).joined() }
        for line in lines { XCTAssertLessThanOrEqual(TextWidth.width(of: line), 60, line) }
        let first = try! XCTUnwrap(lines.first { $0.contains("rejects.ndjson:7") }), second = try! XCTUnwrap(lines.first { $0.contains("b.ndjson:111") })
        XCTAssertEqual(first.range(of: "invalid_json")!.lowerBound.utf16Offset(in: first),
                       second.range(of: "wrong_type")!.lowerBound.utf16Offset(in: second), "reasons start in one column:\n\(first)\n\(second)")
        XCTAssertTrue(first.contains("…"), "the path is cut at its start: \(first)")
        XCTAssertTrue(lines.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ").contains("after a long run of text that goes on"),
                      "the message is whole: \(lines)")
    }

    /// A message longer than the screen (a usage, the list of commands) wraps onto up to three
    /// rows above the footer instead of being cut at the edge; the screen is whole again after.
    func testALongMessageIsReadWhole() {
        let (console, _) = Self.fixture()
        _ = console.run(command: "fly")
        let said = console.message?.text ?? ""
        XCTAssertGreaterThan(TextWidth.width(of: said), 60, "the unknown-command message lists the commands")
        var g = render(console, 60, 24)
        let rows = (0..<24).map { g.text(row: $0) }
        let footer = 23
        let shown = rows[(footer - 3)..<footer].map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        XCTAssertTrue(shown.hasPrefix("unknown command 'fly'"), rows.joined(separator: "\n"))
        XCTAssertTrue(shown.contains(said.split(separator: " ").suffix(2).joined(separator: " ")) || shown.hasSuffix("…"),
                      "it runs to its end, or to an ellipsis on the third row: \(shown)")
        XCTAssertTrue(rows[0].contains("DistillWatch"), "the status bar stays")
        let tableRows = (0..<24).filter { g.text(row: $0).hasPrefix("  suspect") || g.text(row: $0).hasPrefix("  watch") }.count
        console.say("sorted")
        g = render(console, 60, 24)
        XCTAssertEqual(g.text(row: footer - 1), " sorted", "one row for a short message")
        XCTAssertEqual((0..<24).filter { g.text(row: $0).hasPrefix("  suspect") || g.text(row: $0).hasPrefix("  watch") }.count, tableRows)
    }

    /// While the list follows its top row, a new sort selects the new top row.
    func testSortingWhileFollowingSelectsTheNewTopRow() {
        let (console, _) = Self.fixture()
        XCTAssertTrue(console.followsTop)
        for _ in 0..<6 {
            _ = console.handle(.char("s"))
            XCTAssertEqual(console.selectedKey, console.currentTable()?.model.rows.first?.key, "sorted by \(console.navigation.top.sortColumn ?? "-")")
            XCTAssertTrue(console.followsTop)
        }
    }

    /// A command that takes nothing refuses what follows it instead of ignoring it.
    func testACommandWithoutArgumentsRefusesExtraWords() {
        let (console, _) = Self.fixture()
        XCTAssertEqual(console.run(command: "quit now"), [])
        XCTAssertEqual(console.message?.role, .warning)
        XCTAssertTrue(console.message?.text.hasPrefix("usage: quit") == true, console.message?.text ?? "")
        XCTAssertEqual(console.run(command: "quit"), [.quit])
        XCTAssertEqual(console.run(command: "q"), [.quit])
    }

    /// `:export` takes the rest of the line as its path: a name with a space is written as
    /// typed, not as its first word (`weekly`, JSON, whatever the extension said).
    func testExportTakesAPathWithSpacesWhole() {
        let (console, _) = Self.fixture()
        XCTAssertEqual(console.run(command: "export weekly report.csv"), [.exportCases(path: "weekly report.csv", caseIDs: nil)])
        XCTAssertEqual(console.run(command: "export"), [])
        XCTAssertEqual(console.message?.role, .warning)
    }

    /// A path or a note is the rest of the line as typed: two spaces inside stay two, and only
    /// the spaces at either end go.
    func testAPathOrANoteKeepsItsInnerSpaces() {
        let (console, _) = Self.fixture()
        let store = MemoryCaseStore()
        console.caseStore = store
        XCTAssertEqual(console.run(command: "export my  report.json"), [.exportCases(path: "my  report.json", caseIDs: nil)])
        XCTAssertEqual(console.run(command: "  export   my  report.json  "), [.exportCases(path: "my  report.json", caseIDs: nil)])
        _ = console.run(command: "note see  ticket 42 ")
        XCTAssertEqual(store.records.first?.decisions.last?.note, "see  ticket 42")
        _ = console.run(command: "clear eval-lab card  shared  card")
        XCTAssertEqual(store.records.first?.decisions.last?.note, "shared  card")
        XCTAssertEqual(store.records.first?.decisions.last?.scope, .card)
        _ = console.run(command: "snooze 6h  back  later")
        XCTAssertEqual(store.records.first?.decisions.last?.note, "back  later")
        _ = console.run(command: "suspect  farm  of 36")
        XCTAssertEqual(store.records.first?.decisions.last?.note, "farm  of 36")
    }

    /// Without UTF-8 the token arrow reads as the header's does.
    func testAsciiTerminalsWriteTheTokenArrowAsTheHeaderDoes() {
        let (console, _) = Self.fixture()
        _ = console.handle(.enter)
        var g = ScreenGrid(width: 100, height: 24, unicode: false)
        console.render(into: &g)
        let rows = (0..<24).map { g.text(row: $0) }
        XCTAssertTrue(rows.contains { $0.contains("IN->OUT avg") }, rows.joined(separator: "\n"))
        XCTAssertTrue(rows.contains { $0.contains("200->3.0k") }, rows.joined(separator: "\n"))
    }

    /// A session that runs past midnight shows the date beside each time of day.
    func testExchangesOfASessionOverSeveralDaysShowTheirDate() {
        let (console, source) = Self.fixture()
        let inspector = ExchangeInspector(maxSessions: 2, maxExchangesPerSession: 4)
        for (i, t) in [Self.t0, Self.t0 + 12 * Self.hour].enumerated() {
            inspector.record(Exchange(ts: t, accountID: "night-1", requestID: "n\(i)", sessionID: "s-9", model: "m1", httpStatus: 200, promptText: "p"))
        }
        source.sessionList["night-1"] = inspector.sessions("night-1")
        let times = console.exchangeTable(account: "night-1", session: "s-9").rows.map { row -> String in
            if case .text(let t, _) = row.cells[1] { return t }
            return ""
        }
        XCTAssertEqual(times, ["04-12 13:20:00.000", "04-13 01:20:00.000"])
        let oneDay = console.exchangeTable(account: "farm-1", session: "s-1").rows.map { row -> String in
            if case .text(let t, _) = row.cells[1] { return t }
            return ""
        }
        XCTAssertEqual(oneDay.first?.count, 12, "within one day the time of day is enough: \(oneDay)")
    }

    func testDrillDownToOneExchangeAndBackWithBreadcrumbs() {
        let (console, source) = Self.fixture()
        _ = console.handle(.enter)
        var g = render(console)
        XCTAssertEqual(g.text(row: 1), " Clusters › cluster farm-1                                                 1/2  sort exchanges desc")
        XCTAssertEqual(g.text(row: 2), " suspect  risk 0.97  2 accounts  240 exchanges  first 04-12 13:20  flagged 04-12 14:20")
        XCTAssertEqual(g.text(row: 3), "ACCOUNT        RATE/h 48h      EXCH▼  IN→OUT avg  COT CARDS        IPS              ANALYST")
        XCTAssertEqual(g.text(row: 4), "farm-1          ▁▂▃▄▅▆▇█    8    120    200→3.0k  90% pm_A         198.51.100.7     -")
        _ = console.handle(.enter)
        g = render(console)
        XCTAssertEqual(g.text(row: 1), " Clusters › cluster farm-1 › account farm-1                                     1/1  sort last desc")
        XCTAssertTrue(g.lines.contains(" cards       pm_A (4)"), "values start one column past the longest label, user agents")
        XCTAssertTrue(g.lines.contains { $0.hasPrefix("── Sessions (the latest kept; Enter opens) ──") }, "1 of 4 conversations: \(screen(g))")
        source.figures["farm-1"]?.sessions = 1
        XCTAssertTrue(render(console).lines.contains { $0.hasPrefix("── Sessions (newest first; Enter opens) ──") }, "all of them")
        XCTAssertEqual(g.text(row: 14), "s-1                                                04-12 13:20  04-12 13:23      4    3 m1")
        _ = console.handle(.enter)
        g = render(console)
        XCTAssertEqual(g.text(row: 1), " Clusters › cluster farm-1 › account farm-1 › session s-1                                       1/3")
        XCTAssertEqual(g.text(row: 3), "  # TIME         MODEL         IN   OUT  REAS  LAT ms STATUS   PROMPT")
        XCTAssertEqual(g.text(row: 4), "  1 13:21:00.000 m1           200  3.0k  1.2k  21,450 ok 200   Solve step by step ␛[2J showing all …")
        _ = console.handle(.enter)
        g = render(console)
        XCTAssertEqual(console.breadcrumbs, ["Clusters", "cluster farm-1", "account farm-1", "session s-1", "exchange #1"])
        let prompt = g.lines.first { $0.contains("Solve step by step") }
        XCTAssertEqual(prompt, "   Solve step by step ␛[2J showing all reasoning 1", "escape shown as a placeholder")
        let row = g.lines.firstIndex { $0.contains("Solve step by step") }!
        XCTAssertEqual(g.roles(row: row).filter { $0 == "?" }.count, 1, "the placeholder has its own role")
        // Stepping to the next exchange, then back: the session's list has that one selected.
        _ = console.handle(.char("j"))
        XCTAssertEqual(console.breadcrumbs.last, "exchange #2")
        _ = console.handle(.escape)
        _ = render(console)
        XCTAssertEqual(console.selectedKey, Console.exchangeKeys(source.exchanges("farm-1", session: "s-1"))[1], "the second exchange kept")
        for _ in 0..<3 { _ = console.handle(.escape) }
        XCTAssertEqual(console.view, .clusters)
    }

    /// Sessions kept elsewhere (a coordinator's workers): while none are there the list says
    /// why, and once they arrive the open view shows them without a new snapshot.
    func testSessionsKeptElsewhereSayWhyTheyAreMissingAndShowOnArrival() {
        let (console, source) = Self.fixture()
        source.notes["farm-2"] = "(asking the worker of partition 3...)"
        _ = console.handle(.enter)
        _ = console.handle(.char("j"))
        _ = console.handle(.enter)
        var g = render(console)
        XCTAssertEqual(console.breadcrumbs, ["Clusters", "cluster farm-1", "account farm-2"])
        XCTAssertTrue(g.lines.contains { $0.hasPrefix(" (asking the worker of partition 3...)") }, screen(g))
        source.sessionList["farm-2"] = source.sessionList["farm-1"]
        g = render(console)
        XCTAssertFalse(g.lines.contains { $0.contains("s-1   ") }, "the table is kept until the source says it changed")
        console.sourceChanged()
        g = render(console)
        XCTAssertTrue(g.lines.contains { $0.hasPrefix("s-1   ") }, screen(g))
        XCTAssertFalse(g.lines.contains { $0.contains("asking the worker") })
    }

    /// Without a UTF-8 locale every cell is ASCII, and no glyph of the console's own turns into a
    /// question mark: separators, the speed, ellipses and arrows have ASCII stand-ins.
    func testWithoutUTF8EveryGlyphHasAnASCIIStandIn() {
        let (console, _) = Self.fixture()
        func renderASCII() -> ScreenGrid {
            var g = ScreenGrid(width: 120, height: 40, unicode: false)
            console.render(into: &g)
            return g
        }
        var g = renderASCII()
        XCTAssertEqual(g.text(row: 0), " DistillWatch | REPLAY x3600 | 2026-04-12 18:20:00Z | 1 suspect . 1 watch | 10k/s | 1.2k ex | rej 3 | demo.ndjson.gz")
        // The main view, the help, and each level of the drill-down down to one exchange.
        var screens = [g]
        _ = console.handle(.char("?"))
        screens.append(renderASCII())
        _ = console.handle(.escape)
        for _ in 0..<4 {
            _ = console.handle(.enter)
            screens.append(renderASCII())
        }
        for screen in screens {
            for line in screen.lines {
                XCTAssertTrue(line.unicodeScalars.allSatisfy { $0.value < 0x80 }, "not ASCII: \(line)")
                // The help key is the one question mark the console writes itself.
                let keys = ["? help", "Esc, ? or q closes", "?  "]
                XCTAssertFalse(keys.reduce(line) { $0.replacingOccurrences(of: $1, with: "") }.contains("?"),
                               "a glyph without a stand-in: \(line)")
            }
        }
        g = screens.last!
        XCTAssertTrue(g.lines.contains("   Solve step by step ^[[2J showing all reasoning 1"), g.lines.joined(separator: "\n"))
    }

    func testQInTheHelpClosesItInsteadOfQuitting() {
        let (console, _) = Self.fixture()
        _ = console.handle(.char("?"))
        XCTAssertEqual(console.view, .help)
        XCTAssertTrue(console.handle(.char("q")).isEmpty, "no quit effect from the help")
        XCTAssertEqual(console.view, .clusters)
        XCTAssertTrue(console.handle(.char("q")).contains { if case .quit = $0 { return true } else { return false } }, "q quits from the table")
    }

    func testStoppingAtASuspectMomentSelectsTheClusterAndSaysWhatChanged() {
        let (console, _) = Self.fixture()
        _ = console.handle(.down)
        XCTAssertEqual(console.selectedKey, "lab-3")
        console.showNewlySuspect(at: Self.t0 + Self.hour)
        XCTAssertEqual(console.selectedKey, "farm-1", "the cluster flagged at that moment is selected")
        XCTAssertEqual(console.message?.text, "farm-1 became suspect (risk 0.97, 2 accounts) at 2026-04-12 14:20:00Z; paused, Space resumes")
        // A moment at which nothing in view was flagged still says where the replay stopped.
        console.showNewlySuspect(at: Self.t0 + 3 * Self.hour)
        XCTAssertEqual(console.selectedKey, "farm-1")
        XCTAssertEqual(console.message?.text.hasPrefix("paused at 2026-04-12 16:20:00Z, where accounts were flagged"), true, console.message?.text ?? "")
    }

    func testStoppingWhereAccountsJoinedASuspectClusterNamesIt() {
        let (console, _) = Self.fixture()
        // farm-1 was flagged at t0 + 1 h; farm-3 joined it at t0 + 2 h.
        let members = [MemberFigures(account: "farm-1", firstSeen: Self.t0, lastSeen: Self.t0 + 5 * Self.hour, exchanges: 120, flaggedAt: Self.t0 + Self.hour),
                       MemberFigures(account: "farm-3", firstSeen: Self.t0, lastSeen: Self.t0 + 5 * Self.hour, exchanges: 60, flaggedAt: Self.t0 + 2 * Self.hour)]
        let farm = ClusterSnapshot.make(key: "farm-1", verdict: .suspect, risk: 0.98, accounts: ["farm-1", "farm-3"], exchanges: 180,
                                        firstSeen: Self.t0, lastSeen: Self.t0 + 5 * Self.hour, flaggedAt: Self.t0 + Self.hour, members: members)
        let other = ClusterSnapshot.make(key: "lab-3", verdict: .watch, risk: 0.55, accounts: ["lab-3"], exchanges: 900,
                                         firstSeen: Self.t0, lastSeen: Self.t0 + 5 * Self.hour)
        console.update(snapshot: Snapshot.make(streamTime: Self.t0 + 5 * Self.hour, streamStart: Self.t0, exchanges: 1080, accounts: 3,
                                               clusters: [other, farm], minuteRate: []))
        _ = console.handle(.down)
        console.showNewlySuspect(at: Self.t0 + 2 * Self.hour)
        XCTAssertEqual(console.selectedKey, "farm-1", "the cluster the accounts joined is selected")
        XCTAssertEqual(console.message?.text, "1 account joined suspect cluster farm-1 (risk 0.98, 2 accounts) at 2026-04-12 15:20:00Z; paused, Space resumes")
    }

    func testFilterInvertsAndStepsThroughMatches() {
        let (console, _) = Self.fixture()
        for k in "/pm_A" { _ = console.handle(.char(k)) }
        XCTAssertEqual(render(console).text(row: 23), "/pm_A▏")
        _ = console.handle(.enter)
        XCTAssertEqual(console.currentTable()?.model.rows.map(\.key), ["farm-1"], "card values from the inspector are searchable")
        XCTAssertTrue(render(console).text(row: 1).contains("filter 'pm_A'"), "said as typed, matched in any case: \(render(console).text(row: 1))")
        _ = console.run(command: "filter !farm")
        XCTAssertEqual(console.currentTable()?.model.rows.map(\.key), ["lab-3", "dev-7"])
        _ = console.handle(.char("n"))
        XCTAssertEqual(console.selectedKey, "dev-7")
        XCTAssertEqual(console.message?.text, "match 2 of 2 for '!farm'")
        _ = console.handle(.char("N"))
        XCTAssertEqual(console.selectedKey, "lab-3")
        _ = console.handle(.escape)
        XCTAssertEqual(console.currentTable()?.model.rows.count, 3)
        // Below the cluster list Esc also clears the filter first, as the hint says; then goes back.
        XCTAssertEqual(console.selectedKey, "lab-3")
        _ = console.handle(.enter)
        _ = console.run(command: "filter lab-4")
        XCTAssertEqual(console.message?.text, "1 of 3 rows match 'lab-4' — n/N step, Esc clears")
        _ = console.handle(.escape)
        XCTAssertEqual(console.currentTable()?.model.rows.count, 3, "the filter is cleared, the level kept")
        XCTAssertEqual(console.navigation.depth, 2)
        XCTAssertEqual(console.message?.text, "filter cleared")
        _ = console.handle(.escape)
        XCTAssertEqual(console.currentTable()?.model.rows.count, 3, "then back to the cluster list")
    }

    func testSortByKeyAndByCommand() {
        let (console, _) = Self.fixture()
        XCTAssertTrue(console.run(command: "sort exch").isEmpty)
        XCTAssertEqual(console.currentTable()?.model.rows.map(\.key), ["lab-3", "farm-1", "dev-7"])
        _ = console.run(command: "sort cluster")
        XCTAssertEqual(console.currentTable()?.model.rows.map(\.key), ["dev-7", "farm-1", "lab-3"])
        _ = console.run(command: "sort accounts asc")
        XCTAssertEqual(console.currentTable()?.model.rows.map(\.key), ["dev-7", "farm-1", "lab-3"])
        _ = console.run(command: "sort nonsense")
        XCTAssertEqual(console.message?.role, .warning)
        _ = console.handle(.char("s"))
        XCTAssertNotNil(console.message?.text.hasPrefix("sorted by"))
        // A direction that is neither is refused, not read as the default.
        _ = console.run(command: "sort risk asc")
        _ = console.run(command: "sort exchanges sideways")
        XCTAssertEqual(console.message?.role, .warning)
        XCTAssertEqual(console.navigation.top.sortColumn, "risk")
        XCTAssertFalse(console.navigation.top.descending)
        // `s` steps only through columns the terminal shows, and never the untitled mark column.
        _ = render(console, 60, 20)
        let columns = console.currentTable()!.model.columns
        let shown = Set(TableWidget.layout(columns, width: 60).map { columns[$0.index].id })
        XCTAssertFalse(shown.contains("first"), "FIRST SEEN does not fit in 60 columns")
        var visited = Set<String>()
        for _ in 0..<(2 * columns.count) {
            _ = console.handle(.char("s"))
            visited.insert(console.navigation.top.sortColumn ?? "-")
        }
        XCTAssertEqual(visited, shown.subtracting(["trend"]))
    }

    func testDecisionsGoToTheStoreShowAtOnceAndUndo() {
        let (console, _) = Self.fixture()
        let store = MemoryCaseStore()
        console.caseStore = store
        console.analyst = "alice"
        _ = console.handle(.char("j"))
        _ = console.handle(.char("S"))
        XCTAssertEqual(store.records.count, 1)
        XCTAssertEqual(store.records[0].verdict, .suspect)
        XCTAssertEqual(store.records[0].decisions[0].analyst, "alice")
        XCTAssertEqual(store.records[0].evidence.accounts, ["lab-3", "lab-4", "lab-5"])
        var g = render(console)
        XCTAssertTrue(g.text(row: 5).hasSuffix("suspect"), g.text(row: 5))
        XCTAssertTrue(console.message?.text.contains("saved") ?? false)
        // The detector says watch; the analyst's suspect pins the verdict column.
        XCTAssertTrue(g.text(row: 5).contains("suspect 0.55"), g.text(row: 5))
        XCTAssertFalse(g.lines.joined().contains("not saved"))
        _ = console.handle(.char("a"))
        for k in "lab bench" { _ = console.handle(.char(k)) }
        _ = console.handle(.enter)
        XCTAssertEqual(store.records[0].notes.map(\.note), ["lab bench"])
        g = render(console)
        XCTAssertTrue(g.text(row: 5).hasSuffix("suspect✎"))
        XCTAssertTrue(g.lines.contains { $0.contains("case #1 suspect") }, g.lines.joined(separator: "\n"))
        XCTAssertTrue(g.lines.contains { $0.contains("“lab bench”") })
        _ = console.handle(.char("u"))
        _ = console.handle(.char("u"))
        XCTAssertNil(console.book.record(.cluster, "lab-3")?.verdict)
        // Undos are history, not erasure.
        XCTAssertEqual(store.records[0].decisions.map(\.action), [.suspect, .note, .undo, .undo])
        XCTAssertEqual(g.text(row: 0).contains("1 case") || g.text(row: 0).hasSuffix("…"), true)
    }

    /// A paused replay's clock can stand past the newest exchange read: a snooze is set and
    /// judged against the time the status bar shows, not the older one nobody sees.
    func testSnoozeIsJudgedAgainstTheClockTheStatusBarShows() {
        let (console, _) = Self.fixture()
        let store = MemoryCaseStore()
        console.caseStore = store
        _ = console.handle(.char("j"))
        let newest = console.snapshot.streamTime!
        let shown = newest - newest % 60_000 + 30 * 60_000
        console.status.clock = shown
        XCTAssertTrue(render(console).text(row: 0).contains(Format.clock(shown)), render(console).text(row: 0))
        let between = shown - 10 * 60_000
        _ = console.run(command: "snooze " + String(Timestamp.format(between).prefix(16)) + "Z")
        XCTAssertEqual(console.message?.role, .warning)
        XCTAssertTrue(console.message?.text.contains("not after the stream's time \(Format.clock(shown))") == true, console.message?.text ?? "")
        XCTAssertTrue(store.records.isEmpty, "a moment already past on screen is refused")
        _ = console.run(command: "snooze 1h")
        XCTAssertEqual(store.records.first?.verdictDecision?.until, shown + Self.hour, "durations count from the clock shown")
        let key = store.records[0].subjectKey
        guard case .text(let before, _) = console.decisionText(.cluster, key) else { return XCTFail("no decision shown") }
        XCTAssertEqual(before, "snoozed")
        console.status.clock = shown + 2 * Self.hour
        guard case .text(let after, _) = console.decisionText(.cluster, key) else { return XCTFail("no decision shown") }
        XCTAssertEqual(after, "due", "due once the clock shown has passed it, before any newer exchange is read")
    }

    func testClearNeedsAReasonAndItsScopeMakesTheAllowlist() {
        let (console, _) = Self.fixture()
        let store = MemoryCaseStore()
        console.caseStore = store
        _ = console.handle(.char("j"))
        _ = console.handle(.char("C"))
        XCTAssertEqual(console.input, .command("clear "))
        XCTAssertEqual(console.run(command: "clear lunch"), [])
        XCTAssertEqual(console.message?.role, .warning)
        XCTAssertTrue(store.records.isEmpty)
        // A scope cut short or in the plural is refused, not taken into the note.
        for typo in ["ca", "acc", "orgs"] {
            _ = console.run(command: "clear eval-lab \(typo) students of CS101")
            XCTAssertEqual(console.message?.role, .warning, typo)
            XCTAssertTrue(console.message?.text.contains("is not a scope") == true, console.message?.text ?? "")
            XCTAssertTrue(store.records.isEmpty, typo)
        }
        _ = console.run(command: "clear eval-lab account known benchmark harness")
        XCTAssertEqual(store.records[0].verdictDecision?.reason, .evalLab)
        XCTAssertEqual(store.records[0].verdictDecision?.scope, .account)
        XCTAssertEqual(store.records[0].verdictDecision?.note, "known benchmark harness")
        XCTAssertEqual(console.book.allowlist.accounts, ["lab-3", "lab-4", "lab-5"])
        XCTAssertTrue(render(console).text(row: 0).contains("3 allowlisted"), render(console).text(row: 0))
        _ = console.run(command: "snooze 6h")
        XCTAssertEqual(store.records[0].verdictDecision?.until, console.snapshot.streamTime! + 6 * Self.hour)
        XCTAssertTrue(console.book.allowlist.isEmpty, "a later verdict replaces the clear")
        // A moment as :goto takes it; one already past is refused with the reason, not the usage.
        let later = console.snapshot.streamTime! + 30 * Self.hour
        _ = console.run(command: "snooze " + String(Timestamp.format(later - later % 60_000).prefix(16)) + "Z")
        XCTAssertEqual(store.records[0].verdictDecision?.until, later - later % 60_000)
        let decisions = store.records[0].decisions.count
        _ = console.run(command: "snooze " + String(Timestamp.format(Self.t0).prefix(16)) + "Z")
        XCTAssertEqual(console.message?.role, .warning)
        XCTAssertTrue(console.message?.text.contains("is not after the stream's time") == true, console.message?.text ?? "")
        XCTAssertEqual(store.records[0].decisions.count, decisions, "nothing recorded")
    }

    func testAFailingJournalKeepsTheDecisionPendingAndRetries() {
        let (console, _) = Self.fixture()
        let store = MemoryCaseStore()
        console.caseStore = store
        store.failure = "the disk holding the case journal /x is full"
        _ = console.handle(.char("S"))
        XCTAssertTrue(store.records.isEmpty)
        XCTAssertEqual(console.pending.count, 1)
        XCTAssertEqual(console.message?.role, .warning)
        XCTAssertTrue(console.message?.text.contains("NOT saved") ?? false)
        let g = render(console)
        XCTAssertTrue(g.text(row: 0).contains("JOURNAL ERROR, 1 pending"), g.text(row: 0))
        console.update(snapshot: console.snapshot)
        XCTAssertEqual(console.pending.count, 1, "still failing")
        store.failure = nil
        console.update(snapshot: console.snapshot)
        XCTAssertTrue(console.pending.isEmpty)
        XCTAssertEqual(store.records.first?.verdict, .suspect)
        XCTAssertNil(console.journalError)
    }

    func testAReadOnlyJournalShowsDecisionsAndRefusesNewOnes() {
        let (console, _) = Self.fixture()
        let store = MemoryCaseStore()
        console.caseStore = store
        _ = console.handle(.char("S"))
        XCTAssertEqual(store.records.count, 1)
        // The same journal, opened by a console that may only read it.
        let (reader, _) = Self.fixture()
        reader.journalReadOnly = true
        reader.caseStore = store
        XCTAssertEqual(reader.book.count, 1, "the recorded decision is shown")
        _ = reader.handle(.char("j"))
        _ = reader.handle(.char("W"))
        XCTAssertEqual(store.records.count, 1, "nothing is written")
        XCTAssertTrue(reader.pending.isEmpty, "nor queued to retry")
        XCTAssertEqual(reader.message?.role, .warning)
        XCTAssertTrue(reader.message?.text.contains("read-only") ?? false, reader.message?.text ?? "")
        XCTAssertTrue(render(reader).text(row: 0).contains("JOURNAL READ-ONLY"), render(reader).text(row: 0))
    }

    func testACaseFollowsItsClusterAndMarksNewAccounts() {
        let (console, _) = Self.fixture()
        let store = MemoryCaseStore()
        console.caseStore = store
        _ = console.handle(.char("j"))
        _ = console.handle(.char("S"))
        // The cluster gains an earlier account (new key) and a newcomer.
        var snap = console.snapshot
        snap.clusters[1].key = "lab-2"
        snap.clusters[1].accounts = ["lab-2", "lab-3", "lab-4", "lab-5"]
        console.update(snapshot: snap)
        XCTAssertEqual(console.book.record(.cluster, "lab-2")?.id, store.records[0].id)
        // A fresh console on the same store (a restart) finds it too.
        let (restarted, _) = Self.fixture()
        restarted.caseStore = store
        restarted.update(snapshot: snap)
        XCTAssertEqual(restarted.book.record(.cluster, "lab-2")?.verdict, .suspect)
        _ = restarted.handle(.char("j"))
        XCTAssertEqual(restarted.selectedKey, "lab-2")
        _ = restarted.handle(.enter)
        let rows = restarted.currentTable()!.model.rows
        let newRow = rows.first { $0.key == "lab-2" }!
        XCTAssertEqual(newRow.cells.last, .text("new", .newMark))
        XCTAssertEqual(rows.first { $0.key == "lab-4" }!.cells.last, .text("-", .muted))
    }

    func testAccountDecisionsAndAnotherConsolesWrites() {
        let (console, _) = Self.fixture()
        let store = MemoryCaseStore()
        console.caseStore = store
        _ = console.handle(.enter)  // the farm's accounts
        XCTAssertEqual(console.selectedKey, "farm-1")
        _ = console.run(command: "watch shares a card with farm-2")
        XCTAssertEqual(store.records[0].subject, .account)
        XCTAssertEqual(store.records[0].subjectKey, "farm-1")
        XCTAssertEqual(console.currentTable()?.model.rows.first { $0.key == "farm-1" }?.cells.last, .text("watch✎", .watch))
        var g = render(console)
        XCTAssertTrue(g.lines.contains { $0.contains("case #1 watch") }, g.lines.joined(separator: "\n"))
        // Another console (another analyst) decides on the farm cluster: this one shows it after a tick.
        _ = try! store.commit(DecisionRequest(caseID: nil, subject: .cluster, subjectKey: "farm-1", action: .suspect, analyst: "bob", wallTime: 1,
                                              streamTime: nil, evidence: CaseEvidence(accounts: ["farm-1", "farm-2"])))
        store.externalWrite = true
        XCTAssertTrue(console.retryPending())
        XCTAssertEqual(console.book.record(.cluster, "farm-1")?.verdict, .suspect)
        // u undoes this analyst's own decision, not bob's.
        _ = console.handle(.char("u"))
        XCTAssertNil(console.book.record(.account, "farm-1")?.verdict)
        XCTAssertEqual(console.book.record(.cluster, "farm-1")?.verdict, .suspect)
        _ = console.handle(.char("u"))
        XCTAssertEqual(console.message?.text, "nothing to undo")
        g = render(console)
        XCTAssertEqual(console.book.count, 2)
        XCTAssertTrue(g.text(row: 0).contains("2 cases"), g.text(row: 0))
    }

    /// The `:` commands are a table: help, completion and the hint for an unknown word come
    /// from it, so every command is documented and completable.
    func testEveryCommandIsInTheHelpAndCompletes() {
        let (console, _) = Self.fixture()
        console.availableThemes = ["dark", "light"]
        let help = console.helpLines().map { $0.map(\.text).joined() }
        for command in Console.commands {
            XCTAssertTrue(help.contains { $0.contains(command.usage) && $0.contains(command.help(console)) }, command.usage)
            XCTAssertEqual(console.completions(for: String(command.name.prefix(3))).contains(command.name), true, command.name)
        }
        _ = console.run(command: "frobnicate")
        for command in Console.commands { XCTAssertTrue(console.message?.text.contains(command.name) == true, command.name) }
        XCTAssertEqual(console.completions(for: "clear ev"), ["eval-lab"])
        XCTAssertEqual(console.completions(for: "clear eval-lab ac"), ["account"])
        XCTAssertEqual(console.completions(for: "theme l"), ["light"])
        XCTAssertEqual(console.run(command: "exit"), [.quit], "an alias")
    }

    func testHelpIsGeneratedFromTheKeymapAndCommandsWork() {
        let (console, _) = Self.fixture()
        _ = console.handle(.char("?"))
        let g = render(console, 100, 90)  // tall enough for every line of help
        XCTAssertEqual(console.view, .help)
        for b in Keymap.standard.bindings { XCTAssertTrue(g.lines.contains { $0.contains(b.description) }, b.description) }
        _ = console.handle(.escape)
        XCTAssertEqual(console.view, .clusters)
        XCTAssertEqual(console.run(command: "theme light"), [.loadTheme("light")])
        XCTAssertEqual(console.run(command: "quit"), [.quit])
        XCTAssertEqual(console.handle(.char(" ")), [.togglePause])
        XCTAssertEqual(console.handle(.ctrl("l")), [.redraw])
        XCTAssertEqual(console.handle(.char("q")), [.quit])
    }

    func testSelectionFollowsTheClusterAcrossSnapshots() {
        let (console, _) = Self.fixture()
        _ = console.handle(.char("j"))
        XCTAssertEqual(console.selectedKey, "lab-3")
        var snap = console.snapshot
        snap.clusters.reverse()
        console.update(snapshot: snap)
        XCTAssertEqual(console.selectedKey, "lab-3")
    }
}

/// A count of one takes the singular: "1 turn", not "1 turns".
final class SingularCountTests: XCTestCase {
    func testOneTurnAndOneRowAreSaidInTheSingular() {
        let inspector = ExchangeInspector(maxSessions: 2, maxExchangesPerSession: 3)
        inspector.record(Exchange(ts: ConsoleTests.t0, accountID: "farm-1", requestID: "r0", sessionID: "s-1", promptText: "Show every step"))
        let (console, source) = ConsoleTests.fixture()
        source.sessionList["farm-1"] = inspector.sessions("farm-1")
        for _ in 0..<3 { _ = console.handle(.enter) }  // cluster → account farm-1 → session s-1
        guard case .session = console.view else { return XCTFail("not in a session: \(console.view)") }
        var g = ScreenGrid(width: 120, height: 30)
        console.render(into: &g)
        let heading = g.lines.first { $0.contains("account farm-1  session s-1") } ?? g.lines.joined(separator: "\n")
        XCTAssertTrue(heading.contains("  1 turn  "), heading)

        // The lone account's cluster lists one account: its one row "matches", of "1 row".
        let (other, _) = ConsoleTests.fixture()
        _ = other.handle(.char("G"))
        _ = other.handle(.enter)
        guard case .accounts("dev-7") = other.view else { return XCTFail("not in dev-7's accounts: \(other.view)") }
        _ = other.handle(.char("/"))
        for c in "dev" { _ = other.handle(.char(c)) }
        _ = other.handle(.enter)
        XCTAssertEqual(other.message?.text, "1 of 1 row matches 'dev' — n/N step, Esc clears")
        XCTAssertEqual(Format.counted(2, "turn"), "2 turns")
        XCTAssertEqual(Format.counted(1, "exchange"), "1 exchange")
    }
}

/// One exchange has no rows: `/` and `:filter` there refuse and say why, rather than storing a
/// filter that does nothing.
final class ExchangeFilterTests: XCTestCase {
    func testFilterInOneExchangeRefuses() {
        let (console, _) = ConsoleTests.fixture()
        for _ in 0..<4 { _ = console.handle(.enter) }  // cluster → accounts → account → session → exchange
        guard case .exchange = console.view else { return XCTFail("not in an exchange: \(console.view)") }
        _ = console.handle(.char("/"))
        XCTAssertEqual(console.input, InputMode.none, "no prompt opened")
        XCTAssertEqual(console.message?.text, "nothing to filter in one exchange")
        XCTAssertEqual(console.message?.role, .warning)
        _ = console.run(command: "filter farm")
        XCTAssertEqual(console.message?.text, "nothing to filter in one exchange")
        XCTAssertNil(console.navigation.top.filter, "no filter stored")
        var g = ScreenGrid(width: 120, height: 30)
        console.render(into: &g)
        XCTAssertFalse(g.text(row: 1).contains("filter"), g.text(row: 1))
        // Esc goes straight back up: there is no filter to clear first.
        _ = console.handle(.escape)
        guard case .session = console.view else { return XCTFail("not back in the session: \(console.view)") }
        // The rejected lines are text too, with nothing to filter.
        _ = console.handle(.char("R"))
        XCTAssertEqual(console.view, .rejected)
        _ = console.handle(.char("/"))
        XCTAssertEqual(console.input, InputMode.none)
        XCTAssertEqual(console.message?.text, "nothing to filter in the rejected lines")
    }
}
