import Foundation

/// The text fields of one exchange, packed into a single buffer: a 64-byte header (a presence
/// bit per field, then each field's end offset) followed by the UTF-8 of every present field in
/// schema order. A decoded line becomes one allocation, and destroying it one release, instead
/// of a `String` (allocation, validation, release) per field; the detector reads the bytes in place.
///
/// The layout is canonical (fields in order, nothing else), so two equal records have equal buffers.
/// Unchecked Sendable: the buffer is written once while the record is built and only read after.
struct ExchangeText: @unchecked Sendable, Equatable {
    enum Field: Int, CaseIterable, Sendable {
        case accountID, apiKeyID, requestID, orgID, endUserID, sessionID, clientIP, country
        case userAgent, paymentFP, model, promptText, promptFP, systemFP, toolsFP
    }

    static let headerBytes = 64
    static let fieldCount = Field.allCases.count

    /// Header and payload; never mutated once built (a setter builds a new one), so it is shared freely.
    private let storage: TextBuffer

    /// A shared record with no fields, for a decoder to fill in: no allocation per line.
    static let placeholder = ExchangeText(strings: Array(repeating: nil, count: fieldCount))

    /// One value per `Field`, in order (nil: absent).
    init(strings: [String?]) {
        precondition(strings.count == Self.fieldCount)
        let payload = strings.reduce(0) { $0 + ($1?.utf8.count ?? 0) }
        self.init(payloadCapacity: payload) { writer in
            for (k, value) in strings.enumerated() {
                guard var value else { continue }
                value.withUTF8 { writer.append(k, UnsafeRawBufferPointer($0)) }
            }
        }
    }

    /// Builds the buffer by handing `write` a writer with room for `payloadCapacity` bytes;
    /// it must append fields in increasing order.
    @inline(__always)
    init(payloadCapacity: Int, _ write: (inout Writer) -> Void) {
        let capacity = Self.headerBytes + payloadCapacity
        // One allocation, header and bytes together (an array went through the standard
        // library's generic, unspecialised allocation path: plain to see in callgrind).
        let buffer = unsafeDowncast(TextBuffer.create(minimumCapacity: capacity) { _ in 0 }, to: TextBuffer.self)
        buffer.withUnsafeMutablePointers { count, bytes in
            var writer = Writer(base: bytes, capacity: capacity)
            write(&writer)
            writer.finish()
            count.pointee = writer.position
        }
        storage = buffer
    }

    /// Byte for byte: two records are equal when their logs said the same bytes (not when
    /// Unicode would call two spellings of a string equivalent, as `String` does).
    static func == (a: ExchangeText, b: ExchangeText) -> Bool {
        a.storage === b.storage || a.storage.withBytes { x in b.storage.withBytes { y in
            x.count == y.count && memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0
        } }
    }

    /// Appends fields in schema order into an uninitialised buffer and writes the header last.
    struct Writer {
        let base: UnsafeMutablePointer<UInt8>
        let capacity: Int
        private(set) var position = ExchangeText.headerBytes
        private var presence: UInt32 = 0
        private var nextField = 0

        init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
            self.base = base
            self.capacity = capacity
        }

        @inline(__always)
        private mutating func close(upTo k: Int) {
            while nextField < k {
                UnsafeMutableRawPointer(base).storeBytes(of: UInt32(position).littleEndian, toByteOffset: 4 + 4 * nextField, as: UInt32.self)
                nextField += 1
            }
        }

        @inline(__always)
        private mutating func mark(_ k: Int) {
            presence |= 1 << UInt32(k)
            nextField = k
            close(upTo: k + 1)
        }

        /// Appends field number `k` (a `Field` raw value).
        @inline(__always)
        mutating func append(_ k: Int, _ bytes: UnsafeRawBufferPointer) {
            let n = bytes.count
            precondition(k >= nextField && k < ExchangeText.fieldCount && position + n <= capacity, "fields out of order or over capacity")
            close(upTo: k)
            if let source = bytes.baseAddress {
                let target = UnsafeMutableRawPointer(base + position)
                if n >= 8 && n <= 16 {
                    // Most ids and fingerprints: two overlapping words instead of a memcpy call.
                    target.storeBytes(of: source.loadUnaligned(as: UInt64.self), as: UInt64.self)
                    target.storeBytes(of: source.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self), toByteOffset: n - 8, as: UInt64.self)
                } else if n > 0 {
                    target.copyMemory(from: source, byteCount: n)
                }
            }
            position += n
            mark(k)
        }

        /// Appends the JSON string body `[from, to)` of `source` with its escapes decoded (they
        /// never grow, so the raw length is enough room).
        @inline(__always)
        mutating func appendUnescaped(_ k: Int, _ source: UnsafeRawPointer, from: Int, to: Int) {
            precondition(k >= nextField && k < ExchangeText.fieldCount && position + (to - from) <= capacity, "fields out of order or over capacity")
            close(upTo: k)
            position += Unescape.run(source, from: from, to: to, into: base + position)
            mark(k)
        }

        mutating func finish() {
            close(upTo: ExchangeText.fieldCount)
            UnsafeMutableRawPointer(base).storeBytes(of: presence.littleEndian, as: UInt32.self)
        }
    }

    // MARK: reading

    @inline(__always)
    func contains(_ field: Field) -> Bool {
        storage.withBytes { Self.present($0, field) }
    }

    @inline(__always)
    private static func present(_ raw: UnsafeRawBufferPointer, _ field: Field) -> Bool {
        (UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)) >> UInt32(field.rawValue)) & 1 == 1
    }

    @inline(__always)
    private static func range(_ raw: UnsafeRawBufferPointer, _ field: Field) -> Range<Int> {
        let k = field.rawValue
        let start = k == 0 ? headerBytes : Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self)))
        let end = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 + 4 * k, as: UInt32.self)))
        return start..<end
    }

    /// Runs `body` on the field's UTF-8 (valid: the decoder checked it), or returns nil when absent.
    @inline(__always)
    func withBytes<R>(_ field: Field, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        storage.withBytes { raw in
            guard Self.present(raw, field) else { return nil }
            return body(UnsafeRawBufferPointer(rebasing: raw[Self.range(raw, field)]))
        }
    }

    @inline(__always)
    func hash(_ field: Field) -> UInt64? {
        withBytes(field) { StableHash.hash($0) }
    }

    /// Whether the field is present and holds exactly `text`.
    func equals(_ field: Field, _ text: String) -> Bool {
        withBytes(field) { bytes in
            @inline(__always) func same(_ other: UnsafeBufferPointer<UInt8>) -> Bool {
                other.count == bytes.count && (other.count == 0 || memcmp(other.baseAddress!, bytes.baseAddress!, other.count) == 0)
            }
            // Read in place: a copy to call `withUTF8` on retained and released the string each time.
            if let result = text.utf8.withContiguousStorageIfAvailable(same) { return result }
            var copy = text
            return copy.withUTF8(same)
        } ?? false
    }

    /// The field as a `String` (built on each read), or nil; setting rebuilds the buffer.
    subscript(field: Field) -> String? {
        get { withBytes(field) { String(decoding: $0, as: UTF8.self) } }
        set {
            var values = Field.allCases.map { self[$0] }
            values[field.rawValue] = newValue
            self = ExchangeText(strings: values)
        }
    }
}

/// The bytes of an `ExchangeText`: the used length in the header, header and payload in the tail.
final class TextBuffer: ManagedBuffer<Int, UInt8> {
    @inline(__always)
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeMutablePointers { count, bytes in body(UnsafeRawBufferPointer(start: bytes, count: count.pointee)) }
    }
}
