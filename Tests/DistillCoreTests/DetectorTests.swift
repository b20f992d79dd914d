import XCTest
@testable import DistillCore

/// Small hand-written traces whose right answer is obvious.
final class DetectorTests: XCTestCase {
    static let t0: StreamTime = 1_776_000_000_000  // 2026-04-12
    static let minute: StreamTime = 60_000
    static let hour: StreamTime = 3_600_000

    static let extractionPrompts = [
        "Solve the following problem step by step, showing all your reasoning: a train leaves at 9 and travels 120 km",
        "Think through this carefully and write out your complete chain of thought before answering: how many primes below 50",
        "Grade this answer against the rubric below; for each criterion explain your reasoning in full: answer 7",
    ]

    /// `accounts` accounts sending `perAccount` exchanges each, spread over `hours`, built by `make`.
    /// With `independent`, each exchange lands at its own point inside its step, as people who do
    /// not share a scheduler would; without it every account fires in the same moment.
    static func traffic(accounts: [String], perAccount: Int, hours: Int, start: StreamTime = t0, independent: Bool = false,
                        make: (String, Int, StreamTime) -> Exchange) -> [Exchange] {
        var out: [Exchange] = []
        let step = StreamTime(hours) * hour / StreamTime(max(1, perAccount))
        for i in 0..<perAccount {
            for (k, account) in accounts.enumerated() {
                let offset = independent ? StreamTime(scatter(account, i) % UInt64(step)) : StreamTime(k) * 1000
                out.append(make(account, i, start + StreamTime(i) * step + offset))
            }
        }
        return out.sorted { $0.ts < $1.ts }
    }

    /// A fixed pseudo-random number for an account's `i`-th exchange (FNV-1a, then a mixer).
    static func scatter(_ account: String, _ i: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in account.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        h ^= UInt64(i) &* 0x9e37_79b9_7f4a_7c15
        h = (h ^ (h >> 31)) &* 0xbf58_476d_1ce4_e5b9
        return h ^ (h >> 29)
    }

    static func farmExchange(_ account: String, card: String, ip: String, _ i: Int, _ ts: StreamTime) -> Exchange {
        Exchange(ts: ts, accountID: account, requestID: "\(account)-\(i)", orgID: "org-\(account)",
                 clientIP: ip, asn: 16509, userAgent: "python-httpx/0.27.2", paymentFP: card, model: "m1",
                 inputTokens: 200, outputTokens: 3000, reasoningTokens: 1200,
                 promptText: extractionPrompts[i % 3] + " variant \(i)")
    }

    static func benignExchange(_ account: String, _ i: Int, _ ts: StreamTime, ip: String, tools: String? = nil) -> Exchange {
        let topics = ["a birthday card for my aunt", "a python loop that reads a csv", "a polite email to my landlord",
                      "the history of the Roman aqueducts", "a vegetarian lasagna recipe", "how tides work"]
        return Exchange(ts: ts, accountID: account, requestID: "\(account)-\(i)", orgID: "org-\(account)",
                        sessionID: "\(account)-s\(i / 6)", clientIP: ip, paymentFP: "card-\(account)", model: "m1",
                        inputTokens: 400, outputTokens: 300,
                        promptText: "Could you help me with \(topics[(i + account.count) % topics.count]), thanks (\(i))",
                        toolsFP: tools)
    }

    func cluster(containing account: String, in snapshot: Snapshot) -> ClusterSnapshot? {
        snapshot.clusters.first { $0.accounts.contains(account) }
    }

    /// Four card groups of four that all go out through one pool of thirteen proxy exits are one
    /// farm, though each account is too light to be linked on its own (one prompt in three asks
    /// for the reasoning, and rotating through a pool vouches for no one). Six people who use
    /// some of the same exits with a card each stay out, and so does the farm while its traffic
    /// is ordinary, or while its accounts keep to one exit each (an office or a lab behind its
    /// NAT, which the owner check judges). A pool with sticky sessions, an exit kept for a
    /// conversation of four requests and the next one for the next, rotates as much.
    func testCardGroupsMeetingOnlyEachOtherOnProxyExitsAreOneCluster() {
        let farm = (0..<16).map { "farm\($0)" }
        let neighbours = (0..<6).map { "neighbour\($0)" }
        func run(harvesting: Bool, exits: Int = 13, turns: Int = 1) -> Snapshot {
            let detector = Detector()
            var exchanges = Self.traffic(accounts: farm, perAccount: 40, hours: 20, independent: true) { a, i, ts in
                let k = Int(a.dropFirst(4))!
                var e = Self.farmExchange(a, card: "card-\(k / 4)", ip: "203.0.113.\((7 * k + i / turns) % exits)", i, ts)
                e.orgID = nil
                if turns > 1 { e.sessionID = "\(a)-s\(i / turns)" }
                if !harvesting || i % 3 != 0 {
                    e.promptText = "Could you help me with " + SignalTests.randomWords(9, seed: "\(a)#\(i)").joined(separator: " ")
                    e.outputTokens = 300
                    e.reasoningTokens = 0
                }
                return e
            }
            exchanges += Self.traffic(accounts: neighbours, perAccount: 20, hours: 20, independent: true) { a, i, ts in
                Self.benignExchange(a, i, ts, ip: "203.0.113.\((a.count + i) % 6)")
            }
            detector.ingest(exchanges.sorted { $0.ts < $1.ts })
            return detector.snapshot(includeQuiet: true)
        }
        let snap = run(harvesting: true)
        let c = try! XCTUnwrap(cluster(containing: "farm0", in: snap))
        XCTAssertEqual(Set(c.accounts), Set(farm), "\(c.accounts)")
        XCTAssertTrue(c.ties.contains { $0.kind == .infrastructure }, "\(c.ties.map(\.kind))")
        let quiet = run(harvesting: false)
        XCTAssertEqual(cluster(containing: "farm0", in: quiet)?.accounts.count, 4, "ordinary traffic: each card its own group")
        let steady = run(harvesting: true, exits: 1)
        XCTAssertFalse(cluster(containing: "farm0", in: steady)?.ties.contains { $0.kind == .infrastructure } ?? true, "no rotation, no exit link")
        let sticky = try! XCTUnwrap(cluster(containing: "farm0", in: run(harvesting: true, turns: 4)))
        XCTAssertEqual(Set(sticky.accounts), Set(farm), "an exit per conversation is rotation too")
        XCTAssertTrue(sticky.ties.contains { $0.kind == .infrastructure }, "\(sticky.ties.map(\.kind))")
    }

    /// A farm posing as an official coding client (its system prompt, conversations of eight
    /// requests) on three cards, through a proxy pool that gives each conversation a new exit,
    /// and six of the client's developers, each on a card of their own at home, working alike,
    /// among thirty of its everyday users. The farm is one cluster; the developers, at one
    /// address in every conversation, are not its copies.
    func testDevelopersAtHomeAreNotCopiesOfAFarmTakingAnExitPerConversation() throws {
        let farm = (0..<12).map { "farm\($0)" }, developers = (0..<6).map { "dev\($0)" }
        let users = Self.traffic(accounts: (0..<30).map { "user\($0)" }, perAccount: 20, hours: 30, independent: true) { a, i, ts in
            var e = Self.benignExchange(a, i, ts, ip: "192.0.2.\(Int(a.dropFirst(4))! + 1)")
            e.systemFP = "sha256:official-client"
            return e
        }
        let exchanges = users + Self.traffic(accounts: farm + developers, perAccount: 80, hours: 30, independent: true) { a, i, ts in
            let inFarm = a.hasPrefix("farm")
            let k = Int(a.drop { !$0.isNumber })!
            var e = Self.farmExchange(a, card: inFarm ? "card-\(k / 4)" : "card-\(a)",
                                      ip: inFarm ? "203.0.113.\((7 * k + i / 8) % 40)" : "198.51.100.\(k + 1)", i, ts)
            e.orgID = nil
            e.sessionID = "\(a)-s\(i / 8)"
            e.systemFP = "sha256:official-client"
            e.promptText = SignalTests.prompt(a, i, middle: SignalTests.extractionMiddle)
            return e
        }
        let detector = Detector()
        detector.ingest(exchanges.sorted { $0.ts < $1.ts })
        let snap = detector.snapshot(includeQuiet: true)
        XCTAssertEqual(Set(try XCTUnwrap(cluster(containing: "farm0", in: snap)).accounts), Set(farm))
        for d in developers {
            XCTAssertFalse(cluster(containing: d, in: snap)?.accounts.contains("farm0") ?? false, "\(d) joined the farm")
        }
    }

