// Honest populations that share one trait each with the red-team campaigns: a popular agent
// framework's harness, a hackathon's synchrony and creation burst, a tutoring platform's
// step-by-step explanations at volume. Each is drawn from wide ranges, like the campaigns.

/// What an open-source agent framework ships to every user: one tool schema, one system prompt.
struct Framework: Sendable {
    let ua: String
    let tools: UInt64
    let system: UInt64

    static let popular: [Framework] = [
        Framework(ua: "langchain-anthropic/0.3.12 Anthropic/Python 0.49.0", tools: 0x5a1c_0e77_39b2_d4f1, system: 0x19e2_c4a8_7d30_55b6),
        Framework(ua: "crewai/0.118.0 litellm/1.67.0", tools: 0xc3e8_214f_9a06_7b2d, system: 0x77f1_0b3c_e25a_9d48),
        Framework(ua: "openhands/0.36.1 litellm/1.67.0", tools: 0x2d9f_b710_64ce_a153, system: 0xe0a4_5f27_1cb9_803e),
    ]
}

/// One developer building on an agent framework. Developers differ in how much, how long and
/// what they ask; only the framework's harness is the same.
final class FrameworkUser: HumanActor {
    let framework: Framework
    let ua: Int32
    let lang: Int
    let home: Origin
    let venue: Origin?
    let venueUntil: Int64
    let policy: ModelPolicy
    let release: Int64
    let minTurns: Double, maxTurns: Double
    let asksReasoning: Double
    let usage: Usage
    var pendingTools = 0
    var context = 0

    init(account: Account, framework: Framework, ua: Int32, lang: Int, home: Origin, venue: Origin?, venueUntil: Int64,
         rhythm: Rhythm, tzMinutes: Int, perDay: Double, policy: ModelPolicy, from: Int64, end: Int64, release: Int64, rng: Rng) {
        self.framework = framework; self.ua = ua; self.lang = lang; self.home = home; self.venue = venue; self.venueUntil = venueUntil
        self.policy = policy; self.release = release
        var r = rng
        minTurns = r.uniform(2, 6)
        maxTurns = minTurns * r.uniform(2, 10)
        asksReasoning = r.chance(0.5) ? 0 : r.uniform(0.02, 0.3)
        usage = Usage(outMedian: r.logUniform(250, 2200), outSigma: r.uniform(0.5, 1.0), outMax: 12_000, thinkP: r.uniform(0.05, 0.9),
                      reasonMedian: r.logUniform(400, 2000), rateLimitP: 0.002, retryP: 0.001)
        super.init(account: account, rhythm: rhythm, tzMinutes: tzMinutes, sessionsPerDay: perDay, from: from, end: end, rng: r)
    }

    override func sessionLength() -> Int { Int(rng.logUniform(minTurns, maxTurns)) }

    override func gap() -> Int64 {
        pendingTools > 0 ? Int64(rng.logNormal(median: 6_000, sigma: 0.8)) : Int64(rng.logNormal(median: 80_000, sigma: 1.0))
    }

    override func beginSession(at t: Int64) { pendingTools = 0; context = 0 }

    override func request(_ e: Engine, _ t: Int64) {
        let r = Rules.dev[lang]
        if pendingTools > 0 {
            e.render(r.toolResult, &rng)
            pendingTools -= 1
        } else {
            if rng.chance(asksReasoning) { e.append(rng.pick(Self.reasoningAsks) + "\n\n") }
            e.render(turn == 0 ? r.task : r.followup, &rng)
            pendingTools = rng.int(0, 6)
        }
        var x = Exchange()
        x.ts = t
        x.session = session
        x.origin = venue != nil && t < venueUntil && rng.chance(0.8) ? venue! : home
        x.ua = ua
        x.model = policy.pick(t, release: release, &rng)
        x.toolsFp = framework.tools
        x.systemFp = framework.system
        var u = usage
        u.extraInput = 6_000 + context
        context = min(150_000, context + e.prompt.count / 3 + rng.int(300, 3000))
        e.emit(x, account, u, &rng)
    }

