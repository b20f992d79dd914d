import DistillCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
import Darwin
#endif

/// Calls `body` with each '\n'-terminated line in `buffer` (without the newline) and its number.
public func forEachLine(in buffer: UnsafeRawBufferPointer, startingAt firstLine: Int = 1, _ body: (UnsafeRawBufferPointer, Int) -> Void) {
    guard let base = buffer.baseAddress else { return }
    var offset = 0
    var line = firstLine
    while offset < buffer.count {
        let rest = buffer.count - offset
        let start = base + offset
        if let newline = memchr(start, 0x0A, rest) {
            let length = start.distance(to: UnsafeRawPointer(newline))
            body(UnsafeRawBufferPointer(start: start, count: length), line)
            offset += length + 1
        } else {
            body(UnsafeRawBufferPointer(start: start, count: rest), line)
            offset = buffer.count
        }
        line += 1
    }
}

/// Decodes, counts and feeds lines that are already in memory: the generator's output in
/// `eval` and `bench`, where no file is involved.
public struct InMemoryIngest {
    let decoder = ExchangeDecoder()
    public var ledger = InputLedger()
    public let detector: Detector
    var batch: [Exchange] = []
    var lineNumber = 1

    public init(detector: Detector) {
        self.detector = detector
        batch.reserveCapacity(DetectionRun.batchSize)
    }

    public mutating func consume(_ chunk: UnsafeRawBufferPointer, source: String) {
        var next = lineNumber
        forEachLine(in: chunk, startingAt: lineNumber) { line, number in
            next = number + 1
            switch decoder.decode(line, appendingTo: &batch) {
            case .appended:
                if !ledger.admit(batch[batch.count - 1]) { batch.removeLast() }
            case .rejected(let r):
                ledger.reject(r, source: source, line: number)
            case .blank:
                ledger.countBlank()
            }
            if batch.count >= DetectionRun.batchSize {
                detector.ingest(draining: &batch)
            }
        }
        lineNumber = next
    }

    public mutating func finish() {
        detector.ingest(draining: &batch)
    }
}
