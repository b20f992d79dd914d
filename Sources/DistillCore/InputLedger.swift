/// Where an input line came from, for rejection samples a person can find again.
public struct RejectionSample: Sendable, Equatable {
    public var source: String
    public var line: Int
    public var reason: String
    public var message: String
}

/// Counts everything the input did: accepted exchanges, duplicates, rejections by reason
/// (with the first few kept), and the stream-time span. Nothing is dropped without a count.
public struct InputLedger: Sendable {
    public static let keptSamples = 20

    public private(set) var exchanges = 0
    public private(set) var duplicates = 0
    public private(set) var blankLines = 0
    public private(set) var rejectedTotal = 0
    public private(set) var rejectedByReason: [String: Int] = [:]
    public private(set) var samples: [RejectionSample] = []
    public private(set) var firstTs: StreamTime?
    public private(set) var lastTs: StreamTime?
    private var duplicateFilter: DuplicateFilter

    public init(duplicateWindow: StreamTime = DuplicateFilter.defaultWindow) {
        duplicateFilter = DuplicateFilter(window: duplicateWindow)
    }

    public mutating func reject(_ rejection: Rejection, source: String, line: Int) {
        rejectedTotal += 1
        rejectedByReason[rejection.key, default: 0] += 1
        if samples.count < Self.keptSamples {
            samples.append(RejectionSample(source: source, line: line, reason: rejection.key, message: rejection.message))
        }
    }

    public mutating func countBlank() { blankLines += 1 }

    /// Records an exchange; returns false (and counts it) when its `request_id` was already seen
    /// inside the duplicate window.
    public mutating func admit(_ exchange: borrowing Exchange) -> Bool {
        let ts = exchange.ts
        if let id = exchange.text.withBytes(.requestID, DuplicateFilter.key(of:)), duplicateFilter.isDuplicate(key: id, at: ts) {
            duplicates += 1
            return false
        }
        exchanges += 1
        if firstTs.map({ ts < $0 }) ?? true { firstTs = ts }
        if lastTs.map({ ts > $0 }) ?? true { lastTs = ts }
        return true
    }
}

/// Remembers request ids for a window of stream time with bounded memory: two generations of
/// 64-bit hashes; the older one is dropped when the newer one is a window old or full.
/// A hash collision could wrongly call two ids the same; with 64-bit hashes and at most
/// `maxPerGeneration` ids the chance is about 1 in 10^7 per full generation. The hash is
/// Swift's keyed one (SipHash, with a secret per process): `StableHash` is public and easy to
/// invert, so a log could carry a crafted id that collides with a real one and have that
/// exchange dropped as its duplicate.
public struct DuplicateFilter: Sendable {
    /// One hour: retries and replays of a request arrive within minutes.
    public static let defaultWindow: StreamTime = 3_600_000
    public static let defaultMaxPerGeneration = 2_000_000

    private let window: StreamTime
    private let maxPerGeneration: Int
    private var current = UInt64Map<NoValue>()
    private var previous = UInt64Map<NoValue>()
    private var generationStart: StreamTime?

    public init(window: StreamTime = defaultWindow, maxPerGeneration: Int = defaultMaxPerGeneration) {
        self.window = max(1, window)
        self.maxPerGeneration = max(1, maxPerGeneration)
    }

    /// Number of ids currently remembered (for tests and memory reports).
    public var remembered: Int { current.count + previous.count }

    public mutating func isDuplicate(_ requestID: String, at ts: StreamTime) -> Bool {
        var id = requestID
        return isDuplicate(key: id.withUTF8 { Self.key(of: UnsafeRawBufferPointer($0)) }, at: ts)
    }

    /// The key an id is remembered by: its keyed hash.
    static func key(of requestID: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(bytes: requestID)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    /// `isDuplicate` for an id already turned into its `key(of:)`.
    mutating func isDuplicate(key hash: UInt64, at ts: StreamTime) -> Bool {
        if current.slot(of: hash) != nil || previous.slot(of: hash) != nil { return true }
        if let start = generationStart {
            if ts - start >= window || current.count >= maxPerGeneration {
                previous = current
                current = UInt64Map(capacity: previous.count)
                generationStart = ts
            }
        } else {
            generationStart = ts
        }
        current.insert(hash, NoValue())
        return false
    }
}
