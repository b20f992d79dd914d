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

    func testFooterShowsHelpAndQuitAndOnlyWholeEntriesAtCommonSizes() {
        let keymap = Keymap.standard
        for (w, h) in [(80, 24), (120, 40), (200, 60)] {
            let g = render(w, h)
            let footer = g.text(row: h - 1)
            XCTAssertTrue(footer.contains("? help"), "\(w)x\(h): \(footer)")
            XCTAssertTrue(footer.contains("q quit"), "\(w)x\(h): \(footer)")
            XCTAssertFalse(footer.contains("…"), "\(w)x\(h): an entry was cut: \(footer)")
            // The row is exactly the chosen entries, each whole, and fits the width.
            let entries = keymap.footerEntries(fitting: w)
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
        XCTAssertEqual(g.text(row: 23), " Enter open  Esc back  / filter  S suspect  Space pause  ? help  q quit")
    }

    func testFooterAt200ColumnsShowsEveryEntry() {
        let g = render(200, 60)
        let footer = g.text(row: 59)
        for e in Keymap.standard.footerEntries() { XCTAssertTrue(footer.contains(" \(e.key) \(e.text)"), "\(e.text): \(footer)") }
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
        XCTAssertEqual(g.text(row: 29), String(Keymap.standard.footerEntries(fitting: 120).map { " \($0.key) \($0.text) " }.joined().dropLast()))
    }
}
