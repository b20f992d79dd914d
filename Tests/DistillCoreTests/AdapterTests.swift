import XCTest
@testable import DistillCore

/// Adapters rename other formats onto the canonical record; these check the renaming field by
/// field, detection in `auto`, and that adapted records are judged by the canonical rules.
final class AdapterTests: XCTestCase {
    func decode(_ line: String, _ format: RecordFormat = .auto) -> [DecodeOutcome] {
        var out: [DecodeOutcome] = []
        var text = line
        text.withUTF8 { RecordAdapter(format: format).decodeLine(UnsafeRawBufferPointer($0)) { out.append($0) } }
        return out
    }

    func exchanges(_ outcomes: [DecodeOutcome]) -> [Exchange] {
        outcomes.compactMap { if case .exchange(let e) = $0 { return e } else { return nil } }
    }

    func rejections(_ outcomes: [DecodeOutcome]) -> [String] {
        outcomes.compactMap { if case .rejected(let r) = $0 { return r.key } else { return nil } }
    }

    // Shaped like litellm 1.x StandardLoggingPayload (litellm/types/utils.py).
    let litellm = #"{"id":"chatcmpl-9","trace_id":"t","session_id":"sess_1","call_type":"acompletion","status":"failure","prompt_tokens":12,"completion_tokens":40,"total_tokens":52,"startTime":1776849243.12,"endTime":1776849245.62,"model":"gpt-4o-mini","end_user":"eu_1","requester_ip_address":"203.0.113.7","user_agent":"OpenAI/Python 1.40","messages":[{"role":"system","content":"be terse"},{"role":"user","content":[{"type":"text","text":"Show your reasoning"}]}],"error_information":{"error_code":"429","error_class":"RateLimitError"},"metadata":{"user_api_key_user_id":"acct_1","user_api_key_hash":"88dc28","user_api_key_org_id":"org_7","requester_metadata":{"payment_fp":"pm_1"}}}"#

    /// A line's array holds records, as a request body's does: an array inside it, empty or
    /// not, is one counted rejection, in every format that reads arrays.
    func testAnArrayInsideALinesArrayIsCountedNotReadThrough() {
        for format in [RecordFormat.auto, .litellm] {
            let outcomes = decode("[" + litellm + ",[],[" + litellm + "]]", format)
            XCTAssertEqual(exchanges(outcomes).count, 1, "\(format)")
            XCTAssertEqual(rejections(outcomes), ["not_an_object", "not_an_object"], "\(format)")
        }
    }

    func testLiteLLMPayloadMapsOntoTheRecord() throws {
        let e = try XCTUnwrap(exchanges(decode(litellm, .litellm)).first)
        XCTAssertEqual(e.ts, 1_776_849_243_120)
        XCTAssertEqual(e.accountID, "acct_1")
        XCTAssertEqual(e.apiKeyID, "88dc28")
        XCTAssertEqual(e.requestID, "chatcmpl-9")
        XCTAssertEqual(e.orgID, "org_7")
        XCTAssertEqual(e.endUserID, "eu_1")
        XCTAssertEqual(e.sessionID, "sess_1")
        XCTAssertEqual(e.clientIP, "203.0.113.7")
        XCTAssertEqual(e.userAgent, "OpenAI/Python 1.40")
        XCTAssertEqual(e.model, "gpt-4o-mini")
        XCTAssertEqual(e.inputTokens, 12)
        XCTAssertEqual(e.outputTokens, 40)
        XCTAssertEqual(e.latencyMs ?? 0, 2500, accuracy: 1)
        XCTAssertEqual(e.status, .failure)
        XCTAssertEqual(e.httpStatus, 429)
        XCTAssertEqual(e.paymentFP, "pm_1")
        XCTAssertEqual(e.promptText, "be terse\nShow your reasoning")
        // auto finds it too, and a JSON array of payloads (json_array) gives one record each.
        XCTAssertEqual(exchanges(decode(litellm)).count, 1)
        XCTAssertEqual(exchanges(decode("[\(litellm),\(litellm)]")).count, 2)
    }

