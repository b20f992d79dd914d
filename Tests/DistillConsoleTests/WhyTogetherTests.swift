import XCTest
import DistillCore
@testable import DistillConsole

/// The why-together view driven by a real detector: a farm on one card (whose address range a
/// bystander also uses) and a swarm that shares nothing but its waves.
final class WhyTogetherTests: XCTestCase {
    static let t0: StreamTime = 1_776_000_000_000  // 2026-04-12 13:20Z
    static let minute: StreamTime = 60_000
    static let hour: StreamTime = 3_600_000
    /// The farm's card, with an escape sequence in it: the screen must show a placeholder.
    static let card = "pm_\u{1b}[2Jfarm"

    static func mix(_ text: String, _ i: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        h ^= UInt64(i) &* 0x9e37_79b9_7f4a_7c15
        h = (h ^ (h >> 31)) &* 0xbf58_476d_1ce4_e5b9
        return h ^ (h >> 29)
    }

    static let words = ["amber", "basin", "cedar", "delta", "ember", "fjord", "gable", "harbor", "island", "jasper", "kernel", "lumen",
                        "meadow", "nickel", "orchid", "pylon", "quartz", "ridge", "sable", "tundra", "umber", "valley", "willow", "xenon",
                        "yarrow", "zephyr", "anchor", "bramble", "cobalt", "dune", "falcon", "granite"]

    /// A prompt asking for a reasoning trace whose opening and closing words are its own, so no
    /// two accounts share a template family.
    static func prompt(_ account: String, _ i: Int) -> String {
        let w = (0..<11).map { words[Int(mix(account + "#\($0)", i) % UInt64(words.count))] }
        return w[0..<6].joined(separator: " ") + ", write out your complete chain of thought about these things please: " + w[6...].joined(separator: " ")
    }

    static func trace() -> [Exchange] {
        var out: [Exchange] = []
        // The farm: four accounts on one card, each on its own address in one /24, at their own times.
        for k in 0..<4 {
            let a = "card-\(k)"
            for i in 0..<30 {
                // The first exchange at a fixed time: card-0 is first seen, so it names the cluster.
                let ts = t0 + StreamTime(k) * minute + StreamTime(i) * 2 * hour + (i == 0 ? 0 : StreamTime(mix(a, i) % UInt64(hour)))
                out.append(Exchange(ts: ts, accountID: a, requestID: "\(a)-\(i)", orgID: "org-\(a)", sessionID: "\(a)-s\(i)",
                                    clientIP: "198.51.100.\(10 + k)", paymentFP: card, model: "m1",
                                    inputTokens: 300, outputTokens: 2500, reasoningTokens: 900, promptText: prompt(a, i)))
            }
        }
        // A bystander in the farm's address range, asking ordinary things.
        for i in 0..<30 {
            let ts = t0 + 30 * minute + StreamTime(i) * 2 * hour + StreamTime(mix("bystander", i) % UInt64(hour))
            out.append(Exchange(ts: ts, accountID: "bystander", requestID: "b-\(i)", orgID: "org-b", sessionID: "b-s\(i / 5)",
                                clientIP: "198.51.100.200", paymentFP: "pm_bystander", model: "m1", inputTokens: 400, outputTokens: 300,
                                promptText: "Could you help me plan a vegetable garden for a small balcony, thanks (\(i))"))
        }
        // The swarm: own cards, a fresh address per request, fired together in ten-minute waves.
        for k in 0..<8 {
            let a = "wave-\(k)"
            for i in 0..<36 {
                let wave = t0 + StreamTime(i / 3) * 6 * hour + 2 * hour
                let ts = wave + StreamTime(mix(a, i) % UInt64(10 * minute))
                out.append(Exchange(ts: ts, accountID: a, requestID: "\(a)-\(i)", sessionID: "\(a)-s\(i)",
                                    clientIP: "100.\(64 + k).\(i).\(mix(a, i) % 250 + 1)", paymentFP: "card-\(a)", model: "m1",
                                    inputTokens: 300, outputTokens: 2500, reasoningTokens: 900, promptText: prompt(a, i)))
            }
        }
        return out.sorted { $0.ts < $1.ts }
    }

    static func console() -> Console {
        let detector = Detector()
        detector.inspector = ExchangeInspector()
        detector.ingest(trace())
        return Console(snapshot: detector.snapshot(), status: FeedStatus(source: "trace", mode: .paused(speed: 3600)),
                       source: DetectorDataSource(detector: detector))
    }

    func render(_ c: Console, _ w: Int = 100, _ h: Int = 30) -> ScreenGrid {
        var g = ScreenGrid(width: w, height: h)
        c.render(into: &g)
        return g
    }

    func select(_ key: String, in console: Console) throws {
        let rows = try XCTUnwrap(console.currentTable()).model.rows
        let i = try XCTUnwrap(rows.firstIndex { $0.key == key }, "\(key) not in \(rows.map(\.key))")
        _ = console.perform(.top)
        for _ in 0..<i { _ = console.handle(.down) }
        XCTAssertEqual(console.selectedKey, key)
    }

