/// Builds the populations of a scenario: accounts, their actors and the labels.
final class World {
    let cfg: GeneratorConfig
    let spec: ScenarioSpec
    let start: Int64
    let end: Int64
    let release: Int64
    let engine: Engine
    var actors: [SimActor] = []
    var accounts: [Account] = []
    var campaigns: [(name: String, style: String, start: Int64, accounts: Int)] = []
    private var idRng: Rng
    private var usedIds = Set<UInt64>()
    private var streamCounter: UInt64 = 1000
    /// Ids and actor streams for populations added to the suite later, so that adding one
    /// leaves every other population of a seed byte-identical and its numbers comparable.
    private var laterIdRng: Rng
    private var laterStreamCounter: UInt64 = 1 << 40

    var window: Int64 { end - start }
    static let day = SimTime.msPerDay, hour = SimTime.msPerHour

    init(_ cfg: GeneratorConfig, spec: ScenarioSpec) {
        self.cfg = cfg
        self.spec = spec
        start = cfg.startMillis
        end = cfg.startMillis + Int64(cfg.days) * World.day
        release = cfg.startMillis + Int64(Double(cfg.days) * 0.4) * World.day + 17 * World.hour
        engine = Engine(seed: cfg.seed, start: start, end: end, release: release, grammar: Content.grammar)
        idRng = Rng(seed: cfg.seed, stream: 1)
        laterIdRng = Rng(seed: cfg.seed, stream: 2)
        for (kind, factor) in spec.benign { buildBenign(kind, scale: cfg.scale * factor) }
        for c in spec.campaigns { buildCampaign(c) }
        if spec.redTeam > 0 {
            var r = Rng(seed: cfg.seed, stream: spec.heldOut ? 0x4E1D_07 : 0x7E4A)
            for i in 0..<spec.redTeam {
                var draw = RedTeamDraw.draw(&r, heldOut: spec.heldOut, scale: cfg.scale)
                if let placement = spec.placement { draw.placement = placement }
                buildRedTeam(name: "red-team-\(i + 1)", style: draw.summary, draw: draw, startFraction: r.uniform(0.1, 0.5))
            }
        }
    }

    // MARK: ids and accounts

    func streamRng() -> Rng {
        streamCounter += 1
        return Rng(seed: cfg.seed, stream: streamCounter)
    }

    private func newId(_ prefix: String, digits: Int) -> [UInt8] {
        var v: UInt64
        repeat { v = idRng.next() & (digits >= 16 ? ~0 : (1 << UInt64(4 * digits)) - 1) } while !usedIds.insert(v).inserted
        let w = ByteWriter(capacity: 32)
        for c in prefix.utf8 { w.byte(c) }
        w.hex(v, digits: digits)
        return Array(UnsafeBufferPointer(start: w.base, count: w.count))
    }

    func newOrg() -> [UInt8] { newId("org_", digits: 10) }
    func newCard() -> [UInt8] { newId("pm_", digits: 12) }

    func newAccount(_ label: String, keys: Int, org: [UInt8]?, payment: [UInt8]?) -> Account {
        let a = Account(id: newId("acct_", digits: 12), keys: (0..<max(1, keys)).map { _ in newId("key_", digits: 12) },
                        org: org, payment: payment, label: label)
        accounts.append(a)
        return a
    }

    func count(_ n: Double, min lo: Int) -> Int { max(lo, Int((n).rounded())) }

    func keyCount(_ r: inout Rng) -> Int { let u = r.unit(); return u < 0.82 ? 1 : u < 0.96 ? 2 : 3 }

    func pickSDK(_ r: inout Rng) -> Int32 { engine.ua(Clients.sdks[r.weighted(Clients.sdkWeights)]) }
    func pickBrowser(_ r: inout Rng) -> Int32 { engine.ua(Clients.browsers[r.weighted(Clients.browserWeights)]) }

    /// Addresses inside one /24 of a cloud region.
    func cloudIPs(_ region: CloudRegion, count n: Int, _ r: inout Rng) -> [Origin] {
        let (a, b, c) = Net.slash24(region, &r)
        var used = Set<Int>()
        var out: [Origin] = []
        while out.count < min(n, 250) {
            let d = r.int(2, 253)
            if used.insert(d).inserted { out.append(Origin(ip: .v4(a, b, c, d), asn: region.asn, country: region.country)) }
        }
        return out
    }

    static let nonEnglish: Set<String> = ["CN", "JP", "KR", "DE", "FR", "ES", "BR", "MX", "RU", "IT", "PL", "TR", "VN", "AR", "EG",
                                          "DZ", "TW", "AT", "BE", "CH", "SE", "NL", "UY"]

    func ccString(_ c: UInt16) -> String { String(decoding: [UInt8(c >> 8), UInt8(c & 255)], as: UTF8.self) }

    // MARK: benign

