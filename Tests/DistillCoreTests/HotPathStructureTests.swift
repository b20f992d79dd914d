@testable import DistillCore
import XCTest

/// The hand-written structures of the hot path: the hash map checked against the library type
/// it replaced, the packed text of a record against the strings it holds.
final class HotPathStructureTests: XCTestCase {
    func testMapAgreesWithDictionaryUnderRandomInsertsAndRemoves() {
        var map = UInt64Map<Int>()
        var reference: [UInt64: Int] = [:]
        var rng = seededGenerator("HotPathStructureTests")
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

    func testAKeyOnlyMapTakesEightBytesASlotAndStillFindsItsKeys() {
        // The duplicate window holds up to two million ids per generation: its slots are the keys alone.
        XCTAssertEqual(MemoryLayout<UInt64Map<NoValue>.Entry>.stride, 8)
        var set = UInt64Map<NoValue>()
        let keys: [UInt64] = [0] + (1..<5_000).map { UInt64($0) &* 0x1_0000_0001 }
        for k in keys { set.insert(k, NoValue()) }
        XCTAssertEqual(set.count, keys.count)
        for k in keys { XCTAssertNotNil(set.slot(of: k), "key \(k)") }
        XCTAssertNil(set.slot(of: 7))
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

    func testPackedTextReadsBackEveryFieldAndSettersKeepTheOthers() {
        var e = Exchange(ts: 5, accountID: "acct_é", apiKeyID: "", requestID: "r-1", orgID: nil,
                         endUserID: "u", sessionID: "s\u{1F600}", clientIP: "203.0.113.9", country: "SG",
                         userAgent: String(repeating: "ua", count: 300), paymentFP: "pm", model: "m",
                         promptText: "line\none", promptFP: nil, systemFP: "sys", toolsFP: "tools")
        XCTAssertEqual(e.accountID, "acct_é")
        XCTAssertEqual(e.apiKeyID, "", "an empty value is kept, not absent")
        XCTAssertNil(e.orgID)
        XCTAssertEqual(e.sessionID, "s\u{1F600}")
        XCTAssertEqual(e.userAgent?.utf8.count, 600)
        XCTAssertEqual(e.promptText, "line\none")
        XCTAssertEqual(e.toolsFP, "tools")

        e.orgID = "org-9"             // absent → present, in the middle
        e.accountID = "a"             // first field shrinks
        e.toolsFP = nil               // last field goes
        e.promptText = String(repeating: "p", count: 5000)  // grows
        XCTAssertEqual(e.orgID, "org-9")
        XCTAssertEqual(e.accountID, "a")
        XCTAssertNil(e.toolsFP)
        XCTAssertEqual(e.promptText?.count, 5000)
        XCTAssertEqual(e.requestID, "r-1")
        XCTAssertEqual(e.systemFP, "sys")
        XCTAssertEqual(e.sessionID, "s\u{1F600}")

        // The layout is canonical: built by setters or all at once, equal records compare equal.
        let direct = Exchange(ts: 5, accountID: "a", apiKeyID: "", requestID: "r-1", orgID: "org-9",
                              endUserID: "u", sessionID: "s\u{1F600}", clientIP: "203.0.113.9", country: "SG",
                              userAgent: String(repeating: "ua", count: 300), paymentFP: "pm", model: "m",
                              promptText: String(repeating: "p", count: 5000), promptFP: nil, systemFP: "sys", toolsFP: nil)
        XCTAssertEqual(e, direct)
        var other = direct
        other.model = "m2"
        XCTAssertNotEqual(other, direct)
        XCTAssertEqual(direct.model, "m", "a copy's setter leaves the original alone")
    }

    func testDecodedRecordEqualsTheSameRecordBuiltFromStrings() {
        // Escapes, a surrogate pair, a repeated key (the last wins), null clearing a value, the
        // key standing in for a missing account, and an unknown nested value in between.
        let line = #"{"ts":1700000000000,"api_key_id":"key_\u00e9","session_id":"first","x":{"a":[1,{"b":"\""}]},"#
            + #""session_id":"s\n2","prompt_text":"tab\there \"quoted\" \ud83d\ude00","org_id":"o","org_id":null,"model":"m"}"#
        guard case .exchange(let decoded) = ExchangeDecoder().decode(line) else { return XCTFail("not decoded") }
        let expected = Exchange(ts: 1_700_000_000_000, accountID: "key_é", apiKeyID: "key_é", sessionID: "s\n2",
                                model: "m", promptText: "tab\there \"quoted\" \u{1F600}")
        XCTAssertEqual(decoded, expected)
        XCTAssertNil(decoded.orgID)
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
        var batch: [Exchange] = []
        var rejected = 0, blank = 0
        for line in lines {
            var a = line, b = line
            let before = batch.count
            let appended = a.withUTF8 { decoder.decode(UnsafeRawBufferPointer($0), appendingTo: &batch) }
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
}

/// The split cue scan (two or four chains) must find exactly what one chain over the whole
/// prompt finds, wherever a cue sits, including across the cuts between parts.
final class CueScanSplitTests: XCTestCase {
    func testSplitScanAgreesWithSingleScan() {
        let matcher = LexiconMatcher.shared.full
        let phrases = PromptLexicon.phrases.map(\.0)
        var rng = seededGenerator("CueScanSplitTests")
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
            // Plant one phrase straddling a cut: the middle (two chains) or a quarter (four).
            let phrase = Array(phrases.randomElement(using: &rng)!.utf8)
            if bytes.count > phrase.count * 4 {
                let cut = bytes.count / 4 * Int.random(in: 1...3, using: &rng)
                let middle = bytes.count / 2
                let near = Bool.random(using: &rng) ? cut : middle
                let at = near - Int.random(in: 0..<phrase.count, using: &rng)
                bytes.replaceSubrange(at..<(at + phrase.count), with: phrase)
            }
            bytes.withUnsafeBytes { raw in
                XCTAssertEqual(matcher.splitScan(raw), matcher.scan(raw), String(decoding: bytes, as: UTF8.self))
            }
            checked += 1
        }
        XCTAssertEqual(checked, 3000)
        // And a cue only the straddling part can see is found.
        let text = String(repeating: "x ", count: 200) + "chain of thought" + String(repeating: " y", count: 200)
        var copy = text
        copy.withUTF8 { XCTAssertTrue(matcher.splitScan(UnsafeRawBufferPointer($0)).contains(.fullReasoning)) }
        // Four chains: a cue across each quarter cut, and one in the last part's final bytes.
        for cut in 1...3 {
            var text = Array(String(repeating: "x ", count: 400).utf8)
            let phrase = Array("chain of thought".utf8)
            let at = text.count / 4 * cut - 5
            text.replaceSubrange(at..<(at + phrase.count), with: phrase)
            text.withUnsafeBytes { XCTAssertTrue(matcher.splitScan($0).contains(.fullReasoning), "cut \(cut)") }
        }
        // Parts run on past their cut while a cue is in progress: one that began well before
        // the cut, inside a run of its own prefixes, is still seen whole.
        for length in [70, 130, 300, 700] {
            let text = Array(String(repeating: "x", count: length).utf8)
            let phrase = Array("chain of chain of chain of thought".utf8)
            for cut in [length / 2, length / 4, length / 4 * 3] where cut >= phrase.count {
                var planted = text
                planted.replaceSubrange((cut - phrase.count + 3)..<(cut + 3), with: phrase)
                planted.withUnsafeBytes { XCTAssertEqual(matcher.splitScan($0), matcher.scan($0), "length \(length), cut \(cut)") }
            }
            text.withUnsafeBytes { XCTAssertEqual(matcher.splitScan($0), []) }
        }
        let tail = Array((String(repeating: "x ", count: 400) + "chain of thought").utf8)
        tail.withUnsafeBytes { XCTAssertTrue(matcher.splitScan($0).contains(.fullReasoning)) }
    }
}

/// The automaton's rows are laid out breadth first: every cue of the lexicon must still be
/// found on its own, in upper case (non-ASCII letters included), capitalised, and inside other text.
final class CueLexiconTests: XCTestCase {
    func testEveryPhraseIsFoundAloneAndInsideText() {
        let matcher = LexiconMatcher.shared.full
        for (phrase, cue) in PromptLexicon.phrases {
            for text in [phrase, phrase.uppercased(), phrase.capitalized, "Please, " + phrase + " now."] {
                var copy = text
                let found = copy.withUTF8 { matcher.cues(in: UnsafeRawBufferPointer($0)) }
                XCTAssertTrue(found.contains(cue), "\(cue) not found in \(text)")
            }
        }
        var plain = "The weather in Lisbon is mild in spring."
        XCTAssertEqual(plain.withUTF8 { matcher.cues(in: UnsafeRawBufferPointer($0)) }, [])
    }
}

/// ASCII text is scanned by an automaton of the ASCII cues alone: it must find exactly what the
/// full automaton finds, on every phrase and on random text with and without other scripts.
final class LexiconMatcherTests: XCTestCase {
    func testTheASCIIAutomatonFindsWhatTheFullOneFinds() {
        let lexicon = LexiconMatcher.shared
        XCTAssertLessThan(lexicon.ascii.tableBytes * 2, lexicon.full.tableBytes, "the point is a smaller table")
        func both(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
            var copy = text
            copy.withUTF8 { raw in
                let bytes = UnsafeRawBufferPointer(raw)
                XCTAssertEqual(lexicon.cues(in: bytes), lexicon.full.cues(in: bytes), text, file: file, line: line)
            }
        }
        var asciiCues = 0
        for (phrase, cue) in PromptLexicon.phrases {
            for text in [phrase, phrase.uppercased(), "Now " + phrase.capitalized + ", please."] {
                both(text)
                var copy = text
                XCTAssertTrue(copy.withUTF8 { lexicon.cues(in: UnsafeRawBufferPointer($0)) }.contains(cue), text)
            }
            if phrase.utf8.allSatisfy({ $0 < 0x80 }) { asciiCues += 1 }
        }
        XCTAssertGreaterThan(asciiCues, 20)
        var rng = seededGenerator("LexiconMatcherTests")
        let phrases = PromptLexicon.phrases.map(\.0)
        for round in 0..<2000 {
            var text = ""
            while text.utf8.count < Int.random(in: 0...600, using: &rng) {
                switch Int.random(in: 0..<10, using: &rng) {
                case 0: text += phrases.randomElement(using: &rng)!
                case 1 where round % 2 == 0: text += "шаг 推理 خطوة "
                default: text += ["the ", "step ", "by ", "think ", "reason", "ing ", "\n", "12 ", "all "].randomElement(using: &rng)!
                }
            }
            both(text)
        }
    }
}

/// The byte-for-byte lower-casing of the cue scan must agree with `String.lowercased()` on
/// every scalar it accepts, and refuse the rest.
final class SimpleLowercaseTests: XCTestCase {
    func fold(_ bytes: [UInt8]) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: bytes.count)
        let ok = bytes.withUnsafeBytes { raw in out.withUnsafeMutableBufferPointer { SimpleLowercase.fold(raw, into: $0.baseAddress!) } }
        return ok ? out : nil
    }

    func testAgreesWithStringLowercasedOnEveryAcceptedScalar() {
        var accepted = 0
        for value in UInt32(0)...0x1FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = String(Character(scalar))
            let bytes = Array(text.utf8)
            guard let folded = fold(bytes) else { continue }
            accepted += 1
            XCTAssertEqual(String(decoding: folded, as: UTF8.self), text.lowercased(), "U+\(String(value, radix: 16))")
        }
        // The folded blocks, not a handful of scalars: ASCII, Latin, Greek, Cyrillic, CJK, Hangul…
        XCTAssertGreaterThan(accepted, 40_000)
    }

