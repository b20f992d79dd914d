import DistillConsole
import DistillCore
import DistillFeeds
import Foundation

/// Where headless mode keeps its Prometheus metrics (the program's registry), updated about
/// twice a second.
public protocol HeadlessMetricsSink: Sendable {
    func update(exchanges total: Int, feed: FeedState, snapshot: Snapshot?, newest: StreamTime?, checkpointAgeSeconds: Double?)
}

/// `watch --headless`: the console's pipeline (feed → detector) with no terminal. Writes NDJSON
/// to `out` (standard output in the program), one object per line (shapes in README.md,
/// "Headless live mode"):
///
/// - `{"type":"listening", …}` once per listener, with the address actually bound;
/// - `{"type":"alert", …}` each time a cluster's verdict changes;
/// - `{"type":"counters", …}` every `countersEvery` seconds, and a last one with `"final":true`
///   at the end of finite input or on SIGINT/SIGTERM.
///
/// Verdicts are re-evaluated every `evaluateEvery` of stream time for finite input, and sooner
/// when the detector has flagged an account since (looked for every `flagCheckEvery`), both at
/// fixed stream times so a replayed file gives the same alerts every run; for live sources once
/// a second of wall time and whenever the input goes quiet (as the console does, whatever the
/// ingest rate).
public struct HeadlessSession {
    let feed: any ExchangeFeed
    let live: Bool
    let settings: DetectorSettings
    let countersEvery: Double
    let listening: [ListenAddress]
    /// `--from`/`--until`: exchanges outside are skipped (and counted in `outside_window`).
    var window: StreamWindow = .all
    /// Where the NDJSON lines go (standard output in the program).
    let out: any LineSink
    let clock: any MonotonicClock
    /// At the end, the clusters as `scan --format json` reports them are written here.
    public var reportPath: String?
    /// Asked every turn: true ends the run as SIGINT does (a final counters line, a last checkpoint).
    let stopRequested: () -> Bool
    /// Says what went wrong outside the NDJSON (stderr in the program).
    public var diagnose: (String) -> Void = { _ in }

    public init(feed: any ExchangeFeed, live: Bool, settings: DetectorSettings, countersEvery: Double, listening: [ListenAddress],
                window: StreamWindow = .all, out: any LineSink = LineOutput(), clock: any MonotonicClock = SystemClock(),
                stopRequested: @escaping () -> Bool = { false }) {
        self.feed = feed; self.live = live; self.settings = settings; self.countersEvery = countersEvery
        self.listening = listening; self.window = window; self.out = out; self.clock = clock; self.stopRequested = stopRequested
    }

    /// One stream hour: the detector re-scores hourly inside `ingest` anyway, so this costs little.
    var evaluateEvery: StreamTime = 3_600_000
    /// Between those, finite input is looked at this often for an account the detector has just
    /// flagged (it re-judges its `watch` clusters every `recheckInterval`), and verdicts are
    /// brought up to date only when there is one: the alert follows the flag, not the next hour.
    var flagCheckEvery: StreamTime { settings.recheckInterval }
    /// `--state`: where checkpoints go, every `checkpointEvery` wall seconds and at exit.
    public var checkpoints: CheckpointDirectory?
    public var checkpointEvery: Double = 60
    /// Threads each evaluation may use (`Detector.evaluationThreads`).
    public var evaluationThreads = 1
    /// The checkpoint this run goes on from.
    public var resumed: Resumed?
    /// Every source can be read again from a checkpoint's position (files and `--follow`, not
    /// standard input or listeners).
    public var sourcesRewind = true
    /// Prometheus metrics, updated about twice a second, and the `--metrics` address if any.
    public var metrics: (any HeadlessMetricsSink)?
    public var metricsAddress: ListenAddress?

    /// A checkpoint read back: the state, its feed mark, and the runner's own counters.
    public struct Resumed {
        public let file: String
        let state: DetectionState
        public let mark: FeedMark
        var exchanges = 0
        var lastEvaluatedTs: StreamTime?
        var lastFlagCheckTs: StreamTime?
        var verdicts: [String: Verdict] = [:]

