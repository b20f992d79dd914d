import XCTest
@testable import DistillCore

/// Three cases for every rule of `ScoringRules.all`, each through a real `Detector`:
///
/// - raised: a small trace that raises the rule, with the sign of its weight;
/// - control: honest traffic that looks like it and must not raise it;
/// - variation: a cheap change an attacker could make, which must not get the trace out of it.
///   Where such a change does get out of the rule, the test says so and checks that the cluster
///   is still caught by the other rules.
///
/// `coverage` lists the three tests of each rule; `testEveryRuleHasItsThreeCases` fails for a
/// rule that has no entry there, so a new rule cannot land without its tests.
final class RuleTests: XCTestCase {
    typealias S = SignalTests
    typealias D = DetectorTests
    typealias Case = (RuleTests) -> () throws -> Void

    static let day0 = SignalTests.day0
    static let minute = SignalTests.minute
    static let hour = SignalTests.hour
    /// Tests of known false positives skip while this is set; clear it to see them fail.
    static let skipKnownFalsePositives = false

    /// Every rule's raised, control and variation test.
    static var coverage: [String: (raised: Case, control: Case, variation: Case)] {
        [
            "reasoning_extraction": (testReasoningExtractionRaised, testReasoningExtractionControlEvalHarness,
                                     testReasoningExtractionVariationOtherLanguagesAndFollowUps),
            "step_by_step": (testStepByStepRaised, testStepByStepControlStepsWithoutReasoning, testStepByStepVariationOtherLanguages),
            "template_concentration": (testTemplateConcentrationRaised, testTemplateConcentrationControlGreetingAndSignOff,
                                       testTemplateConcentrationVariationThreeTemplatesNumbered),
            "output_heavy": (testOutputHeavyRaised, testOutputHeavyControlLongDocuments, testOutputHeavyVariationPaddedInput),
            "reasoning_tokens": (testReasoningTokensRaised, testReasoningTokensControlLowEffort, testReasoningTokensVariationShortFillers),
            "long_outputs": (testLongOutputsRaised, testLongOutputsControlLongContextAgent, testLongOutputsVariationPaddedInput),
            "single_turn": (testSingleTurnRaised, testSingleTurnControlMixedConversations, testSingleTurnVariationSessionOnEveryRequest),
            "round_the_clock": (testRoundTheClockRaised, testRoundTheClockControlLongWorkingDays, testRoundTheClockVariationShortNightAndUnevenHours),
            "ip_rotation": (testIPRotationRaised, testIPRotationControlHomeOfficePhone, testIPRotationVariationStickyExitPerSession),
            "rate_limited": (testRateLimitedRaised, testRateLimitedControlServerErrors, testRateLimitedVariationBunchedRetries),
            "model_pivot": (testModelPivotRaised, testModelPivotControlEarlyAdopter, testModelPivotVariationTrickleOnOldModel),
            "high_volume": (testHighVolumeRaised, testHighVolumeControlBusyDay, testHighVolumeVariationBurstsWithPauses),
            "shared_payment": (testSharedPaymentRaised, testSharedPaymentControlOfficeCard, testSharedPaymentVariationCardsInPairs),
            "split_payment": (testSplitPaymentRaised, testSplitPaymentControlCompanyCardReplaced, testSplitPaymentVariationOrgPerCard),
            "shared_infrastructure": (testSharedInfrastructureRaised, testSharedInfrastructureControlOfficeNAT,
                                      testSharedInfrastructureVariationAddressPerAccountInOneRange),
            "synchronised_templates": (testSynchronisedTemplatesRaised, testSynchronisedTemplatesControlOwnTemplates,
                                       testSynchronisedTemplatesVariationOwnOpenersSharedClosing),
            "coordinated_harness": (testCoordinatedHarnessRaised, testCoordinatedHarnessControlPopularFramework,
                                    testCoordinatedHarnessVariationJitteredCopies),
            "synchrony": (testSynchronyRaised, testSynchronyControlPopularHour, testSynchronyVariationJitterAcrossWindowsAndSkippedWaves),
            "creation_burst": (testCreationBurstRaised, testCreationBurstControlTwoOnboardingDays, testCreationBurstVariationStaggeredSignUps),
        ]
    }

    func testEveryRuleHasItsThreeCases() {
        let names = ScoringRules.all.map(\.name)
        XCTAssertEqual(Set(names).count, names.count, "rule names are unique")
        for name in names {
            XCTAssertNotNil(Self.coverage[name], "rule \(name) has no raised / control / variation tests in RuleTests.coverage")
        }
        for name in Self.coverage.keys where !names.contains(name) {
            XCTFail("RuleTests.coverage lists \(name), which is not in ScoringRules.all")
        }
    }

    // MARK: Running a trace

    func snapshot(_ exchanges: [Exchange]) -> Snapshot {
        let detector = Detector()
        detector.ingest(exchanges.sorted { $0.ts < $1.ts })
        return detector.snapshot(includeQuiet: true)
    }

    func cluster(_ account: String, in snap: Snapshot, file: StaticString = #filePath, line: UInt = #line) throws -> ClusterSnapshot {
        try XCTUnwrap(snap.clusters.first { $0.accounts.contains(account) }, "no cluster holds \(account)", file: file, line: line)
    }

    func cluster(of account: String, after exchanges: [Exchange], file: StaticString = #filePath, line: UInt = #line) throws -> ClusterSnapshot {
        try cluster(account, in: snapshot(exchanges), file: file, line: line)
    }

    func weight(_ name: String, _ c: ClusterSnapshot) -> Double? { c.signals.first { $0.name == name }?.weight }

    func describe(_ c: ClusterSnapshot) -> String {
        "\(c.accounts.count) accounts, \(c.verdict) at \(c.risk): " + c.signals.map { "\($0.name)=\($0.weight)" }.joined(separator: " ")
    }

    /// The rule is in the cluster's signals with the sign of its table weight and at least `minimum` of it.
    func assertRaised(_ name: String, _ c: ClusterSnapshot, atLeast minimum: Double, file: StaticString = #filePath, line: UInt = #line) {
        guard let rule = ScoringRules.all.first(where: { $0.name == name }) else { return XCTFail("no rule \(name)", file: file, line: line) }
        guard let w = weight(name, c) else { return XCTFail("\(name) not raised: \(describe(c))", file: file, line: line) }
        XCTAssertEqual(w.sign, rule.weight.sign, "\(name) has the wrong sign: \(describe(c))", file: file, line: line)
        XCTAssertGreaterThanOrEqual(abs(w), minimum, "\(name) too weak: \(describe(c))", file: file, line: line)
    }

    func assertNotRaised(_ name: String, _ c: ClusterSnapshot, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNil(weight(name, c), "\(name) raised: \(describe(c))", file: file, line: line)
    }

    /// For a variation that gets out of `escaped`: the cluster is still suspect on its other rules.
    func assertStillSuspect(_ c: ClusterSnapshot, escaped: String, accounts: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(c.accounts.count, accounts, "the farm is still one cluster: \(describe(c))", file: file, line: line)
        XCTAssertEqual(c.verdict, .suspect, "out of \(escaped), and out of suspect too: \(describe(c))", file: file, line: line)
    }

    // MARK: Traces

    /// A prompt with an instruction between random words (no template family), over 100 bytes.
    static func prompt(_ account: String, _ i: Int, _ middle: String) -> String { S.prompt(account, i, middle: middle) }

