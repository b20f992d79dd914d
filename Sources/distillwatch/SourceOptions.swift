import ArgumentParser
import DistillCore
import DistillFeeds
import DistillRuntime
import Foundation

extension RecordFormat: ExpressibleByArgument {}

/// Sources that deliver records as they are written (followed files, listeners), their record
/// format and the listeners' limits: what `watch` and `publish` both read.
struct LiveInputOptions: ParsableArguments {
    @Option(name: .customLong("follow"), help: ArgumentHelp(
        "Follow a log file by name as tail -F does (rotation and truncation safe). Repeatable.", valueName: "path"))
    var follow: [String] = []

    @Option(name: .customLong("listen"), help: ArgumentHelp(
        "Receive records: tcp://127.0.0.1:PORT or unix:PATH (NDJSON lines), http://127.0.0.1:PORT (POST NDJSON, JSON arrays, OTLP/JSON on /v1/logs and /v1/traces). Port 0 picks a free one. Repeatable.",
        valueName: "address"))
    var listen: [String] = []

    @Option(help: ArgumentHelp("Address TCP and HTTP listeners bind to instead of loopback (e.g. 0.0.0.0). Needed for any non-loopback address.", valueName: "addr"))
    var bind: String?

    // `--format` is the older spelling: elsewhere it names the output format.
    @Option(name: [.customLong("input-format"), .customLong("format")],
            help: "Record format of the input: canonical, litellm, otlp, kcat or auto (detected per line or request). --format is an older spelling.")
    var format: RecordFormat = .auto

    @Option(name: .customLong("max-connections"), help: "Concurrent connections per listener; more are refused and counted as dropped.")
    var maxConnections = 128

    @Option(name: .customLong("auth-token-file"), help: ArgumentHelp(
        "HTTP listeners require 'Authorization: Bearer TOKEN', the token being this file's content (surrounding whitespace ignored).", valueName: "path"))
    var authTokenFile: String?

    @Option(name: .customLong("max-body-mib"), help: "Largest HTTP request body in MiB (after gzip), 1 to 256; larger requests get 413 and are counted as dropped.")
    var maxBodyMiB = 32

    var hasLiveSources: Bool { !follow.isEmpty || !listen.isEmpty }

    func validate() throws {
        if maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
        // Unfinished requests share a 256 MiB buffer: a larger body could never be accepted.
        if maxBodyMiB < 1 || maxBodyMiB > 256 { throw ValidationError("--max-body-mib must be between 1 and 256") }
        _ = try addresses()
        if authTokenFile != nil {
            guard listen.contains(where: { $0.hasPrefix("http://") }) else { throw ValidationError("--auth-token-file applies to http:// listeners") }
            _ = try bearerToken()
        }
    }