        public init(state: DetectionState, file: String) throws {
            self.file = file
            self.state = state
            let p = state.positions
            guard let mark = FeedMark(state: state) else { throw CheckpointError.noneUsable(["\(file): a source position cannot be read"]) }
            self.mark = mark
            exchanges = ProgressNote.exchanges(restoredFrom: state)
            lastEvaluatedTs = p["headless.last_evaluated"].flatMap { StreamTime($0) }
            lastFlagCheckTs = p["headless.last_flag_check"].flatMap { StreamTime($0) } ?? lastEvaluatedTs
            for line in (p["headless.verdicts"] ?? "").split(separator: "\n") {
                let parts = line.split(separator: "\t")
                if parts.count == 2, let v = Verdict(rawValue: String(parts[1])) { verdicts[String(parts[0])] = v }
            }
        }
    }

    /// Runs to the end of finite input, or until `stopRequested` (or the reader of the lines goes away).
    public func run() -> Int32 {
        for address in listening {
            out.write("{\"type\":\"listening\",\"address\":\(JSON.quote(address.description))}")
        }
        if let metricsAddress {
            out.write("{\"type\":\"listening\",\"address\":\(JSON.quote(metricsAddress.description)),\"serves\":\"metrics\"}")
        }
        // The console's loop at full speed: no pacing, no keyframes, no seeking.
        let detector = Detector(settings: settings)
        detector.evaluationThreads = evaluationThreads
        let engine = ReplayEngine(fullSpeedOver: feed, detector: detector, live: live, window: window)
        if let resumed { engine.resume(from: resumed.state) }
        return HeadlessRun(session: self, engine: engine).run()
    }
}

/// One run of headless mode: the engine, and what is said about it (alerts, counters,
/// checkpoints, metrics).
final class HeadlessRun {
    let session: HeadlessSession
    let engine: ReplayEngine
    var detector: Detector { engine.detector }
    var verdicts: [String: Verdict]
    let exchangesBefore: Int
    /// Every exchange taken in, those before the checkpoint this run went on from included.
    var exchanges: Int { exchangesBefore + engine.totalIngested }
    var lastEvaluatedTs: StreamTime?
    /// When finite input was last looked at for new flags, and how many moments of flagging the
    /// detector had recorded when verdicts were last brought up to date.
    var lastFlagCheckTs: StreamTime?
    var flagMomentsSeen: Int
    /// `engine.totalIngested` when verdicts were last brought up to date.
    var evaluatedAt = 0
    var dirty: Bool { engine.totalIngested != evaluatedAt }
    /// Set for the last checkpoint: verdicts are brought up to date as it is taken, so a
    /// restart does not send again the alerts this run sent last.
    var finishing = false
    var lastSnapshot: Snapshot?
    var lastEvaluatedWall: Double
    var lastCountersWall: Double
    var lastMetricsWall = -Double.infinity
    var checkpointsWritten = 0
    var lastCheckpointWall: Double
    var lastCheckpointAt: StreamTime?
    /// The stream time of the checkpoint this run went on from.
    let restoredAt: StreamTime?
    var checkpointError: String?
    /// What the previous run had ingested beyond its last checkpoint: sources that rewind read
    /// it again; from the others it is gone, and that count is known from the progress note
    /// the previous run kept.
    var lostOnRestart: Int?
    var noted: Int
    var lastNoteWall = -Double.infinity
    var warnedProxyIdentity = false

    /// Wall time per turn of the loop spent ingesting, at most, so counters, checkpoints and a
    /// stop request are seen in time.
    static let sliceMs = 50.0
    /// How long a stop waits for listeners to finish and answer the requests they hold: a
    /// second past their own limit (`ListenerLimits.stopGraceSeconds`), well inside a service
    /// manager's grace period (Kubernetes gives 30 s, systemd 90 s).
    static let drainMs = (ListenerLimits().stopGraceSeconds + 1) * 1000

    init(session: HeadlessSession, engine: ReplayEngine) {
        self.session = session
        self.engine = engine
        let resumed = session.resumed
        verdicts = resumed?.verdicts ?? [:]
        exchangesBefore = resumed?.exchanges ?? 0
        noted = exchangesBefore
        lastEvaluatedTs = resumed?.lastEvaluatedTs
        lastFlagCheckTs = resumed?.lastFlagCheckTs
        flagMomentsSeen = engine.detector.suspectMoments.count
        // The engine has read back where the checkpoint stood.
        restoredAt = resumed == nil ? nil : engine.newest
        lastCheckpointAt = restoredAt
        let now = session.clock.nowMs()
        lastEvaluatedWall = now
        lastCountersWall = now
        lastCheckpointWall = now
        if resumed != nil { lastSnapshot = engine.detector.snapshot() }
        if let resumed, let checkpoints = session.checkpoints, !session.sourcesRewind {
            lostOnRestart = ProgressNote.lost(in: checkpoints.path, restored: resumed.exchanges)
        }
        engine.checkpointEntries = { [unowned self] in checkpointEntries() }
        engine.onCheckpoint = { [unowned self] bytes, at in saved(bytes, at: at) }
    }

