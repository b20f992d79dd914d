import DistillCases
import DistillConsole
import DistillCore
import DistillFeeds
import Foundation

/// What the console's loop needs of a terminal: its size, keys, a way to show a frame and to
/// take a theme. The ncurses backend is one; tests script another.
public protocol ConsoleTerminal: AnyObject {
    var size: (width: Int, height: Int) { get }
    /// False without a UTF-8 locale.
    var unicode: Bool { get }
    /// The next key, waiting at most `timeoutMs` (0: only one already typed).
    func readKey(timeoutMs: Int) -> Key?
    func draw(_ grid: ScreenGrid)
    /// The next frame is drawn in full (after a resize, or Ctrl+L).
    func invalidate()
    func apply(theme: Theme)
}

/// One run of the console: the loop that interleaves bounded slices of detection (the
/// `ReplayEngine`: pacing, seeking) with keys and drawing, on the calling thread (the reader
/// decodes on its own thread). The terminal and the clock are handed in, so tests run the
/// same loop with a scripted terminal.
public struct ConsoleSession {
    let terminal: any ConsoleTerminal
    public let engine: ReplayEngine
    public let console: Console
    var grid: ScreenGrid
    public var journal: CaseJournal?
    let clock: any MonotonicClock
    /// Asked every turn: true ends the loop as `q` would (a signal, in the program).
    let stopRequested: () -> Bool
    /// Where exports named without a directory go (never the directory the console runs in).
    public var exportDirectory = CaseExportWriter.defaultDirectory()
    /// The allowlist version last handed to the detector (-1: none yet).
    var allowlistVersion = -1
    /// A seek began at the last key: its arrival is said even when it ends within the same turn.
    var seekStarted = false
    /// Where the engine's detector factory reads the allowlist from.
    let allowlist: AllowlistHolder
    /// With `--state`: writes checkpoints the engine hands over.
    public var checkpoints: CheckpointWriter?
    /// Makes the console's drill-down source for the engine's detector (again after a seek
    /// back, which starts a fresh detector).
    public var makeSource: (Detector) -> ConsoleDataSource = { DetectorDataSource(detector: $0) } {
        didSet { console.source = makeSource(engine.detector) }
    }

    /// Wall time spent ingesting per loop turn, at most: keeps keys responsive.
    static let sliceMs = 6.0

    public init(terminal: any ConsoleTerminal, engine: ReplayEngine, sourceName: String, allowlist: AllowlistHolder = AllowlistHolder(),
                clock: any MonotonicClock = SystemClock(), stopRequested: @escaping () -> Bool = { false }) {
        self.terminal = terminal
        self.engine = engine
        self.allowlist = allowlist
        self.clock = clock
        self.stopRequested = stopRequested
        console = Console(status: FeedStatus(source: sourceName, mode: .live), source: DetectorDataSource(detector: engine.detector))
        let size = terminal.size
        grid = ScreenGrid(width: size.width, height: size.height, unicode: terminal.unicode)
        console.resize(to: ScreenSize(width: size.width, height: size.height, unicode: terminal.unicode))
    }

    func nowMs() -> Double { clock.nowMs() }