    func testFoldsTheLexiconsScriptsAndRefusesOthers() {
        XCTAssertEqual(fold(Array("ÉTAPE PAR ÉTAPE Шаг За Шагом ΒΉΜΑ 一步一步 단계별 خطوة".utf8)).map { String(decoding: $0, as: UTF8.self) },
                       "étape par étape шаг за шагом βήμα 一步一步 단계별 خطوة")
        XCTAssertNil(fold(Array("İSTANBUL".utf8)))        // İ lowers to two scalars
        XCTAssertNil(fold(Array("ΟΔΟΣ".utf8)))            // Σ: final or not
        XCTAssertNil(fold(Array("ԱՐԱՐԱՏ".utf8)))          // Armenian: cased, not folded here
        XCTAssertNil(fold([0x41, 0xC3]))                  // truncated sequence
        XCTAssertNil(fold([0xE0, 0x80, 0x80]))            // overlong
        XCTAssertNil(fold([0xED, 0xA0, 0x80]))            // a surrogate
        // And the cue scan finds cues through either path.
        XCTAssertTrue(PromptAnalyzer.analyze("Решите ЗАДАЧУ ШАГ ЗА ШАГОМ").cues.contains(.lightReasoning))
        XCTAssertTrue(PromptAnalyzer.analyze("ՀԱՐՑ: ADIM ADIM düşün").cues.contains(.lightReasoning))
    }
}

