// Distillation operators. Each style leans on a different weakness of per-account review.

/// Writes a chain-of-thought sweep or a rubric-grading prompt over a random subject.
func writeHarvestPrompt(_ e: Engine, _ rng: inout Rng, rubricShare: Double) {
    let fam = Rules.families[rng.below(Rules.families.count)]
    if rng.chance(rubricShare) {
        e.render(Rules.rubricPrefix, &rng)
        e.append("\n\nQuestion: ")
        e.render(fam, &rng)
        e.append("\n\nCandidate answer: ")
        e.render(Rules.draftAnswer, &rng)
        e.append("\n\n")
        e.render(Rules.rubric, &rng)
    } else {
        e.render(Rules.cotPrefix, &rng)
        e.append(rng.chance(0.7) ? "\n\n" : " ")
        e.render(fam, &rng)
        e.render(Rules.cotSuffix, &rng)
    }
}

/// What a whole farm shares: its egress pool, client build, system prompts and model plan.
final class FarmKit {
    let origins: [Origin]
    let uas: [Int32]
    let systemFps: [UInt64]
    let policy: ModelPolicy
    let usage: Usage

    init(origins: [Origin], uas: [Int32], systemFps: [UInt64], policy: ModelPolicy, usage: Usage) {
        self.origins = origins; self.uas = uas; self.systemFps = systemFps; self.policy = policy; self.usage = usage
    }
}

/// Load-balanced farm account: flat 24/7 rate, every request leaves through the shared pool.
final class FarmAccount: MachineActor {
    let account: Account
    let kit: FarmKit
    let release: Int64
    var followUpSession: UInt64 = 0
    var followUpAt: Int64 = 0

    init(account: Account, kit: FarmKit, perDay: Double, from: Int64, end: Int64, release: Int64, rng: Rng) {
        self.account = account; self.kit = kit; self.release = release
        super.init(perDay: perDay, from: from, end: end, wave: nil, rng: rng)
    }

    override func fire(_ e: Engine) {
        var x = Exchange()
        x.ts = next
        if followUpSession != 0 {
            e.render(Rules.verify, &rng)
            x.session = followUpSession
            followUpSession = 0
        } else {
            writeHarvestPrompt(e, &rng, rubricShare: 0.3)
            if rng.chance(0.1) { followUpSession = rng.next() | 1; x.session = followUpSession }
        }
        x.key = rng.below(account.keys.count)
        x.origin = kit.origins[rng.below(kit.origins.count)]
        x.ua = kit.uas[rng.below(kit.uas.count)]
        x.model = kit.policy.pick(next, release: release, &rng)
        if rng.chance(0.8) { x.systemFp = kit.systemFps[rng.below(kit.systemFps.count)] }
        e.emit(x, account, kit.usage, &rng)
        if followUpSession != 0 {
            next += Int64(rng.int(20_000, 90_000))
            if next >= end { next = .max }
        } else {
            advance()
        }
    }

    static let verify = [
        "Now verify your answer by re-deriving it step by step in a different way.",
        "Check each step of your reasoning above and correct any mistakes, explaining why.",
        "Explain the same solution again, but more rigorously, justifying every step.",
        "List every assumption you made and re-check the reasoning with each one.",
    ]
}

/// Stealth farm account: human hours, its own card, but every request from a fresh residential proxy.
final class StealthAccount: HumanActor {
    let ua: Int32
    let proxyISPs: [ISP]
    let ideTools: UInt64
    let ideShare: Double
    let policy: ModelPolicy
    let release: Int64

    init(account: Account, ua: Int32, proxyISPs: [ISP], ideTools: UInt64, ideShare: Double, tzMinutes: Int, perDay: Double,
         policy: ModelPolicy, from: Int64, end: Int64, release: Int64, rng: Rng) {
        self.ua = ua; self.proxyISPs = proxyISPs; self.ideTools = ideTools; self.ideShare = ideShare
        self.policy = policy; self.release = release
        super.init(account: account, rhythm: .sideJob, tzMinutes: tzMinutes, sessionsPerDay: perDay, from: from, end: end, rng: rng)
    }

    override func sessionLength() -> Int { let u = rng.unit(); return u < 0.45 ? 1 : u < 0.8 ? 2 : 3 }
    override func gap() -> Int64 { Int64(rng.logNormal(median: 95_000, sigma: 0.6)) }

    override func request(_ e: Engine, _ t: Int64) {
        e.render(turn == 0 ? Rules.stealthPrompt : Rules.stealthFollowup, &rng)
        var x = Exchange()
        x.ts = t
        x.key = rng.below(account.keys.count)
        x.session = session
        // Sticky countries most of the time, anywhere otherwise.
        let isp = rng.chance(0.7) ? proxyISPs[rng.below(proxyISPs.count)] : Net.randomISP(&rng)
        x.origin = Net.residential(isp, &rng, v6: rng.chance(0.05))
        x.ua = ua
        x.model = policy.pick(t, release: release, &rng)
        if rng.chance(ideShare) { x.toolsFp = ideTools }
        let u = Usage(outMedian: 1700, outSigma: 0.5, outMax: 9000, thinkP: 0.6, reasonMedian: 1800, rateLimitP: 0.001,
                      extraInput: turn * 2200 + (x.toolsFp != 0 ? 7000 : 300))
        e.emit(x, account, u, &rng)
    }
}