    func testACanonicalReaderSaysWhenALineLooksLikeAnotherFormat() {
        func messages(_ line: String) -> [String] {
            decode(line, .canonical).compactMap { if case .rejected(let r) = $0 { return r.message } else { return nil } }
        }
        // Still rejected under the canonical reason, and the reason names the way out.
        XCTAssertEqual(rejections(decode(litellm, .canonical)), ["missing_ts"])
        XCTAssertEqual(messages(litellm), [#"ts is missing (the line has "startTime", a key of another record format: try --input-format auto)"#])
        let otlp = #"{"resourceLogs":[{"scopeLogs":[]}]}"#
        XCTAssertEqual(messages(otlp).first?.contains(#"the line has "resourceLogs""#), true)
        // A canonical line with a real problem gets no hint, even when its prompt mentions a key.
        XCTAssertEqual(messages(#"{"account_id":"a","prompt_text":"what is \"metadata\"?"}"#), ["ts is missing"])
        XCTAssertEqual(messages(#"{"ts":1776849243120}"#), ["neither account_id nor api_key_id is present"])
        // Under auto the other formats were tried already: nothing to suggest.
        let notLiteLLM = decode(#"{"account_id":"a","metadata":{"team":"x"}}"#, .auto)
        XCTAssertEqual(notLiteLLM.compactMap { if case .rejected(let r) = $0 { return r.message } else { return nil } }, ["ts is missing"])
    }

    func testLiteLLMModelIsTheGroupTheClientAskedFor() throws {
        // The proxy logs the backend (`openai/gpt-4o-mini`) as `model`, the client's name as `model_group`.
        let routed = litellm.replacingOccurrences(of: #""model":"gpt-4o-mini""#, with: #""model":"openai/gpt-4o-mini","model_group":"fast-chat""#)
        XCTAssertEqual(try XCTUnwrap(exchanges(decode(routed, .litellm)).first).model, "fast-chat")
        let emptyGroup = litellm.replacingOccurrences(of: #""model":"gpt-4o-mini""#, with: #""model":"openai/gpt-4o-mini","model_group":"""#)
        XCTAssertEqual(try XCTUnwrap(exchanges(decode(emptyGroup, .litellm)).first).model, "openai/gpt-4o-mini", "an empty group is no group")
        let noSession = litellm.replacingOccurrences(of: #""session_id":"sess_1""#, with: #""session_id":"""#)
        XCTAssertNil(try XCTUnwrap(exchanges(decode(noSession, .litellm)).first).sessionID, "an empty session id is no session")
    }

    func testAdaptedRecordsObeyTheCanonicalRules() {
        let noAccount = litellm.replacingOccurrences(of: #""user_api_key_user_id":"acct_1","user_api_key_hash":"88dc28","#, with: "")
        XCTAssertEqual(rejections(decode(noAccount, .litellm)), ["missing_account"])
        let negative = litellm.replacingOccurrences(of: #""prompt_tokens":12"#, with: #""prompt_tokens":-3"#)
        XCTAssertEqual(rejections(decode(negative, .litellm)), ["negative_value:input_tokens"])
        let wrongType = litellm.replacingOccurrences(of: #""model":"gpt-4o-mini""#, with: #""model":true"#)
        XCTAssertEqual(rejections(decode(wrongType, .litellm)), ["wrong_type:model"])
        XCTAssertEqual(rejections(decode("not json", .litellm)), ["invalid_json"])
        // Too deep once mapped: said the same way every time, with no offset into the
        // re-encoded record (whose key order would otherwise move it from run to run).
        let deep = litellm.replacingOccurrences(of: #""prompt_tokens":12"#,
                                                with: #""prompt_tokens":"# + String(repeating: "[", count: 70) + String(repeating: "]", count: 70))
        for _ in 0..<5 {
            let messages = decode(deep, .litellm).compactMap { if case .rejected(let r) = $0 { return r.message } else { return nil } }
            XCTAssertEqual(messages, ["invalid JSON: nesting deeper than \(ExchangeDecoder.maxDepth)"])
        }
        // A canonical line with a real problem keeps the fast decoder's reason under auto.
        XCTAssertEqual(rejections(decode(#"{"account_id":"a"}"#)), ["missing_ts"])
        XCTAssertEqual(rejections(decode(#"{"ts":1776849243120,"account_id":"a","input_tokens":"x"}"#)), ["wrong_type:input_tokens"])
    }

    func testOTLPSpansWithOldAndNewNames() throws {
        func a(_ k: String, _ v: String) -> String { #"{"key":"\#(k)","value":{"stringValue":"\#(v)"}}"# }
        func i(_ k: String, _ v: Int) -> String { #"{"key":"\#(k)","value":{"intValue":"\#(v)"}}"# }
        let span = #"{"startTimeUnixNano":"1776849243120000000","endTimeUnixNano":"1776849244120000000","status":{"code":2},"attributes":["#
            + [a("user.id", "acct_9"), a("session.id", "s"), a("client.address", "192.0.2.1"), a("user_agent.original", "ua"),
               i("gen_ai.usage.prompt_tokens", 7), i("gen_ai.usage.completion_tokens", 70), i("gen_ai.usage.reasoning.output_tokens", 30),
               a("gen_ai.request.model", "m"), a("gen_ai.response.id", "r1"), i("http.response.status_code", 500),
               a("gen_ai.input.messages", #"[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hello\"}]}]"#)].joined(separator: ",") + "]}"
        let request = #"{"resourceSpans":[{"resource":{"attributes":[\#(a("metadata.user_api_key_hash", "k1"))]},"scopeSpans":[{"spans":[\#(span)]}]}]}"#
        let e = try XCTUnwrap(exchanges(decode(request)).first)
        XCTAssertEqual(e.ts, 1_776_849_243_120)
        XCTAssertEqual(e.accountID, "acct_9")
        XCTAssertEqual(e.apiKeyID, "k1", "resource attributes apply to every span")
        XCTAssertEqual(e.sessionID, "s")
        XCTAssertEqual(e.clientIP, "192.0.2.1")
        XCTAssertEqual(e.userAgent, "ua")
        XCTAssertEqual(e.inputTokens, 7)
        XCTAssertEqual(e.outputTokens, 70)
        XCTAssertEqual(e.reasoningTokens, 30)
        XCTAssertEqual(e.requestID, "r1")
        XCTAssertEqual(e.httpStatus, 500)
        XCTAssertEqual(e.latencyMs ?? 0, 1000, accuracy: 0.001)
        XCTAssertEqual(e.status, .failure)
        XCTAssertEqual(e.promptText, "hello")
        // New names win over old ones when both are present.
        let both = request.replacingOccurrences(of: i("gen_ai.usage.prompt_tokens", 7), with: i("gen_ai.usage.prompt_tokens", 7) + "," + i("gen_ai.usage.input_tokens", 9))
        XCTAssertEqual(exchanges(decode(both, .otlp)).first?.inputTokens, 9)
        // A start time that is there but not nanoseconds is a bad time, not a missing one; a
        // fraction is not read as epoch seconds either.
        for bad in [#""x""#, "1.5", #""""#] {
            let broken = request.replacingOccurrences(of: #""startTimeUnixNano":"1776849243120000000""#, with: #""startTimeUnixNano":"# + bad)
            XCTAssertEqual(rejections(decode(broken, .otlp)), ["bad_ts:ts"], bad)
        }
        let absent = request.replacingOccurrences(of: #""startTimeUnixNano":"1776849243120000000","#, with: "")
        XCTAssertEqual(rejections(decode(absent, .otlp)), ["missing_ts"])
    }

    /// A negative OTLP time is there but wrong, as a negative `ts` in a canonical line is: a
    /// bad time, not a missing one, for spans and for logs (where 0 means unset).
    func testANegativeOTLPTimeIsABadTimeNotAMissingOne() {
        let account = #"{"key":"account.id","value":{"stringValue":"acct_n"}}"#
        for time in [#""-5""#, "-5"] {
            let span = #"{"resourceSpans":[{"resource":{"attributes":["# + account + #"]},"scopeSpans":[{"spans":[{"startTimeUnixNano":"# + time + "}]}]}]}"
            XCTAssertEqual(rejections(decode(span, .otlp)), ["bad_ts:ts"], span)
            let log = #"{"resourceLogs":[{"resource":{"attributes":["# + account + #"]},"scopeLogs":[{"logRecords":[{"timeUnixNano":"# + time + "}]}]}]}"
            XCTAssertEqual(rejections(decode(log, .otlp)), ["bad_ts:ts"], log)
            // The observed time stands in for a log's own, as it does for 0.
            let observed = log.replacingOccurrences(of: #""timeUnixNano":"# + time, with: #""timeUnixNano":"# + time + #","observedTimeUnixNano":"1776849243120000000""#)
            XCTAssertEqual(exchanges(decode(observed, .otlp)).first?.ts, 1_776_849_243_120, observed)
        }
        let unset = #"{"resourceLogs":[{"resource":{"attributes":["# + account + #"]},"scopeLogs":[{"logRecords":[{"timeUnixNano":"0"}]}]}]}"#
        XCTAssertEqual(rejections(decode(unset, .otlp)), ["missing_ts"])
    }

    /// A Kafka message with an empty payload holds no record: it is counted, as a null one is,
    /// not passed over as the blank line it unwraps to (nothing is dropped without a count).
    func testAnEmptyKcatMessageIsCounted() {
        for payload in [#""""#, #""   ""#, #""\r\n""#, "null"] {
            let envelope = #"{"topic":"ex","partition":0,"offset":9,"payload":"# + payload + "}"
            XCTAssertEqual(rejections(decode(envelope, .kcat)), ["bad_value:payload"], envelope)
            XCTAssertEqual(rejections(decode(envelope)), ["bad_value:payload"], envelope)
        }
    }

    func testKcatEnvelopeIsUnwrapped() {
        let inner = #"{\"ts\":\"2026-04-22T09:14:03.120Z\",\"account_id\":\"acct_k\"}"#
        let envelope = #"{"topic":"ex","partition":2,"offset":7,"tstype":"create","ts":1776849243120,"broker":1,"key":null,"payload":"\#(inner)"}"#
        XCTAssertEqual(exchanges(decode(envelope, .kcat)).first?.accountID, "acct_k")
        XCTAssertEqual(exchanges(decode(envelope)).first?.accountID, "acct_k")
        XCTAssertEqual(rejections(decode(#"{"topic":"ex","partition":0,"payload":"{\"nope\":1}"}"#)), ["missing_ts"])
        XCTAssertEqual(rejections(decode(#"{"topic":"ex","partition":0,"payload":null}"#)), ["bad_value:payload"])
    }

    func testALineHoldingNoRecordIsCounted() {
        // Every non-blank line gives at least one outcome, or it would be counted nowhere.
        for line in ["[]", "[ ]", #"{"resourceLogs":[]}"#, #"{"resourceSpans":[]}"#, #"{"resourceLogs":[{}]}"#] {
            for format in [RecordFormat.auto, .otlp] {
                XCTAssertEqual(rejections(decode(line, format)), ["not_an_object"], "\(format): \(line)")
            }
        }
        XCTAssertEqual(rejections(decode("[]", .canonical)), ["not_an_object"])
    }

    /// JSON the reader of other formats cannot hold is a bad value; broken JSON is invalid JSON,
    /// and says where it breaks.
    func testANumberPastADoubleIsABadValueNotBrokenJSON() {
        func rejected(_ line: String, _ format: RecordFormat) -> [(key: String, message: String)] {
            decode(line, format).compactMap { if case .rejected(let r) = $0 { return (r.key, r.message) } else { return nil } }
        }
        let huge = litellm.replacingOccurrences(of: "\"startTime\":1776849243.12", with: "\"startTime\":1e400")
        for format in [RecordFormat.litellm, .auto] {
            XCTAssertEqual(rejected(huge, format).map(\.key), ["bad_value"], "\(format)")
            XCTAssertTrue(rejected(huge, format).first?.message.contains("past a double's range") == true, "\(rejected(huge, format))")
        }
        let broken = String(litellm.dropLast())
        XCTAssertEqual(rejected(broken, .litellm).map(\.key), ["invalid_json"])
        XCTAssertTrue(rejected(broken, .litellm).first?.message.hasSuffix("(litellm expected)") == true, "\(rejected(broken, .litellm))")
        XCTAssertEqual(rejected("[" + litellm + ",", .litellm).map(\.key), ["invalid_json"])
        XCTAssertEqual(rejected(#"{"startTime":1e400,"#, .litellm).map(\.key), ["invalid_json"])
        XCTAssertEqual(rejected("{\"startTime\":1,\"x\":\"\u{1}\"}", .litellm).map(\.key), ["invalid_json"], "a raw control character")
    }

    func testHostileInputNeverCrashes() {
        let nasty = [String(repeating: "[", count: 100_000), String(repeating: #"{"a":"#, count: 10_000),
                     #"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"kvlistValue":{"values":[{"key":"user.id","value":{"intValue":"x"}}]}}}]}]}]}"#,
                     #"{"startTime":1e308,"endTime":-1e308,"metadata":{"user_api_key_user_id":"a"}}"#,
                     #"{"topic":"t","partition":0,"payload":"{\"topic\":\"t\",\"partition\":0,\"payload\":\"x\"}"}"#]
        for text in nasty {
            for format in RecordFormat.allCases { _ = decode(text, format) }
        }
    }
}
