/// Integer civil-calendar arithmetic (Howard Hinnant's days-from-civil), UTC only.
public enum SimTime {
    public static let msPerDay: Int64 = 86_400_000
    public static let msPerHour: Int64 = 3_600_000
    public static let msPerMinute: Int64 = 60_000

    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int64) -> (y: Int64, m: Int64, d: Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// 0 = Monday ... 6 = Sunday, for a day count since 1970-01-01 (a Thursday).
    static func weekday(day: Int64) -> Int {
        Int(((day % 7) + 7 + 3) % 7)
    }

    /// `2026-04-22T09:14:03.120Z`.
    public static func format(_ ms: Int64) -> String {
        var b = [UInt8](repeating: 0, count: 24)
        b.withUnsafeMutableBufferPointer { p in write(ms, into: p.baseAddress!) }
        return String(decoding: b, as: UTF8.self)
    }

    /// Writes exactly 24 bytes.
    static func write(_ ms: Int64, into p: UnsafeMutablePointer<UInt8>) {
        let day = floorDiv(ms, msPerDay)
        let (y, m, d) = civilFromDays(day)
        writeDate(y, m, d, into: p)
        writeClock(ms - day * msPerDay, into: p + 10)
    }

    static func writeDate(_ y: Int64, _ m: Int64, _ d: Int64, into p: UnsafeMutablePointer<UInt8>) {
        let yy = Int(max(0, min(9999, y)))
        p[0] = UInt8(48 + yy / 1000); p[1] = UInt8(48 + yy / 100 % 10)
        p[2] = UInt8(48 + yy / 10 % 10); p[3] = UInt8(48 + yy % 10)
        p[4] = 45
        p[5] = UInt8(48 + m / 10); p[6] = UInt8(48 + m % 10)
        p[7] = 45
        p[8] = UInt8(48 + d / 10); p[9] = UInt8(48 + d % 10)
    }

    /// `THH:MM:SS.mmmZ` (14 bytes) for milliseconds into the day.
    @inline(__always)
    static func writeClock(_ msOfDay: Int64, into p: UnsafeMutablePointer<UInt8>) {
        let t = Int(msOfDay)
        let h = t / 3_600_000, mi = t / 60_000 % 60, s = t / 1000 % 60, f = t % 1000
        p[0] = 84
        p[1] = UInt8(48 + h / 10); p[2] = UInt8(48 + h % 10); p[3] = 58
        p[4] = UInt8(48 + mi / 10); p[5] = UInt8(48 + mi % 10); p[6] = 58
        p[7] = UInt8(48 + s / 10); p[8] = UInt8(48 + s % 10); p[9] = 46
        p[10] = UInt8(48 + f / 100); p[11] = UInt8(48 + f / 10 % 10); p[12] = UInt8(48 + f % 10)
        p[13] = 90
    }

    @inline(__always)
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)` into epoch milliseconds.
    public static func parseRFC3339(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        func digits(_ at: Int, _ n: Int) -> Int64? {
            guard at + n <= b.count else { return nil }
            var v: Int64 = 0
            for i in at..<(at + n) {
                let c = b[i]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            return v
        }
        guard b.count >= 20, b[4] == 45, b[7] == 45, b[10] == 84 || b[10] == 116 || b[10] == 32,
              b[13] == 58, b[16] == 58,
              let y = digits(0, 4), let mo = digits(5, 2), let d = digits(8, 2),
              let h = digits(11, 2), let mi = digits(14, 2), let s = digits(17, 2),
              (1...12).contains(mo), d >= 1, d <= daysInMonth(y, mo), h <= 23, mi <= 59, s <= 60
        else { return nil }
        var i = 19
        var frac: Int64 = 0
        if i < b.count && b[i] == 46 {
            i += 1
            var n = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if n < 3 { frac = frac * 10 + Int64(b[i] - 48) }
                n += 1; i += 1
            }
            guard n > 0 else { return nil }
            while n < 3 { frac *= 10; n += 1 }
        }
        guard i < b.count else { return nil }
        var offset: Int64 = 0
        if b[i] == 90 || b[i] == 122 {
            i += 1
        } else if b[i] == 43 || b[i] == 45 {
            guard let oh = digits(i + 1, 2), i + 3 < b.count, b[i + 3] == 58, let om = digits(i + 4, 2),
                  oh <= 23, om <= 59 else { return nil }
            offset = (oh * 60 + om) * msPerMinute * (b[i] == 45 ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(y, mo, d)
        return days * msPerDay + ((h * 60 + mi) * 60 + s) * 1000 + frac - offset
    }

    static func daysInMonth(_ y: Int64, _ m: Int64) -> Int64 {
        switch m {
        case 2: return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
