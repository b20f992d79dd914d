/// An exchange written back as one line of the canonical record format, for a source that
/// delivers records already decoded (a listener, a followed file) to a process that reads lines:
/// `publish` sends such lines to the shard workers. Decoding the line gives the same exchange.
extension Exchange {
    /// The record as a canonical NDJSON line, without the newline. Absent fields are left out;
    /// `ts` is written as RFC 3339 with milliseconds (an epoch number would have its unit guessed).
    public func canonicalLine() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out.append(UInt8(ascii: "{"))
        CanonicalWriter.key("ts", into: &out)
        CanonicalWriter.quoted(Array(Timestamp.format(ts).utf8)[...], into: &out)
        for (field, name) in CanonicalWriter.textFields {
            text.withBytes(field) { bytes in
                out.append(UInt8(ascii: ","))
                CanonicalWriter.key(name, into: &out)
                CanonicalWriter.quoted(bytes, into: &out)
            }
        }
        for (name, value) in [("asn", asn), ("input_tokens", inputTokens), ("output_tokens", outputTokens),
                              ("reasoning_tokens", reasoningTokens), ("http_status", httpStatus)] {
            guard let value else { continue }
            out.append(UInt8(ascii: ","))
            CanonicalWriter.key(name, into: &out)
            out.append(contentsOf: String(value).utf8)
        }
        if let latencyMs {
            out.append(UInt8(ascii: ","))
            CanonicalWriter.key("latency_ms", into: &out)
            // The shortest digits that read back as the same double.
            out.append(contentsOf: latencyMs.description.utf8)
        }
        if status != .success {
            out.append(UInt8(ascii: ","))
            CanonicalWriter.key("status", into: &out)
            CanonicalWriter.quoted(Array(status.rawValue.utf8)[...], into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}

enum CanonicalWriter {
    /// The text fields in the order the decoder reads fastest, with their keys.
    static let textFields: [(ExchangeText.Field, String)] = [
        (.accountID, "account_id"), (.apiKeyID, "api_key_id"), (.requestID, "request_id"), (.orgID, "org_id"),
        (.endUserID, "end_user_id"), (.sessionID, "session_id"), (.clientIP, "client_ip"), (.country, "country"),
        (.userAgent, "user_agent"), (.paymentFP, "payment_fp"), (.model, "model"), (.promptText, "prompt_text"),
        (.promptFP, "prompt_fp"), (.systemFP, "system_fp"), (.toolsFP, "tools_fp"),
    ]

    static func key(_ name: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: name.utf8)
        out.append(contentsOf: "\":".utf8)
    }

    /// A JSON string of UTF-8 bytes: quote, backslash and the control bytes escaped (the
    /// latter as `\u00XX`, which every JSON reader takes); everything else as it is.
    static func quoted<Bytes: Collection>(_ bytes: Bytes, into out: inout [UInt8]) where Bytes.Element == UInt8 {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for b in bytes {
            if b < 0x20 {
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 15)])
            } else {
                if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