/// The members set of popular shared values: what goes in is found, through every growth, and
/// nothing else is.
final class AccountSetTests: XCTestCase {
    func testMembershipThroughGrowth() {
        var set = AccountSet()
        var reference = Set<Int32>()
        var rng = seededGenerator("AccountSetTests")
        for _ in 0..<5_000 {
            let account = Int32.random(in: 0..<20_000, using: &rng)
            set.insert(account)
            reference.insert(account)
        }
        XCTAssertEqual(set.count, reference.count)
        for account in Int32(0)..<20_000 {
            XCTAssertEqual(set.contains(account), reference.contains(account), "account \(account)")
        }
    }
}

final class SharedMembershipCacheTests: XCTestCase {
    func testAHitNamesOnlyTheRememberedValueKindAndAccount() {
        var cache = SharedMembershipCache(log2Entries: 10)
        cache.remember(0xFEED, kind: ValueKind.promptPrefix.rawValue, account: 5, slot: 77)
        XCTAssertEqual(cache.slot(of: 0xFEED, kind: ValueKind.promptPrefix.rawValue, account: 5), 77)
        XCTAssertNil(cache.slot(of: 0xFEED, kind: ValueKind.promptSuffix.rawValue, account: 5), "another kind")
        XCTAssertNil(cache.slot(of: 0xFEED, kind: ValueKind.promptPrefix.rawValue, account: 6), "another account")
        XCTAssertNil(cache.slot(of: 0xFEEE, kind: ValueKind.promptPrefix.rawValue, account: 5), "another value")
        // A slot too large to pack beside the kind is not remembered rather than remembered wrong.
        cache.remember(0xBEEF, kind: ValueKind.ip.rawValue, account: 1, slot: 1 << 28)
        XCTAssertNil(cache.slot(of: 0xBEEF, kind: ValueKind.ip.rawValue, account: 1))
    }

    /// A tiny table overwritten over and over: an answer may be forgotten, never wrong.
    func testLossyButNeverWrongUnderChurn() {
        var cache = SharedMembershipCache(log2Entries: 4)
        var truth: [String: Int32] = [:]
        var rng = seededGenerator("SharedMembershipCacheTests")
        var hits = 0
        for _ in 0..<20_000 {
            let key = UInt64.random(in: 0..<8, using: &rng)
            let kind = Int.random(in: 0..<3, using: &rng)
            let account = Int32.random(in: 0..<4, using: &rng)
            let name = "\(key)/\(kind)/\(account)"
            if Bool.random(using: &rng) {
                let slot = truth[name] ?? Int32.random(in: 0..<1_000_000, using: &rng)
                truth[name] = slot
                cache.remember(key, kind: kind, account: account, slot: slot)
            } else if let slot = cache.slot(of: key, kind: kind, account: account) {
                hits += 1
                XCTAssertEqual(slot, truth[name], name)
            }
        }
        XCTAssertGreaterThan(hits, 100, "the cache should answer some lookups")
    }
}
