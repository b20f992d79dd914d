import DistillCore
import XCTest
@testable import DistillFeeds

final class ReplayClockTests: XCTestCase {
    let t0: StreamTime = 1_776_000_000_000

    func testSpeedParsing() throws {
        XCTAssertEqual(try ReplaySpeed.parse("max").get(), .max)
        XCTAssertEqual(try ReplaySpeed.parse(" MAX ").get(), .max)
        XCTAssertEqual(try ReplaySpeed.parse("500").get(), .times(500))
        XCTAssertEqual(try ReplaySpeed.parse("×500").get(), .times(500))
        XCTAssertEqual(try ReplaySpeed.parse("500x").get(), .times(500))
        XCTAssertEqual(try ReplaySpeed.parse("1").get(), .times(1))
        XCTAssertEqual(try ReplaySpeed.parse("100000").get(), .times(100_000))
        XCTAssertEqual(try ReplaySpeed.parse("2.5").get(), .times(2.5))
        for bad in ["0", "0.5", "100001", "-5", "fast", "", "nan", "inf", "1e9", "x"] {
            guard case .failure(let e) = ReplaySpeed.parse(bad) else { XCTFail("accepted \(bad)"); continue }
            XCTAssertTrue(e.description.contains("1 to 100000") || e.description.contains("from 1 to 100000"), e.description)
        }
        XCTAssertEqual(ReplaySpeed.times(500).description, "500")
        XCTAssertEqual(ReplaySpeed.max.description, "max")
    }

    func testFasterAndSlowerStayInRange() {
        XCTAssertEqual(ReplaySpeed.times(500).faster, .times(1000))
        XCTAssertEqual(ReplaySpeed.times(80_000).faster, .times(100_000))
        XCTAssertEqual(ReplaySpeed.times(100_000).faster, .max)
        XCTAssertEqual(ReplaySpeed.max.faster, .max)
        XCTAssertEqual(ReplaySpeed.max.slower, .times(100_000))
        XCTAssertEqual(ReplaySpeed.times(1.5).slower, .times(1))
        XCTAssertEqual(ReplaySpeed.times(1).slower, .times(1))
    }

    func testNotStartedUntilTheFirstExchange() {
        let clock = ReplayClock(speed: .times(100))
        XCTAssertNil(clock.position(at: 5))
        XCTAssertFalse(clock.isDue(t0, at: 5))
    }

    func testPacingMapsWallTimeToStreamTime() {
        var clock = ReplayClock(speed: .times(1000))
        clock.start(at: t0, wallMs: 10_000)
        XCTAssertEqual(clock.position(at: 10_000), Double(t0))
        XCTAssertEqual(clock.position(at: 11_000), Double(t0) + 1_000_000)
        XCTAssertTrue(clock.isDue(t0 + 1_000_000, at: 11_000))
        XCTAssertFalse(clock.isDue(t0 + 1_000_001, at: 11_000))
        XCTAssertEqual(clock.wallMsUntilDue(t0 + 2_000_000, at: 11_000), 1000)
        XCTAssertEqual(clock.position(at: 9_000), Double(t0), "wall time before the anchor does not run the clock back")
        // The first exchange only starts it once.
        clock.start(at: t0 + 99, wallMs: 11_000)
        XCTAssertEqual(clock.position(at: 11_000), Double(t0) + 1_000_000)
    }

    func testNoDriftFromManySmallSteps() {
        var clock = ReplayClock(speed: .times(1000))
        clock.start(at: t0, wallMs: 0)
        // A minute of 1 ms loop turns, each telling the clock about an ingested exchange.
        for ms in stride(from: 0.0, through: 60_000, by: 1) {
            clock.ingested(t0 + StreamTime(ms * 1000), wallMs: ms)
        }
        XCTAssertEqual(clock.position(at: 60_000), Double(t0) + 60_000_000)
    }

    func testPauseFreezesAndResumeContinuesWithoutAJump() {
        var clock = ReplayClock(speed: .times(10))
        clock.start(at: t0, wallMs: 0)
        clock.setPaused(true, wallMs: 1000)
        XCTAssertEqual(clock.position(at: 1000), Double(t0 + 10_000))
        XCTAssertEqual(clock.position(at: 50_000), Double(t0 + 10_000))
        XCTAssertTrue(clock.isDue(t0 + 10_000, at: 50_000), "a straggler behind the clock is still due")
        XCTAssertFalse(clock.isDue(t0 + 10_001, at: 50_000))
        XCTAssertNil(clock.wallMsUntilDue(t0 + 20_000, at: 50_000))
        clock.setPaused(false, wallMs: 50_000)
        XCTAssertEqual(clock.position(at: 51_000), Double(t0 + 20_000))
    }

    func testSpeedChangeKeepsThePosition() {
        var clock = ReplayClock(speed: .times(10))
        clock.start(at: t0, wallMs: 0)
        clock.setSpeed(.times(1000), wallMs: 2000)
        XCTAssertEqual(clock.position(at: 2000), Double(t0 + 20_000))
        XCTAssertEqual(clock.position(at: 3000), Double(t0 + 1_020_000))
    }

    func testMaxFollowsTheData() {
        var clock = ReplayClock(speed: .max)
        clock.start(at: t0, wallMs: 0)
        XCTAssertTrue(clock.isDue(t0 + 86_400_000, at: 0))
        clock.ingested(t0 + 5000, wallMs: 1)
        clock.ingested(t0 + 4000, wallMs: 2)  // out of order: the clock does not go back
        XCTAssertEqual(clock.position(at: 100), Double(t0 + 5000))
        clock.setPaused(true, wallMs: 3)
        XCTAssertFalse(clock.isDue(t0 + 5001, at: 4), "paused at max is still paused")
    }

    func testSeekTargetsAndArrival() {
        var clock = ReplayClock(speed: .times(60), paused: true)
        clock.start(at: t0, wallMs: 0)
        clock.seek(.time(t0 + 60_000), wallMs: 0)
        XCTAssertFalse(clock.isPacing)
        XCTAssertTrue(clock.isDue(t0 + 60_000, at: 0), "a seek ingests at full speed even while paused")
        XCTAssertFalse(clock.isDue(t0 + 60_001, at: 0))
        clock.ingested(t0 + 30_000, wallMs: 1)
        XCTAssertEqual(clock.position(at: 1), Double(t0 + 30_000), "the clock shows how far the seek has got")
        clock.arrive(at: Double(t0 + 60_000), wallMs: 2)
        XCTAssertNil(clock.target)
        XCTAssertTrue(clock.paused, "a seek keeps the mode it started in")
        XCTAssertEqual(clock.position(at: 500), Double(t0 + 60_000))

        clock.seek(.nextSuspect, wallMs: 3)
        XCTAssertTrue(clock.isDue(t0 + 999_999_999, at: 3))
        clock.end(at: Double(t0 + 70_000), wallMs: 4)
        XCTAssertTrue(clock.ended)
        XCTAssertNil(clock.target)
        XCTAssertEqual(clock.position(at: 9000), Double(t0 + 70_000))
    }
}
