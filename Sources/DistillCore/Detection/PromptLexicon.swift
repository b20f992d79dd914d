/// Cue phrases that show what a prompt is trying to extract, by category, in several
/// languages. Matching is by substring over lowercased text, so inflected forms share a stem.
///
/// The split that matters: *light* reasoning cues ("let's think step by step", "show your
/// work") are what evaluation harnesses and students write; *strong* cues ask for the whole
/// reasoning trace, rubric grading, narrated tool use or a rewrite that keeps every step —
/// the material a distiller trains on.
public struct PromptCues: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let lightReasoning = PromptCues(rawValue: 1 << 0)
    public static let fullReasoning = PromptCues(rawValue: 1 << 1)
    public static let rubricGrading = PromptCues(rawValue: 1 << 2)
    public static let toolNarration = PromptCues(rawValue: 1 << 3)
    public static let keepReasoningRewrite = PromptCues(rawValue: 1 << 4)

    /// Cues that ask for training material rather than an answer.
    public static let extraction: PromptCues = [.fullReasoning, .rubricGrading, .toolNarration, .keepReasoningRewrite]
}

/// The lexicon's cue phrases found in a text, for showing a person why a prompt counted.
public enum CuePhrases {
    /// Each extraction cue phrase the text contains (any case), with its cue, in the order
    /// they first appear; overlapping phrases are given once, the longest.
    public static func extraction(in text: String) -> [(phrase: String, cue: PromptCues)] {
        let lower = text.lowercased()
        var found: [(at: String.Index, phrase: String, cue: PromptCues)] = []
        for (phrase, cue) in PromptLexicon.phrases where !cue.isDisjoint(with: .extraction) {
            if let r = lower.firstRange(of: phrase) { found.append((r.lowerBound, phrase, cue)) }
        }
        found.sort { ($0.at, $1.phrase.count) < ($1.at, $0.phrase.count) }
        var out: [(phrase: String, cue: PromptCues)] = []
        for f in found where !out.contains(where: { $0.phrase.contains(f.phrase) }) { out.append((f.phrase, f.cue)) }
        return out
    }

    /// A name for a cue, for people.
    public static func name(_ cue: PromptCues) -> String {
        if cue.contains(.fullReasoning) { return "full reasoning" }
        if cue.contains(.rubricGrading) { return "rubric grading" }
        if cue.contains(.toolNarration) { return "narrated tool use" }
        if cue.contains(.keepReasoningRewrite) { return "rewrite keeping the steps" }
        return "step by step"
    }
}

