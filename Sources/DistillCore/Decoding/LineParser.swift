/// The fields of the exchange record, in schema order (which is also the order rejections are reported in).
enum Field: UInt8 {
    case unknown = 0
    case ts, accountID, apiKeyID, requestID, orgID, endUserID, sessionID, clientIP, asn, country
    case userAgent, paymentFP, model, inputTokens, outputTokens, reasoningTokens, latencyMs, status
    case httpStatus, promptText, promptFP, systemFP, toolsFP

    /// Where a text field is kept in the record.
    @inline(__always)
    var textField: ExchangeText.Field? {
        switch self {
        case .accountID: return .accountID
        case .apiKeyID: return .apiKeyID
        case .requestID: return .requestID
        case .orgID: return .orgID
        case .endUserID: return .endUserID
        case .sessionID: return .sessionID
        case .clientIP: return .clientIP
        case .country: return .country
        case .userAgent: return .userAgent
        case .paymentFP: return .paymentFP
        case .model: return .model
        case .promptText: return .promptText
        case .promptFP: return .promptFP
        case .systemFP: return .systemFP
        case .toolsFP: return .toolsFP
        default: return nil
        }
    }

    var name: String {
        switch self {
        case .unknown: return "?"
        case .ts: return "ts"
        case .accountID: return "account_id"
        case .apiKeyID: return "api_key_id"
        case .requestID: return "request_id"
        case .orgID: return "org_id"
        case .endUserID: return "end_user_id"
        case .sessionID: return "session_id"
        case .clientIP: return "client_ip"
        case .asn: return "asn"
        case .country: return "country"
        case .userAgent: return "user_agent"
        case .paymentFP: return "payment_fp"
        case .model: return "model"
        case .inputTokens: return "input_tokens"
        case .outputTokens: return "output_tokens"
        case .reasoningTokens: return "reasoning_tokens"
        case .latencyMs: return "latency_ms"
        case .status: return "status"
        case .httpStatus: return "http_status"
        case .promptText: return "prompt_text"
        case .promptFP: return "prompt_fp"
        case .systemFP: return "system_fp"
        case .toolsFP: return "tools_fp"
        }
    }

    /// What a wrong_type message says the field should be.
    var expected: String {
        switch self {
        case .ts: return "an RFC 3339 string or an epoch number"
        case .asn, .inputTokens, .outputTokens, .reasoningTokens, .httpStatus: return "a non-negative integer"
        case .latencyMs: return "a non-negative number"
        case .status: return "\"success\" or \"failure\""
        default: return "a string"
        }
    }

    /// Matches a key by length and its bytes packed little-endian (first 8, last 8: exact for keys up to 16).
    /// `canLoad8`: 8 bytes may be read at `p` even when the key is shorter.
    @inline(__always)
    static func identify(_ p: UnsafeRawPointer, _ n: Int, canLoad8: Bool) -> Field {
        guard n >= 2, n <= 16 else { return .unknown }
        var a: UInt64 = 0
        var b: UInt64 = 0
        if n >= 8 {
            a = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
            if n > 8 { b = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)) }
        } else if canLoad8 {
            a = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)) & ((1 &<< UInt64(n &* 8)) &- 1)
        } else {
            for k in 0..<n { a |= UInt64(p.load(fromByteOffset: k, as: UInt8.self)) &<< UInt64(k &* 8) }
        }
        switch n {
        case 2: return a == 0x7374 ? .ts : .unknown
        case 3: return a == 0x6e7361 ? .asn : .unknown
        case 5: return a == 0x6c65646f6d ? .model : .unknown
        case 6:
            if a == 0x737574617473 { return .status }
            if a == 0x64695f67726f { return .orgID }
            return .unknown
        case 7: return a == 0x7972746e756f63 ? .country : .unknown
        case 8: return a == 0x70665f736c6f6f74 ? .toolsFP : .unknown
        case 9:
            switch (a, b) {
            case (0x695f746e65696c63, 0x70695f746e65696c): return .clientIP
            case (0x665f74706d6f7270, 0x70665f74706d6f72): return .promptFP
            case (0x665f6d6574737973, 0x70665f6d65747379): return .systemFP
            default: return .unknown
            }
        case 10:
            switch (a, b) {
            case (0x5f746e756f636361, 0x64695f746e756f63): return .accountID
            case (0x5f79656b5f697061, 0x64695f79656b5f69): return .apiKeyID
            case (0x5f74736575716572, 0x64695f7473657571): return .requestID
            case (0x5f6e6f6973736573, 0x64695f6e6f697373): return .sessionID
            case (0x6567615f72657375, 0x746e6567615f7265): return .userAgent
            case (0x5f746e656d796170, 0x70665f746e656d79): return .paymentFP
            case (0x5f79636e6574616c, 0x736d5f79636e6574): return .latencyMs
            default: return .unknown
            }
        case 11:
            switch (a, b) {
            case (0x726573755f646e65, 0x64695f726573755f): return .endUserID
            case (0x745f74706d6f7270, 0x747865745f74706d): return .promptText
            case (0x6174735f70747468, 0x7375746174735f70): return .httpStatus
            default: return .unknown
            }
        case 12: return (a, b) == (0x6f745f7475706e69, 0x736e656b6f745f74) ? .inputTokens : .unknown
        case 13: return (a, b) == (0x745f74757074756f, 0x736e656b6f745f74) ? .outputTokens : .unknown
        case 16: return (a, b) == (0x6e696e6f73616572, 0x736e656b6f745f67) ? .reasoningTokens : .unknown
        default: return .unknown
        }
    }
}

/// The bytes `"name":` of each field's key as little-endian words, for `matchExpectedKey`.
struct KeyPattern: Sendable {
    /// Bytes 0–7 (masked to the length when shorter), 8–15, and the last eight.
    var word0: UInt64 = 0, mask0: UInt64 = 0, word1: UInt64 = 0, last: UInt64 = 0
    var length: UInt8 = 0

    init() {}

