import DistillFeeds
import XCTest

/// Server addresses as messages show them: credentials never, the rest as given.
final class NatsAddressTests: XCTestCase {
    func testCredentialsInAnAddressAreHidden() {
        XCTAssertEqual(NatsBus.shown("nats://alice:s3cr3t@127.0.0.1:4222"), "nats://***@127.0.0.1:4222")
        XCTAssertEqual(NatsBus.shown("nats://token@bus:4222"), "nats://***@bus:4222")
        XCTAssertEqual(NatsBus.shown("tls://a:b@one:4222,nats://two:4222"), "tls://***@one:4222,nats://two:4222")
        XCTAssertEqual(NatsBus.shown("al@ice:p@ss@host:1"), "***@host:1")
    }

    func testAnAddressWithoutCredentialsIsShownAsGiven() {
        XCTAssertEqual(NatsBus.shown("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222")
        XCTAssertEqual(NatsBus.shown("bus:4222"), "bus:4222")
        XCTAssertEqual(NatsBus.shown(""), "")
    }
}