    private func buildBenign(_ kind: BenignKind, scale: Double) {
        let later = BenignKind.addedLater.contains(kind)
        if later { swap(&idRng, &laterIdRng); swap(&streamCounter, &laterStreamCounter) }
        defer { if later { swap(&idRng, &laterIdRng); swap(&streamCounter, &laterStreamCounter) } }
        var r = streamRng()
        let label = "benign:\(kind.rawValue)"
        switch kind {
        case .casual:
            for _ in 0..<count(1500 * scale, min: 5) { addCasual(label, &r) }
        case .heavy_dev:
            for _ in 0..<count(150 * scale, min: 3) { addDeveloper(label, &r) }
        case .eval_harness:
            addEvalLab(label, scale: scale, &r)
        case .enterprise_batch:
            addEnterprise(label, scale: scale, &r)
        case .classroom:
            addClassroom(label, scale: scale, &r)
        case .saas_reseller:
            addReseller(label, scale: scale, &r)
        case .startup_team:
            addStartup(label, scale: scale, &r)
        case .agent_framework:
            addFrameworkUsers(label, scale: scale, &r)
        case .hackathon:
            addHackathon(label, scale: scale, &r)
        case .tutoring:
            addTutoring(label, scale: scale, &r)
        case .grading_service:
            for _ in 0..<count(2 * scale, min: 1) { addGradingService(label, &r) }
        case .department_course:
            addDepartmentCourse(label, scale: scale, &r)
        }
    }

    private func casualPolicy(_ r: inout Rng) -> ModelPolicy {
        ModelPolicy(before: [0.25, 0.6, 0.15], adopt: r.uniform(0.1, 0.45), delayMs: Int64(r.uniform(0, 18)) * World.hour, rampMs: 3 * World.day)
    }

    /// First activity: most accounts already exist, a trickle signs up during the window.
    private func arrival(_ r: inout Rng, newShare: Double) -> Int64 {
        if r.chance(newShare) { return start + Int64(r.uniform(0.03, 0.93) * Double(window)) }
        return start
    }

    private func addCasual(_ label: String, _ r: inout Rng, origins fixed: [Origin]? = nil, tz fixedTz: Int? = nil, rhythm: Rhythm = .casual) {
        let isp = Net.randomISP(&r)
        let tz = fixedTz ?? r.pick(isp.tzMinutes)
        var origins: [Origin]
        if let f = fixed {
            origins = f
        } else {
            origins = [Net.residential(isp, &r, v6: r.chance(0.15))]
            let extra = r.chance(0.5) ? 0 : r.int(1, 2)
            for _ in 0..<extra {
                if r.chance(0.6) { origins.append(Net.residential(isp, &r)) }   // lease changed
                else {                                                          // phone on mobile data
                    let local = Net.isps(in: isp.country)
                    origins.append(Net.residential(r.pick(local.isEmpty ? [isp] : local), &r))
                }
            }
        }
        let sdk = r.chance(0.22)
        let ua = sdk ? pickSDK(&r) : pickBrowser(&r)
        let intl = World.nonEnglish.contains(ccString(origins[0].country)) ? r.uniform(0.15, 0.6) : 0.02
        let a = newAccount(label, keys: sdk ? keyCount(&r) : 1, org: r.chance(0.25) ? newOrg() : nil, payment: r.chance(0.75) ? newCard() : nil)
        actors.append(CasualUser(account: a, origins: origins, ua: ua, sdk: sdk, intl: intl, tzMinutes: tz, rhythm: rhythm,
                                 perDay: r.logUniform(0.3, 3.0), policy: casualPolicy(&r), from: arrival(&r, newShare: 0.07),
                                 end: end, release: release, rng: streamRng()))
    }

    private func devLang(_ r: inout Rng) -> DevLang {
        DevLang(rawValue: r.weighted([35, 30, 12, 8, 10, 5]))!
    }

    private func devPolicy(_ r: inout Rng) -> ModelPolicy {
        ModelPolicy(before: [0.05, 0.75, 0.2], adopt: r.uniform(0.2, 0.8), delayMs: Int64(r.uniform(2, 48)) * World.hour, rampMs: World.day)
    }

    private func addDeveloper(_ label: String, _ r: inout Rng) {
        let isp = Net.randomISP(&r)
        let tz = r.pick(isp.tzMinutes)
        var home = [Net.residential(isp, &r, v6: r.chance(0.2))]
        if r.chance(0.3) { home.append(Net.residential(isp, &r)) }
        var office: Origin? = nil
        if r.chance(0.4) {
            let o = r.pick(Net.offices)
            office = Origin(ip: .v4(o.a, o.b, r.int(0, 255), r.int(1, 254)), asn: o.asn, country: o.country)
        }
        let ide = r.weighted(Clients.ideWeights)
        let a = newAccount(label, keys: keyCount(&r), org: r.chance(0.7) ? newOrg() : nil, payment: r.chance(0.97) ? newCard() : nil)
        let perDay = r.logUniform(45, 320) / 22
        actors.append(Developer(account: a, lang: devLang(&r), ide: ide, ua: engine.ua(Clients.ides[ide].ua), home: home, office: office,
                                tzMinutes: tz, perDay: perDay, turns: (5, 60), policy: devPolicy(&r),
                                from: arrival(&r, newShare: 0.05), end: end, release: release, rng: streamRng()))
    }

