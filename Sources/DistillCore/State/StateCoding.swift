/// Why a saved detector state could not be read. Every case names what was wrong, so the
/// message can tell an operator whether the file is damaged, foreign or from a newer release.
public enum StateError: Error, Equatable, CustomStringConvertible {
    /// Not a DistillWatch state file at all.
    case notAStateFile
    /// Written by a newer release, in a format this one does not know.
    case newerVersion(found: UInt32, supported: UInt32)
    /// Shorter than its header says: cut off while being written or copied.
    case truncated
    /// The bytes do not match their checksum: damaged on disk or in transit.
    case checksumMismatch
    /// Written by a detector with other settings (another sensitivity or build of the rules).
    case settingsDiffer(saved: String, current: String)
    /// Well-formed on the outside, but a field holds a value no detector writes.
    case corrupt(String)

    public var description: String {
        switch self {
        case .notAStateFile: return "not a DistillWatch state file"
        case .newerVersion(let found, let supported):
            return "written by a newer DistillWatch (format \(found); this build reads up to \(supported))"
        case .truncated: return "truncated: the file ends before its data does"
        case .checksumMismatch: return "damaged: its checksum does not match its contents"
        case .settingsDiffer(let saved, let current):
            return "written with other detector settings (\(saved)); this run uses \(current)"
        case .corrupt(let what): return "corrupt: \(what)"
        }
    }
}

/// Appends values in a fixed little-endian layout: saved detector state and shard summaries.
///
/// The bytes live in an array kept longer than what is written (`count` says how much is
/// written), so a field is stored in place rather than appended: appending eight bytes through
/// the array's generic path cost more than the field itself, and a 100 MB state is millions of
/// fields.
struct StateWriter {
    private var storage: [UInt8] = []
    private(set) var count = 0

    /// What has been written (a copy: `finish(into:)` hands over the memory itself).
    var bytes: [UInt8] { Array(storage[..<count]) }

    init(reservingCapacity capacity: Int = 1 << 16) { storage.reserveCapacity(capacity) }

    /// Writes into `buffer`'s memory, taken from the caller until `finish`: a state of a hundred
    /// megabytes written again and again then costs no fresh pages each time.
    init(reusing buffer: inout [UInt8], reservingCapacity capacity: Int) {
        swap(&storage, &buffer)
        storage.reserveCapacity(capacity)
    }

    /// What was written, without a copy; the writer is left empty.
    mutating func takeBytes() -> [UInt8] {
        var out: [UInt8] = []
        finish(into: &out)
        return out
    }

    /// Hands what was written back into `buffer`, cut to its length.
    mutating func finish(into buffer: inout [UInt8]) {
        storage.removeLast(storage.count - count)
        swap(&storage, &buffer)
        storage = []
        count = 0
    }

    private static let zeros = [UInt8](repeating: 0, count: 1 << 20)

    /// Room for `n` more bytes past `count`.
    @inline(__always)
    private mutating func ensure(_ n: Int) {
        if storage.count - count < n { grow(n) }
    }

