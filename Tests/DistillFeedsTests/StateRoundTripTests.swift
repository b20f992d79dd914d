import DistillCore
import DistillSim
import Foundation
import XCTest
@testable import DistillFeeds

/// A detector saved at any line, read back and fed the rest of the input ends where one that
/// never stopped ends: the same report, byte for byte.
final class StateRoundTripTests: FeedsTestCase {
    /// Generated traffic as lines, with the campaign accounts of the scenario.
    static func lines(scenario: String, seed: UInt64) throws -> [[UInt8]] {
        var config = GeneratorConfig()
        config.seed = seed
        config.days = 3
        config.scale = 0.1
        config.scenario = scenario
        var text: [UInt8] = []
        _ = try TrafficGenerator(config: config).run { chunk in text.append(contentsOf: chunk) }
        return text.split(separator: 0x0A).map(Array.init)
    }

    /// Feeds `lines` through a decoder, the ledger and the detector, as `scan` does.
    static func feed(_ lines: ArraySlice<[UInt8]>, _ detector: Detector, _ ledger: inout InputLedger) {
        let decoder = ExchangeDecoder()
        var batch: [Exchange] = []
        for (n, line) in zip(lines.indices, lines) {
            line.withUnsafeBytes { bytes in
                switch decoder.decode(bytes, appendingTo: &batch) {
                case .appended: if !ledger.admit(batch[batch.count - 1]) { batch.removeLast() }
                case .rejected(let r): ledger.reject(r, source: "gen", line: n + 1)
                case .blank: ledger.countBlank()
                }
            }
            if batch.count >= 64 { detector.ingest(draining: &batch) }
        }
        detector.ingest(draining: &batch)
    }

    static func report(_ detector: Detector, _ ledger: InputLedger) -> String {
        ScanReport(ledger: ledger, snapshot: detector.snapshot(includeQuiet: true), includeAll: true).json()
    }

    static let cleared = Allowlist(accounts: ["acct_not_in_the_log"], orgs: [], cards: [])

    func testRestoredAtAnyLineTheReportIsByteIdentical() throws {
        let seed = randomSeed("StateRoundTripTests")
        // Each cut costs a whole run: the edges and the middle for one scenario, random lines for both.
        for (scenario, fixedCuts) in [("redteam", [0, 1, -1, -2]), ("mixed", [-2])] {
            let lines = try Self.lines(scenario: scenario, seed: seed)
            let whole = Detector()
            whole.allowlist = Self.cleared
            var wholeLedger = InputLedger()
            Self.feed(lines[...], whole, &wholeLedger)
            let expected = Self.report(whole, wholeLedger)
            // A red-team draw may start late and slowly enough that three days hold nothing.
            if scenario != "redteam" {
                XCTAssertTrue(expected.contains("\"suspect\""), "the traffic must hold something to find (\(scenario), seed \(seed))")
            }

            var generator = SeededCuts(seed: seed)
            let cuts = fixedCuts.map { $0 == -1 ? lines.count : $0 == -2 ? lines.count / 2 : $0 } + (0..<2).map { _ in generator.below(lines.count) }
            for cut in cuts {
                let first = Detector()
                first.allowlist = Self.cleared
                var ledger = InputLedger()
                Self.feed(lines[..<cut], first, &ledger)
                _ = first.snapshot()  // a console looks; looking must change nothing
                let bytes = DetectionState(detector: first, ledger: ledger, positions: ["gen": "\(cut)"]).encoded()
                let restored = try DetectionState(decoding: bytes, settings: .standard)
                XCTAssertEqual(restored.positions, ["gen": "\(cut)"])
                var restoredLedger = restored.ledger
                Self.feed(lines[cut...], restored.detector, &restoredLedger)
                let got = Self.report(restored.detector, restoredLedger)
                XCTAssertEqual(got, expected, "\(scenario), seed \(seed), restored at line \(cut) of \(lines.count)")
            }
        }
    }