    private func addEvalLab(_ label: String, scale: Double, _ r: inout Rng) {
        let org = newOrg(), card = newCard()
        let accts = (0..<r.int(2, 4)).map { _ in newAccount(label, keys: r.int(1, 2), org: org, payment: card) }
        let region = Net.cloud(r.chance(0.5) ? "gcp-us-central1" : "aws-us-west-2")
        let origins = cloudIPs(region, count: r.int(3, 6), &r)
        let ua = engine.ua(r.pick(Clients.evalFrameworks))
        let bank = max(200, Int(1500 * min(scale, 2)))
        var runs: [EvalHarness.Run] = []
        let regular = max(2, Int(Double(cfg.days) * 0.3))
        let olds: [Model] = [.opus4, .sonnet4, .haiku4]
        for i in 0..<regular {
            // The first run lands early so every lab account shows up.
            let lo = i == 0 ? 0.02 : 0.1, hi = i == 0 ? 0.3 : 0.95
            var day0 = start + Int64(r.uniform(lo, hi) * Double(window))
            day0 = SimTime.floorDiv(day0, World.day) * World.day + Int64(r.uniform(13, 23) * Double(World.hour))
            if day0 >= end - World.hour { day0 = start + Int64(r.uniform(0.02, 0.3) * Double(window)) }
            var models = olds
            r.shuffle(&models)
            var k = r.int(1, 3)
            if day0 > release { models.insert(.opus5, at: 0); k = min(3, k + 1) }
            runs.append(EvalHarness.Run(start: day0, duration: Int64(r.uniform(1, 3) * Double(World.hour)), models: Array(models.prefix(k))))
        }
        // The lab benchmarks the new model within hours of its release.
        runs.append(EvalHarness.Run(start: release + Int64(r.uniform(1, 5) * Double(World.hour)),
                                    duration: Int64(r.uniform(1.5, 3) * Double(World.hour)), models: [.opus5, .opus4, .sonnet4]))
        runs.sort { $0.start < $1.start }
        actors.append(EvalHarness(accounts: accts, origins: origins, ua: ua, bankSeed: r.next(), bankSize: bank, runs: runs, end: end, rng: streamRng()))
    }

    private func addEnterprise(_ label: String, scale: Double, _ r: inout Rng) {
        let org = newOrg(), card = newCard()
        let n = count(Double(r.int(20, 40)) * scale, min: 3)
        let region = Net.cloud(r.pick(["aws-us-east-1", "azure-eastus", "gcp-us-central1"]))
        var egress = cloudIPs(region, count: r.int(2, 5), &r)
        if r.chance(0.5) { egress += cloudIPs(region, count: r.int(1, 3), &r) }
        let ua = engine.ua(r.pick(["Anthropic/Python 0.49.0", "python-httpx/0.27.2", "OpenAI/Python 1.68.2"]))
        let systemFp = r.next()
        let wave = utcWave([0.55, 0.5, 0.5, 0.5, 0.5, 0.55, 0.6, 0.75, 0.9, 1, 1, 1, 1, 1, 1, 1, 1, 0.95, 0.85, 0.75, 0.7, 0.65, 0.6, 0.55], tzMinutes: -300)
        let total = 8_000 * scale
        for _ in 0..<n {
            let a = newAccount(label, keys: r.int(1, 2), org: org, payment: card)
            actors.append(BatchWorker(account: a, origins: egress, ua: ua, systemFp: systemFp, perDay: total / Double(n) * r.uniform(0.5, 1.5),
                                      wave: wave, from: start + Int64(r.below(3_600_000)), end: end, release: release, rng: streamRng()))
        }
    }