    /// A farm of `farm` accounts, four to a card, rotating through thirteen proxy exits
    /// (203.0.113.0–12); two of every three prompts are ordinary cover.
    static func farmOnSharedExits(_ farm: [String]) -> [Exchange] {
        traffic(accounts: farm, perAccount: 40, hours: 20, independent: true) { a, i, ts in
            let k = Int(a.dropFirst(4))!
            var e = farmExchange(a, card: "card-\(k / 4)", ip: "203.0.113.\((7 * k + i) % 13)", i, ts)
            e.orgID = nil
            if i % 3 != 0 {
                e.promptText = "Could you help me with " + SignalTests.randomWords(9, seed: "\(a)#\(i)").joined(separator: " ")
                e.outputTokens = 300
                e.reasoningTokens = 0
            }
            return e
        }
    }

    /// A class on its department's card, each student on a phone whose address changes with
    /// every request. One student's phone goes out through some of a farm's proxy exits (a
    /// mobile carrier's shared addresses). The farm's card groups still meet on their exits;
    /// the student, whose own traffic is ordinary, does not carry the class into the farm.
    func testAnOrdinaryAccountOnAFarmsExitDoesNotJoinItsCardGroupToTheFarm() {
        let farm = (0..<16).map { "farm\($0)" }
        let students = (0..<10).map { "student\($0)" }
        var exchanges = Self.farmOnSharedExits(farm)
        exchanges += Self.traffic(accounts: students, perAccount: 24, hours: 20, independent: true) { a, i, ts in
            let k = Int(a.dropFirst(7))!
            let ip = k == 0 && i % 2 == 0 ? "203.0.113.\(i % 13)" : "100.64.\(k).\(i + 1)"
            var e = Self.benignExchange(a, i, ts, ip: ip)
            e.paymentFP = "department-card"
            e.orgID = "org-university"
            return e
        }
        let detector = Detector()
        detector.ingest(exchanges.sorted { $0.ts < $1.ts })
        let snap = detector.snapshot(includeQuiet: true)
        let c = try! XCTUnwrap(cluster(containing: "farm0", in: snap))
        XCTAssertEqual(Set(c.accounts), Set(farm), "\(c.accounts)")
        XCTAssertTrue(c.ties.contains { $0.kind == .infrastructure }, "\(c.ties.map(\.kind))")
        XCTAssertEqual(Set(cluster(containing: "student0", in: snap)?.accounts ?? []), Set(students))
    }

    /// A family on one card, each member with an org of its own or none, at home on one address;
    /// the child's phone comes out through exits of a farm's proxy pool. The family is one
    /// customer with a home of its own, and the child's ordinary traffic does not carry it into
    /// the farm.
    func testAFamilyCardMetOnAFarmsExitStaysOutOfTheFarm() {
        let farm = (0..<16).map { "farm\($0)" }
        let family = (0..<4).map { "family\($0)" }
        var exchanges = Self.farmOnSharedExits(farm)
        exchanges += Self.traffic(accounts: family, perAccount: 24, hours: 20, independent: true) { a, i, ts in
            let k = Int(a.dropFirst(6))!
            let ip = k == 0 && i % 2 == 0 ? "203.0.113.\(i % 13)" : "198.51.100.7"
            var e = Self.benignExchange(a, i, ts, ip: ip)
            e.paymentFP = "family-card"
            e.orgID = k % 2 == 0 ? "org-\(a)" : nil
            return e
        }
        let detector = Detector()
        detector.ingest(exchanges.sorted { $0.ts < $1.ts })
        let snap = detector.snapshot(includeQuiet: true)
        let c = try! XCTUnwrap(cluster(containing: "farm0", in: snap))
        XCTAssertEqual(Set(c.accounts), Set(farm), "\(c.accounts)")
        XCTAssertEqual(Set(cluster(containing: "family0", in: snap)?.accounts ?? []), Set(family))
    }

    /// A university's research group: twenty accounts on one grant card behind the campus NAT,
    /// one-shot "think step by step" benchmark prompts from one template round the clock,
    /// answers of 1,200 tokens. It scores as high as a farm, but asks for no reasoning trace and
    /// takes no long answers, so it is `watch`, not `suspect`; the same group asking for its
    /// whole chain of thought is `suspect`.
    func testAClusterWithoutAHarvestIsAtMostWatch() {
        let lab = (0..<20).map { "lab\($0)" }
        func group(asking instruction: String) -> ClusterSnapshot? {
            let detector = Detector()
            detector.ingest(Self.traffic(accounts: lab, perAccount: 60, hours: 72, independent: true) { a, i, ts in
                Exchange(ts: ts, accountID: a, requestID: "\(a)-\(i)", clientIP: "192.0.2.10", userAgent: "python-requests/2.32",
                         paymentFP: "grant-card", model: "m1", inputTokens: 300, outputTokens: 1200, reasoningTokens: 0,
                         promptText: "Solve the following benchmark problem carefully: "
                             + SignalTests.randomWords(8, seed: "\(a)#\(i)").joined(separator: " ") + ". \(instruction) and box the final answer.")
            })
            return cluster(containing: "lab0", in: detector.snapshot(includeQuiet: true))
        }
        let light = try! XCTUnwrap(group(asking: "Let's think step by step"))
        XCTAssertEqual(Set(light.accounts), Set(lab))
        XCTAssertGreaterThanOrEqual(light.risk, DetectorSettings.standard.suspectRisk, "\(light.signals.map { "\($0.name)=\($0.weight)" })")
        XCTAssertEqual(light.verdict, .watch)
        XCTAssertNil(light.flaggedAt)
        let harvest = try! XCTUnwrap(group(asking: "Write out your complete chain of thought"))
        XCTAssertEqual(harvest.verdict, .suspect, "\(harvest.signals.map { "\($0.name)=\($0.weight)" })")
    }

    func testAnAgenticHarvestNeedsNoReasoningWords() {
        // Eighty accounts, each its own org, twenty to a card, running copies of one private
        // coding harness round the clock: sessions of eight turns (fifteen minutes apart) that offer tools, short answers
        // (tool calls), and no request for reasoning in any prompt. Half the accounts draw a long
        // answer on a third of their exchanges, the rest on a tenth: a fifth of all answers.
        let farm = (0..<80).map { "agent\($0)" }
        func group(tools: String?) -> ClusterSnapshot? {
            let detector = Detector()
            detector.ingest(Self.traffic(accounts: farm, perAccount: 144, hours: 36) { a, i, ts in
                let k = Int(a.dropFirst(5))!
                let long = k < 40 ? i % 3 == 0 : i % 10 == 0
                return Exchange(ts: ts, accountID: a, requestID: "\(a)-\(i)", orgID: "org-\(a)", sessionID: "\(a)-s\(i / 8)",
                                clientIP: "203.0.113.\(k % 16)", userAgent: "harness/1.0", paymentFP: "card-\(k % 4)", model: "m1",
                                inputTokens: 6000, outputTokens: long ? 2400 : 300, reasoningTokens: 150,
                                promptText: "Continue the task: " + SignalTests.randomWords(10, seed: "\(a)#\(i)").joined(separator: " "),
                                systemFP: "sha256:private-harness", toolsFP: tools)
            })
            return cluster(containing: "agent0", in: detector.snapshot(includeQuiet: true))
        }
        let agentic = try! XCTUnwrap(group(tools: "sha256:private-tools"))
        XCTAssertEqual(Set(agentic.accounts), Set(farm))
        XCTAssertEqual(agentic.verdict, .suspect, "\(agentic.signals.map { "\($0.name)=\($0.weight)" })")
        let copies = try! XCTUnwrap(agentic.signals.first { $0.name == "coordinated_harness" && $0.weight > 0 })
        // The analyst sees what the copies harvest: nothing else in the evidence says it.
        XCTAssertTrue(copies.detail.hasSuffix("; 100% of requests offer tools, in conversations of 8.0 turns on average"), copies.detail)
        XCTAssertFalse(agentic.signals.contains { $0.name == "reasoning_extraction" && $0.weight > 0 })
        // The same farm offering no tools harvests nothing the detector can name.
        let chat = try! XCTUnwrap(group(tools: nil))
        XCTAssertNotEqual(chat.verdict, .suspect, "\(chat.signals.map { "\($0.name)=\($0.weight)" })")
    }

