import DistillCore
import DistillPacking
import Glibc

/// The console's replay without the console: a feed, a detector and a `ReplayClock`, ingesting
/// what the clock says is due in bounded slices, seeking (forward by ingesting at full speed,
/// backward from the nearest earlier keyframe, else by re-opening the input into a fresh
/// detector), and deciding when a new snapshot is worth taking.
///
/// Keyframes: the whole detector state and where the input stood, packed (`ZeroBytePacking`),
/// in memory or (with `keyframeDirectory`) in nameless files on disk, within `keyframeBudget`
/// bytes or two keyframes, whichever is more. They come every `keyframeEvery` of stream time
/// until the budget is full; from then on each new one pushes out the one whose going leaves
/// the smallest gap, and they come once per the average gap, counted in exchanges: what a seek
/// back costs is the exchanges replayed after the keyframe, and a busy afternoon holds many more
/// than a night. A seek back restores the latest keyframe at or before its target and replays
/// only from there. The same states, unpacked and written to disk, are the console's checkpoints.
///
/// The console drives it between keys and draws; headless mode, `scan`, `eval` and `bench` at
/// full speed (no keyframes, no seeking); tests and `replay-bench` with no terminal.
public final class ReplayEngine {
    public let live: Bool
    public let window: StreamWindow
    public private(set) var clock: ReplayClock
    /// Replaced by a fresh one when seeking back; `rebuilds` counts the replacements.
    public private(set) var detector: Detector
    public private(set) var rebuilds = 0
    /// All input consumed (the clock stands at the last exchange).
    public private(set) var finished = false
    /// Exchanges read but outside `window`, in the current pass over the input.
    public private(set) var outsideWindow = 0
    /// Exchanges given to the detector, over every pass (seeking back re-ingests).
    public private(set) var totalIngested = 0
    /// Stream time of the newest exchange ingested in this pass.
    public private(set) var newest: StreamTime?
    /// Stream time of the oldest exchange ingested (a report's first time).
    public private(set) var oldest: StreamTime?
    /// Stream times of the oldest and newest exchanges read outside the window: a report's
    /// input counts are of what was read, as `scan`'s are.
    public private(set) var oldestOutside: StreamTime?
    public private(set) var newestOutside: StreamTime?
    /// When set, `pump` returns right after ingesting an exchange at or past this time: a
    /// caller that acts every so much stream time (headless mode's verdicts) then acts at
    /// moments that depend on the input alone, never on how fast it was read.
    public var pauseAfterReaching: StreamTime?
    /// Set when a seek back could not re-open the input.
    public private(set) var lastError: (any Error)?

    private let makeFeed: () throws -> any ExchangeFeed
    private let makeDetector: () -> Detector
    /// Opens the input again where a keyframe's mark says it stood; nil: no keyframes.
    private let resumeFeed: ((FeedMark) throws -> any ExchangeFeed)?
    /// Readies a detector read back from a keyframe as `makeDetector` readies a new one.
    private let prepareDetector: (Detector) -> Void
    private var feed: any ExchangeFeed
    private var pending: [Exchange] = []
    /// The evidence keys of `pending`, when the feed made them.
    private var pendingKeys: [ExchangeKeys]?
    private var next = 0
    /// The mark that came with `pending`: once all of it is ingested, that is a keyframe.
    private var pendingMark: FeedMark?
    private var checkpointWanted = false
    /// Receives the state (a checkpoint file's bytes) and its stream time after `requestCheckpoint`.
    public var onCheckpoint: (([UInt8], StreamTime?) -> Void)?
    /// Called with each run of records just given to the detector (`batch[range]`), on the
    /// pumping thread: for a caller that keeps figures of its own over the same records. A seek
    /// back replays records into a rebuilt detector and calls it for them again.
    public var onIngested: (([Exchange], Range<Int>) -> Void)?
    /// The caller's own entries, saved in checkpoints beside the engine's (headless mode's
    /// verdicts); asked at the moment each checkpoint is taken.
    public var checkpointEntries: () -> [String: String] = { [:] }

