import XCTest
@testable import DistillFeeds

final class ListenAddressTests: XCTestCase {
    func testParsesEveryForm() throws {
        XCTAssertEqual(try ListenAddress(parsing: "tcp://127.0.0.1:9000"), ListenAddress(kind: .tcp, host: "127.0.0.1", port: 9000))
        XCTAssertEqual(try ListenAddress(parsing: "tcp://:9000"), ListenAddress(kind: .tcp, host: "127.0.0.1", port: 9000))
        XCTAssertEqual(try ListenAddress(parsing: "http://[::1]:4318/"), ListenAddress(kind: .http, host: "::1", port: 4318))
        XCTAssertEqual(try ListenAddress(parsing: "unix:/run/dw.sock"), ListenAddress(kind: .unix, host: "/run/dw.sock", port: 0))
        XCTAssertEqual(try ListenAddress(parsing: "unix:///run/dw.sock").host, "/run/dw.sock")
        XCTAssertEqual(try ListenAddress(parsing: "http://[::1]:4318").description, "http://[::1]:4318")
        XCTAssertTrue(try ListenAddress(parsing: "tcp://localhost:1").isLoopback)
        XCTAssertFalse(try ListenAddress(parsing: "tcp://0.0.0.0:1").isLoopback)
    }

    func testRefusesMalformedAddresses() {
        for bad in ["udp://127.0.0.1:9", "tcp://127.0.0.1", "tcp://127.0.0.1:70000", "tcp://[::1:9", "http://127.0.0.1:80/logs",
                    "unix:", "unix:/" + String(repeating: "x", count: 200), "127.0.0.1:9000"] {
            XCTAssertThrowsError(try ListenAddress(parsing: bad), bad)
        }
    }

    func testBindsAndReportsTheRealPort() throws {
        let feed = try ListenerFeed(address: ListenAddress(parsing: "tcp://127.0.0.1:0"))
        XCTAssertNotEqual(feed.address.port, 0)
        // The port is taken: a second listener on it fails up front, naming the address.
        XCTAssertThrowsError(try ListenerFeed(address: feed.address)) { error in
            XCTAssertTrue("\(error)".contains(feed.address.description), "\(error)")
        }
        XCTAssertFalse(feed.state.connected)
    }
}
