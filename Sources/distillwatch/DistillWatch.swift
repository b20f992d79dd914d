import ArgumentParser

@main
struct DistillWatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distillwatch",
        abstract: "Detects adversarial distillation campaigns in LLM API exchange logs.",
        subcommands: [WatchCommand.self, ScanCommand.self, CasesCommand.self, GenCommand.self, EvalCommand.self, RulesCommand.self, BenchCommand.self, RenderBenchCommand.self, ReplayBenchCommand.self]
    )
}