    /// Tool-use traces: sixty accounts, ten to a card, each conversation five turns on a tool
    /// set made up for it, under one private system prompt; short answers, no long ones, no
    /// request for reasoning. Their agentic sessions are the harvest, and copies of one another
    /// on a prompt only they send are the operator: one suspect cluster, not six card groups.
    static func toolTraceFarm(system: String, accounts: [String]) -> [Exchange] {
        traffic(accounts: accounts, perAccount: 100, hours: 40, independent: true) { a, i, ts in
            let k = Int(a.split(separator: "-").last!)!
            return Exchange(ts: ts, accountID: a, requestID: "\(a)-\(i)", orgID: "org-\(a)", sessionID: "\(a)-s\(i / 5)",
                            clientIP: "10.\(k).\(i % 200).\(scatter(a, i) % 250 + 1)", userAgent: "OpenAI/Python 1.51.0",
                            paymentFP: "card-\(k / 10)", model: "m1", inputTokens: 2000, outputTokens: 300,
                            promptText: (i % 5 == 0 ? "Please help: " : "[tool_result] ") + SignalTests.randomWords(8, seed: "\(a)#\(i)").joined(separator: " "),
                            systemFP: system, toolsFP: "sha256:tools-\(a)-\(i / 5)")
        }
    }

    func testAgenticCopiesOnAPromptOnlyTheySendAreOneSuspectCluster() {
        let farm = (0..<60).map { "tools-\($0)" }
        let detector = Detector()
        detector.ingest(Self.toolTraceFarm(system: "sha256:private-harness", accounts: farm))
        let c = try! XCTUnwrap(cluster(containing: "tools-0", in: detector.snapshot(includeQuiet: true)))
        XCTAssertEqual(Set(c.accounts), Set(farm))
        XCTAssertEqual(c.verdict, .suspect, "\(c.signals.map { "\($0.name)=\($0.weight)" })")
        XCTAssertTrue(c.signals.contains { $0.name == "coordinated_harness" && $0.weight > 0 })
    }

    /// The same sixty alike, as users of a popular client's system prompt that as many others
    /// use differently (shorter sessions, longer answers, their own rhythm): copies among a
    /// client's users are not its users' operator, and the card groups stay apart.
    func testAgenticCopiesAmongAPopularClientsUsersAreNoTie() {
        let alike = (0..<60).map { "tools-\($0)" }
        let others = (0..<60).map { "dev-\($0)" }
        var traffic = Self.toolTraceFarm(system: "sha256:popular-client", accounts: alike)
        traffic += Self.traffic(accounts: others, perAccount: 60, hours: 40, independent: true) { a, i, ts in
            let k = Int(a.dropFirst(4))!
            return Exchange(ts: ts, accountID: a, requestID: "\(a)-\(i)", sessionID: "\(a)-s\(i / 3)",
                            clientIP: "192.0.2.\(k + 1)", userAgent: "client/2.0", paymentFP: "card-\(a)", model: "m1",
                            inputTokens: 9000, outputTokens: Int64(900 + 40 * k),
                            promptText: "Fix this: " + SignalTests.randomWords(8, seed: "\(a)#\(i)").joined(separator: " "),
                            systemFP: "sha256:popular-client", toolsFP: "sha256:client-tools")
        }
        let detector = Detector()
        detector.ingest(traffic.sorted { $0.ts < $1.ts })
        let snap = detector.snapshot(includeQuiet: true)
        let c = try! XCTUnwrap(cluster(containing: "tools-0", in: snap))
        XCTAssertFalse(c.ties.contains { $0.kind == .harnessCopies }, "\(c.ties.map(\.kind))")
        XCTAssertLessThanOrEqual(c.accounts.count, 10, "\(c.accounts.count)")
        XCTAssertFalse(c.signals.contains { $0.name == "coordinated_harness" && $0.weight > 0 })
    }

    func testCardsSharedAcrossOrgsWithExtractionPromptsAreOneSuspectCluster() {
        let detector = Detector()
        let farm = (0..<12).map { "farm-\($0)" }
        detector.ingest(Self.traffic(accounts: farm, perAccount: 30, hours: 30) { a, i, ts in
            Self.farmExchange(a, card: a.hasSuffix("1") || a.hasSuffix("3") ? "card-B" : "card-A", ip: "198.51.100.\(i % 7)", i, ts)
        })
        let snap = detector.snapshot()
        let c = try! XCTUnwrap(cluster(containing: "farm-0", in: snap))
        XCTAssertEqual(Set(c.accounts), Set(farm), "two cards and a shared cloud range join the farm")
        XCTAssertEqual(c.verdict, .suspect)
        XCTAssertGreaterThan(c.risk, 0.9)
        XCTAssertNotNil(c.flaggedAt)
        XCTAssertTrue(c.signals.contains { $0.name == "shared_payment" && $0.weight > 0 })
        XCTAssertTrue(c.signals.contains { $0.name == "reasoning_extraction" && $0.weight > 3 })
    }

    func testPopularValuesDoNotGlueStrangers() {
        // Sixty unrelated developers behind one campus NAT, all using one popular IDE tool schema.
        let detector = Detector()
        let devs = (0..<60).map { "dev-\($0)" }
        detector.ingest(Self.traffic(accounts: devs, perAccount: 20, hours: 48, independent: true) { a, i, ts in
            Self.benignExchange(a, i, ts, ip: "192.0.2.10", tools: "sha256:popular-ide")
        })
        let snap = detector.snapshot()
        for dev in devs {
            let c = cluster(containing: dev, in: snap)
            XCTAssertTrue(c == nil || c!.accounts == [dev], "\(dev) was glued to \(c!.accounts.count - 1) strangers")
        }
        XCTAssertEqual(snap.suspectCount, 0)
    }

    /// An extraction prompt with two random words at each end: no template family of its own.
    static func untemplatedExtractionPrompt(_ account: String, _ i: Int) -> String {
        func word(_ x: UInt64) -> String { String((0..<6).map { Character(UnicodeScalar(UInt8(97 + (x >> (5 * UInt64($0))) % 26))) }) }
        let r = (0..<4).map { word(scatter(account, i * 8 + $0)) }
        return "\(r[0]) \(r[1]) " + extractionPrompts[i % 3] + " \(r[2]) \(r[3])"
    }

    static func untemplatedFarmExchange(_ account: String, card: String, ip: String, _ i: Int, _ ts: StreamTime) -> Exchange {
        var e = farmExchange(account, card: card, ip: ip, i, ts)
        e.promptText = untemplatedExtractionPrompt(account, i)
        return e
    }

    func testRareSharedAddressMergesClustersIncrementally() {
        // Accounts whose own behaviour is notable: an address joins only such accounts.
        func office(_ account: String, card: String, ip: String, _ i: Int) -> Exchange {
            Self.untemplatedFarmExchange(account, card: card, ip: ip, i, Self.t0 + StreamTime(i) * Self.minute)
        }
        let detector = Detector()
        for i in 0..<8 {
            detector.ingest([office("a1", card: "card-1", ip: "203.0.113.1", i), office("a2", card: "card-1", ip: "203.0.113.2", i),
                             office("b1", card: "card-2", ip: "192.0.2.1", i), office("b2", card: "card-2", ip: "192.0.2.2", i)])
        }
        var snap = detector.snapshot()
        XCTAssertEqual(Set(cluster(containing: "a1", in: snap)?.accounts ?? []), ["a1", "a2"])
        XCTAssertEqual(Set(cluster(containing: "b1", in: snap)?.accounts ?? []), ["b1", "b2"])

        // a1 once on b's office address: two payers on one address -> one cluster.
        detector.ingest(office("a1", card: "card-1", ip: "192.0.2.1", 8))
        snap = detector.snapshot()
        XCTAssertEqual(Set(cluster(containing: "a1", in: snap)?.accounts ?? []), ["a1", "a2", "b1", "b2"])
    }