    struct Keyframe {
        let newest: StreamTime
        let oldest: StreamTime?
        /// Exchanges ingested in the pass before it: how much replaying it saves.
        let ingested: Int
        /// The state's packed bytes in memory, or in a nameless file when keyframes go to disk.
        let inMemory: [UInt8]?
        let onDisk: SpilledBytes?
        let positions: [SourcePosition]
        let outsideWindow: Int

        var size: Int { inMemory?.count ?? onDisk?.count ?? 0 }
        /// The state as a checkpoint file's bytes; nil when they can no longer be read back.
        var state: [UInt8]? { (inMemory ?? onDisk?.read()).flatMap(ZeroBytePacking.unpack) }
    }
    private var keyframes: [Keyframe] = []
    /// Stream time between keyframes until the budget is first full.
    public let keyframeEvery: StreamTime
    /// Exchanges between keyframes once the budget has been full (nil before).
    public private(set) var keyframeSpacing: Int?
    /// Exchanges ingested in this pass over the input (from the start, or from the keyframe a
    /// seek back restored).
    private var passIngested = 0
    /// Memory reused by every keyframe: the state as written, and packed.
    private var stateScratch: [UInt8] = []
    private var packedScratch: [UInt8] = []
    public let keyframeBudget: Int
    /// Where keyframes are written (in files that vanish with the process); nil: memory.
    public let keyframeDirectory: String?
    public private(set) var keyframeBytes = 0
    /// Keyframes the disk could not take (full, or the directory gone): seeks start further back.
    public private(set) var keyframesNotWritten = 0
    private var lastKeyframeAttempt: (newest: StreamTime, ingested: Int)?
    public var keyframeCount: Int { keyframes.count }
    /// The keyframe the last seek back started from (nil: it re-read the input from the start).
    public private(set) var lastSeekFrom: StreamTime?
    /// The first exchange in the window, from the first pass: where a seek back starts.
    private var firstInWindow: StreamTime?
    private var suspectsBeforeHunt = 0
    /// The moment `[` is seeking back to, until the clock arrives there.
    private var seekingBackTo: StreamTime?
    /// Where `]` or `[` last stopped the replay (paused), until `takeStopAtSuspect()` reads it.
    private var stoppedAtSuspect: StreamTime?
    private var ingestedSinceSnapshot = 0
    private var snapshotWanted = true
    private var lastSnapshotWall = -Double.infinity

    /// Snapshots re-score the clusters: a few per second is plenty for a person.
    public static let snapshotEveryMs = 500.0
    /// Exchanges given to the detector in one call at most when all are due at once: small
    /// enough to check the time often (the console's slices are milliseconds long), and for the
    /// records to be still in the CPU's cache as the detector reads them.
    static let spanLimit = 256
    /// One stream minute: what `.` steps.
    public static let stepMs: StreamTime = 60_000

    /// Four stream hours between keyframes to start with, in at most 512 MB (or two keyframes).
    public static let defaultKeyframeEvery: StreamTime = 4 * 3_600_000
    public static let defaultKeyframeBudget = 512 << 20
    /// How often the feed marks where it stands: the finest step at which a keyframe can be taken.
    static let markEvery: StreamTime = 15 * 60_000

    /// The room for keyframes on disk in `directory`: 12 GB, but never more than a quarter of
    /// what is free there now, nor less than the memory budget. A 45-day log of 28.6 million
    /// exchanges has states of about 70 MB packed: 12 GB holds one every six stream hours or so.
    public static func diskKeyframeBudget(in directory: String) -> Int {
        var fs = statvfs()
        guard statvfs(directory, &fs) == 0 else { return defaultKeyframeBudget }
        let free = Int(fs.f_bavail) &* Int(fs.f_frsize)
        return max(defaultKeyframeBudget, min(12 << 30, free / 4))
    }

