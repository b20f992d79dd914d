/// Rule ids resolved once, so actors never look names up per request.
enum Rules {
    static let g = Content.grammar
    static let casualOpener = g.id("casual_opener")
    static let casualFollowup = g.id("casual_followup")
    static let casualIntl = g.id("casual_intl")
    static let casualIntlFollowup = g.id("casual_intl_followup")
    static let casualPre = g.id("casual_pre"), casualPost = g.id("casual_post")
    static let hwPre = g.id("hw_pre"), hwPost = g.id("hw_post"), hwFollowup = g.id("hw_followup"), hwNext = g.id("hw_next")
    static let hwWorked = g.id("hw_worked")
    static let bizJob = g.id("biz_job")
    /// One rule per judging pipeline's template; a service sticks to one.
    static let judgeJobs: [Int] = JudgeJobs.templates.indices.map { g.id(JudgeJobs.ruleName($0)) }
    static let mcNum = g.id("mc_option_num"), mcText = g.id("mc_option_text")
    static let cotPrefix = g.id("cot_prefix"), cotSuffix = g.id("cot_suffix")
    static let rubricPrefix = g.id("rubric_prefix"), rubric = g.id("rubric"), draftAnswer = g.id("draft_answer")
    static let stealthPrompt = g.id("stealth_prompt"), stealthFollowup = g.id("stealth_followup")
    static let churnPrompt = g.id("churn_prompt"), verify = g.id("verify")
    static let subjectFamily: [Int] = Subjects.all.map { g.id($0.family) }
    static let families: [Int] = Subjects.families.map { g.id($0) }

    struct Dev: Sendable { let task: Int; let followup: Int; let toolResult: Int }
    static let dev: [Dev] = DevLang.allCases.map {
        Dev(task: g.id("dev_task_\($0.tag)"), followup: g.id("dev_followup_\($0.tag)"), toolResult: g.id("tool_result_\($0.tag)"))
    }

    /// Polyglot farm languages and their weights.
    static let polyglot: [(rule: Int, weight: Double)] = [
        ("poly_zh", 34.0), ("poly_ru", 14), ("poly_es", 14), ("poly_ar", 8), ("poly_pt", 7), ("poly_ja", 7),
        ("poly_ko", 5), ("poly_de", 4), ("poly_fr", 4), ("poly_id", 2), ("poly_tr", 1),
    ].map { (g.id($0.0), $0.1) }
}