    func nowMs() -> Double { session.clock.nowMs() }
    var stopping: Bool { session.stopRequested() || session.out.closed }
    var live: Bool { session.live }

    func run() -> Int32 {
        if let resumed = session.resumed {
            var line = "{\"type\":\"restored\",\"checkpoint\":\(JSON.quote(resumed.file)),\"stream_time\":\(JSON.time(restoredAt)),\"exchanges\":\(resumed.exchanges)"
            if let lostOnRestart { line += ",\"lost_on_restart\":\(lostOnRestart)" }
            session.out.write(line + "}")
        }
        engine.start()
        // Whether the run ended as asked (a signal) or at the end of its input, before any reader left.
        var endedOnItsOwn = false
        while !stopping {
            if nowMs() - lastMetricsWall >= 500 { updateMetrics() }
            if nowMs() - lastNoteWall >= 1000 { noteProgress() }
            if session.checkpoints != nil && !engine.checkpointPending && nowMs() - lastCheckpointWall >= session.checkpointEvery * 1000 {
                engine.requestCheckpoint()
            }
            let turnStart = nowMs()
            if ingest(outOfTime: { nowMs() > turnStart + Self.sliceMs }) == 0 {
                if engine.finished { endedOnItsOwn = true; break }
                // Quiet input: bring verdicts up to date now rather than at the next batch (but
                // not on every short gap of a busy feed: evaluating re-scores every cluster).
                if dirty && live && nowMs() - lastEvaluatedWall >= 250 { evaluate() }
                usleep(5_000)
            }
            if session.countersEvery > 0 && nowMs() - lastCountersWall >= session.countersEvery * 1000 { counters(final: false) }
        }
        if session.stopRequested() { endedOnItsOwn = true }
        if live {
            // Requests in hand at the signal are finished and answered, for a few seconds at
            // most: a sender cut off without an answer would send its records again.
            engine.stopTaking()
            let drainUntil = nowMs() + Self.drainMs
            while engine.inHand > 0 && nowMs() < drainUntil {
                if ingest(outOfTime: { nowMs() > drainUntil }) == 0 { usleep(5_000) }
            }
            // Batches already handed over were acknowledged to their senders (an HTTP answer
            // goes out only once its records are queued): ingest them before stopping. Readers
            // may add more meanwhile, so only as many as are queued now.
            _ = ingest(maxBatches: engine.feedState.queued, outOfTime: { false })
        }
        if dirty || lastSnapshot == nil { evaluate() }
        if session.checkpoints != nil { finalCheckpoint() }
        updateMetrics()
        counters(final: true)
        let reportWritten = session.reportPath.map(writeReport) ?? true
        engine.stop()
        if let failure = session.out.failure { session.diagnose("cannot write alerts to standard output: \(failure)") }
        // A reader that left before the run ended (a consumer that died) stopped the run early:
        // every alert after that would be lost, so a service manager must see it and restart.
        let readerLeft = session.out.closed && session.out.failure == nil && !endedOnItsOwn
        if readerLeft {
            session.diagnose("standard output was closed by its reader after \(Format.counted(exchanges, "exchange")): stopped, as later alerts would be lost")
        }
        // A source that failed (damaged input, a bus that refused), alerts or a report that could
        // not be written: not a clean end. Status 2, as `scan` gives, so that a pipeline or a
        // service manager sees it.
        return engine.feedState.error == nil && session.out.failure == nil && !readerLeft && reportWritten ? 0 : 2
    }

