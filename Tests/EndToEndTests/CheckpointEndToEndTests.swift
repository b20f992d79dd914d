import Foundation
import XCTest

/// `watch --headless --state DIR`: killed with SIGKILL at random moments and started again
/// with the same command, it must end where one uninterrupted `scan` of the same input ends:
/// the same exchanges, duplicates, rejected lines and suspect clusters, nothing lost and
/// nothing counted twice. Kill moments are drawn from a seeded generator (the seed is printed)
/// and found by polling the counters, never by sleeping.
final class CheckpointEndToEndTests: XCTestCase {
    typealias Headless = LiveSourceTests.Headless

    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-ckpt-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Runs a shell command to its end, returning stdout; `$DW` is the binary.
    @discardableResult
    func sh(_ command: String) throws -> String {
        let binary = CommandLineTests.binary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("distillwatch is not built at \(binary.path); run `swift build` first")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        var env = ProcessInfo.processInfo.environment
        env["DW"] = binary.path
        process.environment = env
        process.currentDirectoryURL = CommandLineTests.packageRoot
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// The seed for a kill schedule: DW_TEST_SEED to repeat one, else a new one (printed).
    func seed(_ what: String) -> UInt64 {
        let seed = ProcessInfo.processInfo.environment["DW_TEST_SEED"].flatMap(UInt64.init)
            ?? UInt64(Date().timeIntervalSince1970 * 1000) % 100_000
        print("\(what) seed \(seed) (DW_TEST_SEED=\(seed) repeats it)")
        return seed
    }

    /// Generated traffic split over two sources (the second gzipped), with broken lines in one
    /// and repeated request ids in the other: the merge, the rejections and the duplicate window
    /// all have to survive a restart.
    func makeInputs(days: Int, scale: Double = 0.4) throws -> [String] {
        let all = try sh("\"$DW\" gen --days \(days) --seed 23 --scale \(scale) 2>/dev/null")
        var first = "", second = ""
        for (i, line) in all.split(separator: "\n").enumerated() {
            if i % 3 == 0 {
                second += line + "\n"
                if i % 1500 == 0 { second += line + "\n" }
            } else {
                first += line + "\n"
                if i % 997 == 1 { first += "{\"broken\":\n" }
            }
        }
        let a = folder.appendingPathComponent("a.ndjson").path
        let b = folder.appendingPathComponent("b.ndjson").path
        try first.write(toFile: a, atomically: true, encoding: .utf8)
        try second.write(toFile: b, atomically: true, encoding: .utf8)
        try sh("gzip -f '\(b)'")
        return [a, b + ".gz"]
    }

    /// What one uninterrupted scan counts: exchanges, duplicates, rejected, suspect clusters.
    func scanCounts(_ paths: [String]) throws -> [String: Int] {
        let json = try sh("\"$DW\" scan --format json " + paths.map { "'\($0)'" }.joined(separator: " ") + " 2>/dev/null")
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let input = try XCTUnwrap(report["input"] as? [String: Any])
        let rejected = try XCTUnwrap(input["rejected"] as? [String: Any])
        let clusters = try XCTUnwrap(report["clusters"] as? [[String: Any]])
        return ["exchanges": input["exchanges"] as? Int ?? -1, "duplicates": input["duplicates"] as? Int ?? -1,
                "rejected": rejected["total"] as? Int ?? -1,
                "suspect": clusters.filter { $0["verdict"] as? String == "suspect" }.count]
    }

    func counts(_ counters: [String: Any]) -> [String: Int] {
        ["exchanges": counters["exchanges"] as? Int ?? -1, "duplicates": counters["duplicates"] as? Int ?? -1,
         "rejected": counters["rejected"] as? Int ?? -1, "suspect": counters["suspect"] as? Int ?? -1]
    }

    /// Runs `arguments` and SIGKILLs it once it has counted `threshold` exchanges, and at least
    /// one more than the checkpoint it went on from (or ended). Returns the exchanges counted.
    func runAndKill(_ arguments: [String], atExchanges threshold: Int) throws -> Int {
        let run = try Headless(arguments)
        try run.wait("a first counters line", limit: 300) { !$0.objects("counters").isEmpty }
        let restored = run.objects("restored").first?["exchanges"] as? Int ?? 0
        try run.wait("\(threshold) exchanges counted", limit: 300) {
            $0.counter("exchanges") >= max(threshold, restored + 1) || $0.objects("counters").last?["final"] as? Bool == true
        }
        kill(run.process.processIdentifier, SIGKILL)
        run.process.waitUntilExit()
        if run.process.terminationReason == .exit {
            // It reached the end of the input before the signal did (a threshold near the end
            // on a loaded machine): an ended run, which must have ended cleanly.
            XCTAssertEqual(run.process.terminationStatus, 0, "ended, not killed: \(run.stderr)")
        } else {
            XCTAssertEqual(run.process.terminationReason, .uncaughtSignal, "killed, not ended: \(run.stderr)")
        }
        return run.counter("exchanges")
    }

    /// A listener cannot be rewound: what a killed watcher had ingested after its last
    /// checkpoint is gone, and the restarted one says how much.
    func testWhatAListenerDeliveredAfterTheLastCheckpointIsCountedAsLost() throws {
        let state = folder.appendingPathComponent("state").path
        // No checkpoint on a timer: only the one written at a clean exit.
        let arguments = ["--listen", "http://127.0.0.1:0", "--state", state, "--checkpoint-every", "3600"]
        func post(_ range: Range<Int>, to url: String) throws {
            let lines = range.map { i in "{\"ts\":\(1_776_000_000_000 + i * 1000),\"account_id\":\"acct_\(i % 5)\",\"request_id\":\"r\(i)\"}" }
            let file = folder.appendingPathComponent("body-\(range.lowerBound).ndjson")
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
            XCTAssertEqual(try sh("curl -s -o /dev/null -w '%{http_code}' --data-binary @'\(file.path)' \(url)/ingest"), "200")
        }

        let first = try Headless(arguments)
        try post(0..<100, to: try first.address("http://"))
        try first.wait("100 exchanges") { $0.counter("exchanges") == 100 }
        let clean = first.stop()
        XCTAssertGreaterThanOrEqual(clean["checkpoints"] as? Int ?? 0, 1, "the checkpoint at exit")

        let second = try Headless(arguments)
        try second.wait("restored") { !$0.objects("restored").isEmpty }
        XCTAssertEqual(second.objects("restored").first?["lost_on_restart"] as? Int, 0, "a clean stop loses nothing")
        try post(100..<160, to: try second.address("http://"))
        try second.wait("160 exchanges") { $0.counter("exchanges") == 160 }
        // The progress note catches up within about a second; then the crash.
        let note = state + "/progress"
        let deadline = Date().addingTimeInterval(10)
        while (try? String(contentsOfFile: note, encoding: .utf8)) != "exchanges 160\n" && Date() < deadline { usleep(50_000) }
        XCTAssertEqual(try? String(contentsOfFile: note, encoding: .utf8), "exchanges 160\n")
        kill(second.process.processIdentifier, SIGKILL)
        second.process.waitUntilExit()

        let third = try Headless(arguments)
        try third.wait("restored") { !$0.objects("restored").isEmpty }
        let restored = try XCTUnwrap(third.objects("restored").first)
        XCTAssertEqual(restored["exchanges"] as? Int, 100)
        XCTAssertEqual(restored["lost_on_restart"] as? Int, 60, "the 60 records after the checkpoint")
        let final = third.stop()
        XCTAssertEqual(final["lost_on_restart"] as? Int, 60)
        XCTAssertEqual(final["exchanges"] as? Int, 100)
    }

    func testFileReplayKilledFiveTimesEndsLikeOneScan() throws {
        let paths = try makeInputs(days: 1, scale: 0.6)
        let expected = try scanCounts(paths)
        XCTAssertGreaterThan(expected["duplicates"]!, 0)
        XCTAssertGreaterThan(expected["rejected"]!, 0)
        XCTAssertGreaterThan(expected["suspect"]!, 0)
        let state = folder.appendingPathComponent("state").path
        let arguments = paths + ["--speed", "max", "--state", state, "--checkpoint-every", "0.3"]

        let seed = seed("file replay kill schedule")
        var rng = SplitMix(seed: seed)
        let total = expected["exchanges"]!
        var fractions = (0..<5).map { _ in Double(rng.next() % 900) / 1000 + 0.05 }
        fractions.sort()
        for f in fractions {
            let seen = try runAndKill(arguments, atExchanges: Int(Double(total) * f))
            print("killed at \(seen) exchanges (seed \(seed))")
        }

        let last = try Headless(arguments)
        try last.wait("the end of input", limit: 300) { $0.objects("counters").last?["final"] as? Bool == true }
        last.process.waitUntilExit()
        XCTAssertEqual(last.process.terminationStatus, 0, last.stderr)
        XCTAssertEqual(counts(last.counters), expected, "seed \(seed)")
        XCTAssertNotNil(last.objects("restored").first, "the last run went on from a checkpoint")
        XCTAssertNotNil(last.counters["restored_from"])
    }

    func testFollowedFileKilledFiveTimesWhileGrowingEndsLikeOneScan() throws {
        let source = try makeInputs(days: 1, scale: 0.5)[0]
        let expected = try scanCounts([source])
        let followed = folder.appendingPathComponent("followed.ndjson").path
        _ = FileManager.default.createFile(atPath: followed, contents: nil)
        let state = folder.appendingPathComponent("state").path
        let arguments = ["--follow", followed, "--state", state, "--checkpoint-every", "0.3"]

        // The writer appends in pieces that end mid-line, so a checkpoint can fall inside a line.
        let text = Array(try Data(contentsOf: URL(fileURLWithPath: source)))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: followed))
        var written = 0
        func append(upTo fraction: Double) {
            let end = min(text.count, Int(Double(text.count) * fraction) + 17)
            guard end > written else { return }
            handle.write(Data(text[written..<end]))
            written = end
        }

