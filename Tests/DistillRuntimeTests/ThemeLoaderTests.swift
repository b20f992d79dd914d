import DistillConsole
import XCTest
@testable import DistillRuntime

/// Themes by name: a built-in or a file is found; a name that is neither is said to be missing
/// (the console then keeps the theme in use), and only the command line falls back to dark.
final class ThemeLoaderTests: XCTestCase {
    func testAnUnknownNameIsNotFoundAndOnlyLoadFallsBack() {
        XCTAssertEqual(ThemeLoader.find("light")?.theme.name, "light")
        XCTAssertNil(ThemeLoader.find("no-such-theme"))
        let fallback = ThemeLoader.load("no-such-theme")
        XCTAssertEqual(fallback.theme.name, "dark")
        XCTAssertTrue(fallback.warning?.hasPrefix("no theme 'no-such-theme' (have: ") == true, fallback.warning ?? "")
    }
}
