import ArgumentParser
import DistillCases
import DistillConsole
import DistillCore
import DistillFeeds
import Foundation

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Open the analyst's console on recorded logs (replayed at a fixed speed) or standard input.",
        discussion: """
        With no SOURCE, replays the demo campaign in SampleLogs/demo.ndjson.gz. Files are replayed \
        in stream time at --speed stream seconds per second (Space pauses, + and - change speed); \
        '-' reads standard input live. Press ? in the console for the keys. Themes: --theme NAME or \
        FILE, or DISTILLWATCH_THEME; NO_COLOR turns colour off. For a report without a terminal, \
        use 'distillwatch scan'.
        """
    )

    static let demoPath = "SampleLogs/demo.ndjson.gz"

    @Argument(help: "Log files (NDJSON, optionally .gz), or '-' for standard input. Default: the demo log.")
    var sources: [String] = []

    @Option(help: "Replay speed: stream seconds per wall-clock second, 1 to 100000 (3600 = one hour of traffic per second), or max.")
    var speed: String = "3600"

    @Option(help: "Replay only exchanges at or after this stream time (RFC 3339; e.g. 2026-04-22T10:00Z or 2026-04-22).")
    var from: String?

    @Option(help: "Replay only exchanges at or before this stream time.")
    var until: String?

    @Option(help: "Theme name (dark, light, high-contrast, monochrome, or one in Themes/) or a .theme file.")
    var theme: String?

    @Option(help: "Detector sensitivity: conservative, balanced or aggressive.")
    var sensitivity: DetectorSettings.Sensitivity = .balanced

    @Flag(help: "Start paused.")
    var paused = false

    @Option(name: .customLong("cases"), help: "The case journal where decisions are kept. Default: $XDG_STATE_HOME/distillwatch/cases.sqlite (else ~/.local/state/…).")
    var casesPath: String?

    @Option(help: "The analyst's name recorded with each decision. Default: $USER.")
    var analyst: String?

    @Option(name: .customLong("export-dir"), help: "Where `e` and `:export NAME` write case exports. Default: $XDG_DATA_HOME/distillwatch/exports (else ~/.local/share/…).")
    var exportDir: String?

    @OptionGroup(title: "Live sources and headless mode")
    var sourceOptions: SourceOptions

    func validate() throws {
        if case .failure(let e) = ReplaySpeed.parse(speed) { throw ValidationError("--\(e)") }
        _ = try window()
    }

    var replaySpeed: ReplaySpeed { (try? ReplaySpeed.parse(speed).get()) ?? .times(3600) }

    func window() throws -> StreamWindow {
        do { return try StreamWindow(from: from, until: until) } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        Diagnostics.use(sourceOptions.logFormat)
        let paths = try resolveSources()
        if sourceOptions.headless { try runHeadless(paths: paths) }
        if let why = TerminalBackend.refusal() {
            fail("the console needs an interactive terminal (\(why)).\n  For a report instead, run: distillwatch scan \(paths.joined(separator: " "))")
        }
        let live = paths == ["-"] || sourceOptions.hasLiveSources
        // Checkpoints are read, and the feed opened (listeners bound), before the screen is
        // taken, so a refused checkpoint or a busy port fails plainly.
        let opened = openCheckpoints(settings: DetectorSettings(sensitivity: sensitivity))
        var resumeMark: FeedMark?
        if let found = opened?.restored {
            guard let mark = FeedMark(state: found.state) else { fail("checkpoint \(found.file): a source position cannot be read") }
            resumeMark = mark
        }
        var first: (feed: any ExchangeFeed, name: String, listening: [ListenAddress])?
        do { first = try sourceOptions.makeFeed(paths: paths, resume: resumeMark) } catch {
            if let found = opened?.restored { fail("cannot go on from checkpoint \(found.file): \(error)") }
            fail("\(error)")
        }
        let sourceName = first?.name ?? "-"
        let listening = first?.listening ?? []
        let engine: ReplayEngine
        let allowlist = AllowlistHolder()
        do {
            engine = try ReplayEngine(speed: replaySpeed, paused: paused, live: live, window: window(),
                                      makeDetector: { [sensitivity, allowlist] in
                                          let d = Detector(settings: DetectorSettings(sensitivity: sensitivity))
                                          d.inspector = ExchangeInspector()
                                          // A detector rebuilt for a seek back knows the analyst's allowlist from its first exchange.
                                          d.allowlist = allowlist.current
                                          return d
                                      },
                                      makeFeed: { [paths, sourceOptions] in
                                          if let made = first { first = nil; return made.feed }
                                          // Standard input and live sources can be read once: seeking back would rebuild without them.
                                          if paths.contains("-") || sourceOptions.hasLiveSources { throw RereadError() }
                                          return try sourceOptions.makeFeed(paths: paths).feed
                                      },
                                      resumeFeed: live || paths.contains("-") ? nil : { [paths, sourceOptions] mark in
                                          try sourceOptions.makeFeed(paths: paths, resume: mark).feed
                                      },
                                      prepareDetector: { [allowlist] d in
                                          // Drill-down detail is not kept in keyframes: it fills again from here.
                                          d.inspector = ExchangeInspector()
                                          d.allowlist = allowlist.current
                                      })
        } catch { fail("\(error)") }
        if let found = opened?.restored { engine.resume(from: found.state) }
        let chosen = ThemeLoader.load(theme ?? ProcessInfo.processInfo.environment["DISTILLWATCH_THEME"] ?? "dark")
        // Before the screen is taken: a journal that cannot be used is refused with its reason.
        // One that can only be read (no write permission, a read-only mount) is opened read-only.
        let journal: CaseJournal
        var journalReadOnly = false
        let journalPath = casesPath ?? CaseJournal.defaultPath()
        do { journal = try CaseJournal(path: journalPath) } catch CaseJournalError.readOnly(let p, let why) where FileManager.default.fileExists(atPath: p) {
            do { journal = try CaseJournal(readingOnly: p); journalReadOnly = true } catch { fail("the case journal \(p) cannot be written (\(why)) nor read: \(error)") }
        } catch { fail("\(error)") }
        let env = ProcessInfo.processInfo.environment
        let who = analyst ?? env["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? env["LOGNAME"] ?? "analyst"

        let backend: TerminalBackend
        do { backend = try TerminalBackend() } catch {
            fail("the console cannot run here: \(error).\n  For a report instead, run: distillwatch scan \(paths.joined(separator: " "))")
        }
        defer { backend.shutdown() }
        backend.apply(chosen.theme)

        var session = WatchSession(backend: backend, engine: engine, sourceName: sourceName, allowlist: allowlist)
        session.journal = journal
        session.exportDirectory = exportDir ?? CaseExportWriter.defaultDirectory()
        session.console.analyst = who
        session.console.journalReadOnly = journalReadOnly
        session.console.caseStore = journal
        session.console.themeName = chosen.theme.name
        session.console.availableThemes = ThemeLoader.available()
        if let warning = chosen.warning { session.console.say(warning, .warning) }
        if let exposed = sourceOptions.exposureWarnings(listening).first { session.console.say("warning: " + exposed, .warning) }
        if let directory = opened?.directory {
            let writer = CheckpointWriter(directory: directory, console: session.console, every: sourceOptions.checkpointEvery)
            engine.onCheckpoint = { [writer] bytes, at in writer.save(bytes, at: at) }
            session.checkpoints = writer
            if let found = opened?.restored {
                let at = found.state.positions["replay.newest"].flatMap { StreamTime($0) }
                    ?? found.state.positions["headless.stream_time"].flatMap { StreamTime($0) }
                writer.newest = at
                writer.restoredExchanges = ProgressNote.exchanges(restoredFrom: found.state)
                var text = "restored from checkpoint at \(at.map { Format.clock($0) } ?? "-")"
                var lost = 0
                // Files are read again from where the checkpoint stood; what a listener or standard
                // input delivered after it is gone, and the previous run's progress note says how much.
                if !sourceOptions.sourcesRewind(paths: paths) {
                    lost = ProgressNote.lost(in: directory.path, restored: writer.restoredExchanges)
                    text += ", lost \(Format.grouped(lost)) on restart"
                }
                session.console.status.checkpoint = text
                // Also on the message line, which a narrow status bar does not cut off.
                session.console.say(text, lost > 0 ? .warning : .muted)
            }
        }
        let summary = session.run()
        engine.stop()
        backend.shutdown()
        print(summary)
        if pendingSignal != 0 { throw ExitCode(128 + pendingSignal) }
    }

    /// The demo path: relative to the current directory, else to the package the executable
    /// was built in (so `swift run distillwatch watch` works from anywhere in the checkout).
    func resolveSources() throws -> [String] {
        guard sources.isEmpty, !sourceOptions.hasLiveSources else { return sources }
        var tried = [Self.demoPath]
        if FileManager.default.fileExists(atPath: Self.demoPath) { return [Self.demoPath] }
        if let root = ThemeLoader.packageRoot() {
            let p = root + "/" + Self.demoPath
            tried.append(p)
            if FileManager.default.fileExists(atPath: p) { return [p] }
        }
        fail("no demo log found (looked for \(tried.joined(separator: " and "))).\n  Give a log to watch: distillwatch watch FILE.ndjson[.gz] …")
    }

    func fail(_ message: String) -> Never {
        printDiagnostic(message)
        Foundation.exit(2)
    }
}