    /// Verdicts come up to date every `evaluateEvery` of stream time for finite input: the
    /// engine stops right after the exchange that reaches the next such moment (the first
    /// exchange starts the schedule), so a replayed file gives the same alerts every run.
    /// Live sources: once a second of wall time.
    func ingest(maxBatches: Int? = nil, outOfTime: () -> Bool) -> Int {
        if !live {
            engine.pauseAfterReaching = lastEvaluatedTs.map { last in
                min(last + session.evaluateEvery, (lastFlagCheckTs ?? last) + session.flagCheckEvery)
            } ?? .min
        }
        let n = engine.pump(wallMs: nowMs(), maxBatches: maxBatches, outOfTime: outOfTime)
        guard n > 0 else { return 0 }
        if live {
            if nowMs() - lastEvaluatedWall >= 1000 { evaluate() }
        } else if let newest = engine.newest {
            if let last = lastEvaluatedTs {
                if newest - last >= session.evaluateEvery {
                    evaluate()
                } else if newest - (lastFlagCheckTs ?? last) >= session.flagCheckEvery {
                    lastFlagCheckTs = newest
                    if detector.suspectMoments.count > flagMomentsSeen { evaluate() }
                }
            } else {
                lastEvaluatedTs = newest
                lastFlagCheckTs = newest
            }
        }
        return n
    }

    func evaluate() {
        let snap = detector.snapshot()
        let earlier = lastSnapshot
        lastSnapshot = snap
        evaluatedAt = engine.totalIngested
        lastEvaluatedTs = snap.streamTime
        lastFlagCheckTs = snap.streamTime
        flagMomentsSeen = detector.suspectMoments.count
        lastEvaluatedWall = nowMs()
        if !warnedProxyIdentity, let warning = ProxyIdentity.warning(for: snap) {
            warnedProxyIdentity = true
            session.out.write("{\"type\":\"warning\",\"code\":\"\(ProxyIdentity.code)\",\"message\":\(JSON.quote(warning))}")
        }
        for c in snap.clusters {
            let before = verdicts[c.key] ?? .clear
            guard c.verdict != before else { continue }
            // A key first alerted on now may have split off a cluster alerted under another key:
            // said, since its "previous" is then only this key's.
            var splitFrom: String?
            if verdicts[c.key] == nil, let from = earlier?.clusters.first(where: { $0.key != c.key && $0.accounts.contains(c.key) }),
               verdicts[from.key] != nil {
                splitFrom = from.key
            }
            verdicts[c.key] = c.verdict
            session.out.write(session.alertLine(c, previous: before, at: snap.streamTime, splitFrom: splitFrom))
        }
        closeVanishedClusters(snap)
    }

    /// A cluster alerted on can vanish: merged into another (its key, an account, is now in a
    /// cluster under another key) or broken up into accounts judged alone. Said once, so that a
    /// reader keeping verdicts by key ends with the final counters' clusters, not stale ones.
    func closeVanishedClusters(_ snap: Snapshot) {
        let present = Set(snap.clusters.map(\.key))
        let vanished = verdicts.keys.filter { !present.contains($0) }
        guard !vanished.isEmpty else { return }
        let wanted = Set(vanished)
        var holder: [String: ClusterSnapshot] = [:]
        for c in snap.clusters { for a in c.accounts where wanted.contains(a) { holder[a] = c } }
        for key in vanished.sorted() {
            let previous = verdicts.removeValue(forKey: key) ?? .clear
            guard previous != .clear else { continue }  // never flagged, or cleared already: nothing to close
            var line = "{\"type\":\"closed\",\"stream_time\":\(JSON.time(snap.streamTime)),\"cluster\":\(JSON.quote(key)),\"previous\":\"\(previous.rawValue)\""
            if let into = holder[key] {
                line += ",\"merged_into\":\(JSON.quote(into.key)),\"verdict\":\"\(into.verdict.rawValue)\""
            }
            session.out.write(line + "}")
        }
    }

    /// The last checkpoint: where the input stands now. Readers hand over what they hold and a
    /// mark (a few batches at most), within a deadline.
    func finalCheckpoint() {
        finishing = true
        engine.pauseAfterReaching = nil
        engine.requestCheckpoint()
        let deadline = nowMs() + 10_000
        while engine.checkpointPending && nowMs() < deadline {
            if engine.pump(wallMs: nowMs(), maxBatches: 1, outOfTime: { false }) == 0 && engine.checkpointPending { usleep(2_000) }
        }
        if engine.checkpointPending {
            checkpointError = "no final checkpoint: the input did not reach a point one could be taken at within 10 s"
        }
        if dirty { evaluate() }
    }

