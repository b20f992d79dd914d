import DistillCore
import Foundation
import GRDB

/// Why the journal refused to open or to write, in words an analyst can act on.
public enum CaseJournalError: Error, Equatable, CustomStringConvertible {
    case notAJournal(path: String, why: String)
    case corrupt(path: String, why: String)
    case newerSchema(path: String)
    case busy(path: String)
    case full(path: String)
    case readOnly(path: String, why: String)
    case failed(path: String, why: String)

    public var description: String {
        switch self {
        case .notAJournal(let p, let why):
            return "\(p) is not a DistillWatch case journal (\(why)); it was left untouched — choose another file with --cases"
        case .corrupt(let p, let why):
            return "the case journal \(p) is damaged (\(why)); it was left untouched — restore it from a backup or choose another file with --cases"
        case .newerSchema(let p):
            return "the case journal \(p) was written by a newer DistillWatch; it was left untouched — upgrade, or choose another file with --cases"
        case .busy(let p):
            return "the case journal \(p) is busy (another DistillWatch is writing to it)"
        case .full(let p):
            return "the disk holding the case journal \(p) is full"
        case .readOnly(let p, let why):
            return "the case journal \(p) cannot be written (\(why))"
        case .failed(let p, let why):
            return "the case journal \(p) failed: \(why)"
        }
    }
}

/// The analyst's case journal: one SQLite file (WAL mode, synchronous commits), written through
/// GRDB. Every method that changes it returns only after the transaction is committed, so a
/// decision acknowledged on screen survives the process being killed right after.
public final class CaseJournal: CaseStore {
    /// `PRAGMA application_id` of a DistillWatch journal ("DWCJ"): how a file is told apart from
    /// any other SQLite database before anything is written to it.
    public static let applicationID: Int32 = 0x4457_434A
    static let sqliteHeader = Array("SQLite format 3\u{0}".utf8)

    public let location: String
    let queue: DatabaseQueue

