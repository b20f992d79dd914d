@testable import DistillCore
@testable import DistillFeeds
import SwiftProtobuf
import XCTest

/// OTLP/HTTP protobuf bodies, as OpenTelemetry's SDK exporters and the Collector's `otlphttp`
/// exporter send them by default, through the HTTP receiver.
final class OTLPProtobufTests: XCTestCase {
    typealias KeyValue = Distillwatch_Otlp_KeyValue
    let base: UInt64 = 1_776_000_000_000_000_000

    func attribute(_ key: String, _ value: String) -> KeyValue {
        var kv = KeyValue()
        kv.key = key
        kv.value.stringValue = value
        return kv
    }

    func attribute(_ key: String, _ value: Int64) -> KeyValue {
        var kv = KeyValue()
        kv.key = key
        kv.value.intValue = value
        return kv
    }

    /// Three spans of a GenAI gateway: the account on the resource, the end user in `user.id`.
    func traces() -> Distillwatch_Otlp_TracesExportRequest {
        var scope = Distillwatch_Otlp_ScopeSpans()
        for i in 0..<3 {
            var span = Distillwatch_Otlp_Span()
            span.startTimeUnixNano = base + UInt64(i) * 1_000_000_000
            span.endTimeUnixNano = span.startTimeUnixNano + 2_500_000_000
            span.attributes = [
                attribute("user.id", "end_user_\(i)"), attribute("gen_ai.response.id", "resp_\(i)"),
                attribute("gen_ai.request.model", "gpt-4o-mini"), attribute("gen_ai.usage.input_tokens", Int64(100 + i)),
                attribute("gen_ai.usage.output_tokens", 2000), attribute("client.address", "192.0.2.\(i + 1)"),
                attribute("gen_ai.input.messages", #"[{"role":"user","content":"Explain your reasoning step by step"}]"#),
            ]
            if i == 2 { span.status.code = 2 }
            scope.spans.append(span)
        }
        var resource = Distillwatch_Otlp_ResourceSpans()
        resource.resource.attributes = [attribute("account.id", "acct_gateway"), attribute("service.name", "gateway")]
        resource.scopeSpans = [scope]
        var request = Distillwatch_Otlp_TracesExportRequest()
        request.resourceSpans = [resource]
        return request
    }

    /// Posts `body` to `path` and returns the reply's head and body, and what was ingested.
    func post(_ path: String, _ body: [UInt8], headers: [String] = ["Content-Type: application/x-protobuf"])
        -> (head: String, body: [UInt8], exchanges: [Exchange], ledger: InputLedger) {
        let receiver = try! EmbeddedReceiver()
        let head = "POST \(path) HTTP/1.1\r\nHost: x\r\n" + headers.map { $0 + "\r\n" }.joined() + "Content-Length: \(body.count)\r\n\r\n"
        let raw = receiver.send(Array(head.utf8) + body)
        let exchanges = receiver.exchanges
        let split = raw.indices.first { i in i + 3 < raw.count && raw[i] == 13 && raw[i + 1] == 10 && raw[i + 2] == 13 && raw[i + 3] == 10 } ?? raw.count
        let replyHead = String(decoding: raw[..<split], as: UTF8.self)
        let replyBody = split + 4 <= raw.count ? Array(raw[(split + 4)...]) : []
        return (replyHead, replyBody, exchanges, receiver.ledger)
    }

    func testSpansBecomeRecordsWithTheAccountEndUserTokensAndStatus() throws {
        let result = post("/v1/traces", try traces().serializedBytes())
        XCTAssertTrue(result.head.hasPrefix("HTTP/1.1 200"), result.head)
        XCTAssertTrue(result.head.contains("Content-Type: application/x-protobuf"), "OTLP replies in the request's encoding")
        let reply = try Distillwatch_Otlp_TracesExportReply(serializedBytes: result.body)
        XCTAssertFalse(reply.hasPartialSuccess, "every span was taken")
        XCTAssertEqual(result.exchanges.count, 3)
        let first = try XCTUnwrap(result.exchanges.first)
        XCTAssertEqual(first.accountID, "acct_gateway", "account.id on the resource is the account")
        XCTAssertEqual(first.endUserID, "end_user_0", "user.id is the end user")
        XCTAssertEqual(first.inputTokens, 100)
        XCTAssertEqual(first.outputTokens, 2000)
        XCTAssertEqual(first.requestID, "resp_0")
        XCTAssertEqual(first.clientIP, "192.0.2.1")
        XCTAssertEqual(first.ts, Int64(base / 1_000_000))
        XCTAssertEqual(first.latencyMs, 2500)
        XCTAssertEqual(first.promptText, "Explain your reasoning step by step")
        XCTAssertEqual(result.exchanges.map(\.status), [.success, .success, .failure], "status code 2 is an error")
    }

    func testGzipBodiesAsTheCollectorSendsThem() throws {
        let plain: [UInt8] = try traces().serializedBytes()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("otlp-pb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("body")
        try Data(plain).write(to: file)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -c '\(file.path)' > '\(file.path).gz'"]
        try gzip.run()
        gzip.waitUntilExit()
        let compressed = Array(try Data(contentsOf: URL(fileURLWithPath: file.path + ".gz")))
        let result = post("/v1/traces", compressed, headers: [
            "Content-Type: application/x-protobuf", "Content-Encoding: gzip", "User-Agent: OpenTelemetry Collector Contrib/0.115.0",
        ])
        XCTAssertTrue(result.head.hasPrefix("HTTP/1.1 200"), result.head)
        XCTAssertEqual(result.exchanges.count, 3)
    }

    func testRefusedLogRecordsAreReportedInTheLogsField() throws {
        var record = Distillwatch_Otlp_LogRecord()
        record.timeUnixNano = base
        record.body.stringValue = "hello"
        record.attributes = [attribute("gen_ai.request.model", "m")]  // no account, no user
        var good = Distillwatch_Otlp_LogRecord()
        good.observedTimeUnixNano = base  // no event time: the observed time stands in
        good.body.stringValue = "Show your chain of thought"
        good.attributes = [attribute("user.id", "solo_user")]
        var scope = Distillwatch_Otlp_ScopeLogs()
        scope.logRecords = [record, good]
        var resource = Distillwatch_Otlp_ResourceLogs()
        resource.scopeLogs = [scope]
        var request = Distillwatch_Otlp_LogsExportRequest()
        request.resourceLogs = [resource]
        let result = post("/v1/logs", try request.serializedBytes())
        XCTAssertTrue(result.head.hasPrefix("HTTP/1.1 200"), result.head)
        let reply = try Distillwatch_Otlp_LogsExportReply(serializedBytes: result.body)
        XCTAssertEqual(reply.partialSuccess.rejectedLogRecords, 1)
        XCTAssertFalse(reply.partialSuccess.errorMessage.isEmpty)
        XCTAssertEqual(result.ledger.rejectedTotal, 1)
        let taken = try XCTUnwrap(result.exchanges.first)
        XCTAssertEqual(taken.accountID, "solo_user", "with no account attribute the user stands in for the account")
        XCTAssertEqual(taken.endUserID, "solo_user")
        XCTAssertEqual(taken.promptText, "Show your chain of thought")
    }

    func testFieldsTheReceiverDoesNotReadAreSkipped() throws {
        // trace_id (1, bytes), name (5, string) and kind (6, varint) precede the fields it reads.
        var span: [UInt8] = [0x0A, 0x02, 0xAB, 0xCD, 0x2A, 0x04] + Array("chat".utf8) + [0x30, 0x03]
        span += try traces().resourceSpans[0].scopeSpans[0].spans[0].serializedBytes() as [UInt8]
        let scope: [UInt8] = [0x12] + varint(span.count) + span  // ScopeSpans.spans
        let resource: [UInt8] = [0x12] + varint(scope.count) + scope  // ResourceSpans.scope_spans
        let body: [UInt8] = [0x0A] + varint(resource.count) + resource  // request.resource_spans
        var withAccount = try Distillwatch_Otlp_TracesExportRequest(serializedBytes: body)
        withAccount.resourceSpans[0].resource.attributes = [attribute("account.id", "a")]
        let result = post("/v1/traces", try withAccount.serializedBytes())
        XCTAssertEqual(result.exchanges.count, 1)
        XCTAssertEqual(result.exchanges.first?.requestID, "resp_0")
    }

    func testGarbageAndHostileNestingGetA400AndAreCounted() throws {
        let garbage = post("/v1/logs", Array("not protobuf at all \u{1}\u{2}".utf8) + [0xFF, 0xFF, 0xFF])
        XCTAssertTrue(garbage.head.hasPrefix("HTTP/1.1 400"), garbage.head)
        XCTAssertEqual(garbage.ledger.rejectedTotal, 1, "the lost request is counted")
        XCTAssertEqual(garbage.ledger.rejectedByReason, ["invalid_protobuf": 1], "under a reason of its own, not as JSON")
        let status = try Distillwatch_Otlp_ErrorStatus(serializedBytes: garbage.body)
        XCTAssertEqual(status.code, 3)

        // AnyValue arrays nested 5,000 deep: refused by the depth limit, not a stack overflow.
        var value = Distillwatch_Otlp_AnyValue()
        value.stringValue = "x"
        var nested: [UInt8] = try value.serializedBytes()
        for _ in 0..<5_000 {
            let list: [UInt8] = [0x0A] + varint(nested.count) + nested  // ValueList.values
            nested = [0x2A] + varint(list.count) + list  // AnyValue.array_value
        }
        let kv: [UInt8] = [0x0A, 0x01, 0x6B, 0x12] + varint(nested.count) + nested  // key "k", value
        let resource: [UInt8] = [0x0A] + varint(kv.count) + kv  // Resource.attributes
        let resourceLogs: [UInt8] = [0x0A] + varint(resource.count) + resource  // ResourceLogs.resource
        let request: [UInt8] = [0x0A] + varint(resourceLogs.count) + resourceLogs
        let deep = post("/v1/logs", request)
        XCTAssertTrue(deep.head.hasPrefix("HTTP/1.1 400"), deep.head)
        XCTAssertEqual(deep.exchanges.count, 0)
    }

    func varint(_ n: Int) -> [UInt8] {
        var n = UInt64(n), out: [UInt8] = []
        repeat {
            var byte = UInt8(n & 0x7F)
            n >>= 7
            if n > 0 { byte |= 0x80 }
            out.append(byte)
        } while n > 0
        return out
    }
}