    static let reasoningAsks = [
        "Explain your reasoning for this change.", "Think step by step about why this fails.",
        "Explain your answer before editing anything.", "Walk me through the fix.",
    ]
}

/// A homework-help platform: students ask for worked solutions, around the clock in term time.
final class TutoringLane: MachineActor {
    let account: Account
    let origins: [Origin]
    let ua: Int32
    let systemFp: UInt64
    let students: Int
    let salt: UInt64
    let fullShare: Double
    var session: UInt64 = 0
    var turnsLeft = 0
    var student: UInt64 = 0

    init(account: Account, origins: [Origin], ua: Int32, systemFp: UInt64, students: Int, fullShare: Double, perDay: Double,
         wave: [Double], from: Int64, end: Int64, rng: Rng) {
        self.account = account; self.origins = origins; self.ua = ua; self.systemFp = systemFp; self.students = students
        self.fullShare = fullShare
        var r = rng
        salt = r.next()
        super.init(perDay: perDay, from: from, end: end, wave: wave, rng: r)
    }

    override func fire(_ e: Engine) {
        if turnsLeft == 0 {
            student = mix64(UInt64(rng.below(students)) ^ salt) & 0xFF_FFFF_FFFF
            session = rng.next() | 1
            turnsLeft = rng.chance(0.5) ? 1 : rng.int(2, 6)
            e.render(Rules.hwPre, &rng)
            e.render(Rules.families[rng.below(Rules.families.count)], &rng)
            e.append(rng.chance(fullShare) ? "\n\nShow all your reasoning so I can follow it." : "\n\nCan you explain it step by step?")
        } else {
            e.render(Rules.hwFollowup, &rng)
        }
        turnsLeft -= 1
        var x = Exchange()
        x.ts = next
        x.session = session
        x.endUser = student | 1
        x.origin = origins[rng.below(origins.count)]
        x.ua = ua
        x.model = rng.chance(0.7) ? .sonnet4 : .haiku4
        x.systemFp = systemFp
        let u = Usage(outMedian: 900, outSigma: 0.6, outMax: 6000, thinkP: 0.3, reasonMedian: 900, rateLimitP: 0.003, extraInput: 900, retryP: 0.001)
        e.emit(x, account, u, &rng)
        advance()
    }
}

/// One lane of a company's model-as-judge pipeline (course marking, or scoring another model's
/// replies): single requests from one template, a short verdict in a fixed shape, all day from
/// the company's cloud. Rubrics and grading at volume are what a reward-model harvest asks for
/// too; here one declared customer runs them in the open.
final class GradingLane: MachineActor {
    let account: Account
    let origins: [Origin]
    let ua: Int32
    let systemFp: UInt64
    let job: Int
    let model: Model

    init(account: Account, origins: [Origin], ua: Int32, systemFp: UInt64, job: Int, model: Model, perDay: Double,
         wave: [Double], from: Int64, end: Int64, rng: Rng) {
        self.account = account; self.origins = origins; self.ua = ua; self.systemFp = systemFp; self.job = job; self.model = model
        super.init(perDay: perDay, from: from, end: end, wave: wave, rng: rng)
    }

    override func fire(_ e: Engine) {
        e.render(job, &rng)
        var x = Exchange()
        x.ts = next
        x.key = rng.below(account.keys.count)
        x.origin = origins[rng.below(origins.count)]
        x.ua = ua
        x.model = model
        x.systemFp = systemFp
        // A verdict and a sentence; a reasoning model thinks a little before it.
        let u = Usage(outMedian: 90, outSigma: 0.5, outMax: 700, thinkP: 0.35, reasonMedian: 250, rateLimitP: 0.003, extraInput: 350, retryP: 0.002)
        e.emit(x, account, u, &rng)
        advance()
    }
}