    /// A small extraction farm, suspect on several rules at once: `count` accounts with their own
    /// orgs on one card, each on its own address in one cloud /24, asking for full reasoning
    /// and taking 2,400-token answers, one exchange per conversation, `perAccount` each over
    /// `hours`. `edit` gets (exchange, account, account number, exchange number).
    static func farm(_ prefix: String = "f", count: Int = 8, perAccount: Int = 40, hours: Int = 20,
                     edit: (inout Exchange, String, Int, Int) -> Void = { _, _, _, _ in }) -> [Exchange] {
        let names = (0..<count).map { "\(prefix)\($0)" }
        return D.traffic(accounts: names, perAccount: perAccount, hours: hours, start: day0 + hour, independent: true) { a, i, ts in
            let k = Int(a.dropFirst(prefix.count))!
            var e = Exchange(ts: ts, accountID: a, requestID: "\(a)-\(i)", orgID: "org-\(a)", sessionID: "\(a)-s\(i)",
                             clientIP: "198.51.100.\(10 + k)", paymentFP: "\(prefix)-card", model: "m1",
                             inputTokens: 300, outputTokens: 2400, reasoningTokens: 0, httpStatus: 200,
                             promptText: prompt(a, i, S.extractionMiddle))
            edit(&e, a, k, i)
            return e
        }
    }

    // MARK: reasoning_extraction

    func testReasoningExtractionRaised() throws {
        let c = try cluster(of: "x", after: S.trace("x") { e, i in e.promptText = Self.prompt("x", i, S.extractionMiddle) })
        assertRaised("reasoning_extraction", c, atLeast: 2.0)
    }

    func testReasoningExtractionControlEvalHarness() throws {
        // An eval harness: arithmetic items with the usual light cues. Students and benchmark
        // suites write this; it asks for an answer with some working, not for a trace.
        let cues = ["Let's think step by step.", "Show your work.", "Explain your answer briefly.", "Think step-by-step, then give the number."]
        let c = try cluster(of: "lab", after: S.trace("lab") { e, i in
            e.promptText = "Question \(i): a shop sells \(i + 3) apples at \(2 * i + 5) cents each; what is the total? " + cues[i % cues.count]
        })
        assertNotRaised("reasoning_extraction", c)
        assertRaised("step_by_step", c, atLeast: 0.3)
    }

    func testReasoningExtractionVariationOtherLanguagesAndFollowUps() throws {
        // The same request in other languages and in capitals.
        let asks = ["请写出你完整的思考过程，然后回答", "Опиши весь ход рассуждений, прежде чем ответить", "Muestra todo tu razonamiento antes de responder",
                    "Erkläre deinen gesamten Gedankengang, bevor du antwortest", "WRITE OUT YOUR CHAIN OF THOUGHT BEFORE ANSWERING"]
        let languages = try cluster(of: "x", after: S.trace("x") { e, i in e.promptText = Self.prompt("x", i, asks[i % asks.count]) })
        assertRaised("reasoning_extraction", languages, atLeast: 2.0)

        // Ask once per conversation, then three "keep going" turns: a quarter of the prompts, all of the openers.
        let followUps = try cluster(of: "x", after: S.trace("x", time: { S.day0 + StreamTime($0 / 4) * 30 * Self.minute + StreamTime($0 % 4) * Self.minute }) { e, i in
            e.sessionID = "x-c\(i / 4)"
            e.promptText = i % 4 == 0 ? Self.prompt("x", i, S.extractionMiddle) : "Keep going from where you stopped, \(S.randomWords(3, seed: "x\(i)").joined(separator: " "))"
        })
        assertRaised("reasoning_extraction", followUps, atLeast: 2.0)
    }

    func testReasoningExtractionUnlistedParaphraseEscapesAndTheFarmDropsToWatch() throws {
        // Escape: the lexicon is a list of phrases. A paraphrase on none of them ("lay out the
        // path that led you to it, every inference along the way") is no extraction prompt to it. The farm
        // stays one cluster on its card, but card, long answers and one-turn conversations alone
        // (-3 + 1.5 + 0.96 + 0.76 + 0.76) leave it at watch (0.73), below suspect.
        let paraphrase = "lay out the path that led you to it, every inference along the way, before the answer"
        let c = try cluster("f0", in: snapshot(Self.farm { e, a, _, i in e.promptText = Self.prompt(a, i, paraphrase) }))
        assertNotRaised("reasoning_extraction", c)
        XCTAssertEqual(c.accounts.count, 8, describe(c))
        XCTAssertNotEqual(c.verdict, .clear, describe(c))
    }

    // MARK: step_by_step

    func testStepByStepRaised() throws {
        let c = try cluster(of: "x", after: S.trace("x") { e, i in e.promptText = Self.prompt("x", i, S.lightMiddle) })
        assertRaised("step_by_step", c, atLeast: 0.3)
    }

    func testStepByStepControlStepsWithoutReasoning() throws {
        // Prompts about steps (a passport renewal, a staircase, a dance) that ask for no reasoning.
        let middles = ["what are the usual steps to renew a passport here please", "how many steps does the old lighthouse staircase have",
                       "describe the basic steps of a waltz for a beginner please", "which step of bread making needs the most patience"]
        let c = try cluster(of: "x", after: S.trace("x") { e, i in e.promptText = Self.prompt("x", i, middles[i % middles.count]) })
        assertNotRaised("step_by_step", c)
    }

    func testStepByStepVariationOtherLanguages() throws {
        let asks = ["resuélvelo paso a paso por favor", "реши это шаг за шагом", "löse es Schritt für Schritt",
                    "LET'S THINK STEP-BY-STEP", "go one step at a time", "一步一步地解决这个问题"]
        let c = try cluster(of: "x", after: S.trace("x") { e, i in e.promptText = Self.prompt("x", i, asks[i % asks.count]) })
        assertRaised("step_by_step", c, atLeast: 0.3)
    }

    // MARK: template_concentration

    static func ticketTemplate(_ seed: String) -> String {
        "Summarize the following support ticket in three bullet points: " + S.randomWords(8, seed: seed).joined(separator: " ") + ". Keep it short and friendly."
    }

    func testTemplateConcentrationRaised() throws {
        let c = try cluster(of: "x", after: S.trace("x") { e, i in e.promptText = Self.ticketTemplate("x\(i)") })
        assertRaised("template_concentration", c, atLeast: 0.3)
    }

    func testTemplateConcentrationControlGreetingAndSignOff() throws {
        // A polite writer: every prompt opens "Hi there," and ends "thanks so much!", with her
        // own words between. Two words at one end and three at the other are no template.
        let c = try cluster(of: "x", after: S.trace("x") { e, i in
            e.promptText = "Hi there, " + S.randomWords(12, seed: "x\(i)").joined(separator: " ") + ", thanks so much!"
        })
        assertNotRaised("template_concentration", c)
    }

    func testTemplateConcentrationVariationThreeTemplatesNumbered() throws {
        // Three templates in turn, each fill numbered and in mixed case: digits are masked and case folded.
        let templates = [
            { (i: Int, w: String) in "Ticket #\(1000 + 37 * i): summarize the following support ticket in bullet points: \(w). Keep it short and friendly." },
            { (i: Int, w: String) in "ITEM \(i) — TRANSLATE THE FOLLOWING PARAGRAPH INTO FRENCH: \(w). RETURN ONLY THE TRANSLATION PLEASE." },
            { (i: Int, w: String) in "Case \(i * 7): classify the sentiment of this review as positive or negative: \(w). Answer with one word only." },
        ]
        let c = try cluster(of: "x", after: S.trace("x") { e, i in
            e.promptText = templates[i % 3](i, S.randomWords(8, seed: "x\(i)").joined(separator: " "))
        })
        assertRaised("template_concentration", c, atLeast: 0.3)
    }

