import DistillCore

/// One `:` command as data: its name, how it is written, what it does, what Tab offers for each
/// argument, and the code it runs. Help, completion and the "unknown command" hint are made
/// from the table, so a command cannot exist without being documented.
struct ConsoleCommand: Sendable {
    enum Group: Sendable { case general, triage }

    let name: String
    var aliases: [String] = []
    /// How it is written, e.g. `sort COLUMN [asc|desc]`.
    let usage: String
    let group: Group
    /// The help text; it may depend on the console (the themes it knows).
    let help: @Sendable (Console) -> String
    /// A second help line, for a command with more to say.
    var more: String? = nil
    /// What Tab offers for the argument at an index (0 is the first after the name).
    var arguments: @Sendable (Console, Int) -> [String] = { _, _ in [] }
    let run: @Sendable (Console, CommandArguments) -> [ConsoleEffect]

    func named(_ word: String) -> Bool { name == word || aliases.contains(word) }
}

/// What follows a command's name: its words, and the same text as typed, so that a path or a
/// note keeps its inner spaces instead of being rebuilt from its words.
struct CommandArguments: Sendable {
    let words: [String]
    private let line: Substring

    init(_ line: Substring) {
        self.line = line
        words = line.split(separator: " ").map(String.init)
    }

    var isEmpty: Bool { words.isEmpty }
    var first: String? { words.first }

    /// The text after the first `skipping` words, as typed, without the spaces at either end.
    func text(skipping n: Int = 0) -> String {
        var rest = line
        for _ in 0..<n {
            rest = rest.drop { $0 == " " }
            rest = rest.drop { $0 != " " }
        }
        rest = rest.drop { $0 == " " }
        while rest.last == " " { rest = rest.dropLast() }
        return String(rest)
    }
}

extension Console {
    static let commands: [ConsoleCommand] = [
        ConsoleCommand(name: "theme", usage: "theme NAME", group: .general,
                       help: { "switch theme: " + $0.availableThemes.joined(separator: ", ") },
                       arguments: { console, i in i == 0 ? console.availableThemes : [] },
                       run: { console, args in
                           guard !args.isEmpty else {
                               console.say("themes: " + console.availableThemes.joined(separator: ", ") + " (current: \(console.themeName))")
                               return []
                           }
                           return [.loadTheme(args.text())]
                       }),
        ConsoleCommand(name: "sort", usage: "sort COLUMN [asc|desc]", group: .general, help: { _ in "sort the table by a column" },
                       arguments: { console, i in i == 0 ? console.currentTable()?.model.columns.map(\.id) ?? [] : i == 1 ? ["asc", "desc"] : [] },
                       run: { console, args in console.sortCommand(args.words) }),
        ConsoleCommand(name: "filter", usage: "filter TEXT", group: .general, help: { _ in "filter rows (!TEXT inverts; empty clears)" },
                       run: { console, args in console.applyFilter(args.text()) }),
        ConsoleCommand(name: "speed", usage: "speed N|max", group: .general,
                       help: { _ in "replay N stream seconds per second (1-100000), or max" },
                       arguments: { _, i in i == 0 ? ["1", "60", "600", "3600", "max"] : [] },
                       run: { console, args in console.speedCommand(args.text()) }),
        ConsoleCommand(name: "goto", usage: "goto TIME", group: .general,
                       help: { _ in "replay to a stream time, e.g. 2026-04-22T10:00Z (back in time re-reads the input)" },
                       more: "at speed max the replay pauses there (Space resumes)",
                       run: { console, args in console.gotoCommand(args.text()) }),
        ConsoleCommand(name: "pause", usage: "pause", group: .general, help: { _ in "pause or resume the replay (as Space)" },
                       run: { _, _ in [.togglePause] }),
        ConsoleCommand(name: "rejected", usage: "rejected", group: .general, help: { _ in "the rejected input lines (as R)" },
                       run: { console, _ in console.openRejected(); return [] }),
        ConsoleCommand(name: "help", usage: "help", group: .general, help: { _ in "this help (as ?)" },
                       run: { console, _ in
                           if console.view != .help { console.navigation.push(ViewState(view: .help)) }
                           return []
                       }),
        ConsoleCommand(name: "quit", aliases: ["q", "exit"], usage: "quit", group: .general, help: { _ in "leave" },
                       run: { _, _ in [.quit] }),

        ConsoleCommand(name: "clear", usage: "clear REASON [SCOPE] [NOTE]", group: .triage,
                       help: { _ in "benign; REASON is one of " + ClearReason.allCases.map(\.rawValue).joined(separator: ", ") },
                       more: "SCOPE " + AllowlistScope.allCases.map(\.rawValue).joined(separator: "|") + " also allowlists its accounts, orgs or cards",
                       arguments: { _, i in
                           i == 0 ? ClearReason.allCases.map(\.rawValue) : i == 1 ? AllowlistScope.allCases.map(\.rawValue) : []
                       },
                       run: { console, args in console.clearCommand(args) }),
        ConsoleCommand(name: "snooze", usage: "snooze 6h|2d|TIME [NOTE]", group: .triage, help: { _ in "quiet until that stream time" },
                       run: { console, args in console.snoozeCommand(args) }),
        ConsoleCommand(name: "suspect", usage: "suspect [NOTE]", group: .triage, help: { _ in "decide suspect, with a note" },
                       run: { console, args in console.decide(.suspect, note: args.isEmpty ? nil : args.text()); return [] }),
        ConsoleCommand(name: "watch", usage: "watch [NOTE]", group: .triage, help: { _ in "decide watch, with a note" },
                       run: { console, args in console.decide(.watch, note: args.isEmpty ? nil : args.text()); return [] }),
        ConsoleCommand(name: "note", usage: "note TEXT", group: .triage, help: { _ in "add a note" },
                       run: { console, args in
                           if args.isEmpty { console.say("usage: note TEXT", .warning) } else { console.decide(.note, note: args.text()) }
                           return []
                       }),
        ConsoleCommand(name: "export", usage: "export PATH", group: .triage, help: { _ in "every case to PATH (.json, or .csv)" },
                       run: { console, args in console.exportCommand(args) }),
        ConsoleCommand(name: "undo", usage: "undo", group: .triage, help: { _ in "undo the last decision" },
                       run: { console, _ in console.undoLast(); return [] }),
    ]

