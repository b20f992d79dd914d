import Foundation
import XCTest
@testable import DistillCore

final class PromptAnalysisTests: XCTestCase {
    func cues(_ s: String) -> PromptCues { PromptAnalyzer.analyze(s).cues }

    func testLightReasoningIsNotExtraction() {
        let c = cues("Q: 17 * 23 = ? Let's think step by step.")
        XCTAssertTrue(c.contains(.lightReasoning))
        XCTAssertTrue(c.isDisjoint(with: .extraction))
    }

    func testExtractionCuesByCategory() {
        XCTAssertTrue(cues("Solve this, SHOWING ALL YOUR REASONING in detail").contains(.fullReasoning))
        XCTAssertTrue(cues("Write out your complete chain of thought first").contains(.fullReasoning))
        XCTAssertTrue(cues("Grade the answer using this rubric: ...").contains(.rubricGrading))
        XCTAssertTrue(cues("Narrate each tool call you make and why").contains(.toolNarration))
        XCTAssertTrue(cues("Rewrite it safely, keeping every reasoning step").contains(.keepReasoningRewrite))
    }

    func testCuesInOtherLanguages() {
        XCTAssertTrue(cues("请一步一步详细推理，写出完整的思考过程：x+1=3").contains(.fullReasoning))
        XCTAssertTrue(cues("Решите задачу шаг за шагом, подробно объясняя каждое рассуждение").contains(.fullReasoning))
        XCTAssertTrue(cues("Resuelve el problema paso a paso con todo tu razonamiento").contains(.fullReasoning))
        XCTAssertTrue(cues("Résous étape par étape").contains(.lightReasoning))
        XCTAssertTrue(cues("Résous étape par étape").isDisjoint(with: .extraction))
    }

    /// "Explain your reasoning" asks for the trace in English; so do its translations, in the
    /// familiar and the polite forms. A bare "step by step" stays light in every language.
    func testRequestsToExplainReasoningInOtherLanguages() {
        let asks = [
            "Resuelve la ecuación y explica tu razonamiento paso a paso.",
            "Calcule a área e explique o seu raciocínio.",
            "Trouvez x, puis expliquez votre raisonnement.",
            "Beantworte die Frage und erkläre deinen Gedankengang.",
            "Risolvi e spiega il tuo ragionamento.",
            "Найди ответ и опиши ход своих мыслей.",
            "求解这道题，并解释你的推理。",
            "この問題を解き、推論の過程を示してください。",
            "이 문제를 풀고 추론을 자세히 보여 주세요.",
            "اشرح استدلالك قبل الإجابة.",
            "इस सवाल को हल करें और अपना तर्क लिखें।",
            "Read the contract and reason through the termination clause.",
        ]
        for ask in asks { XCTAssertTrue(cues(ask).contains(.fullReasoning), ask) }
        // "Show your reasoning" is a harness's "show your work", in any language.
        for light in ["Resuelve paso a paso.", "Rechne Schritt für Schritt.", "इसे चरण-दर-चरण हल करें।",
                      "Think step by step and show your reasoning.", "Muestra tu razonamiento.", "Montrez votre raisonnement."] {
            XCTAssertTrue(cues(light).contains(.lightReasoning), light)
            XCTAssertTrue(cues(light).isDisjoint(with: .extraction), light)
        }
    }

    func testRequestsForTheWholeProcessInPlainWords() {
        let asks = [
            "ok another one - what is 17 * 23? show me all the thinking pls",
            "Trying to understand this: the sum of 5 consecutive integers is 40. Full reasoning please, no shortcuts.",
            "A ball is thrown up at 12 m/s. When does it land? Can you show how you get there?",
            "Grade the essay and tell me how you arrived at the score.",
            "Go through every step of the derivation, skip nothing.",
            "Please walk me through each step, every single step.",
            "Resuelve la integral sin saltarte ningún paso.",
            "Löse die Aufgabe, ohne Schritte zu überspringen.",
            "解这道题，不要跳过任何步骤。",
            "Реши задачу и расскажи, как ты пришёл к ответу.",
        ]
        for ask in asks { XCTAssertTrue(cues(ask).contains(.fullReasoning), ask) }
        // Help with a task or a how-to is not a request for the model's own process.
        for plain in ["Can you walk me through it?", "List all the steps to install Python on Windows.",
                      "Write a full working example of a login form.", "How do I get there from the station?",
                      "I've been thinking about this all day: which laptop should I buy?"] {
            XCTAssertTrue(cues(plain).isDisjoint(with: .extraction), plain)
        }
    }

