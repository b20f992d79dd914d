/// Benign populations (label `benign:<kind>`).
enum BenignKind: String, CaseIterable, Sendable {
    case casual, heavy_dev, eval_harness, enterprise_batch, classroom, saas_reseller, startup_team
    case agent_framework, hackathon, tutoring, grading_service, department_course

    /// The populations of the original suite (`mixed`, `lookalikes`), kept as they were so their
    /// numbers stay comparable across versions.
    static let classic: [BenignKind] = [.casual, .heavy_dev, .eval_harness, .enterprise_batch, .classroom, .saas_reseller, .startup_team]
    /// Populations that draw on streams of their own (see `World`): adding them changed no
    /// other population of any seed.
    static let addedLater: Set<BenignKind> = [.grading_service, .department_course]
}

/// Campaign styles (label `campaign:<name>`).
enum CampaignKind: String, CaseIterable, Sendable {
    case lbFarm = "lb-farm"
    case stealthFarm = "stealth-farm"
    case heavyExtractor = "heavy-extractor"
    case polyglotFarm = "polyglot-farm"
    case churnFarm = "churn-farm"
    case agenticFarm = "agentic-farm"
    case swarm = "swarm"

    var style: String {
        switch self {
        case .lbFarm: return "load_balanced_farm"
        case .stealthFarm: return "stealthy_farm"
        case .heavyExtractor: return "single_extractor"
        case .polyglotFarm: return "multilingual_wave_farm"
        case .churnFarm: return "churning_trial_farm"
        case .agenticFarm: return "agentic_harvest_farm"
        case .swarm: return "synchronised_swarm"
        }
    }

    var summary: String {
        switch self {
        case .lbFarm: return "~200 accounts made in a burst, cards shared by 8-20 accounts, every request load-balanced over one cloud IP pool, flat 24/7 chain-of-thought and rubric sweeps, pivots to the new model within hours"
        case .stealthFarm: return "~150 accounts each with its own card, a fresh residential-proxy IP per request, popular SDK user agents, human hours, paraphrased tool-use narration prompts"
        case .heavyExtractor: return "one account sending 1,500-3,000 chain-of-thought requests a day, 24/7, from a few cloud IPs"
        case .polyglotFarm: return "waves of hosted accounts (cards shared in pairs and triples) eliciting reasoning in Chinese, Russian, Spanish, Arabic and more"
        case .churnFarm: return "short-lived accounts (1-3 days each, many on free trials) replaced continuously, a rare shared toolset, 'rewrite safely but keep every reasoning step' prompts"
        case .agenticFarm: return "~300 accounts each with its own card (some in pairs), a fresh residential IP per request, popular SDK and IDE agents, human hours, multi-turn agentic sessions opened by a reasoning request and continued with tool results, one harness of 3 tool schemas and 7 system prompts"
        case .swarm: return "~120 accounts sharing no card, address, harness or template, fired by one scheduler in the same short waves several times a day"
        }
    }
}

struct ScenarioSpec: Sendable {
    let name: String
    let description: String
    let benign: [(BenignKind, Double)]   // kind, scale factor
    let campaigns: [CampaignKind]
    /// Red-team campaigns drawn per run, and whether from the held-out axis values.
    var redTeam = 0
    var heldOut = false
    /// Where every red-team draw puts its elicitation, whatever it drew (nil: as drawn).
    var placement: RedTeamDraw.Placement?
}

public enum Scenarios {
    static let background: [(BenignKind, Double)] = [(.casual, 0.2), (.heavy_dev, 0.2), (.eval_harness, 1), (.enterprise_batch, 0.3), (.saas_reseller, 0.2)]

    static let specs: [ScenarioSpec] = {
        let names: [(CampaignKind, String)] = [(.lbFarm, "lb-farm"), (.stealthFarm, "stealth-farm"), (.heavyExtractor, "extractor"),
                                               (.polyglotFarm, "polyglot-farm"), (.churnFarm, "churn-farm")]
        var s: [ScenarioSpec] = [
            ScenarioSpec(name: "mixed",
                         description: "every benign population (casual, heavy_dev, eval_harness, enterprise_batch, classroom, saas_reseller, startup_team) and every campaign",
                         benign: BenignKind.classic.map { ($0, 1.0) }, campaigns: names.map(\.0)),
            ScenarioSpec(name: "lookalikes",
                         description: "only the benign populations, including the ones that resemble campaigns (eval bursts, shared cards, campus NAT, a reseller's model switch)",
                         benign: BenignKind.classic.map { ($0, 1.0) }, campaigns: []),
        ]
        for (c, n) in names {
            s.append(ScenarioSpec(name: n, description: "\(c.rawValue): \(c.summary); over a light benign background",
                                  benign: background, campaigns: [c]))
        }
        let wide = BenignKind.allCases.map { ($0, 1.0) }
        s.append(ScenarioSpec(name: "lookalikes-wide",
                              description: "every benign population, including agent-framework users, a hackathon, a tutoring platform, model-as-judge grading services and a course its department pays for",
                              benign: wide, campaigns: []))
        s.append(ScenarioSpec(name: "agentic-farm", description: "agentic-farm: \(CampaignKind.agenticFarm.summary); over every benign population",
                              benign: wide, campaigns: [.agenticFarm]))
        s.append(ScenarioSpec(name: "swarm", description: "swarm: \(CampaignKind.swarm.summary); over every benign population",
                              benign: wide, campaigns: [.swarm]))
        s.append(ScenarioSpec(name: "redteam", description: "three campaigns drawn from the tuning values of every axis (identity, egress, client, hours, session shape, elicitation placement, vocabulary, language, harness, volume, lifetime) over every benign population",
                              benign: wide, campaigns: [], redTeam: 3))
        s.append(ScenarioSpec(name: "redteam-silent", description: "the campaigns redteam draws for the same seed, each asking for reasoning nowhere: what is left when the words are gone",
                              benign: wide, campaigns: [], redTeam: 3, placement: .never))
        s.append(ScenarioSpec(name: "redteam-holdout", description: "three campaigns each drawn with at least two held-out axis values (never tuned on) over every benign population",
                              benign: wide, campaigns: [], redTeam: 3, heldOut: true))
        return s
    }()

    public static var names: [String] { specs.map { $0.name } }

    public static func describe(_ name: String) -> String? {
        specs.first { $0.name == name }?.description
    }

    static func spec(_ name: String) -> ScenarioSpec? { specs.first { $0.name == name } }
}
