@testable import DistillCore
import XCTest

/// Shard summaries carry decoded, analysed exchanges between processes: what the coordinator
/// reads must be what the worker decoded (prompts clipped, unread fields left out), and damaged
/// bytes must be refused, not trusted.
final class ShardSummaryTests: XCTestCase {
    func sample() -> ShardSummary {
        let decoder = ExchangeDecoder()
        var entries: [ShardSummary.Entry] = []
        let lines = [
            #"{"ts":"2026-04-20T10:00:00Z","account_id":"acct_1","request_id":"r1","client_ip":"10.0.0.1","prompt_text":"Think step by step and show your full reasoning before answering.","input_tokens":120,"output_tokens":900,"reasoning_tokens":400,"latency_ms":812.5,"status":"success","tools_fp":"t1","system_fp":"s1"}"#,
            #"{"ts":1776679200000,"account_id":"acct_é","org_id":"o","status":"failure","http_status":429}"#,
        ]
        for (i, line) in lines.enumerated() {
            guard case .exchange(var x) = Array(line.utf8).withUnsafeBytes({ decoder.decode($0) }) else { XCTFail("line \(i) did not decode"); continue }
            if i == 0 { x.analysePrompt() }
            entries.append(.init(sequence: UInt64(10 + i), item: .exchange(x)))
        }
        entries.append(.init(sequence: 12, item: .rejected(Rejection(.wrongType, field: "input_tokens", message: "not a number"), source: "a.ndjson", line: 7)))
        entries.append(.init(sequence: 12, item: .blank))
        entries.append(.init(sequence: 13, item: .end))
        return ShardSummary(worker: "host:1", partition: 3, partitions: 16, completeThrough: 13, entries: entries)
    }

    func testASummaryReadsBackAsWritten() throws {
        let summary = sample()
        let back = try ShardSummary(decoding: summary.encoded())
        XCTAssertEqual(back, summary)
        guard case .exchange(let a) = summary.entries[0].item, case .exchange(let b) = back.entries[0].item else { return XCTFail() }
        // The prompt's analysis travels with it: the coordinator does not analyse again.
        XCTAssertNotNil(b.analysed.features)
        XCTAssertEqual(a.analysed.words.exact, b.analysed.words.exact)
        XCTAssertEqual(a.analysed.words.cues, b.analysed.words.cues)
        XCTAssertEqual(a.analysed.words.flags, b.analysed.words.flags)
        XCTAssertEqual(b.latencyMs, 812.5)
        XCTAssertEqual(b.toolsFP, "t1")
        guard case .exchange(let c) = back.entries[1].item else { return XCTFail() }
        XCTAssertEqual(c.accountID, "acct_é")
        XCTAssertEqual(c.status, .failure)
        // Analysed on the way (there is no prompt): the coordinator never analyses again.
        XCTAssertTrue(c.analysed.done)
        XCTAssertNil(c.analysed.features)
        XCTAssertEqual(c.analysed.promptBytes, 0)
        XCTAssertLessThanOrEqual(MemoryLayout<AnalysedPrompt>.stride, 32, "it rides in every decoded record")
    }

