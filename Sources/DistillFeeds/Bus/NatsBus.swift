import CNats
import DistillCore
import Foundation

/// A failed call to NATS, with the client's own words for it.
public struct BusError: Error, CustomStringConvertible, Sendable {
    public var description: String

    init(_ what: String, _ status: natsStatus) {
        var detail = String(cString: natsStatus_GetText(status))
        if let last = nats_GetLastError(nil), last.pointee != 0 {
            let text = String(cString: last)
            if !text.isEmpty && text != detail { detail += ": " + text }
        }
        description = "\(what): \(detail)"
    }

    public init(_ description: String) { self.description = description }
}

/// The stream and subject names for one bus name: input records on `NAME.x.<partition>` in
/// stream `NAME`, summaries on `NAME.summary` in stream `NAME_SUMMARY`.
public struct BusNames: Sendable {
    public let stream: String

    public init(_ stream: String) throws(BusError) {
        guard !stream.isEmpty, stream.utf8.count <= 64,
              stream.unicodeScalars.allSatisfy({ ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "_" || $0 == "-" })
        else { throw BusError("stream name \(stream.debugDescription): use letters, digits, '_' and '-' (at most 64)") }
        self.stream = stream
    }

    /// The input stream's subjects: one per partition and nothing else, so that the server
    /// refuses a record no worker would read.
    public func inputSubjects(partitions: Int) -> [String] { (0..<partitions).map(inputSubject) }
    /// Every partition's subject, as one filter.
    public var inputSubjects: String { "\(stream).x.>" }
    public func inputSubject(_ partition: Int) -> String { "\(stream).x.\(partition)" }
    public func durable(_ partition: Int) -> String { "\(stream)_p\(partition)" }
    public var summaryStream: String { "\(stream)_SUMMARY" }
    public var summarySubject: String { "\(stream).summary" }
    /// Drill-down requests for the accounts of one partition (plain NATS, not stored).
    public func inspectSubject(_ partition: Int) -> String { "\(stream).inspect.\(partition)" }
}

/// One connection to a NATS server with JetStream. The C client's connection is safe to share
/// between threads; each consumer is used by one thread at a time.
public final class NatsBus: @unchecked Sendable {
    /// On the heap: the client's publish-error handler keeps its address.
    private let handle: UnsafeMutablePointer<dw_bus>
    public let url: String

    public init(url: String, connectWaitMs: Int64 = 2000) throws(BusError) {
        self.url = url
        handle = .allocate(capacity: 1)
        handle.initialize(to: dw_bus())
        let s = dw_bus_connect(handle, url, connectWaitMs)
        // Thrown after every property is set, so `deinit` closes and frees the handle.
        guard s == NATS_OK else { throw BusError("cannot connect to \(Self.shown(url))", s) }
    }

    /// `url` as messages show it: a user name and password in it (`nats://user:secret@host`)
    /// would otherwise reach stderr and the logs collected from it.
    public static func shown(_ url: String) -> String {
        var shown = ""
        for server in url.split(separator: ",", omittingEmptySubsequences: false) {
            if !shown.isEmpty { shown += "," }
            let schemeEnd = server.range(of: "://")?.upperBound ?? server.startIndex
            let authority = server[schemeEnd...].prefix { $0 != "/" }
            if let at = authority.lastIndex(of: "@") {
                shown += server[..<schemeEnd] + "***" + server[at...]
            } else {
                shown += server
            }
        }
        return shown
    }

    deinit {
        dw_bus_close(handle)
        handle.deallocate()
    }

    /// Records the stream refused after `publishAsync` (a full stream, a lost connection).
    public var failedPublishes: Int64 { handle.pointee.failed }

    /// Closes the connection (not freed until this object goes): requests waiting on it end at
    /// once with an error instead of waiting out their timeouts.
    public func closeConnection() { natsConnection_Close(handle.pointee.nc) }

    /// Whether the connection is up now (not lost and being made again).
    public var connected: Bool { natsConnection_Status(handle.pointee.nc) == NATS_CONN_STATUS_CONNECTED }

