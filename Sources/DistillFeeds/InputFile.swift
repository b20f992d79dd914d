#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An opened byte source: a file, or stdin for the path `-`. Opening is separate from reading
/// so that every path can be checked before any work starts.
public final class InputFile {
    /// The path as given, or `stdin` for `-`: what messages and rejection samples show.
    public let name: String
    let fd: Int32
    private let ownsDescriptor: Bool
    /// Bytes taken from the descriptor so far (compressed bytes, for gzip).
    public private(set) var bytesRead: Int64 = 0

    /// Opens `path` for reading; `-` means stdin (fd 0, not closed afterwards).
    public convenience init(path: String) throws(InputError) {
        if path == "-" {
            self.init(descriptor: 0, name: "stdin", ownsDescriptor: false)
            return
        }
        var fd: Int32
        repeat {
            fd = open(path, O_RDONLY | O_CLOEXEC)
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        var info = stat()
        if fstat(fd, &info) == 0 {
            // open(2) accepts a directory; read(2) would fail later with a vaguer message.
            if (info.st_mode & S_IFMT) == S_IFDIR {
                close(fd)
                throw .isDirectory(path: path)
            }
            #if os(Linux)
            if (info.st_mode & S_IFMT) == S_IFREG {
                // Sequential hint: larger kernel read-ahead for one pass over a log.
                _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
            }
            #endif
        }
        self.init(descriptor: fd, name: path, ownsDescriptor: true)
    }

    /// Wraps an already open descriptor (a pipe, a socket, a test's file).
    public init(descriptor: Int32, name: String, ownsDescriptor: Bool) {
        self.fd = descriptor
        self.name = name
        self.ownsDescriptor = ownsDescriptor
        var info = stat()
        let kind = fstat(descriptor, &info) == 0 ? info.st_mode & S_IFMT : S_IFREG
        isLive = kind == S_IFIFO || kind == S_IFSOCK || kind == S_IFCHR
    }

    /// A pipe, socket or terminal: more may come at any time, so a reader must not wait for a
    /// full batch before handing over what it has.
    public let isLive: Bool

    /// Whether a read now would wait (nothing has arrived yet).
    func wouldWait() -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&poller, 1, 0) == 0
    }

    /// Waits until a read would not wait (input, its end or an error), or `milliseconds` pass.
    func waitForInput(milliseconds: Int32) {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&poller, 1, milliseconds)
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    /// One `read(2)`: returns 0 only at end of input. Retries interrupted calls, and waits on a
    /// non-blocking descriptor (stdin can be left non-blocking by another program).
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(InputError) -> Int {
        while true {
            let n = systemRead(fd, buffer, count)
            if n >= 0 {
                bytesRead += Int64(n)
                return n
            }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK {
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&poller, 1, -1)
                continue
            }
            if code == EISDIR { throw .isDirectory(path: name) }
            throw .readError(path: name, errno: code)
        }
    }
}

// The method above is named `read`, so the system call needs its module name.
#if canImport(Glibc)
private let systemRead = Glibc.read
#elseif canImport(Darwin)
private let systemRead = Darwin.read
#endif
