import Foundation

/// OTLP/JSON export requests (`/v1/logs`: resourceLogs → scopeLogs → logRecords; `/v1/traces`:
/// resourceSpans → scopeSpans → spans) renamed onto canonical records. Attributes are the
/// resource's merged with the record's (the record wins); GenAI semantic-convention names are
/// read in their current and older spellings, and LiteLLM's `metadata.*` span attributes too.
enum OTLPMapping {
    struct Record {
        /// A canonical record built from attributes.
        var fields: [String: Any] = [:]
        /// A log record whose body is a JSON record itself (a log shipper wrapping lines).
        var embeddedLine: String?
        /// Part of the request is not shaped as OTLP says (the field, and what is wrong): it
        /// is counted as one rejected record rather than skipped unseen.
        var problem: (field: String, message: String)?
    }

    /// The elements of a list the request must hold at `field`; a value of another type is
    /// reported, and elements that are not objects are reported one by one.
    private static func objects(_ value: Any?, _ field: String, _ emit: (Record) -> Void) -> [[String: Any]] {
        guard let value else { return [] }
        guard let list = value as? [Any] else {
            emit(Record(problem: (field, "\(field) must be a list")))
            return []
        }
        var out: [[String: Any]] = []
        for element in list {
            if let object = element as? [String: Any] { out.append(object) } else { emit(Record(problem: (field, "an element of \(field) is not an object"))) }
        }
        return out
    }

    /// Limits on a hostile request: records per request are bounded by the body size already.
    static func records(_ request: [String: Any], _ emit: (Record) -> Void) {
        for resource in objects(request["resourceLogs"], "resourceLogs", emit) {
            let base = attributes((resource["resource"] as? [String: Any])?["attributes"])
            for scope in objects(resource["scopeLogs"], "scopeLogs", emit) {
                for log in objects(scope["logRecords"], "logRecords", emit) {
                    var attrs = base.merging(attributes(log["attributes"])) { $1 }
                    let body = anyValue(log["body"])
                    if let kv = body as? [String: Any] { attrs.merge(kv) { old, _ in old } }
                    if let text = body as? String, isJSONRecord(text), !hasIdentity(attrs) {
                        emit(Record(fields: [:], embeddedLine: text))
                        continue
                    }
                    let t = nanos(log["timeUnixNano"]).flatMap { $0 > 0 ? $0 : nil } ?? nanos(log["observedTimeUnixNano"])
                    var r = map(attrs, startNanos: t, endNanos: nil,
                                unreadableStart: [log["timeUnixNano"], log["observedTimeUnixNano"]].compactMap { $0 }.first { !isTime($0) })
                    if r["prompt_text"] == nil, let text = body as? String, !isJSONRecord(text) { r["prompt_text"] = String(text.prefix(65536)) }
                    if let sev = JSONValue.integer(log["severityNumber"]), sev >= 17, r["status"] == nil { r["status"] = "failure" }
                    emit(Record(fields: r))
                }
            }
        }
        for resource in objects(request["resourceSpans"], "resourceSpans", emit) {
            let base = attributes((resource["resource"] as? [String: Any])?["attributes"])
            for scope in objects(resource["scopeSpans"], "scopeSpans", emit) {
                for span in objects(scope["spans"], "spans", emit) {
                    let attrs = base.merging(attributes(span["attributes"])) { $1 }
                    var r = map(attrs, startNanos: nanos(span["startTimeUnixNano"]), endNanos: nanos(span["endTimeUnixNano"]),
                                unreadableStart: span["startTimeUnixNano"].flatMap { isTime($0) ? nil : $0 })
                    if let status = span["status"] as? [String: Any] {
                        // STATUS_CODE_ERROR is 2; JSON encoders may write the enum by name.
                        let code = status["code"]
                        if JSONValue.integer(code) == 2 || (code as? String) == "STATUS_CODE_ERROR" { r["status"] = "failure" }
                    }
                    emit(Record(fields: r))
                }
            }
        }
    }

    /// Attribute keys → canonical fields, first present wins.
    static let stringFields: [(String, [String])] = [
        // The provider's customer. OpenTelemetry has no attribute for it; `account.id` is ours,
        // and LiteLLM's spans carry its proxy user. When neither is present, `user.id` stands in
        // (see `map`).
        ("account_id", ["account.id", "metadata.user_api_key_user_id"]),
        ("api_key_id", ["api_key.id", "metadata.user_api_key_hash"]),
        ("request_id", ["gen_ai.response.id"]),
        ("org_id", ["metadata.user_api_key_org_id"]),
        // Current semantic conventions name the end user `user.id`; `enduser.id` is the older name.
        ("end_user_id", ["user.id", "enduser.id", "metadata.user_api_key_end_user_id"]),
        ("session_id", ["gen_ai.conversation.id", "session.id"]),
        ("client_ip", ["client.address", "metadata.requester_ip_address"]),
        ("country", ["geo.country.iso_code"]),
        ("user_agent", ["user_agent.original", "metadata.user_agent"]),
        ("model", ["gen_ai.request.model", "gen_ai.response.model"]),
    ]
    static let countFields: [(String, [String])] = [
        ("asn", ["client.asn"]),
        ("input_tokens", ["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"]),
        ("output_tokens", ["gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"]),
        ("reasoning_tokens", ["gen_ai.usage.reasoning.output_tokens"]),
        ("http_status", ["http.response.status_code"]),
    ]

