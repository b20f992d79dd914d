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
        let cues = CueMatcher.shared.cues(in: bytes)
        let exact = StableHash.hash(bytes, seed: 0x5EED)
        // The opening words read forwards and the closing words read backwards: only the two
        // ends of a long prompt are tokenised.
        var opening = SkeletonHasher()
        var i = 0
        while i < bytes.count && opening.total < prefixWords + 1 { opening.feed(bytes[i]); i += 1 }
        opening.finishToken()
        guard opening.total >= minimumWords else {
            return PromptFeatures(cues: cues, prefixFamily: nil, suffixFamily: nil, exactHash: exact)
        }
        var closing = SkeletonHasher(limit: suffixWords)
        var j = bytes.count - 1
        while j >= 0 && closing.total < suffixWords + 1 { closing.feed(bytes[j]); j -= 1 }
        closing.finishToken()
        return PromptFeatures(cues: cues, prefixFamily: opening.prefixHash, suffixFamily: closing.prefixHash ^ 0xABCD_EF01, exactHash: exact)
    }
}

/// Splits text into tokens (ASCII words folded to lower case, digit runs masked to '#',
/// non-ASCII runs chunked) and hashes the first `limit` of them. Fed backwards, a word is
/// hashed reversed, consistently, which is all a family key needs.
struct SkeletonHasher {
    /// Tokens folded into `prefixHash` (the opening words, or the closing words read backwards).
    let limit: Int
    private(set) var prefixHash: UInt64 = 0x1234_5678
    private var prefixCount = 0
    private(set) var total = 0
    private var token: UInt64 = 0
    private var tokenLength = 0
    private var nonASCII = false
    private var lastWasDigit = false

    init(limit: Int = PromptAnalyzer.prefixWords) { self.limit = limit }

    @inline(__always)
    mutating func finishToken() {
        guard tokenLength > 0 else { return }
        let h = StableHash.mix(token ^ UInt64(tokenLength))
        if prefixCount < limit {
            prefixHash = StableHash.combine(prefixHash, h)
            prefixCount += 1
        }
        total += 1
        token = 0
        tokenLength = 0
        lastWasDigit = false
    }

    @inline(__always)
    mutating func feed(_ byte: UInt8) {
        if byte >= 0x80 {
            if !nonASCII { finishToken(); nonASCII = true }
            if tokenLength >= PromptAnalyzer.maxNonASCIITokenBytes && (byte & 0xC0) != 0x80 { finishToken() }
            token = token &* 0x100_0000_01B3 ^ UInt64(byte)
            tokenLength += 1
            return
        }
        var b = byte
        let isLetter = (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A
        let isDigit = b >= 0x30 && b <= 0x39
        guard isLetter || isDigit || b == 0x27 else {
            finishToken()
            nonASCII = false
            return
        }
        if nonASCII { finishToken(); nonASCII = false }
        if isDigit {
            // Every digit run reads as one '#', so "12" and "12345" fill the same slot.
            if lastWasDigit { return }
            b = 0x23
            lastWasDigit = true
        } else {
            b |= isLetter ? 0x20 : 0
            lastWasDigit = false
        }
        token = (token << 8 | token >> 56) ^ UInt64(b)
        tokenLength += 1
    }
}
