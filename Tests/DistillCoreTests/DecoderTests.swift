import XCTest
@testable import DistillCore
final class DecoderTests: XCTestCase {
    func testSmoke() {}
}
