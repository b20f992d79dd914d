/// What a shard worker keeps of one partition between runs: the drill-down detail of the
/// partition's accounts, the ledger that sets aside repeated request ids, and the input
/// sequences already recorded (so a message handed out again is not recorded twice).
///
/// The counts the detector needs are not here: they travel as summaries through the bus,
/// which stores them. This is what lets a restarted or replacement worker answer drill-down
/// for accounts it has not seen since it started.
///
/// Layout as in `DetectionState`: magic, format version, payload length and checksum, payload.
public struct ShardState {
    public static let formatVersion: UInt32 = 1
    static let magic: [UInt8] = Array("DWSHARD\u{1A}".utf8)
    static let headerSize = 8 + 4 + 8 + 8
    private static let checksumSeed: UInt64 = 0x4457_5348_4152_4431

    public var partition: Int
    public var partitions: Int
    public var inspector: ExchangeInspector
    public var repeats: InputLedger
    public var recorded: Set<UInt64>

    public init(partition: Int, partitions: Int, inspector: ExchangeInspector, repeats: InputLedger = InputLedger(), recorded: Set<UInt64> = []) {
        self.partition = partition; self.partitions = partitions
        self.inspector = inspector; self.repeats = repeats; self.recorded = recorded
    }

    public func encoded() -> [UInt8] {
        var w = StateWriter(reservingCapacity: 1 << 16 + inspector.accountCount * 4096)
        for b in Self.magic { w.write(b) }
        w.write(Self.formatVersion)
        w.write(0 as UInt64)
        w.write(0 as UInt64)
        w.write(partition)
        w.write(partitions)
        w.writePlain(recorded.sorted())
        w.write(repeats)
        inspector.write(to: &w)
        w.finishHeader(payloadFrom: Self.headerSize, lengthAt: Self.magic.count + 4, checksumSeed: Self.checksumSeed)
        return w.takeBytes()
    }

    /// Reads a state written by `encoded()` into `inspector` (whose limits are kept). Refuses,
    /// with the reason, bytes that are not one, are cut short or damaged, or come from a newer
    /// format.
    public init(decoding bytes: [UInt8], into inspector: ExchangeInspector) throws(StateError) {
        guard bytes.count >= Self.magic.count, Array(bytes[0..<Self.magic.count]) == Self.magic else { throw .notAStateFile }
        var r = StateReader(bytes, from: Self.magic.count)
        let version = try r.uint32()
        guard version <= Self.formatVersion else { throw .newerVersion(found: version, supported: Self.formatVersion) }
        guard version >= 1 else { throw .corrupt("format version \(version) was never written") }
        let length = try r.int()
        let checksum = try r.uint64()
        guard length >= 0, r.remaining >= length else { throw .truncated }
        guard r.remaining == length else { throw .corrupt("\(r.remaining - length) bytes after the end of the data") }
        let actual = bytes.withUnsafeBytes { StableHash.hash(UnsafeRawBufferPointer(rebasing: $0[Self.headerSize...]), seed: Self.checksumSeed) }
        guard actual == checksum else { throw .checksumMismatch }
        let partition = try r.int()
        let partitions = try r.int()
        try r.check(partitions >= 1 && partitions <= 65_536 && partition >= 0 && partition < partitions, "partition \(partition) of \(partitions)")
        let recorded = Set(try r.plain(UInt64.self))
        let repeats = try r.read(InputLedger.self)
        try inspector.read(from: &r)
        try r.check(r.remaining == 0, "\(r.remaining) bytes left over after the shard state")
        self.init(partition: partition, partitions: partitions, inspector: inspector, repeats: repeats, recorded: recorded)
    }
}
