import Foundation
import XCTest
@testable import DistillSim

/// One parsed exchange, with the label of its account.
struct Row {
    let d: [String: Any]
    let label: String
    var ts: Int64 { SimTime.parseRFC3339(d["ts"] as! String)! }
    func s(_ k: String) -> String? { d[k] as? String }
    func i(_ k: String) -> Int? { (d[k] as? NSNumber)?.intValue }
}

struct Generated {
    let bytes: [UInt8]
    let labelsText: String
    let labels: [String: Any]
    let summary: GenerationSummary

    init(_ cfg: GeneratorConfig) throws {
        let g = try TrafficGenerator(config: cfg)
        var out: [UInt8] = []
        summary = g.run { out.append(contentsOf: $0) }
        bytes = out
        labelsText = g.labelsJSON()
        labels = try JSONSerialization.jsonObject(with: Data(labelsText.utf8)) as! [String: Any]
    }

    var accountLabels: [String: String] { labels["accounts"] as! [String: String] }

    func lines() -> [Substring] {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { $0 }
    }

    func rows() throws -> [Row] {
        let labs = accountLabels
        return try lines().map { line in
            let obj = try JSONSerialization.jsonObject(with: Data(line.utf8))
            guard let d = obj as? [String: Any] else { throw GeneratorError("not an object: \(line)") }
            return Row(d: d, label: labs[d["account_id"] as? String ?? ""] ?? "?")
        }
    }
}

final class GeneratorTests: XCTestCase {
    /// `mixed` over a week at a quarter of the default size, shared by the property tests.
    nonisolated(unsafe) static var cached: (Generated, [Row])?
    static func mixed() throws -> (Generated, [Row]) {
        if let c = cached { return c }
        let g = try Generated(GeneratorConfig(seed: 11, days: 7, scale: 0.25))
        let r = (g, try g.rows())
        cached = r
        return r
    }

    func testSameConfigSameBytesAndLabels() throws {
        let cfg = GeneratorConfig(seed: 3, days: 2, scale: 0.05)
        let a = try Generated(cfg), b = try Generated(cfg)
        XCTAssertGreaterThan(a.bytes.count, 10_000)
        XCTAssertEqual(a.bytes, b.bytes)
        XCTAssertEqual(a.labelsText, b.labelsText)
        XCTAssertEqual(a.summary, b.summary)
        let c = try Generated(GeneratorConfig(seed: 4, days: 2, scale: 0.05))
        XCTAssertNotEqual(a.bytes, c.bytes)
        XCTAssertNotEqual(a.labelsText, c.labelsText)
    }

    func testRunTwiceOnOneGenerator() throws {
        let g = try TrafficGenerator(config: GeneratorConfig(seed: 5, days: 1, scale: 0.05))
        var a: [UInt8] = [], b: [UInt8] = []
        _ = g.run { a.append(contentsOf: $0) }
        _ = g.run { b.append(contentsOf: $0) }
        XCTAssertEqual(a, b)
    }

    func testChunksAreWholeLines() throws {
        let g = try TrafficGenerator(config: GeneratorConfig(seed: 9, days: 2, scale: 0.1))
        var chunks = 0
        let s = g.run { chunk in
            chunks += 1
            XCTAssertEqual(chunk.last, 10)
        }
        XCTAssertGreaterThan(chunks, 1)
        XCTAssertGreaterThan(s.bytes, 1 << 20)
    }

    func testEveryLineIsAnObjectWithTheFields() throws {
        let (g, rows) = try GeneratorTests.mixed()
        XCTAssertEqual(rows.count, g.summary.exchanges)
        XCTAssertEqual(g.bytes.count, g.summary.bytes)
        let models: Set<String> = ["haiku-4", "sonnet-4", "opus-4", "opus-5"]
        for r in rows {
            for k in ["ts", "request_id", "account_id", "api_key_id", "client_ip", "country", "user_agent", "model", "status", "prompt_text"] {
                XCTAssertNotNil(r.s(k), "missing \(k) in \(r.d)")
            }
            for k in ["asn", "input_tokens", "output_tokens", "latency_ms", "http_status"] {
                XCTAssertGreaterThanOrEqual(r.i(k) ?? -1, 0, "bad \(k) in \(r.d)")
            }
            XCTAssertTrue(models.contains(r.s("model")!))
            XCTAssertEqual(r.s("country")!.utf8.count, 2)
            XCTAssertFalse(r.s("prompt_text")!.isEmpty)
            let http = r.i("http_status")!
            XCTAssertEqual(r.s("status"), http == 200 ? "success" : "failure")
            if let rt = r.i("reasoning_tokens") { XCTAssertLessThanOrEqual(rt, r.i("output_tokens")!) }
            XCTAssertNotEqual(r.label, "?")
        }
    }

