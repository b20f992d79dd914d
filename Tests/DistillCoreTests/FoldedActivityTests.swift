@testable import DistillCore
import XCTest

/// The packing of a folded account's activity: lossless, and damage is refused, not misread.
final class FoldedActivityTests: XCTestCase {
    func testPackedActivityRefusesCutRuns() {
        XCTAssertEqual(try ZeroRuns.expand(ZeroRuns.squeeze([1, 0, 0, 0, 2] + [UInt8](repeating: 0, count: 600))), [1, 0, 0, 0, 2] + [UInt8](repeating: 0, count: 600))
        XCTAssertThrowsError(try ZeroRuns.expand([7, 0]))
        XCTAssertThrowsError(try ZeroRuns.expand([0, 0]))
        XCTAssertThrowsError(try AccountActivity(packed: [1, 2, 3]))
    }

    func testAnActivityPacksSmallAndUnpacksEqual() throws {
        var a = AccountActivity()
        a.stats.exchanges = 26; a.stats.prompts = 25; a.stats.outputTokens = 41_000
        a.ips.insert(0x1234_5678_9ABC_DEF0)
        a.prefixFamilies.add(99); a.prefixFamilies.add(99)
        a.countHour(493_000)
        a.lastValueKey[0] = 0xDEAD_BEEF_0000_0001; a.lastValueSlot[0] = 7
        let packed = a.packed()
        var raw = StateWriter()
        a.write(to: &raw)
        XCTAssertLessThan(packed.count * 4, raw.bytes.count, "packed \(packed.count) of \(raw.bytes.count) bytes")
        var again = StateWriter()
        try AccountActivity(packed: packed).write(to: &again)
        XCTAssertEqual(again.bytes, raw.bytes)
    }
}