    /// Every word `:` knows, for completion.
    static var commandNames: [String] { commands.map(\.name).sorted() }

    public func run(command line: String) -> [ConsoleEffect] {
        let typed = line.drop { $0 == " " }
        let verbEnd = typed.firstIndex(of: " ") ?? typed.endIndex
        let verb = typed[..<verbEnd].lowercased()
        guard !verb.isEmpty else { return [] }
        let args = CommandArguments(typed[verbEnd...])
        guard let command = Self.commands.first(where: { $0.named(verb) }) else {
            say("unknown command '\(verb)' — try " + Self.commands.map(\.name).joined(separator: ", "), .warning)
            return []
        }
        // A command that takes nothing refuses words after it: ":quit now" or ":undo 3" may
        // mean something the command does not do.
        if !command.usage.contains(" "), !args.isEmpty {
            say("usage: \(command.usage) (it takes nothing) — got '\(args.text())'", .warning)
            return []
        }
        return command.run(self, args)
    }

    /// What Tab offers after the words typed so far: command names, then the command's own
    /// arguments (theme names, sort columns, speeds, clear reasons). One candidate is taken
    /// whole; several are listed and their common start is filled in.
    func completions(for text: String) -> [String] {
        let words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        let last = (words.last ?? "").lowercased()
        if words.count <= 1 { return Self.commandNames.filter { $0.hasPrefix(last) } }
        guard let command = Self.commands.first(where: { $0.named(words[0].lowercased()) }) else { return [] }
        return command.arguments(self, words.count - 2).filter { $0.lowercased().hasPrefix(last) }
    }

    /// The help's lines for one group of commands: usage, then what it does.
    func commandHelpLines(_ group: ConsoleCommand.Group, usageWidth: Int, width: Int) -> [Line] {
        let members = Self.commands.filter { $0.group == group }
        // Every description starts in one column, past the longest usage.
        let indent = max(usageWidth, (members.map { TextWidth.width(of: $0.usage) }.max() ?? 0) + 1)
        return members.flatMap { c -> [Line] in
            var lines = described(c.usage, c.help(self), indent: indent, width: width)
            if let more = c.more { lines += described("", more, indent: indent, width: width) }
            return lines
        }
    }