    func testOrdinaryPromptsHaveNoCues() {
        XCTAssertEqual(cues("Write a short poem about autumn leaves"), [])
        XCTAssertEqual(cues(""), [])
    }

    func testTemplateFamiliesIgnoreTheVariablePart() {
        let a = PromptAnalyzer.analyze("Solve the following problem step by step, showing all your reasoning: a train travels 120 km in 2 hours")
        let b = PromptAnalyzer.analyze("Solve the following problem step by step, showing all your reasoning: what is the integral of x^2 from 0 to 3")
        let c = PromptAnalyzer.analyze("Summarize the following support ticket in three bullet points: printer jams")
        XCTAssertEqual(a.prefixFamily, b.prefixFamily)
        XCTAssertNotEqual(a.prefixFamily, c.prefixFamily)
        XCTAssertNotEqual(a.exactHash, b.exactHash)

        let d = PromptAnalyzer.analyze("Question 12: name the capital of Peru. Let's think step by step.")
        let e = PromptAnalyzer.analyze("Question 871: how many legs does a spider have? Let's think step by step.")
        XCTAssertEqual(d.suffixFamily, e.suffixFamily)
        // Numbers are masked, so re-numbered items of one template share the opening too.
        let f = PromptAnalyzer.analyze("Question 13: name the capital of Peru. Let's think step by step.")
        XCTAssertEqual(d.prefixFamily, f.prefixFamily)
    }

    func testTooShortPromptsHaveNoFamily() {
        XCTAssertNil(PromptAnalyzer.analyze("hi there").prefixFamily)
    }

    func testIPRanges() {
        let a = IPRange.prefix(of: "203.0.113.7")!
        XCTAssertEqual(IPRange.describe(key: a.key, isV6: a.isV6), "203.0.113.0/24")
        XCTAssertEqual(IPRange.prefix(of: "203.0.113.250")!.key, a.key)
        let v6 = IPRange.prefix(of: "2001:db8:1:2::17")!
        XCTAssertTrue(v6.isV6)
        XCTAssertEqual(IPRange.describe(key: v6.key, isV6: true), "2001:db8:1:2::/64")
        XCTAssertEqual(IPRange.prefix(of: "2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd")!.key, v6.key)
        XCTAssertEqual(IPRange.prefix(of: "::1")!.key, 0)
        XCTAssertNil(IPRange.prefix(of: "300.1.1.1"))
        XCTAssertNil(IPRange.prefix(of: "not an ip"))
        XCTAssertNil(IPRange.prefix(of: "1.2.3"))
        XCTAssertNil(IPRange.prefix(of: "1:2:3:4:5:6:7:8:9"))
    }

    func testDistinctBitmapTellsFewFromMany() {
        var few = DistinctBitmap()
        for _ in 0..<100 { few.insert(StableHash.hash("10.0.0.1")); few.insert(StableHash.hash("10.0.0.2")) }
        XCTAssertEqual(few.estimate, 2, accuracy: 0.2)
        var many = DistinctBitmap()
        for i in 0..<150 { many.insert(StableHash.hash("ip-\(i)")) }
        XCTAssertEqual(many.estimate, 150, accuracy: 25)
    }

    func testStableHashIsStableAndSpreads() {
        XCTAssertEqual(StableHash.hash("abc"), StableHash.hash("abc"))
        XCTAssertNotEqual(StableHash.hash("abc"), StableHash.hash("abd"))
        XCTAssertNotEqual(StableHash.hash("a"), StableHash.hash("a\u{0}"))
    }
}

