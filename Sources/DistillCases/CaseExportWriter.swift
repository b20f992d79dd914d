import DistillCore
import Foundation

/// Writes cases from a journal to a file, for `cases export` and the console's `e` and `:export`.
public enum CaseExportWriter {
    public static func render(_ cases: [CaseRecord], format: CaseExport.Format, journal: CaseJournal) throws -> Data {
        switch format {
        case .json: return try CaseExport.json(cases, journal: journal.location, exportedAt: journal.wallClock()) + Data("\n".utf8)
        case .csv: return Data(CaseExport.csv(cases).utf8)
        }
    }

    /// The export of a journal not yet made: no cases, in the same shape.
    public static func renderEmpty(format: CaseExport.Format, journal path: String) throws -> Data {
        switch format {
        case .json: return try CaseExport.json([], journal: path, exportedAt: Int64((Date().timeIntervalSince1970 * 1000).rounded())) + Data("\n".utf8)
        case .csv: return Data(CaseExport.csv([]).utf8)
        }
    }

    /// `$XDG_DATA_HOME/distillwatch/exports`, else `~/.local/share/distillwatch/exports`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        UserDirectories.distillwatch("XDG_DATA_HOME", fallback: ".local/share", environment: environment) + "/exports"
    }

    /// For the console: the chosen cases (nil: all) to PATH; the format follows the extension.
    /// A relative PATH is taken inside `directory`, which is made (owner only) when missing, and
    /// may not climb out of it with `..`; a PATH that is a directory (or ends in `/`) gets
    /// `distillwatch-cases.json` inside it. An existing file is never replaced: the export goes
    /// to the first free name with `-1`, `-2`… before the extension, and the message says where.
    public static func write(path given: String, caseIDs: [Int64]?, journal: CaseJournal, directory: String) -> (message: String, ok: Bool) {
        if !given.hasPrefix("/") && given.split(separator: "/").contains("..") {
            return ("export: a relative path stays inside the export directory \(directory); give an absolute path to write elsewhere", false)
        }
        var target = given.hasPrefix("/") ? given : directory + "/" + given
        // A directory gets the export inside it, as `cp` puts a file, rather than a file named
        // after the directory beside it (`/tmp` became `/tmp-1`).
        var isDirectory: ObjCBool = false
        if given.hasSuffix("/") || (FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory) && isDirectory.boolValue) {
            target = (target as NSString).appendingPathComponent(Self.directoryFileName)
        }
        let path = freeName(target)
        do {
            let parent = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            var cases = try journal.loadCases()
            if let ids = caseIDs { cases = cases.filter { ids.contains($0.id) } }
            let format: CaseExport.Format = path.lowercased().hasSuffix(".csv") ? .csv : .json
            try render(cases, format: format, journal: journal).write(to: URL(fileURLWithPath: path), options: .atomic)
            let full = URL(fileURLWithPath: path).path
            return ("exported \(cases.count) case\(cases.count == 1 ? "" : "s") (\(format.rawValue)) to \(full)", true)
        } catch {
            return ("export to \(path) failed: \((error as? CaseJournalError)?.description ?? error.localizedDescription)", false)
        }
    }

    /// The file an export to a directory is written as.
    public static let directoryFileName = "distillwatch-cases.json"

    /// `path` if nothing is there, else the first of `name-1.ext`, `name-2.ext`… that is free.
    static func freeName(_ path: String) -> String {
        let files = FileManager.default
        guard files.fileExists(atPath: path) else { return path }
        let ext = (path as NSString).pathExtension
        let stem = ext.isEmpty ? path : (path as NSString).deletingPathExtension
        var n = 1
        while true {
            let candidate = stem + "-\(n)" + (ext.isEmpty ? "" : "." + ext)
            if !files.fileExists(atPath: candidate) { return candidate }
            n += 1
        }
    }
}
