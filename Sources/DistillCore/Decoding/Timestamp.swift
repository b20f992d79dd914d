/// Timestamps in, milliseconds since the epoch out: RFC 3339 text and epoch numbers.
/// Integer civil-date arithmetic only, so results never depend on locale, time zone data or Foundation.
public enum Timestamp {
    /// 9999-12-31T23:59:59.999Z, the last instant with a four-digit year; epoch numbers beyond it are rejected.
    public static let maxMillis: StreamTime = 253_402_300_799_999
    /// 0000-01-01T00:00:00.000Z, the first instant with a four-digit year.
    public static let minMillis: StreamTime = -62_167_219_200_000

    /// Parses RFC 3339 (`2026-04-22T09:14:03.120Z`, any offset, any fractional digits).
    public static func parseRFC3339(_ bytes: UnsafeRawBufferPointer) -> StreamTime? {
        guard let base = bytes.baseAddress else { return nil }
        return parseRFC3339(base, count: bytes.count)
    }

    public static func parseRFC3339(_ text: String) -> StreamTime? {
        var text = text
        return text.withUTF8 { parseRFC3339(UnsafeRawBufferPointer($0)) }
    }

    /// `YYYY-MM-DD[Tt ]hh:mm:ss[.f+](Z|z|±hh:mm|±hhmm)`; fractions truncated to milliseconds,
    /// a leap second (:60) clamped to :59.999.
    static func parseRFC3339(_ p: UnsafeRawPointer, count n: Int) -> StreamTime? {
        @inline(__always) func at(_ i: Int) -> UInt8 { p.load(fromByteOffset: i, as: UInt8.self) }
        // Callers check i + k <= n first.
        @inline(__always) func num(_ i: Int, _ k: Int) -> Int64? {
            var v: Int64 = 0
            for j in i..<(i + k) {
                let d = at(j) &- 0x30
                guard d < 10 else { return nil }
                v = v &* 10 &+ Int64(d)
            }
            return v
        }
        guard n >= 20,
              let year = num(0, 4), at(4) == UInt8(ascii: "-"),
              let month = num(5, 2), at(7) == UInt8(ascii: "-"),
              let day = num(8, 2)
        else { return nil }
        let sep = at(10)
        guard sep == UInt8(ascii: "T") || sep == UInt8(ascii: "t") || sep == UInt8(ascii: " "),
              let hour = num(11, 2), at(13) == UInt8(ascii: ":"),
              let minute = num(14, 2), at(16) == UInt8(ascii: ":"),
              var second = num(17, 2)
        else { return nil }

        var i = 19
        var ms: Int64 = 0
        if at(i) == UInt8(ascii: ".") {
            i += 1
            let fracStart = i
            while i < n {
                let d = at(i) &- 0x30
                if d >= 10 { break }
                if i - fracStart < 3 { ms = ms * 10 + Int64(d) }
                i += 1
            }
            let digits = i - fracStart
            guard digits > 0 else { return nil }
            if digits == 1 { ms *= 100 } else if digits == 2 { ms *= 10 }
        }

        guard i < n else { return nil }
        var offsetMinutes: Int64 = 0
        let z = at(i)
        if z == UInt8(ascii: "Z") || z == UInt8(ascii: "z") {
            i += 1
        } else if z == UInt8(ascii: "+") || z == UInt8(ascii: "-") {
            let rest = n - i
            let hh: Int64?, mm: Int64?
            if rest == 6 && at(i + 3) == UInt8(ascii: ":") {
                hh = num(i + 1, 2); mm = num(i + 4, 2)
            } else if rest == 5 {
                hh = num(i + 1, 2); mm = num(i + 3, 2)
            } else {
                return nil
            }
            guard let h = hh, let m = mm, h < 24, m < 60 else { return nil }
            offsetMinutes = z == UInt8(ascii: "-") ? -(h * 60 + m) : h * 60 + m
            i = n
        } else {
            return nil
        }
        guard i == n,
              month >= 1, month <= 12,
              day >= 1, day <= daysInMonth(year: year, month: month),
              hour < 24, minute < 60, second <= 60
        else { return nil }
        if second == 60 { second = 59; ms = 999 }

        let days = daysFromCivil(year: year, month: month, day: day)
        let secs = ((days * 24 + hour) * 60 + minute) * 60 + second - offsetMinutes * 60
        // An offset can carry a four-digit year into a five-digit one (or a negative one),
        // which reports could not write back as RFC 3339.
        let time = secs * 1000 + ms
        return time >= minMillis && time <= maxMillis ? time : nil
    }

