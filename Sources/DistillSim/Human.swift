/// When a person is at the keyboard: weights by local hour and how weekends differ.
struct Rhythm: Sendable {
    let cdf: [Double]
    let weekend: Double     // multiplier on Saturday and Sunday
    let dayOff: Double      // chance a weekday has no activity at all

    init(hours: [Double], weekend: Double, dayOff: Double) {
        var c: [Double] = []
        var s = 0.0
        for h in hours { s += h; c.append(s) }
        cdf = c.map { $0 / s }
        self.weekend = weekend; self.dayOff = dayOff
    }

    /// Milliseconds into the local day.
    func sampleTime(_ rng: inout Rng) -> Int64 {
        let u = rng.unit()
        var h = 0
        while h < 23 && cdf[h] < u { h += 1 }
        return Int64(h) * SimTime.msPerHour + Int64(rng.below(3_600_000))
    }

    static let casual = Rhythm(hours: [0.25, 0.12, 0.06, 0.04, 0.04, 0.08, 0.25, 0.55, 0.85, 1.0, 1.1, 1.15,
                                       1.2, 1.1, 1.05, 1.05, 1.0, 1.0, 1.05, 1.15, 1.25, 1.2, 0.9, 0.5], weekend: 1.1, dayOff: 0.45)
    static let work = Rhythm(hours: [0.03, 0.02, 0.01, 0.01, 0.01, 0.02, 0.08, 0.3, 0.9, 1.3, 1.4, 1.3,
                                     0.8, 1.1, 1.4, 1.4, 1.3, 1.0, 0.55, 0.35, 0.35, 0.3, 0.18, 0.08], weekend: 0.12, dayOff: 0.06)
    static let student = Rhythm(hours: [0.5, 0.35, 0.15, 0.05, 0.03, 0.03, 0.05, 0.15, 0.4, 0.7, 0.9, 1.0,
                                        1.0, 1.0, 1.0, 1.0, 0.9, 0.8, 0.9, 1.1, 1.3, 1.4, 1.2, 0.9], weekend: 0.8, dayOff: 0.5)
    /// A person who works on it as a side job: weekdays heavier, evenings too.
    static let sideJob = Rhythm(hours: [0.15, 0.08, 0.04, 0.03, 0.03, 0.05, 0.15, 0.45, 0.8, 1.1, 1.2, 1.2,
                                        1.0, 1.1, 1.2, 1.2, 1.1, 1.0, 0.9, 0.95, 1.05, 0.9, 0.6, 0.3], weekend: 0.55, dayOff: 0.08)
}

/// A person: plans each local day's sessions, then works through them turn by turn.
class HumanActor: SimActor {
    let account: Account
    let rhythm: Rhythm
    let tz: Int64              // local offset from UTC, ms
    let end: Int64
    var sessionsPerDay: Double
    var plan: [Int64] = []
    var planIdx = 0
    var day: Int64 = 0         // local day number
    var mustAct = true         // every account acts at least once once it exists
    var turnsLeft = 0
    var turn = 0
    var session: UInt64 = 0
    var sessionStart: Int64 = 0

    /// `from` is when the account starts existing (its first activity is at or after it).
    init(account: Account, rhythm: Rhythm, tzMinutes: Int, sessionsPerDay: Double, from: Int64, end: Int64, rng: Rng) {
        self.account = account; self.rhythm = rhythm; tz = Int64(tzMinutes) * SimTime.msPerMinute
        self.end = end; self.sessionsPerDay = sessionsPerDay
        super.init(rng: rng)
        day = SimTime.floorDiv(from + tz, SimTime.msPerDay) - 1
        plan = []
        next = nextSession(after: from)
    }

    // Hooks.
    func sessionLength() -> Int { 1 }
    func gap() -> Int64 { 60_000 }
    func beginSession(at t: Int64) {}
    func request(_ e: Engine, _ t: Int64) {}
    /// Extra planned sessions for a local day (e.g. a class meeting), in UTC ms.
    func extraSessions(day: Int64, dayStart: Int64, into plan: inout [Int64]) {}

    override func fire(_ e: Engine) {
        request(e, next)
        turn += 1
        turnsLeft -= 1
        if turnsLeft > 0 {
            next += max(1000, gap())
            if next >= end { next = .max }
            return
        }
        next = nextSession(after: next + 30_000)
    }

    func nextSession(after t: Int64) -> Int64 {
        while true {
            while planIdx < plan.count {
                var s = plan[planIdx]
                planIdx += 1
                if s < t {
                    if t - s > 2 * SimTime.msPerHour { continue }
                    s = t + Int64(rng.int(60_000, 900_000))   // still busy: start a bit later
                }
                if s >= end { return .max }
                startSession(s)
                return s
            }
            day += 1
            let dayStart = day * SimTime.msPerDay - tz
            if dayStart >= end { return .max }
            makePlan(dayStart: dayStart, notBefore: t)
        }
    }

    private func startSession(_ s: Int64) {
        mustAct = false
        turnsLeft = max(1, sessionLength())
        turn = 0
        session = rng.next() | 1
        sessionStart = s
        beginSession(at: s)
    }

    private func makePlan(dayStart: Int64, notBefore t: Int64) {
        plan.removeAll(keepingCapacity: true)
        planIdx = 0
        let wd = SimTime.weekday(day: day)
        let weekend = wd >= 5
        var mean = sessionsPerDay * (weekend ? rhythm.weekend : 1)
        if !weekend && rng.chance(rhythm.dayOff) { mean = 0 }
        if weekend && rng.chance(rhythm.dayOff * 0.5) { mean = 0 }
        let n = rng.poisson(mean)
        for _ in 0..<n { plan.append(dayStart + rhythm.sampleTime(&rng)) }
        extraSessions(day: day, dayStart: dayStart, into: &plan)
        let dayEnd = min(dayStart + SimTime.msPerDay, end)
        if mustAct && !plan.contains(where: { $0 >= t && $0 < dayEnd }) && t < dayEnd {
            let lo = max(t, dayStart)
            var pickT: Int64 = -1
            for _ in 0..<12 {
                let c = dayStart + rhythm.sampleTime(&rng)
                if c >= lo && c < dayEnd { pickT = c; break }
            }
            if pickT < 0 { pickT = lo + Int64(rng.below(Int(max(1, (dayEnd - lo) / 2)))) }
            plan.append(pickT)
        }
        plan.sort()
    }
}