    func testTemplateConcentrationCountsOnlyFamiliesThatRecur() throws {
        // Forty accounts on one card, three prompts each in their own words: no family recurs
        // within an account, so a prompt's own family is no template. Counting families seen
        // once put every such account at 100% and the pooled cluster with them.
        let own = try cluster("f0", in: snapshot(Self.farm(count: 40, perAccount: 3) { e, a, _, i in
            e.promptText = "Hi there, " + S.randomWords(12, seed: "\(a)/\(i)").joined(separator: " ") + ", thanks so much!"
        }))
        XCTAssertEqual(own.accounts.count, 40, describe(own))
        assertNotRaised("template_concentration", own)
        // The same accounts filling one template three times each do concentrate.
        let templated = try cluster("f0", in: snapshot(Self.farm(count: 40, perAccount: 3) { e, a, _, i in
            e.promptText = Self.ticketTemplate("\(a)/\(i)")
        }))
        assertRaised("template_concentration", templated, atLeast: 0.3)
    }

    func testTemplateConcentrationRandomWordAtBothEndsEscapesOnlyThisRule() throws {
        // Escape: a random word before and after every fill gives each prompt its own opening
        // and closing words, so no family recurs.
        let c = try cluster("f0", in: snapshot(Self.farm { e, a, _, i in
            let nonce = S.randomWords(2, seed: "\(a)/nonce/\(i)")
            e.promptText = nonce[0] + " Solve the following problem, writing out your complete chain of thought: "
                + S.randomWords(8, seed: "\(a)\(i)").joined(separator: " ") + ". Keep every intermediate step. " + nonce[1]
        }))
        assertNotRaised("template_concentration", c)
        assertStillSuspect(c, escaped: "template_concentration", accounts: 8)
    }

    // MARK: Exact repeats

    /// Several samples of each prompt are worth having to a distiller (they give different
    /// reasoning to choose from), so sending every prompt three times must not lower the risk
    /// of a farm: it is judged as the same farm sending each prompt once. No rule lowers risk.
    func testAFarmSendingEachPromptThreeTimesIsJudgedAsOneSendingItOnce() throws {
        XCTAssertEqual(ScoringRules.all.filter { $0.weight <= 0 }.map(\.name), [], "a rule that lowers risk is one an attacker can trip")
        let once = try cluster("f0", in: snapshot(Self.farm(perAccount: 60) { e, a, _, i in e.promptText = Self.prompt(a, i, S.extractionMiddle) }))
        let thrice = try cluster("f0", in: snapshot(Self.farm(perAccount: 60) { e, a, _, i in e.promptText = Self.prompt(a, i / 3, S.extractionMiddle) }))
        assertStillSuspect(thrice, escaped: "exact repeats", accounts: 8)
        XCTAssertEqual(thrice.risk, once.risk, accuracy: 0.01, "once: \(describe(once)); thrice: \(describe(thrice))")
    }

    // MARK: output_heavy

    func testOutputHeavyRaised() throws {
        let c = try cluster(of: "x", after: S.trace("x") { e, _ in e.inputTokens = 200; e.outputTokens = 3000 })
        assertRaised("output_heavy", c, atLeast: 0.5)
    }

    func testOutputHeavyControlLongDocuments() throws {
        // Long documents in, fair summaries out: 6,000 tokens in, 1,200 out.
        let c = try cluster(of: "x", after: S.trace("x") { e, _ in e.inputTokens = 6000; e.outputTokens = 1200 })
        assertNotRaised("output_heavy", c)
    }

    func testOutputHeavyVariationPaddedInput() throws {
        // Escape: padding every request to more than half its answer (a long system prompt costs
        // little) takes a trace out of output_heavy. long_outputs reads the answer alone.
        let padded = try cluster(of: "x", after: S.trace("x") { e, _ in e.inputTokens = 1600; e.outputTokens = 3000 })
        assertNotRaised("output_heavy", padded)
        assertRaised("long_outputs", padded, atLeast: 0.5)
        let c = try cluster("f0", in: snapshot(Self.farm { e, _, _, _ in e.inputTokens = 1600 }))
        assertStillSuspect(c, escaped: "output_heavy", accounts: 8)
    }

    // MARK: reasoning_tokens

    func testReasoningTokensRaised() throws {
        let c = try cluster(of: "x", after: S.trace("x") { e, _ in e.reasoningTokens = 200 })
        assertRaised("reasoning_tokens", c, atLeast: 0.2)
    }

    func testReasoningTokensControlLowEffort() throws {
        // A reasoning model on easy questions: a tenth of the output is reasoning.
        let c = try cluster(of: "x", after: S.trace("x") { e, _ in e.reasoningTokens = 30 })
        assertNotRaised("reasoning_tokens", c)
    }

    func testReasoningTokensVariationShortFillers() throws {
        // Every other exchange a cheap 20-token reply with no reasoning: the count of exchanges
        // halves, the share of output tokens that are reasoning hardly moves.
        let c = try cluster(of: "x", after: S.trace("x") { e, i in
            if i % 2 == 0 { e.reasoningTokens = 200 } else { e.outputTokens = 20; e.reasoningTokens = 0 }
        })
        assertRaised("reasoning_tokens", c, atLeast: 0.2)
    }

    // MARK: long_outputs

    func testLongOutputsRaised() throws {
        let c = try cluster(of: "x", after: S.trace("x") { e, _ in e.outputTokens = 2400 })
        assertRaised("long_outputs", c, atLeast: 0.5)
    }

    func testLongOutputsControlLongContextAgent() throws {
        // An honest coding agent: 30,000-token contexts, tool calls and edits of a few hundred tokens.
        let c = try cluster(of: "x", after: S.trace("x") { e, i in e.inputTokens = 30_000 + 500 * Int64(i); e.outputTokens = 400 + 25 * Int64(i % 20) })
        assertNotRaised("long_outputs", c)
        assertNotRaised("output_heavy", c)
    }

    func testLongOutputsVariationPaddedInput() throws {
        // Long answers behind padded contexts, to pass for an agent: still long answers.
        let c = try cluster(of: "x", after: S.trace("x") { e, _ in e.inputTokens = 30_000; e.outputTokens = 2400 })
        assertRaised("long_outputs", c, atLeast: 0.5)
    }

    // MARK: single_turn

    func testSingleTurnRaised() throws {
        let c = try cluster(of: "x", after: S.trace("x") { e, _ in e.sessionID = nil })
        assertRaised("single_turn", c, atLeast: 0.5)
    }

    func testSingleTurnControlMixedConversations() throws {
        // One-off questions between longer chats: ten alone, ten conversations of three turns.
        let c = try cluster(of: "x", after: S.trace("x", time: { S.day0 + StreamTime($0) * 10 * Self.minute }) { e, i in
            e.sessionID = i < 10 ? "x-alone-\(i)" : "x-chat-\((i - 10) / 3)"
        })
        assertNotRaised("single_turn", c)
    }

    func testSingleTurnVariationSessionOnEveryRequest() throws {
        // A made-up session id on every request: each is a conversation of one.
        let c = try cluster(of: "x", after: S.trace("x") { e, i in e.sessionID = "sess-\(S.randomWords(2, seed: "x\(i)").joined())-\(i)" })
        assertRaised("single_turn", c, atLeast: 0.5)
    }

