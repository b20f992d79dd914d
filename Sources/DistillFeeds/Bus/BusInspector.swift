import DistillCore
import Foundation

/// The coordinator's side of drill-down over the bus: asks the worker that owns an account's
/// partition for what it keeps (`NAME.inspect.<partition>`), on a thread of its own, and keeps
/// the answers for the console to read without waiting. An answer older than `freshForMs` is
/// asked for again the next time it is read.
public final class BusInspector: @unchecked Sendable {
    /// Where an account's drill-down stands.
    public enum Standing: Sendable, Equatable {
        /// Not asked yet, or asked and not answered yet.
        case asking(partition: Int)
        /// The worker of its partition did not answer in time (none running, or too busy).
        case noAnswer(partition: Int)
        case answered
    }

    private let bus: NatsBus
    private let names: BusNames
    public let partitions: Int
    public let timeoutMs: Int64
    public let freshForMs: Double

    private let lock = NSCondition()
    private struct Kept {
        var inspection: AccountInspection?
        var standing: Standing
        var askedAt: Double
    }
    private var kept: [String: Kept] = [:]
    /// Accounts to ask for, in the order first wanted.
    private var wanted: [String] = []
    private var wantedSet: Set<String> = []
    private var stopped = false
    private var started = false
    private var answers = 0
    /// Accounts kept at most: the least recently asked are forgotten past this.
    public static let keptAccounts = 4096

    public init(bus: NatsBus, names: BusNames, partitions: Int, timeoutMs: Int64 = 1000, freshForMs: Double = 2000) {
        self.bus = bus; self.names = names; self.partitions = partitions
        self.timeoutMs = timeoutMs; self.freshForMs = freshForMs
    }

    /// Ends the asking thread (it holds this object until then).
    public func stop() {
        lock.lock()
        stopped = true
        lock.broadcast()
        lock.unlock()
    }

    /// Goes up each time an answer (or a missing one) changes what `lookup` returns.
    public var revision: Int { lock.withLock { answers } }

    /// What is known of `account` now, asking its worker again when that is not fresh.
    public func lookup(_ account: String) -> (inspection: AccountInspection?, standing: Standing) {
        let now = Self.nowMs()
        lock.lock()
        defer { lock.unlock() }
        startIfNeeded()
        let partition = Exchange.partition(ofAccount: account, among: partitions)
        guard let k = kept[account] else {
            want(account)
            return (nil, .asking(partition: partition))
        }
        if now - k.askedAt > freshForMs { want(account) }
        return (k.inspection, k.standing)
    }

    /// Asks the owning workers for `accounts` now and waits for their answers (for scripts and
    /// tests); accounts whose worker did not answer are left out.
    public func fetch(_ accounts: [String]) throws(BusError) -> [AccountInspection] {
        var out: [AccountInspection] = []
        for (partition, group) in Self.byPartition(accounts, partitions: partitions) {
            for start in stride(from: 0, to: group.count, by: BusWorker.accountsPerInspection) {
                let part = Array(group[start..<min(group.count, start + BusWorker.accountsPerInspection)])
                if let answered = try ask(partition, part) { out += answered }
            }
        }
        return out
    }

    // MARK: Asking

    private func want(_ account: String) {
        guard wantedSet.insert(account).inserted else { return }
        wanted.append(account)
        lock.broadcast()
    }

    private func startIfNeeded() {
        guard !started else { return }
        started = true
        let t = Thread { [weak self] in
            while let self, self.askRound() {}
        }
        t.name = "distillwatch-inspect"
        t.start()
    }

    /// Asks for every account wanted now, a request per partition and batch; false once stopped.
    private func askRound() -> Bool {
        lock.lock()
        while wanted.isEmpty && !stopped { lock.wait() }
        if stopped { lock.unlock(); return false }
        let batch = wanted
        wanted = []
        lock.unlock()
        for (partition, group) in Self.byPartition(batch, partitions: partitions) {
            var silent = false
            for start in stride(from: 0, to: group.count, by: BusWorker.accountsPerInspection) {
                let part = Array(group[start..<min(group.count, start + BusWorker.accountsPerInspection)])
                // A partition that let one request time out is not asked again this round: the
                // other partitions' answers would wait a timeout per batch.
                let answered = silent ? nil : (try? ask(partition, part)) ?? nil
                if answered == nil { silent = true }
                let now = Self.nowMs()
                lock.lock()
                for a in part {
                    wantedSet.remove(a)
                    if let found = answered?.first(where: { $0.account == a }) {
                        kept[a] = Kept(inspection: found, standing: .answered, askedAt: now)
                    } else {
                        // Keep whatever an earlier answer said, and say this one went unanswered.
                        kept[a] = Kept(inspection: kept[a]?.inspection, standing: .noAnswer(partition: partition), askedAt: now)
                    }
                }
                if kept.count > Self.keptAccounts {
                    // Down to three quarters, so that the sort comes once per thousand accounts.
                    let oldest = kept.sorted { $0.value.askedAt < $1.value.askedAt }.prefix(kept.count - Self.keptAccounts * 3 / 4)
                    for (a, _) in oldest { kept[a] = nil }
                }
                answers += 1
                lock.unlock()
            }
        }
        return true
    }

    /// One request; nil when no worker answered within the timeout.
    private func ask(_ partition: Int, _ accounts: [String]) throws(BusError) -> [AccountInspection]? {
        let request = Array((try? JSONEncoder().encode(accounts)) ?? Data("[]".utf8))
        guard let reply = try bus.request(names.inspectSubject(partition), request, timeoutMs: timeoutMs) else { return nil }
        guard let answered = try? JSONDecoder().decode([AccountInspection].self, from: Data(reply)) else {
            throw BusError("the worker of partition \(partition) answered a drill-down request with something unreadable")
        }
        return answered
    }

    static func byPartition(_ accounts: [String], partitions: Int) -> [(Int, [String])] {
        var groups: [Int: [String]] = [:]
        for a in accounts { groups[Exchange.partition(ofAccount: a, among: partitions), default: []].append(a) }
        return groups.sorted { $0.key < $1.key }
    }

    private static func nowMs() -> Double { SystemClock().nowMs() }
}
