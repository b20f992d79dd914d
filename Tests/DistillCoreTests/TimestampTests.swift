import XCTest
@testable import DistillCore

final class TimestampTests: XCTestCase {
    /// 2026-04-22T09:14:03.120Z
    let t0: StreamTime = 1_776_849_243_120

    func parse(_ s: String) -> StreamTime? { Timestamp.parseRFC3339(s) }

    // MARK: RFC 3339

    func testCanonicalForm() {
        XCTAssertEqual(parse("2026-04-22T09:14:03.120Z"), t0)
        XCTAssertEqual(parse("1970-01-01T00:00:00Z"), 0)
        XCTAssertEqual(parse("1969-12-31T23:59:59.999Z"), -1)
        XCTAssertEqual(parse("2000-03-01T00:00:00Z"), 951_868_800_000)
        XCTAssertEqual(parse("0001-01-01T00:00:00Z"), -62_135_596_800_000)
        XCTAssertEqual(parse("0000-01-01T00:00:00Z"), -62_167_219_200_000)
        XCTAssertEqual(parse("9999-12-31T23:59:59.999Z"), Timestamp.maxMillis)
        // Offsets that carry the time out of years 0000–9999 are refused, not written as year 10000.
        XCTAssertNil(parse("9999-12-31T23:59:59-14:00"))
        XCTAssertNil(parse("0000-01-01T00:00:00+14:00"))
        XCTAssertEqual(parse("9999-12-31T23:59:59+14:00"), Timestamp.maxMillis - 999 - 14 * 3_600_000)
    }

    func testSeparatorsAndZulu() {
        XCTAssertEqual(parse("2026-04-22t09:14:03.120Z"), t0)
        XCTAssertEqual(parse("2026-04-22 09:14:03.120Z"), t0)
        XCTAssertEqual(parse("2026-04-22T09:14:03.120z"), t0)
        XCTAssertEqual(parse("2026-04-22T09:14:03.120+00:00"), t0)
        XCTAssertEqual(parse("2026-04-22T09:14:03.120-00:00"), t0)
        XCTAssertNil(parse("2026-04-22_09:14:03.120Z"))
        XCTAssertNil(parse("2026-04-22T09:14:03.120"), "an offset is required")
        XCTAssertNil(parse("2026-04-22T09:14:03.120 Z"))
        XCTAssertNil(parse(" 2026-04-22T09:14:03.120Z"))
        XCTAssertNil(parse("2026-04-22T09:14:03.120Z "))
    }

    func testFractions() {
        let s = t0 - 120
        XCTAssertEqual(parse("2026-04-22T09:14:03Z"), s)
        XCTAssertEqual(parse("2026-04-22T09:14:03.1Z"), s + 100)
        XCTAssertEqual(parse("2026-04-22T09:14:03.12Z"), s + 120)
        XCTAssertEqual(parse("2026-04-22T09:14:03.123Z"), s + 123)
        XCTAssertEqual(parse("2026-04-22T09:14:03.1239Z"), s + 123, "extra digits truncate")
        XCTAssertEqual(parse("2026-04-22T09:14:03.999999999Z"), s + 999)
        XCTAssertEqual(parse("2026-04-22T09:14:03." + String(repeating: "9", count: 500) + "Z"), s + 999)
        XCTAssertEqual(parse("2026-04-22T09:14:03.000001+00:00"), s)
        XCTAssertNil(parse("2026-04-22T09:14:03.Z"))
        XCTAssertNil(parse("2026-04-22T09:14:03,120Z"))
        XCTAssertNil(parse("2026-04-22T09:14:03.12a3Z"))
    }

