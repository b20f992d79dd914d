import DistillCore
import DistillFeeds
import DistillRuntime
import Foundation
import Prometheus

/// What a headless watcher exposes to Prometheus (`--metrics ADDR`, and `GET /metrics` on its
/// HTTP listeners). Counters follow the watcher's own counts (they only grow, from where a
/// restored checkpoint left them); gauges are set at each update. The registry is read from
/// the listeners' threads and written from the runner's: it is thread-safe.
final class HeadlessMetrics: HeadlessMetricsSink {
    let registry = PrometheusCollectorRegistry()
    private let exchanges: Counter
    private let duplicates: Counter
    private let unchecked: Counter
    private let evicted: Counter
    private let accounts: Gauge
    private let lag: Gauge
    private let checkpointAge: Gauge?
    private let clusters: [Verdict: Gauge]
    private let state = Mutex()

    /// The last values written, so counters advance by the difference.
    private final class Mutex: @unchecked Sendable {
        let lock = NSLock()
        var seen: [String: Int] = [:]
        var rejected: [String: Counter] = [:]
        var dropped: [String: Counter] = [:]
    }

    /// `checkpoints`: whether the watcher keeps them (the checkpoint age is exposed only then).
    init(checkpoints: Bool) {
        exchanges = registry.makeCounter(descriptor: Self.name("exchanges", "total", "Exchanges ingested."))
        duplicates = registry.makeCounter(descriptor: Self.name("duplicates", "total", "Exchanges skipped as repeats of a recent request id."))
        unchecked = registry.makeCounter(descriptor: Self.name("unchecked_for_repeats", "total", "Exchanges counted without a check for repeats: too far behind the newest."))
        evicted = registry.makeCounter(descriptor: Self.name("evicted_idle", "total", "Connections that gave their slot to a new one at the connection limit, having delivered nothing for a while."))
        accounts = registry.makeGauge(descriptor: Self.name("accounts", "", "Accounts the detector knows."))
        lag = registry.makeGauge(descriptor: Self.name("ingest_lag", "seconds", "Wall-clock time minus the stream time of the newest exchange ingested."))
        checkpointAge = checkpoints ? registry.makeGauge(descriptor: Self.name("checkpoint_age", "seconds", "Seconds since the last checkpoint was written.")) : nil
        var byVerdict: [Verdict: Gauge] = [:]
        for v in [Verdict.suspect, .watch, .clear] {
            byVerdict[v] = registry.makeGauge(descriptor: Self.name("clusters", "", "Clusters at each verdict."), labels: [("verdict", v.rawValue)])
        }
        clusters = byVerdict
    }

    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "distillwatch", metricName: metric, unitName: unit, helpText: help)
    }

    /// The text exposition, for a listener's `GET /metrics`.
    var exposition: @Sendable () -> [UInt8] { { [registry] in registry.emitToBuffer() } }

    func update(exchanges total: Int, feed: FeedState, snapshot: Snapshot?, newest: StreamTime?, checkpointAgeSeconds: Double?) {
        state.lock.lock()
        defer { state.lock.unlock() }
        func advance(_ counter: Counter, _ key: String, to value: Int) {
            let before = state.seen[key] ?? 0
            if value > before { counter.increment(by: Int64(value - before)) }
            state.seen[key] = max(before, value)
        }
        advance(exchanges, "exchanges", to: total)
        advance(duplicates, "duplicates", to: feed.duplicates)
        advance(unchecked, "unchecked", to: feed.uncheckedForRepeats)
        advance(evicted, "evicted", to: feed.evicted)
        // One series per listener, named by its address (with a value from the start, so a
        // listener that never dropped anything shows 0 rather than nothing).
        for (listener, n) in feed.droppedByListener {
            let counter = state.dropped[listener] ?? registry.makeCounter(
                descriptor: Self.name("dropped", "total", "Requests, lines or connections a listener refused or dropped."), labels: [("listener", listener)])
            state.dropped[listener] = counter
            advance(counter, "dropped." + listener, to: n)
        }
        for (reason, n) in feed.rejectedByReason {
            let counter = state.rejected[reason] ?? registry.makeCounter(
                descriptor: Self.name("rejected", "total", "Lines rejected, by reason."), labels: [("reason", reason)])
            state.rejected[reason] = counter
            advance(counter, "rejected." + reason, to: n)
        }
        if let snapshot {
            accounts.set(Double(snapshot.accounts))
            clusters[.suspect]?.set(Double(snapshot.suspectCount))
            clusters[.watch]?.set(Double(snapshot.watchCount))
            clusters[.clear]?.set(Double(snapshot.clusters.count - snapshot.suspectCount - snapshot.watchCount))
        }
        if let newest { lag.set(max(0, Date().timeIntervalSince1970 - Double(newest) / 1000)) }
        if let checkpointAgeSeconds { checkpointAge?.set(checkpointAgeSeconds) }
    }
}