    private func addClassroom(_ label: String, scale: Double, _ r: inout Rng) {
        let campus = r.pick(Net.campuses)
        let nat = Origin(ip: .v4(campus.a, campus.b, r.int(0, 255), r.int(1, 254)), asn: campus.asn, country: campus.country)
        let courses: [[String]] = [["prob_stats", "prob_probability"], ["prob_physics"], ["prob_cs", "prob_code"], ["prob_algebra", "prob_calculus"], ["prob_econ"]]
        let schedule = ClassSchedule(seed: r.next(), meetDays: r.chance(0.5) ? [1, 3] : [0, 2], startMinute: r.pick([600, 780, 840]),
                                     tzMinutes: campus.tz, family: r.pick(courses).map { Content.grammar.id($0) }, nat: nat)
        let n = count(100 * scale, min: 8)
        for _ in 0..<n {
            let a = newAccount(label, keys: 1, org: nil, payment: r.chance(0.4) ? newCard() : nil)
            let ua = r.chance(0.9) ? pickBrowser(&r) : pickSDK(&r)
            actors.append(Student(account: a, schedule: schedule, ua: ua, policy: casualPolicy(&r), tzMinutes: campus.tz,
                                  from: start, end: end, release: release, rng: streamRng()))
        }
        // Other people on campus use the same NAT address.
        for _ in 0..<count(Double(n) / 6, min: 2) {
            addCasual("benign:casual", &r, origins: [nat], tz: campus.tz, rhythm: .student)
        }
    }

    private func addReseller(_ label: String, scale: Double, _ r: inout Rng) {
        let a = newAccount(label, keys: 2, org: newOrg(), payment: newCard())
        let region = Net.cloud("aws-us-east-1")
        let origins = cloudIPs(region, count: r.int(4, 6), &r)
        let ua = engine.ua("Anthropic/JS 0.39.0")
        let systemFp = r.next()
        let endUsers = count(6000 * scale, min: 300)
        let lanes = 12
        let sessionsPerDay = 1500 * max(scale, 0.05)
        // Its users are mostly in the Americas: a clear day/night wave on US Eastern time.
        let wave = utcWave([0.38, 0.27, 0.2, 0.16, 0.15, 0.2, 0.33, 0.52, 0.72, 0.88, 0.97, 1, 1, 0.96, 0.95, 0.94, 0.92,
                            0.9, 0.93, 0.98, 1, 0.92, 0.74, 0.54], tzMinutes: -300)
        let salt = r.next()
        for _ in 0..<lanes {
            actors.append(ResellerLane(account: a, origins: origins, ua: ua, systemFp: systemFp, endUsers: endUsers, euSalt: salt, wave: wave,
                                       sessionsPerDay: sessionsPerDay / Double(lanes), from: start, end: end, release: release,
                                       switchAt: release + 36 * World.hour, rng: streamRng()))
        }
    }

    private func addStartup(_ label: String, scale: Double, _ r: inout Rng) {
        let org = newOrg(), card = newCard()
        let o = r.pick(Net.offices)
        let office = Origin(ip: .v4(o.a, o.b, r.int(0, 255), r.int(1, 254)), asn: o.asn, country: o.country)
        var local = Net.isps(in: o.country)
        if local.isEmpty { local = [Net.randomISP(&r)] }
        let teamIde = r.weighted(Clients.ideWeights)
        let langs = [devLang(&r), devLang(&r)]
        let n = count(Double(r.int(20, 50)) * scale, min: 4)
        for _ in 0..<n {
            let isp = r.pick(local)
            let ide = r.chance(0.8) ? teamIde : r.weighted(Clients.ideWeights)
            let a = newAccount(label, keys: r.int(1, 2), org: org, payment: card)
            actors.append(Developer(account: a, lang: r.pick(langs), ide: ide, ua: engine.ua(Clients.ides[ide].ua),
                                    home: [Net.residential(isp, &r)], office: office, tzMinutes: o.tz,
                                    perDay: r.logUniform(30, 250) / 22, turns: (5, 50), policy: devPolicy(&r),
                                    from: arrival(&r, newShare: 0.04), end: end, release: release, rng: streamRng()))
        }
    }

    private func addFrameworkUsers(_ label: String, scale: Double, _ r: inout Rng) {
        let n = count(Double(r.int(80, 250)) * scale, min: 10)
        for _ in 0..<n {
            let isp = Net.randomISP(&r)
            let framework = Framework.popular[r.weighted([5, 3, 2])]
            let a = newAccount(label, keys: keyCount(&r), org: r.chance(0.4) ? newOrg() : nil, payment: r.chance(0.95) ? newCard() : nil)
            actors.append(FrameworkUser(account: a, framework: framework, ua: engine.ua(framework.ua), lang: r.below(DevLang.allCases.count),
                                        home: Net.residential(isp, &r, v6: r.chance(0.2)), venue: nil, venueUntil: 0,
                                        rhythm: r.chance(0.7) ? .work : .sideJob, tzMinutes: r.pick(isp.tzMinutes),
                                        perDay: r.logUniform(0.3, 6), policy: devPolicy(&r), from: arrival(&r, newShare: 0.1),
                                        end: end, release: release, rng: streamRng()))
        }
    }