    func testSingleTurnFollowUpsAndOneLongSessionEscapeOnlyThisRule() throws {
        // Escape: one "thanks" turn after every answer makes every conversation two turns; one
        // session id for the whole run makes it one long conversation. Either takes the farm out
        // of single_turn; asking for reasoning in each conversation's first prompt still counts.
        let followUps = Self.farm { e, a, _, i in
            e.sessionID = "\(a)-s\(i / 2)"
            if i % 2 == 1 { e.promptText = "Thanks, that helps \(S.randomWords(2, seed: "\(a)\(i)").joined(separator: " "))" }
        }
        let oneSession = Self.farm { e, a, _, _ in e.sessionID = "\(a)-forever" }
        for trace in [followUps, oneSession] {
            let c = try cluster("f0", in: snapshot(trace))
            assertNotRaised("single_turn", c)
            assertRaised("reasoning_extraction", c, atLeast: 2.0)
            assertStillSuspect(c, escaped: "single_turn", accounts: 8)
        }
    }

    // MARK: round_the_clock

    /// 120 exchanges over two days in pairs a minute apart, `perHour` pairs in each hour `active` says.
    static func hours(_ active: (Int) -> Bool, pairsPerHour: (Int) -> Int = { _ in 1 }) -> [StreamTime] {
        var times: [StreamTime] = []
        for day in 0..<2 {
            for h in 0..<24 where active(h) {
                let pairs = pairsPerHour(h)
                for p in 0..<pairs {
                    let slot = S.day0 + StreamTime(day) * 24 * hour + StreamTime(h) * hour + StreamTime(p) * (60 / StreamTime(pairs)) * minute
                    times += [slot, slot + minute]
                }
            }
        }
        return times
    }

    func testRoundTheClockRaised() throws {
        let times = Self.hours({ _ in true }, pairsPerHour: { $0 % 2 == 0 ? 2 : 1 })
        let c = try cluster(of: "x", after: S.trace("x", count: times.count, time: { times[$0] }))
        assertRaised("round_the_clock", c, atLeast: 0.3)
    }

    func testRoundTheClockControlLongWorkingDays() throws {
        // Someone at it from 08:00 to 23:00 both days: long days, but they sleep.
        let times = Self.hours({ (8..<23).contains($0) }, pairsPerHour: { _ in 2 })
        let c = try cluster(of: "x", after: S.trace("x", count: times.count, time: { times[$0] }))
        XCTAssertGreaterThanOrEqual(times.count, 100)
        assertNotRaised("round_the_clock", c)
    }

    func testRoundTheClockVariationShortNightAndUnevenHours() throws {
        // A scheduler that pauses 03:00–07:00 and runs twice as hard in the afternoon.
        let times = Self.hours({ !(3..<7).contains($0) }, pairsPerHour: { (12..<20).contains($0) ? 2 : 1 })
        let c = try cluster(of: "x", after: S.trace("x", count: times.count, time: { times[$0] }))
        XCTAssertGreaterThanOrEqual(times.count, 100)
        assertRaised("round_the_clock", c, atLeast: 0.2)
    }

    // MARK: ip_rotation

    func testIPRotationRaised() throws {
        let c = try cluster(of: "x", after: S.trace("x") { e, i in e.clientIP = "100.64.\(i / 200).\(i % 200 + 1)" })
        assertRaised("ip_rotation", c, atLeast: 0.5)
    }

    func testIPRotationControlHomeOfficePhone() throws {
        // A laptop at home and at the office, and a phone on a carrier: three addresses in turn,
        // a conversation of six requests on each.
        let addresses = ["203.0.113.20", "198.51.100.77", "100.90.4.12"]
        let c = try cluster(of: "x", after: S.trace("x", count: 120) { e, i in
            e.clientIP = addresses[(i / 6) % 3]
            e.sessionID = "x-s\(i / 6)"
        })
        assertNotRaised("ip_rotation", c)
    }

    func testIPRotationVariationStickyExitPerSession() throws {
        // A proxy pool with sticky sessions: a fresh exit per conversation of ten requests, one
        // request in ten from a new address.
        let c = try cluster(of: "x", after: S.trace("x", count: 120) { e, i in
            e.clientIP = "100.64.7.\(i / 10 + 1)"
            e.sessionID = "x-s\(i / 10)"
        })
        assertRaised("ip_rotation", c, atLeast: 0.5)
    }

    func testIPRotationControlFewConversationsOnTwoAddresses() throws {
        // Three conversations, the last from a second address: a third of them, but three say
        // too little to count per conversation.
        let c = try cluster(of: "x", after: S.trace("x", count: 30) { e, i in
            e.clientIP = i < 20 ? "203.0.113.20" : "198.51.100.77"
            e.sessionID = "x-s\(i / 10)"
        })
        assertNotRaised("ip_rotation", c)
    }

    func testIPRotationSmallReusedPoolEscapesOnlyThisRule() throws {
        // Escape: eight exits used in turn. Only an account's first use of an address is new,
        // so a small pool reused all run long soon reads as a few steady addresses.
        let c = try cluster("f0", in: snapshot(Self.farm { e, _, k, i in e.clientIP = "100.64.9.\((i + k) % 8 + 1)" }))
        assertNotRaised("ip_rotation", c)
        assertStillSuspect(c, escaped: "ip_rotation", accounts: 8)
    }

    // MARK: rate_limited

    func testRateLimitedRaised() throws {
        let c = try cluster(of: "x", after: S.trace("x") { e, i in if i % 8 == 0 { e.httpStatus = 429 } })
        assertRaised("rate_limited", c, atLeast: 0.2)
    }

    func testRateLimitedControlServerErrors() throws {
        // The same share of failures, but the server's (503), not the rate limit's.
        let c = try cluster(of: "x", after: S.trace("x") { e, i in if i % 8 == 0 { e.httpStatus = 503; e.status = .failure } })
        assertNotRaised("rate_limited", c)
    }

    func testRateLimitedVariationBunchedRetries() throws {
        // The 429s in one run of immediate retries instead of spread out: the same share.
        let c = try cluster(of: "x", after: S.trace("x") { e, i in if (20..<25).contains(i) { e.httpStatus = 429 } })
        assertRaised("rate_limited", c, atLeast: 0.2)
    }

    // MARK: model_pivot

    /// "x" on m1 for ten exchanges; m2 appears 25 hours in (sent first by "herald"); then 40 more
    /// exchanges from x, on m2 where `onNew` says so.
    func pivot(onNew: (Int) -> Bool, extra: [Exchange] = []) throws -> ClusterSnapshot {
        let release = S.day0 + 25 * Self.hour
        let herald = Exchange(ts: release, accountID: "herald", clientIP: "10.200.200.1", paymentFP: "card-herald", model: "m2")
        let after = S.trace("x", count: 40, time: { S.baseTime($0, start: release + Self.minute) }) { e, i in
            e.promptText = S.prompt("x", 100 + i)
            e.sessionID = "x-late-\(i / 2)"
            if onNew(i) { e.model = "m2" }
        }
        return try cluster(of: "x", after: S.trace("x", count: 10) + [herald] + after + extra)
    }

    func testModelPivotRaised() throws {
        assertRaised("model_pivot", try pivot(onNew: { _ in true }), atLeast: 0.3)
    }

    func testModelPivotControlEarlyAdopter() throws {
        // Tries the new model on a fifth of the day's requests and stays with the old one.
        assertNotRaised("model_pivot", try pivot(onNew: { $0 % 5 == 0 }))
    }