    init(_ name: String) {
        let bytes = Array("\"\(name)\":".utf8)
        func word(_ from: Int) -> UInt64 {
            var w: UInt64 = 0
            for k in 0..<8 where from + k < bytes.count { w |= UInt64(bytes[from + k]) << (8 * UInt64(k)) }
            return w
        }
        length = UInt8(bytes.count)
        mask0 = bytes.count >= 8 ? ~0 : (1 << (8 * UInt64(bytes.count))) - 1
        word0 = word(0) & mask0
        word1 = word(8)
        last = bytes.count >= 8 ? word(bytes.count - 8) : 0
    }

    /// The order of the schema's example line, with the fields it leaves out in their places from
    /// the schema's table; `gen` writes this order. Any other order decodes the same, by the
    /// general key scan.
    static let writingOrder: [Field] = [
        .ts, .requestID, .accountID, .apiKeyID, .orgID, .endUserID, .sessionID, .clientIP, .asn, .country,
        .userAgent, .paymentFP, .model, .inputTokens, .outputTokens, .reasoningTokens, .latencyMs, .status,
        .httpStatus, .promptText, .promptFP, .systemFP, .toolsFP,
    ]

    static let fieldCount = Int(Field.toolsFP.rawValue) + 1

    struct Table: Sendable {
        /// By field raw value (`unknown`, length 0, matches nothing).
        var patterns: [KeyPattern]
        /// For each field (and `unknown`, the start of the object), the next two in
        /// `writingOrder` (`unknown` past the end).
        var successors: [(Field, Field)]
    }

    static let table = Table(
        patterns: (0..<fieldCount).map { raw in
            let field = Field(rawValue: UInt8(raw))!
            return field == .unknown ? KeyPattern() : KeyPattern(field.name)
        },
        successors: (0..<fieldCount).map { raw in
            let field = Field(rawValue: UInt8(raw))!
            let at = field == .unknown ? -1 : writingOrder.firstIndex(of: field)!
            func after(_ k: Int) -> Field { k < writingOrder.count ? writingOrder[k] : .unknown }
            return (after(at + 1), after(at + 2))
        })
}

/// Why a line is not JSON (or not UTF-8), and where.
struct SyntaxError: Error {
    enum Kind {
        case truncated, unexpected, badEscape, controlChar, badNumber, badLiteral, tooDeep, trailing, invalidUTF8
    }
    var kind: Kind
    var offset: Int
    init(_ kind: Kind, _ offset: Int) { self.kind = kind; self.offset = offset }
}

/// A JSON number as read: `mantissa × 10^exponent`, exact while `!overflow`. With `overflow`, trailing
/// zeros are folded into `exponent`, so `exponent < 0` still means exactly "has a fractional part".
struct Number {
    var negative = false
    var mantissa: UInt64 = 0
    /// More significant digits than UInt64 holds; `exponent` then still places the last nonzero digit.
    var overflow = false
    var exponent = 0
    /// `mantissa × 10^keptExponent` is the value truncated to the digits kept (the value itself unless `overflow`).
    var keptExponent = 0
    var start = 0
    var end = 0

    var isZero: Bool { mantissa == 0 && !overflow }

    enum IntegerValue { case value(Int64), fraction, negative, outOfRange }

    var integer: IntegerValue {
        if isZero { return .value(0) }
        var v = mantissa
        var e = exponent
        if !overflow {
            // `2.50e1` is integral: drop zeros the fraction ends with.
            while e < 0 && v % 10 == 0 { v /= 10; e += 1 }
        }
        if e < 0 { return .fraction }
        if negative { return .negative }
        if overflow || e > 18 { return .outOfRange }
        for _ in 0..<e {
            let (r, o) = v.multipliedReportingOverflow(by: 10)
            if o { return .outOfRange }
            v = r
        }
        guard v <= UInt64(Int64.max) else { return .outOfRange }
        return .value(Int64(v))
    }

    /// Correctly rounded: exact fast path (Clinger) when it applies, else the standard library's parser.
    func double(_ base: UnsafeRawPointer) -> Double {
        if isZero { return negative ? -0.0 : 0 }
        if !overflow && mantissa <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            var scale: Double = 1
            for _ in 0..<exponent.magnitude { scale *= 10 }
            let v = exponent >= 0 ? Double(mantissa) * scale : Double(mantissa) / scale
            return negative ? -v : v
        }
        let text = String(decoding: UnsafeRawBufferPointer(start: base + start, count: end - start), as: UTF8.self)
        return Double(text) ?? .nan
    }
}

/// One line's parse: a cursor over the bytes plus the fields seen so far.
struct LineParser {
    let base: UnsafeRawPointer
    let end: Int
    var i = 0

    var ts: StreamTime?
    /// Where each text field's last occurrence is in the line; packed into the record at the end.
    var texts: TextSpans
    /// Four bits per field: the code of the field's last occurrence when it was bad (last one wins).
    var fieldErrors: UInt128 = 0

    static let wrongType: UInt8 = 1, negativeValue: UInt8 = 2, badValue: UInt8 = 3, badTimestamp: UInt8 = 4

    /// `spans` is scratch for `TextSpans` (`TextSpans.slotCount` words), valid while the parser runs.
    init(base: UnsafeRawPointer, end: Int, spans: UnsafeMutablePointer<UInt64>) {
        self.base = base
        self.end = end
        texts = TextSpans(slots: spans)
    }

