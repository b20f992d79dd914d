/// Re-attaches cases to clusters by their member accounts: cluster keys can change as evidence
/// arrives (a merge, an earlier account appearing), and a replay starts from nothing.
///
/// A cluster case attaches to the cluster holding the largest share of the accounts it had when
/// last seen, when that share (containment: |case ∩ cluster| / |case|) is at least `threshold`.
/// Containment rather than Jaccard, so a confirmed cluster that keeps growing keeps its case.
/// Each cluster takes at most one case and each case one cluster, most shared accounts first.
public enum CaseMatcher {
    public static let threshold = 0.5

    public struct Attachment: Sendable, Equatable {
        public var caseID: Int64
        public var clusterKey: String
        public var containment: Double

        public init(caseID: Int64, clusterKey: String, containment: Double) {
            self.caseID = caseID; self.clusterKey = clusterKey; self.containment = containment
        }
    }

    public static func attach(cases: [CaseRecord], clusters: [ClusterSnapshot]) -> [Attachment] {
        var owner: [String: Int] = [:]  // account → cluster index
        for (i, c) in clusters.enumerated() { for a in c.accounts { owner[a] = i } }
        var candidates: [(caseIndex: Int, cluster: Int, shared: Int, containment: Double)] = []
        for (k, record) in cases.enumerated() where record.subject == .cluster {
            let members = Set(record.members)
            guard !members.isEmpty else { continue }
            var shared: [Int: Int] = [:]
            for a in members { if let i = owner[a] { shared[i, default: 0] += 1 } }
            for (i, n) in shared {
                let containment = Double(n) / Double(members.count)
                if containment >= threshold { candidates.append((k, i, n, containment)) }
            }
        }
        candidates.sort { ($0.shared, $0.containment, cases[$1.caseIndex].id) > ($1.shared, $1.containment, cases[$0.caseIndex].id) }
        var usedCases = Set<Int>(), usedClusters = Set<Int>()
        var out: [Attachment] = []
        for c in candidates where !usedCases.contains(c.caseIndex) && !usedClusters.contains(c.cluster) {
            usedCases.insert(c.caseIndex); usedClusters.insert(c.cluster)
            out.append(Attachment(caseID: cases[c.caseIndex].id, clusterKey: clusters[c.cluster].key, containment: c.containment))
        }
        return out
    }
}
