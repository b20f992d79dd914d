/// Decodes one NDJSON line into an `Exchange` or a `Rejection`.
///
/// A single pass over the bytes, no recursion, no per-line arrays: keys are matched by length and
/// packed bytes, strings without escapes become `String`s straight from the line, unknown values are
/// skipped while still being checked. Precedence of rejections: line_too_long, then invalid_utf8
/// (anywhere in the line), then invalid_json / not_an_object, then field-level codes.
public struct ExchangeDecoder: Sendable {
    /// Lines longer than this are rejected as `line_too_long` (feeds never buffer more).
    public static let defaultMaxLineBytes = 1 << 20
    /// Containers nested deeper than this (the record itself is depth 1) are invalid_json.
    static let maxDepth = 64
    public var maxLineBytes: Int

    public init(maxLineBytes: Int = ExchangeDecoder.defaultMaxLineBytes) {
        self.maxLineBytes = maxLineBytes
    }

    /// `line` excludes the `\n`; a trailing `\r` is tolerated.
    /// With an `interner`, repeated values share one `String` instead of each line allocating its own.
    public func decode(_ line: UnsafeRawBufferPointer, interner: StringInterner? = nil) -> DecodeOutcome {
        if line.count > maxLineBytes {
            return .rejected(.lineTooLong(line.count, limit: maxLineBytes))
        }
        guard let base = line.baseAddress, line.count > 0 else { return .blank }
        var ex = Exchange(ts: 0, accountID: "")
        var parser = LineParser(base: base, end: line.count)
        parser.interner = interner
        if let notAnExchange = parser.run(&ex) { return notAnExchange }
        return .exchange(ex)
    }

    /// What `decode(_:interner:appendingTo:)` did with a line.
    public enum Appended: Sendable {
        case appended
        case rejected(Rejection)
        case blank
    }

    /// Decodes straight into a new last element of `batch`, so the record (~350 bytes) is not
    /// copied from the parser to the outcome to the caller to the batch: about 4% of `scan`.
    /// On a rejected or blank line `batch` is left as it was.
    public func decode(_ line: UnsafeRawBufferPointer, interner: StringInterner? = nil, appendingTo batch: inout [Exchange]) -> Appended {
        if line.count > maxLineBytes {
            return .rejected(.lineTooLong(line.count, limit: maxLineBytes))
        }
        guard let base = line.baseAddress, line.count > 0 else { return .blank }
        batch.append(Exchange(ts: 0, accountID: ""))
        var parser = LineParser(base: base, end: line.count)
        parser.interner = interner
        guard let notAnExchange = parser.run(&batch[batch.count - 1]) else { return .appended }
        batch.removeLast()
        switch notAnExchange {
        case .rejected(let r): return .rejected(r)
        case .blank, .exchange: return .blank
        }
    }

    public func decode(_ line: [UInt8]) -> DecodeOutcome {
        line.withUnsafeBytes { decode($0) }
    }

    public func decode(_ line: String) -> DecodeOutcome {
        var line = line
        return line.withUTF8 { decode(UnsafeRawBufferPointer($0)) }
    }
}