    public convenience init(speed: ReplaySpeed, paused: Bool, live: Bool = false, window: StreamWindow = .all,
                            makeDetector: @escaping () -> Detector, makeFeed: @escaping () throws -> any ExchangeFeed,
                            resumeFeed: ((FeedMark) throws -> any ExchangeFeed)? = nil, prepareDetector: @escaping (Detector) -> Void = { _ in },
                            keyframeEvery: StreamTime = ReplayEngine.defaultKeyframeEvery, keyframeBudget: Int = ReplayEngine.defaultKeyframeBudget,
                            keyframeDirectory: String? = nil) throws {
        let detector = makeDetector()
        self.init(speed: speed, paused: paused, live: live, window: window, feed: try makeFeed(), detector: detector,
                  makeDetector: makeDetector, makeFeed: makeFeed, resumeFeed: resumeFeed, prepareDetector: prepareDetector,
                  keyframeEvery: keyframeEvery, keyframeBudget: keyframeBudget, keyframeDirectory: keyframeDirectory)
    }

    /// Reads `feed` once, at full speed, into `detector`: no pacing, no keyframes, no seeking
    /// (`scan`, headless mode, `eval`). `live`: the feed has no end of its own.
    public convenience init(fullSpeedOver feed: any ExchangeFeed, detector: Detector, live: Bool = false, window: StreamWindow = .all) {
        self.init(speed: .max, paused: false, live: live, window: window, feed: feed, detector: detector,
                  makeDetector: { [settings = detector.settings] in Detector(settings: settings) }, makeFeed: { throw RereadError() },
                  resumeFeed: nil, prepareDetector: { _ in },
                  keyframeEvery: ReplayEngine.defaultKeyframeEvery, keyframeBudget: ReplayEngine.defaultKeyframeBudget, keyframeDirectory: nil)
    }

    init(speed: ReplaySpeed, paused: Bool, live: Bool, window: StreamWindow, feed: any ExchangeFeed, detector: Detector,
         makeDetector: @escaping () -> Detector, makeFeed: @escaping () throws -> any ExchangeFeed,
         resumeFeed: ((FeedMark) throws -> any ExchangeFeed)?, prepareDetector: @escaping (Detector) -> Void,
         keyframeEvery: StreamTime, keyframeBudget: Int, keyframeDirectory: String?) {
        self.live = live
        self.window = window
        self.makeFeed = makeFeed
        self.makeDetector = makeDetector
        self.resumeFeed = live ? nil : resumeFeed
        self.prepareDetector = prepareDetector
        self.keyframeEvery = max(60_000, keyframeEvery)
        self.keyframeBudget = keyframeBudget
        self.keyframeDirectory = keyframeDirectory
        clock = ReplayClock(speed: speed, paused: paused)
        self.detector = detector
        self.feed = feed
    }

    public func start() {
        if resumeFeed != nil { feed.requestMarks(every: min(keyframeEvery, Self.markEvery)) }
        feed.start()
    }
    public func stop() { feed.stop() }
    public var feedState: FeedState { feed.state }
    /// The feed takes nothing new and finishes what it holds (see `ExchangeFeed.stopTaking`).
    public func stopTaking() { feed.stopTaking() }
    /// Requests the feed holds whose senders still wait for an answer.
    public var inHand: Int { feed.inHand }

    /// Stream time the status bar shows: the replay clock, or the newest exchange when live.
    public func streamClock(at wallMs: Double) -> StreamTime? {
        if live { return newest }
        return clock.position(at: wallMs).map { StreamTime($0.rounded(.down)) }
    }