    /// Runs until `q` or `stopRequested`; returns the summary line(s) to print after the screen is given back.
    public mutating func run() -> String {
        engine.start()
        var lastDraw = 0.0
        var rateWindow: [(t: Double, n: Int)] = []
        var needsDraw = true
        var rebuilds = engine.rebuilds
        var seeking = false
        var lastRetry = 0.0
        var sourceRevision = console.source?.revision ?? 0

        while !stopRequested() {
            let now = nowMs()
            // Before any exchange of this turn: the journal's allowlist (loaded at start, or just
            // changed by a decision) must be in force for everything the detector records.
            // The detector lists what the allowlist set aside only while the console shows it
            // (a detector rebuilt for a seek starts without, and is told here).
            let showAllowlisted = console.showsAllowlisted != engine.detector.showsAllowlisted
            if showAllowlisted { engine.detector.showsAllowlisted = console.showsAllowlisted }
            if syncAllowlist() || showAllowlisted {
                console.update(snapshot: engine.detector.snapshot())
                needsDraw = true
            }
            let n = engine.pump(wallMs: now) { nowMs() > now + Self.sliceMs }
            if n > 0 { rateWindow.append((now, n)) }
            rateWindow.removeAll { now - $0.t > 2000 }

            if engine.rebuilds != rebuilds {
                // Seeking back: a fresh detector; nothing of the old state may stay on screen.
                rebuilds = engine.rebuilds
                console.source = makeSource(engine.detector)
                console.restart(snapshot: Console.emptySnapshot)
                needsDraw = true
            }
            if let revision = console.source?.revision, revision != sourceRevision {
                sourceRevision = revision
                console.sourceChanged()
                needsDraw = true
            }
            if let snapshot = engine.snapshotIfDue(wallMs: nowMs()) {
                console.update(snapshot: snapshot)
                needsDraw = true
            }
            if let moment = engine.takeStopAtSuspect() {
                // `]` or `[` stopped where a cluster became suspect: show it and say what changed.
                console.update(snapshot: engine.detector.snapshot())
                console.showNewlySuspect(at: moment)
                needsDraw = true
            } else if (seeking || seekStarted) && engine.clock.target == nil {
                let at = engine.streamClock(at: now).map { Format.clock($0) } ?? "-"
                console.say(engine.finished ? "end of input at \(at)" : "at \(at)" + (engine.clock.paused ? " (paused: Space resumes, . steps)" : ""))
            }
            seeking = engine.clock.target != nil
            seekStarted = false
            if now - lastRetry >= 1000 {
                lastRetry = now
                if console.retryPending() { needsDraw = true }
            }
            updateStatus(rateWindow: rateWindow, now: now)
            if let checkpoints, !engine.checkpointPending, now - checkpoints.lastWall >= checkpoints.every * 1000 {
                engine.requestCheckpoint()
            }
            checkpoints?.noteProgress(ingested: engine.totalIngested, now: now)

            // The status bar's clock and rate move: refresh a few times a second regardless.
            if needsDraw || now - lastDraw > 250 {
                draw()
                lastDraw = nowMs()
                needsDraw = false
            }

            // Wait for a key, but not past the next bit of work.
            let wait = Int(engine.idleMs(at: nowMs(), cap: 50).rounded(.up))
            if let key = terminal.readKey(timeoutMs: wait) {
                var k: Key? = key
                while let key = k {
                    if apply(console.handle(key)) { return finish() }
                    k = terminal.readKey(timeoutMs: 0)  // drain typed-ahead keys before drawing
                }
                if case .resize = key { terminal.invalidate() }
                updateStatus(rateWindow: rateWindow, now: nowMs())
                draw()
                lastDraw = nowMs()
            }
        }
        return finish()
    }

    /// The last checkpoint, then the summary. A live feed hands over a consistent point within
    /// a few batches; a replay's clock holds what is not yet due, so its newest keyframe (if
    /// newer than the last checkpoint) is written instead.
    func finish() -> String {
        if let checkpoints {
            if engine.live {
                engine.requestCheckpoint()
                let deadline = nowMs() + 10_000
                while engine.checkpointPending && nowMs() < deadline {
                    if engine.pump(wallMs: nowMs(), outOfTime: { false }) == 0 { usleep(2_000) }
                }
            } else if let keyframe = engine.newestKeyframe, keyframe.newest > checkpoints.newest ?? .min {
                checkpoints.save(keyframe.bytes, at: keyframe.newest)
            }
            checkpoints.noteProgress(ingested: engine.totalIngested, now: .infinity)
        }
        return summary(engine.totalIngested)
    }

    func updateStatus(rateWindow: [(t: Double, n: Int)], now: Double) {
        let state = engine.feedState
        let span = max(1000, now - (rateWindow.first?.t ?? now))
        console.status.ingestRate = Double(rateWindow.reduce(0) { $0 + $1.n }) * 1000 / span
        console.status.rejected = state.rejected
        console.status.firstRejections = state.firstRejections
        console.status.latestRejections = state.latestRejections
        console.status.duplicates = state.duplicates
        console.status.error = state.error ?? engine.lastError.map { "\($0)" }
        console.status.dropped = state.dropped
        console.status.missedRotations = state.missedRotations
        console.status.bus = state.bus?.summary
        console.status.busAlarm = state.bus?.alarming ?? false
        console.status.connected = state.connected
        console.status.outsideWindow = engine.outsideWindow
        console.status.clock = engine.streamClock(at: now)
        console.status.mode = mode()
    }

    func mode() -> FeedStatus.Mode {
        let clock = engine.clock, speed = clock.speed.factor
        if engine.live { return engine.finished ? .finished : .live }
        if engine.finished { return .replayEnded(speed: speed) }
        switch clock.target {
        case .time(let t): return .seeking(to: t, speed: speed, thenPaused: clock.paused)
        case .nextSuspect: return .seeking(to: nil, speed: speed, thenPaused: clock.paused)
        case nil: return clock.paused ? .paused(speed: speed) : .replay(speed: speed)
        }
    }

