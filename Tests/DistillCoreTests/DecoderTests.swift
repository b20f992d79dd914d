import XCTest
@testable import DistillCore

final class DecoderTests: XCTestCase {
    let decoder = ExchangeDecoder()
    /// 2026-04-22T09:14:03.120Z
    let t0: StreamTime = 1_776_849_243_120

    static let example = #"{"ts":"2026-04-22T09:14:03.120Z","request_id":"req_81f2","account_id":"acct_5c1e","api_key_id":"key_90ab","org_id":"org_77","session_id":"sess_3e","client_ip":"203.0.113.7","asn":64500,"country":"SG","user_agent":"python-httpx/0.27.2","payment_fp":"pm_3a9c","model":"sonnet-4","input_tokens":812,"output_tokens":2930,"latency_ms":21450,"status":"success","http_status":200,"prompt_text":"Solve the following problem step by step, showing all your reasoning: ..."}"#

    var stringFields: [(String, WritableKeyPath<Exchange, String?>)] { [
        ("api_key_id", \.apiKeyID), ("request_id", \.requestID), ("org_id", \.orgID),
        ("end_user_id", \.endUserID), ("session_id", \.sessionID), ("client_ip", \.clientIP),
        ("country", \.country), ("user_agent", \.userAgent), ("payment_fp", \.paymentFP),
        ("model", \.model), ("prompt_text", \.promptText), ("prompt_fp", \.promptFP),
        ("system_fp", \.systemFP), ("tools_fp", \.toolsFP),
    ] }
    var integerFields: [(String, WritableKeyPath<Exchange, Int64?>)] { [
        ("input_tokens", \.inputTokens), ("output_tokens", \.outputTokens),
        ("reasoning_tokens", \.reasoningTokens), ("asn", \.asn), ("http_status", \.httpStatus),
    ] }

    /// A minimal valid record plus `extra` members.
    func record(_ extra: String = "") -> String {
        #"{"ts":"2026-04-22T09:14:03.120Z","account_id":"acct""# + (extra.isEmpty ? "" : "," + extra) + "}"
    }

