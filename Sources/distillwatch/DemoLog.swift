import DistillCases
import DistillSim
import Foundation

/// The demo campaign for a binary that runs away from its checkout: the generator makes the
/// recorded demo byte for byte (a test compares the two), so an installed `distillwatch watch`
/// replays the same three days without carrying the file.
enum DemoLog {
    /// The options `SampleLogs/demo.ndjson.gz` was made with (its README gives the command).
    static let config = GeneratorConfig(seed: 7, days: 3, scale: 0.15, scenario: "mixed")

    /// `$XDG_CACHE_HOME/distillwatch`, else `~/.cache/distillwatch`.
    static func directory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        UserDirectories.distillwatch("XDG_CACHE_HOME", fallback: ".cache", environment: environment)
    }

    /// Generates the demo into the cache directory and returns its path. Written under a
    /// temporary name and renamed, so an interrupted run never leaves half a demo behind for
    /// the next; made afresh each time (about 20 MB in well under a second), so it is always
    /// this build's demo.
    static func materialise() throws -> String {
        let dir = directory()
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw GenError("cannot create \(dir) for the demo log: \(error.localizedDescription)")
        }
        let path = dir + "/demo.ndjson"
        let partial = path + ".partial-\(getpid())"
        let fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 { throw GenError("cannot write the demo log to \(partial): \(String(cString: strerror(errno)))") }
        var failed = false
        let generator: TrafficGenerator
        do { generator = try TrafficGenerator(config: config) } catch { close(fd); unlink(partial); throw GenError("\(error)") }
        _ = generator.run { chunk in
            if !failed && !writeAll(fd, chunk) { failed = true }
        }
        let closed = close(fd) == 0
        if failed || !closed {
            let why = String(cString: strerror(errno))
            unlink(partial)
            throw GenError("writing the demo log to \(partial) failed: \(why)")
        }
        if rename(partial, path) != 0 {
            let why = String(cString: strerror(errno))
            unlink(partial)
            throw GenError("cannot move the demo log into place at \(path): \(why)")
        }
        return path
    }
}