    /// The largest message the server takes (its `max_payload`), headers included.
    public var maxPayload: Int { Int(natsConnection_GetMaxPayload(handle.pointee.nc)) }

    /// Creates both streams unless they exist. Repeats of a message id within `duplicateWindow`
    /// seconds are dropped by the input stream. The input stream records how many partitions
    /// it was made for; a command given another count is refused, since records on partitions
    /// no worker consumes would never reach the coordinator. Returns what the caller should
    /// tell its user (records found on subjects no worker reads).
    @discardableResult
    public func ensureStreams(_ names: BusNames, partitions: Int, duplicateWindow: Double = 600) throws(BusError) -> [String] {
        let description = "distillwatch partitions=\(partitions)"
        var found = [CChar](repeating: 0, count: 256)
        var direct: Int32 = 0, same: Int32 = 0
        let subjects = names.inputSubjects(partitions: partitions)
        var s = Self.withCStrings(subjects) {
            dw_bus_ensure_stream(handle, names.stream, $0, Int32(subjects.count), Int64(duplicateWindow * 1000), 0, description, &found, 256, &direct, &same)
        }
        guard s == NATS_OK else { throw BusError("cannot create stream \(names.stream)", s) }
        let existing = String(decoding: found.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if existing == "distillwatch shard summaries" {
            let input = names.stream.hasSuffix("_SUMMARY") ? String(names.stream.dropLast("_SUMMARY".count)) : nil
            throw BusError("stream \(names.stream) holds the shard summaries of another stream" + (input.map { ": give --stream \($0)" } ?? ""))
        }
        if existing.hasPrefix("distillwatch partitions="), existing != description {
            throw BusError("stream \(names.stream) splits accounts into \(existing.dropFirst("distillwatch partitions=".count)) partitions, not \(partitions): give the same count to every publisher, worker and coordinator")
        }
        let notices = same == 0 ? try narrowSubjects(names.stream, to: subjects, made: existing.hasPrefix("distillwatch partitions=")) : []
        s = Self.withCStrings([names.summarySubject]) {
            dw_bus_ensure_stream(handle, names.summaryStream, $0, 1, 120_000, 1, "distillwatch shard summaries", &found, 256, &direct, &same)
        }
        guard s == NATS_OK else { throw BusError("cannot create stream \(names.summaryStream)", s) }
        if direct == 0 { try allowDirectReads(names.summaryStream) }
        return notices
    }

    /// `strings` as the C client takes a list of subjects, for the duration of `body`.
    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { for copy in copies { free(copy) } }
        var pointers = copies.map { UnsafePointer($0) }
        return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }

    /// Makes an input stream hold its partitions' subjects and no others. Older releases made it
    /// on `NAME.x.>`, which stored a message on `NAME.x.<anything else>` that no worker reads
    /// and so no one counted; the server now refuses such a message to its sender. Records
    /// already stored there are counted in the notice returned. Every other setting is kept, as
    /// `allowDirectReads` keeps them. A stream of that name on other subjects, not `made` by
    /// DistillWatch (its description says so), is someone else's and is left alone.
    func narrowSubjects(_ stream: String, to subjects: [String], made: Bool) throws(BusError) -> [String] {
        let advice = "stream \(stream) takes subjects other than its partitions' (\(subjects[0]) and on), whose records no worker would read; give it exactly those or give the bus another --stream"
        let filter = try? JSONSerialization.data(withJSONObject: ["subjects_filter": ">"])
        let info = Self.object(try request("$JS.API.STREAM.INFO.\(stream)", Array(filter ?? Data()), timeoutMs: 10_000))
        guard let config = info?["config"] as? [String: Any] else {
            throw BusError("\(advice) (reading its configuration: \(Self.failure(info)))")
        }
        let current = config["subjects"] as? [String] ?? []
        guard made || current == ["\(stream).x.>"] else {
            let held = current.prefix(3).map { TextSanitizer.sanitize(String($0.prefix(80)), asciiOnly: true) }.joined(separator: ", ")
            throw BusError("stream \(stream) holds other subjects (\(held)\(current.count > 3 ? ", ..." : "")) and was not made by distillwatch: give the bus another --stream")
        }
        let partitionSubjects = Set(subjects)
        let held = ((info?["state"] as? [String: Any])?["subjects"] as? [String: Any]) ?? [:]
        let strays = held.compactMap { subject, count -> (subject: String, count: Int)? in
            partitionSubjects.contains(subject) ? nil : (subject, (count as? NSNumber)?.intValue ?? 0)
        }.sorted { $0.subject < $1.subject }
        try updateConfig(stream, as: info, with: ["subjects": subjects], advice: advice) { $0["subjects"] as? [String] == subjects }
        guard !strays.isEmpty else { return [] }
        // A long answer is paged: the first page's strays are then not all of them.
        let partial = (info?["total"] as? Int).map { $0 > held.count } ?? false
        let total = strays.reduce(0) { $0 + $1.count }
        let named = strays.prefix(3).map { TextSanitizer.sanitize(String($0.subject.prefix(80)), asciiOnly: true) }.joined(separator: ", ")
        return ["stream \(stream) holds \(partial ? "at least " : "")\(total) record\(total == 1 ? "" : "s") on subjects no partition has (\(named)\(strays.count > 3 ? ", ..." : "")), which no worker reads and nothing counts; the stream now refuses such subjects"]
    }

