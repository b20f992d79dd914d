import DistillCore

extension Console {
    static let hour: StreamTime = 3_600_000

    public enum Trend: Equatable, Sendable { case new, rising, steady }

    /// New: first shown, or first seen, within the last stream hour, and never on screen before
    /// (a seek back and forward again brings back clusters already seen: not news). Rising: the
    /// last complete hour is at least half again the mean of the six before it (and not tiny).
    public func trend(of c: ClusterSnapshot) -> Trend {
        let now = snapshot.streamTime ?? 0
        let seenBefore = shownBeforeSeek.contains(c.key)
        // Clusters already there when the console first saw data are not news.
        let appeared = firstShown[c.key].map { $0 > (firstData ?? .max) && now - $0 < Self.hour } ?? false
        let born = now - c.firstSeen < Self.hour && now - (snapshot.streamStart ?? now) >= Self.hour
        if (appeared || born) && !seenBefore { return .new }
        let h = c.hourlyRate
        guard h.count >= 8 else { return .steady }
        let last = h[h.count - 2]
        let before = h[(h.count - 8)..<(h.count - 2)]
        let mean = Double(before.reduce(0, +)) / Double(before.count)
        return Double(last) >= 1.5 * mean && last >= 20 && Double(last) > mean ? .rising : .steady
    }

    static func verdictRole(_ v: Verdict) -> StyleRole { v == .suspect ? .suspect : v == .watch ? .watch : .clear }

    func buildTable(for s: ViewState) -> TableModel? {
        switch s.view {
        case .clusters: return clusterTable()
        case .accounts(let key): return accountTable(cluster: cluster(key, fallback: s.cluster))
        case .account(let a): return sessionTable(account: a)
        case .session(let a, let sess): return exchangeTable(account: a, session: sess)
        case .ties(let key): return tieTable(cluster: cluster(key, fallback: s.cluster))
        case .tieValues(let key, let kind): return tieValueTable(cluster: cluster(key, fallback: s.cluster), kind: kind)
        case .sharedValue(let key, let ref, _): return sharedValueTable(cluster: cluster(key, fallback: s.cluster), ref: ref)
        case .exchange, .help, .rejected: return nil
        }
    }

    func cluster(_ key: String, fallback: ClusterSnapshot?) -> ClusterSnapshot? {
        snapshot.clusters.first { $0.key == key } ?? snapshot.allowlisted.first { $0.key == key } ?? fallback
    }

    /// What the cluster list shows: the detector's clusters, then, when asked, the ones the
    /// allowlist set aside (marked so they cannot be mistaken for live verdicts).
    var listedClusters: [(cluster: ClusterSnapshot, allowlisted: Bool)] {
        snapshot.clusters.map { ($0, false) } + (showsAllowlisted ? snapshot.allowlisted.map { ($0, true) } : [])
    }

    // MARK: Clusters

    /// A cluster's hourly series: the detector's when it gives one, else summed from its
    /// members (the first few hundred, for the highest-ranked clusters only, to stay cheap).
    func rateSeries(_ c: ClusterSnapshot, rank: Int) -> [Int] {
        if !c.hourlyRate.isEmpty { return c.hourlyRate }
        guard let source, rank < 300 else { return [] }
        var sum: [Int] = []
        for a in c.accounts.prefix(500) {
            guard let h = source.accountHourly(a) else { continue }
            if sum.isEmpty { sum = h } else { for i in 0..<min(sum.count, h.count) { sum[i] += h[i] } }
        }
        return sum
    }