    /// Room for `n` more bytes: within the array's capacity, zeros appended a block at a time;
    /// past it, what is written moves into an array twice as long whose rest is left as the
    /// allocator gave it and never read (`finish` cuts it off). Either way no page far past the
    /// end of what is written is touched, and an unoptimised build never fills byte by byte.
    @inline(never)
    private mutating func grow(_ n: Int) {
        let needed = count + n
        if storage.capacity >= needed {
            // Within memory already held (a buffer reused from the last state): lengthened by
            // up to a megabyte at a time, copied from a block of zeros.
            let length = min(storage.capacity, max(needed, storage.count + Self.zeros.count))
            while storage.count < length {
                let k = min(Self.zeros.count, length - storage.count)
                Self.zeros.withUnsafeBufferPointer { storage.append(contentsOf: UnsafeBufferPointer(rebasing: $0[..<k])) }
            }
            return
        }
        let length = max(needed, storage.count * 2, 64)
        let written = count
        let longer = storage.withUnsafeBytes { old in
            [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
                if written > 0 { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: old[..<written])) }
                initialized = length
            }
        }
        storage = longer
    }

    @inline(__always)
    private mutating func store<T: FixedWidthInteger>(_ v: T) {
        let size = MemoryLayout<T>.size
        ensure(size)
        let at = count
        storage.withUnsafeMutableBytes { $0.storeBytes(of: v.littleEndian, toByteOffset: at, as: T.self) }
        count += size
    }

    private mutating func append(_ raw: UnsafeRawBufferPointer) {
        guard raw.count > 0 else { return }
        ensure(raw.count)
        let at = count
        storage.withUnsafeMutableBytes { out in
            UnsafeMutableRawBufferPointer(rebasing: out[at..<(at + raw.count)]).copyMemory(from: raw)
        }
        count += raw.count
    }

    mutating func write(_ v: UInt64) { store(v) }
    mutating func write(_ v: UInt32) { store(v) }
    mutating func write(_ v: UInt16) { store(v) }
    mutating func write(_ v: UInt8) { store(v) }
    mutating func write(_ v: Int64) { store(UInt64(bitPattern: v)) }
    mutating func write(_ v: Int32) { store(UInt32(bitPattern: v)) }
    mutating func write(_ v: Int) { store(UInt64(bitPattern: Int64(v))) }
    mutating func write(_ v: Bool) { store(UInt8(v ? 1 : 0)) }
    mutating func write(_ v: Double) { store(v.bitPattern) }
    mutating func write(_ v: Float) { store(v.bitPattern) }

    mutating func write(_ v: String) {
        var s = v
        s.withUTF8 { utf8 in
            write(utf8.count)
            append(UnsafeRawBufferPointer(utf8))
        }
    }

    mutating func write(optional v: String?) {
        write(v != nil)
        if let v { write(v) }
    }

    mutating func write(_ v: Int64?) {
        write(v != nil)
        if let v { write(v) }
    }

    /// A length, then the bytes as they are.
    mutating func write(bytes raw: UnsafeRawBufferPointer) {
        write(raw.count)
        append(raw)
    }

    /// Arrays of plain integers, as their count and then their bytes (the hosts this runs on
    /// are little-endian, which `StateReader` checks when it reads them back).
    mutating func writePlain<T: FixedWidthInteger>(_ values: [T]) {
        write(values.count)
        values.withUnsafeBytes { append($0) }
    }

    mutating func write<T: StateCodable>(_ values: [T]) {
        write(values.count)
        for v in values { v.write(to: &self) }
    }

    mutating func write<T: StateCodable>(_ value: T) { value.write(to: &self) }

    /// Fills in the payload's length and checksum, at `lengthAt` and the 8 bytes after it, for
    /// a payload that starts at `payloadFrom` and runs to the end.
    mutating func finishHeader(payloadFrom start: Int, lengthAt offset: Int, checksumSeed: UInt64) {
        let end = count
        let length = UInt64(end - start)
        let checksum = storage.withUnsafeBytes { StableHash.hash(UnsafeRawBufferPointer(rebasing: $0[start..<end]), seed: checksumSeed) }
        storage.withUnsafeMutableBytes { out in
            out.storeBytes(of: length.littleEndian, toByteOffset: offset, as: UInt64.self)
            out.storeBytes(of: checksum.littleEndian, toByteOffset: offset + 8, as: UInt64.self)
        }
    }
}

/// Reads what `StateWriter` wrote, checking every length against what is left: a damaged
/// file gives an error, never a crash or an allocation the size of a garbage count.
struct StateReader {
    private let bytes: [UInt8]
    private(set) var offset: Int
    /// The format version being read, for parts whose layout changed in a later version.
    var formatVersion: UInt32 = DetectionState.formatVersion