    private static func object(_ bytes: [UInt8]?) -> [String: Any]? {
        bytes.flatMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
    }

    private static func failure(_ reply: [String: Any]?) -> String {
        ((reply?["error"] as? [String: Any])?["description"] as? String) ?? "no answer"
    }

    /// Turns on direct reads for a stream made without them (by an older release).
    func allowDirectReads(_ stream: String) throws(BusError) {
        let advice = "stream \(stream) does not allow direct reads, which the coordinator needs; turn them on (allow_direct) or give the bus another --stream"
        let info = Self.object(try request("$JS.API.STREAM.INFO.\(stream)", [], timeoutMs: 10_000))
        try updateConfig(stream, as: info, with: ["allow_direct": true], advice: advice) { $0["allow_direct"] as? Bool == true }
    }

    /// Sends the stream's configuration, as `info` (the server's answer to a stream-info
    /// request) holds it, back with `changes` applied, and checks the configuration the server
    /// answers with. The whole configuration goes back because the C client's update sends only
    /// the fields it knows, and the server would reset the others (compression, metadata,
    /// message TTLs).
    private func updateConfig(_ stream: String, as info: [String: Any]?, with changes: [String: Any], advice: String,
                              applied: ([String: Any]) -> Bool) throws(BusError) {
        guard let config = info?["config"] as? [String: Any],
              let body = try? JSONSerialization.data(withJSONObject: config.merging(changes) { $1 })
        else { throw BusError("\(advice) (reading its configuration: \(Self.failure(info)))") }
        let updated = Self.object(try request("$JS.API.STREAM.UPDATE.\(stream)", Array(body), timeoutMs: 10_000))
        guard let now = updated?["config"] as? [String: Any], applied(now) else {
            throw BusError("\(advice) (changing it: \(Self.failure(updated)))")
        }
    }

    /// The stream's newest sequence number, waiting at most `waitMs` for the answer (0: the
    /// client's default of 10 s).
    public func lastSequence(_ stream: String, waitMs: Int64 = 0) throws(BusError) -> UInt64 {
        var last: UInt64 = 0
        let s = dw_bus_last_sequence(handle, stream, waitMs, &last)
        guard s == NATS_OK else { throw BusError("stream \(stream)", s) }
        return last
    }

    /// Headers a record carries beside its bytes.
    public struct Headers: Sendable {
        public var messageID: String?
        public var source: String?
        public var line: String?
        /// One more header: `Dw-End` on an end marker, `Dw-Record` for one of several records
        /// of a line, `Dw-Too-Long` for a line over the length limit.
        public var extra: (key: String, value: String)?
        public init(messageID: String? = nil, source: String? = nil, line: String? = nil, extra: (key: String, value: String)? = nil) {
            self.messageID = messageID; self.source = source; self.line = line; self.extra = extra
        }
    }

