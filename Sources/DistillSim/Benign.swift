// Ordinary customers. Several of them share one trait with a campaign (a card, an IP, bursts,
// templated prompts, a model switch) so that no single field separates the classes.

/// A person using the product for everyday things, from home (a browser app or an SDK).
final class CasualUser: HumanActor {
    let origins: [Origin]
    let ua: Int32
    let sdk: Bool
    let intl: Double          // share of sessions in the user's own language
    let policy: ModelPolicy
    let release: Int64
    var context = 0
    var origin: Origin
    var useIntl = false
    var key = 0
    static let usage = Usage(outMedian: 330, outSigma: 0.8, outMax: 6000, thinkP: 0.12, reasonMedian: 600, rateLimitP: 0.0003, retryP: 0.001)

    init(account: Account, origins: [Origin], ua: Int32, sdk: Bool, intl: Double, tzMinutes: Int, rhythm: Rhythm = .casual,
         perDay: Double, policy: ModelPolicy, from: Int64, end: Int64, release: Int64, rng: Rng) {
        self.origins = origins; self.ua = ua; self.sdk = sdk; self.intl = intl; self.policy = policy; self.release = release
        origin = origins[0]
        super.init(account: account, rhythm: rhythm, tzMinutes: tzMinutes, sessionsPerDay: perDay, from: from, end: end, rng: rng)
    }

    override func sessionLength() -> Int {
        if sdk && rng.chance(0.7) { return 1 }
        let u = rng.unit()
        return u < 0.42 ? 1 : u < 0.62 ? 2 : u < 0.76 ? 3 : rng.int(4, 12)
    }

    override func gap() -> Int64 { Int64(rng.logNormal(median: 70_000, sigma: 0.8)) }

    override func beginSession(at t: Int64) {
        origin = origins[origins.count == 1 || rng.chance(0.75) ? 0 : rng.below(origins.count)]
        useIntl = rng.chance(intl)
        context = 0
        key = rng.below(account.keys.count)
    }

    override func request(_ e: Engine, _ t: Int64) {
        if turn == 0 {
            if useIntl { e.render(Rules.casualIntl, &rng) } else { writeCasualOpener(e, &rng) }
        } else {
            e.render(useIntl ? Rules.casualIntlFollowup : Rules.casualFollowup, &rng)
        }
        var x = Exchange()
        x.ts = t
        x.key = key
        x.session = (sdk && turnsLeft == 1 && turn == 0) ? 0 : session
        x.origin = origin
        x.ua = ua
        x.model = policy.pick(t, release: release, &rng)
        var u = CasualUser.usage
        u.extraInput = context
        context += e.prompt.count / 4 + 350
        e.emit(x, account, u, &rng)
    }
}

/// A developer working with an IDE agent: user turns followed by tool round trips.
final class Developer: HumanActor {
    let lang: DevLang
    let ide: Int
    let ua: Int32
    let home: [Origin]
    let office: Origin?
    let officeTz: Int64
    let policy: ModelPolicy
    let release: Int64
    let minTurns: Double, maxTurns: Double
    var pendingTools = 0
    var context = 0
    var userTurns = 0
    var origin: Origin

    init(account: Account, lang: DevLang, ide: Int, ua: Int32, home: [Origin], office: Origin?, tzMinutes: Int,
         perDay: Double, turns: (Double, Double), policy: ModelPolicy, from: Int64, end: Int64, release: Int64, rng: Rng) {
        self.lang = lang; self.ide = ide; self.ua = ua; self.home = home; self.office = office
        officeTz = Int64(tzMinutes) * SimTime.msPerMinute
        self.policy = policy; self.release = release
        minTurns = turns.0; maxTurns = turns.1
        origin = home[0]
        super.init(account: account, rhythm: .work, tzMinutes: tzMinutes, sessionsPerDay: perDay, from: from, end: end, rng: rng)
    }

    override func sessionLength() -> Int { Int(rng.logUniform(minTurns, maxTurns)) }

    override func gap() -> Int64 {
        pendingTools > 0 ? Int64(rng.logNormal(median: 7_000, sigma: 0.7)) : Int64(rng.logNormal(median: 75_000, sigma: 0.9))
    }

