// PLACEHOLDER — being replaced with the decoder. API is fixed.
public enum Timestamp {
    /// Parses RFC 3339 (`2026-04-22T09:14:03.120Z`, any offset, any fractional digits).
    public static func parseRFC3339(_ bytes: UnsafeRawBufferPointer) -> StreamTime? { nil }
    public static func parseRFC3339(_ text: String) -> StreamTime? {
        Array(text.utf8).withUnsafeBytes { parseRFC3339($0) }
    }
    /// Epoch number in s, ms, µs or ns, told apart by magnitude.
    public static func fromEpochNumber(_ value: Double) -> StreamTime? { nil }
    /// `2026-04-22T09:14:03.120Z` (UTC, milliseconds).
    public static func format(_ time: StreamTime) -> String { "" }
}
