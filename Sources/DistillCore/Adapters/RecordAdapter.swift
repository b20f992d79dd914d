import Foundation

/// The shape of the records a source sends.
public enum RecordFormat: String, Sendable, CaseIterable {
    /// The canonical exchange record (`exchange-schema.md`), read by the fast decoder.
    case canonical
    /// LiteLLM's StandardLoggingPayload (the `generic_api` callback, one payload per line or
    /// element).
    case litellm
    /// OTLP/JSON: `resourceLogs` (ExportLogsServiceRequest) or `resourceSpans`
    /// (ExportTraceServiceRequest), with GenAI semantic-convention attributes.
    case otlp
    /// `kcat -C -J` envelopes: `payload` is unwrapped and decoded again (format detected).
    case kcat
    /// Detected per line (or per request body): canonical lines take the fast path; a line that
    /// is a JSON object but not a canonical record is tried as the formats above.
    case auto
}

/// Turns lines and request bodies in any `RecordFormat` into decode outcomes.
///
/// Canonical lines go straight through `ExchangeDecoder`. The other formats are parsed with
/// `JSONSerialization` (they are not the hot path), renamed onto a canonical record, and that
/// record is run through the same decoder: every adapted exchange is validated by exactly the
/// rules a canonical line is, and its rejections are counted under the same reasons.
public struct RecordAdapter: Sendable {
    public let format: RecordFormat
    public let decoder: ExchangeDecoder

    public init(format: RecordFormat = .auto, maxLineBytes: Int = ExchangeDecoder.defaultMaxLineBytes) {
        self.format = format
        decoder = ExchangeDecoder(maxLineBytes: maxLineBytes, hintsOtherFormats: format == .canonical)
    }

    // MARK: Lines

    /// Decodes one line (without its `\n`); one line can carry several records (an OTLP
    /// request, a JSON array) or none (blank).
    public func decodeLine(_ line: UnsafeRawBufferPointer, _ emit: (DecodeOutcome) -> Void) {
        // A line that holds no record at all (`[]`, an export with no logs) is still counted.
        var emitted = false
        decodeLineRecords(line) { emitted = true; emit($0) }
        if !emitted { emit(.rejected(Rejection(.notAnObject, message: "no record in it (an empty array or export)"))) }
    }

    private func decodeLineRecords(_ line: UnsafeRawBufferPointer, _ emit: (DecodeOutcome) -> Void) {
        switch format {
        case .canonical:
            emit(decoder.decode(line))
        case .auto:
            let outcome = decoder.decode(line)
            if case .rejected(let rejection) = outcome, Self.mayBeOtherFormat(rejection, line), Self.namesOtherFormatKey(line) {
                guard let value = Self.parse(line) else { emit(.rejected(unparsed(line, format, canonical: rejection))); return }
                if let object = value as? [String: Any], Self.detect(object) == .canonical {
                    emit(outcome)  // a canonical record with a real problem: keep the fast decoder's reason
                } else {
                    adapt(value, as: .auto, emit)
                }
            } else {
                emit(outcome)
            }
        case .litellm, .otlp, .kcat:
            if line.count > decoder.maxLineBytes || Self.isBlank(line) { emit(decoder.decode(line)); return }
            guard let value = Self.parse(line) else {
                emit(.rejected(unparsed(line, format)))
                return
            }
            adapt(value, as: format, emit)
        }
    }

    /// Decodes a whole request body. `otlpPath` is true for `/v1/logs` and `/v1/traces`, where
    /// the body is one OTLP/JSON export request whatever `format` says. Otherwise a body that is
    /// a JSON array holds one record per element; any other body is NDJSON (a single object,
    /// even spread over several lines, is accepted too). `BodyDecoding` does the same a slice at
    /// a time; memory stays near the body's size whatever it holds.
    public func decodeBody(_ body: UnsafeRawBufferPointer, otlpPath: Bool, _ emit: (DecodeOutcome) -> Void) {
        var decoding = BodyDecoding(body, otlpPath: otlpPath, adapter: self)
        while !decoding.step(body, adapter: self, emit) {}
    }

