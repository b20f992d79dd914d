// Red-team campaigns drawn along independent axes, so that no detector can lean on one
// generator's habits. Every axis has values used while tuning and values kept back: the
// hold-out scenario draws campaigns whose combination includes kept-back values, and nothing
// about those is ever tuned against.

/// One campaign's choices, one per axis.
struct RedTeamDraw: Sendable {
    enum Identity: String, CaseIterable, Sendable { case ownCard, pairedCards, sharedCards, noCard }
    enum Egress: String, CaseIterable, Sendable { case freshResidential, freshCloud, stickyResidential, cloudPool }
    enum Client: String, CaseIterable, Sendable { case sdk, ide, automation }
    enum Hours: String, CaseIterable, Sendable { case human, roundTheClock, waves }
    enum Shape: String, CaseIterable, Sendable { case single, agentic, chat }
    /// Where the reasoning-eliciting instruction sits: the session's first turn, every turn, now
    /// and then, or nowhere (a reasoning model returns its reasoning unasked, and the answers and
    /// agentic traces are worth harvesting as they are).
    enum Placement: String, CaseIterable, Sendable { case opener, everyTurn, sparse, never }
    /// Phrasing the detector's lexicon lists, or paraphrases it has never seen.
    enum Vocabulary: String, CaseIterable, Sendable { case listed, paraphrased }
    enum Language: String, CaseIterable, Sendable { case english, chinese, russian, spanish, german, japanese }
    /// Exchanges per account per day: around the reports' ordinary-looking ~26, lighter, or a
    /// trickle that leaves each account a session or two before it is judged (or replaced).
    enum Volume: String, CaseIterable, Sendable { case steady, light, trickle }
    /// Ordinary sessions sent through the same accounts to dilute the harvest: none, a third to
    /// a half of all sessions, or most of them. Cheap for an operator, so it must not hide one.
    enum Cover: String, CaseIterable, Sendable { case none, some, most }
    /// How an account starts: at its full rate; ramping up from a tenth of it over days; or
    /// as a sleeper, ordinary traffic only for days before the harvest begins.
    enum Onset: String, CaseIterable, Sendable { case immediate, ramp, sleeper }

    var identity: Identity
    var egress: Egress
    var client: Client
    var hours: Hours
    var shape: Shape
    var placement: Placement
    var vocabulary: Vocabulary
    var language: Language
    var volume: Volume
    var cover: Cover
    var onset: Onset
    /// Tool schemas and system prompts the operator's harness sends (0: none).
    var harnessTools: Int
    var harnessSystems: Int
    var accounts: Int
    var perDay: Double
    /// Share of sessions that are cover (no elicitation, ordinary questions).
    var coverShare: Double
    /// Days a ramp takes, or a sleeper waits (0 when immediate).
    var onsetDays: Double
    /// Days an account lives before it is replaced; nil: the whole window.
    var lifetimeDays: Double?

    /// Axis values never used while tuning.
    static let heldOut: (identity: Set<Identity>, egress: Set<Egress>, client: Set<Client>, hours: Set<Hours>, shape: Set<Shape>,
                         placement: Set<Placement>, vocabulary: Set<Vocabulary>, language: Set<Language>, volume: Set<Volume>,
                         cover: Set<Cover>, onset: Set<Onset>) =
        ([.pairedCards], [.freshCloud, .stickyResidential], [.ide], [.waves], [.chat], [.sparse], [.paraphrased], [.spanish, .german, .japanese],
         [.trickle], [.most], [.sleeper])

    /// How many of this draw's axes take a held-out value.
    var heldOutAxes: Int {
        let h = Self.heldOut
        return [h.identity.contains(identity), h.egress.contains(egress), h.client.contains(client), h.hours.contains(hours),
                h.shape.contains(shape), h.placement.contains(placement), h.vocabulary.contains(vocabulary),
                h.language.contains(language), h.volume.contains(volume), h.cover.contains(cover),
                h.onset.contains(onset)].filter { $0 }.count
    }

