import DistillCore
@testable import DistillEval
import XCTest

final class EvalMetricsTests: XCTestCase {
    private let hour: StreamTime = 3_600_000

    /// `memberFlags` gives some members a first flag time of their own (set when the snapshot
    /// carries member figures, as the detector's do).
    private func cluster(_ key: String, _ verdict: Verdict, _ accounts: [String], flaggedAt: StreamTime? = nil,
                         memberFlags: [String: StreamTime]? = nil) -> ClusterSnapshot {
        let members = memberFlags.map { flags in
            accounts.map { MemberFigures(account: $0, firstSeen: 0, lastSeen: 10 * hour, exchanges: 5, flaggedAt: flags[$0]) }
        } ?? []
        return .make(key: key, verdict: verdict, risk: verdict == .suspect ? 0.9 : 0.3, accounts: accounts, exchanges: 10,
                     firstSeen: 0, lastSeen: 10 * hour, flaggedAt: flaggedAt, members: members)
    }

    /// Ten campaign accounts split 6 / 2 over two suspect clusters, 2 missed; one benign flagged.
    func testRecallCohesionTimeToFlagAndFalsePositives() {
        var accounts: [String: String] = [:]
        for i in 0..<10 { accounts["c\(i)"] = "campaign:farm" }
        for i in 0..<5 { accounts["b\(i)"] = "benign:casual" }
        let labels = Labels(accounts: accounts, campaigns: [.init(name: "farm", style: "x", start: 2 * hour)])
        let snapshot = Snapshot.make(streamTime: 10 * hour, streamStart: 0, exchanges: 100, accounts: 15, clusters: [
            cluster("A", .suspect, ["c0", "c1", "c2", "c3", "c4", "c5", "b0"], flaggedAt: 5 * hour),
            cluster("B", .suspect, ["c6", "c7"], flaggedAt: 7 * hour, memberFlags: ["c6": 4 * hour]),
            cluster("C", .watch, ["c8", "b1"]),
        ], minuteRate: [])
        let verdicts = Verdicts(snapshot: snapshot)
        let r = EvalMetrics.score(labels, verdicts, scenario: "s", seed: 1)

        XCTAssertEqual(r.truePositives, 8)
        XCTAssertEqual(r.falsePositives, 1)
        XCTAssertEqual(r.recall, 0.8, accuracy: 1e-9)
        XCTAssertEqual(r.precision, 8.0 / 9.0, accuracy: 1e-9)
        XCTAssertEqual(r.campaigns.count, 1)
        XCTAssertEqual(r.campaigns[0].recall, 0.8, accuracy: 1e-9)
        XCTAssertEqual(r.campaigns[0].cohesion, 0.6, accuracy: 1e-9, "the largest suspect cluster holds 6 of 10")
        XCTAssertEqual(r.campaigns[0].hoursToFlag ?? -1, 2, accuracy: 1e-9, "c6's own first flag at 4 h, campaign start 2 h")
        XCTAssertEqual(r.benign["benign:casual"]?.flagged, 1)
        XCTAssertEqual(r.benign["benign:casual"]?.total, 5)
        XCTAssertEqual(r.falsePositiveAccounts.first?.account, "b0")
    }

    func testBenignAccountsFlaggedOnceCountAsAlertsWhereverTheyEnd() {
        // b0 is suspect at the end; b1 and b2 were flagged earlier and their clusters fell back
        // to watch and clear; b3 was never flagged. An alert went out for three of them.
        var accounts: [String: String] = ["c0": "campaign:farm"]
        for i in 0..<4 { accounts["b\(i)"] = "benign:casual" }
        let labels = Labels(accounts: accounts, campaigns: [.init(name: "farm", style: "x", start: 0)])
        let snapshot = Snapshot.make(streamTime: 10 * hour, streamStart: 0, exchanges: 100, accounts: 5, clusters: [
            cluster("A", .suspect, ["c0", "b0"], flaggedAt: 5 * hour),
            cluster("B", .watch, ["b1", "b3"], flaggedAt: 3 * hour, memberFlags: ["b1": 3 * hour]),
            cluster("C", .clear, ["b2"], flaggedAt: 4 * hour, memberFlags: ["b2": 4 * hour]),
        ], minuteRate: [])
        let r = EvalMetrics.score(labels, Verdicts(snapshot: snapshot), scenario: "s", seed: 1)
        XCTAssertEqual(r.falsePositives, 1, "suspect at the end")
        XCTAssertEqual(r.benignEverFlagged, 3, "paged about at some evaluation")
        XCTAssertEqual(EvalSummary([r, r]).benignEverFlagged, 6)
    }

