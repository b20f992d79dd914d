import ArgumentParser
import DistillCore
import DistillFeeds
import Foundation

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Run the detector over recorded logs to the end and print a report.",
        discussion: """
        PATH may be '-' for standard input; .gz files are read transparently; several files are \
        merged in timestamp order. Exit status: 0 when the scan ran (whatever it found), 2 on \
        unusable input or arguments, 3 with --fail-on when a cluster at that verdict was found, \
        4 when no line of the input was an accepted exchange (empty or unreadable input). \
        --state-out saves what the detector learnt, and --state-in goes on from it: yesterday's \
        state and today's log give the report a scan of both days would.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }
    enum FailOn: String, ExpressibleByArgument, CaseIterable { case suspect, watch }

    @Argument(help: "Log files (NDJSON, optionally .gz), or '-' for standard input.")
    var paths: [String]

    @Option(help: "Report format: table (default on a terminal) or json (default otherwise).")
    var format: Format?

    @Option(help: "Threads: one canonical file is decoded on all but one while the detector runs on the other (default: every core). The report is the same for any number.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("input-format"), help: "Record format of the input: canonical (the default), litellm, otlp, kcat or auto (detected per line).")
    var inputFormat: RecordFormat = .canonical

    @Option(name: .customLong("fail-on"), help: "Exit with status 3 if a cluster at this verdict (or worse) is found: suspect or watch.")
    var failOn: FailOn?

    @Option(help: "Detector sensitivity: conservative, balanced or aggressive.")
    var sensitivity: DetectorSettings.Sensitivity = .balanced

    @Option(name: .customLong("fold-idle-after"), help: ArgumentHelp("Pack the activity of accounts idle this many stream hours (and in no watch or suspect cluster) until they return; 0 never does. Saves memory, changes no verdict.", valueName: "hours"))
    var foldIdleAfter: Int = 168

    @Flag(help: "List every cluster, including lone accounts with clear behaviour.")
    var all = false

    @Option(help: "Only exchanges at or after this stream time (RFC 3339; e.g. 2026-04-22T10:00Z or 2026-04-22).")
    var from: String?

    @Option(help: "Only exchanges at or before this stream time.")
    var until: String?

    @Option(name: .customLong("state-in"), help: ArgumentHelp("Go on from the detector state saved in this file by --state-out.", valueName: "file"))
    var stateIn: String?

    @Option(name: .customLong("state-out"), help: ArgumentHelp("Save the detector state here after the scan, for a later --state-in.", valueName: "file"))
    var stateOut: String?

    func validate() throws {
        try validateFoldIdleAfter(foldIdleAfter)
        if paths.isEmpty { throw ValidationError("give at least one log file, or '-' for standard input") }
        if threads < 1 || threads > 256 { throw ValidationError("--threads must be between 1 and 256") }
        _ = try window()
        if let stateOut {
            // Said before the scan rather than after it: the state is written beside its path.
            let directory = (stateOut as NSString).deletingLastPathComponent
            let place = directory.isEmpty ? "." : directory
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: place, isDirectory: &isDirectory), isDirectory.boolValue,
                  FileManager.default.isWritableFile(atPath: place) else {
                throw ValidationError("--state-out: cannot write in \(TextSanitizer.sanitize(place)) (no such directory, or not writable)")
            }
            if FileManager.default.fileExists(atPath: stateOut, isDirectory: &isDirectory), isDirectory.boolValue {
                throw ValidationError("--state-out: \(TextSanitizer.sanitize(stateOut)) is a directory")
            }
            // The state is renamed into place, which would put a file where a FIFO or a device
            // (`/dev/stdout`) was.
            var info = stat()
            if stat(stateOut, &info) == 0 && info.st_mode & S_IFMT != S_IFREG {
                throw ValidationError("--state-out: \(TextSanitizer.sanitize(stateOut)) is not a regular file")
            }
        }
    }

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
        let settings = detectorSettings
        var resumed: DetectionState?
        if let stateIn {
            do { resumed = try StateFile.read(stateIn, settings: settings) } catch {
                printDiagnostic(error.description)
                throw ExitCode(2)
            }
        }
        let exchangesBefore = resumed?.ledger.exchanges ?? 0
        let rejectedBefore = resumed?.ledger.rejectedTotal ?? 0, duplicatesBefore = resumed?.ledger.duplicates ?? 0
        let result: DetectionRun
        do {
            result = try DetectionRun.run(paths: paths, settings: settings, window: window(), resuming: resumed, format: inputFormat, threads: threads)
        } catch {
            printDiagnostic("\(error)")
            throw ExitCode(2)
        }
        let report = ScanReport(ledger: result.ledger, snapshot: result.detector.snapshot(includeQuiet: all), includeAll: all)
        let chosen = format ?? (isatty(STDOUT_FILENO) == 1 ? .table : .json)
        let text = chosen == .json ? report.json() : report.table(width: terminalWidth())
        try writeStandardOutput(text)

        if chosen == .json && result.ledger.rejectedTotal > 0 {
            // Rejections are in the JSON counts; the first few go to stderr for a person.
            var note = "distillwatch: \(result.ledger.rejectedTotal) line\(result.ledger.rejectedTotal == 1 ? "" : "s") rejected"
            for sample in result.ledger.samples.prefix(3) {
                note += "\n  \(TextSanitizer.sanitize(sample.source)):\(sample.line): \(sample.reason): \(TextSanitizer.sanitize(sample.message))"
            }
            FileHandle.standardError.write(Data((note + "\n").utf8))
        }
        if result.outsideWindow > 0 {
            // The report's counts are of what was read; the skipped are said here.
            FileHandle.standardError.write(Data("distillwatch: \(result.outsideWindow) exchanges outside --from/--until skipped\n".utf8))
        }
        for warning in result.trailingWarnings { printDiagnostic(warning) }
        if result.ledger.uncheckedForRepeats > 0 {
            // A repeat the filter cannot see is counted twice; say so rather than let it pass.
            let n = result.ledger.uncheckedForRepeats
            var note = "\(n) exchange\(n == 1 ? " was" : "s were") too far behind the newest for the duplicate check (request ids are kept for an hour or two) and counted unchecked"
            if let stateIn, let held = resumed?.ledger.lastTs {
                note += "; if \(stateIn) already holds this input, \(n == 1 ? "it is" : "they are") now counted twice (--from \(Timestamp.format(held + 1)) skips what it holds)"
            }
            printDiagnostic(note)
        }
        if let error = result.inputError {
            printDiagnostic("input stopped early: \(error)")
            throw ExitCode(2)
        }
        if let stateOut {
            do { try StateFile.write(DetectionState(detector: result.detector, ledger: result.ledger), to: stateOut) } catch {
                printDiagnostic(error.description)
                throw ExitCode(2)
            }
        }
        if result.ledger.exchanges == exchangesBefore && result.outsideWindow == 0 {
            // "No campaign" and "nothing readable" must not look alike to a pipeline.
            let rejected = result.ledger.rejectedTotal - rejectedBefore, duplicates = result.ledger.duplicates - duplicatesBefore
            var reasons: [String] = []
            if rejected > 0 { reasons.append("\(rejected) \(rejected == 1 ? "line was" : "lines were") rejected") }
            if duplicates > 0 { reasons.append("\(duplicates) \(duplicates == 1 ? "was a duplicate" : "were duplicates") of a recent request_id") }
            let why = reasons.isEmpty ? "the input is empty" : "of its lines, " + reasons.joined(separator: " and ")
            FileHandle.standardError.write(Data("distillwatch: no exchange accepted (\(why)); nothing was scanned\n".utf8))
            throw ExitCode(4)
        }
        if let failOn {
            let threshold: Verdict = failOn == .suspect ? .suspect : .watch
            if report.clusters.contains(where: { $0.verdict >= threshold }) { throw ExitCode(3) }
        }
    }
}

extension DetectorSettings.Sensitivity: ExpressibleByArgument {}

func terminalWidth() -> Int {
    var size = winsize()
    if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col >= 40 { return Int(size.ws_col) }
    return 120
}

/// The longest `--fold-idle-after`: ten thousand years, the span of times records can carry.
/// A longer one would overflow the milliseconds it is counted in.
let maxFoldIdleHours = 87_600_000

func validateFoldIdleAfter(_ hours: Int) throws {
    if hours < 0 || hours > maxFoldIdleHours {
        throw ValidationError("--fold-idle-after must be 0 (never) or a number of hours up to \(maxFoldIdleHours) (ten thousand years)")
    }
}
