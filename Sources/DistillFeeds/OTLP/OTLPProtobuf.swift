import Foundation
import SwiftProtobuf

/// OTLP/HTTP protobuf (`application/x-protobuf`, the default of OpenTelemetry's SDK exporters
/// and the Collector's `otlphttp`): export requests decoded with swift-protobuf and turned into
/// the OTLP/JSON shape, so one attribute mapping serves both encodings; and the replies, which
/// OTLP wants in the encoding of the request.
enum OTLPProtobuf {
    enum Signal {
        case logs, traces
    }

    /// AnyValue nests (arrays and key-value lists inside each other): a hostile body must not
    /// recurse without bound, and no real attribute is this deep.
    static let decodingOptions: BinaryDecodingOptions = {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = 32
        options.discardUnknownFields = true
        return options
    }()

    static let contentType = "application/x-protobuf"

    /// The request in its JSON shape, or nil when the bytes are not a valid export request.
    static func request(_ body: [UInt8], signal: Signal) -> [String: Any]? {
        do {
            switch signal {
            case .logs:
                let request = try Distillwatch_Otlp_LogsExportRequest(serializedBytes: body, options: decodingOptions)
                return ["resourceLogs": request.resourceLogs.map(resourceLogs)]
            case .traces:
                let request = try Distillwatch_Otlp_TracesExportRequest(serializedBytes: body, options: decodingOptions)
                return ["resourceSpans": request.resourceSpans.map(resourceSpans)]
            }
        } catch {
            return nil
        }
    }

    /// A 200 answer: empty when every record was taken, else a partial success in the field of
    /// the signal that was sent.
    static func reply(signal: Signal, rejected: Int, message: String) -> [UInt8] {
        switch signal {
        case .logs:
            var reply = Distillwatch_Otlp_LogsExportReply()
            if rejected > 0 {
                reply.partialSuccess.rejectedLogRecords = Int64(rejected)
                reply.partialSuccess.errorMessage = message
            }
            return (try? reply.serializedBytes()) ?? []
        case .traces:
            var reply = Distillwatch_Otlp_TracesExportReply()
            if rejected > 0 {
                reply.partialSuccess.rejectedSpans = Int64(rejected)
                reply.partialSuccess.errorMessage = message
            }
            return (try? reply.serializedBytes()) ?? []
        }
    }

    /// A 400 answer's body: a status with gRPC's INVALID_ARGUMENT code.
    static func errorStatus(_ message: String) -> [UInt8] {
        var status = Distillwatch_Otlp_ErrorStatus()
        status.code = 3
        status.message = message
        return (try? status.serializedBytes()) ?? []
    }

    // MARK: Into the JSON shape

    private static func resourceLogs(_ r: Distillwatch_Otlp_ResourceLogs) -> [String: Any] {
        [
            "resource": ["attributes": attributes(r.resource.attributes)],
            "scopeLogs": r.scopeLogs.map { scope in
                ["logRecords": scope.logRecords.map(logRecord)] as [String: Any]
            },
        ]
    }

    private static func logRecord(_ log: Distillwatch_Otlp_LogRecord) -> [String: Any] {
        var out: [String: Any] = [
            "timeUnixNano": String(log.timeUnixNano),
            "observedTimeUnixNano": String(log.observedTimeUnixNano),
            "severityNumber": NSNumber(value: log.severityNumber),
            "attributes": attributes(log.attributes),
        ]
        if log.hasBody { out["body"] = anyValue(log.body) }
        return out
    }

    private static func resourceSpans(_ r: Distillwatch_Otlp_ResourceSpans) -> [String: Any] {
        [
            "resource": ["attributes": attributes(r.resource.attributes)],
            "scopeSpans": r.scopeSpans.map { scope in
                ["spans": scope.spans.map(span)] as [String: Any]
            },
        ]
    }

    private static func span(_ s: Distillwatch_Otlp_Span) -> [String: Any] {
        var out: [String: Any] = [
            "startTimeUnixNano": String(s.startTimeUnixNano),
            "endTimeUnixNano": String(s.endTimeUnixNano),
            "attributes": attributes(s.attributes),
        ]
        if s.hasStatus { out["status"] = ["code": NSNumber(value: s.status.code)] }
        return out
    }

    private static func attributes(_ list: [Distillwatch_Otlp_KeyValue]) -> [Any] {
        list.map { kv in ["key": kv.key, "value": anyValue(kv.value)] as [String: Any] }
    }

    /// Integers go as decimal strings and bytes as base64, as OTLP/JSON writes them.
    private static func anyValue(_ v: Distillwatch_Otlp_AnyValue) -> [String: Any] {
        switch v.value {
        case .stringValue(let s): return ["stringValue": s]
        case .boolValue(let b): return ["boolValue": b]
        case .intValue(let i): return ["intValue": String(i)]
        case .doubleValue(let d): return ["doubleValue": NSNumber(value: d)]
        case .arrayValue(let list): return ["arrayValue": ["values": list.values.map(anyValue)]]
        case .kvlistValue(let list): return ["kvlistValue": ["values": attributes(list.values)]]
        case .bytesValue(let data): return ["bytesValue": data.base64EncodedString()]
        case nil: return [:]
        }
    }
}
