// Public factories so code outside the detector (the console's tests, replays of saved
// snapshots) can build snapshots; the memberwise initialisers are internal.

extension ClusterSnapshot {
    public static func make(key: String, verdict: Verdict, risk: Double, accounts: [String], exchanges: Int,
                            firstSeen: StreamTime, lastSeen: StreamTime, flaggedAt: StreamTime? = nil,
                            signals: [Signal] = [], hourlyRate: [Int] = [], ties: [ClusterTie] = [],
                            members: [MemberFigures] = []) -> ClusterSnapshot {
        ClusterSnapshot(key: key, verdict: verdict, risk: risk, accounts: accounts, exchanges: exchanges,
                        firstSeen: firstSeen, lastSeen: lastSeen, flaggedAt: flaggedAt, signals: signals,
                        hourlyRate: hourlyRate, ties: ties, members: members)
    }
}

extension Snapshot {
    public static func make(streamTime: StreamTime?, streamStart: StreamTime?, exchanges: Int, accounts: Int,
                            clusters: [ClusterSnapshot], minuteRate: [Int], onlyAccount: String? = nil,
                            allowlisted: [ClusterSnapshot] = []) -> Snapshot {
        Snapshot(streamTime: streamTime, streamStart: streamStart, exchanges: exchanges, accounts: accounts,
                 clusters: clusters, minuteRate: minuteRate, onlyAccount: onlyAccount, allowlisted: allowlisted)
    }
}