    /// A long prompt travels as its start and its length, and fields the coordinator does not
    /// read are left out: the summary stays small, and the features, the length and the label
    /// are the worker's.
    func testALongPromptTravelsClippedWithItsLength() throws {
        let prompt = "Reason step by step: " + String(repeating: "tool trace é 日本語 ", count: 400)
        var x = Exchange(ts: 1_776_679_200_000, accountID: "acct_1", apiKeyID: "key_1", requestID: "r1", country: "US",
                         userAgent: "python-httpx/0.27", promptText: prompt)
        x.analysePrompt()
        let summary = ShardSummary(worker: "w", partition: 0, partitions: 1, completeThrough: 1, entries: [.init(sequence: 1, item: .exchange(x))])
        let bytes = summary.encoded()
        XCTAssertLessThan(bytes.count, 400, "a \(prompt.utf8.count)-byte prompt must not travel whole")
        guard case .exchange(let back) = try ShardSummary(decoding: bytes).entries[0].item else { return XCTFail() }
        // What the coordinator does not read stays with the worker.
        XCTAssertNil(back.userAgent)
        XCTAssertNil(back.country)
        XCTAssertNil(back.apiKeyID)
        XCTAssertEqual(back.requestID, "r1")
        let carried = try XCTUnwrap(back.promptText)
        XCTAssertTrue(prompt.hasPrefix(carried))
        XCTAssertEqual(Int(back.analysed.promptBytes), prompt.utf8.count)
        XCTAssertEqual(back.analysed.words.exact, x.analysed.words.exact)
        XCTAssertEqual(back.analysed.words.suffix, x.analysed.words.suffix, "the closing words' family is the worker's, made from the whole prompt")
        var whole = prompt, start = carried
        whole.withUTF8 { w in start.withUTF8 { c in
            XCTAssertEqual(EvidenceStore.excerpt(UnsafeRawBufferPointer(c)), EvidenceStore.excerpt(UnsafeRawBufferPointer(w)))
        } }
        // A length shorter than what was carried is damage, not a prompt.
        var damaged = bytes
        let length = withUnsafeBytes(of: UInt32(prompt.utf8.count).littleEndian, Array.init)
        let at = try XCTUnwrap((0...(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == length })
        damaged.replaceSubrange(at..<(at + 4), with: [1, 0, 0, 0])
        XCTAssertThrowsError(try ShardSummary(decoding: damaged))
    }

    /// Summaries from workers that sent whole prompts without a length still read: the length
    /// is then that of the prompt carried.
    func testASummaryOfTheFormatBeforeClippingStillReads() throws {
        let prompt = "Explain your reasoning in full detail before you give the final answer to this question."
        var x = Exchange(ts: 1_776_679_200_000, accountID: "acct_1", requestID: "r1", promptText: prompt)
        x.analysePrompt()
        var bytes = ShardSummary(worker: "w", partition: 0, partitions: 1, completeThrough: 1, entries: [.init(sequence: 1, item: .exchange(x))]).encoded()
        // The older layout: magic "DWS1", no length after the features' flags.
        bytes.replaceSubrange(0..<4, with: Array("DWS1".utf8))
        let exact = withUnsafeBytes(of: x.analysed.words.exact.littleEndian, Array.init)
        let at = try XCTUnwrap((0...(bytes.count - 8)).first { Array(bytes[$0..<($0 + 8)]) == exact })
        bytes.removeSubrange((at + 26)..<(at + 30))
        guard case .exchange(let back) = try ShardSummary(decoding: bytes).entries[0].item else { return XCTFail() }
        XCTAssertEqual(back.promptText, prompt)
        XCTAssertEqual(Int(back.analysed.promptBytes), prompt.utf8.count)
        XCTAssertNotNil(back.analysed.features)
    }

    func testDamagedSummariesAreRefused() throws {
        let bytes = sample().encoded()
        for cut in stride(from: 0, to: bytes.count, by: 7) {
            XCTAssertThrowsError(try ShardSummary(decoding: Array(bytes[..<cut])), "cut at \(cut)")
        }
        XCTAssertThrowsError(try ShardSummary(decoding: bytes + [0]))
        // Text that is not UTF-8 never reaches a report or the screen.
        var notText = bytes
        let account = Array("acct_é".utf8)
        let at = try XCTUnwrap((0...(bytes.count - account.count)).first { Array(bytes[$0..<($0 + account.count)]) == account })
        notText[at + account.count - 1] = 0x41  // the second byte of "é" replaced: a lone lead byte
        XCTAssertThrowsError(try ShardSummary(decoding: notText)) { XCTAssertTrue("\($0)".contains("not UTF-8"), "\($0)") }
        // Every single-byte change either is refused or reads back as some valid summary.
        var seed: UInt64 = 0x5EED
        print("ShardSummaryTests seed \(seed)")
        for _ in 0..<2000 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            var damaged = bytes
            damaged[Int(seed >> 33) % damaged.count] ^= UInt8(truncatingIfNeeded: seed >> 8) | 1
            if let s = try? ShardSummary(decoding: damaged) {
                XCTAssertTrue(s.partition < s.partitions)
                for e in s.entries { if case .exchange(let x) = e.item { XCTAssertFalse(x.accountID.isEmpty) } }
            }
        }
    }

    func testPartitionsAreStableAndSpread() {
        var counts = Array(repeating: 0, count: 16)
        for i in 0..<4000 {
            let x = Exchange(ts: 0, accountID: "acct_\(i)")
            XCTAssertEqual(x.partition(of: 16), Exchange(ts: 5, accountID: "acct_\(i)", requestID: "r").partition(of: 16))
            counts[x.partition(of: 16)] += 1
        }
        XCTAssertTrue(counts.allSatisfy { $0 > 150 && $0 < 350 }, "\(counts)")
        // Fixed across releases: workers and publishers of different builds must agree.
        XCTAssertEqual(["acct_1", "acct_2", "org-7/user"].map { Exchange(ts: 0, accountID: $0).partition(of: 16) }, [2, 0, 15])
        XCTAssertEqual(Exchange(ts: 0, accountID: "acct_1").partition(of: 1000), 330)
    }
}