    /// Ingests what is due at `wallMs` until `outOfTime()` (asked every 256 exchanges at most), or
    /// past `pauseAfterReaching`, or (with `maxBatches`) once that many more batches have been
    /// taken from the feed. Returns how many were ingested.
    @discardableResult
    public func pump(wallMs: Double, maxBatches: Int? = nil, outOfTime: () -> Bool) -> Int {
        var n = 0
        var heldByClock = false
        var batchesTaken = 0
        ingest: while true {
            if next == pending.count {
                // All of a marked batch is in: the state now is a keyframe.
                if let mark = pendingMark {
                    pendingMark = nil
                    consistentPoint(mark)
                }
                if let maxBatches, batchesTaken >= maxBatches { break }
                guard let (batch, keys, mark) = feed.pollKeyed() else { break }
                batchesTaken += 1
                pending = batch
                pendingKeys = keys
                next = 0
                pendingMark = mark
                if batch.isEmpty { continue }
            }
            let ts = pending[next].ts
            if !window.contains(ts) {
                outsideWindow += 1
                if ts < oldestOutside ?? .max { oldestOutside = ts }
                if ts > newestOutside ?? .min { newestOutside = ts }
                next += 1
                continue
            }
            if firstInWindow == nil { firstInWindow = ts }
            clock.start(at: ts, wallMs: wallMs)
            if !live && !clock.isDue(ts, at: wallMs) { heldByClock = true; break }
            // Everything due at once (live, or full speed with no seek under way): the run of
            // exchanges from here that needs no decision one by one goes to the detector in one
            // call, read in place. Otherwise one at a time.
            let oneByOne = clock.target != nil || !(live || clock.runsFlatOut)
            let limit = oneByOne ? next + 1 : min(pending.count, next + Self.spanLimit)
            let pause = pauseAfterReaching ?? .max
            var end = next
            var spanNewest = ts, spanOldest = ts
            var reachedPause = false
            while end < limit {
                let t = pending[end].ts
                if end > next && !window.contains(t) { break }
                if t > spanNewest { spanNewest = t }
                if t < spanOldest { spanOldest = t }
                end += 1
                if t >= pause { reachedPause = true; break }
            }
            detector.ingest(pending, keys: pendingKeys, range: next..<end)
            onIngested?(pending, next..<end)
            let count = end - next
            next = end
            n += count
            passIngested += count
            totalIngested += count
            if spanNewest > newest ?? .min { newest = spanNewest }
            if spanOldest < oldest ?? .max { oldest = spanOldest }
            clock.ingested(spanNewest, wallMs: wallMs)
            if endHuntIfFlagged(wallMs: wallMs) {
                snapshotWanted = true
                break ingest
            }
            if reachedPause { break ingest }
            if oneByOne ? n & 255 == 0 && outOfTime() : outOfTime() { break ingest }
        }
        ingestedSinceSnapshot += n

        // A seek to a time is done when the next exchange lies beyond it.
        if heldByClock, case .time(let t)? = clock.target {
            clock.arrive(at: Double(t), wallMs: wallMs)
            snapshotWanted = true
            if seekingBackTo == t { stop(atSuspect: t, wallMs: wallMs) }
        }
        let state = feed.state
        if !finished && state.finished && state.queued == 0 && next == pending.count {
            finished = true
            snapshotWanted = true
            clock.end(at: newest.map(Double.init), wallMs: wallMs)
        }
        return n
    }

    /// A new snapshot when data arrived and the last is old, or at once after a seek, a step
    /// or the end of input (so the screen never shows state the clock has left).
    public func snapshotIfDue(wallMs: Double) -> Snapshot? {
        guard snapshotWanted || (ingestedSinceSnapshot > 0 && wallMs - lastSnapshotWall >= Self.snapshotEveryMs) else { return nil }
        snapshotWanted = false
        ingestedSinceSnapshot = 0
        lastSnapshotWall = wallMs
        let snapshot = detector.snapshot()
        // Re-scoring can flag a cluster too: a hunt for the next suspect moment ends there.
        endHuntIfFlagged(wallMs: wallMs)
        return snapshot
    }

    /// During `]`, stops the clock at the moment a cluster was newly flagged, if one was.
    @discardableResult
    private func endHuntIfFlagged(wallMs: Double) -> Bool {
        guard clock.target == .nextSuspect, detector.suspectMoments.count > suspectsBeforeHunt,
              let moment = detector.suspectMoments.last else { return false }
        clock.arrive(at: Double(moment), wallMs: wallMs)
        stop(atSuspect: moment, wallMs: wallMs)
        return true
    }

    /// Pauses where a cluster became suspect, so the analyst looks before the replay moves on.
    private func stop(atSuspect moment: StreamTime, wallMs: Double) {
        seekingBackTo = nil
        clock.setPaused(true, wallMs: wallMs)
        stoppedAtSuspect = moment
    }

    /// The moment `]` or `[` stopped at since the last call, once.
    public func takeStopAtSuspect() -> StreamTime? {
        defer { stoppedAtSuspect = nil }
        return stoppedAtSuspect
    }

    /// Stream time of the next exchange read but not yet ingested (how far behind the data is).
    public var nextPendingTs: StreamTime? { next < pending.count ? pending[next].ts : nil }