    /// The token in `--auth-token-file`, if one is given; an unreadable or empty file is an error.
    func bearerToken() throws -> String? {
        guard let authTokenFile else { return nil }
        guard let data = FileManager.default.contents(atPath: authTokenFile) else {
            throw ValidationError("--auth-token-file \(authTokenFile): cannot be read")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty, !token.contains(where: { $0.isNewline || $0 == " " }) else {
            throw ValidationError("--auth-token-file \(authTokenFile): must hold one token, with no spaces")
        }
        return token
    }

    /// Said once at start for every listener reachable from other hosts.
    func exposureWarnings(_ listening: [ListenAddress]) -> [String] {
        listening.filter { $0.kind != .unix && !$0.isLoopback }.map { address in
            var text = "listening on \(address), reachable from other hosts"
            if address.kind == .http && authTokenFile == nil { text += ", with no authentication (add --auth-token-file)" }
            if address.kind == .tcp { text += "; TCP listeners have no authentication: restrict who can reach the port" }
            return text + "; traffic is not encrypted (put a TLS proxy in front)"
        }
    }

    /// The listen addresses, with --bind applied. A non-loopback address must be named by --bind.
    func addresses() throws -> [ListenAddress] {
        try listen.map { text in
            var address: ListenAddress
            do { address = try ListenAddress(parsing: text) } catch { throw ValidationError("\(error)") }
            if address.kind != .unix, let bind {
                address.host = bind
            } else if !address.isLoopback {
                throw ValidationError("--listen \(text): listeners bind to loopback; to accept from \(address.host), add --bind \(address.host)")
            }
            return address
        }
    }

    /// A feed per followed file and per listener, in that order. Listeners are bound here, so a
    /// busy port fails before anything starts. `ledgers` and `positions` hold a checkpoint's
    /// counts and places (taken from the front); `resumeNames` names its sources and ours for a refusal.
    func liveFeeds(ledgers: inout ArraySlice<InputLedger>, positions: inout ArraySlice<SourcePosition>,
                   resumeNames: (saved: [String], now: [String])? = nil, metrics: (@Sendable () -> [UInt8])? = nil,
                   answerOnceStored: Bool = false) throws
        -> (feeds: [any ExchangeFeed], names: [String], listening: [ListenAddress]) {
        var feeds: [any ExchangeFeed] = []
        var names: [String] = []
        var listening: [ListenAddress] = []
        for path in follow {
            let at = positions.popFirst()
            if let at, !at.isSource(named: path) {
                throw ResumeError.sourcesDiffer(saved: resumeNames?.saved ?? [], now: resumeNames?.now ?? follow)
            }
            feeds.append(FollowFeed(path: path, format: format, ledger: ledgers.popFirst() ?? InputLedger(), resumeAt: at))
            names.append("follow " + URL(fileURLWithPath: path).lastPathComponent)
        }
        var limits = ListenerLimits()
        limits.maxConnections = maxConnections
        limits.maxBodyBytes = maxBodyMiB << 20
        limits.bearerToken = try bearerToken()
        limits.metrics = metrics
        limits.answerOnceStored = answerOnceStored
        for address in try addresses() {
            let listener = try ListenerFeed(address: address, format: format, limits: limits, ledger: ledgers.popFirst() ?? InputLedger())
            feeds.append(listener)
            listening.append(listener.address)
            names.append(listener.address.description)
        }
        return (feeds, names, listening)
    }
}

/// Live sources, record formats, listener limits and headless mode, for `watch`.
struct SourceOptions: ParsableArguments {
    @OptionGroup var input: LiveInputOptions

    @Flag(help: "No console: print one NDJSON line per cluster verdict change, and counters; exit at the end of finite input.")
    var headless = false

    @Option(name: .customLong("counters-every"), help: "Headless: seconds between counters lines (0: only the final one).")
    var countersEvery: Double = 10

    @Option(name: .customLong("metrics"), help: ArgumentHelp(
        "Headless: serve Prometheus metrics (GET /metrics) and a health check (GET /healthz) at http://127.0.0.1:PORT; HTTP listeners serve them too.", valueName: "address"))
    var metricsAddress: String?

    @Option(name: .customLong("report"), help: ArgumentHelp(
        "Headless: at the end, write the clusters to this file as `scan --format json` reports them.", valueName: "file"))
    var reportPath: String?

    @Option(name: .customLong("state"), help: ArgumentHelp(
        "Keep checkpoints of everything learnt in this directory, and go on from the newest one on start.", valueName: "dir"))
    var stateDirectory: String?

    @Option(name: .customLong("log-format"), help: "Diagnostics on stderr: text (for a person), logfmt or json (one line each, for log collectors).")
    var logFormat: LogFormat = .text

    @Option(name: .customLong("checkpoint-every"), help: "With --state: wall-clock seconds between checkpoints (one is also written at exit).")
    var checkpointEvery: Double = 60

    @Option(name: .customLong("nats"), help: ArgumentHelp(
        "Coordinate shard workers: read their summaries from this NATS server (nats://HOST:PORT) with JetStream. See `distillwatch worker`.", valueName: "url"))
    var nats: String?

    @Option(name: .customLong("stream"), help: "With --nats: the JetStream stream's name (summaries are in NAME_SUMMARY).")
    var stream = "DISTILL"

    @Option(name: .customLong("partitions"), help: "With --nats: how many partitions the publishers split accounts into.")
    var partitions = 16

    var hasLiveSources: Bool { input.hasLiveSources || nats != nil }

