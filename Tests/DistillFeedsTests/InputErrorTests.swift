import Foundation
import XCTest
@testable import DistillFeeds

final class InputErrorTests: FeedsTestCase {
    func testMissingFileNamesThePath() throws {
        let path = folder.appendingPathComponent("absent.ndjson").path
        XCTAssertThrowsError(try InputFile(path: path)) { error in
            XCTAssertEqual(error as? InputError, .cannotOpen(path: path, errno: ENOENT))
            let text = String(describing: error)
            XCTAssertTrue(text.contains(path), text)
            XCTAssertTrue(text.contains("No such file or directory"), text)
        }
    }

    func testDirectoryNamesThePath() throws {
        let path = folder.path
        XCTAssertThrowsError(try InputFile(path: path)) { error in
            XCTAssertEqual(error as? InputError, .isDirectory(path: path))
            XCTAssertTrue(String(describing: error).contains("is a directory"))
        }
    }

    func testPermissionDenied() throws {
        try XCTSkipIf(getuid() == 0, "root can read any file")
        let path = try write("secret.ndjson", "x\n")
        XCTAssertEqual(chmod(path, 0), 0)
        XCTAssertThrowsError(try InputFile(path: path)) { error in
            XCTAssertEqual(error as? InputError, .cannotOpen(path: path, errno: EACCES))
            XCTAssertTrue(String(describing: error).contains("Permission denied"))
        }
    }

    func testStreamFailsUpFrontOnABadPath() throws {
        let good = try write("good.ndjson", "x\n")
        let missing = folder.appendingPathComponent("missing.ndjson").path
        XCTAssertThrowsError(try ExchangeStream(paths: [good, missing, folder.path])) { error in
            XCTAssertEqual((error as? InputError)?.path, missing)
        }
    }

    func testMessages() {
        // The permission test above is skipped as root; the message is checked here.
        XCTAssertEqual(InputError.cannotOpen(path: "/var/log/x", errno: EACCES).description,
                       "cannot open /var/log/x: Permission denied")
        XCTAssertEqual(InputError.readError(path: "a.log", errno: EIO).description,
                       "error reading a.log: Input/output error")
        XCTAssertEqual(
            InputError.corruptGzip(path: "b.gz", reason: "invalid block type", compressedOffset: 10, outputOffset: 99).description,
            "corrupt gzip data in b.gz: invalid block type (near compressed byte 10, after 99 bytes of text)")
    }
}
