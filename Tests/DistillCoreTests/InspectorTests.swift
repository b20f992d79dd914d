import XCTest
@testable import DistillCore

final class InspectorTests: XCTestCase {
    static let t0: StreamTime = 1_776_000_000_000

    func testKeepsRecentSessionsAndExchangesWithinItsBounds() {
        let ins = ExchangeInspector(maxAccounts: 10, maxSessions: 2, maxExchangesPerSession: 3, maxValues: 2)
        for i in 0..<20 {
            ins.record(Exchange(ts: Self.t0 + StreamTime(i) * 1000, accountID: "a", sessionID: "s\(i / 5)", clientIP: "10.0.0.\(i % 3)",
                                paymentFP: "card", promptText: String(repeating: "x", count: 300)))
        }
        let sessions = ins.sessions("a")
        XCTAssertEqual(sessions.map(\.id), ["s3", "s2"], "the two most recent, newest first")
        XCTAssertEqual(sessions[0].turns, 5)
        XCTAssertEqual(ins.exchanges("a", session: "s3").count, 3)
        XCTAssertEqual(ins.exchanges("a", session: "s3").last?.ts, Self.t0 + 19_000)
        let e = ins.exchanges("a", session: "s3")[0]
        XCTAssertEqual(e.promptExcerpt?.count, ExchangeInspector.excerptLimit)
        XCTAssertTrue(e.promptTruncated)
        let d = ins.accountDetail("a")!
        XCTAssertEqual(d.exchanges, 20)
        XCTAssertEqual(d.sessionsSeen, 4)
        XCTAssertEqual(d.ips.values.count, 2, "capped")
        XCTAssertGreaterThan(d.ips.overflow, 0)
        XCTAssertEqual(d.cards.sorted.first, SeenValue(value: "card", count: 20))
    }

    /// A record handed over again after later ones (a shard worker that took over) takes its
    /// place by time: the same records in any order leave the same session.
    func testASessionKeepsItsLatestExchangesByTimeWhateverTheArrivalOrder() {
        let records = (0..<10).map { Exchange(ts: Self.t0 + StreamTime($0) * 1000, accountID: "a", requestID: "r\($0)", sessionID: "s") }
        let inOrder = ExchangeInspector(maxExchangesPerSession: 4)
        for x in records { inOrder.record(x) }
        XCTAssertEqual(inOrder.exchanges("a", session: "s").map(\.requestID), ["r6", "r7", "r8", "r9"])
        var rng = UInt64(0x1234)
        print("arrival orders seeded with \(rng)")
        for _ in 0..<20 {
            var shuffled = records
            for k in stride(from: shuffled.count - 1, to: 0, by: -1) {
                rng = rng &* 6364136223846793005 &+ 1442695040888963407
                shuffled.swapAt(k, Int((rng >> 33) % UInt64(k + 1)))
            }
            let any = ExchangeInspector(maxExchangesPerSession: 4)
            for x in shuffled { any.record(x) }
            XCTAssertEqual(any.inspection(of: "a"), inOrder.inspection(of: "a"), shuffled.compactMap(\.requestID).joined(separator: ","))
        }
    }

    /// A user agent longer than what is kept ends in "…" wherever it is shown whole.
    func testALongUserAgentIsMarkedAsCut() throws {
        let ins = ExchangeInspector()
        let long = "Mozilla/5.0 " + String(repeating: "L", count: 5_000)
        ins.record(Exchange(ts: Self.t0, accountID: "a", sessionID: "s", userAgent: long))
        ins.record(Exchange(ts: Self.t0 + 1000, accountID: "a", sessionID: "s", userAgent: "curl/8.5"))
        let shown = try XCTUnwrap(ins.exchanges("a", session: "s").first?.userAgent)
        XCTAssertEqual(shown, String(long.prefix(120)) + "…")
        XCTAssertEqual(ins.exchanges("a", session: "s").last?.userAgent, "curl/8.5", "a short one is kept as it is")
        XCTAssertEqual(Set(try XCTUnwrap(ins.accountDetail("a")).userAgents.values.map(\.value)), [shown, "curl/8.5"])
    }