    func testAProxyExitJoinsNoneOfThePeopleWhoLiveThere() throws {
        // Eight farm accounts on two cards, each on a sticky residential exit of its own; each
        // exit is also the home address of an ordinary person, who uses it all along.
        let farm = (0..<8).map { "f\($0)" }, people = (0..<8).map { "p\($0)" }
        var traffic = Self.traffic(accounts: farm, perAccount: 30, hours: 30, independent: true) { a, i, ts in
            let k = Int(a.dropFirst())!
            return Self.farmExchange(a, card: "card-\(k % 2)", ip: "81.2.69.\(k + 1)", i, ts)
        }
        traffic += Self.traffic(accounts: people, perAccount: 30, hours: 30, independent: true) { a, i, ts in
            Self.benignExchange(a, i, ts, ip: "81.2.69.\(Int(a.dropFirst())! + 1)")
        }
        let detector = Detector()
        detector.ingest(traffic.sorted { $0.ts < $1.ts })
        let snap = detector.snapshot()
        for card in 0..<2 {
            let c = try XCTUnwrap(cluster(containing: "f\(card)", in: snap))
            XCTAssertEqual(Set(c.accounts), Set(farm.filter { Int($0.dropFirst())! % 2 == card }), "the people at home stay out")
            XCTAssertEqual(c.verdict, .suspect)
        }
        for person in people {
            let c = cluster(containing: person, in: snap)
            XCTAssertTrue(c == nil || c!.accounts == [person], "\(person) was joined to \(c!.accounts)")
        }
    }

    func testAClientFingerprintJoinsNoneOfItsOrdinaryUsers() throws {
        // Eight farm accounts on two cards run one version of a popular client, as three
        // developers (a card each) do: five owners on the client's system prompt and tool schema,
        // few enough to pass for one team's private harness.
        let farm = (0..<8).map { "f\($0)" }, developers = (0..<3).map { "d\($0)" }
        let client = "sha256:client-2.1.4", tools = "sha256:client-tools-2.1.4"
        var traffic = Self.traffic(accounts: farm, perAccount: 30, hours: 30, independent: true) { a, i, ts in
            let k = Int(a.dropFirst())!
            var e = Self.farmExchange(a, card: "card-\(k % 2)", ip: "203.0.113.\(k + 1)", i, ts)
            e.systemFP = client
            e.toolsFP = tools
            return e
        }
        traffic += Self.traffic(accounts: developers, perAccount: 30, hours: 30, independent: true) { a, i, ts in
            var e = Self.benignExchange(a, i, ts, ip: "198.51.100.\(Int(a.dropFirst())! + 1)", tools: tools)
            e.systemFP = client
            return e
        }
        let detector = Detector()
        detector.ingest(traffic.sorted { $0.ts < $1.ts })
        let snap = detector.snapshot()
        let c = try XCTUnwrap(cluster(containing: "f0", in: snap))
        XCTAssertEqual(c.verdict, .suspect)
        XCTAssertTrue(Set(c.accounts).isSubset(of: Set(farm)), "developers joined: \(c.accounts)")
        for developer in developers {
            let d = cluster(containing: developer, in: snap)
            XCTAssertTrue(d == nil || d!.verdict == .clear, "\(developer) is in a \(d!.verdict) cluster")
        }
    }

    func testValueThatBecomesPopularStopsLinking() {
        let detector = Detector()
        for i in 0..<8 {
            for a in ["x", "y"] { detector.ingest(Self.untemplatedFarmExchange(a, card: "card-\(a)", ip: "100.64.0.1", i, Self.t0 + StreamTime(i) * Self.minute)) }
        }
        XCTAssertEqual(Set(cluster(containing: "x", in: detector.snapshot())?.accounts ?? []), ["x", "y"])
        // Thirty more payers appear on the same address: it is a NAT, not a household.
        for k in 0..<30 { detector.ingest(Self.benignExchange("n\(k)", 0, Self.t0 + 10 * Self.minute, ip: "100.64.0.1")) }
        let snap = detector.snapshot()
        let c = cluster(containing: "x", in: snap)
        XCTAssertTrue(c == nil || c!.accounts == ["x"])
    }

    func testRiskIsRescoredAsEvidenceArrivesAndFlaggedAtIsStreamTime() {
        let detector = Detector()
        let farm = (0..<6).map { "f\($0)" }
        let all = Self.traffic(accounts: farm, perAccount: 40, hours: 20) { a, i, ts in
            Self.farmExchange(a, card: "shared-card", ip: "198.51.100.9", i, ts)
        }
        detector.ingest(all.prefix(12))
        let early = detector.snapshot()
        XCTAssertNotEqual(cluster(containing: "f0", in: early)?.verdict, .suspect, "12 prompts are too few to accuse")
        detector.ingest(all.dropFirst(12))
        let late = detector.snapshot()
        let c = try! XCTUnwrap(cluster(containing: "f0", in: late))
        XCTAssertEqual(c.verdict, .suspect)
        let flagged = try! XCTUnwrap(c.flaggedAt)
        XCTAssertGreaterThan(flagged, all[11].ts)
        XCTAssertLessThanOrEqual(flagged, all.last!.ts)
    }

    /// Six accounts on one card harvesting reasoning: their cluster is at `watch` until it has
    /// sent 40 prompts, which it does just after an hourly evaluation. Re-judging the `watch`
    /// clusters between evaluations flags it within a quarter of an hour of that, not at the
    /// next evaluation; and it flags nothing the hourly schedule would not.
    static func farmNearingTheLine() -> [Exchange] {
        traffic(accounts: (0..<6).map { "f\($0)" }, perAccount: 40, hours: 20) { a, i, ts in
            farmExchange(a, card: "shared-card", ip: "198.51.100.9", i, ts)
        }
    }

    func testAWatchClusterCrossingTheLineBetweenEvaluationsIsFlaggedAtTheNextRecheck() {
        var hourly = DetectorSettings()
        hourly.recheckInterval = hourly.evaluationInterval
        let traffic = Self.farmNearingTheLine() + [Self.benignExchange("someone", 0, Self.t0 + 30 * Self.hour, ip: "192.0.2.4")]
        let withRechecks = Detector(), hourlyOnly = Detector(settings: hourly)
        withRechecks.ingest(traffic)
        hourlyOnly.ingest(traffic)

        let early = try! XCTUnwrap(withRechecks.flaggedAt(account: "f0"))
        let late = try! XCTUnwrap(hourlyOnly.flaggedAt(account: "f0"))
        XCTAssertLessThan(early, late, "flagged before the next hourly evaluation")
        XCTAssertLessThanOrEqual(late - early, 45 * Self.minute)
        XCTAssertGreaterThan(withRechecks.evaluations, 0)
        XCTAssertEqual(withRechecks.evaluations, hourlyOnly.evaluations, "re-judging is not an evaluation")
        let flags = { (d: Detector) in d.snapshot().clusters.filter { $0.verdict == .suspect }.map { Set($0.accounts) } }
        XCTAssertEqual(flags(withRechecks), flags(hourlyOnly))
        XCTAssertEqual(flags(withRechecks), [Set((0..<6).map { "f\($0)" })])
    }

    /// The `watch` clusters waiting to be re-judged are part of the saved state: a detector saved
    /// in the hour before the farm's flag and read back flags it at the same moment.
    func testARestoredDetectorReJudgesTheSameWatchClusters() throws {
        let traffic = Self.farmNearingTheLine()
        let whole = Detector()
        whole.ingest(traffic)
        let flag = try XCTUnwrap(whole.flaggedAt(account: "f0"))
        let cuts = traffic.indices.filter { traffic[$0].ts >= flag - Self.hour && traffic[$0].ts <= flag }
        XCTAssertGreaterThan(cuts.count, 6)
        for cut in cuts {
            let first = Detector()
            first.ingest(Array(traffic[..<cut]))
            let bytes = DetectionState(detector: first, ledger: InputLedger()).encoded()
            let restored = try DetectionState(decoding: bytes, settings: .standard).detector
            restored.ingest(Array(traffic[cut...]))
            for k in 0..<6 { XCTAssertEqual(restored.flaggedAt(account: "f\(k)"), whole.flaggedAt(account: "f\(k)"), "cut at \(cut)") }
        }
    }

