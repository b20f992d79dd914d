import Foundation

/// Bytes kept in a file that has no name: created in `directory` and unlinked at once, so the
/// space goes back to the system when this is dropped or the process ends, crash included.
/// For keyframes, which are large, many, and worthless to anyone else.
final class SpilledBytes: @unchecked Sendable {
    private let fd: Int32
    let count: Int

    /// Nil when the file cannot be made or written (a full disk, say): the caller keeps none.
    init?(_ bytes: ArraySlice<UInt8>, in directory: String) {
        var template = Array((directory + "/distillwatch-keyframe-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        var done = 0
        let ok = bytes.withUnsafeBytes { raw -> Bool in
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n > 0 { done += n } else if n < 0 && errno == EINTR { continue } else { return false }
            }
            return true
        }
        guard ok else { close(fd); return nil }
        self.fd = fd
        count = bytes.count
    }

    deinit { close(fd) }

    /// The bytes back; nil if the file can no longer be read.
    func read() -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        let ok = out.withUnsafeMutableBytes { raw -> Bool in
            while done < count {
                let n = pread(fd, raw.baseAddress! + done, count - done, off_t(done))
                if n > 0 { done += n } else if n < 0 && errno == EINTR { continue } else { return false }
            }
            return true
        }
        return ok ? out : nil
    }
}
