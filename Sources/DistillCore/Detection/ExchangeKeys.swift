/// The keys the evidence store files an exchange under: hashes of its identity fields and the
/// range of its address. They depend on the exchange's text alone, so a decoding thread can
/// make them and leave the detector's thread only the lookups.
public struct ExchangeKeys: Sendable {
    private var values: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0)
    /// A bit per key present (`Slot` raw values); bit 14: the address range was worked out
    /// (present or not); bit 15: the range is IPv6.
    private var present: UInt16 = 0

    enum Slot: Int {
        case account, session, endUser, card, org, ip, ipRange, systemPrompt, tools
    }

    /// `withRange`: work out the address's range now. The detector's own thread leaves it for
    /// when it is needed: only when an account's address changes.
    public init(_ e: borrowing Exchange, withRange: Bool = true) {
        self.init(e.text, withRange: withRange)
    }

    /// From the record's text alone, so the detector's thread need not copy the whole record.
    init(_ text: ExchangeText, withRange: Bool) {
        set(.account, text.hash(.accountID) ?? StableHash.hash(""))
        set(.session, text.hash(.sessionID))
        set(.endUser, text.hash(.endUserID))
        set(.card, text.hash(.paymentFP))
        set(.org, text.hash(.orgID))
        set(.ip, text.hash(.clientIP))
        if withRange {
            present |= 1 << 14
            if let range = text.withBytes(.clientIP, IPRange.prefix(of:)) ?? nil {
                set(.ipRange, range.key)
                if range.isV6 { present |= 1 << 15 }
            }
        }
        set(.systemPrompt, text.hash(.systemFP))
        set(.tools, text.hash(.toolsFP))
    }

    @inline(__always)
    private mutating func set(_ slot: Slot, _ value: UInt64?) {
        guard let value else { return }
        present |= 1 << UInt16(slot.rawValue)
        withUnsafeMutableBytes(of: &values) { $0.storeBytes(of: value, toByteOffset: 8 * slot.rawValue, as: UInt64.self) }
    }

    @inline(__always)
    subscript(_ slot: Slot) -> UInt64? {
        guard present & (1 << UInt16(slot.rawValue)) != 0 else { return nil }
        return withUnsafeBytes(of: values) { $0.load(fromByteOffset: 8 * slot.rawValue, as: UInt64.self) }
    }

    /// The address range's key and family, when the address parsed.
    func ipRange(of text: ExchangeText) -> (key: UInt64, isV6: Bool)? {
        guard present & (1 << 14) != 0 else { return text.withBytes(.clientIP, IPRange.prefix(of:)) ?? nil }
        return self[.ipRange].map { ($0, present & (1 << 15) != 0) }
    }
}
