import DistillConsole
import DistillCore
import DistillFeeds

/// The coordinator's drill-down: figures, ties and shared values from its own detector; an
/// account's sessions and exchanges from the worker that owns it, asked over the bus and shown
/// as they arrive. Read from the console's thread only.
public final class BusDataSource: ConsoleDataSource {
    let local: DetectorDataSource
    let inspector: BusInspector

    public init(detector: Detector, inspector: BusInspector) {
        local = DetectorDataSource(detector: detector)
        self.inspector = inspector
    }

    public func accountFigures(_ id: String) -> AccountFigures? { local.accountFigures(id) }
    public func accountHourly(_ id: String) -> [Int]? { local.accountHourly(id) }
    public func ties(of accounts: [String]) -> [TieDetail] { local.ties(of: accounts) }
    public func sharedValue(_ ref: SharedValueRef) -> SharedValueDetail? { local.sharedValue(ref) }

    public func accountDetail(_ id: String) -> AccountDetail? { inspector.lookup(id).inspection?.detail }
    public func sessions(_ account: String) -> [SessionSummary] { inspector.lookup(account).inspection?.sessions ?? [] }
    public func exchanges(_ account: String, session: String?) -> [ExchangeExcerpt] {
        inspector.lookup(account).inspection?.exchanges(session: session) ?? []
    }

    public func drillDownNote(_ account: String) -> String? {
        switch inspector.lookup(account).standing {
        case .asking(let p): return "(asking the worker of partition \(p)...)"
        case .noAnswer(let p): return "(no worker answered for partition \(p); asking again)"
        case .answered: return "(its worker keeps nothing of this account)"
        }
    }

    public var revision: Int { inspector.revision }
}
