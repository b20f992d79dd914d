import ArgumentParser
import DistillCore
import DistillEval
import DistillFeeds
import DistillSim
import Foundation

/// Throughput of the decoder alone and of the whole scan (decode + dedupe + detector), on
/// generated traffic held in memory so the disk is not measured. One thread: one core.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure decode and scan throughput on generated traffic (median of several runs)."
    )

    @Option(help: "Exchanges to generate, 1 to 10,000,000 (held in memory, about 700 bytes each).")
    var exchanges: Int = 1_000_000

    @Option(help: "Timed runs of each measurement; the median is reported.")
    var runs: Int = 5

    @Option(help: "Generator seed.")
    var seed: UInt64 = 7

    @Option(help: "Generator scenario.")
    var scenario: String = "mixed"

    static let maxExchanges = 10_000_000

    func validate() throws {
        // The generated lines are held in memory: past this the machine, not the code, is measured.
        guard (1...Self.maxExchanges).contains(exchanges) else {
            throw ValidationError("--exchanges must be between 1 and \(Self.maxExchanges) (the lines are held in memory, about 700 bytes each)")
        }
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
        guard Scenarios.names.contains(scenario) else {
            throw ValidationError("unknown --scenario '\(scenario)'; choose one of: \(Scenarios.names.joined(separator: ", ")).")
        }
    }

    func run() throws {
        var config = GeneratorConfig()
        config.seed = seed
        config.scenario = scenario
        config.days = 60
        config.maxExchanges = exchanges
        let generator = try TrafficGenerator(config: config)
        var data: [UInt8] = []
        data.reserveCapacity(exchanges * 700)
        _ = generator.run { chunk in data.append(contentsOf: chunk) }
        var lines = 0
        data.withUnsafeBytes { buffer in forEachLine(in: buffer) { _, _ in lines += 1 } }
        let megabytes = Double(data.count) / 1_000_000
        try line("input: \(lines) generated lines, \(String(format: "%.1f", megabytes)) MB (\(data.count / max(1, lines)) bytes/line), scenario \(scenario), seed \(seed)")

        // Decode only.
        let decoder = ExchangeDecoder()
        var decodeTimes: [Double] = []
        var accepted = 0
        for _ in 0..<runs {
            accepted = 0
            let started = DispatchTime.now().uptimeNanoseconds
            data.withUnsafeBytes { buffer in
                forEachLine(in: buffer) { line, _ in
                    if case .exchange = decoder.decode(line) { accepted += 1 }
                }
            }
            decodeTimes.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        }
        let decodeMedian = median(decodeTimes)!
        try line(String(format: "decode: median %.3f s  →  %.0f MB/s, %.0f exchanges/s  (%d accepted; runs: %@)",
                     decodeMedian, megabytes / decodeMedian, Double(lines) / decodeMedian, accepted,
                     decodeTimes.map { String(format: "%.3f", $0) }.joined(separator: " ")))

        // Whole scan: decode, dedupe, detector, final snapshot.
        var scanTimes: [Double] = []
        var suspects = 0
        for _ in 0..<runs {
            let started = DispatchTime.now().uptimeNanoseconds
            let detector = Detector()
            let ingest = InMemoryIngest(detector: detector)
            data.withUnsafeBytes { ingest.consume($0, source: "bench") }
            ingest.finish()
            suspects = detector.snapshot().suspectCount
            scanTimes.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        }
        let scanMedian = median(scanTimes)!
        try line(String(format: "scan:   median %.3f s  →  %.0f exchanges/s, %.0f MB/s  (%d suspect clusters; runs: %@)",
                     scanMedian, Double(lines) / scanMedian, megabytes / scanMedian, suspects,
                     scanTimes.map { String(format: "%.3f", $0) }.joined(separator: " ")))
    }

    /// A line of the measurements; one that cannot be written ends the run with status 2.
    private func line(_ text: String) throws { try writeStandardOutput(text + "\n") }
}
