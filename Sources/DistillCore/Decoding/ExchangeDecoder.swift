/// Decodes one NDJSON line into an `Exchange` or a `Rejection`.
///
/// A single pass over the bytes, no recursion, no per-line arrays: keys are matched by length and
/// packed bytes, the text fields are copied once into the record's packed buffer, unknown values are
/// skipped while still being checked. Precedence of rejections: line_too_long, then invalid_utf8
/// (anywhere in the line), then invalid_json / not_an_object, then field-level codes.
public struct ExchangeDecoder: Sendable {
    /// Lines longer than this are rejected as `line_too_long` (feeds never buffer more).
    public static let defaultMaxLineBytes = 1 << 20
    /// Containers nested deeper than this (the record itself is depth 1) are invalid_json.
    static let maxDepth = 64
    public var maxLineBytes: Int
    /// Whether a line rejected for lacking its timestamp or account, and naming a key of another
    /// record format, says so: true where only canonical records are read, so that the first
    /// rejection of a LiteLLM or OTLP file explains why every line is "missing" its timestamp.
    public var hintsOtherFormats: Bool

    public init(maxLineBytes: Int = ExchangeDecoder.defaultMaxLineBytes, hintsOtherFormats: Bool = true) {
        self.maxLineBytes = maxLineBytes
        self.hintsOtherFormats = hintsOtherFormats
    }

    /// The rejection as said to the user: with the hint above where it applies. Only rejected
    /// lines pay for the search, and only those without a timestamp or account.
    @inline(never)
    func said(_ rejection: Rejection, of line: UnsafeRawBufferPointer) -> Rejection {
        guard hintsOtherFormats, RecordAdapter.mayBeOtherFormat(rejection, line),
              let key = RecordAdapter.otherFormatKeyNamed(line) else { return rejection }
        return Rejection(rejection.code, field: rejection.field,
                         message: "\(rejection.message) (the line has \(key), a key of another record format: try --input-format auto)")
    }

    /// The packed record's offsets are 32-bit, and its payload can hold up to twice the line (the
    /// key copied in as the account): no line may be longer than this, whatever the setting.
    static let hardMaxLineBytes = Int(Int32.max) - ExchangeText.headerBytes

    private var lineLimit: Int { min(maxLineBytes, Self.hardMaxLineBytes) }

    /// `line` excludes the `\n`; a trailing `\r` is tolerated.
    public func decode(_ line: UnsafeRawBufferPointer) -> DecodeOutcome {
        if line.count > lineLimit {
            return .rejected(.lineTooLong(line.count, limit: lineLimit))
        }
        guard let base = line.baseAddress, line.count > 0 else { return .blank }
        var ex = Exchange(ts: 0, text: .placeholder)
        if let notAnExchange = LineParser.with(base: base, end: line.count, { $0.run(&ex) }) {
            if case .rejected(let r) = notAnExchange { return .rejected(said(r, of: line)) }
            return notAnExchange
        }
        return .exchange(ex)
    }

    /// What `decode(_:appendingTo:)` did with a line.
    public enum Appended: Sendable {
        case appended
        case rejected(Rejection)
        case blank
    }

    /// Decodes straight into a new last element of `batch`, so the record is not copied from
    /// the parser to the outcome to the caller to the batch. On a rejected or blank line
    /// `batch` is left as it was.
    public func decode(_ line: UnsafeRawBufferPointer, appendingTo batch: inout [Exchange]) -> Appended {
        if line.count > lineLimit {
            return .rejected(.lineTooLong(line.count, limit: lineLimit))
        }
        guard let base = line.baseAddress, line.count > 0 else { return .blank }
        batch.append(Exchange(ts: 0, text: .placeholder))
        guard let notAnExchange = LineParser.with(base: base, end: line.count, { $0.run(&batch[batch.count - 1]) }) else { return .appended }
        batch.removeLast()
        switch notAnExchange {
        case .rejected(let r): return .rejected(said(r, of: line))
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
