import ArgumentParser
import DistillCore
import DistillFeeds
import DistillRuntime
import DistillSim
import Foundation

/// The replay pacer's drift: runs the console's replay loop (ReplayEngine, 6 ms ingest slices,
/// a snapshot every 500 ms, sleeping until the next exchange is due) without a terminal for a
/// stretch of wall time, and compares how far stream time advanced with speed × wall time.
struct ReplayBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay-bench",
        abstract: "Measure the replay pacer's drift at a speed over some wall time (no terminal).",
        shouldDisplay: false
    )

    @Argument(help: "Log files to replay; default: 3 generated days (mixed scenario, seed 7) in a temporary file.")
    var paths: [String] = []

    @Option(help: "Replay speed, 1 to 100000.")
    var speed: Double = 1000

    @Option(help: "Wall-clock seconds to run.")
    var seconds: Double = 60

    @Option(help: "Instead of drift: replay everything at full speed, then time this many seeks back to random moments (seeded).")
    var seeks = 0

    @Option(help: "Seed for the seek targets.")
    var seed: UInt64 = 1

    @Flag(help: "Keep keyframes in memory (512 MB) instead of on disk as the console does.")
    var keyframesInMemory = false

    func validate() throws {
        guard speed >= 1 && speed <= 100_000 else { throw ValidationError("--speed must be from 1 to 100000") }
        guard seconds > 0 && seconds <= 3600 else { throw ValidationError("--seconds must be from 0 to 3600") }
    }

    static func monotonicMs() -> Double { SystemClock().nowMs() }

    static func realtimeMs() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1_000_000
    }

    func run() throws {
        var inputs = paths
        var scratch: String?
        if inputs.isEmpty {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("dw-replay-bench-\(getpid()).ndjson").path
            guard FileManager.default.createFile(atPath: path, contents: nil),
                  let out = FileHandle(forWritingAtPath: path) else { throw ValidationError("cannot write \(path)") }
            var config = GeneratorConfig()
            config.days = 3
            let summary = try TrafficGenerator(config: config).run { out.write(Data($0)) }
            try out.close()
            print("input: \(summary.exchanges) generated exchanges over 3 days (mixed, seed 7)")
            inputs = [path]
            scratch = path
        }
        defer { if let scratch { unlink(scratch) } }

        if seeks > 0 { return try measureSeeks(inputs) }
        let engine = try ReplayEngine(speed: .times(speed), paused: false, makeDetector: { Detector() },
                                      makeFeed: { [inputs] in StreamFeed(stream: try ExchangeStream(paths: inputs)) })
        engine.start()
        // Wait for the first exchange: the clock starts there.
        while engine.streamClock(at: Self.monotonicMs()) == nil && !engine.finished {
            engine.pump(wallMs: Self.monotonicMs()) { false }
            usleep(1000)
        }
        let startWall = Self.monotonicMs(), startReal = Self.realtimeMs()
        guard let startStream = engine.streamClock(at: startWall) else { throw ValidationError("no exchanges in the input") }
        var lagSamples: [Double] = []
        var snapshots = 0
        while !engine.finished {
            let now = Self.monotonicMs()
            if now - startWall >= seconds * 1000 { break }
            engine.pump(wallMs: now) { Self.monotonicMs() > now + 6 }
            if engine.snapshotIfDue(wallMs: Self.monotonicMs()) != nil { snapshots += 1 }
            // How far behind the clock the data is: the oldest due exchange not yet ingested.
            let after = Self.monotonicMs()
            if let pending = engine.nextPendingTs, let clock = engine.streamClock(at: after) {
                lagSamples.append(Double(max(0, clock - pending)))
            } else {
                lagSamples.append(0)
            }
            let idle = engine.idleMs(at: Self.monotonicMs(), cap: 50)
            if idle > 0 { usleep(UInt32(idle * 1000)) }
        }
        let endWall = Self.monotonicMs(), endReal = Self.realtimeMs()
        let endStream = engine.streamClock(at: endWall) ?? startStream
        let newest = engine.newest ?? startStream
        engine.stop()

        let wall = (endWall - startWall) / 1000
        let expected = speed * (endWall - startWall)
        let advanced = Double(endStream - startStream)
        let expectedReal = speed * (endReal - startReal)
        lagSamples.sort()
        let p99 = lagSamples.isEmpty ? 0 : lagSamples[min(lagSamples.count - 1, Int(Double(lagSamples.count) * 0.99))]
        print(String(format: "wall: %.3f s (monotonic), %.3f s (realtime); speed ×%g; %d exchanges ingested, %d snapshots%@",
                     wall, (endReal - startReal) / 1000, speed, engine.totalIngested, snapshots, engine.finished ? " (input ended early)" : ""))
        print(String(format: "stream clock advanced %.3f s; speed × wall = %.3f s (monotonic) / %.3f s (realtime); drift %+.3f s (%+.4f%%) / %+.3f s (%+.4f%%)",
                     advanced / 1000, expected / 1000, expectedReal / 1000,
                     (advanced - expected) / 1000, (advanced - expected) / expected * 100,
                     (advanced - expectedReal) / 1000, (advanced - expectedReal) / expectedReal * 100))
        print(String(format: "data behind the clock (the oldest exchange due but not yet ingested), over %d loop turns: median %.3f s, p99 %.3f s, max %.3f s of stream (max %.1f ms of wall)",
                     lagSamples.count, (lagSamples.isEmpty ? 0 : lagSamples[lagSamples.count / 2]) / 1000, p99 / 1000,
                     (lagSamples.last ?? 0) / 1000, (lagSamples.last ?? 0) / speed))
        print(String(format: "newest exchange ingested: %.3f s of stream before the clock at the end (the next one was not yet due)",
                     Double(endStream - newest) / 1000))
    }

    /// Backward seeks as the console makes them: the whole input replayed at full speed (taking
    /// keyframes), then seeks back to seeded random moments, each timed until the clock arrives.
    func measureSeeks(_ inputs: [String]) throws {
        let engine = try ReplayEngine(speed: .max, paused: false, makeDetector: { Detector() },
                                      makeFeed: { StreamFeed(stream: try ExchangeStream(paths: inputs)) },
                                      resumeFeed: { mark in
                                          let stream = try ExchangeStream(paths: inputs)
                                          try stream.resume(at: mark.positions)
                                          return StreamFeed(stream: stream, ledger: mark.ledgers.first ?? InputLedger())
                                      },
                                      keyframeBudget: keyframesInMemory ? ReplayEngine.defaultKeyframeBudget : ReplayEngine.diskKeyframeBudget(in: WatchCommand.keyframeDirectory),
                                      keyframeDirectory: keyframesInMemory ? nil : WatchCommand.keyframeDirectory)
        engine.start()
        let start = Self.monotonicMs()
        while !engine.finished {
            if engine.pump(wallMs: Self.monotonicMs(), outOfTime: { false }) == 0 { usleep(500) }
        }
        let replayMs = Self.monotonicMs() - start
        guard let first = engine.detector.snapshot().streamStart, let last = engine.newest else { throw ValidationError("no exchanges in the input") }
        let gap = engine.longestKeyframeGap
        print(String(format: "replayed %d exchanges in %.1f s at full speed; %d keyframes, %.1f MB packed (the longest gap between two: %d exchanges, %.1f stream hours); peak RSS %.0f MB",
                     engine.totalIngested, replayMs / 1000, engine.keyframeCount, Double(engine.keyframeBytes) / 1e6,
                     gap.exchanges, Double(gap.streamTime) / 3_600_000, Self.peakRSSMB()))
        var rng = SeededRandom(seed: seed)
        var times: [Double] = []
        for _ in 0..<seeks {
            let target = first + StreamTime(rng.next() % UInt64(max(1, last - first)))
            let t0 = Self.monotonicMs()
            _ = engine.seek(to: target, wallMs: t0)
            let restoredMs = Self.monotonicMs() - t0
            while engine.clock.target != nil {
                if engine.pump(wallMs: Self.monotonicMs(), outOfTime: { false }) == 0 { usleep(200) }
            }
            let ms = Self.monotonicMs() - t0
            times.append(ms)
            print(String(format: "seek to %@: %.0f ms (from %@; %.0f ms restoring, %.0f ms replaying %.1f stream hours)",
                         Timestamp.format(target), ms,
                         engine.lastSeekFrom.map { "the keyframe at " + Timestamp.format($0) } ?? "the start",
                         restoredMs, ms - restoredMs, Double(target - (engine.lastSeekFrom ?? first)) / 3_600_000))
            // Back to the end for the next one, as an analyst jumping around would be.
            _ = engine.seek(to: last, wallMs: Self.monotonicMs())
            while engine.clock.target != nil && !engine.finished {
                if engine.pump(wallMs: Self.monotonicMs(), outOfTime: { false }) == 0 { usleep(200) }
            }
        }
        times.sort()
        print(String(format: "backward seeks (seed %llu): median %.0f ms, max %.0f ms over %d", seed, times[times.count / 2], times.last ?? 0, times.count))
    }

    static func peakRSSMB() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}

/// SplitMix64: seek targets that can be drawn again from the printed seed.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
