import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest

/// Drives the built `distillwatch` binary as a person or a script would.
final class CommandLineTests: XCTestCase {
    static var binary: URL {
        let products = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }
            .map { $0.bundleURL.deletingLastPathComponent() } ?? Bundle.main.bundleURL
        return products.appendingPathComponent("distillwatch")
    }
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Run { var status: Int32; var stdout: Data; var stderr: String; var text: String { String(decoding: stdout, as: UTF8.self) } }

    /// Runs a shell command line with `$DW` set to the binary.
    func sh(_ command: String) throws -> Run {
        let binary = Self.binary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("distillwatch is not built at \(binary.path); run `swift build` first")
        }
        // stderr goes to a file so that reading stdout to its end cannot deadlock on a full pipe.
        let errFile = FileManager.default.temporaryDirectory.appendingPathComponent("dw-stderr-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: errFile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "( \(command) ) 2>'\(errFile.path)'"]
        var env = ProcessInfo.processInfo.environment
        env["DW"] = binary.path
        process.environment = env
        process.currentDirectoryURL = Self.packageRoot
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderrText = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
        return Run(status: process.terminationStatus, stdout: stdoutData, stderr: stderrText)
    }

    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dw-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    func report(_ run: Run) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: run.stdout) as? [String: Any], run.text)
    }

    /// `watch --headless --report FILE` writes, at the end, the report `scan` prints: the
    /// same detector through the watch loop, so the same bytes (rejected lines included), with
    /// any number of evaluation threads.
    func testAHeadlessReplayWritesTheReportScanPrints() throws {
        let dir = try temporaryDirectory()
        let input = dir.appendingPathComponent("in.ndjson").path
        let report = dir.appendingPathComponent("report.json").path
        XCTAssertEqual(try sh("(gzip -dc SampleLogs/lookalikes.ndjson.gz; echo '{\"ts\":'; echo '') > '\(input)'").status, 0)
        let scan = try sh("\"$DW\" scan --format json '\(input)'")
        let watch = try sh("\"$DW\" watch --headless --speed max --counters-every 0 --report '\(report)' '\(input)'")
        XCTAssertEqual(watch.status, 0, watch.stderr)
        XCTAssertEqual(try String(contentsOfFile: report, encoding: .utf8), scan.text)
        XCTAssertTrue(scan.text.contains("\"rejected\": {\"total\": 1"), scan.text)
        // However many threads its evaluations use.
        for threads in [1, 3] {
            let run = try sh("\"$DW\" watch --headless --threads \(threads) --speed max --counters-every 0 --report '\(report)' '\(input)'")
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertEqual(try String(contentsOfFile: report, encoding: .utf8), scan.text, "\(threads) threads")
        }
        // With a window: the input counted is what was read, as `scan` counts it.
        let window = "--from 2026-04-20T16:00Z --until 2026-04-21T04:00Z"
        let scanned = try sh("\"$DW\" scan --format json \(window) '\(input)'")
        let windowed = try sh("\"$DW\" watch --headless --speed max --counters-every 0 \(window) --report '\(report)' '\(input)'")
        XCTAssertEqual(windowed.status, 0, windowed.stderr)
        XCTAssertTrue(windowed.text.contains("\"outside_window\""), "the window skipped some exchanges")
        XCTAssertEqual(try String(contentsOfFile: report, encoding: .utf8), scanned.text, "with \(window)")
        let refused = try sh("\"$DW\" watch --report '\(report)' '\(input)'")
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("--report works with --headless"), refused.stderr)
    }

    /// A reader that keeps each cluster's verdict by key from the alerts, and drops the keys
    /// said to be closed, ends with the clusters the final counters count: merged clusters do
    /// not linger as stale suspects, and a part that splits off says where it came from.
    func testHeadlessAlertsCloseClustersThatMergeAway() throws {
        let run = try sh(#""$DW" watch --headless --speed max --counters-every 0 SampleLogs/demo.ndjson.gz"#)
        XCTAssertEqual(run.status, 0, run.stderr)
        var verdicts: [String: String] = [:]
        var closed = 0, splits = 0
        var final: [String: Any] = [:]
        for line in run.text.split(separator: "\n") {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let key = object["cluster"] as? String
            switch object["type"] as? String {
            case "alert":
                if let from = object["split_from"] as? String {
                    XCTAssertNotNil(verdicts[from], "split from a cluster alerted on and still open: \(line)")
                    XCTAssertNil(verdicts[try XCTUnwrap(key)], "only a key new to the reader splits off: \(line)")
                    splits += 1
                }
                verdicts[try XCTUnwrap(key)] = object["verdict"] as? String
            case "closed":
                let key = try XCTUnwrap(key)
                XCTAssertEqual(verdicts.removeValue(forKey: key), object["previous"] as? String, "closed as last alerted: \(line)")
                if let into = object["merged_into"] as? String {
                    XCTAssertEqual(verdicts[into] ?? "clear", object["verdict"] as? String, "merged into a cluster alerted at that verdict: \(line)")
                }
                closed += 1
            case "counters": final = object
            default: break
            }
        }
        XCTAssertGreaterThan(closed, 0, "the demo's campaigns merge as they grow")
        XCTAssertGreaterThan(splits, 0, "and parts of them split off")
        XCTAssertEqual(verdicts.values.filter { $0 == "suspect" }.count, final["suspect"] as? Int)
        XCTAssertEqual(verdicts.values.filter { $0 == "watch" }.count, final["watch"] as? Int)
    }

    func testGeneratorIsDeterministicAndScanReadsItFromStdin() throws {
        let a = try sh(#""$DW" gen --seed 7 --days 2 --scale 0.1 | sha256sum"#)
        let b = try sh(#""$DW" gen --seed 7 --days 2 --scale 0.1 | sha256sum"#)
        let c = try sh(#""$DW" gen --seed 8 --days 2 --scale 0.1 | sha256sum"#)
        XCTAssertEqual(a.status, 0)
        XCTAssertEqual(a.text, b.text, "same seed, same bytes")
        XCTAssertNotEqual(a.text, c.text)

        let run = try sh(#""$DW" gen --seed 7 --days 2 --scale 0.1 | "$DW" scan - --format json"#)
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try report(run)
        let input = try XCTUnwrap(object["input"] as? [String: Any])
        XCTAssertGreaterThan(input["exchanges"] as? Int ?? 0, 1000)
        let clusters = try XCTUnwrap(object["clusters"] as? [[String: Any]])
        XCTAssertTrue(clusters.contains { $0["verdict"] as? String == "suspect" })
        // The same command twice gives the same report.
        let again = try sh(#""$DW" gen --seed 7 --days 2 --scale 0.1 | "$DW" scan - --format json"#)
        XCTAssertEqual(run.stdout, again.stdout)
    }

    /// A binary copied away from its checkout still has the demo: it generates the recorded
    /// demo byte for byte into the cache directory and replays it to the report `scan` gives
    /// for the file in SampleLogs. Where the cache cannot be written it says so and exits 2.
    func testAnInstalledBinaryReplaysTheDemoWithoutTheCheckout() throws {
        let dir = try temporaryDirectory()
        let installed = dir.appendingPathComponent("distillwatch").path
        XCTAssertEqual(try sh("cp \"$DW\" '\(installed)'").status, 0)
        let report = dir.appendingPathComponent("report.json").path
        let cache = dir.appendingPathComponent("cache").path
        let watch = try sh("cd '\(dir.path)' && XDG_CACHE_HOME='\(cache)' '\(installed)' watch --headless --speed max --counters-every 0 --report '\(report)'")
        XCTAssertEqual(watch.status, 0, watch.stderr)
        let scan = try sh(#""$DW" scan --format json SampleLogs/demo.ndjson.gz"#)
        XCTAssertEqual(try String(contentsOfFile: report, encoding: .utf8), scan.text)
        let generated = cache + "/distillwatch/demo.ndjson"
        XCTAssertEqual(try sh("gzip -dc SampleLogs/demo.ndjson.gz | cmp - '\(generated)'").status, 0, "the generated demo differs from SampleLogs/demo.ndjson.gz")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cache + "/distillwatch"), ["demo.ndjson"], "no partial file is left")

        let blocked = dir.appendingPathComponent("not-a-directory").path
        XCTAssertEqual(try sh("touch '\(blocked)'").status, 0)
        let refused = try sh("cd '\(dir.path)' && XDG_CACHE_HOME='\(blocked)' '\(installed)' watch --headless --speed max")
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("no demo log") && refused.stderr.contains(blocked), refused.stderr)
    }

    func testHeadlessHonoursTheStreamWindow() throws {
        let run = try sh(#""$DW" watch --headless --counters-every 0 --from 2026-04-21T00:00Z --until 2026-04-21T06:00Z SampleLogs/demo.ndjson.gz"#)
        XCTAssertEqual(run.status, 0, run.stderr)
        let last = try XCTUnwrap(run.text.split(separator: "\n").last)
        let counters = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        XCTAssertEqual(counters["final"] as? Bool, true)
        XCTAssertGreaterThan(counters["outside_window"] as? Int ?? 0, 0)
        let clock = try XCTUnwrap(counters["stream_time"] as? String)
        XCTAssertTrue(clock >= "2026-04-21T00:00" && clock <= "2026-04-21T06:00:00.000Z", clock)
    }

    func testDefaultDemoScanAndFailOn() throws {
        let run = try sh(#""$DW" scan SampleLogs/demo.ndjson.gz"#)  // stdout is a pipe: JSON by default
        XCTAssertEqual(run.status, 0, run.stderr)
        let clusters = try XCTUnwrap(try report(run)["clusters"] as? [[String: Any]])
        let suspects = clusters.filter { $0["verdict"] as? String == "suspect" }
        XCTAssertFalse(suspects.isEmpty)
        for c in suspects { XCTAssertNotNil(c["flagged_at"] as? String) }

        XCTAssertEqual(try sh(#""$DW" scan SampleLogs/demo.ndjson.gz --fail-on suspect > /dev/null"#).status, 3)
        XCTAssertEqual(try sh(#""$DW" scan SampleLogs/lookalikes.ndjson.gz --fail-on suspect > /dev/null"#).status, 0)
        let table = try sh(#""$DW" scan SampleLogs/demo.ndjson.gz --format table"#)
        XCTAssertTrue(table.text.contains("VERDICT"))
        XCTAssertTrue(table.text.contains("suspect"))
    }

    func testUnusableInputAndArgumentsAreClearErrors() throws {
        let missing = try sh(#""$DW" scan /no/such/file.ndjson"#)
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("/no/such/file.ndjson"), missing.stderr)
        XCTAssertTrue(missing.stdout.isEmpty)
        let directory = try sh(#""$DW" scan /tmp"#)
        XCTAssertNotEqual(directory.status, 0)
        XCTAssertTrue(directory.stderr.contains("/tmp"), directory.stderr)
        // Bad arguments: status 2 in every command, with the command's own usage.
        for args in ["scan", "scan - --format xml", "scan --from bogus SampleLogs/demo.ndjson.gz", "gen --scenario nonsense",
                     "eval --scenarios nope", "eval --seeds ,,", "eval --scenarios ''", "cases list --verdict bogus", "watch --speed 0 /dev/null", "watch --threads 0 /dev/null",
                     "watch --headless --counters-every 1e-9 /dev/null", "watch --headless --checkpoint-every 0 --state /tmp/x /dev/null",
                     "watch --state /tmp/x /dev/null", "watch --theme nosuch /dev/null"] {
            let r = try sh("\"$DW\" \(args) < /dev/null")
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("Error:") || r.stderr.contains("distillwatch:"), "\(args): \(r.stderr)")
            XCTAssertTrue(r.stdout.isEmpty, "\(args) printed to stdout: \(r.text)")
            // A usage, when printed, is the failing subcommand's, not the top-level one.
            let command = args.split(separator: " ").prefix { !$0.hasPrefix("-") && !$0.hasPrefix("/") }.joined(separator: " ")
            if r.stderr.contains("Usage:") {
                XCTAssertTrue(r.stderr.contains("Usage: distillwatch \(command)"), "\(args): \(r.stderr)")
            }
        }
        XCTAssertEqual(try sh(#""$DW" scan --help"#).status, 0)
        // The messages quote the arguments, escape sequences included: shown, never sent.
        for args in [#"scan --from "$(printf 'x\033[2J')" /dev/null"#, #"scan --threads "$(printf '\033]0;t\007')" /dev/null"#] {
            let r = try sh("\"$DW\" \(args)")
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("\u{1B}") || r.stderr.contains("\u{07}"), "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("\u{241B}"), "\(args): \(r.stderr)")
        }
    }

    /// An idle time too long to count in milliseconds is refused like any bad argument, not a
    /// trap once the detector runs; the longest one allowed works on the oldest records.
    func testFoldIdleAfterTooLongIsRefused() throws {
        let dir = try temporaryDirectory()
        let path = dir.appendingPathComponent("old.ndjson").path
        let lines = #"{"ts":"0001-01-01T00:00:00Z","account_id":"a"}"# + "\n" + #"{"ts":"0001-01-01T02:00:00Z","account_id":"a"}"# + "\n"
        try Data(lines.utf8).write(to: URL(fileURLWithPath: path))
        for command in ["scan --format json", "watch --headless --speed max --counters-every 0"] {
            for hours in ["2562047788016", "87600001"] {
                let r = try sh("\"$DW\" \(command) --fold-idle-after \(hours) '\(path)'")
                XCTAssertEqual(r.status, 2, "\(command) \(hours): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("--fold-idle-after must be 0 (never) or a number of hours up to 87600000"), "\(command): \(r.stderr)")
                XCTAssertTrue(r.stdout.isEmpty, "\(command): \(r.text)")
            }
            let longest = try sh("\"$DW\" \(command) --fold-idle-after 87600000 '\(path)'")
            XCTAssertEqual(longest.status, 0, "\(command): \(longest.stderr)")
        }
    }

    /// Output that cannot be written is an error with status 2, never a trap or a silent 0: an
    /// alerting pipeline must see that its alerts went nowhere.
    func testOutputThatCannotBeWrittenIsAnError() throws {
        let demo = "SampleLogs/demo.ndjson.gz"
        for (args, said) in [("scan --format json \(demo)", "cannot write to standard output: No space left on device"),
                             ("scan --format table \(demo)", "cannot write to standard output"),
                             ("rules", "cannot write to standard output"),
                             ("watch --headless --speed max \(demo)", "cannot write alerts to standard output: No space left on device")] {
            let full = try sh("\"$DW\" \(args) > /dev/full")
            XCTAssertEqual(full.status, 2, "\(args): \(full.stderr)")
            XCTAssertTrue(full.stderr.contains(said), "\(args): \(full.stderr)")
            XCTAssertFalse(full.stderr.contains("Fatal error"), full.stderr)
        }
        let closed = try sh("\"$DW\" scan --format json \(demo) >&-")
        XCTAssertEqual(closed.status, 2, closed.stderr)
        XCTAssertTrue(closed.stderr.contains("cannot write to standard output: Bad file descriptor"), closed.stderr)
        // A report that could not be written is found before the run, not after it.
        let report = try sh("\"$DW\" watch --headless --report /no/such/dir/r.json \(demo)")
        XCTAssertEqual(report.status, 2, report.stderr)
        XCTAssertTrue(report.stderr.contains("--report: cannot write in /no/such/dir"), report.stderr)
        XCTAssertTrue(report.stdout.isEmpty, "nothing was run: \(report.text)")
    }

    /// The same for the commands that print tables and listings: a full disk under `eval`,
    /// `bench`, `gen` or `cases list` is said, with status 2, not lost with status 0 or 1.
    func testEveryCommandSaysWhenItsOutputCannotBeWritten() throws {
        var commands = ["eval --seeds 1 --days 1 --scale 0.05", "bench --exchanges 2000 --runs 1", "gen --list-scenarios",
                        "gen --days 1 --scale 0.05", "gen --days 1 --scale 0.05 -o /dev/full"]
        if let journal = try journalWithOneCase(in: try temporaryDirectory()) {
            let listed = try sh("\"$DW\" cases list --cases '\(journal)'")
            XCTAssertEqual(listed.status, 0, listed.stderr)
            XCTAssertTrue(listed.text.contains("acct_a"), listed.text)
            commands.append("cases list --cases '\(journal)'")
        }
        for args in commands {
            let full = try sh("\"$DW\" \(args) > /dev/full")
            XCTAssertEqual(full.status, 2, "\(args): \(full.stderr)")
            XCTAssertTrue(full.stderr.contains("No space left on device"), "\(args): \(full.stderr)")
            XCTAssertFalse(full.stderr.contains("Fatal error"), full.stderr)
        }
        let labels = try sh("\"$DW\" gen --days 1 --scale 0.05 --labels /dev/full > /dev/null")
        XCTAssertEqual(labels.status, 2, labels.stderr)
        XCTAssertTrue(labels.stderr.contains("writing /dev/full failed: No space left on device"), labels.stderr)
        let unopened = try sh("\"$DW\" gen --days 1 --scale 0.05 -o /no/such/dir/out.ndjson")
        XCTAssertEqual(unopened.status, 2, unopened.stderr)
        XCTAssertTrue(unopened.stderr.contains("cannot open /no/such/dir/out.ndjson for writing"), unopened.stderr)
    }

    /// `eval --log` with a log that cannot be opened or labels that are not labels is unusable
    /// input: status 2, the reason naming the file, and nothing on stdout for a script to read
    /// as a (blank) score table.
    func testEvalRefusesAnUnusableLogOrLabelsBeforePrintingAnything() throws {
        let dir = try temporaryDirectory()
        let notLabels = dir.appendingPathComponent("labels.json").path
        try Data("{}".utf8).write(to: URL(fileURLWithPath: notLabels))
        try assertEvalRefuses([("--log /no/such/log.ndjson --labels SampleLogs/demo.labels.json", "/no/such/log.ndjson"),
                               ("--log /tmp --labels SampleLogs/demo.labels.json", "/tmp"),
                               ("--log SampleLogs/demo.ndjson.gz --labels '\(notLabels)'", "labels.json': labels are not in the expected shape"),
                               ("--log SampleLogs/demo.ndjson.gz --labels /no/such/labels.json", "cannot read labels '/no/such/labels.json'")])
    }

    /// Each `eval` run with these arguments exits 2, says `said` on stderr and prints nothing.
    func assertEvalRefuses(_ cases: [(args: String, said: String)], file: StaticString = #filePath, line: UInt = #line) throws {
        for (args, said) in cases {
            let r = try sh("\"$DW\" eval \(args)")
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)", file: file, line: line)
            XCTAssertTrue(r.stderr.contains(said), "\(args): \(r.stderr)", file: file, line: line)
            XCTAssertTrue(r.stdout.isEmpty, "\(args) printed: \(r.text)", file: file, line: line)
        }
    }

    /// A seed or scenario named twice would weigh its accounts twice in the scores: refused as
    /// a bad argument before anything runs.
    func testEvalRefusesASeedOrScenarioNamedTwice() throws {
        try assertEvalRefuses([("--seeds 1,2,1 --scenarios mixed --days 1", "--seeds names seed 1 more than once"),
                               ("--seeds 1 --scenarios mixed,swarm,mixed --days 1", "--scenarios names 'mixed' more than once")])
    }

    /// A `--state-out` that cannot be written is found before the scan, not after it: no report
    /// on stdout for a run whose state is lost, and no scan of a long log for nothing.
    func testAStateOutThatCannotBeWrittenIsRefusedBeforeTheScan() throws {
        let dir = try temporaryDirectory()
        for (target, said) in [("/no/such/dir/s.state", "--state-out: cannot write in /no/such/dir"),
                               (dir.path, "--state-out: \(dir.path) is a directory")] {
            let r = try sh("\"$DW\" scan --format json --state-out '\(target)' SampleLogs/stealth.ndjson.gz")
            XCTAssertEqual(r.status, 2, r.stderr)
            XCTAssertTrue(r.stderr.contains(said), r.stderr)
            XCTAssertTrue(r.stdout.isEmpty, "scanned anyway: \(r.text)")
        }
        // A FIFO (or a device such as /dev/stdout) is not replaced by the state renamed into place.
        let fifo = dir.appendingPathComponent("fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let piped = try sh("\"$DW\" scan --format json --state-out '\(fifo)' SampleLogs/stealth.ndjson.gz")
        XCTAssertEqual(piped.status, 2, piped.stderr)
        XCTAssertTrue(piped.stderr.contains("--state-out: \(fifo) is not a regular file"), piped.stderr)
        XCTAssertTrue(piped.stdout.isEmpty, "scanned anyway: \(piped.text)")
        var info = stat()
        XCTAssertEqual(lstat(fifo, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "the FIFO was replaced")
        let saved = dir.appendingPathComponent("s.state").path
        let ok = try sh("\"$DW\" scan --format json --state-out '\(saved)' SampleLogs/stealth.ndjson.gz")
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: saved))
    }

    /// A `gen --start` outside the years the generator covers is a bad argument like any other:
    /// said with the option's name and `gen`'s own usage, before anything is generated.
    func testGenStartOutsideItsYearsIsABadArgument() throws {
        for start in ["1969-12-31T00:00:00Z", "9999-01-01T00:00:00Z"] {
            let r = try sh("\"$DW\" gen --days 1 --start \(start)")
            XCTAssertEqual(r.status, 2, r.stderr)
            XCTAssertTrue(r.stderr.contains("--start must be in the years 1971 to 8999 (got '\(start)')"), r.stderr)
            XCTAssertTrue(r.stderr.contains("Usage: distillwatch gen"), r.stderr)
            XCTAssertTrue(r.stdout.isEmpty)
        }
        let first = try sh("\"$DW\" gen --days 1 --scale 0.05 --max-exchanges 1 --start 1971-01-01T00:00:00Z")
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.text.hasPrefix("{\"ts\":\"1971-01-01T"), first.text)
    }

    /// `bench --scenario` naming no scenario is a bad argument (status 2, with the scenarios
    /// there are), not a failure of the run.
    func testBenchRefusesAnUnknownScenario() throws {
        let r = try sh("\"$DW\" bench --exchanges 100 --runs 1 --scenario nonsense")
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("unknown --scenario 'nonsense'; choose one of: mixed"), r.stderr)
        XCTAssertTrue(r.stderr.contains("Usage: distillwatch bench"), r.stderr)
        XCTAssertTrue(r.stdout.isEmpty, r.text)
        // A count whose lines would not fit in memory (or overflow their size) is refused too.
        for count in ["0", "10000001", "9223372036854775807"] {
            let big = try sh("\"$DW\" bench --exchanges \(count) --runs 1")
            XCTAssertEqual(big.status, 2, "\(count): \(big.stderr)")
            XCTAssertTrue(big.stderr.contains("--exchanges must be between 1 and 10000000"), big.stderr)
        }
    }

    /// A case journal holding one case, written as the console would (python3 reads and writes
    /// SQLite); nil without python3.
    func journalWithOneCase(in dir: URL) throws -> String? {
        let journal = dir.appendingPathComponent("cases.sqlite").path
        let python = #"""
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.executescript("""
            PRAGMA application_id = 1146569546;
            CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
            INSERT INTO grdb_migrations VALUES ('v1: cases and decisions'), ('v2: schema version in user_version');
            CREATE TABLE journal_info (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
            INSERT INTO journal_info VALUES ('format', 'distillwatch.cases');
            CREATE TABLE cases (id INTEGER PRIMARY KEY AUTOINCREMENT, subject TEXT NOT NULL, subject_key TEXT NOT NULL,
                opened_wall INTEGER NOT NULL, evidence TEXT NOT NULL, evidence_wall INTEGER NOT NULL);
            CREATE TABLE decisions (id INTEGER PRIMARY KEY AUTOINCREMENT, case_id INTEGER NOT NULL, action TEXT NOT NULL,
                reason TEXT, scope TEXT, until_stream INTEGER, note TEXT, analyst TEXT NOT NULL, wall_time INTEGER NOT NULL,
                stream_time INTEGER, undoes INTEGER, members TEXT NOT NULL);
            INSERT INTO cases VALUES (1, 'cluster', 'acct_a', 0, '{"accounts":["acct_a"],"apiKeys":[],"orgs":[],"cards":[],"ipRanges":[],"asns":[],"exchanges":1,"inputTokens":0,"outputTokens":0,"reasoningTokens":0,"signals":[],"samples":[]}', 0);
            INSERT INTO decisions VALUES (1, 1, 'suspect', NULL, NULL, NULL, NULL, 'ana', 0, 0, NULL, '["acct_a"]');
            PRAGMA user_version = 2;
            """)
            db.commit()
            """#
        let script = dir.appendingPathComponent("journal.py")
        try Data(python.utf8).write(to: script)
        return try sh("python3 '\(script.path)' '\(journal)'").status == 0 ? journal : nil
    }

    /// `cases export --output` writes where it is pointed: through a symbolic link (the link
    /// stays) and into a FIFO (its reader gets the export), never replacing either with a file.
    func testCasesExportWritesThroughLinksAndIntoPipes() throws {
        let dir = try temporaryDirectory()
        guard let journal = try journalWithOneCase(in: dir) else { throw XCTSkip("python3 is not installed") }
        let target = dir.appendingPathComponent("target.json").path, link = dir.appendingPathComponent("link.json").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let linked = try sh("\"$DW\" cases export --format json --cases '\(journal)' --output '\(link)'")
        XCTAssertEqual(linked.status, 0, linked.stderr)
        XCTAssertEqual(try? FileManager.default.destinationOfSymbolicLink(atPath: link), target, "the link was replaced")
        XCTAssertTrue(((try? String(contentsOfFile: target, encoding: .utf8)) ?? "").contains("acct_a"))
        let fifo = dir.appendingPathComponent("fifo").path, read = dir.appendingPathComponent("read.json").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        // The reader gives up after 20 s, so a FIFO replaced by a file cannot hang the test.
        let piped = try sh("timeout 20 cat '\(fifo)' > '\(read)' & reader=$!; \"$DW\" cases export --format csv --cases '\(journal)' --output '\(fifo)'; status=$?; wait $reader; exit $status")
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertTrue(((try? String(contentsOfFile: read, encoding: .utf8)) ?? "").contains("acct_a"), "nothing came through the FIFO")
        var info = stat()
        XCTAssertEqual(lstat(fifo, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "the FIFO was replaced")
    }

    /// `watch --headless --report` writes where it is pointed too: through a symbolic link and
    /// into a FIFO, the bytes `scan` prints, never replacing either with a file.
    func testHeadlessReportWritesThroughLinksAndIntoPipes() throws {
        let dir = try temporaryDirectory()
        let scan = try sh("\"$DW\" scan --format json SampleLogs/stealth.ndjson.gz")
        XCTAssertEqual(scan.status, 0, scan.stderr)
        let target = dir.appendingPathComponent("target.json").path, link = dir.appendingPathComponent("link.json").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let linked = try sh("\"$DW\" watch --headless --speed max --counters-every 0 --report '\(link)' SampleLogs/stealth.ndjson.gz > /dev/null")
        XCTAssertEqual(linked.status, 0, linked.stderr)
        XCTAssertEqual(try? FileManager.default.destinationOfSymbolicLink(atPath: link), target, "the link was replaced")
        XCTAssertEqual(try? String(contentsOfFile: target, encoding: .utf8), scan.text)
        let fifo = dir.appendingPathComponent("fifo").path, read = dir.appendingPathComponent("read.json").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        // The reader gives up after 20 s, so a FIFO replaced by a file cannot hang the test.
        let piped = try sh("timeout 20 cat '\(fifo)' > '\(read)' & reader=$!; \"$DW\" watch --headless --speed max --counters-every 0 --report '\(fifo)' SampleLogs/stealth.ndjson.gz > /dev/null; status=$?; wait $reader; exit $status")
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertEqual(try? String(contentsOfFile: read, encoding: .utf8), scan.text, "the report did not come through the FIFO")
        var info = stat()
        XCTAssertEqual(lstat(fifo, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "the FIFO was replaced")
        // A FIFO nobody reads does not hold the run at its end for ever: it is said, status 2.
        let unread = try sh("timeout 60 \"$DW\" watch --headless --speed max --counters-every 0 --report '\(fifo)' SampleLogs/stealth.ndjson.gz > /dev/null")
        XCTAssertEqual(unread.status, 2, unread.stderr)
        XCTAssertTrue(unread.stderr.contains("no process reads \(fifo)"), unread.stderr)
    }

    /// A copy sent long after the newest records (an at-least-once sender catching up after an
    /// outage) is older than the request ids the duplicate filter keeps: both copies count, and
    /// both `scan` and the headless counters say how many were let through unchecked.
    func testRecordsTooLateForTheDuplicateCheckAreSaid() throws {
        let dir = try temporaryDirectory()
        var lines: [String] = []
        for hour in 10...14 { for i in 0..<3 { lines.append(#"{"ts":"2026-04-20T\#(hour):0\#(i):00Z","account_id":"a\#(i)","request_id":"r\#(hour)-\#(i)"}"#) } }
        let late = #"{"ts":"2026-04-20T05:00:00Z","account_id":"a9","request_id":"old-1"}"#
        lines += [late, late]
        let path = dir.appendingPathComponent("late.ndjson").path
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        let scan = try sh("\"$DW\" scan --format json '\(path)'")
        XCTAssertEqual(scan.status, 0, scan.stderr)
        XCTAssertTrue(scan.stderr.contains("2 exchanges were too far behind the newest for the duplicate check"), scan.stderr)
        let headless = try sh("\"$DW\" watch --headless --speed max --counters-every 0 '\(path)'")
        XCTAssertEqual(headless.status, 0, headless.stderr)
        let final = try XCTUnwrap(headless.text.split(separator: "\n").last { $0.contains(#""type":"counters""#) })
        XCTAssertTrue(final.contains(#""exchanges":17"#) && final.contains(#""unchecked_for_repeats":2"#), String(final))
    }

    /// Scoring a recorded log says what the scores leave out: lines it could not read, and
    /// labels of another log (which would score as a detector that caught nothing).
    func testEvalOfALogSaysWhatItDidNotScore() throws {
        let dir = try temporaryDirectory().path
        XCTAssertEqual(try sh("\"$DW\" gen --days 1 --scale 0.1 --seed 3 --labels '\(dir)/a.labels' -o '\(dir)/a.nd'").status, 0)
        XCTAssertEqual(try sh("\"$DW\" gen --days 1 --scale 0.1 --seed 4 --labels '\(dir)/b.labels' -o '\(dir)/b.nd'").status, 0)
        XCTAssertEqual(try sh("(cat '\(dir)/a.nd'; yes garbage | head -30) > '\(dir)/bad.nd'").status, 0)
        let bad = try sh("\"$DW\" eval --log '\(dir)/bad.nd' --labels '\(dir)/a.labels'")
        XCTAssertEqual(bad.status, 0, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("30 lines of \(dir)/bad.nd rejected and not scored (invalid_json 30)"), bad.stderr)
        // A log cut short would score the accounts after the damage as absent, not missed.
        XCTAssertEqual(try sh("gzip -c '\(dir)/a.nd' | head -c 20000 > '\(dir)/cut.nd.gz'").status, 0)
        let cut = try sh("\"$DW\" eval --log '\(dir)/cut.nd.gz' --labels '\(dir)/a.labels'")
        XCTAssertEqual(cut.status, 2, cut.stderr)
        XCTAssertTrue(cut.stderr.contains("cut.nd.gz cannot be scored: input stopped early"), cut.stderr)
        let other = try sh("\"$DW\" eval --log '\(dir)/a.nd' --labels '\(dir)/b.labels'")
        XCTAssertEqual(other.status, 2, other.stderr)
        XCTAssertTrue(other.stderr.contains("no account of \(dir)/a.nd is in the labels"), other.stderr)
        XCTAssertFalse(other.stderr.contains("Usage: distillwatch <subcommand>"), other.stderr)
        // The tables line up under their headers, a campaign name longer than the column included.
        let table = try sh("\"$DW\" eval --log '\(dir)/a.nd' --labels '\(dir)/a.labels'")
        XCTAssertEqual(table.status, 0, table.stderr)
        let lines = table.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let runHeader = try XCTUnwrap(lines.first { $0.hasPrefix("scenario") && $0.hasSuffix("recall") })
        let runRow = try XCTUnwrap(lines.dropFirst(lines.firstIndex(of: runHeader)! + 1).first)
        XCTAssertEqual(runRow.count, runHeader.count, "\(runHeader)\n\(runRow)")
        let campaignHeader = try XCTUnwrap(lines.first { $0.contains("campaign") && $0.hasSuffix("style") })
        let accountsEnd = try XCTUnwrap(campaignHeader.range(of: " accounts")).upperBound.utf16Offset(in: campaignHeader)
        let campaignRows = lines.drop { $0 != campaignHeader }.dropFirst().prefix { !$0.isEmpty }
        XCTAssertFalse(campaignRows.isEmpty, table.text)
        for row in campaignRows {
            let digits = Array(row.utf16)
            XCTAssertTrue(accountsEnd <= digits.count && (48...57).contains(digits[accountsEnd - 1]) && digits[accountsEnd] == 32, "\(campaignHeader)\n\(row)")
        }
        // Names from a labels file are text from outside: no escape reaches the terminal.
        // (Renamed in its accounts' labels too: a campaign with no account in the log is left out.)
        XCTAssertEqual(try sh("sed 's/lb-farm/lb\\\\u001b]0;PWNED\\\\u0007/g' '\(dir)/a.labels' > '\(dir)/hostile.labels'").status, 0)
        let hostile = try sh("\"$DW\" eval --log '\(dir)/a.nd' --labels '\(dir)/hostile.labels'")
        XCTAssertEqual(hostile.status, 0, hostile.stderr)
        XCTAssertTrue(hostile.text.contains("PWNED"), hostile.text)
        XCTAssertFalse(hostile.stdout.contains(0x1B), "no raw ESC: \(hostile.text)")
    }

    func testInputWithNoAcceptedExchangeHasItsOwnStatus() throws {
        let dir = try temporaryDirectory()
        let empty = dir.appendingPathComponent("empty.ndjson")
        try Data().write(to: empty)
        let none = try sh("\"$DW\" scan --fail-on suspect --format json '\(empty.path)'")
        XCTAssertEqual(none.status, 4, none.stderr)
        XCTAssertTrue(none.stderr.contains("no exchange accepted (the input is empty)"), none.stderr)
        // Garbage: every line rejected, counted in the report, and still status 4.
        let garbage = try sh("\"$DW\" scan --format json \"$DW\"")
        XCTAssertEqual(garbage.status, 4, garbage.stderr)
        XCTAssertTrue(garbage.stderr.contains("lines were rejected"), garbage.stderr)
        // Only repeats of what a saved state already holds: said as such, not as empty input.
        let one = dir.appendingPathComponent("one.ndjson")
        try Data(#"{"ts":"2026-04-20T00:00:00Z","account_id":"a","request_id":"r1"}"#.utf8 + [0x0A]).write(to: one)
        let state = dir.appendingPathComponent("one.state").path
        XCTAssertEqual(try sh("\"$DW\" scan --format json --state-out '\(state)' '\(one.path)'").status, 0)
        let again = try sh("\"$DW\" scan --format json --state-in '\(state)' '\(one.path)'")
        XCTAssertEqual(again.status, 4, again.stderr)
        XCTAssertTrue(again.stderr.contains("no exchange accepted (of its lines, 1 was a duplicate of a recent request_id)"), again.stderr)
        XCTAssertGreaterThan(((try report(garbage)["input"] as? [String: Any])?["rejected"] as? [String: Any])?["total"] as? Int ?? 0, 0)
    }

    func testAHostilePathIsPrintedWithoutItsEscapes() throws {
        let run = try sh(#""$DW" scan "$(printf 'missing\033]0;PWNED\007')""#)
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("missing"), run.stderr)
        XCTAssertFalse(run.stderr.utf8.contains(0x1B), "no raw ESC reaches the terminal: \(run.stderr)")
        XCTAssertFalse(run.stderr.utf8.contains(0x07))
        // The same for the case journal's path.
        for command in ["cases list --cases", "cases export --cases"] {
            let journal = try sh("\"$DW\" \(command) \"$(printf '/proc/missing\\033]0;PWNED\\007')\"")
            XCTAssertEqual(journal.status, 2, "\(command): \(journal.stderr)")
            XCTAssertTrue(journal.stderr.contains("missing"), journal.stderr)
            XCTAssertFalse(journal.stderr.utf8.contains(0x1B), "\(command): \(journal.stderr)")
        }
    }

    func testMalformedInputIsCountedNeverFatal() throws {
        let dir = try temporaryDirectory()
        let good = #"{"ts":"2026-04-22T09:14:03.120Z","account_id":"acct_1","request_id":"r1","output_tokens":10}"#
        var bytes = Data()
        func line(_ s: String) { bytes.append(Data(s.utf8)); bytes.append(0x0A) }
        line(good)
        line(#"{"ts":"2026-04-22T09:14:04Z","account_id":"acct_1","#)                       // truncated
        bytes.append(contentsOf: [0x7B, 0x22, 0x74, 0x73, 0x22, 0x3A, 0xFF, 0xFE, 0x7D, 0x0A])  // invalid UTF-8
        bytes.append(contentsOf: Array(#"{"ts":"2026-04-22T09:14:05Z","account_id":"a"#.utf8) + [0x00] + Array(#""}"#.utf8) + [0x0A])  // NUL
        line(#"{"ts":"2026-04-22T09:14:06Z","account_id":"acct_2","input_tokens":"many"}"#)  // wrong type
        line(#"{"ts":"2026-04-22T09:14:07Z","account_id":"acct_2","output_tokens":-5}"#)     // negative
        line(#"{"ts":"2026-04-22T09:14:08Z","account_id":"acct_2","pad":""# + String(repeating: "x", count: 10_000_000) + #""}"#)  // 10 MB
        line(#"{"account_id":"acct_3"}"#)                                                    // no ts
        line(#"{"ts":"2026-04-22T09:14:02Z","account_id":"acct_4","request_id":"r2"}"#)     // out of order: fine
        line(good)                                                                           // duplicate request_id
        line(#"{"ts":"2026-04-22T09:14:09Z","account_id":"acct_\u001b]0;pwned\u0007x","user_agent":"\u001b[2J"}"#)
        // Valid but absurd: more reasoning than output, a share beyond any whole number.
        line(#"{"ts":"2026-04-22T09:14:10Z","account_id":"acct_5","output_tokens":1,"reasoning_tokens":9223372036854775807}"#)
        let file = dir.appendingPathComponent("bad.ndjson")
        try bytes.write(to: file)

        let run = try sh("\"$DW\" scan --all --format json '\(file.path)'")
        XCTAssertEqual(run.status, 0, run.stderr)
        let input = try XCTUnwrap(try report(run)["input"] as? [String: Any])
        XCTAssertEqual(input["exchanges"] as? Int, 4)
        XCTAssertEqual(input["duplicates"] as? Int, 1)
        let rejected = try XCTUnwrap(input["rejected"] as? [String: Any])
        XCTAssertEqual(rejected["total"] as? Int, 7)
        let reasons = try XCTUnwrap(rejected["by_reason"] as? [String: Int])
        XCTAssertEqual(reasons["line_too_long"], 1)
        XCTAssertEqual(reasons["invalid_utf8"], 1)
        XCTAssertEqual(reasons["wrong_type:input_tokens"], 1)
        XCTAssertEqual(reasons["negative_value:output_tokens"], 1)
        XCTAssertEqual(reasons["missing_ts"], 1)
        XCTAssertEqual(input["first_ts"] as? String, "2026-04-22T09:14:02.000Z")
        XCTAssertTrue(run.stderr.contains("bad.ndjson:2"), "rejections are shown with their line: \(run.stderr)")

        // A hostile account id reaches the table only as visible placeholders.
        let table = try sh("\"$DW\" scan --all --format table '\(file.path)'")
        XCTAssertEqual(table.status, 0)
        XCTAssertFalse(table.stdout.contains(0x1B), "no raw ESC reaches the terminal")
        XCTAssertFalse(table.stdout.contains(0x07))
        XCTAssertTrue(table.text.contains("acct_\u{241B}]0;pwned\u{2407}x"))
    }

    func testGzipAndSeveralFilesMergeToTheSameReport() throws {
        let dir = try temporaryDirectory()
        let plain = dir.appendingPathComponent("all.ndjson").path
        XCTAssertEqual(try sh("\"$DW\" gen --seed 3 --days 2 --scale 0.1 --output '\(plain)'").status, 0)
        // Split alternate lines into two files (each still in time order), one of them gzipped.
        XCTAssertEqual(try sh("cd '\(dir.path)' && awk 'NR%2' all.ndjson > odd.ndjson && awk 'NR%2==0' all.ndjson | gzip > even.ndjson.gz").status, 0)
        let whole = try sh("\"$DW\" scan --format json '\(plain)'")
        let merged = try sh("cd '\(dir.path)' && \"$DW\" scan --format json odd.ndjson even.ndjson.gz")
        XCTAssertEqual(whole.status, 0)
        XCTAssertEqual(merged.status, 0, merged.stderr)
        XCTAssertEqual(whole.text, merged.text)
    }

    /// Yesterday's state plus today's log gives the report of scanning both days at once.
    func testStateOutThenStateInGivesTheReportOfOneScan() throws {
        let dir = try temporaryDirectory().path
        let gen = try sh(#""$DW" gen --seed 5 --scenario redteam --days 4 --scale 0.1 -o "# + "'\(dir)/all.ndjson'")
        XCTAssertEqual(gen.status, 0, gen.stderr)
        // Split at a stream day, as a daily batch job would see it.
        let split = try sh("grep '\"ts\":\"2026-04-2[01]' '\(dir)/all.ndjson' > '\(dir)/day1.ndjson'; grep -v '\"ts\":\"2026-04-2[01]' '\(dir)/all.ndjson' > '\(dir)/day2.ndjson'")
        XCTAssertEqual(split.status, 0, split.stderr)
        let whole = try sh(#""$DW" scan --format json --all "# + "'\(dir)/all.ndjson'")
        let first = try sh(#""$DW" scan --format json --all --state-out "# + "'\(dir)/day1.state' '\(dir)/day1.ndjson'")
        let second = try sh(#""$DW" scan --format json --all --state-in "# + "'\(dir)/day1.state' '\(dir)/day2.ndjson'")
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertNotEqual(first.text, whole.text, "the first day alone is not the whole")
        XCTAssertEqual(second.text, whole.text)
        XCTAssertFalse(second.stderr.contains("unchecked"), second.stderr)
        // The first day again on its own state: older than the duplicate filter reaches, so it
        // is counted again, and said to be, with the time to start from.
        let again = try sh(#""$DW" scan --format json --state-in "# + "'\(dir)/day1.state' '\(dir)/day1.ndjson'")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("too far behind the newest for the duplicate check"), again.stderr)
        XCTAssertTrue(again.stderr.contains("--from 2026-04-21T"), again.stderr)

        // A damaged state is refused, named, and never overwritten.
        let damage = try sh("cp '\(dir)/day1.state' '\(dir)/good.state'; printf 'x' | dd of='\(dir)/day1.state' bs=1 seek=5000 conv=notrunc 2>/dev/null; cp '\(dir)/day1.state' '\(dir)/kept'")
        XCTAssertEqual(damage.status, 0)
        let refused = try sh(#""$DW" scan --format json --state-in "# + "'\(dir)/day1.state' --state-out '\(dir)/day1.state' '\(dir)/day2.ndjson'")
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("day1.state") && refused.stderr.contains("checksum"), refused.stderr)
        XCTAssertEqual(try sh("cmp '\(dir)/day1.state' '\(dir)/kept'").status, 0, "the refused file is left as it was")
        let other = try sh(#""$DW" scan --format json --sensitivity aggressive --state-in "# + "'\(dir)/good.state' '\(dir)/day2.ndjson'")
        XCTAssertEqual(other.status, 2)
        XCTAssertTrue(other.stderr.contains("other detector settings"), other.stderr)
    }

    /// A saved LiteLLM log is read by `scan` with the same adapters as `watch`.
    func testScanReadsAdaptedFormats() throws {
        let dir = try temporaryDirectory().path
        var lines = ""
        for i in 0..<5 {
            lines += #"{"id":"chatcmpl-\#(i)","call_type":"acompletion","status":"success","prompt_tokens":12,"completion_tokens":40,"startTime":\#(1776849243 + i * 60).5,"endTime":\#(1776849245 + i * 60).5,"model":"openai/gpt-4o-mini","model_group":"fast","session_id":"","messages":[{"role":"user","content":"hello"}],"metadata":{"user_api_key_user_id":"acct_\#(i % 2)","user_api_key_hash":"k\#(i % 2)"}}"# + "\n"
        }
        try lines.write(toFile: dir + "/litellm.ndjson", atomically: true, encoding: .utf8)
        let canonical = try sh(#""$DW" scan --format json "# + "'\(dir)/litellm.ndjson'")
        XCTAssertNotEqual(canonical.status, 0, "read as canonical records, none is accepted")
        XCTAssertTrue(canonical.stderr.contains(#"ts is missing (the line has "startTime", a key of another record format: try --input-format auto)"#), canonical.stderr)
        let adapted = try report(try sh(#""$DW" scan --format json --input-format litellm "# + "'\(dir)/litellm.ndjson'"))
        XCTAssertEqual((adapted["input"] as? [String: Any])?["exchanges"] as? Int, 5)
        let auto = try report(try sh(#""$DW" scan --format json --input-format auto "# + "'\(dir)/litellm.ndjson'"))
        XCTAssertEqual((auto["input"] as? [String: Any])?["exchanges"] as? Int, 5)
        // watch takes the same option, and still the older spelling.
        for option in ["--input-format", "--format"] {
            let run = try sh(#""$DW" watch --headless --counters-every 0 "# + "\(option) litellm '\(dir)/litellm.ndjson'")
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertTrue(run.text.contains("\"exchanges\":5"), run.text)
        }
    }

    /// A gzip file padded with zeros after its data (gzip -t accepts it) is read whole, the
    /// padding is reported, and the other inputs are read too.
    func testPaddedGzipIsReadWholeAndThePaddingReported() throws {
        let dir = try temporaryDirectory().path
        var ten = "", five = ""
        for i in 0..<10 { ten += #"{"ts":\#(1_776_000_000_000 + i * 1000),"account_id":"acct_a","request_id":"a\#(i)"}"# + "\n" }
        for i in 0..<5 { five += #"{"ts":\#(1_776_000_000_500 + i * 1000),"account_id":"acct_b","request_id":"b\#(i)"}"# + "\n" }
        try ten.write(toFile: dir + "/a.ndjson", atomically: true, encoding: .utf8)
        try five.write(toFile: dir + "/b.ndjson", atomically: true, encoding: .utf8)
        let made = try sh("cd '\(dir)' && gzip -n a.ndjson && head -c 512 /dev/zero >> a.ndjson.gz && (gzip -t a.ndjson.gz 2>/dev/null; echo t=$?)")
        XCTAssertTrue(made.text.contains("t=0") || made.text.contains("t=2"), made.text)
        let run = try sh(#""$DW" scan --format json "# + "'\(dir)/a.ndjson.gz' '\(dir)/b.ndjson'")
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual((try report(run)["input"] as? [String: Any])?["exchanges"] as? Int, 15)
        XCTAssertTrue(run.stderr.contains("a.ndjson.gz: 512 bytes after the end of the gzip data were ignored"), run.stderr)
    }

    /// `scan --threads N` gives the report of one thread, byte for byte: over generated traffic
    /// with broken, blank, over-long and repeated lines, a log of nothing but repeats, and over
    /// every sample log.
    func testScanReportIsTheSameWithAnyNumberOfThreads() throws {
        let dir = try temporaryDirectory().path
        let gen = try sh(#""$DW" gen --seed 9 --days 1 --scale 0.4 -o "# + "'\(dir)/gen.ndjson'")
        XCTAssertEqual(gen.status, 0, gen.stderr)
        // Noise between the records: the ledger's counts and samples must come out the same.
        let noisy = try sh("awk 'NR % 97 == 0 { print \"{\\\"broken\\\":\" } NR % 89 == 0 { print \"\" } NR % 211 == 0 { print } { print }' '\(dir)/gen.ndjson' > '\(dir)/noisy.ndjson' && head -c 1100000 /dev/zero | tr '\\0' 'x' >> '\(dir)/noisy.ndjson' && echo >> '\(dir)/noisy.ndjson' && tail -n 50 '\(dir)/gen.ndjson' >> '\(dir)/noisy.ndjson'")
        XCTAssertEqual(noisy.status, 0, noisy.stderr)
        // Cut short inside a gzip member: a read error part-way, after many chunks were read.
        let cut = try sh("head -c 1500000 SampleLogs/demo.ndjson.gz > '\(dir)/cut.ndjson.gz'")
        XCTAssertEqual(cut.status, 0, cut.stderr)
        // Every line twice: most of each chunk's records are refused as duplicates.
        let doubled = try sh("head -n 5000 '\(dir)/gen.ndjson' | awk '{ print; print }' > '\(dir)/doubled.ndjson'")
        XCTAssertEqual(doubled.status, 0, doubled.stderr)
        let inputs = ["'\(dir)/noisy.ndjson'", "'\(dir)/doubled.ndjson'", "'\(dir)/cut.ndjson.gz'", "SampleLogs/demo.ndjson.gz", "SampleLogs/stealth.ndjson.gz", "SampleLogs/lookalikes.ndjson.gz"]
        for input in inputs {
            let one = try sh(#""$DW" scan --format json --all --threads 1 "# + input)
            XCTAssertEqual(one.status, input.contains("cut") ? 2 : 0, one.stderr)
            for threads in [2, 3] {
                let many = try sh(#""$DW" scan --format json --all --threads "# + "\(threads) \(input)")
                XCTAssertEqual(many.status, one.status)
                XCTAssertEqual(many.stdout, one.stdout, "\(input) with \(threads) threads")
                XCTAssertEqual(many.stderr, one.stderr, "\(input) with \(threads) threads")
            }
        }
        let noisyReport = try report(try sh(#""$DW" scan --format json --threads 1 "# + "'\(dir)/noisy.ndjson'"))
        let rejected = (noisyReport["input"] as? [String: Any])?["rejected"] as? [String: Any]
        XCTAssertNotNil((rejected?["by_reason"] as? [String: Any])?["line_too_long"], "the over-long line was met")
        XCTAssertGreaterThan((noisyReport["input"] as? [String: Any])?["duplicates"] as? Int ?? 0, 0)
    }
}