    init(_ bytes: [UInt8], from offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    private mutating func take<T: FixedWidthInteger>(_: T.Type) throws(StateError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw .truncated }
        var v: T = 0
        withUnsafeMutableBytes(of: &v) { out in
            bytes.withUnsafeBytes { src in out.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[offset..<(offset + size)])) }
        }
        offset += size
        return T(littleEndian: v)
    }

    mutating func uint64() throws(StateError) -> UInt64 { try take(UInt64.self) }
    mutating func uint32() throws(StateError) -> UInt32 { try take(UInt32.self) }
    mutating func uint16() throws(StateError) -> UInt16 { try take(UInt16.self) }
    mutating func uint8() throws(StateError) -> UInt8 { try take(UInt8.self) }
    mutating func int64() throws(StateError) -> Int64 { Int64(bitPattern: try uint64()) }
    mutating func int32() throws(StateError) -> Int32 { Int32(bitPattern: try uint32()) }
    mutating func int() throws(StateError) -> Int { Int(try int64()) }
    mutating func double() throws(StateError) -> Double { Double(bitPattern: try uint64()) }
    mutating func float() throws(StateError) -> Float { Float(bitPattern: try uint32()) }

    mutating func bool() throws(StateError) -> Bool {
        switch try uint8() {
        case 0: return false
        case 1: return true
        default: throw .corrupt("a flag is neither 0 nor 1 at byte \(offset - 1)")
        }
    }

    /// A count of things each taking at least `minimumSize` bytes, checked against what is left.
    mutating func count(minimumSize: Int = 1) throws(StateError) -> Int {
        let n = try int()
        guard n >= 0 else { throw .corrupt("a negative count at byte \(offset - 8)") }
        guard n <= remaining / max(1, minimumSize) else { throw .truncated }
        return n
    }

    mutating func string() throws(StateError) -> String {
        let n = try count()
        defer { offset += n }
        return String(decoding: bytes[offset..<(offset + n)], as: UTF8.self)
    }

    /// The next `n` bytes as they are.
    mutating func raw(_ n: Int) throws(StateError) -> ArraySlice<UInt8> {
        guard n >= 0 && n <= remaining else { throw .truncated }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    mutating func optionalString() throws(StateError) -> String? {
        try bool() ? try string() : nil
    }

    mutating func optionalInt64() throws(StateError) -> Int64? {
        try bool() ? try int64() : nil
    }

    mutating func plain<T: FixedWidthInteger>(_: T.Type) throws(StateError) -> [T] {
        let n = try count(minimumSize: MemoryLayout<T>.size)
        let size = n * MemoryLayout<T>.size
        var out = [T](repeating: 0, count: n)
        out.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[offset..<(offset + size)])) }
        }
        offset += size
        if 1.littleEndian != 1 { out = out.map { T(littleEndian: $0) } }
        return out
    }

    mutating func array<T: StateCodable>(_: T.Type) throws(StateError) -> [T] {
        let n = try count()
        var out: [T] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try T(from: &self)) }
        return out
    }

    mutating func read<T: StateCodable>(_: T.Type) throws(StateError) -> T { try T(from: &self) }

    /// Fails unless `condition` holds: a field read back must be one a detector could write.
    func check(_ condition: Bool, _ what: @autoclosure () -> String) throws(StateError) {
        if !condition { throw .corrupt(what()) }
    }
}

/// A part of the detector's state that can be saved and read back into an identical value.
protocol StateCodable {
    func write(to w: inout StateWriter)
    init(from r: inout StateReader) throws(StateError)
}

extension Int32: StateCodable {
    func write(to w: inout StateWriter) { w.write(self) }
    init(from r: inout StateReader) throws(StateError) { self = try r.int32() }
}

extension NoValue: StateCodable {
    func write(to w: inout StateWriter) {}
    init(from r: inout StateReader) throws(StateError) { self = NoValue() }
}

/// The frame every saved-state file shares: an 8-byte magic that names its kind, the format
/// version, then the payload's length and 64-bit checksum, then the payload.
struct StateFrame {
    let magic: [UInt8]
    let formatVersion: UInt32
    let checksumSeed: UInt64
    static let headerSize = 8 + 4 + 8 + 8

    /// Writes the header, its length and checksum left to `close`.
    func open(_ w: inout StateWriter) {
        for b in magic { w.write(b) }
        w.write(formatVersion)
        w.write(0 as UInt64)
        w.write(0 as UInt64)
    }

    /// Fills in the length and checksum of everything written after the header.
    func close(_ w: inout StateWriter) {
        w.finishHeader(payloadFrom: Self.headerSize, lengthAt: magic.count + 4, checksumSeed: checksumSeed)
    }

    /// A reader at the start of the payload, its `formatVersion` set to the file's. Refuses, with
    /// the reason, bytes of another kind, cut short, damaged or from a newer format.
    func reader(_ bytes: [UInt8]) throws(StateError) -> StateReader {
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else { throw .notAStateFile }
        var r = StateReader(bytes, from: magic.count)
        let version = try r.uint32()
        guard version <= formatVersion else { throw .newerVersion(found: version, supported: formatVersion) }
        guard version >= 1 else { throw .corrupt("format version \(version) was never written") }
        r.formatVersion = version
        let length = try r.int()
        let checksum = try r.uint64()
        guard length >= 0, r.remaining >= length else { throw .truncated }
        guard r.remaining == length else { throw .corrupt("\(r.remaining - length) bytes after the end of the data") }
        let actual = bytes.withUnsafeBytes { StableHash.hash(UnsafeRawBufferPointer(rebasing: $0[Self.headerSize...]), seed: checksumSeed) }
        guard actual == checksum else { throw .checksumMismatch }
        return r
    }
}
