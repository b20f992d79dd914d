import XCTest
import DistillCore
@testable import DistillConsole

/// The frame's layout is worked out from the screen and the navigation; drawing reads the
/// state and leaves it as it was, and keys page by the layout without a frame drawn first.
final class LayoutTests: XCTestCase {
    func testRectanglesCutWithoutOverlapAndNeverBelowZero() {
        let screen = Rect(x: 0, y: 0, width: 80, height: 24)
        let (top, rest) = screen.cutTop(2)
        XCTAssertEqual(top, Rect(x: 0, y: 0, width: 80, height: 2))
        XCTAssertEqual(rest, Rect(x: 0, y: 2, width: 80, height: 22))
        let (above, bottom) = rest.cutBottom(1)
        XCTAssertEqual(bottom.y, 23)
        XCTAssertEqual(above.bottom, bottom.y, "the parts meet")
        let (all, none) = bottom.cutTop(5)
        XCTAssertEqual(all, bottom, "asking for more rows than there are takes what there is")
        XCTAssertTrue(none.isEmpty)
        XCTAssertTrue(Rect(x: 0, y: 0, width: -3, height: 4).isEmpty)
        XCTAssertTrue(screen.contains(x: 79, y: 23))
        XCTAssertFalse(screen.contains(x: 80, y: 0))
    }

    /// Forty clusters, enough to scroll at any size tested.
    static func manyClusters() -> Console {
        let t0 = ConsoleTests.t0
        let clusters = (0..<40).map { i in
            ClusterSnapshot.make(key: String(format: "c-%02d", i), verdict: i < 5 ? .suspect : .clear, risk: 0.99 - Double(i) * 0.02,
                                 accounts: ["c-\(i)", "c-\(i)b"], exchanges: 100 + i, firstSeen: t0, lastSeen: t0 + 3_600_000)
        }
        let snap = Snapshot.make(streamTime: t0 + 3_600_000, streamStart: t0, exchanges: 5_000, accounts: 80, clusters: clusters,
                                 minuteRate: [1, 2, 3])
        return Console(snapshot: snap, status: FeedStatus(source: "test", mode: .live))
    }

    func testDrawingLeavesTheNavigationAsItWasAndDrawsTheSameFrameTwice() {
        let console = Self.manyClusters()
        console.resize(to: ScreenSize(width: 120, height: 40, unicode: true))
        for key: Key in [.down, .down, .pageDown, .tab, .down] { _ = console.handle(key) }
        let before = console.navigation
        var first = ScreenGrid(width: 120, height: 40)
        console.render(into: &first)
        XCTAssertEqual(console.navigation, before, "drawing changed the navigation")
        var second = ScreenGrid(width: 120, height: 40)
        console.render(into: &second)
        XCTAssertEqual((0..<40).map { first.text(row: $0) }, (0..<40).map { second.text(row: $0) })
        _ = console.handle(.enter)
        let inCluster = console.navigation
        var third = ScreenGrid(width: 120, height: 40)
        console.render(into: &third)
        XCTAssertEqual(console.navigation, inCluster)
    }

    func testPagingUsesTheLayoutBeforeAnyFrameIsDrawn() {
        let console = Self.manyClusters()
        console.resize(to: ScreenSize(width: 120, height: 40, unicode: true))
        // 40 rows: status, breadcrumbs, message and footer leave 36; the rate line 35; the table
        // takes 55% of them (19 rows, a header and 18 body rows).
        XCTAssertEqual(console.layout().pageRows, 18)
        _ = console.handle(.pageDown)
        XCTAssertEqual(console.selectedKey, "c-17", "PgDn moves a page less one row")
        console.resize(to: ScreenSize(width: 80, height: 24, unicode: true))
        XCTAssertEqual(console.layout().pageRows, 9)
        _ = console.handle(.pageDown)
        XCTAssertEqual(console.selectedKey, "c-25")
    }

    func testAResizeKeepsTheSelectedRowOnScreen() {
        let console = Self.manyClusters()
        var big = ScreenGrid(width: 200, height: 60)
        console.render(into: &big)
        for _ in 0..<30 { _ = console.handle(.down) }
        XCTAssertEqual(console.selectedKey, "c-30")
        var small = ScreenGrid(width: 80, height: 24)
        console.render(into: &small)
        let rows = (0..<24).map { small.text(row: $0) }
        XCTAssertTrue(rows.contains { $0.contains("c-30") }, "the selection scrolled out of view after a resize:\n" + rows.joined(separator: "\n"))
        XCTAssertTrue(small.text(row: 1).contains("31/40"), small.text(row: 1))
    }

    func testViewsThatAreAllPaneKeepThePaneFocused() {
        let (console, _) = ConsoleTests.fixture()
        console.resize(to: ScreenSize(width: 100, height: 30, unicode: true))
        _ = console.handle(.char("?"))
        XCTAssertEqual(console.view, .help)
        _ = console.handle(.tab)
        _ = console.handle(.pageDown)
        // A page of the pane (less its title rule and one line kept), not one line.
        XCTAssertEqual(console.navigation.top.paneScroll, console.layout().pane.height - 2, "the help scrolls by a page")
        XCTAssertGreaterThan(console.navigation.top.paneScroll, 10)
        _ = console.handle(.end)
        let last = console.navigation.top.paneScroll
        _ = console.handle(.pageDown)
        XCTAssertEqual(console.navigation.top.paneScroll, last, "scrolling stops at the help's last page")
    }
}
