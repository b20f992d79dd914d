import DistillFeeds
import XCTest

final class BusStatusTests: XCTestCase {
    /// The status bar names partitions without a worker and partitions two workers read, and
    /// only those raise the alarm.
    func testTheStatusNamesMissingAndOverlappingPartitions() {
        let even = BusStatus(heard: ["a:1": Set(0...7), "b:2": Set(8...15)], partitions: 16)
        XCTAssertEqual(even.summary, "2 workers, lag 0")
        XCTAssertFalse(even.alarming)

        let overlapping = BusStatus(heard: ["a:1": Set(0...9), "b:2": Set(6...13)], partitions: 16)
        XCTAssertEqual(overlapping.unowned, [14, 15])
        XCTAssertEqual(overlapping.shared, [6, 7, 8, 9])
        XCTAssertEqual(overlapping.summary, "2 workers, lag 0, no worker for partitions 14-15, several workers on partitions 6-9")
        XCTAssertTrue(overlapping.alarming)

        let one = BusStatus(heard: ["a:1": Set(0...2), "b:2": [2, 99]], partitions: 3)
        XCTAssertEqual(one.summary, "2 workers, lag 0, several workers on partition 2", "a partition outside the count is not counted")
    }
}