enum PromptLexicon {
    static let phrases: [(String, PromptCues)] = {
        var all: [(String, PromptCues)] = []
        func add(_ cue: PromptCues, _ list: [String]) { all += list.map { ($0, cue) } }

        add(.lightReasoning, [
            "step by step", "step-by-step", "let's think", "let us think", "show your work",
            "explain your answer", "one step at a time",
            "一步一步", "逐步", "шаг за шагом", "пошагово", "paso a paso", "étape par étape",
            "schritt für schritt", "passo a passo", "خطوة بخطوة", "ステップバイステップ", "段階的に",
            "단계별", "adım adım", "krok po kroku", "passo dopo passo", "चरण-दर-चरण", "चरण दर चरण",
            // "Show your reasoning" is what evaluation harnesses and homework write, as "show your work".
            "show your reasoning", "show me your reasoning", "展示你的推理", "покажи свои рассуждения",
            "покажите свои рассуждения", "muestra tu razonamiento", "muestre su razonamiento",
            "mostre seu raciocínio", "mostre o seu raciocínio", "montre ton raisonnement",
            "montrez votre raisonnement", "mostra il tuo ragionamento",
        ])
        add(.fullReasoning, [
            "all your reasoning", "all of your reasoning", "full reasoning", "complete reasoning",
            "entire reasoning", "whole reasoning", "detailed reasoning", "reasoning in full",
            "reasoning process", "reasoning trace", "chain of thought", "chain-of-thought",
            "thought process", "thinking process", "internal monologue", "scratchpad",
            "every reasoning step", "each reasoning step", "every intermediate step",
            "each intermediate step", "explain every step", "explain each step",
            "every step of your", "each step of your", "write out your", "spell out your",
            "show every step", "show each step", "think through this carefully",
            "think aloud", "think out loud", "in exhaustive detail", "justify every step",
            "explain your reasoning", "your reasoning in full", "reasoning behind each", "reasoning for each",
            "reason through it", "reason through each", "full step-by-step", "complete step-by-step",
            "do not skip any step", "don't skip any step", "without skipping any step", "every step in detail",
            "each step in detail", "each one in detail", "intermediate reasoning", "all intermediate steps",
            "reasoning steps", "exhaustive detail", "your judgement in detail", "your judgment in detail",
            "reason through",
            // Asking for all of the process by other words: its thinking whole, nothing skipped,
            // how the answer was reached.
            "all the thinking", "all your thinking", "all of your thinking", "all of the thinking",
            "full thinking", "complete thinking", "entire thinking", "whole thinking",
            "thinking in full", "every bit of your thinking",
            "no shortcuts", "without shortcuts", "without any shortcuts", "don't take shortcuts",
            "do not take shortcuts", "no skipped steps", "skip nothing", "don't skip anything",
            "do not skip anything", "without skipping anything", "without skipping steps",
            "don't skip steps", "do not skip steps", "leave no step out",
            "how you get there", "how you got there", "how you arrived at", "how you arrive at",
            "how you reached", "how you worked it out", "how you figured it out", "how you came to",
            "through every step", "through each step", "every single step", "each and every step",
            // The same in other languages: nothing skipped, how the answer was reached.
            "不要跳过任何步骤", "不要跳步", "不跳过任何步骤", "你是怎么得出", "你是如何得出", "所有的思考", "完整的思考",
            "ステップを省略せず", "どうやってその答えに", "考えたことをすべて", "단계를 생략하지", "어떻게 그 답에", "생각을 모두",
            "не пропуская ни одного шага", "не пропускай шаги", "не пропускайте шаги", "как ты пришёл к",
            "как ты пришел к", "как вы пришли к", "все свои мысли",
            "sin saltarte ningún paso", "sin saltar ningún paso", "sin omitir ningún paso", "cómo llegaste a", "todo tu pensamiento",
            "sem pular nenhum passo", "sem pular etapas", "como você chegou a", "todo o seu pensamento",
            "sans sauter d'étape", "sans sauter aucune étape", "sans omettre aucune étape", "comment tu es arrivé",
            "comment vous êtes arrivé", "toute ta réflexion", "toute votre réflexion",
            "ohne schritte zu überspringen", "keinen schritt auslassen", "keinen schritt überspringen",
            "wie du darauf gekommen bist", "wie sie darauf gekommen sind",
            "senza saltare passaggi", "senza saltare nessun passaggio", "come sei arrivato", "tutto il tuo ragionamento",
            // The same requests in other languages: "explain your reasoning", "thought process",
            // "complete reasoning", in the familiar and the polite forms.
            // zh
            "思考过程", "推理过程", "详细推理", "完整推理", "思维链", "每一步推理", "详细的推理",
            "完整的推理", "全部推理", "推理步骤", "解释你的推理",
            // ru
            "ход рассуждений", "все рассуждения", "каждое рассуждение", "подробно объясняя",
            "полное рассуждение", "цепочку рассуждений", "подробные рассуждения",
            "ход мыслей", "ход своих мыслей", "объясни свои рассуждения", "объясните свои рассуждения", "процесс рассуждения",
            // es
            "razonamiento completo", "todo tu razonamiento", "todo el razonamiento", "cada paso de tu razonamiento",
            "explica tu razonamiento", "explique su razonamiento", "proceso de razonamiento", "razonamiento detallado",
            // pt
            "raciocínio completo", "todo o seu raciocínio", "cada passo do raciocínio",
            "explique seu raciocínio", "explique o seu raciocínio", "explica o teu raciocínio",
            "todo o raciocínio", "processo de raciocínio", "raciocínio detalhado",
            // fr
            "raisonnement complet", "tout votre raisonnement", "chaque étape de votre raisonnement",
            "tout ton raisonnement", "chaque étape de ton raisonnement", "explique ton raisonnement",
            "expliquez votre raisonnement", "processus de raisonnement", "raisonnement détaillé",
            // de
            "gesamten gedankengang", "vollständigen gedankengang", "jeden denkschritt", "vollständige begründung",
            "deinen gedankengang", "ihren gedankengang", "deine überlegungen",
            "vollständige argumentation", "gesamte argumentation", "denkprozess",
            // it
            "ragionamento completo", "tutto il ragionamento", "spiega il tuo ragionamento", "processo di ragionamento", "ragionamento dettagliato",
            // ja / ko
            "思考プロセス", "推論過程", "すべての推論", "추론 과정", "사고 과정", "모든 추론",
            "推論の過程", "思考の過程", "推論の手順", "推論を詳しく", "추론을 자세히", "생각 과정",
            // ar / tr / hi
            "كل خطوات التفكير", "تفكيرك الكامل", "düşünce sürecin", "tüm akıl yürütme",
            "اشرح استدلالك", "اشرح تفكيرك", "عملية التفكير", "akıl yürütmeni", "akıl yürütme sürecin",
            "पूरा तर्क", "अपना तर्क", "तर्क प्रक्रिया", "सोचने की प्रक्रिया",
        ])
        add(.rubricGrading, [
            "rubric", "grading criteria", "scoring criteria", "grade this answer", "grade the answer",
            "grade the following", "grade each", "score this answer", "score the following answer",
            "for each criterion", "each criterion", "evaluate the following answer",
            "评分标准", "评分细则", "критерии оценки", "по каждому критерию", "rúbrica", "barème",
            "bewertungskriterien", "採点基準", "채점 기준",
        ])
        add(.toolNarration, [
            "narrate each", "narrate every", "narrate your", "narrating each", "narrating every",
            "each tool call", "every tool call", "each tool you", "every tool you",
            "tool invocation", "each function call", "every function call", "each api call you",
            "describe each action", "explain each action", "explain every action",
            "why you chose each tool", "before each tool", "after each tool", "each command you run",
            "every command you run", "explain why you call", "running commentary", "each action you",
            "every action you", "each tool use", "every tool use", "tool invocation and", "each command and",
            "every command and", "narrate every", "narrate each", "before each command", "each file you read",
            "每次工具调用", "每个工具调用", "каждый вызов инструмента", "cada llamada a herramienta",
        ])
        add(.keepReasoningRewrite, [
            "keep every reasoning step", "keeping every reasoning step", "keep each reasoning step",
            "keep all the reasoning", "keep all reasoning", "keeping all reasoning",
            "preserve every step", "preserving every step", "preserve the reasoning",
            "preserving the reasoning", "retain every step", "retaining every step",
            "without dropping any step", "without removing any reasoning",
            "rewrite safely", "rewrite it safely", "rewrite this safely", "safer version",
            "keep each step", "keep every step", "keeping each step", "keeping every step", "keep all intermediate",
            "keep the full step-by-step", "keeping the full step-by-step", "preserve every intermediate",
            "preserve each step", "without removing any", "policy-compliant, but keep",
            "保留每一步", "保留所有推理", "сохраняя каждый шаг", "manteniendo cada paso",
        ])
        return all
    }()
}

