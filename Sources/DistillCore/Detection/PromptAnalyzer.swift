/// What the detector keeps of one prompt: its cues, the template families it belongs to and
/// a hash of its exact text. The text itself is not kept.
struct PromptFeatures: Sendable {
    var cues: PromptCues
    /// Template skeleton keys: the opening words and the closing words with numbers masked.
    /// Templates put their fixed instruction first or last and the variable part between, so
    /// two fills of one template share a key while different templates do not. Text without
    /// spaces is cut into chunks of four CJK characters, so six of them reach past a short
    /// instruction into the task; the opening therefore stops at a CJK sentence's end (`。`,
    /// `！`, `？`) once it holds enough tokens, and "请展示完整推理过程，然后给出答案。" is one
    /// family whatever task follows it, as its English counterpart of six words or more is.
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

    /// Tokens hashed so far from one end of a text.
    struct Tally {
        let limit: Int
        var hash: UInt64 = 0x1234_5678
        var hashed = 0
        var total = 0
        /// Set at a CJK sentence's end, read forwards, once enough tokens are in.
        var closed = false

        init(limit: Int) { self.limit = limit }

        /// Whether more tokens are wanted.
        @inline(__always) var open: Bool { total < limit && !closed }

        /// Called at a CJK sentence's end, read forwards: stops the reading when it holds
        /// enough tokens for a family.
        @inline(__always) mutating func endSentence() {
            if total >= PromptAnalyzer.minimumWords { closed = true }
        }

        @inline(__always)
        mutating func add(_ token: UInt64, length: Int) {
            if hashed < limit {
                hash = StableHash.combine(hash, StableHash.mix(token ^ UInt64(length)))
                hashed &+= 1
            }
            total &+= 1
        }
    }

    /// Reads tokens from one end until `words` have been seen (or the text ends); returns the
    /// hash of those and how many were seen. A run of letters and apostrophes between
    /// separators (most words) is one token, and its value (each byte folded in by an 8-bit
    /// rotation and an xor) is computed from whole words: 8-byte blocks counted from the end it
    /// is read towards, packed in reading order, xored. Any other run (digits, non-ASCII) is read
    /// byte by byte as `hashByteByByte` reads the whole text, which is the reference this is
    /// tested against.
    @inline(__always)
    static func hash(_ base: UnsafeRawPointer, count n: Int, backwards: Bool, words limit: Int) -> (hash: UInt64, tokens: Int) {
        var tally = Tally(limit: limit)
        byteClass.withUnsafeBufferPointer { classes in
            @inline(__always) func cls(_ k: Int) -> UInt8 { classes[Int(base.load(fromByteOffset: k, as: UInt8.self))] }
            if !backwards {
                var k = 0
                while k < n && tally.open {
                    if cls(k) == 0 { k &+= 1; continue }
                    var e = k, plain = true
                    while e < n {
                        let c = cls(e)
                        if c == 0 { break }
                        if c >= 0x80 || c == 0x23 { plain = false }
                        e &+= 1
                    }
                    if plain {
                        tally.add(forwardToken(base, k, e), length: e &- k)
                    } else {
                        tokenize(base, from: k, to: e, backwards: false, classes, &tally)
                    }
                    k = e
                }
            } else {
                var k = n &- 1
                while k >= 0 && tally.open {
                    if cls(k) == 0 { k &-= 1; continue }
                    var s = k, plain = true
                    while s >= 0 {
                        let c = cls(s)
                        if c == 0 { break }
                        if c >= 0x80 || c == 0x23 { plain = false }
                        s &-= 1
                    }
                    if plain {
                        tally.add(backwardToken(base, s &+ 1, k &+ 1, count: n), length: k &- s)
                    } else {
                        tokenize(base, from: s &+ 1, to: k &+ 1, backwards: true, classes, &tally)
                    }
                    k = s
                }
            }
        }
        return (tally.hash, tally.total)
    }

    /// Letters lower-cased: the run holds only letters and apostrophes, and `'` has 0x20 set.
    static let lowerCase: UInt64 = 0x2020_2020_2020_2020