    func testTimeOrderWithinSeconds() throws {
        let (g, rows) = try GeneratorTests.mixed()
        var maxSeen: Int64 = 0
        var worst: Int64 = 0
        for r in rows {
            let t = r.ts
            worst = max(worst, maxSeen - t)
            maxSeen = max(maxSeen, t)
            XCTAssertGreaterThanOrEqual(t, GeneratorConfig.defaultStart)
        }
        XCTAssertLessThanOrEqual(worst, 10_000, "lines more than 10 s out of order")
        XCTAssertLessThan(maxSeen, GeneratorConfig.defaultStart + 7 * SimTime.msPerDay + 10_000)
        _ = g
    }

    func testAccountsAndLabelsMatch() throws {
        let (g, rows) = try GeneratorTests.mixed()
        let seen = Set(rows.map { $0.s("account_id")! })
        XCTAssertEqual(seen, Set(g.accountLabels.keys))
        XCTAssertEqual(g.summary.accounts, seen.count)
        let benign = (g.labels["benign"] as! [[String: Any]]).map { $0["kind"] as! String }
        XCTAssertEqual(benign, ["casual", "heavy_dev", "eval_harness", "enterprise_batch", "classroom", "saas_reseller", "startup_team"])
        let campaigns = g.labels["campaigns"] as! [[String: Any]]
        XCTAssertEqual(campaigns.map { $0["name"] as! String }, ["lb-farm", "stealth-farm", "heavy-extractor", "polyglot-farm", "churn-farm"])
        for c in campaigns {
            let name = c["name"] as! String
            let mine = rows.filter { $0.label == "campaign:\(name)" }
            XCTAssertEqual(c["start"] as? String, SimTime.format(mine.map { $0.ts }.min()!), name)
            XCTAssertEqual(c["accounts"] as? Int, Set(mine.map { $0.s("account_id")! }).count, name)
            // Campaigns start inside the window, not at its first moment.
            XCTAssertGreaterThan(mine.map { $0.ts }.min()!, GeneratorConfig.defaultStart + 6 * SimTime.msPerHour, name)
        }
    }

    func testRetriesReuseRequestIds() throws {
        let (_, rows) = try GeneratorTests.mixed()
        var byId: [String: [Row]] = [:]
        for r in rows { byId[r.s("request_id")!, default: []].append(r) }
        let dups = byId.values.filter { $0.count > 1 }
        XCTAssertGreaterThan(dups.count, 5)
        XCTAssertLessThan(Double(dups.count) / Double(rows.count), 0.005)
        for d in dups {
            XCTAssertEqual(d.count, 2)
            XCTAssertTrue(d[0].label.hasPrefix("benign:"))
            XCTAssertEqual(d[0].s("account_id"), d[1].s("account_id"))
            XCTAssertLessThanOrEqual(abs(d[0].ts - d[1].ts), 10_000)
        }
    }

    func testMaxExchanges() throws {
        let g = try Generated(GeneratorConfig(seed: 7, days: 3, scale: 0.1, maxExchanges: 1234))
        XCTAssertEqual(g.summary.exchanges, 1234)
        XCTAssertEqual(g.lines().count, 1234)
        let z = try Generated(GeneratorConfig(seed: 7, days: 3, scale: 0.1, maxExchanges: 0))
        XCTAssertEqual(z.bytes.count, 0)
    }

    func testBadConfigThrows() {
        XCTAssertThrowsError(try TrafficGenerator(config: GeneratorConfig(scenario: "nope"))) { err in
            XCTAssertTrue("\(err)".contains("unknown scenario"))
        }
        XCTAssertThrowsError(try TrafficGenerator(config: GeneratorConfig(days: 0)))
        XCTAssertThrowsError(try TrafficGenerator(config: GeneratorConfig(scale: 0)))
        XCTAssertThrowsError(try TrafficGenerator(config: GeneratorConfig(scale: .nan)))
        XCTAssertThrowsError(try TrafficGenerator(config: GeneratorConfig(maxExchanges: -1)))
    }

