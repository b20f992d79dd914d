/// A small template grammar. Syntax inside a rule alternative:
///   `{name}` another rule, `{a|b|c}` inline choice (may nest), `{?text}` optional (50%),
///   `{#lo-hi}` a random integer, `\{` a literal brace. Raw rules are taken verbatim.
enum GNode: Sendable {
    case lit([UInt8])
    case ref(Int)
    case choice([[GNode]])
    case opt([GNode])
    case num(Int, Int)
}

struct Grammar: Sendable {
    fileprivate(set) var rules: [[[GNode]]] = []
    fileprivate(set) var names: [String: Int] = [:]

    func id(_ name: String) -> Int {
        guard let i = names[name] else { fatalError("grammar: no rule named \(name)") }
        return i
    }

    func has(_ name: String) -> Bool { names[name] != nil }

    func render(_ rule: Int, _ rng: inout Rng, _ out: inout [UInt8]) {
        let alts = rules[rule]
        renderSeq(alts[rng.below(alts.count)], &rng, &out, 0)
    }

    func render(_ rule: Int, _ rng: inout Rng) -> [UInt8] {
        var out: [UInt8] = []
        render(rule, &rng, &out)
        return out
    }

    private func renderSeq(_ seq: [GNode], _ rng: inout Rng, _ out: inout [UInt8], _ depth: Int) {
        for n in seq {
            switch n {
            case .lit(let b): out.append(contentsOf: b)
            case .ref(let r):
                guard depth < 24 else { continue }
                let alts = rules[r]
                renderSeq(alts[rng.below(alts.count)], &rng, &out, depth + 1)
            case .choice(let alts): renderSeq(alts[rng.below(alts.count)], &rng, &out, depth + 1)
            case .opt(let s): if rng.chance(0.5) { renderSeq(s, &rng, &out, depth + 1) }
            case .num(let lo, let hi): appendInt(&out, rng.int(lo, hi))
            }
        }
    }
}

@inline(__always)
func appendInt(_ out: inout [UInt8], _ v: Int) {
    if v < 0 { out.append(45); appendInt(&out, -v); return }
    if v < 10 { out.append(UInt8(48 + v)); return }
    var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
              UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = 0
    var x = v
    withUnsafeMutableBytes(of: &tmp) { p in
        while x > 0 { p[n] = UInt8(48 + x % 10); x /= 10; n += 1 }
        for i in stride(from: n - 1, through: 0, by: -1) { out.append(p[i]) }
    }
}

struct GrammarBuilder {
    private var sources: [(name: String, alts: [String], raw: Bool)] = []
    private var index: [String: Int] = [:]

    mutating func rule(_ name: String, _ alts: [String]) {
        precondition(!alts.isEmpty, "empty rule \(name)")
        if let i = index[name] {
            precondition(sources[i].raw == false, "rule \(name) mixes raw and parsed")
            sources[i].alts += alts
        } else {
            index[name] = sources.count
            sources.append((name, alts, false))
        }
    }

    /// Alternatives taken verbatim (code, with braces).
    mutating func raw(_ name: String, _ alts: [String]) {
        precondition(index[name] == nil, "duplicate raw rule \(name)")
        index[name] = sources.count
        sources.append((name, alts, true))
    }

    /// A rule made from a whitespace/comma separated word list.
    mutating func words(_ name: String, _ list: String) {
        // Split on commas outside braces and not escaped.
        var items: [String] = []
        var cur: [UInt8] = []
        var depth = 0
        var esc = false
        for c in list.utf8 {
            if esc { cur.append(c); esc = false; continue }
            if c == 92 { cur.append(c); esc = true; continue }
            if c == 123 { depth += 1 } else if c == 125 { depth -= 1 }
            if c == 44 && depth == 0 { items.append(String(decoding: cur, as: UTF8.self)); cur = []; continue }
            cur.append(c)
        }
        items.append(String(decoding: cur, as: UTF8.self))
        let trimmed = items.map { String(Substring($0).trimmingSpaces()) }.filter { !$0.isEmpty }
        rule(name, trimmed)
    }

    func build() -> Grammar {
        var g = Grammar()
        g.names = index
        g.rules = sources.map { src in
            src.alts.map { alt -> [GNode] in
                let bytes = Array(alt.utf8)
                if src.raw { return [.lit(bytes)] }
                var p = Parser(b: bytes, index: index, where: src.name)
                let seq = p.seq()
                precondition(p.i == bytes.count, "grammar \(src.name): stray '}' or '|' in \(alt)")
                return seq
            }
        }
        return g
    }

    private struct Parser {
        let b: [UInt8]
        let index: [String: Int]
        let `where`: String
        var i = 0

        var depth = 0

        /// Outside braces, `|` and `}` are plain text.
        mutating func seq() -> [GNode] {
            var out: [GNode] = []
            var lit: [UInt8] = []
            func flush() { if !lit.isEmpty { out.append(.lit(lit)); lit = [] } }
            while i < b.count {
                let c = b[i]
                if c == 92, i + 1 < b.count { lit.append(b[i + 1]); i += 2; continue }  // backslash
                if (c == 124 || c == 125) && depth > 0 { break }  // | }
                if c == 123 {  // {
                    flush()
                    i += 1
                    depth += 1
                    out.append(group())
                    depth -= 1
                    continue
                }
                lit.append(c); i += 1
            }
            flush()
            return out
        }

        mutating func group() -> GNode {
            if i < b.count && b[i] == 35 {  // {#lo-hi}
                i += 1
                var lo = 0, hi = 0, seenDash = false
                while i < b.count && b[i] != 125 {
                    let c = b[i]
                    if c == 45 { seenDash = true } else {
                        precondition(c >= 48 && c <= 57, "grammar \(self.where): bad number range")
                        if seenDash { hi = hi * 10 + Int(c - 48) } else { lo = lo * 10 + Int(c - 48) }
                    }
                    i += 1
                }
                i += 1
                return .num(lo, seenDash ? hi : lo)
            }
            if i < b.count && b[i] == 63 {  // {?opt}
                i += 1
                let s = seq()
                precondition(i < b.count && b[i] == 125, "grammar \(self.where): unclosed {?")
                i += 1
                return .opt(s)
            }
            var alts: [[GNode]] = [seq()]
            while i < b.count && b[i] == 124 { i += 1; alts.append(seq()) }
            precondition(i < b.count && b[i] == 125, "grammar \(self.where): unclosed {")
            i += 1
            if alts.count == 1, alts[0].count == 1, case .lit(let name) = alts[0][0],
               name.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }) {
                let s = String(decoding: name, as: UTF8.self)
                guard let r = index[s] else { fatalError("grammar \(self.where): unknown rule {\(s)}") }
                return .ref(r)
            }
            return .choice(alts)
        }
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\n" || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\n" || l == "\t" { s = s.dropLast() }
        return s
    }
}
