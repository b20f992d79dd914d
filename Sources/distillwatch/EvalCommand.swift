import ArgumentParser
import DistillCore
import DistillEval
import DistillSim
import Foundation

/// Measures the detector on labelled traffic from the generator: precision and recall of
/// `suspect` at account level, per campaign recall, cohesion and time to flag, benign kinds flagged.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score the detector on generated, labelled scenarios over several seeds."
    )

    @Option(help: "Comma-separated seeds.")
    var seeds: String = "1,2,3,4,5"

    @Option(help: "Comma-separated scenarios (see `gen --list-scenarios`).")
    var scenarios: String = "mixed"

    @Flag(help: "Report on the hold-out: red-team campaigns drawn with axis values never used while tuning (replaces --scenarios).")
    var holdout = false

    @Option(help: "Score a recorded log against its labels instead of generating traffic (with --labels).")
    var log: String?

    @Option(help: "The labels file of --log (as written by `gen --labels`).")
    var labels: String?

    @Option(help: "Days of traffic per run.")
    var days: Int = 14

    @Option(help: "Population scale per run.")
    var scale: Double = 1.0

    @Option(help: "Detector sensitivity.")
    var sensitivity: DetectorSettings.Sensitivity = .balanced

    @Flag(help: "Also print every benign account flagged suspect, with its cluster's top signals.")
    var explain = false

    func validate() throws {
        for name in scenarioList where !Scenarios.names.contains(name) {
            throw ValidationError("unknown scenario '\(TextSanitizer.sanitize(name))'; known: \(Scenarios.names.joined(separator: ", "))")
        }
        if (log == nil) != (labels == nil) { throw ValidationError("--log and --labels go together") }
        // No run at all would score as perfect: 0 of 0 wrongly flagged, 0 of 0 missed.
        if log == nil && scenarioList.isEmpty { throw ValidationError("--scenarios names no scenario") }
        if log == nil, try seedList().isEmpty { throw ValidationError("--seeds names no seed") }
        // A seed or scenario run twice would weigh its accounts twice in the scores. A scored
        // log runs neither.
        if log == nil {
            if let seed = Self.firstRepeated(try seedList()) { throw ValidationError("--seeds names seed \(seed) more than once") }
            if let name = Self.firstRepeated(scenarioList) {
                throw ValidationError("--scenarios names '\(TextSanitizer.sanitize(name))' more than once")
            }
        }
        guard days >= 1 && days <= 366 else { throw ValidationError("--days must be between 1 and 366") }
        guard scale.isFinite && scale > 0 && scale <= 50 else { throw ValidationError("--scale must be greater than 0 and at most 50") }
    }

    /// What the scores leave out: lines not scored, and accounts the labels do not cover.
    static func say(_ check: EvalRunner.LogCheck, log: String) throws {
        let ledger = check.ledger
        let name = TextSanitizer.sanitize(log)
        if let error = check.inputError {
            // The accounts after the damage would drop out of the scores rather than count as missed.
            printDiagnostic("\(name) cannot be scored: input stopped early: \(error)")
            throw ExitCode(2)
        }
        if ledger.rejectedTotal > 0 {
            let reasons = ledger.rejectedByReason.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) \($0.value)" }
            printDiagnostic("\(ledger.rejectedTotal) line\(ledger.rejectedTotal == 1 ? "" : "s") of \(name) rejected and not scored (\(reasons.joined(separator: ", ")))", level: .warning)
        }
        if ledger.duplicates > 0 {
            printDiagnostic("\(ledger.duplicates) repeated request_id\(ledger.duplicates == 1 ? "" : "s") in \(name) counted once", level: .warning)
        }
        if check.accountsInLog - check.unlabelledAccounts == 0 {
            // Said here, after the run, with this command's status for unusable input.
            printDiagnostic("no account of \(name) is in the labels: they are another log's")
            throw ExitCode(2)
        }
        if check.unlabelledAccounts > 0 {
            printDiagnostic("the labels do not match the log: \(check.unlabelledAccounts) of its \(check.accountsInLog) accounts have no label", level: .warning)
        }
        if check.labelledAccountsAbsent > 0 {
            printDiagnostic("\(check.labelledAccountsAbsent) labelled account\(check.labelledAccountsAbsent == 1 ? "" : "s") never appear\(check.labelledAccountsAbsent == 1 ? "s" : "") in \(name) and \(check.labelledAccountsAbsent == 1 ? "is" : "are") not scored", level: .warning)
        }
    }

    /// Scores `log` against `labels`; either one unusable is said, with status 2.
    static func score(log: String, labels: String, settings: DetectorSettings) throws -> (RunResult, Snapshot) {
        let text: String
        do { text = try String(contentsOfFile: labels, encoding: .utf8) } catch {
            printDiagnostic("cannot read labels '\(TextSanitizer.sanitize(labels))'")
            throw ExitCode(2)
        }
        let result: (result: RunResult, snapshot: Snapshot, check: EvalRunner.LogCheck)
        do { result = try EvalRunner.run(paths: [log], labelsJSON: text, settings: settings) } catch let error as Labels.ShapeError {
            printDiagnostic("cannot read labels '\(TextSanitizer.sanitize(labels))': \(error.description) (as `gen --labels` writes them)")
            throw ExitCode(2)
        } catch {
            printDiagnostic("\(error)")
            throw ExitCode(2)
        }
        try say(result.check, log: log)
        return (result.result, result.snapshot)
    }

    static func firstRepeated<T: Hashable>(_ values: [T]) -> T? {
        var seen = Set<T>()
        return values.first { !seen.insert($0).inserted }
    }

    private var scenarioList: [String] {
        holdout ? EvalRunner.holdoutScenarios : scenarios.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
    }

    private func seedList() throws -> [UInt64] {
        try seeds.split(separator: ",").map { s -> UInt64 in
            guard let v = UInt64(s.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("bad seed '\(TextSanitizer.sanitize(String(s)))'") }
            return v
        }
    }

    /// Left-aligned in `width` columns: Foundation on Linux ignores a width given to `%@`.
    static func left(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    func run() throws {
        let settings = DetectorSettings(sensitivity: sensitivity)
        var runs: [RunResult] = []
        // A recorded log is scored before anything is printed, so that a log or labels file
        // that cannot be used leaves standard output empty and exits 2, as bad input does.
        let logRun: (RunResult, Snapshot)?
        if let log, let labels { logRun = try Self.score(log: log, labels: labels, settings: settings) } else { logRun = nil }
        if holdout { try line("hold-out: campaigns drawn with axis values never used while tuning") }
        var jobs: [(String, UInt64)] = []
        if log == nil { for scenario in scenarioList { for seed in try seedList() { jobs.append((scenario, seed)) } } }
        else { jobs = [(log!, 0)] }
        // A log's path names its rows, and may be longer than any scenario's name.
        let scenarioWidth = max(16, jobs.map { TextSanitizer.sanitize($0.0).count }.max() ?? 0)
        try line("\(Self.left("scenario", scenarioWidth))  seed  exchanges  accounts  campaign  flagged     TP     FP  precision  recall")
        for (scenario, seed) in jobs {
            do {
                let (r, snapshot): (RunResult, Snapshot)
                if let logRun {
                    (r, snapshot) = logRun
                } else {
                    (r, snapshot) = try EvalRunner.run(scenario: scenario, seed: seed, days: days, scale: scale, settings: settings)
                }
                runs.append(r)
                try line(String(format: "%@ %5d %10d %9d %9d %8d %6d %6d %10.3f %7.3f", Self.left(TextSanitizer.sanitize(scenario), scenarioWidth) as NSString, seed,
                             r.exchanges, r.accounts, r.campaignAccounts, r.truePositives + r.falsePositives,
                             r.truePositives, r.falsePositives, r.precision, r.recall))
                if explain {
                    for fp in r.falsePositiveAccounts where fp.cluster >= 0 {
                        let c = snapshot.clusters[fp.cluster]
                        try line("  FP \(TextSanitizer.sanitize(fp.label)) \(TextSanitizer.sanitize(fp.account)) in \(TextSanitizer.sanitize(c.key)) (\(c.accounts.count) accts, risk \(c.risk)): " +
                              c.signals.prefix(4).map { "\($0.name) \($0.weight)" }.joined(separator: ", ") +
                              "; ties: " + c.ties.map { "\($0.kind.name) \($0.accounts)" }.joined(separator: ", "))
                    }
                }
            }
        }
        try line("")
        let nameWidth = max(14, runs.flatMap(\.campaigns).map { TextSanitizer.sanitize($0.name).count }.max() ?? 0)
        try line("\(Self.left("scenario", scenarioWidth))  seed  \(Self.left("campaign", nameWidth)) accounts  recall  cohesion  time to first flag  sent by then     style")
        for r in runs {
            for c in r.campaigns {
                try line(String(format: "%@ %5d  %@ %8d %7.3f %9.3f  %@  %@  %@", Self.left(TextSanitizer.sanitize(r.scenario), scenarioWidth) as NSString, r.seed, Self.left(TextSanitizer.sanitize(c.name), nameWidth) as NSString,
                             c.accounts, c.recall, c.cohesion, Self.left(c.hoursToFlag.map { String(format: "%.1f h", $0) } ?? "never", 18) as NSString,
                             Self.left(c.shareSentBeforeFlag.map { String(format: "%.1f%% (%d)", $0 * 100, c.sentBeforeFlag ?? 0) } ?? "-", 15) as NSString,
                             TextSanitizer.sanitize(c.style) as NSString))
            }
        }
        try line("")
        try line("benign kinds flagged suspect (accounts flagged / accounts; and flagged at any evaluation, when any were):")
        var benign: [String: (Int, Int)] = [:]
        var ever: [String: Int] = [:]
        for r in runs {
            for (k, v) in r.benign { let e = benign[k] ?? (0, 0); benign[k] = (e.0 + v.flagged, e.1 + v.total) }
            for (k, n) in r.benignEverFlaggedByKind { ever[k, default: 0] += n }
        }
        for kind in benign.keys.sorted() {
            let once = ever[kind].map { "   (\($0) at some evaluation)" } ?? ""
            try line("  \(Self.left(TextSanitizer.sanitize(kind), 28)) \(benign[kind]!.0) / \(benign[kind]!.1)\(once)")
        }
        try line("")
        let s = EvalSummary(runs)
        try line(String(format: "overall: precision %.4f  recall %.4f  (TP %d, FP %d, campaign accounts %d)",
                     s.precision, s.recall, s.truePositives, s.falsePositives, s.campaignAccounts))
        try line("benign accounts flagged at any evaluation, suspect at the end or not: \(s.benignEverFlagged)")
        try line(String(format: "campaigns: worst recall %.3f, worst cohesion %.3f", s.worstCampaignRecall, s.worstCohesion))
        try line(String(format: "time from campaign start to first flag: median %.1f h, max %.1f h; campaigns never flagged: %d %@",
                     s.medianHoursToFlag ?? .nan, s.hoursToFlag.max() ?? .nan, s.missed.count,
                     s.missed.isEmpty ? "" : "(\(s.missed.map { TextSanitizer.sanitize($0) }.joined(separator: ", ")))"))
        if let typical = median(s.sharesSentBeforeFlag), let worst = s.sharesSentBeforeFlag.max(),
           let count = median(s.campaigns.compactMap { $0.result.sentBeforeFlag.map(Double.init) }) {
            try line(String(format: "share of a campaign's exchanges sent by its first flag: median %.1f%%, worst %.1f%%; median count %.0f",
                         typical * 100, worst * 100, count))
        }
    }

    /// A line of the report; one that cannot be written ends the run with status 2.
    private func line(_ text: String) throws { try writeStandardOutput(text + "\n") }
}