    /// Wall milliseconds worth sleeping before the next `pump`, at most `cap`.
    public func idleMs(at wallMs: Double, cap: Double) -> Double {
        if live { return next < pending.count || feed.state.queued > 0 ? 0 : cap }
        guard next < pending.count else { return feed.state.queued > 0 && !clock.paused ? 0 : cap }
        guard let wait = clock.wallMsUntilDue(pending[next].ts, at: wallMs) else { return cap }
        return Swift.min(cap, wait)
    }

    // MARK: Controls

    public func setPaused(_ paused: Bool, wallMs: Double) {
        clock.setPaused(paused, wallMs: wallMs)
        if paused { snapshotWanted = true }  // the screen catches up with the clock at once
    }
    public func setSpeed(_ speed: ReplaySpeed, wallMs: Double) { clock.setSpeed(speed, wallMs: wallMs) }

    public enum SeekResult: Equatable, Sendable {
        /// Under way: ingesting forward at full speed.
        case forward
        /// Under way: the input was re-opened into a fresh detector.
        case rebuilding
        case refused(String)
    }

    /// Everything up to `target` ingested, nothing after: forward by ingesting at full speed,
    /// backward by starting over from the beginning of the input.
    public func seek(to target: StreamTime, wallMs: Double) -> SeekResult {
        if live { return .refused("a live feed cannot seek") }
        seekingBackTo = nil
        var t = target
        if let first = firstInWindow, t < first { t = first }
        if let newest, t < newest {
            if let problem = rebuild(to: t, wallMs: wallMs) { return .refused(problem) }
            clock.seek(.time(t), wallMs: wallMs)
            return .rebuilding
        }
        if finished { return .refused("the input ended at \(Timestamp.format(newest ?? t)); nothing after it") }
        // Far ahead over ground replayed before (back to where the analyst was, say): from the
        // latest keyframe on the way, rather than ingesting every exchange up to it.
        if let newest, let keyframe = keyframes.last(where: { $0.newest <= t }), keyframe.newest > newest + keyframeEvery,
           rebuild(to: t, wallMs: wallMs, keyframeOnly: true) == nil {
            clock.seek(.time(t), wallMs: wallMs)
            return .rebuilding
        }
        clock.seek(.time(t), wallMs: wallMs)
        return .forward
    }

    /// One stream minute on, while paused.
    public func step(wallMs: Double) -> SeekResult {
        guard clock.paused else { return .refused("'.' steps while paused — Space pauses") }
        guard let p = clock.position(at: wallMs) else { return .refused("nothing to step through yet") }
        return seek(to: StreamTime(p.rounded(.down)) + Self.stepMs, wallMs: wallMs)
    }

    /// Forward at full speed to the next moment a cluster becomes suspect, or the end.
    public func nextSuspect(wallMs: Double) -> SeekResult {
        if live { return .refused("a live feed cannot seek") }
        if finished { return .refused("end of input: no later suspect moment") }
        suspectsBeforeHunt = detector.suspectMoments.count
        seekingBackTo = nil
        clock.seek(.nextSuspect, wallMs: wallMs)
        return .forward
    }

    /// Back to the latest moment before the clock at which a cluster became suspect.
    public func previousSuspect(wallMs: Double) -> (result: SeekResult, moment: StreamTime?) {
        // Before the clock: a live feed's clock is not where its records are.
        if live { return (.refused("a live feed cannot seek"), nil) }
        guard let p = clock.position(at: wallMs) else { return (.refused("nothing replayed yet"), nil) }
        guard let moment = detector.suspectMoments.filter({ Double($0) < p }).max() else {
            return (.refused("no cluster became suspect before \(Timestamp.format(StreamTime(p)))"), nil)
        }
        let result = seek(to: moment, wallMs: wallMs)
        if case .refused = result {} else { seekingBackTo = moment }
        return (result, moment)
    }

