import XCTest
@testable import DistillCore

/// One customer in the open: a lone account, or several accounts that all declare one org.
/// Nothing hides a common operator there, so its own traffic must show the harvest in the
/// answers before it is `suspect`; words in the prompts alone (a model-as-judge pipeline's
/// rubric and "reply with the score") put it on `watch`, with the reason on the cluster.
extension RuleTests {
    static let judgeMiddle = "grade the answer below against the rubric and reply with the score as json"

    /// A grading service: `count` accounts under one org and one card, from four addresses of
    /// one cloud /24, single requests around the clock, each scoring an answer against a rubric.
    static func gradingService(count: Int = 5, perAccount: Int = 160, hours: Int = 48, outputTokens: Int = 120,
                               ipBase: String = "203.0.113.", firstHost: Int = 200) -> [Exchange] {
        let names = (0..<count).map { "judge\($0)" }
        return D.traffic(accounts: names, perAccount: perAccount, hours: hours, start: day0, independent: true) { a, i, ts in
            Exchange(ts: ts, accountID: a, requestID: "\(a)-\(i)", orgID: "org-grading", sessionID: "\(a)-s\(i)",
                     clientIP: "\(ipBase)\(firstHost + i % 4)", asn: 16509, userAgent: "Anthropic/Python 0.50.0",
                     paymentFP: "card-grading", model: "m1", inputTokens: 600, outputTokens: Int64(outputTokens), reasoningTokens: 0,
                     httpStatus: 200, promptText: S.prompt(a, i, middle: judgeMiddle))
        }
    }

    func testOneOrgsJudgePipelineIsHeldAtWatchAndSaysWhy() throws {
        let c = try cluster("judge0", in: snapshot(Self.gradingService()))
        XCTAssertEqual(c.accounts.count, 5, describe(c))
        XCTAssertGreaterThanOrEqual(c.risk, DetectorSettings.standard.suspectRisk, "the words alone reach the suspect bar: \(describe(c))")
        XCTAssertEqual(c.verdict, .watch, describe(c))
        XCTAssertNil(c.flaggedAt)
        let note = try XCTUnwrap(c.verdictNote, "a cluster held below its risk says why")
        XCTAssertTrue(note.contains("5 accounts of one declared org"), note)
        XCTAssertTrue(note.contains("0% long"), note)
    }

    func testTheSamePipelineTakingLongAnswersIsSuspect() throws {
        let c = try cluster("judge0", in: snapshot(Self.gradingService(outputTokens: 2400)))
        XCTAssertEqual(c.verdict, .suspect, describe(c))
        XCTAssertNil(c.verdictNote)
    }

    func testALoneJudgeAccountIsHeldAtWatch() throws {
        let c = try cluster("judge0", in: snapshot(Self.gradingService(count: 1, perAccount: 600)))
        XCTAssertGreaterThanOrEqual(c.risk, DetectorSettings.standard.suspectRisk, describe(c))
        XCTAssertEqual(c.verdict, .watch, describe(c))
        XCTAssertTrue(c.verdictNote?.contains("one account") == true, c.verdictNote ?? "no note")
    }

    /// The accounts of a hidden operator on separate orgs are not one customer: the same short
    /// answers on a shared card still make a suspect cluster through the card.
    func testAFarmOnSeparateOrgsIsNotHeldByShortAnswers() throws {
        let farm = Self.gradingService().map { e -> Exchange in
            var e = e
            e.orgID = "org-\(e.accountID)"
            return e
        }
        let c = try cluster("judge0", in: snapshot(farm))
        XCTAssertEqual(c.accounts.count, 5, describe(c))
        XCTAssertEqual(c.verdict, .suspect, describe(c))
    }

    /// A cloud /24 is shared by strangers. The grading service's addresses sit in the range a
    /// farm rents; its prompts read like a harvest, its answers do not, so the range does not
    /// tie it to the farm.
    func testAJudgePipelineOnAFarmsCloudRangeStaysOutOfTheFarm() throws {
        let farm = RuleTests.farm()
        let grading = Self.gradingService(ipBase: "198.51.100.", firstHost: 200)
        let snap = snapshot(farm + grading)
        let farmCluster = try cluster("f0", in: snap)
        XCTAssertEqual(farmCluster.verdict, .suspect, describe(farmCluster))
        XCTAssertFalse(farmCluster.accounts.contains { $0.hasPrefix("judge") }, describe(farmCluster))
        let judges = try cluster("judge0", in: snap)
        XCTAssertNotEqual(judges.verdict, .suspect, describe(judges))
    }

    /// A department's course on its card: eight students with orgs of their own, each behind one
    /// campus address, asking for worked solutions without a word about reasoning traces and
    /// reading 2,400-token answers; `edit` changes each exchange as `farm` does.
    static func courseOnOneCard(edit: @escaping (inout Exchange, String, Int, Int) -> Void = { _, _, _, _ in }) -> [Exchange] {
        farm("s") { e, a, k, i in
            e.promptText = S.prompt(a, i, middle: S.lightMiddle)
            edit(&e, a, k, i)
        }
    }

