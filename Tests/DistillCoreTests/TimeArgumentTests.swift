import XCTest
@testable import DistillCore

final class TimeArgumentTests: XCTestCase {
    let tenOClock = Timestamp.parseRFC3339("2026-04-22T10:00:00Z")!

    func testAcceptsRFC3339AndShorterForms() {
        XCTAssertEqual(Timestamp.parseMoment("2026-04-22T10:00:00Z"), tenOClock)
        XCTAssertEqual(Timestamp.parseMoment("2026-04-22T10:00:00.250Z"), tenOClock + 250)
        XCTAssertEqual(Timestamp.parseMoment("2026-04-22T10:00Z"), tenOClock)
        XCTAssertEqual(Timestamp.parseMoment("2026-04-22t10:00z"), tenOClock)
        XCTAssertEqual(Timestamp.parseMoment("2026-04-22 10:00"), tenOClock, "no offset: UTC, as the clock shows")
        XCTAssertEqual(Timestamp.parseMoment("  2026-04-22T10:00Z "), tenOClock)
        XCTAssertEqual(Timestamp.parseMoment("2026-04-22T12:00+02:00"), tenOClock)
        XCTAssertEqual(Timestamp.parseMoment("2026-04-22T05:30-04:30"), tenOClock)
        XCTAssertEqual(Timestamp.parseMoment("2026-04-22T12:00:00+0200"), tenOClock)
        XCTAssertEqual(Timestamp.parseMoment("2026-04-22"), tenOClock - 10 * 3_600_000)
    }

    func testRejectsWhatIsNotATime() {
        for bad in ["", "yesterday", "10:00", "2026-04-22T", "2026-04-22T25:00Z", "2026-13-01", "2026-02-30",
                    "2026-04-22T10Z", "2026-04-22T10:00+2", "2026-04-22T10:00:00Zjunk", "1776851200000",
                    String(repeating: "2026-04-22T10:00Z", count: 4)] {
            XCTAssertNil(Timestamp.parseMoment(bad), bad)
        }
    }
}