    override func beginSession(at t: Int64) {
        pendingTools = 0
        userTurns = 0
        context = 0
        let localHour = Int(((t + officeTz) % SimTime.msPerDay + SimTime.msPerDay) % SimTime.msPerDay / SimTime.msPerHour)
        let weekday = SimTime.weekday(day: SimTime.floorDiv(t + officeTz, SimTime.msPerDay))
        if let o = office, weekday < 5, localHour >= 8, localHour < 19, rng.chance(0.9) {
            origin = o
        } else {
            origin = home[rng.below(home.count)]
        }
    }

    override func request(_ e: Engine, _ t: Int64) {
        let r = Rules.dev[lang.rawValue]
        if pendingTools > 0 {
            e.render(r.toolResult, &rng)
            pendingTools -= 1
        } else {
            e.render(userTurns == 0 ? r.task : r.followup, &rng)
            userTurns += 1
            pendingTools = rng.int(0, 7)
        }
        var x = Exchange()
        x.ts = t
        x.session = session
        x.origin = origin
        x.ua = ua
        x.model = policy.pick(t, release: release, &rng)
        x.toolsFp = Clients.ides[ide].tools
        x.systemFp = Clients.ides[ide].system
        var u = Usage(outMedian: 420, outSigma: 0.9, outMax: 12_000, thinkP: 0.3, reasonMedian: 1200, rateLimitP: 0.002, retryP: 0.001)
        u.extraInput = 9_000 + context
        context = min(150_000, context + e.prompt.count / 3 + rng.int(300, 3000))
        e.emit(x, account, u, &rng)
    }
}

/// A university class that meets twice a week and works through the same homework.
final class ClassSchedule {
    let seed: UInt64
    let meetDays: [Int]          // 0 = Monday
    let startMinute: Int         // local
    let tz: Int64
    let family: [Int]            // problem rules of the course
    let nat: Origin
    /// A campus whose NAT spreads over several addresses of its range (empty: `nat` alone).
    let natPool: [Origin]

    init(seed: UInt64, meetDays: [Int], startMinute: Int, tzMinutes: Int, family: [Int], nat: Origin, natPool: [Origin] = []) {
        self.seed = seed; self.meetDays = meetDays; self.startMinute = startMinute
        tz = Int64(tzMinutes) * SimTime.msPerMinute; self.family = family; self.nat = nat; self.natPool = natPool
    }

    /// The k-th problem of a week's set: the same text for every student.
    func problem(week: Int64, k: Int, grammar: Grammar) -> [UInt8] {
        var r = Rng(seed: seed, stream: UInt64(week) &* 64 &+ UInt64(k))
        return grammar.render(family[(Int(week) + k) % family.count], &r)
    }
}

final class Student: HumanActor {
    let schedule: ClassSchedule
    let ua: Int32
    let policy: ModelPolicy
    let release: Int64
    var homework = false
    var week: Int64 = 0
    var problemK = 0
    var context = 0
    /// Asks for the full worked solution to every homework problem, and reads it at length.
    let workedSolutions: Bool

    init(account: Account, schedule: ClassSchedule, ua: Int32, policy: ModelPolicy, tzMinutes: Int, from: Int64, end: Int64, release: Int64,
         workedSolutions: Bool = false, rng: Rng) {
        self.schedule = schedule; self.ua = ua; self.policy = policy; self.release = release; self.workedSolutions = workedSolutions
        super.init(account: account, rhythm: .student, tzMinutes: tzMinutes, sessionsPerDay: 0.55, from: from, end: end, rng: rng)
    }

    override func extraSessions(day: Int64, dayStart: Int64, into plan: inout [Int64]) {
        if schedule.meetDays.contains(SimTime.weekday(day: day)) && rng.chance(0.85) {
            plan.append(dayStart + Int64(schedule.startMinute + rng.int(4, 70)) * SimTime.msPerMinute)
        }
    }