    func testOnePayerInTheOpenIsHeldAtWatchAndSaysWhy() throws {
        let c = try cluster("s0", in: snapshot(Self.courseOnOneCard()))
        XCTAssertEqual(c.accounts.count, 8, describe(c))
        XCTAssertGreaterThanOrEqual(c.risk, DetectorSettings.standard.suspectRisk, "the card and the answers reach the suspect bar: \(describe(c))")
        XCTAssertEqual(c.verdict, .watch, describe(c))
        let note = try XCTUnwrap(c.verdictNote, "a cluster held below its risk says why")
        XCTAssertTrue(note.contains("one card pays for 8 of the 8 accounts"), note)
    }

    /// What the hold rests on, each taken away in turn: the card paying for most, the accounts
    /// keeping their addresses, prompts that do not ask for the reasoning.
    func testOnePayerLosesTheHoldWithoutEachOfItsConditions() throws {
        // The card's share, read off the bar itself: traffic that links many payers as tightly
        // scores lower on other rules, so the verdict could not tell.
        let model = Detector().scoring(at: Self.day0)
        var pooled = BehaviourStats()
        pooled.accounts = 8; pooled.exchanges = 320; pooled.prompts = 320; pooled.tokenExchanges = 320
        pooled.longOutputs = 320; pooled.outputHeavy = 320; pooled.distinctIPs = 8
        var context = RiskModel.ClusterContext()
        context.accounts = 8
        context.mostAccountsOnOneCard = 4
        XCTAssertEqual(model.suspectBar(pooled, context, members: 8), .onePayerInTheOpen, "half of the accounts on one card")
        context.mostAccountsOnOneCard = 3
        XCTAssertNil(model.suspectBar(pooled, context, members: 8), "three of eight on one card is no payer for the cluster")
        let rotating = try cluster("s0", in: snapshot(Self.courseOnOneCard { e, _, k, i in e.clientIP = "198.51.\(k).\(i % 250)" }))
        XCTAssertEqual(rotating.verdict, .suspect, describe(rotating))
        let asking = try cluster("s0", in: snapshot(Self.courseOnOneCard { e, a, _, i in e.promptText = S.prompt(a, i, middle: S.extractionMiddle) }))
        XCTAssertEqual(asking.verdict, .suspect, describe(asking))
    }
}

/// An org is billed as one customer. A farm that declares one org for all its accounts while
/// paying with several cards gains nothing by it: the cards say the org is not one payer.
extension RuleTests {
    /// Eighty accounts running copies of one private coding harness round the clock (tool
    /// sessions of eight turns, short answers, a fifth of them long), all declaring `org`, paying
    /// with `cards` cards.
    static func agenticFleet(org: String, cards: Int) -> [Exchange] {
        let fleet = (0..<80).map { "agent\($0)" }
        return D.traffic(accounts: fleet, perAccount: 144, hours: 36) { a, i, ts in
            let k = Int(a.dropFirst(5))!
            let long = k < 40 ? i % 3 == 0 : i % 10 == 0
            return Exchange(ts: ts, accountID: a, requestID: "\(a)-\(i)", orgID: org, sessionID: "\(a)-s\(i / 8)",
                            clientIP: "203.0.113.\(k % 16)", userAgent: "harness/1.0", paymentFP: "card-\(k % cards)", model: "m1",
                            inputTokens: 6000, outputTokens: long ? 2400 : 300, reasoningTokens: 150,
                            promptText: "Continue the task: " + S.randomWords(10, seed: "\(a)#\(i)").joined(separator: " "),
                            systemFP: "sha256:private-harness", toolsFP: "sha256:private-tools")
        }
    }

    func testOneDeclaredOrgOverSeveralCardsIsNoCustomerInTheOpen() throws {
        for cards in [4, 80] {
            let c = try cluster("agent0", in: snapshot(Self.agenticFleet(org: "org-fleet", cards: cards)))
            XCTAssertEqual(c.accounts.count, 80, describe(c))
            XCTAssertEqual(c.verdict, .suspect, "\(cards) cards: \(describe(c))")
            XCTAssertTrue(c.signals.contains { $0.name == "coordinated_harness" && $0.weight > 0 }, describe(c))
            let split = try XCTUnwrap(c.signals.first { $0.name == "split_payment" && $0.weight > 0 }, describe(c))
            XCTAssertEqual(split.detail, "the accounts of one declared org pay with \(cards) different cards")
        }
    }

    /// The same fleet on the org's one card is one customer's agents, judged on its own traffic.
    func testOneDeclaredOrgOnOneCardKeepsItsCopiesToItself() throws {
        let c = try cluster("agent0", in: snapshot(Self.agenticFleet(org: "org-fleet", cards: 1)))
        XCTAssertEqual(c.accounts.count, 80, describe(c))
        XCTAssertNotEqual(c.verdict, .suspect, describe(c))
        XCTAssertFalse(c.signals.contains { ["coordinated_harness", "split_payment"].contains($0.name) && $0.weight > 0 }, describe(c))
    }
}
