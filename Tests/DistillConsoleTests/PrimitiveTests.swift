import XCTest
@testable import DistillConsole

/// Text width, the cell grid, sparklines and bars: the pieces every widget is made of.
final class PrimitiveTests: XCTestCase {
    func testDisplayWidthCountsWideAndCombiningCharacters() {
        XCTAssertEqual(TextWidth.width(of: "abc"), 3)
        XCTAssertEqual(TextWidth.width(of: "中文"), 4)
        XCTAssertEqual(TextWidth.width(of: "🙂"), 2)
        XCTAssertEqual(TextWidth.width(of: "e\u{301}"), 1, "a combining accent takes no column")
        XCTAssertEqual(TextWidth.width(of: "한국어"), 6)
    }

    func testEmojiWhoseWidthTerminalsDisputeAreShownPlainly() {
        // Flags become their letters; presentation selectors and skin tones are dropped; joined
        // sequences show their parts; a pictograph Unicode draws as text takes one column.
        XCTAssertEqual(TextWidth.fit("a_🇯🇵_z", columns: 20), "a_JP_z")
        XCTAssertEqual(TextWidth.fit("☺\u{FE0F}👍\u{1F3FD}", columns: 20), "☺👍")
        XCTAssertEqual(TextWidth.fit("🇯🇵☺\u{FE0F}", columns: 20, unicode: false), "JP?", "the same without UTF-8")
        XCTAssertEqual(TextWidth.fit("👩\u{200D}👧", columns: 20), "👩\u{FFFD}👧")
        XCTAssertEqual(TextWidth.width(of: "🏳"), 1)
        XCTAssertEqual(TextWidth.width(of: "🌈"), 2)
        // Tag characters can spell hidden text after an emoji: shown as placeholders.
        XCTAssertEqual(TextWidth.fit("🏴\u{E0067}\u{E0062}", columns: 20), "🏴\u{FFFD}\u{FFFD}")
        for text in ["🇯🇵🇫🇷 flags", "☺️ ✌️ ❤️ 🏳️‍🌈", "👨‍👩‍👧‍👦 family 👍🏽"] {
            let shown = TextWidth.fit(text, columns: 80)
            XCTAssertEqual(TextWidth.width(of: shown), shown.unicodeScalars.reduce(0) { $0 + TextWidth.width(of: Character($1)) },
                           "each character's width is its own: \(shown)")
        }
    }

    func testFitSanitisesAndTruncatesWithAnEllipsisByWidth() {
        XCTAssertEqual(TextWidth.fit("hello world", columns: 6), "hello…")
        XCTAssertEqual(TextWidth.fit("中文测试", columns: 5), "中文…")
        XCTAssertEqual(TextWidth.width(of: TextWidth.fit("中文测试", columns: 6)), 5, "never splits a wide character")
        XCTAssertEqual(TextWidth.fit("\u{1b}]0;pwned\u{07}", columns: 20), "␛]0;pwned␇")
        XCTAssertEqual(TextWidth.fit("\u{1b}[2J", columns: 20, unicode: false), "^[[2J")
        XCTAssertEqual(TextWidth.fit("hello world", columns: 6, unicode: false), "hello~")
    }

    /// Characters that draw nothing (the Hangul fillers, one or two blank columns, the grapheme
    /// joiner, Khmer's inherent vowels) would make `acct_victimㅤ` look like `acct_victim`: each
    /// is shown as a placeholder, in its own role, so the two ids differ on screen.
    func testBlankLettersThatPadAnIdAreShownAsPlaceholders() {
        for blank: Unicode.Scalar in ["\u{3164}", "\u{115F}", "\u{1160}", "\u{FFA0}", "\u{034F}", "\u{17B4}", "\u{180B}", "\u{1D173}"] {
            var g = ScreenGrid(width: 20, height: 1)
            let used = g.put("acct_victim" + String(blank), x: 0, y: 0, role: .text)
            let hex = String(blank.value, radix: 16)
            XCTAssertEqual(g.text(row: 0), "acct_victim\u{FFFD}", "U+\(hex)")
            XCTAssertEqual(used, 12, "U+\(hex)")
            XCTAssertEqual(g[11, 0].role, .placeholder, "U+\(hex)")
        }
        XCTAssertEqual(TextWidth.fit("vict\u{17B5}im\u{3164}", columns: 20, unicode: false), "vict?im?")
    }

