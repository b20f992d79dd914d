@testable import DistillCore
import Foundation
import XCTest

/// An exchange written back as a canonical line must decode to the same exchange: `publish`
/// relies on it for records that listeners and followed files deliver already decoded.
final class CanonicalLineTests: XCTestCase {
    private let decoder = ExchangeDecoder()

    private func decoded(_ line: [UInt8], file: StaticString = #filePath, line number: UInt = #line) -> Exchange? {
        guard case .exchange(let x) = decoder.decode(line) else {
            XCTFail("not accepted: \(String(decoding: line, as: UTF8.self))", file: file, line: number)
            return nil
        }
        return x
    }

    private static let pieces = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{01}", "\u{1F}", "\u{7F}",
                                 "é", "字", "🙂", "\u{200B}", "\u{1B}[2J", "{", "}", ":", ","]

    private func chance(_ draw: inout SplitMix64, _ percent: Int) -> Bool { draw.below(100) < percent }

    private func text(_ draw: inout SplitMix64) -> String {
        (0..<draw.below(12)).map { _ in Self.pieces[draw.below(Self.pieces.count)] }.joined()
    }

    /// A random record as JSON text through Foundation's own writer (so the input's escaping is
    /// not the encoder's), with every field present or absent at random.
    private func randomLine(_ draw: inout SplitMix64) throws -> [UInt8] {
        var object: [String: Any] = [:]
        let ms = Int64(draw.below(253_402_300_799_000))  // 1970 up to the end of year 9999
        object["ts"] = chance(&draw, 50) ? Timestamp.format(ms) : NSNumber(value: ms)
        object["account_id"] = "acct_" + text(&draw)
        for key in ["api_key_id", "request_id", "org_id", "end_user_id", "session_id", "client_ip", "country",
                    "user_agent", "payment_fp", "model", "prompt_text", "prompt_fp", "system_fp", "tools_fp"]
        where chance(&draw, 60) {
            object[key] = text(&draw)
        }
        for key in ["asn", "input_tokens", "output_tokens", "reasoning_tokens", "http_status"] where chance(&draw, 60) {
            object[key] = NSNumber(value: chance(&draw, 10) ? Int64.max : Int64(draw.below(1_000_000)))
        }
        if chance(&draw, 60) {
            let choices: [Double] = [0, 0.1, 1e-7, 14533, 1e300, Double(draw.below(1_000_000)) / 7]
            object["latency_ms"] = NSNumber(value: choices[draw.below(choices.count)])
        }
        if chance(&draw, 40) { object["status"] = chance(&draw, 50) ? "success" : "failure" }
        return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    func testDecodedRecordsSurviveBeingWrittenBack() throws {
        let seed = UInt64(20_261_204)
        print("canonical line round trip, seed \(seed)")
        var draw = SplitMix64(seed: seed)
        for _ in 0..<2_000 {
            let input = try randomLine(&draw)
            guard let first = decoded(input) else { return }
            let written = first.canonicalLine()
            guard let again = decoded(written) else { return }
            XCTAssertEqual(again, first, "seed \(seed): \(String(decoding: input, as: UTF8.self)) → \(String(decoding: written, as: UTF8.self))")
        }
    }

    func testHostileTextIsEscapedNotPassedThrough() throws {
        let x = Exchange(ts: 0, accountID: "a\"b\\c", promptText: "line\none\u{1B}[31m\u{07}end")
        let line = x.canonicalLine()
        // No raw control byte survives: the line stays one line and carries no terminal escape.
        XCTAssertFalse(line.contains { $0 < 0x20 })
        XCTAssertEqual(String(decoding: line, as: UTF8.self),
                       #"{"ts":"1970-01-01T00:00:00.000Z","account_id":"a\"b\\c","prompt_text":"line\u000aone\u001b[31m\u0007end"}"#)
        XCTAssertEqual(decoded(line), x)
    }

    func testAbsentFieldsStayAbsentAndFailureIsKept() throws {
        let x = Exchange(ts: 1_776_860_043_120, accountID: "acct", latencyMs: 12.5, status: .failure, httpStatus: 429)
        XCTAssertEqual(String(decoding: x.canonicalLine(), as: UTF8.self),
                       #"{"ts":"2026-04-22T12:14:03.120Z","account_id":"acct","http_status":429,"latency_ms":12.5,"status":"failure"}"#)
        let back = try XCTUnwrap(decoded(x.canonicalLine()))
        XCTAssertNil(back.requestID)
        XCTAssertNil(back.inputTokens)
        XCTAssertEqual(back, x)
    }
}