    /// The duplicate window survives: a request repeated across the cut is still a duplicate.
    func testDuplicatesAcrossTheCutAreStillCaught() throws {
        let line = Array(#"{"ts":"2026-04-20T10:00:00Z","account_id":"a1","request_id":"r-1","model":"m","status":"success"}"#.utf8)
        let detector = Detector()
        var ledger = InputLedger()
        Self.feed([line][...], detector, &ledger)
        let restored = try DetectionState(decoding: DetectionState(detector: detector, ledger: ledger).encoded(), settings: .standard)
        var after = restored.ledger
        Self.feed([line][...], restored.detector, &after)
        XCTAssertEqual(after.exchanges, 1)
        XCTAssertEqual(after.duplicates, 1)
    }

    func testDamagedForeignAndNewerStatesAreRefusedWithTheReason() throws {
        let lines = try Self.lines(scenario: "redteam", seed: 3)
        let detector = Detector()
        var ledger = InputLedger()
        Self.feed(lines[..<2000], detector, &ledger)
        let good = DetectionState(detector: detector, ledger: ledger).encoded()
        XCTAssertNoThrow(try DetectionState(decoding: good, settings: .standard))

        func refusal(_ bytes: [UInt8], settings: DetectorSettings = .standard) -> StateError? {
            do { _ = try DetectionState(decoding: bytes, settings: settings); return nil } catch { return error }
        }
        XCTAssertEqual(refusal(Array(good.dropLast())), .truncated)
        XCTAssertEqual(refusal(Array(good.prefix(10))), .truncated)
        var flipped = good
        flipped[good.count / 2] ^= 0x40
        XCTAssertEqual(refusal(flipped), .checksumMismatch)
        XCTAssertEqual(refusal(Array(#"{"ts":"2026-04-20T10:00:00Z"}"#.utf8)), .notAStateFile)
        XCTAssertEqual(refusal([]), .notAStateFile)
        var newer = good
        newer[8] = UInt8(DetectionState.formatVersion + 1)
        XCTAssertEqual(refusal(newer), .newerVersion(found: DetectionState.formatVersion + 1, supported: DetectionState.formatVersion))
        guard case .settingsDiffer? = refusal(good, settings: DetectorSettings(sensitivity: .aggressive)) else {
            return XCTFail("a state written under other settings must be refused")
        }
        XCTAssertTrue(StateError.newerVersion(found: 2, supported: 1).description.contains("newer"))
    }

    func testStateFileIsWrittenWholeAndNamesTheFileWhenRefused() throws {
        let detector = Detector()
        let path = folder.appendingPathComponent("one.state").path
        try StateFile.write(DetectionState(detector: detector, ledger: InputLedger()), to: path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".partial"), "the temporary file was renamed into place")
        XCTAssertNoThrow(try StateFile.read(path, settings: .standard))

        try write("garbage.state", "not a state")
        XCTAssertThrowsError(try StateFile.read(folder.appendingPathComponent("garbage.state").path, settings: .standard)) { error in
            XCTAssertTrue("\(error)".contains("garbage.state") && "\(error)".contains("not a DistillWatch state file"), "\(error)")
        }
        let missingDirectory = folder.appendingPathComponent("no/such/dir/x.state").path
        XCTAssertThrowsError(try StateFile.write(DetectionState(detector: detector, ledger: InputLedger()), to: missingDirectory)) { error in
            XCTAssertTrue("\(error)".contains(missingDirectory), "\(error)")
        }
    }
}

/// Cut points drawn from the test's seed (splitmix64), so a failure can be replayed.
struct SeededCuts {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func below(_ n: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(max(1, n)))
    }
}

/// A stream stopped between two batches and a new one resumed at its `positions()` hand out,
/// together, exactly the records and counts of one uninterrupted pass: over plain and gzip
/// files, merged sources, broken, blank and over-long lines, repeated request ids, and lines
/// holding several records (a checkpoint can fall inside one).
final class StreamResumeTests: FeedsTestCase {
    func inputs() throws -> [String] {
        var plain = "", packed = ""
        for i in 0..<600 {
            let ts = String(format: "2026-04-20T10:%02d:%02d.%03dZ", i / 60 % 60, i % 60, i % 1000)
            plain += record(ts, account: "acct_\(i % 7)", request: "p\(i)") + "\n"
            if i % 41 == 0 { plain += "{\"broken\":\n" }
            if i % 53 == 0 { plain += "\n" }
            if i % 97 == 0 { plain += "{\"pad\":\"" + String(repeating: "x", count: 600) + "\"}\n" }
            if i % 3 == 0 {
                // Three records on one line, the last repeating an earlier request id.
                let ts2 = String(format: "2026-04-20T10:%02d:%02d.%03dZ", i / 60 % 60, i % 60, i % 1000 + 1)
                packed += "[" + record(ts2, account: "acct_b", request: "q\(i)") + "," + record(ts2, account: "acct_c", request: "r\(i)")
                    + "," + record(ts2, account: "acct_c", request: i % 9 == 0 ? "p\(i)" : "s\(i)") + "]\n"
            }
            if i % 77 == 0 { packed += "not json\n" }
        }
        return [try write("plain.ndjson", plain), try write("packed.ndjson.gz", gzip(packed))]
    }

    func drain(_ stream: ExchangeStream, _ ledger: inout InputLedger, batches: Int = .max, size: Int) throws -> [String] {
        var out: [String] = []
        var batch: [Exchange] = []
        var n = 0
        while n < batches, try stream.nextBatch(into: &batch, maxCount: size, ledger: &ledger) {
            out += batch.map { $0.requestID ?? "-" }
            batch.removeAll()
            n += 1
        }
        return out
    }

    func check(paths: [String], format: RecordFormat) throws {
        var wholeLedger = InputLedger()
        let whole = try drain(ExchangeStream(paths: paths, maxLineBytes: 512, format: format), &wholeLedger, size: 7)
        XCTAssertGreaterThan(wholeLedger.rejectedTotal, 0)
        for cut in [0, 1, 2, 5, 13, 40, 77, 150, 1000] {
            for size in [1, 7, 64] {
                var ledger = InputLedger()
                let first = try ExchangeStream(paths: paths, maxLineBytes: 512, format: format)
                var got = try drain(first, &ledger, batches: cut, size: size)
                let positions = first.positions()
                let second = try ExchangeStream(paths: paths, maxLineBytes: 512, format: format)
                try second.resume(at: positions)
                got += try drain(second, &ledger, size: size)
                XCTAssertEqual(got, whole, "cut after \(cut) batches of \(size) (\(format))")
                XCTAssertEqual(ledger.rejectedTotal, wholeLedger.rejectedTotal, "cut \(cut)×\(size)")
                XCTAssertEqual(ledger.duplicates, wholeLedger.duplicates, "cut \(cut)×\(size)")
                XCTAssertEqual(ledger.blankLines, wholeLedger.blankLines, "cut \(cut)×\(size)")
                XCTAssertEqual(ledger.samples, wholeLedger.samples, "rejections keep their line numbers")
            }
        }
    }

    func testResumedStreamsReadWhatOneStreamReads() throws {
        let paths = try inputs()
        try check(paths: paths, format: .auto)
        try check(paths: [paths[1]], format: .auto)
        try check(paths: [paths[0]], format: .canonical)
        try check(paths: [paths[0], paths[0]], format: .canonical)
    }

    func testAReplacedOrShortenedFileIsRefused() throws {
        let paths = try inputs()
        let stream = try ExchangeStream(paths: [paths[0]])
        var ledger = InputLedger()
        _ = try drain(stream, &ledger, batches: 3, size: 50)
        let positions = stream.positions()
        // Same name, another file.
        let text = try String(contentsOfFile: paths[0], encoding: .utf8)
        try FileManager.default.removeItem(atPath: paths[0])
        try write("plain.ndjson", String(text.prefix(100)))
        XCTAssertThrowsError(try ExchangeStream(paths: [paths[0]]).resume(at: positions)) { error in
            XCTAssertEqual(error as? ResumeError, .replaced(path: paths[0]))
        }
        var cut = positions
        cut[0].identity = try ExchangeStream(paths: [paths[0]]).positions()[0].identity
        XCTAssertThrowsError(try ExchangeStream(paths: [paths[0]]).resume(at: cut)) { error in
            guard case .shorter? = error as? ResumeError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try ExchangeStream(paths: paths).resume(at: positions)) { error in
            guard case .sourcesDiffer? = error as? ResumeError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(SourcePosition(encoded: positions[0].encoded), positions[0])
    }

    /// A restart may name the same file another way (relative, absolute, through a link); it
    /// goes on from the checkpoint. Another file under another name is still refused.
    func testTheSameFileNamedAnotherWayResumes() throws {
        let paths = try inputs()
        let stream = try ExchangeStream(paths: [paths[0]])
        var ledger = InputLedger()
        let before = try drain(stream, &ledger, batches: 3, size: 50)
        let positions = stream.positions()
        let link = paths[0] + ".link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: paths[0])
        defer { try? FileManager.default.removeItem(atPath: link) }
        let dir = (paths[0] as NSString).deletingLastPathComponent, file = (paths[0] as NSString).lastPathComponent
        for name in [link, dir + "/./" + file, dir + "//" + file] {
            let again = try ExchangeStream(paths: [name])
            XCTAssertNoThrow(try again.resume(at: positions), name)
            var rest = InputLedger()
            let after = try drain(again, &rest, batches: 1, size: 10)
            XCTAssertFalse(after.isEmpty || before.contains(after[0]), "\(name) went on from the checkpoint")
        }
        XCTAssertThrowsError(try ExchangeStream(paths: [paths[1]]).resume(at: positions)) { error in
            guard case .sourcesDiffer? = error as? ResumeError else { return XCTFail("\(error)") }
        }
    }
}