    override func beginSession(at t: Int64) {
        let local = t + schedule.tz
        let day = SimTime.floorDiv(local, SimTime.msPerDay)
        let minute = Int((local - day * SimTime.msPerDay) / SimTime.msPerMinute)
        homework = schedule.meetDays.contains(SimTime.weekday(day: day)) && minute >= schedule.startMinute && minute < schedule.startMinute + 80
        week = SimTime.floorDiv(day + 3, 7)
        problemK = rng.int(0, 2)
        context = 0
    }

    override func sessionLength() -> Int { homework ? rng.int(2, 10) : rng.int(1, 4) }
    override func gap() -> Int64 { Int64(rng.logNormal(median: homework ? 100_000 : 60_000, sigma: 0.6)) }

    override func request(_ e: Engine, _ t: Int64) {
        if homework {
            if turn == 0 || rng.chance(0.3) {
                if turn > 0 { e.render(Rules.hwNext, &rng); problemK += 1 }
                e.render(Rules.hwPre, &rng)
                var p = schedule.problem(week: week, k: problemK % 5, grammar: e.grammar)
                if rng.chance(0.3) { lowercaseASCII(&p) }
                e.prompt.append(contentsOf: p)
                if workedSolutions { e.render(Rules.hwWorked, &rng) } else { e.render(Rules.hwPost, &rng) }
            } else {
                e.render(Rules.hwFollowup, &rng)
            }
        } else {
            if turn == 0 { writeCasualOpener(e, &rng) } else { e.render(Rules.casualFollowup, &rng) }
        }
        var x = Exchange()
        x.ts = t
        x.session = session
        x.origin = schedule.natPool.isEmpty ? schedule.nat : schedule.natPool[rng.below(schedule.natPool.count)]
        x.ua = ua
        x.model = policy.pick(t, release: release, &rng)
        var u = workedSolutions && homework
            ? Usage(outMedian: 1700, outSigma: 0.6, outMax: 9000, thinkP: 0.5, reasonMedian: 1400, rateLimitP: 0.0004, retryP: 0.001)
            : Usage(outMedian: 420, outSigma: 0.7, outMax: 5000, thinkP: 0.15, reasonMedian: 700, rateLimitP: 0.0004, retryP: 0.001)
        u.extraInput = context
        context += e.prompt.count / 4 + 420
        e.emit(x, account, u, &rng)
    }
}

/// A first message: the request itself, often wrapped in a little context.
func writeCasualOpener(_ e: Engine, _ rng: inout Rng) {
    if rng.chance(0.4) { e.render(Rules.casualPre, &rng) }
    e.render(Rules.casualOpener, &rng)
    if rng.chance(0.35) {
        // Close the sentence first, as people mostly do.
        if let last = e.prompt.last, (last >= 48 && last <= 57) || (last | 32 >= 97 && last | 32 <= 122) {
            e.prompt.append(rng.chance(0.7) ? 46 : 63)
        }
        e.render(Rules.casualPost, &rng)
    }
}

func lowercaseASCII(_ b: inout [UInt8]) {
    for i in b.indices where b[i] >= 65 && b[i] <= 90 { b[i] += 32 }
}

/// A steady Poisson stream, optionally modulated by a 24-hour wave (thinning).
class MachineActor: SimActor {
    let end: Int64
    let meanGap: Double      // ms, at peak rate
    let wave: [Double]?      // 24 hourly factors in [0, 1], UTC hours
    let from: Int64

    init(perDay: Double, from: Int64, end: Int64, wave: [Double]?, rng: Rng) {
        self.end = end; self.from = from; self.wave = wave
        let peak = wave.map { w in w.reduce(0, +) / 24 } ?? 1
        meanGap = Double(SimTime.msPerDay) / max(0.001, perDay) * peak
        super.init(rng: rng)
        next = from
    }

    func advance() {
        var t = next
        while true {
            t += Int64(rng.exponential(meanGap)) + 1
            if t >= end { next = .max; return }
            if let w = wave {
                let h = Int((t % SimTime.msPerDay + SimTime.msPerDay) % SimTime.msPerDay / SimTime.msPerHour)
                if !rng.chance(w[h]) { continue }
            }
            next = t
            return
        }
    }
}

