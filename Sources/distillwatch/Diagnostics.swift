import ArgumentParser
import DistillCore
import Foundation
import Logging

/// How diagnostics are written to stderr (`--log-format`).
enum LogFormat: String, CaseIterable, ExpressibleByArgument {
    /// `distillwatch: message`, for a person at a terminal.
    case text
    /// `ts=… level=warning msg="…" key=value`, one line each, for log collectors.
    case logfmt
    /// One JSON object per line: `ts`, `level`, `msg` and the metadata.
    case json
}

enum Diagnostics {
    /// Set once, before anything is logged: swift-log's bootstrap may run only once per process.
    nonisolated(unsafe) static var logger = Logger(label: "distillwatch") { _ in StderrLogHandler(format: .text) }

    static func use(_ format: LogFormat) {
        logger = Logger(label: "distillwatch") { _ in StderrLogHandler(format: format) }
    }
}

/// Writes each record as one line (text keeps a message's own line breaks). Messages carry
/// paths and text from outside (a file name can hold escape sequences), so everything is
/// sanitised or escaped before it reaches the terminal.
struct StderrLogHandler: LogHandler {
    let format: LogFormat
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    init(format: LogFormat) { self.format = format }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let line: String
        switch format {
        case .text:
            let safe = "\(event.message)".split(separator: "\n", omittingEmptySubsequences: false).map { TextSanitizer.sanitize(String($0)) }
            line = "distillwatch: " + (event.level == .warning ? "warning: " : "") + safe.joined(separator: "\n")
        case .logfmt:
            var fields = [("ts", Self.now()), ("level", event.level.rawValue), ("msg", "\(event.message)")]
            fields += all.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }
            line = fields.map { "\(Self.logfmtKey($0.0))=\(Self.logfmtValue($0.1))" }.joined(separator: " ")
        case .json:
            var fields = [("ts", Self.now()), ("level", event.level.rawValue), ("msg", "\(event.message)")]
            fields += all.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }
            line = "{" + fields.map { JSON.quote($0.0) + ":" + JSON.quote($0.1) }.joined(separator: ",") + "}"
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static func now() -> String { Timestamp.format(Int64(Date().timeIntervalSince1970 * 1000)) }

    static func logfmtKey(_ key: String) -> String {
        let kept = key.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)) }
        return kept.isEmpty ? "key" : String(String.UnicodeScalarView(kept))
    }

    /// Quoted when it holds a space, `=` or `"`; escapes and control characters written as
    /// `\n`, `\u{1b}`, … so nothing raw reaches a terminal.
    static func logfmtValue(_ value: String) -> String {
        var out = ""
        var quote = value.isEmpty
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""; quote = true
            case "\\": out += "\\\\"
            case "\n": out += "\\n"; quote = true
            case " ", "=": out.unicodeScalars.append(scalar); quote = true
            default:
                if Self.mustEscape(scalar.value) {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                    quote = true
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return quote ? "\"" + out + "\"" : out
    }

    /// Control characters (C0, DEL, C1) and the bidirectional controls that reorder text.
    static func mustEscape(_ v: UInt32) -> Bool {
        switch v {
        case 0x00...0x1F, 0x7F...0x9F, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0xFFF9...0xFFFB: return true
        default: return false
        }
    }
}