    func validate() throws {
        if !(countersEvery >= 0) { throw ValidationError("--counters-every must be 0 or more") }
        // Below a hundredth of a second the counters would drown the alerts they sit between.
        if countersEvery > 0 && countersEvery < 0.01 { throw ValidationError("--counters-every must be 0 (final only) or at least 0.01 seconds") }
        if !(checkpointEvery >= 0.1 && checkpointEvery <= 86_400) { throw ValidationError("--checkpoint-every must be between 0.1 and 86400 seconds") }

        if nats != nil {
            if input.hasLiveSources { throw ValidationError("--nats reads the shard workers' summaries only: publish other sources with `distillwatch publish`") }
            // The coordinator rebuilds from the summary stream, which the stream keeps: a
            // checkpoint on top of it would count everything twice.
            if stateDirectory != nil { throw ValidationError("--state does not apply to --nats: a coordinator rebuilds from the summaries JetStream keeps") }
            if partitions < 1 || partitions > 4096 { throw ValidationError("--partitions must be between 1 and 4096") }
            do { _ = try BusNames(stream) } catch { throw ValidationError("--stream: \(error)") }
        }
        if let reportPath {
            guard headless else { throw ValidationError("--report works with --headless") }
            // Said before the run rather than after hours of it: the report is written beside its path.
            let directory = (reportPath as NSString).deletingLastPathComponent
            var isDirectory: ObjCBool = false
            let where_ = directory.isEmpty ? "." : directory
            guard FileManager.default.fileExists(atPath: where_, isDirectory: &isDirectory), isDirectory.boolValue,
                  FileManager.default.isWritableFile(atPath: where_) else {
                throw ValidationError("--report: cannot write in \(TextSanitizer.sanitize(where_)) (no such directory, or not writable)")
            }
        }
        if metricsAddress != nil {
            guard headless else { throw ValidationError("--metrics works with --headless") }
            _ = try metricsListenAddress()
        }
    }

    /// `--metrics`: an HTTP address (`http://` may be left out), on loopback unless `--bind` says otherwise.
    func metricsListenAddress() throws -> ListenAddress? {
        guard let text = metricsAddress else { return nil }
        var address: ListenAddress
        do { address = try ListenAddress(parsing: text.contains("://") ? text : "http://" + text) } catch { throw ValidationError("--metrics: \(error)") }
        guard address.kind == .http else { throw ValidationError("--metrics takes an http:// address") }
        if let bind = input.bind { address.host = bind } else if !address.isLoopback {
            throw ValidationError("--metrics \(text): listeners bind to loopback; to serve \(address.host), add --bind \(address.host)")
        }
        return address
    }

    /// The feed for these sources: files and `-` (merged by time), followed files, listeners.
    /// Listeners are bound here, so a busy port fails before anything starts.
    ///
    /// `resume` is a checkpoint's mark: each reading thread's ledger (files, then each followed
    /// file, then each listener) and the files' positions. It must come from the same sources.
    func makeFeed(paths: [String], resume: FeedMark? = nil, metrics: (@Sendable () -> [UInt8])? = nil) throws -> (feed: any ExchangeFeed, name: String, listening: [ListenAddress]) {
        if let nats {
            guard paths.isEmpty else { throw BusError("--nats takes no files: publish them with `distillwatch publish --nats \(NatsBus.shown(nats)) FILE`") }
            let bus = try NatsBus(url: nats, connectWaitMs: 5000)
            for notice in try bus.ensureStreams(try BusNames(stream), partitions: partitions) { printDiagnostic(notice, level: .warning) }
            return (BusFeed(bus: bus, names: try BusNames(stream), partitions: partitions), "nats \(stream)", [])
        }
        var feeds: [any ExchangeFeed] = []
        var names: [String] = []
        let readers = (paths.isEmpty ? 0 : 1) + input.follow.count + input.listen.count
        if let resume, resume.ledgers.count != readers || resume.positions.count != paths.count + input.follow.count {
            throw ResumeError.sourcesDiffer(saved: resume.positions.map(\.name), now: paths + input.follow + input.listen)
        }
        var ledgers = resume?.ledgers[...] ?? []
        var positions = resume?.positions[...] ?? []
        if !paths.isEmpty {
            let stream = try ExchangeStream(paths: paths, format: input.format)
            if resume != nil { try stream.resume(at: Array(positions.prefix(paths.count))) }
            positions = positions.dropFirst(paths.count)
            feeds.append(StreamFeed(stream: stream, ledger: ledgers.popFirst() ?? InputLedger()))
            names.append(paths == ["-"] ? "stdin" : paths.count == 1 ? URL(fileURLWithPath: paths[0]).lastPathComponent : "\(paths.count) files")
        }
        let live = try input.liveFeeds(ledgers: &ledgers, positions: &positions,
                                       resumeNames: resume.map { ($0.positions.map(\.name), paths + input.follow) }, metrics: metrics)
        feeds += live.feeds
        names += live.names
        let listening = live.listening
        let feed: any ExchangeFeed = feeds.count == 1 ? feeds[0] : MergedFeed(feeds)
        return (feed, names.joined(separator: " + "), listening)
    }