/// The lexicon's cues in a prompt, from one of two automata. Text without a non-ASCII byte (most
/// prompts) cannot contain a cue that has one, so it is scanned by an automaton of the ASCII
/// cues alone: its table is a fraction of the full one (whose byte classes include every byte
/// of the CJK, Cyrillic and Arabic cues), so more of it stays in the CPU caches. Other text
/// takes the full automaton, lower-cased first.
struct LexiconMatcher: Sendable {
    let full: CueMatcher
    let ascii: CueMatcher

    static let shared = LexiconMatcher(phrases: PromptLexicon.phrases)

    init(phrases: [(String, PromptCues)]) {
        full = CueMatcher(phrases: phrases)
        ascii = CueMatcher(phrases: phrases, asciiOnly: true)
    }

    func cues(in bytes: UnsafeRawBufferPointer) -> PromptCues {
        CueMatcher.hasNonASCII(bytes) ? full.loweredCues(in: bytes) : ascii.splitScan(bytes)
    }
}

/// A multi-pattern matcher (Aho–Corasick, compiled to a DFA over byte classes) that finds
/// every lexicon cue in one pass over the prompt's bytes. ASCII letters are folded to
/// lower case on the fly; text with other letters is lower-cased before the pass.
struct CueMatcher: Sendable {
    private let byteClass: [UInt8]        // 256 entries
    private let classCount: Int
    private let transitions: [Int32]      // row offset + class → next row offset; cue bits of the target state in the top byte
    private let maxPatternBytes: Int

    /// Bytes of the transition table (for tests).
    var tableBytes: Int { transitions.count * MemoryLayout<Int32>.stride }

