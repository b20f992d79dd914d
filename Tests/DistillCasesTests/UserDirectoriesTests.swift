import XCTest
@testable import DistillCases

/// Where the journal, exports and the generated demo go by default: the XDG variable when it
/// is an absolute path, else its default under the home directory.
final class UserDirectoriesTests: XCTestCase {
    func testDefaultsFollowTheBaseDirectoryVariablesOrTheHomeDirectory() {
        let env = ["XDG_STATE_HOME": "/srv/state", "XDG_DATA_HOME": "relative/data", "HOME": "/home/ana"]
        XCTAssertEqual(CaseJournal.defaultPath(environment: env), "/srv/state/distillwatch/cases.sqlite")
        XCTAssertEqual(CaseExportWriter.defaultDirectory(environment: env), "/home/ana/.local/share/distillwatch/exports",
                       "a relative XDG_DATA_HOME is ignored, as the specification says")
        XCTAssertEqual(UserDirectories.distillwatch("XDG_CACHE_HOME", fallback: ".cache", environment: env), "/home/ana/.cache/distillwatch")
    }
}
