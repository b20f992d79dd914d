import XCTest
@testable import DistillConsole

/// The footer's key bar: help and quit at every width, the rest by rank, nothing cut.
final class FooterTests: XCTestCase {
    func render(_ width: Int, _ height: Int) -> ScreenGrid {
        let (console, _) = ConsoleTests.fixture()
        var g = ScreenGrid(width: width, height: height)
        console.render(into: &g)
        return g
    }

    /// The top list with no filter: every key acts but back.
    static func offeredAtTop(_ action: Action) -> Bool { action != .back }

    func testFooterShowsHelpAndQuitAndOnlyWholeEntriesAtCommonSizes() {
        let keymap = Keymap.standard
        for (w, h) in [(80, 24), (120, 40), (200, 60)] {
            let g = render(w, h)
            let footer = g.text(row: h - 1)
            XCTAssertTrue(footer.contains("? help"), "\(w)x\(h): \(footer)")
            XCTAssertTrue(footer.contains("q quit"), "\(w)x\(h): \(footer)")
            XCTAssertFalse(footer.contains("…"), "\(w)x\(h): an entry was cut: \(footer)")
            // The row is exactly the chosen entries, each whole, and fits the width.
            let entries = keymap.footerEntries(fitting: w, offered: Self.offeredAtTop)
            let expected = entries.map { " \($0.key) \($0.text) " }.joined()
            XCTAssertEqual(footer, String(expected.dropLast()), "\(w)x\(h)")
            XCTAssertLessThanOrEqual(TextWidth.width(of: expected), w, "\(w)x\(h)")
            // Key names in the key role, the rest in the footer role, to the last column.
            let roles = g.roles(row: h - 1)
            XCTAssertEqual(roles.count, w)
            XCTAssertTrue(roles.allSatisfy { $0 == "k" || $0 == "f" }, "\(w)x\(h): \(roles)")
            XCTAssertEqual(roles.filter { $0 == "k" }.count, entries.reduce(0) { $0 + 1 + TextWidth.width(of: $1.key) }, "\(w)x\(h)")
            XCTAssertTrue(g.lines.allSatisfy { TextWidth.width(of: $0) <= w }, "\(w)x\(h): a row overflows")
        }
    }

    func testFooterAt80ColumnsKeepsTheMostImportantKeys() {
        let g = render(80, 24)
        XCTAssertEqual(g.text(row: 23), " Enter open  / filter  S suspect  W watch  C clear  Space pause  ? help  q quit")
    }

    func testFooterAt200ColumnsShowsEveryEntry() {
        let g = render(200, 60)
        let footer = g.text(row: 59)
        for e in Keymap.standard.footerEntries() where e.text != "back" { XCTAssertTrue(footer.contains(" \(e.key) \(e.text)"), "\(e.text): \(footer)") }
        XCTAssertFalse(footer.contains("Esc back"), footer)
    }

    func testFooterChoiceFollowsRankAtEveryWidth() {
        let keymap = Keymap.standard
        let byRank = keymap.bindings.filter { $0.footer != nil }.sorted { $0.footerRank < $1.footerRank }.map { $0.footer! }
        XCTAssertEqual(Array(byRank.prefix(2)), ["help", "quit"])
        var previous: Set<String> = []
        for w in Console.minimumWidth...220 {
            let shown = keymap.footerEntries(fitting: w)
            let texts = shown.map(\.text)
            XCTAssertTrue(texts.contains("help") && texts.contains("quit"), "width \(w): \(texts)")
            XCTAssertLessThanOrEqual(shown.reduce(0) { $0 + Keymap.footerWidth(key: $1.key, text: $1.text) }, w, "width \(w)")
            // Shown entries are the best-ranked ones, listed in keymap order, and widening never hides one.
            XCTAssertEqual(Set(texts), Set(byRank.prefix(texts.count)), "width \(w)")
            XCTAssertEqual(texts, keymap.footerEntries().map(\.text).filter(Set(texts).contains), "width \(w)")
            XCTAssertTrue(previous.isSubset(of: Set(texts)), "width \(w)")
            previous = Set(texts)
        }
        XCTAssertEqual(keymap.footerEntries(fitting: 0).count, 0)
    }
}

