import DistillCore
import Foundation

/// A shard worker: for each of its partitions, a durable pull consumer of the input stream and
/// a thread that decodes and analyses what it fetches, publishes the result as a
/// `ShardSummary`, and only then acknowledges the input. A worker that dies leaves its
/// unacknowledged messages to whoever takes the partition over; anything summarised twice is
/// recognised by the coordinator from its sequence number.
///
/// It also keeps what an analyst drills down to for its accounts (an `ExchangeInspector` per
/// partition) and answers the coordinator's requests for it on `NAME.inspect.<partition>`, so
/// the excerpts of recent exchanges stay on the shard that owns the account. With a state
/// directory, each partition's part is saved there (`p<N>/`) and read back by the next worker
/// on that partition; a message is then acknowledged only once a save covers it.
///
/// A summary says how far its partition is complete only when that is certain: up to the
/// stream's end as read before the consumer showed nothing pending and nothing unacknowledged,
/// and after such a moment up to the last message taken, as long as no delivery was missed (a
/// pull consumer hands new messages out in stream order).
public final class BusWorker: @unchecked Sendable {
    public struct Settings: Sendable {
        public var partitions = 16
        public var range: ClosedRange<Int> = 0...15
        /// A message not acknowledged within this goes to another consumer of the partition.
        public var ackWaitMs: Int64 = 5000
        public var batch = 512
        public var format: RecordFormat = .auto
        /// Seconds between summaries of an idle partition, so the coordinator knows it is alive.
        public var heartbeat: Double = 2
        /// Where each partition's drill-down detail is saved; nil keeps it in memory only.
        public var stateDirectory: String?
        /// Seconds between saves of a busy partition (an idle one saves at once).
        public var checkpointEvery: Double = 1
        /// Accounts whose detail the worker keeps, over all its partitions.
        public var detailAccounts = 20_000
        /// Seconds a stop may wait on a server that does not answer before the connection is closed.
        public var stopGrace: Double = 5
        public init() {}
    }

    public let settings: Settings
    let bus: NatsBus
    let names: BusNames
    public let identity: String
    private let lock = NSLock()
    /// When each diagnostic was last said.
    private var lastSaid: [String: Date] = [:]
    private var processedCount = 0
    private var end: UInt64 = 0
    private var streamEnd: UInt64 { lock.withLock { end } }
    /// Broadcast when the stream's end moves: quiet partitions wait on it instead of fetching.
    private let endMoved = NSCondition()
    /// Above this many records a second the end is asked for every 10 ms instead of rung for.
    static let busyRecordsPerSecond = 2000.0
    /// What the worker keeps of one partition, under `lock`: drill-down detail of its accounts;
    /// the stream sequences lately recorded, so that a message handed out again (its
    /// acknowledgement was late, or its worker stopped before a save covered it) is not
    /// recorded twice; and repeats of a `request_id`, set aside as the coordinator's ledger sets
    /// them aside (a repeated id has one account, so one partition), so drill-down shows what
    /// the detector counted. The repeat check is per partition because each partition is read
    /// in its own stream order: one shared by partitions read at different speeds saw times
    /// jump back and forth across its hourly buckets and let a repeat through.
    final class Shard: @unchecked Sendable {
        let lock = NSLock()
        var state: ShardState
        /// Where it is saved, if anywhere.
        let checkpoints: CheckpointDirectory?
        /// Recorded since the last save.
        var changed = false

        init(state: ShardState, checkpoints: CheckpointDirectory?) { self.state = state; self.checkpoints = checkpoints }
    }
    /// One per partition of the range; filled before any thread starts, read-only after.
    private var shards: [Int: Shard] = [:]
    /// Sequences remembered per partition: far more than are ever unacknowledged at once.
    static let inspectedRemembered = 1 << 16
    /// Accounts answered per drill-down request, at most: the answer stays far below the
    /// server's payload limit.
    public static let accountsPerInspection = 8

    public init(bus: NatsBus, names: BusNames, settings: Settings) {
        self.bus = bus; self.names = names; self.settings = settings
        identity = "\(ProcessInfo.processInfo.hostName):\(getpid())"
    }

    /// Input messages summarised so far.
    public var processed: Int { lock.withLock { processedCount } }