    /// Drops all state and goes back to the latest keyframe at or before `target`, else to the
    /// start of the input (unless `keyframeOnly`); nil on success, else why not (state kept).
    private func rebuild(to target: StreamTime, wallMs: Double, keyframeOnly: Bool = false) -> String? {
        var fresh: (feed: any ExchangeFeed, detector: Detector, from: Keyframe?)?
        if let resumeFeed, let keyframe = keyframes.last(where: { $0.newest <= target }) {
            // A keyframe that cannot be used (its file changed since) falls back to the start.
            if let bytes = keyframe.state, let state = try? DetectionState(decoding: bytes, settings: detector.settings),
               let feed = try? resumeFeed(FeedMark(ledgers: state.feedLedgers, positions: keyframe.positions)) {
                prepareDetector(state.detector)
                fresh = (feed, state.detector, keyframe)
            }
        }
        if fresh == nil && keyframeOnly { return "no usable keyframe" }
        if fresh == nil {
            do { fresh = (try makeFeed(), makeDetector(), nil) } catch { lastError = error; return "cannot re-open the input: \(error)" }
        }
        guard let fresh else { return "cannot re-open the input" }
        feed.stop()
        feed = fresh.feed
        detector = fresh.detector
        rebuilds += 1
        lastError = nil
        pending = []
        next = 0
        pendingMark = nil
        if checkpointWanted { feed.requestMark() }
        newest = fresh.from?.newest
        oldest = fresh.from?.oldest
        passIngested = fresh.from?.ingested ?? 0
        outsideWindow = fresh.from?.outsideWindow ?? 0
        // Only a report reads these, and a report is of a run that never seeks.
        oldestOutside = nil
        newestOutside = nil
        lastSeekFrom = fresh.from?.newest
        finished = false
        ingestedSinceSnapshot = 0
        snapshotWanted = true
        clock.restart(at: (fresh.from?.newest ?? firstInWindow).map(Double.init), wallMs: wallMs)
        if resumeFeed != nil { feed.requestMarks(every: min(keyframeEvery, Self.markEvery)) }
        feed.start()
        return nil
    }

    /// Keeps the state as it is now, where `mark` says the input stands.
    /// The state now, where `mark` says the input stands, as a checkpoint file's bytes.
    private func encodedState(_ mark: FeedMark) -> [UInt8] {
        var extra = checkpointEntries()
        extra["replay.outside_window"] = String(outsideWindow)
        if let oldestOutside { extra["replay.oldest_outside"] = String(oldestOutside) }
        if let newestOutside { extra["replay.newest_outside"] = String(newestOutside) }
        if let newest { extra["replay.newest"] = String(newest) }
        if let oldest { extra["replay.oldest"] = String(oldest) }
        if let firstInWindow { extra["replay.first"] = String(firstInWindow) }
        mark.state(detector: detector, extra: extra).encode(into: &stateScratch)
        return stateScratch
    }

    /// At a point where the state and the input's position agree (all of a marked batch in):
    /// a keyframe if one is due, and a checkpoint if one was asked for.
    private func consistentPoint(_ mark: FeedMark) {
        var bytes = takeKeyframe(mark)
        if checkpointWanted, let onCheckpoint {
            checkpointWanted = false
            if bytes == nil { bytes = encodedState(mark) }
            onCheckpoint(bytes!, newest)
        }
    }

    /// Asks for the state at the next consistent point, handed to `onCheckpoint`.
    public func requestCheckpoint() {
        guard !checkpointWanted else { return }
        checkpointWanted = true
        feed.requestMark()
    }
    public var checkpointPending: Bool { checkpointWanted }

    /// The newest keyframe, as a checkpoint file's bytes, and its stream time.
    public var newestKeyframe: (bytes: [UInt8], newest: StreamTime)? {
        guard let last = keyframes.last, let bytes = last.state else { return nil }
        return (bytes, last.newest)
    }

    /// Goes on from a checkpoint (before `start`): its detector, and where the replay stood.
    /// The feed must already be one resumed at the checkpoint's mark.
    public func resume(from state: DetectionState) {
        let threads = detector.evaluationThreads
        detector = state.detector
        detector.evaluationThreads = threads
        prepareDetector(detector)
        let p = state.positions
        // Headless checkpoints of earlier builds kept their own names for two of these.
        newest = (p["replay.newest"] ?? p["headless.stream_time"]).flatMap { StreamTime($0) }
        oldest = p["replay.oldest"].flatMap { StreamTime($0) }
        outsideWindow = Int(p["replay.outside_window"] ?? p["headless.outside_window"] ?? "") ?? 0
        oldestOutside = p["replay.oldest_outside"].flatMap { StreamTime($0) }
        newestOutside = p["replay.newest_outside"].flatMap { StreamTime($0) }
        firstInWindow = p["replay.first"].flatMap { StreamTime($0) }
    }

