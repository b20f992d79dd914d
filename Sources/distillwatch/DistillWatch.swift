import ArgumentParser
import Logging
import DistillCore
import Foundation

/// A diagnostic for a person or a log collector, on stderr through `Diagnostics.logger`.
func printDiagnostic(_ message: String, level: Logger.Level = .error, _ metadata: Logger.Metadata = [:]) {
    Diagnostics.logger.log(level: level, "\(message)", metadata: metadata)
}

@main
struct DistillWatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distillwatch",
        abstract: "Detects adversarial distillation campaigns in LLM API exchange logs.",
        subcommands: [WatchCommand.self, ScanCommand.self, PublishCommand.self, WorkerCommand.self, CasesCommand.self, GenCommand.self, EvalCommand.self, RulesCommand.self, BenchCommand.self, RenderBenchCommand.self, ReplayBenchCommand.self]
    )

    /// Bad arguments exit 2 like any other unusable input, in every command (the parser's own
    /// convention is 64); help, version and the commands' own statuses pass through unchanged.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