    /// `asciiOnly`: leave out the cues with non-ASCII bytes (see `LexiconMatcher`).
    init(phrases: [(String, PromptCues)], asciiOnly: Bool = false) {
        // Text is lower-cased before the scan, and that does not always give the cue back:
        // Turkish "ADIM" lowers to "adim", not "adım". Such round trips are cues as well.
        let lowered = phrases.flatMap { phrase, cue -> [(String, PromptCues)] in
            let lower = phrase.lowercased()
            let roundTrip = lower.uppercased().lowercased()
            return roundTrip == lower ? [(lower, cue)] : [(lower, cue), (roundTrip, cue)]
        }
        let patterns = lowered.map { (Array($0.0.utf8), $0.1.rawValue) }.filter { !asciiOnly || $0.0.allSatisfy { $0 < 0x80 } }
        var classes = [UInt8](repeating: 0, count: 256)
        var next: UInt8 = 1
        for (bytes, _) in patterns {
            for b in bytes where classes[Int(b)] == 0 {
                classes[Int(b)] = next
                next += 1
            }
        }
        // Upper-case ASCII reads as its lower-case letter.
        for upper in UInt8(ascii: "A")...UInt8(ascii: "Z") { classes[Int(upper)] = classes[Int(upper + 32)] }
        let width = Int(next)

        // Trie.
        var trie: [[Int32]] = [Array(repeating: -1, count: width)]
        var out: [UInt8] = [0]
        for (bytes, bits) in patterns {
            var state = 0
            for b in bytes {
                let c = Int(classes[Int(b)])
                if trie[state][c] < 0 {
                    trie.append(Array(repeating: -1, count: width))
                    out.append(0)
                    trie[state][c] = Int32(trie.count - 1)
                }
                state = Int(trie[state][c])
            }
            out[state] |= bits
        }
        // Failure links, breadth first, folded into a complete DFA.
        var fail = [Int](repeating: 0, count: trie.count)
        var table = [Int32](repeating: 0, count: trie.count * width)
        var queue: [Int] = []
        for c in 0..<width {
            let s = trie[0][c]
            if s >= 0 { table[c] = s; fail[Int(s)] = 0; queue.append(Int(s)) } else { table[c] = 0 }
        }
        var head = 0
        while head < queue.count {
            let state = queue[head]; head += 1
            out[state] |= out[fail[state]]
            for c in 0..<width {
                let s = trie[state][c]
                if s >= 0 {
                    fail[Int(s)] = Int(table[fail[state] * width + c])
                    table[state * width + c] = s
                    queue.append(Int(s))
                } else {
                    table[state * width + c] = table[fail[state] * width + c]
                }
            }
        }
        // Rows are laid out breadth first: text keeps the automaton in shallow states (the root
        // and the first letter or two of a cue), so their rows sit together instead of scattered
        // over the 1.2 MB table. Its share of `scan` time moved within the noise (10.3% -> 9.7%).
        let order = [0] + queue
        var rank = [Int32](repeating: 0, count: trie.count)
        for (newIndex, state) in order.enumerated() { rank[state] = Int32(newIndex) }
        // Each entry holds the row offset of the state it enters (state × width, so the loop
        // needs no multiply on its critical path) and that state's cue bits in its top byte.
        precondition(trie.count * width < 1 << 24, "cue lexicon too large for 24-bit row offsets")
        byteClass = classes
        classCount = width
        maxPatternBytes = max(1, patterns.map(\.0.count).max() ?? 1)
        var laidOut = [Int32](repeating: 0, count: table.count)
        for (newIndex, state) in order.enumerated() {
            for c in 0..<width {
                let target = Int(table[state * width + c])
                laidOut[newIndex * width + c] = rank[target] * Int32(width) | Int32(out[target]) << 24
            }
        }
        transitions = laidOut
    }

    /// The cues in `bytes`. The automaton folds ASCII letters only, so text with other bytes is
    /// lower-cased first: "Шаг за шагом" and "ÉTAPE PAR ÉTAPE" must match their cues too.
    /// Most prompts are ASCII and skip this after one word-at-a-time check; most of the rest are
    /// in scripts `SimpleLowercase` folds byte for byte.
    func cues(in bytes: UnsafeRawBufferPointer) -> PromptCues {
        Self.hasNonASCII(bytes) ? loweredCues(in: bytes) : splitScan(bytes)
    }

