import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file of output (a report, an export) written where the user pointed, as `>` in a shell
/// writes: a regular file is replaced whole (never left half written), the file a symbolic
/// link names is replaced and the link kept, and a pipe or device (`/dev/stdout`, a FIFO) is
/// written into rather than replaced by a file.
public enum OutputFile {
    /// Writes `data` to `path`; the reason it failed, if it did.
    public static func write(_ data: Data, to path: String) -> String? {
        var info = stat()
        if stat(path, &info) == 0 && info.st_mode & S_IFMT != S_IFREG {
            let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
            guard fd >= 0 else { return String(cString: strerror(errno)) }
            var failure: Int32 = 0
            data.withUnsafeBytes { buffer in
                var done = 0
                while done < buffer.count {
                    let n = Foundation.write(fd, buffer.baseAddress! + done, buffer.count - done)
                    if n > 0 { done += n } else if n < 0 && errno == EINTR { continue } else { failure = n < 0 ? errno : EIO; return }
                }
            }
            if close(fd) != 0 && failure == 0 { failure = errno }
            return failure == 0 ? nil : String(cString: strerror(failure))
        }
        // Through links (one to a file not made yet included).
        var target = path
        for _ in 0..<40 {
            guard let next = try? FileManager.default.destinationOfSymbolicLink(atPath: target) else { break }
            let directory = (target as NSString).deletingLastPathComponent
            target = next.hasPrefix("/") || directory.isEmpty ? next : directory + "/" + next
        }
        do { try data.write(to: URL(fileURLWithPath: target), options: .atomic) } catch { return error.localizedDescription }
        return nil
    }
}
