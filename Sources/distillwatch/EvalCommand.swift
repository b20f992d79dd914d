import ArgumentParser
import DistillCore
import DistillSim
import Foundation

/// Measures the detector on labelled traffic from the generator: precision and recall of
/// `suspect` at account level, per campaign recall and time to flag, benign kinds flagged.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score the detector on generated, labelled scenarios over several seeds."
    )

    @Option(help: "Comma-separated seeds.")
    var seeds: String = "1,2,3,4,5"

    @Option(help: "Comma-separated scenarios (see `gen --list-scenarios`).")
    var scenarios: String = "mixed"

    @Option(help: "Days of traffic per run.")
    var days: Int = 14

    @Option(help: "Population scale per run.")
    var scale: Double = 1.0

    @Option(help: "Detector sensitivity.")
    var sensitivity: DetectorSettings.Sensitivity = .balanced

    @Flag(help: "Also print every benign account flagged suspect, with its cluster's top signals.")
    var explain = false

    func run() throws {
        let seedList = try seeds.split(separator: ",").map { s -> UInt64 in
            guard let v = UInt64(s.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("bad seed '\(s)'") }
            return v
        }
        let scenarioList = scenarios.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        var total = Tally()
        var campaignRows: [String] = []
        var flagDelays: [Double] = []
        var missedCampaigns: [String] = []
        var benignFlagged: [String: Int] = [:]
        var benignTotal: [String: Int] = [:]

        print("scenario          seed  exchanges  accounts  campaign  flagged     TP     FP  precision  recall")
        for scenario in scenarioList {
            for seed in seedList {
                var config = GeneratorConfig()
                config.seed = seed
                config.days = days
                config.scale = scale
                config.scenario = scenario
                let generator = try TrafficGenerator(config: config)
                let labels = try Labels(json: generator.labelsJSON())
                let detector = Detector(settings: DetectorSettings(sensitivity: sensitivity))
                var ingest = InMemoryIngest(detector: detector)
                _ = generator.run { chunk in ingest.consume(chunk, source: "gen") }
                ingest.finish()
                let snapshot = detector.snapshot()

                var flaggedAt: [String: StreamTime] = [:]
                var clusterOf: [String: ClusterSnapshot] = [:]
                for c in snapshot.clusters where c.verdict == .suspect {
                    for a in c.accounts { flaggedAt[a] = detector.flaggedAt(account: a) ?? snapshot.streamTime ?? 0; clusterOf[a] = c }
                }
                var t = Tally()
                for (account, label) in labels.accounts {
                    let isCampaign = label.hasPrefix("campaign:")
                    let flagged = flaggedAt[account] != nil
                    if isCampaign { t.campaignAccounts += 1; if flagged { t.truePositives += 1 } }
                    else {
                        benignTotal[label, default: 0] += 1
                        if flagged {
                            t.falsePositives += 1
                            benignFlagged[label, default: 0] += 1
                            if explain, let c = clusterOf[account] {
                                print("  FP \(TextSanitizer.sanitize(label)) \(TextSanitizer.sanitize(account)) in \(TextSanitizer.sanitize(c.key)) (\(c.accounts.count) accts, risk \(c.risk)): " +
                                      c.signals.prefix(4).map { "\($0.name) \($0.weight)" }.joined(separator: ", "))
                            }
                        }
                    }
                }
                t.accounts = labels.accounts.count
                t.exchanges = ingest.ledger.exchanges
                total += t
                print(String(format: "%-16@ %5d %10d %9d %9d %8d %6d %6d %10.3f %7.3f", scenario as NSString, seed,
                             t.exchanges, t.accounts, t.campaignAccounts, t.truePositives + t.falsePositives,
                             t.truePositives, t.falsePositives, t.precision, t.recall))

                for campaign in labels.campaigns {
                    let members = labels.accounts.filter { $0.value == "campaign:\(campaign.name)" }.map(\.key)
                    let caught = members.compactMap { flaggedAt[$0] }
                    let recall = members.isEmpty ? 0 : Double(caught.count) / Double(members.count)
                    var delay = "never"
                    if let first = caught.min() {
                        let hours = Double(first - campaign.start) / 3_600_000
                        flagDelays.append(hours)
                        delay = String(format: "%.1f h", hours)
                    } else {
                        missedCampaigns.append("\(campaign.name)@\(seed)")
                    }
                    campaignRows.append(String(format: "%-16@ %5d  %-20@ %-22@ %8d %7.3f  %@", scenario as NSString, seed,
                                               campaign.name as NSString, campaign.style as NSString, members.count, recall, delay as NSString))
                }
            }
        }
        print("")
        print("scenario          seed  campaign             style                  accounts  recall  time to first flag")
        campaignRows.forEach { print($0) }
        print("")
        print("benign kinds flagged suspect (accounts flagged / accounts):")
        for kind in benignTotal.keys.sorted() {
            print("  \(kind.padding(toLength: 28, withPad: " ", startingAt: 0)) \(benignFlagged[kind] ?? 0) / \(benignTotal[kind]!)")
        }
        print("")
        let medianDelay = median(flagDelays)
        print(String(format: "overall: precision %.4f  recall %.4f  (TP %d, FP %d, campaign accounts %d)",
                     total.precision, total.recall, total.truePositives, total.falsePositives, total.campaignAccounts))
        print(String(format: "time from campaign start to first flag: median %.1f h, max %.1f h; campaigns never flagged: %d %@",
                     medianDelay ?? .nan, flagDelays.max() ?? .nan, missedCampaigns.count,
                     missedCampaigns.isEmpty ? "" : "(\(missedCampaigns.joined(separator: ", ")))"))
    }
}

struct Tally {
    var exchanges = 0, accounts = 0, campaignAccounts = 0, truePositives = 0, falsePositives = 0
    var precision: Double { truePositives + falsePositives == 0 ? 1 : Double(truePositives) / Double(truePositives + falsePositives) }
    var recall: Double { campaignAccounts == 0 ? 1 : Double(truePositives) / Double(campaignAccounts) }
    static func += (a: inout Tally, b: Tally) {
        a.exchanges += b.exchanges; a.accounts += b.accounts; a.campaignAccounts += b.campaignAccounts
        a.truePositives += b.truePositives; a.falsePositives += b.falsePositives
    }
}

func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// The generator's labels file.
struct Labels {
    struct Campaign { var name: String; var style: String; var start: StreamTime }
    var accounts: [String: String]
    var campaigns: [Campaign]

    init(json: String) throws {
        guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let accounts = object["accounts"] as? [String: String] else {
            throw ValidationError("labels are not in the expected shape")
        }
        self.accounts = accounts
        campaigns = (object["campaigns"] as? [[String: Any]] ?? []).compactMap { c in
            guard let name = c["name"] as? String, let start = (c["start"] as? String).flatMap(Timestamp.parseRFC3339) else { return nil }
            return Campaign(name: name, style: c["style"] as? String ?? "", start: start)
        }
    }
}
