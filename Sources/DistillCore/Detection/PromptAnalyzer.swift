/// What the detector keeps of one prompt: its cues, the template families it belongs to and
/// a hash of its exact text. The text itself is not kept.
struct PromptFeatures: Sendable {
    var cues: PromptCues
    /// Template skeleton keys: the opening words and the closing words with numbers masked.
    /// Templates put their fixed instruction first or last and the variable part between, so
    /// two fills of one template share a key while different templates do not.
    var prefixFamily: UInt64?
    var suffixFamily: UInt64?
    var exactHash: UInt64
}

enum PromptAnalyzer {
    /// Words in the opening/closing skeleton. Six words hold an instruction ("solve the
    /// following problem step by") while leaving out most of the variable part.
    static let prefixWords = 6
    static let suffixWords = 5
    /// Non-ASCII runs (CJK has no spaces) are cut into tokens of at most this many bytes.
    static let maxNonASCIITokenBytes = 12
    static let minimumWords = 4

    static func analyze(_ text: String) -> PromptFeatures {
        // In place when the string is contiguous (always, for native strings): no retain, no copy.
        if let f = text.utf8.withContiguousStorageIfAvailable({ analyze(UnsafeRawBufferPointer($0)) }) { return f }
        var copy = text
        return copy.withUTF8 { analyze(UnsafeRawBufferPointer($0)) }
    }

    static func analyze(_ bytes: UnsafeRawBufferPointer) -> PromptFeatures {
        let cues = LexiconMatcher.shared.cues(in: bytes)
        let exact = StableHash.hash(bytes, seed: 0x5EED)
        // The opening words read forwards and the closing words read backwards: only the two
        // ends of a long prompt are tokenised.
        guard let base = bytes.baseAddress else {
            return PromptFeatures(cues: cues, prefixFamily: nil, suffixFamily: nil, exactHash: exact)
        }
        let opening = SkeletonHasher.hash(base, count: bytes.count, backwards: false, words: prefixWords)
        guard opening.tokens >= minimumWords else {
            return PromptFeatures(cues: cues, prefixFamily: nil, suffixFamily: nil, exactHash: exact)
        }
        let closing = SkeletonHasher.hash(base, count: bytes.count, backwards: true, words: suffixWords)
        return PromptFeatures(cues: cues, prefixFamily: opening.hash, suffixFamily: closing.hash ^ 0xABCD_EF01, exactHash: exact)
    }
}

/// Splits text into tokens (ASCII words folded to lower case, digit runs masked to '#',
/// non-ASCII runs chunked) and hashes the first `words` of them. Read backwards, a word is
/// hashed reversed, consistently, which is all a family key needs.
enum SkeletonHasher {
    /// What each byte is to the tokenizer: a letter folded to lower case, `'`, `#` for a digit,
    /// 0 for a separator, 0x80 for a UTF-8 continuation byte and 0x81 for any other non-ASCII byte.
    static let byteClass: [UInt8] = (0..<256).map { i -> UInt8 in
        let b = UInt8(i)
        switch b {
        case 0x41...0x5A: return b | 0x20
        case 0x61...0x7A, 0x27: return b
        case 0x30...0x39: return 0x23
        case 0x80...0xBF: return 0x80
        case 0xC0...0xFF: return 0x81
        default: return 0
        }
    }

    /// Reads tokens from one end until `words` have been seen (or the text ends); returns the
    /// hash of those and how many were seen (at most `words`). One loop with its state in
    /// locals and a table for the byte tests: this runs on every prompt.
    @inline(__always)
    static func hash(_ base: UnsafeRawPointer, count n: Int, backwards: Bool, words limit: Int) -> (hash: UInt64, tokens: Int) {
        var hash: UInt64 = 0x1234_5678
        var hashed = 0
        var total = 0
        var token: UInt64 = 0
        var tokenLength = 0
        var nonASCII = false
        var lastWasDigit = false

        @inline(__always) func finishToken() {
            guard tokenLength > 0 else { return }
            if hashed < limit {
                hash = StableHash.combine(hash, StableHash.mix(token ^ UInt64(tokenLength)))
                hashed &+= 1
            }
            total &+= 1
            token = 0
            tokenLength = 0
            lastWasDigit = false
        }

        byteClass.withUnsafeBufferPointer { classes in
            var k = backwards ? n &- 1 : 0
            let step = backwards ? -1 : 1
            var remaining = n
            while remaining > 0 && total < limit {
                let b = base.load(fromByteOffset: k, as: UInt8.self)
                let c = classes[Int(b)]
                k &+= step
                remaining &-= 1
                if c == 0 {
                    finishToken()
                    nonASCII = false
                } else if c >= 0x80 {
                    if !nonASCII { finishToken(); nonASCII = true }
                    if tokenLength >= PromptAnalyzer.maxNonASCIITokenBytes && c == 0x81 { finishToken() }
                    token = token &* 0x100_0000_01B3 ^ UInt64(b)
                    tokenLength &+= 1
                } else {
                    if nonASCII { finishToken(); nonASCII = false }
                    // Every digit run reads as one '#', so "12" and "12345" fill the same slot.
                    let isDigit = c == 0x23
                    if isDigit && lastWasDigit { continue }
                    lastWasDigit = isDigit
                    token = (token << 8 | token >> 56) ^ UInt64(c)
                    tokenLength &+= 1
                }
            }
        }
        finishToken()
        return (hash, total)
    }
}