    /// Runs `body` with a parser over `[base, base + end)` whose span scratch is on the stack.
    @inline(__always)
    static func with<R>(base: UnsafeRawPointer, end: Int, _ body: (inout LineParser) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: TextSpans.slotCount) { slots in
            var parser = LineParser(base: base, end: end, spans: slots.baseAddress!)
            return body(&parser)
        }
    }

    @inline(__always) func byte(_ k: Int) -> UInt8 { base.load(fromByteOffset: k, as: UInt8.self) }

    /// Fills `ex`; returns nil when it is a valid exchange. The caller owns `ex` so that it moves into the
    /// outcome instead of being copied.
    mutating func run(_ ex: inout Exchange) -> DecodeOutcome? {
        if end >= 3 && byte(0) == 0xEF && byte(1) == 0xBB && byte(2) == 0xBF { i = 3 }
        skipWhitespace()
        if i == end { return .blank }
        do throws(SyntaxError) {
            if byte(i) != UInt8(ascii: "{") {
                try skipValue(depth: 0)
                skipWhitespace()
                guard i == end else { throw SyntaxError(.trailing, i) }
                return .rejected(Rejection(.notAnObject, message: "valid JSON, but not an object"))
            }
            try parseObject(&ex)
        } catch {
            return .rejected(rejection(for: error))
        }
        return finish(&ex)
    }

    // MARK: structure

    @inline(__always)
    mutating func skipWhitespace() {
        while i < end {
            let c = byte(i)
            if c > 0x20 { return }
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    mutating func parseObject(_ ex: inout Exchange) throws(SyntaxError) {
        i += 1
        skipWhitespace()
        guard i < end else { throw SyntaxError(.truncated, i) }
        if byte(i) == UInt8(ascii: "}") {
            i += 1
        } else {
            var previous = Field.unknown
            // Read once per line: each read of a global checks its lazy initialisation with a call.
            let keys = KeyPattern.table
            while true {
                guard byte(i) == UInt8(ascii: "\"") else { throw SyntaxError(.unexpected, i) }
                let field: Field
                if let known = matchExpectedKey(after: previous, keys) {
                    field = known
                } else {
                    i += 1
                    let keyStart = i
                    let keyEscaped = try scanString()
                    let keyEnd = i - 1
                    if !keyEscaped {
                        field = Field.identify(base + keyStart, keyEnd - keyStart, canLoad8: keyStart + 8 <= end)
                    } else if keyEnd - keyStart <= 16 * 6 {
                        // Escaped: decode first (`\u0074s` is `ts`). Longer raw text cannot decode to a 16-byte key.
                        field = withUnescaped(keyStart, keyEnd) { Field.identify($0, $1, canLoad8: false) }
                    } else {
                        field = .unknown
                    }
                    skipWhitespace()
                    guard i < end else { throw SyntaxError(.truncated, i) }
                    guard byte(i) == UInt8(ascii: ":") else { throw SyntaxError(.unexpected, i) }
                    i += 1
                }
                previous = field
                skipWhitespace()
                guard i < end else { throw SyntaxError(.truncated, i) }
                try parseValue(field, &ex)
                skipWhitespace()
                guard i < end else { throw SyntaxError(.truncated, i) }
                let c = byte(i)
                if c == UInt8(ascii: ",") {
                    i += 1
                    skipWhitespace()
                    guard i < end else { throw SyntaxError(.truncated, i) }
                    continue
                }
                guard c == UInt8(ascii: "}") else { throw SyntaxError(.unexpected, i) }
                i += 1
                break
            }
        }
        skipWhitespace()
        guard i == end else { throw SyntaxError(.trailing, i) }
    }

    /// With the cursor on a key's opening quote: when the bytes there are exactly `"name":` for
    /// one of the two fields that follow `previous` in the schema's order (writers keep one
    /// order, and an optional field may be missing), consumes them and returns that field. The
    /// general path would reach the same field and position, after scanning the key as a string
    /// and looking it up; this is one or three word compares.
    @inline(__always)
    mutating func matchExpectedKey(after previous: Field, _ keys: KeyPattern.Table) -> Field? {
        let expected = keys.successors[Int(previous.rawValue)]
        if isKey(keys.patterns[Int(expected.0.rawValue)]) { return expected.0 }
        if isKey(keys.patterns[Int(expected.1.rawValue)]) { return expected.1 }
        return nil
    }

    /// Whether the bytes at the cursor are those of `pattern`; if so, steps past them.
    @inline(__always)
    mutating func isKey(_ pattern: KeyPattern) -> Bool {
        let n = Int(pattern.length)
        guard n > 0, end &- i >= max(n, 8) else { return false }
        let w0 = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        if n <= 8 {
            guard w0 & pattern.mask0 == pattern.word0 else { return false }
        } else {
            guard w0 == pattern.word0,
                  UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i &+ n &- 8, as: UInt64.self)) == pattern.last
            else { return false }
            if n > 16 {
                guard UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i &+ 8, as: UInt64.self)) == pattern.word1
                else { return false }
            }
        }
        i &+= n
        return true
    }

    /// Skips (and checks) one value of any kind, iteratively: `depth` containers are already open.
    /// A bit per level records object (1) or array (0), so the limit of 64 needs no allocation.
    mutating func skipValue(depth: Int) throws(SyntaxError) {
        var kinds: UInt64 = 0
        var level = 0
        value: while true {
            guard i < end else { throw SyntaxError(.truncated, i) }
            let c = byte(i)
            if c == UInt8(ascii: "\"") {
                i += 1
                _ = try scanString()
            } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                guard depth + level < ExchangeDecoder.maxDepth else { throw SyntaxError(.tooDeep, i) }
                let isObject = c == UInt8(ascii: "{")
                if isObject { kinds |= 1 &<< UInt64(level) } else { kinds &= ~(1 &<< UInt64(level)) }
                level += 1
                i += 1
                skipWhitespace()
                guard i < end else { throw SyntaxError(.truncated, i) }
                if byte(i) != (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    if isObject { try skipKey() }
                    continue value
                }
                i += 1
                level -= 1
            } else if c == UInt8(ascii: "-") || c &- 0x30 < 10 {
                _ = try scanNumber()
            } else {
                try skipLiteral()
            }
            // After a value: close finished containers, or move on to the next element.
            while level > 0 {
                skipWhitespace()
                guard i < end else { throw SyntaxError(.truncated, i) }
                let c = byte(i)
                let isObject = (kinds &>> UInt64(level - 1)) & 1 == 1
                if c == UInt8(ascii: ",") {
                    i += 1
                    skipWhitespace()
                    if isObject { try skipKey() }
                    continue value
                }
                guard c == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { throw SyntaxError(.unexpected, i) }
                i += 1
                level -= 1
            }
            return
        }
    }

    /// `"key" :` inside a skipped object, leaving the cursor on the value.
    mutating func skipKey() throws(SyntaxError) {
        guard i < end else { throw SyntaxError(.truncated, i) }
        guard byte(i) == UInt8(ascii: "\"") else { throw SyntaxError(.unexpected, i) }
        i += 1
        _ = try scanString()
        skipWhitespace()
        guard i < end else { throw SyntaxError(.truncated, i) }
        guard byte(i) == UInt8(ascii: ":") else { throw SyntaxError(.unexpected, i) }
        i += 1
        skipWhitespace()
    }

    /// `true`, `false` or `null` (the cursor is on a byte that starts no other value).
    mutating func skipLiteral() throws(SyntaxError) {
        let c = byte(i)
        let word: UInt32, length: Int
        switch c {
        case UInt8(ascii: "n"): word = 0x6c6c756e; length = 4
        case UInt8(ascii: "t"): word = 0x65757274; length = 4
        case UInt8(ascii: "f"): word = 0x736c6166; length = 5
        default: throw SyntaxError(.unexpected, i)
        }
        guard end - i >= length else { throw SyntaxError(.truncated, end) }
        guard UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt32.self)) == word,
              length == 4 || byte(i + 4) == UInt8(ascii: "e")
        else { throw SyntaxError(.badLiteral, i) }
        i += length
    }

    // MARK: strings

    /// Flags, in the high bit of each byte, the bytes a string scan must stop at:
    /// `"`, `\`, controls (< 0x20) and non-ASCII. The lowest flag is always exact.
    @inline(__always)
    static func attention(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let q = w ^ (ones &* 0x22)
        let b = w ^ (ones &* 0x5C)
        return (((q &- ones) & ~q) | ((b &- ones) & ~b) | ((w &- ones &* 0x20) & ~w) | w) & (ones &* 0x80)
    }

    /// Scans a string body from just after the opening quote to just after the closing one,
    /// checking escapes, controls and UTF-8. Returns whether it holds escapes.
    @inline(__always)
    mutating func scanString() throws(SyntaxError) -> Bool {
        var escaped = false
        // The cursor is kept in a local and stored back on every way out: as a field of an
        // `inout` parser it was written to memory on every step of the loops.
        var k = i
        defer { i = k }
        while true {
            // Sixteen bytes at a time while nothing needs attention (three compares and a mask:
            // a signed "< 0x20" catches controls and non-ASCII at once), then the byte is located
            // from the compare; the word loop below reads a last stretch shorter than sixteen.
            let quote = SIMD16<UInt8>(repeating: 0x22), backslash = SIMD16<UInt8>(repeating: 0x5C)
            let space = SIMD16<Int8>(repeating: 0x20)
            var located = false
            while end &- k >= 16 {
                let v = base.loadUnaligned(fromByteOffset: k, as: SIMD16<UInt8>.self)
                let signed = unsafeBitCast(v, to: SIMD16<Int8>.self)
                let hit = (v .== quote) .| (v .== backslash) .| (signed .< space)
                if any(hit) {
                    // The first byte needing attention, from the compare's lanes as two words.
                    let lanes = unsafeBitCast(SIMD16<UInt8>(repeating: 0).replacing(with: 0xFF, where: hit), to: SIMD2<UInt64>.self)
                    k &+= lanes[0] != 0 ? lanes[0].trailingZeroBitCount &>> 3 : 8 &+ lanes[1].trailingZeroBitCount &>> 3
                    located = true
                    break
                }
                k &+= 16
            }
            while !located && end &- k >= 8 {
                let mask = Self.attention(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: k, as: UInt64.self)))
                if mask != 0 {
                    k &+= mask.trailingZeroBitCount &>> 3
                    break
                }
                k &+= 8
            }
            guard k < end else { k = end; throw SyntaxError(.truncated, end) }
            let c = byte(k)
            if c == UInt8(ascii: "\"") {
                k &+= 1
                return escaped
            } else if c == UInt8(ascii: "\\") {
                i = k
                try checkEscape()
                k = i
                escaped = true
            } else if c >= 0x80 {
                // Stay here through a run of non-ASCII text: the word loop would stop at each character.
                repeat {
                    let n = UTF8Check.sequenceLength(base, k, end)
                    guard n > 0 else { throw SyntaxError(.invalidUTF8, k) }
                    k &+= n
                } while k < end && byte(k) >= 0x80
            } else if c < 0x20 {
                throw SyntaxError(.controlChar, k)
            } else {
                k &+= 1
            }
        }
    }

    mutating func checkEscape() throws(SyntaxError) {
        guard i + 1 < end else { throw SyntaxError(.truncated, end) }
        switch byte(i + 1) {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
             UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            i += 2
        case UInt8(ascii: "u"):
            guard end - i >= 6 else { throw SyntaxError(.truncated, end) }
            for k in 2..<6 where Unescape.hexValue(byte(i + k)) > 15 {
                throw SyntaxError(.badEscape, i)
            }
            i += 6
        default:
            throw SyntaxError(.badEscape, i)
        }
    }

    /// Runs `body` on the unescaped bytes of `[start, stop)` (rare: escaped keys, timestamps, statuses).
    func withUnescaped<R>(_ start: Int, _ stop: Int, _ body: (UnsafeRawPointer, Int) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: stop - start + 8) { buf in
            guard let out = buf.baseAddress else { return body(base + start, 0) }
            let n = Unescape.run(base, from: start, to: stop, into: out)
            return body(UnsafeRawPointer(out), n)
        }
    }

    // MARK: numbers

    /// JSON number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    /// Up to 19 digits (every count, id and epoch in practice) accumulate with plain arithmetic.
    mutating func scanNumber() throws(SyntaxError) -> Number {
        var n = Number()
        n.start = i
        if byte(i) == UInt8(ascii: "-") { n.negative = true; i += 1 }
        guard i < end else { throw SyntaxError(.truncated, end) }
        var m: UInt64 = 0
        let first = byte(i) &- 0x30
        guard first < 10 else { throw SyntaxError(.badNumber, i) }
        let intStart = i
        i += 1
        m = UInt64(first)
        if first != 0 {
            while i < end {
                let d = byte(i) &- 0x30
                if d >= 10 { break }
                m = m &* 10 &+ UInt64(d)
                i += 1
            }
        }
        let intEnd = i
        var fractionStart = i, fractionEnd = i
        if i < end && byte(i) == UInt8(ascii: ".") {
            i += 1
            fractionStart = i
            while i < end {
                let d = byte(i) &- 0x30
                if d >= 10 { break }
                m = m &* 10 &+ UInt64(d)
                i += 1
            }
            fractionEnd = i
            guard fractionEnd > fractionStart else { throw SyntaxError(i < end ? .badNumber : .truncated, i) }
        }
        var exp = 0
        if i < end && byte(i) | 0x20 == UInt8(ascii: "e") {
            i += 1
            var expNegative = false
            if i < end && (byte(i) == UInt8(ascii: "+") || byte(i) == UInt8(ascii: "-")) {
                expNegative = byte(i) == UInt8(ascii: "-")
                i += 1
            }
            let expStart = i
            while i < end {
                let d = byte(i) &- 0x30
                if d >= 10 { break }
                // Saturate: beyond this the value is 0 or out of every range anyway.
                if exp < 1_000_000_000 { exp = exp &* 10 &+ Int(d) }
                i += 1
            }
            guard i > expStart else { throw SyntaxError(i < end ? .badNumber : .truncated, i) }
            if expNegative { exp = -exp }
        }
        n.end = i
        let fractionDigits = fractionEnd - fractionStart
        if (intEnd - intStart) + fractionDigits <= 19 {
            // 10^19 - 1 < 2^64: the wrapping arithmetic above cannot have wrapped.
            n.mantissa = m
            n.exponent = exp &- fractionDigits
            n.keptExponent = n.exponent
        } else {
            accumulateLong(&n, intStart..<intEnd, fractionStart..<fractionEnd, exp: exp)
        }
        return n
    }

    /// More than 19 digits (leading zeros included): keep the first ~19 significant ones, and track
    /// where the last nonzero digit is so that integrality stays exact.
    func accumulateLong(_ n: inout Number, _ integer: Range<Int>, _ fraction: Range<Int>, exp: Int) {
        var m: UInt64 = 0
        var overflow = false
        var zeros = 0          // zero digits since the last nonzero one
        var dropped = 0        // digits after those kept in `m` (once it overflowed)
        for k in integer.lowerBound..<fraction.upperBound where !(k >= integer.upperBound && k < fraction.lowerBound) {
            let d = UInt64(byte(k) &- 0x30)
            if overflow {
                dropped &+= 1
                zeros = d == 0 ? zeros &+ 1 : 0
                continue
            }
            if d == 0 { zeros &+= 1; continue }
            if m == 0 { m = d; zeros = 0; continue }
            var v = m
            var times = zeros &+ 1
            while times > 0 {
                let (r, o) = v.multipliedReportingOverflow(by: 10)
                if o { overflow = true; break }
                v = r
                times &-= 1
            }
            if !overflow {
                let (r, o) = v.addingReportingOverflow(d)
                if o { overflow = true } else { m = r }
            }
            if overflow { dropped = zeros &+ 1 }
            zeros = 0
        }
        let fractionDigits = fraction.count
        n.mantissa = m
        n.overflow = overflow
        n.exponent = zeros &- fractionDigits &+ exp
        n.keptExponent = overflow ? dropped &- fractionDigits &+ exp : n.exponent
    }

    // MARK: fields

    @inline(__always)
    mutating func parseValue(_ field: Field, _ ex: inout Exchange) throws(SyntaxError) {
        switch field {
        case .unknown: try skipValue(depth: 1)
        case .ts: try parseTimestamp()
        case .status: try parseStatus(&ex)
        case .latencyMs: try parseLatency(&ex)
        case .asn, .inputTokens, .outputTokens, .reasoningTokens, .httpStatus: try parseInteger(field, &ex)
        default: try parseStringField(field, &ex)
        }
    }

    @inline(__always)
    mutating func fieldOK(_ field: Field) {
        if fieldErrors != 0 { fieldErrors &= ~(UInt128(0xF) &<< UInt128(field.rawValue &* 4)) }
    }

    mutating func fieldBad(_ field: Field, _ code: UInt8) {
        let shift = UInt128(field.rawValue &* 4)
        fieldErrors = (fieldErrors & ~(UInt128(0xF) &<< shift)) | (UInt128(code) &<< shift)
    }

    @inline(__always)
    static func store(_ field: Field, _ v: Int64?, _ ex: inout Exchange) {
        switch field {
        case .asn: ex.asn = v
        case .inputTokens: ex.inputTokens = v
        case .outputTokens: ex.outputTokens = v
        case .reasoningTokens: ex.reasoningTokens = v
        case .httpStatus: ex.httpStatus = v
        default: break
        }
    }

    mutating func parseStringField(_ field: Field, _ ex: inout Exchange) throws(SyntaxError) {
        guard let text = field.textField else { return try skipValue(depth: 1) }
        let c = byte(i)
        if c == UInt8(ascii: "\"") {
            i += 1
            let start = i
            let escaped = try scanString()
            texts.set(text, start: start, end: i - 1, escaped: escaped)
            fieldOK(field)
        } else if c == UInt8(ascii: "n") {
            try skipLiteral()
            texts.clear(text)
            fieldOK(field)
        } else {
            try skipValue(depth: 1)
            texts.clear(text)
            fieldBad(field, Self.wrongType)
        }
    }

    /// Plain digits (no sign, fraction or exponent; at most 18, no leading zero) followed by
    /// some other byte: how counts are written. Read here without the general number scan; nil
    /// (cursor unmoved) for anything else, which the general scan then reads or rejects.
    @inline(__always)
    mutating func plainInteger() -> Int64? {
        var k = i
        let first = byte(k) &- 0x30
        guard first < 10 else { return nil }
        var v = Int64(first)
        k &+= 1
        if first != 0 {
            while k < end && k &- i < 18 {
                let d = byte(k) &- 0x30
                if d >= 10 { break }
                v = v &* 10 &+ Int64(d)
                k &+= 1
            }
        }
        guard k < end else { return nil }
        let next = byte(k)
        guard next &- 0x30 >= 10, next != UInt8(ascii: "."), next | 0x20 != UInt8(ascii: "e") else { return nil }
        i = k
        return v
    }

    mutating func parseInteger(_ field: Field, _ ex: inout Exchange) throws(SyntaxError) {
        let c = byte(i)
        if let v = plainInteger() { Self.store(field, v, &ex); fieldOK(field); return }
        if c == UInt8(ascii: "-") || c &- 0x30 < 10 {
            let n = try scanNumber()
            switch n.integer {
            case .value(let v): Self.store(field, v, &ex); fieldOK(field); return
            case .fraction: fieldBad(field, Self.wrongType)
            case .negative: fieldBad(field, Self.negativeValue)
            case .outOfRange: fieldBad(field, Self.badValue)
            }
            Self.store(field, nil as Int64?, &ex)
        } else if c == UInt8(ascii: "n") {
            try skipLiteral()
            Self.store(field, nil as Int64?, &ex)
            fieldOK(field)
        } else {
            try skipValue(depth: 1)
            Self.store(field, nil as Int64?, &ex)
            fieldBad(field, Self.wrongType)
        }
    }

    mutating func parseLatency(_ ex: inout Exchange) throws(SyntaxError) {
        let c = byte(i)
        ex.latencyMs = nil
        // Correctly rounded like the general path (exact up to 2^53).
        if let v = plainInteger() { ex.latencyMs = Double(v); fieldOK(.latencyMs); return }
        if c == UInt8(ascii: "-") || c &- 0x30 < 10 {
            let n = try scanNumber()
            if n.negative && !n.isZero { fieldBad(.latencyMs, Self.negativeValue); return }
            let v = n.double(base)
            guard v.isFinite else { fieldBad(.latencyMs, Self.badValue); return }
            ex.latencyMs = v == 0 ? 0 : v   // no -0.0
            fieldOK(.latencyMs)
        } else if c == UInt8(ascii: "n") {
            try skipLiteral()
            fieldOK(.latencyMs)
        } else {
            try skipValue(depth: 1)
            fieldBad(.latencyMs, Self.wrongType)
        }
    }

    mutating func parseStatus(_ ex: inout Exchange) throws(SyntaxError) {
        let c = byte(i)
        ex.status = .success
        if c == UInt8(ascii: "\"") {
            i += 1
            let start = i
            let escaped = try scanString()
            let status = escaped
                ? withUnescaped(start, i - 1) { Self.status($0, $1) }
                : Self.status(base + start, i - 1 - start)
            if let status {
                ex.status = status
                fieldOK(.status)
            } else {
                fieldBad(.status, Self.badValue)
            }
        } else if c == UInt8(ascii: "n") {
            try skipLiteral()
            fieldOK(.status)
        } else {
            // A number, literal, array or object: the wrong JSON type, as for any other field.
            try skipValue(depth: 1)
            fieldBad(.status, Self.wrongType)
        }
    }

    static func status(_ p: UnsafeRawPointer, _ n: Int) -> Exchange.Status? {
        guard n == 7 else { return nil }
        var v: UInt64 = 0
        for k in 0..<7 { v |= UInt64(p.load(fromByteOffset: k, as: UInt8.self)) &<< UInt64(k &* 8) }
        if v == 0x73736563637573 { return .success }   // "success"
        if v == 0x6572756c696166 { return .failure }   // "failure"
        return nil
    }

    mutating func parseTimestamp() throws(SyntaxError) {
        let c = byte(i)
        ts = nil
        if c == UInt8(ascii: "\"") {
            i += 1
            let start = i
            let escaped = try scanString()
            let t = escaped
                ? withUnescaped(start, i - 1) { Timestamp.parseRFC3339($0, count: $1) }
                : Timestamp.parseRFC3339(base + start, count: i - 1 - start)
            if let t { ts = t; fieldOK(.ts) } else { fieldBad(.ts, Self.badTimestamp) }
        } else if c == UInt8(ascii: "-") || c &- 0x30 < 10 {
            let n = try scanNumber()
            let t: StreamTime?
            if n.negative && !n.isZero {
                t = nil
            } else {
                // Exact even past 19 digits: dropping digits far below a millisecond cannot change the truncation.
                t = Timestamp.fromEpochDecimal(mantissa: n.mantissa, exponent: n.keptExponent)
            }
            if let t { ts = t; fieldOK(.ts) } else { fieldBad(.ts, Self.badTimestamp) }
        } else if c == UInt8(ascii: "n") {
            try skipLiteral()
            fieldOK(.ts)
        } else {
            try skipValue(depth: 1)
            fieldBad(.ts, Self.wrongType)
        }
    }

    // MARK: outcome

    func fieldRejection(_ field: Field) -> Rejection? {
        let code = UInt8(truncatingIfNeeded: fieldErrors &>> UInt128(field.rawValue &* 4)) & 0xF
        let name = field.name
        switch code {
        case Self.wrongType:
            return Rejection(.wrongType, field: name, message: "\(name) must be \(field.expected)")
        case Self.negativeValue:
            return Rejection(.negativeValue, field: name, message: "\(name) must not be negative")
        case Self.badValue:
            return field == .status
                ? Rejection(.badValue, field: name, message: "status must be \"success\" or \"failure\"")
                : Rejection(.badValue, field: name, message: "\(name) is out of range")
        case Self.badTimestamp:
            return Rejection(.badTimestamp, field: name,
                             message: "ts must be an RFC 3339 time or a non-negative epoch number within range")
        default:
            return nil
        }
    }

    mutating func finish(_ ex: inout Exchange) -> DecodeOutcome? {
        if fieldErrors != 0, let r = fieldRejection(.ts) { return .rejected(r) }
        guard let ts else { return .rejected(Rejection(.missingTimestamp, message: "ts is missing")) }
        if fieldErrors != 0 {
            if let r = fieldRejection(.accountID) { return .rejected(r) }
            if let r = fieldRejection(.apiKeyID) { return .rejected(r) }
        }
        if texts.isPresent(.apiKeyID) && texts.length(.apiKeyID) == 0 { texts.clear(.apiKeyID) }
        if !texts.isPresent(.accountID) || texts.length(.accountID) == 0 {
            guard texts.isPresent(.apiKeyID) else {
                return .rejected(Rejection(.missingAccount, message: "neither account_id nor api_key_id is present"))
            }
            texts.copy(.apiKeyID, to: .accountID)  // the key stands for the account
        }
        if fieldErrors != 0 {
            let first = fieldErrors.trailingZeroBitCount / 4
            if let field = Field(rawValue: UInt8(truncatingIfNeeded: first)), let r = fieldRejection(field) {
                return .rejected(r)
            }
        }
        ex.ts = ts
        ex.text = packTexts()
        return nil
    }

    /// The record's text fields, copied (and unescaped) from the line into one buffer.
    func packTexts() -> ExchangeText {
        let spans = texts
        return ExchangeText(payloadCapacity: spans.totalLength) { writer in
            var present = spans.present
            while present != 0 {
                let k = present.trailingZeroBitCount
                present &= present &- 1
                let (start, end, escaped) = spans.span(k)
                if escaped {
                    writer.appendUnescaped(k, base, from: start, to: end)
                } else {
                    writer.append(k, UnsafeRawBufferPointer(start: base + start, count: end - start))
                }
            }
        }
    }

    func rejection(for error: SyntaxError) -> Rejection {
        // Invalid UTF-8 anywhere in the line outranks a syntax error found before it.
        if error.kind == .invalidUTF8 {
            return Rejection(.invalidUTF8, message: "invalid UTF-8 at byte \(error.offset)")
        }
        if let bad = UTF8Check.firstInvalid(base, end) {
            return Rejection(.invalidUTF8, message: "invalid UTF-8 at byte \(bad)")
        }
        let at = error.offset
        let what: String
        switch error.kind {
        case .truncated: what = "line ends inside a value"
        case .unexpected: what = "unexpected character at byte \(at)"
        case .badEscape: what = "bad escape sequence at byte \(at)"
        case .controlChar: what = "raw control character in a string at byte \(at)"
        case .badNumber: what = "malformed number at byte \(at)"
        case .badLiteral: what = "malformed literal at byte \(at)"
        case .tooDeep: what = "nesting deeper than \(ExchangeDecoder.maxDepth) at byte \(at)"
        case .trailing: what = "data after the end of the value at byte \(at)"
        case .invalidUTF8: what = "invalid UTF-8 at byte \(at)"
        }
        return Rejection(.invalidJSON, message: "invalid JSON: \(what)")
    }
}

