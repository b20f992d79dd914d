import ArgumentParser
import DistillCore

/// Prints the scoring rules as the detector holds them: the README's signals table is this output.
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Print the scoring rules (signal, weight, feature, ramp) as a Markdown table."
    )

    func run() throws {
        try writeStandardOutput(RuleTable.markdown)
    }
}