    func clusterTable() -> TableModel {
        var columns = [
            Column(id: "trend", title: "", width: 1, priority: 3),
            Column(id: "verdict", title: "VERDICT", width: 7, priority: 0),
            Column(id: "risk", title: "RISK", width: 10, priority: 0, numeric: true),
            Column(id: "id", title: "ID", width: 4, priority: 1),
            Column(id: "cluster", title: "CLUSTER", width: 12, priority: 2),
            Column(id: "ties", title: "TIED BY", width: 14, priority: 3),
            Column(id: "accounts", title: "ACCTS", width: 5, priority: 1, align: .right, numeric: true),
            Column(id: "exchanges", title: "EXCH", width: 7, priority: 1, align: .right, numeric: true),
            Column(id: "rate", title: "RATE/h 48h", width: 16, priority: 3, numeric: true),
            Column(id: "signals", title: "TOP SIGNALS", width: 14, priority: 2, flex: true),
            Column(id: "first", title: "FIRST SEEN", width: 11, priority: 5, numeric: true),
            Column(id: "flagged", title: "FLAGGED AT", width: 11, priority: 3, numeric: true),
            Column(id: "analyst", title: "ANALYST", width: 8, priority: 2, numeric: true),
        ]
        let unicode = self.unicode
        let searching = navigation.top.filter != nil
        let rows = listedClusters.enumerated().map { rank, listed -> TableRow in
            let (c0, allowlisted) = listed
            var c = c0
            c.hourlyRate = rateSeries(c0, rank: rank)
            let trend = allowlisted ? .steady : trend(of: c)
            let mark: CellContent = trend == .new ? .text(unicode ? "✚" : "+", .newMark) : trend == .rising ? .text(unicode ? "▲" : "^", .newMark) : .text("", .text)
            let top = c.signals.filter { $0.weight > 0 }.sorted { $0.weight > $1.weight }.prefix(3).map(\.name).joined(separator: ", ")
            let verdict = allowlisted ? .clear : shownVerdict(c).verdict
            let verdictCell: CellContent = allowlisted ? .text("allowed", .muted) : .text(verdict.rawValue, Self.verdictRole(verdict))
            // The search text is only built while a filter is set: it is most of a rebuild's cost.
            var hay = ""
            if searching {
                hay = shortID(c.key) + " " + c.key + " " + (allowlisted ? "allowed allowlisted" : c.verdict.rawValue) + " " + c.accounts.prefix(500).joined(separator: " ")
                for sig in c.signals { hay += " " + sig.name + " " + sig.examples.joined(separator: " ") }
            }
            if searching, let source {
                for a in c.accounts.prefix(200) {
                    guard let d = source.accountDetail(a) else { continue }
                    for list in [d.cards, d.orgs, d.ips, d.asns, d.apiKeys] { for v in list.values { hay += " " + v.value } }
                }
            }
            return TableRow(
                key: c.key,
                cells: [mark, verdictCell, .risk(c.risk), .text(shortID(c.key), .accent),
                        .text(c.key, .text), .text(Self.tieLabel(c), .muted),
                        .text(Format.grouped(c.accounts.count), .text), .text(Format.compact(c.exchanges), .text),
                        .spark(c.hourlyRate), .text(top.isEmpty ? "-" : top, .muted), .text(Format.shortTime(c.firstSeen), .muted),
                        .text(Format.shortTime(c.flaggedAt), c.flaggedAt == nil ? .muted : .warning), decisionText(.cluster, c.key)],
                sortKeys: [.number(trend == .new ? 2 : trend == .rising ? 1 : 0), .number(Double(verdict == .suspect ? 2 : verdict == .watch ? 1 : 0) + c.risk / 10),
                           .number(c.risk), .number(Double(shortIDs[c.key] ?? 0)), .text(c.key), .text(Self.tieLabel(c)), .number(Double(c.accounts.count)), .number(Double(c.exchanges)),
                           .number(Double(c.hourlyRate.last ?? 0)), .text(top), .number(Double(c.firstSeen)),
                           .number(Double(c.flaggedAt ?? .max)), decisionSort(.cluster, c.key)],
                haystack: hay)
        }
        // A short id is how the analyst names a cluster (the filter, notes): its column grows
        // with the longest id given out rather than cut "C1063" to "C10…".
        if let i = columns.firstIndex(where: { $0.id == "id" }) {
            columns[i].width = max(columns[i].width, "C\(shortIDs.count)".count)
        }
        // The key, the ties and the signals differ between rows: they get the room first.
        var model = TableModel(columns: columns, rows: rows)
        model.wantRoom(for: ["cluster", "ties", "signals"])
        return model
    }

    // MARK: Accounts of a cluster

    static func firstAndMore(_ v: CappedValues) -> String {
        let sorted = v.sorted
        guard let first = sorted.first else { return "-" }
        let more = sorted.count - 1 + (v.overflow > 0 ? 1 : 0)
        return more > 0 ? "\(first.value) +\(more)\(v.overflow > 0 ? "…" : "")" : first.value
    }