/// In one exchange the footer lists only keys that act there: nothing opens, sorts or
/// filters, there is no other pane and no cluster whose ties `w` could show.
final class ExchangeFooterTests: XCTestCase {
    func testTheFooterInOneExchangeListsOnlyKeysThatAct() {
        let (console, _) = ConsoleTests.fixture()
        for _ in 0..<4 { _ = console.handle(.enter) }  // cluster → accounts → account → session → exchange
        guard case .exchange = console.view else { return XCTFail("not in an exchange: \(console.view)") }
        var g = ScreenGrid(width: 120, height: 30)
        console.render(into: &g)
        XCTAssertEqual(g.text(row: 29), " Esc back  S suspect  W watch  C clear  a note  u undo  e export  Space pause  ? help  : cmd  q quit")
        // The keys left out do nothing here: the view and the pane stay as they were.
        let before = console.navigation.levels
        for key in [Key.enter, .tab, .char("w"), .char("s")] {
            _ = console.handle(key)
            XCTAssertEqual(console.navigation.levels, before, "\(key) acted")
        }
        // The cluster list keeps every entry.
        for _ in 0..<4 { _ = console.handle(.escape) }
        console.render(into: &g)
        XCTAssertEqual(g.text(row: 29), String(Keymap.standard.footerEntries(fitting: 120, offered: FooterTests.offeredAtTop).map { " \($0.key) \($0.text) " }.joined().dropLast()))
    }
}

/// Every view's footer lists only the keys that act there: `w` where a cluster's accounts are
/// listed, open, sort and Tab where there are rows (and a pane beside them), decisions where
/// there is a cluster or an account to decide on.
final class FooterPerViewTests: XCTestCase {
    static let all = " Enter open  Esc back  Tab pane  w why  / filter  s sort  S suspect  W watch  C clear  a note  u undo  e export  Space pause  ? help  : cmd  q quit"
    static let noWhy = " Enter open  Esc back  Tab pane  / filter  s sort  S suspect  W watch  C clear  a note  u undo  e export  Space pause  ? help  : cmd  q quit"

    func footer(_ console: Console) -> String {
        var g = ScreenGrid(width: 220, height: 40)
        console.render(into: &g)
        return g.text(row: 39)
    }

    /// Asserts the footer, and that `w` opens the ties exactly where the footer lists it.
    func check(_ console: Console, _ expected: String, _ label: String, line: UInt = #line) {
        XCTAssertEqual(footer(console), expected, label, line: line)
        let before = console.navigation.levels.map(\.view)
        _ = console.handle(.char("w"))
        if expected.contains(" w why ") {
            guard case .ties = console.view else { return XCTFail("\(label): w did not open the ties", line: line) }
            _ = console.handle(.escape)
        } else {
            XCTAssertEqual(console.navigation.levels.map(\.view), before, "\(label): w acted", line: line)
        }
    }