    /// Whether a restart reads everything again from where a checkpoint stood: files and
    /// `--follow` do; standard input and listeners cannot.
    func sourcesRewind(paths: [String]) -> Bool { input.listen.isEmpty && !paths.contains("-") }
}

extension WatchCommand {
    /// `--state DIR`: the directory (locked) and the newest usable checkpoint in it, with
    /// refusals said on stderr. Exits with status 2 when the directory cannot be used.
    func openCheckpoints(settings: DetectorSettings) throws -> (directory: CheckpointDirectory, restored: CheckpointDirectory.Restored?)? {
        guard let dir = sourceOptions.stateDirectory else { return nil }
        do {
            let directory = try CheckpointDirectory(path: dir)
            let found = try directory.restore(settings: settings)
            if let found {
                for note in found.refused { printDiagnostic("checkpoint refused: \(note)", level: .warning) }
                if !found.refused.isEmpty { printDiagnostic("going on from the older checkpoint \(found.file)", level: .notice) }
            }
            return (directory, found)
        } catch { throw failure("\(error)") }
    }

    /// `watch --headless`: the same feed and detector, NDJSON on stdout; exits when finite input ends.
    func runHeadless(paths: [String]) throws {
        let settings = detectorSettings
        let opened = try openCheckpoints(settings: settings)
        let checkpoints = opened?.directory
        var restored: HeadlessSession.Resumed?
        if let found = opened?.restored {
            do { restored = try HeadlessSession.Resumed(state: found.state, file: found.file) } catch { throw failure("\(error)") }
        }
        let metrics = HeadlessMetrics(checkpoints: checkpoints != nil)
        var metricsListener: ListenerFeed?
        do {
            if let address = try sourceOptions.metricsListenAddress() {
                var limits = ListenerLimits()
                limits.metrics = metrics.exposition
                limits.acceptsRecords = false
                metricsListener = try ListenerFeed(address: address, limits: limits)
            }
        } catch { throw failure("\(error)") }
        let made: (feed: any ExchangeFeed, name: String, listening: [ListenAddress])
        do { made = try sourceOptions.makeFeed(paths: paths, resume: restored?.mark, metrics: metrics.exposition) } catch {
            if let restored { throw failure("cannot go on from checkpoint \(restored.file): \(error)") }
            throw failure("\(error)")
        }
        for warning in sourceOptions.input.exposureWarnings(made.listening) { printDiagnostic(warning, level: .warning) }
        signal(SIGPIPE, SIG_IGN)
        for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig) { s in pendingSignal = s } }
        var runner = HeadlessSession(feed: made.feed, live: sourceOptions.hasLiveSources || paths == ["-"],
                                     settings: settings,
                                     countersEvery: sourceOptions.countersEvery, listening: made.listening,
                                     window: try window(), stopRequested: { pendingSignal != 0 })
        runner.diagnose = { printDiagnostic($0) }
        runner.checkpoints = checkpoints
        runner.metrics = metrics
        if let metricsListener {
            metricsListener.start()
            runner.metricsAddress = metricsListener.address
        }
        runner.checkpointEvery = sourceOptions.checkpointEvery
        runner.evaluationThreads = threads
        runner.reportPath = sourceOptions.reportPath
        runner.resumed = restored
        runner.sourcesRewind = sourceOptions.sourcesRewind(paths: paths)
        let status = runner.run()
        if status != 0 { throw ExitCode(status) }
    }
}
