import DistillCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A directory of checkpoints for one watcher: the newest and the one before it. A write goes
/// to a file of its own, is flushed, and only then replaces the newest (which becomes the
/// previous), so a kill at any moment leaves at least one whole checkpoint behind.
///
/// A lock file keeps a second watcher out of the same directory. A checkpoint that cannot be
/// used (damaged, cut short, foreign, from a newer release) is never overwritten: when an
/// older good one is used instead, the bad one is moved aside to `NAME.refused`.
public final class CheckpointDirectory {
    public let path: String
    public static let newestName = "checkpoint.dws"
    public static let previousName = "checkpoint.previous.dws"
    static let nextName = "checkpoint.next.dws"
    private let lockFD: Int32

    public var newestPath: String { path + "/" + Self.newestName }

    /// Creates the directory when missing and takes its lock.
    public init(path: String) throws(CheckpointError) {
        self.path = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        if mkdir(self.path, 0o755) != 0 && errno != EEXIST { throw .cannotUse(path: path, reason: InputError.reason(errno)) }
        var info = stat()
        guard stat(self.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { throw .cannotUse(path: path, reason: "not a directory") }
        let fd = open(self.path + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotUse(path: path, reason: InputError.reason(errno)) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw .inUse(path: path)
        }
        lockFD = fd
    }

    deinit { close(lockFD) }

    /// What `restore` found.
    public struct Restored {
        public var state: DetectionState
        /// The file it came from.
        public var file: String
        /// Newer files that were refused, each with its reason (and where it was moved).
        public var refused: [String]
    }

    /// The newest usable checkpoint, or nil when there is none at all. Throws when there are
    /// checkpoints but none can be used: starting over would silently forget what they hold.
    public func restore(settings: DetectorSettings) throws(CheckpointError) -> Restored? {
        try restore { path throws(StateFileError) in try StateFile.read(path, settings: settings) }
            .map { Restored(state: $0.value, file: $0.file, refused: $0.refused) }
    }

    /// `restore(settings:)` for checkpoints of any kind: `read` reads one file or says why not.
    public func restore<Value>(reading read: (String) throws(StateFileError) -> Value) throws(CheckpointError) -> (value: Value, file: String, refused: [String])? {
        var refusals: [(file: String, reason: String)] = []
        for name in [Self.newestName, Self.nextName, Self.previousName] {
            let file = path + "/" + name
            guard access(file, F_OK) == 0 else { continue }
            do {
                let value = try read(file)
                // Refused files move aside, so later checkpoints never overwrite them.
                var notes: [String] = []
                for r in refusals {
                    let aside = Self.freeName(r.file + ".refused")
                    notes.append(rename(r.file, aside) == 0 ? "\(r.reason); moved to \(aside)" : r.reason)
                }
                return (value, file, notes)
            } catch {
                refusals.append((file, error.description))
            }
        }
        guard refusals.isEmpty else { throw .noneUsable(refusals.map(\.reason)) }
        return nil
    }

    /// Writes `state` as the newest checkpoint; the one it replaces becomes the previous.
    public func save(_ state: DetectionState) throws(StateFileError) {
        try save(bytes: state.encoded())
    }

    public func save(bytes: [UInt8]) throws(StateFileError) {
        let next = path + "/" + Self.nextName
        try StateFile.write(bytes, to: next)
        let newest = newestPath
        if access(newest, F_OK) == 0 && rename(newest, path + "/" + Self.previousName) != 0 {
            throw .cannotWrite(path: newest, errno: errno)
        }
        guard rename(next, newest) == 0 else { throw .cannotWrite(path: newest, errno: errno) }
        let dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 { _ = fsync(dirfd); close(dirfd) }
    }

    static func freeName(_ base: String) -> String {
        if access(base, F_OK) != 0 { return base }
        var n = 2
        while access("\(base).\(n)", F_OK) == 0 { n += 1 }
        return "\(base).\(n)"
    }
}

public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case cannotUse(path: String, reason: String)
    case inUse(path: String)
    case noneUsable([String])

    public var description: String {
        switch self {
        case .cannotUse(let path, let reason): return "cannot use state directory \(path): \(reason)"
        case .inUse(let path): return "state directory \(path) is in use by another distillwatch"
        case .noneUsable(let reasons):
            return "no usable checkpoint: " + reasons.joined(separator: "; ")
                + ". Move the files away (or use another --state directory) to start over"
        }
    }
}