    func accountTable(cluster c: ClusterSnapshot?) -> TableModel {
        let columns = [
            Column(id: "account", title: "ACCOUNT", width: 14, priority: 0),
            Column(id: "rate", title: "RATE/h 48h", width: 14, priority: 3, numeric: true),
            Column(id: "exchanges", title: "EXCH", width: 6, priority: 0, align: .right, numeric: true),
            Column(id: "tokens", title: "IN→OUT avg", width: 11, priority: 2, align: .right, numeric: true),
            Column(id: "cot", title: "COT", width: 4, priority: 1, align: .right, numeric: true),
            Column(id: "cards", title: "CARDS", width: 12, priority: 2),
            Column(id: "ips", title: "IPS", width: 16, priority: 3),
            Column(id: "asns", title: "ASNS", width: 9, priority: 4),
            Column(id: "ua", title: "USER AGENT", width: 12, priority: 4, flex: true),
            Column(id: "first", title: "FIRST SEEN", width: 11, priority: 5, numeric: true),
            Column(id: "analyst", title: "ANALYST", width: 8, priority: 2, numeric: true),
        ]
        guard let c else { return TableModel(columns: columns, rows: []) }
        let rows = c.accounts.map { a -> TableRow in
            let f = source?.accountFigures(a)
            let d = source?.accountDetail(a)
            // The detector's first card stands in where no drill-down detail is kept.
            let cards = d.map { Self.firstAndMore($0.cards) } ?? f?.firstCard ?? "-"
            let ips = d.map { Self.firstAndMore($0.ips) } ?? "-"
            let asns = d.map { Self.firstAndMore($0.asns) } ?? "-"
            let ua = d.map { Self.firstAndMore($0.userAgents) } ?? "-"
            var hay = a
            if let d { for list in [d.cards, d.orgs, d.ips, d.asns, d.apiKeys, d.userAgents] { for v in list.values { hay += " " + v.value } } }
            else { for v in [f?.firstCard, f?.firstOrg].compactMap({ $0 }) { hay += " " + v } }
            let tokens = f.map { "\(Format.compact($0.meanInput))\(unicode ? "→" : "->")\(Format.compact($0.meanOutput))" } ?? "-"
            return TableRow(
                key: a,
                cells: [.text(a, .text), .spark(f?.hourly ?? []), .text(Format.compact(f?.exchanges ?? 0), .text), .text(tokens, .text),
                        .text(f.map { Format.percent($0.cotShare) } ?? "-", (f?.cotShare ?? 0) >= 0.5 ? .warning : .text),
                        .text(cards, .muted), .text(ips, .muted), .text(asns, .muted), .text(ua, .muted),
                        .text(Format.shortTime(f?.firstSeen), .muted), decisionText(.account, a, inCluster: c)],
                sortKeys: [.text(a), .number(Double(f?.hourly.last ?? 0)), .number(Double(f?.exchanges ?? 0)), .number(Double(f?.meanOutput ?? 0)),
                           .number(f?.cotShare ?? 0), .text(cards), .text(ips), .text(asns), .text(ua), .number(Double(f?.firstSeen ?? 0)), decisionSort(.account, a)],
                haystack: hay)
        }
        // A wide terminal shows ids, cards and addresses whole before the user agent grows.
        var model = TableModel(columns: columns, rows: rows)
        model.wantRoom(for: ["account", "cards", "ips", "asns"])
        return model
    }

    // MARK: Sessions of an account

    func sessionTable(account: String) -> TableModel {
        let columns = [
            Column(id: "session", title: "SESSION", width: 20, priority: 0, flex: true),
            Column(id: "first", title: "FIRST", width: 12, priority: 1, numeric: true),
            Column(id: "last", title: "LAST", width: 12, priority: 0, numeric: true),
            Column(id: "turns", title: "TURNS", width: 5, priority: 0, align: .right, numeric: true),
            Column(id: "kept", title: "KEPT", width: 4, priority: 2, align: .right, numeric: true),
            Column(id: "models", title: "MODELS", width: 12, priority: 3),
        ]
        let rows = (source?.sessions(account) ?? []).map { s -> TableRow in
            let key = s.id.map { "s:" + $0 } ?? Console.noSessionKey
            let models = Array(Set(s.recent.compactMap(\.model))).sorted().joined(separator: ",")
            return TableRow(
                key: key,
                cells: [.text(s.id ?? "(no session id)", s.id == nil ? .muted : .text), .text(Format.shortTime(s.firstSeen), .muted),
                        .text(Format.shortTime(s.lastSeen), .text), .text(Format.grouped(s.turns), .text),
                        .text("\(s.recent.count)", .muted), .text(models.isEmpty ? "-" : models, .muted)],
                sortKeys: [.text(s.id ?? ""), .number(Double(s.firstSeen)), .number(Double(s.lastSeen)), .number(Double(s.turns)),
                           .number(Double(s.recent.count)), .text(models)],
                haystack: (s.id ?? "") + " " + models + " " + s.recent.compactMap(\.promptExcerpt).joined(separator: " "))
        }
        var model = TableModel(columns: columns, rows: rows, emptyText: source?.drillDownNote(account))
        model.wantRoom(for: ["models"])
        return model
    }