    /// Epoch number in s, ms, µs or ns, told apart by magnitude (< 1e11 s, < 1e14 ms, < 1e17 µs, else ns).
    public static func fromEpochNumber(_ value: Double) -> StreamTime? {
        guard value.isFinite, value >= 0 else { return nil }
        let ms: Double
        if value < 1e11 { ms = value * 1000 }
        else if value < 1e14 { ms = value }
        else if value < 1e17 { ms = value / 1000 }
        else { ms = value / 1e6 }
        guard ms < Double(maxMillis) + 1 else { return nil }
        // 1.12 s is 1119.99999… ms in binary: snap values a hair under a whole millisecond up.
        // (Int64(_:) truncates, and ms >= 0, so this is floor without libm.)
        var result = StreamTime(ms)
        if Double(result + 1) - ms < 1e-3 { result += 1 }
        guard result <= maxMillis else { return nil }
        return result
    }

    /// Exact epoch integer (no Double rounding: a 19-digit nanosecond value keeps its milliseconds).
    public static func fromEpochInteger(_ value: Int64) -> StreamTime? {
        guard value >= 0 else { return nil }
        return fromEpochDecimal(mantissa: UInt64(value), exponent: 0)
    }

    /// Exact epoch value `mantissa × 10^exponent` (non-negative), truncated to milliseconds.
    static func fromEpochDecimal(mantissa: UInt64, exponent: Int) -> StreamTime? {
        if mantissa == 0 { return 0 }
        var digits = 0
        var m = mantissa
        while m != 0 { m /= 10; digits += 1 }
        // The value lies in [10^(magnitude-1), 10^magnitude).
        let magnitude = digits + exponent
        let unitShift: Int
        if magnitude <= 11 { unitShift = 3 }
        else if magnitude <= 14 { unitShift = 0 }
        else if magnitude <= 17 { unitShift = -3 }
        else { unitShift = -6 }
        let scale = exponent + unitShift
        var ms: UInt64
        if scale >= 0 {
            guard scale <= 19 else { return nil }
            ms = mantissa
            for _ in 0..<scale {
                let (r, o) = ms.multipliedReportingOverflow(by: 10)
                if o { return nil }
                ms = r
            }
        } else {
            guard scale > -20 else { return 0 }
            var divisor: UInt64 = 1
            for _ in 0..<(-scale) { divisor &*= 10 }
            ms = mantissa / divisor
        }
        guard ms <= UInt64(maxMillis) else { return nil }
        return StreamTime(ms)
    }

    /// `2026-04-22T09:14:03.120Z` (UTC, always three fractional digits).
    public static func format(_ time: StreamTime) -> String {
        // Floor division without the overflow that `q * d` could hit near Int64.min.
        var (days, msOfDay) = time.quotientAndRemainder(dividingBy: 86_400_000)
        if msOfDay < 0 { days -= 1; msOfDay += 86_400_000 }
        let (year, month, day) = civilFromDays(days)
        let hour = msOfDay / 3_600_000
        let minute = msOfDay / 60_000 % 60
        let second = msOfDay / 1000 % 60
        let milli = msOfDay % 1000

        return String(unsafeUninitializedCapacity: 40) { buf in
            var i = 0
            func put(_ b: UInt8) { buf[i] = b; i += 1 }
            func put(_ v: Int64, width: Int) {
                var count = 1
                var x = v.magnitude
                while x >= 10 { x /= 10; count += 1 }
                count = max(count, width)
                x = v.magnitude
                var j = i + count
                while j > i { j -= 1; buf[j] = UInt8(truncatingIfNeeded: x % 10) &+ 0x30; x /= 10 }
                i += count
            }
            if year < 0 { put(UInt8(ascii: "-")) }
            put(year, width: 4); put(UInt8(ascii: "-"))
            put(month, width: 2); put(UInt8(ascii: "-"))
            put(day, width: 2); put(UInt8(ascii: "T"))
            put(hour, width: 2); put(UInt8(ascii: ":"))
            put(minute, width: 2); put(UInt8(ascii: ":"))
            put(second, width: 2); put(UInt8(ascii: "."))
            put(milli, width: 3); put(UInt8(ascii: "Z"))
            return i
        }
    }

    // MARK: civil calendar (proleptic Gregorian), after H. Hinnant's algorithms

    static func isLeap(_ y: Int64) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01.
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
