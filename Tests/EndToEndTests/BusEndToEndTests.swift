import DistillCore
import DistillFeeds
import Foundation
import XCTest

/// Publishers, shard workers and a headless coordinator over a real `nats-server -js`: the
/// coordinator's report must be the one `scan` writes for the same file, byte for byte, and a
/// worker killed with SIGKILL mid-stream and replaced must lose nothing and count nothing twice.
final class BusEndToEndTests: XCTestCase {
    typealias Headless = LiveSourceTests.Headless

    var folder: URL!
    var server: Process?
    var url = ""
    var spawned: [Process] = []

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-bus-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        guard FileManager.default.isExecutableFile(atPath: CommandLineTests.binary.path) else {
            throw XCTSkip("distillwatch is not built at \(CommandLineTests.binary.path); run `swift build` first")
        }
        try startServer()
    }

    override func tearDownWithError() throws {
        for p in spawned where p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        if let server, server.isRunning { server.terminate(); server.waitUntilExit() }
        try? FileManager.default.removeItem(at: folder)
    }

    /// nats-server on PATH (as `.ci/run` installs it) or Debian's in /usr/sbin.
    static var serverBinary: String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/bin"]
        return path.map { $0 + "/nats-server" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A JetStream server on a free loopback port (or `port`), with its store in the test's folder.
    func startServer(port: String = "-1") throws {
        guard let binary = Self.serverBinary else { throw XCTSkip("nats-server is not installed (.ci/run installs it)") }
        let log = folder.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["-js", "-a", "127.0.0.1", "-p", port, "-sd", folder.appendingPathComponent("store").path, "-l", log.path]
        try p.run()
        server = p
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.contains("Listening for client connections on") }),
               let port = line.split(separator: ":").last.map({ $0.trimmingCharacters(in: .whitespaces) }), Int(port) != nil,
               text.contains("Server is ready") {
                url = "nats://127.0.0.1:\(port)"
                return
            }
            guard p.isRunning else { XCTFail("nats-server exited: \(text)"); throw XCTSkip("no server") }
            usleep(20_000)
        }
        XCTFail("nats-server did not start within 30 s")
    }

    /// Starts the program with `arguments`, stdout and stderr to files.
    @discardableResult
    func spawn(_ name: String, _ arguments: [String], direct: Bool = false) throws -> Process {
        let p = Process()
        p.executableURL = direct ? URL(fileURLWithPath: arguments[0]) : CommandLineTests.binary
        p.arguments = direct ? Array(arguments.dropFirst()) : arguments
        p.currentDirectoryURL = CommandLineTests.packageRoot
        for (suffix, set) in [("out", { p.standardOutput = $0 }), ("err", { p.standardError = $0 })] as [(String, (FileHandle) -> Void)] {
            let file = folder.appendingPathComponent("\(name).\(suffix)")
            _ = FileManager.default.createFile(atPath: file.path, contents: nil)
            set(try FileHandle(forWritingTo: file))
        }
        try p.run()
        spawned.append(p)
        return p
    }

    func log(_ name: String) -> String { (try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? "" }

    /// Runs the program (with `direct`, the command `arguments` names) to its end; fails on a
    /// non-zero status.
    func run(_ name: String, _ arguments: [String], limit: Double = 300, direct: Bool = false) throws {
        let p = try spawn(name, arguments, direct: direct)
        let deadline = Date().addingTimeInterval(limit)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL); XCTFail("\(name) did not finish within \(limit) s") }
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "\(name): \(log(name + ".err"))")
    }

    /// The nats-py peer that stands in for the `nats` CLI; skips the test when nats-py is absent.
    func natsBridge() throws -> String {
        let check = try spawn("has-nats-py", ["/usr/bin/env", "python3", "-c", "import nats"], direct: true)
        check.waitUntilExit()
        guard check.terminationStatus == 0 else { throw XCTSkip("nats-py is not installed (.ci/run installs it)") }
        return CommandLineTests.packageRoot.appendingPathComponent("Tests/EndToEndTests/Peers/nats_bridge.py").path
    }

    /// How many partitions of a worker's `--state` directory hold a save, polled until all 16
    /// do, `going` says stop, or `limit` seconds pass.
    func savedPartitions(in state: String, limit: Double, while going: () -> Bool = { true }) -> Int {
        let deadline = Date().addingTimeInterval(limit)
        var saved = 0
        repeat {
            usleep(50_000)
            saved = ((try? FileManager.default.contentsOfDirectory(atPath: state)) ?? []).filter {
                FileManager.default.fileExists(atPath: "\(state)/\($0)/checkpoint.dws")
            }.count
        } while saved < 16 && going() && Date() < deadline
        return saved
    }

    func scanReport(_ path: String) throws -> String {
        let out = folder.appendingPathComponent("scan.json").path
        try run("scan", ["scan", "--format", "json", path])
        try FileManager.default.moveItem(atPath: folder.appendingPathComponent("scan.out").path, toPath: out)
        return try String(contentsOfFile: out, encoding: .utf8)
    }

    /// Generated traffic with broken lines and repeated request ids, in one file.
    func makeInput() throws -> String {
        try run("gen", ["gen", "--days", "2", "--seed", "41", "--scale", "0.3"])
        let all = log("gen.out")
        var text = ""
        for (i, line) in all.split(separator: "\n").enumerated() {
            text += line + "\n"
            if i % 1200 == 7 { text += line + "\n" }
            if i % 997 == 1 { text += "{\"broken\":\n" }
        }
        let path = folder.appendingPathComponent("input.ndjson").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func coordinator(_ report: String) throws -> Headless {
        try Headless(["--nats", url, "--report", report])
    }

    func waitForEnd(_ run: Headless, limit: Double = 300) throws {
        let deadline = Date().addingTimeInterval(limit)
        while run.process.isRunning && Date() < deadline { usleep(20_000) }
        guard !run.process.isRunning else {
            let said = "the coordinator did not reach the end markers within \(limit) s; counters \(run.counters), stderr \(run.stderr)"
            kill(run.process.processIdentifier, SIGKILL)
            run.process.waitUntilExit()
            throw NSError(domain: "BusEndToEndTests", code: 1, userInfo: [NSLocalizedDescriptionKey: said])
        }
        run.process.waitUntilExit()
        XCTAssertEqual(run.process.terminationStatus, 0, run.stderr)
    }

    /// Two workers over 16 partitions and a headless coordinator reach the clusters, verdicts,
    /// flag times and input counts of `scan`, for the stealth sample and for generated traffic
    /// with broken lines and repeats; a second coordinator started afterwards (a standby)
    /// rebuilds the same report from the stored summaries.
    func testTwoWorkersAndACoordinatorReportWhatScanReports() throws {
        for (i, input) in [CommandLineTests.packageRoot.appendingPathComponent("SampleLogs/stealth.ndjson.gz").path, try makeInput()].enumerated() {
            let stream = "T\(i)"
            let expected = try scanReport(input)
            try FileManager.default.removeItem(at: folder.appendingPathComponent("scan.json"))
            let report = folder.appendingPathComponent("coordinator-\(i).json").path
            let coordinator = try Headless(["--nats", url, "--stream", stream, "--report", report])
            try spawn("w1-\(i)", ["worker", "--nats", url, "--stream", stream, "--partitions", "0-7"])
            try spawn("w2-\(i)", ["worker", "--nats", url, "--stream", stream, "--partitions", "8-15"])
            try run("publish-\(i)", ["publish", "--nats", url, "--stream", stream, "--end", input])
            try waitForEnd(coordinator)
            XCTAssertEqual(try String(contentsOfFile: report, encoding: .utf8), expected, "coordinator report for \(input)")
            XCTAssertEqual(coordinator.objects("counters").last?["bus_unowned"] as? [Int], [], "every partition had a worker")
            XCTAssertEqual(coordinator.objects("counters").last?["bus_shared"] as? [Int], [], "no partition had two workers")

            let standbyReport = folder.appendingPathComponent("standby-\(i).json").path
            let standby = try Headless(["--nats", url, "--stream", stream, "--report", standbyReport])
            try waitForEnd(standby)
            XCTAssertEqual(try String(contentsOfFile: standbyReport, encoding: .utf8), expected, "standby rebuilt from summaries")
            for p in spawned where p.isRunning { p.terminate(); p.waitUntilExit() }
        }
    }

    /// Summaries removed from the summary stream (by its limits, or by an operator) are counted
    /// as rejections by a coordinator that reads past them, and that coordinator still finishes,
    /// also when a removed summary carried a partition's end marker (the workers' heartbeats
    /// repeat it): the summaries are neither waited for nor skipped in silence. The summary
    /// stream here was made beforehand without direct reads, as older releases made it, and with
    /// settings the C client does not know: the bus turns direct reads on and keeps those settings.
    func testSummariesGoneFromTheStreamAreCountedAndNotWaitedFor() throws {
        let bridge = try natsBridge()
        try run("old-stream", ["/usr/bin/env", "python3", bridge, "stream", url, "DISTILL.summary", "DISTILL_SUMMARY"], direct: true)
        // Settings a server before 2.10 does not know (compression, metadata) it leaves out.
        try run("old-config", ["/usr/bin/env", "python3", bridge, "config", url, "DISTILL_SUMMARY", "-"], direct: true)
        XCTAssertTrue(log("old-config.out").hasPrefix("allow_direct=False "), log("old-config.out"))
        let input = CommandLineTests.packageRoot.appendingPathComponent("SampleLogs/stealth.ndjson.gz").path
        let firstReport = folder.appendingPathComponent("first.json").path
        let first = try coordinator(firstReport)
        try spawn("w1", ["worker", "--nats", url, "--partitions", "0-7"])
        try spawn("w2", ["worker", "--nats", url, "--partitions", "8-15"])
        try run("publish", ["publish", "--nats", url, "--end", input])
        try waitForEnd(first)
        try run("config", ["/usr/bin/env", "python3", bridge, "config", url, "DISTILL_SUMMARY", "-"], direct: true)
        XCTAssertEqual(log("config.out"), log("old-config.out").replacingOccurrences(of: "allow_direct=False", with: "allow_direct=True"),
                       "direct reads turned on, every other setting kept")
        let whole = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: firstReport))) as? [String: Any]
        let wholeInput = try XCTUnwrap(whole?["input"] as? [String: Any])

        // Removed: the summary with the most exchanges and no end marker, the one after it (two
        // in a row are one gap in the stream, yet two summaries lost), and the first that carries
        // an end marker. The workers go on running, and sending heartbeats.
        try run("dump", ["/usr/bin/env", "python3", bridge, "dump", url, "DISTILL_SUMMARY", "-"], direct: true)
        var stored: [(sequence: String, exchanges: Int, end: Bool)] = []
        for line in log("dump.out").split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let bytes = Data(base64Encoded: String(parts[1])) else { continue }
            let items = try ShardSummary(decoding: [UInt8](bytes)).entries.map(\.item)
            let exchanges = items.filter { if case .exchange = $0 { return true } else { return false } }.count
            stored.append((String(parts[0]), exchanges, items.contains(.end)))
        }
        let most = try XCTUnwrap(stored.indices.filter { !stored[$0].end && stored[$0].exchanges > 0 }.max { stored[$0].exchanges < stored[$1].exchanges },
                                 "no summary of exchanges alone: \(log("dump.err"))")
        guard most + 1 < stored.count else { return XCTFail("no summary after the largest: \(log("dump.out"))") }
        let withEnd = try XCTUnwrap(stored.firstIndex { $0.end }, "no end marker")
        let gone = Set([most, most + 1, withEnd]).sorted().map { stored[$0] }
        for (k, summary) in gone.enumerated() {
            try run("delete-\(k)", ["/usr/bin/env", "python3", bridge, "delete", url, "DISTILL_SUMMARY", summary.sequence], direct: true)
        }
        let report = folder.appendingPathComponent("standby.json").path
        let standby = try coordinator(report)
        try waitForEnd(standby, limit: 120)
        let rebuilt = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any]
        let rebuiltInput = try XCTUnwrap(rebuilt?["input"] as? [String: Any])
        let rejected = try XCTUnwrap(rebuiltInput["rejected"] as? [String: Any])
        XCTAssertEqual((rejected["by_reason"] as? [String: Int])?["bad_value"], gone.count, "one rejection for each missing summary: \(rejected)")
        XCTAssertEqual((wholeInput["rejected"] as? [String: Any])?["total"] as? Int, 0)
        let exchanges = try XCTUnwrap(rebuiltInput["exchanges"] as? Int)
        // A record may be summarised twice (a redelivery); its other copy then still counts.
        let all = try XCTUnwrap(wholeInput["exchanges"] as? Int)
        XCTAssertLessThan(exchanges, all, "the missing summaries' exchanges are not counted")
        XCTAssertGreaterThanOrEqual(exchanges, all - gone.map(\.exchanges).reduce(0, +))
    }

    /// An input stream made on `NAME.x.>` (as older releases made it) stored a record on any
    /// subject under it, also where no worker reads: such records were never counted. The first
    /// command narrows the stream to its partitions' subjects, keeping every other setting, and
    /// says how many records it found elsewhere; the server then refuses such a record to its
    /// sender, and the coordinator still reports what `scan` reports.
    func testAnInputStreamIsNarrowedToItsPartitionsSubjects() throws {
        let bridge = try natsBridge()
        try run("old-stream", ["/usr/bin/env", "python3", bridge, "stream", url, "DISTILL.x.>", "DISTILL"], direct: true)
        let record = folder.appendingPathComponent("record").path
        try Data("{\"request_id\":\"stray\"}".utf8).write(to: URL(fileURLWithPath: record))
        let listing = folder.appendingPathComponent("strays.list").path
        try "\(record)\n\(record)\n".write(toFile: listing, atomically: true, encoding: .utf8)
        try run("stray-a", ["/usr/bin/env", "python3", bridge, "jspub", url, "DISTILL.x.junk", listing], direct: true)
        try run("stray-b", ["/usr/bin/env", "python3", bridge, "jspub", url, "DISTILL.x.3.extra", listing], direct: true)
        try run("old-config", ["/usr/bin/env", "python3", bridge, "config", url, "DISTILL", "-"], direct: true)
        XCTAssertTrue(log("old-config.out").hasSuffix(" subjects=DISTILL.x.>\n"), log("old-config.out"))

        let input = CommandLineTests.packageRoot.appendingPathComponent("SampleLogs/stealth.ndjson.gz").path
        let expected = try scanReport(input)
        try run("publish", ["publish", "--nats", url, "--end", input])
        XCTAssertTrue(log("publish.err").contains("stream DISTILL holds 4 records on subjects no partition has (DISTILL.x.3.extra, DISTILL.x.junk)"),
                      log("publish.err"))
        try run("config", ["/usr/bin/env", "python3", bridge, "config", url, "DISTILL", "-"], direct: true)
        let partitions = (0..<16).map { "DISTILL.x.\($0)" }.joined(separator: ",")
        XCTAssertEqual(log("config.out"), log("old-config.out").replacingOccurrences(of: "subjects=DISTILL.x.>", with: "subjects=" + partitions),
                       "the partitions' subjects alone, every other setting kept")
        try run("stray-after", ["/usr/bin/env", "python3", bridge, "jstry", url, "DISTILL.x.junk", "{}"], direct: true)
        XCTAssertTrue(log("stray-after.out").hasPrefix("refused: "), log("stray-after.out"))
        let report = folder.appendingPathComponent("coordinator.json").path
        let coordinator = try coordinator(report)
        try spawn("worker", ["worker", "--nats", url, "--partitions", "0-15"])
        try waitForEnd(coordinator)
        XCTAssertEqual(try String(contentsOfFile: report, encoding: .utf8), expected, "scan's report: nothing from the stray subjects")

        // A stream of that name on subjects of its own is someone else's: refused, not changed.
        try run("foreign-stream", ["/usr/bin/env", "python3", bridge, "stream", url, "orders.>", "ORDERS"], direct: true)
        let foreign = try spawn("foreign", ["publish", "--nats", url, "--stream", "ORDERS", input])
        foreign.waitUntilExit()
        XCTAssertEqual(foreign.terminationStatus, 2)
        XCTAssertTrue(log("foreign.err").contains("stream ORDERS holds other subjects (orders.>) and was not made by distillwatch"), log("foreign.err"))
        try run("foreign-config", ["/usr/bin/env", "python3", bridge, "config", url, "ORDERS", "-"], direct: true)
        XCTAssertTrue(log("foreign-config.out").hasSuffix(" subjects=orders.>\n"), log("foreign-config.out"))
    }

    /// A live coordinator waits on a doorbell for the next summary, and a worker for the input
    /// stream's end, instead of asking the stream every few milliseconds: it rings for messages
    /// stored after it was made, not for older ones, with the newest one's sequence, and falls
    /// quiet once its rings are taken.
    func testTheDoorbellRingsForNewSummariesOnly() throws {
        let names = try BusNames("BELL")
        let bus = try NatsBus(url: url)
        try bus.ensureStreams(names, partitions: 1)
        try bus.publish(names.summarySubject, Array("stored before".utf8))
        let doorbell = try bus.doorbell(stream: names.summaryStream, subject: names.summarySubject)
        XCTAssertNil(doorbell.wait(timeoutMs: 300), "a summary stored before the doorbell was made")
        try bus.publish(names.summarySubject, Array("one".utf8))
        try bus.publish(names.summarySubject, Array("two".utf8))
        let rung = try XCTUnwrap(doorbell.wait(timeoutMs: 10_000), "new summaries ring")
        XCTAssertTrue((2...3).contains(rung), "rung for summary \(rung), not one of those stored")
        // The second ring may come after the first was taken: at most one more.
        var quiet = false
        for _ in 0..<3 where !quiet { quiet = doorbell.wait(timeoutMs: 300) == nil }
        XCTAssertTrue(quiet, "no rings once those for the stored summaries are taken")
        try bus.publish(names.summarySubject, Array("three".utf8))
        XCTAssertEqual(doorbell.wait(timeoutMs: 10_000), 4, "it rings again, with the new summary's sequence")
    }

    /// Summaries that do not fit (another partition count; a claim that partitions are complete
    /// before their records were summarised) neither stop the coordinator nor lose records: the
    /// first is counted as a rejection, and records summarised after their place was passed are
    /// still counted. A coordinator started afterwards reads the same stored summaries and ends
    /// the same way.
    func testSummariesThatDoNotFitAreCountedAndLoseNoRecord() throws {
        let bridge = try natsBridge()
        let input = CommandLineTests.packageRoot.appendingPathComponent("SampleLogs/stealth.ndjson.gz").path
        let scanned = try JSONSerialization.jsonObject(with: Data(try scanReport(input).utf8)) as? [String: Any]
        let scannedInput = try XCTUnwrap(scanned?["input"] as? [String: Any])
        // Records come late, so a repeat may fall outside the duplicate window and count as an
        // exchange: every record is counted once as one or the other.
        let all = try XCTUnwrap(scannedInput["exchanges"] as? Int) + (scannedInput["duplicates"] as? Int ?? 0)

        let report = folder.appendingPathComponent("first.json").path
        let first = try coordinator(report)
        try first.wait("the coordinator connected") { $0.counters["connected"] as? Bool == true }
        // One summary of a 4-partition stream, and partitions 0-7 declared complete for ever.
        var forged = [ShardSummary(worker: "forged", partition: 3, partitions: 4, completeThrough: 1)]
        forged += (0..<8).map { ShardSummary(worker: "forged", partition: $0, partitions: 16, completeThrough: .max) }
        var paths: [String] = []
        for (k, summary) in forged.enumerated() {
            let path = folder.appendingPathComponent("forged-\(k)").path
            try Data(summary.encoded()).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let listing = folder.appendingPathComponent("forged.list").path
        try paths.joined(separator: "\n").write(toFile: listing, atomically: true, encoding: .utf8)
        try run("forge", ["/usr/bin/env", "python3", bridge, "jspub", url, "DISTILL.summary", listing], direct: true)

        // Partitions 8-15 first: the detector takes their records, past those of 0-7.
        try spawn("w2", ["worker", "--nats", url, "--partitions", "8-15"])
        try run("publish", ["publish", "--nats", url, "--end", input])
        try first.wait("records of partitions 8-15 counted") { $0.counter("exchanges") > 0 }
        try spawn("w1", ["worker", "--nats", url, "--partitions", "0-7"])
        try waitForEnd(first)
        let standbyReport = folder.appendingPathComponent("standby.json").path
        let standby = try coordinator(standbyReport)
        try waitForEnd(standby)
        for path in [report, standbyReport] {
            let written = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
            let counted = try XCTUnwrap(written?["input"] as? [String: Any])
            XCTAssertEqual((counted["exchanges"] as? Int ?? 0) + (counted["duplicates"] as? Int ?? 0), all, "every record counted once (\(path))")
            let rejected = try XCTUnwrap(counted["rejected"] as? [String: Any])
            XCTAssertEqual(rejected["by_reason"] as? [String: Int], ["bad_value": 1], "the summary of another partition count (\(path))")
        }
    }

    /// Drill-down goes to the worker that owns the account: what `inspect` (the console's
    /// request) gets back is what an inspector fed the file's admitted records keeps, for
    /// accounts on every partition; an account no one sent is answered with nothing, and an
    /// account whose worker has stopped is said to have no answer (exit 1).
    func testDrillDownIsAnsweredByTheWorkerThatOwnsTheAccount() throws {
        let input = try makeInput()
        let (local, byPartition, accounts) = try localDrillDown(input)

        try spawn("w1", ["worker", "--nats", url, "--partitions", "0-7"])
        let second = try spawn("w2", ["worker", "--nats", url, "--partitions", "8-15"])
        try run("publish", ["publish", "--nats", url, input])
        let expected = accounts.map { local.inspection(of: $0) } + [local.inspection(of: "acct_nobody_sent")]
        let answered = try askUntil(accounts + ["acct_nobody_sent"], equal: expected)
        XCTAssertNil(answered.last?.detail)
        XCTAssertGreaterThan(answered.reduce(0) { $0 + ($1.detail?.exchanges ?? 0) }, accounts.count, "accounts with several exchanges")

        kill(second.processIdentifier, SIGKILL)
        second.waitUntilExit()
        let orphan = byPartition[12]![0]
        let unanswered = try spawn("orphan", ["inspect", "--nats", url, "--timeout", "0.5", byPartition[3]![0], orphan])
        unanswered.waitUntilExit()
        XCTAssertEqual(unanswered.terminationStatus, 1)
        XCTAssertTrue(log("orphan.err").contains("no worker answered for partition 12"), log("orphan.err"))
        XCTAssertEqual(log("orphan.out").split(separator: "\n").count, 1, "the account on a live worker's partition is still answered")
    }

    /// With --state, a worker's drill-down detail outlives it. One killed with SIGKILL while
    /// records arrive and started again on the same directory answers as if it had read every
    /// record once: what it had acknowledged comes back from its saves (the stream never hands
    /// those out again), what no save covered is handed out again and recorded once. A second
    /// worker on the same directory is refused while the first runs.
    func testAWorkerWithStateKeepsItsDrillDownAcrossAKill() throws {
        let input = try makeInput()
        let (local, _, accounts) = try localDrillDown(input)
        let expected = accounts.map { local.inspection(of: $0) }
        let state = folder.appendingPathComponent("shards").path
        let arguments = ["worker", "--nats", url, "--partitions", "0-15", "--state", state, "--ack-wait", "1", "--checkpoint-every", "0.2"]
        let doomed = try spawn("w1", arguments)
        // One acknowledgement per message makes publishing slow enough to kill inside it.
        let publisher = try spawn("publish", ["publish", "--nats", url, "--wait-each", input])
        let saved = savedPartitions(in: state, limit: 120) { publisher.isRunning }
        XCTAssertEqual(saved, 16, "every partition saved before the kill")
        XCTAssertTrue(publisher.isRunning, "the kill comes while records arrive")
        kill(doomed.processIdentifier, SIGKILL)
        doomed.waitUntilExit()

        let replacement = try spawn("w2", arguments)
        publisher.waitUntilExit()
        XCTAssertEqual(publisher.terminationStatus, 0, log("publish.err"))
        // Records handed out again after the kill arrive behind later ones: capped lists of
        // addresses and clients then keep other values, which is not a count. What counts must
        // match: exchanges, span, sessions with their turns and latest exchanges, cards, orgs.
        let counted = { (a: AccountInspection) -> String in
            guard let d = a.detail else { return "\(a.account): nothing" }
            return "\(a.account) \(d.exchanges) \(d.firstSeen) \(d.lastSeen) \(d.cards.sorted) \(d.orgs.sorted) \(d.models.sorted) \(a.sessions)"
        }
        try askUntil(accounts, equal: expected, as: counted)
        let restored = log("w2.err").split(separator: "\n").filter { $0.contains("going on with partition") }
        XCTAssertEqual(restored.count, 16, log("w2.err"))

        let intruder = try spawn("w3", arguments)
        intruder.waitUntilExit()
        XCTAssertEqual(intruder.terminationStatus, 2)
        XCTAssertTrue(log("w3.err").contains("in use by another distillwatch"), log("w3.err"))

        // A worker stopped in the ordinary way saves on its way out; the next one reads it.
        kill(replacement.processIdentifier, SIGTERM)
        replacement.waitUntilExit()
        XCTAssertEqual(replacement.terminationStatus, 0, log("w2.err"))
        try spawn("w4", arguments)
        try askUntil(accounts, equal: expected, as: counted)
    }

    /// What the console keeps when it reads the file itself (every record the ledger admits),
    /// and accounts to ask about: two on each partition, and every account with a repeated
    /// request id (a repeat must not show twice).
    func localDrillDown(_ input: String) throws -> (ExchangeInspector, [Int: [String]], [String]) {
        let local = ExchangeInspector()
        var ledger = InputLedger()
        let decoder = ExchangeDecoder()
        var byPartition: [Int: [String]] = [:]
        var repeated: [String] = []
        for line in try String(contentsOfFile: input, encoding: .utf8).split(separator: "\n") {
            guard case .exchange(let x) = decoder.decode(String(line)) else { continue }
            guard ledger.admit(x) else { repeated.append(x.accountID); continue }
            local.record(x)
            let p = x.partition(of: 16)
            if byPartition[p, default: []].count < 2 && !byPartition[p, default: []].contains(x.accountID) { byPartition[p, default: []].append(x.accountID) }
        }
        XCTAssertGreaterThan(ledger.duplicates, 0, "the input repeats request ids, which drill-down must not count twice")
        // Those of the repeated lines too: a repeat must not show twice.
        var accounts = byPartition.keys.sorted().flatMap { byPartition[$0]! }
        accounts += Set(repeated).subtracting(accounts).sorted()
        XCTAssertEqual(Set(byPartition.keys).count, 16, "accounts on every partition")
        return (local, byPartition, accounts)
    }

    /// Asks the workers about `accounts` until the answers are `expected` (or two minutes pass),
    /// then checks them one by one.
    /// `view` picks what must match: by default everything.
    @discardableResult
    func askUntil(_ accounts: [String], equal expected: [AccountInspection],
                  as view: (AccountInspection) -> String = { String(describing: $0) }) throws -> [AccountInspection] {
        var answered: [AccountInspection] = []
        let deadline = Date().addingTimeInterval(120)
        repeat {
            let asked = try spawn("inspect", ["inspect", "--nats", url] + accounts)
            asked.waitUntilExit()
            answered = log("inspect.out").split(separator: "\n").compactMap { try? JSONDecoder().decode(AccountInspection.self, from: Data($0.utf8)) }
            if answered.map(view) == expected.map(view) { break }
            usleep(200_000)
        } while Date() < deadline
        XCTAssertEqual(answered.map(\.account), expected.map(\.account), "one answer per account, in the order asked")
        let differing = zip(answered, expected).filter { view($0) != view($1) }
        // Both sides of each difference, so that a failure seen once can be read afterwards.
        let shown = differing.prefix(3).map { "answered: \(view($0.0))\nexpected: \(view($0.1))" }.joined(separator: "\n")
        XCTAssertEqual(differing.map(\.0.account), [], "the workers' drill-down is what the records say\n" + shown)
        return answered
    }

    /// Records published over more partitions than the workers consume would never reach the
    /// coordinator: every command given another count than the stream's is refused.
    func testAPartitionCountOtherThanTheStreamsIsRefused() throws {
        let input = CommandLineTests.packageRoot.appendingPathComponent("SampleLogs/stealth.ndjson.gz").path
        try run("publish", ["publish", "--nats", url, input])
        for (name, arguments) in [("publish8", ["publish", "--nats", url, "--partitions", "8", input]),
                                  ("worker8", ["worker", "--nats", url, "--partitions", "0-3", "--of", "8"]),
                                  ("watch32", ["watch", "--headless", "--nats", url, "--partitions", "32"])] {
            let p = try spawn(name, arguments)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 2, name)
            XCTAssertTrue(log(name + ".err").contains("splits accounts into 16 partitions"), log(name + ".err"))
        }
        let unreachable = try spawn("unreachable", ["publish", "--nats", "nats://127.0.0.1:1", input])
        unreachable.waitUntilExit()
        XCTAssertEqual(unreachable.terminationStatus, 2)
        XCTAssertTrue(log("unreachable.err").contains("cannot connect to nats://127.0.0.1:1"), log("unreachable.err"))
        // The summary stream given as the input stream is named for what it is.
        let summaries = try spawn("summaries", ["worker", "--nats", url, "--stream", "DISTILL_SUMMARY", "--partitions", "0-15"])
        summaries.waitUntilExit()
        XCTAssertEqual(summaries.terminationStatus, 2)
        XCTAssertTrue(log("summaries.err").contains("holds the shard summaries of another stream: give --stream DISTILL"), log("summaries.err"))
        // A password in the address stays out of the message (and the logs collected from stderr).
        let withPassword = try spawn("password", ["worker", "--nats", "nats://alice:s3cr3t@127.0.0.1:1", "--partitions", "0-15"])
        withPassword.waitUntilExit()
        XCTAssertEqual(withPassword.terminationStatus, 2)
        XCTAssertTrue(log("password.err").contains("cannot connect to nats://***@127.0.0.1:1"), log("password.err"))
        XCTAssertFalse(log("password.err").contains("s3cr3t"), log("password.err"))
    }

    /// A worker killed with SIGKILL while records arrive leaves its partitions without a worker
    /// (the coordinator says which); the replacement takes them over from the durable
    /// consumers, and the final report equals `scan`'s: nothing lost, nothing counted twice.
    func testAWorkerKilledMidStreamIsReplacedWithoutLossOrRepeats() throws {
        let input = try makeInput()
        let expected = try scanReport(input)
        let lines = log("gen.out").split(separator: "\n").count
        let report = folder.appendingPathComponent("coordinator.json").path
        let coordinator = try Headless(["--nats", url, "--report", report])
        try spawn("w1", ["worker", "--nats", url, "--partitions", "0-7"])
        let doomed = try spawn("w2", ["worker", "--nats", url, "--partitions", "8-15", "--ack-wait", "2"])
        // One acknowledgement per message makes publishing slow enough to kill inside it.
        let publisher = try spawn("publish", ["publish", "--nats", url, "--end", "--wait-each", input])
        try coordinator.wait("a fifth of the input through the coordinator", limit: 300) { $0.counter("exchanges") >= lines / 5 }
        kill(doomed.processIdentifier, SIGKILL)
        doomed.waitUntilExit()
        try coordinator.wait("partitions 8-15 reported without a worker", limit: 60) {
            ($0.counters["bus_unowned"] as? [Int]) == Array(8...15)
        }
        let stalled = coordinator.counter("exchanges")
        XCTAssertLessThan(stalled, lines, "the coordinator waits for the orphaned partitions")
        try spawn("w2-replacement", ["worker", "--nats", url, "--partitions", "8-15"])
        try waitForEnd(coordinator)
        publisher.waitUntilExit()
        XCTAssertEqual(publisher.terminationStatus, 0, log("publish.err"))
        XCTAssertEqual(try String(contentsOfFile: report, encoding: .utf8), expected)

        // A standby started now reads the killed worker's summaries too, moments after the live
        // workers' latest; by the stream's own clock that worker went quiet long before them, so
        // it is not counted as a worker, nor as a second one on partitions 8-15.
        let standbyReport = folder.appendingPathComponent("standby.json").path
        let standby = try Headless(["--nats", url, "--report", standbyReport])
        try waitForEnd(standby)
        XCTAssertEqual(try String(contentsOfFile: standbyReport, encoding: .utf8), expected)
        XCTAssertEqual(standby.counters["bus_workers"] as? Int, 2, "\(standby.counters)")
        XCTAssertEqual(standby.counters["bus_shared"] as? [Int], [], "\(standby.counters)")
        XCTAssertEqual(standby.counters["bus_unowned"] as? [Int], [], "\(standby.counters)")
    }

    /// Workers started with overlapping `--partitions` ranges share the overlap's records, so
    /// each holds only part of an account's detail: the coordinator names the overlap. The
    /// counts stay those of `scan`.
    func testWorkersWithOverlappingRangesAreNamed() throws {
        let input = try makeInput()
        let expected = try scanReport(input)
        let report = folder.appendingPathComponent("coordinator.json").path
        let coordinator = try Headless(["--nats", url, "--report", report])
        try spawn("w1", ["worker", "--nats", url, "--partitions", "0-9"])
        try spawn("w2", ["worker", "--nats", url, "--partitions", "6-15"])
        try run("publish", ["publish", "--nats", url, "--end", input])
        try coordinator.wait("partitions 6-9 named as read by two workers", limit: 60) {
            $0.objects("counters").contains { ($0["bus_shared"] as? [Int]) == Array(6...9) }
        }
        try waitForEnd(coordinator)
        XCTAssertEqual(try String(contentsOfFile: report, encoding: .utf8), expected)
    }

    /// Lines of several records (here JSON arrays of 50, as `auto` reads them; OTLP exports hold
    /// thousands) are published record by record: the coordinator reports what `scan` does, and
    /// the input stream stores about the file's bytes, not each line once per record in it.
    func testLinesOfManyRecordsArePublishedRecordByRecord() throws {
        let bridge = try natsBridge()
        try run("gen", ["gen", "--days", "1", "--seed", "3", "--scale", "0.2"])
        let records = log("gen.out").split(separator: "\n")
        let text = stride(from: 0, to: records.count, by: 50).map { "[" + records[$0..<min($0 + 50, records.count)].joined(separator: ",") + "]\n" }.joined()
        let input = folder.appendingPathComponent("arrays.ndjson").path
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        let expected = try scanReportAuto(input)
        let report = folder.appendingPathComponent("coordinator.json").path
        let coordinator = try coordinator(report)
        try spawn("w", ["worker", "--nats", url, "--partitions", "0-15", "--input-format", "auto"])
        try run("publish", ["publish", "--nats", url, "--end", "--input-format", "auto", input])
        try waitForEnd(coordinator)
        XCTAssertEqual(try String(contentsOfFile: report, encoding: .utf8), expected)
        try run("bytes", ["/usr/bin/env", "python3", bridge, "bytes", url, "DISTILL", "-"], direct: true)
        let stored = try XCTUnwrap(Int(log("bytes.out").trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertLessThan(stored, 2 * text.utf8.count, "stored \(stored) bytes for a file of \(text.utf8.count)")
    }

    /// One message of many records put straight on the stream (an exporter publishing to NATS
    /// itself): its summary passes the size at which summaries are split, and every record is
    /// still counted, not only those of the first part.
    func testOneMessageOfManyRecordsIsCountedWhole() throws {
        let bridge = try natsBridge()
        try run("gen", ["gen", "--days", "1", "--seed", "3", "--scale", "0.2"])
        let records = log("gen.out").split(separator: "\n").prefix(1500)
        let message = folder.appendingPathComponent("message.json").path
        try ("[" + records.joined(separator: ",") + "]").write(toFile: message, atomically: true, encoding: .utf8)
        let listing = folder.appendingPathComponent("message.list").path
        try message.write(toFile: listing, atomically: true, encoding: .utf8)
        let coordinator = try coordinator(folder.appendingPathComponent("coordinator.json").path)
        try spawn("w", ["worker", "--nats", url, "--partitions", "0-15", "--input-format", "auto"])
        try coordinator.wait("the streams made") { ($0.counters["bus_unowned"] as? [Int]) == [] }
        try run("put", ["/usr/bin/env", "python3", bridge, "jspub", url, "DISTILL.x.0", listing], direct: true)
        let empty = folder.appendingPathComponent("empty").path
        _ = FileManager.default.createFile(atPath: empty, contents: nil)
        try run("publish", ["publish", "--nats", url, "--end", empty])
        try waitForEnd(coordinator)
        let final = try XCTUnwrap(coordinator.lines.last.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        XCTAssertEqual((final["exchanges"] as? Int ?? 0) + (final["duplicates"] as? Int ?? 0), 1500, "\(final)")
    }

    /// `scan --input-format auto` of `path`, as JSON.
    func scanReportAuto(_ path: String) throws -> String {
        try run("scan-auto", ["scan", "--format", "json", "--input-format", "auto", path])
        return log("scan-auto.out")
    }

    /// Two inputs each published with `--end`: a headless coordinator stops at the first
    /// complete set of end markers, with the report `scan` gives of the first input alone, not
    /// at whichever record of the second it happened to have taken.
    func testACoordinatorStopsAtTheFirstEndOfInput() throws {
        try run("gen", ["gen", "--days", "2", "--seed", "5", "--scale", "0.2"])
        let records = log("gen.out").split(separator: "\n")
        let half = records.count / 2
        let first = folder.appendingPathComponent("first.ndjson").path
        let second = folder.appendingPathComponent("second.ndjson").path
        try (records[..<half].joined(separator: "\n") + "\n").write(toFile: first, atomically: true, encoding: .utf8)
        try (records[half...].joined(separator: "\n") + "\n").write(toFile: second, atomically: true, encoding: .utf8)
        let expected = try scanReport(first)
        try run("publish-1", ["publish", "--nats", url, "--end", first])
        try run("publish-2", ["publish", "--nats", url, "--end", second])
        try spawn("w", ["worker", "--nats", url, "--partitions", "0-15"])
        let report = folder.appendingPathComponent("coordinator.json").path
        let coordinator = try coordinator(report)
        try waitForEnd(coordinator)
        XCTAssertEqual(try String(contentsOfFile: report, encoding: .utf8), expected)
    }

    /// A worker's `--state` directory kept for one stream is refused by a worker of another
    /// (exit 2, naming both): its recorded sequences would skip the other stream's records of
    /// the same numbers, and its accounts would answer drill-down for that stream.
    func testAWorkersStateForAnotherStreamIsRefused() throws {
        try run("gen", ["gen", "--days", "1", "--seed", "3", "--scale", "0.05"])
        let input = folder.appendingPathComponent("input.ndjson").path
        try log("gen.out").write(toFile: input, atomically: true, encoding: .utf8)
        let state = folder.appendingPathComponent("state").path
        let first = try spawn("w-one", ["worker", "--nats", url, "--stream", "ONE", "--partitions", "0-15", "--state", state,
                                        "--checkpoint-every", "0.2"])
        try run("publish", ["publish", "--nats", url, "--stream", "ONE", input])
        XCTAssertEqual(savedPartitions(in: state, limit: 60), 16, "every partition saved")
        kill(first.processIdentifier, SIGTERM)
        first.waitUntilExit()
        let other = try spawn("w-two", ["worker", "--nats", url, "--stream", "TWO", "--partitions", "0-15", "--state", state])
        let refusal = Date().addingTimeInterval(30)
        while other.isRunning && Date() < refusal { usleep(20_000) }
        if other.isRunning { kill(other.processIdentifier, SIGKILL); XCTFail("the worker of stream TWO took the state of ONE") }
        other.waitUntilExit()
        XCTAssertEqual(other.terminationStatus, 2)
        XCTAssertTrue(log("w-two.err").contains("of stream ONE, not of TWO"), log("w-two.err"))
    }

    /// A worker asked to stop while the server is gone stops within seconds, not after waiting
    /// out the client's 10-second timeouts one after another (half a minute, past a service
    /// manager's grace period), and says why it gave up on acknowledging.
    func testAWorkerStopsPromptlyWhileTheServerIsGone() throws {
        try run("gen", ["gen", "--days", "1", "--seed", "3", "--scale", "0.05"])
        let input = folder.appendingPathComponent("input.ndjson").path
        try log("gen.out").write(toFile: input, atomically: true, encoding: .utf8)
        let state = folder.appendingPathComponent("state").path
        let worker = try spawn("w", ["worker", "--nats", url, "--partitions", "0-15", "--state", state])
        try run("publish", ["publish", "--nats", url, input])
        XCTAssertEqual(savedPartitions(in: state, limit: 60), 16, "every partition saved")
        server?.terminate()
        server?.waitUntilExit()
        let gone = Date().addingTimeInterval(30)
        while !log("w.err").contains("trying again") && Date() < gone { usleep(20_000) }
        XCTAssertTrue(log("w.err").contains("trying again"), "the worker meets the server gone: \(log("w.err"))")
        let asked = Date()
        kill(worker.processIdentifier, SIGTERM)
        while worker.isRunning && Date().timeIntervalSince(asked) < 60 { usleep(20_000) }
        XCTAssertFalse(worker.isRunning)
        XCTAssertLessThan(Date().timeIntervalSince(asked), 15, log("w.err"))
        worker.waitUntilExit()
        XCTAssertEqual(worker.terminationStatus, 0, log("w.err"))
    }

    /// A server that goes away shows at once, not after the client's 10-second request
    /// timeout: the coordinator says it is disconnected and why, its workers fall silent and
    /// their partitions are listed without a worker; once the server is back, so is the link.
    /// Both a server that stops (its clients see the connection close) and one that hangs
    /// (connections stay open, nothing answers).
    func testAServerOutageShowsInTheCoordinatorsCounters() throws {
        let coordinator = try Headless(["--nats", url])
        try spawn("w", ["worker", "--nats", url, "--partitions", "0-15"])
        func workerHeard() throws {
            try coordinator.wait("the link up and the worker heard", limit: 60) {
                $0.counters["connected"] as? Bool == true && ($0.counters["bus_unowned"] as? [Int]) == []
            }
        }
        func outageShown() throws {
            let gone = Date()
            try coordinator.wait("the coordinator disconnected", limit: 60) { $0.counters["connected"] as? Bool == false }
            XCTAssertLessThan(Date().timeIntervalSince(gone), 5, "the outage showed only after a request timed out")
            XCTAssertNotNil(coordinator.counters["error"] as? String, "the counters say why")
            try coordinator.wait("every partition without a worker", limit: 60) { ($0.counters["bus_unowned"] as? [Int]) == Array(0...15) }
        }
        try workerHeard()
        let hung = try XCTUnwrap(server)
        kill(hung.processIdentifier, SIGSTOP)
        try outageShown()
        kill(hung.processIdentifier, SIGCONT)
        try workerHeard()
        let port = String(url.split(separator: ":").last!)
        hung.terminate()
        hung.waitUntilExit()
        try outageShown()
        try startServer(port: port)
        try workerHeard()
    }

    /// `publish --follow` and `--listen`: records from a followed file, then from a TCP sender,
    /// reach the coordinator as the same records; its clusters, verdicts and flag times are
    /// `scan`'s. Broken lines and repeats are set aside by the publisher, which counts them.
    func testRecordsFromAFollowedFileAndAListenerArePublishedAsScanReadsThem() throws {
        let input = try makeInput()
        let expected = try JSONSerialization.jsonObject(with: Data(try scanReport(input).utf8)) as! [String: Any]
        try FileManager.default.removeItem(at: folder.appendingPathComponent("scan.json"))
        let lines = try String(contentsOfFile: input, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        var cut = lines.count / 2
        while lines[cut] == lines[cut - 1] { cut += 1 }  // a repeat stays with the line it repeats
        let followed = folder.appendingPathComponent("followed.ndjson").path
        try (lines[..<cut].joined(separator: "\n") + "\n").write(toFile: followed, atomically: true, encoding: .utf8)
        let firstPart = try JSONSerialization.jsonObject(with: Data(try scanReport(followed).utf8)) as! [String: Any]
        let firstExchanges = (firstPart["input"] as! [String: Any])["exchanges"] as! Int

        let report = folder.appendingPathComponent("coordinator.json").path
        let coordinator = try Headless(["--nats", url, "--report", report])
        try spawn("worker", ["worker", "--nats", url, "--partitions", "0-15"])
        let publisher = try spawn("publish", ["publish", "--nats", url, "--end", "--follow", followed, "--listen", "tcp://127.0.0.1:0"])
        var port: UInt16?
        let deadline = Date().addingTimeInterval(60)
        while port == nil && Date() < deadline && publisher.isRunning {
            if let range = log("publish.err").range(of: "listening on tcp://127.0.0.1:") {
                port = UInt16(log("publish.err")[range.upperBound...].prefix { $0.isNumber })
            }
            usleep(20_000)
        }
        let listening = try XCTUnwrap(port, "the publisher named no port: \(log("publish.err"))")
        try coordinator.wait("the followed file through the coordinator", limit: 300) { $0.counter("exchanges") == firstExchanges }

        let fd = try LiveSourceTests.connectTCP(port: listening)
        let rest = Array((lines[cut...].joined(separator: "\n") + "\n").utf8)
        var sent = 0
        while sent < rest.count {
            let n = rest[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            XCTAssertGreaterThan(n, 0, "write to the publisher's listener")
            guard n > 0 else { break }
            sent += n
        }
        close(fd)
        let total = (expected["input"] as! [String: Any])["exchanges"] as! Int
        try coordinator.wait("everything through the coordinator", limit: 300) { $0.counter("exchanges") == total }
        kill(publisher.processIdentifier, SIGTERM)
        publisher.waitUntilExit()
        XCTAssertEqual(publisher.terminationStatus, 0, log("publish.err"))
        try waitForEnd(coordinator)

        let got = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as! [String: Any]
        XCTAssertEqual(try JSONSerialization.data(withJSONObject: got["clusters"]!, options: [.sortedKeys]),
                       try JSONSerialization.data(withJSONObject: expected["clusters"]!, options: [.sortedKeys]), "clusters as scan reports them")
        let scanned = expected["input"] as! [String: Any]
        let rejected = (scanned["rejected"] as! [String: Any])["total"] as! Int
        XCTAssertGreaterThan(rejected, 0)
        XCTAssertGreaterThan(scanned["duplicates"] as! Int, 0)
        XCTAssertTrue(log("publish.err").contains("(rejected \(rejected), duplicates \(scanned["duplicates"] as! Int), dropped 0)"),
                      "the publisher counts what it set aside as scan does: \(log("publish.err"))")
    }

    /// `publish --listen http://…` answers a sender only once the stream holds its records: with
    /// the server hung (SIGSTOP) the request waits, and it is answered once the server goes on.
    /// A 200 therefore survives a publisher that dies right after it.
    func testAnHTTPSenderIsAnsweredOnceTheStreamHoldsItsRecords() throws {
        let publisher = try spawn("publish", ["publish", "--nats", url, "--listen", "http://127.0.0.1:0"])
        var port: UInt16?
        let deadline = Date().addingTimeInterval(60)
        while port == nil && Date() < deadline && publisher.isRunning {
            if let range = log("publish.err").range(of: "listening on http://127.0.0.1:") {
                port = UInt16(log("publish.err")[range.upperBound...].prefix { $0.isNumber })
            }
            usleep(20_000)
        }
        let listening = try XCTUnwrap(port, "the publisher named no port: \(log("publish.err"))")
        func post(_ range: Range<Int>) throws -> Int32 {
            let body = range.map { "{\"ts\":\(1_776_000_000_000 + $0 * 1000),\"request_id\":\"req_\($0)\",\"account_id\":\"acct_\($0 % 3)\"}\n" }.joined()
            let fd = try LiveSourceTests.connectTCP(port: listening)
            let request = "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
            _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            return fd
        }
        /// The answer on `fd` within `seconds`, or what came of it by then.
        func answer(_ fd: Int32, within seconds: Int) -> String {
            var wait = timeval(tv_sec: seconds, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
            var text = ""
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !text.contains("}") {
                let n = recv(fd, &buffer, buffer.count, 0)
                guard n > 0 else { break }
                text += String(decoding: buffer[..<n], as: UTF8.self)
            }
            return text
        }
        let first = try post(0..<10)
        defer { close(first) }
        XCTAssertTrue(answer(first, within: 30).contains("\"accepted\":10"), "answered while the server runs")

        let server = try XCTUnwrap(self.server)
        kill(server.processIdentifier, SIGSTOP)
        let second = try post(10..<20)
        defer { close(second) }
        let early = answer(second, within: 2)
        kill(server.processIdentifier, SIGCONT)
        XCTAssertEqual(early, "", "answered before the stream held the records")
        let late = answer(second, within: 30)
        XCTAssertTrue((early + late).hasPrefix("HTTP/1.1 200") && (early + late).contains("\"accepted\":10"), early + late)
        kill(publisher.processIdentifier, SIGTERM)
        publisher.waitUntilExit()
        XCTAssertEqual(publisher.terminationStatus, 0, log("publish.err"))
    }

    /// `publish --follow --state`: a publisher killed with SIGKILL and started again with the
    /// same command goes on from its last checkpoint; what it sends again is dropped by the
    /// stream, so the coordinator counts every record once and reports `scan`'s clusters.
    func testAFollowingPublisherKilledAndRestartedLosesAndRepeatsNothing() throws {
        let input = try makeInput()
        let expected = try JSONSerialization.jsonObject(with: Data(try scanReport(input).utf8)) as! [String: Any]
        let total = (expected["input"] as! [String: Any])["exchanges"] as! Int
        let lines = try String(contentsOfFile: input, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        var cut = lines.count / 2
        while lines[cut] == lines[cut - 1] { cut += 1 }  // a repeat stays with the line it repeats
        let followed = folder.appendingPathComponent("followed.ndjson")
        try (lines[..<cut].joined(separator: "\n") + "\n").write(to: followed, atomically: true, encoding: .utf8)
        let state = folder.appendingPathComponent("publisher.state").path
        let command = ["publish", "--nats", url, "--follow", followed.path, "--state", state, "--checkpoint-every", "0.2"]

        let report = folder.appendingPathComponent("coordinator.json").path
        let coordinator = try Headless(["--nats", url, "--report", report])
        try spawn("worker", ["worker", "--nats", url, "--partitions", "0-15"])
        let first = try spawn("publish-1", command)
        try coordinator.wait("a part of the file through the coordinator and a checkpoint kept", limit: 300) {
            $0.counter("exchanges") >= total / 4 && FileManager.default.fileExists(atPath: state)
        }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let h = try FileHandle(forWritingTo: followed)
        try h.seekToEnd()
        try h.write(contentsOf: Data((lines[cut...].joined(separator: "\n") + "\n").utf8))
        try h.close()
        let second = try spawn("publish-2", command + ["--end"])
        try coordinator.wait("everything through the coordinator", limit: 300) { $0.counter("exchanges") >= total }
        kill(second.processIdentifier, SIGTERM)
        second.waitUntilExit()
        XCTAssertEqual(second.terminationStatus, 0, log("publish-2.err"))
        XCTAssertTrue(log("publish-2.err").contains("going on from \(state)"), log("publish-2.err"))
        // Read on from the checkpoint, not from the file's start (which would send all of it).
        let resent = log("publish-2.err").components(separatedBy: " messages of ").last.flatMap { Int($0.prefix { $0.isNumber }) }
        XCTAssertLessThan(try XCTUnwrap(resent, log("publish-2.err")), total, log("publish-2.err"))
        try waitForEnd(coordinator)
        let got = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as! [String: Any]
        XCTAssertEqual((got["input"] as! [String: Any])["exchanges"] as? Int, total, "every record counted once")
        XCTAssertEqual(try JSONSerialization.data(withJSONObject: got["clusters"]!, options: [.sortedKeys]),
                       try JSONSerialization.data(withJSONObject: expected["clusters"]!, options: [.sortedKeys]), "clusters as scan reports them")
    }
}
