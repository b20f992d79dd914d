import ArgumentParser
import DistillCases
import DistillConsole
import DistillCore
import DistillFeeds
import DistillRuntime
import Foundation

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Open the analyst's console on recorded logs (replayed at a fixed speed) or standard input.",
        discussion: """
        With no SOURCE, replays the demo campaign in SampleLogs/demo.ndjson.gz (away from the \
        checkout, the same demo is generated into $XDG_CACHE_HOME/distillwatch). Files are replayed \
        in stream time at --speed stream seconds per second (Space pauses, + and - change speed); \
        '-' reads standard input live. Press ? in the console for the keys. Themes: --theme NAME or \
        FILE, or DISTILLWATCH_THEME; NO_COLOR turns colour off. For a report without a terminal, \
        use 'distillwatch scan'.
        """
    )

    static let demoPath = "SampleLogs/demo.ndjson.gz"
    /// Where replay keyframes go: `$TMPDIR`, else /tmp. Their files have no names and vanish
    /// when the program ends, however it ends.
    static var keyframeDirectory: String {
        let tmp = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return tmp.hasSuffix("/") && tmp.count > 1 ? String(tmp.dropLast()) : tmp
    }

    @Argument(help: "Log files (NDJSON, optionally .gz), or '-' for standard input. Default: the demo log.")
    var sources: [String] = []

    // Unconditional: a negative speed gets the range error, not "missing value".
    @Option(parsing: .unconditional, help: "Replay speed: stream seconds per wall-clock second, 1 to 100000 (3600 = one hour of traffic per second), or max.")
    var speed: String = "3600"

    @Option(help: "Replay only exchanges at or after this stream time (RFC 3339; e.g. 2026-04-22T10:00Z or 2026-04-22).")
    var from: String?

    @Option(help: "Replay only exchanges at or before this stream time.")
    var until: String?

    @Option(help: "Theme name (dark, light, high-contrast, monochrome, or one in Themes/) or a .theme file.")
    var theme: String?

    @Option(help: "Detector sensitivity: conservative, balanced or aggressive.")
    var sensitivity: DetectorSettings.Sensitivity = .balanced

    @Option(name: .customLong("fold-idle-after"), help: ArgumentHelp("Pack the activity of accounts idle this many stream hours (and in no watch or suspect cluster) until they return; 0 never does. Saves memory, changes no verdict.", valueName: "hours"))
    var foldIdleAfter: Int = 168

    @Flag(help: "Start paused.")
    var paused = false

    @Option(help: "Threads each hourly evaluation may use, beside the thread that reads the input (default: every core). Verdicts are the same for any number.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("cases"), help: "The case journal where decisions are kept. Default: $XDG_STATE_HOME/distillwatch/cases.sqlite (else ~/.local/state/…).")
    var casesPath: String?

    @Option(help: "The analyst's name recorded with each decision. Default: $USER.")
    var analyst: String?

    @Option(name: .customLong("export-dir"), help: "Where `e` and `:export NAME` write case exports. Default: $XDG_DATA_HOME/distillwatch/exports (else ~/.local/share/…).")
    var exportDir: String?

    @OptionGroup(title: "Live sources and headless mode")
    var sourceOptions: SourceOptions

    func validate() throws {
        try validateFoldIdleAfter(foldIdleAfter)
        if threads < 1 || threads > 256 { throw ValidationError("--threads must be between 1 and 256") }
        if case .failure(let e) = ReplaySpeed.parse(speed) { throw ValidationError("--\(e)") }
        _ = try window()
        // A --theme that names nothing is a bad argument; the environment's choice, set once and
        // forgotten, only falls back to dark with a warning.
        if let theme, ThemeLoader.find(theme) == nil { throw ValidationError("--theme: " + TextSanitizer.sanitize(ThemeLoader.notFound(theme))) }
    }

    var replaySpeed: ReplaySpeed { (try? ReplaySpeed.parse(speed).get()) ?? .times(3600) }

    func window() throws -> StreamWindow {
        do { return try StreamWindow(from: from, until: until) } catch { throw ValidationError(error.description) }
    }

    /// The detector's settings as the options give them.
    var detectorSettings: DetectorSettings {
        var settings = DetectorSettings(sensitivity: sensitivity)
        settings.foldIdleAfter = foldIdleAfter > 0 ? StreamTime(foldIdleAfter) * 3_600_000 : nil
        return settings
    }

    func run() throws {
        Diagnostics.use(sourceOptions.logFormat)
        let paths = try resolveSources()
        if sourceOptions.headless { return try runHeadless(paths: paths) }
        if let why = TerminalBackend.refusal() {
            throw failure("the console needs an interactive terminal (\(why)).\n  For a report instead, run: distillwatch scan \(paths.joined(separator: " "))")
        }
        // Keys are read from standard input when it is the terminal: a log read from there too
        // would take every other keystroke (q and Esc among them) as a line of the log.
        if paths.contains("-") && isatty(STDIN_FILENO) == 1 {
            throw failure("standard input is the terminal, where the console reads its keys: pipe a log into it "
                          + "(gzip -dc log.ndjson.gz | distillwatch watch -) or name a file")
        }
        let live = paths == ["-"] || sourceOptions.hasLiveSources
        // Checkpoints are read, and the feed opened (listeners bound), before the screen is
        // taken, so a refused checkpoint or a busy port fails plainly.
        let opened = try openCheckpoints(settings: detectorSettings)
        var resumeMark: FeedMark?
        if let found = opened?.restored {
            guard let mark = FeedMark(state: found.state) else { throw failure("checkpoint \(found.file): a source position cannot be read") }
            resumeMark = mark
        }
        var first: (feed: any ExchangeFeed, name: String, listening: [ListenAddress])?
        do { first = try sourceOptions.makeFeed(paths: paths, resume: resumeMark) } catch {
            if let found = opened?.restored { throw failure("cannot go on from checkpoint \(found.file): \(error)") }
            throw failure("\(error)")
        }
        let sourceName = first?.name ?? "-"
        let listening = first?.listening ?? []
        let engine: ReplayEngine
        let allowlist = AllowlistHolder()
        // A coordinator's workers keep the drill-down detail of their own accounts.
        let keepsDetail = sourceOptions.nats == nil
        do {
            engine = try ReplayEngine(speed: replaySpeed, paused: paused, live: live, window: window(),
                                      makeDetector: { [settings = detectorSettings, allowlist, keepsDetail, threads] in
                                          let d = Detector(settings: settings)
                                          d.evaluationThreads = threads
                                          if keepsDetail { d.inspector = ExchangeInspector() }
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
                                      prepareDetector: { [allowlist, keepsDetail] d in
                                          // Drill-down detail is not kept in keyframes: it fills again from here.
                                          if keepsDetail {
                                              let inspector = ExchangeInspector()
                                              inspector.keptSince = d.streamTime
                                              d.inspector = inspector
                                          }
                                          d.allowlist = allowlist.current
                                      },
                                      // On disk a long recording keeps keyframes hours apart, not days.
                                      keyframeBudget: ReplayEngine.diskKeyframeBudget(in: Self.keyframeDirectory),
                                      keyframeDirectory: Self.keyframeDirectory)
        } catch { throw failure("\(error)") }
        if let found = opened?.restored { engine.resume(from: found.state) }
        let chosen = ThemeLoader.load(theme ?? ProcessInfo.processInfo.environment["DISTILLWATCH_THEME"] ?? "dark")
        // Before the screen is taken: a journal that cannot be used is refused with its reason.
        // One that can only be read (no write permission, a read-only mount) is opened read-only.
        let journal: CaseJournal
        var journalReadOnly = false
        let journalPath = casesPath ?? CaseJournal.defaultPath()
        do { journal = try CaseJournal(path: journalPath) } catch CaseJournalError.readOnly(let p, let why) where FileManager.default.fileExists(atPath: p) {
            do { journal = try CaseJournal(readingOnly: p); journalReadOnly = true } catch { throw failure("the case journal \(p) cannot be written (\(why)) nor read: \(error)") }
        } catch { throw failure("\(error)") }
        let env = ProcessInfo.processInfo.environment
        let who = analyst ?? env["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? env["LOGNAME"] ?? "analyst"

        let backend: TerminalBackend
        do { backend = try TerminalBackend() } catch {
            throw failure("the console cannot run here: \(error).\n  For a report instead, run: distillwatch scan \(paths.joined(separator: " "))")
        }
        defer { backend.shutdown() }
        backend.apply(theme: chosen.theme)

        var session = ConsoleSession(terminal: backend, engine: engine, sourceName: sourceName, allowlist: allowlist,
                                     stopRequested: { pendingSignal != 0 })
        var busInspector: BusInspector?
        defer { busInspector?.stop() }
        if let url = sourceOptions.nats {
            do {
                let inspector = BusInspector(bus: try NatsBus(url: url, connectWaitMs: 5000), names: try BusNames(sourceOptions.stream),
                                             partitions: sourceOptions.partitions)
                busInspector = inspector
                session.makeSource = { BusDataSource(detector: $0, inspector: inspector) }
            } catch { throw failure("\(error)") }
        }
        session.journal = journal
        session.exportDirectory = exportDir ?? CaseExportWriter.defaultDirectory()
        session.console.analyst = who
        session.console.journalReadOnly = journalReadOnly
        session.console.caseStore = journal
        session.console.themeName = chosen.theme.name
        session.console.availableThemes = ThemeLoader.available()
        if let warning = chosen.warning { session.console.say(warning, .warning) }
        if let exposed = sourceOptions.input.exposureWarnings(listening).first { session.console.say("warning: " + exposed, .warning) }
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
    /// was built in (so `swift run distillwatch watch` works from anywhere in the checkout),
    /// else the same demo generated into the cache directory (an installed binary).
    func resolveSources() throws -> [String] {
        guard sources.isEmpty, !sourceOptions.hasLiveSources else { return sources }
        if FileManager.default.fileExists(atPath: Self.demoPath) { return [Self.demoPath] }
        if let root = ThemeLoader.packageRoot() {
            let p = root + "/" + Self.demoPath
            if FileManager.default.fileExists(atPath: p) { return [p] }
        }
        do {
            return [try DemoLog.materialise()]
        } catch {
            throw failure("no demo log: SampleLogs/demo.ndjson.gz is not here, and generating it failed (\(error)).\n  Give a log to watch: distillwatch watch FILE.ndjson[.gz] …")
        }
    }

    /// Says why the command cannot go on; thrown, it ends the program with status 2 once every
    /// `defer` has run (the terminal is given back first).
    func failure(_ message: String) -> ExitCode {
        printDiagnostic(message)
        return ExitCode(2)
    }
}
