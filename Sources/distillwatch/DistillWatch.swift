import ArgumentParser
import DistillCore
import Foundation

/// Writes a diagnostic to stderr. Messages carry paths and text from outside (a file name can
/// hold escape sequences), so each line is sanitised; the message's own line breaks stay.
func printDiagnostic(_ message: String) {
    let safe = message.split(separator: "\n", omittingEmptySubsequences: false).map { TextSanitizer.sanitize(String($0)) }
    FileHandle.standardError.write(Data(("distillwatch: " + safe.joined(separator: "\n") + "\n").utf8))
}

@main
struct DistillWatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distillwatch",
        abstract: "Detects adversarial distillation campaigns in LLM API exchange logs.",
        subcommands: [WatchCommand.self, ScanCommand.self, CasesCommand.self, GenCommand.self, EvalCommand.self, RulesCommand.self, BenchCommand.self, RenderBenchCommand.self, ReplayBenchCommand.self]
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
