import XCTest
@testable import DistillCore
@testable import DistillFeeds

/// An evaluation split over several threads (clusters judged apart, the two coordination
/// searches side by side) reaches the verdicts, ties and flag times of one thread.
final class EvaluationThreadsTests: FeedsTestCase {
    func testThreadsDoNotChangeTheReportOrTheState() throws {
        let seed = randomSeed("EvaluationThreadsTests")
        // A red-team draw may hold no harness copies, or nothing found in three days, so the
        // farm guarantees a harness search that finds some, and the swarm one that also finds
        // accounts in step.
        for scenario in ["redteam", "agentic-farm", "swarm"] {
            let lines = try StateRoundTripTests.lines(scenario: scenario, seed: seed)
            var reports: [String] = []
            var states: [[UInt8]] = []
            var ties: [(harness: Int, pairs: Int)] = []
            // One ledger for both saves: a ledger's duplicate filter is keyed at random.
            let noLedger = InputLedger()
            for threads in [1, 4] {
                let detector = Detector()
                detector.evaluationThreads = threads
                var ledger = InputLedger()
                // Halfway too: flags set at evaluations part-way through must agree.
                let half = lines.count / 2
                StateRoundTripTests.feed(lines[..<half], detector, &ledger)
                reports.append(StateRoundTripTests.report(detector, ledger))
                StateRoundTripTests.feed(lines[half...], detector, &ledger)
                reports.append(StateRoundTripTests.report(detector, ledger))
                // The saved state holds the last search's ties, scores and flags as numbers.
                states.append(DetectionState(detector: detector, ledger: noLedger).encoded())
                ties.append((detector.coordination.ties?.harnessGroups.count ?? 0, detector.coordination.ties?.synchronisedPairs.count ?? 0))
            }
            print("EvaluationThreadsTests \(scenario): \(ties[0].harness) harness groups, \(ties[0].pairs) pairs in step")
            if scenario != "redteam" {
                XCTAssertTrue(reports[1].contains("\"suspect\""), "the traffic must hold something to find (\(scenario), seed \(seed))")
                XCTAssertGreaterThan(ties[0].harness, 0, "harness copies were searched and found (\(scenario), seed \(seed))")
            }
            if scenario == "swarm" {
                XCTAssertGreaterThan(ties[0].pairs, 0, "accounts in step were searched and found (\(scenario), seed \(seed))")
            }
            XCTAssertEqual(reports[2], reports[0], "halfway, \(scenario), seed \(seed)")
            XCTAssertEqual(reports[3], reports[1], "at the end, \(scenario), seed \(seed)")
            XCTAssertTrue(states[1] == states[0], "saved state, \(scenario), seed \(seed)")
            XCTAssertEqual(ties[1].harness, ties[0].harness)
            XCTAssertEqual(ties[1].pairs, ties[0].pairs)
        }
    }

    /// Every index is run once, whatever the thread count, and results come back in order.
    func testEveryIndexRunsOnceAndResultsKeepTheirOrder() {
        for count in [1, 2, 3, 8] {
            let threads = EvaluationThreads(count: count)
            for n in [0, 1, 2, 5, 1_000] {
                var runs = [Int](repeating: 0, count: n)
                runs.withUnsafeMutableBufferPointer { out in
                    let slots = out
                    threads.forEach(n) { slots[$0] += 1 }
                }
                XCTAssertEqual(runs, [Int](repeating: 1, count: n), "\(count) threads, \(n) indices")
                XCTAssertEqual(threads.map(Array(0..<n)) { $0 * 3 + 1 }, (0..<n).map { $0 * 3 + 1 })
            }
        }
    }
}
