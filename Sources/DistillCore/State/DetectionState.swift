/// Everything a run has learnt, as bytes: the detector's whole state (accounts, shared values,
/// sessions, sketches, coordination signatures and ties, scores, flags, the allowlist in force)
/// and the input ledger with its duplicate window. A detector read back from these bytes and
/// fed the rest of the input reaches the same verdicts as one that never stopped.
///
/// Layout: an 8-byte magic, the format version, the payload's length and its 64-bit checksum,
/// then the payload. The drill-down detail (recent sessions and exchanges kept for the console)
/// is not part of it: it fills again as traffic arrives.
public struct DetectionState {
    public static let formatVersion: UInt32 = 9  // 9: accounts compared for agentic sessions alone
    static let frame = StateFrame(magic: Array("DWSTATE\u{1A}".utf8), formatVersion: formatVersion, checksumSeed: 0x4457_5354_4154_4531)

    public var detector: Detector
    public var ledger: InputLedger
    /// Where the caller's sources had got to, in the caller's own words (paths, offsets…).
    public var positions: [String: String]
    /// The ledgers of a live feed's reading threads, one each, when they keep their own.
    public var feedLedgers: [InputLedger]

    public init(detector: Detector, ledger: InputLedger, positions: [String: String] = [:], feedLedgers: [InputLedger] = []) {
        self.detector = detector; self.ledger = ledger; self.positions = positions; self.feedLedgers = feedLedgers
    }

    /// What the settings are called in a state file: the sensitivity, and a fingerprint of every
    /// threshold, so a file written under other rules is refused rather than mixed in.
    static func settingsLabel(_ settings: DetectorSettings) -> String {
        // Left out, as if the fields did not exist, so files written before they were added
        // still match: folding is about memory only and never changes a verdict; re-judging
        // `watch` clusters between evaluations only brings flags forward, and a file from before
        // it goes on with it from its next evaluation; clusters are built again from the evidence
        // at every evaluation, so one from before heavy accounts were held to their own use of a
        // template family goes on under that rule from its next evaluation too.
        var rules = String(describing: settings)
        for name in ["foldIdleAfter", "recheckInterval", "promptsForOwnFamilyUse", "ownFamilyShare", "outsizedFamilyUse"] {
            guard let field = rules.firstRange(of: ", \(name): ") else { continue }
            let end = rules[field.upperBound...].firstIndex(of: ",") ?? rules.index(before: rules.endIndex)
            rules.removeSubrange(field.lowerBound..<end)
        }
        // Put back as it read, so files written while the field existed still match: the length
        // from which a prompt's exact repeats were counted, for a rule since dropped.
        if let field = rules.firstRange(of: ", certaintyPrompts: ") {
            let end = rules[field.upperBound...].firstIndex(of: ",") ?? rules.endIndex
            rules.insert(contentsOf: ", minimumBytesForRepeat: 100", at: end)
        }
        return "sensitivity \(settings.sensitivity.rawValue), rules \(String(StableHash.hash(rules) >> 40, radix: 16))"
    }

    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        encode(into: &bytes)
        return bytes
    }

    /// `encoded()`, written over `buffer` and reusing its memory.
    public func encode(into buffer: inout [UInt8]) {
        var w = StateWriter(reusing: &buffer, reservingCapacity: 1 << 20 + detector.accounts.count * 3072)
        // The header first, its length and checksum filled in once the payload is written: one
        // buffer, not a payload and then a copy of it behind the header.
        Self.frame.open(&w)
        w.write(Self.settingsLabel(detector.settings))
        detector.write(to: &w)
        w.write(ledger)
        w.write(positions.count)
        for (k, v) in positions.sorted(by: { $0.key < $1.key }) { w.write(k); w.write(v) }
        w.write(feedLedgers)
        Self.frame.close(&w)
        w.finish(into: &buffer)
    }

    /// Reads a state written by `encoded()`. Refuses, with the reason, a file that is not one,
    /// is cut short, is damaged, comes from a newer format or was written under other settings.
    public init(decoding bytes: [UInt8], settings: DetectorSettings) throws(StateError) {
        var r = try Self.frame.reader(bytes)
        let version = r.formatVersion
        let saved = try r.string()
        let current = Self.settingsLabel(settings)
        guard saved == current else { throw .settingsDiffer(saved: saved, current: current) }
        let detector = Detector(settings: settings)
        try detector.read(from: &r)
        let ledger = try r.read(InputLedger.self)
        var positions: [String: String] = [:]
        for _ in 0..<(try r.count(minimumSize: 16)) { positions[try r.string()] = try r.string() }
        // Version 1 had no feed ledgers.
        let feedLedgers = version >= 2 ? try r.array(InputLedger.self) : []
        try r.check(r.remaining == 0, "\(r.remaining) bytes left over after the state")
        self.init(detector: detector, ledger: ledger, positions: positions, feedLedgers: feedLedgers)
    }
}