    /// A weekend hackathon: accounts made within hours of each other, working the same hours at
    /// one venue on one starter kit, then mostly gone.
    private func addHackathon(_ label: String, scale: Double, _ r: inout Rng) {
        let n = count(Double(r.int(40, 120)) * scale, min: 8)
        let venueSite = r.pick(Net.campuses)
        let venue = Origin(ip: .v4(venueSite.a, venueSite.b, r.int(0, 255), r.int(1, 254)), asn: venueSite.asn, country: venueSite.country)
        let kickoff = at(r.uniform(0.2, 0.6), jitterHours: 4, &r)
        let eventEnd = kickoff + Int64(r.uniform(30, 44) * Double(World.hour))
        let framework = Framework.popular[r.below(Framework.popular.count)]
        let local = Net.isps(in: venueSite.country)
        for _ in 0..<n {
            let isp = local.isEmpty ? Net.randomISP(&r) : r.pick(local)
            let a = newAccount(label, keys: 1, org: nil, payment: r.chance(0.6) ? newCard() : nil)
            let stays = r.chance(0.3)
            actors.append(FrameworkUser(account: a, framework: framework, ua: engine.ua(framework.ua), lang: r.below(DevLang.allCases.count),
                                        home: Net.residential(isp, &r), venue: venue, venueUntil: eventEnd,
                                        rhythm: .student, tzMinutes: venueSite.tz, perDay: r.uniform(4, 10), policy: devPolicy(&r),
                                        from: kickoff + Int64(r.uniform(0, 2) * Double(World.hour)), end: stays ? end : min(end, eventEnd),
                                        release: release, rng: streamRng()))
        }
    }

    private func addTutoring(_ label: String, scale: Double, _ r: inout Rng) {
        let org = newOrg(), card = newCard()
        let region = Net.cloud(r.pick(["aws-us-east-1", "gcp-us-central1"]))
        let origins = cloudIPs(region, count: r.int(3, 6), &r)
        let ua = engine.ua("Anthropic/Python 0.50.0")
        let systemFp = r.next()
        let wave = utcWave([0.3, 0.2, 0.12, 0.08, 0.08, 0.12, 0.25, 0.4, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9, 1, 1, 1, 1, 1, 0.95, 0.85, 0.65, 0.45],
                           tzMinutes: -300)
        let lanes = r.int(1, 3)
        let fullShare = r.uniform(0.05, 0.3)
        for _ in 0..<lanes {
            let a = newAccount(label, keys: 2, org: org, payment: card)
            actors.append(TutoringLane(account: a, origins: origins, ua: ua, systemFp: systemFp, students: count(3000 * scale, min: 200),
                                       fullShare: fullShare, perDay: r.uniform(400, 1500) * max(scale, 0.1), wave: wave,
                                       from: start, end: end, rng: streamRng()))
        }
    }

    /// A university course the department pays for: every student's account on the department's
    /// card, behind the campus NAT's few addresses in one range, asking for full worked solutions
    /// to the week's set and reading them at length.
    private func addDepartmentCourse(_ label: String, scale: Double, _ r: inout Rng) {
        let campus = r.pick(Net.campuses)
        let c = r.int(0, 255)
        let pool = (0..<r.int(2, 8)).map { _ in Origin(ip: .v4(campus.a, campus.b, c, r.int(1, 254)), asn: campus.asn, country: campus.country) }
        let courses: [[String]] = [["prob_stats", "prob_probability"], ["prob_physics"], ["prob_algebra", "prob_calculus"], ["prob_econ"]]
        let schedule = ClassSchedule(seed: r.next(), meetDays: r.chance(0.5) ? [1, 3] : [0, 2], startMinute: r.pick([540, 660, 840]),
                                     tzMinutes: campus.tz, family: r.pick(courses).map { Content.grammar.id($0) }, nat: pool[0], natPool: pool)
        let card = newCard()
        for _ in 0..<count(Double(r.int(40, 150)) * scale, min: 8) {
            let a = newAccount(label, keys: 1, org: r.chance(0.5) ? newOrg() : nil, payment: card)
            let ua = r.chance(0.85) ? pickBrowser(&r) : pickSDK(&r)
            actors.append(Student(account: a, schedule: schedule, ua: ua, policy: casualPolicy(&r), tzMinutes: campus.tz,
                                  from: start, end: end, release: release, workedSolutions: true, rng: streamRng()))
        }
    }

