#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an input source could not be read. Every case names the source (its path, or `stdin`),
/// so a message is enough to find the problem again.
public enum InputError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `open(2)` failed; `errno` says why (no such file, permission denied, …).
    case cannotOpen(path: String, errno: Int32)
    case isDirectory(path: String)
    /// `read(2)` failed after the source was opened.
    case readError(path: String, errno: Int32)
    /// The gzip stream is damaged or ends early. `compressedOffset` is roughly where, in the file;
    /// `outputOffset` is how much text had been inflated by then.
    case corruptGzip(path: String, reason: String, compressedOffset: Int64, outputOffset: Int64)

    public var path: String {
        switch self {
        case .cannotOpen(let path, _), .isDirectory(let path), .readError(let path, _),
             .corruptGzip(let path, _, _, _):
            return path
        }
    }

    public var description: String {
        switch self {
        case .cannotOpen(let path, let code):
            return "cannot open \(path): \(Self.reason(code))"
        case .isDirectory(let path):
            return "cannot read \(path): is a directory"
        case .readError(let path, let code):
            return "error reading \(path): \(Self.reason(code))"
        case .corruptGzip(let path, let reason, let compressed, let output):
            return "corrupt gzip data in \(path): \(reason) (near compressed byte \(compressed), after \(output) bytes of text)"
        }
    }

    static func reason(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
