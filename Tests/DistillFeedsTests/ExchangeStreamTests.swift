import DistillCore
import Foundation
import XCTest
@testable import DistillFeeds

final class ExchangeStreamTests: FeedsTestCase {
    /// An RFC 3339 time `seconds` after a fixed start.
    func at(_ seconds: Int) -> String {
        String(format: "2026-04-22T09:%02d:%02d.000Z", seconds / 60, seconds % 60)
    }

    func lines(_ records: [String]) -> String { records.joined(separator: "\n") + "\n" }

    /// Every exchange of the stream, read in batches of `batchSize`.
    func drain(_ stream: ExchangeStream, batchSize: Int = 1000, ledger: inout InputLedger) throws -> [Exchange] {
        var all: [Exchange] = []
        var batch: [Exchange] = []
        while try stream.nextBatch(into: &batch, maxCount: batchSize, ledger: &ledger) {
            XCTAssertLessThanOrEqual(batch.count, batchSize)
            XCTAssertFalse(batch.isEmpty)
            all += batch
            batch.removeAll(keepingCapacity: true)
        }
        return all
    }

    /// A pipe whose writer is still there but quiet: what has arrived is handed over at once,
    /// for canonical lines and through an adapter alike, not held back for a full batch.
    func testAQuietPipeHandsOverWhatHasArrived() throws {
        for format in [RecordFormat.canonical, .auto] {
            var ends: [Int32] = [0, 0]
            XCTAssertEqual(pipe(&ends), 0)
            defer { close(ends[0]); close(ends[1]) }
            let text = (0..<3).map { #"{"ts":1776000000\#($0)000,"account_id":"a\#($0)"}"# }.joined(separator: "\n") + "\n"
            XCTAssertEqual(text.withCString { Glibc.write(ends[1], $0, strlen($0)) }, text.utf8.count)
            let result = ReadResult(try ExchangeStream(paths: ["/dev/fd/\(ends[0])"], format: format))
            let done = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                result.read()
                done.signal()
            }
            guard done.wait(timeout: .now() + 10) == .success else {
                XCTFail("\(format): the reader waited for more lines with three in hand")
                _ = "x\n".withCString { Glibc.write(ends[1], $0, 2) }
                return
            }
            XCTAssertEqual(result.value?.more, true, "\(format)")
            XCTAssertEqual(result.value?.count, 3, "\(format)")
        }
    }

