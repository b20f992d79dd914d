@testable import DistillCore
@testable import DistillFeeds
import XCTest

/// Requests and records built to break arithmetic: each must get a clear refusal or be
/// counted, never trap the process.
final class HostileRequestTests: XCTestCase {
    func testAChunkSizeNearIntMaxIsRefusedNotAnOverflow() throws {
        var limits = ListenerLimits()
        limits.maxBodyBytes = 1024
        let receiver = try EmbeddedReceiver(limits: limits)
        let request = "POST /ingest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "1\r\nA\r\n7fffffffffffffff\r\n" + String(repeating: "B", count: 2048)
        let text = receiver.send(request)
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 413"), text)
        XCTAssertEqual(receiver.dropped, 1)
    }

    func testMalformedOTLPShapesAndNonRecordsAreRefusedAndCounted() {
        func post(_ path: String, _ body: String, type: String = "application/json") -> (String, InputLedger) {
            let receiver = try! EmbeddedReceiver()
            let reply = receiver.send("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: \(type)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            return (reply, receiver.ledger)
        }
        // A list that is not a list is one rejected record, not a silent 200 with nothing in it.
        let (shape, shapeLedger) = post("/v1/logs", #"{"resourceLogs":5}"#)
        XCTAssertTrue(shape.contains("\"rejectedLogRecords\":\"1\""), shape)
        XCTAssertEqual(shapeLedger.rejectedByReason["bad_value:resourceLogs"], 1)
        let (nested, nestedLedger) = post("/v1/traces", #"{"resourceSpans":[{"scopeSpans":[7,{"spans":"x"}]}]}"#)
        XCTAssertTrue(nested.contains("\"rejectedSpans\":\"2\""), nested)
        XCTAssertEqual(nestedLedger.rejectedTotal, 2)

        // A token count past int64 is rejected, as the same number in a canonical line is.
        let huge = #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"1776000000000000000","attributes":[{"key":"account.id","value":{"stringValue":"a"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"100000000000000000000000"}}]}]}]}]}"#
        let (hugeReply, hugeLedger) = post("/v1/traces", huge)
        XCTAssertTrue(hugeReply.contains("\"rejectedSpans\":\"1\""), hugeReply)
        XCTAssertEqual(hugeLedger.exchanges, 0)
        XCTAssertEqual(hugeLedger.rejectedByReason, ["bad_value:input_tokens": 1], "the reason a canonical line gets")
        // The same number as an account id is a number where text belongs, as for any int64.
        let hugeID = #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"1776000000000000000","attributes":[{"key":"account.id","value":{"intValue":"9223372036854775808"}}]}]}]}]}"#
        let (_, idLedger) = post("/v1/traces", hugeID)
        XCTAssertEqual(idLedger.rejectedByReason, ["wrong_type:account_id": 1])

        // Text that holds no record at all is the sender's error.
        let (text, textLedger) = post("/anything", "hello, this is not JSON\nnor this", type: "text/plain")
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 400"), text)
        XCTAssertTrue(text.contains("\"rejected\":2"), text)
        XCTAssertEqual(textLedger.rejectedTotal, 2)
        // A batch with one good record is answered 200 with the counts.
        let (mixed, _) = post("/anything", "not json\n{\"ts\":1776000000000,\"account_id\":\"a\"}")
        XCTAssertTrue(mixed.hasPrefix("HTTP/1.1 200") && mixed.contains("\"accepted\":1,\"rejected\":1"), mixed)
        // Blank lines are neither accepted nor rejected: with only junk beside them, nothing was
        // delivered, and the answer must not count them as records taken.
        let (blanks, blanksLedger) = post("/anything", "\n\n{junk\n\n")
        XCTAssertTrue(blanks.hasPrefix("HTTP/1.1 400") && blanks.contains("\"accepted\":0,\"rejected\":1"), blanks)
        XCTAssertEqual(blanksLedger.exchanges, 0)
        let (spaced, _) = post("/anything", "\n{\"ts\":1776000000000,\"account_id\":\"a\"}\n\n")
        XCTAssertTrue(spaced.hasPrefix("HTTP/1.1 200") && spaced.contains("\"accepted\":1,\"rejected\":0"), spaced)
        // One line over the length limit holds no record either.
        let (long, longLedger) = post("/anything", "{\"x\":\"" + String(repeating: "a", count: 2 << 20) + "\"}")
        XCTAssertTrue(long.hasPrefix("HTTP/1.1 400") && long.contains("\"accepted\":0,\"rejected\":1"), long)
        XCTAssertEqual(longLedger.rejectedByReason, ["line_too_long": 1])
    }

    func testPoolingHugeTokenCountsSaturates() {
        var a = BehaviourStats(), b = BehaviourStats()
        a.inputTokens = 5_000_000_000_000_000_000
        b.inputTokens = 5_000_000_000_000_000_000
        a += b
        XCTAssertEqual(a.inputTokens, Int.max)
    }

    func testTwoLinkedAccountsWithHugeTokenCountsDoNotTrap() {
        let detector = Detector()
        for (i, account) in ["a1", "a2"].enumerated() {
            for k in 0..<30 {
                detector.ingest(Exchange(ts: 1_700_000_000_000 + Int64(k * 60_000 + i), accountID: account, paymentFP: "pm_shared",
                                         inputTokens: 5_000_000_000_000_000_000, outputTokens: Int64.max, reasoningTokens: Int64.max))
            }
        }
        let snapshot = detector.snapshot(includeQuiet: true)
        XCTAssertEqual(snapshot.exchanges, 60)
    }
}