    /// One element of a request body's array: a record is decoded as a line would be.
    func decodeElement(_ element: UnsafeRawBufferPointer, _ emit: (DecodeOutcome) -> Void) {
        switch element.first {
        case nil:
            emit(.rejected(Rejection(.invalidJSON, message: "an empty element in a JSON array")))
        case JSONStructure.openObject:
            decodeLine(element, emit)
        case JSONStructure.openArray:
            emit(.rejected(Rejection(.notAnObject, message: "an array inside the body's array: records go directly in the body's array")))
        default:
            emit(.rejected(Rejection(.notAnObject, message: "a record must be a JSON object")))
        }
    }

    /// Decodes one OTLP export request already parsed into its JSON shape (`resourceLogs` or
    /// `resourceSpans`), as the protobuf encoding is turned into by the HTTP receiver.
    public func decodeOTLPRequest(_ request: [String: Any], _ emit: (DecodeOutcome) -> Void) {
        adapt(request, as: .otlp, emit)
    }

    // MARK: Detection

    /// Only a JSON object without a timestamp or an account may be another format.
    static func mayBeOtherFormat(_ r: Rejection, _ line: UnsafeRawBufferPointer) -> Bool {
        switch r.code {
        case .missingTimestamp, .missingAccount, .badTimestamp: return true
        case .notAnObject: return line.first { !isSpace($0) } == UInt8(ascii: "[")
        default: return false
        }
    }

    /// The keys `detect` looks for, quoted as they appear in JSON text.
    static let otherFormatKeys: [[UInt8]] = ["resourceLogs", "resourceSpans", "payload", "startTime", "call_type",
                                              "standard_logging_object", "metadata"].map { Array("\"\($0)\"".utf8) }

    /// Whether the text mentions any key another format is detected by; a line that names none
    /// is a canonical record with a problem, and is not worth parsing again (a body of millions
    /// of `{}` must not cost a JSON parse each). An array may hold any of them.
    static func namesOtherFormatKey(_ line: UnsafeRawBufferPointer) -> Bool {
        if line.first(where: { !isSpace($0) }) == UInt8(ascii: "[") { return true }
        return otherFormatKeyNamed(line) != nil
    }