    @discardableResult
    func accept(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Exchange? {
        accept(Array(text.utf8), file: file, line: line)
    }

    @discardableResult
    func accept(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> Exchange? {
        switch decoder.decode(bytes) {
        case .exchange(let e): return e
        case .rejected(let r): XCTFail("rejected \(r.key): \(r.message)", file: file, line: line)
        case .blank: XCTFail("blank", file: file, line: line)
        }
        return nil
    }

    func reject(_ text: String, _ code: Rejection.Code, field: String? = nil,
                file: StaticString = #filePath, line: UInt = #line) {
        reject(Array(text.utf8), code, field: field, file: file, line: line)
    }

    func reject(_ bytes: [UInt8], _ code: Rejection.Code, field: String? = nil, decoder: ExchangeDecoder? = nil,
                file: StaticString = #filePath, line: UInt = #line) {
        let outcome = (decoder ?? self.decoder).decode(bytes)
        guard case .rejected(let r) = outcome else {
            let shown = String(decoding: bytes.prefix(200), as: UTF8.self)
            return XCTFail("expected \(code.rawValue), got \(outcome) for \(shown)", file: file, line: line)
        }
        XCTAssertEqual(r.code, code, r.message, file: file, line: line)
        XCTAssertEqual(r.field, field, file: file, line: line)
        XCTAssertFalse(r.message.isEmpty, file: file, line: line)
    }

    // MARK: happy paths

    /// Every field, in the order the schema's example writes them (the order the decoder expects
    /// and matches key by key before it falls back to scanning the key).
    static let allFieldsInWritingOrder: [(String, String)] = [
        ("ts", #""2026-04-22T09:14:03.120Z""#), ("request_id", #""req_1""#), ("account_id", #""acct_1""#),
        ("api_key_id", #""key_1""#), ("org_id", #""org_1""#), ("end_user_id", #""eu_1""#),
        ("session_id", #""sess_1""#), ("client_ip", #""203.0.113.7""#), ("asn", "64500"), ("country", #""SG""#),
        ("user_agent", #""ua/1""#), ("payment_fp", #""pm_1""#), ("model", #""sonnet-4""#),
        ("input_tokens", "812"), ("output_tokens", "2930"), ("reasoning_tokens", "17"), ("latency_ms", "21450"),
        ("status", #""failure""#), ("http_status", "429"), ("prompt_text", #""Solve \"this\"\nstep by step""#),
        ("prompt_fp", #""simhash64:ab""#), ("system_fp", #""sha256:01""#), ("tools_fp", #""sha256:02""#),
    ]

    func line(_ members: [(String, String)], keyText: (String) -> String = { "\"\($0)\"" }, colon: String = ":") -> String {
        "{" + members.map { keyText($0.0) + colon + $0.1 }.joined(separator: ",") + "}"
    }

    func testKeysDecodeTheSameInAnyOrderSpacingOrSpelling() throws {
        let fields = Self.allFieldsInWritingOrder
        let expected = try XCTUnwrap(accept(line(fields)))
        XCTAssertEqual(expected.ts, t0)
        XCTAssertEqual(expected.asn, 64500)
        XCTAssertEqual(expected.status, .failure)
        XCTAssertEqual(expected.promptText, "Solve \"this\"\nstep by step")
        XCTAssertEqual(expected.toolsFP, "sha256:02")
        XCTAssertEqual(accept(line(fields.reversed())), expected, "reversed order")
        XCTAssertEqual(accept(line(fields, colon: " : ")), expected, "spaces around colons")
        // Escaped keys spell the same names.
        XCTAssertEqual(accept(line(fields, keyText: { "\"\\u00\(String($0.utf8.first!, radix: 16))\($0.dropFirst())\"" })), expected)
        // Near misses where the expected keys would be: unknown keys, ignored.
        var nearMisses: [(String, String)] = []
        for (name, value) in fields {
            nearMisses.append((name + "_", #""junk""#))
            nearMisses.append((String(name.dropLast()), "1"))
            nearMisses.append((name, value))
        }
        XCTAssertEqual(accept(line(nearMisses)), expected, "look-alike keys around each real one")
        // Each field missing in turn, and pairs of neighbours missing: the rest still decode.
        for k in fields.indices {
            for gap in 1...2 where k + gap <= fields.count {
                var members = fields
                members.removeSubrange(k..<(k + gap))
                let names = Set(members.map(\.0))
                guard names.contains("ts"), names.contains("account_id") || names.contains("api_key_id") else { continue }
                let e = try XCTUnwrap(accept(line(members)), "without \(fields[k].0) (+\(gap - 1))")
                XCTAssertEqual(e.model, names.contains("model") ? "sonnet-4" : nil)
                XCTAssertEqual(e.httpStatus, names.contains("http_status") ? 429 : nil)
                XCTAssertEqual(e.toolsFP, names.contains("tools_fp") ? "sha256:02" : nil)
                XCTAssertEqual(e.requestID, names.contains("request_id") ? "req_1" : nil)
            }
        }
        // A repeated key: the last one wins, as on the general path.
        XCTAssertEqual(accept(line(fields + [("model", #""opus-5""#)]))?.model, "opus-5")
    }

    func testEveryCutOfAFullRecordIsRejectedNotMisread() {
        let bytes = Array(line(Self.allFieldsInWritingOrder).utf8)
        for n in 1..<bytes.count {
            guard case .rejected(let r) = decoder.decode(Array(bytes[..<n])) else {
                return XCTFail("a record cut at \(n) bytes was accepted")
            }
            XCTAssertEqual(r.code, .invalidJSON, "cut at \(n)")
        }
    }

    func testSchemaExample() throws {
        let e = try XCTUnwrap(accept(Self.example))
        XCTAssertEqual(e.ts, t0)
        XCTAssertEqual(e.accountID, "acct_5c1e")
        XCTAssertEqual(e.apiKeyID, "key_90ab")
        XCTAssertEqual(e.requestID, "req_81f2")
        XCTAssertEqual(e.orgID, "org_77")
        XCTAssertNil(e.endUserID)
        XCTAssertEqual(e.sessionID, "sess_3e")
        XCTAssertEqual(e.clientIP, "203.0.113.7")
        XCTAssertEqual(e.asn, 64500)
        XCTAssertEqual(e.country, "SG")
        XCTAssertEqual(e.userAgent, "python-httpx/0.27.2")
        XCTAssertEqual(e.paymentFP, "pm_3a9c")
        XCTAssertEqual(e.model, "sonnet-4")
        XCTAssertEqual(e.inputTokens, 812)
        XCTAssertEqual(e.outputTokens, 2930)
        XCTAssertNil(e.reasoningTokens)
        XCTAssertEqual(e.latencyMs, 21450)
        XCTAssertEqual(e.status, .success)
        XCTAssertEqual(e.httpStatus, 200)
        XCTAssertEqual(e.promptText, "Solve the following problem step by step, showing all your reasoning: ...")
        XCTAssertNil(e.promptFP)
        XCTAssertNil(e.systemFP)
        XCTAssertNil(e.toolsFP)
    }

    func testAllFieldsTogether() throws {
        let line = #"{"ts":1776849243120,"account_id":"a","api_key_id":"k","request_id":"r","org_id":"o","end_user_id":"u","#
            + #""session_id":"s","client_ip":"::1","asn":1,"country":"DE","user_agent":"ua","payment_fp":"pm","model":"m","#
            + #""input_tokens":2,"output_tokens":3,"reasoning_tokens":4,"latency_ms":5.5,"status":"failure","#
            + #""http_status":429,"prompt_text":"p","prompt_fp":"simhash64:00ff","system_fp":"sys","tools_fp":"tools"}"#
        let e = try XCTUnwrap(accept(line))
        let expected = Exchange(
            ts: t0, accountID: "a", apiKeyID: "k", requestID: "r", orgID: "o", endUserID: "u", sessionID: "s",
            clientIP: "::1", asn: 1, country: "DE", userAgent: "ua", paymentFP: "pm", model: "m", inputTokens: 2,
            outputTokens: 3, reasoningTokens: 4, latencyMs: 5.5, status: .failure, httpStatus: 429, promptText: "p",
            promptFP: "simhash64:00ff", systemFP: "sys", toolsFP: "tools")
        XCTAssertEqual(e, expected)
    }

    func testStringFields() throws {
        for (name, path) in stringFields {
            let e = try XCTUnwrap(accept(record(#""\#(name)":"v_\#(name)""#)), name)
            XCTAssertEqual(e[keyPath: path], "v_\(name)", name)
            // Empty strings are values (only api_key_id treats "" as absent).
            if name != "api_key_id" {
                XCTAssertEqual(accept(record(#""\#(name)":"""#))?[keyPath: path], "", name)
            }
            for bad in ["1", "-2.5", "true", "false", "{}", #"{"a":"b"}"#, "[]", #"["x"]"#] {
                reject(record(#""\#(name)":\#(bad)"#), .wrongType, field: name)
            }
        }
        reject(#"{"ts":"2026-04-22T09:14:03.120Z","account_id":7}"#, .wrongType, field: "account_id")
        reject(#"{"ts":"2026-04-22T09:14:03.120Z","account_id":["a"]}"#, .wrongType, field: "account_id")
    }

    func testIntegerFields() throws {
        for (name, path) in integerFields {
            let cases: [(String, Int64)] = [
                ("0", 0), ("812", 812), ("-0", 0), ("9223372036854775807", .max), ("1e3", 1000), ("2.0E2", 200),
                ("1.5e1", 15), ("0.0", 0), ("1E+2", 100), ("12300e-2", 123), ("0e999999999999", 0),
                ("1.000000000000000000000000000", 1), ("0.000e5", 0), ("922337203685477580.7e1", .max),
                ("2.50e1", 25), ("0.0000000000000000001e19", 1), ("1000000000000000000e-18", 1),
                ("10000000000000000000e-1", 1_000_000_000_000_000_000), ("12345678901234567890e-1", 1_234_567_890_123_456_789),
                ("0.000000000000000000000000000000000000000000000000001e51", 1),
                ("123456789012345678", 123_456_789_012_345_678), ("1234567890123456789", 1_234_567_890_123_456_789),
                (" 812 ", 812), ("7\t", 7),
            ]
            for (text, value) in cases {
                XCTAssertEqual(accept(record(#""\#(name)":\#(text)"#))?[keyPath: path], value, "\(name) \(text)")
            }
            for bad in ["1.5", "0.1", "1e-1", "12345e-2", #""12""#, "true", "{}", "[1]", #""""#] {
                reject(record(#""\#(name)":\#(bad)"#), .wrongType, field: name)
            }
            for negative in ["-1", "-9223372036854775808", "-1e3", "-1e30"] {
                reject(record(#""\#(name)":\#(negative)"#), .negativeValue, field: name)
            }
            for huge in ["9223372036854775808", "18446744073709551616", "1e19", "1e30",
                         "123456789012345678901234567890", "1e999999999999999"] {
                reject(record(#""\#(name)":\#(huge)"#), .badValue, field: name)
            }
            XCTAssertNil(accept(record(#""\#(name)":null"#))?[keyPath: path])
            // Not numbers at all: leading zeros, a bare point or exponent, a cut value.
            for broken in ["01", "00", "1.", "1.e3", "1e", "2x"] {
                reject(record(#""\#(name)":\#(broken)"#), .invalidJSON)
            }
            reject(#"{"ts":"2026-04-22T09:14:03.120Z","account_id":"a",""# + name + #"":12"#, .invalidJSON)
        }
    }

    func testLatency() {
        XCTAssertEqual(accept(record(#""latency_ms":21450"#))?.latencyMs, 21450)
        XCTAssertEqual(accept(record(#""latency_ms":12.5"#))?.latencyMs, 12.5)
        XCTAssertEqual(accept(record(#""latency_ms":0.1"#))?.latencyMs, 0.1)
        XCTAssertEqual(accept(record(#""latency_ms":1e3"#))?.latencyMs, 1000)
        XCTAssertEqual(accept(record(#""latency_ms":1.7976931348623157e308"#))?.latencyMs, .greatestFiniteMagnitude)
        XCTAssertEqual(accept(record(#""latency_ms":123456789012345678901234567890"#))?.latencyMs, 1.2345678901234568e29)
        XCTAssertEqual(accept(record(#""latency_ms":0.30000000000000004"#))?.latencyMs, 0.30000000000000004)
        XCTAssertEqual(accept(record(#""latency_ms":1e-400"#))?.latencyMs, 0)
        let negZero = accept(record(#""latency_ms":-0.0"#))?.latencyMs
        XCTAssertEqual(negZero, 0)
        XCTAssertEqual(negZero?.sign, .plus)
        XCTAssertNil(accept(record(#""latency_ms":null"#))?.latencyMs)
        reject(record(#""latency_ms":-1"#), .negativeValue, field: "latency_ms")
        reject(record(#""latency_ms":-0.001"#), .negativeValue, field: "latency_ms")
        reject(record(#""latency_ms":"12""#), .wrongType, field: "latency_ms")
        reject(record(#""latency_ms":[12]"#), .wrongType, field: "latency_ms")
        reject(record(#""latency_ms":1e400"#), .badValue, field: "latency_ms")
    }

    func testStatus() {
        XCTAssertEqual(accept(record(#""status":"success""#))?.status, .success)
        XCTAssertEqual(accept(record(#""status":"failure""#))?.status, .failure)
        XCTAssertEqual(accept(record())?.status, .success, "absent means success")
        XCTAssertEqual(accept(record(#""status":null"#))?.status, .success)
        XCTAssertEqual(accept(record(#""status":"f\u0061ilure""#))?.status, .failure)
        for bad in [#""Success""#, #""ok""#, #""""#, #""success ""#, #""failures""#] {
            reject(record(#""status":\#(bad)"#), .badValue, field: "status")
        }
        for wrong in ["1", "true", "{}", #"["success"]"#] {
            reject(record(#""status":\#(wrong)"#), .wrongType, field: "status")
        }
    }

    // MARK: timestamps

    func testTimestampStrings() {
        let forms: [(String, StreamTime)] = [
            ("2026-04-22T09:14:03.120Z", t0), ("2026-04-22t09:14:03.120z", t0), ("2026-04-22 09:14:03.120Z", t0),
            ("2026-04-22T09:14:03.12Z", t0), ("2026-04-22T09:14:03.120999Z", t0), ("2026-04-22T09:14:03Z", t0 - 120),
            ("2026-04-22T14:44:03.120+05:30", t0), ("2026-04-22T14:44:03.120+0530", t0),
            ("2026-04-22T01:14:03.120-08:00", t0), ("2026-04-22T01:14:03.120-0800", t0),
        ]
        for (text, value) in forms {
            XCTAssertEqual(accept(#"{"ts":"\#(text)","account_id":"a"}"#)?.ts, value, text)
        }
        XCTAssertEqual(accept(#"{"ts":"2026-04-22T09:14:03.120\u005A","account_id":"a"}"#)?.ts, t0, "escaped")
        for bad in ["", "yesterday", "2026-04-22", "2026-02-30T00:00:00Z", "2026-04-22T09:14:03.120",
                    "2026-04-22T25:00:00Z", "1776849243120"] {
            reject(#"{"ts":"\#(bad)","account_id":"a"}"#, .badTimestamp, field: "ts")
        }
    }

    func testTimestampNumbers() {
        let forms: [(String, StreamTime)] = [
            ("1776849243", t0 - 120), ("1776849243.12", t0), ("1776849243.1209", t0), ("1776849243120", t0),
            ("1776849243120.9", t0), ("1776849243120456", t0), ("1776849243120999999", t0),
            ("1.776849243120999999e18", t0), ("17768492431.20e-1", t0), ("1776849243120e0", t0), ("0", 0), ("-0", 0),
            ("99999999999", 99_999_999_999_000), ("100000000000", 100_000_000_000),
            ("9223372036854775807", 9_223_372_036_854),
            // more digits than 64 bits hold: goes through Double
            ("17768492431209999999999e-4", t0),
        ]
        for (text, value) in forms {
            XCTAssertEqual(accept(#"{"ts":\#(text),"account_id":"a"}"#)?.ts, value, text)
        }
        for bad in ["-1", "-1776849243", "-0.5", "1e30", "1e400", "99999999999999999999999999"] {
            reject(#"{"ts":\#(bad),"account_id":"a"}"#, .badTimestamp, field: "ts")
        }
    }

    func testTimestampMissingOrWrongType() {
        reject(#"{"account_id":"a"}"#, .missingTimestamp)
        reject(#"{"ts":null,"account_id":"a"}"#, .missingTimestamp)
        reject("{}", .missingTimestamp)
        reject(#"{"ts":true,"account_id":"a"}"#, .wrongType, field: "ts")
        reject(#"{"ts":{"s":1},"account_id":"a"}"#, .wrongType, field: "ts")
        reject(#"{"ts":[1776849243],"account_id":"a"}"#, .wrongType, field: "ts")
        // ts problems are reported before account problems.
        reject(#"{"ts":"bad"}"#, .badTimestamp, field: "ts")
        reject(#"{"input_tokens":-1}"#, .missingTimestamp)
    }

    // MARK: account

    func testAccountFallback() {
        let ts = #""ts":1776849243120"#
        var e = accept(#"{\#(ts),"account_id":"acct","api_key_id":"key"}"#)
        XCTAssertEqual(e?.accountID, "acct"); XCTAssertEqual(e?.apiKeyID, "key")
        e = accept(#"{\#(ts),"api_key_id":"key"}"#)
        XCTAssertEqual(e?.accountID, "key"); XCTAssertEqual(e?.apiKeyID, "key")
        e = accept(#"{\#(ts),"account_id":null,"api_key_id":"key"}"#)
        XCTAssertEqual(e?.accountID, "key")
        e = accept(#"{\#(ts),"account_id":"","api_key_id":"key"}"#)
        XCTAssertEqual(e?.accountID, "key")
        e = accept(#"{\#(ts),"account_id":"acct"}"#)
        XCTAssertEqual(e?.accountID, "acct"); XCTAssertNil(e?.apiKeyID)
        e = accept(#"{\#(ts),"account_id":"acct","api_key_id":""}"#)
        XCTAssertEqual(e?.accountID, "acct"); XCTAssertNil(e?.apiKeyID, "empty key counts as absent")
        e = accept(#"{\#(ts),"account_id":"acct","api_key_id":null}"#)
        XCTAssertNil(e?.apiKeyID)
        reject(#"{\#(ts)}"#, .missingAccount)
        reject(#"{\#(ts),"account_id":null}"#, .missingAccount)
        reject(#"{\#(ts),"account_id":"","api_key_id":""}"#, .missingAccount)
        reject(#"{\#(ts),"api_key_id":null,"org_id":"o"}"#, .missingAccount)
        reject(#"{\#(ts),"account_id":"acct","api_key_id":12}"#, .wrongType, field: "api_key_id")
        reject(#"{\#(ts),"account_id":false,"api_key_id":"k"}"#, .wrongType, field: "account_id")
    }

    // MARK: null, unknown and duplicate keys

    func testNullIsAbsent() throws {
        var members = [#""ts":"2026-04-22T09:14:03.120Z""#, #""account_id":"a""#]
        for (name, _) in stringFields where name != "api_key_id" { members.append(#""\#(name)":null"#) }
        for (name, _) in integerFields { members.append(#""\#(name)":null"#) }
        members += [#""latency_ms":null"#, #""status":null"#, #""api_key_id":null"#]
        let e = try XCTUnwrap(accept("{" + members.joined(separator: ",") + "}"))
        XCTAssertEqual(e, Exchange(ts: t0, accountID: "a"))
        // null after a value clears it (null is absence, last one wins).
        XCTAssertNil(accept(record(#""model":"m","model":null"#))?.model)
    }

    func testUnknownKeysIgnored() throws {
        let unknown = #""extra":{"a":[1,2.5e-3,{"b":null,"c":[true,false,"x\"\\\u00e9"]}],"d":{}},"list":[],"#
            + #""n":-0.0e+1,"s":"\ud83d\ude00","t":true,"f":false,"z":null,"":"empty key","TS":"upper","ts ":1"#
        let e = try XCTUnwrap(accept(record(unknown)))
        XCTAssertEqual(e, Exchange(ts: t0, accountID: "acct"))
        // Unknown values are still checked.
        reject(record(#""extra":[1,]"#), .invalidJSON)
        reject(record(#""extra":{"a"}"#), .invalidJSON)
        reject(record(#""extra":{"a":1,}"#), .invalidJSON)
        reject(record(#""extra":{1:2}"#), .invalidJSON)
        reject(record(#""extra":[1}"#), .invalidJSON)
        reject(record(#""extra":{"a":1]"#), .invalidJSON)
        reject(record(#""extra":"\q""#), .invalidJSON)
        reject(record(#""extra":01"#), .invalidJSON)
        reject(record(#""extra":nulL"#), .invalidJSON)
        reject(record(#""extra":undefined"#), .invalidJSON)
        reject(record(#""extra":[1 2]"#), .invalidJSON)
    }

    func testEscapedKeysMatch() {
        XCTAssertEqual(accept(#"{"\u0074s":"2026-04-22T09:14:03.120Z","acc\u006Funt_id":"a"}"#)?.accountID, "a")
        XCTAssertEqual(accept(record(#""m\u006f\u0064el":"m""#))?.model, "m")
        XCTAssertEqual(accept(record(#""reasoning_token\u0073":7"#))?.reasoningTokens, 7)
        XCTAssertNil(accept(record(#""model\u0000":"m""#))?.model, "a different key")
        // The longest escaped spelling of a known key still matches; anything longer cannot be one.
        let spelled = "reasoning_tokens".unicodeScalars.map { "\\u00" + String($0.value, radix: 16) }.joined()
        XCTAssertEqual(spelled.utf8.count, 96)
        XCTAssertEqual(accept(record(#""\#(spelled)":5"#))?.reasoningTokens, 5)
        XCTAssertNil(accept(record(#""\#(spelled)\u0000":5"#))?.reasoningTokens)
    }

    func testDuplicateKeysLastWins() {
        XCTAssertEqual(accept(record(#""input_tokens":1,"input_tokens":2"#))?.inputTokens, 2)
        XCTAssertEqual(accept(record(#""input_tokens":"x","input_tokens":3"#))?.inputTokens, 3)
        reject(record(#""input_tokens":3,"input_tokens":"x""#), .wrongType, field: "input_tokens")
        XCTAssertEqual(accept(#"{"ts":"junk","ts":1776849243120,"account_id":"a"}"#)?.ts, t0)
        reject(#"{"ts":1776849243120,"ts":"junk","account_id":"a"}"#, .badTimestamp, field: "ts")
        XCTAssertEqual(accept(record(#""account_id":"second""#))?.accountID, "second")
        XCTAssertEqual(accept(record(#""status":"nope","status":"failure""#))?.status, .failure)
        XCTAssertEqual(accept(record(#""status":"failure","status":null"#))?.status, .success)
        XCTAssertEqual(accept(record(#""latency_ms":-1,"latency_ms":2"#))?.latencyMs, 2)
    }

    func testFieldErrorsReportedInSchemaOrder() {
        // Two bad fields: the one earlier in the schema wins, whatever the line order.
        reject(record(#""http_status":"x","asn":-1"#), .negativeValue, field: "asn")
        reject(record(#""asn":-1,"http_status":"x""#), .negativeValue, field: "asn")
        // Syntax errors outrank field errors.
        reject(#"{"ts":"2026-04-22T09:14:03.120Z","account_id":1,"x":}"#, .invalidJSON)
    }

    // MARK: strings and escapes

    func testEscapes() {
        func prompt(_ json: String) -> String? { accept(record(#""prompt_text":"\#(json)""#))?.promptText }
        XCTAssertEqual(prompt(#"\""#), "\"")
        XCTAssertEqual(prompt(#"\\"#), "\\")
        XCTAssertEqual(prompt(#"\/"#), "/")
        XCTAssertEqual(prompt(#"\b"#), "\u{8}")
        XCTAssertEqual(prompt(#"\f"#), "\u{C}")
        XCTAssertEqual(prompt(#"\n"#), "\n")
        XCTAssertEqual(prompt(#"\r"#), "\r")
        XCTAssertEqual(prompt(#"\t"#), "\t")
        XCTAssertEqual(prompt(#"\u0041\u00e9\u00E9\u4e2d\uFFFF"#), "Aéé中\u{FFFF}")
        XCTAssertEqual(prompt(#"a\u0000b"#), "a\u{0}b", "NUL escapes are data")
        XCTAssertEqual(prompt(#"\u001b[31mred"#), "\u{1B}[31mred")
        XCTAssertEqual(prompt(#"\ud83d\ude00"#), "😀", "surrogate pair")
        XCTAssertEqual(prompt(#"\uD83D\uDE00!"#), "😀!")
        XCTAssertEqual(prompt(#"\udbff\udfff"#), "\u{10FFFF}")
        XCTAssertEqual(prompt(#"\ud83d"#), "\u{FFFD}", "lone high surrogate")
        XCTAssertEqual(prompt(#"\ude00"#), "\u{FFFD}", "lone low surrogate")
        XCTAssertEqual(prompt(#"\ud83dx"#), "\u{FFFD}x")
        XCTAssertEqual(prompt(#"\ud83d\u0041"#), "\u{FFFD}A", "high surrogate then non-surrogate")
        XCTAssertEqual(prompt(#"\ud83d\ud83d\ude00"#), "\u{FFFD}😀", "high, then a full pair")
        XCTAssertEqual(prompt(#"\ude00\ud83d"#), "\u{FFFD}\u{FFFD}", "pair in the wrong order")
        XCTAssertEqual(prompt(#"\ud83d\n"#), "\u{FFFD}\n")
        XCTAssertEqual(prompt(#"\\u0041"#), "\\u0041", "escaped backslash, then plain text")
        XCTAssertEqual(prompt("raw é 日本 😀 \u{7F}"), "raw é 日本 😀 \u{7F}")
        XCTAssertEqual(prompt(#"caf\u00e9 and caf"# + "é"), "café and café")
    }

    /// Random strings of escapes and raw text against an independent encoder, across the 8-byte copy boundaries.
    func testEscapeDecodingMatchesReference() {
        var rng = SplitMix64(seed: 11)
        let pieces: [(String, String)] = [
            ("a", "a"), ("bcdefgh", "bcdefgh"), (#"\""#, "\""), (#"\\"#, "\\"), (#"\/"#, "/"), (#"\n"#, "\n"),
            (#"\t"#, "\t"), (#"\b"#, "\u{8}"), (#"\f"#, "\u{C}"), (#"\r"#, "\r"), (#"\u00e9"#, "é"), ("é", "é"),
            (#"\u4E2D"#, "中"), ("中", "中"), (#"\ud83d\ude00"#, "😀"), ("😀", "😀"), (#"\ud800"#, "\u{FFFD}"),
            (#"\udc00"#, "\u{FFFD}"), (#"\u0000"#, "\u{0}"), (" ", " "), ("0123456789abcdef", "0123456789abcdef"),
        ]
        for _ in 0..<2000 {
            var json = "", expected = ""
            for _ in 0..<rng.below(40) {
                let (j, v) = pieces[rng.below(pieces.count)]
                json += j
                expected += v
            }
            // A lone high surrogate followed by a low-surrogate piece would pair up: keep the reference honest.
            if json.contains(#"\ud800\udc00"#) || json.contains(#"\ud800\ude00"#) { continue }
            XCTAssertEqual(accept(record(#""prompt_text":"\#(json)""#))?.promptText, expected, json)
            // Same text as an unknown value and as a key must still parse.
            accept(record(#""x\#(json)":"\#(json)""#))
        }
    }

    // MARK: rejections

    func testInvalidJSON() {
        let cases = [
            "{", "}", "{]", #"{"ts""#, #"{"ts":"#, #"{"ts":"2026"#, #"{"ts":1,"#, #"{"ts":1"#,
            #"{"ts":1}}"#, #"{"ts":1} x"#, #"{"ts":1}{}"#, #"{"ts":1},"#, #"{"ts" 1}"#, #"{ts:1}"#, "{'ts':1}",
            #"{"ts":1,}"#, #"{,"ts":1}"#, #"{"ts":1 "a":2}"#, #"{"a":tru}"#, #"{"a":nul}"#, #"{"a":True}"#,
            #"{"a":"\x"}"#, #"{"a":"\u12G4"}"#, #"{"a":"\u12"}"#, #"{"a":"\"#, #"{"a":"abc}"#,
            #"{"a":01}"#, #"{"a":1.}"#, #"{"a":.5}"#, #"{"a":+1}"#, #"{"a":-}"#, #"{"a":--1}"#, #"{"a":1e}"#,
            #"{"a":1e+}"#, #"{"a":0x10}"#, #"{"a":1.5.2}"#, #"{"a":NaN}"#, #"{"a":Infinity}"#, #"{"a":-Infinity}"#,
            #"{"a":[}"#, #"{"a":{}"#, "[1", "[1,]", #""abc"#, "tru", "1 2", "{} {}", "{\"a\":1}\u{7F}",
            "\u{FEFF}\u{FEFF}{}", #"{"input_tokens":1_000}"#,
        ]
        for line in cases { reject(line, .invalidJSON) }
    }

    func testRawControlCharactersAndNUL() {
        let base = Array(record(#""prompt_text":"ab""#).utf8)
        let quote = base.lastIndex(of: UInt8(ascii: "b"))!
        for c: UInt8 in [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1B, 0x1F] {
            var bytes = base
            bytes.insert(c, at: quote)
            reject(bytes, .invalidJSON)
        }
        // NUL outside strings, and a NUL in place of the closing brace.
        reject(Array(#"{"ts":1,"#.utf8) + [0] + Array(#""account_id":"a"}"#.utf8), .invalidJSON)
        reject(Array(record().utf8.dropLast()) + [0], .invalidJSON)
        reject(Array(record().utf8) + [0], .invalidJSON)
        reject([0], .invalidJSON)
        // DEL (0x7F) is not a JSON control character.
        var del = base
        del.insert(0x7F, at: quote)
        XCTAssertEqual(accept(del)?.promptText, "a\u{7F}b")
    }

    /// Strings are scanned sixteen bytes at a time, and the first byte that needs attention is
    /// located from the block's compare: an escape, a non-ASCII letter, a raw control character
    /// and the closing quote are each found wherever they fall, in the first block, a later
    /// one or the short tail.
    func testEveryBytePositionInAStringIsSeen() {
        let filler = Array("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVW".utf8)
        let opening = Array(#"{"ts":"2026-04-22T09:14:03.120Z","account_id":"acct","prompt_text":""#.utf8)
        let closing = Array(#""}"#.utf8)
        for length in 0...48 {
            let plain = Array(filler.prefix(length))
            XCTAssertEqual(accept(opening + plain + closing)?.promptText, String(decoding: plain, as: UTF8.self), "length \(length)")
            for position in 0...length {
                let head = Array(plain.prefix(position)), tail = Array(plain.dropFirst(position))
                let text = String(decoding: head, as: UTF8.self) + "|" + String(decoding: tail, as: UTF8.self)
                for (inserted, decoded) in [(Array(#"\""#.utf8), "\""), (Array(#"\n"#.utf8), "\n"), (Array("é".utf8), "é"), ([0x7F], "\u{7F}")] {
                    let bytes = opening + head + inserted + tail + closing
                    XCTAssertEqual(accept(bytes)?.promptText, text.replacingOccurrences(of: "|", with: decoded),
                                   "\(decoded.debugDescription) at \(position) of \(length)")
                }
                for control: UInt8 in [0x01, 0x1F] { reject(opening + head + [control] + tail + closing, .invalidJSON) }
                reject(opening + head + [0xC3] + tail + closing, .invalidUTF8)
            }
        }
    }

    func testNotAnObject() {
        for line in ["[1]", "[]", #""x""#, "3", "-1.5e3", "true", "false", "null", #" [ {"ts":1} ] "#, #"[[[["a"]]]]"#, "\"\""] {
            reject(line, .notAnObject)
        }
    }

    func testInvalidUTF8() {
        let sequences: [[UInt8]] = [
            [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF],
            [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xF8], [0xFC], [0xFE], [0xFF],
            [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xC3, 0x41], [0xE2, 0x41, 0x82], [0xF0, 0x9F, 0x41, 0x80],
        ]
        let head = Array(#"{"ts":"2026-04-22T09:14:03.120Z","account_id":"a","prompt_text":"x"#.utf8)
        let tail = Array(#"y"}"#.utf8)
        for seq in sequences {
            reject(head + seq + tail, .invalidUTF8)                                         // in a value
            reject(Array(#"{""#.utf8) + seq + Array(#"":1,"ts":1,"account_id":"a"}"#.utf8), .invalidUTF8) // in a key
            reject(Array(record().utf8) + seq, .invalidUTF8)                                // outside strings
            reject(Array(#"{"ts":"#.utf8) + seq, .invalidUTF8)                              // after a syntax error
            reject(head + seq, .invalidUTF8)                                                // at the very end
            reject(Array(#"["#.utf8) + [UInt8(ascii: "\"")] + seq + Array(#""]"#.utf8), .invalidUTF8)
        }
        // Boundary scalars that are valid.
        for ok: [UInt8] in [[0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
                            [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF]] {
            XCTAssertEqual(accept(head + ok + tail)?.promptText.map { Array($0.utf8) }, [0x78] + ok + [0x79])
        }
    }

    func testLineTooLong() throws {
        let prompt = String(repeating: "abcdefghij", count: 1_000_000)
        let line = Array(record(#""prompt_text":"\#(prompt)""#).utf8)
        XCTAssertGreaterThan(line.count, 10_000_000)
        reject(line, .lineTooLong)
        // Checked before anything else, even for garbage.
        reject([UInt8](repeating: 0xFF, count: ExchangeDecoder.defaultMaxLineBytes + 1), .lineTooLong)
        let big = ExchangeDecoder(maxLineBytes: 16 << 20)
        guard case .exchange(let e) = big.decode(line) else { return XCTFail("raised limit should parse") }
        XCTAssertEqual(e.promptText?.utf8.count, 10_000_000)
        // Exactly at the limit is fine; one more byte is not.
        let small = Array(record().utf8)
        XCTAssertNotNil(try? ok(ExchangeDecoder(maxLineBytes: small.count).decode(small)))
        reject(small, .lineTooLong, decoder: ExchangeDecoder(maxLineBytes: small.count - 1))
    }

    private func ok(_ outcome: DecodeOutcome) throws -> Exchange {
        guard case .exchange(let e) = outcome else { throw Rejection(.invalidJSON, message: "\(outcome)") }
        return e
    }

    func testDeepNesting() {
        reject(String(repeating: "[", count: 100_000), .invalidJSON)
        reject(String(repeating: "{\"a\":", count: 100_000), .invalidJSON)
        reject(record(#""x":"# + String(repeating: "[", count: 100_000)), .invalidJSON)
        let closed = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        reject(record(#""x":"# + closed), .invalidJSON)
        reject(closed, .invalidJSON)
        // The record is depth 1, so 63 nested levels are the most allowed.
        let ok63 = String(repeating: #"{"a":["#, count: 31) + "[1]" + String(repeating: "]}", count: 31)
        XCTAssertNotNil(accept(record(#""x":"# + ok63)))
        let deep64 = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        reject(record(#""x":"# + deep64), .invalidJSON)
        let top64 = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        reject(top64, .notAnObject)
        reject("[" + top64 + "]", .invalidJSON)
    }

    // MARK: framing

    func testBlankLines() {
        for line in ["", " ", "\t", "\r", " \t \r", "\u{FEFF}", "\u{FEFF}  \r", "\n"] {
            guard case .blank = decoder.decode(line) else { return XCTFail("not blank: \(Array(line.utf8))") }
        }
        guard case .blank = decoder.decode(UnsafeRawBufferPointer(start: nil, count: 0)) else {
            return XCTFail("empty buffer")
        }
    }

    func testBOMCarriageReturnAndWhitespace() {
        XCTAssertEqual(accept("\u{FEFF}" + Self.example)?.ts, t0)
        XCTAssertEqual(accept(Self.example + "\r")?.ts, t0)
        XCTAssertEqual(accept("  \t" + Self.example + " \t\r")?.ts, t0)
        XCTAssertEqual(accept(#"{ "ts" : 1776849243120 , "account_id" : "a" }"#)?.ts, t0)
        reject(" \u{FEFF}" + Self.example, .invalidJSON)
        reject(Self.example + "\r\r x", .invalidJSON)
    }

    func testEntryPointsAgree() {
        let lines = [Self.example, record(#""prompt_text":"é\n😀""#), "[1]", "{", " "]
        for line in lines {
            let viaString = "\(decoder.decode(line))"
            let viaBytes = "\(decoder.decode(Array(line.utf8)))"
            let viaBuffer = Array(line.utf8).withUnsafeBytes { "\(decoder.decode($0))" }
            XCTAssertEqual(viaString, viaBytes)
            XCTAssertEqual(viaString, viaBuffer)
        }
    }

    // MARK: robustness

    func testEveryPrefixOfAValidLine() {
        let ascii = Array(Self.example.utf8)
        for n in 0..<ascii.count {
            switch decoder.decode(Array(ascii[0..<n])) {
            case .blank: XCTAssertEqual(n, 0)
            case .rejected(let r): XCTAssertEqual(r.code, .invalidJSON, "prefix \(n)")
            case .exchange: XCTFail("prefix \(n) accepted")
            }
        }
        // With multi-byte text a prefix may also end inside a UTF-8 sequence.
        let text = Array(record(#""prompt_text":"日本語 é 😀 \u00e9 \ud83d\ude00""#).utf8)
        for n in 0..<text.count {
            let cutsSequence = n < text.count && text[n] & 0xC0 == 0x80
            switch decoder.decode(Array(text[0..<n])) {
            case .blank: XCTAssertEqual(n, 0)
            case .rejected(let r): XCTAssertEqual(r.code, cutsSequence ? .invalidUTF8 : .invalidJSON, "prefix \(n)")
            case .exchange: XCTFail("prefix \(n) accepted")
            }
        }
    }

    func testMutationFuzz() {
        var rng = SplitMix64(seed: 0xD15_7111)
        let seeds = [
            Self.example,
            record(#""prompt_text":"line\none \"q\" é 日本 😀 \ud83d\ude00 \ud800","latency_ms":1.5e2,"x":[{"y":null}]"#),
            #"{"ts":1776849243120999999,"api_key_id":"k","status":"failure","asn":1e3,"tools_fp":"t"}"#,
        ].map { Array($0.utf8) }
        let interesting: [UInt8] = [0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x3A, 0x2C, 0x00, 0x0A, 0x80, 0xC3, 0xED,
                                    0xF0, 0xFF, 0x75, 0x30, 0x2D, 0x65, 0x2E, 0x20, 0x6E]
        var counts = [0, 0, 0]
        for _ in 0..<20_000 {
            var bytes = seeds[rng.below(seeds.count)]
            for _ in 0...rng.below(3) {
                let at = rng.below(bytes.count + 1)
                let value = rng.below(2) == 0 ? interesting[rng.below(interesting.count)] : UInt8(truncatingIfNeeded: rng.next())
                switch rng.below(3) {
                case 0 where at < bytes.count: bytes[at] = value
                case 1: bytes.insert(value, at: at)
                default: if at < bytes.count { bytes.remove(at: at) }
                }
            }
            switch decoder.decode(bytes) {
            case .exchange(let e):
                counts[0] += 1
                XCTAssertFalse(e.accountID.isEmpty)
                XCTAssertLessThanOrEqual(e.ts, Timestamp.maxMillis)
                XCTAssertTrue(isUTF8(bytes))
            case .rejected(let r):
                counts[1] += 1
                XCTAssertFalse(r.message.isEmpty)
                let fieldLevel: Set<Rejection.Code> = [.badTimestamp, .wrongType, .negativeValue, .badValue]
                XCTAssertEqual(r.field != nil, fieldLevel.contains(r.code), r.key)
                if r.code == .invalidUTF8 {
                    XCTAssertFalse(isUTF8(bytes))
                }
            case .blank:
                counts[2] += 1
            }
            // Deterministic.
            XCTAssertEqual("\(decoder.decode(bytes))", "\(decoder.decode(bytes))")
        }
        XCTAssertGreaterThan(counts[0], 100, "some mutations still decode")
        XCTAssertGreaterThan(counts[1], 10_000, "most mutations are rejected")
    }

    func isUTF8(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { b in b.baseAddress.map { UTF8Check.firstInvalid($0, b.count) == nil } ?? true }
    }

    func testRandomBytesNeverCrash() {
        var rng = SplitMix64(seed: 99)
        let alphabet = Array(#"{}[]:,"\u0123456789eE.-+truefalsnl "#.utf8) + [0x00, 0x80, 0xC3, 0xA9, 0xFF, 0x0A]
        for _ in 0..<5_000 {
            let bytes = (0..<rng.below(64)).map { _ in alphabet[rng.below(alphabet.count)] }
            let outcome = decoder.decode(bytes)
            if case .exchange = outcome { XCTFail("random bytes accepted: \(bytes)") }
        }
    }
}
