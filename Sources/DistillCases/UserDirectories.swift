import Foundation

/// The XDG base directories DistillWatch keeps its files under.
public enum UserDirectories {
    /// `$variable/distillwatch` when the variable holds an absolute path (the specification
    /// ignores relative ones), else `~/fallback/distillwatch`.
    public static func distillwatch(_ variable: String, fallback: String,
                                    environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let base = environment[variable], base.hasPrefix("/") { return base + "/distillwatch" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/" + fallback + "/distillwatch"
    }
}
