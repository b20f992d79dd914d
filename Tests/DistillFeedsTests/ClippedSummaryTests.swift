@testable import DistillCore
import XCTest

/// A shard summary carries each record's prompt clipped to the start its template families are
/// labelled with, and leaves out the fields the coordinator does not read. The coordinator's
/// detector must reach the report it would reach with whole records: the same labels, the same
/// clusters.
final class ClippedSummaryTests: XCTestCase {
    /// Filler in three scripts, so some cuts land inside a multi-byte character.
    static let filler = Array("tool output é 日本語 trace ".utf8)

    /// Lengthens every other prompt by a tail made from its own bytes: equal prompts stay equal,
    /// and most prompts end up far past the label's limit.
    static func lengthened(_ x: Exchange) -> Exchange {
        var x = x
        guard let prompt = x.promptText else { return x }
        let h = StableHash.hash(prompt)
        guard h & 1 == 0 else { return x }
        var tail = Array(" ".utf8)
        let start = Int((h >> 8) % UInt64(filler.count))
        for k in 0..<(Int((h >> 20) % 2_000) + 40) { tail.append(filler[(start + k) % filler.count]) }
        // Cut back to a whole character, as a decoder would only let valid text through.
        while let last = tail.last, last & 0xC0 == 0x80 || last >= 0xC0 { tail.removeLast() }
        x.promptText = prompt + String(decoding: tail, as: UTF8.self)
        return x
    }

    func testRecordsCarriedClippedGiveTheReportOfWholeOnes() throws {
        let seed = randomSeed("ClippedSummaryTests")
        for scenario in ["redteam", "mixed"] {
            let lines = try StateRoundTripTests.lines(scenario: scenario, seed: seed)
            let decoder = ExchangeDecoder()
            var records: [Exchange] = []
            for line in lines {
                guard case .exchange(let x) = line.withUnsafeBytes({ decoder.decode($0) }) else { continue }
                var long = Self.lengthened(x)
                long.analysePrompt()
                records.append(long)
            }
            // Through summaries of 256 records, as a worker sends them.
            var carried: [Exchange] = []
            var clipped = 0
            for start in stride(from: 0, to: records.count, by: 256) {
                let part = records[start..<min(records.count, start + 256)]
                let summary = ShardSummary(worker: "w", partition: 0, partitions: 1, completeThrough: 0,
                                           entries: part.enumerated().map { .init(sequence: UInt64(start + $0.offset + 1), item: .exchange($0.element)) })
                for (entry, original) in zip(try ShardSummary(decoding: summary.encoded()).entries, part) {
                    guard case .exchange(let x) = entry.item else { return XCTFail("seed \(seed): not an exchange") }
                    let whole = original.promptText ?? ""
                    if (x.promptText ?? "").utf8.count < whole.utf8.count { clipped += 1 }
                    XCTAssertEqual(Int(x.analysed.promptBytes), whole.utf8.count)
                    carried.append(x)
                }
            }
            XCTAssertGreaterThan(clipped, records.count / 4, "seed \(seed): most long prompts must travel clipped")

            func report(_ records: [Exchange]) -> String {
                let detector = Detector()
                var ledger = InputLedger()
                var batch: [Exchange] = []
                for x in records where ledger.admit(x) {
                    batch.append(x)
                    if batch.count >= 64 { detector.ingest(draining: &batch) }
                }
                detector.ingest(draining: &batch)
                return StateRoundTripTests.report(detector, ledger)
            }
            XCTAssertEqual(report(carried), report(records), "seed \(seed), \(scenario)")
        }
    }

    /// The clipped start gives the label the whole prompt gives, wherever characters fall.
    func testTheClippedStartHasTheWholePromptsLabel() {
        var seed = randomSeed("ClippedSummaryTests label")
        let pieces = ["a", "é", "日", "🙂", " ", "x"].map { Array($0.utf8) }
        for _ in 0..<2_000 {
            var text: [UInt8] = []
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let length = Int((seed >> 40) % 400)
            var s = seed
            while text.count < length {
                s = s &* 6364136223846793005 &+ 1442695040888963407
                text += pieces[Int(s >> 33) % pieces.count]
            }
            text.withUnsafeBytes { whole in
                let kept = EvidenceStore.excerptSource(whole)
                let start = UnsafeRawBufferPointer(rebasing: whole[..<kept])
                XCTAssertEqual(EvidenceStore.excerpt(start), EvidenceStore.excerpt(whole), "seed \(seed)")
                XCTAssertNotNil(String(validating: start, as: UTF8.self), "seed \(seed): cut inside a character")
                XCTAssertLessThanOrEqual(kept, EvidenceStore.excerptLimit + 4)
            }
        }
    }
}