    func testOffsets() {
        XCTAssertEqual(parse("2026-04-22T09:14:03.120+05:30"), 1_776_829_443_120)
        XCTAssertEqual(parse("2026-04-22T09:14:03.120+0530"), 1_776_829_443_120)
        XCTAssertEqual(parse("2026-04-22T09:14:03.120-08:00"), 1_776_878_043_120)
        XCTAssertEqual(parse("2026-04-22T09:14:03.120-0800"), 1_776_878_043_120)
        XCTAssertEqual(parse("2026-04-22T09:14:03+23:59"), t0 - 120 - (23 * 60 + 59) * 60_000)
        XCTAssertNil(parse("2026-04-22T09:14:03.120+24:00"))
        XCTAssertNil(parse("2026-04-22T09:14:03.120+05:60"))
        XCTAssertNil(parse("2026-04-22T09:14:03.120+05"))
        XCTAssertNil(parse("2026-04-22T09:14:03.120+5:30"))
        XCTAssertNil(parse("2026-04-22T09:14:03.120+05:3"))
        XCTAssertNil(parse("2026-04-22T09:14:03.120+05:300"))
        XCTAssertNil(parse("2026-04-22T09:14:03.120+05-30"))
        XCTAssertNil(parse("2026-04-22T09:14:03.120*05:30"))
        XCTAssertNil(parse("2026-04-22T09:14:03.120Z+01:00"))
    }

    func testFieldRanges() {
        XCTAssertNotNil(parse("2024-02-29T00:00:00Z"), "leap year")
        XCTAssertNotNil(parse("2000-02-29T00:00:00Z"), "divisible by 400")
        XCTAssertNil(parse("2023-02-29T00:00:00Z"))
        XCTAssertNil(parse("1900-02-29T00:00:00Z"), "divisible by 100, not 400")
        XCTAssertNil(parse("2026-02-30T00:00:00Z"))
        XCTAssertNil(parse("2026-04-31T00:00:00Z"))
        XCTAssertNotNil(parse("2026-05-31T00:00:00Z"))
        XCTAssertNil(parse("2026-00-10T00:00:00Z"))
        XCTAssertNil(parse("2026-13-10T00:00:00Z"))
        XCTAssertNil(parse("2026-01-00T00:00:00Z"))
        XCTAssertNil(parse("2026-01-32T00:00:00Z"))
        XCTAssertNotNil(parse("2026-01-01T23:59:59Z"))
        XCTAssertNil(parse("2026-01-01T24:00:00Z"))
        XCTAssertNil(parse("2026-01-01T00:60:00Z"))
        XCTAssertNil(parse("2026-01-01T00:00:61Z"))
        // A leap second clamps to the last millisecond of the minute.
        XCTAssertEqual(parse("2016-12-31T23:59:60Z"), 1_483_228_799_999)
        XCTAssertEqual(parse("2016-12-31T23:59:60.5Z"), 1_483_228_799_999)
    }

    func testMalformed() {
        for s in ["", "2026", "2026-04-22", "2026-04-22T09:14Z", "2026-04-22T09:14:3Z", "26-04-22T09:14:03Z",
                  "2026/04/22T09:14:03Z", "2026-04-22T09-14-03Z", "-026-04-22T09:14:03Z", "+2026-04-22T09:14:03Z",
                  "2026-4-22T09:14:03Z", "２０２６-04-22T09:14:03Z", "2026-04-22T09:14:03.120Zjunk",
                  "20260422T091403Z", "abcdefghijklmnopqrstuvwxyz"] {
            XCTAssertNil(parse(s), s)
        }
        // Every prefix of a valid timestamp (other than the complete one) is rejected, without crashing.
        let full = "2026-04-22T09:14:03.120+05:30"
        let bytes = Array(full.utf8)
        for n in 0..<bytes.count {
            let p = bytes[0..<n].withUnsafeBytes { Timestamp.parseRFC3339($0) }
            XCTAssertNil(p, String(decoding: bytes[0..<n], as: UTF8.self))
        }
    }

    // MARK: epoch numbers

    func testEpochDoubleUnits() {
        XCTAssertEqual(Timestamp.fromEpochNumber(0), 0)
        XCTAssertEqual(Timestamp.fromEpochNumber(1_776_849_243), t0 - 120)
        XCTAssertEqual(Timestamp.fromEpochNumber(1_776_849_243.12), t0, "fractional seconds keep ms")
        XCTAssertEqual(Timestamp.fromEpochNumber(1_776_849_243.1209), t0)
        XCTAssertEqual(Timestamp.fromEpochNumber(1_776_849_243_120), t0)
        XCTAssertEqual(Timestamp.fromEpochNumber(1_776_849_243_120_456), t0)
        XCTAssertEqual(Timestamp.fromEpochNumber(1.776849243120e18), t0)
        // Boundaries between units.
        XCTAssertEqual(Timestamp.fromEpochNumber(99_999_999_999), 99_999_999_999_000)
        XCTAssertEqual(Timestamp.fromEpochNumber(100_000_000_000), 100_000_000_000)
        XCTAssertEqual(Timestamp.fromEpochNumber(99_999_999_999_999), 99_999_999_999_999)
        XCTAssertEqual(Timestamp.fromEpochNumber(100_000_000_000_000), 100_000_000_000)
        XCTAssertEqual(Timestamp.fromEpochNumber(1e17), 100_000_000_000)
    }