    /// A company marking answers with the model: a few accounts under its one org and card,
    /// each a lane of one pipeline on one template, from its cloud, day and night at volume.
    private func addGradingService(_ label: String, _ r: inout Rng) {
        let org = newOrg(), card = newCard()
        let region = Net.cloud(r.pick(["aws-us-east-1", "gcp-europe-west4", "azure-eastus", "aws-us-west-2"]))
        let origins = cloudIPs(region, count: r.int(1, 4), &r)
        let ua = engine.ua(r.pick(["Anthropic/Python 0.50.0", "python-httpx/0.27.2", "Anthropic/JS 0.39.0"]))
        let systemFp = r.next()
        let job = r.pick(Rules.judgeJobs)
        let model: Model = r.chance(0.5) ? .haiku4 : .sonnet4
        // Marking follows the learners' evenings on one continent, or runs as a flat queue.
        let wave = r.chance(0.5) ? nil : utcWave([0.5, 0.4, 0.35, 0.3, 0.3, 0.35, 0.45, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95,
                                                  1, 1, 1, 1, 0.95, 0.85, 0.7, 0.6], tzMinutes: r.pick([-300, 0, 60, 330]))
        for _ in 0..<r.int(3, 9) {
            let a = newAccount(label, keys: r.int(1, 2), org: org, payment: card)
            actors.append(GradingLane(account: a, origins: origins, ua: ua, systemFp: systemFp, job: job, model: model,
                                      perDay: r.uniform(50, 160), wave: wave ?? [Double](repeating: 1, count: 24),
                                      from: start + Int64(r.below(6 * 3_600_000)), end: end, rng: streamRng()))
        }
    }

    // MARK: campaigns

    private func buildCampaign(_ kind: CampaignKind) {
        var r = streamRng()
        let label = "campaign:\(kind.rawValue)"
        let first = actors.count
        let firstAccount = accounts.count
        switch kind {
        case .lbFarm: addLBFarm(label, &r)
        case .stealthFarm: addStealth(label, &r)
        case .heavyExtractor: addExtractor(label, &r)
        case .polyglotFarm: addPolyglot(label, &r)
        case .churnFarm: addChurn(label, &r)
        case .agenticFarm, .swarm:
            var d = RedTeamDraw(identity: .ownCard, egress: .freshResidential, client: .sdk, hours: .human, shape: .agentic,
                                placement: .opener, vocabulary: .listed, language: .english, volume: .steady, cover: .none,
                                onset: .immediate, harnessTools: 3, harnessSystems: 7,
                                accounts: count(Double(r.int(260, 340)) * cfg.scale, min: 10), perDay: r.uniform(20, 32),
                                coverShare: 0, onsetDays: 0, lifetimeDays: nil)
            if kind == .swarm {
                d.client = .sdk; d.hours = .waves; d.shape = .single; d.placement = .everyTurn
                d.harnessTools = 0; d.harnessSystems = 0
                d.accounts = count(Double(r.int(100, 140)) * cfg.scale, min: 8)
            }
            addRedTeam(label, draw: d, pairedShare: kind == .agenticFarm ? 0.3 : 0, startFraction: 0.2, &r)
        }
        let startTs = actors[first...].map { $0.next }.min() ?? end
        campaigns.append((kind.rawValue, kind.style, startTs, accounts.count - firstAccount))
    }

    private func buildRedTeam(name: String, style: String, draw: RedTeamDraw, startFraction: Double) {
        var r = streamRng()
        let first = actors.count
        let firstAccount = accounts.count
        addRedTeam("campaign:\(name)", draw: draw, pairedShare: 0, startFraction: startFraction, &r)
        let startTs = actors[first...].map { $0.next }.min() ?? end
        campaigns.append((name, style, startTs, accounts.count - firstAccount))
    }

    /// A red-team campaign's accounts: identities as drawn, each an actor on the shared kit.
    private func addRedTeam(_ label: String, draw d: RedTeamDraw, pairedShare: Double, startFraction: Double, _ r: inout Rng) {
        let kit = RedTeamKit(draw: d, engine: engine, world: self, &r)
        let s0 = at(startFraction, jitterHours: 6, &r)
        // Accounts appear over a day or two: an operator signs them up in batches.
        let spread = min(1.5 * Double(World.day), Double(end - s0) * 0.3)
        var card: [UInt8]? = nil
        var cardUses = 0
        var cardLimit = 1
        for _ in 0..<d.accounts {
            var payment: [UInt8]? = nil
            switch d.identity {
            case .noCard: payment = nil
            case .ownCard where !r.chance(pairedShare):
                payment = newCard()
            default:
                if card == nil || cardUses >= cardLimit {
                    card = newCard(); cardUses = 0
                    cardLimit = d.identity == .sharedCards ? r.int(6, 16) : 2
                }
                payment = card
                cardUses += 1
            }
            let a = newAccount(label, keys: r.int(1, 2), org: r.chance(0.3) ? newOrg() : nil, payment: payment)
            var from = s0 + Int64(r.uniform(0, spread))
            var until = end
            if let life = d.lifetimeDays {
                // Short-lived accounts replace each other over the rest of the window.
                from = s0 + Int64(r.uniform(0, max(0, Double(end - s0) - life * Double(World.day))))
                until = min(end, from + Int64(life * Double(World.day)))
            }
            actors.append(RedTeamAccount(account: a, kit: kit, from: from, until: until, release: release, rng: streamRng()))
        }
    }

    func at(_ fraction: Double, jitterHours: Double, _ r: inout Rng) -> Int64 {
        start + Int64(fraction * Double(window)) + Int64(r.uniform(0, jitterHours) * Double(World.hour))
    }