    /// The first key of another format the line names, quoted as in the line.
    static func otherFormatKeyNamed(_ line: UnsafeRawBufferPointer) -> String? {
        guard line.count >= 9 else { return nil }
        let key = otherFormatKeys.first { key in
            key.withUnsafeBytes { needle in
                var i = 0
                let last = line.count - needle.count
                while i <= last {
                    if line[i] == needle[0] && line[i + 1] == needle[1] && memcmp(line.baseAddress! + i, needle.baseAddress!, needle.count) == 0 {
                        return true
                    }
                    i += 1
                }
                return false
            }
        }
        return key.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Which format a parsed object looks like.
    public static func detect(_ object: [String: Any]) -> RecordFormat {
        if object["resourceLogs"] != nil || object["resourceSpans"] != nil { return .otlp }
        if object.keys.contains("payload") && (object["topic"] != nil || object["partition"] != nil || object["offset"] != nil) {
            return .kcat
        }
        if object["startTime"] != nil || object["call_type"] != nil || object["standard_logging_object"] != nil { return .litellm }
        if let meta = object["metadata"] as? [String: Any], meta.keys.contains(where: { $0.hasPrefix("user_api_key_") }) {
            return .litellm
        }
        return .canonical
    }

    // MARK: Adapting parsed values

    /// Adapts a parsed JSON value: an array is one record per element.
    func adapt(_ value: Any, as format: RecordFormat, depth: Int = 0, _ emit: (DecodeOutcome) -> Void) {
        if let array = value as? [Any] {
            // Records go directly in a line's array, as in a request body's: an array inside it,
            // even an empty one, is refused and counted rather than read through or skipped.
            guard depth == 0 else {
                emit(.rejected(Rejection(.notAnObject, message: "an array inside the line's array: records go directly in the line's array")))
                return
            }
            for element in array { adapt(element, as: format, depth: depth + 1, emit) }
            return
        }
        guard let object = value as? [String: Any] else {
            emit(.rejected(Rejection(.notAnObject, message: "a record must be a JSON object")))
            return
        }
        let chosen = format == .auto ? Self.detect(object) : format
        switch chosen {
        case .canonical, .auto:
            emit(decodeCanonical(object))
        case .litellm:
            // LiteLLM's custom callbacks get the payload under `standard_logging_object`; accept both.
            let payload = object["standard_logging_object"] as? [String: Any] ?? object
            emit(decodeCanonical(LiteLLMMapping.record(payload)))
        case .otlp:
            var any = false
            OTLPMapping.records(object) { record in
                any = true
                if let problem = record.problem {
                    emit(.rejected(Rejection(.badValue, field: problem.field, message: problem.message)))
                } else if let line = record.embeddedLine {
                    // A log record whose body is a whole JSON record (a shipper wrapping lines).
                    var text = line
                    text.withUTF8 { decodeLine(UnsafeRawBufferPointer($0), emit) }
                } else {
                    emit(decodeCanonical(record.fields))
                }
            }
            if !any, object["resourceLogs"] == nil && object["resourceSpans"] == nil {
                emit(.rejected(Rejection(.badValue, field: "resourceLogs", message: "not an OTLP export request (no resourceLogs or resourceSpans)")))
            }
        case .kcat:
            guard depth < 2 else {
                emit(.rejected(Rejection(.badValue, field: "payload", message: "kcat envelope nested in a kcat envelope")))
                return
            }
            switch object["payload"] {
            case let text as String:
                var text = text
                let inner = RecordAdapter(format: .auto, maxLineBytes: decoder.maxLineBytes)
                text.withUTF8 { bytes in
                    let line = UnsafeRawBufferPointer(bytes)
                    // An empty message holds no record: counted as a null payload is, where a
                    // blank line inside it would be skipped without a trace.
                    if Self.isBlank(line) {
                        emit(.rejected(Rejection(.badValue, field: "payload", message: "kcat envelope with an empty payload")))
                    } else {
                        inner.decodeLine(line, emit)
                    }
                }
            case let inner as [String: Any]:
                adapt(inner, as: .auto, depth: depth + 1, emit)
            default:
                emit(.rejected(Rejection(.badValue, field: "payload", message: "kcat envelope without a string payload")))
            }
        }
    }

    /// Serialises a canonical record and runs it through the fast decoder, so adapted records
    /// obey exactly the canonical rules.
    func decodeCanonical(_ record: [String: Any]) -> DecodeOutcome {
        // Keys sorted: a dictionary's order differs from run to run, and nothing the decoder
        // says may depend on it.
        guard JSONSerialization.isValidJSONObject(record),
              let data = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) else {
            return .rejected(Rejection(.badValue, message: "record could not be re-encoded"))
        }
        let outcome = data.withUnsafeBytes { decoder.decode($0) }
        // Re-encoded JSON is well formed, so only its depth can break the decoder's rules; a
        // byte offset would point into the re-encoding, not into the input line.
        if case .rejected(let r) = outcome, r.code == .invalidJSON {
            return .rejected(Rejection(.invalidJSON, message: "invalid JSON: nesting deeper than \(ExchangeDecoder.maxDepth)"))
        }
        return outcome
    }

