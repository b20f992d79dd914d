@testable import DistillCore
import XCTest

/// Request bodies are decoded element by element, so what a body holds decides the outcome and
/// its shape cannot multiply memory.
final class RequestBodyTests: XCTestCase {
    func record(_ i: Int) -> String {
        #"{"ts":\#(1_776_000_000_000 + i * 1000),"account_id":"acct_\#(i % 3)","request_id":"r\#(i)","prompt_text":"a [bracket], a \"quote\" and a \\ in text"}"#
    }

    func decode(_ text: String, format: RecordFormat = .auto, otlp: Bool = false) -> (accepted: [Exchange], rejected: [Rejection]) {
        var accepted: [Exchange] = [], rejected: [Rejection] = []
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in
            RecordAdapter(format: format).decodeBody(UnsafeRawBufferPointer(raw), otlpPath: otlp) { outcome in
                switch outcome {
                case .exchange(let e): accepted.append(e)
                case .rejected(let r): rejected.append(r)
                case .blank: break
                }
            }
        }
        return (accepted, rejected)
    }

    func testElementsAreSplitOutsideStringsOnly() {
        let body = "[\n  " + (0..<5).map(record).joined(separator: " ,\n  ") + "\n]\n"
        let result = decode(body)
        XCTAssertEqual(result.accepted.map(\.requestID), ["r0", "r1", "r2", "r3", "r4"])
        XCTAssertEqual(result.accepted.first?.promptText, #"a [bracket], a "quote" and a \ in text"#)
        XCTAssertTrue(result.rejected.isEmpty)
    }

    func testABadElementCostsOnlyItselfAndEveryOtherIsKept() {
        let body = "[" + record(0) + ", 42, [" + record(1) + "], {\"ts\":1,, " + record(2) + "]"
        let result = decode(body)
        // An object that never closes runs to the end of the body: one rejection for all of it.
        XCTAssertEqual(result.accepted.map(\.requestID), ["r0"])
        XCTAssertEqual(result.rejected.map(\.code), [.notAnObject, .notAnObject, .invalidJSON])

        let clean = decode("[" + record(0) + ",42," + record(2) + "]")
        XCTAssertEqual(clean.accepted.map(\.requestID), ["r0", "r2"])
        XCTAssertEqual(clean.rejected.map(\.code), [.notAnObject])
    }

    func testTruncatedAndTrailingBodiesAreCounted() {
        let cut = decode("[" + record(0) + "," + record(1))
        XCTAssertEqual(cut.accepted.count, 2, "a complete last element is kept though the array never closes")
        XCTAssertTrue(cut.rejected.isEmpty)
        let afterComma = decode("[" + record(0) + ",")
        XCTAssertEqual(afterComma.accepted.count, 1)
        XCTAssertEqual(afterComma.rejected.map(\.message), ["request body ends inside its JSON array"])
        let midElement = decode("[" + record(0) + "," + String(record(1).prefix(30)))
        XCTAssertEqual(midElement.accepted.count, 1)
        XCTAssertEqual(midElement.rejected.map(\.code), [.invalidJSON])
        let trailing = decode("[" + record(0) + "]" + String(repeating: "\0", count: 512))
        XCTAssertEqual(trailing.accepted.count, 1)
        XCTAssertEqual(trailing.rejected.map(\.message), ["512 bytes follow the JSON array's closing bracket"])
        XCTAssertEqual(decode("[]").rejected.count + decode("[ ]").accepted.count, 0)
    }

    func testLiteLLMPayloadsInAnArrayAreAdaptedOneByOne() {
        let payload = { (i: Int) in
            #"{"id":"chatcmpl-\#(i)","call_type":"acompletion","startTime":\#(1776000100 + i).5,"endTime":\#(1776000102 + i).0,"model":"gpt-4o-mini","status":"success","metadata":{"user_api_key_user_id":"acct_l\#(i % 2)"},"messages":[{"role":"user","content":"hi, [there]"}]}"#
        }
        let result = decode("[" + (0..<4).map(payload).joined(separator: ",") + "]")
        XCTAssertEqual(result.accepted.map(\.accountID), ["acct_l0", "acct_l1", "acct_l0", "acct_l1"])
        XCTAssertEqual(result.accepted.first?.promptText, "hi, [there]")
    }

    func testBracketFloodsAreRefusedWithoutBuildingTrees() {
        // One rejection per element for the array body; the OTLP body is refused whole before
        // it is parsed.
        let nested = String(repeating: "[[[[[[[[[[]]]]]]]]]],", count: 20_000)
        let flood = decode("[" + nested + "[]]")
        XCTAssertEqual(flood.rejected.count, 20_001)
        XCTAssertTrue(flood.rejected.allSatisfy { $0.code == .notAnObject })
        let empties = decode("[" + String(repeating: "{},", count: 50_000) + "{}]")
        XCTAssertEqual(empties.rejected.count, 50_001)
        XCTAssertTrue(empties.rejected.allSatisfy { $0.code == .missingTimestamp })

        let deep = decode(#"{"resourceLogs":"# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}", otlp: true)
        XCTAssertEqual(deep.rejected.count, 1)
        XCTAssertTrue(deep.rejected[0].message.contains("deeper than 64"), deep.rejected[0].message)
        let dense = decode(#"{"resourceLogs":["# + String(repeating: "[],", count: 10_000) + "[]]}", otlp: true)
        XCTAssertEqual(dense.rejected.count, 1)
    }

    func testOnlyLinesNamingAnotherFormatsKeyAreParsedAgain() {
        func names(_ s: String) -> Bool {
            var bytes = Array(s.utf8)
            return bytes.withUnsafeMutableBytes { RecordAdapter.namesOtherFormatKey(UnsafeRawBufferPointer($0)) }
        }
        XCTAssertFalse(names("{}"))
        XCTAssertFalse(names(#"{"account_id":"a","model":"m"}"#))
        XCTAssertTrue(names(#"{"startTime":1}"#))
        XCTAssertTrue(names(#"{"x":1,"resourceSpans":[]}"#))
        XCTAssertTrue(names("[1]"))
        // A LiteLLM payload without `ts` still reaches its adapter.
        let result = decode(#"{"call_type":"acompletion","startTime":1776000100.5,"metadata":{"user_api_key_user_id":"u"}}"#)
        XCTAssertEqual(result.accepted.map(\.accountID), ["u"])
    }
}
