import ArgumentParser
import DistillCases
import DistillCore
import DistillRuntime
import Foundation

/// `distillwatch cases list|export`: the journal read on its own, no detector running (the
/// evidence was stored with each decision and refreshed while the console saw the cluster).
struct CasesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cases",
        abstract: "List or export the analyst's cases from the case journal.",
        discussion: "The journal is $XDG_STATE_HOME/distillwatch/cases.sqlite (else ~/.local/state/distillwatch/cases.sqlite) unless --cases names another.",
        subcommands: [CasesList.self, CasesExport.self]
    )
}

struct JournalOptions: ParsableArguments {
    @Option(name: .customLong("cases"), help: "The case journal (SQLite). Default: $XDG_STATE_HOME/distillwatch/cases.sqlite.")
    var path: String?

    @Option(help: "Only cases whose verdict in force is this: suspect, watch, clear or snooze.")
    var verdict: String?

    var resolvedPath: String { path ?? CaseJournal.defaultPath() }

    /// Checked while parsing, so that a bad value is reported with the subcommand's own usage.
    func validate() throws { _ = try verdictFilter() }

    func verdictFilter() throws -> CaseAction? {
        guard let verdict else { return nil }
        guard let v = CaseAction(rawValue: verdict.lowercased()), v.isVerdict else {
            throw ValidationError("--verdict must be suspect, watch, clear or snooze")
        }
        return v
    }

    /// The journal and its cases; no journal when the default one does not exist yet (no
    /// decision made on this machine), which is an empty list rather than an error. A path
    /// given with --cases that does not exist is an error: it is more likely a typo.
    func openCases() throws -> (CaseJournal?, [CaseRecord]) {
        if path == nil && !FileManager.default.fileExists(atPath: resolvedPath) { return (nil, []) }
        do {
            // Listing and exporting only read: the file is never created, migrated or written.
            let journal = try CaseJournal(readingOnly: resolvedPath)
            return (journal, CaseExport.select(try journal.loadCases(), verdict: try verdictFilter()))
        } catch let e as CaseJournalError {
            printDiagnostic("\(e)")
            throw ExitCode(2)
        }
    }
}

struct CasesList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "One line per case: verdict, accounts, last decision, notes.")
    @OptionGroup var journal: JournalOptions

    func run() throws {
        let (store, cases) = try journal.openCases()
        if cases.isEmpty {
            try writeStandardOutput("no cases in \(journal.resolvedPath)\(store == nil ? " (no decision has been recorded yet)" : "")\n")
            return
        }
        for line in CaseExport.listLines(cases) { try writeStandardOutput(line + "\n") }
    }
}

struct CasesExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export cases with their evidence and history as JSON (schema distillwatch.cases/1) or CSV.")
    @OptionGroup var journal: JournalOptions

    @Option(help: "json or csv.")
    var format: String = "json"

    @Option(name: [.short, .long], help: "Write to this file instead of standard output.")
    var output: String?

    func validate() throws {
        if CaseExport.Format(rawValue: format) == nil { throw ValidationError("--format must be json or csv") }
    }

    func run() throws {
        let (store, cases) = try journal.openCases()
        let chosen = CaseExport.Format(rawValue: format)!
        let data = try store.map { try CaseExportWriter.render(cases, format: chosen, journal: $0) }
            ?? CaseExportWriter.renderEmpty(format: chosen, journal: journal.resolvedPath)
        if let output {
            if let failure = OutputFile.write(data, to: output) {
                printDiagnostic("cannot write \(output): \(failure)")
                throw ExitCode(2)
            }
            printDiagnostic("\(cases.count) case\(cases.count == 1 ? "" : "s") written to \(output)", level: .info)
        } else {
            try writeStandardOutput(String(decoding: data, as: UTF8.self))
        }
    }
}