    /// Publishes and waits until the stream has stored it; true if the stream had it already.
    @discardableResult
    public func publish(_ subject: String, _ data: UnsafeRawBufferPointer, _ h: Headers = Headers()) throws(BusError) -> Bool {
        var duplicate: Int32 = 0
        let s = withHeaders(h) { id, source, line, key, value in
            dw_bus_publish(handle, subject, data.baseAddress, Int32(data.count), id, source, line, key, value, &duplicate)
        }
        guard s == NATS_OK else { throw BusError("cannot publish to \(subject)", s) }
        return duplicate != 0
    }

    public func publish(_ subject: String, _ bytes: [UInt8], _ h: Headers = Headers()) throws(BusError) {
        let s = bytes.withUnsafeBytes { data in
            withHeaders(h) { id, source, line, key, value in
                dw_bus_publish(handle, subject, data.baseAddress, Int32(data.count), id, source, line, key, value, nil)
            }
        }
        guard s == NATS_OK else { throw BusError("cannot publish to \(subject)", s) }
    }

    /// Publishes without waiting for the stream's answer; `waitForAcknowledgements` waits for all.
    public func publishAsync(_ subject: String, _ data: UnsafeRawBufferPointer, _ h: Headers) throws(BusError) {
        let s = withHeaders(h) { id, source, line, key, value in
            dw_bus_publish_async(handle, subject, data.baseAddress, Int32(data.count), id, source, line, key, value)
        }
        guard s == NATS_OK else { throw BusError("cannot publish to \(subject)", s) }
    }

    public func waitForAcknowledgements(timeoutMs: Int64 = 30_000) throws(BusError) {
        let s = dw_bus_publish_complete(handle, timeoutMs)
        guard s == NATS_OK else { throw BusError("the stream did not acknowledge every record", s) }
    }

    private typealias CText = UnsafePointer<CChar>?

    private func withHeaders(_ h: Headers, _ body: (CText, CText, CText, CText, CText) -> natsStatus) -> natsStatus {
        func with(_ text: String?, _ inner: (CText) -> natsStatus) -> natsStatus {
            guard let text else { return inner(nil) }
            return text.withCString { inner($0) }
        }
        return with(h.messageID) { id in with(h.source) { source in with(h.line) { line in
            with(h.extra?.key) { key in with(h.extra?.value) { value in body(id, source, line, key, value) } }
        } } }
    }

    /// Messages not yet delivered, and delivered but not acknowledged, of a durable consumer.
    public func consumerCounts(stream: String, durable: String) throws(BusError) -> (pending: UInt64, unacknowledged: Int64) {
        var pending: UInt64 = 0
        var ack: Int64 = 0
        let s = dw_bus_consumer_counts(handle, stream, durable, &pending, &ack)
        guard s == NATS_OK else { throw BusError("consumer \(durable)", s) }
        return (pending, ack)
    }

    public func pullConsumer(stream: String, subject: String, durable: String, ackWaitMs: Int64) throws(BusError) -> BusSubscription {
        var sub: OpaquePointer?
        let s = dw_bus_pull(handle, &sub, stream, subject, durable, ackWaitMs)
        guard s == NATS_OK, let sub else { throw BusError("cannot consume \(subject) as \(durable)", s) }
        return BusSubscription(sub)
    }

    /// Requests on `subject` (plain NATS), taken one at a time by `BusRequests.next`.
    public func subscribe(_ subject: String) throws(BusError) -> BusRequests {
        var sub: OpaquePointer?
        let s = natsConnection_SubscribeSync(&sub, handle.pointee.nc, subject)
        guard s == NATS_OK, let sub else { throw BusError("cannot subscribe to \(subject)", s) }
        return BusRequests(sub, bus: self)
    }