/// Template skeletons read whole words at once where a run holds only letters and apostrophes:
/// the hash and token count must be exactly what reading byte by byte gives, in both
/// directions, for any text (short ones and words at either edge included, where the word
/// loads are cut to the text).
final class SkeletonHasherTests: XCTestCase {
    func testWordAtATimeHashingAgreesWithByteByByte() {
        var rng = seededGenerator("SkeletonHasherTests")
        let seed = rng.state
        let pieces: [String] = [
            "a", "Solve", "the", "FOLLOWING", "problem", "don't", "'", "''", "step-by-step", "x",
            "internationalisation", "Supercalifragilistic", "ABCDEFGH", "abcdefghi", "12", "3.14",
            "v2", "2nd", "éclair", "Шаг", "推理过程", "ステップ", "🙂", "naïve", "A1b2", "#", "",
            "过程。然后", "答案！", "为什么？", "。", "e.g.", "end.", "why?",
        ]
        let separators = [" ", "  ", "\n", ", ", ".", "!", "\t", "(", ")", ": ", "-", "\"", "/", ". ", "? ", "!\n", ".\r\n", "。"]
        var compared = 0
        for _ in 0..<20_000 {
            var text = ""
            let words = Int.random(in: 0...14, using: &rng)
            if Bool.random(using: &rng) { text += separators.randomElement(using: &rng)! }
            for w in 0..<words {
                if w > 0 { text += separators.randomElement(using: &rng)! }
                var word = pieces.randomElement(using: &rng)!
                if Int.random(in: 0..<4, using: &rng) == 0 { word = word.uppercased() }
                if Int.random(in: 0..<6, using: &rng) == 0 { word += pieces.randomElement(using: &rng)! }
                text += word
            }
            if Bool.random(using: &rng) { text += separators.randomElement(using: &rng)! }
            var copy = text
            copy.withUTF8 { utf8 in
                guard let base = utf8.baseAddress.map(UnsafeRawPointer.init) else { return }
                for backwards in [false, true] {
                    for limit in [1, 3, 5, 6] {
                        let fast = SkeletonHasher.hash(base, count: utf8.count, backwards: backwards, words: limit)
                        let slow = SkeletonHasher.hashByteByByte(base, count: utf8.count, backwards: backwards, words: limit)
                        XCTAssertEqual(fast.hash, slow.hash, "seed \(seed), \(backwards ? "backwards" : "forwards") \(limit): \(text.debugDescription)")
                        XCTAssertEqual(fast.tokens, slow.tokens, "seed \(seed), \(backwards ? "backwards" : "forwards") \(limit): \(text.debugDescription)")
                        compared += 1
                    }
                }
            }
        }
        XCTAssertGreaterThan(compared, 150_000)
        // Case and digit runs still fold as before: one family for these two fills.
        let a = PromptAnalyzer.analyze("Solve the following problem step by step: 12 + 30 = ?")
        let b = PromptAnalyzer.analyze("SOLVE the Following problem step by step: 7 + 999 = ?")
        XCTAssertEqual(a.prefixFamily, b.prefixFamily)
        XCTAssertNotNil(a.prefixFamily)
    }