    func testEachViewsFooterListsOnlyKeysThatAct() throws {
        let console = WhyTogetherTests.console()
        let rows = try XCTUnwrap(console.currentTable()).model.rows
        let i = try XCTUnwrap(rows.firstIndex { $0.key == "card-0" })
        for _ in 0..<i { _ = console.handle(.down) }
        XCTAssertEqual(console.selectedKey, "card-0")

        check(console, Self.all.replacingOccurrences(of: "  Esc back", with: ""), "clusters")
        _ = console.handle(.enter)
        check(console, Self.all, "accounts")
        _ = console.handle(.enter)
        guard case .account = console.view else { return XCTFail("not in an account: \(console.view)") }
        check(console, Self.noWhy, "account")
        _ = console.handle(.enter)
        guard case .session = console.view else { return XCTFail("not in a session: \(console.view)") }
        check(console, Self.noWhy, "session")
        // At 120 columns the room w left goes to s, as README.md's screens show.
        var narrow = ScreenGrid(width: 120, height: 40)
        console.render(into: &narrow)
        XCTAssertEqual(narrow.text(row: 39), " Enter open  Esc back  Tab pane  / filter  s sort  S suspect  W watch  C clear  Space pause  ? help  : cmd  q quit")
        _ = console.handle(.enter)
        guard case .exchange = console.view else { return XCTFail("not in an exchange: \(console.view)") }
        check(console, " Esc back  S suspect  W watch  C clear  a note  u undo  e export  Space pause  ? help  : cmd  q quit", "exchange")
        for _ in 0..<4 { _ = console.handle(.escape) }
        XCTAssertEqual(console.view, .clusters)

        _ = console.handle(.char("w"))
        XCTAssertEqual(console.view, .ties(cluster: "card-0"))
        check(console, Self.noWhy, "ties")
        _ = console.handle(.enter)
        guard case .sharedValue = console.view else { return XCTFail("not on a shared value: \(console.view)") }
        check(console, Self.noWhy, "shared value")
        _ = console.handle(.escape)
        // A list of a tie's values has rows but no pane beside them.
        let c = try XCTUnwrap(console.cluster("card-0", fallback: nil))
        var values = ViewState(view: .tieValues(cluster: "card-0", kind: try XCTUnwrap(console.tieDetails(c).first).kind))
        values.cluster = c
        console.navigation.push(values)
        check(console, " Enter open  Esc back  / filter  s sort  S suspect  W watch  C clear  a note  u undo  e export  Space pause  ? help  : cmd  q quit",
              "tie values")
        // Tab, not listed there, leaves the rows focused: the arrows still move the selection.
        _ = console.handle(.tab)
        XCTAssertEqual(console.navigation.top.pane, 0, "Tab focused a pane that is not there")
        for _ in 0..<2 { _ = console.handle(.escape) }
        XCTAssertEqual(console.view, .clusters)

        // The help is searched with /; it and the rejected lines have nothing to decide on.
        _ = console.handle(.char("?"))
        check(console, " Esc back  / filter  u undo  Space pause  ? help  : cmd  q quit", "help")
        _ = console.handle(.escape)
        _ = console.handle(.char("R"))
        XCTAssertEqual(console.view, .rejected)
        check(console, " Esc back  u undo  Space pause  ? help  : cmd  q quit", "rejected")
    }
}

/// Esc acts in the top list only on a filter in force: with none, back is not listed there.
final class BackFooterTests: XCTestCase {
    func testBackIsListedInTheTopListOnlyWhileAFilterIsInForce() {
        let console = WhyTogetherTests.console()
        func footer() -> String {
            var g = ScreenGrid(width: 220, height: 40)
            console.render(into: &g)
            return g.text(row: 39)
        }
        XCTAssertEqual(console.view, .clusters)
        XCTAssertFalse(footer().contains("Esc back"), footer())
        let before = console.navigation.levels
        _ = console.handle(.escape)
        XCTAssertEqual(console.navigation.levels, before, "Esc acted in the top list with no filter")
        // A filter in force: Esc clears it, and the footer says so.
        for key in [Key.char("/"), .char("c"), .enter] { _ = console.handle(key) }
        XCTAssertNotNil(console.navigation.top.filter)
        XCTAssertTrue(footer().contains("Esc back"), footer())
        _ = console.handle(.escape)
        XCTAssertNil(console.navigation.top.filter)
        XCTAssertFalse(footer().contains("Esc back"), footer())
        // One level down, Esc goes back up.
        _ = console.handle(.enter)
        XCTAssertTrue(footer().contains("Esc back"), footer())
    }
}