    func testEveryScenarioRunsAndHasItsCampaign() throws {
        XCTAssertEqual(Scenarios.names, ["mixed", "lookalikes", "lb-farm", "stealth-farm", "extractor", "polyglot-farm", "churn-farm",
                                         "lookalikes-wide", "agentic-farm", "swarm", "redteam", "redteam-silent", "redteam-holdout"])
        let expect = ["lb-farm": "campaign:lb-farm", "stealth-farm": "campaign:stealth-farm", "extractor": "campaign:heavy-extractor",
                      "polyglot-farm": "campaign:polyglot-farm", "churn-farm": "campaign:churn-farm",
                      "agentic-farm": "campaign:agentic-farm", "swarm": "campaign:swarm"]
        for name in Scenarios.names where name != "mixed" {
            XCTAssertNotNil(Scenarios.describe(name))
            let g = try Generated(GeneratorConfig(seed: 2, days: 7, scale: 0.1, scenario: name))
            let labels = Set(g.accountLabels.values)
            XCTAssertTrue(labels.contains("benign:casual"), name)
            if let c = expect[name] {
                XCTAssertTrue(labels.contains(c), name)
                XCTAssertEqual(labels.filter { $0.hasPrefix("campaign:") }, [c], name)
            } else if name.hasPrefix("redteam") {
                // Three campaigns drawn per run, each under its own label.
                XCTAssertEqual(labels.filter { $0.hasPrefix("campaign:") }.count, 3, name)
            } else {
                XCTAssertTrue(labels.allSatisfy { $0.hasPrefix("benign:") }, name)
            }
            let seen = Set(try g.rows().map { $0.s("account_id")! })
            if name.hasPrefix("redteam") {
                // A red-team account at a trickle may end its short life before its first session.
                XCTAssertTrue(seen.isSubset(of: Set(g.accountLabels.keys)), name)
                let quiet = Set(g.accountLabels.keys).subtracting(seen)
                XCTAssertTrue(quiet.allSatisfy { g.accountLabels[$0]!.hasPrefix("campaign:") }, name)
                XCTAssertLessThan(quiet.count * 4, g.accountLabels.values.filter { $0.hasPrefix("campaign:") }.count, name)
            } else {
                XCTAssertEqual(seen, Set(g.accountLabels.keys), name)
            }
        }
        XCTAssertNil(Scenarios.describe("nope"))
    }

    /// Every phrase a red-team account uses to ask for reasoning.
    static let elicitationPhrases = RedTeamAccount.listedEnglish + RedTeamAccount.listedOther.values.flatMap { $0 }
        + RedTeamAccount.paraphrasedEnglish + RedTeamAccount.paraphrasedSpanish

    /// Cover sessions ask for no reasoning: in a campaign that asks in every turn, the exchanges
    /// without an elicitation phrase are its cover, about the share its draw names.
    func testCoverSessionsCarryNoElicitation() throws {
        let phrases = Self.elicitationPhrases
        var checked = (plain: 0, covered: 0)
        for seed in 1...4 {
            let g = try Generated(GeneratorConfig(seed: UInt64(seed), days: 4, scale: 0.15, scenario: "redteam-holdout"))
            let rows = try g.rows()
            for c in g.labels["campaigns"] as! [[String: Any]] {
                let style = c["style"] as! String
                // A sleeper's first days are all ordinary, whatever its cover.
                guard style.contains("elicitation everyTurn"), !style.contains("ordinary traffic only") else { continue }
                let label = "campaign:" + (c["name"] as! String)
                let prompts = rows.filter { $0.label == label }.compactMap { $0.s("prompt_text") }
                guard prompts.count >= 200 else { continue }
                let without = Double(prompts.filter { p in !phrases.contains { p.contains($0) } }.count) / Double(prompts.count)
                if let r = style.range(of: #"cover (\d+)%"#, options: .regularExpression) {
                    let share = Double(style[r].dropFirst(6).dropLast())! / 100
                    XCTAssertEqual(without, share, accuracy: 0.15, "seed \(seed) \(style)")
                    checked.covered += 1
                } else {
                    XCTAssertEqual(without, 0, "seed \(seed) \(style)")
                    checked.plain += 1
                }
            }
        }
        XCTAssertGreaterThan(checked.covered, 0, "no covered campaign that asks every turn was drawn")
    }