    /// Opens each partition's state directory and reads back what it holds. Throws when a
    /// directory is in use by another worker or holds only checkpoints that cannot be used.
    /// Returns, per partition read back, what was restored.
    @discardableResult
    public func openShards() throws -> [String] {
        var said: [String] = []
        let accounts = max(1000, settings.detailAccounts / settings.range.count)
        for p in settings.range where shards[p] == nil {
            let inspector = ExchangeInspector(maxAccounts: accounts)
            var state = ShardState(partition: p, partitions: settings.partitions, stream: names.stream, inspector: inspector)
            var checkpoints: CheckpointDirectory?
            if let root = settings.stateDirectory {
                if mkdir(root, 0o755) != 0 && errno != EEXIST { throw CheckpointError.cannotUse(path: root, reason: InputError.reason(errno)) }
                let directory = try CheckpointDirectory(path: root + "/p\(p)")
                if let restored = try directory.restore(reading: { path throws(StateFileError) in try StateFile.readShard(path, into: inspector) }) {
                    guard restored.value.partition == p, restored.value.partitions == settings.partitions else {
                        throw CheckpointError.cannotUse(path: directory.path, reason: "it holds partition \(restored.value.partition) of \(restored.value.partitions), not \(p) of \(settings.partitions)")
                    }
                    // Another stream's partition p: its recorded sequences would skip this
                    // stream's records of the same numbers, and its accounts answer for this one's.
                    if let saved = restored.value.stream, saved != names.stream {
                        throw CheckpointError.cannotUse(path: directory.path, reason: "it holds partition \(p) of stream \(saved), not of \(names.stream)")
                    }
                    state = restored.value
                    state.stream = names.stream
                    said.append("partition \(p): \(inspector.accountCount) accounts' detail from \(restored.file)" + restored.refused.map { " (refused: \($0))" }.joined())
                }
                checkpoints = directory
            }
            shards[p] = Shard(state: state, checkpoints: checkpoints)
        }
        return said
    }

