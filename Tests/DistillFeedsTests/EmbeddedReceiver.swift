@testable import DistillCore
@testable import DistillFeeds
import NIOCore
import NIOEmbedded
import XCTest

/// An HTTP listener's real pipeline (NIO's parser, the pipelining handler, the record handler)
/// on NIO's embedded channel: bytes in, bytes out, no sockets and no threads.
final class EmbeddedReceiver {
    let channel = EmbeddedChannel()
    let sink = FeedSink(connected: true)
    let core: ListenerCore
    private(set) var exchanges: [Exchange] = []

    init(limits: ListenerLimits = ListenerLimits()) throws {
        core = ListenerCore(eventLoop: channel.eventLoop, sink: sink, kind: .http, localName: "test",
                            adapter: RecordAdapter(format: .auto), limits: limits, ledger: InputLedger())
        try core.adopt(channel)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
    }

    var ledger: InputLedger { core.batcher.ledger }
    var dropped: Int { sink.state.dropped }

    /// Sends `bytes` as one read, lets the event loop finish what it can (decoding slices,
    /// handing batches over as the consumer takes them), and returns what was written back.
    @discardableResult
    func send(_ bytes: [UInt8]) -> [UInt8] {
        do { try channel.writeInbound(ByteBuffer(bytes: bytes)) } catch {}
        var out: [UInt8] = []
        for _ in 0..<10_000 {
            channel.embeddedEventLoop.run()
            while let batch = sink.poll() { exchanges += batch }
            var wrote = false
            while let part = try? channel.readOutbound(as: IOData.self) {
                wrote = true
                if case .byteBuffer(let b) = part { out += Array(b.readableBytesView) }
            }
            let decoding = core.connections.values.contains { $0.busy }
            if !wrote && !core.paused && !decoding { break }
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(2))
        }
        return out
    }

    func send(_ text: String) -> String { String(decoding: send(Array(text.utf8)), as: UTF8.self) }
}
