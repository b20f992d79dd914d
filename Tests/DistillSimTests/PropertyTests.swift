import Foundation
import XCTest
@testable import DistillSim

/// Each population shows the traits the brief describes, in `mixed`.
final class PropertyTests: XCTestCase {
    func rows(_ label: String) throws -> [Row] {
        let r = try GeneratorTests.mixed().1.filter { $0.label == label }
        XCTAssertFalse(r.isEmpty, "no traffic for \(label)")
        return r
    }

    func accounts(_ r: [Row]) -> Set<String> { Set(r.map { $0.s("account_id")! }) }
    func distinct(_ r: [Row], _ k: String) -> Set<String> { Set(r.compactMap { $0.s(k) }) }

    func testLoadBalancedFarm() throws {
        let r = try rows("campaign:lb-farm")
        var perCard: [String: Set<String>] = [:]
        for x in r { perCard[x.s("payment_fp")!, default: []].insert(x.s("account_id")!) }
        XCTAssertTrue(perCard.values.allSatisfy { $0.count >= 8 && $0.count <= 40 }, "\(perCard.values.map { $0.count })")
        let ips = distinct(r, "client_ip")
        XCTAssertGreaterThanOrEqual(ips.count, 20)
        XCTAssertLessThanOrEqual(ips.count, 60)
        XCTAssertLessThanOrEqual(Set(ips.map { $0.split(separator: ".").prefix(3).joined(separator: ".") }).count, 4)
        // Accounts appear within a few hours of each other.
        var first: [String: Int64] = [:]
        for x in r { first[x.s("account_id")!] = min(first[x.s("account_id")!] ?? .max, x.ts) }
        XCTAssertLessThanOrEqual(first.values.max()! - first.values.min()!, 8 * SimTime.msPerHour)
        // Output-heavy and pivoting to the new model within 12 hours of its release.
        let ok = r.filter { $0.i("http_status") == 200 }
        XCTAssertGreaterThan(median(ok.map { $0.i("output_tokens")! }), 1500)
        let release = SimTime.parseRFC3339((try GeneratorTests.mixed().0.labels["model_release"] as! [String: String])["at"]!)!
        let late = r.filter { $0.ts >= release + 12 * SimTime.msPerHour }
        XCTAssertGreaterThan(late.count, 100)
        XCTAssertGreaterThan(Double(late.filter { $0.s("model") == "opus-5" }.count) / Double(late.count), 0.8)
        // Per account, an ordinary rate.
        let days = Double(r.map { $0.ts }.max()! - r.map { $0.ts }.min()!) / Double(SimTime.msPerDay)
        let perDay = Double(r.count) / Double(accounts(r).count) / days
        XCTAssertTrue((15...40).contains(perDay), "\(perDay)")
    }

    func testStealthFarm() throws {
        let r = try rows("campaign:stealth-farm")
        XCTAssertGreaterThan(Double(distinct(r, "client_ip").count) / Double(r.count), 0.97)
        XCTAssertEqual(distinct(r, "payment_fp").count, accounts(r).count)
        XCTAssertGreaterThan(distinct(r, "country").count, 5)
        // Its user agents are ones ordinary API users send too.
        let casualUAs = distinct(try rows("benign:casual"), "user_agent")
        XCTAssertTrue(distinct(r, "user_agent").isSubset(of: casualUAs.union(Clients.sdks)))
        XCTAssertTrue(r.contains { $0.s("tools_fp") != nil })
    }

    func testHeavyExtractor() throws {
        let r = try rows("campaign:heavy-extractor")
        XCTAssertEqual(accounts(r).count, 1)
        let span = Double(r.map { $0.ts }.max()! - r.map { $0.ts }.min()!) / Double(SimTime.msPerDay)
        XCTAssertGreaterThan(Double(r.count) / span, 1400)
        XCTAssertLessThanOrEqual(distinct(r, "client_ip").count, 4)
        XCTAssertGreaterThan(Double(r.filter { $0.i("http_status") == 429 }.count) / Double(r.count), 0.02)
    }