    func testEpochDoubleRejects() {
        XCTAssertNil(Timestamp.fromEpochNumber(-1))
        XCTAssertNil(Timestamp.fromEpochNumber(-0.5))
        XCTAssertNil(Timestamp.fromEpochNumber(.nan))
        XCTAssertNil(Timestamp.fromEpochNumber(.infinity))
        XCTAssertNil(Timestamp.fromEpochNumber(-.infinity))
        XCTAssertNil(Timestamp.fromEpochNumber(1e30))
        XCTAssertNil(Timestamp.fromEpochNumber(.greatestFiniteMagnitude))
        XCTAssertNil(Timestamp.fromEpochNumber(9.3e23), "ns beyond year 9999")
        XCTAssertEqual(Timestamp.fromEpochNumber(-0.0), 0)
    }

    func testEpochExactIntegers() {
        // 19-digit nanoseconds: a Double would lose the milliseconds' last digits.
        XCTAssertEqual(Timestamp.fromEpochInteger(1_776_849_243_120_999_999), t0)
        XCTAssertEqual(Timestamp.fromEpochInteger(Int64.max), 9_223_372_036_854)
        XCTAssertEqual(Timestamp.fromEpochInteger(1_776_849_243), t0 - 120)
        XCTAssertEqual(Timestamp.fromEpochInteger(1_776_849_243_120), t0)
        XCTAssertEqual(Timestamp.fromEpochInteger(1_776_849_243_120_999), t0)
        XCTAssertNil(Timestamp.fromEpochInteger(-1))
        XCTAssertEqual(Timestamp.fromEpochInteger(0), 0)
        // Decimal form: 1776849243.1209 s = 17768492431209 × 10^-4.
        XCTAssertEqual(Timestamp.fromEpochDecimal(mantissa: 17_768_492_431_209, exponent: -4), t0)
        XCTAssertEqual(Timestamp.fromEpochDecimal(mantissa: 1, exponent: -1_000_000), 0)
        XCTAssertNil(Timestamp.fromEpochDecimal(mantissa: 1, exponent: 1_000_000))
        XCTAssertNil(Timestamp.fromEpochDecimal(mantissa: UInt64.max, exponent: 5))
    }

    // MARK: format

    func testFormat() {
        XCTAssertEqual(Timestamp.format(t0), "2026-04-22T09:14:03.120Z")
        XCTAssertEqual(Timestamp.format(0), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(Timestamp.format(-1), "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(Timestamp.format(951_868_800_000), "2000-03-01T00:00:00.000Z")
        XCTAssertEqual(Timestamp.format(1_709_164_800_005), "2024-02-29T00:00:00.005Z")
        XCTAssertEqual(Timestamp.format(Timestamp.maxMillis), "9999-12-31T23:59:59.999Z")
        XCTAssertEqual(Timestamp.format(-62_135_596_800_000), "0001-01-01T00:00:00.000Z")
        // Extremes must not trap.
        XCTAssertFalse(Timestamp.format(.min).isEmpty)
        XCTAssertFalse(Timestamp.format(.max).isEmpty)
        XCTAssertTrue(Timestamp.format(.min).hasPrefix("-"))
    }

    func testFormatParseRoundTrip() {
        var rng = SplitMix64(seed: 7)
        let low = Timestamp.parseRFC3339("0000-01-01T00:00:00Z") ?? 0
        for _ in 0..<20_000 {
            let t = low + StreamTime(rng.next() % UInt64(Timestamp.maxMillis - low))
            let s = Timestamp.format(t)
            XCTAssertEqual(s.utf8.count, 24)
            XCTAssertEqual(parse(s), t, s)
        }
    }
}

