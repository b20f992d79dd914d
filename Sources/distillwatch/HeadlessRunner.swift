import DistillCore
import DistillFeeds
import Foundation

/// `watch --headless`: the console's pipeline (feed → detector) with no terminal. Writes NDJSON
/// to stdout, one object per line (shapes in README.md, "Headless live mode"):
///
/// - `{"type":"listening", …}` once per listener, with the address actually bound;
/// - `{"type":"alert", …}` each time a cluster's verdict changes;
/// - `{"type":"counters", …}` every `countersEvery` seconds, and a last one with `"final":true`
///   at the end of finite input or on SIGINT/SIGTERM.
///
/// Verdicts are re-evaluated every `evaluateEvery` of stream time for finite input (so a
/// replayed file gives the same alerts every run), and for live sources once a second of wall
/// time and whenever the input goes quiet (as the console does, whatever the ingest rate).
struct HeadlessRunner {
    let feed: any ExchangeFeed
    let live: Bool
    let settings: DetectorSettings
    let countersEvery: Double
    let listening: [ListenAddress]
    /// `--from`/`--until`: exchanges outside are skipped (and counted in `outside_window`).
    var window: StreamWindow = .all
    /// One stream hour: the detector re-scores hourly inside `ingest` anyway, so this costs little.
    var evaluateEvery: StreamTime = 3_600_000

    func run() -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig) { s in pendingSignal = s } }
        let out = LineOutput()
        for address in listening {
            out.write("{\"type\":\"listening\",\"address\":\(JSON.quote(address.description))}")
        }
        let detector = Detector(settings: settings)
        var verdicts: [String: Verdict] = [:]
        var exchanges = 0
        var lastEvaluatedTs: StreamTime?
        var dirty = false
        var lastEvaluatedWall = WatchSession.nowMs()
        var lastCountersWall = WatchSession.nowMs()
        var lastSnapshot: Snapshot?
        var streamTime: StreamTime?
        var outsideWindow = 0
        func take(_ batch: [Exchange]) {
            var batch = batch
            if !window.isAll {
                let before = batch.count
                batch.removeAll { !window.contains($0.ts) }
                outsideWindow += before - batch.count
            }
            detector.ingest(batch)
            exchanges += batch.count
            dirty = true
            for e in batch where e.ts > (streamTime ?? .min) { streamTime = e.ts }
        }

        func evaluate() {
            let snap = detector.snapshot()
            lastSnapshot = snap
            dirty = false
            lastEvaluatedTs = snap.streamTime
            lastEvaluatedWall = WatchSession.nowMs()
            for c in snap.clusters {
                let before = verdicts[c.key] ?? .clear
                guard c.verdict != before else { continue }
                verdicts[c.key] = c.verdict
                out.write(alertLine(c, previous: before, at: snap.streamTime))
            }
        }

        func counters(final: Bool) {
            let s = feed.state
            var line = "{\"type\":\"counters\",\"final\":\(final),\"stream_time\":\(JSON.time(streamTime))"
            line += ",\"exchanges\":\(exchanges),\"rejected\":\(s.rejected),\"duplicates\":\(s.duplicates),\"dropped\":\(s.dropped)"
            line += ",\"connected\":\(s.connected),\"accounts\":\(lastSnapshot?.accounts ?? 0),\"suspect\":\(lastSnapshot?.suspectCount ?? 0),\"watch\":\(lastSnapshot?.watchCount ?? 0)"
            if !window.isAll { line += ",\"outside_window\":\(outsideWindow)" }
            if let e = s.error { line += ",\"error\":\(JSON.quote(e))" }
            out.write(line + "}")
            lastCountersWall = WatchSession.nowMs()
        }

        feed.start()
        while pendingSignal == 0 {
            if let batch = feed.poll() {
                take(batch)
                if lastEvaluatedTs == nil { lastEvaluatedTs = batch.first?.ts }
                if live {
                    if WatchSession.nowMs() - lastEvaluatedWall >= 1000 { evaluate() }
                } else if let now = streamTime, let last = lastEvaluatedTs, now - last >= evaluateEvery {
                    evaluate()
                }
            } else {
                let s = feed.state
                if s.finished && s.queued == 0 {
                    if let batch = feed.poll() { take(batch); continue }
                    break
                }
                // Quiet input: bring verdicts up to date now rather than at the next batch (but
                // not on every short gap of a busy feed: evaluating re-scores every cluster).
                if dirty && live && WatchSession.nowMs() - lastEvaluatedWall >= 250 { evaluate() }
                usleep(5_000)
            }
            if countersEvery > 0 && WatchSession.nowMs() - lastCountersWall >= countersEvery * 1000 { counters(final: false) }
        }
        if dirty || lastSnapshot == nil { evaluate() }
        counters(final: true)
        return 0
    }

    func alertLine(_ c: ClusterSnapshot, previous: Verdict, at time: StreamTime?) -> String {
        var line = "{\"type\":\"alert\",\"stream_time\":\(JSON.time(time)),\"cluster\":\(JSON.quote(c.key))"
        line += ",\"verdict\":\"\(c.verdict.rawValue)\",\"previous\":\"\(previous.rawValue)\",\"risk\":\(JSON.number(c.risk, places: 3))"
        line += ",\"accounts\":\(c.accounts.count),\"exchanges\":\(c.exchanges),\"flagged_at\":\(JSON.time(c.flaggedAt))"
        line += ",\"signals\":[" + c.signals.map { "{\"name\":\(JSON.quote($0.name)),\"weight\":\(JSON.number($0.weight, places: 2))}" }
            .joined(separator: ",") + "]}"
        return line
    }
}

/// Whole lines to stdout, flushed at once (a pipe reader sees each line as it is made).
/// JSON strings are escaped, so no control sequence from the input reaches a terminal.
final class LineOutput {
    func write(_ line: String) {
        var text = line + "\n"
        text.withUTF8 { raw in
            var done = 0
            while done < raw.count {
                let n = Foundation.write(1, raw.baseAddress! + done, raw.count - done)
                if n > 0 { done += n } else if n < 0 && errno == EINTR { continue } else {
                    pendingSignal = SIGPIPE  // nobody reads any more: stop
                    return
                }
            }
        }
    }
}
