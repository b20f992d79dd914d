// PLACEHOLDER — being replaced by the byte-level decoder. API is fixed.

/// Decodes one NDJSON line into an `Exchange` or a `Rejection`.
public struct ExchangeDecoder: Sendable {
    /// Lines longer than this are rejected as `line_too_long` (feeds never buffer more).
    public static let defaultMaxLineBytes = 1 << 20
    public var maxLineBytes: Int

    public init(maxLineBytes: Int = ExchangeDecoder.defaultMaxLineBytes) {
        self.maxLineBytes = maxLineBytes
    }

    /// `line` excludes the `\n`; a trailing `\r` is tolerated.
    public func decode(_ line: UnsafeRawBufferPointer) -> DecodeOutcome {
        .rejected(Rejection(.invalidJSON, message: "decoder not written yet"))
    }

    public func decode(_ line: [UInt8]) -> DecodeOutcome {
        line.withUnsafeBytes { decode($0) }
    }

    public func decode(_ line: String) -> DecodeOutcome {
        decode(Array(line.utf8))
    }
}