    func testLoneHeavyExtractorIsSuspect() {
        let detector = Detector()
        detector.ingest(Self.traffic(accounts: ["solo"], perAccount: 2000, hours: 24) { a, i, ts in
            Self.farmExchange(a, card: "solo-card", ip: "203.0.113.\(i % 3)", i, ts)
        })
        let c = try! XCTUnwrap(cluster(containing: "solo", in: detector.snapshot()))
        XCTAssertEqual(c.accounts, ["solo"])
        XCTAssertEqual(c.verdict, .suspect)
        XCTAssertTrue(c.signals.contains { $0.name == "high_volume" })
    }

    func testEvalHarnessRepeatingBenchmarkItemsIsNotSuspect() {
        // One lab account runs the same 300 items, "let's think step by step", in three bursts.
        let detector = Detector()
        var batch: [Exchange] = []
        for run in 0..<3 {
            let start = Self.t0 + StreamTime(run) * 48 * Self.hour
            for item in 0..<300 {
                batch.append(Exchange(ts: start + StreamTime(item) * 10_000, accountID: "lab", requestID: "r\(run)-\(item)",
                                      orgID: "lab-org", clientIP: "34.1.2.3", paymentFP: "lab-card", model: run == 2 ? "m2" : "m1",
                                      inputTokens: 150, outputTokens: 600,
                                      promptText: "Question \(item): what is \(item) times \(item + 7)? Let's think step by step."))
            }
        }
        detector.ingest(batch)
        let c = cluster(containing: "lab", in: detector.snapshot())
        XCTAssertNotEqual(c?.verdict, .suspect)
    }

    func testSnapshotRateSeriesCountsMinutes() {
        let detector = Detector()
        for i in 0..<10 { detector.ingest(Self.benignExchange("u", i, Self.t0 + StreamTime(i / 5) * Self.minute, ip: "1.2.3.4")) }
        let snap = detector.snapshot()
        XCTAssertEqual(snap.minuteRate.count, Snapshot.minuteBuckets)
        XCTAssertEqual(Array(snap.minuteRate.suffix(2)), [5, 5])
        XCTAssertEqual(snap.exchanges, 10)
    }

    func testTwoOperationsThatWriteAlikeStayApartButLoneProxiesGather() {
        let detector = Detector()
        // Two farms on their own cards and ranges, sending the same templates.
        let farmA = (0..<6).map { "a\($0)" }, farmB = (0..<6).map { "b\($0)" }
        detector.ingest(Self.traffic(accounts: farmA + farmB, perAccount: 40, hours: 20, independent: true) { a, i, ts in
            Self.farmExchange(a, card: a.hasPrefix("a") ? "card-A" : "card-B", ip: a.hasPrefix("a") ? "198.51.100.\(i % 5)" : "203.0.113.\(i % 5)", i, ts)
        })
        // Eight proxy-rotating accounts with no card in common and a fresh address per request.
        let proxies = (0..<8).map { "p\($0)" }
        detector.ingest(Self.traffic(accounts: proxies, perAccount: 40, hours: 20, independent: true) { a, i, ts in
            var e = Self.farmExchange(a, card: "own-\(a)", ip: "100.\(a.count).\(i).\(a.hashValue & 0xFF)", i, ts)
            e.clientIP = "10.\(Int(a.dropFirst())!).\(i / 250).\(i % 250)"
            return e
        })
        let snap = detector.snapshot()
        XCTAssertEqual(Set(cluster(containing: "a0", in: snap)?.accounts ?? []), Set(farmA))
        XCTAssertEqual(Set(cluster(containing: "b0", in: snap)?.accounts ?? []), Set(farmB))
        XCTAssertEqual(Set(cluster(containing: "p0", in: snap)?.accounts ?? []), Set(proxies), "a shared template gathers accounts nothing else placed")
        for key in ["a0", "b0", "p0"] { XCTAssertEqual(cluster(containing: key, in: snap)?.verdict, .suspect) }
    }

    /// A public problem's wording, as a farm and an evaluation team would both send it.
    static func publicProblem(_ n: Int) -> String {
        "On an island, knights always tell the truth and knaves always lie. Islander \(n) says the one beside "
            + "them is a knave. Walk me through your full thinking step by step."
    }

    /// A farm account (`p0`, `p1`, …) with a card of its own and a fresh address per request,
    /// sending public problems.
    static func publicProblemFarmExchange(_ a: String, _ i: Int, _ ts: StreamTime) -> Exchange {
        var e = farmExchange(a, card: "own-\(a)", ip: "", i, ts)
        e.clientIP = "10.\(Int(a.dropFirst())!).\(i / 250).\(i % 250)"
        e.promptText = publicProblem(i)
        return e
    }

    /// Two accounts of a lab at its own address, on its card, sending the public problems a
    /// farm sends, as often as each farm account does. Under the lab's one org they are one
    /// customer in the open and the problems do not carry them into the farm; the same pair
    /// with no org declared is two accounts on a card, as a farm's card groups are, and is
    /// gathered with the farm.
    func testALabsAccountsUnderItsOrgStayOutOfAFarmsPublicProblems() throws {
        let farm = (0..<8).map { "p\($0)" }, lab = ["lab-0", "lab-1"]
        func run(labOrg: String?) throws -> (farm: ClusterSnapshot, lab: ClusterSnapshot?) {
            var traffic = Self.traffic(accounts: farm, perAccount: 40, hours: 20, independent: true, make: Self.publicProblemFarmExchange)
            traffic += Self.traffic(accounts: lab, perAccount: 40, hours: 20, independent: true) { a, i, ts in
                var e = Self.farmExchange(a, card: "lab-card", ip: "34.1.2.\(a.count)", i, ts)
                e.orgID = labOrg
                e.promptText = Self.publicProblem(i)
                return e
            }
            let detector = Detector()
            detector.ingest(traffic.sorted { $0.ts < $1.ts })
            let snap = detector.snapshot()
            return (try XCTUnwrap(cluster(containing: "p0", in: snap)), cluster(containing: "lab-0", in: snap))
        }
        let underOrg = try run(labOrg: "lab-org")
        XCTAssertEqual(Set(underOrg.farm.accounts), Set(farm), "the lab's one org and card keep it out")
        XCTAssertEqual(underOrg.farm.verdict, .suspect)
        XCTAssertEqual(Set(underOrg.lab?.accounts ?? []), Set(lab), "the lab's accounts are still one group")

        let noOrg = try run(labOrg: nil)
        XCTAssertEqual(Set(noOrg.farm.accounts), Set(farm + lab), "a card pair with no org is gathered as before")
    }

    /// Eight proxy-rotating accounts with a card each, joined only by the public problems they
    /// all send, and a lab's account: its own card and address, 1,200 prompts in a day of its
    /// own judging benchmark with the same problem among them ten times. The problem gathers
    /// the farm; the lab's passing use of it, beside a workload a hundred times larger, does
    /// not make it one of them. A farm whose accounts are all that heavy is still gathered.
    func testAHeavyAccountsPassingUseOfAFarmsTemplateDoesNotJoinIt() throws {
        let farmExchange = Self.publicProblemFarmExchange
        let farm = (0..<8).map { "p\($0)" }
        var traffic = Self.traffic(accounts: farm, perAccount: 40, hours: 20, independent: true, make: farmExchange)
        traffic += Self.traffic(accounts: ["lab"], perAccount: 1_200, hours: 20) { a, i, ts in
            var e = Self.farmExchange(a, card: "lab-card", ip: "34.1.2.3", i, ts)
            e.promptText = i % 120 == 7 ? Self.publicProblem(i)
                : "Grade answer \(i) against the rubric below; for each criterion explain your reasoning in full."
            return e
        }
        let detector = Detector()
        detector.ingest(traffic.sorted { $0.ts < $1.ts })
        let snap = detector.snapshot()
        let c = try XCTUnwrap(cluster(containing: "p0", in: snap))
        XCTAssertEqual(Set(c.accounts), Set(farm), "the lab sent the farm's template 10 times in 1,200")
        XCTAssertEqual(c.verdict, .suspect)

        let heavyFarm = (0..<6).map { "h\($0)" }
        let heavy = Detector()
        heavy.ingest(Self.traffic(accounts: heavyFarm, perAccount: 1_100, hours: 20, independent: true, make: farmExchange))
        XCTAssertEqual(Set(cluster(containing: "h0", in: heavy.snapshot())?.accounts ?? []), Set(heavyFarm))
    }

