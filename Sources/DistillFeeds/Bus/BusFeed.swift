import DistillCore
import Foundation

/// How the shard workers stand, as the coordinator sees them.
public struct BusStatus: Sendable, Equatable {
    /// Workers heard from lately, each with the partitions it summarised.
    public var workers: [String: [Int]] = [:]
    /// Partitions no live worker has summarised lately.
    public var unowned: [Int] = []
    /// Partitions more than one live worker has summarised lately: overlapping `--partitions`
    /// ranges (each worker then holds part of an account's detail), or a handover in progress.
    public var shared: [Int] = []
    /// Input messages in the stream not yet handed to the detector.
    public var lag: UInt64 = 0
    public init() {}

    /// One line for a status bar.
    public var summary: String {
        var text = "\(workers.count) worker\(workers.count == 1 ? "" : "s"), lag \(lag)"
        if !unowned.isEmpty { text += ", no worker for partition\(unowned.count == 1 ? "" : "s") \(BusStatus.ranges(unowned))" }
        if !shared.isEmpty { text += ", several workers on partition\(shared.count == 1 ? "" : "s") \(BusStatus.ranges(shared))" }
        return text
    }

    /// Whether the analyst should look: a partition without a worker, or with more than one.
    public var alarming: Bool { !unowned.isEmpty || !shared.isEmpty }

    /// The status of `partitions` partitions given what each live worker summarised.
    public init(heard: [String: Set<Int>], partitions: Int) {
        var readers = [Int](repeating: 0, count: partitions)
        for (worker, set) in heard {
            workers[worker] = set.sorted()
            for p in set where p >= 0 && p < partitions { readers[p] += 1 }
        }
        unowned = (0..<partitions).filter { readers[$0] == 0 }
        shared = (0..<partitions).filter { readers[$0] > 1 }
    }

