extension Array where Element == UInt64 {
    /// Sorts in increasing order, as `sort()` does, by bytes from the least significant (LSD
    /// radix): the evaluation sorts packed value and pair keys by the thousand, where the
    /// comparison sort cost more than the work the keys stand for. A byte that every key
    /// shares (the high bytes of packed slots) costs no pass.
    mutating func radixSort() {
        let n = count
        guard n > 64 else { sort(); return }
        var scratch = [UInt64](repeating: 0, count: n)
        var inScratch = false
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 8 * 256) { counts in
            counts.initialize(repeating: 0)
            let c = counts.baseAddress!
            withUnsafeBufferPointer { keys in
                for key in keys {
                    var k = key
                    for byte in 0..<8 { c[byte << 8 | Int(k & 0xFF)] += 1; k >>= 8 }
                }
            }
            for byte in 0..<8 {
                let digits = c + byte << 8
                // Every key has the same byte here: the order stands.
                var shared = false
                for d in 0..<256 where digits[d] == n { shared = true }
                if shared { continue }
                // Counts become each digit's first position.
                var running = 0
                for d in 0..<256 { let here = digits[d]; digits[d] = running; running += here }
                let shift = UInt64(byte * 8)
                func scatter(_ from: UnsafeBufferPointer<UInt64>, _ to: UnsafeMutableBufferPointer<UInt64>) {
                    let out = to.baseAddress!
                    for key in from {
                        let d = Int((key >> shift) & 0xFF)
                        out[digits[d]] = key
                        digits[d] += 1
                    }
                }
                if inScratch {
                    scratch.withUnsafeBufferPointer { from in withUnsafeMutableBufferPointer { scatter(from, $0) } }
                } else {
                    withUnsafeBufferPointer { from in scratch.withUnsafeMutableBufferPointer { scatter(from, $0) } }
                }
                inScratch.toggle()
            }
        }
        if inScratch { swap(&self, &scratch) }
    }
}