    /// What Space, `+`, `-` and `.` say once a replay has played all of its input.
    static let replayEnded = "the replay has reached the end of its input; [ or :goto go back"

    /// Applies effects; true to quit.
    mutating func apply(_ effects: [ConsoleEffect]) -> Bool {
        let now = nowMs()
        for effect in effects {
            switch effect {
            case .quit: return true
            case .redraw: terminal.invalidate()
            case .togglePause:
                // A live feed is counted as it arrives and an ended replay has nothing left to
                // play: saying "paused" there would claim something that does not happen.
                if engine.live { console.say("a live feed is not paused: records are counted as they arrive", .warning); break }
                if engine.finished { console.say(Self.replayEnded, .warning); break }
                engine.setPaused(!engine.clock.paused, wallMs: now)
                console.say(engine.clock.paused ? "paused — Space resumes, . steps a minute" : "resumed at ×\(engine.clock.speed)")
            case .scaleSpeed(let f):
                if engine.live { console.say("a live feed has no replay speed: records are counted as they arrive", .warning); break }
                if engine.finished { console.say(Self.replayEnded, .warning); break }
                engine.setSpeed(f > 1 ? engine.clock.speed.faster : engine.clock.speed.slower, wallMs: now)
                console.say("replay speed ×\(engine.clock.speed)")
            case .setSpeed(let v):
                if engine.live { console.say("a live feed has no replay speed: records are counted as they arrive", .warning); break }
                engine.setSpeed(v == .infinity ? .max : .times(max(ReplaySpeed.slowest, min(ReplaySpeed.fastest, v))), wallMs: now)
                // Kept at the end, where nothing plays: it is the speed of the next replay back.
                console.say(engine.finished
                            ? "replay speed ×\(engine.clock.speed) once [ or :goto go back; the replay has reached the end of its input"
                            : "replay speed ×\(engine.clock.speed)")
            case .loadTheme(let name):
                // A name that is no theme keeps the one in use: a typo must not repaint the screen.
                guard let loaded = ThemeLoader.find(name) else {
                    console.say(ThemeLoader.notFound(name) + "; keeping \(console.themeName)", .warning)
                    break
                }
                terminal.apply(theme: loaded.theme)
                console.themeName = loaded.theme.name
                console.say(loaded.warning ?? "theme \(loaded.theme.name)", loaded.warning == nil ? .muted : .warning)
            case .step:
                if !engine.live && engine.finished { console.say(Self.replayEnded, .warning); break }
                report(engine.step(wallMs: now), "stepping one stream minute")
            case .nextSuspect:
                report(engine.nextSuspect(wallMs: now), "fast-forwarding to the next moment a cluster becomes suspect")
            case .previousSuspect:
                let (result, moment) = engine.previousSuspect(wallMs: now)
                report(result, "back to \(moment.map { Format.clock($0) } ?? "-"), when a cluster became suspect")
            case .goto(let t):
                let result = engine.seek(to: t, wallMs: now)
                // At max the replay would run on from the target at once, often to the end, as if
                // the seek had done nothing: it pauses there instead (Space resumes).
                if !engine.clock.paused, engine.clock.speed == .max, result == .forward || result == .rebuilding {
                    engine.setPaused(true, wallMs: now)
                }
                report(result, "going to \(Format.clock(t))")
            case .exportCases(let path, let ids):
                guard let journal else { console.say("no case journal to export from", .warning); break }
                let result = CaseExportWriter.write(path: path, caseIDs: ids, journal: journal, directory: exportDirectory)
                console.say(result.message, result.ok ? .muted : .warning)
            }
        }
        return false
    }

    /// Says what a seek is doing, or why it cannot.
    mutating func report(_ result: ReplayEngine.SeekResult, _ doing: String) {
        switch result {
        case .forward: console.say(doing + "…"); seekStarted = true
        case .rebuilding:
            seekStarted = true
            if let from = engine.lastSeekFrom { console.say(doing + ": seeking… (from the keyframe at \(Format.clock(from)))") }
            else { console.say(doing + ": seeking… (re-reading the input from the start)") }
            // A disk that refused keyframes makes seeks slow: say why.
            if engine.keyframesNotWritten > 0, let said = console.message?.text {
                console.say(said + "; \(Format.counted(engine.keyframesNotWritten, "keyframe")) could not be written to \(engine.keyframeDirectory ?? "-")", .warning)
            }
        case .refused(let why): console.say(why, .warning)
        }
    }

