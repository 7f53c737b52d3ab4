/// A problem in the user's model file, with where it is and the places related to it.
/// Passes return diagnostics instead of throwing, so that one run reports every mistake once.
public struct Diagnostic: Sendable {
    /// `error` stops compilation; `warning` is printed but changes nothing (output, exit
    /// status); `note` only appears attached to an error or a warning.
    public enum Severity: String, Sendable {
        case error, warning, note
    }

    /// A related place: where a name was declared, the other operand's shape.
    public struct Note: Sendable {
        public var message: String
        public var range: SourceRange

        public init(_ message: String, at range: SourceRange) {
            self.message = message
            self.range = range
        }
    }

    /// The stable identifier (`shape-mismatch`); tests and fixtures match it, not the wording.
    public var id: DiagnosticID
    /// Fixed by the identifier: `unused-param` is a warning, every other identifier an error.
    public var severity: Severity
    public var message: String
    public var range: SourceRange
    public var notes: [Note]

    public init(_ message: DiagnosticMessage, at range: SourceRange, notes: [Note] = []) {
        self.id = message.id
        self.severity = message.id.severity
        self.message = message.text
        self.range = range
        self.notes = notes
    }

    /// How many diagnostics a pass keeps under an error limit (0: no limit): one more than the
    /// limit, so that whoever prints them knows some were left out. Each pass reports in source
    /// order, so its first ones are the ones a limited printout shows.
    public static func maxRecorded(errorLimit: Int) -> Int { errorLimit > 0 ? errorLimit + 1 : Int.max }

    /// Where the diagnostic points.
    public func location(in file: SourceFile) -> SourceLocation { file.location(of: range.start) }
}

/// Prints diagnostics the way compilers and editors expect:
///
///     samples/digits.adj:12:14: error: cannot multiply [batch, 64] by [32, 10] [shape-mismatch]
///     h      = relu(x @ W1 + b1)
///                   ^~~~~~
///     samples/digits.adj:7:1: note: 'W1' is declared here
///     ...
///
/// A line longer than `maxQuotedColumns` characters is quoted as a window of that many around
/// the caret, with `...` where it is cut, so that one diagnostic is a few hundred bytes however
/// long its line (a 1 MB line quoted whole by a thousand errors would be a gigabyte).
public enum DiagnosticRenderer {
    /// The widest quoted line, in characters; a longer line is quoted as a window of this width.
    public static let maxQuotedColumns = 120
    /// How many characters of a long line the window shows before the caret, when there are that many.
    public static let columnsBeforeCaret = 40

    /// The full text of one diagnostic with its notes, ending in a line break.
    public static func render(_ diagnostic: Diagnostic, in file: SourceFile) -> String {
        var text = block(
            severity: diagnostic.severity, message: "\(diagnostic.message) [\(diagnostic.id.rawValue)]",
            range: diagnostic.range, in: file)
        for note in diagnostic.notes where !note.range.isSynthesized {
            text += block(severity: .note, message: note.message, range: note.range, in: file)
        }
        return text
    }

    /// Every diagnostic in source order.
    public static func render(_ diagnostics: [Diagnostic], in file: SourceFile) -> String {
        sorted(diagnostics).map { render($0, in: file) }.joined()
    }

    /// Diagnostics in source order (stable for equal positions).
    public static func sorted(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        diagnostics.enumerated().sorted { ($0.element.range.start, $0.offset) < ($1.element.range.start, $1.offset) }
            .map(\.element)
    }

    private static func block(
        severity: Diagnostic.Severity, message: String, range: SourceRange, in file: SourceFile
    ) -> String {
        let start = min(max(range.start, 0), file.bytes.count)
        let location = file.location(of: start)
        let (quoted, caretColumn, width) = quote(from: start, to: range.end, in: file)
        // Made as bytes: `String(repeating:count:)` appends one copy at a time.
        var caretBytes = [UInt8](repeating: UInt8(ascii: " "), count: caretColumn + width)
        caretBytes[caretColumn] = UInt8(ascii: "^")
        for index in caretColumn + 1..<caretColumn + width { caretBytes[index] = UInt8(ascii: "~") }
        let caret = String(decoding: caretBytes, as: UTF8.self)
        return "\(file.path):\(location): \(severity.rawValue): \(message)\n\(quoted)\n\(caret)\n"
    }

    /// The quoted line (or window of it) holding `start`, the caret's 0-based column in that text
    /// and how many columns the caret and tildes cover: to `end` or to the end of what is quoted,
    /// whichever comes first, and at least one.
    static func quote(from start: Int, to end: Int, in file: SourceFile) -> (text: String, caret: Int, width: Int) {
        let line = file.lineIndex(containing: start)
        let lineStart = file.lineStarts[line]
        let lineEnd = file.lineEnd(line)
        var windowStart = lineStart
        var windowEnd = lineEnd
        if file.columns(from: lineStart, to: lineEnd) > maxQuotedColumns {
            windowStart = file.offset(min(start, lineEnd), retreatedBy: columnsBeforeCaret, limit: lineStart)
            windowEnd = file.offset(windowStart, advancedBy: maxQuotedColumns, limit: lineEnd)
            if windowEnd == lineEnd {  // near the end of the line: show a full window before it
                windowStart = file.offset(lineEnd, retreatedBy: maxQuotedColumns, limit: lineStart)
            }
        }
        let prefix = windowStart > lineStart ? "..." : ""
        let suffix = windowEnd < lineEnd ? "..." : ""
        let text = prefix + file.displayText(from: windowStart, to: windowEnd) + suffix
        let caret = prefix.count + file.columns(from: windowStart, to: start)
        let width = max(1, file.columns(from: start, to: min(max(end, start), windowEnd)))
        return (text, caret, width)
    }
}
