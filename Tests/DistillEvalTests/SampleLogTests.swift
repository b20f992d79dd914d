import DistillCore
import DistillEval
import Foundation
import XCTest

/// Pins what the detector finds in each bundled sample log against its labels, so a change that
/// loses a campaign account or accuses a benign one fails here.
final class SampleLogTests: XCTestCase {
    private func score(_ name: String) throws -> RunResult {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SampleLogs")
        let labels = try String(contentsOf: dir.appendingPathComponent("\(name).labels.json"), encoding: .utf8)
        return try EvalRunner.run(paths: [dir.appendingPathComponent("\(name).ndjson.gz").path], labelsJSON: labels,
                                  settings: .standard).result
    }

    func testDemoFlagsEveryCampaignAccountAndNoBenignOne() throws {
        let r = try score("demo")
        XCTAssertEqual(r.campaignAccounts, 82)
        XCTAssertEqual(r.truePositives, 82)
        XCTAssertEqual(r.falsePositives, 0, "\(r.falsePositiveAccounts)")
        XCTAssertEqual(r.campaigns.count, 5)
        for c in r.campaigns {
            XCTAssertEqual(c.recall, 1, c.name)
            XCTAssertGreaterThanOrEqual(c.cohesion, 0.8, c.name)
        }
    }

    func testStealthFarmIsFoundAsOneCluster() throws {
        let r = try score("stealth")
        XCTAssertEqual(r.campaignAccounts, 10)
        XCTAssertGreaterThanOrEqual(r.truePositives, 9)
        XCTAssertEqual(r.falsePositives, 0, "\(r.falsePositiveAccounts)")
        XCTAssertGreaterThanOrEqual(r.campaigns.first?.cohesion ?? 0, 0.9)
    }

    func testLookalikesAccuseNobody() throws {
        let r = try score("lookalikes")
        XCTAssertEqual(r.campaignAccounts, 0)
        XCTAssertEqual(r.falsePositives, 0, "\(r.falsePositiveAccounts)")
        XCTAssertGreaterThan(r.accounts, 150)
    }
}
