import DistillCore
import Foundation

/// A case store in memory, for console tests (the SQLite journal has its own tests). It can be
/// told to fail, as a full disk would.
final class MemoryCaseStore: CaseStore {
    struct Failure: Error, CustomStringConvertible { var description: String }
    var records: [CaseRecord] = []
    var failure: String?
    var nextDecision: Int64 = 1
    var clock: Int64 = 1_800_000_000_000

    var location: String { "memory" }
    func wallClock() -> Int64 { clock += 1000; return clock }
    func loadCases() throws -> [CaseRecord] {
        if let failure { throw Failure(description: failure) }
        return records
    }

    func commit(_ r: DecisionRequest) throws -> CaseRecord {
        if let failure { throw Failure(description: failure) }
        var i = r.caseID.flatMap { id in records.firstIndex { $0.id == id } }
            ?? records.firstIndex { $0.subject == r.subject && $0.subjectKey == r.subjectKey }
        if i == nil {
            records.append(CaseRecord(id: Int64(records.count + 1), subject: r.subject, subjectKey: r.subjectKey, evidence: r.evidence, decisions: []))
            i = records.count - 1
        }
        records[i!].evidence = r.evidence
        records[i!].decisions.append(CaseDecision(id: nextDecision, action: r.action, reason: r.reason, scope: r.scope, until: r.until, note: r.note,
                                                  analyst: r.analyst, wallTime: r.wallTime, streamTime: r.streamTime, members: r.evidence.accounts))
        nextDecision += 1
        return records[i!]
    }

    func undoLast(analyst: String, wallTime: Int64, streamTime: StreamTime?) throws -> CaseRecord? {
        if let failure { throw Failure(description: failure) }
        let undone = Set(records.flatMap { $0.decisions.compactMap(\.undoes) })
        guard let target = records.flatMap(\.decisions).filter({ $0.action != .undo && $0.analyst == analyst && !undone.contains($0.id) }).max(by: { $0.id < $1.id }),
              let i = records.firstIndex(where: { $0.decisions.contains { $0.id == target.id } }) else { return nil }
        records[i].decisions.append(CaseDecision(id: nextDecision, action: .undo, analyst: analyst, wallTime: wallTime, streamTime: streamTime,
                                                 undoes: target.id, members: target.members))
        nextDecision += 1
        return records[i]
    }

    var externalWrite = false
    func changedElsewhere() throws -> Bool { defer { externalWrite = false }; return externalWrite }

    func refresh(caseID: Int64, evidence: CaseEvidence) throws {
        if let failure { throw Failure(description: failure) }
        if let i = records.firstIndex(where: { $0.id == caseID }) { records[i].evidence = evidence }
    }
}
