import CZlib

/// Inflates a gzip file's bytes straight into the caller's buffer (the line reader's), so gzip
/// input costs one copy, as plain input does. Concatenated members (`cat a.gz b.gz`) are read
/// as one stream, as `gzip -d` does.
final class GzipInflater {
    private let file: InputFile
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawPointer
    private let inputCapacity: Int
    private var inputAtEOF = false
    /// The current member ended; another may follow.
    private var atMemberEnd = false
    private var finished = false
    /// Text produced so far, across members (zlib's own counters restart at each member).
    private var produced: Int64 = 0
    /// An error met after some text was inflated in the same call: that text is returned
    /// first (every line before the damage counts), the error by the next call.
    private var pendingError: InputError?
    /// Bytes after the last member that are not another member (padding, garbage): ignored,
    /// as `gzip -d` ignores them, and counted so they can be reported.
    private(set) var trailingBytes: Int64 = 0

    /// `prefix` is what was read from the file to recognise it as gzip; it is inflated first.
    init(file: InputFile, prefix: UnsafeRawBufferPointer, inputCapacity: Int) throws(InputError) {
        self.file = file
        self.inputCapacity = max(inputCapacity, prefix.count, 2)
        input = .allocate(byteCount: self.inputCapacity, alignment: 16)
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        if prefix.count > 0 {
            input.copyMemory(from: prefix.baseAddress!, byteCount: prefix.count)
        }
        stream.pointee.next_in = input.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = uInt(prefix.count)
        let status = dw_inflate_init_gzip(stream)
        guard status == Z_OK else {
            // The stream was never set up: free here, deinit will not run for a failed init.
            input.deallocate()
            stream.deallocate()
            throw .corruptGzip(path: file.name, reason: "zlib could not start (\(status))",
                               compressedOffset: 0, outputOffset: 0)
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
    }

    /// Fills up to `count` bytes; returns 0 only when every member has been read.
    /// Returns early with what it has rather than block on the file for more.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(InputError) -> Int {
        if let error = pendingError {
            pendingError = nil
            throw error
        }
        if finished || count == 0 { return 0 }
        let outCount = min(count, Int(UInt32.max))
        stream.pointee.next_out = buffer.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(outCount)
        var filled: Int { outCount - Int(stream.pointee.avail_out) }

        while true {
            if atMemberEnd {
                if stream.pointee.avail_in == 0 && !inputAtEOF {
                    if filled > 0 { break }
                    try refill()
                }
                if stream.pointee.avail_in == 0 {
                    finished = true
                    break
                }
                // More bytes after a member: the next member, or trailing bytes that are not one.
                let next = stream.pointee.next_in!
                if next[0] != 0x1F || (stream.pointee.avail_in >= 2 && next[1] != 0x8B) {
                    try skipTrailing()
                    finished = true
                    break
                }
                inflateReset(stream)
                atMemberEnd = false
            }
            if stream.pointee.avail_out == 0 { break }
            if stream.pointee.avail_in == 0 && !inputAtEOF {
                if filled > 0 { break }
                try refill()
            }
            let status = inflate(stream, Z_NO_FLUSH)
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                atMemberEnd = true
            case Z_BUF_ERROR:
                // No progress was possible: with input exhausted, the stream stops mid-member.
                if stream.pointee.avail_in == 0 && inputAtEOF {
                    return try fail(corrupt("unexpected end of file (truncated gzip stream)", filled: filled), filled: filled)
                }
            case Z_NEED_DICT:
                return try fail(corrupt("stream needs a preset dictionary", filled: filled), filled: filled)
            case Z_MEM_ERROR:
                return try fail(corrupt("out of memory", filled: filled), filled: filled)
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                return try fail(corrupt(message, filled: filled), filled: filled)
            }
        }
        produced += Int64(filled)
        return filled
    }

    /// Returns the text inflated so far and keeps `error` for the next call, or throws it now
    /// when there is none.
    private func fail(_ error: InputError, filled: Int) throws(InputError) -> Int {
        guard filled > 0 else { throw error }
        pendingError = error
        produced += Int64(filled)
        return filled
    }

    /// Counts what is left of the file after the last member, reading it to its end.
    private func skipTrailing() throws(InputError) {
        trailingBytes += Int64(stream.pointee.avail_in)
        stream.pointee.avail_in = 0
        while !inputAtEOF {
            try refill()
            trailingBytes += Int64(stream.pointee.avail_in)
            stream.pointee.avail_in = 0
        }
    }

    private func refill() throws(InputError) {
        let n = try file.read(into: input, count: inputCapacity)
        if n == 0 {
            inputAtEOF = true
        }
        stream.pointee.next_in = input.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = uInt(n)
    }

    private func corrupt(_ reason: String, filled: Int) -> InputError {
        finished = true
        return .corruptGzip(
            path: file.name, reason: reason,
            compressedOffset: file.bytesRead - Int64(stream.pointee.avail_in),
            outputOffset: produced + Int64(filled))
    }
}
