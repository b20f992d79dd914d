import DistillCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a state file could not be read or written. Each case names the file.
public enum StateFileError: Error, CustomStringConvertible, Equatable {
    case cannotRead(path: String, errno: Int32)
    case cannotWrite(path: String, errno: Int32)
    case unusable(path: String, reason: StateError)

    public var description: String {
        switch self {
        case .cannotRead(let path, let code): return "cannot read state file \(path): \(InputError.reason(code))"
        case .cannotWrite(let path, let code): return "cannot write state file \(path): \(InputError.reason(code))"
        case .unusable(let path, let reason): return "state file \(path) refused: \(reason)"
        }
    }
}

/// Reads and writes saved detector state. A write goes to a temporary file beside the target,
/// is flushed to disk and then renamed over it, so a crash at any moment leaves either the old
/// file or the new one, never a half-written one.
public enum StateFile {
    public static func read(_ path: String, settings: DetectorSettings) throws(StateFileError) -> DetectionState {
        let bytes = try readAll(path)
        do {
            return try DetectionState(decoding: bytes, settings: settings)
        } catch {
            throw .unusable(path: path, reason: error)
        }
    }

    /// A shard worker's saved partition, read into `inspector`.
    public static func readShard(_ path: String, into inspector: ExchangeInspector) throws(StateFileError) -> ShardState {
        let bytes = try readAll(path)
        do {
            return try ShardState(decoding: bytes, into: inspector)
        } catch {
            throw .unusable(path: path, reason: error)
        }
    }

    public static func write(_ state: DetectionState, to path: String) throws(StateFileError) {
        try write(state.encoded(), to: path)
    }

    public static func write(_ bytes: [UInt8], to path: String) throws(StateFileError) {
        let temporary = path + ".partial"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotWrite(path: path, errno: errno) }
        var written = 0
        var failure: Int32 = 0
        bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                written += n
            }
        }
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        close(fd)
        guard failure == 0 else {
            unlink(temporary)
            throw .cannotWrite(path: path, errno: failure)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw .cannotWrite(path: path, errno: code)
        }
        // The rename itself is durable only once the directory is flushed.
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let dirfd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 { _ = fsync(dirfd); close(dirfd) }
    }

    static func readAll(_ path: String) throws(StateFileError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotRead(path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .cannotRead(path: path, errno: errno) }
        guard info.st_mode & S_IFMT != S_IFDIR else { throw .cannotRead(path: path, errno: EISDIR) }
        var out: [UInt8] = []
        out.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .cannotRead(path: path, errno: errno)
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }
}