/// Shifts a local-time wave to UTC hours.
func utcWave(_ local: [Double], tzMinutes: Int) -> [Double] {
    let shift = Int((Double(tzMinutes) / 60).rounded())
    let m = local.max() ?? 1
    return (0..<24).map { h in local[((h + shift) % 24 + 24) % 24] / m }
}

/// A service account of a company's batch pipeline: summaries, classification, extraction.
final class BatchWorker: MachineActor {
    let account: Account
    let origins: [Origin]
    let ua: Int32
    let systemFp: UInt64
    let release: Int64

    init(account: Account, origins: [Origin], ua: Int32, systemFp: UInt64, perDay: Double, wave: [Double], from: Int64, end: Int64, release: Int64, rng: Rng) {
        self.account = account; self.origins = origins; self.ua = ua; self.systemFp = systemFp; self.release = release
        super.init(perDay: perDay, from: from, end: end, wave: wave, rng: rng)
    }

    override func fire(_ e: Engine) {
        e.render(Rules.bizJob, &rng)
        var x = Exchange()
        x.ts = next
        x.key = rng.below(account.keys.count)
        x.origin = origins[rng.below(origins.count)]
        x.ua = ua
        x.model = rng.chance(0.75) ? .haiku4 : .sonnet4
        x.systemFp = systemFp
        let u = Usage(outMedian: 70, outSigma: 0.6, outMax: 600, thinkP: 0, rateLimitP: 0.002, extraInput: 650, retryP: 0.001)
        e.emit(x, account, u, &rng)
        advance()
    }
}

/// One of the reseller's request pipelines: a stream of its own users' conversations.
final class ResellerLane: SimActor {
    let account: Account
    let origins: [Origin]
    let ua: Int32
    let systemFp: UInt64
    let endUsers: Int
    let euSalt: UInt64
    let wave: [Double]
    let meanGap: Double
    let end: Int64
    let release: Int64
    let switchAt: Int64
    var turnsLeft = 0
    var turn = 0
    var session: UInt64 = 0
    var endUser: UInt64 = 0
    var intl = false
    var context = 0

    init(account: Account, origins: [Origin], ua: Int32, systemFp: UInt64, endUsers: Int, euSalt: UInt64, wave: [Double],
         sessionsPerDay: Double, from: Int64, end: Int64, release: Int64, switchAt: Int64, rng: Rng) {
        self.account = account; self.origins = origins; self.ua = ua; self.systemFp = systemFp; self.endUsers = endUsers
        self.euSalt = euSalt; self.wave = wave; self.end = end; self.release = release; self.switchAt = switchAt
        meanGap = Double(SimTime.msPerDay) / sessionsPerDay * (wave.reduce(0, +) / 24)
        super.init(rng: rng)
        next = from + Int64(self.rng.exponential(meanGap))
        newSession()
    }

    private func newSession() {
        // Skewed: a few end users are very active, most show up rarely.
        let idx = Int(Double(endUsers) * rng.unit() * rng.unit())
        endUser = mix64(euSalt ^ UInt64(idx)) & 0xFF_FFFF_FFFF
        session = rng.next() | 1
        let u = rng.unit()
        turnsLeft = u < 0.35 ? 1 : u < 0.6 ? 2 : rng.int(3, 9)
        turn = 0
        intl = rng.chance(0.08)
        context = 0
    }

    override func fire(_ e: Engine) {
        if turn == 0 {
            if intl { e.render(Rules.casualIntl, &rng) } else { writeCasualOpener(e, &rng) }
        } else {
            e.render(intl ? Rules.casualIntlFollowup : Rules.casualFollowup, &rng)
        }
        var x = Exchange()
        x.ts = next
        x.endUser = endUser
        x.session = session
        x.origin = origins[rng.below(origins.count)]
        x.ua = ua
        x.systemFp = systemFp
        // The product switches its default model wholesale a day and a half after the release.
        x.model = next >= switchAt ? (rng.chance(0.96) ? .opus5 : .haiku4) : (rng.chance(0.85) ? .sonnet4 : .haiku4)
        var u = Usage(outMedian: 300, outSigma: 0.8, outMax: 4000, thinkP: 0.05, reasonMedian: 500, rateLimitP: 0.004, retryP: 0.001)
        u.extraInput = 420 + context
        context += e.prompt.count / 4 + 300
        e.emit(x, account, u, &rng)
        turn += 1
        turnsLeft -= 1
        if turnsLeft > 0 {
            next += Int64(rng.logNormal(median: 45_000, sigma: 0.8)) + 2000
        } else {
            newSession()
            var t = next
            while true {
                t += Int64(rng.exponential(meanGap)) + 1
                let h = Int(t % SimTime.msPerDay / SimTime.msPerHour)
                if rng.chance(wave[h]) { break }
            }
            next = t
        }
        if next >= end { next = .max }
    }
}