    // MARK: What the commands do

    func sortCommand(_ args: [String]) -> [ConsoleEffect] {
        let columns = currentTable()?.model.columns.map(\.id).joined(separator: ", ") ?? "-"
        guard let name = args.first else { say("sort by: " + columns); return [] }
        let direction = args.dropFirst().first?.lowercased()
        if let direction, direction != "asc" && direction != "desc" {
            say("usage: sort COLUMN [asc|desc] — got '\(direction)'", .warning); return []
        }
        let descending: Bool? = direction == "asc" ? false : direction == "desc" ? true : nil
        if !setSort(name, descending: descending) { say("no column '\(name)' here; try: " + columns, .warning) }
        else { say("sorted by \(navigation.top.sortColumn!)" + (navigation.top.descending ? " (descending)" : " (ascending)")) }
        return []
    }

    func speedCommand(_ text: String) -> [ConsoleEffect] {
        if text.lowercased() == "max" { return [.setSpeed(.infinity)] }
        guard let v = Double(text), v >= 1, v <= 100_000 else {
            say("usage: speed N (1 to 100000 stream seconds per second) or speed max — got '\(text)'", .warning); return []
        }
        return [.setSpeed(v)]
    }

    func gotoCommand(_ text: String) -> [ConsoleEffect] {
        guard let t = Timestamp.parseMoment(text) else {
            say("usage: goto TIME, e.g. goto 2026-04-22T10:00Z (RFC 3339; minutes or a date are enough) — got '\(text)'", .warning)
            return []
        }
        return [.goto(t)]
    }

    func clearCommand(_ args: CommandArguments) -> [ConsoleEffect] {
        guard let first = args.first, let reason = ClearReason(rawValue: first.lowercased()) else { say("usage: " + Self.clearUsage, .warning); return [] }
        var tail = Array(args.words.dropFirst())
        let scope = tail.first.flatMap { AllowlistScope(rawValue: $0.lowercased()) }
        if scope != nil { tail.removeFirst() }
        // A scope cut short or in the plural would otherwise become the note's first word, and
        // the clear would allowlist nothing while the analyst believes it did.
        if scope == nil, let word = tail.first?.lowercased(), let meant = Self.scopeMisspelt(word) {
            say("'\(word)' is not a scope: write '\(meant.rawValue)' in full to allowlist by it, or begin the note with another word", .warning)
            return []
        }
        decide(.clear, reason: reason, scope: scope, note: tail.isEmpty ? nil : args.text(skipping: scope == nil ? 1 : 2))
        return []
    }

    /// The one scope `word` looks like an attempt at (two or more of its first letters, or its
    /// plural), if any.
    static func scopeMisspelt(_ word: String) -> AllowlistScope? {
        guard word.count >= 2 else { return nil }
        let meant = AllowlistScope.allCases.filter { $0.rawValue.hasPrefix(word) || word == $0.rawValue + "s" }
        return meant.count == 1 ? meant[0] : nil
    }

    func snoozeCommand(_ args: CommandArguments) -> [ConsoleEffect] {
        guard let first = args.first, let until = Self.streamTime(after: shownStreamTime ?? 0, spec: first) else {
            say("usage: " + Self.snoozeUsage, .warning); return []
        }
        if let now = shownStreamTime, until <= now {
            say("\(Format.clock(until)) is not after the stream's time \(Format.clock(now)): a snooze runs until a later moment", .warning)
            return []
        }
        let note = args.text(skipping: 1)
        decide(.snooze, until: until, note: note.isEmpty ? nil : note)
        return []
    }

    func exportCommand(_ args: CommandArguments) -> [ConsoleEffect] {
        // The whole rest of the line as typed: a path with spaces in it is one path, spaces kept.
        let path = args.text()
        guard !path.isEmpty else { say("usage: export PATH (.json or .csv) — every case in the journal", .warning); return [] }
        refreshEvidence(force: true)
        return [.exportCases(path: path, caseIDs: nil)]
    }
}
