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
            // Opened without blocking: a FIFO nobody reads would otherwise hold the run at its
            // end for ever. A reader gets a few seconds to arrive.
            var fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NONBLOCK)
            let deadline = Date().addingTimeInterval(readerWaitSeconds)
            while fd < 0 && errno == ENXIO && Date() < deadline {
                usleep(50_000)
                fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NONBLOCK)
            }
            guard fd >= 0 else {
                return errno == ENXIO ? "no process reads \(path)" : String(cString: strerror(errno))
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            var failure = data.withUnsafeBytes { writeAll(fd, $0) } ?? 0
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

    /// How long a FIFO is given to have a reader.
    static let readerWaitSeconds = 5.0

    /// Writes all of `buffer` to `fd`, going on after interruptions; the errno it failed with.
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int32? {
        var done = 0
        while done < buffer.count {
            let n = Foundation.write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n > 0 { done += n } else if n < 0 && errno == EINTR { continue } else { return n < 0 ? errno : EIO }
        }
        return nil
    }
}
