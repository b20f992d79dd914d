import DistillCore
import Foundation
import XCTest
@testable import DistillFeeds
import DistillPacking

/// Keyframes are kept packed: whatever goes in must come back byte for byte, a real state must
/// shrink, and bytes that were not written by the packer must be refused, not trusted.
final class ZeroBytePackingTests: XCTestCase {
    func testEachByteOfAWordIsFlaggedByItsOwnBit() {
        XCTAssertEqual(ZeroBytePacking.nonZeroBytes(0), 0)
        XCTAssertEqual(ZeroBytePacking.nonZeroBytes(UInt64.max), 0xFF)
        for k in 0..<8 {
            for byte: UInt64 in [0x01, 0x7F, 0x80, 0xFF] {
                XCTAssertEqual(ZeroBytePacking.nonZeroBytes(byte << UInt64(k * 8)), 1 << k, "byte \(k) = \(byte)")
            }
        }
        XCTAssertEqual(ZeroBytePacking.nonZeroBytes(0x8000_0000_0000_0001), 0b1000_0001)
        XCTAssertEqual(ZeroBytePacking.nonZeroBytes(0x0000_FF00_0080_0000), 0b0010_0100)
    }

    func testSeededRandomBytesComeBackAsTheyWent() {
        let seed = randomSeed("ZeroBytePackingTests")
        var rng = SeededCuts(seed: seed)
        for round in 0..<400 {
            let count = round < 40 ? round : rng.below(5_000)
            // From almost all zeros to none, so every tag from 0x00 to 0xFF is seen.
            let zeroShare = rng.below(101)
            let bytes = (0..<count).map { _ in rng.below(100) < zeroShare ? UInt8(0) : UInt8(1 + rng.below(255)) }
            let packed = ZeroBytePacking.pack(bytes)
            XCTAssertLessThanOrEqual(packed.count, 8 + count + (count + 7) / 8, "seed \(seed), round \(round)")
            XCTAssertEqual(ZeroBytePacking.unpack(packed), bytes, "seed \(seed), round \(round): \(count) bytes, \(zeroShare)% zero")
        }
    }

    func testADetectorStateShrinksAndReadsBackTheSame() throws {
        let lines = try StateRoundTripTests.lines(scenario: "redteam", seed: 4)
        let detector = Detector()
        var ledger = InputLedger()
        StateRoundTripTests.feed(lines[...], detector, &ledger)
        let state = DetectionState(detector: detector, ledger: ledger).encoded()
        let packed = ZeroBytePacking.pack(state)
        XCTAssertLessThan(Double(packed.count), Double(state.count) * 0.75, "\(packed.count) of \(state.count) bytes")
        let back = try XCTUnwrap(ZeroBytePacking.unpack(packed))
        XCTAssertEqual(back, state)
        XCTAssertNoThrow(try DetectionState(decoding: back, settings: .standard))
    }

    func testBytesThePackerDidNotWriteAreRefused() {
        var rng = SeededCuts(seed: 99)
        let bytes = (0..<1_000).map { _ in rng.below(3) == 0 ? UInt8(0) : UInt8(1 + rng.below(255)) }
        let packed = ZeroBytePacking.pack(bytes)
        XCTAssertNil(ZeroBytePacking.unpack([]))
        XCTAssertNil(ZeroBytePacking.unpack(Array(packed.prefix(7))), "no room for the length")
        // Cut anywhere: never the original, never a crash.
        for cut in stride(from: 8, to: packed.count, by: 7) {
            XCTAssertNil(ZeroBytePacking.unpack(Array(packed.prefix(cut))), "cut at \(cut)")
        }
        XCTAssertNil(ZeroBytePacking.unpack(packed + [0x01]), "a byte after the end")
        var claimsMore = packed
        claimsMore[0] &+= 8
        XCTAssertNil(ZeroBytePacking.unpack(claimsMore), "a length the packed bytes cannot fill")
        var absurd = packed
        for i in 0..<8 { absurd[i] = 0xFF }
        XCTAssertNil(ZeroBytePacking.unpack(absurd), "a length past anything eight-fold")
    }
}
