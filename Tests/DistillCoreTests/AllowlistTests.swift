import XCTest
@testable import DistillCore

/// A `clear` with an allowlist scope stops those entities raising risk: the detector leaves them
/// out of clusters and scores from its next evaluation.
final class AllowlistTests: XCTestCase {
    typealias T = DetectorTests

    /// Twelve farm accounts on two cards (A for most, B for two), with extraction prompts.
    func farmDetector() -> (Detector, [String]) {
        let detector = Detector()
        let farm = (0..<12).map { "farm-\($0)" }
        detector.ingest(T.traffic(accounts: farm, perAccount: 30, hours: 30) { a, i, ts in
            T.farmExchange(a, card: a == "farm-1" || a == "farm-3" ? "card-B" : "card-A", ip: "198.51.100.\(i % 7)", i, ts)
        })
        return (detector, farm)
    }

    func testAllowlistedAccountsNoLongerRaiseRisk() throws {
        let (detector, farm) = farmDetector()
        let before = try XCTUnwrap(detector.snapshot().clusters.first { $0.accounts.contains("farm-0") })
        XCTAssertEqual(before.verdict, .suspect)
        detector.allowlist = Allowlist(accounts: Set(farm))
        let after = detector.snapshot()
        XCTAssertFalse(after.clusters.contains { !Set($0.accounts).isDisjoint(with: farm) }, "every farm account is out")
        // Lifting the allowlist brings them back.
        detector.allowlist = Allowlist()
        XCTAssertEqual(detector.snapshot().clusters.first { $0.accounts.contains("farm-0") }?.verdict, .suspect)
    }

    /// What the allowlist set aside can be listed, judged as if it were not allowlisted, without
    /// coming back into the clusters that reports and alerts read.
    func testWhatTheAllowlistSetAsideIsListedOnlyWhenAsked() throws {
        let (detector, farm) = farmDetector()
        detector.allowlist = Allowlist(cards: ["card-A"])
        XCTAssertTrue(detector.snapshot().allowlisted.isEmpty, "not listed unless asked")
        detector.showsAllowlisted = true
        let snap = detector.snapshot()
        let onA = Set(farm).subtracting(["farm-1", "farm-3"])
        XCTAssertEqual(Set(snap.allowlisted.flatMap(\.accounts)), onA, "every account on the card, and only those")
        XCTAssertEqual(snap.allowlisted.first?.verdict, .suspect, "judged as if not allowlisted: still a farm")
        XCTAssertFalse(snap.clusters.contains { !Set($0.accounts).isDisjoint(with: onA) }, "not back among the clusters")
        XCTAssertEqual(snap.suspectCount, detector.snapshot().suspectCount)
        // Lifting the allowlist empties the list.
        detector.allowlist = Allowlist()
        XCTAssertTrue(detector.snapshot().allowlisted.isEmpty)
    }

    func testACardOnTheAllowlistTakesItsAccountsOutAndTheRestAreJudgedAgain() throws {
        let (detector, farm) = farmDetector()
        detector.allowlist = Allowlist(cards: ["card-A"])
        let snap = detector.snapshot()
        let onA = Set(farm).subtracting(["farm-1", "farm-3"])
        XCTAssertFalse(snap.clusters.contains { !Set($0.accounts).isDisjoint(with: onA) }, "accounts paying with card-A are out")
        // The two on card-B remain, judged on their own evidence.
        if let rest = snap.clusters.first(where: { $0.accounts.contains("farm-1") }) {
            XCTAssertTrue(Set(rest.accounts).isSubset(of: ["farm-1", "farm-3"]), "\(rest.accounts)")
        }
    }

    func testAnOrgOnTheAllowlistCovers() {
        let list = Allowlist(orgs: ["org-lab"])
        XCTAssertTrue(list.covers(account: "x", org: "org-lab", card: nil))
        XCTAssertFalse(list.covers(account: "x", org: "org-other", card: "c"))
        XCTAssertEqual(Allowlist(accounts: ["a"], orgs: ["o"], cards: ["c", "d"]).count, 4)
        let (detector, _) = farmDetector()
        detector.allowlist = Allowlist(orgs: ["org-farm-0", "org-farm-2"])
        let c = detector.snapshot().clusters.first { $0.accounts.contains("farm-4") }
        XCTAssertNotNil(c)
        XCTAssertFalse(c!.accounts.contains("farm-0"))
        XCTAssertFalse(c!.accounts.contains("farm-2"))
    }
}