/// A single account pulling as hard as its limits allow.
final class Extractor: MachineActor {
    let account: Account
    let origins: [Origin]
    let ua: Int32
    let policy: ModelPolicy
    let release: Int64

    init(account: Account, origins: [Origin], ua: Int32, perDay: Double, policy: ModelPolicy, from: Int64, end: Int64, release: Int64, rng: Rng) {
        self.account = account; self.origins = origins; self.ua = ua; self.policy = policy; self.release = release
        super.init(perDay: perDay, from: from, end: end, wave: nil, rng: rng)
    }

    override func fire(_ e: Engine) {
        if rng.chance(0.6) {
            let si = rng.below(Subjects.all.count)
            e.append(rng.chance(0.5) ? "Explain your reasoning step by step in detail, then give the final answer.\n\nTopic: "
                                      : "Topic: ")
            e.append(Subjects.all[si].display)
            e.append("\nProblem: ")
            e.render(Rules.subjectFamily[si], &rng)
            e.append(rng.chance(0.5) ? "\n\nThink step by step and show all of your work." : "\n\nGive your complete chain of reasoning.")
        } else {
            writeHarvestPrompt(e, &rng, rubricShare: 0.1)
        }
        var x = Exchange()
        x.ts = next
        x.key = rng.below(account.keys.count)
        x.origin = origins[rng.below(origins.count)]
        x.ua = ua
        x.model = policy.pick(next, release: release, &rng)
        let u = Usage(outMedian: 2600, outSigma: 0.4, outMax: 7000, thinkP: 0.85, reasonMedian: 2200, rateLimitP: 0.06, extraInput: 40)
        e.emit(x, account, u, &rng)
        advance()
    }
}

/// Polyglot farm account: the same elicitation in many languages, hosted, active for one wave.
final class PolyglotAccount: MachineActor {
    let account: Account
    let origins: [Origin]
    let ua: Int32
    let policy: ModelPolicy
    let release: Int64
    static let weights: [Double] = Rules.polyglot.map { $0.weight }

    init(account: Account, origins: [Origin], ua: Int32, perDay: Double, wave: [Double], policy: ModelPolicy,
         from: Int64, until: Int64, release: Int64, rng: Rng) {
        self.account = account; self.origins = origins; self.ua = ua; self.policy = policy; self.release = release
        super.init(perDay: perDay, from: from, end: until, wave: wave, rng: rng)
    }

    override func fire(_ e: Engine) {
        e.render(Rules.polyglot[rng.weighted(PolyglotAccount.weights)].rule, &rng)
        var x = Exchange()
        x.ts = next
        x.origin = origins[rng.below(origins.count)]
        x.ua = ua
        x.model = policy.pick(next, release: release, &rng)
        let u = Usage(outMedian: 2300, outSigma: 0.45, outMax: 7000, thinkP: 0.8, reasonMedian: 2000, rateLimitP: 0.004, extraInput: 20)
        e.emit(x, account, u, &rng)
        advance()
    }
}

/// Churn farm account: lives a day or three, launders traces through "safe rewrites", then is dropped.
final class ChurnAccount: MachineActor {
    let account: Account
    let origin: Origin
    let ua: Int32
    let toolsFp: UInt64
    let policy: ModelPolicy
    let release: Int64
    var session: UInt64 = 0
    var turnsLeft = 0

    init(account: Account, origin: Origin, ua: Int32, toolsFp: UInt64, perDay: Double, policy: ModelPolicy,
         from: Int64, until: Int64, release: Int64, rng: Rng) {
        self.account = account; self.origin = origin; self.ua = ua; self.toolsFp = toolsFp; self.policy = policy; self.release = release
        super.init(perDay: perDay, from: from, end: until, wave: nil, rng: rng)
    }

    override func fire(_ e: Engine) {
        var x = Exchange()
        if turnsLeft > 0 {
            e.append(rng.pick(ChurnAccount.more))
            turnsLeft -= 1
        } else {
            e.render(Rules.churnPrompt, &rng)
            session = rng.chance(0.5) ? rng.next() | 1 : 0
            if session != 0 && rng.chance(0.4) { turnsLeft = 1 }
        }
        x.ts = next
        x.session = session
        x.origin = origin
        x.ua = ua
        x.toolsFp = rng.chance(0.85) ? toolsFp : 0
        x.model = policy.pick(next, release: release, &rng)
        let u = Usage(outMedian: 2100, outSigma: 0.45, outMax: 7000, thinkP: 0.7, reasonMedian: 1600, rateLimitP: 0.003, extraInput: 1800)
        e.emit(x, account, u, &rng)
        if turnsLeft > 0 {
            next += Int64(rng.int(15_000, 60_000))
            if next >= end { next = .max }
        } else {
            advance()
        }
    }

    static let more = [
        "Now do the same for the next one, keeping every reasoning step.",
        "Expand step 2 and step 3 into more detailed reasoning.",
        "Good. Rewrite it once more in a more formal tone, keeping all steps.",
    ]
}