        let seed = seed("follow kill schedule")
        var rng = SplitMix(seed: seed)
        for k in 1...5 {
            append(upTo: Double(k) / 6)
            // Killed somewhere after its restart and before it has caught up with the writer:
            // counted from the lines written so far, since a share of the bytes can hold fewer
            // exchanges than the same share of the scan's count (a threshold past the last
            // complete line was never reached).
            let linesWritten = text[..<written].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            let seen = try runAndKill(arguments, atExchanges: Int(Double(linesWritten) * (0.5 + Double(rng.next() % 400) / 1000)))
            print("killed at \(seen) exchanges (seed \(seed))")
        }
        append(upTo: 1)
        try handle.close()

        let last = try Headless(arguments)
        try last.wait("every line followed", limit: 300) { $0.counter("exchanges") >= expected["exchanges"]! && $0.counter("rejected") >= expected["rejected"]! }
        let final = last.stop()
        XCTAssertEqual(counts(final), expected, "seed \(seed)")
    }

    /// Stopped with SIGKILL, then the followed file rotates twice (and its writer keeps appending
    /// to the renamed file) before the watcher starts again: the rest of the file it was reading,
    /// the file rotated after it, and the new one are all read, each line once.
    func testFollowedFileRotatedWhileStoppedLosesNothing() throws {
        func lines(_ range: Range<Int>) -> String {
            range.map { i in "{\"ts\":\(1_776_000_000_000 + i * 1000),\"request_id\":\"r\(i)\",\"account_id\":\"acct_\(i % 5)\",\"model\":\"m\",\"input_tokens\":10,\"output_tokens\":900,\"prompt_text\":\"Question \(i)\"}\n" }.joined()
        }
        func append(_ text: String, _ path: String) throws {
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            let h = try XCTUnwrap(FileHandle(forWritingAtPath: path))
            h.seekToEndOfFile()
            h.write(Data(text.utf8))
            try h.close()
        }
        let log = folder.appendingPathComponent("app.log").path
        let state = folder.appendingPathComponent("state").path
        try append(lines(0..<300), log)
        let first = try Headless(["--follow", log, "--state", state, "--checkpoint-every", "0.2"])
        try first.wait("the first 300") { $0.counter("exchanges") == 300 }
        let written = first.counter("checkpoints")
        try first.wait("a checkpoint holding them") { $0.counter("checkpoints") >= written + 2 }
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()

        try append(lines(300..<350), log)                       // more in the file it was reading
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        try append(lines(350..<380), log + ".1")                 // the writer still had it open
        try append(lines(380..<450), log)                        // a new file, rotated in turn
        try FileManager.default.moveItem(atPath: log + ".1", toPath: log + ".2")
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        try append(lines(450..<500), log)                        // and the newest

        let second = try Headless(["--follow", log, "--state", state, "--checkpoint-every", "0.2"])
        try second.wait("all 500") { $0.counter("exchanges") >= 500 }
        let final = second.stop()
        XCTAssertEqual(final["exchanges"] as? Int, 500, "nothing lost")
        XCTAssertEqual(final["duplicates"] as? Int, 0, "nothing read twice")
        XCTAssertEqual(final["rejected"] as? Int, 0, "no line cut")
        XCTAssertNil(final["error"], "\(final)")
    }

    func testDamagedCheckpointIsRefusedNamedAndKeptAndTheOlderOneIsUsed() throws {
        let paths = try makeInputs(days: 1, scale: 0.2)
        let expected = try scanCounts(paths)
        let state = folder.appendingPathComponent("state").path
        let arguments = paths + ["--state", state, "--checkpoint-every", "0.2"]
        let first = try Headless(arguments)
        try first.wait("the end of input", limit: 300) { $0.objects("counters").last?["final"] as? Bool == true }
        first.process.waitUntilExit()
        let newest = state + "/checkpoint.dws"
        XCTAssertTrue(FileManager.default.fileExists(atPath: state + "/checkpoint.previous.dws"), "two generations are kept")

        // Damage the newest: one flipped byte in the middle.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: newest))
        bytes[bytes.count / 2] ^= 0x20
        try bytes.write(to: URL(fileURLWithPath: newest))

        let second = try Headless(arguments)
        try second.wait("the end of input", limit: 300) { $0.objects("counters").last?["final"] as? Bool == true }
        second.process.waitUntilExit()
        XCTAssertEqual(second.process.terminationStatus, 0, second.stderr)
        XCTAssertTrue(second.stderr.contains("checkpoint refused") && second.stderr.contains(newest) && second.stderr.contains("checksum"), second.stderr)
        XCTAssertTrue(second.stderr.contains("checkpoint.previous.dws"), "says which one it went on from: \(second.stderr)")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: newest + ".refused")), bytes, "the refused file is kept as it was")
        XCTAssertEqual(counts(second.counters), expected)

        // Nothing usable at all: refuse to start rather than forget.
        for name in ["checkpoint.dws", "checkpoint.previous.dws"] {
            try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: state + "/" + name))
        }
        let out = try sh("\"$DW\" watch --headless --state '\(state)' '\(paths[0])' '\(paths[1])' 2>&1; echo status=$?")
        XCTAssertTrue(out.contains("no usable checkpoint") && out.contains("not a DistillWatch state file") && out.contains("status=2"), out)
    }

    func testOtherSourcesOrASecondWatcherAreRefused() throws {
        let paths = try makeInputs(days: 1, scale: 0.1)
        let state = folder.appendingPathComponent("state").path
        let first = try Headless(paths + ["--state", state])
        try first.wait("the end of input", limit: 300) { $0.objects("counters").last?["final"] as? Bool == true }
        first.process.waitUntilExit()

        let other = try sh("\"$DW\" watch --headless --state '\(state)' '\(paths[0])' 2>&1; echo status=$?")
        XCTAssertTrue(other.contains("cannot go on from checkpoint") && other.contains("status=2"), other)

        // A watcher holding the directory (following a file that never ends) keeps others out.
        let followed = folder.appendingPathComponent("f.ndjson").path
        _ = FileManager.default.createFile(atPath: followed, contents: nil)
        let holder = try Headless(["--follow", followed, "--state", folder.appendingPathComponent("held").path])
        try holder.wait("counters") { !$0.objects("counters").isEmpty }
        let second = try sh("\"$DW\" watch --headless --follow '\(followed)' --state '\(folder.appendingPathComponent("held").path)' 2>&1; echo status=$?")
        XCTAssertTrue(second.contains("in use by another distillwatch") && second.contains("status=2"), second)
        holder.stop()
    }
}

/// A small seeded generator, so a failing kill schedule can be run again.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
