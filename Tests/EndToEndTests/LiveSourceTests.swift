import DistillCore
import Foundation
import XCTest

/// `watch --headless` against live sources, with real peers started here on loopback: a file
/// rotated and truncated under `--follow`, `nc` and `socat` clients on TCP and Unix sockets,
/// curl as an HTTP client, LiteLLM's own generic_api logger, OTLP/JSON shaped and sent the
/// way the OpenTelemetry Collector's otlphttp exporter sends it (gzip, application/json), and
/// a real nats-server with a subscriber piping messages in.
///
/// No timing assertions: every wait is for a condition (with a generous limit), never a duration.
final class LiveSourceTests: XCTestCase {
    // MARK: Harness

    /// Thrown after a recorded failure, to end the test.
    struct Gave: Error {}

    /// The binary running `watch --headless …`, its stdout read line by line as it comes.
    final class Headless: @unchecked Sendable {
        let process = Process()
        private let lock = NSLock()
        private var buffer = Data()
        private var linesSeen: [String] = []
        private let stderrFile: URL

        init(_ arguments: [String], stdin: FileHandle? = nil) throws {
            let binary = CommandLineTests.binary
            guard FileManager.default.isExecutableFile(atPath: binary.path) else {
                throw XCTSkip("distillwatch is not built at \(binary.path); run `swift build` first")
            }
            stderrFile = FileManager.default.temporaryDirectory.appendingPathComponent("dw-live-stderr-\(UUID().uuidString)")
            _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
            process.executableURL = binary
            process.arguments = ["watch", "--headless", "--counters-every", "0.1"] + arguments
            process.currentDirectoryURL = CommandLineTests.packageRoot
            let out = Pipe()
            process.standardOutput = out
            process.standardError = try FileHandle(forWritingTo: stderrFile)
            if let stdin { process.standardInput = stdin }
            out.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                guard let self, !data.isEmpty else { return }
                self.lock.lock()
                self.buffer += data
                while let nl = self.buffer.firstIndex(of: 0x0A) {
                    self.linesSeen.append(String(decoding: self.buffer[self.buffer.startIndex..<nl], as: UTF8.self))
                    self.buffer = Data(self.buffer[(nl + 1)...])
                }
                self.lock.unlock()
            }
            try process.run()
        }

        deinit {
            if process.isRunning { process.terminate() }
            try? FileManager.default.removeItem(at: stderrFile)
        }

        var lines: [String] { lock.lock(); defer { lock.unlock() }; return linesSeen }
        var stderr: String { (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "" }

        func objects(_ type: String) -> [[String: Any]] {
            lines.compactMap { line in
                guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], o["type"] as? String == type else { return nil }
                return o
            }
        }

        /// The address a listener actually bound, by scheme (`tcp`, `unix`, `http`).
        func address(_ scheme: String) throws -> String {
            try wait("a \(scheme) listener") { $0.objects("listening").contains { ($0["address"] as? String)?.hasPrefix(scheme) == true } }
            return objects("listening").compactMap { $0["address"] as? String }.first { $0.hasPrefix(scheme) }!
        }

        var counters: [String: Any] { objects("counters").last ?? [:] }