    /// The rotate-and-xor value of the run `[start, end)` read forwards: blocks of eight from the
    /// end, each big-endian (the last byte lowest), xored.
    @inline(__always)
    static func forwardToken(_ base: UnsafeRawPointer, _ start: Int, _ end: Int) -> UInt64 {
        var token: UInt64 = 0
        var blockEnd = end
        while blockEnd &- start >= 8 {
            token ^= UInt64(littleEndian: base.loadUnaligned(fromByteOffset: blockEnd &- 8, as: UInt64.self)).byteSwapped | lowerCase
            blockEnd &-= 8
        }
        let m = blockEnd &- start
        guard m > 0 else { return token }
        let mask: UInt64 = (1 &<< UInt64(8 &* m)) &- 1
        if blockEnd >= 8 {
            // The eight bytes ending at the block's end; those before the run are masked off.
            token ^= (UInt64(littleEndian: base.loadUnaligned(fromByteOffset: blockEnd &- 8, as: UInt64.self)).byteSwapped | lowerCase) & mask
        } else {
            var packed: UInt64 = 0
            for k in start..<blockEnd { packed = packed &<< 8 | UInt64(base.load(fromByteOffset: k, as: UInt8.self) | 0x20) }
            token ^= packed
        }
        return token
    }

    /// The same read backwards: blocks of eight from the start, each little-endian (the first
    /// byte lowest), xored. `count`: the text's length, the limit of any load.
    @inline(__always)
    static func backwardToken(_ base: UnsafeRawPointer, _ start: Int, _ end: Int, count n: Int) -> UInt64 {
        var token: UInt64 = 0
        var blockStart = start
        while end &- blockStart >= 8 {
            token ^= UInt64(littleEndian: base.loadUnaligned(fromByteOffset: blockStart, as: UInt64.self)) | lowerCase
            blockStart &+= 8
        }
        let m = end &- blockStart
        guard m > 0 else { return token }
        let mask: UInt64 = (1 &<< UInt64(8 &* m)) &- 1
        if blockStart &+ 8 <= n {
            token ^= (UInt64(littleEndian: base.loadUnaligned(fromByteOffset: blockStart, as: UInt64.self)) | lowerCase) & mask
        } else if end >= 8 {
            // The eight bytes ending at the run's end, shifted down to its block.
            token ^= (UInt64(littleEndian: base.loadUnaligned(fromByteOffset: end &- 8, as: UInt64.self)) | lowerCase) &>> UInt64(8 &* (8 &- m))
        } else {
            var packed: UInt64 = 0
            for k in stride(from: end &- 1, through: blockStart, by: -1) { packed = packed &<< 8 | UInt64(base.load(fromByteOffset: k, as: UInt8.self) | 0x20) }
            token ^= packed
        }
        return token
    }

    /// `。` (E3 80 82), `！` (EF BC 81) or `？` (EF BC 9F) starting at `k`; three bytes readable.
    @inline(__always)
    static func endsSentenceCJK(_ base: UnsafeRawPointer, at k: Int) -> Bool {
        let b0 = base.load(fromByteOffset: k, as: UInt8.self)
        let b1 = base.load(fromByteOffset: k &+ 1, as: UInt8.self)
        let b2 = base.load(fromByteOffset: k &+ 2, as: UInt8.self)
        return (b0 == 0xE3 && b1 == 0x80 && b2 == 0x82) || (b0 == 0xEF && b1 == 0xBC && (b2 == 0x81 || b2 == 0x9F))
    }

    /// The whole text read byte by byte: what `hash` must agree with.
    static func hashByteByByte(_ base: UnsafeRawPointer, count n: Int, backwards: Bool, words limit: Int) -> (hash: UInt64, tokens: Int) {
        var tally = Tally(limit: limit)
        byteClass.withUnsafeBufferPointer { classes in
            tokenize(base, from: 0, to: n, backwards: backwards, classes, &tally)
        }
        return (tally.hash, tally.total)
    }

    /// Tokens of `[from, to)` read from one end, byte by byte, until the tally has its words:
    /// ASCII words folded to lower case, digit runs masked to one '#', non-ASCII runs chunked.
    @inline(__always)
    static func tokenize(_ base: UnsafeRawPointer, from: Int, to: Int, backwards: Bool,
                         _ classes: UnsafeBufferPointer<UInt8>, _ tally: inout Tally) {
        var token: UInt64 = 0
        var tokenLength = 0
        var nonASCII = false
        var lastWasDigit = false

        @inline(__always) func finishToken() {
            guard tokenLength > 0 else { return }
            tally.add(token, length: tokenLength)
            token = 0
            tokenLength = 0
            lastWasDigit = false
        }

        var k = backwards ? to &- 1 : from
        let step = backwards ? -1 : 1
        var remaining = to &- from
        while remaining > 0 && tally.open {
            let b = base.load(fromByteOffset: k, as: UInt8.self)
            let c = classes[Int(b)]
            if !backwards && c == 0x81 && remaining >= 3 && endsSentenceCJK(base, at: k) {
                // A full stop, exclamation or question mark of CJK text: a token's end, and
                // the sentence's.
                finishToken()
                nonASCII = false
                tally.endSentence()
                k &+= 3
                remaining &-= 3
                continue
            }
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
        finishToken()
    }
}