    func testAccountsFiredInTheSameWavesGatherWithNothingShared() {
        // Forty accounts with their own cards, a fresh address per request and prompts that share
        // no template; one scheduler fires them all in ten-minute waves four times a day. Forty
        // ordinary accounts send the same number of exchanges whenever they like.
        let swarm = (0..<40).map { "w\($0)" }, people = (0..<40).map { "h\($0)" }
        var batch: [Exchange] = []
        for (k, a) in swarm.enumerated() {
            for i in 0..<36 {
                let wave = Self.t0 + StreamTime(i / 3) * 6 * Self.hour + 2 * Self.hour
                let ts = wave + StreamTime(Self.scatter(a, i) % UInt64(10 * Self.minute))
                batch.append(Exchange(ts: ts, accountID: a, requestID: "\(a)-\(i)", orgID: nil, sessionID: "\(a)-s\(i)",
                                      clientIP: "100.\(64 + k).\(i).\(Self.scatter(a, i) % 250 + 1)", paymentFP: "card-\(a)", model: "m1",
                                      inputTokens: 300, outputTokens: 2500, reasoningTokens: 900,
                                      promptText: SignalTests.prompt(a, i, middle: SignalTests.extractionMiddle)))
            }
        }
        batch += Self.traffic(accounts: people, perAccount: 36, hours: 72, independent: true) { a, i, ts in
            Self.benignExchange(a, i, ts, ip: "192.0.2.\(Int(a.dropFirst())! + 1)")
        }
        let detector = Detector()
        detector.ingest(batch.sorted { $0.ts < $1.ts })
        let snap = detector.snapshot()
        let c = try! XCTUnwrap(cluster(containing: "w0", in: snap))
        XCTAssertEqual(Set(c.accounts), Set(swarm), "the waves are the only tie")
        XCTAssertEqual(c.verdict, .suspect)
        XCTAssertTrue(c.ties.contains { $0.kind == .synchrony && $0.accounts == swarm.count }, "\(c.ties)")
        for person in people {
            let p = cluster(containing: person, in: snap)
            XCTAssertTrue(p == nil || p!.accounts == [person], "\(person) was tied to others")
        }
    }

    /// A farm's first hours: ten new accounts, each with its own card and a fresh address per
    /// request, three prompts each (too few for any one to score), on a tool schema only they use.
    static func youngFarmExchange(_ account: String, _ i: Int, _ ts: StreamTime, tools: String) -> Exchange {
        Exchange(ts: ts, accountID: account, requestID: "\(account)-\(i)", clientIP: "10.\(account.count).\(i).\(scatter(account, i) % 250 + 1)",
                 paymentFP: "card-\(account)", model: "m1", inputTokens: 200, outputTokens: 3000, reasoningTokens: 1200,
                 promptText: extractionPrompts[i % 3] + " item \(scatter(account, i) % 1000)", toolsFP: tools)
    }

    /// The young farm (ten accounts, `young-0` to `young-9`) on its schema, beside `newcomers`
    /// asking three everyday questions each on the schema `tools`.
    func youngFarm(beside newcomers: [String], on tools: String) -> Snapshot {
        let detector = Detector()
        let farm = (0..<10).map { "young-\($0)" }
        var traffic = Self.traffic(accounts: farm, perAccount: 3, hours: 3, independent: true) { a, i, ts in
            Self.youngFarmExchange(a, i, ts, tools: "sha256:farm-schema")
        }
        traffic += Self.traffic(accounts: newcomers, perAccount: 3, hours: 3, independent: true) { a, i, ts in
            Self.benignExchange(a, i, ts, ip: "192.0.2.\(a.count + i)", tools: tools)
        }
        detector.ingest(traffic.sorted { $0.ts < $1.ts })
        return detector.snapshot()
    }

    func testYoungAccountsPooledOnTheirSchemaAreTiedBeforeAnyScoresAlone() throws {
        let farm = (0..<10).map { "young-\($0)" }
        // Look-alike: ten newcomers on one starter kit's schema, asking everyday questions.
        let starters = (0..<10).map { "starter-\($0)" }
        let snap = youngFarm(beside: starters, on: "sha256:starter-kit")
        let c = try XCTUnwrap(cluster(containing: "young-0", in: snap))
        XCTAssertEqual(Set(c.accounts), Set(farm), "the pool ties the whole farm, and only it")
        XCTAssertTrue(c.ties.contains { $0.kind == .newcomer && $0.accounts == farm.count }, "\(c.ties)")
        XCTAssertTrue(starters.allSatisfy { a in (cluster(containing: a, in: snap)?.accounts.count ?? 1) == 1 },
                      "newcomers whose pooled prompts are everyday questions stay apart")
    }

    /// Two newcomers on the value the farm's fresh accounts share, each with a few everyday
    /// questions and short answers: too little to score, and nothing of a harvest in it. The pool
    /// still ties the farm; it does not carry them (nor the cards they share with their
    /// families) into it.
    func testAPoolJoinsNoNewcomerWhoseFewExchangesCarryNoHarvest() throws {
        let farm = (0..<10).map { "young-\($0)" }
        let newcomers = ["kid-0", "kid-1"]
        let snap = youngFarm(beside: newcomers, on: "sha256:farm-schema")
        let c = try XCTUnwrap(cluster(containing: "young-0", in: snap))
        XCTAssertEqual(Set(c.accounts), Set(farm), "the pool ties the whole farm, and only it")
        XCTAssertTrue(newcomers.allSatisfy { a in (cluster(containing: a, in: snap)?.accounts.count ?? 1) == 1 }, "\(c.accounts)")
    }

    func testAPoolJoinsNoEstablishedHonestUserOfTheSchemaNorTheTeamBehindIt() throws {
        let detector = Detector()
        let farm = (0..<10).map { "young-\($0)" }
        let team = (0..<8).map { "team-\($0)" }
        // A team of eight on one org and card, 48 everyday prompts each over two days; one of them
        // works with the client whose schema the farm copies. The farm starts on the second day.
        var traffic = Self.traffic(accounts: team, perAccount: 48, hours: 48, independent: true) { a, i, ts in
            var e = Self.benignExchange(a, i, ts, ip: "192.0.2.\(Int(a.dropFirst(5))! + 1)", tools: a == "team-0" ? "sha256:copied" : nil)
            e.orgID = "org-team"
            e.paymentFP = "card-team"
            return e
        }
        traffic += Self.traffic(accounts: farm, perAccount: 3, hours: 3, start: Self.t0 + 44 * Self.hour, independent: true) { a, i, ts in
            Self.youngFarmExchange(a, i, ts, tools: "sha256:copied")
        }
        detector.ingest(traffic.sorted { $0.ts < $1.ts })
        let snap = detector.snapshot()
        let c = try XCTUnwrap(cluster(containing: "young-0", in: snap))
        XCTAssertEqual(Set(c.accounts), Set(farm), "the pool ties the farm and leaves the team member it outweighed")
        XCTAssertTrue(c.ties.contains { $0.kind == .newcomer && $0.accounts == farm.count }, "\(c.ties)")
        XCTAssertEqual(cluster(containing: "team-0", in: snap).map { Set($0.accounts) }, Set(team))
        XCTAssertNotEqual(cluster(containing: "team-0", in: snap)?.verdict, .suspect)
    }

