import ArgumentParser
import DistillSim
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `distillwatch gen`: writes labelled synthetic traffic as NDJSON.
struct GenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen",
        abstract: "Generate deterministic, labelled LLM-API traffic (benign populations and distillation campaigns) as NDJSON."
    )

    @Option(help: "Random seed; the same options give byte-identical output.")
    var seed: UInt64 = 7

    @Option(help: "Length of the window in days (1-366).")
    var days: Int = 14

    @Option(help: "Multiplies population sizes (0 < scale <= 50).")
    var scale: Double = 1.0

    @Option(help: "Scenario to generate (see --list-scenarios).")
    var scenario: String = "mixed"

    @Option(help: "Start of the window, RFC 3339 (e.g. 2026-04-20T00:00:00Z), in the years 1971 to 8999.")
    var start: String = "2026-04-20T00:00:00Z"

    @Option(help: "Write the ground-truth labels (JSON) to this file.")
    var labels: String?

    @Option(name: .shortAndLong, help: "Write NDJSON here instead of standard output.")
    var output: String?

    @Option(help: "Stop after this many lines.")
    var maxExchanges: Int?

    @Flag(help: "List the scenarios and exit.")
    var listScenarios = false

    func validate() throws {
        if listScenarios { return }
        guard days >= 1 && days <= 366 else { throw ValidationError("--days must be between 1 and 366 (got \(days)).") }
        guard scale.isFinite && scale > 0 && scale <= 50 else { throw ValidationError("--scale must be > 0 and <= 50 (got \(scale)).") }
        guard let startMillis = SimTime.parseRFC3339(start) else {
            throw ValidationError("--start must be an RFC 3339 time such as 2026-04-20T00:00:00Z (got '\(start)').")
        }
        guard TrafficGenerator.startRange.contains(startMillis) else {
            throw ValidationError("--start must be in the years 1971 to 8999 (got '\(start)').")
        }
        guard Scenarios.names.contains(scenario) else {
            throw ValidationError("unknown --scenario '\(scenario)'; choose one of: \(Scenarios.names.joined(separator: ", ")).")
        }
        if let m = maxExchanges, m < 0 { throw ValidationError("--max-exchanges must not be negative (got \(m)).") }
        if let o = output, o.isEmpty { throw ValidationError("--output must not be empty.") }
        if let l = labels, l.isEmpty { throw ValidationError("--labels must not be empty.") }
    }

    func run() throws {
        if listScenarios {
            for name in Scenarios.names {
                try writeStandardOutput("\(name)\t\(Scenarios.describe(name) ?? "")\n")
            }
            return
        }
        let config = GeneratorConfig(seed: seed, days: days, scale: scale, scenario: scenario,
                                     startMillis: SimTime.parseRFC3339(start)!, maxExchanges: maxExchanges)
        let generator: TrafficGenerator
        do { generator = try TrafficGenerator(config: config) } catch { throw ValidationError("\(error)") }

        if let path = labels {
            let fd = try openForWriting(path)
            let ok = Array(generator.labelsJSON().utf8).withUnsafeBytes { writeAll(fd, $0) }
            if close(fd) != 0 || !ok { throw failure("writing \(path) failed: \(String(cString: strerror(errno)))") }
        }
        let fd: Int32 = try output.map { try openForWriting($0) } ?? 1
        var failed = false
        let summary = generator.run { chunk in
            if !failed && !writeAll(fd, chunk) { failed = true }
        }
        let closeFailed = output != nil && close(fd) != 0
        if failed || closeFailed { throw failure("writing the output failed: \(String(cString: strerror(errno)))") }
        func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
        let msg = "gen: \(count(summary.exchanges, "exchange")), \(count(summary.accounts, "account")), \(count(summary.bytes, "byte")) (scenario \(scenario), seed \(seed), \(days) day\(days == 1 ? "" : "s"))\n"
        _ = Array(msg.utf8).withUnsafeBytes { writeAll(2, $0) }
    }

    private func openForWriting(_ path: String) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 { throw failure("cannot open \(path) for writing: \(String(cString: strerror(errno)))") }
        return fd
    }

    /// Output that cannot be written is said and ends the command with status 2, as in every command.
    private func failure(_ message: String) -> ExitCode {
        printDiagnostic(message)
        return ExitCode(2)
    }
}

/// Writes the whole buffer (1 MiB chunks from the generator), retrying short writes.
func writeAll(_ fd: Int32, _ buf: UnsafeRawBufferPointer) -> Bool {
    guard var p = buf.baseAddress else { return true }
    var left = buf.count
    while left > 0 {
        let n = write(fd, p, left)
        if n < 0 {
            if errno == EINTR { continue }
            return false
        }
        p += n
        left -= n
    }
    return true
}
struct GenError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
