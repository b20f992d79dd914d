@testable import DistillCore
import XCTest

/// The hand-written hash map and string interner that replaced library types on the hot path:
/// checked against the library types they replaced.
final class HotPathStructureTests: XCTestCase {
    func testMapAgreesWithDictionaryUnderRandomInsertsAndRemoves() {
        var map = UInt64Map<Int>()
        var reference: [UInt64: Int] = [:]
        var rng = SystemRandomNumberGenerator()
        // Few distinct keys, so removes hit often and probe chains wrap and shift.
        let keys: [UInt64] = (0..<300).map { $0 == 0 ? 0 : UInt64.random(in: 1...UInt64.max, using: &rng) } + [UInt64](0..<50)
        for step in 0..<50_000 {
            let key = keys.randomElement(using: &rng)!
            if Bool.random(using: &rng) {
                map[key] = step; reference[key] = step
            } else {
                map[key] = nil; reference[key] = nil
            }
            if step % 997 == 0 {
                XCTAssertEqual(map.count, reference.count)
                for k in keys { XCTAssertEqual(map[k], reference[k], "key \(k) at step \(step)") }
            }
        }
        map.filter { _, v in v % 2 == 0 }
        reference = reference.filter { $0.value % 2 == 0 }
        XCTAssertEqual(map.count, reference.count)
        for k in keys { XCTAssertEqual(map[k], reference[k]) }
    }

    func testMapKeepsKeyZeroAndGrows() {
        var map = UInt64Map<Int32>()
        map[0] = 7
        for k in 1...10_000 { map[UInt64(k)] = Int32(k) }
        XCTAssertEqual(map[0], 7)
        XCTAssertEqual(map[10_000], 10_000)
        XCTAssertNil(map[10_001])
        XCTAssertEqual(map.count, 10_001)
    }

    func testInternerReturnsEqualStringsAndSurvivesSlotCollisions() {
        let interner = StringInterner(log2Slots: 1)  // two slots: almost every value collides
        var seen: [String] = []
        for i in 0..<500 {
            let text = "account_with_a_long_id_\(i % 37)_é"
            var copy = text
            let got = copy.withUTF8 { interner.string(UnsafeRawBufferPointer($0)) }
            XCTAssertEqual(got, text)
            seen.append(got)
        }
        XCTAssertEqual(Set(seen).count, 37)
    }

    func testDecodingIntoABatchMatchesDecodingAndLeavesRejectsOut() {
        let lines = [
            #"{"ts":1700000000000,"account_id":"acct_a_long_identifier","prompt_text":"one"}"#,
            #"{"ts":"yesterday","account_id":"acct_b"}"#,
            "   ",
            #"{"ts":1700000000001,"account_id":"acct_c","input_tokens":-3}"#,
            #"{"ts":1700000000002,"api_key_id":"key_only_and_long_enough","session_id":"sA"}"#,
            #"{"ts":1700000000003,"#,
        ]
        let decoder = ExchangeDecoder()
        let interner = StringInterner()
        var batch: [Exchange] = []
        var rejected = 0, blank = 0
        for line in lines {
            var a = line, b = line
            let before = batch.count
            let appended = a.withUTF8 { decoder.decode(UnsafeRawBufferPointer($0), interner: interner, appendingTo: &batch) }
            let plain = b.withUTF8 { decoder.decode(UnsafeRawBufferPointer($0)) }
            switch (appended, plain) {
            case (.appended, .exchange(let e)):
                XCTAssertEqual(batch.count, before + 1)
                XCTAssertEqual(batch.last, e)
            case (.rejected(let r1), .rejected(let r2)):
                XCTAssertEqual(r1, r2); XCTAssertEqual(batch.count, before); rejected += 1
            case (.blank, .blank):
                XCTAssertEqual(batch.count, before); blank += 1
            default:
                XCTFail("different outcomes for \(line)")
            }
        }
        XCTAssertEqual(batch.map(\.accountID), ["acct_a_long_identifier", "key_only_and_long_enough"])
        XCTAssertEqual(batch.last?.sessionID, "sA")
        XCTAssertEqual(rejected, 3)
        XCTAssertEqual(blank, 1)
    }

    func testDecoderWithInternerDecodesTheSameExchanges() {
        let lines = (0..<200).map { i in
            #"{"ts":\#(1_700_000_000_000 + i),"account_id":"acct_0000000000\#(i % 7)x","user_agent":"Mozilla/5.0 (X11; Linux x86_64) \#(i % 3)","system_fp":"sha256:00000000000000\#(i % 5)","session_id":"sess_\#(i)_aaaaaaaaaaaaaaa","prompt_text":"line \#(i)"}"#
        }
        let decoder = ExchangeDecoder()
        let interner = StringInterner()
        for line in lines {
            var a = line, b = line
            let plain = a.withUTF8 { decoder.decode(UnsafeRawBufferPointer($0)) }
            let interned = b.withUTF8 { decoder.decode(UnsafeRawBufferPointer($0), interner: interner) }
            guard case .exchange(let x) = plain, case .exchange(let y) = interned else { return XCTFail("not decoded: \(line)") }
            XCTAssertEqual(x, y)
        }
    }
}

/// The split two-chain cue scan must find exactly what one chain over the whole prompt finds,
/// wherever a cue sits, including across the middle.
final class CueScanSplitTests: XCTestCase {
    func testSplitScanAgreesWithSingleScan() {
        let matcher = CueMatcher.shared
        let phrases = PromptLexicon.phrases.map(\.0)
        var rng = SystemRandomNumberGenerator()
        let filler = Array("lorem ipsum dolor sit amet, 12 консектетур 推理 ".utf8)
        var checked = 0
        for _ in 0..<3000 {
            var bytes: [UInt8] = []
            let target = Int.random(in: 0...1200, using: &rng)
            while bytes.count < target {
                if Int.random(in: 0..<8, using: &rng) == 0 {
                    bytes += Array(phrases.randomElement(using: &rng)!.uppercased().utf8)
                } else {
                    bytes.append(filler.randomElement(using: &rng)!)
                }
            }
            // Plant one phrase straddling the middle.
            let phrase = Array(phrases.randomElement(using: &rng)!.utf8)
            if bytes.count > phrase.count * 2 {
                let at = bytes.count / 2 - Int.random(in: 0..<phrase.count, using: &rng)
                bytes.replaceSubrange(at..<(at + phrase.count), with: phrase)
            }
            bytes.withUnsafeBytes { raw in
                XCTAssertEqual(matcher.cues(in: raw), matcher.scan(raw), String(decoding: bytes, as: UTF8.self))
            }
            checked += 1
        }
        XCTAssertEqual(checked, 3000)
        // And a cue only the straddling part can see is found.
        let text = String(repeating: "x ", count: 200) + "chain of thought" + String(repeating: " y", count: 200)
        var copy = text
        copy.withUTF8 { XCTAssertTrue(matcher.cues(in: UnsafeRawBufferPointer($0)).contains(.fullReasoning)) }
    }
}
