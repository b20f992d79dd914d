@testable import DistillCore
@testable import DistillFeeds
import NIOCore
import XCTest

/// Requests that are not plain HTTP/1.1, sent to the receiver's real pipeline: each gets a
/// clear status and is counted as dropped, and the records of good requests are all queued
/// before they are answered.
final class HTTPConformanceTests: XCTestCase {
    let line = #"{"ts":1776000000000,"account_id":"a","request_id":"r1"}"# + "\n"

    func testConflictingContentLengthsAreRefusedAtOnce() throws {
        let receiver = try EmbeddedReceiver()
        let reply = receiver.send("POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n\(line)")
        XCTAssertTrue(reply.hasPrefix("HTTP/1.1 400"), reply)
        XCTAssertEqual(receiver.dropped, 1)
        XCTAssertEqual(receiver.ledger.exchanges, 0)
        XCTAssertFalse(receiver.channel.isActive, "the connection is closed")
    }

    func testALengthTogetherWithChunkingIsRefused() throws {
        let receiver = try EmbeddedReceiver()
        let reply = receiver.send("POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "\(String(line.utf8.count, radix: 16))\r\n\(line)\r\n0\r\n\r\n")
        XCTAssertTrue(reply.hasPrefix("HTTP/1.1 400"), reply)
        XCTAssertEqual(receiver.dropped, 1)
        XCTAssertEqual(receiver.ledger.exchanges, 0)
    }

    /// A request still incomplete at its deadline (a slow-loris) is closed and counted once as
    /// dropped, whether it was trickling its head or its body: the parser's complaint about the
    /// request cut short by that close is the same loss.
    func testARequestPastItsDeadlineIsDroppedOnce() throws {
        for partial in ["POST /ingest HTTP/1.1\r\nHost: x\r\nX-A: b\r\n",
                        "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"a\":1}\n"] {
            var limits = ListenerLimits()
            limits.httpRequestSeconds = 0.05
            let receiver = try EmbeddedReceiver(limits: limits)
            receiver.core.startTimers()
            receiver.send(partial)
            let deadline = Date().addingTimeInterval(10)
            while receiver.channel.isActive && Date() < deadline {
                usleep(20_000)
                receiver.channel.embeddedEventLoop.advanceTime(by: .milliseconds(100))
            }
            XCTAssertFalse(receiver.channel.isActive, "closed at its deadline")
            XCTAssertEqual(receiver.dropped, 1, partial)
        }
    }

    func testAnOversizedHeadGets431() throws {
        let receiver = try EmbeddedReceiver()
        let reply = receiver.send("POST /ingest HTTP/1.1\r\nHost: x\r\nX-Filler: \(String(repeating: "f", count: 20_000))\r\n\r\n")
        XCTAssertTrue(reply.hasPrefix("HTTP/1.1 431"), reply)
        XCTAssertEqual(receiver.dropped, 1)
    }

    func testADeclaredBodyOverTheLimitIsRefusedBeforeItIsRead() throws {
        var limits = ListenerLimits()
        limits.maxBodyBytes = 1000
        let receiver = try EmbeddedReceiver(limits: limits)
        let reply = receiver.send("POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
        XCTAssertTrue(reply.hasPrefix("HTTP/1.1 413"), reply)
        XCTAssertFalse(reply.contains("100 Continue"), "no invitation to send a body that will be refused")
        XCTAssertEqual(receiver.dropped, 1)
    }

    func testAGzipBombIsRefused() throws {
        var limits = ListenerLimits()
        limits.maxBodyBytes = 64 << 10
        let receiver = try EmbeddedReceiver(limits: limits)
        let zeros = [UInt8](repeating: 0x20, count: 1 << 20)
        let gz = gzip(zeros)
        XCTAssertLessThan(gz.count, limits.maxBodyBytes)
        let head = "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: \(gz.count)\r\n\r\n"
        let reply = String(decoding: receiver.send(Array(head.utf8) + gz), as: UTF8.self)
        XCTAssertTrue(reply.hasPrefix("HTTP/1.1 413"), reply)
        XCTAssertEqual(receiver.dropped, 1)
    }

    func testADamagedGzipBodyIsABadRequestNotTooLarge() throws {
        let whole = gzip(Array((line + line).utf8))
        for body in [Array(whole.prefix(whole.count / 2)), [0x1F, 0x8B] + Array("not gzip at all".utf8)] {
            let receiver = try EmbeddedReceiver()  // a refused request closes its connection
            let head = "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: \(body.count)\r\n\r\n"
            let reply = String(decoding: receiver.send(Array(head.utf8) + body), as: UTF8.self)
            XCTAssertTrue(reply.hasPrefix("HTTP/1.1 400"), reply)
            XCTAssertTrue(reply.contains("damaged"), reply)
        }
    }

    func testPipelinedRequestsAreAnsweredInOrderOnOneConnection() throws {
        let receiver = try EmbeddedReceiver()
        let second = #"{"ts":1776000001000,"account_id":"b","request_id":"r2"}"# + "\n"
        let reply = receiver.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: \(line.utf8.count)\r\n\r\n\(line)"
            + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
            + "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: \(second.utf8.count)\r\n\r\n\(second)")
        let responses = reply.components(separatedBy: "HTTP/1.1 ").dropFirst()
        XCTAssertEqual(responses.map { String($0.prefix(6)) }, ["200 OK", "200 OK", "200 OK"], reply)
        XCTAssertEqual(responses.map { String($0.components(separatedBy: "\r\n\r\n").last ?? "") },
                       ["{\"accepted\":1,\"rejected\":0}\n", "ok\n", "{\"accepted\":1,\"rejected\":0}\n"])
        XCTAssertEqual(receiver.exchanges.map(\.accountID), ["a", "b"])
        XCTAssertTrue(receiver.channel.isActive, "keep-alive")
    }

    func testAGetThatAsksToCloseIsAnsweredAndClosed() throws {
        for (request, closes) in [("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", true),
                                  ("GET /healthz HTTP/1.0\r\n\r\n", true),
                                  ("GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", true),
                                  ("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", false)] {
            let receiver = try EmbeddedReceiver()
            let reply = receiver.send(request)
            XCTAssertTrue(reply.hasPrefix("HTTP/1."), reply)
            XCTAssertEqual(reply.lowercased().contains("connection: close"), closes, reply)
            XCTAssertEqual(receiver.channel.isActive, !closes, request)
        }
    }

    func testAnswersWaitUntilTheRecordsAreQueued() throws {
        let receiver = try EmbeddedReceiver()
        // The consumer is stopped (its queue full): no answer may go out yet.
        let fill = Array(repeating: Exchange(ts: 1, accountID: "x"), count: 1)
        for _ in 0..<64 { _ = receiver.sink.tryPush(fill, ledger: InputLedger()) }
        let body = (0..<50).map { #"{"ts":\#(1_776_000_000_000 + $0),"account_id":"a\#($0)"}"# }.joined(separator: "\n")
        try receiver.channel.writeInbound(ByteBuffer(string: "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"))
        receiver.channel.embeddedEventLoop.run()
        XCTAssertNil(try receiver.channel.readOutbound(as: IOData.self), "answered before its records were queued")
        XCTAssertTrue(receiver.core.paused)
        // Once the consumer takes its batches, the records are queued and the answer goes out.
        let reply = receiver.send("")
        XCTAssertTrue(reply.hasPrefix("HTTP/1.1 200"), reply)
        XCTAssertEqual(receiver.exchanges.filter { $0.accountID.hasPrefix("a") }.count, 50)
    }

    func testAMissingBearerTokenIsRefused() throws {
        var limits = ListenerLimits()
        limits.bearerToken = "s3cret"
        let receiver = try EmbeddedReceiver(limits: limits)
        let refused = receiver.send("POST /ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cre\r\nContent-Length: \(line.utf8.count)\r\n\r\n\(line)")
        XCTAssertTrue(refused.hasPrefix("HTTP/1.1 401"), refused)
        XCTAssertEqual(receiver.dropped, 1)
        let good = try EmbeddedReceiver(limits: limits)
        let accepted = good.send("POST /ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nContent-Length: \(line.utf8.count)\r\n\r\n\(line)")
        XCTAssertTrue(accepted.hasPrefix("HTTP/1.1 200"), accepted)
    }
}