    /// A draw for tuning (no held-out value) or for the hold-out (at least two held-out values).
    static func draw(_ r: inout Rng, heldOut: Bool, scale: Double) -> RedTeamDraw {
        func pick<T: CaseIterable & Hashable>(_ all: T.AllCases, _ kept: Set<T>) -> T where T.AllCases == [T] {
            let pool = heldOut ? all : all.filter { !kept.contains($0) }
            return r.pick(pool)
        }
        let h = Self.heldOut
        while true {
            var d = RedTeamDraw(
                identity: pick(Identity.allCases, h.identity), egress: pick(Egress.allCases, h.egress),
                client: pick(Client.allCases, h.client), hours: pick(Hours.allCases, h.hours), shape: pick(Shape.allCases, h.shape),
                placement: pick(Placement.allCases, h.placement), vocabulary: pick(Vocabulary.allCases, h.vocabulary),
                language: pick(Language.allCases, h.language), volume: pick(Volume.allCases, h.volume),
                cover: pick(Cover.allCases, h.cover), onset: pick(Onset.allCases, h.onset),
                harnessTools: 0, harnessSystems: 0, accounts: 0, perDay: 0, coverShare: 0, onsetDays: 0, lifetimeDays: nil)
            if heldOut && d.heldOutAxes < 2 { continue }
            d.harnessTools = r.chance(0.35) ? 0 : r.int(1, 4)
            d.harnessSystems = r.chance(0.35) ? 0 : r.int(1, 8)
            d.accounts = max(8, Int((Double(r.int(40, 220)) * scale).rounded()))
            switch d.volume {
            case .steady: d.perDay = r.uniform(12, 45)
            case .light: d.perDay = r.uniform(6, 12)
            case .trickle: d.perDay = r.uniform(3, 6)
            }
            switch d.cover {
            case .none: d.coverShare = 0
            case .some: d.coverShare = r.uniform(0.3, 0.5)
            case .most: d.coverShare = r.uniform(0.55, 0.75)
            }
            switch d.onset {
            case .immediate: d.onsetDays = 0
            case .ramp: d.onsetDays = r.uniform(2, 5)
            case .sleeper: d.onsetDays = r.uniform(2, 4)
            }
            // Accounts that are aged or ramped are kept, not thrown away after a day or two.
            d.lifetimeDays = d.onset == .immediate && r.chance(0.25) ? r.uniform(1, 3) : nil
            return d
        }
    }

    var summary: String {
        var parts: [String] = []
        parts.append("\(accounts) accounts")
        parts.append("identity \(identity.rawValue)")
        parts.append("egress \(egress.rawValue)")
        parts.append("client \(client.rawValue)")
        parts.append("hours \(hours.rawValue)")
        parts.append("sessions \(shape.rawValue)")
        parts.append(placement == .never ? "elicitation never" : "elicitation \(placement.rawValue)/\(vocabulary.rawValue)/\(language.rawValue)")
        parts.append("harness \(harnessTools) tools + \(harnessSystems) system prompts")
        parts.append("\(Int(perDay))/day")
        if cover != .none { parts.append("cover \(Int((coverShare * 100).rounded()))% of sessions") }
        // Days to a tenth, as "2.5 days".
        func days(_ d: Double) -> String { "\(Int((d * 10).rounded()) / 10).\(Int((d * 10).rounded()) % 10) days" }
        switch onset {
        case .immediate: break
        case .ramp: parts.append("ramping up over \(days(onsetDays))")
        case .sleeper: parts.append("ordinary traffic only for \(days(onsetDays))")
        }
        if let life = lifetimeDays { parts.append("accounts live \(days(life))") }
        return parts.joined(separator: ", ")
    }
}

/// What every account of one red-team campaign shares: the harness, the schedule, the clients.
final class RedTeamKit {
    let draw: RedTeamDraw
    let tools: [UInt64]
    let systems: [UInt64]
    let uas: [Int32]
    let pool: [Origin]
    let isps: [ISP]
    /// For `waves`: minute of the UTC day each wave starts, and how long waves last.
    let waveStarts: [Int64]
    let waveLength: Int64
    let tzMinutes: Int
    /// Turns per session around which the harness's sessions are built.
    let turns: Int
    let devLang: Int
    let usage: Usage