    /// Why a line the JSON reader refused was refused. That reader also refuses valid JSON it
    /// cannot hold (a number past a double's range, such as 1e400), which is a bad value, not
    /// broken JSON; the canonical parser (its verdict `canonical` when already known) tells the
    /// two apart and says where broken JSON breaks.
    func unparsed(_ line: UnsafeRawBufferPointer, _ format: RecordFormat, canonical: Rejection? = nil) -> Rejection {
        let verdict: Rejection?
        if let canonical { verdict = canonical } else if case .rejected(let r) = decoder.decode(line) { verdict = r } else { verdict = nil }
        switch verdict?.code {
        case .invalidJSON?, .invalidUTF8?:
            return Rejection(verdict!.code, message: "\(verdict!.message) (\(format.rawValue) expected)")
        case .notAnObject?:
            // Its elements were not read, so nothing says whether they are well formed.
            return Rejection(.invalidJSON, message: "not valid JSON (\(format.rawValue) expected)")
        default:
            return Rejection(.badValue, message: "valid JSON, but with a number past a double's range or an unpaired surrogate escape, which records in other formats cannot hold")
        }
    }

    // MARK: Helpers

    static func parse(_ bytes: UnsafeRawBufferPointer) -> Any? {
        guard bytes.count > 0 else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(bytes), options: [])
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
    static func isBlank(_ line: UnsafeRawBufferPointer) -> Bool { !line.contains { !isSpace($0) } }
}

/// Reading values of unknown type out of parsed JSON.
enum JSONValue {
    /// A non-empty string, else nil.
    static func string(_ v: Any?) -> String? {
        guard let s = v as? String, !s.isEmpty else { return nil }
        return s
    }

    /// A finite number, from a number (not a boolean) or a numeric string.
    static func number(_ v: Any?) -> Double? {
        if let n = v as? NSNumber, !isBool(n) { let d = n.doubleValue; return d.isFinite ? d : nil }
        if let s = v as? String, let d = Double(s.trimmingCharacters(in: .whitespaces)), d.isFinite { return d }
        return nil
    }

    /// An integer from an integer number or an integer string (OTLP sends int64 as strings).
    static func integer(_ v: Any?) -> Int64? {
        if let s = v as? String { return Int64(s.trimmingCharacters(in: .whitespaces)) }
        if let n = v as? NSNumber, !isBool(n) {
            let d = n.doubleValue
            guard d.isFinite, d == d.rounded(), abs(d) < 9.0e18 else { return nil }
            return n.int64Value
        }
        return nil
    }

    /// JSONSerialization gives booleans as NSNumbers of type `c` (char); JSON numbers never are.
    static func isBool(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }

    /// A value kept as it came, for the canonical decoder to judge (wrong types are rejected
    /// there with the canonical reason); nil and NSNull are absent.
    static func raw(_ v: Any?) -> Any? {
        guard let v, !(v is NSNull) else { return nil }
        if let s = v as? String, s.isEmpty { return nil }
        return v
    }

    /// Integer-valued fields: numeric strings become numbers, anything else is kept raw.
    static func count(_ v: Any?) -> Any? {
        if let s = v as? String, let i = Int64(s.trimmingCharacters(in: .whitespaces)) { return NSNumber(value: i) }
        return raw(v)
    }

    /// The text of a prompt given as a string, a list of chat messages (`content` a string or a
    /// list of parts with `text`), or OTel's `gen_ai.input.messages` (`parts`). Bounded length.
    static func promptText(_ v: Any?, limit: Int = 64 * 1024) -> String? {
        var out = ""
        func add(_ s: String) {
            guard out.utf8.count < limit else { return }
            if !out.isEmpty { out += "\n" }
            out += s
        }
        func walk(_ v: Any?, depth: Int) {
            guard depth < 8, let v else { return }
            if let s = v as? String { add(s); return }
            if let list = v as? [Any] { for e in list { walk(e, depth: depth + 1) }; return }
            if let m = v as? [String: Any] {
                if let role = m["role"] as? String, role != "user" && role != "human" && role != "system" { return }
                if let c = m["content"] { walk(c, depth: depth + 1) }
                else if let t = m["text"] { walk(t, depth: depth + 1) }
                else if let c = m["parts"] { walk(c, depth: depth + 1) }
            }
        }
        walk(v, depth: 0)
        if out.utf8.count > limit { out = String(decoding: out.utf8.prefix(limit), as: UTF8.self) }
        return out.isEmpty ? nil : out
    }
}
