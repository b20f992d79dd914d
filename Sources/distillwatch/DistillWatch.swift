import ArgumentParser
import Logging
import DistillCore
import DistillRuntime
import Foundation

/// A diagnostic for a person or a log collector, on stderr through `Diagnostics.logger`.
func printDiagnostic(_ message: String, level: Logger.Level = .error, _ metadata: Logger.Metadata = [:]) {
    Diagnostics.logger.log(level: level, "\(message)", metadata: metadata)
}

/// Writes a command's output. Output that cannot be written (a full disk, a closed descriptor)
/// is said and ends the command with status 2, rather than trapping inside Foundation or being
/// lost with status 0; a reader that left (`| head`) ends it quietly.
func writeStandardOutput(_ text: String) throws {
    guard let failure = LineOutput.writeAll(text) else { return }
    if failure != EPIPE { printDiagnostic("cannot write to standard output: \(String(cString: strerror(failure)))") }
    throw ExitCode(2)
}

@main
struct DistillWatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distillwatch",
        abstract: "Detects adversarial distillation campaigns in LLM API exchange logs.",
        subcommands: [WatchCommand.self, ScanCommand.self, PublishCommand.self, WorkerCommand.self, InspectCommand.self, CasesCommand.self, GenCommand.self, EvalCommand.self, RulesCommand.self, BenchCommand.self, RenderBenchCommand.self, ReplayBenchCommand.self]
    )

    /// Bad arguments exit 2 like any other unusable input, in every command (the parser's own
    /// convention is 64); help, version and the commands' own statuses pass through unchanged.
    /// Error messages quote the arguments given, so they are sanitised like text from logs: an
    /// argument carrying an escape sequence shows as `␛[31m`, not as a colour change.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }  // help and version, on stdout
            let message = fullMessage(for: error)
            if !message.isEmpty {
                let safe = message.split(separator: "\n", omittingEmptySubsequences: false).map { TextSanitizer.sanitize(String($0)) }
                FileHandle.standardError.write(Data((safe.joined(separator: "\n") + "\n").utf8))
            }
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}