    /// A pipe whose writer is still there but quiet (`tail -F` at night): a mark asked for
    /// meanwhile is still given, so a run with `--state` keeps checkpointing standard input
    /// rather than never finding a point to take one at.
    func testAQuietPipeStillGivesAMark() throws {
        var ends: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&ends), 0)
        defer { close(ends[0]); close(ends[1]) }
        let text = (0..<3).map { #"{"ts":1776000000\#($0)000,"account_id":"a\#($0)"}"# }.joined(separator: "\n") + "\n"
        XCTAssertEqual(text.withCString { Glibc.write(ends[1], $0, strlen($0)) }, text.utf8.count)
        let feed = StreamFeed(stream: try ExchangeStream(paths: ["/dev/fd/\(ends[0])"]))
        feed.start()
        defer { feed.stop(); _ = "\n".withCString { Glibc.write(ends[1], $0, 1) } }
        var received = 0
        var mark: FeedMark?
        var asked = false
        let deadline = Date().addingTimeInterval(10)
        while mark == nil && Date() < deadline {
            if let (batch, m) = feed.pollMarked() {
                received += batch.count
                mark = m
            } else if received == 3 && !asked {
                // Everything sent is in, and the sender says nothing more.
                feed.requestMark()
                asked = true
            } else {
                usleep(2_000)
            }
        }
        XCTAssertEqual(received, 3)
        let given = try XCTUnwrap(mark, "no mark within 10 s while the pipe was quiet")
        XCTAssertEqual(given.positions.first?.line, 3, "the mark stands after the three lines")
    }

    /// One `nextBatch` on another thread, its outcome read back under a lock.
    final class ReadResult: @unchecked Sendable {
        private let stream: ExchangeStream
        private let lock = NSLock()
        private var outcome: (more: Bool, count: Int)?
        init(_ stream: ExchangeStream) { self.stream = stream }
        var value: (more: Bool, count: Int)? { lock.lock(); defer { lock.unlock() }; return outcome }
        func read() {
            var batch: [Exchange] = []
            var ledger = InputLedger()
            let more = (try? stream.nextBatch(into: &batch, maxCount: 2048, ledger: &ledger)) ?? false
            lock.lock(); outcome = (more, batch.count); lock.unlock()
        }
    }

    func testThreeSourcesAreMergedInTimestampOrder() throws {
        let a = try write("a.ndjson", lines([0, 3, 6, 9, 12].map { record(at($0), request: "a\($0)") }))
        let b = try write("b.ndjson.gz", gzip(lines([1, 4, 7, 10].map { record(at($0), request: "b\($0)") })))
        let c = try write("c.ndjson", lines([2, 5, 8, 11, 13, 14].map { record(at($0), request: "c\($0)") }))
        for batchSize in [1, 2, 5, 1000] {
            let stream = try ExchangeStream(paths: [a, b, c], chunkSize: 16)
            var ledger = InputLedger()
            let merged = try drain(stream, batchSize: batchSize, ledger: &ledger)
            XCTAssertEqual(merged.map(\.requestID), [
                "a0", "b1", "c2", "a3", "b4", "c5", "a6", "b7", "c8", "a9", "b10", "c11", "a12", "c13", "c14",
            ], "batch size \(batchSize)")
            XCTAssertEqual(merged.map(\.ts), merged.map(\.ts).sorted())
            XCTAssertEqual(ledger.exchanges, 15)
            XCTAssertEqual(ledger.rejectedTotal, 0)
        }
    }

    func testTiesGoBySourceOrderThenInputOrder() throws {
        let a = try write("a.ndjson", lines([record(at(5), request: "a1"), record(at(5), request: "a2")]))
        let b = try write("b.ndjson", lines([record(at(5), request: "b1"), record(at(5), request: "b2")]))
        var ledger = InputLedger()
        let merged = try drain(ExchangeStream(paths: [b, a]), ledger: &ledger)
        // b comes first on the command line, so its tied records lead; each source keeps its order.
        XCTAssertEqual(merged.map(\.requestID), ["b1", "b2", "a1", "a2"])
    }

    func testASourceOutOfOrderIsNotResorted() throws {
        // The merge takes heads; it does not sort inside a roughly ordered source.
        let a = try write("a.ndjson", lines([record(at(2), request: "a2"), record(at(1), request: "a1")]))
        let b = try write("b.ndjson", lines([record(at(3), request: "b3")]))
        var ledger = InputLedger()
        let merged = try drain(ExchangeStream(paths: [a, b]), ledger: &ledger)
        XCTAssertEqual(merged.map(\.requestID), ["a2", "a1", "b3"])
    }

    func testDuplicateAcrossFilesIsCountedOnce() throws {
        let a = try write("a.ndjson", lines([record(at(1), request: "r1"), record(at(3), request: "r3")]))
        let b = try write("b.ndjson", lines([record(at(2), request: "r2"), record(at(4), request: "r1")]))
        var ledger = InputLedger()
        let merged = try drain(ExchangeStream(paths: [a, b]), ledger: &ledger)
        XCTAssertEqual(merged.map(\.requestID), ["r1", "r2", "r3"])
        XCTAssertEqual(ledger.exchanges, 3)
        XCTAssertEqual(ledger.duplicates, 1)
    }

    func testRejectionsNameTheirSourceAndLine() throws {
        let limit = 200
        let a = try write("a.ndjson", lines([
            record(at(1), request: "ok1"),
            "this is not json",
            "",
            "{\"ts\":\"\(at(2))\",\"account_id\":\"x\",\"pad\":\"\(String(repeating: "p", count: limit))\"}",
            record(at(3), request: "ok2"),
        ]))
        let b = try write("b.ndjson", "   \r\n{\"account_id\":\"acct\"}\r\n" + record(at(2), request: "ok3") + "\r\n")
        var ledger = InputLedger()
        let stream = try ExchangeStream(paths: [a, b], maxLineBytes: limit)
        let merged = try drain(stream, ledger: &ledger)
        XCTAssertEqual(merged.map(\.requestID), ["ok1", "ok3", "ok2"])
        XCTAssertEqual(ledger.blankLines, 2)
        XCTAssertEqual(ledger.rejectedTotal, 3)
        XCTAssertEqual(ledger.rejectedByReason["line_too_long"], 1)
        XCTAssertEqual(ledger.rejectedByReason["invalid_json"], 1)
        // Rejections are counted as lines are read, so sources interleave in the samples.
        XCTAssertEqual(Set(ledger.samples.map { "\($0.source):\($0.line):\($0.reason)" }), [
            "\(a):2:invalid_json", "\(a):4:line_too_long", "\(b):2:missing_ts",
        ])
        let tooLong = ledger.samples.first { $0.reason == "line_too_long" }!
        XCTAssertTrue(tooLong.message.contains("exceeds limit"), tooLong.message)
    }

    func testSingleSourceBatchesRespectMaxCount() throws {
        let path = try write("one.ndjson", lines((0..<10).map { record(at($0), request: "r\($0)") }))
        let stream = try ExchangeStream(paths: [path])
        var ledger = InputLedger()
        var batch: [Exchange] = []
        var sizes: [Int] = []
        while try stream.nextBatch(into: &batch, maxCount: 3, ledger: &ledger) {
            sizes.append(batch.count)
            batch.removeAll()
        }
        XCTAssertEqual(sizes, [3, 3, 3, 1])
        XCTAssertFalse(try stream.nextBatch(into: &batch, maxCount: 3, ledger: &ledger), "stays exhausted")
        XCTAssertEqual(ledger.exchanges, 10)
        XCTAssertEqual(stream.sourceNames, [path])
        XCTAssertEqual(stream.bytesRead, Int64(try Data(contentsOf: URL(fileURLWithPath: path)).count))
        XCTAssertEqual(stream.textBytes, stream.bytesRead)
    }

    func testNoSourcesMeansNoInput() throws {
        var ledger = InputLedger()
        var batch: [Exchange] = []
        XCTAssertFalse(try ExchangeStream(paths: []).nextBatch(into: &batch, maxCount: 10, ledger: &ledger))
    }

    func testOnlyRejectsMeansNoBatch() throws {
        let path = try write("bad.ndjson", "nope\n\n[1]\n")
        var ledger = InputLedger()
        var batch: [Exchange] = []
        XCTAssertFalse(try ExchangeStream(paths: [path]).nextBatch(into: &batch, maxCount: 10, ledger: &ledger))
        XCTAssertEqual(ledger.rejectedTotal, 2)
        XCTAssertEqual(ledger.blankLines, 1)
    }

    func testTruncatedGzipReturnsWhatWasReadThenThrows() throws {
        let text = lines((0..<3000).map { record(at($0 % 3600), request: "r\($0)", extra: ",\"n\":\($0)") })
        let packed = gzip(Array(text.utf8))
        let path = try write("cut.ndjson.gz", Array(packed[..<(packed.count * 2 / 3)]))
        let stream = try ExchangeStream(paths: [path], chunkSize: 4096)
        var ledger = InputLedger()
        var batch: [Exchange] = []
        var received = 0
        var thrown: InputError?
        do {
            while try stream.nextBatch(into: &batch, maxCount: 100_000, ledger: &ledger) {
                received += batch.count
                batch.removeAll()
            }
        } catch let error as InputError {
            thrown = error
        }
        XCTAssertEqual(thrown?.path, path)
        XCTAssertGreaterThan(received, 0, "exchanges read before the damage are delivered")
        XCTAssertEqual(ledger.exchanges, received)
        XCTAssertEqual(ledger.rejectedByReason, ["invalid_json": 1], "the line the cut went through is counted, not lost")
        XCTAssertThrowsError(try stream.nextBatch(into: &batch, maxCount: 10, ledger: &ledger), "stays failed")
    }

    func testBrokenSourceInAMergeFailsNamingItAndStaysFailed() throws {
        let a = try write("a.ndjson", lines([record(at(1), request: "a1")]))
        let packed = gzip(lines((0..<50).map { record(at($0), request: "b\($0)") }))
        let b = try write("b.gz", Array(packed[..<20]))
        let stream = try ExchangeStream(paths: [a, b])
        var ledger = InputLedger()
        var batch: [Exchange] = []
        for _ in 0..<2 {
            XCTAssertThrowsError(try stream.nextBatch(into: &batch, maxCount: 10, ledger: &ledger)) { error in
                XCTAssertEqual((error as? InputError)?.path, b)
            }
        }
        XCTAssertTrue(batch.isEmpty)
    }

    func testStdinSourceIsNamedStdin() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let saved = dup(0)
        defer {
            dup2(saved, 0)
            close(saved)
        }
        dup2(fds[0], 0)
        close(fds[0])
        let text = Array(("garbage\n" + record(at(1), request: "s1") + "\n").utf8)
        XCTAssertEqual(Glibc.write(fds[1], text, text.count), text.count)
        close(fds[1])
        let stream = try ExchangeStream(paths: ["-"])
        XCTAssertEqual(stream.sourceNames, ["stdin"])
        var ledger = InputLedger()
        XCTAssertEqual(try drain(stream, ledger: &ledger).map(\.requestID), ["s1"])
        XCTAssertEqual(ledger.samples.map { "\($0.source):\($0.line)" }, ["stdin:1"])
    }
}