    func testForgetsTheLeastRecentlyActiveAccountsWhenFull() {
        let ins = ExchangeInspector(maxAccounts: 10)
        for k in 0..<25 { ins.record(Exchange(ts: Self.t0 + StreamTime(k), accountID: "acct\(k)")) }
        XCTAssertLessThanOrEqual(ins.accountCount, 10)
        XCTAssertNotNil(ins.accountDetail("acct24"))
        XCTAssertNil(ins.accountDetail("acct0"))
    }

    func testDetectorFeedsTheInspectorAndExposesAccountFigures() {
        let detector = Detector()
        detector.inspector = ExchangeInspector()
        for i in 0..<10 {
            detector.ingest(Exchange(ts: Self.t0 + StreamTime(i) * 600_000, accountID: "a", inputTokens: 100, outputTokens: 2000,
                                     promptText: "Solve the following problem step by step, showing all your reasoning: \(i)"))
        }
        XCTAssertEqual(detector.inspector?.accountDetail("a")?.exchanges, 10)
        let f = detector.accountFigures("a")!
        XCTAssertEqual(f.exchanges, 10)
        XCTAssertEqual(f.meanOutput, 2000)
        XCTAssertEqual(f.hourly.reduce(0, +), 10)
        XCTAssertEqual(f.hourly.count, Snapshot.hourlyBuckets)
        XCTAssertGreaterThan(f.cotShare, 0.5)
    }

    func testAccountConversationsCountAsTheSingleTurnRuleDoes() throws {
        // Six exchanges in two 3-turn sessions, and four with no session (each a conversation
        // of one exchange): 6 conversations, 4 of them a single exchange.
        let t0: StreamTime = 1_776_000_000_000
        let detector = Detector()
        detector.ingest((0..<10).map { i in
            Exchange(ts: t0 + StreamTime(i) * 60_000, accountID: "a", requestID: "r\(i)", sessionID: i < 6 ? "s\(i / 3)" : nil,
                     clientIP: "10.0.0.1", model: "m1", inputTokens: 10, outputTokens: 10, promptText: "hello number \(i)")
        })
        _ = detector.snapshot()
        let f = try XCTUnwrap(detector.accountFigures("a"))
        XCTAssertEqual(f.sessions, 6)
        XCTAssertEqual(f.singleTurnSessions, 4)
    }

    func testTieDetailsNameTheSharedCardAndItsAccounts() throws {
        // Three accounts on one card, each with an org and address of its own; a fourth alone.
        let detector = Detector()
        detector.inspector = ExchangeInspector()
        var batch: [Exchange] = []
        for (k, a) in ["f0", "f1", "f2"].enumerated() {
            batch += DetectorTests.traffic(accounts: [a], perAccount: 20, hours: 10, independent: true) { a, i, ts in
                DetectorTests.farmExchange(a, card: "pm_F", ip: "203.0.113.\(k + 1)", i, ts)
            }
        }
        batch += DetectorTests.traffic(accounts: ["solo"], perAccount: 20, hours: 10, independent: true) { a, i, ts in
            DetectorTests.benignExchange(a, i, ts, ip: "192.0.2.9")
        }
        detector.ingest(batch.sorted { $0.ts < $1.ts })
        let cluster = try XCTUnwrap(detector.snapshot().clusters.first { $0.accounts.contains("f0") })
        let ties = detector.tieDetails(accounts: cluster.accounts)
        let card = try XCTUnwrap(ties.first { $0.kind == .card }, "\(ties)")
        XCTAssertEqual(card.accounts, 3)
        XCTAssertEqual(card.values.map(\.display), ["pm_F"])
        XCTAssertEqual(card.values[0].inCluster, 3)
        XCTAssertEqual(card.values[0].users, 3)
        XCTAssertEqual(card.values[0].ref.kind, .card)
        XCTAssertTrue(detector.tieDetails(accounts: ["solo"]).isEmpty, "a lone account has no ties")

        let value = try XCTUnwrap(detector.sharedValue(card.values[0].ref))
        XCTAssertEqual(value.display, "pm_F")
        XCTAssertEqual(Set(value.users.map(\.account)), ["f0", "f1", "f2"])
        XCTAssertEqual(value.users.map(\.exchanges), [20, 20, 20])
        XCTAssertEqual(value.users.map(\.withValue), [20, 20, 20], "the inspector counted the card per account")
        XCTAssertEqual(value.notKept, 0)
        XCTAssertNil(detector.sharedValue(SharedValueRef(kind: .card, key: 12345)), "an unknown value")
    }
}