    /// Rings once for each message stored on `subject` in `stream` after this call.
    public func doorbell(stream: String, subject: String) throws(BusError) -> BusDoorbell {
        var sub: OpaquePointer?
        let s = dw_bus_doorbell(handle, &sub, stream, subject)
        guard s == NATS_OK, let sub else { throw BusError("cannot follow \(subject) in \(stream)", s) }
        return BusDoorbell(sub)
    }

    /// Sends `bytes` as the answer to a request.
    func respond(to message: OpaquePointer, _ bytes: [UInt8]) throws(BusError) {
        guard let reply = natsMsg_GetReply(message) else { return }
        let s = bytes.withUnsafeBytes { natsConnection_Publish(handle.pointee.nc, reply, $0.baseAddress, Int32($0.count)) }
        guard s == NATS_OK else { throw BusError("cannot answer a request", s) }
    }

    /// Asks whoever listens on `subject` and waits at most `timeoutMs` for the answer: nil when
    /// none came (no listener, or too slow).
    public func request(_ subject: String, _ bytes: [UInt8], timeoutMs: Int64) throws(BusError) -> [UInt8]? {
        var reply: OpaquePointer?
        let s = bytes.withUnsafeBytes { natsConnection_Request(&reply, handle.pointee.nc, subject, $0.baseAddress, Int32($0.count), timeoutMs) }
        if s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS { return nil }
        guard s == NATS_OK, let reply else { throw BusError("request on \(subject)", s) }
        defer { natsMsg_Destroy(reply) }
        let n = Int(natsMsg_GetDataLength(reply))
        guard n > 0, let p = natsMsg_GetData(reply) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }

    /// The first message on `subject` in `stream` at sequence `start` or after, read directly
    /// (the stream must allow it, as `ensureStreams` makes the summary stream); nil when the
    /// stream holds none yet. Messages the stream no longer holds are stepped over. Waits at
    /// most `waitMs` for the answer (0: the client's default of 10 s).
    public func message(in stream: String, subject: String, from start: UInt64, waitMs: Int64 = 0) throws(BusError) -> BusMessage? {
        var m: OpaquePointer?
        let s = dw_bus_next_message(handle, &m, stream, subject, start, waitMs)
        if s == NATS_NOT_FOUND { return nil }
        guard s == NATS_OK, let m else { throw BusError("cannot read \(stream)", s) }
        return BusMessage(m)
    }
}

/// A message taken from a subscription or read from a stream: its bytes, headers and stream
/// sequence number.
public struct BusMessage: @unchecked Sendable {
    let message: OpaquePointer
    /// Its sequence number in the stream.
    public let sequence: UInt64
    /// Its number among the consumer's deliveries: a gap means a delivery this client never saw.
    public let delivery: UInt64

    init(_ message: OpaquePointer) {
        self.message = message
        var stream: UInt64 = 0, delivery: UInt64 = 0
        dw_msg_sequences(message, &stream, &delivery)
        sequence = stream
        self.delivery = delivery
    }

    public func withData<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        let n = Int(natsMsg_GetDataLength(message))
        guard n > 0, let p = natsMsg_GetData(message) else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return body(UnsafeRawBufferPointer(start: p, count: n))
    }

    public var bytes: [UInt8] { withData { Array($0) } }

    /// When the stream stored it, in nanoseconds since 1970 by the server's clock (0 when the
    /// message was not read from a stream).
    public var storedAt: Int64 { natsMsg_GetTime(message) }

    public func header(_ key: String) -> String? { dw_msg_header(message, key).map { String(cString: $0) } }

    public func acknowledge(waiting: Bool = false) throws(BusError) {
        let s = waiting ? natsMsg_AckSync(message, nil, nil) : natsMsg_Ack(message, nil)
        guard s == NATS_OK else { throw BusError("cannot acknowledge message \(sequence)", s) }
    }

    /// Frees the message; it must not be used after.
    public func release() { natsMsg_Destroy(message) }
}

public final class BusSubscription: @unchecked Sendable {
    private let sub: OpaquePointer

    init(_ sub: OpaquePointer) { self.sub = sub }
    deinit { natsSubscription_Destroy(sub) }