    /// Headless mode's own entries in a checkpoint, beside the engine's.
    func checkpointEntries() -> [String: String] {
        if finishing && dirty { evaluate() }
        var extra: [String: String] = [
            "headless.exchanges": String(exchanges),
            "headless.verdicts": verdicts.sorted { $0.key < $1.key }.map { "\($0.key)\t\($0.value.rawValue)" }.joined(separator: "\n"),
        ]
        if let lastEvaluatedTs { extra["headless.last_evaluated"] = String(lastEvaluatedTs) }
        if let lastFlagCheckTs { extra["headless.last_flag_check"] = String(lastFlagCheckTs) }
        return extra
    }

    func saved(_ bytes: [UInt8], at time: StreamTime?) {
        guard let checkpoints = session.checkpoints else { return }
        do {
            try checkpoints.save(bytes: bytes)
            noteProgress()
            checkpointsWritten += 1
            lastCheckpointAt = time
            checkpointError = nil
        } catch {
            if checkpointError == nil {
                session.diagnose("checkpoint not written (state \(checkpoints.path)): \(error)")
            }
            checkpointError = "\(error)"
        }
        lastCheckpointWall = nowMs()
    }

    func noteProgress() {
        guard let checkpoints = session.checkpoints, exchanges != noted else { return }
        ProgressNote.write(exchanges, in: checkpoints.path)
        noted = exchanges
        lastNoteWall = nowMs()
    }

    func updateMetrics() {
        guard let metrics = session.metrics else { return }
        let age = session.checkpoints == nil ? nil : (nowMs() - lastCheckpointWall) / 1000
        metrics.update(exchanges: exchanges, feed: engine.feedState, snapshot: lastSnapshot, newest: engine.newest, checkpointAgeSeconds: age)
        lastMetricsWall = nowMs()
    }

    func counters(final: Bool) {
        let s = engine.feedState
        var line = "{\"type\":\"counters\",\"final\":\(final),\"stream_time\":\(JSON.time(engine.newest))"
        line += ",\"exchanges\":\(exchanges),\"rejected\":\(s.rejected),\"duplicates\":\(s.duplicates),\"dropped\":\(s.dropped)"
        line += ",\"connected\":\(s.connected),\"accounts\":\(lastSnapshot?.accounts ?? 0),\"suspect\":\(lastSnapshot?.suspectCount ?? 0),\"watch\":\(lastSnapshot?.watchCount ?? 0)"
        if let folded = lastSnapshot?.foldedAccounts, folded > 0 { line += ",\"folded_accounts\":\(folded)" }
        if s.uncheckedForRepeats > 0 { line += ",\"unchecked_for_repeats\":\(s.uncheckedForRepeats)" }
        if !session.window.isAll { line += ",\"outside_window\":\(engine.outsideWindow)" }
        if s.missedRotations > 0 { line += ",\"missed_rotations\":\(s.missedRotations)" }
        if s.rewrites > 0 { line += ",\"rewritten\":\(s.rewrites)" }
        if s.evicted > 0 { line += ",\"evicted_idle\":\(s.evicted)" }
        if let bus = s.bus {
            line += ",\"bus_workers\":\(bus.workers.count),\"bus_lag\":\(bus.lag),\"bus_unowned\":[" + bus.unowned.map(String.init).joined(separator: ",") + "],\"bus_shared\":[" + bus.shared.map(String.init).joined(separator: ",") + "]"
        }
        if let lastSnapshot, ProxyIdentity.warning(for: lastSnapshot) != nil { line += ",\"warnings\":[\"\(ProxyIdentity.code)\"]" }
        if session.checkpoints != nil {
            line += ",\"checkpoints\":\(checkpointsWritten),\"checkpoint_stream_time\":\(JSON.time(lastCheckpointAt))"
            if session.resumed != nil { line += ",\"restored_from\":\(JSON.time(restoredAt))" }
            if let lostOnRestart { line += ",\"lost_on_restart\":\(lostOnRestart)" }
            if let checkpointError { line += ",\"checkpoint_error\":\(JSON.quote(checkpointError))" }
        }
        if let e = s.error { line += ",\"error\":\(JSON.quote(e))" }
        session.out.write(line + "}")
        lastCountersWall = nowMs()
    }

