/// Just enough IP parsing to group addresses into ranges: IPv4 /24 and IPv6 /64.
enum IPRange {
    /// The range key (high bits) and whether the address is IPv6; nil when not an address.
    static func prefix(of text: String) -> (key: UInt64, isV6: Bool)? {
        var copy = text
        return copy.withUTF8 { prefix(of: UnsafeRawBufferPointer($0)) }
    }

    static func prefix(of bytes: UnsafeRawBufferPointer) -> (key: UInt64, isV6: Bool)? {
        let bytes = bytes.assumingMemoryBound(to: UInt8.self)
        if bytes.contains(UInt8(ascii: ":")) { return v6Prefix(bytes).map { ($0, true) } }
        return v4Prefix(bytes).map { ($0, false) }
    }

    static func describe(key: UInt64, isV6: Bool) -> String {
        if !isV6 {
            return "\(key >> 16 & 0xFF).\(key >> 8 & 0xFF).\(key & 0xFF).0/24"
        }
        let groups = (0..<4).map { String(key >> (48 - 16 * UInt64($0)) & 0xFFFF, radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }

    /// Allocation-free: this runs whenever an account's address changes (a proxy farm: every request).
    private static func v4Prefix(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
        var prefix: UInt64 = 0
        var dots = 0
        var value: UInt64 = 0
        var digits = 0
        for b in bytes {
            if b >= 0x30 && b <= 0x39 {
                value = value * 10 + UInt64(b - 0x30)
                digits += 1
                if digits > 3 || value > 255 { return nil }
            } else if b == UInt8(ascii: ".") {
                guard digits > 0, dots < 3 else { return nil }
                prefix = prefix << 8 | value
                dots += 1
                value = 0; digits = 0
            } else {
                return nil
            }
        }
        guard digits > 0, dots == 3 else { return nil }
        return prefix
    }

    /// First four 16-bit groups, with `::` expanded. An embedded IPv4 tail only affects the
    /// low 64 bits, so it is accepted and ignored.
    private static func v6Prefix(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
        var head: [UInt64] = []
        var tail: [UInt64] = []
        var afterGap = false
        var value: UInt64 = 0
        var digits = 0
        var i = 0
        let n = bytes.count
        func push() -> Bool {
            guard digits > 0 else { return false }
            if afterGap { tail.append(value) } else { head.append(value) }
            value = 0; digits = 0
            return head.count + tail.count <= 8
        }
        while i < n {
            let b = bytes[i]
            if b == UInt8(ascii: ":") {
                if i + 1 < n && bytes[i + 1] == UInt8(ascii: ":") {
                    if afterGap { return nil }
                    if digits > 0 && !push() { return nil }
                    afterGap = true
                    i += 2
                    continue
                }
                if !push() { return nil }
            } else if let h = hexValue(b) {
                value = value << 4 | h
                digits += 1
                if digits > 4 { return nil }
            } else if b == UInt8(ascii: ".") || b == UInt8(ascii: "%") {
                break  // IPv4 tail or zone id: low bits only
            } else {
                return nil
            }
            i += 1
        }
        if digits > 0 && !push() { return nil }
        let missing = 8 - head.count - tail.count
        if missing < 0 || (!afterGap && missing > 0 && i == n) { return nil }
        let groups = head + Array(repeating: 0, count: max(0, missing)) + tail
        guard groups.count >= 4 else { return nil }
        return groups[0] << 48 | groups[1] << 32 | groups[2] << 16 | groups[3]
    }

    private static func hexValue(_ b: UInt8) -> UInt64? {
        switch b {
        case 0x30...0x39: return UInt64(b - 0x30)
        case 0x61...0x66: return UInt64(b - 0x61 + 10)
        case 0x41...0x46: return UInt64(b - 0x41 + 10)
        default: return nil
        }
    }
}