    init(draw d: RedTeamDraw, engine: Engine, world: World, _ r: inout Rng) {
        draw = d
        tools = (0..<d.harnessTools).map { _ in r.next() }
        systems = (0..<d.harnessSystems).map { _ in r.next() }
        switch d.client {
        case .sdk: uas = (0..<r.int(1, 4)).map { _ in world.pickSDK(&r) }
        case .ide: uas = (0..<r.int(1, 3)).map { _ in engine.ua(Clients.ides[r.weighted(Clients.ideWeights)].ua) }
        case .automation: uas = (0..<r.int(1, 2)).map { _ in engine.ua(r.pick(Clients.automation)) }
        }
        let regions = ["digitalocean-nyc", "aws-us-east-1", "hetzner-fsn", "ovh-gra", "linode-fra", "vultr-sgp", "alibaba-sg", "tencent-hk"]
        pool = (0..<r.int(2, 4)).flatMap { _ in world.cloudIPs(Net.cloud(r.pick(regions)), count: r.int(8, 30), &r) }
        var isps: [ISP] = []
        for _ in 0..<r.int(1, 3) { isps += Net.isps(in: Net.randomISP(&r).country) }
        self.isps = isps
        tzMinutes = r.pick(isps[0].tzMinutes)
        waveStarts = (0..<r.int(3, 6)).map { _ in Int64(r.int(0, 24 * 60 - 30)) * SimTime.msPerMinute }.sorted()
        waveLength = Int64(r.int(8, 20)) * SimTime.msPerMinute
        turns = d.shape == .single ? 1 : r.int(3, 10)
        devLang = r.below(DevLang.allCases.count)
        usage = Usage(outMedian: r.uniform(1100, 2600), outSigma: r.uniform(0.3, 0.6), outMax: 9000, thinkP: r.uniform(0.5, 0.95),
                      reasonMedian: r.uniform(900, 2200), rateLimitP: r.uniform(0.0005, 0.02), extraInput: 0)
    }
}

/// One red-team account: sessions on the kit's schedule, turns shaped by the kit's harness.
final class RedTeamAccount: SimActor {
    let account: Account
    let kit: RedTeamKit
    let end: Int64
    let release: Int64
    let policy: ModelPolicy
    let stickyOrigin: Origin
    /// When this account was made: a ramp counts from here.
    let start: Int64
    /// When its first session began: a sleeper's wait counts from here.
    var firstSession: Int64?
    /// Sessions per day, so that exchanges per day come out near the draw's rate.
    let sessionsPerDay: Double
    var turnsLeft = 0
    var turn = 0
    var session: UInt64 = 0
    var context = 0
    /// This session is ordinary traffic sent as cover.
    var covering = false
    var waveShare: Double
    var sessionsLeftInWave = 0

    init(account: Account, kit: RedTeamKit, from: Int64, until: Int64, release: Int64, rng: Rng) {
        self.account = account; self.kit = kit; self.release = release
        end = until
        start = from
        var r = rng
        policy = ModelPolicy(before: [0.05, 0.5, 0.45], adopt: r.uniform(0.3, 0.9), delayMs: Int64(r.uniform(2, 36)) * SimTime.msPerHour, rampMs: SimTime.msPerDay)
        stickyOrigin = Net.residential(r.pick(kit.isps), &r)
        sessionsPerDay = kit.draw.perDay * r.uniform(0.8, 1.2) / Double(max(1, kit.turns))
        waveShare = r.uniform(0.6, 1.0)
        super.init(rng: r)
        next = nextSession(after: from)
    }

    private func localHour(_ t: Int64) -> Int {
        let local = t + Int64(kit.tzMinutes) * SimTime.msPerMinute
        return Int((local % SimTime.msPerDay + SimTime.msPerDay) % SimTime.msPerDay / SimTime.msPerHour)
    }