    /// A campaign that never asks for reasoning sends no elicitation phrase at all.
    func testACampaignThatNeverAsksSendsNoElicitation() throws {
        let phrases = Self.elicitationPhrases
        var checked = 0
        for seed in 1...5 {
            let g = try Generated(GeneratorConfig(seed: UInt64(seed), days: 3, scale: 0.15, scenario: "redteam"))
            let rows = try g.rows()
            for c in g.labels["campaigns"] as! [[String: Any]] where (c["style"] as! String).contains("elicitation never") {
                let label = "campaign:" + (c["name"] as! String)
                let mine = rows.filter { $0.label == label }
                guard mine.count >= 100 else { continue }
                let asking = mine.filter { x in phrases.contains { (x.s("prompt_text") ?? "").contains($0) } }.count
                XCTAssertEqual(asking, 0, "seed \(seed) \(c["style"]!)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 0, "no campaign that never asks was drawn")
    }

    /// `redteam-silent` is `redteam`'s campaigns for the same seed, the same accounts with the
    /// same draws, but none of them asks for reasoning.
    func testTheSilentRedTeamIsTheRedTeamWithoutItsWords() throws {
        let phrases = Self.elicitationPhrases
        for seed in [3, 11] {
            let loud = try Generated(GeneratorConfig(seed: UInt64(seed), days: 3, scale: 0.1, scenario: "redteam"))
            let silent = try Generated(GeneratorConfig(seed: UInt64(seed), days: 3, scale: 0.1, scenario: "redteam-silent"))
            XCTAssertEqual(silent.accountLabels, loud.accountLabels, "seed \(seed)")
            func styles(_ g: Generated) -> [String] {
                (g.labels["campaigns"] as! [[String: Any]]).map {
                    ($0["style"] as! String).replacingOccurrences(of: #"elicitation [a-zA-Z]+(/[a-z]+/[a-z]+)?"#, with: "elicitation -", options: .regularExpression)
                }
            }
            XCTAssertEqual(styles(silent), styles(loud), "seed \(seed)")
            XCTAssertTrue((silent.labels["campaigns"] as! [[String: Any]]).allSatisfy { ($0["style"] as! String).contains("elicitation never") })
            let rows = try silent.rows().filter { $0.label.hasPrefix("campaign:") }
            XCTAssertGreaterThan(rows.count, 100, "seed \(seed)")
            XCTAssertFalse(rows.contains { x in phrases.contains { (x.s("prompt_text") ?? "").contains($0) } }, "seed \(seed)")
            let loudAsks = try loud.rows().filter { $0.label.hasPrefix("campaign:") }.contains { x in phrases.contains { (x.s("prompt_text") ?? "").contains($0) } }
            XCTAssertTrue(loudAsks, "seed \(seed): the loud campaigns ask")
        }
    }

    /// A ramping account sends a fraction of its later rate on its first day; a sleeper asks for
    /// no reasoning until its wait is over, and then does.
    func testRampsStartSlowAndSleepersStartOrdinary() throws {
        let phrases = Self.elicitationPhrases
        let day = SimTime.msPerDay
        var checked = (ramps: 0, sleepers: 0)
        for seed in 1...6 {
            let g = try Generated(GeneratorConfig(seed: UInt64(seed), days: 10, scale: 0.15, scenario: "redteam-holdout"))
            let rows = try g.rows()
            let last = rows.map(\.ts).max()!
            for c in g.labels["campaigns"] as! [[String: Any]] {
                let style = c["style"] as! String
                guard let r = style.range(of: #"(ramping up over|ordinary traffic only for) [0-9.]+ days"#, options: .regularExpression),
                      !style.contains("elicitation never") else { continue }
                let days = Double(style[r].split(separator: " ").dropLast().last!)!
                let label = "campaign:" + (c["name"] as! String)
                var byAccount: [String: [Row]] = [:]
                for row in rows where row.label == label { byAccount[row.s("account_id")!, default: []].append(row) }
                let onset = Int64(days * Double(day))
                if style.contains("ramping") {
                    // The campaign's first two days against two days once every account's ramp is
                    // over (accounts are made over the first day and a half).
                    let xs = byAccount.values.flatMap { $0.map(\.ts) }
                    let begin = xs.min()!, after = begin + onset + 3 * day / 2
                    guard after + 2 * day <= last else { continue }
                    let early = xs.filter { $0 < begin + 2 * day }.count
                    let late = xs.filter { $0 >= after && $0 < after + 2 * day }.count
                    XCTAssertLessThan(early * 2, late, "seed \(seed) \(style)")
                    checked.ramps += 1
                } else {
                    var before = 0, eliciting = 0
                    for (_, xs) in byAccount {
                        let first = xs.map(\.ts).min()!
                        for x in xs {
                            let asks = phrases.contains { (x.s("prompt_text") ?? "").contains($0) }
                            if x.ts < first + onset - SimTime.msPerMinute { before += 1; XCTAssertFalse(asks, "seed \(seed) \(style)") }
                            if asks { eliciting += 1 }
                        }
                    }
                    XCTAssertGreaterThan(before, 0, style)
                    XCTAssertGreaterThan(eliciting, 0, style)
                    checked.sleepers += 1
                }
            }
        }
        XCTAssertGreaterThan(checked.ramps, 0, "no ramp drawn")
        XCTAssertGreaterThan(checked.sleepers, 0, "no sleeper drawn")
    }

    /// The tuning draws never take a held-out value; the hold-out draws take at least two, and
    /// every volume and cover gives the rate and share it names.
    func testRedTeamDrawsKeepTheHoldOutApart() {
        var r = Rng(seed: 42, stream: 9)
        var volumes: [RedTeamDraw.Volume: Int] = [:]
        var covers: [RedTeamDraw.Cover: Int] = [:]
        var onsets: [RedTeamDraw.Onset: Int] = [:]
        var placements: [RedTeamDraw.Placement: Int] = [:]
        for _ in 0..<400 {
            let tuning = RedTeamDraw.draw(&r, heldOut: false, scale: 1)
            XCTAssertEqual(tuning.heldOutAxes, 0)
            XCTAssertNotEqual(tuning.volume, .trickle)
            XCTAssertNotEqual(tuning.cover, .most)
            XCTAssertNotEqual(tuning.onset, .sleeper)
            let held = RedTeamDraw.draw(&r, heldOut: true, scale: 1)
            XCTAssertGreaterThanOrEqual(held.heldOutAxes, 2)
            for d in [tuning, held] {
                volumes[d.volume, default: 0] += 1
                covers[d.cover, default: 0] += 1
                onsets[d.onset, default: 0] += 1
                placements[d.placement, default: 0] += 1
                switch d.volume {
                case .steady: XCTAssert((12...45).contains(d.perDay))
                case .light: XCTAssert((6...12).contains(d.perDay))
                case .trickle: XCTAssert((3...6).contains(d.perDay))
                }
                switch d.cover {
                case .none: XCTAssertEqual(d.coverShare, 0)
                case .some: XCTAssert((0.3...0.5).contains(d.coverShare))
                case .most: XCTAssert((0.55...0.75).contains(d.coverShare))
                }
                switch d.onset {
                case .immediate: XCTAssertEqual(d.onsetDays, 0)
                case .ramp: XCTAssert((2...5).contains(d.onsetDays))
                case .sleeper: XCTAssert((2...4).contains(d.onsetDays))
                }
                if d.onset != .immediate { XCTAssertNil(d.lifetimeDays, "aged or ramped accounts are kept") }
            }
        }
        XCTAssertEqual(Set(volumes.keys), Set(RedTeamDraw.Volume.allCases), "every volume drawn: \(volumes)")
        XCTAssertEqual(Set(covers.keys), Set(RedTeamDraw.Cover.allCases), "every cover drawn: \(covers)")
        XCTAssertEqual(Set(onsets.keys), Set(RedTeamDraw.Onset.allCases), "every onset drawn: \(onsets)")
        XCTAssertEqual(Set(placements.keys), Set(RedTeamDraw.Placement.allCases), "every placement drawn: \(placements)")
    }
}

/// Populations added to the wide scenarios after the others: model-as-judge grading services
/// and a course paid for by its department.
final class LaterPopulationTests: XCTestCase {
    /// Each service is one declared customer: its accounts share one org and one card, send one
    /// template's single requests, and take short answers.
    func testEachServiceIsOneOrgOnOneTemplateWithShortAnswers() throws {
        let g = try Generated(GeneratorConfig(seed: 4, days: 2, scale: 1, scenario: "lookalikes-wide"))
        let rows = try g.rows().filter { $0.label == "benign:grading_service" }
        XCTAssertGreaterThan(rows.count, 200)
        var byOrg: [String: [Row]] = [:]
        for r in rows { byOrg[try XCTUnwrap(r.s("org_id")), default: []].append(r) }
        XCTAssertEqual(byOrg.count, 2, "two services at scale 1")
        for (org, xs) in byOrg {
            XCTAssertEqual(Set(xs.compactMap { $0.s("payment_fp") }).count, 1, org)
            XCTAssertGreaterThanOrEqual(Set(xs.compactMap { $0.s("account_id") }).count, 3, org)
            // One template: every prompt opens with the same sentence.
            let openers = Set(xs.compactMap { $0.s("prompt_text")?.split(separator: ".").first.map(String.init) })
            XCTAssertEqual(openers.count, 1, "\(org): \(openers)")
            XCTAssertTrue(xs.allSatisfy { $0.s("session_id") == nil }, "\(org): single requests, no conversations")
            let outputs = xs.filter { $0.i("http_status") == 200 }.compactMap { $0.i("output_tokens") }.sorted()
            XCTAssertLessThan(outputs[outputs.count / 2], 400, "\(org): short answers")
        }
    }

    /// A department's course: every student on one card, behind a few addresses of one campus
    /// range, asking for full worked solutions and taking long answers.
    func testTheDepartmentsCourseIsOneCardOnOneRangeWithLongSolutions() throws {
        let g = try Generated(GeneratorConfig(seed: 4, days: 4, scale: 1, scenario: "lookalikes-wide"))
        let rows = try g.rows().filter { $0.label == "benign:department_course" }
        XCTAssertGreaterThan(rows.count, 200)
        XCTAssertEqual(Set(rows.compactMap { $0.s("payment_fp") }).count, 1)
        XCTAssertGreaterThanOrEqual(Set(rows.compactMap { $0.s("account_id") }).count, 40)
        let ranges = Set(rows.compactMap { $0.s("client_ip")?.split(separator: ".").prefix(3).joined(separator: ".") })
        XCTAssertEqual(ranges.count, 1, "\(ranges)")
        let addresses = Set(rows.compactMap { $0.s("client_ip") })
        XCTAssertTrue((2...8).contains(addresses.count), "\(addresses)")
        let worked = rows.filter { ($0.s("prompt_text") ?? "").lowercased().contains("solution") }
        XCTAssertGreaterThan(worked.count, 20)
        let outputs = worked.filter { $0.i("http_status") == 200 }.compactMap { $0.i("output_tokens") }.sorted()
        XCTAssertGreaterThan(outputs[outputs.count / 2], 1000, "worked solutions are long")
    }

    /// The later populations draw ids and streams of their own: without them, a seed's every
    /// other exchange is the same but for its request id.
    func testAddingThemChangedNoOtherPopulation() throws {
        let full = try XCTUnwrap(Scenarios.spec("redteam"))
        let without = ScenarioSpec(name: full.name, description: full.description, benign: full.benign.filter { !BenignKind.addedLater.contains($0.0) },
                                   campaigns: full.campaigns, redTeam: full.redTeam, heldOut: full.heldOut, placement: full.placement)
        XCTAssertEqual(without.benign.count + BenignKind.addedLater.count, full.benign.count)
        let cfg = GeneratorConfig(seed: 3, days: 1, scale: 0.3, scenario: "redteam")
        func lines(_ spec: ScenarioSpec, dropping: Set<String>) throws -> [String] {
            let g = try TrafficGenerator(config: cfg, spec: spec)
            var out: [UInt8] = []
            _ = g.run { out.append(contentsOf: $0) }
            return String(decoding: out, as: UTF8.self).split(separator: "\n").compactMap { line in
                guard let a = line.range(of: "\"account_id\":\"")?.upperBound,
                      !dropping.contains(String(line[a...].prefix { $0 != "\"" })) else { return nil }
                return line.replacingOccurrences(of: #""request_id":"[^"]*""#, with: "", options: .regularExpression)
            }
        }
        let later = Set(BenignKind.addedLater.map { "benign:\($0.rawValue)" })
        let added = Set(try Generated(cfg).accountLabels.filter { later.contains($0.value) }.keys)
        XCTAssertFalse(added.isEmpty)
        let with = try lines(full, dropping: added), alone = try lines(without, dropping: [])
        XCTAssertGreaterThan(alone.count, 10_000)
        XCTAssertEqual(with.count, alone.count)
        XCTAssertTrue(with == alone, "the other populations changed")
    }
}
