/// What an analyst decided about a cluster or an account. Values only: the journal that keeps
/// them (DistillCases) and the console that makes them both speak these types.
public enum CaseAction: String, Sendable, Codable, CaseIterable {
    case suspect, watch, clear, snooze, note, undo

    /// Actions that set the case's verdict (a note or an undo does not).
    public var isVerdict: Bool { self == .suspect || self == .watch || self == .clear || self == .snooze }
}

/// Why a cluster was cleared as benign.
public enum ClearReason: String, Sendable, Codable, CaseIterable {
    case evalLab = "eval-lab", enterpriseBatch = "enterprise-batch", classroom, reseller, other
}

/// What a `clear` puts on the allowlist: the case's accounts, their orgs, or their cards.
public enum AllowlistScope: String, Sendable, Codable, CaseIterable {
    case account, org, card
}

/// A case is about a cluster (followed by its member accounts) or a single account.
public enum CaseSubject: String, Sendable, Codable {
    case cluster, account
}

/// One entry of a case's history. Never edited: an undo is a new entry naming the one it undoes.
public struct CaseDecision: Sendable, Equatable, Codable {
    public var id: Int64
    public var action: CaseAction
    public var reason: ClearReason?
    public var scope: AllowlistScope?
    /// For `snooze`: the stream time until which the case is quiet.
    public var until: StreamTime?
    public var note: String?
    public var analyst: String
    /// Wall-clock time of the decision, milliseconds since 1970 (UTC).
    public var wallTime: Int64
    /// Stream time on screen when it was made (nil before any data).
    public var streamTime: StreamTime?
    /// For `undo`: the decision it reverts.
    public var undoes: Int64?
    /// Member accounts of the subject when the decision was made.
    public var members: [String]

    public init(id: Int64, action: CaseAction, reason: ClearReason? = nil, scope: AllowlistScope? = nil, until: StreamTime? = nil,
                note: String? = nil, analyst: String, wallTime: Int64, streamTime: StreamTime?, undoes: Int64? = nil, members: [String]) {
        self.id = id; self.action = action; self.reason = reason; self.scope = scope; self.until = until; self.note = note
        self.analyst = analyst; self.wallTime = wallTime; self.streamTime = streamTime; self.undoes = undoes; self.members = members
    }
}

/// A case as kept in the journal: its subject, its latest evidence, its whole history.
public struct CaseRecord: Sendable, Equatable {
    public var id: Int64
    public var subject: CaseSubject
    /// The cluster key (its earliest account) or the account id when the case was opened.
    public var subjectKey: String
    /// The latest evidence seen for it (refreshed whenever the console sees it again).
    public var evidence: CaseEvidence
    public var decisions: [CaseDecision]

    public init(id: Int64, subject: CaseSubject, subjectKey: String, evidence: CaseEvidence, decisions: [CaseDecision]) {
        self.id = id; self.subject = subject; self.subjectKey = subjectKey; self.evidence = evidence; self.decisions = decisions
    }

    /// Decisions still in force: not undone, undos themselves left out.
    public var effectiveDecisions: [CaseDecision] {
        let undone = Set(decisions.compactMap(\.undoes))
        return decisions.filter { $0.action != .undo && !undone.contains($0.id) }
    }

    /// The verdict decision in force (the latest).
    public var verdictDecision: CaseDecision? { effectiveDecisions.last { $0.action.isVerdict } }
    public var verdict: CaseAction? { verdictDecision?.action }
    public var notes: [CaseDecision] { effectiveDecisions.filter { $0.note != nil && !($0.note!.isEmpty) } }

    /// Accounts that joined since the verdict in force was decided.
    public func newMembers(in current: [String]) -> [String] {
        guard let d = verdictDecision else { return [] }
        let before = Set(d.members)
        return current.filter { !before.contains($0) }
    }

    /// Member accounts as last seen: the evidence's, else the latest decision's.
    public var members: [String] { evidence.accounts.isEmpty ? (decisions.last?.members ?? []) : evidence.accounts }

    /// What this case puts on the allowlist: a `clear` in force with a scope.
    public var allowlist: Allowlist {
        guard let d = verdictDecision, d.action == .clear, let scope = d.scope else { return Allowlist() }
        switch scope {
        case .account: return Allowlist(accounts: Set(members))
        case .org: return Allowlist(orgs: Set(evidence.orgs))
        case .card: return Allowlist(cards: Set(evidence.cards))
        }
    }
}

/// What the analyst asks the journal to record.
public struct DecisionRequest: Sendable, Equatable {
    /// The case to add to; nil opens one (or finds the open case on the same subject).
    public var caseID: Int64?
    public var subject: CaseSubject
    public var subjectKey: String
    public var action: CaseAction
    public var reason: ClearReason?
    public var scope: AllowlistScope?
    public var until: StreamTime?
    public var note: String?
    public var analyst: String
    public var wallTime: Int64
    public var streamTime: StreamTime?
    public var evidence: CaseEvidence

    public init(caseID: Int64?, subject: CaseSubject, subjectKey: String, action: CaseAction, reason: ClearReason? = nil,
                scope: AllowlistScope? = nil, until: StreamTime? = nil, note: String? = nil, analyst: String, wallTime: Int64,
                streamTime: StreamTime?, evidence: CaseEvidence) {
        self.caseID = caseID; self.subject = subject; self.subjectKey = subjectKey; self.action = action; self.reason = reason
        self.scope = scope; self.until = until; self.note = note; self.analyst = analyst; self.wallTime = wallTime
        self.streamTime = streamTime; self.evidence = evidence
    }
}

/// Where decisions are kept. The journal implements it with SQLite; every method returns only
/// once the change is durable, so a caller that acknowledges after it returns never lies.
public protocol CaseStore: AnyObject {
    /// Where the journal lives, for messages.
    var location: String { get }
    /// Wall-clock now, milliseconds since 1970, to stamp a decision when it is made.
    func wallClock() -> Int64
    func loadCases() throws -> [CaseRecord]
    /// Records a decision; returns the case as it now stands.
    func commit(_ request: DecisionRequest) throws -> CaseRecord
    /// Records an undo of `analyst`'s latest decision in force (another analyst's are theirs to
    /// undo); returns the case, nil when there is nothing to undo.
    func undoLast(analyst: String, wallTime: Int64, streamTime: StreamTime?) throws -> CaseRecord?
    /// Stores fresher evidence for a case (the cluster seen again, grown or shrunk).
    func refresh(caseID: Int64, evidence: CaseEvidence) throws
    /// True when another process has written to the journal since the last call.
    func changedElsewhere() throws -> Bool
}
