import Foundation
import XCTest
@testable import DistillFeeds

final class LineReaderTests: FeedsTestCase {
    let sample = "first line\n\nthird, with CRLF\r\n  \n{\"ts\":1}\nünïcödé ✓ line\n\r\nlast without newline"

    func testTinyChunksGiveTheSameLinesAsOneRead() throws {
        let path = try write("sample.ndjson", sample)
        let whole = try readAll(path: path)
        XCTAssertEqual(whole.count, 8)
        for chunk in [1, 2, 3, 7, 64] {
            XCTAssertEqual(try readAll(path: path, chunkSize: chunk), whole, "chunk size \(chunk)")
        }
    }

    func testLinesAndNumbers() throws {
        let path = try write("sample.ndjson", sample)
        XCTAssertEqual(try readAll(path: path, chunkSize: 7), [
            .text("first line", 1), .text("", 2), .text("third, with CRLF\r", 3), .text("  ", 4),
            .text("{\"ts\":1}", 5), .text("ünïcödé ✓ line", 6), .text("\r", 7),
            .text("last without newline", 8),
        ])
    }

    func testCarriageReturnIsPassedThrough() throws {
        let path = try write("crlf.ndjson", "a\r\nb\r\n")
        XCTAssertEqual(try readAll(path: path), [.text("a\r", 1), .text("b\r", 2)])
    }

    func testTrailingNewlineDoesNotMakeAnExtraLine() throws {
        let path = try write("t.ndjson", "a\nb\n")
        XCTAssertEqual(try readAll(path: path, chunkSize: 1), [.text("a", 1), .text("b", 2)])
    }

    func testNoTrailingNewline() throws {
        let path = try write("t.ndjson", "a\nb")
        for chunk in [1, 2, 1 << 20] {
            XCTAssertEqual(try readAll(path: path, chunkSize: chunk), [.text("a", 1), .text("b", 2)])
        }
    }

    func testEmptyFile() throws {
        let path = try write("empty.ndjson", "")
        let reader = try LineReader(path: path)
        XCTAssertNil(try reader.nextLine())
        XCTAssertNil(try reader.nextLine(), "stays at end")
        XCTAssertEqual(reader.lineNumber, 0)
        XCTAssertFalse(reader.isGzip)
    }

    func testBlankLinesAreLines() throws {
        let path = try write("blank.ndjson", "\n\nx\n\n")
        XCTAssertEqual(try readAll(path: path, chunkSize: 2),
                       [.text("", 1), .text("", 2), .text("x", 3), .text("", 4)])
    }

    func testSingleByteFile() throws {
        let path = try write("one.ndjson", "x")
        XCTAssertEqual(try readAll(path: path, chunkSize: 1), [.text("x", 1)])
    }

    func testLineAtTheLimitIsKeptAndOneByteMoreIsTooLong() throws {
        let limit = 10
        let atLimit = String(repeating: "a", count: limit)
        let over = String(repeating: "b", count: limit + 1)
        let path = try write("limit.ndjson", "\(atLimit)\n\(over)\nok\n\(over)")
        for chunk in [1, 2, 7, 10, 11, 64] {
            XCTAssertEqual(try readAll(path: path, chunkSize: chunk, maxLineBytes: limit), [
                .text(atLimit, 1), .tooLong(limit + 1, 2), .text("ok", 3), .tooLong(limit + 1, 4),
            ], "chunk size \(chunk)")
        }
    }

    func testTenMegabyteLineIsTooLongAndTheNextLineIsRead() throws {
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 10_000_000)
        let path = try write("big.ndjson", Array("before\n".utf8) + big + Array("\nafter\nend\n".utf8))
        for chunk in [64 * 1024, 1 << 20] {
            XCTAssertEqual(try readAll(path: path, chunkSize: chunk), [
                .text("before", 1), .tooLong(10_000_000, 2), .text("after", 3), .text("end", 4),
            ], "chunk size \(chunk)")
        }
    }

    func testFiftyMegabytesWithoutNewlineKeepsMemoryBounded() throws {
        let size = 50_000_000
        let path = try write("nonewline.ndjson", [UInt8](repeating: UInt8(ascii: "{"), count: size))
        let limit = 1 << 20
        let reader = try LineReader(path: path, maxLineBytes: limit)
        XCTAssertLessThanOrEqual(reader.bufferCapacity, limit + LineReader.defaultChunkSize + 1)
        guard case .tooLong(let length, let number)? = try reader.nextLine() else {
            return XCTFail("expected a too-long line")
        }
        XCTAssertEqual(length, size)
        XCTAssertEqual(number, 1)
        XCTAssertNil(try reader.nextLine())
        XCTAssertEqual(reader.textBytes, Int64(size))
        XCTAssertLessThanOrEqual(reader.bufferCapacity, limit + LineReader.defaultChunkSize + 1)
    }

    func testLongLinesAcrossChunkBoundariesWithSmallLimit() throws {
        // Many lines around the limit, read with chunk sizes that split them everywhere.
        var text = ""
        var expected: [ReadItem] = []
        for n in 1...60 {
            let length = (n * 7) % 23
            let line = String(repeating: Character(UnicodeScalar(UInt8(97 + n % 26))), count: length)
            text += line + "\n"
            expected.append(length > 16 ? .tooLong(length, n) : .text(line, n))
        }
        let path = try write("mixed.ndjson", text)
        for chunk in [1, 2, 5, 7, 16, 17, 1000] {
            XCTAssertEqual(try readAll(path: path, chunkSize: chunk, maxLineBytes: 16), expected, "chunk \(chunk)")
        }
    }

    func testStdinIsReadForDash() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let saved = dup(0)
        defer {
            dup2(saved, 0)
            close(saved)
        }
        dup2(fds[0], 0)
        close(fds[0])
        let text = Array("one\ntwo\n".utf8)
        XCTAssertEqual(Glibc.write(fds[1], text, text.count), text.count)
        close(fds[1])
        let reader = try LineReader(path: "-", chunkSize: 3)
        XCTAssertEqual(reader.name, "stdin")
        XCTAssertEqual(try readAll(reader), [.text("one", 1), .text("two", 2)])
    }

    func testByteCounts() throws {
        let path = try write("c.ndjson", "abc\ndef\n")
        let reader = try LineReader(path: path, chunkSize: 3)
        _ = try readAll(reader)
        XCTAssertEqual(reader.bytesRead, 8)
        XCTAssertEqual(reader.textBytes, 8)
    }
}