/// A lab's evaluation harness: the whole benchmark bank, in bursts, across a few accounts.
final class EvalHarness: SimActor {
    struct Run { var start: Int64; var duration: Int64; var models: [Model] }
    let accounts: [Account]
    let origins: [Origin]
    let ua: Int32
    let bankSeed: UInt64
    let bankSize: Int
    let runs: [Run]
    let end: Int64
    var runIdx = 0
    var pos = 0          // position within the run: model * bankSize + item
    var meanGap = 1000.0
    var counter = 0

    init(accounts: [Account], origins: [Origin], ua: Int32, bankSeed: UInt64, bankSize: Int, runs: [Run], end: Int64, rng: Rng) {
        self.accounts = accounts; self.origins = origins; self.ua = ua; self.bankSeed = bankSeed
        self.bankSize = bankSize; self.runs = runs; self.end = end
        super.init(rng: rng)
        startRun(0)
    }

    private func startRun(_ i: Int, notBefore: Int64 = .min) {
        runIdx = i
        pos = 0
        guard i < runs.count, runs[i].start < end else { next = .max; return }
        let total = bankSize * runs[i].models.count
        meanGap = Double(runs[i].duration) / Double(total)
        next = max(runs[i].start, notBefore)
    }

    /// Item texts depend only on the bank seed and index, so every run repeats them exactly.
    @discardableResult
    static func writeItem(_ i: Int, bankSeed: UInt64, _ e: Engine) -> Bool {
        var r = Rng(seed: bankSeed, stream: UInt64(i))
        let si = i % Subjects.all.count
        let subj = Subjects.all[si]
        let family = Rules.subjectFamily[si]
        let style = r.unit()
        if style < 0.5 {
            e.render(family, &r)
            e.append(r.chance(0.8) ? "\nLet's think step by step." : "\nA: Let's think step by step.")
            return true
        } else if style < 0.85 {
            e.append("The following are multiple choice questions (with answers) about \(subj.display).\n\n")
            e.render(family, &r)
            let opt = Subjects.numericFamilies.contains(subj.family) ? Rules.mcNum : Rules.mcText
            for letter in ["A", "B", "C", "D"] {
                e.append("\n\(letter). ")
                e.render(opt, &r)
            }
            e.append("\nAnswer:")
        } else {
            e.append("Question: ")
            e.render(family, &r)
            e.append("\nAnswer:")
        }
        return false
    }

    override func fire(_ e: Engine) {
        let run = runs[runIdx]
        let item = pos % bankSize
        let cot = EvalHarness.writeItem(item, bankSeed: bankSeed, e)
        var x = Exchange()
        x.ts = next
        let acct = accounts[counter % accounts.count]
        counter += 1
        x.key = counter / accounts.count
        x.origin = origins[rng.below(origins.count)]
        x.ua = ua
        x.model = run.models[pos / bankSize]
        let u = Usage(outMedian: cot ? 380 : 4, outSigma: cot ? 0.6 : 0.3, outMax: cot ? 4000 : 16, thinkP: cot ? 0.3 : 0,
                      reasonMedian: 900, rateLimitP: 0.02, extraInput: 0, retryP: 0.001)
        e.emit(x, acct, u, &rng)
        pos += 1
        if pos >= bankSize * run.models.count {
            startRun(runIdx + 1, notBefore: next + 60_000)
        } else {
            next += Int64(rng.exponential(meanGap)) + 1
        }
        if next >= end { next = .max }
    }
}