        /// The process's peak resident memory so far (`VmHWM`), in MiB.
        var peakResidentMiB: Int? {
            guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                  let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return nil }
            return kib / 1024
        }
        func counter(_ name: String) -> Int { counters[name] as? Int ?? -1 }

        /// Waits until `condition` holds (polling), failing after `limit` seconds.
        func wait(_ what: String, limit: Double = 60, file: StaticString = #filePath, line: UInt = #line,
                  _ condition: (Headless) -> Bool) throws {
            let deadline = Date().addingTimeInterval(limit)
            while !condition(self) {
                guard process.isRunning else {
                    XCTFail("distillwatch exited (\(process.terminationStatus)) while waiting for \(what): \(stderr)", file: file, line: line)
                    throw Gave()
                }
                guard Date() < deadline else {
                    XCTFail("gave up waiting for \(what); last counters: \(counters); stderr: \(stderr)", file: file, line: line)
                    throw Gave()
                }
                usleep(20_000)
            }
        }

        /// SIGTERM, then the final counters line.
        @discardableResult
        func stop() -> [String: Any] {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            let deadline = Date().addingTimeInterval(5)
            while objects("counters").last?["final"] as? Bool != true && Date() < deadline { usleep(10_000) }
            return objects("counters").last ?? [:]
        }
    }

    /// Runs a shell command to its end (a peer), returning stdout; `$DW` is the binary.
    @discardableResult
    func sh(_ command: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        var env = ProcessInfo.processInfo.environment
        env["DW"] = CommandLineTests.binary.path
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "peer command failed: \(command)", file: file, line: line)
        return String(decoding: data, as: UTF8.self)
    }

    /// A plain TCP connection to loopback, held open by the test.
    static func connectTCP(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let ok = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard fd >= 0, ok == 0 else { throw Gave() }
        return fd
    }

    func requireTool(_ name: String) throws {
        let found = (try? sh("command -v \(name) >/dev/null 2>&1 && echo yes || echo no")) ?? ""
        if !found.hasPrefix("yes") { throw XCTSkip("\(name) is not installed (.ci/run installs it)") }
    }

    func temporaryDirectory() throws -> URL {
        // Short: a Unix socket path must fit in 104 bytes.
        let dir = URL(fileURLWithPath: "/tmp/dwl-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    /// Canonical lines with unique request ids, `range` numbering them, over `accounts` accounts.
    func records(_ range: Range<Int>, accounts: Int = 7) -> String {
        range.map { i in
            let ts = 1_776_000_000_000 + i * 1000
            return "{\"ts\":\(ts),\"request_id\":\"req_\(i)\",\"account_id\":\"acct_\(i % accounts)\",\"client_ip\":\"203.0.113.\(i % 200 + 1)\",\"model\":\"m\",\"input_tokens\":\(100 + i % 50),\"output_tokens\":\(900 + i % 300),\"prompt_text\":\"Question \(i): explain step by step\"}\n"
        }.joined()
    }

    func append(_ text: String, to url: URL) throws {
        if !FileManager.default.fileExists(atPath: url.path) { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        let h = try FileHandle(forWritingTo: url)
        try h.seekToEnd()
        try h.write(contentsOf: Data(text.utf8))
        try h.close()
    }

    // MARK: Files

    func testHeadlessReplayExitsAtEndAndAgreesWithScan() throws {
        let dw = try Headless(["SampleLogs/demo.ndjson.gz"])
        dw.process.waitUntilExit()
        XCTAssertEqual(dw.process.terminationStatus, 0, dw.stderr)
        let final = dw.stop()
        XCTAssertEqual(final["final"] as? Bool, true)
        let scan = try JSONSerialization.jsonObject(with: Data(try sh(#""$DW" scan SampleLogs/demo.ndjson.gz --format json"#).utf8)) as? [String: Any]
        let input = try XCTUnwrap(scan?["input"] as? [String: Any])
        XCTAssertEqual(final["exchanges"] as? Int, input["exchanges"] as? Int)
        XCTAssertEqual(final["duplicates"] as? Int, input["duplicates"] as? Int)
        // Every suspect cluster of the scan was announced by an alert line, with its evidence.
        let alerts = dw.objects("alert")
        let suspects = (scan?["clusters"] as? [[String: Any]] ?? []).filter { $0["verdict"] as? String == "suspect" }
        XCTAssertFalse(suspects.isEmpty)
        XCTAssertEqual(final["suspect"] as? Int, suspects.count)
        XCTAssertGreaterThanOrEqual(alerts.filter { $0["verdict"] as? String == "suspect" }.count, suspects.count)
        for a in alerts {
            XCTAssertNotNil(a["cluster"] as? String); XCTAssertNotNil(a["stream_time"] as? String)
            XCTAssertNotNil(a["risk"] as? Double); XCTAssertGreaterThan(a["accounts"] as? Int ?? 0, 0)
            XCTAssertNotEqual(a["verdict"] as? String, a["previous"] as? String)
        }
        XCTAssertTrue(alerts.contains { !(($0["signals"] as? [[String: Any]]) ?? []).isEmpty })
    }

    func testFollowSurvivesRotationTruncationAndPartialLinesWithoutLossOrDuplicates() throws {
        let dir = try temporaryDirectory()
        let log = dir.appendingPathComponent("app.log")
        // Started before the file exists: it waits for it to appear.
        let dw = try Headless(["--follow", log.path])
        try dw.wait("waiting for the file") { $0.counters["connected"] as? Bool == false }

        try append(records(0..<400), to: log)
        try dw.wait("the first 400") { $0.counter("exchanges") == 400 }

        // Rotation by rename: the writer still appends to the renamed file, then a new file appears.
        try FileManager.default.moveItem(at: log, to: dir.appendingPathComponent("app.log.1"))
        try append(records(400..<500), to: dir.appendingPathComponent("app.log.1"))
        try append(records(500..<900), to: log)
        try dw.wait("lines around the rotation") { $0.counter("exchanges") == 900 }

        // Truncation (copytruncate style): shorter content from the start.
        try FileHandle(forWritingTo: log).truncate(atOffset: 0)
        try append(records(900..<950), to: log)
        try dw.wait("lines after truncation") { $0.counter("exchanges") == 950 }

        // A partial last line is held until its newline arrives.
        let line = records(950..<951)
        let cut = line.index(line.startIndex, offsetBy: 40)
        try append(String(line[..<cut]), to: log)
        usleep(400_000)  // let the follower see the partial line (not an assertion on time)
        XCTAssertEqual(dw.counter("rejected"), 0, "a partial line must not be decoded early")
        try append(String(line[cut...]), to: log)
        try dw.wait("the completed line") { $0.counter("exchanges") == 951 }

        let final = dw.stop()
        XCTAssertEqual(final["exchanges"] as? Int, 951, "no line lost")
        XCTAssertEqual(final["duplicates"] as? Int, 0, "no line read twice")
        XCTAssertEqual(final["rejected"] as? Int, 0)
        XCTAssertEqual(final["dropped"] as? Int, 0)
    }

    /// A followed file deleted (not renamed) is finished and let go, so its disk space is freed
    /// and the status says DISCONNECTED; a device put in its place (/dev/zero, an endless line)
    /// is refused, not read at a full core; a directory is named as one; and the file that
    /// comes back under the name is read.
    func testFollowLetsGoOfADeletedFileAndRefusesWhatIsNoLog() throws {
        let dir = try temporaryDirectory()
        let log = dir.appendingPathComponent("app.log")
        try append(records(0..<100), to: log)
        let dw = try Headless(["--follow", log.path])
        try dw.wait("the first 100") { $0.counter("exchanges") == 100 && $0.counters["connected"] as? Bool == true }
        try FileManager.default.removeItem(at: log)
        try dw.wait("disconnected once deleted") { $0.counters["connected"] as? Bool == false }
        let held = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(dw.process.processIdentifier)/fd").filter {
            ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(dw.process.processIdentifier)/fd/\($0)")) ?? "").contains("app.log")
        }
        XCTAssertEqual(held, [], "the deleted file is still held open")

        try FileManager.default.createSymbolicLink(atPath: log.path, withDestinationPath: "/dev/zero")
        try dw.wait("a device refused") { ($0.counters["error"] as? String)?.contains("not a file or a pipe") ?? false }
        try FileManager.default.removeItem(at: log)
        try FileManager.default.createDirectory(at: log, withIntermediateDirectories: false)
        try dw.wait("a directory named as one") { ($0.counters["error"] as? String)?.contains("Is a directory") ?? false }
        try FileManager.default.removeItem(at: log)

        try append(records(100..<200), to: log)
        try dw.wait("the file back under its name") { $0.counter("exchanges") == 200 && $0.counters["connected"] as? Bool == true }
        let final = dw.stop()
        XCTAssertEqual(final["rejected"] as? Int, 0)
    }

    /// A file truncated and at once written again, longer than before, between two looks: its
    /// size never shrinks where the follower can see it, yet every new line must be read.
    func testFollowRereadsAFileTruncatedAndRewrittenBetweenTwoLooks() throws {
        try requireTool("python3")
        let dir = try temporaryDirectory()
        let log = dir.appendingPathComponent("app.log")
        try append(records(0..<1_000), to: log)
        let dw = try Headless(["--follow", log.path])
        try dw.wait("the first 1,000") { $0.counter("exchanges") == 1_000 }
        // Truncated and written again with 3,000 other lines while the watcher is stopped, so it
        // cannot look in between (as a busy one might not).
        let next = dir.appendingPathComponent("next.ndjson")
        try Data(records(1_000..<4_000).utf8).write(to: next)
        kill(dw.process.processIdentifier, SIGSTOP)
        try sh("python3 -c 'import sys; d = open(sys.argv[2], \"rb\").read(); f = open(sys.argv[1], \"wb\"); f.write(d); f.close()' '\(log.path)' '\(next.path)'")
        kill(dw.process.processIdentifier, SIGCONT)
        try dw.wait("every rewritten line") { $0.counter("exchanges") == 4_000 }
        XCTAssertEqual(dw.counters["rewritten"] as? Int, 1, "the rewrite is counted")
        let final = dw.stop()
        XCTAssertEqual(final["exchanges"] as? Int, 4_000, "no line of the new content lost")
        XCTAssertEqual(final["duplicates"] as? Int, 0)
        XCTAssertEqual(final["rejected"] as? Int, 0, "no line read from the middle")
    }

    /// Python's RotatingFileHandler rotating some 20 times a second: every line written is
    /// ingested once, including those in files rotated away between two looks at the name.
    func testFollowKeepsUpWithRotatingFileHandlerAtTwentyRotationsASecond() throws {
        try requireTool("python3")
        let dir = try temporaryDirectory()
        let log = dir.appendingPathComponent("gateway.log")
        let dw = try Headless(["--follow", log.path])
        try dw.wait("waiting for the file") { $0.counters["connected"] as? Bool == false }
        let lines = 3_000
        let script = """
        import logging, logging.handlers, sys, time
        h = logging.handlers.RotatingFileHandler(sys.argv[1], maxBytes=4000, backupCount=1000)
        h.setFormatter(logging.Formatter('%(message)s'))
        log = logging.getLogger('x'); log.addHandler(h); log.setLevel(logging.INFO)
        start = time.time()
        for i in range(\(lines)):
            log.info('{"ts":%d,"request_id":"r%d","account_id":"acct_%d","model":"m","input_tokens":10,"output_tokens":900,"prompt_text":"Question %d: explain it step by step please"}' % (1776000000000 + i * 1000, i, i % 9, i))
            if i % 10 == 9:
                time.sleep(max(0, start + (i + 1) / 600.0 - time.time()))
        h.close()
        print("%.1f rotations/s" % ((len(__import__('glob').glob(sys.argv[1] + '.*'))) / (time.time() - start)))
        """
        let rate = try sh("python3 -c '\(script.replacingOccurrences(of: "'", with: "'\\''"))' '\(log.path)'")
        print("RotatingFileHandler: \(rate.trimmingCharacters(in: .whitespacesAndNewlines))")
        try dw.wait("every line written", limit: 120) { $0.counter("exchanges") >= lines }
        let final = dw.stop()
        XCTAssertEqual(final["exchanges"] as? Int, lines, "lines written = lines ingested")
        XCTAssertEqual(final["duplicates"] as? Int, 0, "no line read twice")
        XCTAssertEqual(final["rejected"] as? Int, 0, "no line cut in two")
        XCTAssertNil(final["missed_rotations"], "nothing deleted unread")
    }

    // MARK: Sockets

    /// A second watcher cannot take over a live Unix socket (it is refused as in use, and the
    /// first keeps receiving); a stale socket file is replaced; the file is removed at exit.
    func testUnixSocketIsNotTakenOverAndIsRemovedAtExit() throws {
        try requireTool("socat")
        try requireTool("python3")
        let dir = try temporaryDirectory()
        let socket = dir.appendingPathComponent("dw.sock").path
        let first = try Headless(["--listen", "unix:\(socket)"])
        _ = try first.address("unix:")
        let second = try sh("\"$DW\" watch --headless --listen 'unix:\(socket)' 2>&1; echo status=$?")
        XCTAssertTrue(second.contains("address in use") && second.contains("status=2"), second)
        try Data(records(0..<20).utf8).write(to: dir.appendingPathComponent("part"))
        try sh("socat -u FILE:'\(dir.path)/part' UNIX-CONNECT:'\(socket)'")
        try first.wait("the first still receives") { $0.counter("exchanges") == 20 }
        first.stop()
        XCTAssertFalse(FileManager.default.fileExists(atPath: socket), "the socket file is removed at exit")

        // A socket file nobody listens on (a crashed run's) is replaced.
        let stale = try sh("python3 -c 'import socket; s = socket.socket(socket.AF_UNIX); s.bind(\"\(socket)\")' && echo made")
        XCTAssertTrue(stale.contains("made"))
        let third = try Headless(["--listen", "unix:\(socket)"])
        _ = try third.address("unix:")
        try sh("socat -u FILE:'\(dir.path)/part' UNIX-CONNECT:'\(socket)'")
        try third.wait("lines through the replaced socket") { $0.counter("exchanges") == 20 }
        third.stop()
    }

    func testTCPAndUnixListenersWithNetcatAndSocatClients() throws {
        try requireTool("nc")
        try requireTool("socat")
        let dir = try temporaryDirectory()
        let socket = dir.appendingPathComponent("dw.sock").path
        let dw = try Headless(["--listen", "tcp://127.0.0.1:0", "--listen", "unix:\(socket)"])
        let tcp = try dw.address("tcp://")
        let port = tcp.split(separator: ":").last!
        _ = try dw.address("unix:")
        try dw.wait("no peer yet") { $0.counters["connected"] as? Bool == false }

        // Six clients at once, each with its own slice; one line over 1 MiB and one bad line.
        for (i, range) in [0..<300, 300..<600, 600..<900, 900..<1200, 1200..<1500, 1500..<1800].enumerated() {
            try Data(records(range).utf8).write(to: dir.appendingPathComponent("part\(i)"))
        }
        let huge = "{\"ts\":1776000000000,\"account_id\":\"acct_x\",\"prompt_text\":\"" + String(repeating: "a", count: 1_100_000) + "\"}\n"
        try Data((records(1800..<1850) + huge + "not json\n" + records(1850..<1900)).utf8).write(to: dir.appendingPathComponent("part6"))
        try sh("""
            cd '\(dir.path)'
            nc -N 127.0.0.1 \(port) < part0 &
            nc -N 127.0.0.1 \(port) < part1 &
            socat -u FILE:part2 TCP:127.0.0.1:\(port) &
            nc -NU '\(socket)' < part3 &
            socat -u FILE:part4 UNIX-CONNECT:'\(socket)' &
            socat -u FILE:part5 UNIX-CONNECT:'\(socket)' &
            socat -u FILE:part6 TCP:127.0.0.1:\(port) &
            wait
            """)
        try dw.wait("all six clients' lines") { $0.counter("exchanges") == 1900 }
        try dw.wait("the two bad lines") { $0.counter("rejected") == 2 }
        // Everyone has gone: DISCONNECTED, but still listening.
        try dw.wait("disconnected") { $0.counters["connected"] as? Bool == false }
        try Data(records(1900..<1910).utf8).write(to: dir.appendingPathComponent("late"))
        try sh("nc -N 127.0.0.1 \(port) < '\(dir.path)/late'")
        try dw.wait("a client after the others left") { $0.counter("exchanges") == 1910 }

        let final = dw.stop()
        XCTAssertEqual(final["exchanges"] as? Int, 1910)
        XCTAssertEqual(final["duplicates"] as? Int, 0)
        XCTAssertEqual(final["rejected"] as? Int, 2)
        XCTAssertEqual(final["dropped"] as? Int, 0)
    }

    /// Far more than the hand-over queue and the socket buffers hold: the listener must stop
    /// reading while the detector catches up (back-pressure), and lose nothing.
    func testAFastClientIsSlowedDownNotDropped() throws {
        try requireTool("nc")
        let dir = try temporaryDirectory()
        let file = dir.appendingPathComponent("many.ndjson")
        try Data(records(0..<120_000, accounts: 500).utf8).write(to: file)
        let dw = try Headless(["--listen", "tcp://127.0.0.1:0"])
        let port = try dw.address("tcp://").split(separator: ":").last!
        try sh("nc -N 127.0.0.1 \(port) < '\(file.path)'")
        try dw.wait("every line", limit: 300) { $0.counter("exchanges") == 120_000 }
        let final = dw.stop()
        XCTAssertEqual(final["exchanges"] as? Int, 120_000)
        XCTAssertEqual(final["dropped"] as? Int, 0)
        XCTAssertEqual(final["rejected"] as? Int, 0)
        XCTAssertEqual(final["duplicates"] as? Int, 0)
    }

    func testConnectionFloodIsRefusedAndCountedWhileOthersAreServed() throws {
        try requireTool("nc")
        let dw = try Headless(["--listen", "tcp://127.0.0.1:0", "--max-connections", "2"])
        let port = try dw.address("tcp://").split(separator: ":").last!
        // Two clients hold their connections open; five more arrive while they do.
        let holders = try (0..<2).map { _ in try Self.connectTCP(port: UInt16(port)!) }
        defer { for fd in holders { close(fd) } }
        try dw.wait("two holders connected") { $0.counters["connected"] as? Bool == true }
        // The holders are busy (each has just sent part of a line), so none gives its slot up.
        for fd in holders { _ = "{\"ts\":1776000000000,".withCString { send(fd, $0, strlen($0), 0) } }
        try sh("for i in 1 2 3 4 5; do nc -N 127.0.0.1 \(port) </dev/null || true; done")
        try dw.wait("five refusals") { $0.counter("dropped") == 5 }
        let final = dw.stop()
        XCTAssertEqual(final["dropped"] as? Int, 7, "five refused, and the holders' two lines cut short by the stop")
    }

    func testIdleConnectionsGiveTheirSlotsToNewSenders() throws {
        try requireTool("nc")
        let dir = try temporaryDirectory()
        let dw = try Headless(["--listen", "tcp://127.0.0.1:0", "--max-connections", "2"])
        let port = try dw.address("tcp://").split(separator: ":").last!
        // Two connections that say nothing fill the listener.
        let idle = try (0..<2).map { _ in try Self.connectTCP(port: UInt16(port)!) }
        defer { for fd in idle { close(fd) } }
        try dw.wait("two idle connections") { $0.counters["connected"] as? Bool == true }
        // A sender keeps trying: once the idle ones have been silent a while, it gets a slot.
        try assertASenderGetsIn(dw, port: port, dir: dir)
    }

    /// A sender of ten records over TCP keeps trying (each attempt until its lines are counted
    /// or it is counted as refused) until they are in; then the run stops, and the sender must
    /// have got in by taking the slot of a connection that delivered nothing.
    func assertASenderGetsIn(_ dw: Headless, port: Substring, dir: URL, line: UInt = #line) throws {
        try Data(records(0..<10).utf8).write(to: dir.appendingPathComponent("part"))
        let deadline = Date().addingTimeInterval(30)
        while dw.counter("exchanges") < 10 && Date() < deadline {
            let refusedBefore = dw.counter("dropped")
            try sh("nc -N 127.0.0.1 \(port) < '\(dir.path)/part' || true")
            let attempt = Date().addingTimeInterval(2)
            while dw.counter("exchanges") < 10 && dw.counter("dropped") == refusedBefore && Date() < attempt { usleep(20_000) }
        }
        let final = dw.stop()
        XCTAssertEqual(final["exchanges"] as? Int, 10, "the sender got in: \(final)", line: line)
        XCTAssertGreaterThanOrEqual(final["evicted_idle"] as? Int ?? 0, 1, line: line)
    }

    /// Connections that trickle a byte at a time and never finish a line are never silent, yet
    /// deliver nothing: at the limit they give their slots to a sender as idle ones do, rather
    /// than locking every sender out until their 15-minute deadline.
    func testTricklingConnectionsGiveTheirSlotsToNewSenders() throws {
        try requireTool("nc")
        let dir = try temporaryDirectory()
        let dw = try Headless(["--listen", "tcp://127.0.0.1:0", "--max-connections", "2"])
        let port = try dw.address("tcp://").split(separator: ":").last!
        let trickling = try (0..<2).map { _ in try Self.connectTCP(port: UInt16(port)!) }
        try dw.wait("two trickling connections") { $0.counters["connected"] as? Bool == true }
        let stop = DispatchSemaphore(value: 0)
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            // A byte each per 200 ms, never a newline, until the test is done.
            while stop.wait(timeout: .now() + .milliseconds(200)) == .timedOut {
                for fd in trickling { _ = "x".withCString { send(fd, $0, 1, Int32(MSG_NOSIGNAL)) } }
            }
            stopped.signal()
        }
        defer { stop.signal(); stopped.wait(); for fd in trickling { close(fd) } }
        try assertASenderGetsIn(dw, port: port, dir: dir)
    }

    // MARK: HTTP

    /// A client that half-closes its side once its request is sent (`nc -N`, socat, some
    /// shippers) still gets its answer, however long the body takes to decode, so it does not
    /// resend records that were ingested.
    func testAnHTTPClientThatHalfClosesGetsItsAnswer() throws {
        try requireTool("nc")
        let dir = try temporaryDirectory()
        let dw = try Headless(["--listen", "http://127.0.0.1:0"])
        let port = try dw.address("http://").split(separator: ":").last!
        let body = records(0..<1000)
        let request = "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        XCTAssertGreaterThan(body.utf8.count, 128 << 10, "a body decoded in several slices")
        try Data(request.utf8).write(to: dir.appendingPathComponent("request"))
        let sent = Date()
        let answer = try sh("nc -N -w 10 127.0.0.1 \(port) < '\(dir.path)/request' || true")
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200"), answer)
        XCTAssertLessThan(Date().timeIntervalSince(sent), 5, "the connection was not closed after the answer (nc waits 10 s)")
        XCTAssertTrue(answer.contains("\"accepted\":1000"), answer)
        try dw.wait("the records") { $0.counter("exchanges") == 1000 }
        dw.stop()
    }

    /// A request still arriving when the receiver is told to stop (SIGTERM from a service
    /// manager) is received, ingested and answered before the receiver exits, so its sender does
    /// not send those records again; the receiver takes no new connection meanwhile.
    func testARequestInHandAtTheStopIsAnsweredBeforeTheExit() throws {
        let dw = try Headless(["--listen", "http://127.0.0.1:0"])
        let port = UInt16(try dw.address("http://").split(separator: ":").last!)!
        let fd = try Self.connectTCP(port: port)
        defer { close(fd) }
        var wait = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        func send(_ text: String) { _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) } }
        func receive(until done: (String) -> Bool) -> String {
            var answer = ""
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !done(answer) {
                let n = recv(fd, &buffer, buffer.count, 0)
                guard n > 0 else { break }
                answer += String(decoding: buffer[..<n], as: UTF8.self)
            }
            return answer
        }
        let body = records(0..<500)
        let half = body.utf8.index(body.utf8.startIndex, offsetBy: body.utf8.count / 2)
        // The interim answer says the receiver holds the request before the stop is sent.
        send("POST /ingest HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
        XCTAssertTrue(receive { $0.contains("\r\n\r\n") }.hasPrefix("HTTP/1.1 100"))
        send(String(body[..<half]))
        kill(dw.process.processIdentifier, SIGTERM)
        try dw.wait("the listener to stop accepting", limit: 10) { _ in (try? Self.connectTCP(port: port)).map { close($0); return false } ?? true }
        send(String(body[half...]))
        let answer = receive { $0.contains("}") }
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200"), answer)
        XCTAssertTrue(answer.contains("\"accepted\":500"), answer)
        let final = dw.stop()
        XCTAssertEqual(final["exchanges"] as? Int, 500)
        XCTAssertEqual(final["dropped"] as? Int, 0)
        XCTAssertEqual(dw.process.terminationStatus, 0)
    }

    /// More idle HTTP connections than the listener takes: the ones over the limit are told
    /// 503 and counted, and a real sender still gets in once the idle ones have been silent
    /// for `evictIdleAfterSeconds`, without waiting for their 60-second idle deadline.
    func testIdleHTTPConnectionsDoNotLockSendersOut() throws {
        try requireTool("curl")
        let dir = try temporaryDirectory()
        let dw = try Headless(["--listen", "http://127.0.0.1:0"])
        let url = try dw.address("http://")
        let port = UInt16(url.split(separator: ":").last!)!
        let idle = try (0..<200).map { _ in try Self.connectTCP(port: port) }
        defer { for fd in idle { close(fd) } }
        try dw.wait("the 72 connections over the limit refused") { $0.counter("dropped") == 72 }
        try Data(records(0..<10).utf8).write(to: dir.appendingPathComponent("part"))
        let started = Date()
        var answer = ""
        while answer != "200" && Date().timeIntervalSince(started) < 30 {
            answer = try sh("curl -s -o /dev/null -w '%{http_code}' --data-binary @'\(dir.path)/part' \(url)/ingest || true")
        }
        XCTAssertEqual(answer, "200")
        XCTAssertLessThan(Date().timeIntervalSince(started), 20, "the sender waited for the idle deadline")
        try dw.wait("the sender's records") { $0.counter("exchanges") == 10 }
        let final = dw.stop()
        XCTAssertGreaterThanOrEqual(final["evicted_idle"] as? Int ?? 0, 1)
    }


    func testHTTPReceiverTakesNDJSONArraysAndGzipAndRefusesOversizedBodies() throws {
        try requireTool("curl")
        let dir = try temporaryDirectory()
        let dw = try Headless(["--listen", "http://127.0.0.1:0", "--max-body-mib", "1"])
        let url = try dw.address("http://")
        XCTAssertEqual(try sh("curl -s -o /dev/null -w '%{http_code}' \(url)/"), "200")

        try Data(records(0..<200).utf8).write(to: dir.appendingPathComponent("a.ndjson"))
        let array = "[" + records(200..<300).split(separator: "\n").joined(separator: ",") + "]"
        try Data(array.utf8).write(to: dir.appendingPathComponent("b.json"))
        try Data(records(300..<400).utf8).write(to: dir.appendingPathComponent("c.ndjson"))
        try sh("gzip -f '\(dir.path)/c.ndjson'")
        let big = String(repeating: records(0..<1), count: 1) + String(repeating: " ", count: 1_200_000) + "\n"
        try Data(big.utf8).write(to: dir.appendingPathComponent("big.ndjson"))

        XCTAssertEqual(try sh("curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/x-ndjson' --data-binary @'\(dir.path)/a.ndjson' \(url)/logs"), "200")
        XCTAssertEqual(try sh("curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @'\(dir.path)/b.json' \(url)/logs"), "200")
        XCTAssertEqual(try sh("curl -s -o /dev/null -w '%{http_code}' -H 'Content-Encoding: gzip' --data-binary @'\(dir.path)/c.ndjson.gz' \(url)/logs"), "200")
        // Chunked transfer encoding, as a streaming client sends it.
        XCTAssertEqual(try sh("curl -s -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' --data-binary @'\(dir.path)/a.ndjson' \(url)/logs"), "200")
        XCTAssertEqual(try sh("curl -s -o /dev/null -w '%{http_code}' --data-binary @'\(dir.path)/big.ndjson' \(url)/logs"), "413")
        try dw.wait("all accepted records") { $0.counter("exchanges") == 400 && $0.counter("duplicates") == 200 }
        let final = dw.stop()
        XCTAssertEqual(final["exchanges"] as? Int, 400)
        XCTAssertEqual(final["duplicates"] as? Int, 200, "the chunked resend of a.ndjson is recognised by request_id")
        XCTAssertEqual(final["dropped"] as? Int, 1, "the oversized body")
    }

    /// Bodies built to blow up a JSON parser: one element at a time, each counted, and other
    /// clients answered while a huge one is still being decoded.
    func testHostileArrayBodiesAreCountedAndDoNotStallOtherClients() throws {
        try requireTool("curl")
        let dir = try temporaryDirectory()
        let nested = dir.appendingPathComponent("nested.json")
        try Data(("[" + String(repeating: "[[[[[[[[[[]]]]]]]]]],", count: 200_000) + "[]]").utf8).write(to: nested)
        let empties = dir.appendingPathComponent("empties.json")
        // Long enough to decode that a small request, even on a loaded machine, is answered
        // while it is still being read.
        try Data(("[" + String(repeating: "{},", count: 5_000_000) + "{}]").utf8).write(to: empties)
        let dw = try Headless(["--listen", "http://127.0.0.1:0"])
        let url = try dw.address("http://")

        let nestedReply = try sh("curl -s --data-binary @'\(nested.path)' \(url)/ingest")
        XCTAssertEqual(nestedReply.trimmingCharacters(in: .whitespacesAndNewlines), #"{"accepted":0,"rejected":200001}"#, "every element is counted, none parsed as a tree")

        let big = Process()
        big.executableURL = URL(fileURLWithPath: "/bin/sh")
        big.arguments = ["-c", "curl -s -o /dev/null --data-binary @'\(empties.path)' \(url)/ingest"]
        try big.run()
        defer { if big.isRunning { big.terminate() } }
        // Once the big body is being decoded, a small request is answered before it finishes.
        try dw.wait("the big body being decoded") { $0.counter("rejected") > 200_001 }
        let small = try sh(#"printf '{"ts":1776000000000,"account_id":"probe","request_id":"probe-1"}\n' | curl -s --data-binary @- \#(url)/ingest"#)
        XCTAssertEqual(small.trimmingCharacters(in: .whitespacesAndNewlines), #"{"accepted":1,"rejected":0}"#)
        XCTAssertTrue(big.isRunning, "the small request waited for the whole big body")
        try dw.wait("the big body", limit: 120) { $0.counter("rejected") == 5_200_002 }
        big.waitUntilExit()
        // The documented bound: 256 MiB of unfinished bodies plus the process itself. Decoded
        // as trees, these two bodies took gigabytes.
        let peak = dw.peakResidentMiB
        XCTAssertNotNil(peak)
        XCTAssertLessThan(peak ?? .max, 320, "peak resident memory in MiB")
        let final = dw.stop()
        XCTAssertEqual(final["exchanges"] as? Int, 1)
        XCTAssertEqual(final["rejected"] as? Int, 5_200_002)
        XCTAssertEqual(final["dropped"] as? Int, 0)
    }

    /// An HTTP sender is answered once its records are queued; stopping must not lose what was
    /// queued and not yet ingested.
    func testAnsweredRecordsAreIngestedBeforeAStopOnSIGTERM() throws {
        try requireTool("curl")
        let dir = try temporaryDirectory()
        for part in 0..<12 {
            try Data(records(part * 5_000..<(part + 1) * 5_000, accounts: 300).utf8).write(to: dir.appendingPathComponent("part\(part).ndjson"))
        }
        let dw = try Headless(["--listen", "http://127.0.0.1:0"])
        let url = try dw.address("http://")
        // Four senders at once, so the hand-over queue is full when the last answer goes out.
        let codes = try sh("ls '\(dir.path)'/part*.ndjson | xargs -P 4 -I{} curl -s -o /dev/null -w '%{http_code}\\n' --data-binary @{} \(url)/ingest")
        XCTAssertEqual(codes.split(separator: "\n").filter { $0 == "200" }.count, 12, codes)
        let final = dw.stop()  // at once: the detector is still behind the queue
        XCTAssertEqual(final["exchanges"] as? Int, 60_000, "every answered record is counted")
        XCTAssertEqual(final["rejected"] as? Int, 0)
    }

    /// LiteLLM's proxy with only its master key reports every caller as `default_user_id`.
    func testAProxyThatHidesEveryCallerIsWarnedAboutOnce() throws {
        try requireTool("curl")
        let payload = { (i: Int, user: String) in
            #"{"id":"chatcmpl-\#(user)-\#(i)","call_type":"acompletion","startTime":\#(1776000100 + i).5,"endTime":\#(1776000102 + i).0,"model":"gpt-4o-mini","status":"success","end_user":"caller_\#(i % 4)","metadata":{"user_api_key_user_id":"\#(user)","user_api_key_hash":"88dc28"},"messages":[{"role":"user","content":"hi"}]}"#
        }
        let dw = try Headless(["--listen", "http://127.0.0.1:0"])
        let url = try dw.address("http://")
        let dir = try temporaryDirectory()
        try Data((0..<20).map { payload($0, "default_user_id") }.joined(separator: "\n").utf8).write(to: dir.appendingPathComponent("a.ndjson"))
        XCTAssertEqual(try sh("curl -s -o /dev/null -w '%{http_code}' --data-binary @'\(dir.path)/a.ndjson' \(url)/litellm"), "200")
        try dw.wait("the warning in the counters") { ($0.counters["warnings"] as? [String]) == ["litellm_master_key"] }
        // Once a real user arrives, the records no longer all share one identity.
        try Data(payload(30, "acct_real").utf8).write(to: dir.appendingPathComponent("b.ndjson"))
        XCTAssertEqual(try sh("curl -s -o /dev/null -w '%{http_code}' --data-binary @'\(dir.path)/b.ndjson' \(url)/litellm"), "200")
        try dw.wait("two accounts") { $0.counter("accounts") == 2 }
        let final = dw.stop()
        XCTAssertNil(final["warnings"])
        let warnings = dw.objects("warning")
        XCTAssertEqual(warnings.count, 1, "said once")
        XCTAssertEqual(warnings.first?["code"] as? String, "litellm_master_key")
    }

    func testLiteLLMGenericAPILoggerPostsToTheReceiver() throws {
        let script = CommandLineTests.packageRoot.appendingPathComponent("Tests/EndToEndTests/Peers/litellm_generic_api.py").path
        let check = try sh(#"python3 -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("litellm") is None)' 2>/dev/null && echo yes || echo no"#)
        guard check.hasPrefix("yes") else { throw XCTSkip("the litellm Python package is not installed (.ci/run installs it: pip install litellm)") }
        let dw = try Headless(["--listen", "http://127.0.0.1:0", "--format", "litellm"])
        let url = try dw.address("http://")
        let ndjson = try sh("python3 '\(script)' \(url)/litellm ndjson 9 2>/dev/null")
        XCTAssertTrue(ndjson.contains("posted 9"), ndjson)
        try dw.wait("nine ndjson payloads") { $0.counter("exchanges") == 9 }
        let array = try sh("python3 '\(script)' \(url)/litellm json_array 6 2>/dev/null")
        XCTAssertTrue(array.contains("posted 6"), array)
        try dw.wait("six more from a json_array") { $0.counter("exchanges") == 15 }
        let final = dw.stop()
        XCTAssertEqual(final["exchanges"] as? Int, 15)
        XCTAssertEqual(final["rejected"] as? Int, 0, "every StandardLoggingPayload maps onto a record")
        XCTAssertEqual(final["duplicates"] as? Int, 0)
        XCTAssertEqual(final["accounts"] as? Int, 3, "metadata.user_api_key_user_id is the account")
    }

    /// The README's NATS pipe, `nats sub --raw SUBJECT | distillwatch watch -`, with the real
    /// nats-server and the nats-py client printing payloads as `--raw` does.
    func testNATSMessagesPipedInAsTheReadmeShows() throws {
        try requireTool("nats-server")
        let check = try sh(#"python3 -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("nats") is None)' 2>/dev/null && echo yes || echo no"#)
        guard check.hasPrefix("yes") else { throw XCTSkip("the nats-py package is not installed (.ci/run installs it)") }
        let dir = try temporaryDirectory()
        let port = try sh(#"python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'"#)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/bin/sh")
        server.arguments = ["-c", "exec nats-server -a 127.0.0.1 -p \(port) >/dev/null 2>&1"]
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        let url = "nats://127.0.0.1:\(port)"
        let script = CommandLineTests.packageRoot.appendingPathComponent("Tests/EndToEndTests/Peers/nats_bridge.py").path
        let ready = dir.appendingPathComponent("subscribed").path

        // The server is up once it accepts a connection; then the subscriber, once.
        let up = Date().addingTimeInterval(30)
        while (try? Self.connectTCP(port: UInt16(port)!)).map({ close($0) }) == nil {
            guard Date() < up else { XCTFail("nats-server never listened on \(port)"); return }
            usleep(50_000)
        }
        let pipe = Pipe()
        let bridge = Process()
        bridge.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        bridge.arguments = ["python3", script, "sub", url, "llm.exchanges", ready]
        bridge.standardOutput = pipe
        try bridge.run()
        let subscribed = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: ready) {
            guard bridge.isRunning, Date() < subscribed else { XCTFail("the NATS subscriber never subscribed"); return }
            usleep(50_000)
        }
        defer { bridge.terminate() }
        let dw = try Headless(["-"], stdin: pipe.fileHandleForReading)

        let messages = dir.appendingPathComponent("messages.ndjson")
        try Data((records(0..<300) + "not a record\n" + records(300..<500)).utf8).write(to: messages)
        let published = try sh("python3 '\(script)' pub \(url) llm.exchanges '\(messages.path)'")
        XCTAssertTrue(published.contains("published 501"), published)
        try dw.wait("every message") { $0.counter("exchanges") == 500 && $0.counter("rejected") == 1 }
        let final = dw.stop()
        XCTAssertEqual(final["exchanges"] as? Int, 500)
        XCTAssertEqual(final["rejected"] as? Int, 1, "only the message that is not a record")
        XCTAssertEqual(final["duplicates"] as? Int, 0)
    }

    /// The real LiteLLM proxy server, started with the README's callback settings as written
    /// (only the port differs) and mocked model responses: chat completions as several end
    /// users, streamed and not, and one 429. A second callback posts the same payloads to a
    /// capture server, so every record can be checked field by field.
    func testTheLiteLLMProxyWithTheReadmeConfig() throws {
        let proxy = CommandLineTests.packageRoot.appendingPathComponent(".build/peers/litellm-proxy/bin/litellm").path
        guard FileManager.default.isExecutableFile(atPath: proxy) else {
            throw XCTSkip("the LiteLLM proxy is not installed at \(proxy) (.ci/run installs it)")
        }
        let dir = try temporaryDirectory()
        let dw = try Headless(["--listen", "http://127.0.0.1:0"])
        let url = try dw.address("http://")

        let capture = Process()
        capture.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let peers = CommandLineTests.packageRoot.appendingPathComponent("Tests/EndToEndTests/Peers").path
        let captured = dir.appendingPathComponent("captured.ndjson")
        capture.arguments = ["python3", "\(peers)/capture_posts.py", dir.appendingPathComponent("capture.port").path, captured.path]
        try capture.run()
        defer { capture.terminate() }
        let captureDeadline = Date().addingTimeInterval(30)
        var capturePort = ""
        while capturePort.isEmpty {
            guard Date() < captureDeadline else { XCTFail("the capture server did not start"); return }
            capturePort = (try? String(contentsOf: dir.appendingPathComponent("capture.port"), encoding: .utf8)) ?? ""
            usleep(50_000)
        }

        // The README's block, verbatim but for the port; a capture callback beside it.
        let readme = try String(contentsOf: CommandLineTests.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let start = readme.range(of: "# litellm config.yaml\n"),
              let end = readme.range(of: "```", range: start.upperBound..<readme.endIndex) else {
            XCTFail("the README has no LiteLLM config block"); return
        }
        var block = String(readme[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "http://127.0.0.1:4319", with: url)
        XCTAssertTrue(block.contains("callbacks: [\"distillwatch\"]"), block)
        block = block.replacingOccurrences(of: "callbacks: [\"distillwatch\"]", with: "callbacks: [\"distillwatch\", \"capture\"]")
        block += """
              capture:
                callback_type: generic_api
                endpoint: http://127.0.0.1:\(capturePort)/
                headers: {}
                log_format: ndjson

            """
        let config = """
            model_list:
              - model_name: fast
                litellm_params:
                  model: openai/gpt-4o-mini
                  api_key: sk-not-used
                  mock_response: "Here is the reasoning, step by step."
              - model_name: limited
                litellm_params:
                  model: openai/gpt-4o-mini
                  api_key: sk-not-used
                  mock_response: "litellm.RateLimitError"

            """ + block
        try Data(config.utf8).write(to: dir.appendingPathComponent("config.yaml"))

        let port = try sh(#"python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'"#)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let key = "sk-distillwatch-test-0123456789abcdef0123456789abcdef"
        let server = Process()
        server.executableURL = URL(fileURLWithPath: proxy)
        server.arguments = ["--config", dir.appendingPathComponent("config.yaml").path, "--host", "127.0.0.1", "--port", port]
        var env = ProcessInfo.processInfo.environment
        env["LITELLM_MASTER_KEY"] = key
        env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  // no network for the price map
        server.environment = env
        let log = dir.appendingPathComponent("proxy.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        server.standardOutput = try FileHandle(forWritingTo: log)
        server.standardError = server.standardOutput
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        let up = Date().addingTimeInterval(120)
        while try sh("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:\(port)/health/liveliness || true") != "200" {
            guard server.isRunning, Date() < up else {
                XCTFail("the proxy did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")"); return
            }
            usleep(200_000)
        }

        func chat(_ model: String, user: String, stream: Bool) throws -> String {
            let body = #"{"model":"\#(model)","stream":\#(stream),"user":"\#(user)","messages":[{"role":"user","content":"Explain step by step, showing your reasoning, as \#(user)"}]}"#
            return try sh("curl -s -N -o /dev/null -w '%{http_code}' http://127.0.0.1:\(port)/v1/chat/completions -H 'Authorization: Bearer \(key)' -H 'Content-Type: application/json' -d '\(body)' || true")
        }
        XCTAssertEqual(try chat("fast", user: "end_user_1", stream: false), "200")
        XCTAssertEqual(try chat("fast", user: "end_user_2", stream: false), "200")
        XCTAssertEqual(try chat("fast", user: "end_user_3", stream: true), "200")
        XCTAssertEqual(try chat("limited", user: "end_user_4", stream: false), "429")

        try dw.wait("the four calls", limit: 120) { $0.counter("exchanges") == 4 }
        try dw.wait("the master-key warning") { ($0.counters["warnings"] as? [String])?.contains("litellm_master_key") == true }
        var records: [Exchange] = []
        let adapter = RecordAdapter(format: .litellm)
        let deadline = Date().addingTimeInterval(60)
        while records.count < 4 && Date() < deadline {
            records = []
            let text = (try? Data(contentsOf: captured)) ?? Data()
            for line in text.split(separator: 0x0A) {
                Array(line).withUnsafeBytes { raw in adapter.decodeLine(raw) { if case .exchange(let e) = $0 { records.append(e) } } }
            }
            usleep(100_000)
        }
        XCTAssertEqual(records.count, 4)
        let final = dw.stop()
        XCTAssertEqual(final["rejected"] as? Int, 0)
        XCTAssertEqual(final["accounts"] as? Int, 1, "with only the master key, every caller is the proxy's one user")

        let byUser = Dictionary(records.map { ($0.endUserID ?? "?", $0) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(Set(byUser.keys), ["end_user_1", "end_user_2", "end_user_3", "end_user_4"])
        for (user, e) in byUser {
            XCTAssertEqual(e.model, user == "end_user_4" ? "limited" : "fast", "the model group the client asked for")
            XCTAssertEqual(e.accountID, records[0].accountID)
            XCTAssertNotNil(e.apiKeyID, "\(user): the key's hash")
            XCTAssertTrue(e.promptText?.contains("as \(user)") == true, "\(user): \(e.promptText ?? "no prompt")")
        }
        XCTAssertEqual(byUser["end_user_4"]?.status, .failure)
        XCTAssertEqual(byUser["end_user_4"]?.httpStatus, 429)
        for user in ["end_user_1", "end_user_2", "end_user_3"] {
            XCTAssertEqual(byUser[user]?.status, .success)
            XCTAssertGreaterThan(byUser[user]?.outputTokens ?? 0, 0, "\(user): tokens")
            XCTAssertGreaterThan(byUser[user]?.inputTokens ?? 0, 0, "\(user): tokens")
        }
    }

    func testOTLPLogsAndTracesAsTheCollectorSendsThem() throws {
        try requireTool("curl")
        let dir = try temporaryDirectory()
        let dw = try Headless(["--listen", "http://127.0.0.1:0"])
        let url = try dw.address("http://")
        func attr(_ k: String, _ v: String) -> String { "{\"key\":\"\(k)\",\"value\":{\"stringValue\":\"\(v)\"}}" }
        func int(_ k: String, _ v: Int) -> String { "{\"key\":\"\(k)\",\"value\":{\"intValue\":\"\(v)\"}}" }
        let base: Int64 = 1_776_000_000_000_000_000
        // Logs with current GenAI names; one record has no account and is refused.
        let records = (0..<20).map { i in
            "{\"timeUnixNano\":\"\(base + Int64(i) * 1_000_000_000)\",\"observedTimeUnixNano\":\"\(base)\",\"severityNumber\":9,\"body\":{\"stringValue\":\"chat\"},\"attributes\":["
                + [attr("user.id", "acct_otel_\(i % 4)"), attr("session.id", "s\(i)"), attr("client.address", "192.0.2.\(i + 1)"),
                   attr("user_agent.original", "otel-e2e"), attr("gen_ai.request.model", "m"), attr("gen_ai.response.id", "otel_\(i)"),
                   int("gen_ai.usage.input_tokens", 100), int("gen_ai.usage.output_tokens", 2000)].joined(separator: ",") + "]}"
        } + ["{\"timeUnixNano\":\"\(base)\",\"attributes\":[\(attr("gen_ai.request.model", "m"))]}"]
        let logs = "{\"resourceLogs\":[{\"resource\":{\"attributes\":[\(attr("service.name", "gateway"))]},\"scopeLogs\":[{\"scope\":{\"name\":\"gen_ai\"},\"logRecords\":[" + records.joined(separator: ",") + "]}]}]}"
        try Data(logs.utf8).write(to: dir.appendingPathComponent("logs.json"))
        try sh("gzip -f '\(dir.path)/logs.json'")
        // Traces with older names and LiteLLM's metadata.* attributes; the account is on the resource.
        let spans = (0..<10).map { i in
            "{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"eee19b7ec3c1b17\(i)\",\"name\":\"litellm_request\",\"kind\":3,\"startTimeUnixNano\":\"\(base + Int64(i) * 2_000_000_000)\",\"endTimeUnixNano\":\"\(base + Int64(i) * 2_000_000_000 + 1_500_000_000)\",\"status\":{\"code\":\(i == 0 ? 2 : 1)},\"attributes\":["
                + [attr("metadata.user_api_key_user_id", "acct_span_\(i % 2)"), attr("metadata.user_api_key_hash", "h\(i % 2)"),
                   int("gen_ai.usage.prompt_tokens", 50), int("gen_ai.usage.completion_tokens", 500), attr("gen_ai.response.id", "span_\(i)")].joined(separator: ",") + "]}"
        }
        let traces = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[]},\"scopeSpans\":[{\"scope\":{\"name\":\"litellm\"},\"spans\":[" + spans.joined(separator: ",") + "]}]}]}"
        try Data(traces.utf8).write(to: dir.appendingPathComponent("traces.json"))

        // The otlphttp exporter's request: POST, Content-Type application/json, gzip by default.
        let headers = "-H 'Content-Type: application/json' -H 'User-Agent: OpenTelemetry Collector Contrib/0.115.0 (linux/amd64)'"
        let logsReply = try sh("curl -s \(headers) -H 'Content-Encoding: gzip' --data-binary @'\(dir.path)/logs.json.gz' \(url)/v1/logs")
        XCTAssertTrue(logsReply.contains("partialSuccess") && logsReply.contains("\"1\""), logsReply)
        XCTAssertEqual(try sh("curl -s -o /dev/null -w '%{http_code}' \(headers) --data-binary @'\(dir.path)/traces.json' \(url)/v1/traces"), "200")
        XCTAssertFalse(logsReply.contains("rejectedSpans"), logsReply)
        // A span refused is reported in the traces signal's own field.
        let badSpans = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"x\",\"startTimeUnixNano\":\"\(base)\",\"attributes\":[\(attr("gen_ai.request.model", "m"))]}]}]}]}"
        try Data(badSpans.utf8).write(to: dir.appendingPathComponent("bad-spans.json"))
        let spansReply = try sh("curl -s \(headers) --data-binary @'\(dir.path)/bad-spans.json' \(url)/v1/traces")
        XCTAssertTrue(spansReply.contains("\"rejectedSpans\":\"1\"") && !spansReply.contains("rejectedLogRecords"), spansReply)
        // A body that is not protobuf is refused as OTLP says (400, not retried) and counted.
        XCTAssertEqual(try sh("curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/x-protobuf' --data-binary 'x' \(url)/v1/logs"), "400")
        try dw.wait("30 records") { $0.counter("exchanges") == 30 }
        let final = dw.stop()
        XCTAssertEqual(final["exchanges"] as? Int, 30)
        XCTAssertEqual(final["rejected"] as? Int, 3, "the log record and the span without an account, and the broken protobuf body")
        XCTAssertEqual(final["accounts"] as? Int, 6)
        XCTAssertEqual(final["dropped"] as? Int, 0)
    }

    func testOpenTelemetrySDKExportersInProtobufAndJSON() throws {
        let script = CommandLineTests.packageRoot.appendingPathComponent("Tests/EndToEndTests/Peers/otel_sdk_export.py").path
        let check = try sh(#"python3 -c 'import opentelemetry.exporter.otlp.proto.http, opentelemetry.exporter.otlp.json.http' 2>/dev/null && echo yes || echo no"#)
        guard check.hasPrefix("yes") else {
            throw XCTSkip("the OpenTelemetry exporters are not installed (.ci/run installs them from PyPI)")
        }
        let dw = try Headless(["--listen", "http://127.0.0.1:0"])
        let url = try dw.address("http://")
        // The SDK's default (protobuf), with and without gzip, and the JSON exporter.
        var expected = 0
        for (encoding, compression, count) in [("protobuf", "none", 9), ("protobuf", "gzip", 7), ("json", "gzip", 5)] {
            let out = try sh("python3 '\(script)' \(url) \(encoding) \(compression) \(count) 2>&1")
            XCTAssertTrue(out.contains("traces ok \(count)") && out.contains("logs ok \(count)"), "\(encoding) \(compression): \(out)")
            expected += 2 * count
        }
        try dw.wait("every span and log record") { $0.counter("exchanges") == expected }
        let final = dw.stop()
        XCTAssertEqual(final["exchanges"] as? Int, expected)
        XCTAssertEqual(final["rejected"] as? Int, 0)
        XCTAssertEqual(final["duplicates"] as? Int, 0)
        XCTAssertEqual(final["dropped"] as? Int, 0)
        // account.id names the account (three per encoding on spans, two on logs); user.id is
        // only the end user, so the five end users add none.
        XCTAssertEqual(final["accounts"] as? Int, 10)
    }

    func testListenersStayOnLoopbackUnlessBindSaysOtherwise() throws {
        let refused = try sh(#""$DW" watch --headless --listen tcp://0.0.0.0:0 2>&1; echo "status=$?""#)
        XCTAssertTrue(refused.contains("--bind 0.0.0.0") && refused.contains("status=2"), refused)
        // A port already taken fails before anything starts, naming the address.
        let first = try Headless(["--listen", "tcp://127.0.0.1:0"])
        let taken = try first.address("tcp://")
        let busy = try sh("\"$DW\" watch --headless --listen \(taken) 2>&1; echo \"status=$?\"")
        XCTAssertTrue(busy.contains("cannot listen on \(taken)") && busy.contains("status=2"), busy)
        first.stop()
    }

    /// `--bind` to all interfaces is said on stderr; with `--auth-token-file`, an HTTP POST
    /// without the right bearer token gets 401 and is counted as dropped, and one with it is read.
    func testNonLoopbackIsWarnedAndTheBearerTokenIsRequired() throws {
        let dir = try temporaryDirectory()
        let tokenFile = dir.appendingPathComponent("token").path
        try "s3cret-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let dw = try Headless(["--listen", "http://127.0.0.1:0", "--bind", "0.0.0.0", "--auth-token-file", tokenFile])
        let url = try dw.address("http://").replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
        try dw.wait("the warning") { $0.stderr.contains("reachable from other hosts") }
        XCTAssertFalse(dw.stderr.contains("no authentication"), dw.stderr)
        try Data(records(0..<10).utf8).write(to: dir.appendingPathComponent("body"))
        let none = try sh("curl -s -o /dev/null -w '%{http_code}' --data-binary @'\(dir.path)/body' \(url)/ingest")
        let wrong = try sh("curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer s3cret-tokem' --data-binary @'\(dir.path)/body' \(url)/ingest")
        let right = try sh("curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer s3cret-token' --data-binary @'\(dir.path)/body' \(url)/ingest")
        XCTAssertEqual([none, wrong, right], ["401", "401", "200"])
        try dw.wait("the authorised records") { $0.counter("exchanges") == 10 }
        let final = dw.stop()
        XCTAssertEqual(final["dropped"] as? Int, 2, "the two refused requests")
        XCTAssertEqual(final["exchanges"] as? Int, 10)

        let open = try Headless(["--listen", "http://127.0.0.1:0", "--bind", "0.0.0.0"])
        try open.wait("the warning without a token") { $0.stderr.contains("with no authentication") }
        open.stop()
        let empty = dir.appendingPathComponent("empty").path
        try "\n".write(toFile: empty, atomically: true, encoding: .utf8)
        let refused = try sh("\"$DW\" watch --headless --listen http://127.0.0.1:0 --auth-token-file '\(empty)' 2>&1; echo status=$?")
        XCTAssertTrue(refused.contains("must hold one token") && refused.contains("status=2"), refused)
    }

    /// Diagnostics for log collectors: one logfmt or JSON line each, escaped.
    func testDiagnosticsAsLogfmtAndJSON() throws {
        let json = try Headless(["--listen", "http://127.0.0.1:0", "--bind", "0.0.0.0", "--log-format", "json"])
        try json.wait("the exposure warning") { $0.stderr.contains("no authentication") }
        json.stop()
        let line = try XCTUnwrap(json.stderr.split(separator: "\n").first { $0.contains("no authentication") })
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
        XCTAssertEqual(object["level"] as? String, "warning")
        XCTAssertTrue((object["msg"] as? String)?.hasPrefix("listening on http://0.0.0.0:") == true, String(line))
        XCTAssertNotNil(object["ts"] as? String)

        let logfmt = try Headless(["--listen", "http://127.0.0.1:0", "--bind", "0.0.0.0", "--log-format", "logfmt"])
        try logfmt.wait("the exposure warning") { $0.stderr.contains("no authentication") }
        logfmt.stop()
        let text = try XCTUnwrap(logfmt.stderr.split(separator: "\n").first { $0.contains("no authentication") })
        XCTAssertTrue(text.hasPrefix("ts=") && text.contains(" level=warning msg=\"listening on http://0.0.0.0:"), String(text))

        let plain = try Headless(["--listen", "http://127.0.0.1:0", "--bind", "0.0.0.0"])
        try plain.wait("the exposure warning") { $0.stderr.contains("no authentication") }
        plain.stop()
        XCTAssertTrue(plain.stderr.contains("distillwatch: warning: listening on http://0.0.0.0:"), plain.stderr)
    }

    /// `--metrics` serves the Prometheus text format and a health check; HTTP listeners serve
    /// `/metrics` too. The scrape agrees with the headless counters.
    func testMetricsAndHealthAreServedAndAgreeWithTheCounters() throws {
        try requireTool("curl")
        let dir = try temporaryDirectory()
        let dw = try Headless(["--listen", "http://127.0.0.1:0", "--listen", "tcp://127.0.0.1:0", "--max-body-mib", "1",
                               "--metrics", "127.0.0.1:0", "--state", dir.appendingPathComponent("state").path])
        let ingest = try dw.address("http://")
        let tcp = try dw.address("tcp://")
        try dw.wait("the metrics listener") { $0.objects("listening").contains { $0["serves"] as? String == "metrics" } }
        let metricsURL = try XCTUnwrap(dw.objects("listening").first { $0["serves"] as? String == "metrics" }?["address"] as? String)
        try Data((records(0..<30) + "{\"broken\":\n" + records(5..<6)).utf8).write(to: dir.appendingPathComponent("body"))
        XCTAssertEqual(try sh("curl -s -o /dev/null -w '%{http_code}' --data-binary @'\(dir.path)/body' \(ingest)/ingest"), "200")
        // A body over the limit is dropped by the HTTP listener, and by no other.
        try Data(repeating: 0x20, count: 2 << 20).write(to: dir.appendingPathComponent("big"))
        XCTAssertEqual(try sh("curl -s -o /dev/null -w '%{http_code}' --data-binary @'\(dir.path)/big' \(ingest)/ingest"), "413")
        try dw.wait("the records") { $0.counter("exchanges") == 30 && $0.counter("duplicates") == 1 && $0.counter("rejected") == 1 && $0.counter("dropped") == 1 }

        // Parsed by Prometheus's own Python client where it is installed (CI installs it), else
        // by splitting sample lines.
        let parser = "import sys\nfrom prometheus_client.parser import text_string_to_metric_families as parse\n"
            + "for family in parse(sys.stdin.read()):\n    for s in family.samples:\n"
            + "        labels = ','.join(f'{k}=\"{v}\"' for k, v in sorted(s.labels.items()))\n"
            + "        print(s.name + ('{' + labels + '}' if labels else ''), s.value)\n"
        try parser.write(to: dir.appendingPathComponent("parse.py"), atomically: true, encoding: .utf8)
        let official = try sh("python3 -c 'import prometheus_client' 2>/dev/null && echo yes || echo no").hasPrefix("yes")
        func scrape(_ base: String) throws -> [String: Double] {
            var values: [String: Double] = [:]
            let text = official ? try sh("curl -s \(base)/metrics | python3 '\(dir.path)/parse.py'") : try sh("curl -s \(base)/metrics")
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: " ")
                guard parts.count == 2, let v = Double(parts[1]) else { XCTFail("not a sample line: \(line)"); continue }
                values[String(parts[0])] = v
            }
            return values
        }
        let deadline = Date().addingTimeInterval(10)
        var m = try scrape(metricsURL)
        while (m["distillwatch_exchanges_total"] != 30 || m["distillwatch_dropped_total{listener=\"\(ingest)\"}"] != 1) && Date() < deadline { usleep(100_000); m = try scrape(metricsURL) }
        XCTAssertEqual(m["distillwatch_exchanges_total"], 30)
        XCTAssertEqual(m["distillwatch_duplicates_total"], 1)
        XCTAssertEqual(m["distillwatch_unchecked_for_repeats_total"], 0, "there from the start")
        XCTAssertEqual(m["distillwatch_evicted_idle_total"], 0, "there from the start")
        XCTAssertEqual(m["distillwatch_rejected_total{reason=\"invalid_json\"}"], 1)
        XCTAssertEqual(m["distillwatch_dropped_total{listener=\"\(ingest)\"}"], 1, "the oversized body, on its listener")
        XCTAssertEqual(m["distillwatch_dropped_total{listener=\"\(tcp)\"}"], 0)
        XCTAssertEqual(m["distillwatch_accounts"], Double(dw.counter("accounts")))
        XCTAssertNotNil(m["distillwatch_clusters{verdict=\"suspect\"}"])
        XCTAssertNotNil(m["distillwatch_ingest_lag_seconds"])
        XCTAssertNotNil(m["distillwatch_checkpoint_age_seconds"], "with --state")
        XCTAssertEqual(try scrape(ingest)["distillwatch_exchanges_total"], 30, "the ingest listener serves them too")
        XCTAssertEqual(try sh("curl -s \(metricsURL)/healthz"), "ok\n")
        XCTAssertEqual(try sh("curl -s -o /dev/null -w '%{http_code}' --data-binary x \(metricsURL)/ingest"), "405", "the metrics listener takes no records")
        XCTAssertEqual(try sh("curl -s --data-binary x \(metricsURL)/ingest"), "this port serves GET /metrics and /healthz only\n",
                       "and says what it serves, not to use the method just used")
        dw.stop()
    }

    // MARK: Adapters on stdin

    func testKcatEnvelopesAndMixedFormatsOnStdin() throws {
        let dir = try temporaryDirectory()
        let inner = records(0..<5).split(separator: "\n").map { line -> String in
            let escaped = line.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "{\"topic\":\"llm-exchanges\",\"partition\":0,\"offset\":1,\"tstype\":\"create\",\"ts\":1776000000000,\"broker\":1,\"key\":null,\"payload\":\"\(escaped)\"}"
        }
        let litellm = "{\"id\":\"chatcmpl-1\",\"call_type\":\"acompletion\",\"startTime\":1776000100.5,\"endTime\":1776000102.0,\"model\":\"gpt-4o-mini\",\"prompt_tokens\":12,\"completion_tokens\":40,\"status\":\"success\",\"end_user\":\"\",\"metadata\":{\"user_api_key_user_id\":\"acct_l\",\"user_api_key_hash\":\"hash\"},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
        let text = inner.joined(separator: "\n") + "\n" + records(5..<8) + litellm + "\n{\"topic\":\"t\",\"partition\":0,\"payload\":null}\n"
        let input = dir.appendingPathComponent("in.ndjson")
        try Data(text.utf8).write(to: input)
        let dw = try Headless(["-"], stdin: try FileHandle(forReadingFrom: input))
        dw.process.waitUntilExit()
        let final = dw.stop()
        XCTAssertEqual(final["exchanges"] as? Int, 9)
        XCTAssertEqual(final["rejected"] as? Int, 1, "the envelope without a payload")
    }
}