    /// Consumes until `stop` says so. Throws only if the consumers cannot be set up.
    public func run(stop: @escaping @Sendable () -> Bool) throws {
        try openShards()
        for notice in try bus.ensureStreams(names, partitions: settings.partitions) { diagnose(notice) }
        let consumers = try settings.range.map { p in
            (p, try bus.pullConsumer(stream: names.stream, subject: names.inputSubject(p), durable: names.durable(p), ackWaitMs: settings.ackWaitMs))
        }
        let group = DispatchGroup()
        // One reader of the stream's end for all partitions, instead of one request each per
        // fetch. While records come slowly it learns of each one stored from a doorbell (the
        // record's sequence comes with the ring), so an idle bus costs the server almost
        // nothing and a record is vouched for as soon as it is stored; it also asks the stream
        // once a second, as a ring lost while the connection was down must not hold the
        // partitions' word back for long. While records pour in, every ring would cost the
        // server a delivery per record per worker, so it drops the doorbell and asks every 10 ms.
        group.enter()
        let watcher = Thread { [self] in
            defer { group.leave() }
            var doorbell: BusDoorbell?
            var asked = Date.distantPast
            var counting = (since: Date(), from: UInt64(0))
            func moved(to last: UInt64) {
                let advanced = lock.withLock { () -> Bool in
                    guard last > end else { return false }
                    end = last
                    return true
                }
                if advanced { endMoved.withLock { endMoved.broadcast() } }
            }
            while !stop() {
                var last: UInt64?
                if let bell = doorbell, let rung = bell.wait(timeoutMs: 250) {
                    // A ring without its sequence still says the end moved: asked at once.
                    last = rung > 0 ? rung : try? bus.lastSequence(names.stream)
                } else if doorbell == nil || Date().timeIntervalSince(asked) >= 1 {
                    // Unknown while the server is away: the last value read stays, which is
                    // safe (it only ever vouches for less).
                    last = try? bus.lastSequence(names.stream)
                    asked = Date()
                }
                if let last { moved(to: last) }
                // Records stored per second, judged once a second.
                let elapsed = Date().timeIntervalSince(counting.since)
                if elapsed >= 1 {
                    let rate = Double(streamEnd - min(counting.from, streamEnd)) / elapsed
                    counting = (Date(), streamEnd)
                    if doorbell != nil && rate > Self.busyRecordsPerSecond {
                        doorbell = nil
                    } else if doorbell == nil && rate < Self.busyRecordsPerSecond / 4 {
                        doorbell = try? bus.doorbell(stream: names.stream, subject: names.inputSubjects)
                        // Asked once more now it is made: a record stored in between rings no one.
                        if let last = try? bus.lastSequence(names.stream) { moved(to: last) }
                        asked = Date()
                    }
                }
                if doorbell == nil { usleep(10_000) }
            }
        }
        watcher.name = "distillwatch-stream-end"
        watcher.start()
        for (p, consumer) in consumers {
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                // A lost connection (a restarted server) is waited out: the client reconnects,
                // and the partition goes on from its durable consumer, vouching for nothing
                // until its counts allow it again.
                while !stop() {
                    do {
                        try consume(p, consumer, stop: stop)
                    } catch {
                        report("partition \(p): \(error); trying again")
                        usleep(1_000_000)
                    }
                }
            }
            thread.name = "distillwatch-shard-\(p)"
            thread.start()

            group.enter()
            let answering = Thread { [self] in
                defer { group.leave() }
                while !stop() {
                    do {
                        let requests = try bus.subscribe(names.inspectSubject(p))
                        while !stop() { _ = try requests.answerNext(timeoutMs: 250) { answerInspection($0, partition: p) } }
                    } catch {
                        report("drill-down requests for partition \(p): \(error); trying again")
                        usleep(1_000_000)
                    }
                }
            }
            answering.name = "distillwatch-inspect-\(p)"
            answering.start()
        }
        // A stop asked for while the server does not answer would wait out the client's
        // timeouts (10 s per summary and acknowledgement, one after another: half a minute,
        // past a service manager's grace). After `stopGrace` the connection is closed, which
        // ends those waits: what was not acknowledged goes to the next worker, which records it
        // for drill-down then (what a save covered is not recorded twice).
        var stopAsked: Date?
        while group.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
            guard stop() else { continue }
            let asked = stopAsked ?? Date()
            stopAsked = asked
            if Date().timeIntervalSince(asked) >= settings.stopGrace {
                report("the server did not answer within \(Int(settings.stopGrace)) s of the stop: closing the connection; records not acknowledged go to the next worker")
                bus.closeConnection()
                group.wait()
                return
            }
        }
    }

    /// The answer to a drill-down request: a JSON array of account ids in, a JSON array of
    /// `AccountInspection` out (one per account asked, up to `accountsPerInspection`; an
    /// account this worker knows nothing of has no detail and no sessions). Anything else in
    /// is answered with an empty array.
    func answerInspection(_ request: UnsafeRawBufferPointer, partition p: Int) -> [UInt8] {
        let asked = (try? JSONDecoder().decode([String].self, from: Data(request))) ?? []
        let answers: [AccountInspection] = shards[p].map { shard in
            shard.lock.withLock { asked.prefix(Self.accountsPerInspection).map { shard.state.inspector.inspection(of: $0) } }
        } ?? []
        return Array((try? JSONEncoder().encode(answers)) ?? Data("[]".utf8))
    }

    /// Records one message's exchanges for drill-down, unless the message was recorded before.
    private func inspect(_ made: [ShardSummary.Entry], shard: Shard, sequence: UInt64) {
        shard.lock.withLock {
            guard shard.state.recorded.insert(sequence).inserted else { return }
            shard.changed = true
            if shard.state.recorded.count > Self.inspectedRemembered {
                // Keep the newer half: a message delivered again is one of the latest.
                let cut = shard.state.recorded.sorted()[Self.inspectedRemembered / 2]
                shard.state.recorded = shard.state.recorded.filter { $0 >= cut }
                shard.state.recentRequests = shard.state.recentRequests.filter { $0.value >= cut }
            }
            let keys = shard.state.repeats.requestKeys
            for e in made {
                guard case .exchange(let x) = e.item else { continue }
                let key = keys.key(of: x)
                let unchecked = shard.state.repeats.uncheckedForRepeats
                guard shard.state.repeats.admit(x, requestKey: key) else { continue }
                if let key {
                    // Admitted unchecked (too far behind the newest): its id recorded lately
                    // from another message makes it the repeat.
                    if shard.state.repeats.uncheckedForRepeats > unchecked, let other = shard.state.recentRequests[key], other != sequence { continue }
                    shard.state.recentRequests[key] = sequence
                }
                shard.state.inspector.record(x)
            }
        }
    }

    /// Saves the partition, if anything was recorded since its last save.
    private func save(_ shard: Shard) throws {
        guard let checkpoints = shard.checkpoints else { return }
        let bytes: [UInt8]? = shard.lock.withLock {
            guard shard.changed else { return nil }
            shard.changed = false
            return shard.state.encoded()
        }
        guard let bytes else { return }
        do {
            try checkpoints.save(bytes: bytes)
        } catch {
            shard.lock.withLock { shard.changed = true }
            throw error
        }
    }

    /// Says what went wrong, at most once a minute for the same words.
    public var diagnose: @Sendable (String) -> Void = { _ in }

    private func report(_ message: String) {
        let now = Date()
        let due = lock.withLock {
            if let last = lastSaid[message], now.timeIntervalSince(last) < 60 { return false }
            lastSaid[message] = now
            return true
        }
        if due { diagnose(message) }
    }

    private func consume(_ p: Int, _ consumer: BusSubscription, stop: () -> Bool) throws {
        let adapter = RecordAdapter(format: settings.format)
        let canonical = RecordAdapter(format: .canonical)
        var clean = false
        var reported: UInt64 = 0
        var lastSent = Date()
        var lastDelivery: UInt64?
        var outcomes: [DecodeOutcome] = []
        let shard = shards[p]!
        // Summarised, and acknowledged once a save covers them (with a state directory).
        var held: [BusMessage] = []
        var lastSaved = Date()
        // The partition's end marker once summarised. Later heartbeats repeat it, so that a
        // coordinator still sees the partition end if the summary that carried it is gone
        // from the stream.
        var endMarker: UInt64?
        defer { for m in held { m.release() } }
        func saveAndAcknowledge() throws {
            try save(shard)
            lastSaved = Date()
            for (i, m) in held.enumerated() { try m.acknowledge(waiting: i == held.count - 1) }
            for m in held { m.release() }
            held.removeAll()
        }
        while !stop() {
            // The stream's end as read before this fetch: if the fetch brings nothing, every
            // message of the partition up to it has been delivered, and so summarised.
            let before = streamEnd
            let messages = try consumer.fetchReady(settings.batch)
            // A quiet partition (everything up to the stream's end vouched for) waits for the
            // end to move, below; one with something left to vouch for asks again soon.
            let quiet = clean && reported >= before
            if messages.isEmpty && !quiet { usleep(25_000) }
            var summary = ShardSummary(worker: identity, partition: p, partitions: settings.partitions, completeThrough: 0)
            var newest: UInt64 = 0
            for m in messages {
                newest = max(newest, m.sequence)
                let made = entries(m, m.header("Dw-Format") == "canonical" ? canonical : adapter, &outcomes)
                summary.entries.append(contentsOf: made)
                if made.contains(where: { $0.item == .end }) { endMarker = m.sequence }
                inspect(made, shard: shard, sequence: m.sequence)
                // A delivery this client never saw (one that came after an earlier fetch gave
                // up) will come again after the ack wait: until then, vouch for nothing.
                if let last = lastDelivery, m.delivery != last + 1 { clean = false }
                lastDelivery = m.delivery
            }
            if !messages.isEmpty {
                if clean { summary.completeThrough = newest }
                try send(summary)
                held += messages
                if shard.checkpoints == nil { try saveAndAcknowledge() }
                if clean { reported = max(reported, newest) }
                lastSent = Date()
                lock.withLock { processedCount += messages.count }
            }
            // An idle partition saves at once; a busy one at the interval, well inside the ack wait.
            if !held.isEmpty && (messages.isEmpty || Date().timeIntervalSince(lastSaved) >= settings.checkpointEvery) {
                try saveAndAcknowledge()
            }
            guard messages.isEmpty || !clean else { continue }
            var through = reported
            if !clean || before > reported {
                // Nothing pending and nothing unacknowledged now: every message of the partition
                // up to `before` (read earlier) has been delivered, summarised and acknowledged.
                // Until then a worker before this one may have died holding records, which come
                // back after the ack wait, and nothing can be vouched for.
                let counts = try bus.consumerCounts(stream: names.stream, durable: names.durable(p))
                guard counts.unacknowledged == 0 else { continue }
                clean = true
                if counts.pending == 0 { through = max(reported, before) }
            }
            if messages.isEmpty && (through > reported || Date().timeIntervalSince(lastSent) >= settings.heartbeat) {
                reported = through
                var beat = ShardSummary(worker: identity, partition: p, partitions: settings.partitions, completeThrough: reported)
                if let end = endMarker, end <= reported { beat.entries = [.init(sequence: end, item: .end)] }
                try send(beat)
                lastSent = Date()
            }
            if messages.isEmpty && quiet { waitForEnd(beyond: before, stop: stop) }
        }
        try saveAndAcknowledge()
    }

    /// Waits until the stream's end moves past `beyond`, or a quarter of a second has passed:
    /// often enough for heartbeats, saves and records handed out again (which do not move the
    /// end), while sixteen idle partitions no longer ask the server forty times a second each.
    private func waitForEnd(beyond: UInt64, stop: () -> Bool) {
        let deadline = Date().addingTimeInterval(0.25)
        endMoved.withLock {
            while streamEnd == beyond && !stop() {
                if !endMoved.wait(until: deadline) { return }
            }
        }
    }

    /// What one input message holds, as summary entries (several for a line of several records).
    private func entries(_ m: BusMessage, _ adapter: RecordAdapter, _ outcomes: inout [DecodeOutcome]) -> [ShardSummary.Entry] {
        let source = m.header("Dw-Source") ?? names.stream
        let line = m.header("Dw-Line").flatMap(Int.init) ?? 0
        if m.header("Dw-End") != nil { return [.init(sequence: m.sequence, item: .end)] }
        if let length = m.header("Dw-Too-Long").flatMap(Int.init) {
            return [.init(sequence: m.sequence, item: .rejected(.lineTooLong(length, limit: adapter.decoder.maxLineBytes), source: source, line: line))]
        }
        outcomes.removeAll(keepingCapacity: true)
        m.withData { adapter.decodeLine($0) { outcomes.append($0) } }
        var picked = outcomes[...]
        if let header = m.header("Dw-Record") {
            guard let index = Int(header), index >= 0, index < outcomes.count else {
                // Counted: a message that yielded nothing would vanish from every count.
                let r = Rejection(.badValue, message: "the message names record \(header) of a line holding \(outcomes.count)")
                return [.init(sequence: m.sequence, item: .rejected(r, source: source, line: line))]
            }
            picked = outcomes[index...index]
        }
        return picked.map { outcome in
            switch outcome {
            case .exchange(var x):
                x.analysePrompt()
                return .init(sequence: m.sequence, item: .exchange(x))
            case .rejected(let r): return .init(sequence: m.sequence, item: .rejected(r, source: source, line: line))
            case .blank: return .init(sequence: m.sequence, item: .blank)
            }
        }
    }

    /// Publishes a summary, split so that no message passes the server's payload limit.
    private func send(_ summary: ShardSummary) throws {
        let limit = 512 * 1024
        var bytes = summary.encoded()
        // The entries of one input message are never split: the coordinator takes a message's
        // sequence once (a message summarised again after a failover must not count twice), so
        // a second part would be dropped. Entries are in sequence order.
        let oneMessage = summary.entries.first?.sequence == summary.entries.last?.sequence
        if bytes.count <= limit || oneMessage {
            if bytes.count > bus.maxPayload - 1024 {
                // Too large for the server: the coordinator counts each record as rejected.
                var small = summary
                small.entries = summary.entries.map { e in
                    .init(sequence: e.sequence, item: .rejected(Rejection(.lineTooLong, message: "record too large for the bus (\(bytes.count) bytes)"), source: "bus", line: 0))
                }
                bytes = small.encoded()
            }
            try bus.publish(names.summarySubject, bytes)
            return
        }
        // Halve at a message boundary (entries of one message stay together).
        var cut = summary.entries.count / 2
        while cut < summary.entries.count && summary.entries[cut].sequence == summary.entries[cut - 1].sequence { cut += 1 }
        if cut == summary.entries.count { cut = summary.entries.count / 2; while cut > 1 && summary.entries[cut].sequence == summary.entries[cut - 1].sequence { cut -= 1 } }
        var first = summary, second = summary
        first.entries = Array(summary.entries[..<cut])
        first.completeThrough = 0
        second.entries = Array(summary.entries[cut...])
        try send(first)
        try send(second)
    }
}