    func nextSession(after t: Int64) -> Int64 {
        var s = t
        let onsetMs = kit.draw.onsetDays * Double(SimTime.msPerDay)
        // A ramp thins the account's sessions: a tenth of its rate at first, all of it once
        // the ramp is over.
        func rampKeeps(_ s: Int64) -> Bool {
            kit.draw.onset != .ramp || rng.chance(min(1, 0.1 + 0.9 * Double(s - start) / onsetMs))
        }
        repeat {
            switch kit.draw.hours {
            case .roundTheClock:
                s += Int64(rng.exponential(Double(SimTime.msPerDay) / sessionsPerDay)) + 1
            case .human:
                // A Poisson stream thinned by the local hour's weight (people sleep).
                let weights = Self.sideJobHours
                let mean = Double(SimTime.msPerDay) / sessionsPerDay * (weights.reduce(0, +) / 24 / 1.2)
                repeat { s += Int64(rng.exponential(mean)) + 1 } while s < end && !rng.chance(weights[localHour(s)] / 1.2)
            case .waves:
                // Every wave of every day, this account joins with its own probability and runs a
                // few sessions back to back inside it.
                if sessionsLeftInWave > 0 {
                    sessionsLeftInWave -= 1
                    s += Int64(rng.int(20_000, 90_000))
                    break
                }
                let perWave = sessionsPerDay / Double(kit.waveStarts.count) / waveShare
                var day = SimTime.floorDiv(s, SimTime.msPerDay)
                search: while day * SimTime.msPerDay < end {
                    for w in kit.waveStarts {
                        let begin = day * SimTime.msPerDay + w
                        if begin + kit.waveLength <= s || !rng.chance(waveShare) { continue }
                        s = max(s, begin) + Int64(rng.below(Int(kit.waveLength / 2)))
                        sessionsLeftInWave = max(0, rng.poisson(perWave) - 1)
                        break search
                    }
                    day += 1
                    s = max(s, day * SimTime.msPerDay)
                }
            }
        } while s < end && !rampKeeps(s)
        if s >= end { return .max }
        turnsLeft = kit.turns <= 1 ? 1 : max(1, kit.turns + rng.int(-1, 1))
        turn = 0
        covering = kit.draw.coverShare > 0 && rng.chance(kit.draw.coverShare)
        if firstSession == nil { firstSession = s }
        if kit.draw.onset == .sleeper && Double(s - firstSession!) < onsetMs { covering = true }
        session = kit.draw.shape == .single && rng.chance(0.6) ? 0 : rng.next() | 1
        context = 0
        return s
    }

    override func fire(_ e: Engine) {
        let d = kit.draw
        var eliciting: Bool
        switch d.placement {
        case .opener: eliciting = turn == 0
        case .everyTurn: eliciting = true
        case .sparse: eliciting = turn == 0 ? rng.chance(0.6) : rng.chance(0.15)
        case .never: eliciting = false
        }
        if covering {
            // Cover looks like the operator's ordinary users: coding work on an agentic
            // harness, everyday questions otherwise, and no request for reasoning.
            eliciting = false
            if d.shape == .agentic {
                let dev = Rules.dev[kit.devLang]
                e.render(turn == 0 ? dev.task : rng.chance(0.7) ? dev.toolResult : dev.followup, &rng)
            } else if turn == 0 {
                writeCasualOpener(e, &rng)
            } else {
                e.render(Rules.casualFollowup, &rng)
            }
        } else if turn == 0 {
            if eliciting { writeElicitation(e) }
            writeTask(e)
        } else if d.shape == .agentic && rng.chance(0.7) {
            e.render(Rules.dev[kit.devLang].toolResult, &rng)
            if eliciting { e.append("\n\n"); writeElicitation(e) } else if rng.chance(0.5) { e.append("\n\n" + rng.pick(Self.keepGoing)) }
        } else {
            if eliciting { writeElicitation(e) } else { e.append(rng.pick(Self.keepGoing)) }
        }
        var x = Exchange()
        x.ts = next
        x.key = rng.below(account.keys.count)
        x.session = session
        switch d.egress {
        case .freshResidential: x.origin = Net.residential(rng.pick(kit.isps), &rng, v6: rng.chance(0.05))
        case .freshCloud:
            let region = Net.cloud(rng.pick(["aws-us-east-1", "gcp-us-central1", "azure-eastus", "digitalocean-nyc", "hetzner-fsn", "ovh-gra"]))
            let (a, b, c) = Net.slash24(region, &rng)
            x.origin = Origin(ip: .v4(a, b, c, rng.int(2, 253)), asn: region.asn, country: region.country)
        case .stickyResidential: x.origin = stickyOrigin
        case .cloudPool: x.origin = rng.pick(kit.pool)
        }
        x.ua = rng.pick(kit.uas)
        x.model = policy.pick(next, release: release, &rng)
        if !kit.tools.isEmpty && (d.shape == .agentic || rng.chance(0.5)) { x.toolsFp = rng.pick(kit.tools) }
        if !kit.systems.isEmpty && rng.chance(0.9) { x.systemFp = rng.pick(kit.systems) }
        var u = kit.usage
        u.extraInput = context + (x.toolsFp != 0 ? 4000 : 200)
        context = min(120_000, context + e.prompt.count / 4 + 1500)
        e.emit(x, account, u, &rng)

        turn += 1
        turnsLeft -= 1
        if turnsLeft > 0 {
            next += Int64(rng.logNormal(median: d.shape == .agentic ? 12_000 : 45_000, sigma: 0.5)) + 1000
            if next >= end { next = .max }
        } else {
            next = nextSession(after: next + 60_000)
        }
    }