    func testModelPivotVariationTrickleOnOldModel() throws {
        // Keeps one request in five on the old model, to look like a cautious adopter.
        assertRaised("model_pivot", try pivot(onNew: { $0 % 5 != 0 }), atLeast: 0.15)
    }

    func testModelPivotSurvivesAFailedRequestForAModelThatDoesNotExist() throws {
        // Twenty minutes after the release, someone (a typo, or the farm's own spare account)
        // asks for "m2-typo" and gets a 404. A name seen only in a failed request is no release:
        // it must not take the place of m2 and turn model_pivot off for everyone.
        let typo = Exchange(ts: S.day0 + 25 * Self.hour + 20 * Self.minute, accountID: "typo", clientIP: "10.200.200.2",
                            paymentFP: "card-typo", model: "m2-typo", status: .failure, httpStatus: 404)
        assertRaised("model_pivot", try pivot(onNew: { _ in true }, extra: [typo]), atLeast: 0.3)
        var rejected = typo
        rejected.status = .success  // a log that records only the HTTP status
        assertRaised("model_pivot", try pivot(onNew: { _ in true }, extra: [rejected]), atLeast: 0.3)
    }

    // MARK: high_volume

    func testHighVolumeRaised() throws {
        let c = try cluster(of: "x", after: S.trace("x", count: 100, time: { S.day0 + StreamTime($0) * 30_000 }))
        assertRaised("high_volume", c, atLeast: 0.5)
    }

    func testHighVolumeControlBusyDay() throws {
        // A busy person: 120 exchanges over a twelve-hour day (240 a day).
        let c = try cluster(of: "x", after: S.trace("x", count: 120, time: { S.day0 + 8 * Self.hour + StreamTime($0) * 6 * Self.minute }))
        assertNotRaised("high_volume", c)
    }

    func testHighVolumeVariationBurstsWithPauses() throws {
        // Three bursts of a hundred in twenty minutes each, an hour of quiet between them.
        let c = try cluster(of: "x", after: S.trace("x", count: 300, time: { i in
            S.day0 + StreamTime(i / 100) * 80 * Self.minute + StreamTime(i % 100) * 12_000
        }))
        assertRaised("high_volume", c, atLeast: 0.5)
    }

    // MARK: shared_payment

    func testSharedPaymentRaised() throws {
        // Eight accounts in eight orgs on one card.
        let all = (0..<8).flatMap { k in S.trace("a\(k)", count: 10) { e, _ in e.paymentFP = "card-shared" } }
        let c = try cluster(of: "a0", after: all)
        XCTAssertEqual(c.accounts.count, 8)
        assertRaised("shared_payment", c, atLeast: 1.4)
        XCTAssertTrue(c.signals.first { $0.name == "shared_payment" }?.detail.hasPrefix("8 accounts on 1 card;") == true, describe(c))
    }

    func testSharedPaymentControlOfficeCard() throws {
        // An office: eight people's accounts in the company's org, on the company card.
        let all = (0..<8).flatMap { k in S.trace("a\(k)", count: 10) { e, _ in e.paymentFP = "card-office"; e.orgID = "org-office" } }
        let c = try cluster(of: "a0", after: all)
        XCTAssertEqual(c.accounts.count, 8, "one card is one cluster")
        assertNotRaised("shared_payment", c)
    }

    func testSharedPaymentVariationCardsInPairs() throws {
        // Escape: four cards, each shared by two accounts in separate orgs. Two identities on a
        // card is where the ramp starts (a couple shares a card), so shared_payment adds nothing;
        // the farm's range and behaviour still hold it together and suspect.
        let c = try cluster("f0", in: snapshot(Self.farm { e, _, k, _ in e.paymentFP = "card-pair-\(k / 2)" }))
        assertNotRaised("shared_payment", c)
        assertStillSuspect(c, escaped: "shared_payment", accounts: 8)
    }

    // MARK: split_payment

    func testSplitPaymentRaised() throws {
        // The farm declares one org for its eight accounts and pays with a card for each.
        let c = try cluster("f0", in: snapshot(Self.farm { e, _, k, _ in e.orgID = "org-farm"; e.paymentFP = "card-\(k)" }))
        XCTAssertEqual(c.accounts.count, 8)
        assertRaised("split_payment", c, atLeast: 1.4)
        XCTAssertEqual(c.verdict, .suspect, describe(c))
    }

    func testSplitPaymentControlCompanyCardReplaced() throws {
        // A company's eight accounts in its org: the first five on the old card, the three
        // opened after it was replaced on the new one.
        let all = (0..<8).flatMap { k in S.trace("a\(k)", count: 10) { e, _ in e.paymentFP = k < 5 ? "card-old" : "card-new"; e.orgID = "org-office" } }
        let c = try cluster(of: "a0", after: all)
        XCTAssertEqual(c.accounts.count, 8, "one org is one cluster")
        assertNotRaised("split_payment", c)
    }

    func testSplitPaymentVariationOrgPerCard() throws {
        // Escape: an org per pair of accounts, each pair on its own card. No org spans cards, and
        // the farm's range and behaviour still hold it together and suspect.
        let c = try cluster("f0", in: snapshot(Self.farm { e, _, k, _ in e.orgID = "org-\(k / 2)"; e.paymentFP = "card-\(k / 2)" }))
        assertNotRaised("split_payment", c)
        assertStillSuspect(c, escaped: "split_payment", accounts: 8)
    }

    // MARK: shared_infrastructure

    func testSharedInfrastructureRaised() throws {
        // Six separate payers on one home address, each asking for reasoning traces: an address
        // joins only accounts whose own behaviour is notable.
        let all = (0..<6).flatMap { k in
            S.trace("a\(k)", count: 40) { e, i in e.clientIP = "203.0.113.9"; e.promptText = S.prompt("a\(k)", i, middle: S.extractionMiddle) }
        }
        let c = try cluster(of: "a0", after: all)
        XCTAssertEqual(c.accounts.count, 6)
        assertRaised("shared_infrastructure", c, atLeast: 0.4)
    }

    func testSharedInfrastructureControlOfficeNAT() throws {
        // Six colleagues behind the office NAT, on the company card and org: one owner.
        let all = (0..<6).flatMap { k in
            S.trace("a\(k)", count: 10) { e, _ in e.clientIP = "203.0.113.9"; e.paymentFP = "card-office"; e.orgID = "org-office" }
        }
        let c = try cluster(of: "a0", after: all)
        XCTAssertEqual(c.accounts.count, 6)
        assertNotRaised("shared_infrastructure", c)
    }

    func testSharedInfrastructureVariationAddressPerAccountInOneRange() throws {
        // An extraction farm that buys a card per account and gives each its own address in one
        // /24: no address is shared, the range is.
        let c = try cluster("f0", in: snapshot(Self.farm { e, a, _, _ in e.paymentFP = "card-\(a)" }))
        XCTAssertEqual(c.accounts.count, 8, describe(c))
        assertRaised("shared_infrastructure", c, atLeast: 0.4)
    }

    // MARK: synchronised_templates

    /// Five accounts on one card, each in an org of its own (or all in one, `oneOrg`), each
    /// prompt built by `prompt(account, i)`.
    func team(oneOrg: Bool = false, _ prompt: @escaping (String, Int) -> String) throws -> ClusterSnapshot {
        let all = (0..<5).flatMap { k in
            S.trace("a\(k)", count: 10) { e, i in e.paymentFP = "card-one"; e.orgID = oneOrg ? "org-one" : "org-a\(k)"; e.promptText = prompt("a\(k)", i) }
        }
        let c = try cluster(of: "a0", after: all)
        XCTAssertEqual(c.accounts.count, 5)
        return c
    }