/// UTF-8 well-formedness (Unicode Table 3-7): no overlongs, no surrogates, nothing above U+10FFFF.
enum UTF8Check {
    @inline(__always)
    static func isContinuation(_ b: UInt8) -> Bool { b & 0xC0 == 0x80 }

    /// Length of the well-formed sequence starting with a non-ASCII byte at `i`, or 0.
    @inline(__always)
    static func sequenceLength(_ p: UnsafeRawPointer, _ i: Int, _ end: Int) -> Int {
        @inline(__always) func at(_ k: Int) -> UInt8 { p.load(fromByteOffset: k, as: UInt8.self) }
        let b0 = at(i)
        if b0 < 0xC2 { return 0 }
        if b0 < 0xE0 {
            return end - i >= 2 && isContinuation(at(i + 1)) ? 2 : 0
        }
        if b0 < 0xF0 {
            guard end - i >= 3 else { return 0 }
            let b1 = at(i + 1)
            let low: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80
            let high: UInt8 = b0 == 0xED ? 0x9F : 0xBF
            return b1 >= low && b1 <= high && isContinuation(at(i + 2)) ? 3 : 0
        }
        if b0 < 0xF5 {
            guard end - i >= 4 else { return 0 }
            let b1 = at(i + 1)
            let low: UInt8 = b0 == 0xF0 ? 0x90 : 0x80
            let high: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
            return b1 >= low && b1 <= high && isContinuation(at(i + 2)) && isContinuation(at(i + 3)) ? 4 : 0
        }
        return 0
    }