    /// `$XDG_STATE_HOME/distillwatch/cases.sqlite`, else `~/.local/state/distillwatch/cases.sqlite`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        UserDirectories.distillwatch("XDG_STATE_HOME", fallback: ".local/state", environment: environment) + "/cases.sqlite"
    }

    /// Opens (creating when absent) the journal at `path`. A file that is not a DistillWatch
    /// journal, is damaged, or comes from a newer version is refused before anything is written.
    /// `create: false` refuses a missing file instead (for read-only commands). Another process
    /// writing holds the lock briefly; `busyTimeout` seconds are waited before `.busy`.
    public init(path: String, create: Bool = true, busyTimeout: TimeInterval = 5) throws {
        location = path
        let fm = FileManager.default
        let exists = fm.fileExists(atPath: path)
        if exists { try Self.inspect(path) } else if !create {
            throw CaseJournalError.failed(path: path, why: "no such file (no decision has been recorded there yet)")
        } else {
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty {
                do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) }
                catch { throw CaseJournalError.readOnly(path: path, why: "cannot create \(dir): \(error.localizedDescription)") }
            }
        }
        var config = Configuration()
        config.journalMode = .wal
        config.busyMode = .timeout(busyTimeout)
        config.label = "distillwatch.cases"
        config.prepareDatabase { db in
            // FULL: a committed decision is on disk, not only in the OS cache.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            try Self.migrator.migrate(queue)
            _ = try changedElsewhere()  // the baseline
        } catch let e as CaseJournalError {
            throw e
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    /// Opens an existing journal for reading only: nothing is created, migrated or written, so an
    /// auditor's copy or a file without write permission can be listed and exported. An empty
    /// file reads as a journal with no cases.
    public init(readingOnly path: String, busyTimeout: TimeInterval = 5) throws {
        location = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw CaseJournalError.failed(path: path, why: "no such file (no decision has been recorded there yet)")
        }
        try Self.inspect(path)
        do { queue = try Self.readingQueue(path, busyTimeout: busyTimeout) } catch { throw Self.translate(error, path: path) }
    }

    /// A read-only connection. A journal in WAL mode on read-only media cannot be opened the
    /// usual way, which needs its shared-memory file beside it: it is then opened immutable,
    /// the file read as it stands, without locks (nothing can be writing it there).
    static func readingQueue(_ path: String, busyTimeout: TimeInterval) throws -> DatabaseQueue {
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(busyTimeout)
        config.label = "distillwatch.cases.read"
        do {
            let queue = try DatabaseQueue(path: path, configuration: config)
            _ = try queue.read { try Int.fetchOne($0, sql: "PRAGMA schema_version") }
            return queue
        } catch let e as DatabaseError where e.resultCode.primaryResultCode == .SQLITE_CANTOPEN {
            let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
            let allowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#%"))
            guard let escaped = absolute.addingPercentEncoding(withAllowedCharacters: allowed) else { throw e }
            let queue = try DatabaseQueue(path: "file:" + escaped + "?immutable=1", configuration: config)
            _ = try queue.read { try Int.fetchOne($0, sql: "PRAGMA schema_version") }
            return queue
        }
    }

    /// Checks an existing file without writing to it: SQLite header, application id (or an
    /// empty database, which is adopted), integrity.
    static func inspect(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CaseJournalError.notAJournal(path: path, why: "a directory, not a file")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CaseJournalError.readOnly(path: path, why: "cannot be read")
        }
        defer { try? handle.close() }
        // The throwing read: the older readData(ofLength:) traps on any read error.
        let head: [UInt8]
        do { head = [UInt8](try handle.read(upToCount: 16) ?? Data()) } catch {
            throw CaseJournalError.readOnly(path: path, why: "cannot be read: \(error.localizedDescription)")
        }
        if head.isEmpty { return }  // an empty file: a new journal
        guard head == sqliteHeader else { throw CaseJournalError.notAJournal(path: path, why: "not an SQLite database") }
        do {
            let probe = try readingQueue(path, busyTimeout: 5)
            try probe.read { db in
                let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
                if id != applicationID {
                    guard id == 0 && tables == 0 else {
                        throw CaseJournalError.notAJournal(path: path, why: id == 0 ? "an SQLite database of something else" : String(format: "application id 0x%08x", id))
                    }
                }
                let check = try String.fetchAll(db, sql: "PRAGMA quick_check")
                if check != ["ok"] { throw CaseJournalError.corrupt(path: path, why: check.prefix(2).joined(separator: "; ")) }
                if try db.tableExists("grdb_migrations"), try migrator.hasBeenSuperseded(db) { throw CaseJournalError.newerSchema(path: path) }
                // The schema version any SQLite tool can read; a newer one is refused even when
                // the migrations table was not carried along.
                if let version = try Int.fetchOne(db, sql: "PRAGMA user_version"), version > schemaVersion {
                    throw CaseJournalError.newerSchema(path: path)
                }
            }
            try probe.close()
        } catch let e as CaseJournalError {
            throw e
        } catch let e as DatabaseError where e.resultCode.primaryResultCode == .SQLITE_NOTADB {
            throw CaseJournalError.notAJournal(path: path, why: "not an SQLite database")
        } catch let e as DatabaseError where e.resultCode.primaryResultCode == .SQLITE_CORRUPT {
            throw CaseJournalError.corrupt(path: path, why: e.message ?? "corrupt")
        } catch {
            throw translate(error, path: path)
        }
    }

    static func translate(_ error: Error, path: String) -> CaseJournalError {
        if let e = error as? CaseJournalError { return e }
        guard let e = error as? DatabaseError else { return .failed(path: path, why: "\(error)") }
        switch e.resultCode.primaryResultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: return .busy(path: path)
        case .SQLITE_FULL: return .full(path: path)
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN, .SQLITE_AUTH: return .readOnly(path: path, why: e.message ?? "read-only")
        case .SQLITE_CORRUPT: return .corrupt(path: path, why: e.message ?? "corrupt")
        case .SQLITE_NOTADB: return .notAJournal(path: path, why: "not an SQLite database")
        case .SQLITE_IOERR: return .failed(path: path, why: "I/O error: " + (e.message ?? ""))
        default: return .failed(path: path, why: e.message ?? "\(e.resultCode)")
        }
    }

    // MARK: Schema

    /// `PRAGMA user_version` of the newest schema this build writes.
    public static let schemaVersion = 2

    /// Migrations, oldest first. Never edit a shipped one: add the next.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: cases and decisions") { db in
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try db.execute(sql: """
                CREATE TABLE journal_info (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                INSERT INTO journal_info (key, value) VALUES ('format', 'distillwatch.cases');
                CREATE TABLE cases (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    subject TEXT NOT NULL CHECK (subject IN ('cluster', 'account')),
                    subject_key TEXT NOT NULL,
                    opened_wall INTEGER NOT NULL,
                    evidence TEXT NOT NULL,
                    evidence_wall INTEGER NOT NULL
                );
                CREATE INDEX cases_by_subject ON cases (subject, subject_key);
                CREATE TABLE decisions (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    case_id INTEGER NOT NULL REFERENCES cases (id),
                    action TEXT NOT NULL CHECK (action IN ('suspect', 'watch', 'clear', 'snooze', 'note', 'undo')),
                    reason TEXT CHECK (reason IN ('eval-lab', 'enterprise-batch', 'classroom', 'reseller', 'other')),
                    scope TEXT CHECK (scope IN ('account', 'org', 'card')),
                    until_stream INTEGER,
                    note TEXT,
                    analyst TEXT NOT NULL,
                    wall_time INTEGER NOT NULL,
                    stream_time INTEGER,
                    undoes INTEGER REFERENCES decisions (id),
                    members TEXT NOT NULL
                );
                CREATE INDEX decisions_by_case ON decisions (case_id, id);
                """)
        }
        m.registerMigration("v2: schema version in user_version") { db in
            try db.execute(sql: "PRAGMA user_version = 2")
        }
        return m
    }

    /// Migrations this build knows, for tests and `cases list`.
    public static var knownMigrations: [String] { migrator.migrations }

    public func appliedMigrations() throws -> [String] {
        try queue.read { try Self.migrator.appliedMigrations($0) }
    }

    // MARK: CaseStore

    public func wallClock() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    public func loadCases() throws -> [CaseRecord] {
        do {
            return try queue.read { db in
                // An empty file opened for reading has no tables yet: no cases.
                guard try db.tableExists("cases") else { return [] }
                return try Self.fetchCases(db, sql: "SELECT * FROM cases ORDER BY id", arguments: [])
            }
        }
        catch { throw Self.translate(error, path: location) }
    }

    public func commit(_ r: DecisionRequest) throws -> CaseRecord {
        do {
            return try queue.write { db -> CaseRecord in
                var id = r.caseID
                if id == nil {
                    id = try Int64.fetchOne(db, sql: "SELECT id FROM cases WHERE subject = ? AND subject_key = ? ORDER BY id DESC LIMIT 1",
                                            arguments: [r.subject.rawValue, r.subjectKey])
                }
                let evidence = try Self.encode(r.evidence)
                if let id {
                    try db.execute(sql: "UPDATE cases SET evidence = ?, evidence_wall = ? WHERE id = ?", arguments: [evidence, r.wallTime, id])
                } else {
                    try db.execute(sql: "INSERT INTO cases (subject, subject_key, opened_wall, evidence, evidence_wall) VALUES (?, ?, ?, ?, ?)",
                                   arguments: [r.subject.rawValue, r.subjectKey, r.wallTime, evidence, r.wallTime])
                    id = db.lastInsertedRowID
                }
                try db.execute(sql: """
                    INSERT INTO decisions (case_id, action, reason, scope, until_stream, note, analyst, wall_time, stream_time, members)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [id, r.action.rawValue, r.reason?.rawValue, r.scope?.rawValue, r.until, r.note, r.analyst,
                                     r.wallTime, r.streamTime, try Self.encode(r.evidence.accounts)])
                return try Self.fetchCases(db, sql: "SELECT * FROM cases WHERE id = ?", arguments: [id])[0]
            }
        } catch {
            throw Self.translate(error, path: location)
        }
    }

    public func undoLast(analyst: String, wallTime: Int64, streamTime: StreamTime?) throws -> CaseRecord? {
        do {
            return try queue.write { db -> CaseRecord? in
                guard let row = try Row.fetchOne(db, sql: """
                    SELECT id, case_id, members FROM decisions
                    WHERE action != 'undo' AND analyst = ? AND id NOT IN (SELECT undoes FROM decisions WHERE undoes IS NOT NULL)
                    ORDER BY id DESC LIMIT 1
                    """, arguments: [analyst]) else { return nil }
                let target: Int64 = row["id"], caseID: Int64 = row["case_id"], members: String = row["members"]
                try db.execute(sql: """
                    INSERT INTO decisions (case_id, action, analyst, wall_time, stream_time, undoes, members)
                    VALUES (?, 'undo', ?, ?, ?, ?, ?)
                    """, arguments: [caseID, analyst, wallTime, streamTime, target, members])
                return try Self.fetchCases(db, sql: "SELECT * FROM cases WHERE id = ?", arguments: [caseID]).first
            }
        } catch {
            throw Self.translate(error, path: location)
        }
    }

    public func refresh(caseID: Int64, evidence: CaseEvidence) throws {
        do {
            let text = try Self.encode(evidence)
            let now = wallClock()
            try queue.write { db in
                try db.execute(sql: "UPDATE cases SET evidence = ?, evidence_wall = ? WHERE id = ?", arguments: [text, now, caseID])
            }
        } catch {
            throw Self.translate(error, path: location)
        }
    }

    /// SQLite's `data_version` changes when another connection commits.
    var seenDataVersion: Int?

    public func changedElsewhere() throws -> Bool {
        do {
            let v = try queue.read { db in try Int.fetchOne(db, sql: "PRAGMA data_version") }
            defer { seenDataVersion = v }
            return seenDataVersion != nil && v != seenDataVersion
        } catch {
            throw Self.translate(error, path: location)
        }
    }

    // MARK: Rows

    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    /// Every column is read with `decode(forColumn:)`, which throws on a value of the wrong
    /// type (a hand-edited or damaged row) where `row["…"]` would trap; the caller turns the
    /// error into a clear "corrupt journal" message.
    static func fetchCases(_ db: Database, sql: String, arguments: StatementArguments) throws -> [CaseRecord] {
        let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
        return try rows.map { row in
            let id = try row.decode(Int64.self, forColumn: "id")
            let decisions = try Row.fetchAll(db, sql: "SELECT * FROM decisions WHERE case_id = ? ORDER BY id", arguments: [id]).map { d in
                CaseDecision(id: try d.decode(forColumn: "id"), action: CaseAction(rawValue: try d.decode(forColumn: "action")) ?? .note,
                             reason: (try d.decode(String?.self, forColumn: "reason")).flatMap(ClearReason.init(rawValue:)),
                             scope: (try d.decode(String?.self, forColumn: "scope")).flatMap(AllowlistScope.init(rawValue:)),
                             until: try d.decode(forColumn: "until_stream"), note: try d.decode(forColumn: "note"),
                             analyst: try d.decode(forColumn: "analyst"), wallTime: try d.decode(forColumn: "wall_time"),
                             streamTime: try d.decode(forColumn: "stream_time"), undoes: try d.decode(forColumn: "undoes"),
                             members: try decode([String].self, try d.decode(forColumn: "members")))
            }
            return CaseRecord(id: id, subject: CaseSubject(rawValue: try row.decode(forColumn: "subject")) ?? .cluster,
                              subjectKey: try row.decode(forColumn: "subject_key"),
                              evidence: try decode(CaseEvidence.self, try row.decode(forColumn: "evidence")), decisions: decisions)
        }
    }
}
