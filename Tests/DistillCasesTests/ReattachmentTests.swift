import DistillCore
import XCTest

/// Cases follow their cluster by member accounts (containment ≥ `CaseMatcher.threshold`).
final class ReattachmentTests: XCTestCase {
    static func record(_ id: Int64, _ accounts: [String]) -> CaseRecord {
        CaseRecord(id: id, subject: .cluster, subjectKey: accounts[0], evidence: CaseEvidence(accounts: accounts),
                   decisions: [CaseDecision(id: id, action: .suspect, analyst: "alice", wallTime: 0, streamTime: 0, members: accounts)])
    }

    static func cluster(_ key: String, _ accounts: [String]) -> ClusterSnapshot {
        ClusterSnapshot.make(key: key, verdict: .suspect, risk: 0.9, accounts: accounts, exchanges: 10, firstSeen: 0, lastSeen: 0, hourlyRate: [])
    }

    func testAGrownClusterWithANewKeyKeepsItsCase() {
        let c = Self.record(1, ["a", "b", "c", "d"])
        let grown = Self.cluster("z", ["z", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"])
        let out = CaseMatcher.attach(cases: [c], clusters: [Self.cluster("q", ["q", "r"]), grown])
        XCTAssertEqual(out, [CaseMatcher.Attachment(caseID: 1, clusterKey: "z", containment: 1)])
        XCTAssertEqual(c.newMembers(in: grown.accounts), ["z", "e", "f", "g", "h", "i", "j"])
    }

    func testTooLittleOverlapDoesNotAttach() {
        let c = Self.record(1, ["a", "b", "c", "d", "e"])
        XCTAssertTrue(CaseMatcher.attach(cases: [c], clusters: [Self.cluster("a", ["a", "b", "x", "y"])]).isEmpty, "2 of 5 is below half")
        XCTAssertEqual(CaseMatcher.attach(cases: [c], clusters: [Self.cluster("a", ["a", "b", "c", "y"])]).map(\.clusterKey), ["a"], "3 of 5")
    }

    func testASplitClusterKeepsTheCaseOnTheLargerPart() {
        let c = Self.record(1, ["a", "b", "c", "d", "e", "f"])
        let out = CaseMatcher.attach(cases: [c], clusters: [Self.cluster("a", ["a", "b"]), Self.cluster("c", ["c", "d", "e", "f"])])
        XCTAssertEqual(out.map(\.clusterKey), ["c"])
    }

    func testTwoCasesMergedIntoOneClusterLeaveItToTheLargerAndEachClusterTakesOne() {
        let big = Self.record(1, ["a", "b", "c", "d"]), small = Self.record(2, ["x", "y"])
        let merged = Self.cluster("a", ["a", "b", "c", "d", "x", "y"])
        XCTAssertEqual(CaseMatcher.attach(cases: [small, big], clusters: [merged]).map(\.caseID), [1])
        // Apart again: each finds its own.
        let apart = CaseMatcher.attach(cases: [small, big], clusters: [Self.cluster("a", ["a", "b", "c", "d"]), Self.cluster("x", ["x", "y", "w"])])
        XCTAssertEqual(Set(apart.map { "\($0.caseID)→\($0.clusterKey)" }), ["1→a", "2→x"])
    }

    func testAccountCasesAreNotMatchedByOverlap() {
        var c = Self.record(1, ["a"])
        c.subject = .account
        XCTAssertTrue(CaseMatcher.attach(cases: [c], clusters: [Self.cluster("a", ["a", "b"])]).isEmpty)
    }
}
