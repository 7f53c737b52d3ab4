/// Text from the user that the generated code repeats in a comment (the model file's path, which
/// may name any folder): made unable to end the comment or to reach a line of code. A control
/// character becomes an escape (`\n`, `\u{1B}`): a newline would end a Swift `//` comment and put
/// the rest of a file name on a code line. `*/` would end a C comment and `/*` opens one inside
/// it (which `-Wall` reports), so a backslash goes between their characters (`*\/`, `/\*`).
/// Unicode's line separators and bidirectional controls are escaped too, so that no editor shows
/// a line the compiler does not see.
public enum CommentText {
    /// `text` as it may appear inside a generated comment.
    public static func escaped(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        var previous: Unicode.Scalar?
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where needsEscape(scalar): result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            case "/" where previous == "*", "*" where previous == "/": result += "\\" + String(scalar)
            default: result.unicodeScalars.append(scalar)
            }
            previous = scalar
        }
        return result
    }

    /// Controls (C0, DEL, C1), the line and paragraph separators, and the bidirectional
    /// embeddings, overrides and isolates.
    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F..<0xA0, 0x2028, 0x2029, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }
}
