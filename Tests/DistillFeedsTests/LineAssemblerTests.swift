import XCTest
@testable import DistillFeeds

final class LineAssemblerTests: XCTestCase {
    /// Feeds `text` in pieces of `size` bytes; returns the lines (or `<too long N>`).
    func pieces(_ text: String, size: Int, max: Int = 10) -> [String] {
        var a = LineAssembler(maxLineBytes: max)
        var out: [String] = []
        let bytes = Array(text.utf8)
        func take(_ p: LineAssembler.Piece) {
            switch p {
            case .line(let b): out.append(String(decoding: b, as: UTF8.self))
            case .tooLong(let n): out.append("<too long \(n)>")
            }
        }
        var i = 0
        while i < bytes.count {
            let chunk = Array(bytes[i..<min(bytes.count, i + size)])
            chunk.withUnsafeBytes { a.feed($0, take) }
            i += size
        }
        a.finish(take)
        return out
    }

    func testSplitsTheSameWhateverThePieceSize() {
        let text = "one\ntwo\n\nthree is long\nfour\nlast"
        for size in [1, 2, 3, 5, 8, 100] {
            XCTAssertEqual(pieces(text, size: size), ["one", "two", "", "<too long 13>", "four", "last"], "piece size \(size)")
        }
    }

    func testHoldsAtMostTheLimit() {
        var a = LineAssembler(maxLineBytes: 16)
        let junk = [UInt8](repeating: 0x61, count: 1000)
        for _ in 0..<100 { junk.withUnsafeBytes { a.feed($0) { _ in XCTFail("no line yet") } } }
        XCTAssertLessThanOrEqual(a.heldBytes, 16)
        var got: [Int] = []
        Array("x\nok\n".utf8).withUnsafeBytes { a.feed($0) { if case .tooLong(let n) = $0 { got.append(n) } else { got.append(-1) } } }
        XCTAssertEqual(got, [100_001, -1])
    }
}
