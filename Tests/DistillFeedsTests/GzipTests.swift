import Foundation
import XCTest
@testable import DistillFeeds

final class GzipTests: FeedsTestCase {
    func sampleText() -> String {
        (1...2000).map { "{\"ts\":\($0),\"line\":\"\(String(repeating: "z", count: $0 % 97))\"}" }
            .joined(separator: "\n") + "\nno newline at end"
    }

    func testGzipReadsLikeThePlainFile() throws {
        let text = sampleText()
        let plain = try write("log.ndjson", text)
        let packed = try write("log.ndjson.gz", gzip(text))
        let expected = try readAll(path: plain)
        XCTAssertEqual(expected.count, 2001)
        for chunk in [1, 2, 7, 4096, 1 << 20] {
            XCTAssertEqual(try readAll(path: packed, chunkSize: chunk), expected, "chunk \(chunk)")
        }
        let reader = try LineReader(path: packed)
        _ = try readAll(reader)
        XCTAssertTrue(reader.isGzip)
        XCTAssertEqual(reader.textBytes, Int64(text.utf8.count))
        XCTAssertEqual(reader.bytesRead, Int64(gzip(text).count))
    }

    func testMultiMemberGzipIsReadFully() throws {
        let parts = ["a1\na2\n", "", "b1\nb2", "\nc1\n"]
        let packed = try write("multi.gz", parts.flatMap { gzip($0) })
        for chunk in [1, 3, 7, 1 << 20] {
            XCTAssertEqual(try readAll(path: packed, chunkSize: chunk), [
                .text("a1", 1), .text("a2", 2), .text("b1", 3), .text("b2", 4), .text("c1", 5),
            ], "chunk \(chunk)")
        }
    }

    func testGzipIsDetectedByMagicNotExtension() throws {
        let packed = try write("log.ndjson", gzip("x\ny\n"))
        let reader = try LineReader(path: packed)
        XCTAssertEqual(try readAll(reader), [.text("x", 1), .text("y", 2)])
        XCTAssertTrue(reader.isGzip)

        let plain = try write("not-really.gz", "x\ny\n")
        let plainReader = try LineReader(path: plain)
        XCTAssertEqual(try readAll(plainReader), [.text("x", 1), .text("y", 2)])
        XCTAssertFalse(plainReader.isGzip)
    }

    func testPlainFileStartingWithMagicByteOnly() throws {
        let path = try write("odd.ndjson", [UInt8]([0x1F, UInt8(ascii: "\n"), UInt8(ascii: "a")]))
        XCTAssertEqual(try readAll(path: path, chunkSize: 1), [.text("\u{1F}", 1), .text("a", 2)])
    }

    func testCorruptGzipNamesTheFileAndKeepsEarlierLines() throws {
        var bytes = gzip(Array(sampleText().utf8), level: 1)
        // Damage the deflate data well past the start (the header stays valid).
        for i in stride(from: bytes.count / 2, to: bytes.count / 2 + 64, by: 1) { bytes[i] ^= 0x5A }
        let path = try write("broken.ndjson.gz", bytes)
        let reader = try LineReader(path: path, chunkSize: 512)
        var lines = 0
        do throws(InputError) {
            while try reader.nextLine() != nil { lines += 1 }
            XCTFail("expected an error")
        } catch {
            guard case .corruptGzip(let errorPath, _, let offset, _) = error else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(errorPath, path)
            XCTAssertGreaterThan(offset, 0)
            XCTAssertTrue(error.description.contains(path), error.description)
        }
        XCTAssertGreaterThan(lines, 0, "lines before the damage were read")
    }

    func testTruncatedGzipIsAnError() throws {
        let bytes = gzip(sampleText())
        let path = try write("cut.gz", Array(bytes[..<(bytes.count - 100)]))
        XCTAssertThrowsError(try readAll(path: path)) { error in
            guard let error = error as? InputError, case .corruptGzip(let errorPath, let reason, _, _) = error else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(errorPath, path)
            XCTAssertTrue(reason.contains("unexpected end of file"), reason)
        }
    }