    /// A generator labels accounts that never send a request (a short-lived, quiet account; a
    /// campaign that starts after the window): they are in no log, so they are not scored.
    func testAccountsThatSentNothingAreNotScored() {
        let labels = Labels(accounts: ["c0": "campaign:farm", "c1": "campaign:farm", "c2": "campaign:farm",
                                       "g0": "campaign:ghost", "b0": "benign:casual", "b1": "benign:casual"],
                            campaigns: [.init(name: "farm", style: "", start: 0), .init(name: "ghost", style: "", start: 0)])
        let snapshot = Snapshot.make(streamTime: 10 * hour, streamStart: 0, exchanges: 20, accounts: 3, clusters: [
            cluster("A", .suspect, ["c0", "c1"], flaggedAt: 2 * hour),
        ], minuteRate: [])
        let r = EvalMetrics.score(labels, Verdicts(snapshot: snapshot), scenario: "s", seed: 1, present: ["c0", "c1", "b0"])
        XCTAssertEqual(r.campaignAccounts, 2, "c2 and g0 sent nothing")
        XCTAssertEqual(r.recall, 1)
        XCTAssertEqual(r.accounts, 3)
        XCTAssertEqual(r.benign["benign:casual"]?.total, 1)
        XCTAssertEqual(r.campaigns.map(\.name), ["farm"], "a campaign with no account in the traffic is left out")
        XCTAssertEqual(r.campaigns[0].recall, 1)
        XCTAssertEqual(r.campaigns[0].accounts, 2)
        let all = EvalMetrics.score(labels, Verdicts(snapshot: snapshot), scenario: "s", seed: 1)
        XCTAssertEqual(all.campaignAccounts, 4, "without a list of accounts seen, every label is scored")
    }

    /// What a campaign had sent by its first flag: every exchange of its accounts at or before
    /// that stream time; a campaign never flagged sent all of it unnoticed.
    func testExchangesSentByTheFirstFlagAreCounted() {
        let labels = Labels(accounts: ["c0": "campaign:farm", "c1": "campaign:farm", "q0": "campaign:quiet", "b0": "benign:casual"],
                            campaigns: [.init(name: "farm", style: "", start: 0), .init(name: "quiet", style: "", start: 0)])
        let traffic = CampaignTraffic(labels)
        var batch: [Exchange] = []
        for h in 0..<10 {
            for a in ["c0", "c1", "q0", "b0"] { batch.append(Exchange(ts: StreamTime(h) * hour, accountID: a)) }
        }
        traffic.record(batch, 0..<batch.count - 4)
        traffic.record(batch, batch.count - 4..<batch.count)
        let snapshot = Snapshot.make(streamTime: 10 * hour, streamStart: 0, exchanges: 40, accounts: 4, clusters: [
            cluster("A", .suspect, ["c0", "c1"], flaggedAt: 3 * hour),
        ], minuteRate: [])
        let r = EvalMetrics.score(labels, Verdicts(snapshot: snapshot), scenario: "s", seed: 1, traffic: traffic)
        let farm = r.campaigns.first { $0.name == "farm" }!, quiet = r.campaigns.first { $0.name == "quiet" }!
        XCTAssertEqual(farm.exchanges, 20)
        XCTAssertEqual(farm.sentBeforeFlag, 8, "hours 0 to 3, two accounts")
        XCTAssertEqual(farm.shareSentBeforeFlag ?? -1, 0.4, accuracy: 1e-9)
        XCTAssertEqual(quiet.sentBeforeFlag, 10, "never flagged: everything it sent")
        XCTAssertEqual(EvalSummary([r]).sharesSentBeforeFlag.sorted(), [0.4, 1.0])
        XCTAssertNil(EvalMetrics.score(labels, Verdicts(snapshot: snapshot), scenario: "s", seed: 1).campaigns[0].shareSentBeforeFlag)
    }

    func testUnflaggedCampaignHasNoTimeAndZeroCohesion() {
        let labels = Labels(accounts: ["a": "campaign:x", "b": "campaign:x"], campaigns: [.init(name: "x", style: "", start: 0)])
        let snapshot = Snapshot.make(streamTime: hour, streamStart: 0, exchanges: 2, accounts: 2, clusters: [], minuteRate: [])
        let r = EvalMetrics.score(labels, Verdicts(snapshot: snapshot), scenario: "s", seed: 1)
        XCTAssertNil(r.campaigns[0].hoursToFlag)
        XCTAssertEqual(r.campaigns[0].cohesion, 0)
        XCTAssertEqual(r.recall, 0)
        XCTAssertEqual(r.precision, 1, "nothing flagged: no false positive")
        let summary = EvalSummary([r])
        XCTAssertEqual(summary.missed, ["x@s@1"])
        XCTAssertEqual(summary.worstCampaignRecall, 0)
    }

    func testSummaryTakesWorstAndMedian() {
        var a = RunResult(scenario: "s", seed: 1)
        a.campaigns = [.init(name: "p", style: "", accounts: 4, recall: 1, cohesion: 1, hoursToFlag: 1),
                       .init(name: "q", style: "", accounts: 4, recall: 0.5, cohesion: 0.25, hoursToFlag: 9)]
        var b = RunResult(scenario: "s", seed: 2)
        b.campaigns = [.init(name: "p", style: "", accounts: 4, recall: 0.75, cohesion: 0.5, hoursToFlag: 3)]
        let s = EvalSummary([a, b])
        XCTAssertEqual(s.worstCampaignRecall, 0.5)
        XCTAssertEqual(s.worstCohesion, 0.25)
        XCTAssertEqual(s.medianHoursToFlag, 3)
    }

    func testLabelsParseTheGeneratorsShapeAndRefuseOthers() throws {
        let json = #"{"campaigns": [{"name": "f", "style": "s", "start": "2026-04-20T01:00:00.000Z", "accounts": 1}], "accounts": {"a": "campaign:f", "b": "benign:casual"}}"#
        let labels = try Labels(json: json)
        XCTAssertEqual(labels.accounts.count, 2)
        XCTAssertEqual(labels.campaigns.first?.name, "f")
        XCTAssertThrowsError(try Labels(json: "[]"))
    }
}