    /// A farm that replaces its accounts after a session or two: six of them sent seven prompts
    /// each on the farm's schema on the first day and nothing since. Days later they are too old
    /// for the young pool and too thin to score as extraction alone; the schema, used by no one
    /// judged honest, still ties them to the farm. A schema that two established honest
    /// developers share with another farm ties no thin account to that farm.
    func testThinAccountsStayWithTheFarmWhoseSchemaTheyShare() throws {
        let detector = Detector()
        let farm = (0..<10).map { "farm-\($0)" }, thin = (0..<6).map { "thin-\($0)" }
        let other = (0..<6).map { "other-\($0)" }, developers = (0..<2).map { "dev-\($0)" }, stranger = "newdev"
        var traffic = Self.traffic(accounts: farm, perAccount: 60, hours: 96, independent: true) { a, i, ts in
            Self.youngFarmExchange(a, i, ts, tools: "sha256:farm")
        }
        traffic += Self.traffic(accounts: other, perAccount: 60, hours: 96, independent: true) { a, i, ts in
            Self.youngFarmExchange(a, i, ts, tools: "sha256:shared")
        }
        // Two prompts in three everyday ones: seven prompts like these do not score as extraction.
        func thinExchange(_ a: String, _ i: Int, _ ts: StreamTime, tools: String) -> Exchange {
            var e = Self.youngFarmExchange(a, i, ts, tools: tools)
            if i % 3 != 0 { e.promptText = Self.benignExchange(a, i, ts, ip: "").promptText }
            return e
        }
        traffic += Self.traffic(accounts: thin, perAccount: 7, hours: 1, start: Self.t0 + 2 * Self.hour, independent: true) { a, i, ts in
            thinExchange(a, i, ts, tools: "sha256:farm")
        }
        traffic += Self.traffic(accounts: developers, perAccount: 60, hours: 96, independent: true) { a, i, ts in
            Self.benignExchange(a, i, ts, ip: "198.51.100.\(a.count + i % 3)", tools: "sha256:shared")
        }
        traffic += Self.traffic(accounts: [stranger], perAccount: 7, hours: 1, start: Self.t0 + 2 * Self.hour, independent: true) { a, i, ts in
            thinExchange(a, i, ts, tools: "sha256:shared")
        }
        detector.ingest(traffic.sorted { $0.ts < $1.ts })
        let snap = detector.snapshot()
        let c = try XCTUnwrap(cluster(containing: "farm-0", in: snap))
        XCTAssertEqual(c.verdict, .suspect)
        XCTAssertTrue(Set(c.accounts).isSuperset(of: farm + thin), "\(c.ties)")
        XCTAssertTrue(c.ties.contains { $0.kind == .newcomer && $0.accounts == thin.count }, "\(c.ties)")
        let o = try XCTUnwrap(cluster(containing: "other-0", in: snap))
        XCTAssertFalse(o.accounts.contains(stranger), "a schema honest developers use ties no thin account: \(o.ties)")
        XCTAssertFalse(o.accounts.contains("dev-0"))
    }

    func testAPoolOnAPopularSchemaIsDilutedByItsHonestUsers() {
        let detector = Detector()
        let farm = (0..<6).map { "young-\($0)" }
        let developers = (0..<30).map { "dev-\($0)" }
        // Thirty established developers on the IDE's schema, then six new extraction accounts on it.
        var traffic = Self.traffic(accounts: developers, perAccount: 30, hours: 60, independent: true) { a, i, ts in
            Self.benignExchange(a, i, ts, ip: "198.51.100.\(a.count + i % 3)", tools: "sha256:ide")
        }
        // Four prompts each: 24 together, enough for a pool, too few for any one account to score.
        // Random words at both ends: no template family of their own ties them instead.
        traffic += Self.traffic(accounts: farm, perAccount: 4, hours: 3, start: Self.t0 + 57 * Self.hour, independent: true) { a, i, ts in
            var e = Self.youngFarmExchange(a, i, ts, tools: "sha256:ide")
            e.promptText = Self.untemplatedExtractionPrompt(a, i)
            return e
        }
        detector.ingest(traffic.sorted { $0.ts < $1.ts })
        let snap = detector.snapshot()
        XCTAssertTrue(farm.allSatisfy { a in (cluster(containing: a, in: snap)?.accounts.count ?? 1) == 1 },
                      "a pool that is mostly honest developers ties no one: \(snap.clusters.filter { $0.accounts.contains { $0.hasPrefix("young") } }.map(\.ties))")
    }

    func testAnOrgTieNamesTheOrgNotACard() {
        let detector = Detector()
        let team = (0..<5).map { "t\($0)" }
        detector.ingest(Self.traffic(accounts: team, perAccount: 10, hours: 10, independent: true) { a, i, ts in
            var e = Self.benignExchange(a, i, ts, ip: "192.0.2.\(Int(a.dropFirst())! + 1)")
            e.orgID = "org-shared"
            return e
        })
        let c = try! XCTUnwrap(cluster(containing: "t0", in: detector.snapshot()))
        let org = try! XCTUnwrap(c.ties.first { $0.kind == .org })
        XCTAssertEqual(org.examples.count, 1, "\(org.examples)")
        XCTAssertTrue(org.examples[0].contains("org-shared") && org.examples[0].contains("5 accounts"), "\(org.examples)")
        XCTAssertFalse(c.ties.contains { $0.kind == .card })
    }

    func testCardEvidenceCountsOrgsAndOrglessAccountsApart() {
        // Hand-counted: one card; org-0 holds two accounts, org-1 … org-5 one each, and eight
        // accounts have no org. That is 15 accounts, 6 orgs, 14 separate identities.
        let accounts = (0..<15).map { "c\($0)" }
        let detector = Detector()
        detector.ingest(Self.traffic(accounts: accounts, perAccount: 30, hours: 30, independent: true) { a, i, ts in
            let k = Int(a.dropFirst())!
            var e = Self.farmExchange(a, card: "pm_one", ip: "198.51.100.\(k)", i, ts)
            e.orgID = k < 2 ? "org-0" : k < 7 ? "org-\(k - 1)" : nil
            return e
        })
        let c = try! XCTUnwrap(cluster(containing: "c0", in: detector.snapshot()))
        XCTAssertEqual(Set(c.accounts), Set(accounts))
        let payment = try! XCTUnwrap(c.signals.first { $0.name == "shared_payment" })
        XCTAssertTrue(payment.detail.contains("up to 14 separate identities on one card"), payment.detail)
        XCTAssertEqual(payment.examples, ["pm_one: 15 accounts, 6 orgs and 8 without one"])
    }

    func testLogsWithoutPromptTextAreStillJudged() {
        // A deployment that ships no prompt text: volume, token shape, sessions and addresses remain.
        let detector = Detector()
        detector.ingest(Self.traffic(accounts: ["bare"], perAccount: 2000, hours: 24) { a, i, ts in
            var e = Self.farmExchange(a, card: "bare-card", ip: "203.0.113.1", i, ts)
            e.promptText = nil
            e.clientIP = "10.\(i / 65536).\(i / 256 % 256).\(i % 256)"
            return e
        })
        let c = try! XCTUnwrap(detector.snapshot(includeQuiet: true).clusters.first { $0.accounts == ["bare"] })
        XCTAssertNotEqual(c.verdict, .clear, "risk \(c.risk), signals \(c.signals.map(\.name))")
        XCTAssertTrue(c.signals.contains { $0.name == "output_heavy" })
        XCTAssertTrue(c.signals.contains { $0.name == "high_volume" })
    }

    /// The snapshot carries each member's own figures and first flag time, so readers (eval,
    /// the console) need nothing else: an account that joins a flagged farm later is flagged later.
    func testSnapshotCarriesEachMembersOwnFlagTime() {
        let detector = Detector()
        let farm = (0..<6).map { "f\($0)" }
        detector.ingest(Self.traffic(accounts: farm, perAccount: 40, hours: 20) { a, i, ts in
            Self.farmExchange(a, card: "shared-card", ip: "198.51.100.9", i, ts)
        })
        let late = Self.traffic(accounts: ["late"], perAccount: 40, hours: 10, start: Self.t0 + 30 * Self.hour) { a, i, ts in
            Self.farmExchange(a, card: "shared-card", ip: "198.51.100.9", i, ts)
        }
        detector.ingest(late)
        // Past the next evaluation, so the late account's flag is recorded.
        detector.ingest(Self.farmExchange("f0", card: "shared-card", ip: "198.51.100.9", 999, Self.t0 + 42 * Self.hour))
        let snap = detector.snapshot()
        let c = try! XCTUnwrap(cluster(containing: "late", in: snap))
        XCTAssertEqual(c.verdict, .suspect)
        XCTAssertEqual(c.members.map(\.account), c.accounts)
        XCTAssertEqual(c.members.reduce(0) { $0 + $1.exchanges }, c.exchanges)
        for m in c.members { XCTAssertEqual(m.flaggedAt, detector.flaggedAt(account: m.account), m.account) }
        let farmFlag = try! XCTUnwrap(c.members.first { $0.account == "f1" }?.flaggedAt)
        let lateFlag = try! XCTUnwrap(c.members.first { $0.account == "late" }?.flaggedAt)
        XCTAssertEqual(c.flaggedAt, farmFlag, "the cluster was flagged when its first members were")
        XCTAssertGreaterThanOrEqual(lateFlag, Self.t0 + 30 * Self.hour, "flagged only once it had joined")
        XCTAssertEqual(c.members.first { $0.account == "late" }?.exchanges, late.count)
    }