    func testGridPutsWideCharactersAsTwoCellsAndMarksPlaceholders() {
        var g = ScreenGrid(width: 12, height: 2)
        let used = g.put("a中\u{1b}b", x: 1, y: 0, role: .text)
        XCTAssertEqual(used, 5)
        XCTAssertEqual(g.text(row: 0), " a中␛b")
        XCTAssertEqual(g.roles(row: 0), "....?.......")
        XCTAssertTrue(g[3, 0].isContinuation)
        // Overwriting the right half of a wide character blanks its left half.
        g.put("x", x: 3, y: 0, role: .muted)
        XCTAssertEqual(g.text(row: 0), " a x␛b")
    }

    func testGridKeepsEveryLetterOfIndicConjunctsAndThaiVowels() {
        // Swift makes one character of "स्ते" (a conjunct) and of "ทำ" (a vowel with its own
        // column); terminals give each letter a column, and curses keeps one letter per cell.
        XCTAssertEqual(TextWidth.width(of: "नमस्ते"), 4)
        XCTAssertEqual(TextWidth.width(of: "ทำน้ำ"), 4)
        XCTAssertEqual(TextWidth.width(of: "ক্ষমা"), 4)
        XCTAssertEqual(TextWidth.width(of: "வணக்கம்"), 5)
        var g = ScreenGrid(width: 30, height: 1)
        let text = "acct_नमस्ते_x ทำน้ำ ক্ষমা"
        let used = g.put(text, x: 0, y: 0, role: .text)
        XCTAssertEqual(used, TextWidth.width(of: text))
        XCTAssertEqual(g.text(row: 0), text, "every letter reaches the screen")
        for x in 0..<used {
            let cell = g[x, 0].char.unicodeScalars
            XCTAssertLessThanOrEqual(cell.filter { TextWidth.width(ofScalar: $0.value) > 0 }.count, 1,
                                     "one letter per cell at column \(x): \(String(g[x, 0].char))")
        }
        // Cut at the edge by columns, never in the middle of a letter's marks.
        var narrow = ScreenGrid(width: 8, height: 1)
        narrow.put("नमस्ते नमस्ते", x: 0, y: 0, role: .text)
        XCTAssertEqual(narrow.text(row: 0), "नमस्ते नम…")
    }

    func testGridClipsAtTheRightEdgeAndRightAligns() {
        var g = ScreenGrid(width: 8, height: 1)
        g.put("abcdefghij", x: 2, y: 0, role: .text)
        XCTAssertEqual(g.text(row: 0), "  abcde…")
        g.clear()
        g.put("42", x: 0, y: 0, maxWidth: 5, role: .header, align: .right)
        XCTAssertEqual(g.text(row: 0), "   42")
        XCTAssertEqual(g.roles(row: 0), "...hh...")
    }

    func testSparklineScalesToTheVisibleWindow() {
        XCTAssertEqual(Sparkline.render([0, 1, 2, 3, 4, 5, 6, 7], width: 8), "▁▂▃▄▅▆▇█")
        XCTAssertEqual(Sparkline.render([100, 0, 1, 2, 3, 4, 5, 6, 7], width: 8), "▁▂▃▄▅▆▇█", "only the visible part sets the scale")
        XCTAssertEqual(Sparkline.render([3, 7], width: 4), "  ▁█")
        XCTAssertEqual(Sparkline.render([0, 0, 0], width: 3), "▁▁▁")
        XCTAssertEqual(Sparkline.render([0, 7], width: 2, unicode: false), "_#")
        let f = Sparkline.figures([9, 1, 5, 3], width: 3)
        XCTAssertEqual(f.min, 1); XCTAssertEqual(f.max, 5); XCTAssertEqual(f.last, 3)
    }

