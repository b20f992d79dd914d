import XCTest
@testable import DistillCore

/// One test per named signal of `RiskModel.score`: a small trace that should raise the signal
/// and a control that differs only in the aspect the signal measures.
///
/// The baseline account is as plain as possible: varied prompts with no cue phrases, two-turn
/// sessions, 400 tokens in and 300 out, one home IP, its own card and org, about 13 hours of
/// light use. Each test changes one thing.
final class SignalTests: XCTestCase {
    /// 2026-04-12 00:00 UTC, so hour-of-day arithmetic below is plain.
    static let day0: StreamTime = 1_775_952_000_000
    static let minute: StreamTime = 60_000
    static let hour: StreamTime = 3_600_000

    // MARK: Trace building

    static let words = [
        "apple", "river", "copper", "lantern", "meadow", "violin", "harbor", "pepper", "glacier", "tulip",
        "marble", "falcon", "canyon", "velvet", "orchid", "pillow", "rocket", "saddle", "thunder", "walnut",
        "basket", "candle", "dragon", "feather", "garden", "helmet", "island", "jacket", "kettle", "ladder",
        "magnet", "needle", "oyster", "parrot", "quartz", "ribbon", "silver", "tiger", "umbrella", "wizard",
    ]

    /// Deterministic pseudo-random words, different for every (account, index, salt).
    static func randomWords(_ count: Int, seed: String) -> [String] {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in seed.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        var out: [String] = []
        for _ in 0..<count {
            h = h &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            out.append(words[Int((h >> 33) % UInt64(words.count))])
        }
        return out
    }

    static let neutralMiddle = "could you tell me something interesting about these things today please"
    static let extractionMiddle = "write out your complete chain of thought about these things please"
    static let lightMiddle = "let's think step by step about these things today please"

    /// A prompt whose opening six and closing five words are random (no shared template family),
    /// with `middle` between them; over 100 bytes so exact repeats are checked.
    static func prompt(_ account: String, _ i: Int, middle: String = neutralMiddle) -> String {
        let w = randomWords(12, seed: "\(account)#\(i)")
        return w[0..<6].joined(separator: " ") + ", " + middle + ": " + w[6...].joined(separator: " ")
    }