    /// Up to `batch` messages a pull consumer has ready now; none waits on the server.
    public func fetchReady(_ batch: Int) throws(BusError) -> [BusMessage] {
        var list = natsMsgList()
        let s = dw_bus_fetch_ready(sub, &list, Int32(batch))
        if s == NATS_NOT_FOUND { natsMsgList_Destroy(&list); return [] }
        return try take(&list, s)
    }

    private func take(_ list: inout natsMsgList, _ s: natsStatus) throws(BusError) -> [BusMessage] {
        if s == NATS_TIMEOUT && list.Count == 0 { natsMsgList_Destroy(&list); return [] }
        guard s == NATS_OK || s == NATS_TIMEOUT else { natsMsgList_Destroy(&list); throw BusError("fetch", s) }
        var out: [BusMessage] = []
        out.reserveCapacity(Int(list.Count))
        for i in 0..<Int(list.Count) {
            if let m = list.Msgs[i] { out.append(BusMessage(m)); list.Msgs[i] = nil }
        }
        natsMsgList_Destroy(&list)
        return out
    }
}

/// Notice of new messages in a stream, without their bytes (`NatsBus.doorbell`). Used by one
/// thread at a time.
public final class BusDoorbell: @unchecked Sendable {
    private let sub: OpaquePointer

    init(_ sub: OpaquePointer) { self.sub = sub }
    deinit { natsSubscription_Destroy(sub) }

    /// Waits at most `timeoutMs` for a ring, then takes every ring already waiting: one read of
    /// the stream covers them all. Returns nil if it did not ring, else the newest stream
    /// sequence rung for.
    public func wait(timeoutMs: Int64) -> UInt64? {
        var m: OpaquePointer?
        guard natsSubscription_NextMsg(&m, sub, timeoutMs) == NATS_OK, let first = m else { return nil }
        return max(Self.sequence(first), drain() ?? 0)
    }

    /// Takes every ring waiting, without waiting for more; the newest stream sequence rung for,
    /// if any rang. A reader that is never idle calls this as it reads, so that rings for
    /// messages it has read do not pile up in the client.
    @discardableResult
    public func drain() -> UInt64? {
        var newest: UInt64?
        var pending: Int32 = 0, bytes: Int32 = 0
        while natsSubscription_GetPending(sub, &pending, &bytes) == NATS_OK, pending > 0 {
            var m: OpaquePointer?
            guard natsSubscription_NextMsg(&m, sub, 1) == NATS_OK, let ring = m else { break }
            newest = max(newest ?? 0, Self.sequence(ring))
        }
        return newest
    }

    /// The ring's stream sequence; the ring is freed.
    private static func sequence(_ ring: OpaquePointer) -> UInt64 {
        var stream: UInt64 = 0, delivery: UInt64 = 0
        dw_msg_sequences(ring, &stream, &delivery)
        natsMsg_Destroy(ring)
        return stream
    }
}

/// A plain subscription for requests: each is taken, answered, and freed.
public final class BusRequests: @unchecked Sendable {
    private let sub: OpaquePointer
    private let bus: NatsBus

    init(_ sub: OpaquePointer, bus: NatsBus) { self.sub = sub; self.bus = bus }
    deinit { natsSubscription_Destroy(sub) }

    /// Waits at most `timeoutMs` for the next request; answers it with what `answer` makes of
    /// its bytes. Returns whether there was one.
    public func answerNext(timeoutMs: Int64, _ answer: (UnsafeRawBufferPointer) -> [UInt8]) throws(BusError) -> Bool {
        var m: OpaquePointer?
        let s = natsSubscription_NextMsg(&m, sub, timeoutMs)
        if s == NATS_TIMEOUT { return false }
        guard s == NATS_OK, let m else { throw BusError("waiting for a request", s) }
        defer { natsMsg_Destroy(m) }
        let n = Int(natsMsg_GetDataLength(m))
        let bytes = answer(UnsafeRawBufferPointer(start: n > 0 ? natsMsg_GetData(m) : nil, count: n))
        try bus.respond(to: m, bytes)
        return true
    }
}
