import ArgumentParser
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

    @Option(help: "Replay speed: stream seconds per wall-clock second (3600 = one hour of traffic per second).")
    var speed: Double = 3600

    @Option(help: "Theme name (dark, light, high-contrast, monochrome, or one in Themes/) or a .theme file.")
    var theme: String?

    @Option(help: "Detector sensitivity: conservative, balanced or aggressive.")
    var sensitivity: DetectorSettings.Sensitivity = .balanced

    @Flag(help: "Start paused.")
    var paused = false

    @OptionGroup(title: "Live sources and headless mode")
    var sourceOptions: SourceOptions

    func validate() throws {
        if !(speed > 0) { throw ValidationError("--speed must be positive") }
    }

    func run() throws {
        let paths = try resolveSources()
        if sourceOptions.headless { try runHeadless(paths: paths) }
        if let why = TerminalBackend.refusal() {
            fail("the console needs an interactive terminal (\(why)).\n  For a report instead, run: distillwatch scan \(paths.joined(separator: " "))")
        }
        let made: (feed: any ExchangeFeed, name: String, listening: [ListenAddress])
        do { made = try sourceOptions.makeFeed(paths: paths) } catch { fail("\(error)") }
        let chosen = ThemeLoader.load(theme ?? ProcessInfo.processInfo.environment["DISTILLWATCH_THEME"] ?? "dark")

        let backend: TerminalBackend
        do { backend = try TerminalBackend() } catch {
            fail("the console cannot run here: \(error).\n  For a report instead, run: distillwatch scan \(paths.joined(separator: " "))")
        }
        defer { backend.shutdown() }
        backend.apply(chosen.theme)

        let live = paths == ["-"] || sourceOptions.hasLiveSources
        var session = WatchSession(backend: backend, feed: made.feed, live: live, speed: speed,
                                   paused: paused, sourceName: made.name, settings: DetectorSettings(sensitivity: sensitivity))
        session.console.themeName = chosen.theme.name
        session.console.availableThemes = ThemeLoader.available()
        if let warning = chosen.warning { session.console.say(warning, .warning) }
        let summary = session.run()
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
        FileHandle.standardError.write(Data("distillwatch: \(message)\n".utf8))
        Foundation.exit(2)
    }
}

/// One run of the console: the loop that interleaves bounded slices of detection with keys
/// and drawing, on the main thread (the reader decodes on its own thread).
struct WatchSession {
    let backend: TerminalBackend
    let feed: any ExchangeFeed
    let live: Bool
    var speed: Double
    var paused: Bool
    let detector: Detector
    let console: Console
    var grid: ScreenGrid

    /// Wall time spent ingesting per loop turn, at most: keeps keys responsive.
    static let sliceMs = 6.0
    /// Snapshots re-score the clusters: a few per second is plenty for a person.
    static let snapshotEveryMs = 500.0

    init(backend: TerminalBackend, feed: any ExchangeFeed, live: Bool, speed: Double, paused: Bool, sourceName: String, settings: DetectorSettings) {
        self.backend = backend
        self.feed = feed
        self.live = live
        self.speed = speed
        self.paused = paused
        detector = Detector(settings: settings)
        detector.inspector = ExchangeInspector()
        console = Console(status: FeedStatus(source: sourceName, mode: live ? .live : paused ? .paused(speed: speed) : .replay(speed: speed)),
                          source: DetectorDataSource(detector: detector))
        let size = backend.size
        grid = ScreenGrid(width: size.width, height: size.height, unicode: backend.unicode)
    }

