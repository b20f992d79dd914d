import Foundation
import XCTest
@testable import DistillConsole

/// Every shipped theme must be readable: each role's foreground against the background it is
/// drawn on, by the WCAG 2.x contrast ratio.
final class ThemeContrastTests: XCTestCase {
    /// Themes/ at the package root, found from this file's location.
    static let themesDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Themes")

    /// WCAG 2.x relative luminance of an sRGB colour.
    static func luminance(_ c: RGB) -> Double {
        func linear(_ v: UInt8) -> Double {
            let s = Double(v) / 255
            return s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear(c.r) + 0.7152 * linear(c.g) + 0.0722 * linear(c.b)
    }

    /// WCAG 2.x contrast ratio, from 1 (none) to 21 (black on white).
    static func contrast(_ a: RGB, _ b: RGB) -> Double {
        let (la, lb) = (luminance(a), luminance(b))
        return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
    }

    /// Roles that draw no text: pane rules only (their titles are drawn in the title and
    /// header roles, which are checked as text). WCAG asks 3:1 of such graphics.
    static let graphicRoles: Set<StyleRole> = [.border]

    static func required(_ role: StyleRole, theme: String) -> Double {
        if graphicRoles.contains(role) { return 3 }
        return theme == "high-contrast" ? 7 : 4.5
    }

    func testContrastFormulaMatchesKnownValues() {
        XCTAssertEqual(Self.contrast(RGB(0, 0, 0), RGB(255, 255, 255)), 21, accuracy: 1e-9)
        XCTAssertEqual(Self.contrast(RGB(255, 255, 255), RGB(255, 255, 255)), 1, accuracy: 1e-9)
        // #777777 on white is the usual example just under 4.5.
        XCTAssertEqual(Self.contrast(RGB(0x77, 0x77, 0x77), RGB(255, 255, 255)), 4.48, accuracy: 0.01)
        XCTAssertEqual(Self.contrast(RGB(0x00, 0xFF, 0xFF), RGB(255, 255, 255)), 1.25, accuracy: 0.01)
    }

    func testEveryShippedThemeFileHasReadableContrastForEveryRole() throws {
        let files = try FileManager.default.contentsOfDirectory(at: Self.themesDirectory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "theme" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        XCTAssertGreaterThanOrEqual(files.count, 4, "no theme files found in \(Self.themesDirectory.path)")
        for file in files {
            let name = file.deletingPathExtension().lastPathComponent
            let (theme, problems) = Theme.parse(try String(contentsOf: file, encoding: .utf8), name: name)
            XCTAssertEqual(problems, [], name)
            check(theme)
        }
    }

    func testEveryBuiltInThemeHasReadableContrastForEveryRole() {
        for theme in Theme.builtIn { check(theme) }
    }

    func check(_ theme: Theme, file: StaticString = #filePath, line: UInt = #line) {
        for role in StyleRole.allCases {
            let style = Theme.style(for: role)
            let (fg, bg) = (theme[style.fg], theme[style.bg])
            let ratio = Self.contrast(fg, bg)
            let need = Self.required(role, theme: theme.name)
            XCTAssertGreaterThanOrEqual(ratio, need,
                "\(theme.name): \(role) draws \(style.fg.rawValue) \(fg) on \(style.bg.rawValue) \(bg) at \(String(format: "%.2f", ratio)):1, needs \(need):1",
                file: file, line: line)
        }
    }

    func testStatusBarHighlightsAndUnfocusedSelectionHaveTheirOwnKeys() {
        XCTAssertEqual(Theme.style(for: .statusAccent).fg, .status_accent)
        XCTAssertEqual(Theme.style(for: .statusAccent).bg, .status_background)
        XCTAssertEqual(Theme.style(for: .selectionMuted).fg, .selection_muted)
        XCTAssertEqual(Theme.style(for: .selectionMuted).bg, .selection)
    }

    func testAThemeThatSetsAccentOrMutedButNotTheirNewKeysKeepsItsLook() {
        let (theme, problems) = Theme.parse("accent = \"#112233\"\nmuted = \"#445566\"\n", name: "older")
        XCTAssertEqual(problems, [])
        XCTAssertEqual(theme[.status_accent], RGB(0x11, 0x22, 0x33))
        XCTAssertEqual(theme[.selection_muted], RGB(0x44, 0x55, 0x66))
        let (explicit, _) = Theme.parse("accent = \"#112233\"\nstatus_accent = \"#000000\"\n", name: "newer")
        XCTAssertEqual(explicit[.status_accent], RGB(0, 0, 0))
        XCTAssertEqual(explicit[.selection_muted], Theme.dark[.selection_muted])
    }
}