    func writeReport(_ path: String) -> Bool {
        let s = engine.feedState
        // What was read, as `scan` reports it: exchanges outside --from/--until included.
        let first = [engine.oldest, engine.oldestOutside].compactMap { $0 }.min()
        let last = [engine.newest, engine.newestOutside].compactMap { $0 }.max()
        let ledger = InputLedger(exchanges: exchanges + engine.outsideWindow, duplicates: s.duplicates,
                                 rejectedByReason: s.rejectedByReason, firstTs: first, lastTs: last)
        let report = ScanReport(ledger: ledger, snapshot: detector.snapshot())
        if let failure = OutputFile.write(Data(report.json().utf8), to: path) {
            session.diagnose("cannot write the report to \(path): \(failure)")
            return false
        }
        return true
    }
}

extension HeadlessSession {
    func alertLine(_ c: ClusterSnapshot, previous: Verdict, at time: StreamTime?, splitFrom: String? = nil) -> String {
        var line = "{\"type\":\"alert\",\"stream_time\":\(JSON.time(time)),\"cluster\":\(JSON.quote(c.key))"
        line += ",\"verdict\":\"\(c.verdict.rawValue)\",\"previous\":\"\(previous.rawValue)\""
        if let splitFrom { line += ",\"split_from\":\(JSON.quote(splitFrom))" }
        line += ",\"risk\":\(JSON.number(c.risk, places: 3))"
        line += ",\"accounts\":\(c.accounts.count),\"exchanges\":\(c.exchanges),\"flagged_at\":\(JSON.time(c.flaggedAt))"
        line += ",\"signals\":[" + c.signals.map { "{\"name\":\(JSON.quote($0.name)),\"weight\":\(JSON.number($0.weight, places: 2))}" }
            .joined(separator: ",") + "]}"
        return line
    }
}

/// Where headless mode writes its lines.
public protocol LineSink: AnyObject {
    func write(_ line: String)
    /// Nobody reads any more: the run stops.
    var closed: Bool { get }
    /// Why the lines could not be written, when it was not that the reader left (a full disk,
    /// a descriptor that was closed): the run then ends with status 2 rather than 0.
    var failure: String? { get }
}

extension LineSink {
    public var failure: String? { nil }
}

/// Whole lines to stdout, flushed at once (a pipe reader sees each line as it is made).
/// JSON strings are escaped, so no control sequence from the input reaches a terminal.
public final class LineOutput: LineSink {
    public private(set) var closed = false
    public private(set) var failure: String?
    public init() {}

    public func write(_ line: String) {
        guard let error = Self.writeAll(line + "\n") else { return }
        // A reader that left (`| head`) ends the run quietly; any other failure is said.
        if error != EPIPE { failure = String(cString: strerror(error)) }
        closed = true
    }

    /// Writes all of `text` to standard output; the errno that stopped it, if any (EIO when
    /// nothing could be written).
    public static func writeAll(_ text: String) -> Int32? {
        var text = text
        return text.withUTF8 { OutputFile.writeAll(STDOUT_FILENO, UnsafeRawBufferPointer($0)) }
    }
}

/// How many exchanges a run with `--state` had ingested, noted beside its checkpoints about once
/// a second (a few bytes, renamed into place). After a crash, the difference to the checkpoint's
/// count is what a source that cannot rewind delivered and the restarted run will never see.
public enum ProgressNote {
    public static let name = "progress"

    public static func write(_ exchanges: Int, in directory: String) {
        let path = directory + "/" + name
        let temporary = path + ".tmp"
        guard (try? Data("exchanges \(exchanges)\n".utf8).write(to: URL(fileURLWithPath: temporary))) != nil else { return }
        _ = rename(temporary, path)
    }

    /// What the run before a restart ingested after its last checkpoint: from sources that
    /// cannot rewind, gone.
    public static func lost(in directory: String, restored: Int) -> Int {
        max(0, (read(in: directory) ?? restored) - restored)
    }

    /// The exchanges a checkpoint's run had taken in. A checkpoint the console wrote has no
    /// headless counters: the detector's count is the same.
    public static func exchanges(restoredFrom state: DetectionState) -> Int {
        Int(state.positions["headless.exchanges"] ?? "") ?? state.detector.exchangeCount
    }

    public static func read(in directory: String) -> Int? {
        guard let text = try? String(contentsOfFile: directory + "/" + name, encoding: .utf8) else { return nil }
        let parts = text.split(whereSeparator: \.isWhitespace)
        guard parts.count == 2, parts[0] == "exchanges" else { return nil }
        return Int(parts[1])
    }
}