    /// Keeps the state as it is now, where `mark` says the input stands, if one is due.
    @discardableResult
    private func takeKeyframe(_ mark: FeedMark) -> [UInt8]? {
        guard resumeFeed != nil, let newest else { return nil }
        // Paced by the last attempt, not the last keyframe kept: a disk that refuses one must not
        // make every later batch encode the whole state again.
        if let last = lastKeyframeAttempt {
            if let spacing = keyframeSpacing {
                if passIngested < last.ingested + spacing { return nil }
            } else if newest < last.newest + keyframeEvery {
                return nil
            }
        }
        lastKeyframeAttempt = (newest, passIngested)
        let state = encodedState(mark)
        let packedCount = ZeroBytePacking.pack(state, into: &packedScratch)
        let packed = packedScratch[..<packedCount]
        let keyframe: Keyframe
        if let keyframeDirectory {
            // A disk that cannot take it (full, gone) costs this keyframe, not the replay.
            guard let spilled = SpilledBytes(packed, in: keyframeDirectory) else { keyframesNotWritten += 1; return state }
            keyframe = Keyframe(newest: newest, oldest: oldest, ingested: passIngested, inMemory: nil, onDisk: spilled, positions: mark.positions, outsideWindow: outsideWindow)
        } else {
            keyframe = Keyframe(newest: newest, oldest: oldest, ingested: passIngested, inMemory: Array(packed), onDisk: nil, positions: mark.positions, outsideWindow: outsideWindow)
        }
        // Pacing by the last attempt keeps them in input order: after a seek back none is taken
        // until the replay passes the newest again.
        keyframes.append(keyframe)
        keyframeBytes += keyframe.size
        // Two are always kept, however large: a detector too big for the budget still seeks
        // back from somewhere nearer than the start.
        var thinned = false
        while keyframeBytes > keyframeBudget && keyframes.count > 2 {
            keyframeBytes -= keyframes.remove(at: leastMissedKeyframe()).size
            thinned = true
        }
        if thinned {
            // From now on, one per the average gap so far.
            keyframeSpacing = max(keyframeSpacing ?? 1, passIngested / keyframes.count)
        }
        return state
    }

    /// The keyframe (never the newest) whose going leaves the smallest stretch of exchanges to
    /// replay between its neighbours (the start of the input before the first).
    private func leastMissedKeyframe() -> Int {
        var best = 0, bestGap = Int.max
        for i in 0..<(keyframes.count - 1) {
            let gap = keyframes[i + 1].ingested - (i > 0 ? keyframes[i - 1].ingested : 0)
            if gap < bestGap { best = i; bestGap = gap }
        }
        return best
    }

    /// The longest stretch of exchanges a seek back may have to replay from a keyframe (or the
    /// start of the input, before the first), and the stream time it spans.
    public var longestKeyframeGap: (exchanges: Int, streamTime: StreamTime) {
        var longest = (exchanges: 0, streamTime: StreamTime(0))
        var previous = (ingested: 0, newest: firstInWindow ?? keyframes.first?.newest ?? 0)
        for k in keyframes {
            if k.ingested - previous.ingested > longest.exchanges {
                longest = (k.ingested - previous.ingested, k.newest - previous.newest)
            }
            previous = (k.ingested, k.newest)
        }
        return longest
    }

    /// Keyframes hold the detector as it was; a change to what it must ignore (the analyst's
    /// allowlist) makes them stale, and seeks go back to re-reading from the start until new
    /// ones are taken.
    public func forgetKeyframes() {
        keyframes = []
        lastKeyframeAttempt = nil
        keyframeBytes = 0
    }
}

/// Seeking back re-reads the input from the start; standard input, live sources and input
/// read only once (a scan's) cannot be.
public struct RereadError: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "standard input and live sources are read once and cannot be read again from the start" }
}