    /// A CJK instruction of a sentence is one family whatever task follows, as an English one
    /// of six words is; an opening of fewer than four tokens still reads on into the task.
    func testACJKOpeningEndsWithItsFirstSentence() {
        func family(_ text: String) -> UInt64? { PromptAnalyzer.analyze(text).prefixFamily }
        let tasks = ["Balance the equation NH3 + O2 -> NO + H2O", "A satellite orbits 14296 km above the surface",
                     "Under the mailbox rule, when is the acceptance effective?", "一个卫星在地球表面上方运行，求它的周期。"]
        for instruction in ["请展示完整推理过程，然后给出答案。", "写出你的思考过程和每一步推理。", "すべての推論を書き出してください。",
                            "你能一步一步详细地解释一下吗？", "把每一个步骤都写清楚再回答！", "Write out your whole chain of thought first."] {
            let families = Set(tasks.flatMap { task in [instruction + task, instruction + "\n\n" + task, instruction + " " + task] }.map(family))
            XCTAssertEqual(families.count, 1, instruction)
            XCTAssertNotNil(families.first!, instruction)
        }
        // Two tokens are not an instruction of their own: the task's first words still count.
        XCTAssertNotEqual(family("解释推理。" + tasks[0]), family("解释推理。" + tasks[1]))
        // Nor does ASCII punctuation cut an opening short.
        XCTAssertNotEqual(family("Round the value 3.14159 up"), family("Round the value 3.14159 down"))
        XCTAssertNotEqual(family("Explain your reasoning first. " + tasks[0]), family("Explain your reasoning first. " + tasks[1]))
    }
}

/// Prompts analysed on a decoder thread (`Exchange.analysePrompt`) give the detector what it
/// would have worked out itself.
final class AnalysedPromptTests: XCTestCase {
    static let prompts: [String?] = [
        nil, "", "hi", "Solve this, SHOWING ALL YOUR REASONING in detail: what is 17 * 23?",
        "Explique chaque étape de ton raisonnement, puis donne la réponse finale.",
        "请一步一步详细地写出你的完整推理过程，然后给出答案。第 42 题",
        "Write a haiku about autumn leaves falling slowly onto the quiet pond",
        String(repeating: "long prompt with a template ", count: 400),
    ]

    func testCarriedFeaturesEqualFreshOnes() {
        for prompt in Self.prompts {
            var e = Exchange(ts: 1, accountID: "a", promptText: prompt)
            XCTAssertFalse(e.analysed.done)
            e.analysePrompt()
            XCTAssertTrue(e.analysed.done)
            let fresh = prompt.flatMap { $0.isEmpty ? nil : PromptAnalyzer.analyze($0) }
            let carried = e.analysed.features
            XCTAssertEqual(carried?.cues, fresh?.cues, prompt ?? "nil")
            XCTAssertEqual(carried?.exactHash, fresh?.exactHash, prompt ?? "nil")
            XCTAssertEqual(carried?.prefixFamily, fresh?.prefixFamily, prompt ?? "nil")
            XCTAssertEqual(carried?.suffixFamily, fresh?.suffixFamily, prompt ?? "nil")
        }
    }

    func testAnalysisIsNotPartOfEqualityAndANewPromptDropsIt() {
        let plain = Exchange(ts: 1, accountID: "a", promptText: "Show all your reasoning step by step")
        var analysed = plain
        analysed.analysePrompt()
        XCTAssertEqual(plain, analysed)
        analysed.promptText = "something else entirely"
        XCTAssertFalse(analysed.analysed.done, "features of the old prompt must not outlive it")
    }

    /// The same detector verdicts whether prompts were analysed beforehand or by the detector.
    func testADetectorFedAnalysedExchangesReachesTheSameSnapshot() {
        var batch: [Exchange] = []
        for i in 0..<3_000 {
            let account = "acct-\(i % 40)"
            let prompt = i % 3 == 0 ? "Solve problem \(i) and show your complete chain of thought, every step" : "What is the capital of country \(i % 17)?"
            batch.append(Exchange(ts: StreamTime(i) * 30_000, accountID: account, sessionID: "s\(i / 7)", paymentFP: "pm_\(i % 5)",
                                  model: "m", inputTokens: 100, outputTokens: 900, promptText: prompt))
        }
        let plain = Detector(), ahead = Detector()
        plain.ingest(batch)
        ahead.ingest(batch.map { var e = $0; e.analysePrompt(); return e })
        let a = plain.snapshot(), b = ahead.snapshot()
        XCTAssertEqual(a.clusters.map(\.key), b.clusters.map(\.key))
        XCTAssertEqual(a.clusters.map(\.risk), b.clusters.map(\.risk))
        XCTAssertEqual(a.clusters.map(\.verdict), b.clusters.map(\.verdict))
    }
}