    // MARK: Exchanges of a session

    static func statusText(_ e: ExchangeExcerpt) -> (String, StyleRole) {
        let code = e.httpStatus.map { " \($0)" } ?? ""
        if e.status == .failure || (e.httpStatus ?? 200) >= 400 { return ("fail" + code, .warning) }
        return ("ok" + code, .text)
    }

    static func tokens(_ v: Int64?) -> String { v.map { Format.compact(Int($0)) } ?? "-" }

    /// A key per exchange of a session's list that stays with the exchange as newer ones push
    /// older ones out (a position would name another exchange after every arrival): its time
    /// and request id, and how many before it share them.
    static func exchangeKeys(_ list: [ExchangeExcerpt]) -> [String] {
        var seen: [String: Int] = [:]
        return list.map { e in
            let base = "\(e.ts) \(e.requestID ?? "")"
            let n = seen[base, default: 0]
            seen[base] = n + 1
            return n == 0 ? base : base + " #\(n)"
        }
    }

    /// Where the exchange with `key` is in the session's list now, if it is still kept.
    func exchangeIndex(_ key: String, account: String, session: String?) -> Int? {
        Self.exchangeKeys(source?.exchanges(account, session: session) ?? []).firstIndex(of: key)
    }

    func exchangeTable(account: String, session: String?) -> TableModel {
        var columns = [
            Column(id: "n", title: "#", width: 3, priority: 0, align: .right, numeric: true),
            Column(id: "time", title: "TIME", width: 12, priority: 0, numeric: true),
            Column(id: "model", title: "MODEL", width: 10, priority: 2),
            Column(id: "in", title: "IN", width: 5, priority: 1, align: .right, numeric: true),
            Column(id: "out", title: "OUT", width: 5, priority: 1, align: .right, numeric: true),
            Column(id: "reasoning", title: "REAS", width: 5, priority: 3, align: .right, numeric: true),
            Column(id: "latency", title: "LAT ms", width: 7, priority: 3, align: .right, numeric: true),
            Column(id: "status", title: "STATUS", width: 8, priority: 2),
            Column(id: "ip", title: "IP / ASN", width: 22, priority: 4),
            Column(id: "prompt", title: "PROMPT", width: 16, priority: 1, flex: true),
        ]
        let list = source?.exchanges(account, session: session) ?? []
        // Times of day alone would read as one day; a list that spans days says the date too.
        let spansDays = Set(list.map { Timestamp.format($0.ts).prefix(10) }).count > 1
        if spansDays, let i = columns.firstIndex(where: { $0.id == "time" }) { columns[i].width = 18 }
        let keys = Self.exchangeKeys(list)
        let rows = list.enumerated().map { i, e -> TableRow in
            let (st, role) = Self.statusText(e)
            let ip = [e.clientIP, e.asn.map { "AS\($0)" }].compactMap { $0 }.joined(separator: " ")
            return TableRow(
                key: keys[i],
                cells: [.text("\(i + 1)", .muted), .text((spansDays ? String(Timestamp.format(e.ts).dropFirst(5).prefix(5)) + " " : "") + Format.timeOfDay(e.ts), .text), .text(e.model ?? "-", .text),
                        .text(Self.tokens(e.inputTokens), .text), .text(Self.tokens(e.outputTokens), .text),
                        .text(Self.tokens(e.reasoningTokens), .muted), .text(e.latencyMs.map { Format.grouped(Int($0)) } ?? "-", .muted),
                        .text(st, role), .text(ip.isEmpty ? "-" : ip, .muted), .text(e.promptExcerpt ?? "-", .text)],
                sortKeys: [.number(Double(i)), .number(Double(e.ts)), .text(e.model ?? ""), .number(Double(e.inputTokens ?? 0)),
                           .number(Double(e.outputTokens ?? 0)), .number(Double(e.reasoningTokens ?? 0)), .number(e.latencyMs ?? 0),
                           .text(st), .text(ip), .text(e.promptExcerpt ?? "")],
                haystack: [e.model, e.clientIP, e.requestID, e.promptExcerpt, e.userAgent].compactMap { $0 }.joined(separator: " "))
        }
        return TableModel(columns: columns, rows: rows, emptyText: source?.drillDownNote(account))
    }
}
