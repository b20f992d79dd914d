import DistillCore
import Foundation

/// Reads log files (or standard input) and publishes every line to the input stream, on the
/// partition of its account. A line of one record goes as it was written: the worker owning the
/// partition decodes it, so decoding and the prompts' analysis happen on the shards (a line of
/// several records goes record by record, each as its canonical line). Live
/// sources (followed files, listeners) are published record by record (`publish(feed:…)`).
///
/// Each record's message id is its `request_id`, so publishing the same input again (a
/// gateway retrying, a publisher restarted) is dropped by the stream within its duplicate
/// window. A `request_id` repeated inside the input itself is still delivered, under an id of
/// its own, because the coordinator's ledger counts such repeats just as `scan` does.
public struct BusPublisher {
    public struct Counts: Sendable, Equatable {
        public var lines = 0
        /// Messages sent (a line with several records sends one per record).
        public var messages = 0
        /// Messages the stream already held (the same input published before).
        public var alreadyPublished = 0
    }

    let bus: NatsBus
    let names: BusNames
    let partitions: Int
    let adapter: RecordAdapter
    /// Waits for the stream's acknowledgement of every message (slower; tells repeats apart).
    public var waitEachMessage = false

    public init(bus: NatsBus, names: BusNames, partitions: Int, format: RecordFormat) {
        self.bus = bus; self.names = names; self.partitions = partitions
        adapter = RecordAdapter(format: format)
    }

    /// Publishes every line of `paths` in order; with `markEnd`, then an end marker on every
    /// partition, which a headless coordinator stops at.
    public func publish(paths: [String], markEnd: Bool) throws -> Counts {
        var counts = Counts()
        // The publisher's own view of repeats, only to give them message ids of their own.
        var ledger = InputLedger()
        var outcomes: [DecodeOutcome] = []
        for path in paths {
            let reader = try LineReader(path: path)
            let source = reader.name
            while let line = try reader.nextLine() {
                counts.lines += 1
                switch line {
                case .tooLong(let length, let number):
                    try send(partition: 0, UnsafeRawBufferPointer(start: nil, count: 0),
                             NatsBus.Headers(messageID: "\(source):\(number)", source: source, line: String(number),
                                             extra: ("Dw-Too-Long", String(length))), &counts)
                case .text(let bytes, let number):
                    outcomes.removeAll(keepingCapacity: true)
                    adapter.decodeLine(bytes) { outcomes.append($0) }
                    for (i, outcome) in outcomes.enumerated() {
                        var partition = 0
                        var id = "\(source):\(number):\(i)"
                        if case .exchange(let x) = outcome {
                            partition = x.partition(of: partitions)
                            if let rid = x.requestID {
                                id = ledger.admit(x) ? rid : "\(rid)@\(id)"
                            }
                        }
                        guard outcomes.count > 1 else {
                            try send(partition: partition, bytes, NatsBus.Headers(messageID: id, source: source, line: String(number)), &counts)
                            continue
                        }
                        // One record of several (an OTLP export, a JSON array): sent alone as its
                        // canonical line, which the worker decodes to the same record. The whole
                        // line once per record made the stream's bytes and the workers' decoding
                        // grow with the square of the line. A rejection keeps the line, so the
                        // worker finds the same reason at the same place.
                        if case .exchange(let x) = outcome {
                            let canonical = x.canonicalLine()
                            if canonical.count <= adapter.decoder.maxLineBytes {
                                try canonical.withUnsafeBytes {
                                    try send(partition: partition, $0, NatsBus.Headers(messageID: id, source: source, line: String(number),
                                                                                     extra: ("Dw-Format", "canonical")), &counts)
                                }
                                continue
                            }
                        }
                        try send(partition: partition, bytes,
                                 NatsBus.Headers(messageID: id, source: source, line: String(number), extra: ("Dw-Record", String(i))), &counts)
                    }
                }
            }
        }
        try finish(markEnd: markEnd, &counts)
        return counts
    }

    /// What live sources delivered and could not be published: their own counts.
    public struct LiveCounts: Sendable, Equatable {
        public var rejected = 0
        public var duplicates = 0
        public var dropped = 0
    }