    /// Offset of the first byte of an ill-formed sequence, or nil when the whole range is UTF-8.
    static func firstInvalid(_ p: UnsafeRawPointer, _ end: Int) -> Int? {
        var i = 0
        while i < end {
            if end - i >= 8 && p.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            if p.load(fromByteOffset: i, as: UInt8.self) < 0x80 { i += 1; continue }
            let n = sequenceLength(p, i, end)
            if n == 0 { return i }
            i += n
        }
        return nil
    }
}

/// Decoding of JSON string escapes into UTF-8.
enum Unescape {
    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt32 {
        let d = c &- 0x30
        if d < 10 { return UInt32(d) }
        let l = (c | 0x20) &- 0x61
        if l < 6 { return UInt32(l) &+ 10 }
        return 0xFF
    }

    @inline(__always)
    static func hex4(_ p: UnsafeRawPointer, _ k: Int) -> UInt32 {
        var v: UInt32 = 0
        for j in k..<(k + 4) { v = v &<< 4 | (hexValue(p.load(fromByteOffset: j, as: UInt8.self)) & 0xF) }
        return v
    }

    /// Writes the unescaped bytes of `[from, to)` (well-formed escapes, already checked) to `out`,
    /// which must hold `to - from` bytes (escapes never grow). Lone surrogates become U+FFFD.
    static func run(_ src: UnsafeRawPointer, from: Int, to: Int, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var i = from
        var o = 0
        let backslashes: UInt64 = 0x5C5C_5C5C_5C5C_5C5C
        while i < to {
            // Copy eight bytes at a time up to the next backslash (o <= i - from keeps the store in
            // bounds; bytes stored past it are overwritten or lie beyond the result). The lowest
            // flagged byte of the zero-byte test is exactly the first backslash.
            while to &- i >= 8 {
                let w = src.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let x = w ^ backslashes
                let found = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
                UnsafeMutableRawPointer(out + o).storeBytes(of: w, as: UInt64.self)
                if found != 0 {
                    let n = found.trailingZeroBitCount &>> 3
                    i &+= n
                    o &+= n
                    break
                }
                i &+= 8
                o &+= 8
            }
            guard i < to else { break }
            let c = src.load(fromByteOffset: i, as: UInt8.self)
            if c != 0x5C || i + 1 >= to {
                out[o] = c
                o += 1
                i += 1
                continue
            }
            let e = src.load(fromByteOffset: i + 1, as: UInt8.self)
            i += 2
            switch e {
            case UInt8(ascii: "b"): out[o] = 0x08; o += 1
            case UInt8(ascii: "f"): out[o] = 0x0C; o += 1
            case UInt8(ascii: "n"): out[o] = 0x0A; o += 1
            case UInt8(ascii: "r"): out[o] = 0x0D; o += 1
            case UInt8(ascii: "t"): out[o] = 0x09; o += 1
            case UInt8(ascii: "u"):
                guard to - i >= 4 else { return o }
                var scalar = hex4(src, i)
                i += 4
                if scalar & 0xFC00 == 0xD800 {
                    // A high surrogate pairs only with an immediately following `\u` low surrogate.
                    if to - i >= 6,
                       src.load(fromByteOffset: i, as: UInt8.self) == 0x5C,
                       src.load(fromByteOffset: i + 1, as: UInt8.self) == UInt8(ascii: "u") {
                        let low = hex4(src, i + 2)
                        if low & 0xFC00 == 0xDC00 {
                            scalar = 0x10000 &+ ((scalar &- 0xD800) &<< 10) &+ (low &- 0xDC00)
                            i += 6
                        } else {
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if scalar & 0xFC00 == 0xDC00 {
                    scalar = 0xFFFD
                }
                o &+= encode(scalar, out + o)
            default:
                out[o] = e   // `"`, `\`, `/`
                o += 1
            }
        }
        return o
    }

    @inline(__always)
    static func encode(_ u: UInt32, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        if u < 0x80 {
            out[0] = UInt8(truncatingIfNeeded: u)
            return 1
        }
        if u < 0x800 {
            out[0] = UInt8(truncatingIfNeeded: 0xC0 | u &>> 6)
            out[1] = UInt8(truncatingIfNeeded: 0x80 | u & 0x3F)
            return 2
        }
        if u < 0x10000 {
            out[0] = UInt8(truncatingIfNeeded: 0xE0 | u &>> 12)
            out[1] = UInt8(truncatingIfNeeded: 0x80 | (u &>> 6) & 0x3F)
            out[2] = UInt8(truncatingIfNeeded: 0x80 | u & 0x3F)
            return 3
        }
        out[0] = UInt8(truncatingIfNeeded: 0xF0 | u &>> 18)
        out[1] = UInt8(truncatingIfNeeded: 0x80 | (u &>> 12) & 0x3F)
        out[2] = UInt8(truncatingIfNeeded: 0x80 | (u &>> 6) & 0x3F)
        out[3] = UInt8(truncatingIfNeeded: 0x80 | u & 0x3F)
        return 4
    }
}

/// The text fields seen in a line: per field, where its last occurrence's body lies and whether
/// it holds escapes, in scratch words the decoder puts on the stack (a tuple or SIMD value in the
/// parser was copied or spilled on every access: measured, ~2% of `scan`).
struct TextSpans {
    static let slotCount = 16
    /// Per field: start (low 32 bits) and end (high 32 bits); read only for present fields.
    private let slots: UnsafeMutablePointer<UInt64>
    private(set) var present: UInt32 = 0
    private var escaped: UInt32 = 0
    /// Sum of the present fields' raw lengths, kept as fields come and go.
    private(set) var totalLength = 0

    init(slots: UnsafeMutablePointer<UInt64>) { self.slots = slots }

    @inline(__always)
    mutating func set(_ field: ExchangeText.Field, start: Int, end: Int, escaped isEscaped: Bool) {
        clear(field)
        let k = field.rawValue
        let bit: UInt32 = 1 << UInt32(k)
        slots[k] = UInt64(truncatingIfNeeded: start) & 0xFFFF_FFFF | UInt64(truncatingIfNeeded: end) << 32
        present |= bit
        escaped = isEscaped ? escaped | bit : escaped & ~bit
        totalLength &+= end &- start
    }

    @inline(__always)
    mutating func clear(_ field: ExchangeText.Field) {
        guard isPresent(field) else { return }
        totalLength &-= length(field)
        present &= ~(1 << UInt32(field.rawValue))
    }

    @inline(__always)
    func isPresent(_ field: ExchangeText.Field) -> Bool { (present >> UInt32(field.rawValue)) & 1 == 1 }

    @inline(__always)
    func span(_ k: Int) -> (start: Int, end: Int, escaped: Bool) {
        let v = slots[k]
        return (Int(v & 0xFFFF_FFFF), Int(v >> 32), (escaped >> UInt32(k)) & 1 == 1)
    }

    /// Raw length in the line (escapes still encoded: an upper bound on the decoded length,
    /// and zero exactly when the decoded string is empty).
    @inline(__always)
    func length(_ field: ExchangeText.Field) -> Int {
        let s = span(field.rawValue)
        return s.end - s.start
    }

    mutating func copy(_ from: ExchangeText.Field, to: ExchangeText.Field) {
        let s = span(from.rawValue)
        set(to, start: s.start, end: s.end, escaped: s.escaped)
    }
}
