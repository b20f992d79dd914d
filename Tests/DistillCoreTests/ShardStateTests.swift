import XCTest
@testable import DistillCore

/// A shard worker's saved partition must read back into the same drill-down answers, the same
/// repeat check and the same set of recorded messages; damaged bytes are refused, never read.
final class ShardStateTests: XCTestCase {
    static let t0: StreamTime = 1_776_000_000_000

    /// Exchanges with every optional field sometimes present and sometimes absent.
    func varied(seed: UInt64, count: Int) -> [Exchange] {
        var rng = seed
        func next(_ n: Int) -> Int {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Int((rng >> 33) % UInt64(n))
        }
        return (0..<count).map { i in
            let some = { (s: String) -> String? in next(3) == 0 ? nil : s }
            return Exchange(
                ts: Self.t0 + StreamTime(i) * 997, accountID: "acct_\(next(40))", apiKeyID: some("key\(next(5))"),
                requestID: "req\(i)", orgID: some("org\(next(4))"), endUserID: some("user\(next(9))"),
                sessionID: some("sess\(next(12))"), clientIP: some("10.0.\(next(3)).\(next(200))"),
                asn: next(2) == 0 ? nil : Int64(next(60000)), country: some(["DE", "US", "日本"][next(3)]),
                userAgent: some("sdk/\(next(7)) \u{1B}[31m" + String(repeating: "ü", count: next(200))),
                paymentFP: some("card\(next(6))"), model: some("model-\(next(3))"),
                inputTokens: next(2) == 0 ? nil : Int64(next(9000)), outputTokens: Int64(next(4000)),
                reasoningTokens: next(2) == 0 ? nil : Int64(next(3000)), latencyMs: next(2) == 0 ? nil : Double(next(90000)) / 7,
                status: next(5) == 0 ? .failure : .success, httpStatus: next(2) == 0 ? nil : 200,
                promptText: next(4) == 0 ? nil : String(repeating: "think step by step ", count: 1 + next(30)),
                promptFP: "fp\(next(50))", systemFP: some("sys\(next(3))"), toolsFP: some("tools\(next(3))"))
        }
    }

    func testASavedPartitionReadsBackIntoTheSameAnswers() throws {
        let seed = UInt64(0x5eed_0001)
        print("ShardStateTests seed \(seed)")
        let inspector = ExchangeInspector(maxAccounts: 30, maxSessions: 3, maxExchangesPerSession: 4, maxValues: 3)
        var state = ShardState(partition: 5, partitions: 16, inspector: inspector)
        let exchanges = varied(seed: seed, count: 600)
        for (i, x) in exchanges.enumerated() {
            state.recorded.insert(UInt64(1000 + i))
            if state.repeats.admit(x) { inspector.record(x) }
            if let key = state.repeats.requestKeys.key(of: x) { state.recentRequests[key] = UInt64(1000 + i) }
        }
        XCTAssertFalse(state.recentRequests.isEmpty)
        XCTAssertGreaterThan(inspector.evictedAccounts, 0, "the limits were reached")
        let bytes = state.encoded()

        let fresh = ExchangeInspector(maxAccounts: 30, maxSessions: 3, maxExchangesPerSession: 4, maxValues: 3)
        var back = try ShardState(decoding: bytes, into: fresh)
        XCTAssertTrue(back.inspector === fresh)
        XCTAssertEqual(back.partition, 5)
        XCTAssertEqual(back.partitions, 16)
        XCTAssertNil(back.stream, "none was given")
        XCTAssertEqual(back.recorded, state.recorded)
        XCTAssertEqual(back.recentRequests, state.recentRequests, "the request ids of recorded messages")
        XCTAssertEqual(fresh.accountCount, inspector.accountCount)
        XCTAssertEqual(fresh.evictedAccounts, inspector.evictedAccounts)
        for k in 0..<40 {
            XCTAssertEqual(fresh.inspection(of: "acct_\(k)"), inspector.inspection(of: "acct_\(k)"), "acct_\(k)")
        }
        // Saving what was read back and reading it again changes nothing.
        let again = ExchangeInspector(maxAccounts: 30, maxSessions: 3, maxExchangesPerSession: 4, maxValues: 3)
        let twice = try ShardState(decoding: back.encoded(), into: again)
        XCTAssertEqual(twice.recorded, state.recorded)
        for k in 0..<40 { XCTAssertTrue(again.inspection(of: "acct_\(k)") == inspector.inspection(of: "acct_\(k)"), "acct_\(k) saved twice") }
        // The repeat check goes on where it stopped: a record seen before the save is set aside.
        XCTAssertFalse(back.repeats.admit(exchanges[599]))
        // And both go on alike after it.
        for x in varied(seed: seed + 1, count: 50) {
            if state.repeats.admit(x) { inspector.record(x) }
            if back.repeats.admit(x) { fresh.record(x) }
        }
        for k in 0..<40 { XCTAssertEqual(fresh.inspection(of: "acct_\(k)"), inspector.inspection(of: "acct_\(k)")) }
    }

    /// The stream a partition was read from is kept, so that a directory is not taken for
    /// another stream's partition of the same number.
    func testTheStreamIsKept() throws {
        let state = ShardState(partition: 3, partitions: 16, stream: "DISTILL_EU", inspector: ExchangeInspector())
        let back = try ShardState(decoding: state.encoded(), into: ExchangeInspector())
        XCTAssertEqual(back.stream, "DISTILL_EU")
    }

    func testDamagedStatesAreRefusedAndLeaveTheInspectorAlone() throws {
        let inspector = ExchangeInspector()
        var state = ShardState(partition: 2, partitions: 4, inspector: inspector)
        for x in varied(seed: 7, count: 50) where state.repeats.admit(x) { inspector.record(x) }
        state.recorded = [1, 2, 3]
        let bytes = state.encoded()
        let target = ExchangeInspector()
        target.record(Exchange(ts: Self.t0, accountID: "kept"))

        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x40
        XCTAssertThrowsError(try ShardState(decoding: flipped, into: target)) { XCTAssertEqual($0 as? StateError, .checksumMismatch) }
        XCTAssertThrowsError(try ShardState(decoding: Array(bytes.dropLast(9)), into: target)) { XCTAssertEqual($0 as? StateError, .truncated) }
        XCTAssertThrowsError(try ShardState(decoding: Array("DWSTATE\u{1A}".utf8) + bytes.dropFirst(8), into: target)) {
            XCTAssertEqual($0 as? StateError, .notAStateFile)
        }
        var newer = bytes
        newer[8] = 9
        XCTAssertThrowsError(try ShardState(decoding: newer, into: target)) {
            XCTAssertEqual($0 as? StateError, .newerVersion(found: 9, supported: ShardState.formatVersion))
        }
        XCTAssertEqual(target.accountCount, 1, "nothing of a refused state was taken in")
        XCTAssertNotNil(target.accountDetail("kept"))
    }
}