    mutating func draw() {
        let size = terminal.size
        if size.width != grid.width || size.height != grid.height {
            grid.resize(width: size.width, height: size.height)
        }
        console.resize(to: ScreenSize(width: grid.width, height: grid.height, unicode: grid.unicode))
        console.render(into: &grid)
        terminal.draw(grid)
    }

    /// Cleared cases with a scope stop their entities raising risk: the detector re-scores
    /// without them at its next evaluation.
    mutating func syncAllowlist() -> Bool {
        guard console.book.allowlistVersion != allowlistVersion else { return false }
        allowlistVersion = console.book.allowlistVersion
        allowlist.current = console.book.allowlist
        engine.detector.allowlist = console.book.allowlist
        // Keyframes were taken under the old allowlist.
        engine.forgetKeyframes()
        return true
    }

    /// `read`: every exchange the engine ingested, re-reads after a backward seek included; the
    /// count that matters is where the stream stands, the current detector's.
    func summary(_ read: Int) -> String {
        let watched = engine.detector.exchangeCount
        var s = "distillwatch: watched " + Format.counted(watched, "exchange")
        if read > watched { s += " (\(Format.grouped(read)) read, counting re-reads after seeking back)" }
        if let journal { s += "; \(console.book.count) case\(console.book.count == 1 ? "" : "s") in \(journal.location)" }
        // Last chance for decisions the journal refused: try once more, else print them.
        console.flushPendingNow()
        if !console.pending.isEmpty {
            s += "\ndistillwatch: \(Format.counted(console.pending.count, "decision")) could NOT be saved (\(console.journalError ?? "journal unavailable")):"
            for p in console.pending { s += "\n  " + TextSanitizer.sanitize(Self.describe(p)) }
        }
        return s
    }

    static func describe(_ p: PendingChange) -> String {
        switch p {
        case .decision(let r):
            return "\(r.action.rawValue) \(r.subject.rawValue) \(r.subjectKey)" + (r.reason.map { " \($0.rawValue)" } ?? "")
                + (r.scope.map { " scope \($0.rawValue)" } ?? "") + (r.note.map { " note: \($0)" } ?? "") + " by \(r.analyst)"
                + " accounts: " + r.evidence.accounts.joined(separator: ",")
        case .undo(let who, _, _): return "undo by \(who)"
        }
    }
}

/// Writes the console's checkpoints to the `--state` directory and says so in the status bar.
public final class CheckpointWriter {
    let directory: CheckpointDirectory
    let console: Console
    let every: Double
    /// Wall time of the last write (or of the start), and the stream time it holds.
    var lastWall: Double
    public var newest: StreamTime?

    /// Exchanges the detector held when this run was restored (0 for a fresh start).
    public var restoredExchanges = 0
    private var noted = -1
    private var notedWall = -Double.infinity

    let clock: any MonotonicClock

    public init(directory: CheckpointDirectory, console: Console, every: Double, clock: any MonotonicClock = SystemClock()) {
        self.directory = directory; self.console = console; self.every = every; self.clock = clock
        lastWall = clock.nowMs()
    }

    /// Notes beside the checkpoints, about once a second, how many exchanges this run has taken
    /// in, so a run restarted after a crash can say how many a live source delivered after the
    /// last checkpoint (`now: .infinity` notes at once).
    func noteProgress(ingested: Int, now: Double) {
        let total = restoredExchanges + ingested
        guard total != noted, now - notedWall >= 1000 else { return }
        ProgressNote.write(total, in: directory.path)
        noted = total
        notedWall = now
    }

    public func save(_ bytes: [UInt8], at time: StreamTime?) {
        do {
            try directory.save(bytes: bytes)
            newest = time
            console.status.checkpoint = "checkpoint \(time.map { Format.clock($0) } ?? "-")"
            console.status.checkpointFailed = false
        } catch {
            console.status.checkpoint = "CHECKPOINT FAILED"
            console.status.checkpointFailed = true
            console.say("\(error)", .warning)
        }
        lastWall = clock.nowMs()
    }
}

/// The analyst's allowlist as last synced from the journal, for detectors the replay engine
/// builds later (a seek back starts a fresh one). Main thread only.
public final class AllowlistHolder: @unchecked Sendable {
    public var current = Allowlist()
    public init() {}
}
