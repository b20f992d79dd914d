import XCTest
@testable import DistillConsole

final class ThemeTests: XCTestCase {
    func testParseReportsUnknownKeysAndBadValuesWithLineNumbersAndKeepsDefaults() {
        let text = """
        # a comment
        background = "#000000"
        sparkle = "#123456"
        text = "red"
        theme[suspect]="#FF0000"
        """
        let (theme, problems) = Theme.parse(text, name: "mine")
        XCTAssertEqual(theme.name, "mine")
        XCTAssertEqual(theme[.background], RGB(0, 0, 0))
        XCTAssertEqual(theme[.suspect], RGB(255, 0, 0), "btop's theme[key] spelling is accepted")
        XCTAssertEqual(theme[.text], Theme.dark[.text], "a bad value keeps the default")
        XCTAssertEqual(theme[.muted], Theme.dark[.muted], "an unset key keeps the default")
        XCTAssertEqual(problems.map(\.line), [3, 4])
        XCTAssertTrue(problems[0].message.contains("unknown key 'sparkle'"))
    }

    func testShippedThemeFilesParseCleanlyAndMatchTheBuiltIns() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Themes")
        for builtIn in Theme.builtIn {
            let text = try String(contentsOf: dir.appendingPathComponent("\(builtIn.name).theme"), encoding: .utf8)
            let (theme, problems) = Theme.parse(text, name: builtIn.name)
            XCTAssertEqual(problems, [], builtIn.name)
            XCTAssertEqual(theme, builtIn, builtIn.name)
        }
    }

    func testEveryBuiltInThemeDefinesEveryKey() {
        for t in Theme.builtIn { XCTAssertEqual(Set(t.colors.keys), Set(ThemeKey.allCases), t.name) }
    }

    func testColoursDegradeFromTruecolorToNone() {
        let red = RGB(255, 0, 0)
        XCTAssertEqual(ColorDepth.truecolor.index(for: red), 0xFF0000)
        XCTAssertEqual(ColorDepth.palette256.index(for: red), 196)
        XCTAssertEqual(ColorDepth.palette256.index(for: RGB(128, 128, 128)), 244)
        XCTAssertEqual(ColorDepth.palette16.index(for: red), 9)
        XCTAssertEqual(ColorDepth.palette8.index(for: red), 1)
        XCTAssertNil(ColorDepth.none.index(for: red))
        XCTAssertEqual(ColorDepth.detect(hasColors: true, colors: 256, noColor: "1"), .none)
        XCTAssertEqual(ColorDepth.detect(hasColors: true, colors: 256, noColor: ""), .palette256)
        XCTAssertEqual(ColorDepth.detect(hasColors: true, colors: 0x100_0000, noColor: nil), .truecolor)
        XCTAssertEqual(ColorDepth.detect(hasColors: true, colors: 8, noColor: nil), .palette8)
        XCTAssertEqual(ColorDepth.detect(hasColors: false, colors: 256, noColor: nil), .none)
    }

    func testWithoutColourSelectionStillShowsAsReverse() {
        XCTAssertTrue(Theme.style(for: .selection).reverseWithoutColor)
        XCTAssertTrue(Theme.style(for: .statusBar).reverseWithoutColor)
    }
}

final class KeymapTests: XCTestCase {
    func testHelpAndFooterAreGeneratedFromTheKeymap() {
        let km = Keymap.standard
        let help = km.helpLines().filter { !$0.isGroup }
        XCTAssertEqual(help.count, km.bindings.count, "every binding appears in help once")
        for b in km.bindings {
            XCTAssertTrue(help.contains { $0.description == b.description && $0.keys.contains(b.keys[0].label) })
        }
        XCTAssertEqual(km.footerEntries().map(\.text), km.bindings.compactMap(\.footer))
    }

    func testNoKeyIsBoundTwiceAndTheIssueKeysAreBound() {
        var seen = Set<Key>()
        for b in Keymap.standard.bindings { for k in b.keys { XCTAssertTrue(seen.insert(k).inserted, "\(k) bound twice") } }
        let expected: [(Key, Action)] = [(.up, .moveUp), (.char("j"), .moveDown), (.pageDown, .pageDown), (.char("g"), .top), (.char("G"), .bottom),
                                         (.enter, .drillDown), (.escape, .back), (.tab, .nextPane), (.char("/"), .filter), (.char("n"), .nextMatch),
                                         (.char("N"), .previousMatch), (.char("s"), .cycleSort), (.char(" "), .togglePause), (.char("?"), .help),
                                         (.char(":"), .command), (.ctrl("l"), .redraw), (.char("q"), .quit), (.char("S"), .markSuspect),
                                         (.char("W"), .markWatch), (.char("C"), .markClear), (.char("a"), .addNote), (.char("u"), .undo)]
        for (k, a) in expected { XCTAssertEqual(Keymap.standard.action(for: k), a, "\(k)") }
    }
}