    static func nowMs() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1_000_000
    }

    mutating func run() -> String {
        feed.start()
        var pending: [Exchange] = []
        var next = 0
        var streamClock: Double?  // replay position in stream ms
        var lastWall = Self.nowMs()
        var lastSnapshot = 0.0
        var lastDraw = 0.0
        var ingestedSinceSnapshot = 0
        var rateWindow: [(t: Double, n: Int)] = []
        var totalIngested = 0
        var needsDraw = true
        var finished = false

        while pendingSignal == 0 {
            let now = Self.nowMs()
            if !paused, let c = streamClock { streamClock = c + (now - lastWall) * speed }
            lastWall = now

            // Ingest what is due, within the slice.
            let deadline = now + Self.sliceMs
            var n = 0
            ingest: while true {
                if next == pending.count {
                    guard let batch = feed.poll() else { break }
                    pending = batch; next = 0
                }
                let e = pending[next]
                if streamClock == nil { streamClock = Double(e.ts) }
                if !live && (paused || Double(e.ts) > streamClock!) { break }
                detector.ingest(e)
                next += 1; n += 1
                if n & 255 == 0 && Self.nowMs() > deadline { break ingest }
            }
            if n > 0 { ingestedSinceSnapshot += n; totalIngested += n; rateWindow.append((now, n)) }
            rateWindow.removeAll { now - $0.t > 2000 }

            let state = feed.state
            if !finished && state.finished && state.queued == 0 && next == pending.count {
                finished = true
                ingestedSinceSnapshot = max(ingestedSinceSnapshot, 1)  // one last snapshot
            }
            if ingestedSinceSnapshot > 0 && (now - lastSnapshot >= Self.snapshotEveryMs || finished) {
                console.update(snapshot: detector.snapshot())
                ingestedSinceSnapshot = 0
                lastSnapshot = Self.nowMs()
                needsDraw = true
            }
            let span = max(1000, now - (rateWindow.first?.t ?? now))
            console.status.ingestRate = Double(rateWindow.reduce(0) { $0 + $1.n }) * 1000 / span
            console.status.rejected = state.rejected
            console.status.duplicates = state.duplicates
            console.status.error = state.error
            console.status.dropped = state.dropped
            console.status.connected = state.connected
            console.status.mode = finished ? .finished : live ? .live : paused ? .paused(speed: speed) : .replay(speed: speed)

            // The status bar's clock and rate move: refresh a few times a second regardless.
            if needsDraw || now - lastDraw > 250 {
                draw()
                lastDraw = Self.nowMs()
                needsDraw = false
            }

            // Wait for a key, but not past the next bit of work.
            let behind = next < pending.count || state.queued > 0
            let wait = behind && !paused ? (live ? 0 : 5) : 50
            if let key = backend.readKey(timeoutMs: wait) {
                var k: Key? = key
                while let key = k {
                    if apply(console.handle(key)) { return summary(totalIngested) }
                    k = backend.readKey(timeoutMs: 0)  // drain typed-ahead keys before drawing
                }
                if case .resize = key { backend.invalidate() }
                draw()
                lastDraw = Self.nowMs()
            }
        }
        return summary(totalIngested)
    }

    /// Applies effects; true to quit.
    mutating func apply(_ effects: [ConsoleEffect]) -> Bool {
        for effect in effects {
            switch effect {
            case .quit: return true
            case .redraw: backend.invalidate()
            case .togglePause:
                paused.toggle()
                console.say(paused ? "paused — Space resumes" : "resumed at ×\(Int(speed))")
            case .scaleSpeed(let f): speed = max(1, min(10_000_000, speed * f)); console.say("replay speed ×\(Int(speed))")
            case .setSpeed(let v): speed = v; console.say("replay speed ×\(Int(speed))")
            case .loadTheme(let name):
                let loaded = ThemeLoader.load(name)
                backend.apply(loaded.theme)
                console.themeName = loaded.theme.name
                console.say(loaded.warning ?? "theme \(loaded.theme.name)", loaded.warning == nil ? .muted : .warning)
            }
        }
        return false
    }

    mutating func draw() {
        let size = backend.size
        if size.width != grid.width || size.height != grid.height {
            grid.resize(width: size.width, height: size.height)
        }
        console.render(into: &grid)
        backend.draw(grid)
    }

    func summary(_ n: Int) -> String {
        var s = "distillwatch: watched \(Format.grouped(n)) exchanges"
        if console.triage.count > 0 { s += "; \(console.triage.count) analyst decisions were not saved (they last only while the console runs)" }
        return s
    }
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
