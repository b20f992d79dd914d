/// Models served during the window. `opus-5` is released inside it.
enum Model: Int, Sendable, CaseIterable {
    case haiku4, sonnet4, opus4, opus5

    var name: String { ["haiku-4", "sonnet-4", "opus-4", "opus-5"][rawValue] }
    /// Extended thinking is available (reasoning tokens are reported only then).
    var reasons: Bool { self != .haiku4 }
    /// Decode speed, ms per output token.
    var msPerToken: Double { [5.5, 13.0, 24.0, 19.0][rawValue] }
}

/// Which model an actor asks for, before and after the release.
struct ModelPolicy: Sendable {
    var before: [Double]        // weights over haiku4, sonnet4, opus4
    var adopt: Double           // eventual share of opus5
    var delayMs: Int64          // time after release before switching starts
    var rampMs: Int64           // time to reach `adopt`

    func pick(_ t: Int64, release: Int64, _ rng: inout Rng) -> Model {
        if adopt > 0 && t >= release + delayMs {
            let f = rampMs <= 0 ? 1.0 : min(1.0, Double(t - release - delayMs) / Double(rampMs))
            if rng.chance(adopt * f) { return .opus5 }
        }
        return Model(rawValue: rng.weighted(before))!
    }
}

/// User agents and client fingerprints seen in the wild.
enum Clients {
    static let browsers = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Safari/605.1.15",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:137.0) Gecko/20100101 Firefox/137.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Safari/537.36 Edg/135.0.0.0",
        "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Mobile Safari/537.36",
    ]
    static let browserWeights: [Double] = [10, 5, 6, 5, 2, 1, 5, 3, 2, 2]

    /// Popular SDK strings: the distribution benign API users and careful operators both draw from.
    static let sdks = [
        "Anthropic/Python 0.49.0", "Anthropic/Python 0.50.0", "Anthropic/Python 0.51.0", "Anthropic/JS 0.39.0", "Anthropic/JS 0.40.1",
        "OpenAI/Python 1.68.2", "OpenAI/Python 1.75.0", "OpenAI/JS 4.87.3", "python-httpx/0.27.2", "python-httpx/0.28.1",
        "python-requests/2.32.3", "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", "node", "undici",
        "curl/8.5.0", "curl/7.81.0", "Go-http-client/2.0", "axios/1.8.4", "okhttp/4.12.0", "litellm/1.67.0",
    ]
    static let sdkWeights: [Double] = [8, 7, 5, 4, 3, 5, 4, 3, 3, 2, 3, 1.5, 1.5, 1, 1.5, 1, 1.2, 1.2, 0.6, 1.5]

    /// IDE agents: each version ships one tool schema and one system prompt, shared by every user of it.
    static let ides: [(ua: String, tools: UInt64, system: UInt64, weight: Double)] = [
        ("claude-cli/1.0.31 (external, cli)", 0x3f2a_91c0_5be7_d104, 0x8b01_77ce_2d94_a6f3, 9),
        ("claude-cli/1.0.35 (external, cli)", 0x3f2a_91c0_77a2_0c5e, 0x8b01_77ce_40f1_9b22, 6),
        ("Cursor/0.49.6", 0xa7d4_02e9_c1f3_6b88, 0x51c3_e0aa_9f02_7d41, 8),
        ("Cursor/0.50.1", 0xa7d4_02e9_d80b_1e37, 0x51c3_e0aa_a4c6_0e95, 4),
        ("Cline/3.13.1 (vscode)", 0x6e09_b3d1_2a7f_c045, 0x0cf8_45b7_11d9_e268, 4),
        ("Continue/1.0.8 (vscode)", 0xd15e_7a20_9c4b_83f6, 0x2be4_90d3_7c51_a8e0, 2.5),
        ("Zed/0.184.9", 0x9b7c_e482_0d13_5fa9, 0xe4a2_13f0_6bd8_c357, 1.5),
        ("aider/0.82.2 litellm/1.67.0", 0x47f0_2c9e_b8a1_d736, 0x7d3e_c9a0_18f4_b52c, 1.5),
    ]
    static let ideWeights: [Double] = ides.map { $0.weight }

    static let evalFrameworks = ["lm-eval/0.4.8 python-httpx/0.27.2", "inspect_ai/0.3.93 Anthropic/Python 0.49.0", "helm/0.5.4 python-requests/2.32.3"]
    static let automation = ["python-requests/2.31.0", "aiohttp/3.9.5", "Go-http-client/1.1", "OpenAI/Python 1.30.1", "python-httpx/0.25.2"]
}
