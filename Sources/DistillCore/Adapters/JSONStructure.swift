/// Byte-level walks over JSON that find structure without building it, so a hostile request body
/// costs a pass over its bytes, not a tree of objects many times its size.
enum JSONStructure {
    static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), comma = UInt8(ascii: ",")
    static let openObject = UInt8(ascii: "{"), closeObject = UInt8(ascii: "}")
    static let openArray = UInt8(ascii: "["), closeArray = UInt8(ascii: "]")

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    enum ArrayEnd: Equatable {
        /// The closing `]` was found and only whitespace follows it.
        case complete
        /// The body ended inside the array. An unfinished last element was handed over as it is
        /// (its decoding decides); `lostElement` says the body ended where no element had begun.
        case truncated(lostElement: Bool)
        /// Something other than whitespace follows the closing `]` (how many bytes).
        case trailing(Int)
    }

    /// Walks the top-level elements of an array one at a time, so a caller can stop between
    /// any two and go on later. Strings are skipped with their escapes: brackets and commas
    /// inside them do not count.
    struct ArrayElements {
        enum Step: Equatable {
            /// The next element's bytes, trimmed of whitespace (empty for `[1,,2]`'s middle).
            case element(Range<Int>)
            case end(ArrayEnd)
        }

        /// Where the next step starts scanning: always between elements, at depth zero.
        private(set) var offset: Int
        private var sawComma = false
        private var handedTail = false

        init(openingAt start: Int) { offset = start + 1 }

        mutating func next(in body: UnsafeRawBufferPointer) -> Step {
            let count = body.count
            if offset >= count { return .end(.truncated(lostElement: !handedTail)) }
            var depth = 0
            var inString = false
            var elementStart = -1
            var i = offset
            func trimmed(_ end: Int) -> Range<Int> {
                guard elementStart >= 0 else { return end..<end }
                var last = end
                while last > elementStart && isSpace(body[last - 1]) { last -= 1 }
                return elementStart..<last
            }
            while i < count {
                let b = body[i]
                if inString {
                    if b == backslash { i += 2; continue }
                    if b == quote { inString = false }
                    i += 1
                    continue
                }
                switch b {
                case quote:
                    inString = true
                    if elementStart < 0 { elementStart = i }
                case openObject, openArray:
                    if elementStart < 0 { elementStart = i }
                    depth += 1
                case closeObject, closeArray:
                    if depth == 0 {
                        // The array's own `]` (a stray `}` ends it too: the body is malformed
                        // either way, and what came before is kept).
                        if elementStart >= 0 || sawComma {
                            sawComma = false
                            offset = i  // the next step finds the bracket again, with nothing pending
                            return .element(trimmed(i))
                        }
                        var j = i + 1
                        while j < count && isSpace(body[j]) { j += 1 }
                        offset = count
                        handedTail = true
                        return .end(j == count ? .complete : .trailing(count - j))
                    }
                    depth -= 1
                case comma where depth == 0:
                    offset = i + 1
                    sawComma = true
                    return .element(trimmed(i))
                default:
                    if elementStart < 0 && !isSpace(b) { elementStart = i }
                }
                i += 1
            }
            offset = count
            guard elementStart >= 0 else { return .end(.truncated(lostElement: true)) }
            handedTail = true
            return .element(trimmed(count))
        }
    }

    /// Whether a JSON text is shallow and sparse enough to parse into objects: nesting no deeper
    /// than `maxDepth`, and no more than one object or array per `bytesPerContainer` bytes. Real
    /// OTLP/JSON has about one container per 16 bytes or fewer; `[[[[]]]]` has one per 2.
    static func isParsable(_ body: UnsafeRawBufferPointer, maxDepth: Int = 64, bytesPerContainer: Int = 6) -> Bool {
        var depth = 0, containers = 0
        var inString = false
        var i = 0
        let count = body.count
        while i < count {
            let b = body[i]
            if inString {
                if b == backslash { i += 2; continue }
                if b == quote { inString = false }
            } else if b == quote {
                inString = true
            } else if b == openObject || b == openArray {
                depth += 1
                containers += 1
                if depth > maxDepth { return false }
            } else if b == closeObject || b == closeArray {
                depth -= 1
            }
            i += 1
        }
        return containers <= max(64, count / bytesPerContainer)
    }
}