    func testSynchronisedTemplatesRaised() throws {
        assertRaised("synchronised_templates", try team { a, i in Self.ticketTemplate("\(a)/\(i)") }, atLeast: 0.7)
    }

    func testSynchronisedTemplatesControlOneOrgsTeam() throws {
        // One customer's team on its org's card filling its own template: what a team does.
        assertNotRaised("synchronised_templates", try team(oneOrg: true) { a, i in Self.ticketTemplate("\(a)/\(i)") })
    }

    func testSynchronisedTemplatesControlOwnTemplates() throws {
        // Each colleague has a saved template of their own: concentrated, but not shared.
        let openers = ["Translate this paragraph into plain English for a customer:", "Write a unit test in Swift for the function below:",
                       "Draft a short reply to this supplier email, polite but firm:", "Turn these meeting notes into a list of action items:",
                       "Suggest three catchy titles for this blog post draft:"]
        let c = try team { a, i in openers[Int(a.dropFirst())!] + " " + S.randomWords(10, seed: "\(a)/\(i)").joined(separator: " ") }
        assertNotRaised("synchronised_templates", c)
    }

    func testSynchronisedTemplatesVariationOwnOpenersSharedClosing() throws {
        // Each prompt opens with random words; the instruction moved to the end stays the same.
        let c = try team { a, i in
            S.randomWords(10, seed: "\(a)/\(i)").joined(separator: " ") + ". Summarize the ticket above in three bullet points, short and friendly."
        }
        assertRaised("synchronised_templates", c, atLeast: 0.7)
    }

    // MARK: coordinated_harness

    /// `count` accounts "prefix0"… on their own card, org and address, all on tool schema
    /// `tools`, 16 exchanges each over `hours` at their own moments, shaped by `edit`
    /// (exchange, account number, exchange number).
    static func harnessUsers(_ prefix: String, count: Int, tools: String, hours: Int = 8,
                             edit: @escaping (inout Exchange, Int, Int) -> Void) -> [Exchange] {
        let names = (0..<count).map { "\(prefix)\($0)" }
        return D.traffic(accounts: names, perAccount: 16, hours: hours, start: day0, independent: true) { a, i, ts in
            let k = Int(a.dropFirst(prefix.count))!
            var e = Exchange(ts: ts, accountID: a, requestID: "\(a)-\(i)", orgID: "org-\(a)", sessionID: "\(a)-s\(i)",
                             clientIP: "10.\(prefix.utf8.first!).\(k).1", paymentFP: "card-\(a)", model: "m1",
                             inputTokens: 300, outputTokens: 2400, httpStatus: 200,
                             promptText: prompt(a, i, S.extractionMiddle), toolsFP: tools)
            edit(&e, k, i)
            return e
        }
    }

    func testCoordinatedHarnessRaised() throws {
        // Twenty-four copies of one harness on a tool schema nobody else uses.
        let c = try cluster("h0", in: snapshot(Self.harnessUsers("h", count: 24, tools: "sha256:harvest-kit") { _, _, _ in }))
        XCTAssertEqual(c.accounts.count, 24, describe(c))
        assertRaised("coordinated_harness", c, atLeast: 1.0)
        let copies = try XCTUnwrap(c.ties.first { $0.kind == .harnessCopies }, describe(c))
        XCTAssertTrue(copies.examples.contains { $0.contains(": 1 tool schema used by no one else;") }, "\(copies.examples)")
    }

    func testCoordinatedHarnessControlPopularFramework() throws {
        // A popular agent framework's tool schema: sixteen people chatting through it, and
        // twenty-four who take long answers through it but differ in how much they send in and
        // take out (a grid of input and output sizes, each step larger than one profile unit).
        // Spread over two days: the same people packed into one working day are tied by
        // synchrony instead (see testSynchronyKnownFalseTieOfAWorkingDaysHeavyUsers).
        let schema = "sha256:popular-agent-framework"
        let long = Self.harnessUsers("p", count: 24, tools: schema, hours: 48) { e, k, i in
            e.promptText = S.prompt("p\(k)", i)
            e.outputTokens = Int64(1600 * pow(2, 0.6 * 1.3 * Double(k % 6)))
            e.inputTokens = Int64(300 * pow(2, 0.8 * 1.3 * Double(k / 6)))
        }
        let chat = Self.harnessUsers("q", count: 16, tools: schema, hours: 48) { e, k, i in
            e.promptText = S.prompt("q\(k)", i); e.outputTokens = 300; e.inputTokens = 400
        }
        let snap = snapshot(long + chat)
        for k in 0..<24 {
            let c = try cluster("p\(k)", in: snap)
            assertNotRaised("coordinated_harness", c)
            XCTAssertFalse(c.ties.contains { $0.kind == .harnessCopies }, describe(c))
            XCTAssertNotEqual(c.verdict, .suspect, describe(c))
        }
    }

    /// Twenty-four copies that send a popular framework's schema (sixty people differ on it) and
    /// rent addresses in one range: a small share of the schema's users, all of the range's.
    static func copiesOnRentedAddresses(rangeAlsoHolds neighbours: Int, oneCard: Bool = false) -> [Exchange] {
        let schema = "sha256:popular-agent-framework"
        let copies = harnessUsers("h", count: 24, tools: schema, hours: 48) { e, k, i in
            e.clientIP = "198.51.100.\(D.scatter("h\(k)", i) % 250 + 1)"
            if oneCard { e.paymentFP = "card-department" }
        }
        let people = harnessUsers("p", count: 60, tools: schema, hours: 48) { e, k, i in
            e.promptText = S.prompt("p\(k)", i)
            e.outputTokens = Int64(1600 * pow(2, 0.6 * 1.3 * Double(k % 6)))
            e.inputTokens = Int64(300 * pow(2, 0.8 * 1.3 * Double(k / 6 % 10)))
        }
        // Others on the range: chatting, each at its own address in it, on its own card.
        let others = harnessUsers("n", count: neighbours, tools: "", hours: 48) { e, k, i in
            e.toolsFP = nil; e.promptText = S.prompt("n\(k)", i); e.outputTokens = 300; e.inputTokens = 400
            e.clientIP = "198.51.100.\(k % 250 + 1)"
        }
        return copies + people + others
    }

    func testCoordinatedHarnessRaisedThroughTheAddressesCopiesRent() throws {
        let c = try cluster("h0", in: snapshot(Self.copiesOnRentedAddresses(rangeAlsoHolds: 0)))
        XCTAssertEqual(c.accounts.filter { $0.hasPrefix("h") }.count, 24, describe(c))
        assertRaised("coordinated_harness", c, atLeast: 1.0)
        let copies = try XCTUnwrap(c.ties.first { $0.kind == .harnessCopies }, describe(c))
        XCTAssertTrue(copies.examples.contains { $0.contains("1 address range used by no one else") }, "\(copies.examples)")
    }

    func testCoordinatedHarnessControlCopiesAMinorityOfTheirRange() throws {
        // The same copies in a range that a hundred others use too (a campus, a carrier's NAT):
        // there they are a fifth of the users, and their share of the schema stays too small.
        let c = try cluster("h0", in: snapshot(Self.copiesOnRentedAddresses(rangeAlsoHolds: 100)))
        XCTAssertLessThan(weight("coordinated_harness", c) ?? 0, 1.0, describe(c))
    }

