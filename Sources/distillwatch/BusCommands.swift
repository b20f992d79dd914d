import ArgumentParser
import DistillCore
import DistillFeeds
import Foundation

/// Where the bus commands find NATS and the stream.
struct BusOptions: ParsableArguments {
    @Option(name: .customLong("nats"), help: ArgumentHelp("The NATS server, with JetStream enabled.", valueName: "url"))
    var nats = "nats://127.0.0.1:4222"

    @Option(help: "The JetStream stream's name: records go to NAME.x.<partition>, summaries to NAME.summary (stream NAME_SUMMARY).")
    var stream = "DISTILL"

    func validate() throws {
        do { _ = try BusNames(stream) } catch { throw ValidationError("--stream: \(error)") }
    }

    var names: BusNames { try! BusNames(stream) }

    func connect() throws -> NatsBus {
        try refusingOnError { try NatsBus(url: nats, connectWaitMs: 5000) }
    }
}

/// Runs a step a bus command cannot go on without (connecting, setting up streams and
/// consumers): its failure is said on stderr and ends the command with exit status 2.
private func refusingOnError<T>(_ step: () throws -> T) throws -> T {
    do { return try step() } catch {
        printDiagnostic("\(error)")
        throw ExitCode(2)
    }
}

struct PublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish log lines to a NATS JetStream stream, partitioned by account, for shard workers.",
        discussion: """
        Each line goes to NAME.x.<partition>, the partition being a stable hash of its account \
        (a line of several records is sent once per record). Its request_id is the message id, \
        so publishing the same input again is dropped by the stream. Files are published first, \
        in the order given; then records from --follow and --listen until SIGINT or SIGTERM. \
        --end marks the end of the input on every partition: a headless coordinator stops there.
        """
    )

    @Argument(help: "Log files (NDJSON, optionally .gz), or '-' for standard input, published in the order given.")
    var sources: [String] = []

    @OptionGroup var bus: BusOptions

    @OptionGroup var input: LiveInputOptions

    @Option(help: "Partitions to split accounts into (the same for publishers, workers and the coordinator).")
    var partitions = 16

    @Flag(help: "After the input, put an end marker on every partition.")
    var end = false

    @Flag(name: .customLong("wait-each"), help: "Wait for the stream's acknowledgement of each message, and count those it held already.")
    var waitEach = false

    @Option(name: .customLong("state"), help: ArgumentHelp(
        "Keep where each --follow file stands in this file, and go on from there on start.", valueName: "file"))
    var statePath: String?

    @Option(name: .customLong("checkpoint-every"), help: "With --state: seconds between saves (one is also made at exit).")
    var checkpointEvery: Double = 30

    func validate() throws {
        if partitions < 1 || partitions > 4096 { throw ValidationError("--partitions must be between 1 and 4096") }
        if sources.isEmpty && !input.hasLiveSources {
            throw ValidationError("name at least one log file, '-' for standard input, --follow PATH or --listen ADDRESS")
        }
        if statePath != nil {
            guard input.hasLiveSources else { throw ValidationError("--state keeps the place of --follow and --listen sources") }
            guard sources.isEmpty else { throw ValidationError("--state covers live sources only: publish files in a run of their own") }
        }
        // Under the stream's 10-minute duplicate window, so what a restart sends again is dropped.
        if !(checkpointEvery >= 0.1 && checkpointEvery <= 300) { throw ValidationError("--checkpoint-every must be between 0.1 and 300 seconds") }
    }

    /// The saved mark, if `--state` names a file that exists; a file that cannot be used is an error.
    private func savedMark() throws -> FeedMark? {
        guard let statePath, FileManager.default.fileExists(atPath: statePath) else { return nil }
        let state = try StateFile.read(statePath, settings: .standard)
        guard let mark = FeedMark(state: state), mark.ledgers.count == input.follow.count + input.listen.count,
              mark.positions.count == input.follow.count else {
            throw ResumeError.sourcesDiffer(saved: FeedMark(state: state)?.positions.map(\.name) ?? [], now: input.follow + input.listen)
        }
        return mark
    }

    func run() throws {
        let connection = try bus.connect()
        var publisher = BusPublisher(bus: connection, names: bus.names, partitions: partitions, format: input.format)
        publisher.waitEachMessage = waitEach
        try refusingOnError {
            for notice in try connection.ensureStreams(bus.names, partitions: partitions) { printDiagnostic(notice, level: .warning) }
        }
        // Listeners are bound before anything is published, so a busy port stops us early.
        var live: (feeds: [any ExchangeFeed], names: [String], listening: [ListenAddress])?
        if input.hasLiveSources {
            try refusingOnError {
                let resume = try savedMark()
                var ledgers = resume?.ledgers[...] ?? [], positions = resume?.positions[...] ?? []
                // An HTTP sender is answered once the stream holds its records: a 200 then
                // survives this process, and a sender left without one sends again.
                live = try input.liveFeeds(ledgers: &ledgers, positions: &positions,
                                           resumeNames: resume.map { ($0.positions.map(\.name), input.follow) },
                                           answerOnceStored: true)
                if resume != nil, let statePath { printDiagnostic("going on from \(statePath)", level: .notice) }
            }
            for warning in input.exposureWarnings(live?.listening ?? []) { printDiagnostic(warning, level: .warning) }
        }
        let started = Date()
        do {
            var line = ""
            if !sources.isEmpty {
                let counts = try publisher.publish(paths: sources, markEnd: end && live == nil)
                line = "published \(counts.messages) messages from \(counts.lines) lines"
                if waitEach { line += "; \(counts.alreadyPublished) were in the stream already" }
            }
            if let live {
                for address in live.listening { printDiagnostic("listening on \(address)", level: .notice) }
                signal(SIGPIPE, SIG_IGN)
                for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig) { s in pendingSignal = s } }
                let feed: any ExchangeFeed = live.feeds.count == 1 ? live.feeds[0] : MergedFeed(live.feeds)
                var keep: ((FeedMark) throws -> Void)?
                if let statePath {
                    let empty = Detector()
                    keep = { mark in try StateFile.write(mark.state(detector: empty), to: statePath) }
                }
                let result = try publisher.publish(feed: feed, markEnd: end, stopRequested: { pendingSignal != 0 },
                                                   checkpoint: keep, checkpointEvery: checkpointEvery)
                if !line.isEmpty { line += ", then " } else { line = "published " }
                line += "\(result.counts.messages) messages of \(result.counts.lines) records from \(live.names.joined(separator: " + "))"
                line += " (rejected \(result.live.rejected), duplicates \(result.live.duplicates), dropped \(result.live.dropped))"
                if waitEach { line += "; \(result.counts.alreadyPublished) were in the stream already" }
            }
            let seconds = Date().timeIntervalSince(started)
            printDiagnostic(line + " to \(bus.stream) in \(String(format: "%.2f", seconds)) s", level: .notice)
        } catch {
            printDiagnostic("\(error)")
            throw ExitCode(1)
        }
    }
}

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Decode and analyse the records of some partitions and publish their summaries for the coordinator.",
        discussion: """
        One durable pull consumer per partition (named NAME_p<N>): a worker that stops leaves its \
        unacknowledged records to the next worker started on the same partitions, which goes on \
        from there. Records are acknowledged only after their summary is stored in NAME_SUMMARY \
        and, with --state, once a save of the partition covers them. Run one live worker per \
        partition.

        The counts the coordinator needs travel in the summaries; --state keeps what drill-down \
        shows (each account's sessions and recent exchanges) in DIR/p<N>, one directory per \
        partition, so a worker restarted on the same partitions (or a replacement that reaches \
        DIR) answers for accounts it has not seen since it started.
        """
    )

    @OptionGroup var bus: BusOptions

    @Option(name: .customLong("partitions"), help: ArgumentHelp("The partitions this worker owns: A-B, or one number.", valueName: "A-B"))
    var range: String

    @Option(name: .customLong("of"), help: "How many partitions there are in all.")
    var total = 16

    @Option(name: [.customLong("input-format"), .customLong("format")], help: "Record format the publishers read: canonical, litellm, otlp, kcat or auto.")
    var format: RecordFormat = .auto

    @Option(name: .customLong("ack-wait"), help: "Seconds before a record taken by a worker that stopped goes to another.")
    var ackWait: Double = 5

    @Option(name: .customLong("state"), help: ArgumentHelp("Directory where each partition's drill-down detail is saved and read back.", valueName: "DIR"))
    var statePath: String?

    @Option(name: .customLong("checkpoint-every"), help: "With --state: seconds between saves of a busy partition; at most half of --ack-wait.")
    var checkpointEvery: Double = 1

    func parsedRange() throws -> ClosedRange<Int> {
        let parts = range.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let a = Int(parts[0]), let b = Int(parts.last!), a >= 0, a <= b, b < total else {
            throw ValidationError("--partitions \(range): give A-B with 0 <= A <= B < \(total) (--of)")
        }
        return a...b
    }

    func validate() throws {
        if total < 1 || total > 4096 { throw ValidationError("--of must be between 1 and 4096") }
        _ = try parsedRange()
        if !(ackWait >= 0.5 && ackWait <= 3600) { throw ValidationError("--ack-wait must be between 0.5 and 3600 seconds") }
        if statePath != nil && !(checkpointEvery >= 0.05 && checkpointEvery <= ackWait / 2) {
            throw ValidationError("--checkpoint-every must be between 0.05 s and half of --ack-wait (\(ackWait / 2) s): records wait for a save before they are acknowledged")
        }
        if statePath?.isEmpty == true { throw ValidationError("--state needs a directory") }
    }

    func run() throws {
        let connection = try bus.connect()
        var settings = BusWorker.Settings()
        settings.partitions = total
        settings.range = try parsedRange()
        settings.format = format
        settings.ackWaitMs = Int64(ackWait * 1000)
        settings.stateDirectory = statePath
        settings.checkpointEvery = checkpointEvery
        let worker = BusWorker(bus: connection, names: bus.names, settings: settings)
        worker.diagnose = { printDiagnostic($0, level: .warning) }
        for line in try refusingOnError({ try worker.openShards() }) { printDiagnostic("going on with " + line, level: .notice) }
        signal(SIGPIPE, SIG_IGN)
        for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig) { s in pendingSignal = s } }
        printDiagnostic("worker \(worker.identity) consuming partitions \(range) of \(total) from \(bus.stream)", level: .notice)
        // Only setting up (the streams, the consumers) throws; later failures are retried.
        try refusingOnError { try worker.run(stop: { pendingSignal != 0 }) }
        printDiagnostic("worker stopped after \(worker.processed) records", level: .notice)
    }
}

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Ask the shard workers what they keep of some accounts: detail, sessions, recent exchanges.",
        discussion: """
        Each account goes to the worker that owns its partition (NAME.inspect.<partition>), as \
        the console's drill-down does under `watch --nats`. Prints one JSON object per account \
        answered: {"account", "detail", "sessions"}; detail is left out when its worker keeps \
        nothing of it. Exits 1 when a worker did not answer within --timeout.
        """
    )

    @OptionGroup var bus: BusOptions

    @Option(name: .customLong("partitions"), help: "How many partitions the publishers split accounts into.")
    var partitions = 16

    @Option(help: "Seconds to wait for each worker's answer.")
    var timeout: Double = 2

    @Argument(help: "Account ids.")
    var accounts: [String]

    func validate() throws {
        if partitions < 1 || partitions > 4096 { throw ValidationError("--partitions must be between 1 and 4096") }
        if !(timeout > 0 && timeout <= 600) { throw ValidationError("--timeout must be between 0 and 600 seconds") }
        if accounts.isEmpty { throw ValidationError("give at least one account id") }
    }

    func run() throws {
        let inspector = BusInspector(bus: try bus.connect(), names: bus.names, partitions: partitions, timeoutMs: Int64(timeout * 1000))
        let answered = try refusingOnError { try inspector.fetch(accounts) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // In the order asked, each account once.
        let byAccount = Dictionary(answered.map { ($0.account, $0) }, uniquingKeysWith: { first, _ in first })
        var printed: Set<String> = []
        for a in accounts where printed.insert(a).inserted {
            if let found = byAccount[a] { print(String(decoding: try encoder.encode(found), as: UTF8.self)) }
        }
        let missing = Set(accounts).subtracting(answered.map(\.account))
        if !missing.isEmpty {
            let parts = Set(missing.map { Exchange.partition(ofAccount: $0, among: partitions) }).sorted()
            printDiagnostic("no worker answered for partition\(parts.count == 1 ? "" : "s") \(parts.map(String.init).joined(separator: ", "))")
            throw ExitCode(1)
        }
    }
}