/// One run of the console: the loop that interleaves bounded slices of detection (the
/// `ReplayEngine`: pacing, seeking) with keys and drawing, on the main thread (the reader
/// decodes on its own thread).
struct WatchSession {
    let backend: TerminalBackend
    let engine: ReplayEngine
    let console: Console
    var grid: ScreenGrid
    var journal: CaseJournal?
    /// Where exports named without a directory go (never the directory the console runs in).
    var exportDirectory = CaseExportWriter.defaultDirectory()
    /// The allowlist version last handed to the detector (-1: none yet).
    var allowlistVersion = -1
    /// Where the engine's detector factory reads the allowlist from.
    let allowlist: AllowlistHolder
    /// With `--state`: writes checkpoints the engine hands over.
    var checkpoints: CheckpointWriter?

    /// Wall time spent ingesting per loop turn, at most: keeps keys responsive.
    static let sliceMs = 6.0

    init(backend: TerminalBackend, engine: ReplayEngine, sourceName: String, allowlist: AllowlistHolder = AllowlistHolder()) {
        self.backend = backend
        self.engine = engine
        self.allowlist = allowlist
        console = Console(status: FeedStatus(source: sourceName, mode: .live), source: DetectorDataSource(detector: engine.detector))
        let size = backend.size
        grid = ScreenGrid(width: size.width, height: size.height, unicode: backend.unicode)
        console.resize(to: ScreenSize(width: size.width, height: size.height, unicode: backend.unicode))
    }