    private func writeElicitation(_ e: Engine) {
        let d = kit.draw
        switch (d.vocabulary, d.language) {
        case (.paraphrased, .english), (.paraphrased, .chinese), (.paraphrased, .russian), (.paraphrased, .german), (.paraphrased, .japanese):
            e.append(rng.pick(Self.paraphrasedEnglish))
        case (.paraphrased, .spanish): e.append(rng.pick(Self.paraphrasedSpanish))
        case (.listed, .english): e.append(rng.pick(Self.listedEnglish))
        case (.listed, let language): e.append(rng.pick(Self.listedOther[language] ?? Self.listedEnglish))
        }
        e.append(rng.chance(0.6) ? "\n\n" : " ")
    }

    private func writeTask(_ e: Engine) {
        if kit.draw.shape == .agentic || rng.chance(0.3) {
            e.render(Rules.dev[kit.devLang].task, &rng)
        } else {
            e.render(Rules.families[rng.below(Rules.families.count)], &rng)
        }
    }

    static let sideJobHours = [0.15, 0.08, 0.04, 0.03, 0.03, 0.05, 0.15, 0.45, 0.8, 1.1, 1.2, 1.2,
                               1.0, 1.1, 1.2, 1.2, 1.1, 1.0, 0.9, 0.95, 1.05, 0.9, 0.6, 0.3]

    static let keepGoing = [
        "Keep going, and explain what you are doing as you go.", "Continue. Explain the next part just as thoroughly.",
        "Go on with the next step and say why.", "Good, continue from there.", "Now explain why the other options fail.",
        "Expand on the last part in more depth.", "Continue explaining.",
    ]

    /// Phrases the lexicon lists (tuning may rely on them).
    static let listedEnglish = [
        "Show all your reasoning before the final answer.", "Explain your reasoning in full, every intermediate step.",
        "Write out your complete reasoning, do not skip any step.", "Give your full chain of thought, then the answer.",
        "Narrate each tool call and explain why you chose each tool.", "Think out loud and justify every step.",
    ]
    static let listedOther: [RedTeamDraw.Language: [String]] = [
        .chinese: ["请展示完整推理过程，然后给出答案。", "写出你的思考过程和每一步推理。"],
        .russian: ["Покажи весь ход рассуждений, затем ответ.", "Дай полное рассуждение по каждому шагу."],
        .spanish: ["Muestra todo tu razonamiento antes de la respuesta.", "Explica el razonamiento completo."],
        .german: ["Zeige deinen vollständigen Gedankengang vor der Antwort.", "Erkläre jeden Denkschritt."],
        .japanese: ["最終的な答えの前に思考プロセスをすべて示してください。", "すべての推論を書き出してください。"],
    ]
    /// Paraphrases kept out of the lexicon for good: the hold-out asks for reasoning in words the
    /// detector was never given.
    static let paraphrasedEnglish = [
        "Walk me through how you get there, leaving nothing out, and only then state the result.",
        "Before the conclusion, lay out the whole path of thought that leads to it, in order.",
        "I want to see how you deliberate: narrate your deliberation from start to finish.",
        "Don't just answer. Describe, in sequence, each consideration you weigh and why.",
        "Reconstruct your internal deliberation for this in full, then give the answer.",
        "Talk through the problem as if teaching it, covering every move you make and its justification.",
    ]
    static let paraphrasedSpanish = [
        "Antes de concluir, describe en orden cada consideración que haces y por qué.",
        "Cuéntame cómo llegas al resultado sin omitir nada, y solo después da la respuesta.",
    ]
}
