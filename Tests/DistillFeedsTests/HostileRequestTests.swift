@testable import DistillCore
@testable import DistillFeeds
import XCTest

/// Requests and records built to break arithmetic: each must get a clear refusal or be
/// counted, never trap the process.
final class HostileRequestTests: XCTestCase {
    func send(_ text: String, limits: ListenerLimits = ListenerLimits()) -> Reply {
        let connection = HTTPConnection(peer: "test", adapter: RecordAdapter(format: .auto), limits: limits)
        var batcher = LiveBatcher(sink: FeedSink(connected: true))
        var reply = Reply()
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { connection.received($0, batcher: &batcher, reply: &reply) }
        return reply
    }

    func testAChunkSizeNearIntMaxIsRefusedNotAnOverflow() {
        let request = "POST /ingest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "1\r\nA\r\n7fffffffffffffff\r\n"
        let reply = send(request)
        let text = String(decoding: reply.bytes, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 413"), text)
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
