import DistillConsole
import Foundation

/// Finds and parses theme files: `Themes/NAME.theme` under the current directory or the
/// package root, a path, or a built-in theme of that name.
public enum ThemeLoader {
    public static func packageRoot() -> String? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        }
        for _ in 0..<6 {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir.path }
            dir.deleteLastPathComponent()
        }
        return nil
    }

    public static func directories() -> [String] {
        var dirs = ["Themes"]
        if let root = packageRoot() { dirs.append(root + "/Themes") }
        return dirs
    }

    public static func available() -> [String] {
        var names = Theme.builtIn.map(\.name)
        for d in directories() {
            for f in (try? FileManager.default.contentsOfDirectory(atPath: d)) ?? [] where f.hasSuffix(".theme") {
                let n = String(f.dropLast(6))
                if !names.contains(n) { names.append(n) }
            }
        }
        return names
    }

    public static func load(_ nameOrPath: String) -> (theme: Theme, warning: String?) {
        find(nameOrPath) ?? (.dark, notFound(nameOrPath) + "; using dark")
    }

    /// What `nameOrPath` names (a theme file read with any problems said, or a built-in theme),
    /// or nil when there is no such theme.
    public static func find(_ nameOrPath: String) -> (theme: Theme, warning: String?)? {
        var candidates: [String] = []
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".theme") { candidates.append(nameOrPath) }
        else { candidates += directories().map { "\($0)/\(nameOrPath).theme" } }
        let builtIn = Theme.builtIn.first { $0.name == nameOrPath }
        for path in candidates {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            let (theme, problems) = Theme.parse(String(decoding: data, as: UTF8.self), name: name, base: builtIn ?? .dark)
            if problems.isEmpty { return (theme, nil) }
            let list = problems.prefix(3).map(\.description).joined(separator: "; ")
            return (theme, "theme \(path): \(list)\(problems.count > 3 ? "; …" : "") (ignored)")
        }
        if let builtIn { return (builtIn, nil) }
        return nil
    }

    public static func notFound(_ nameOrPath: String) -> String {
        "no theme '\(nameOrPath)' (have: \(available().joined(separator: ", ")))"
    }
}
