import XCTest
@testable import DistillCore

/// The density groups behind harness copies, on hand-placed behaviour profiles: which accounts
/// count as copies of each other, and which only sit on a chain of neighbours.
final class BehaviourDensityTests: XCTestCase {
    /// A profile at `volume` on the rate axis and `flatness` on the flatness axis, everything
    /// else equal; `jitter` moves it a little on the output axis.
    private func profile(volume: Float, flatness: Float = 9, jitter: Float = 0) -> BehaviourProfile {
        var p = SIMD16<Float>()
        p[0] = volume; p[1] = 0.5; p[2] = 17 + jitter; p[3] = 8; p[4] = 3; p[5] = 1; p[6] = 3; p[7] = flatness; p[8] = 3
        return BehaviourProfile(point: p)
    }

    private func groups(_ profiles: [BehaviourProfile]) -> [[Int32]] {
        BehaviourDensity().groups(profiles.indices.map { Int32($0) }, profiles: profiles)
    }

    func testAFarmKeepsNoneOfTheCrowdChainedToIt() {
        // Thirty copies of one harness at volume 4, and forty people who use the same template
        // at every volume from 4.8 to 12, four at each step of 0.8: each step is within a unit
        // of the next, so density alone chains the whole crowd onto the farm.
        var profiles = (0..<30).map { profile(volume: 4, jitter: Float($0 % 5) * 0.05) }
        for step in 1...10 { for _ in 0..<4 { profiles.append(profile(volume: 4 + 0.8 * Float(step))) } }
        let found = groups(profiles)
        XCTAssertEqual(found.count, 1, "\(found)")
        let group = Set(found.first ?? [])
        XCTAssertTrue((0..<30).allSatisfy { group.contains(Int32($0)) }, "the farm is one group")
        // Only the people within a unit of the farm stay with it (the four at 4.8).
        XCTAssertEqual(group.count, 34, "\(group.sorted())")
    }

    func testACrowdAloneDoesNotStayOneGroup() {
        // Sixty people spread from volume 1 to 12.8 in steps of 0.8: one chain for density, but
        // no account has more than a few within a unit, and what is kept is a slice of it.
        var profiles: [BehaviourProfile] = []
        for step in 0..<15 { for _ in 0..<4 { profiles.append(profile(volume: 1 + 0.8 * Float(step))) } }
        let found = groups(profiles)
        XCTAssertLessThanOrEqual(found.map(\.count).max() ?? 0, 12, "\(found)")
    }

    func testYoungCopiesThatAreNotYetFlatStayInTheFarm() {
        // Forty copies, half of them opened hours ago and not yet active round the clock: their
        // flatness is 0.8 and 1.6 units lower, and they are still the same harness.
        let profiles = (0..<40).map { k in profile(volume: 4, flatness: k < 20 ? 9 : (k < 30 ? 8.2 : 7.4)) }
        let found = groups(profiles)
        XCTAssertEqual(found.map(\.count), [40])
    }

    /// One account's stats: 24 exchanges over `spanHours`, spread evenly over `hours` of the day,
    /// everything else the same for every call.
    private func stats(spanHours: Int, hours: [Int]) -> BehaviourStats {
        var s = BehaviourStats()
        s.accounts = 1; s.exchanges = 24; s.prompts = 24; s.tokenExchanges = 24
        s.inputTokens = 24 * 1_000; s.outputTokens = 24 * 3_000; s.reasoningTokens = 24 * 900
        s.longOutputs = 20; s.sessions = 4; s.sessionTurns = 24; s.toolExchanges = 24; s.distinctIPs = 20
        s.spanHours = spanHours; s.activeHours = hours.count
        for (k, h) in hours.enumerated() { s.hourOfDay[h] = Int32(24 / hours.count + (k < 24 % hours.count ? 1 : 0)) }
        return s
    }

    func testFlatnessWaitsForADayOfActivity() {
        // Copies of one harness opened this morning: one has so far been busy in two hours of the
        // day, another in eight. How flat a day is cannot be read from part of one; they are copies.
        let early = [9, 10], spread = Array(9..<17)
        let young = (0..<10).map { BehaviourProfile(stats(spanHours: 10, hours: $0 < 5 ? early : spread)) }
        XCTAssertLessThanOrEqual(young[0].distance(to: young[9]), 1)
        XCTAssertEqual(BehaviourDensity().groups(young.indices.map { Int32($0) }, profiles: young).map(\.count), [10])
        // After a day of activity, how it spreads over the day is known and tells them apart.
        let settled = [early, spread].map { BehaviourProfile(stats(spanHours: 30, hours: $0)) }
        XCTAssertGreaterThan(settled[0].distance(to: settled[1]), 1)
    }

    /// The densest member is found column by column over the sample; it must be the member the
    /// early-exit distance would pick, ties to the first, NaN coordinates included.
    func testTheDensestMemberIsTheOneTheDistanceCounts() {
        var seeded = seededGenerator("BehaviourDensityTests")
        let seed = seeded.state
        func next() -> Float { Float(seeded.next() >> 40) / Float(1 << 24) }
        for round in 0..<200 {
            let count = 5 + Int(next() * 300)
            // Clumps a unit or two apart, so that counts differ and ties happen.
            let profiles: [BehaviourProfile] = (0..<count).map { _ in
                var p = SIMD16<Float>()
                let clump = Float(Int(next() * 3))
                for d in 0..<BehaviourProfile.dimensions { p[d] = clump * 1.5 + next() * 1.2 }
                if next() < 0.02 { p[Int(next() * 9)] = .nan }
                return BehaviourProfile(point: p)
            }
            let group = (0..<count).map { Int32($0) }.shuffled(using: &seeded)
            let step = max(1, count / BehaviourDensity.sample)
            let sample = stride(from: 0, to: count, by: step).map { profiles[Int(group[$0])] }
            var expected = 0, most = -1
            for (k, m) in group.enumerated() {
                let near = sample.filter { profiles[Int(m)].distance(to: $0, limit: 1) <= 1 }.count
                if near > most { expected = k; most = near }
            }
            XCTAssertEqual(BehaviourDensity.densest(group, amongEvery: step, profiles: profiles, radius: 1), expected,
                           "round \(round), seed \(seed)")
        }
    }
}