    func testPolyglotFarm() throws {
        let r = try rows("campaign:polyglot-farm")
        let nonASCII = r.filter { $0.s("prompt_text")!.utf8.contains { $0 >= 0x80 } }
        XCTAssertGreaterThan(Double(nonASCII.count) / Double(r.count), 0.6)
        var perCard: [String: Set<String>] = [:]
        for x in r { perCard[x.s("payment_fp")!, default: []].insert(x.s("account_id")!) }
        XCTAssertTrue(perCard.values.allSatisfy { (1...3).contains($0.count) })
    }

    func testChurnFarm() throws {
        let r = try rows("campaign:churn-farm")
        var span: [String: (Int64, Int64)] = [:]
        for x in r {
            let a = x.s("account_id")!
            let s = span[a] ?? (.max, .min)
            span[a] = (min(s.0, x.ts), max(s.1, x.ts))
        }
        XCTAssertGreaterThan(span.count, 8)
        XCTAssertTrue(span.values.allSatisfy { $0.1 - $0.0 <= 3 * SimTime.msPerDay })
        let tools = Dictionary(grouping: r.compactMap { $0.s("tools_fp") }, by: { $0 })
        XCTAssertEqual(tools.count, 1)
        XCTAssertTrue(r.contains { $0.s("payment_fp") == nil })
        // The toolset is theirs alone.
        let all = try GeneratorTests.mixed().1
        let fp = tools.keys.first!
        XCTAssertTrue(all.filter { $0.s("tools_fp") == fp }.allSatisfy { $0.label == "campaign:churn-farm" })
    }

    func testClassroomSharesTheCampusNAT() throws {
        let r = try rows("benign:classroom")
        XCTAssertEqual(distinct(r, "client_ip").count, 1)
        let nat = distinct(r, "client_ip").first!
        XCTAssertGreaterThan(accounts(r).count, 15)
        XCTAssertTrue(r.contains { $0.s("payment_fp") == nil })
        // Other campus users share the address.
        let others = try GeneratorTests.mixed().1.filter { $0.s("client_ip") == nat && $0.label == "benign:casual" }
        XCTAssertFalse(others.isEmpty)
    }

    func testEnterpriseSharesOneCardAndOrg() throws {
        let r = try rows("benign:enterprise_batch")
        XCTAssertGreaterThanOrEqual(accounts(r).count, 5)
        XCTAssertEqual(distinct(r, "payment_fp").count, 1)
        XCTAssertEqual(distinct(r, "org_id").count, 1)
        XCTAssertEqual(distinct(r, "system_fp").count, 1)
        XCTAssertEqual(Set(r.map { $0.i("asn")! }).count, 1)
        XCTAssertTrue(r.allSatisfy { $0.s("session_id") == nil })
        XCTAssertLessThan(median(r.map { $0.i("output_tokens")! }), 200)
    }

    func testEvalHarnessRepeatsItsBankInBursts() throws {
        let r = try rows("benign:eval_harness")
        XCTAssertTrue((2...4).contains(accounts(r).count))
        XCTAssertEqual(distinct(r, "payment_fp").count, 1)
        let counts = Dictionary(grouping: r, by: { $0.s("prompt_text")! })
        let repeated = counts.values.filter { Set($0.map { $0.s("model")! }).count >= 2 }
        XCTAssertGreaterThan(repeated.count, 100)
        // A burst: the bank within three hours.
        let ts = r.map { $0.ts }.sorted()
        var best = 0, j = 0
        for i in ts.indices {
            while ts[i] - ts[j] > 3 * SimTime.msPerHour { j += 1 }
            best = max(best, i - j + 1)
        }
        XCTAssertGreaterThan(best, 700)
        let release = SimTime.parseRFC3339((try GeneratorTests.mixed().0.labels["model_release"] as! [String: String])["at"]!)!
        XCTAssertTrue(r.contains { $0.s("model") == "opus-5" && $0.ts < release + 8 * SimTime.msPerHour })
    }

