import CZlib
import DistillCore
import Foundation
import XCTest
@testable import DistillFeeds

extension XCTestCase {
    /// The seed of a random test: DW_TEST_SEED to repeat one, else a new one; printed either way.
    func randomSeed(_ what: String) -> UInt64 {
        var rng = SystemRandomNumberGenerator()
        let seed = ProcessInfo.processInfo.environment["DW_TEST_SEED"].flatMap(UInt64.init)
            ?? UInt64.random(in: 1...1_000_000, using: &rng)
        print("\(what) seed \(seed) (DW_TEST_SEED=\(seed) repeats it)")
        return seed
    }
}

/// A scratch folder per test, removed afterwards.
class FeedsTestCase: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("distillfeeds-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try write(name, Array(text.utf8))
    }
}

/// What a reader returned, copied out of its buffer so it can be compared.
enum ReadItem: Equatable, CustomStringConvertible {
    case text(String, Int)
    case tooLong(Int, Int)

    var description: String {
        switch self {
        case .text(let text, let number): return "\(number):\(text.debugDescription)"
        case .tooLong(let length, let number): return "\(number):tooLong(\(length))"
        }
    }
}

func readAll(_ reader: LineReader) throws -> [ReadItem] {
    var items: [ReadItem] = []
    while let line = try reader.nextLine() {
        switch line {
        case .text(let bytes, let number):
            items.append(.text(String(decoding: bytes, as: UTF8.self), number))
        case .tooLong(let length, let number):
            items.append(.tooLong(length, number))
        }
    }
    return items
}

func readAll(path: String, chunkSize: Int = LineReader.defaultChunkSize,
             maxLineBytes: Int = 1 << 20) throws -> [ReadItem] {
    try readAll(LineReader(path: path, chunkSize: chunkSize, maxLineBytes: maxLineBytes))
}

/// One gzip member holding `data`, made with zlib.
func gzip(_ data: [UInt8], level: Int32 = 6) -> [UInt8] {
    var stream = z_stream()
    precondition(dw_deflate_init_gzip(&stream, level) == Z_OK)
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(data.count))) + 64)
    var input = data
    let produced = input.withUnsafeMutableBufferPointer { inBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = uInt(inBuffer.count)
            stream.next_out = outBuffer.baseAddress
            stream.avail_out = uInt(outBuffer.count)
            precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
            return outBuffer.count - Int(stream.avail_out)
        }
    }
    return Array(output[..<produced])
}

func gzip(_ text: String) -> [UInt8] { gzip(Array(text.utf8)) }

/// A record line the decoder accepts.
func record(_ ts: String, account: String = "acct_1", request: String? = nil, extra: String = "") -> String {
    var fields = "\"ts\":\"\(ts)\",\"account_id\":\"\(account)\""
    if let request { fields += ",\"request_id\":\"\(request)\"" }
    return "{\(fields)\(extra)}"
}

/// Each cluster's verdict, members, size, risk and flag time, by key: two runs that agree on
/// these agree on everything an analyst sees of the clusters.
enum ClusterVerdicts {
    static func of(_ s: Snapshot) -> [String: String] {
        Dictionary(uniqueKeysWithValues: s.clusters.map {
            ($0.key, "\($0.verdict.rawValue) risk \(String(format: "%.3f", $0.risk)) accounts \($0.accounts.sorted()) ex \($0.exchanges) flagged \($0.flaggedAt.map(Timestamp.format) ?? "-")")
        })
    }
}
