import DistillCore
import Foundation
import XCTest

/// The README's table of signals is the rule table's own output: a weight changed in code and
/// not in the README (or the reverse) fails here.
final class ReadmeRulesTests: XCTestCase {
    func testReadmeListsTheRuleTableVerbatim() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let begin = "<!-- rules:begin (distillwatch rules) -->\n", end = "<!-- rules:end -->"
        guard let b = readme.range(of: begin), let e = readme.range(of: end, range: b.upperBound..<readme.endIndex) else {
            return XCTFail("README.md has no rules table between its markers")
        }
        XCTAssertEqual(String(readme[b.upperBound..<e.lowerBound]), RuleTable.markdown,
                       "README's signals table differs from `distillwatch rules`; paste its output between the markers")
    }
}