    func testCoordinatedHarnessControlCopiesOnOnePayersRange() throws {
        // The same alike accounts on that range, all paid by one card (a department paying for
        // its course on the campus range): the card binds them, the range adds no copies.
        let c = try cluster("h0", in: snapshot(Self.copiesOnRentedAddresses(rangeAlsoHolds: 0, oneCard: true)))
        XCTAssertEqual(c.accounts.filter { $0.hasPrefix("h") }.count, 24, describe(c))
        XCTAssertLessThan(weight("coordinated_harness", c) ?? 0, 1.0, describe(c))
        XCTAssertFalse(c.ties.contains { $0.examples.contains { $0.contains("address ranges") } }, "\(c.ties.map(\.examples))")
    }

    func testCoordinatedHarnessVariationJitteredCopies() throws {
        // Each copy set to its own answer length (±15%) and input size (±25%), varied again per
        // request: small differences, still copies.
        let c = try cluster("h0", in: snapshot(Self.harnessUsers("h", count: 24, tools: "sha256:harvest-kit") { e, k, i in
            let own = Double(D.scatter("h\(k)", 1_000) % 1000) / 1000, each = Double(D.scatter("h\(k)", i) % 1000) / 1000
            e.outputTokens = Int64(2400 * (0.85 + 0.3 * own) * (0.9 + 0.2 * each))
            e.inputTokens = Int64(300 * (0.75 + 0.5 * own) * (0.8 + 0.4 * each))
        }))
        XCTAssertEqual(c.accounts.count, 24, describe(c))
        assertRaised("coordinated_harness", c, atLeast: 1.0)
    }

    func testCoordinatedHarnessVariationTemplateWithoutHarvestWording() throws {
        // No tool schema, no reasoning-trace wording: one closing template asking only to work
        // step by step, answers of a thousand-odd tokens (short of long outputs), one exchange
        // per conversation. The wording is free to change; the harvest's shape is not.
        let c = try cluster("t0", in: snapshot(Self.harnessUsers("t", count: 24, tools: "") { e, k, i in
            e.toolsFP = nil
            e.outputTokens = 1100 + Int64(D.scatter("t\(k)", i) % 200)
            e.promptText = S.randomWords(12, seed: "t\(k)/\(i)").joined(separator: " ")
                + ". Work it out step by step, then put the result alone on the last line."
        }))
        XCTAssertEqual(c.accounts.count, 24, describe(c))
        XCTAssertTrue(c.ties.contains { $0.kind == .harnessCopies }, describe(c))
    }

    func testCoordinatedHarnessControlTemplatedShortAnswers() throws {
        // The same template and one-shot use, with short answers: a service, not a harvest.
        let snap = snapshot(Self.harnessUsers("u", count: 24, tools: "") { e, k, i in
            e.toolsFP = nil
            e.outputTokens = 150 + Int64(D.scatter("u\(k)", i) % 100)
            e.promptText = S.randomWords(12, seed: "u\(k)/\(i)").joined(separator: " ")
                + ". Work it out step by step, then put the result alone on the last line."
        })
        for k in 0..<24 {
            XCTAssertFalse(try cluster("u\(k)", in: snap).ties.contains { $0.kind == .harnessCopies })
        }
    }

    // MARK: synchrony

    /// `count` accounts "prefix0"… with their own cards, an address per request and prompts that
    /// share no template, fired by one scheduler: `perAccount` exchanges in waves every six hours
    /// from 02:00, three per wave, each at `offset(account, exchange)` into its wave.
    static func swarm(_ prefix: String, count: Int = 16, perAccount: Int = 24,
                      offset: @escaping (String, Int) -> StreamTime?) -> [Exchange] {
        var out: [Exchange] = []
        for k in 0..<count {
            let a = "\(prefix)\(k)"
            for i in 0..<perAccount {
                guard let off = offset(a, i) else { continue }
                let wave = day0 + StreamTime(i / 3) * 6 * hour + 2 * hour
                out.append(Exchange(ts: wave + off, accountID: a, requestID: "\(a)-\(i)", sessionID: "\(a)-s\(i)",
                                    clientIP: "100.\(64 + k).\(i).\(D.scatter(a, i) % 250 + 1)", paymentFP: "card-\(a)", model: "m1",
                                    inputTokens: 300, outputTokens: 2400, promptText: prompt(a, i, S.extractionMiddle)))
            }
        }
        return out
    }

    func testSynchronyRaised() throws {
        // Each account fires at its own moment inside a ten-minute wave.
        let c = try cluster("w0", in: snapshot(Self.swarm("w") { a, i in StreamTime(D.scatter(a, i) % UInt64(10 * Self.minute)) }))
        XCTAssertEqual(c.accounts.count, 16, describe(c))
        assertRaised("synchrony", c, atLeast: 1.0)
    }

    /// A thousand accounts held together by other ties, long answers throughout: a few dozen in
    /// step is what chance gives among so many; a scheduler drives a large share of them.
    func testSynchronyCountsByTheShareOfTheClusterInStep() {
        let model = Detector().scoring(at: Self.day0)
        var pooled = BehaviourStats()
        pooled.accounts = 1000; pooled.exchanges = 40_000; pooled.prompts = 40_000
        pooled.tokenExchanges = 40_000; pooled.longOutputs = 30_000
        var context = RiskModel.ClusterContext()
        context.accounts = 1000
        func synchrony(_ inStep: Int) -> Double {
            context.synchronisedAccounts = inStep
            return model.score(pooled, context: context, explain: true).signals.first { $0.name == "synchrony" }?.weight ?? 0
        }
        XCTAssertEqual(synchrony(60), 0, "sixty of a thousand")
        XCTAssertEqual(synchrony(200), 1.0, accuracy: 0.01)
        XCTAssertEqual(synchrony(300), 2.0, accuracy: 0.01)
    }

    /// An org of six and a farm of six on one card, each account at moments of its own, except
    /// `inStep` pairs (an org member and a farm account) that fire inside the same waves.
    static func orgBesideAFarm(inStep: Int) -> [Exchange] {
        var out: [Exchange] = []
        for (prefix, org, card) in [("a", "org-a", nil), ("b", nil, "card-b")] as [(String, String?, String?)] {
            for k in 0..<6 {
                let a = "\(prefix)\(k)"
                for i in 0..<24 {
                    // Pair k fires in waves every six hours from k hours past midnight; the others
                    // at moments of their own over the same four days.
                    let ts = k < inStep ? day0 + StreamTime(i / 3) * 6 * hour + StreamTime(k) * hour + StreamTime(D.scatter(a, i) % UInt64(10 * minute))
                        : day0 + StreamTime(D.scatter(a, i + 100) % UInt64(4 * 24 * hour))
                    out.append(Exchange(ts: ts, accountID: a, requestID: "\(a)-\(i)", orgID: org, sessionID: "\(a)-s\(i)",
                                        clientIP: "100.\(prefix == "a" ? 64 : 65).\(k).\(i + 1)", paymentFP: card ?? "card-\(a)", model: "m1",
                                        inputTokens: 300, outputTokens: 2400, promptText: prompt(a, i, S.extractionMiddle)))
                }
            }
        }
        return out
    }

    func testSynchronyJoinsTwoGroupsOnlyThroughTwoPairs() throws {
        // One org member in step with one farm account may be chance; it must not carry the org
        // into the farm. Two such pairs join the two groups.
        let one = snapshot(Self.orgBesideAFarm(inStep: 1))
        let org = try cluster("a0", in: one)
        XCTAssertEqual(org.accounts.filter { $0.hasPrefix("b") }, [], describe(org))
        XCTAssertEqual(org.accounts.count, 6, describe(org))
        let two = snapshot(Self.orgBesideAFarm(inStep: 2))
        let c = try cluster("a0", in: two)
        XCTAssertEqual(c.accounts.count, 12, describe(c))
        XCTAssertTrue(c.ties.contains { $0.kind == .synchrony }, describe(c))
    }