    /// The cues in text with non-ASCII bytes: lower-cased, then scanned.
    func loweredCues(in bytes: UnsafeRawBufferPointer) -> PromptCues {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count) { buffer in
            if let out = buffer.baseAddress, SimpleLowercase.fold(bytes, into: out) {
                return splitScan(UnsafeRawBufferPointer(start: out, count: bytes.count))
            }
            var lower = String(decoding: bytes, as: UTF8.self).lowercased()
            return lower.withUTF8 { splitScan(UnsafeRawBufferPointer($0)) }
        }
    }

    static func hasNonASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let n = bytes.count
        var i = 0
        while i + 8 <= n {
            if base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return true }
            i += 8
        }
        while i < n {
            if base.load(fromByteOffset: i, as: UInt8.self) >= 0x80 { return true }
            i += 1
        }
        return false
    }

    /// Several parts of a text at once (see below); the same answer as `scan`.
    func splitScan(_ bytes: UnsafeRawBufferPointer) -> PromptCues {
        // One byte's step waits on the previous one (the next row comes from the last load), so a
        // single scan is bound by load latency. The text is cut into four parts (two for a short
        // one) scanned at once: independent chains keep the core busy. A part runs on past its
        // cut until its automaton is back at the root (no cue in progress began before the cut;
        // the next part, which starts at the root at the cut, sees every cue that begins after
        // it), and at most for the longest cue less one byte. A cue seen twice sets its bit twice.
        let n = bytes.count
        guard let base = bytes.baseAddress, n >= 64 else { return scan(bytes) }
        let overlap = maxPatternBytes - 1
        var found: UInt32 = 0
        byteClass.withUnsafeBufferPointer { classes in
            transitions.withUnsafeBufferPointer { table in
                @inline(__always) func step(_ state: Int, _ k: Int) -> UInt32 {
                    UInt32(bitPattern: table[state &+ Int(classes[Int(base.load(fromByteOffset: k, as: UInt8.self))])])
                }
                /// One chain over `[from, to)`, or only until it is back at the root.
                @inline(__always) func run(_ state: Int, _ from: Int, _ to: Int, untilRoot: Bool) {
                    var state = state, k = from
                    while k < to && !(untilRoot && state == 0) {
                        let e = step(state, k)
                        found |= e
                        state = Int(e & 0x00FF_FFFF)
                        k &+= 1
                    }
                }
                /// The last part to the end of the text; the others past their cut at `from`.
                @inline(__always) func finish(_ state: Int, _ from: Int) { run(state, from, n, untilRoot: false) }
                @inline(__always) func runOn(_ state: Int, _ from: Int) { run(state, from, min(n, from + overlap), untilRoot: true) }
                if n >= 256 {
                    let q = n / 4
                    var s0 = 0, s1 = 0, s2 = 0, s3 = 0
                    var k = 0
                    while k < q {
                        let e0 = step(s0, k), e1 = step(s1, q &+ k), e2 = step(s2, 2 &* q &+ k), e3 = step(s3, 3 &* q &+ k)
                        found |= (e0 | e1) | (e2 | e3)
                        s0 = Int(e0 & 0x00FF_FFFF); s1 = Int(e1 & 0x00FF_FFFF)
                        s2 = Int(e2 & 0x00FF_FFFF); s3 = Int(e3 & 0x00FF_FFFF)
                        k &+= 1
                    }
                    finish(s3, 4 * q)
                    runOn(s0, q)
                    runOn(s1, 2 * q)
                    runOn(s2, 3 * q)
                } else {
                    let half = n / 2
                    var s0 = 0, s1 = 0
                    var k = 0
                    while k < half {
                        let e0 = step(s0, k), e1 = step(s1, half &+ k)
                        found |= e0 | e1
                        s0 = Int(e0 & 0x00FF_FFFF); s1 = Int(e1 & 0x00FF_FFFF)
                        k &+= 1
                    }
                    finish(s1, 2 * half)
                    runOn(s0, half)
                }
            }
        }
        return PromptCues(rawValue: UInt8(truncatingIfNeeded: found >> 24))
    }

    /// The plain one-chain scan (short prompts, and the reference the split scan is tested against).
    func scan(_ bytes: UnsafeRawBufferPointer) -> PromptCues {
        var found: UInt8 = 0
        var state = 0
        byteClass.withUnsafeBufferPointer { classes in
            transitions.withUnsafeBufferPointer { table in
                for b in bytes {
                    let entry = UInt32(bitPattern: table[state &+ Int(classes[Int(b)])])
                    found |= UInt8(truncatingIfNeeded: entry >> 24)
                    state = Int(entry & 0x00FF_FFFF)
                }
            }
        }
        return PromptCues(rawValue: found)
    }
}