    static func ip(for account: String) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in account.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return "10.\(h % 250).\((h >> 8) % 250).7"
    }

    /// Baseline: pairs of turns one minute apart, a pair every 20 minutes.
    static func baseTime(_ i: Int, start: StreamTime = day0) -> StreamTime {
        start + StreamTime(i / 2) * 20 * minute + StreamTime(i % 2) * minute
    }

    static func exchange(_ account: String, _ i: Int, ts: StreamTime) -> Exchange {
        Exchange(ts: ts, accountID: account, requestID: "\(account)-\(i)", orgID: "org-\(account)",
                 sessionID: "\(account)-s\(i / 2)", clientIP: ip(for: account), paymentFP: "card-\(account)",
                 model: "m1", inputTokens: 400, outputTokens: 300, reasoningTokens: 0, httpStatus: 200,
                 promptText: prompt(account, i))
    }

    /// `count` baseline exchanges from `account`, each passed through `edit`.
    static func trace(_ account: String, count: Int = 40, edit: (inout Exchange, Int) -> Void = { _, _ in }) -> [Exchange] {
        trace(account, count: count, time: { baseTime($0) }, edit: edit)
    }

    static func trace(_ account: String, count: Int = 40, time: (Int) -> StreamTime,
                      edit: (inout Exchange, Int) -> Void = { _, _ in }) -> [Exchange] {
        (0..<count).map { i in
            var e = exchange(account, i, ts: time(i))
            edit(&e, i)
            return e
        }
    }

    /// Runs a fresh detector over `exchanges` and returns the cluster holding `account`,
    /// lone clear accounts included.
    func cluster(of account: String, after exchanges: [Exchange],
                 file: StaticString = #filePath, line: UInt = #line) throws -> ClusterSnapshot {
        let detector = Detector()
        detector.ingest(exchanges.sorted { $0.ts < $1.ts })
        let snap = detector.snapshot(includeQuiet: true)
        return try XCTUnwrap(snap.clusters.first { $0.accounts.contains(account) }, "no cluster holds \(account)", file: file, line: line)
    }

    func weight(_ name: String, _ c: ClusterSnapshot) -> Double? {
        c.signals.first { $0.name == name }?.weight
    }

    /// The signal is present with at least `minimum` magnitude and the right sign in `raised`,
    /// and absent from `control`.
    func assertSignal(_ name: String, positive: Bool, minimum: Double, raised: ClusterSnapshot, control: ClusterSnapshot,
                      file: StaticString = #filePath, line: UInt = #line) {
        guard let w = weight(name, raised) else {
            XCTFail("\(name) missing; signals: \(raised.signals.map { "\($0.name)=\($0.weight)" })", file: file, line: line)
            return
        }
        if positive {
            XCTAssertGreaterThanOrEqual(w, minimum, "\(name) weight", file: file, line: line)
        } else {
            XCTAssertLessThanOrEqual(w, -minimum, "\(name) weight", file: file, line: line)
        }
        XCTAssertNil(weight(name, control), "\(name) should be absent from the control: \(control.signals.map { "\($0.name)=\($0.weight)" })",
                     file: file, line: line)
    }

    // MARK: Baseline

    func testBaselineAccountRaisesNoSignal() throws {
        let c = try cluster(of: "plain", after: Self.trace("plain"))
        XCTAssertEqual(c.accounts, ["plain"])
        XCTAssertEqual(c.verdict, .clear)
        XCTAssertEqual(c.signals.map(\.name), [], "the baseline is meant to be neutral")
        XCTAssertLessThan(c.risk, 0.06)
    }

    // MARK: Prompt content

    func testReasoningExtraction() throws {
        let raised = try cluster(of: "x", after: Self.trace("x") { e, i in e.promptText = Self.prompt("x", i, middle: Self.extractionMiddle) })
        let control = try cluster(of: "x", after: Self.trace("x"))
        // 3.2 at full share, shrunk by 40 / (40 + 15).
        assertSignal("reasoning_extraction", positive: true, minimum: 2.0, raised: raised, control: control)
        // From the ~5% of no evidence to about a third: base −3 plus 3.2 × 40/55.
        XCTAssertLessThan(control.risk, 0.06)
        XCTAssertGreaterThan(raised.risk, 0.3)
    }

    func testStepByStep() throws {
        let raised = try cluster(of: "x", after: Self.trace("x") { e, i in e.promptText = Self.prompt("x", i, middle: Self.lightMiddle) })
        let control = try cluster(of: "x", after: Self.trace("x"))
        assertSignal("step_by_step", positive: true, minimum: 0.3, raised: raised, control: control)
        // Light reasoning cues are what students and harnesses write: not extraction.
        XCTAssertNil(weight("reasoning_extraction", raised))
    }

    func testTemplateConcentration() throws {
        // Every prompt is a fill of one template: same opening and closing words.
        let raised = try cluster(of: "x", after: Self.trace("x") { e, i in
            e.promptText = "Summarize the following support ticket in three bullet points: "
                + Self.randomWords(8, seed: "x\(i)").joined(separator: " ") + ". Keep it short and friendly."
        })
        let control = try cluster(of: "x", after: Self.trace("x"))
        assertSignal("template_concentration", positive: true, minimum: 0.3, raised: raised, control: control)
    }

    // MARK: Tokens

    func testOutputHeavy() throws {
        let raised = try cluster(of: "x", after: Self.trace("x") { e, _ in e.inputTokens = 200; e.outputTokens = 3000 })
        let control = try cluster(of: "x", after: Self.trace("x"))
        assertSignal("output_heavy", positive: true, minimum: 0.5, raised: raised, control: control)
    }

    func testOutputHeavyNeedsTwiceTheInput() throws {
        // 3000 tokens out for 2000 in is a long answer to a long question, not output-heavy.
        let c = try cluster(of: "x", after: Self.trace("x") { e, _ in e.inputTokens = 2000; e.outputTokens = 3000 })
        XCTAssertNil(weight("output_heavy", c))
    }

    func testReasoningTokens() throws {
        // Same output volume; in the raised trace two thirds of it is reasoning.
        let raised = try cluster(of: "x", after: Self.trace("x") { e, _ in e.reasoningTokens = 200 })
        let control = try cluster(of: "x", after: Self.trace("x"))
        assertSignal("reasoning_tokens", positive: true, minimum: 0.2, raised: raised, control: control)
        XCTAssertNil(weight("output_heavy", raised))
    }

    // MARK: Conversation shape

    func testSingleTurn() throws {
        // Every exchange is its own session, at the same times as the two-turn baseline.
        let raised = try cluster(of: "x", after: Self.trace("x") { e, i in e.sessionID = "x-one-\(i)" })
        let control = try cluster(of: "x", after: Self.trace("x"))
        assertSignal("single_turn", positive: true, minimum: 0.5, raised: raised, control: control)
    }

    func testSessionlessExchangesCountAsSingleTurn() throws {
        let raised = try cluster(of: "x", after: Self.trace("x") { e, _ in e.sessionID = nil })
        XCTAssertGreaterThanOrEqual(weight("single_turn", raised) ?? 0, 0.5)
    }

    /// An extraction trace: the baseline with reasoning-eliciting prompts and long answers.
    static func extractionTrace(_ account: String, count: Int = 40, time: ((Int) -> StreamTime)? = nil,
                                edit: (inout Exchange, Int) -> Void = { _, _ in }) -> [Exchange] {
        trace(account, count: count, time: time ?? { baseTime($0) }) { e, i in
            e.promptText = prompt(account, i, middle: extractionMiddle)
            e.outputTokens = 2400
            edit(&e, i)
        }
    }

    func testLongConversationsDoNotLowerRisk() throws {
        // Follow-up turns cost an attacker nothing: eight-turn sessions of extraction prompts must
        // score at least as high as the same prompts in two-turn sessions.
        let time: (Int) -> StreamTime = { Self.day0 + StreamTime($0 / 8) * 40 * Self.minute + StreamTime($0 % 8) * Self.minute }
        let varied = try cluster(of: "x", after: Self.extractionTrace("x", time: time) { e, i in e.sessionID = "x-long-\(i / 8)" })
        let plain = try cluster(of: "x", after: Self.extractionTrace("x", time: time))
        XCTAssertGreaterThanOrEqual(varied.risk, plain.risk - 1e-9)
        XCTAssertFalse(varied.signals.contains { $0.weight < 0 }, "\(varied.signals)")
        XCTAssertNil(weight("single_turn", varied))
    }

    // MARK: Timing and network

    func testRoundTheClock() throws {
        // 120 exchanges over two days: one every 24 minutes around the clock, versus the same
        // number packed into 09:00–18:00 on both days.
        func pair(_ i: Int, _ slot: StreamTime) -> StreamTime { slot + StreamTime(i % 2) * Self.minute }
        let raised = try cluster(of: "x", after: Self.trace("x", count: 120, time: { i in
            pair(i, Self.day0 + StreamTime(i / 2) * 48 * Self.minute)
        }))
        let control = try cluster(of: "x", after: Self.trace("x", count: 120, time: { i in
            let p = i / 2  // 30 pairs a day, one every 18 minutes from 09:00
            return pair(i, Self.day0 + StreamTime(p / 30) * 24 * Self.hour + 9 * Self.hour + StreamTime(p % 30) * 18 * Self.minute)
        }))
        assertSignal("round_the_clock", positive: true, minimum: 0.3, raised: raised, control: control)
    }

    func testRoundTheClockNeedsADayOfActivity() throws {
        // Flat over the hours it covers, but only ten hours of it: not evidence of a machine.
        let c = try cluster(of: "x", after: Self.trace("x", count: 120, time: { i in
            Self.day0 + StreamTime(i) * 5 * Self.minute
        }))
        XCTAssertNil(weight("round_the_clock", c))
    }

    func testIPRotation() throws {
        let raised = try cluster(of: "x", after: Self.trace("x") { e, i in e.clientIP = "100.64.\(i / 200).\(i % 200 + 1)" })
        let control = try cluster(of: "x", after: Self.trace("x"))
        assertSignal("ip_rotation", positive: true, minimum: 0.5, raised: raised, control: control)
    }

    func testEndUserIDsDoNotLowerRisk() throws {
        // Anyone can fill end_user with a hundred made-up names.
        let varied = try cluster(of: "x", after: Self.extractionTrace("x", count: 100, edit: { e, i in e.endUserID = "user-\(i)" }))
        let plain = try cluster(of: "x", after: Self.extractionTrace("x", count: 100, edit: { e, _ in e.endUserID = "user-0" }))
        XCTAssertGreaterThanOrEqual(varied.risk, plain.risk - 1e-9)
        XCTAssertNil(weight("end_users", varied))
    }

    func testBurstsDoNotLowerRisk() throws {
        // Sending in two bursts instead of evenly is a scheduler setting, free to an attacker.
        let burst: (Int) -> StreamTime = { i in
            (i < 40 ? Self.day0 : Self.day0 + 47 * Self.hour) + StreamTime((i % 40) / 2) * 2 * Self.minute + StreamTime(i % 2) * Self.minute
        }
        let even: (Int) -> StreamTime = { i in Self.day0 + StreamTime(i / 2) * 72 * Self.minute + StreamTime(i % 2) * Self.minute }
        let varied = try cluster(of: "x", after: Self.extractionTrace("x", count: 80, time: burst))
        let plain = try cluster(of: "x", after: Self.extractionTrace("x", count: 80, time: even))
        XCTAssertGreaterThanOrEqual(varied.risk, plain.risk - 1e-9)
        XCTAssertNil(weight("bursty", varied))
    }

    func testRateLimited() throws {
        // One request in eight hit a 429.
        let raised = try cluster(of: "x", after: Self.trace("x") { e, i in if i % 8 == 0 { e.httpStatus = 429 } })
        let control = try cluster(of: "x", after: Self.trace("x"))
        assertSignal("rate_limited", positive: true, minimum: 0.2, raised: raised, control: control)
    }

    func testModelPivot() throws {
        // "x" used m1 on day one. 25 hours into the stream, m2 appears (first sent by "herald");
        // in the raised trace x moves all 40 of its next exchanges to it, in the control it stays.
        func run(pivot: Bool) throws -> ClusterSnapshot {
            let before = Self.trace("x", count: 10)
            let release = Self.day0 + 25 * Self.hour
            let herald = Exchange(ts: release, accountID: "herald", clientIP: "10.200.200.1", paymentFP: "card-herald", model: "m2")
            let after = Self.trace("x", count: 40, time: { Self.baseTime($0, start: release + Self.minute) }) { e, i in
                e.promptText = Self.prompt("x", 100 + i)
                e.sessionID = "x-late-\(i / 2)"
                if pivot { e.model = "m2" }
            }
            return try cluster(of: "x", after: before + [herald] + after)
        }
        assertSignal("model_pivot", positive: true, minimum: 0.3, raised: try run(pivot: true), control: try run(pivot: false))
    }

    func testHighVolume() throws {
        // 100 exchanges in 50 minutes (2400 a day) versus the same 100 over ten hours (240 a day).
        let raised = try cluster(of: "x", after: Self.trace("x", count: 100, time: { Self.day0 + StreamTime($0) * 30_000 }))
        let control = try cluster(of: "x", after: Self.trace("x", count: 100, time: { Self.day0 + StreamTime($0) * 6 * Self.minute }))
        assertSignal("high_volume", positive: true, minimum: 0.5, raised: raised, control: control)
    }

    // MARK: Evidence across accounts

    func testSharedPayment() throws {
        // Eight accounts on one card: eight separate orgs, versus one org's eight keys.
        let accounts = (0..<8).map { "acct\($0)" }
        func run(separateOrgs: Bool) throws -> ClusterSnapshot {
            let all = accounts.flatMap { a in
                Self.trace(a, count: 10) { e, _ in e.paymentFP = "card-shared"; e.orgID = separateOrgs ? "org-\(a)" : "org-one" }
            }
            let c = try cluster(of: "acct0", after: all)
            XCTAssertEqual(Set(c.accounts), Set(accounts), "one card is one cluster")
            return c
        }
        let raised = try run(separateOrgs: true), control = try run(separateOrgs: false)
        assertSignal("shared_payment", positive: true, minimum: 1.4, raised: raised, control: control)
        XCTAssertGreaterThan(raised.risk, control.risk)
    }

    func testSharedInfrastructure() throws {
        // Six accounts on one home IP: six separate payers, versus one payer's six accounts. They
        // ask for reasoning traces: an address joins only accounts whose own behaviour is notable.
        let accounts = (0..<6).map { "acct\($0)" }
        func run(separatePayers: Bool) throws -> ClusterSnapshot {
            let all = accounts.flatMap { a in
                Self.trace(a, count: 40) { e, i in
                    e.clientIP = "203.0.113.9"
                    e.promptText = Self.prompt(a, i, middle: Self.extractionMiddle)
                    e.paymentFP = separatePayers ? "card-\(a)" : "card-one"
                    e.orgID = separatePayers ? "org-\(a)" : "org-one"
                }
            }
            let c = try cluster(of: "acct0", after: all)
            XCTAssertEqual(Set(c.accounts), Set(accounts))
            return c
        }
        let raised = try run(separatePayers: true), control = try run(separatePayers: false)
        // ramp(6 owners, 3, 10) = 3/7.
        assertSignal("shared_infrastructure", positive: true, minimum: 0.4, raised: raised, control: control)
        XCTAssertNil(weight("shared_payment", raised))
    }

    func testSynchronisedTemplates() throws {
        // Five accounts on one card, each in an org of its own, all filling the same template,
        // versus writing freely.
        let accounts = (0..<5).map { "acct\($0)" }
        func run(template: Bool) throws -> ClusterSnapshot {
            let all = accounts.flatMap { a in
                Self.trace(a, count: 10) { e, i in
                    e.paymentFP = "card-one"; e.orgID = "org-\(a)"
                    if template {
                        e.promptText = "Summarize the following support ticket in three bullet points: "
                            + Self.randomWords(8, seed: "\(a)/\(i)").joined(separator: " ") + ". Keep it short and friendly."
                    }
                }
            }
            let c = try cluster(of: "acct0", after: all)
            XCTAssertEqual(Set(c.accounts), Set(accounts))
            return c
        }
        let raised = try run(template: true), control = try run(template: false)
        assertSignal("synchronised_templates", positive: true, minimum: 0.7, raised: raised, control: control)
    }

    func testCreationBurst() throws {
        // Eight accounts on one card, each in an org of its own, first seen within half an hour,
        // versus one every six hours.
        // A bystander starts the stream so that the accounts are not merely "already active".
        let accounts = (0..<8).map { "acct\($0)" }
        func run(spacing: StreamTime) throws -> ClusterSnapshot {
            let bystander = Exchange(ts: Self.day0, accountID: "bystander", clientIP: "10.222.0.1", paymentFP: "card-bystander", model: "m1")
            let all = accounts.enumerated().flatMap { k, a in
                Self.trace(a, count: 10, time: { Self.baseTime($0, start: Self.day0 + 2 * Self.hour + StreamTime(k) * spacing) }) { e, _ in
                    e.paymentFP = "card-one"; e.orgID = "org-\(a)"
                }
            }
            let c = try cluster(of: "acct0", after: [bystander] + all)
            XCTAssertEqual(Set(c.accounts), Set(accounts))
            return c
        }
        let raised = try run(spacing: 4 * Self.minute), control = try run(spacing: 6 * Self.hour)
        assertSignal("creation_burst", positive: true, minimum: 0.7, raised: raised, control: control)
    }

    func testAccountsActiveWhenTheStreamBeginsAreNoCreationBurst() throws {
        // The same eight accounts within minutes of each other, but from the stream's first hour.
        let accounts = (0..<8).map { "acct\($0)" }
        let all = accounts.enumerated().flatMap { k, a in
            Self.trace(a, count: 10, time: { Self.baseTime($0, start: Self.day0 + StreamTime(k) * 4 * Self.minute) }) { e, _ in
                e.paymentFP = "card-one"; e.orgID = "org-one"
            }
        }
        let c = try cluster(of: "acct0", after: all)
        XCTAssertEqual(Set(c.accounts), Set(accounts))
        XCTAssertNil(weight("creation_burst", c))
    }

    // MARK: Monotonicity

    func testRiskRisesWithTheShareOfExtractionPrompts() throws {
        // 0%, 20%, 40% and 60% of 40 prompts: the reasoning_extraction ramp runs from 15% to 60%.
        var risks: [Double] = [], weights: [Double] = []
        for extracting in [0, 8, 16, 24] {
            let c = try cluster(of: "x", after: Self.trace("x") { e, i in
                if i < extracting { e.promptText = Self.prompt("x", i, middle: Self.extractionMiddle) }
            })
            risks.append(c.risk)
            weights.append(weight("reasoning_extraction", c) ?? 0)
        }
        XCTAssertEqual(weights[0], 0, "no extraction prompts, no reasoning_extraction")
        for k in 1..<risks.count {
            XCTAssertGreaterThan(risks[k], risks[k - 1], "risk by extraction prompts out of 40: \(risks)")
            XCTAssertGreaterThan(weights[k], weights[k - 1], "reasoning_extraction weights: \(weights)")
        }
    }

    func testMoreExtractionPromptsAtTheSameShareWeighMore() throws {
        // The same 100% share read from 10 prompts and from 60: more samples, more certainty.
        let few = try cluster(of: "x", after: Self.trace("x", count: 10) { e, i in e.promptText = Self.prompt("x", i, middle: Self.extractionMiddle) })
        let many = try cluster(of: "x", after: Self.trace("x", count: 60) { e, i in e.promptText = Self.prompt("x", i, middle: Self.extractionMiddle) })
        let wFew = try XCTUnwrap(weight("reasoning_extraction", few)), wMany = try XCTUnwrap(weight("reasoning_extraction", many))
        XCTAssertGreaterThan(wMany, wFew)
        XCTAssertLessThanOrEqual(wMany, 3.2)
        XCTAssertGreaterThan(many.risk, few.risk)
    }
}