    /// `unreadableStart`: a time field present but not a count of nanoseconds. Handed on as the
    /// record's `ts`, so that the canonical decoder rejects it as a bad time rather than a missing one.
    static func map(_ a: [String: Any], startNanos: Int64?, endNanos: Int64?, unreadableStart: Any? = nil) -> [String: Any] {
        var r: [String: Any] = [:]
        if let t = startNanos, t > 0 { r["ts"] = NSNumber(value: t) }
        else if let raw = unreadableStart { r["ts"] = raw as? String ?? "\(raw)" }  // as text: never read as an epoch number
        for (field, keys) in stringFields {
            if let v = keys.lazy.compactMap({ JSONValue.raw(a[$0]) }).first { r[field] = v }
        }
        for (field, keys) in countFields {
            if let v = keys.lazy.compactMap({ JSONValue.count(a[$0]) }).first { r[field] = v }
        }
        // A service that tells only its user apart has nothing else to call the account: the user
        // is the account then (and still its end user).
        if r["account_id"] == nil, let user = JSONValue.raw(a["user.id"]) { r["account_id"] = user }
        if let s = startNanos, let e = endNanos, e >= s, s > 0 { r["latency_ms"] = Double(e - s) / 1_000_000 }
        if a["error.type"] != nil { r["status"] = "failure" }
        let prompt = a["gen_ai.input.messages"] ?? a["gen_ai.prompt"] ?? a["gen_ai.prompt.0.content"]
        if let text = parsedIfJSON(prompt).flatMap({ JSONValue.promptText($0) }) { r["prompt_text"] = text }
        return r
    }

    /// Attribute values that are JSON text (gen_ai.input.messages is often serialised) are parsed.
    static func parsedIfJSON(_ v: Any?) -> Any? {
        guard let s = v as? String, let c = s.first, c == "[" || c == "{",
              let parsed = try? JSONSerialization.jsonObject(with: Data(s.utf8)) else { return v }
        return parsed
    }

    /// `[{"key": k, "value": AnyValue}]` → dictionary of plain values.
    static func attributes(_ v: Any?) -> [String: Any] {
        var out: [String: Any] = [:]
        for item in v as? [Any] ?? [] {
            guard let kv = item as? [String: Any], let key = kv["key"] as? String else { continue }
            if let value = anyValue(kv["value"]) { out[key] = value }
        }
        return out
    }

    /// An OTLP AnyValue as a plain value; int64 arrives as a decimal string in OTLP/JSON.
    static func anyValue(_ v: Any?, depth: Int = 0) -> Any? {
        guard depth < 16, let v = v as? [String: Any] else { return nil }
        if let s = v["stringValue"] { return s as? String }
        if let i = v["intValue"] {
            if let n = JSONValue.integer(i) { return NSNumber(value: n) }
            // An integer outside int64 stays a number, so the canonical rules refuse its record
            // as they refuse the same number in a canonical line (not taken as text, nor dropped).
            if let text = i as? String {
                let digits = text.hasPrefix("-") ? text.utf8.dropFirst() : text.utf8[...]
                if !digits.isEmpty && digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return NSDecimalNumber(string: text) }
            }
            return i
        }
        if let d = v["doubleValue"] { return JSONValue.number(d).map { NSNumber(value: $0) } }
        if let b = v["boolValue"] { return b as? Bool }
        if let a = v["arrayValue"] as? [String: Any] {
            return (a["values"] as? [Any] ?? []).compactMap { anyValue($0, depth: depth + 1) }
        }
        if let kv = v["kvlistValue"] as? [String: Any] {
            var out: [String: Any] = [:]
            for item in kv["values"] as? [Any] ?? [] {
                guard let e = item as? [String: Any], let key = e["key"] as? String else { continue }
                if let value = anyValue(e["value"], depth: depth + 1) { out[key] = value }
            }
            return out
        }
        if let b = v["bytesValue"] { return b as? String }
        return nil
    }

    static func nanos(_ v: Any?) -> Int64? { JSONValue.integer(v) }
    /// A count of nanoseconds since the epoch (0 meaning unset); a negative one is a bad time,
    /// as in a canonical line, not a missing one.
    static func isTime(_ v: Any) -> Bool { (nanos(v) ?? -1) >= 0 }

    static func isJSONRecord(_ s: String) -> Bool { s.utf8.first == UInt8(ascii: "{") }

    static func hasIdentity(_ a: [String: Any]) -> Bool {
        ["account.id", "user.id", "api_key.id", "metadata.user_api_key_user_id", "metadata.user_api_key_hash"].contains { a[$0] != nil }
    }
}