    static func nowMs() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1_000_000
    }

    mutating func run() -> String {
        engine.start()
        var lastDraw = 0.0
        var rateWindow: [(t: Double, n: Int)] = []
        var needsDraw = true
        var rebuilds = engine.rebuilds
        var seeking = false
        var lastRetry = 0.0

        while pendingSignal == 0 {
            let now = Self.nowMs()
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
            let n = engine.pump(wallMs: now) { Self.nowMs() > now + Self.sliceMs }
            if n > 0 { rateWindow.append((now, n)) }
            rateWindow.removeAll { now - $0.t > 2000 }

            if engine.rebuilds != rebuilds {
                // Seeking back: a fresh detector; nothing of the old state may stay on screen.
                rebuilds = engine.rebuilds
                console.source = DetectorDataSource(detector: engine.detector)
                console.restart(snapshot: Console.emptySnapshot)
                needsDraw = true
            }
            if let snapshot = engine.snapshotIfDue(wallMs: Self.nowMs()) {
                console.update(snapshot: snapshot)
                needsDraw = true
            }
            if let moment = engine.takeStopAtSuspect() {
                // `]` or `[` stopped where a cluster became suspect: show it and say what changed.
                console.update(snapshot: engine.detector.snapshot())
                console.showNewlySuspect(at: moment)
                needsDraw = true
            } else if seeking && engine.clock.target == nil {
                let at = engine.streamClock(at: now).map { Format.clock($0) } ?? "-"
                console.say(engine.finished ? "end of input at \(at)" : "at \(at)" + (engine.clock.paused ? " (paused: Space resumes, . steps)" : ""))
            }
            seeking = engine.clock.target != nil
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
                lastDraw = Self.nowMs()
                needsDraw = false
            }

            // Wait for a key, but not past the next bit of work.
            let wait = Int(engine.idleMs(at: Self.nowMs(), cap: 50).rounded(.up))
            if let key = backend.readKey(timeoutMs: wait) {
                var k: Key? = key
                while let key = k {
                    if apply(console.handle(key)) { return finish() }
                    k = backend.readKey(timeoutMs: 0)  // drain typed-ahead keys before drawing
                }
                if case .resize = key { backend.invalidate() }
                updateStatus(rateWindow: rateWindow, now: Self.nowMs())
                draw()
                lastDraw = Self.nowMs()
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
                let deadline = Self.nowMs() + 10_000
                while engine.checkpointPending && Self.nowMs() < deadline {
                    if engine.pump(wallMs: Self.nowMs(), outOfTime: { false }) == 0 { usleep(2_000) }
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
        console.status.error = state.error ?? engine.lastError
        console.status.dropped = state.dropped
        console.status.missedRotations = state.missedRotations
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
        case .time(let t): return .seeking(to: t, speed: speed)
        case .nextSuspect: return .seeking(to: nil, speed: speed)
        case nil: return clock.paused ? .paused(speed: speed) : .replay(speed: speed)
        }
    }

    /// Applies effects; true to quit.
    mutating func apply(_ effects: [ConsoleEffect]) -> Bool {
        let now = Self.nowMs()
        for effect in effects {
            switch effect {
            case .quit: return true
            case .redraw: backend.invalidate()
            case .togglePause:
                engine.setPaused(!engine.clock.paused, wallMs: now)
                console.say(engine.clock.paused ? "paused — Space resumes, . steps a minute" : "resumed at ×\(engine.clock.speed)")
            case .scaleSpeed(let f):
                engine.setSpeed(f > 1 ? engine.clock.speed.faster : engine.clock.speed.slower, wallMs: now)
                console.say("replay speed ×\(engine.clock.speed)")
            case .setSpeed(let v):
                engine.setSpeed(v == .infinity ? .max : .times(max(ReplaySpeed.slowest, min(ReplaySpeed.fastest, v))), wallMs: now)
                console.say("replay speed ×\(engine.clock.speed)")
            case .loadTheme(let name):
                let loaded = ThemeLoader.load(name)
                backend.apply(loaded.theme)
                console.themeName = loaded.theme.name
                console.say(loaded.warning ?? "theme \(loaded.theme.name)", loaded.warning == nil ? .muted : .warning)
            case .step:
                report(engine.step(wallMs: now), "stepping one stream minute")
            case .nextSuspect:
                report(engine.nextSuspect(wallMs: now), "fast-forwarding to the next moment a cluster becomes suspect")
            case .previousSuspect:
                let (result, moment) = engine.previousSuspect(wallMs: now)
                report(result, "back to \(moment.map { Format.clock($0) } ?? "-"), when a cluster became suspect")
            case .goto(let t):
                report(engine.seek(to: t, wallMs: now), "going to \(Format.clock(t))")
            case .exportCases(let path, let ids):
                guard let journal else { console.say("no case journal to export from", .warning); break }
                let result = CaseExportWriter.write(path: path, caseIDs: ids, journal: journal, directory: exportDirectory)
                console.say(result.message, result.ok ? .muted : .warning)
            }
        }
        return false
    }

    /// Says what a seek is doing, or why it cannot.
    func report(_ result: ReplayEngine.SeekResult, _ doing: String) {
        switch result {
        case .forward: console.say(doing + "…")
        case .rebuilding:
            if let from = engine.lastSeekFrom { console.say(doing + ": seeking… (from the keyframe at \(Format.clock(from)))") }
            else { console.say(doing + ": seeking… (re-reading the input from the start)") }
        case .refused(let why): console.say(why, .warning)
        }
    }

    mutating func draw() {
        let size = backend.size
        if size.width != grid.width || size.height != grid.height {
            grid.resize(width: size.width, height: size.height)
        }
        console.resize(to: ScreenSize(width: grid.width, height: grid.height, unicode: grid.unicode))
        console.render(into: &grid)
        backend.draw(grid)
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
        var s = "distillwatch: watched \(Format.grouped(watched)) exchanges"
        if read > watched { s += " (\(Format.grouped(read)) read, counting re-reads after seeking back)" }
        if let journal { s += "; \(console.book.count) case\(console.book.count == 1 ? "" : "s") in \(journal.location)" }
        // Last chance for decisions the journal refused: try once more, else print them.
        console.flushPendingNow()
        if !console.pending.isEmpty {
            s += "\ndistillwatch: \(console.pending.count) decision(s) could NOT be saved (\(console.journalError ?? "journal unavailable")):"
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
final class CheckpointWriter {
    let directory: CheckpointDirectory
    let console: Console
    let every: Double
    /// Wall time of the last write (or of the start), and the stream time it holds.
    var lastWall = WatchSession.nowMs()
    var newest: StreamTime?

    /// Exchanges the detector held when this run was restored (0 for a fresh start).
    var restoredExchanges = 0
    private var noted = -1
    private var notedWall = -Double.infinity

    init(directory: CheckpointDirectory, console: Console, every: Double) {
        self.directory = directory; self.console = console; self.every = every
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

    func save(_ bytes: [UInt8], at time: StreamTime?) {
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
        lastWall = WatchSession.nowMs()
    }
}

/// The analyst's allowlist as last synced from the journal, for detectors the replay engine
/// builds later (a seek back starts a fresh one). Main thread only.
final class AllowlistHolder: @unchecked Sendable {
    var current = Allowlist()
}

/// Seeking back re-reads the input from the start; standard input cannot be.
struct RereadError: Error, CustomStringConvertible {
    var description: String { "standard input and live sources are read once and cannot be read again from the start" }
}

/// Finds and parses theme files: `Themes/NAME.theme` under the current directory or the
/// package root, a path, or a built-in theme of that name.
enum ThemeLoader {
    static func packageRoot() -> String? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        }
        for _ in 0..<6 {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir.path }
            dir.deleteLastPathComponent()
        }
        return nil
    }

    static func directories() -> [String] {
        var dirs = ["Themes"]
        if let root = packageRoot() { dirs.append(root + "/Themes") }
        return dirs
    }

    static func available() -> [String] {
        var names = Theme.builtIn.map(\.name)
        for d in directories() {
            for f in (try? FileManager.default.contentsOfDirectory(atPath: d)) ?? [] where f.hasSuffix(".theme") {
                let n = String(f.dropLast(6))
                if !names.contains(n) { names.append(n) }
            }
        }
        return names
    }

    static func load(_ nameOrPath: String) -> (theme: Theme, warning: String?) {
        var candidates: [String] = []
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".theme") { candidates.append(nameOrPath) }
        else { candidates += directories().map { "\($0)/\(nameOrPath).theme" } }
        let builtIn = Theme.builtIn.first { $0.name == nameOrPath }
        for path in candidates {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            let (theme, problems) = Theme.parse(String(decoding: data, as: UTF8.self), name: name, base: builtIn ?? .dark)
            if problems.isEmpty { return (theme, nil) }
            let list = problems.prefix(3).map(\.description).joined(separator: "; ")
            return (theme, "theme \(path): \(list)\(problems.count > 3 ? "; …" : "") (ignored)")
        }
        if let builtIn { return (builtIn, nil) }
        return (.dark, "no theme '\(nameOrPath)' (have: \(available().joined(separator: ", "))); using dark")
    }
}
