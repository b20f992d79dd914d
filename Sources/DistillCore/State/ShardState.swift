/// What a shard worker keeps of one partition between runs: the drill-down detail of the
/// partition's accounts, the ledger that sets aside repeated request ids, and the input
/// sequences already recorded (so a message handed out again is not recorded twice), with the
/// request ids they carried.
///
/// The counts the detector needs are not here: they travel as summaries through the bus,
/// which stores them. This is what lets a restarted or replacement worker answer drill-down
/// for accounts it has not seen since it started.
///
/// Framed as `DetectionState` is (`StateFrame`), under a magic of its own.
public struct ShardState {
    /// 2: the stream's name is kept. 3: the request ids of recorded messages are kept.
    public static let formatVersion: UInt32 = 3
    static let frame = StateFrame(magic: Array("DWSHARD\u{1A}".utf8), formatVersion: formatVersion, checksumSeed: 0x4457_5348_4152_4431)

    public var partition: Int
    public var partitions: Int
    /// The input stream the partition was read from (nil: saved before streams were named), so
    /// a directory kept for one stream is not taken for another's partition of the same number.
    public var stream: String?
    public var inspector: ExchangeInspector
    public var repeats: InputLedger
    public var recorded: Set<UInt64>
    /// Request key (the ledger's) → the sequence of the message that recorded it, for the
    /// messages in `recorded`. A message handed out again after later ones can be too far
    /// behind for the ledger's window of stream time; a repeat of its id recorded from another
    /// message, before or after a restart, still makes it the repeat.
    public var recentRequests: [UInt64: UInt64] = [:]

    public init(partition: Int, partitions: Int, stream: String? = nil, inspector: ExchangeInspector, repeats: InputLedger = InputLedger(),
                recorded: Set<UInt64> = []) {
        self.partition = partition; self.partitions = partitions; self.stream = stream
        self.inspector = inspector; self.repeats = repeats; self.recorded = recorded
    }

    public func encoded() -> [UInt8] {
        var w = StateWriter(reservingCapacity: 1 << 16 + inspector.accountCount * 4096)
        Self.frame.open(&w)
        w.write(partition)
        w.write(partitions)
        w.write(optional: stream)
        w.writePlain(recorded.sorted())
        w.write(repeats)
        let requests = recentRequests.sorted { $0.key < $1.key }
        w.writePlain(requests.map(\.key))
        w.writePlain(requests.map(\.value))
        inspector.write(to: &w)
        Self.frame.close(&w)
        return w.takeBytes()
    }

    /// Reads a state written by `encoded()` into `inspector` (whose limits are kept). Refuses,
    /// with the reason, bytes that are not one, are cut short or damaged, or come from a newer
    /// format.
    public init(decoding bytes: [UInt8], into inspector: ExchangeInspector) throws(StateError) {
        var r = try Self.frame.reader(bytes)
        let version = r.formatVersion
        // The ledger inside is laid out as the current detector state lays its ledger out.
        r.formatVersion = DetectionState.formatVersion
        let partition = try r.int()
        let partitions = try r.int()
        try r.check(partitions >= 1 && partitions <= 65_536 && partition >= 0 && partition < partitions, "partition \(partition) of \(partitions)")
        let stream = version >= 2 ? try r.optionalString() : nil
        let recorded = Set(try r.plain(UInt64.self))
        let repeats = try r.read(InputLedger.self)
        var recentRequests: [UInt64: UInt64] = [:]
        if version >= 3 {
            let keys = try r.plain(UInt64.self), sequences = try r.plain(UInt64.self)
            try r.check(keys.count == sequences.count, "\(keys.count) request ids for \(sequences.count) sequences")
            recentRequests = Dictionary(zip(keys, sequences), uniquingKeysWith: { a, _ in a })
        }
        try inspector.read(from: &r)
        try r.check(r.remaining == 0, "\(r.remaining) bytes left over after the shard state")
        self.init(partition: partition, partitions: partitions, stream: stream, inspector: inspector, repeats: repeats, recorded: recorded)
        self.recentRequests = recentRequests
    }
}
