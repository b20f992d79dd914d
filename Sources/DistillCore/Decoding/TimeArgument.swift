extension Timestamp {
    /// A moment typed by a person (`:goto`, `--from`, `--until`): RFC 3339 with seconds
    /// (`2026-04-22T10:00:00Z`, any fraction and offset), or shortened to minute precision
    /// (`2026-04-22T10:00Z`, `2026-04-22 10:00+02:00`) or to a date (`2026-04-22`, midnight).
    /// No offset means UTC, the zone the console's clock shows.
    public static func parseMoment(_ typed: String) -> StreamTime? {
        var text = String(typed.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        guard text.utf8.count >= 10, text.utf8.count <= 40 else { return nil }
        if text.utf8.count == 10 { text += "T00:00:00Z" }
        let bytes = Array(text.utf8)
        // Where the time of day ends: an offset or Z starts the zone.
        var zoneStart = bytes.count
        if bytes.count > 11 {
            for i in 11..<bytes.count where bytes[i] == UInt8(ascii: "Z") || bytes[i] == UInt8(ascii: "z")
                || bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
                zoneStart = i
                break
            }
        }
        var clock = String(decoding: bytes[..<zoneStart], as: UTF8.self)
        var zone = String(decoding: bytes[zoneStart...], as: UTF8.self)
        if zone.isEmpty { zone = "Z" }
        if clock.utf8.count == 16 { clock += ":00" }  // minute precision
        return parseRFC3339(clock + zone)
    }
}