    /// A file cut inside a line: that line comes out as far as it got, positions stay at its
    /// start (a reader resumed there reads it whole once the file is complete), and then the
    /// error, on every later call.
    func testALineCutByTheDamageIsReturnedThenTheErrorStays() throws {
        let lines = (0..<300).map { "{\"n\":\($0),\"pad\":\"\(String(repeating: "x", count: 20 + $0 % 7))\"}" }
        let packed = gzip(Array((lines.joined(separator: "\n") + "\n").utf8), level: 0)
        let path = try write("cut-mid-line.gz", Array(packed[..<(packed.count / 2)]))
        let reader = try LineReader(path: path)
        var got: [String] = []
        var failure: InputError?
        do throws(InputError) {
            while case .text(let bytes, let number)? = try reader.nextLine() {
                got.append(String(decoding: bytes, as: UTF8.self))
                XCTAssertEqual(number, got.count)
            }
        } catch { failure = error }
        XCTAssertNotNil(failure, "the cut is an error")
        let cut = try XCTUnwrap(got.last)
        XCTAssertEqual(Array(got.dropLast()), Array(lines.prefix(got.count - 1)), "whole lines before the cut")
        XCTAssertTrue(lines[got.count - 1].hasPrefix(cut) && cut.count < lines[got.count - 1].count, "the cut line, as far as it got: \(cut)")
        let start = lines.prefix(got.count - 1).reduce(0) { $0 + $1.utf8.count + 1 }
        XCTAssertEqual(reader.consumedTextOffset, Int64(start), "positions stay at the cut line's start")
        XCTAssertEqual(reader.completeLines, got.count - 1)
        for _ in 0..<2 { XCTAssertThrowsError(try reader.nextLine(), "the error stays") }
    }

    func testALongLineCutByTheDamageIsCountedAsTooLong() throws {
        let text = "{\"a\":1}\n" + String(repeating: "a", count: 50_000) + "\n{\"b\":2}\n"
        let packed = gzip(Array(text.utf8), level: 0)
        let path = try write("cut-long.gz", Array(packed[..<(packed.count / 2)]))
        let reader = try LineReader(path: path, chunkSize: 1024, maxLineBytes: 4096)
        guard case .text(_, 1)? = try reader.nextLine() else { return XCTFail("first line") }
        guard case .tooLong(let length, 2)? = try reader.nextLine() else { return XCTFail("the long line, cut") }
        XCTAssertGreaterThan(length, 4096)
        XCTAssertLessThan(length, 50_000)
        XCTAssertEqual(reader.consumedTextOffset, 8)
        XCTAssertThrowsError(try reader.nextLine())
    }

    func testBytesAfterTheLastMemberAreCountedAndEveryLineIsRead() throws {
        // Zero padding (as a tape or block device leaves) and garbage: gzip -d ignores both.
        let ten = (0..<10).map { "line \($0)\n" }.joined()
        for (name, tail) in [("padded.gz", [UInt8](repeating: 0, count: 512)), ("garbage.gz", Array("not gzip at all".utf8))] {
            let path = try write(name, gzip(ten) + tail)
            let reader = try LineReader(path: path, chunkSize: 64)
            var lines: [String] = []
            while case .text(let bytes, _)? = try reader.nextLine() { lines.append(String(decoding: bytes, as: UTF8.self)) }
            XCTAssertEqual(lines.count, 10, "\(name): every line before the trailing bytes")
            XCTAssertEqual(reader.trailingBytes, Int64(tail.count), name)
        }
    }

    func testLinesInflatedBeforeTheDamageAreNotLost() throws {
        // Ten short lines and then a cut: all ten come out of one read, before the error.
        let ten = (0..<10).map { "line \($0)\n" }.joined()
        let whole = gzip(ten)
        let path = try write("short-cut.gz", Array(whole[..<(whole.count - 6)]))
        let reader = try LineReader(path: path)
        var lines = 0
        do throws(InputError) {
            while try reader.nextLine() != nil { lines += 1 }
            XCTFail("expected an error")
        } catch {
            guard case .corruptGzip = error else { return XCTFail("unexpected \(error)") }
        }
        XCTAssertEqual(lines, 10)
    }

    func testMagicOnlyIsTruncated() throws {
        let path = try write("magic.gz", [0x1F, 0x8B])
        XCTAssertThrowsError(try readAll(path: path)) { error in
            XCTAssertEqual((error as? InputError)?.path, path)
        }
    }
}
