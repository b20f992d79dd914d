import ArgumentParser
import DistillConsole
import DistillCore
import Foundation

/// Times full-frame renders of the console into a ScreenGrid (no terminal): the number the
/// README quotes. Hidden: a measuring tool, not a user command.
struct RenderBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "render-bench", abstract: "Time full console frames rendered into a cell grid.",
                                                    shouldDisplay: false)

    @Option var width = 200
    @Option var height = 60
    @Option var frames = 500
    @Option var clusters = 400

    func run() throws {
        let t0: StreamTime = 1_776_000_000_000
        let snap = Snapshot.make(
            streamTime: t0 + 48 * 3_600_000, streamStart: t0, exchanges: 2_000_000, accounts: 50_000,
            clusters: (0..<clusters).map { i in
                ClusterSnapshot.make(key: "acct_\(i)", verdict: i < 5 ? .suspect : i < 20 ? .watch : .clear, risk: 1 - Double(i) / Double(clusters),
                                     accounts: (0..<(1 + i % 12)).map { "acct_\(i)_\($0)" }, exchanges: 1000 + i * 7, firstSeen: t0, lastSeen: t0 + 3_600_000,
                                     flaggedAt: i < 5 ? t0 + 7_200_000 : nil,
                                     signals: [Signal(name: "reasoning_extraction", weight: 3.1, detail: "92% of 1,200 prompts ask for reasoning traces", examples: ["pm_1: 8 accounts in 8 orgs", "中文 prompt 🙂 sample"]),
                                               Signal(name: "shared_payment", weight: 1.5, detail: "12 accounts on 2 cards")],
                                     hourlyRate: (0..<48).map { ($0 * 37 + i) % 50 })
            },
            minuteRate: (0..<120).map { ($0 * 13) % 90 })
        let console = Console(snapshot: snap, status: FeedStatus(source: "demo.ndjson.gz", mode: .replay(speed: 3600), ingestRate: 10_000))
        var grid = ScreenGrid(width: width, height: height)
        // Redraws between snapshots reuse the table rows; a new snapshot rebuilds them.
        for fresh in [false, true] {
            var times: [Double] = []
            for _ in 0..<frames {
                // The update is timed too: it settles the selection against the new rows.
                let start = DispatchTime.now().uptimeNanoseconds
                if fresh { console.update(snapshot: snap) }
                console.render(into: &grid)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            times.sort()
            let f = { (x: Double) in String(format: "%.3f", x) }
            print("render \(width)x\(height), \(clusters) clusters, \(frames) frames, \(fresh ? "new snapshot each frame" : "redraw") : median \(f(times[times.count / 2])) ms, p95 \(f(times[times.count * 95 / 100])) ms, max \(f(times.last!)) ms")
        }
    }
}