    /// Splits `items` into consecutive groups with sizes in lo...hi (a short tail joins the last group).
    func groups(_ n: Int, _ lo: Int, _ hi: Int, _ r: inout Rng) -> [Int] {
        var sizes: [Int] = []
        var left = n
        while left > 0 {
            let s = min(left, r.int(lo, hi))
            if s < lo && !sizes.isEmpty { sizes[sizes.count - 1] += s } else { sizes.append(s) }
            left -= s
        }
        return sizes
    }

    private func addLBFarm(_ label: String, _ r: inout Rng) {
        let n = count(Double(r.int(150, 250)) * cfg.scale, min: 16)
        let burst = at(0.15, jitterHours: 6, &r)
        let burstLen = r.uniform(2, 5) * Double(World.hour)
        var pool: [Origin] = []
        let regions = [Net.cloud(r.pick(["digitalocean-nyc", "aws-us-east-1", "hetzner-fsn"])), Net.cloud(r.pick(["ovh-gra", "linode-fra", "vultr-sgp"]))]
        let nets = r.int(2, 4)
        let total = r.int(30, 60)
        for i in 0..<nets { pool += cloudIPs(regions[i % 2], count: total / nets, &r) }
        let kit = FarmKit(origins: pool, uas: (0..<r.int(1, 2)).map { _ in engine.ua(r.pick(Clients.automation)) },
                          systemFps: (0..<r.int(4, 6)).map { _ in r.next() },
                          policy: ModelPolicy(before: [0, 0.3, 0.7], adopt: 0.93, delayMs: Int64(r.uniform(1, 7) * Double(World.hour)), rampMs: 2 * World.hour),
                          usage: Usage(outMedian: 1500, outSigma: 0.3, outMax: 4500, thinkP: 0.92, reasonMedian: 1400, rateLimitP: 0.012, extraInput: 180))
        for size in groups(n, 8, 20, &r) {
            let card = newCard()
            for _ in 0..<size {
                let a = newAccount(label, keys: 1, org: r.chance(0.5) ? newOrg() : nil, payment: card)
                actors.append(FarmAccount(account: a, kit: kit, perDay: r.uniform(20, 35), from: burst + Int64(r.uniform(0, burstLen)),
                                          end: end, release: release, rng: streamRng()))
            }
        }
    }

    private func addStealth(_ label: String, _ r: inout Rng) {
        let n = count(Double(r.int(100, 200)) * cfg.scale, min: 10)
        let s0 = at(0.25, jitterHours: 8, &r)
        let spread = min(2 * Double(World.day), Double(end - s0) * 0.4)
        let ides = Clients.ides
        for _ in 0..<n {
            var isps: [ISP] = []
            for _ in 0..<r.int(1, 3) { isps += Net.isps(in: Net.randomISP(&r).country) }
            let tz = r.pick(isps[0].tzMinutes)
            let a = newAccount(label, keys: r.int(1, 2), org: r.chance(0.5) ? newOrg() : nil, payment: newCard())
            actors.append(StealthAccount(account: a, ua: pickSDK(&r), proxyISPs: isps, ideTools: ides[r.weighted(Clients.ideWeights)].tools,
                                         ideShare: r.uniform(0.2, 0.5), tzMinutes: tz, perDay: r.uniform(10, 19),
                                         policy: ModelPolicy(before: [0.05, 0.55, 0.4], adopt: 0.5, delayMs: Int64(r.uniform(12, 48) * Double(World.hour)), rampMs: 2 * World.day),
                                         from: s0 + Int64(r.uniform(0, spread)), end: end, release: release, rng: streamRng()))
        }
    }

    private func addExtractor(_ label: String, _ r: inout Rng) {
        let a = newAccount(label, keys: 2, org: newOrg(), payment: newCard())
        let origins = cloudIPs(Net.cloud(r.pick(["aws-us-west-2", "hetzner-fsn", "gcp-europe-west4"])), count: r.int(2, 4), &r)
        actors.append(Extractor(account: a, origins: origins, ua: engine.ua("python-httpx/0.27.0"), perDay: r.uniform(1500, 3000),
                                policy: ModelPolicy(before: [0, 0.4, 0.6], adopt: 0.7, delayMs: Int64(r.uniform(6, 24) * Double(World.hour)), rampMs: 12 * World.hour),
                                from: at(0.08, jitterHours: 8, &r), end: end, release: release, rng: streamRng()))
    }