    func testResellerHasManyEndUsers() throws {
        let r = try rows("benign:saas_reseller")
        XCTAssertEqual(accounts(r).count, 1)
        XCTAssertGreaterThan(distinct(r, "end_user_id").count, 300)
        XCTAssertEqual(distinct(r, "system_fp").count, 1)
    }

    func testDevelopersSharePopularToolFingerprints() throws {
        let dev = try rows("benign:heavy_dev"), team = try rows("benign:startup_team")
        XCTAssertTrue(dev.allSatisfy { $0.s("tools_fp") != nil })
        XCTAssertFalse(distinct(dev, "tools_fp").intersection(distinct(team, "tools_fp")).isEmpty)
        XCTAssertEqual(distinct(team, "payment_fp").count, 1)
        XCTAssertEqual(distinct(team, "org_id").count, 1)
        // Long sessions.
        let sessions = Dictionary(grouping: dev, by: { $0.s("session_id")! })
        XCTAssertGreaterThan(sessions.values.map { $0.count }.max()!, 20)
    }

    func testCasualUsersAreDiverse() throws {
        let r = try rows("benign:casual")
        XCTAssertGreaterThan(Double(distinct(r, "prompt_text").count) / Double(r.count), 0.6)
        XCTAssertGreaterThan(Set(r.map { $0.i("asn")! }).count, 20)
        XCTAssertTrue(r.contains { $0.s("client_ip")!.contains(":") })
        let lens = r.filter { $0.s("session_id") != nil }.map { $0.s("prompt_text")!.count }
        XCTAssertGreaterThan(median(lens), 25)
    }

    func median(_ a: [Int]) -> Int { a.sorted()[a.count / 2] }
}

final class UnitTests: XCTestCase {
    func testTimestampRoundTrip() {
        XCTAssertEqual(SimTime.format(GeneratorConfig.defaultStart), "2026-04-20T00:00:00.000Z")
        XCTAssertEqual(SimTime.parseRFC3339("2026-04-22T09:14:03.120Z"), SimTime.parseRFC3339("2026-04-22T11:14:03.12+02:00"))
        for t: Int64 in [0, 951_782_400_000, 1_709_164_800_123, 4_102_444_799_999] {
            XCTAssertEqual(SimTime.parseRFC3339(SimTime.format(t)), t)
        }
        XCTAssertEqual(SimTime.format(951_782_400_000), "2000-02-29T00:00:00.000Z")
        XCTAssertNil(SimTime.parseRFC3339("2026-02-30T00:00:00Z"))
        XCTAssertNil(SimTime.parseRFC3339("2026-04-20 00:00"))
    }

    func testJSONEscaping() throws {
        let s = "a\"b\\c\nd\te\u{1}f\u{1F}g — 请一步一步 \u{7F}"
        let w = ByteWriter(capacity: 8)
        w.jsonString(s)
        let back = try JSONSerialization.jsonObject(with: Data(("[" + w.string + "]").utf8)) as! [String]
        XCTAssertEqual(back, [s])
        XCTAssertTrue(w.string.contains("\\u0001") && w.string.contains("\\u001f"))
    }

    func testGrammar() {
        var b = GrammarBuilder()
        b.rule("top", ["x {a|b{c}} {?opt}{#3-3} | \\{lit\\} {c}"])
        b.words("c", "one, two\\, three, {p|q}")
        let g = b.build()
        var r = Rng(seed: 1, stream: 1)
        for _ in 0..<50 {
            let s = String(decoding: g.render(g.id("top"), &r), as: UTF8.self)
            XCTAssertTrue(s.hasPrefix("x "), s)
            XCTAssertTrue(s.contains("3 | {lit} "), s)
        }
        XCTAssertEqual(Content.grammar.rules.count, Content.grammar.names.count)
    }

    func testIPv6Formatting() {
        let ip = IPAddr(v6: true, hi: 0x2601_0280_0001_0000, lo: 0x0000_00ff_1234_abcd)
        XCTAssertEqual(ip.text, "2601:280:1:0:0:ff:1234:abcd")
        XCTAssertEqual(IPAddr.v4(10, 0, 12, 255).text, "10.0.12.255")
    }
}
