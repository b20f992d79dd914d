import DistillCore
import Foundation

/// The generator's labels file: every account's ground truth and each campaign's start.
public struct Labels: Sendable {
    public struct Campaign: Sendable, Equatable {
        public var name: String
        public var style: String
        public var start: StreamTime
        public init(name: String, style: String, start: StreamTime) { self.name = name; self.style = style; self.start = start }
    }
    /// Account id → `benign:<kind>` or `campaign:<name>`.
    public var accounts: [String: String]
    public var campaigns: [Campaign]

    public init(accounts: [String: String], campaigns: [Campaign]) {
        self.accounts = accounts; self.campaigns = campaigns
    }

    public struct ShapeError: Error, CustomStringConvertible { public var description: String }

    public init(json: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let accounts = object["accounts"] as? [String: String] else {
            throw ShapeError(description: "labels are not in the expected shape")
        }
        self.accounts = accounts
        campaigns = (object["campaigns"] as? [[String: Any]] ?? []).compactMap { c in
            guard let name = c["name"] as? String, let start = (c["start"] as? String).flatMap(Timestamp.parseRFC3339) else { return nil }
            return Campaign(name: name, style: c["style"] as? String ?? "", start: start)
        }
    }
}

/// What the detector concluded, reduced to what the metrics read: when each account was first
/// `suspect`, and which suspect cluster holds it now.
public struct Verdicts: Sendable {
    public var flaggedAt: [String: StreamTime] = [:]
    /// Accounts that were in a `suspect` cluster at some evaluation, wherever they are now: an
    /// alert went out for each, even if its cluster fell back to `watch` or `clear` later.
    public var everFlagged: Set<String> = []
    public var clusterOf: [String: Int] = [:]
    public var clusters: [ClusterSnapshot] = []

    public init() {}

    /// From a final snapshot. Each account's first flag time is its own where the snapshot
    /// carries member figures (a saved or hand-built one may not: the cluster's own flag time
    /// stands in).
    public init(snapshot: Snapshot) {
        clusters = snapshot.clusters
        for c in snapshot.clusters {
            for m in c.members where m.flaggedAt != nil { everFlagged.insert(m.account) }
        }
        for (i, c) in snapshot.clusters.enumerated() where c.verdict == .suspect {
            let members = c.members.count == c.accounts.count ? c.members : []
            for (k, a) in c.accounts.enumerated() {
                flaggedAt[a] = (members.isEmpty ? nil : members[k].flaggedAt) ?? c.flaggedAt ?? snapshot.streamTime ?? 0
                everFlagged.insert(a)
                clusterOf[a] = i
            }
        }
    }
}

public struct CampaignResult: Sendable, Equatable {
    public var name: String
    public var style: String
    public var accounts: Int
    public var recall: Double
    /// The share of the campaign's accounts held by its largest suspect cluster: one operation
    /// shown as one row is 1.0; the same operation split over many rows is low.
    public var cohesion: Double
    /// Hours from the campaign's start to its first flagged account; nil if never flagged.
    public var hoursToFlag: Double?
    /// Exchanges its accounts sent in the run, and how many of them at or before its first flag
    /// (all, if never flagged): what it had harvested by the time anyone was told. Nil when the
    /// records were not counted.
    public var exchanges: Int?
    public var sentBeforeFlag: Int?
    public var shareSentBeforeFlag: Double? {
        guard let exchanges, let sentBeforeFlag, exchanges > 0 else { return nil }
        return Double(sentBeforeFlag) / Double(exchanges)
    }
}

/// The times of the exchanges each campaign's accounts sent, gathered as the detector reads them.
public final class CampaignTraffic {
    private let campaignOf: [String: Int]
    public let names: [String]
    private var times: [[StreamTime]]

    public init(_ labels: Labels) {
        names = labels.campaigns.map(\.name)
        let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var campaignOf: [String: Int] = [:]
        for (account, label) in labels.accounts where label.hasPrefix("campaign:") {
            if let i = index[String(label.dropFirst("campaign:".count))] { campaignOf[account] = i }
        }
        self.campaignOf = campaignOf
        times = Array(repeating: [], count: names.count)
    }

    public func record(_ batch: [Exchange], _ range: Range<Int>) {
        for i in range {
            if let c = campaignOf[batch[i].accountID] { times[c].append(batch[i].ts) }
        }
    }

    /// Per campaign name: exchanges sent, and how many at or before `time`.
    func counts(of name: String, before time: StreamTime?) -> (all: Int, before: Int)? {
        guard let i = names.firstIndex(of: name) else { return nil }
        let t = times[i]
        guard let time else { return (t.count, t.count) }
        return (t.count, t.reduce(0) { $0 + ($1 <= time ? 1 : 0) })
    }
}

/// One scenario and seed, scored.
public struct RunResult: Sendable {
    public var scenario: String
    public var seed: UInt64
    public var exchanges = 0
    public var accounts = 0
    public var campaignAccounts = 0
    public var truePositives = 0
    public var falsePositives = 0
    public var campaigns: [CampaignResult] = []
    /// Label → (flagged, total) for benign accounts.
    public var benign: [String: (flagged: Int, total: Int)] = [:]
    /// Label → benign accounts of that kind flagged at some evaluation, whether or not they are
    /// still `suspect` at the end: the alerts an analyst was paged for about people.
    public var benignEverFlaggedByKind: [String: Int] = [:]
    public var benignEverFlagged: Int { benignEverFlaggedByKind.values.reduce(0, +) }
    /// Benign accounts flagged, with the cluster that holds them.
    public var falsePositiveAccounts: [(label: String, account: String, cluster: Int)] = []

