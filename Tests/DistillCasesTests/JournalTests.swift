import DistillCore
import Foundation
import GRDB
import XCTest
@testable import DistillCases

/// The SQLite journal itself: schema, durability of decisions, undo as history, refusing files
/// it must not touch, two writers.
final class JournalTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("dw-cases-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    var path: String { dir.appendingPathComponent("cases.sqlite").path }

    static func request(_ action: CaseAction, key: String = "acct-1", accounts: [String] = ["acct-1", "acct-2", "acct-3"], caseID: Int64? = nil,
                        note: String? = nil, reason: ClearReason? = nil, scope: AllowlistScope? = nil, at stream: StreamTime = 1_776_000_000_000) -> DecisionRequest {
        var ev = CaseEvidence(asOf: stream, clusterKey: key, detectorVerdict: .suspect, risk: 0.97, accounts: accounts)
        ev.cards = ["pm_A"]; ev.orgs = ["org-1"]; ev.apiKeys = ["key-1"]; ev.ipRanges = ["198.51.100.0/24"]; ev.asns = ["AS16509"]
        ev.exchanges = 240; ev.inputTokens = 48_000; ev.outputTokens = 720_000
        ev.signals = [.init(name: "reasoning_extraction", weight: 3.2, detail: "90% of prompts ask for reasoning traces")]
        ev.samples = [.init(requestID: "r-1", account: "acct-1", ts: stream, prompt: "Solve step by step")]
        return DecisionRequest(caseID: caseID, subject: .cluster, subjectKey: key, action: action, reason: reason, scope: scope, note: note,
                               analyst: "alice", wallTime: 1_800_000_000_000, streamTime: stream, evidence: ev)
    }

    func testANewJournalIsMigratedInWALModeAndMarkedAsOurs() throws {
        let j = try CaseJournal(path: path)
        XCTAssertEqual(try j.appliedMigrations(), CaseJournal.knownMigrations)
        XCTAssertFalse(CaseJournal.knownMigrations.isEmpty)
        try j.queue.read { db in
            XCTAssertEqual(try String.fetchOne(db, sql: "PRAGMA journal_mode"), "wal")
            XCTAssertEqual(try Int32.fetchOne(db, sql: "PRAGMA application_id"), CaseJournal.applicationID)
            XCTAssertEqual(try String.fetchOne(db, sql: "SELECT value FROM journal_info WHERE key = 'format'"), "distillwatch.cases")
        }
        // Opening again migrates nothing and keeps what is there.
        _ = try j.commit(Self.request(.suspect))
        let again = try CaseJournal(path: path)
        XCTAssertEqual(try again.loadCases().count, 1)
    }

    func testAJournalFromANewerVersionIsRefusedUntouched() throws {
        let j = try CaseJournal(path: path)
        try j.queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')") }
        try j.queue.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try CaseJournal(path: path)) { error in
            XCTAssertEqual(error as? CaseJournalError, .newerSchema(path: self.path))
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
    }

    func testDecisionsNotesAndUndoArePersistedAsHistory() throws {
        let j = try CaseJournal(path: path)
        let opened = try j.commit(Self.request(.suspect, note: "farm from ticket 42"))
        XCTAssertEqual(opened.verdict, .suspect)
        _ = try j.commit(Self.request(.note, caseID: opened.id, note: "second look"))
        // A request without a case id finds the case on the same subject.
        let third = try j.commit(Self.request(.watch))
        XCTAssertEqual(third.id, opened.id)
        XCTAssertEqual(third.verdict, .watch)
        let undone = try XCTUnwrap(j.undoLast(analyst: "alice", wallTime: 1_800_000_100_000, streamTime: nil))
        XCTAssertEqual(undone.verdict, .suspect, "undoing the watch restores the suspect")
        _ = try j.undoLast(analyst: "alice", wallTime: 1_800_000_200_000, streamTime: nil)
        let reopened = try CaseJournal(path: path).loadCases()
        XCTAssertEqual(reopened.count, 1)
        let c = reopened[0]
        XCTAssertEqual(c.decisions.map(\.action), [.suspect, .note, .watch, .undo, .undo])
        XCTAssertEqual(c.decisions[3].undoes, c.decisions[2].id)
        XCTAssertEqual(c.decisions[4].undoes, c.decisions[1].id)
        XCTAssertEqual(c.decisions[3].analyst, "alice")
        XCTAssertEqual(c.verdict, .suspect)
        XCTAssertEqual(c.notes.compactMap(\.note), ["farm from ticket 42"])
        XCTAssertEqual(c.evidence.cards, ["pm_A"])
        XCTAssertEqual(c.decisions[0].members, ["acct-1", "acct-2", "acct-3"])
        XCTAssertEqual(c.decisions[0].wallTime, 1_800_000_000_000)
        XCTAssertEqual(c.decisions[0].streamTime, 1_776_000_000_000)
        // Another analyst's decisions are not this one's to undo.
        XCTAssertNil(try j.undoLast(analyst: "carol", wallTime: 1, streamTime: nil))
        // Undo walks back to the start, then there is nothing left.
        _ = try j.undoLast(analyst: "alice", wallTime: 1, streamTime: nil)
        XCTAssertNil(try j.undoLast(analyst: "alice", wallTime: 2, streamTime: nil))
        XCTAssertNil(try j.loadCases()[0].verdict)
    }

    func testAClearWithAScopeMakesTheAllowlist() throws {
        let j = try CaseJournal(path: path)
        let c = try j.commit(Self.request(.clear, reason: .evalLab, scope: .card))
        XCTAssertEqual(c.allowlist, Allowlist(cards: ["pm_A"]))
        let byOrg = try j.commit(Self.request(.clear, caseID: c.id, reason: .evalLab, scope: .org))
        XCTAssertEqual(byOrg.allowlist, Allowlist(orgs: ["org-1"]))
        let noScope = try j.commit(Self.request(.clear, caseID: c.id, reason: .classroom))
        XCTAssertTrue(noScope.allowlist.isEmpty)
    }

    func testAFileThatIsNotAJournalIsRefusedAndNeverOverwritten() throws {
        let text = Data("account_id,verdict\nacct-1,suspect\n".utf8)
        try text.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try CaseJournal(path: path)) { error in
            guard case .notAJournal = error as? CaseJournalError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("left untouched"))
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), text)

        // Another application's SQLite database.
        let other = dir.appendingPathComponent("other.sqlite").path
        let q = try DatabaseQueue(path: other)
        try q.write { db in try db.execute(sql: "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO photos (name) VALUES ('cat')") }
        try q.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: other))
        XCTAssertThrowsError(try CaseJournal(path: other)) { error in
            guard case .notAJournal = error as? CaseJournalError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: other)), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: other + "-wal"))
    }

    func testReadingOnlyNeverWritesTheFile() throws {
        // An empty file lists no cases and stays empty.
        try Data().write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try CaseJournal(readingOnly: path).loadCases().count, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)).count, 0)
        try FileManager.default.removeItem(atPath: path)

        // A journal with a decision, made read-only: its cases are read, its bytes untouched.
        do {
            let j = try CaseJournal(path: path)
            _ = try j.commit(Self.request(.suspect, key: "acct-1"))
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let reader = try CaseJournal(readingOnly: path)
        XCTAssertEqual(try reader.loadCases().map(\.subjectKey), ["acct-1"])
        XCTAssertThrowsError(try reader.commit(Self.request(.watch, key: "acct-2")), "a reader cannot write")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        XCTAssertThrowsError(try CaseJournal(readingOnly: path + "-missing"))
    }

    func testAJournalOnReadOnlyMediaIsReadable() throws {
        // A WAL journal on a read-only file system has no shared-memory file and cannot get one.
        let mountPoint = dir.appendingPathComponent("media").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        func mount(_ args: [String]) -> Bool {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/mount")
            p.arguments = args
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { return false }
            p.waitUntilExit()
            return p.terminationStatus == 0
        }
        try XCTSkipUnless(mount(["-t", "tmpfs", "tmpfs", mountPoint]), "mounting a file system needs privileges this run lacks")
        addTeardownBlock {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/umount")
            p.arguments = [mountPoint]
            try? p.run()
            p.waitUntilExit()
        }
        let onMedia = mountPoint + "/cases.sqlite"
        do {
            let j = try CaseJournal(path: onMedia)
            _ = try j.commit(Self.request(.suspect, key: "acct-1"))
        }
        XCTAssertTrue(mount(["-o", "remount,ro", mountPoint]))
        XCTAssertThrowsError(try CaseJournal(path: onMedia)) { error in
            guard case .readOnly = error as? CaseJournalError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try CaseJournal(readingOnly: onMedia).loadCases().map(\.subjectKey), ["acct-1"])
    }

    func testANewerUserVersionIsRefusedUntouched() throws {
        let j = try CaseJournal(path: path)
        XCTAssertEqual(try j.queue.read { try Int.fetchOne($0, sql: "PRAGMA user_version") }, CaseJournal.schemaVersion)
        try j.queue.write { db in try db.execute(sql: "PRAGMA user_version = 99") }
        try j.queue.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        for open in [{ try CaseJournal(path: self.path) }, { try CaseJournal(readingOnly: self.path) }] {
            XCTAssertThrowsError(try open()) { error in XCTAssertEqual(error as? CaseJournalError, .newerSchema(path: self.path)) }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
    }

    func testADirectoryIsRefusedWithAnErrorNotACrash() throws {
        let folder = dir.appendingPathComponent("a-folder").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for create in [true, false] {
            XCTAssertThrowsError(try CaseJournal(path: folder, create: create)) { error in
                guard case .notAJournal = error as? CaseJournalError else { return XCTFail("\(error)") }
                XCTAssertTrue("\(error)".contains("directory"), "\(error)")
            }
        }
    }

    func testADamagedJournalIsRefusedUntouched() throws {
        let j = try CaseJournal(path: path)
        for i in 0..<40 { _ = try j.commit(Self.request(.suspect, key: "acct-\(i)", accounts: (0..<50).map { "acct-\(i)-\($0)" })) }
        try j.queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try j.queue.close()
        // Scribble over the middle of the file (a table page), keeping the header.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertGreaterThan(bytes.count, 3 * 4096)
        for k in (2 * 4096)..<(2 * 4096 + 2048) { bytes[k] = UInt8(truncatingIfNeeded: k &* 31) }
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try CaseJournal(path: path)) { error in
            guard case .corrupt = error as? CaseJournalError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("damaged"))
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), bytes)
    }

    func testAnEmptyFileBecomesAJournal() throws {
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        let j = try CaseJournal(path: path)
        XCTAssertEqual(try j.commit(Self.request(.watch)).verdict, .watch)
    }

    func testAnUnwritableLocationIsAClearError() {
        XCTAssertThrowsError(try CaseJournal(path: "/proc/distillwatch-test/cases.sqlite")) { error in
            guard case .readOnly = error as? CaseJournalError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("cannot be written"))
        }
    }

    func testTwoConsolesOnOneJournalBothKeepTheirDecisions() throws {
        let a = try CaseJournal(path: path, busyTimeout: 0.2)
        let b = try CaseJournal(path: path, busyTimeout: 0.2)
        let first = try a.commit(Self.request(.suspect, key: "one"))
        _ = try b.commit(Self.request(.watch, key: "two"))
        _ = try a.commit(Self.request(.note, key: "two", note: "seen by a"))
        _ = try b.commit(Self.request(.note, key: "one", caseID: first.id, note: "seen by b"))
        let cases = try a.loadCases()
        XCTAssertEqual(cases.map(\.subjectKey), ["one", "two"])
        // Each sees that the other wrote (and not its own writes), to reload its cases.
        XCTAssertTrue(try a.changedElsewhere())
        XCTAssertFalse(try a.changedElsewhere())
        _ = try a.commit(Self.request(.note, key: "one", note: "a again"))
        XCTAssertFalse(try a.changedElsewhere())
        XCTAssertTrue(try b.changedElsewhere())
        XCTAssertEqual(cases[0].decisions.map(\.action), [.suspect, .note])
        XCTAssertEqual(cases[0].decisions.map(\.note), [nil, "seen by b"])
        XCTAssertEqual(cases[1].decisions.map(\.action), [.watch, .note])

        // While another holds the write lock, a commit fails as busy (nothing half-written) and
        // succeeds once the lock is released.
        let holder = try DatabaseQueue(path: path)
        let locked = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            try? holder.inTransaction(.immediate) { _ in
                locked.signal()
                release.wait()
                return .commit
            }
            done.signal()
        }
        locked.wait()
        XCTAssertThrowsError(try a.commit(Self.request(.suspect, key: "three"))) { error in
            XCTAssertEqual(error as? CaseJournalError, .busy(path: self.path))
            XCTAssertTrue("\(error)".contains("another DistillWatch"))
        }
        release.signal()
        done.wait()
        XCTAssertEqual(try a.commit(Self.request(.suspect, key: "three")).subjectKey, "three")
        XCTAssertEqual(try b.loadCases().count, 3)
    }
}
