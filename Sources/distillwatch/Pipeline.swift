import DistillCore
import DistillFeeds

/// Reads every input file to the end through one detector (`scan`); `bench` and `eval` feed
/// in-memory generator output through `InMemoryIngest` instead.
struct DetectionRun {
    var ledger = InputLedger()
    let detector: Detector
    /// An input error met part-way (a corrupt gzip member); what was read before it counts.
    var inputError: Error?

    static let batchSize = 4096

    init(settings: DetectorSettings) {
        detector = Detector(settings: settings)
    }

    /// Runs `paths` to the end. Opening errors throw before any work.
    static func run(paths: [String], settings: DetectorSettings) throws -> DetectionRun {
        let stream = try ExchangeStream(paths: paths)
        var run = DetectionRun(settings: settings)
        var batch: [Exchange] = []
        batch.reserveCapacity(batchSize)
        do {
            while try stream.nextBatch(into: &batch, maxCount: batchSize, ledger: &run.ledger) {
                run.detector.ingest(draining: &batch)
            }
        } catch {
            run.detector.ingest(batch)
            run.inputError = error
        }
        return run
    }
}