    /// Publishes what `feed` (followed files, listeners) delivers until `stopRequested` says so,
    /// then whatever it had decoded by then; with `markEnd`, an end marker on every partition.
    ///
    /// Such sources hand over records already decoded, so each goes as its canonical line
    /// (`Exchange.canonicalLine`), which the worker decodes to the same record. The feed's
    /// ledger has already set repeats of a recent `request_id` aside, and lines it rejected are
    /// counted here, in `LiveCounts`, not sent: the coordinator sees neither.
    ///
    /// With `checkpoint`, every `checkpointEvery` seconds and at the end the feed is asked for a
    /// mark (where each followed file stands, and the ledgers); once every message up to it is
    /// acknowledged by the stream, the mark is handed to `checkpoint` to keep. A publisher
    /// restarted from it reads on from there: what it sends again (published after the mark) has
    /// the same message ids, which the stream drops within its duplicate window.
    public func publish(feed: any ExchangeFeed, markEnd: Bool, stopRequested: () -> Bool,
                        checkpoint: ((FeedMark) throws -> Void)? = nil, checkpointEvery: Double = 10,
                        pause: () -> Void = { usleep(5_000) }) throws -> (counts: Counts, live: LiveCounts) {
        var counts = Counts()
        feed.start()
        func send(_ batch: [Exchange]) throws {
            for x in batch {
                counts.lines += 1
                let line = x.canonicalLine()
                // Marked as canonical: workers may be reading another format from files.
                let headers = NatsBus.Headers(messageID: x.requestID, source: "live", extra: ("Dw-Format", "canonical"))
                if line.count > ExchangeDecoder.defaultMaxLineBytes {
                    // The worker would reject it as too long: say so without the bytes, as for files.
                    try self.send(partition: x.partition(of: partitions), UnsafeRawBufferPointer(start: nil, count: 0),
                                  NatsBus.Headers(messageID: x.requestID, source: "live", extra: ("Dw-Too-Long", String(line.count))), &counts)
                    continue
                }
                try line.withUnsafeBytes { try self.send(partition: x.partition(of: partitions), $0, headers, &counts) }
            }
        }
        var markAsked = false
        var lastCheckpoint = Date()
        /// Sends a batch; a mark on it is kept once the stream holds everything before it.
        func take(_ item: (batch: [Exchange], mark: FeedMark?)) throws {
            try send(item.batch)
            guard let mark = item.mark, let checkpoint else { return }
            try bus.waitForAcknowledgements()
            // A refused record must not end up behind a saved place: a restart would skip it.
            if bus.failedPublishes > 0 {
                throw BusError("the stream refused \(bus.failedPublishes) of \(counts.messages) messages")
            }
            try checkpoint(mark)
            markAsked = false
            lastCheckpoint = Date()
        }
        var unstored = false
        var lastStored = Date()
        var lastAsked = Date.distantPast
        /// Whether an HTTP sender waits for its records to be stored; asked at most every 50 ms,
        /// as each question is a round trip to every listener's event loop.
        func senderWaits() -> Bool {
            guard unstored, Date().timeIntervalSince(lastAsked) >= 0.05 else { return false }
            lastAsked = Date()
            return feed.inHand > 0
        }
        /// Tells the feed the stream holds everything sent so far: HTTP senders waiting for
        /// that are answered.
        func confirm() throws {
            if !waitEachMessage { try bus.waitForAcknowledgements() }
            if bus.failedPublishes > 0 {
                throw BusError("the stream refused \(bus.failedPublishes) of \(counts.messages) messages")
            }
            feed.confirmTaken()
            unstored = false
            lastStored = Date()
        }
        /// A batch sent if one is ready, else what was sent confirmed, else a pause; under a
        /// steady flow what was sent is confirmed every 50 ms, so no sender waits long. Only
        /// while a sender waits: waiting for acknowledgements slows a line stream down.
        func step() throws {
            if let item = feed.pollMarked() {
                try take(item)
                unstored = true
                if Date().timeIntervalSince(lastStored) >= 0.05 && senderWaits() { try confirm() }
            } else if senderWaits() {
                try confirm()
            } else {
                pause()
            }
        }
        while !stopRequested() && !feed.state.finished {
            if checkpoint != nil && !markAsked && Date().timeIntervalSince(lastCheckpoint) >= checkpointEvery {
                feed.requestMark()
                markAsked = true
            }
            try step()
        }
        // Requests in hand at the stop are finished and answered, for a few seconds at most: a
        // sender cut off without an answer would send its records again.
        feed.stopTaking()
        let drainUntil = Date().addingTimeInterval(ListenerLimits().stopGraceSeconds + 1)
        while feed.inHand > 0 && Date() < drainUntil { try step() }
        if checkpoint != nil {
            // A last mark: a reader with nothing new answers at once with an empty batch.
            feed.requestMark()
            markAsked = true
            let deadline = Date().addingTimeInterval(5)
            while markAsked && Date() < deadline { try step() }
        }
        feed.stop()
        while let batch = feed.poll() { try send(batch) }
        try finish(markEnd: markEnd, &counts)
        let state = feed.state
        return (counts, LiveCounts(rejected: state.rejected, duplicates: state.duplicates, dropped: state.dropped))
    }

    /// End markers if asked for, then every acknowledgement; a refused message is an error.
    private func finish(markEnd: Bool, _ counts: inout Counts) throws {
        if markEnd {
            for p in 0..<partitions {
                try send(partition: p, UnsafeRawBufferPointer(start: nil, count: 0), NatsBus.Headers(extra: ("Dw-End", "1")), &counts)
            }
        }
        if !waitEachMessage { try bus.waitForAcknowledgements() }
        if bus.failedPublishes > 0 {
            throw BusError("the stream refused \(bus.failedPublishes) of \(counts.messages) messages")
        }
    }

    private func send(partition: Int, _ data: UnsafeRawBufferPointer, _ headers: NatsBus.Headers, _ counts: inout Counts) throws {
        let subject = names.inputSubject(partition)
        if waitEachMessage {
            if try bus.publish(subject, data, headers) { counts.alreadyPublished += 1 }
        } else {
            try bus.publishAsync(subject, data, headers)
        }
        counts.messages += 1
    }
}
