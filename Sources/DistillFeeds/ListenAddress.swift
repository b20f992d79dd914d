/// Where a listener accepts records: `tcp://HOST:PORT` (NDJSON lines), `unix:PATH` (NDJSON
/// lines), or `http://HOST:PORT` (POSTed NDJSON, JSON arrays and OTLP/JSON).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable { case tcp, unix, http }

    public var kind: Kind
    /// Host for tcp and http (an IPv4 or IPv6 literal, or `localhost`); the path for unix.
    public var host: String
    public var port: UInt16

    public static let loopbackHosts: Set<String> = ["127.0.0.1", "::1", "localhost", ""]

    public init(kind: Kind, host: String, port: UInt16) {
        self.kind = kind; self.host = host; self.port = port
    }

    /// Parses `tcp://127.0.0.1:9000`, `tcp://[::1]:9000`, `tcp://:9000` (loopback),
    /// `unix:/run/dw.sock` (or `unix:///run/dw.sock`), `http://127.0.0.1:8080`. Port 0 asks the
    /// system for a free port (the bound address is reported).
    public init(parsing text: String) throws(ListenAddressError) {
        if text.hasPrefix("unix:") {
            var path = String(text.dropFirst(5))
            if path.hasPrefix("//") { path.removeFirst(2) }
            guard !path.isEmpty else { throw ListenAddressError(text, "unix: needs a socket path") }
            guard path.utf8.count < 104 else { throw ListenAddressError(text, "socket path is too long (at most 103 bytes)") }
            self.init(kind: .unix, host: path, port: 0)
            return
        }
        let kind: Kind
        var rest: Substring
        if text.hasPrefix("tcp://") { kind = .tcp; rest = text.dropFirst(6) }
        else if text.hasPrefix("http://") { kind = .http; rest = text.dropFirst(7) }
        else { throw ListenAddressError(text, "expected tcp://HOST:PORT, unix:PATH or http://HOST:PORT") }
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...] == "/" else { throw ListenAddressError(text, "a listen address takes no path") }
            rest = rest[..<slash]
        }
        let host: Substring
        let portText: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw ListenAddressError(text, "unclosed [ in IPv6 address") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            guard after.hasPrefix(":") else { throw ListenAddressError(text, "missing :PORT") }
            portText = after.dropFirst()
        } else {
            guard let colon = rest.lastIndex(of: ":") else { throw ListenAddressError(text, "missing :PORT") }
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard let port = UInt16(portText) else { throw ListenAddressError(text, "port must be 0 to 65535") }
        self.init(kind: kind, host: host.isEmpty ? "127.0.0.1" : String(host), port: port)
    }

    public var isLoopback: Bool { kind == .unix || Self.loopbackHosts.contains(host) || host.hasPrefix("127.") }

    public var description: String {
        switch kind {
        case .unix: return "unix:\(host)"
        case .tcp, .http:
            let h = host.contains(":") ? "[\(host)]" : host
            return "\(kind.rawValue)://\(h):\(port)"
        }
    }
}

public struct ListenAddressError: Error, CustomStringConvertible, Equatable {
    public var text: String
    public var reason: String
    init(_ text: String, _ reason: String) { self.text = text; self.reason = reason }
    public var description: String { "bad listen address '\(text)': \(reason)" }
}