    func testOneFarFutureTimestampDoesNotStallDetection() {
        let detector = Detector()
        var stray = Self.benignExchange("clock-bug", 0, Self.t0, ip: "192.0.2.77")
        stray.ts = 253_402_300_799_000  // 9999-12-31
        detector.ingest(stray)
        let farm = (0..<6).map { "f\($0)" }
        detector.ingest(Self.traffic(accounts: farm, perAccount: 40, hours: 20) { a, i, ts in
            Self.farmExchange(a, card: "shared-card", ip: "198.51.100.9", i, ts)
        })
        let flagged = try! XCTUnwrap(detector.flaggedAt(account: "f0"))
        XCTAssertLessThan(flagged, Self.t0 + 21 * Self.hour, "flagged as the farm's traffic arrived, not at the stray's time")
    }

    func testAlternatingClocksDoNotRescoreOnEveryExchange() {
        // Two hosts ten days apart, their lines interleaved: each line jumps the stream clock
        // by ten days one way or the other.
        let detector = Detector()
        let n = 20_000
        for i in 0..<n {
            let ts = Self.t0 + (i % 2 == 0 ? 0 : 10 * 24 * Self.hour) + StreamTime(i) * 1_000
            detector.ingest(Self.benignExchange("host-\(i % 2)-user-\(i % 50)", i, ts, ip: "192.0.2.\(i % 50)"))
        }
        // Without a limit on restarts this was one re-scoring per exchange (20,000).
        XCTAssertLessThan(detector.evaluations, 2 * n / 1_000 + 40)
        XCTAssertEqual(detector.snapshot().exchanges, n)
    }

    func testAnAccountsFirstCardOutlivesIdleHoursAndItsSlotIsNotReused() {
        // A pays with its own card and then sleeps; B keeps the stream (and the hourly
        // housekeeping that forgets idle lone values) going. Forgetting A's card freed its slot,
        // and the next new card (C's) took it: A and C then read as one owner, and D, who later
        // pays with A's card, was not tied to A.
        func pay(_ account: String, _ card: String, _ i: Int, _ ts: StreamTime) -> Exchange {
            Exchange(ts: ts, accountID: account, requestID: "\(account)-\(i)", clientIP: "198.51.100.\(account.unicodeScalars.last!.value)",
                     paymentFP: card, model: "m1", inputTokens: 300, outputTokens: 200,
                     promptText: "Could you suggest a name for a small bakery, idea number \(i)")
        }
        let detector = Detector()
        for i in 0..<3 { detector.ingest(pay("acct-A", "card-A", i, Self.t0 + StreamTime(i) * Self.minute)) }
        for h in 1...12 { detector.ingest(pay("acct-B", "card-B", h, Self.t0 + StreamTime(h) * Self.hour)) }
        detector.ingest(pay("acct-C", "card-C", 0, Self.t0 + 12 * Self.hour + Self.minute))
        detector.ingest(pay("acct-D", "card-A", 0, Self.t0 + 12 * Self.hour + 2 * Self.minute))
        XCTAssertGreaterThan(detector.evaluations, 6, "the housekeeping ran")

        let slot = { (id: String) in detector.accounts[Int(detector.accountSlotIfKnown(id)!)].firstCardSlot }
        XCTAssertNotEqual(slot("acct-A"), slot("acct-C"))
        XCTAssertEqual(slot("acct-A"), slot("acct-D"))
        let shared = cluster(containing: "acct-D", in: detector.snapshot())
        XCTAssertEqual(shared.map { Set($0.accounts) }, ["acct-A", "acct-D"])
    }
}

/// The activity ring's edges, which the synchrony test for chance reads.
final class ActivityWindowsTests: XCTestCase {
    func testOldestAndNewestActiveWindowsAcrossTheRingsWrap() {
        for now: Int64 in [500, 767, 768, 1_000, 100_000] {
            for (first, last) in [(now - 383, now), (now - 200, now - 3), (now - 10, now - 10), (now - 383, now - 383)] {
                var w = ActivityWindows()
                for b in stride(from: first, through: last, by: 7) { _ = w.mark(b) }
                _ = w.mark(last)
                let ring = w.aligned(asOf: now)
                XCTAssertEqual(ActivityWindows.oldestActive(ring, asOf: now), first, "now \(now) first \(first)")
                XCTAssertEqual(ActivityWindows.newestActive(ring, asOf: now), last, "now \(now) last \(last)")
            }
        }
        XCTAssertNil(ActivityWindows.oldestActive(ActivityWindows().aligned(asOf: 900), asOf: 900))
        // The signature read from the ring is the signature of the window list.
        var w = ActivityWindows()
        for b: Int64 in [1_000, 1_003, 1_100, 1_250, 1_380, 1_383, 1_390] { _ = w.mark(b) }
        for now: Int64 in [1_390, 1_400, 1_500] {
            XCTAssertEqual(SynchronyFinder.signature(ring: w.aligned(asOf: now), asOf: now), SynchronyFinder.signature(w.active(asOf: now)))
        }
        XCTAssertNil(ActivityWindows.newestActive(ActivityWindows().aligned(asOf: 900), asOf: 900))
    }

    /// A signature kept between searches, refreshed at irregular times while windows are added
    /// (some out of order) and others leave the ring, always equals one made from scratch.
    func testKeptSignatureEqualsOneMadeFromScratch() {
        let seed: UInt64 = 0x5167_2026
        print("testKeptSignatureEqualsOneMadeFromScratch seed \(seed)")
        var rng = SplitMix64(seed: seed)
        for account in 0..<40 {
            var store = WindowSignatureStore()
            store.addAccount()
            var w = ActivityWindows()
            var now: Int64 = 10_000 + Int64(rng.next() % 500)
            for step in 0..<120 {
                // Bursts, gaps longer than the ring, and a window from the past now and then.
                let gap = rng.next() % 10 == 0 ? Int64(rng.next() % 600) : Int64(rng.next() % 12)
                now += gap
                for _ in 0..<Int(rng.next() % 4) { _ = w.mark(now - Int64(rng.next() % 3)) }
                if rng.next() % 7 == 0 { _ = w.mark(now - Int64(rng.next() % 400)) }
                guard rng.next() % 3 == 0 else { continue }
                let ring = w.aligned(asOf: now)
                store.refresh(0, ring: ring, asOf: now)
                var kept: [UInt32] = []
                store.appendSignature(of: 0, to: &kept)
                XCTAssertEqual(kept, SynchronyFinder.signature(ring: ring, asOf: now), "account \(account) step \(step)")
            }
        }
    }
}

/// The integer sort the evaluation uses for packed keys.
final class RadixSortTests: XCTestCase {
    func testSortsAsTheStandardSortDoes() {
        let seed: UInt64 = 0x2AD1_5027
        print("testSortsAsTheStandardSortDoes seed \(seed)")
        var rng = SplitMix64(seed: seed)
        for n in [0, 1, 2, 63, 64, 65, 200, 1_000, 5_000] {
            for shape in 0..<4 {
                var keys = (0..<n).map { _ -> UInt64 in
                    switch shape {
                    case 0: return rng.next()  // every byte varies
                    case 1: return UInt64(rng.next() % 8) << 32 | (rng.next() % 5_000)  // packed kind << 32 | slot
                    case 2: return rng.next() % 3  // few distinct values, many repeats
                    default: return 0xFFFF_0000_0000_0000 | rng.next() % 1_000  // high bytes all set
                    }
                }
                let expected = keys.sorted()
                keys.radixSort()
                XCTAssertEqual(keys, expected, "n \(n) shape \(shape)")
            }
        }
    }
}