    /// `0-7,9` for [0,1,...,7,9].
    public static func ranges(_ values: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        let v = values.sorted()
        while i < v.count {
            var j = i
            while j + 1 < v.count && v[j + 1] == v[j] + 1 { j += 1 }
            parts.append(i == j ? "\(v[i])" : "\(v[i])-\(v[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}

/// The coordinator's source: reads every shard summary from the first, puts the partitions'
/// entries back into input order by their sequence numbers, and hands them on only once every
/// partition is known complete up to them. The ledger and detector downstream then see what
/// one process reading the input in order would, so verdicts and flag times match `scan`.
///
/// A coordinator started later (a restart, a standby) rebuilds the same state from the same
/// summaries. With an end marker on every partition, the feed finishes.
public final class BusFeed: ExchangeFeed, @unchecked Sendable {
    private let sink = FeedSink(connected: false)
    private let bus: NatsBus
    private let names: BusNames
    private let partitions: Int
    private let lock = NSLock()
    private var status = BusStatus()
    private var stopped = false
    /// A worker not heard from for this long no longer owns its partitions.
    private let workerTimeout: Double

    /// `bus` is connected already, so that a wrong address fails before anything starts.
    public init(bus: NatsBus, names: BusNames, partitions: Int, workerTimeout: Double = 10) {
        self.bus = bus; self.names = names; self.partitions = partitions; self.workerTimeout = workerTimeout
    }

    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "distillwatch-bus"
        thread.start()
    }

    public func stop() {
        lock.withLock { stopped = true }
        sink.stop()
    }

    public func poll() -> [Exchange]? { sink.poll() }

    public var state: FeedState {
        var s = sink.state
        s.bus = lock.withLock { status }
        return s
    }

    /// Entries waiting for the other partitions, in sequence order per partition.
    private struct Queue {
        var items: [(sequence: UInt64, entries: [ShardSummary.Item])] = []
        var head = 0
        var complete: UInt64 = 0
        var first: UInt64? { head < items.count ? items[head].sequence : nil }

        /// Adds a message's entries unless they are already queued (a message summarised twice).
        mutating func insert(_ sequence: UInt64, _ entries: [ShardSummary.Item]) {
            if head == items.count || items[items.count - 1].sequence < sequence {
                items.append((sequence, entries))
                return
            }
            var lo = head, hi = items.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if items[mid].sequence < sequence { lo = mid + 1 } else { hi = mid }
            }
            if lo < items.count && items[lo].sequence == sequence { return }
            items.insert((sequence, entries), at: lo)
        }

        mutating func pop() -> (sequence: UInt64, entries: [ShardSummary.Item]) {
            let item = items[head]
            head += 1
            if head > 4096 && head * 2 > items.count { items.removeFirst(head); head = 0 }
            return item
        }
    }

    static let lostLink = "lost the connection to the NATS server; reconnecting"

    private func run() {
        var batcher = LiveBatcher(sink: sink)
        do {
            try bus.ensureStreams(names, partitions: partitions)
            let reader = SummaryReader(bus: bus, stream: names.summaryStream, subject: names.summarySubject)
            defer { reader.stop() }
            var healthy = true
            var lastFailure = ""
            sink.update { $0.connected = true }
            var queues = Array(repeating: Queue(), count: partitions)
            var released: UInt64 = 0
            /// Per partition, the last sequence handed on (a partition's records go in increasing order).
            var handedThrough = Array(repeating: UInt64(0), count: partitions)
            var ended = Set<Int>()
            func handOn(_ p: Int, _ items: [ShardSummary.Item]) {
                for item in items {
                    switch item {
                    case .exchange(let x): batcher.add(.exchange(x), source: "", line: 0)
                    case .rejected(let r, let source, let line): batcher.add(.rejected(r), source: source, line: line)
                    case .blank: batcher.add(.blank, source: "", line: 0)
                    case .end: ended.insert(p)
                    }
                }
            }
            /// Records handed on late (see below), so that one summarised twice is handed on once.
            var lateHanded = Set<UInt64>()
            var lateItems = false
            func late(_ p: Int, _ items: [ShardSummary.Item]) { handOn(p, items); lateItems = true }
            /// Per worker: the partitions it summarised, when its last summary was read here, and
            /// when the stream stored it (the server's clock).
            var heard: [String: (partitions: Set<Int>, at: Date, stored: Int64)] = [:]
            /// The stored time of the newest summary read: the stream's own clock, so that a
            /// coordinator reading old summaries (a standby catching up) sees which workers had
            /// gone quiet by then, without comparing the server's clock with this host's.
            var newestStored: Int64 = 0
            var lag: UInt64 = 0
            /// Whether the client's connection to the server is up; a read can fail while it is,
            /// and an outage shows no failed read while the client waits to reconnect.
            var linkUp = true
            var lastStatus = Date.distantPast
            var newPartition = false
            func refreshStatus() {
                let now = Date()
                let quietLimit = Int64(workerTimeout * 1e9)
                heard = heard.filter {
                    now.timeIntervalSince($0.value.at) < workerTimeout && ($0.value.stored == 0 || newestStored - $0.value.stored < quietLimit)
                }
                var s = BusStatus(heard: heard.mapValues(\.partitions), partitions: partitions)
                // Asked only while connected, and not for long: a server shutting down stops
                // answering before it drops its clients, and while this waits the status
                // (workers no longer heard from, the connection) stands still.
                if linkUp && bus.connected {
                    if let last = try? bus.lastSequence(names.stream, waitMs: 500) { lag = last > released ? last - released : 0 }
                }
                s.lag = lag
                lock.withLock { status = s }
            }
            while !lock.withLock({ stopped }) {
                let (read, failure) = reader.take(waiting: 0.01)
                let up = bus.connected
                if up != linkUp {
                    linkUp = up
                    refreshStatus()
                }
                if let failure {
                    // Said once per change, not at every poll while the failure lasts.
                    if healthy || lastFailure != failure.description {
                        lastFailure = failure.description
                        sink.update { $0.connected = false; $0.error = failure.description }
                    }
                    healthy = false
                } else if !linkUp {
                    if healthy || lastFailure != Self.lostLink {
                        lastFailure = Self.lostLink
                        sink.update { $0.connected = false; $0.error = Self.lostLink }
                    }
                    healthy = false
                } else if !healthy {
                    healthy = true
                    sink.update { $0.connected = true; $0.error = nil }
                }
                for item in read {
                    // Rejections name the summary's sequence number in the summary stream as its line.
                    let bytes: [UInt8], sequence: UInt64, stored: Int64
                    switch item {
                    case .summary(let number, let summaryBytes, let storedAt):
                        sequence = number; bytes = summaryBytes
                        stored = storedAt
                        newestStored = max(newestStored, storedAt)
                    case .gone(let range):
                        // Removed from the stream (its limits, an operator): lost to this
                        // coordinator, so said rather than waited for, and counted once per summary.
                        let gone = range.count == 1 ? "shard summary \(range.lowerBound) is" : "shard summaries \(range.lowerBound)-\(range.upperBound) are"
                        batcher.ledger.reject(Rejection(.badValue, message: "\(gone) gone from stream \(names.summaryStream)"), source: names.summarySubject,
                                              line: Int(range.lowerBound), count: range.count)
                        continue
                    }
                    let summary: ShardSummary
                    do { summary = try ShardSummary(decoding: bytes) } catch {
                        batcher.ledger.reject(Rejection(.badValue, message: "unreadable shard summary: \(error)"), source: names.summarySubject, line: Int(sequence))
                        continue
                    }
                    guard summary.partitions == partitions else {
                        // Counted, not fatal: a stored summary that stopped the coordinator would
                        // stop every coordinator started after it too.
                        batcher.ledger.reject(Rejection(.badValue, message: "shard summary from worker \(summary.worker) splits the stream into \(summary.partitions) partitions; this coordinator expects \(partitions) (--partitions)"), source: names.summarySubject, line: Int(sequence))
                        continue
                    }
                    let p = summary.partition
                    if heard[summary.worker]?.partitions.contains(p) != true { newPartition = true }
                    heard[summary.worker, default: ([], Date(), 0)].partitions.insert(p)
                    heard[summary.worker]!.at = Date()
                    heard[summary.worker]!.stored = max(heard[summary.worker]!.stored, stored)
                    var i = 0
                    let entries = summary.entries
                    while i < entries.count {
                        var j = i
                        while j < entries.count && entries[j].sequence == entries[i].sequence { j += 1 }
                        if entries[i].sequence > released {
                            queues[p].insert(entries[i].sequence, entries[i..<j].map(\.item))
                        } else if entries[i].sequence > handedThrough[p], lateHanded.insert(entries[i].sequence).inserted {
                            // Never handed on, yet records after it were: a summary claimed this
                            // partition complete too early. Handed on now, late, rather than lost.
                            late(p, entries[i..<j].map(\.item))
                        }
                        i = j
                    }
                    queues[p].complete = max(queues[p].complete, summary.completeThrough)
                }
                // Hand on, in sequence order, whatever every partition is complete up to.
                let through = queues.map(\.complete).min() ?? 0
                var handed = false
                while true {
                    var best = -1
                    var bestSequence = UInt64.max
                    // A partition past its end marker hands on nothing more: what follows it is
                    // input published after that end (a second `publish --end`), and the run
                    // ends at the first complete set of markers, as `scan` of that input does.
                    for q in 0..<partitions where !ended.contains(q) {
                        if let s = queues[q].first, s <= through, s < bestSequence { best = q; bestSequence = s }
                    }
                    guard best >= 0 else { break }
                    let (sequence, items) = queues[best].pop()
                    released = max(released, sequence)
                    handedThrough[best] = sequence
                    handOn(best, items)
                    handed = true
                }
                if handed || lateItems { batcher.flush(); lateItems = false }
                if ended.count == partitions {
                    refreshStatus()
                    sink.push([], ledger: batcher.ledger, finished: true)
                    break
                }
                if newPartition || Date().timeIntervalSince(lastStatus) >= 1 {
                    lastStatus = Date()
                    newPartition = false
                    refreshStatus()
                }
            }
        } catch {
            sink.update { $0.connected = false }
            sink.push(batcher.batch, ledger: batcher.ledger, finished: true, error: "\(error)")
        }
    }
}

/// Reads the summary stream in order on a thread of its own, a few summaries ahead of the
/// coordinator, so that the wait for each answer overlaps the work on the one before.
///
/// Summaries are read one request at a time straight from the stream, not through a consumer:
/// nothing arrives unasked, so a slow coordinator (a standby rebuilding a long stream) cannot
/// have summaries dropped by its client, and at most `ahead` are held here.
private final class SummaryReader: @unchecked Sendable {
    enum Item {
        case summary(sequence: UInt64, [UInt8], storedAt: Int64)
        /// Sequence numbers the stream no longer holds.
        case gone(ClosedRange<UInt64>)
    }

    private let bus: NatsBus
    private let stream: String
    private let subject: String
    private let ahead = 32
    private let condition = NSCondition()
    private var items: [Item] = []
    private var failure: BusError?
    private var stopped = false

    init(bus: NatsBus, stream: String, subject: String) {
        self.bus = bus; self.stream = stream; self.subject = subject
        let thread = Thread { [self] in run() }
        thread.name = "distillwatch-summaries"
        thread.start()
    }

    func stop() {
        condition.withLock { stopped = true; condition.broadcast() }
    }

    /// What has been read since the last call (waiting at most `seconds` when nothing has), and
    /// the last read's failure if it failed.
    func take(waiting seconds: Double) -> (items: [Item], failure: BusError?) {
        condition.withLock {
            if items.isEmpty { _ = condition.wait(until: Date().addingTimeInterval(seconds)) }
            let taken = items
            items.removeAll(keepingCapacity: true)
            condition.broadcast()
            return (taken, failure)
        }
    }

    private func run() {
        // Asked for before the first read, so a summary stored after any read that found
        // nothing rings it. Without one (a server that will not make it) the stream is polled.
        let doorbell = try? bus.doorbell(stream: stream, subject: subject)
        var next: UInt64 = 1
        while true {
            var pause = 0.0
            let go = condition.withLock {
                while items.count >= ahead && !stopped { condition.wait() }
                return !stopped
            }
            guard go else { return }
            do throws(BusError) {
                // A server that hangs (its connections open, nothing answered) shows as a failed
                // read within seconds, not the client's 10; the read is simply asked again.
                if let message = try bus.message(in: stream, subject: subject, from: next, waitMs: 3_000) {
                    let sequence = message.sequence
                    let bytes = message.bytes
                    let storedAt = message.storedAt
                    message.release()
                    guard sequence >= next else { throw BusError("stream \(stream) answered summary \(sequence) when asked for \(next) or later") }
                    condition.withLock {
                        if sequence > next { items.append(.gone(next...(sequence - 1))) }
                        items.append(.summary(sequence: sequence, bytes, storedAt: storedAt))
                        failure = nil
                        condition.broadcast()
                    }
                    next = sequence + 1
                    doorbell?.drain()
                } else {
                    condition.withLock { failure = nil }
                    // Up to 100 ms, so that `stop` is seen soon.
                    if let doorbell { _ = doorbell.wait(timeoutMs: 100) } else { pause = 0.01 }
                }
            } catch {
                condition.withLock { failure = error; condition.broadcast() }
                pause = 0.5
            }
            if pause > 0 {
                condition.withLock { if !stopped { _ = condition.wait(until: Date().addingTimeInterval(pause)) } }
            }
        }
    }
}
