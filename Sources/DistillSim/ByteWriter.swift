/// A growable byte buffer with the few formatting primitives the NDJSON writer needs.
final class ByteWriter {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    var count = 0

    init(capacity: Int) {
        self.capacity = max(64, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    @inline(__always)
    func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private func grow(_ need: Int) {
        var c = capacity * 2
        while c < need { c *= 2 }
        let nb = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        nb.update(from: base, count: count)
        base.deallocate()
        base = nb
        capacity = c
    }

    @inline(__always)
    func byte(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    func bytes(_ b: [UInt8]) {
        b.withUnsafeBufferPointer { p in
            reserve(p.count)
            (base + count).update(from: p.baseAddress!, count: p.count)
            count += p.count
        }
    }

    func ascii(_ s: StaticString) {
        reserve(s.utf8CodeUnitCount)
        (base + count).update(from: s.utf8Start, count: s.utf8CodeUnitCount)
        count += s.utf8CodeUnitCount
    }

    func int(_ v: Int) {
        reserve(21)
        var x = v
        if x < 0 { base[count] = 45; count += 1; x = -x }
        if x < 10 { base[count] = UInt8(48 + x); count += 1; return }
        var n = 0
        var t = x
        while t > 0 { n += 1; t /= 10 }
        var i = count + n - 1
        while x > 0 { base[i] = UInt8(48 + x % 10); x /= 10; i -= 1 }
        count += n
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Fixed-width lowercase hex of the low `digits` nibbles.
    func hex(_ v: UInt64, digits: Int) {
        reserve(digits)
        Self.hexDigits.withUnsafeBufferPointer { h in
            for i in 0..<digits {
                base[count + i] = h[Int((v >> UInt64(4 * (digits - 1 - i))) & 15)]
            }
        }
        count += digits
    }

    func hexNoPad(_ v: UInt64) {
        var d = 1
        while d < 16 && (v >> UInt64(4 * d)) != 0 { d += 1 }
        hex(v, digits: d)
    }

    func timestamp(_ ms: Int64) {
        reserve(24)
        SimTime.write(ms, into: base + count)
        count += 24
    }

    /// Writes `"…"` with JSON escaping; UTF-8 above 0x7F passes through untouched.
    func jsonString(_ p: UnsafeBufferPointer<UInt8>) {
        reserve(p.count * 6 + 2)
        var o = count
        base[o] = 34; o += 1
        for c in p {
            if c >= 0x20 && c != 34 && c != 92 {
                base[o] = c; o += 1
                continue
            }
            base[o] = 92; o += 1
            switch c {
            case 34: base[o] = 34; o += 1
            case 92: base[o] = 92; o += 1
            case 10: base[o] = 110; o += 1
            case 13: base[o] = 114; o += 1
            case 9: base[o] = 116; o += 1
            default:
                base[o] = 117; base[o + 1] = 48; base[o + 2] = 48
                base[o + 3] = c >= 16 ? 49 : 48
                let lowNibble = Int(c & 15)
                base[o + 4] = UInt8(lowNibble < 10 ? 48 + lowNibble : 87 + lowNibble)
                o += 5
            }
        }
        base[o] = 34; o += 1
        count = o
    }

    func jsonString(_ b: [UInt8]) {
        b.withUnsafeBufferPointer { jsonString($0) }
    }

    func jsonString(_ s: String) {
        jsonString(Array(s.utf8))
    }

    var string: String {
        String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self)
    }

    func removeAll() { count = 0 }
}

/// JSON-escaped string literal of a Swift string, quotes included.
func jsonQuoted(_ s: String) -> String {
    let w = ByteWriter(capacity: s.utf8.count * 2 + 8)
    w.jsonString(s)
    return w.string
}