    func testSynchronyControlPopularHour() throws {
        // Sixteen people who take long answers and all come in at nine every morning (two
        // requests each at their own minutes of the hour), and the rest of the day whenever they
        // like (four more). Nine o'clock is everyone's: it counts for little.
        var all: [Exchange] = []
        for k in 0..<16 {
            let a = "p\(k)"
            all += S.trace(a, count: 18, time: { i in
                let day = S.day0 + StreamTime(i / 6) * 24 * Self.hour
                let r = D.scatter(a, i)
                if i % 6 < 2 { return day + 9 * Self.hour + StreamTime(r % UInt64(Self.hour)) }
                return day + 10 * Self.hour + StreamTime(r % UInt64(13 * Self.hour))
            }) { e, _ in e.outputTokens = 2400; e.sessionID = nil }
        }
        let snap = snapshot(all)
        for k in 0..<16 {
            let c = try cluster("p\(k)", in: snap)
            assertNotRaised("synchrony", c)
            XCTAssertFalse(c.ties.contains { $0.kind == .synchrony }, describe(c))
        }
    }

    func testSynchronyVariationJitterAcrossWindowsAndSkippedWaves() throws {
        // Waves that start at :07 and spread over twelve minutes (across a window boundary),
        // and each account sitting out one request in four at random.
        let c = try cluster("w0", in: snapshot(Self.swarm("w") { a, i in
            let r = D.scatter(a, i)
            return r % 4 == 0 ? nil : 7 * Self.minute + StreamTime((r >> 8) % UInt64(12 * Self.minute))
        }))
        // One of the sixteen can fall below the overlap needed (with eight waves, a skipped wave
        // and a split across windows cost it a lot); the swarm holds.
        XCTAssertGreaterThanOrEqual(c.accounts.count, 14, describe(c))
        assertRaised("synchrony", c, atLeast: 1.0)
    }

    func testSynchronyEveryoneOnlyAtTheSameHourIsTiedButNotSuspect() throws {
        // Sixteen people who take long answers, all only between nine and ten each morning, six
        // requests each: every window they use is everyone's, so load weighting cannot discount
        // it, and they are tied as in step (a false tie, reported). Without extraction prompts
        // or anything shared, that is not enough for suspect.
        var all: [Exchange] = []
        for k in 0..<16 {
            let a = "p\(k)"
            all += S.trace(a, count: 18, time: { i in
                S.day0 + StreamTime(i / 6) * 24 * Self.hour + 9 * Self.hour + StreamTime(D.scatter(a, i) % UInt64(Self.hour))
            }) { e, _ in e.outputTokens = 2400; e.sessionID = nil }
        }
        let snap = snapshot(all)
        for k in 0..<16 { XCTAssertNotEqual(try cluster("p\(k)", in: snap).verdict, .suspect) }
    }

    func testSynchronyKnownFalseTieOfAWorkingDaysHeavyUsers() throws {
        // Twenty-four people on a popular agent framework's tool schema, each taking long answers
        // of its own size at moments of its own, about one request every twenty minutes through
        // the same eight hours. Each is active in about half of that day's windows, so pairs share half their
        // windows by chance; synchrony ties them, and inside the cluster the popular schema then
        // counts as shared infrastructure: suspect. Reported, not fixed here.
        try XCTSkipIf(Self.skipKnownFalsePositives, "known false positive: synchrony does not test overlap against chance for busy accounts")
        let people = (0..<24).map { "u\($0)" }
        let all = D.traffic(accounts: people, perAccount: 24, hours: 8, start: S.day0 + 9 * Self.hour, independent: true) { a, i, ts in
            let k = people.firstIndex(of: a)!
            return Exchange(ts: ts, accountID: a, requestID: "\(a)-\(i)", orgID: "org-\(a)", sessionID: "\(a)-s\(i / 3)",
                            clientIP: "10.1.\(k).1", paymentFP: "card-\(a)", model: "m1",
                            inputTokens: Int64(300 * pow(2, 0.8 * 1.3 * Double(k / 6))), outputTokens: Int64(1600 * pow(2, 0.6 * 1.3 * Double(k % 6))),
                            promptText: S.prompt(a, i), toolsFP: "sha256:popular-agent-framework")
        }
        let snap = snapshot(all)
        for a in people {
            let c = try cluster(a, in: snap)
            XCTAssertFalse(c.ties.contains { $0.kind == .synchrony }, describe(c))
            XCTAssertNotEqual(c.verdict, .suspect, describe(c))
        }
    }

    // MARK: creation_burst

    /// Eight accounts on one card, each in an org of its own (`org`), first seen at `start(k)`; a
    /// bystander opens the stream so they are not merely "already active".
    func newAccounts(start: (Int) -> StreamTime, org: (Int) -> String = { "org-\($0)" }) throws -> ClusterSnapshot {
        let bystander = Exchange(ts: S.day0, accountID: "bystander", clientIP: "10.222.0.1", paymentFP: "card-bystander", model: "m1")
        let all = (0..<8).flatMap { k in
            S.trace("a\(k)", count: 10, time: { S.baseTime($0, start: start(k)) }) { e, _ in e.paymentFP = "card-one"; e.orgID = org(k) }
        }
        let c = try cluster(of: "a0", after: [bystander] + all)
        XCTAssertEqual(c.accounts.count, 8)
        return c
    }

    func testCreationBurstRaised() throws {
        assertRaised("creation_burst", try newAccounts(start: { S.day0 + 2 * Self.hour + StreamTime($0) * 4 * Self.minute }), atLeast: 0.7)
    }

    func testCreationBurstControlOneOrgOnboarding() throws {
        // One org's eight accounts opened together: a team onboarded, its owner declared.
        assertNotRaised("creation_burst", try newAccounts(start: { S.day0 + 2 * Self.hour + StreamTime($0) * 4 * Self.minute }, org: { _ in "org-one" }))
    }

    func testCreationBurstControlTwoOnboardingDays() throws {
        // A team onboarded in two batches of four, a day apart.
        let c = try newAccounts(start: { S.day0 + 2 * Self.hour + StreamTime($0 / 4) * 24 * Self.hour + StreamTime($0 % 4) * 10 * Self.minute })
        assertNotRaised("creation_burst", c)
    }

    func testCreationBurstVariationStaggeredSignUps() throws {
        // Sign-ups staggered 15 to 22 minutes apart at random: spread over two hours, still one burst.
        var at = S.day0 + 2 * Self.hour
        var starts: [StreamTime] = []
        for k in 0..<8 { starts.append(at); at += 15 * Self.minute + StreamTime(D.scatter("signup", k) % UInt64(7 * Self.minute)) }
        assertRaised("creation_burst", try newAccounts(start: { starts[$0] }), atLeast: 0.7)
    }

    func testCreationBurstSignUpsHalfAnHourApartEscapeOnlyThisRule() throws {
        // Escape: eight sign-ups half an hour apart never put eight in one three-hour window.
        let c = try cluster("f0", in: snapshot(Self.farm { e, _, k, i in e.ts += StreamTime(k) * 30 * Self.minute }))
        assertNotRaised("creation_burst", c)
        assertStillSuspect(c, escaped: "creation_burst", accounts: 8)
    }
}
