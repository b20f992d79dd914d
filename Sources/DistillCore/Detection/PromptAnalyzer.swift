/// What the detector keeps of one prompt: its cues, the template families it belongs to and
/// a hash of its exact text. The text itself is not kept.
struct PromptFeatures: Sendable {
    var cues: PromptCues
    /// Template skeleton keys: the opening words and the closing words with numbers masked.
    /// Templates put their fixed instruction first or last and the variable part between.
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
        var copy = text
        return copy.withUTF8 { analyze(UnsafeRawBufferPointer($0)) }
    }

    static func analyze(_ bytes: UnsafeRawBufferPointer) -> PromptFeatures {
        let cues = CueMatcher.shared.cues(in: bytes)
        let exact = StableHash.hash(bytes, seed: 0x5EED)

        // Tokenise: ASCII letters (folded), digits masked as '#', non-ASCII runs chunked.
        var prefixHash: UInt64 = 0x1234_5678
        var prefixCount = 0
        var ring = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))  // last five token hashes
        var total = 0
        var token: UInt64 = 0
        var tokenLength = 0
        var tokenIsNonASCII = false

        @inline(__always) func finishToken() {
            guard tokenLength > 0 else { return }
            let h = StableHash.mix(token ^ UInt64(tokenLength))
            if prefixCount < prefixWords { prefixHash = StableHash.combine(prefixHash, h); prefixCount += 1 }
            ring = (ring.1, ring.2, ring.3, ring.4, h)
            total += 1
            token = 0; tokenLength = 0
        }

        var i = 0
        let n = bytes.count
        while i < n {
            var b = bytes[i]
            if b >= 0x80 {
                if !tokenIsNonASCII { finishToken(); tokenIsNonASCII = true }
                // Non-ASCII punctuation (、，。) still splits poorly; chunking bounds the damage.
                if tokenLength >= maxNonASCIITokenBytes && (b & 0xC0) != 0x80 { finishToken() }
                token = token &* 0x100_0000_01B3 ^ UInt64(b)
                tokenLength += 1
            } else if (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x27 {
                if tokenIsNonASCII { finishToken(); tokenIsNonASCII = false }
                if b >= 0x41 && b <= 0x5A { b += 32 }
                if b >= 0x30 && b <= 0x39 { b = 0x23 }  // every digit reads '#'
                // Runs of '#' collapse, so "12" and "12345" are the same slot.
                if !(b == 0x23 && tokenLength > 0 && (token & 0xFF) == 0x23) {
                    token = (token << 8 | token >> 56) ^ UInt64(b)
                    tokenLength += 1
                }
            } else {
                finishToken()
                tokenIsNonASCII = false
            }
            i += 1
        }
        finishToken()

        guard total >= minimumWords else {
            return PromptFeatures(cues: cues, prefixFamily: nil, suffixFamily: nil, exactHash: exact)
        }
        var suffix: UInt64 = 0xABCD_EF01
        let tail = [ring.0, ring.1, ring.2, ring.3, ring.4].suffix(min(suffixWords, total))
        for h in tail { suffix = StableHash.combine(suffix, h) }
        return PromptFeatures(cues: cues, prefixFamily: prefixHash, suffixFamily: suffix, exactHash: exact)
    }
}
