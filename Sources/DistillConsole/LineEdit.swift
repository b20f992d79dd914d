/// A one-line prompt edited as in a shell: the text, the cursor, and what each editing key
/// does to them (Ctrl+A/E/U/W/K, arrows, Home/End, Backspace/Delete). History and completion
/// are the console's: they need to know which prompt this is.
public struct LineEdit: Equatable, Sendable {
    public private(set) var characters: [Character]
    /// Characters before the cursor (0 … count).
    public private(set) var cursor: Int
    /// Longest text accepted; a character typed past it is refused (`.full`).
    public static let limit = 200

    public init(_ text: String = "") {
        characters = Array(text.prefix(Self.limit))
        cursor = characters.count
    }

    public var text: String { String(characters) }

    /// What a key did: changed the line, only moved the cursor, refused a character because the
    /// line holds `limit` already, or is not an editing key.
    public enum Outcome: Equatable, Sendable { case changed, moved, full, notEditing }

    public mutating func apply(_ key: Key) -> Outcome {
        switch key {
        case .char(let c):
            guard characters.count < Self.limit else { return .full }
            characters.insert(c, at: cursor)
            cursor += 1
            return .changed
        case .backspace, .ctrl("h"):
            guard cursor > 0 else { return .moved }
            characters.remove(at: cursor - 1)
            cursor -= 1
            return .changed
        case .delete, .ctrl("d"):
            guard cursor < characters.count else { return .moved }
            characters.remove(at: cursor)
            return .changed
        case .left, .ctrl("b"): cursor = max(0, cursor - 1); return .moved
        case .right, .ctrl("f"): cursor = min(characters.count, cursor + 1); return .moved
        case .home, .ctrl("a"): cursor = 0; return .moved
        case .end, .ctrl("e"): cursor = characters.count; return .moved
        case .ctrl("u"):
            // Everything before the cursor, as readline does.
            characters.removeFirst(cursor)
            cursor = 0
            return .changed
        case .ctrl("k"):
            characters.removeLast(characters.count - cursor)
            return .changed
        case .ctrl("w"):
            // The word before the cursor, and the spaces after it.
            var start = cursor
            while start > 0 && characters[start - 1] == " " { start -= 1 }
            while start > 0 && characters[start - 1] != " " { start -= 1 }
            characters.removeSubrange(start..<cursor)
            cursor = start
            return .changed
        default:
            return .notEditing
        }
    }

    /// Replaces the whole line (a history entry, a completion) with the cursor at its end.
    /// `.full` when the text was cut at `limit`: the caller must say so, as for typing.
    @discardableResult
    public mutating func replace(with text: String) -> Outcome {
        self = LineEdit(text)
        return characters.count < text.count ? .full : .changed
    }

    /// The longest text every candidate starts with.
    static func commonPrefix(_ candidates: [String]) -> String {
        guard var prefix = candidates.first else { return "" }
        for c in candidates.dropFirst() {
            while !c.hasPrefix(prefix) { prefix.removeLast() }
        }
        return prefix
    }
}

/// Past entries of one prompt, newest last, and where ↑/↓ have got to.
struct PromptHistory {
    private(set) var entries: [String] = []
    /// While browsing: the entry shown (index into `entries`), and the line typed before browsing.
    private var position: Int?
    private var typed = ""
    static let capacity = 50

    mutating func record(_ text: String) {
        position = nil
        guard !text.trimmingCharacters().isEmpty else { return }
        entries.removeAll { $0 == text }
        entries.append(text)
        if entries.count > Self.capacity { entries.removeFirst() }
    }

    /// The older entry to show after ↑, or nil when there is none.
    mutating func older(than current: String) -> String? {
        guard !entries.isEmpty else { return nil }
        if position == nil { typed = current; position = entries.count }
        guard let p = position, p > 0 else { return nil }
        position = p - 1
        return entries[p - 1]
    }

    /// The newer entry to show after ↓; past the newest, the line typed before browsing.
    mutating func newer() -> String? {
        guard let p = position else { return nil }
        if p + 1 < entries.count { position = p + 1; return entries[p + 1] }
        position = nil
        return typed
    }

    mutating func stopBrowsing() { position = nil }
}
