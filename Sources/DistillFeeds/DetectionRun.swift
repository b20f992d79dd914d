import DistillCore

/// Reads every input file to the end through one detector (`scan`, and the reference a
/// replay is checked against); `bench` and `eval` feed in-memory generator output through
/// `InMemoryIngest` instead.
public struct DetectionRun {
    public var ledger = InputLedger()
    public let detector: Detector
    /// An input error met part-way (a corrupt gzip member); what was read before it counts.
    public var inputError: Error?
    /// Exchanges read but outside the `--from`/`--until` window.
    public var outsideWindow = 0
    /// Sources that ended in bytes that were not gzip data, said as messages.
    public var trailingWarnings: [String] = []

    /// Small enough that a batch's decoded records (~1 KB each) are still in the CPU's cache when
    /// the detector reads them: with 4,096 they were not, and `scan` was 7–15% slower.
    public static let batchSize = 256

    public init(settings: DetectorSettings) {
        detector = Detector(settings: settings)
    }

    /// Goes on from a saved state: its detector, and its ledger with the duplicate window.
    public init(resuming state: DetectionState) {
        detector = state.detector
        ledger = state.ledger
    }

    /// Runs `paths` to the end, from `state` when given (else from nothing). Opening errors
    /// throw before any work.
    public static func run(paths: [String], settings: DetectorSettings, window: StreamWindow = .all,
                           resuming state: DetectionState? = nil, format: RecordFormat = .canonical,
                           threads: Int = 1) throws -> DetectionRun {
        // Decoding goes to other threads for one canonical file; merging sources by time and the
        // adapters stay on one.
        if threads > 1 && paths.count == 1 && paths[0] != "-" && format == .canonical {
            return try runDecodingInParallel(path: paths[0], threads: threads, settings: settings, window: window, resuming: state)
        }
        let stream = try ExchangeStream(paths: paths, format: format)
        var run = state.map(DetectionRun.init(resuming:)) ?? DetectionRun(settings: settings)
        var batch: [Exchange] = []
        batch.reserveCapacity(batchSize)
        do {
            while try stream.nextBatch(into: &batch, maxCount: batchSize, ledger: &run.ledger) {
                run.ingest(&batch, window)
            }
        } catch {
            run.ingest(&batch, window)
            run.inputError = error
        }
        run.trailingWarnings = stream.trailingWarnings
        return run
    }

    mutating func ingest(_ batch: inout [Exchange], _ window: StreamWindow) {
        if !window.isAll {
            let before = batch.count
            batch.removeAll { !window.contains($0.ts) }
            outsideWindow += before - batch.count
        }
        detector.ingest(draining: &batch)
    }
}