    /// 48 hours in a narrow cell: every hour is covered, each glyph the busiest hour of its
    /// span counted back from the newest, so a burst 30 hours ago still shows.
    func testARateCellCoversTheWholeSeriesOnOneTimeAxis() {
        var hours = Array(repeating: 0, count: 48)
        hours[17] = 108  // 30 hours before the newest
        XCTAssertEqual(Sparkline.renderWhole(hours, width: 12), "▁▁▁▁█▁▁▁▁▁▁▁", "4 hours a glyph: hours 16-19 are the fifth")
        XCTAssertEqual(Sparkline.renderWhole(hours, width: 11), " ▁▁▁█▁▁▁▁▁▁", "5 hours a glyph: ten glyphs, the oldest partly empty")
        XCTAssertEqual(Sparkline.renderWhole([3, 7], width: 4), Sparkline.render([3, 7], width: 4), "a short series is drawn as it is")
        // Rows whose last-hour counts differ in width still put each hour in the same column.
        var g = ScreenGrid(width: 16, height: 2)
        var quiet = hours; quiet[47] = 3
        var busy = hours; busy[47] = 1_500
        TableWidget.draw(.spark(quiet), into: &g, x: 0, y: 0, width: 16, align: .left, override: nil)
        TableWidget.draw(.spark(busy), into: &g, x: 0, y: 1, width: 16, align: .left, override: nil)
        XCTAssertEqual(g.text(row: 0), " ▁▁▁█▁▁▁▁▁▁    3")
        XCTAssertEqual(g.text(row: 1), " ▁▁▁▂▁▁▁▁▁█ 1.5k")
        XCTAssertEqual(Array(g.text(row: 0)).firstIndex(of: "█"), 4, "the burst of 30 hours ago")
    }

    func testRiskBarUsesEighths() {
        XCTAssertEqual(TableWidget.bar(1, width: 4, unicode: true), "████")
        XCTAssertEqual(TableWidget.bar(0.5, width: 3, unicode: true), "█▌ ")
        XCTAssertEqual(TableWidget.bar(0.5, width: 4, unicode: false), "##..")
    }

    func testNumberFormats() {
        XCTAssertEqual(Format.grouped(1234567), "1,234,567")
        XCTAssertEqual(Format.compact(999), "999")
        XCTAssertEqual(Format.compact(1234), "1.2k")
        XCTAssertEqual(Format.compact(2_500_000), "2.5M")
        XCTAssertEqual(Format.twoDecimals(0.975), "0.98")
        XCTAssertEqual(Format.twoDecimals(-0.71), "-0.71")
        XCTAssertEqual(Format.oneDecimal(-0.5), "-0.5")
        // Ratios of counts from logs can be as large as a log likes: shown, never a trap.
        XCTAssertEqual(Format.percent(Double(Int64.max)), "\(1 << 62)%")
        XCTAssertEqual(Format.percent(.nan), "0%")
        XCTAssertEqual(Format.twoDecimals(-.infinity), "-46116860184273879.04")
        XCTAssertEqual(Format.shortTime(1_776_000_000_000), "04-12 13:20")
        XCTAssertEqual(Format.counted(1, "account"), "1 account")
        XCTAssertEqual(Format.counted(0, "account"), "0 accounts")
        XCTAssertEqual(Format.counted(1234, "exchange"), "1,234 exchanges")
    }

    func testWrapBreaksAtSpacesByDisplayWidth() {
        XCTAssertEqual(TextPane.wrap("aaa bbb ccc", width: 7), ["aaa bbb", "ccc"])
        XCTAssertEqual(TextPane.wrap("中文中文中文", width: 5), ["中文", "中文", "中文"])
    }
}
