/// Decoding one request body a slice at a time, so a receiver serving many clients on one
/// thread can answer the others between slices of a huge body instead of stalling for it.
///
/// A JSON array is walked element by element and NDJSON line by line; a body that must be
/// parsed whole (an OTLP/JSON request, a pretty-printed single record) is one slice, and is
/// parsed only if it is shallow and sparse enough that its object tree stays small.
public struct BodyDecoding: Sendable {
    private enum Stage: Sendable {
        case whole(otlp: Bool)
        case array(JSONStructure.ArrayElements)
        case lines(next: Int)
        case done
    }

    private var stage: Stage
    public var finished: Bool { if case .done = stage { true } else { false } }

    public init(_ body: UnsafeRawBufferPointer, otlpPath: Bool, adapter: RecordAdapter) {
        guard let first = body.firstIndex(where: { !JSONStructure.isSpace($0) }) else {
            stage = .done
            return
        }
        if otlpPath {
            stage = .whole(otlp: true)
        } else if body[first] == JSONStructure.openArray {
            stage = .array(JSONStructure.ArrayElements(openingAt: first))
        } else if body[first] == JSONStructure.openObject, Self.isPrettyPrinted(body, from: first, adapter: adapter) {
            stage = .whole(otlp: false)
        } else {
            stage = .lines(next: 0)
        }
    }

    /// A body whose first line is not JSON by itself may be one object spread over lines.
    private static func isPrettyPrinted(_ body: UnsafeRawBufferPointer, from first: Int, adapter: RecordAdapter) -> Bool {
        var end = first
        while end < body.count && body[end] != 0x0A { end += 1 }
        guard end < body.count, case .rejected(let r) = adapter.decoder.decode(UnsafeRawBufferPointer(rebasing: body[first..<end])) else {
            return false
        }
        return r.code == .invalidJSON
    }

    /// Decodes from where the last step stopped until about `bytes` bytes or `records` records
    /// are done (at least one), or the body ends. Returns true once the body is finished.
    @discardableResult
    public mutating func step(_ body: UnsafeRawBufferPointer, adapter: RecordAdapter, bytes: Int = .max, records: Int = .max,
                              _ emit: (DecodeOutcome) -> Void) -> Bool {
        switch stage {
        case .done:
            return true
        case .whole(otlp: true):
            stage = .done
            Self.decodeOTLP(body, adapter: adapter, emit)
            return true
        case .whole(otlp: false):
            // One object over several lines; if it is not, the body is NDJSON after all, and
            // its first line is rejected on its own.
            if JSONStructure.isParsable(body), let value = RecordAdapter.parse(body), value is [String: Any] {
                stage = .done
                adapter.adapt(value, as: adapter.format, emit)
                return true
            }
            stage = .lines(next: 0)
            return false
        case .array(var elements):
            let start = elements.offset
            var taken = 0
            while taken < records && elements.offset - start < bytes {
                switch elements.next(in: body) {
                case .element(let range):
                    taken += 1
                    adapter.decodeElement(UnsafeRawBufferPointer(rebasing: body[range]), emit)
                case .end(let end):
                    stage = .done
                    switch end {
                    case .complete, .truncated(lostElement: false):
                        break
                    case .truncated(lostElement: true):
                        emit(.rejected(Rejection(.invalidJSON, message: "request body ends inside its JSON array")))
                    case .trailing(let count):
                        emit(.rejected(Rejection(.invalidJSON, message: "\(count) bytes follow the JSON array's closing bracket")))
                    }
                    return true
                }
            }
            stage = .array(elements)
            return false
        case .lines(var start):
            let from = start
            var taken = 0
            while start < body.count && taken < records && start - from < bytes {
                var end = start
                while end < body.count && body[end] != 0x0A { end += 1 }
                adapter.decodeLine(UnsafeRawBufferPointer(rebasing: body[start..<end]), emit)
                start = end + 1
                taken += 1
            }
            if start >= body.count { stage = .done; return true }
            stage = .lines(next: start)
            return false
        }
    }

    private static func decodeOTLP(_ body: UnsafeRawBufferPointer, adapter: RecordAdapter, _ emit: (DecodeOutcome) -> Void) {
        guard JSONStructure.isParsable(body) else {
            emit(.rejected(Rejection(.invalidJSON, message: "OTLP request body nests deeper than 64 levels or is mostly brackets; not parsed")))
            return
        }
        guard let value = RecordAdapter.parse(body) else {
            emit(.rejected(Rejection(.invalidJSON, message: "OTLP request body is not valid JSON")))
            return
        }
        adapter.adapt(value, as: .otlp, emit)
    }
}
