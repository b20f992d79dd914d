import DistillCore
import DistillFeeds
import DistillSim

/// Generates one labelled scenario in memory, runs the detector over it to the end and scores it.
public enum EvalRunner {
    public static func run(scenario: String, seed: UInt64, days: Int, scale: Double,
                           settings: DetectorSettings) throws -> (result: RunResult, snapshot: Snapshot) {
        var config = GeneratorConfig()
        config.seed = seed
        config.days = days
        config.scale = scale
        config.scenario = scenario
        let generator = try TrafficGenerator(config: config)
        let labels = try Labels(json: generator.labelsJSON())
        let detector = Detector(settings: settings)
        let traffic = CampaignTraffic(labels)
        let ingest = InMemoryIngest(detector: detector, onIngested: traffic.record)
        _ = generator.run { chunk in ingest.consume(chunk, source: "gen") }
        ingest.finish()
        let snapshot = detector.snapshot()
        var result = EvalMetrics.score(labels, Verdicts(snapshot: snapshot),
                                       scenario: scenario, seed: seed, present: accountsSeen(by: detector), traffic: traffic)
        result.exchanges = ingest.ledger.exchanges
        return (result, snapshot)
    }

    /// Every account the detector has seen send something.
    static func accountsSeen(by detector: Detector) -> Set<String> { Set(detector.accountIDs) }

    /// What a recorded log held besides its scores: its input counts, and how far its accounts
    /// and its labels' accounts are the same (scores of a log against another log's labels
    /// would mean nothing).
    public struct LogCheck: Sendable {
        public var ledger: InputLedger
        public var accountsInLog = 0
        public var unlabelledAccounts = 0
        public var labelledAccountsAbsent = 0
        /// A read error that stopped the log part-way (a damaged gzip file).
        public var inputError: String?
    }

    /// Scores a recorded log (any input `scan` reads) against its labels file's text.
    public static func run(paths: [String], labelsJSON: String, settings: DetectorSettings) throws -> (result: RunResult, snapshot: Snapshot, check: LogCheck) {
        let labels = try Labels(json: labelsJSON)
        let traffic = CampaignTraffic(labels)
        let run = try DetectionRun.run(paths: paths, settings: settings, onIngested: traffic.record)
        let snapshot = run.detector.snapshot()
        let inLog = accountsSeen(by: run.detector)
        var result = EvalMetrics.score(labels, Verdicts(snapshot: snapshot),
                                       scenario: paths.joined(separator: ","), seed: 0, present: inLog, traffic: traffic)
        result.exchanges = run.ledger.exchanges
        var check = LogCheck(ledger: run.ledger)
        check.inputError = run.inputError.map { String(describing: $0) }
        check.accountsInLog = inLog.count
        check.unlabelledAccounts = inLog.filter { labels.accounts[$0] == nil }.count
        check.labelledAccountsAbsent = labels.accounts.keys.filter { !inLog.contains($0) }.count
        return (result, snapshot, check)
    }

    /// The scenarios `eval --holdout` reports on: campaigns drawn with held-out axis values.
    public static let holdoutScenarios = ["redteam-holdout"]
}
