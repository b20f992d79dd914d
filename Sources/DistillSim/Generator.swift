public struct GeneratorConfig: Sendable {
    public static let defaultStart: Int64 = SimTime.daysFromCivil(2026, 4, 20) * SimTime.msPerDay

    public var seed: UInt64
    public var days: Int
    /// Multiplies population sizes (accounts, end users, batch volume).
    public var scale: Double
    public var scenario: String
    public var startMillis: Int64
    /// Stop after this many lines (retried duplicates count as lines).
    public var maxExchanges: Int?

    public init(seed: UInt64 = 7, days: Int = 14, scale: Double = 1.0, scenario: String = "mixed",
                startMillis: Int64 = GeneratorConfig.defaultStart, maxExchanges: Int? = nil) {
        self.seed = seed; self.days = days; self.scale = scale; self.scenario = scenario
        self.startMillis = startMillis; self.maxExchanges = maxExchanges
    }
}

public struct GeneratorError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ message: String) { description = message }
}

public struct GenerationSummary: Sendable, Equatable {
    public var exchanges: Int
    public var accounts: Int
    public var bytes: Int
}

/// Deterministic generator of labelled traffic: same config, same bytes.
public final class TrafficGenerator {
    public let config: GeneratorConfig
    private let spec: ScenarioSpec
    private let labels: String

    public convenience init(config: GeneratorConfig) throws {
        guard let spec = Scenarios.spec(config.scenario) else {
            throw GeneratorError("unknown scenario '\(config.scenario)'; known: \(Scenarios.names.joined(separator: ", "))")
        }
        try self.init(config: config, spec: spec)
    }

    /// Starts the generator takes (milliseconds since the epoch): from 1971 to the end of 8999.
    public static let startRange = SimTime.daysFromCivil(1971, 1, 1) * SimTime.msPerDay..<SimTime.daysFromCivil(9000, 1, 1) * SimTime.msPerDay

    init(config: GeneratorConfig, spec: ScenarioSpec) throws {
        guard config.days >= 1 && config.days <= 366 else {
            throw GeneratorError("days must be between 1 and 366 (got \(config.days))")
        }
        guard config.scale.isFinite && config.scale > 0 && config.scale <= 50 else {
            throw GeneratorError("scale must be greater than 0 and at most 50 (got \(config.scale))")
        }
        if let m = config.maxExchanges, m < 0 {
            throw GeneratorError("max exchanges must not be negative (got \(m))")
        }
        guard Self.startRange.contains(config.startMillis) else {
            throw GeneratorError("start must be between 1971 and 9000")
        }
        self.config = config
        self.spec = spec
        labels = World(config, spec: spec).labelsJSON()
    }

    /// Ground truth: every account of the population and what it is.
    public func labelsJSON() -> String { labels }

    /// Streams NDJSON in chunks of whole lines (about 1 MiB each), in time order
    /// except that a retried duplicate lands a few seconds after its original.
    public func run(_ emit: (UnsafeRawBufferPointer) -> Void) -> GenerationSummary {
        let world = World(config, spec: spec)
        let e = world.engine
        e.limit = config.maxExchanges ?? Int.max
        let actors = world.actors
        var heap = ActorHeap()
        for (i, a) in actors.enumerated() where a.next < world.end {
            heap.push(a.next, Int32(i))
        }
        withoutActuallyEscaping(emit) { sink in
            e.sink = sink
            while !heap.isEmpty && !e.done {
                let (_, id) = heap.top
                let a = actors[Int(id)]
                a.fire(e)
                if a.next >= world.end { heap.popTop() } else { heap.updateTop(a.next) }
            }
            e.flush()
            e.sink = nil
        }
        return GenerationSummary(exchanges: e.lines, accounts: e.accountsSeen, bytes: e.bytesOut)
    }
}