    func testWhyTogetherListsTiesAndDrillsFromAValueToItsAccounts() throws {
        let console = Self.console()
        try select("card-0", in: console)
        _ = console.handle(.char("w"))
        var g = render(console)
        XCTAssertEqual(console.view, .ties(cluster: "card-0"))
        XCTAssertEqual(g.text(row: 1), " Clusters › why together · card-0                                                               1/2")
        XCTAssertEqual(g.text(row: 2), " suspect  risk 0.97  4 accounts  120 exchanges  held together by 2 kinds of tie")
        // The kind of tie is shown whole before what binds it gets the rest of the row.
        XCTAssertEqual(g.text(row: 3), "TIE                                             ACCTS VALUES WHAT BINDS IT")
        XCTAssertEqual(g.text(row: 4), "shared card                                         4      1 card pm_␛[2Jfarm · 4 accounts, all here")
        XCTAssertEqual(g.text(row: 5), "infrastructure used by extraction-like accounts     4      1 IP range 198.51.100.0/24 · 4 accounts …")
        XCTAssertEqual(g.text(row: 7), "── Tie · shared card ───────────────────────────────────────────────────────────────────────────────")
        XCTAssertEqual(g.text(row: 8), " joined 4 of the cluster's 4 accounts")
        XCTAssertEqual(g.text(row: 9), "   · card pm_␛[2Jfarm · 4 accounts, all here")
        XCTAssertEqual(g.text(row: 10), " Enter lists the accounts on it")
        // The escape in the card from the log is a placeholder in its own role, never sent as is.
        XCTAssertEqual(g.roles(row: 9).filter { $0 == "?" }.count, 1)
        XCTAssertFalse(g.lines.joined().contains("\u{1b}"))

        // The card: every account on it is in the cluster.
        _ = console.handle(.enter)
        g = render(console)
        XCTAssertEqual(g.text(row: 1), " Clusters › why together · card-0 › card pm_␛[2Jfarm                                            1/4")
        XCTAssertEqual(g.text(row: 2), " card pm_␛[2Jfarm  4 accounts: 4 in this cluster (●), 0 others")
        XCTAssertEqual(g.text(row: 3), "  ACCOUNT              EXCH WITH IT FIRST SEEN  LAST SEEN   CLUSTER")
        XCTAssertEqual(g.text(row: 4), "● card-0                 30      30 04-12 13:20 04-14 23:41 this cluster")
        XCTAssertEqual((4...7).map { String(g.text(row: $0).prefix(8)) }, ["● card-0", "● card-1", "● card-2", "● card-3"])
        XCTAssertEqual(g.text(row: 8), "")

        // The address range: the cluster's four first and marked, then the bystander, in no cluster.
        _ = console.handle(.escape)
        _ = console.handle(.down)
        _ = console.handle(.enter)
        g = render(console)
        XCTAssertEqual(g.text(row: 1), " Clusters › why together · card-0 › IP range 198.51.100.0/24                                    1/5")
        XCTAssertEqual(g.text(row: 2), " IP range 198.51.100.0/24  5 accounts: 4 in this cluster (●), 1 other")
        XCTAssertEqual((4...7).map { String(g.text(row: $0).prefix(2)) }, Array(repeating: "● ", count: 4))
        XCTAssertEqual(g.text(row: 8), "  bystander              30       - 04-12 13:56 04-15 00:04 -")

        // Enter on an account opens the account view; Esc walks back up to the clusters.
        for _ in 0..<4 { _ = console.handle(.down) }
        XCTAssertEqual(console.selectedKey, "bystander")
        _ = console.handle(.enter)
        XCTAssertEqual(console.view, .account("bystander"))
        XCTAssertEqual(console.breadcrumbs, ["Clusters", "why together · card-0", "IP range 198.51.100.0/24", "account bystander"])
        for _ in 0..<3 { _ = console.handle(.escape) }
        XCTAssertEqual(console.view, .clusters)
    }

    func testSynchronyNamesItsWindowsAndHasNoValueToOpen() throws {
        let console = Self.console()
        try select("wave-0", in: console)
        _ = console.handle(.enter)  // from the cluster's accounts, too
        _ = console.handle(.char("w"))
        let g = render(console)
        XCTAssertEqual(g.text(row: 1), " Clusters › cluster wave-0 › why together · wave-0                                              1/1")
        XCTAssertEqual(g.text(row: 4), "active in the same windows               8      - 8 accounts active together in 12 of 12 fifteen-mi…")
        XCTAssertEqual(g.text(row: 9), " 8 accounts active together in 12 of 12 fifteen-minute windows (at least half of them in each, last")
        XCTAssertEqual(g.text(row: 10), " four days)")
        _ = console.handle(.enter)
        XCTAssertEqual(console.view, .ties(cluster: "wave-0"), "nothing shared to open")
        XCTAssertEqual(console.message?.text, "synchrony shares no value: these accounts are tied by when they are active")
        // Below the cluster's level the key has nothing to show and says so.
        _ = console.handle(.escape)
        _ = console.handle(.enter)
        _ = console.handle(.char("w"))
        XCTAssertEqual(console.view, .account("wave-0"))
        XCTAssertTrue(console.message?.text.hasPrefix("w shows why a cluster's accounts are together") ?? false)
    }
}
