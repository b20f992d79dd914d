import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest

/// The console attached to a live listener, through tmux: DISCONNECTED while no client is
/// connected, the data a client sends, rejected lines and refused connections on the status bar.
final class LiveConsoleTests: XCTestCase {
    static let session = "dwlive\(getpid())"
    var tmux: String!

    override func setUpWithError() throws {
        guard let t = ConsoleEndToEndTests.tmuxPath() else { throw XCTSkip("tmux is not installed") }
        guard FileManager.default.isExecutableFile(atPath: ConsoleEndToEndTests.binary.path) else {
            throw XCTSkip("build the package first: no \(ConsoleEndToEndTests.binary.path)")
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/socat") || FileManager.default.isExecutableFile(atPath: "/usr/local/bin/socat") else {
            throw XCTSkip("socat is not installed (.ci/run installs it)")
        }
        tmux = t
    }

    override func tearDown() {
        if let tmux { ConsoleEndToEndTests.run(tmux, ["-L", Self.session, "kill-server"]) }
    }

    func capture() -> String { ConsoleEndToEndTests.run(tmux, ["-L", Self.session, "capture-pane", "-p", "-t", Self.session]).out }

    @discardableResult
    func waitFor(_ what: String, timeout: Double = 20, _ predicate: (String) -> Bool) -> String {
        ConsoleEndToEndTests.poll(what, timeout: timeout, capture: capture, predicate)
    }

    func testStatusBarShowsDisconnectedDataAndDrops() throws {
        let dir = URL(fileURLWithPath: "/tmp/dwc-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let socketPath = dir.appendingPathComponent("s").path
        let lines = (0..<300).map { i in
            "{\"ts\":\(1_776_000_000_000 + i * 1000),\"request_id\":\"r\(i)\",\"account_id\":\"acct_\(i % 9)\",\"output_tokens\":1500}\n"
        }.joined() + "not json\n"

        let cmd = "LANG=C.UTF-8 LC_ALL=C.UTF-8 '\(ConsoleEndToEndTests.binary.path)' watch --listen unix:\(socketPath) --max-connections 1; sleep 10"
        ConsoleEndToEndTests.newSession(tmux, ["-L", Self.session, "new-session", "-d", "-s", Self.session, "-x", "160", "-y", "30", cmd])
        var screen = waitFor("DISCONNECTED before any client") { $0.contains("LIVE") && $0.contains("DISCONNECTED") }
        XCTAssertTrue(screen.contains("unix:\(socketPath)"))

        // A client that stays connected after sending: no DISCONNECTED, its data counted.
        let client = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(socketPath.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(connected, 0)
        var open = true
        defer { if open { close(client) } }
        let bytes = Array(lines.utf8)
        XCTAssertEqual(bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, 0) }, bytes.count)
        screen = waitFor("300 exchanges and a rejection") { $0.contains("300 ex") && $0.contains("rej 1") }
        XCTAssertFalse(screen.components(separatedBy: "\n")[0].contains("DISCONNECTED"), screen)

        // A second client over --max-connections 1 is refused and counted.
        ConsoleEndToEndTests.run("/bin/sh", ["-c", "echo '{}' | socat -u - UNIX-CONNECT:'\(socketPath)' || true"])
        screen = waitFor("the refused connection as a drop") { $0.components(separatedBy: "\n")[0].contains("drop 1") }

        // The client leaves: DISCONNECTED again, the console keeps what it has.
        close(client)
        open = false
        screen = waitFor("DISCONNECTED after the client left") { $0.components(separatedBy: "\n")[0].contains("DISCONNECTED") }
        XCTAssertTrue(screen.contains("300 ex"))
    }
}