    private func addPolyglot(_ label: String, _ r: inout Rng) {
        let waves = cfg.days >= 6 ? 3 : 2
        var waveStart = at(0.3, jitterHours: 6, &r)
        let wave = utcWave([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.95, 0.9, 0.8, 0.7, 0.6], tzMinutes: 480)
        let regions = ["alibaba-sg", "tencent-hk", "m247-bucharest", "vultr-sgp"]
        let uas = ["OpenAI/Python 1.35.10", "Go-http-client/2.0", "python-httpx/0.27.0"]
        for _ in 0..<waves {
            guard waveStart < end - 2 * World.hour else { break }
            let region = Net.cloud(r.pick(regions))
            let ips = cloudIPs(region, count: r.int(12, 30), &r)
            let ua = engine.ua(r.pick(uas))
            let n = count(Double(r.int(35, 50)) * cfg.scale, min: 4)
            let life = r.uniform(4, 7) * Double(World.day)
            for size in groups(n, 2, 3, &r) {
                let card = newCard()
                for _ in 0..<size {
                    let a = newAccount(label, keys: 1, org: nil, payment: card)
                    let mine = r.chance(0.6) ? [r.pick(ips)] : [r.pick(ips), r.pick(ips)]
                    let from = waveStart + Int64(r.below(3_600_000))
                    actors.append(PolyglotAccount(account: a, origins: mine, ua: ua, perDay: r.uniform(20, 32), wave: wave,
                                                  policy: ModelPolicy(before: [0, 0.5, 0.5], adopt: 0.6, delayMs: World.day, rampMs: World.day),
                                                  from: from, until: min(end, from + Int64(life)), release: release, rng: streamRng()))
                }
            }
            waveStart += Int64(r.uniform(0.1, 0.18) * Double(window))
        }
    }

    private func addChurn(_ label: String, _ r: inout Rng) {
        let s0 = at(0.2, jitterHours: 6, &r)
        let span = end - 3 * World.hour - s0
        let n = count(Double(span) / Double(World.day) * 8 * cfg.scale, min: 6)
        let tools = r.next()
        let uas = ["node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", "axios/1.8.4", "undici"].map { engine.ua($0) }
        let regions = ["ovh-gra", "digitalocean-fra", "linode-fra", "vultr-sgp"].map { Net.cloud($0) }
        var cards: [[UInt8]] = []
        var cardUses = 0
        for i in 0..<n {
            var payment: [UInt8]? = nil
            if !r.chance(0.4) {
                if cards.isEmpty || cardUses >= r.int(3, 5) { cards.append(newCard()); cardUses = 0 }
                payment = cards.last
                cardUses += 1
            }
            let a = newAccount(label, keys: 1, org: nil, payment: payment)
            let slot = Double(span) / Double(n)
            let from = s0 + Int64(slot * Double(i) + r.uniform(0, slot))
            let origin = cloudIPs(r.pick(regions), count: 1, &r)[0]
            actors.append(ChurnAccount(account: a, origin: origin, ua: r.pick(uas), toolsFp: tools, perDay: r.uniform(30, 50),
                                       policy: ModelPolicy(before: [0, 0.6, 0.4], adopt: 0.7, delayMs: 6 * World.hour, rampMs: World.day),
                                       from: from, until: min(end, from + Int64(r.uniform(1, 3) * Double(World.day))), release: release, rng: streamRng()))
        }
    }

    // MARK: labels

    func labelsJSON() -> String {
        var s = "{\n"
        s += "  \"seed\": \(cfg.seed),\n"
        s += "  \"scenario\": \(jsonQuoted(spec.name)),\n"
        s += "  \"start\": \"\(SimTime.format(start))\",\n"
        s += "  \"days\": \(cfg.days),\n"
        s += "  \"model_release\": {\"model\": \"opus-5\", \"at\": \"\(SimTime.format(release))\"},\n"
        s += "  \"campaigns\": ["
        s += campaigns.enumerated().map { i, c in
            "\(i == 0 ? "" : ",")\n    {\"name\": \(jsonQuoted(c.name)), \"style\": \(jsonQuoted(c.style)), \"start\": \"\(SimTime.format(c.start))\", \"accounts\": \(c.accounts)}"
        }.joined()
        s += campaigns.isEmpty ? "],\n" : "\n  ],\n"
        s += "  \"benign\": ["
        var kinds: [(String, Int)] = []
        for k in BenignKind.allCases {
            let lab = "benign:\(k.rawValue)"
            let c = accounts.reduce(0) { $0 + ($1.label == lab ? 1 : 0) }
            if c > 0 { kinds.append((k.rawValue, c)) }
        }
        s += kinds.enumerated().map { i, k in "\(i == 0 ? "" : ",")\n    {\"kind\": \"\(k.0)\", \"accounts\": \(k.1)}" }.joined()
        s += kinds.isEmpty ? "],\n" : "\n  ],\n"
        s += "  \"accounts\": {"
        var first = true
        for a in accounts {
            s += first ? "\n" : ",\n"
            first = false
            s += "    \"\(a.idString)\": \(jsonQuoted(a.label))"
        }
        s += accounts.isEmpty ? "}\n}\n" : "\n  }\n}\n"
        return s
    }
}