    public var precision: Double { truePositives + falsePositives == 0 ? 1 : Double(truePositives) / Double(truePositives + falsePositives) }
    public var recall: Double { campaignAccounts == 0 ? 1 : Double(truePositives) / Double(campaignAccounts) }

    public init(scenario: String, seed: UInt64) { self.scenario = scenario; self.seed = seed }
}

public enum EvalMetrics {
    /// Scores `verdicts` against `labels`: account-level precision and recall of `suspect`, and
    /// per campaign its recall, cohesion and time to first flag. With `present`, only the
    /// labelled accounts that sent traffic are scored: a generator labels every account it makes,
    /// and one that never sent a request is in no log, so no detector could be asked to find it.
    /// A campaign none of whose accounts sent anything is left out.
    public static func score(_ labels: Labels, _ verdicts: Verdicts, scenario: String, seed: UInt64,
                             present: Set<String>? = nil, traffic: CampaignTraffic? = nil) -> RunResult {
        var r = RunResult(scenario: scenario, seed: seed)
        var scored = labels.accounts
        if let present { scored = scored.filter { present.contains($0.key) } }
        r.accounts = scored.count
        for (account, label) in scored.sorted(by: { $0.key < $1.key }) {
            let flagged = verdicts.flaggedAt[account] != nil
            if label.hasPrefix("campaign:") {
                r.campaignAccounts += 1
                if flagged { r.truePositives += 1 }
            } else {
                if verdicts.everFlagged.contains(account) { r.benignEverFlaggedByKind[label, default: 0] += 1 }
                var entry = r.benign[label] ?? (0, 0)
                entry.total += 1
                if flagged {
                    entry.flagged += 1
                    r.falsePositives += 1
                    r.falsePositiveAccounts.append((label, account, verdicts.clusterOf[account] ?? -1))
                }
                r.benign[label] = entry
            }
        }
        var members: [String: [String]] = [:]
        for (account, label) in scored where label.hasPrefix("campaign:") {
            members[String(label.dropFirst("campaign:".count)), default: []].append(account)
        }
        for campaign in labels.campaigns {
            let mine = members[campaign.name] ?? []
            if present != nil && mine.isEmpty { continue }
            let caught = mine.compactMap { verdicts.flaggedAt[$0] }
            var perCluster: [Int: Int] = [:]
            for a in mine { if let c = verdicts.clusterOf[a] { perCluster[c, default: 0] += 1 } }
            let largest = perCluster.values.max() ?? 0
            let firstFlag = caught.min()
            let sent = traffic?.counts(of: campaign.name, before: firstFlag)
            r.campaigns.append(CampaignResult(
                name: campaign.name, style: campaign.style, accounts: mine.count,
                recall: mine.isEmpty ? 0 : Double(caught.count) / Double(mine.count),
                cohesion: mine.isEmpty ? 0 : Double(largest) / Double(mine.count),
                hoursToFlag: firstFlag.map { Double($0 - campaign.start) / 3_600_000 },
                exchanges: sent?.all, sentBeforeFlag: sent?.before))
        }
        return r
    }
}

/// Several runs together: the figures a release is judged on.
public struct EvalSummary: Sendable {
    public var truePositives = 0
    public var falsePositives = 0
    public var benignEverFlagged = 0
    public var campaignAccounts = 0
    public var campaigns: [(run: String, result: CampaignResult)] = []

    public init(_ runs: [RunResult]) {
        for r in runs {
            truePositives += r.truePositives
            falsePositives += r.falsePositives
            benignEverFlagged += r.benignEverFlagged
            campaignAccounts += r.campaignAccounts
            campaigns += r.campaigns.map { ("\(r.scenario)@\(r.seed)", $0) }
        }
    }

    public var precision: Double { truePositives + falsePositives == 0 ? 1 : Double(truePositives) / Double(truePositives + falsePositives) }
    public var recall: Double { campaignAccounts == 0 ? 1 : Double(truePositives) / Double(campaignAccounts) }
    /// The lowest recall of any one campaign (1 when there are none).
    public var worstCampaignRecall: Double { campaigns.map(\.result.recall).min() ?? 1 }
    public var worstCohesion: Double { campaigns.map(\.result.cohesion).min() ?? 1 }
    public var hoursToFlag: [Double] { campaigns.compactMap(\.result.hoursToFlag) }
    public var medianHoursToFlag: Double? { median(hoursToFlag) }
    /// Per campaign with counted records: the share of its exchanges sent by its first flag.
    public var sharesSentBeforeFlag: [Double] { campaigns.compactMap(\.result.shareSentBeforeFlag) }
    public var missed: [String] { campaigns.filter { $0.result.hoursToFlag == nil }.map { "\($0.result.name)@\($0.run)" } }
}

public func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
